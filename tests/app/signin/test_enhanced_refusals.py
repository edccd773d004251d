"""Every way the enhanced callback refuses: a clear page, nothing stored, the failure audited.

"Nothing stored" is checked by the simulator's enterprise id, unique to each test.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import AsyncIterator
from urllib.parse import parse_qs, urlsplit

import asyncpg
import httpx
import pytest
import pytest_asyncio
from starlette.applications import Starlette

from app.main import create_app
from app.settings import Settings
from tests.app.signin.conftest import APP_ORIGIN, AppOrNetwork, Mce, count_rows, signin_settings

pytestmark = pytest.mark.usefixtures("db")

TABLES = ("tenants", "business_units", "users", "memberships", "wallet_entries")


async def nothing_stored(conn: asyncpg.Connection, mce: Mce) -> None:
    for table in TABLES:
        assert await count_rows(conn, table, mce.eid) == 0, table


async def failures(conn: asyncpg.Connection, request_id: str) -> list[dict[str, object]]:
    rows = await conn.fetch(
        "SELECT tenant_id, outcome, details FROM audit_events"
        " WHERE action = 'auth.sign_in' AND request_id = $1",
        request_id,
    )
    return [
        {"tenant_id": r["tenant_id"], "outcome": r["outcome"], **json.loads(r["details"])}
        for r in rows
    ]


async def authorize(browser: httpx.AsyncClient, user: str = "ada.admin") -> dict[str, str]:
    """Start a sign-in and let the simulator approve it; returns the callback's query."""
    first = await browser.get("/api/auth/login", follow_redirects=False)
    url = httpx.URL(first.headers["location"]).copy_merge_params({"sim_user": user})
    answer = await browser.get(url, follow_redirects=False)
    assert answer.status_code == 302
    location = answer.headers["location"]
    assert location.startswith(f"{APP_ORIGIN}/api/auth/callback?")
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


async def refused(
    browser: httpx.AsyncClient, params: dict[str, str], conn: asyncpg.Connection, reason: str
) -> httpx.Response:
    response = await browser.get("/api/auth/callback", params=params, follow_redirects=False)
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/html")
    assert "Sign-in refused" in response.text
    request_id = response.headers["x-request-id"]
    assert request_id in response.text
    assert browser.cookies.get("__Host-quarry_session") is None
    assert [f["reason"] for f in await failures(conn, request_id)] == [reason]
    return response


async def test_missing_state(
    browser: httpx.AsyncClient, mce: Mce, admin_conn: asyncpg.Connection
) -> None:
    query = await authorize(browser)
    del query["state"]
    await refused(browser, query, admin_conn, "state_missing")
    await nothing_stored(admin_conn, mce)


async def test_forged_state(
    browser: httpx.AsyncClient, mce: Mce, admin_conn: asyncpg.Connection
) -> None:
    query = await authorize(browser)
    nonce, issued, _signature = query["state"].split(".")
    await refused(
        browser, {**query, "state": f"{nonce}.{issued}.AAAA"}, admin_conn, "state_malformed"
    )
    await refused(browser, {**query, "state": "x" * 300}, admin_conn, "state_malformed")
    await refused(browser, {**query, "state": "a.1.\u00e9"}, admin_conn, "state_malformed")
    await nothing_stored(admin_conn, mce)


async def test_state_from_another_browser(
    app: Starlette, browser: httpx.AsyncClient, mce: Mce, admin_conn: asyncpg.Connection
) -> None:
    """An attacker's own callback URL, opened in the victim's browser (login CSRF)."""
    query = await authorize(browser)
    async with httpx.AsyncClient(transport=AppOrNetwork(app), base_url=APP_ORIGIN) as victim:
        await refused(victim, query, admin_conn, "state_other_browser")
    await nothing_stored(admin_conn, mce)


async def test_replayed_state(
    browser: httpx.AsyncClient, mce: Mce, admin_conn: asyncpg.Connection
) -> None:
    query = await authorize(browser)
    ok = await browser.get("/api/auth/callback", params=query, follow_redirects=False)
    assert ok.status_code == 302
    browser.cookies.delete("__Host-quarry_session")
    await refused(browser, query, admin_conn, "state_unknown_or_used")


async def test_reused_code_with_a_fresh_state(
    browser: httpx.AsyncClient, mce: Mce, admin_conn: asyncpg.Connection
) -> None:
    query = await authorize(browser)
    ok = await browser.get("/api/auth/callback", params=query, follow_redirects=False)
    assert ok.status_code == 302
    browser.cookies.delete("__Host-quarry_session")
    fresh = await authorize(browser)
    await refused(browser, {**fresh, "code": query["code"]}, admin_conn, "code_reused")


async def test_a_code_mce_refuses(
    browser: httpx.AsyncClient, mce: Mce, admin_conn: asyncpg.Connection
) -> None:
    query = await authorize(browser)
    bogus = f"not-a-code-{secrets.token_hex(8)}"
    await refused(browser, {**query, "code": bogus}, admin_conn, "mce_invalid_grant")
    await nothing_stored(admin_conn, mce)


