"""The legacy App Switcher JWT sign-in (REFERENCE §1.3), end to end and every refusal.

MCE form-posts an HS256 JWT (field ``jwt``) to the login URL; the app verifies it, maps its
claims onto our rows, exchanges ``rest.refreshToken`` at ``/v1/requestToken`` and keeps the
rotated token in the wallet.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import time
from typing import Any

import asyncpg
import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from app.main import create_app
from app.settings import Settings
from simulator.auth_legacy import mint_legacy_jwt
from tests.app.signin.conftest import APP_ORIGIN, AppOrNetwork, Mce, count_rows, signin_settings

pytestmark = pytest.mark.usefixtures("db")


def minted(mce: Mce, user: str = "ada.admin", mid: int | None = None) -> tuple[str, dict[str, Any]]:
    person = mce.user(user)
    return mint_legacy_jwt(mce.sim, user=person, mid=mid or person.default_mid, base_url=mce.url)


MCE_ORIGIN = "https://mc.s7.exacttarget.com"  # one of the default FRAME_ANCESTORS


async def post_jwt(
    browser: httpx.AsyncClient, token: str, *, origin: str | None = MCE_ORIGIN
) -> httpx.Response:
    """The form post MCE's page makes (its Origin is an MCE host)."""
    headers = {"Origin": origin} if origin is not None else {}
    return await browser.post(
        "/api/auth/login", data={"jwt": token}, headers=headers, follow_redirects=False
    )


async def refused(
    browser: httpx.AsyncClient, token: str, conn: asyncpg.Connection, reason: str
) -> None:
    response = await post_jwt(browser, token, origin=MCE_ORIGIN)
    assert response.status_code == 400, response.text
    assert "Sign-in refused" in response.text
    assert browser.cookies.get("__Host-quarry_session") is None
    rows = await conn.fetch(
        "SELECT details FROM audit_events WHERE action = 'auth.sign_in' AND request_id = $1",
        response.headers["x-request-id"],
    )
    assert [json.loads(r["details"])["reason"] for r in rows] == [reason]


def resign(claims: dict[str, Any], secret: str) -> str:
    return jwt.encode(claims, secret, algorithm="HS256")


def hmac_signed(claims: dict[str, Any], secret: str, *, alg: str) -> str:
    """An HMAC-SHA256 signature under a header that announces ``alg`` (built by hand: PyJWT
    would not sign with a mismatched header)."""

    def b64(data: bytes) -> str:
        return jwt.utils.base64url_encode(data).decode()

    signing_input = b64(json.dumps({"alg": alg, "typ": "JWT"}).encode())
    signing_input += "." + b64(json.dumps(claims).encode())
    mac = hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(mac)}"


async def test_jwt_claims_map_onto_our_rows(
    browser: httpx.AsyncClient, mce: Mce, admin_conn: asyncpg.Connection
) -> None:
    mia = mce.user("mia.marketer")
    token, claims = minted(mce, "mia.marketer")
    response = await post_jwt(browser, token)
    assert response.status_code == 303 and response.headers["location"] == "/"
    assert browser.cookies.get("__Host-quarry_session")

    request = claims["request"]
    user = await admin_conn.fetchrow(
        "SELECT * FROM users WHERE tenant_id = $1 AND mce_user_id = $2",
        request["organization"]["enterpriseId"],
        request["user"]["id"],
    )
    assert user is not None
    assert (user["email"], user["name"], user["locale"], user["time_zone"]) == (
        mia.email,
        mia.email,
        request["user"]["culture"],
        request["user"]["timezone"]["shortName"],
    )
    unit = await admin_conn.fetchrow(
        "SELECT mid, parent_mid FROM business_units WHERE tenant_id = $1", mce.eid
    )
    assert unit is not None
    assert (unit["mid"], unit["parent_mid"]) == (request["organization"]["id"], mce.eid)
    wallet = await admin_conn.fetch(
        "SELECT mid, kind, status FROM wallet_entries WHERE tenant_id = $1", mce.eid
    )
    assert [tuple(r) for r in wallet] == [(mia.default_mid, "legacy", "active")]
    # The JWT's refresh token was exchanged (and so spent): MCE refuses it now.
    legacy = mce.sim.legacy_package
    async with httpx.AsyncClient(base_url=mce.url) as mce_http:
        again = await mce_http.post(
            "v1/requestToken",
            json={
                "clientId": legacy.client_id,
                "clientSecret": legacy.client_secret,
                "refreshToken": request["rest"]["refreshToken"],
                "accessType": "offline",
            },
        )
    assert again.status_code == 401
    assert (await browser.get("/")).status_code == 200


