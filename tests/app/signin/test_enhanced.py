"""The enhanced-package sign-in (REFERENCE §1.1-§1.2) end to end against the simulator.

The browser is an HTTP client following redirects: app → simulator's ``/v2/authorize``
(auto-approve) → the app's callback → ``/``. Rows are read back as the superuser and compared
field by field with what ``/v2/userinfo`` says.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import asyncpg
import httpx
import pytest

from app.main import create_app
from app.settings import Settings
from tests.app.signin.conftest import (
    APP_ORIGIN,
    AppOrNetwork,
    Mce,
    count_rows,
    graphql,
    signin_settings,
)

pytestmark = pytest.mark.usefixtures("db")

VIEWER = "{ viewer { user { mceUserId name email locale timeZone } tenant { enterpriseId name }"
VIEWER += " businessUnit { mid name parentMid } availableBusinessUnits { mid name } } }"


async def sign_in(browser: httpx.AsyncClient, mce: Mce, user: str = "ada.admin") -> httpx.Response:
    """Run the whole flow as the simulator's ``user``; returns the final response."""
    first = await browser.get("/api/auth/login", follow_redirects=False)
    assert first.status_code == 302
    authorize = httpx.URL(first.headers["location"])
    assert authorize.path == "/v2/authorize"
    return await browser.get(authorize.copy_merge_params({"sim_user": user}))


async def test_sign_in_maps_userinfo_onto_our_rows(
    browser: httpx.AsyncClient, mce: Mce, admin_conn: asyncpg.Connection
) -> None:
    final = await sign_in(browser, mce)
    assert final.status_code == 200
    assert str(final.url) == f"{APP_ORIGIN}/"
    assert [r.status_code for r in final.history] == [302, 302]  # authorize, callback

    ada = mce.user("ada.admin")
    enterprise = mce.sim.store.enterprise
    tenant = await admin_conn.fetchrow("SELECT * FROM tenants WHERE tenant_id = $1", mce.eid)
    assert tenant is not None
    assert (tenant["name"], tenant["tssd"], tenant["status"]) == (
        enterprise.name,
        enterprise.tssd,
        "active",
    )
    user = await admin_conn.fetchrow(
        "SELECT * FROM users WHERE tenant_id = $1 AND mce_user_id = $2", mce.eid, ada.id
    )
    assert user is not None
    assert (user["name"], user["email"], user["locale"], user["time_zone"]) == (
        ada.username,
        ada.email,
        ada.locale,
        ada.time_zone,
    )
    assert user["last_login_at"] is not None
    units = {
        r["mid"]: (r["name"], r["parent_mid"])
        for r in await admin_conn.fetch(
            "SELECT mid, name, parent_mid FROM business_units WHERE tenant_id = $1", mce.eid
        )
    }
    expected_units = {
        bu.mid: (bu.name, bu.parent_mid) for bu in mce.sim.store.business_units.values()
    }
    assert units == expected_units
    memberships = await admin_conn.fetch(
        "SELECT mid, role FROM memberships WHERE tenant_id = $1 AND user_id = $2",
        mce.eid,
        user["id"],
    )
    assert {r["mid"] for r in memberships} == set(expected_units)
    assert {r["role"] for r in memberships} == {"admin"}  # the first user administers
    wallet = await admin_conn.fetch(
        "SELECT mid, kind, status, ciphertext FROM wallet_entries"
        " WHERE tenant_id = $1 AND user_id = $2",
        mce.eid,
        user["id"],
    )
    assert [(r["mid"], r["kind"], r["status"]) for r in wallet] == [
        (ada.default_mid, "enhanced", "active")
    ]
    events = await admin_conn.fetch(
        "SELECT action, outcome, actor_type, actor_id FROM audit_events WHERE tenant_id = $1",
        mce.eid,
    )
    assert [tuple(e) for e in events] == [("auth.sign_in", "success", "user", str(user["id"]))]

    body = await graphql(browser, VIEWER)
    viewer = body["data"]["viewer"]
    assert viewer["user"] == {
        "mceUserId": str(ada.id),
        "name": ada.username,
        "email": ada.email,
        "locale": ada.locale,
        "timeZone": ada.time_zone,
    }
    assert viewer["tenant"] == {"enterpriseId": str(mce.eid), "name": enterprise.name}
    assert viewer["businessUnit"]["mid"] == str(ada.default_mid)
    assert {bu["mid"] for bu in viewer["availableBusinessUnits"]} == {
        str(m) for m in expected_units
    }


async def test_authorize_request_is_minimal_and_state_is_signed(
    browser: httpx.AsyncClient, mce: Mce
) -> None:
    first = await browser.get("/api/auth/login", follow_redirects=False)
    query = parse_qs(urlsplit(first.headers["location"]).query)
    assert query["response_type"] == ["code"]
    assert query["client_id"] == [mce.sim.enhanced_package.client_id]
    assert query["redirect_uri"] == [f"{APP_ORIGIN}/api/auth/callback"]
    assert query["scope"][0].split() == [
        "data_extensions_read",
        "data_extensions_write",
        "automations_read",
        "automations_write",
        "automations_execute",
        "accounts_read",
        "offline",
    ]
    assert query["state"][0].count(".") == 2
    assert first.headers["cache-control"] == "no-store"
    binding = [c for c in first.headers.get_list("set-cookie") if "quarry_signin" in c]
    assert len(binding) == 1 and "HttpOnly" in binding[0] and "Partitioned" in binding[0]