@pytest.mark.parametrize(
    "tssd",
    [
        "",
        "evil.example.com",
        "mc0123456789abcdefghijklmnop.evil.com",
        "mc0123456789abcdefghijklmn/x",
        "mc0123456789abcdefghijklmno@x",
        "MC0123456789ABCDEFGHIJKLM\u212a",  # a Kelvin sign that lower() turns into "k"
        "mc" + "0" * 200,
    ],
)
async def test_hostile_tssd(
    tssd: str, browser: httpx.AsyncClient, mce: Mce, admin_conn: asyncpg.Connection
) -> None:
    query = await authorize(browser)
    response = await refused(browser, {**query, "tssd": tssd}, admin_conn, "tssd_invalid")
    assert "invalid Marketing Cloud account" in response.text
    assert mce.sim.stats.get("auth.token.authorization_code") == 0  # the code went nowhere
    await nothing_stored(admin_conn, mce)


async def test_mce_error_redirect(
    browser: httpx.AsyncClient, mce: Mce, admin_conn: asyncpg.Connection
) -> None:
    query = await authorize(browser)
    params = {"state": query["state"], "error": "access_denied", "error_description": "no"}
    await refused(browser, params, admin_conn, "mce_access_denied")
    await nothing_stored(admin_conn, mce)


async def test_package_without_the_needed_scopes(
    db: Settings, mce: Mce, admin_conn: asyncpg.Connection
) -> None:
    settings = signin_settings(db, mce, MCE_SCOPES="data_extensions_read journeys_read")
    application = create_app(settings, manage_orm=False)
    async with (
        application.router.lifespan_context(application),
        httpx.AsyncClient(transport=AppOrNetwork(application), base_url=APP_ORIGIN) as browser,
    ):
        query = await authorize(browser)
        response = await refused(browser, query, admin_conn, "scopes_missing")
    assert "journeys_read" in response.text
    await nothing_stored(admin_conn, mce)


class TamperedUserInfo(httpx.AsyncBaseTransport):
    """MCE's userinfo, answering for another BU than the token's (a third party lying)."""

    def __init__(self) -> None:
        self.network = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.network.handle_async_request(request)
        if request.url.path != "/v2/userinfo":
            return response
        await response.aread()
        body = json.loads(response.content)
        body["organization"]["member_id"] += 1
        return httpx.Response(response.status_code, json=body)

    async def aclose(self) -> None:
        await self.network.aclose()


@pytest_asyncio.fixture
async def lying_app(db: Settings, mce: Mce) -> AsyncIterator[Starlette]:
    async with httpx.AsyncClient(transport=TamperedUserInfo(), follow_redirects=False) as http:
        application = create_app(signin_settings(db, mce), manage_orm=False, mce_http=http)
        async with application.router.lifespan_context(application):
            yield application


async def test_userinfo_for_another_bu_than_the_token(
    lying_app: Starlette, mce: Mce, admin_conn: asyncpg.Connection
) -> None:
    async with httpx.AsyncClient(transport=AppOrNetwork(lying_app), base_url=APP_ORIGIN) as browser:
        query = await authorize(browser)
        await refused(browser, query, admin_conn, "userinfo_bu_mismatch")
    await nothing_stored(admin_conn, mce)


async def test_sign_in_endpoints_are_rate_limited_per_ip(db: Settings, mce: Mce) -> None:
    settings = signin_settings(db, mce, RATE_LIMIT_SIGNIN_PER_MINUTE="3")
    application = create_app(settings, manage_orm=False)
    # A client address of its own, so other tests' sign-ins do not count against it.
    ip = f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.{secrets.randbelow(250)}"
    transport = httpx.ASGITransport(app=application, client=(ip, 40000))
    async with (
        application.router.lifespan_context(application),
        httpx.AsyncClient(transport=transport, base_url=APP_ORIGIN) as browser,
    ):
        answers = [await browser.get("/api/auth/login") for _ in range(4)]
        callback = await browser.get("/api/auth/callback", params={"code": "x"})
        legacy = await browser.post("/api/auth/login", data={"jwt": "x"})
    assert [a.status_code for a in answers] == [302, 302, 302, 429]
    limited = answers[-1]
    assert int(limited.headers["retry-after"]) >= 1
    assert limited.json()["error"]["code"] == "RATE_LIMITED"
    assert callback.status_code == 429 and legacy.status_code == 429


async def test_a_rewrapped_code_is_still_a_reused_code(
    browser: httpx.AsyncClient, mce: Mce, admin_conn: asyncpg.Connection
) -> None:
    """The JWT wrapper is not verified, so a used inner code in a new wrapper is refused too."""
    mce.sim.config.quirk_jwt_wrapped_code = True
    query = await authorize(browser)
    ok = await browser.get("/api/auth/callback", params=query, follow_redirects=False)
    assert ok.status_code == 302
    browser.cookies.delete("__Host-quarry_session")
    header, payload, _signature = query["code"].split(".")
    rewrapped = f"{header}.{payload}.{secrets.token_urlsafe(32)}"
    fresh = await authorize(browser)
    await refused(browser, {**fresh, "code": rewrapped}, admin_conn, "code_reused")