async def test_replayed_jti(
    browser: httpx.AsyncClient, mce: Mce, admin_conn: asyncpg.Connection
) -> None:
    token, _ = minted(mce)
    assert (await post_jwt(browser, token)).status_code == 303
    browser.cookies.clear()
    await refused(browser, token, admin_conn, "jwt_replayed")


async def test_alg_none(
    browser: httpx.AsyncClient, mce: Mce, admin_conn: asyncpg.Connection
) -> None:
    _, claims = minted(mce)
    token = jwt.encode(claims, key=None, algorithm="none")
    await refused(browser, token, admin_conn, "jwt_algorithm")
    await refused(browser, token.rstrip(".") + ".", admin_conn, "jwt_algorithm")
    assert await count_rows(admin_conn, "users", mce.eid) == 0


async def test_rs256_and_hs_confusion(
    browser: httpx.AsyncClient, mce: Mce, admin_conn: asyncpg.Connection
) -> None:
    _, claims = minted(mce)
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    await refused(
        browser, jwt.encode(claims, private, algorithm="RS256"), admin_conn, "jwt_algorithm"
    )
    # HS256 signed with the secret but announcing RS256: the header is not trusted.
    secret = mce.sim.legacy_package.jwt_signing_secret or ""
    await refused(browser, hmac_signed(claims, secret, alg="RS256"), admin_conn, "jwt_algorithm")
    # The same by-hand signer with the right header is accepted: the check above is the alg.
    ok = await post_jwt(browser, hmac_signed(claims, secret, alg="HS256"))
    assert ok.status_code == 303


async def test_wrong_secret_and_tampered_payload(
    browser: httpx.AsyncClient, mce: Mce, admin_conn: asyncpg.Connection
) -> None:
    token, claims = minted(mce)
    await refused(browser, resign(claims, "x" * 64), admin_conn, "jwt_signature")
    header, _payload, signature = token.split(".")
    forged = copy.deepcopy(claims)
    forged["request"]["organization"]["enterpriseId"] = 1
    forged_payload = jwt.utils.base64url_encode(json.dumps(forged).encode()).decode()
    await refused(browser, f"{header}.{forged_payload}.{signature}", admin_conn, "jwt_signature")
    assert await count_rows(admin_conn, "users", mce.eid) == 0


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"exp": int(time.time()) - 120}, "jwt_expired"),
        ({"iat": int(time.time()) + 3600}, "jwt_not_yet_valid"),
        ({"nbf": int(time.time()) + 3600}, "jwt_not_yet_valid"),
        ({"exp": None}, "jwt_missing_claim"),
        ({"jti": None}, "jwt_missing_claim"),
        ({"request": None}, "jwt_claims"),
        ({"request": {"claimsVersion": 2}}, "jwt_claims"),
        ({"exp": "tomorrow"}, "jwt_malformed"),
    ],
)
async def test_bad_claims(
    change: dict[str, Any],
    reason: str,
    browser: httpx.AsyncClient,
    mce: Mce,
    admin_conn: asyncpg.Connection,
) -> None:
    _, claims = minted(mce)
    for key, value in change.items():
        if value is None:
            claims.pop(key)
        else:
            claims[key] = value
    secret = mce.sim.legacy_package.jwt_signing_secret or ""
    await refused(browser, resign(claims, secret), admin_conn, reason)
    assert await count_rows(admin_conn, "users", mce.eid) == 0


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        ("", "jwt_size"),
        ("abc", "jwt_malformed"),
        ("a.b.c", "jwt_malformed"),
        ("x" * 9000, "jwt_size"),
    ],
)
async def test_malformed_or_oversized(
    token: str, reason: str, browser: httpx.AsyncClient, mce: Mce, admin_conn: asyncpg.Connection
) -> None:
    await refused(browser, token, admin_conn, reason)