async def test_signing_in_again_rotates_the_session(browser: httpx.AsyncClient, mce: Mce) -> None:
    await sign_in(browser, mce)
    first = browser.cookies.get("__Host-quarry_session")
    await sign_in(browser, mce)
    second = browser.cookies.get("__Host-quarry_session")
    assert first and second and first != second
    stale = httpx.AsyncClient(transport=browser._transport, base_url=APP_ORIGIN)
    async with stale:
        stale.cookies.set("__Host-quarry_session", first, domain="quarry.test")
        session = await stale.get("/api/auth/session")
        assert session.json()["signedIn"] is False


async def test_logout_ends_the_session_with_a_get(
    browser: httpx.AsyncClient, mce: Mce, admin_conn: asyncpg.Connection
) -> None:
    await sign_in(browser, mce)
    cookie = browser.cookies.get("__Host-quarry_session")
    out = await browser.get("/api/auth/logout", follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/"
    cleared = [c for c in out.headers.get_list("set-cookie") if "quarry_session" in c]
    assert cleared and "Max-Age=0" in cleared[0]
    assert browser.cookies.get("__Host-quarry_session") is None
    browser.cookies.set("__Host-quarry_session", cookie or "", domain="quarry.test")
    assert (await browser.get("/api/auth/session")).json()["signedIn"] is False
    assert (
        await admin_conn.fetchval(
            "SELECT count(*) FROM audit_events WHERE tenant_id = $1 AND action = 'auth.sign_out'",
            mce.eid,
        )
        == 1
    )
    # Logging out without a session is harmless.
    again = await browser.get("/api/auth/logout", follow_redirects=False)
    assert again.status_code == 303


async def test_two_users_of_one_tenant_get_their_own_rows(
    browser: httpx.AsyncClient, mce: Mce, admin_conn: asyncpg.Connection
) -> None:
    await sign_in(browser, mce, "ada.admin")
    browser.cookies.clear()
    await sign_in(browser, mce, "mia.marketer")
    roles = await admin_conn.fetch(
        "SELECT u.mce_user_id, m.role FROM users u JOIN memberships m ON m.user_id = u.id"
        " WHERE u.tenant_id = $1 GROUP BY u.mce_user_id, m.role",
        mce.eid,
    )
    by_user = {r["mce_user_id"]: r["role"] for r in roles}
    assert by_user == {mce.user("ada.admin").id: "admin", mce.user("mia.marketer").id: "user"}
    assert await count_rows(admin_conn, "tenants", mce.eid) == 1


async def test_a_jwt_wrapped_code_is_unwrapped(
    browser: httpx.AsyncClient, mce: Mce, admin_conn: asyncpg.Connection
) -> None:
    """MCE's production quirk (REFERENCE §1.1): the code inside a JWT-like string."""
    mce.sim.config.quirk_jwt_wrapped_code = True
    first = await browser.get("/api/auth/login", follow_redirects=False)
    authorize = httpx.URL(first.headers["location"]).copy_merge_params({"sim_user": "ada.admin"})
    answer = await browser.get(authorize, follow_redirects=False)
    assert parse_qs(urlsplit(answer.headers["location"]).query)["code"][0].count(".") == 2
    final = await browser.get(answer.headers["location"])
    assert str(final.url) == f"{APP_ORIGIN}/"
    # The embedded code was accepted at the first try.
    assert mce.sim.stats.get("auth.token.authorization_code") == 1
    assert await count_rows(admin_conn, "users", mce.eid) == 1


async def test_an_answer_landing_on_the_app_root_is_sent_to_the_callback(
    db: Settings, mce: Mce, admin_conn: asyncpg.Connection
) -> None:
    """REFERENCE §1.1 [3rd-party]: in some environments MCE redirects to ``/?code&state``;
    here the package's redirect URI is the app root."""
    root = f"{APP_ORIGIN}/"
    mce.sim.enhanced_package.redirect_uris.append(root)
    application = create_app(signin_settings(db, mce, MCE_REDIRECT_URI=root), manage_orm=False)
    async with (
        application.router.lifespan_context(application),
        httpx.AsyncClient(
            transport=AppOrNetwork(application), base_url=APP_ORIGIN, follow_redirects=True
        ) as browser,
    ):
        final = await sign_in(browser, mce)
        assert [str(r.url).split("?")[0] for r in final.history][-2:] == [
            root,
            f"{APP_ORIGIN}/api/auth/callback",
        ]
        assert str(final.url) == root
        assert (await browser.get("/api/auth/session")).json()["signedIn"] is True
        plain = await browser.get("/?utm=x")  # no code: just the app
        assert plain.status_code == 200 and "quarry-sign-in" in plain.text
    assert await count_rows(admin_conn, "users", mce.eid) == 1


@pytest.mark.parametrize("status", [404, 500])
async def test_without_a_token_context_answer_userinfo_is_trusted(
    status: int,
    browser: httpx.AsyncClient,
    mce: Mce,
    admin_conn: asyncpg.Connection,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """tokenContext is a cross-check known from third-party tools only: its absence or an
    outage does not block sign-in (a disagreement does: test_enhanced_refusals)."""
    from simulator.faults import FaultRule

    mce.sim.faults.add_rule(
        FaultRule(operation="rest.tokenContext", kind="error", status=status, times=1)
    )
    final = await sign_in(browser, mce)
    assert str(final.url) == f"{APP_ORIGIN}/"
    assert mce.sim.stats.get("rest.tokenContext") == 1
    assert await count_rows(admin_conn, "users", mce.eid) == 1
    assert any("token context not confirmed" in r.getMessage() for r in caplog.records)