async def test_jwt_sent_as_json_is_not_a_form_post(
    browser: httpx.AsyncClient, mce: Mce, admin_conn: asyncpg.Connection
) -> None:
    token, _ = minted(mce)
    response = await browser.post(
        "/api/auth/login",
        json={"jwt": token},
        headers={"Origin": MCE_ORIGIN},
        follow_redirects=False,
    )
    assert response.status_code == 400
    assert await count_rows(admin_conn, "users", mce.eid) == 0


async def test_legacy_sign_in_is_off_without_a_signing_secret(
    db: Settings, mce: Mce, admin_conn: asyncpg.Connection
) -> None:
    settings = signin_settings(db, mce, MCE_LEGACY_JWT_SECRET="")
    application = create_app(settings, manage_orm=False)
    token, _ = minted(mce)
    async with (
        application.router.lifespan_context(application),
        httpx.AsyncClient(transport=AppOrNetwork(application), base_url=APP_ORIGIN) as browser,
    ):
        await refused(browser, token, admin_conn, "legacy_disabled")


async def test_the_unverified_flat_claim_shape_is_refused(
    browser: httpx.AsyncClient, mce: Mce, admin_conn: asyncpg.Connection
) -> None:
    """REFERENCE §1.3 marks a flat claim shape (user_id, member_id, ...) [unverified]: it is
    refused rather than guessed at."""
    person = mce.user("ada.admin")
    token, _ = mint_legacy_jwt(
        mce.sim, user=person, mid=person.default_mid, base_url=mce.url, variant="flat"
    )
    await refused(browser, token, admin_conn, "jwt_claims")
    assert await count_rows(admin_conn, "users", mce.eid) == 0


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Origin": "https://mc.exacttarget.com.evil.example"},
        {"Origin": "https://x:notaport"},
        {"Referer": "https://evil.example/page"},
    ],
)
async def test_a_jwt_not_posted_by_mce_is_refused(
    headers: dict[str, str], browser: httpx.AsyncClient, mce: Mce, admin_conn: asyncpg.Connection
) -> None:
    """Login CSRF: a captured JWT posted from another site would sign the victim in as the
    attacker. Only MCE's own hosts may post it; the JWT itself stays unspent."""
    token, _ = minted(mce)
    response = await browser.post(
        "/api/auth/login", data={"jwt": token}, headers=headers, follow_redirects=False
    )
    assert response.status_code == 400
    rows = await admin_conn.fetch(
        "SELECT details FROM audit_events WHERE action = 'auth.sign_in' AND request_id = $1",
        response.headers["x-request-id"],
    )
    assert [json.loads(r["details"])["reason"] for r in rows] == ["legacy_origin"]
    assert await count_rows(admin_conn, "users", mce.eid) == 0
    # The JWT was not spent: MCE's own post of it still works.
    assert (await post_jwt(browser, token)).status_code == 303


async def test_a_referer_from_mce_stands_in_for_a_missing_origin(
    browser: httpx.AsyncClient, mce: Mce
) -> None:
    token, _ = minted(mce)
    response = await browser.post(
        "/api/auth/login",
        data={"jwt": token},
        headers={"Referer": f"{MCE_ORIGIN}/cloud/#app/Quarry"},
        follow_redirects=False,
    )
    assert response.status_code == 303


@pytest.mark.parametrize(
    "request_kwargs",
    [
        {"files": {"jwt": ("jwt.txt", b"abc")}},  # an upload, not a field
        {"data": {f"field{i}": "x" for i in range(30)}},  # more fields than a login has
        {"content": b"jwt=%ZZ%", "headers": {"content-type": "application/x-www-form-urlencoded"}},
        {
            "content": b"--b\r\nbroken",
            "headers": {"content-type": "multipart/form-data; boundary=b"},
        },
    ],
)
async def test_malformed_form_posts_are_a_400_not_a_500(
    request_kwargs: dict[str, object], browser: httpx.AsyncClient, mce: Mce
) -> None:
    headers = {"Origin": MCE_ORIGIN, **request_kwargs.pop("headers", {})}  # type: ignore[dict-item]
    response = await browser.post(
        "/api/auth/login", headers=headers, follow_redirects=False, **request_kwargs
    )  # type: ignore[arg-type]
    assert response.status_code == 400
    assert browser.cookies.get("__Host-quarry_session") is None
