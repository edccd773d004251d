"""Switching BU inside the app, removing a user, uninstalling: through GraphQL as the SPA
calls it, and the operator commands that do the same from the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import asyncpg
import httpx
import pytest
from starlette.applications import Starlette

from app.settings import Settings
from tests.app.signin.conftest import APP_ORIGIN, AppOrNetwork, Mce, count_rows, graphql
from tests.app.signin.test_enhanced import sign_in

pytestmark = pytest.mark.usefixtures("db")

ROOT = Path(__file__).resolve().parents[3]

SWITCH = """mutation($mid: String!) { switchBusinessUnit(input: {mid: $mid}) {
  viewer { businessUnit { mid name } } userErrors { code field message } } }"""
REMOVE = """mutation($id: ID!) { removeUser(input: {userId: $id}) {
  removedUserId endedSessions revokedApiTokens userErrors { code field message } } }"""
UNINSTALL = """mutation($eid: String!) { uninstallTenant(input: {confirmEnterpriseId: $eid}) {
  uninstalled endedSessions userErrors { code field message } } }"""


def child_mid(mce: Mce, name_suffix: str = "US") -> int:
    return next(
        bu.mid for bu in mce.sim.store.business_units.values() if bu.name.endswith(name_suffix)
    )


async def user_id(conn: asyncpg.Connection, mce: Mce, username: str) -> str:
    value = await conn.fetchval(
        "SELECT id FROM users WHERE tenant_id = $1 AND mce_user_id = $2",
        mce.eid,
        mce.user(username).id,
    )
    return str(value)


async def signed_in(browser: httpx.AsyncClient) -> bool:
    return bool((await browser.get("/api/auth/session")).json()["signedIn"])


async def test_switch_business_unit_moves_the_session_and_no_token(
    browser: httpx.AsyncClient, mce: Mce, admin_conn: asyncpg.Connection
) -> None:
    """A pure session change: the one lineage stays as it is (it mints a token for the new
    BU only when a call there needs one)."""
    await sign_in(browser, mce)
    before = await _wallet_rows(admin_conn, mce)
    assert [(mid, status) for mid, status, _version in before] == [(mce.eid, "active")]
    target = child_mid(mce)
    body = await graphql(browser, SWITCH, {"mid": str(target)})
    payload = body["data"]["switchBusinessUnit"]
    assert payload["userErrors"] == []
    assert payload["viewer"]["businessUnit"]["mid"] == str(target)
    viewer = await graphql(browser, "{ viewer { businessUnit { mid } } }")
    assert viewer["data"]["viewer"]["businessUnit"]["mid"] == str(target)
    assert await _wallet_rows(admin_conn, mce) == before
    assert (
        await admin_conn.fetchval(
            "SELECT count(*) FROM audit_events WHERE tenant_id = $1"
            " AND action = 'auth.switch_business_unit' AND target = $2",
            mce.eid,
            f"bu:{target}",
        )
        == 1
    )
    # And back again.
    back = await graphql(browser, SWITCH, {"mid": str(mce.eid)})
    assert back["data"]["switchBusinessUnit"]["viewer"]["businessUnit"]["mid"] == str(mce.eid)
    assert await _wallet_rows(admin_conn, mce) == before


async def _wallet_rows(admin_conn: asyncpg.Connection, mce: Mce) -> list[tuple[int, str, int]]:
    rows = await admin_conn.fetch(
        "SELECT mid, status, version FROM wallet_entries WHERE tenant_id = $1 ORDER BY mid",
        mce.eid,
    )
    return [(r["mid"], r["status"], r["version"]) for r in rows]


@pytest.mark.parametrize(
    ("mid", "code"),
    [
        ("abc", "INVALID_INPUT"),
        ("-1", "INVALID_INPUT"),
        ("0", "INVALID_INPUT"),
        ("", "INVALID_INPUT"),
        ("99999999", "NOT_FOUND"),
        ("9" * 40, "INVALID_INPUT"),
    ],
)
async def test_switch_refuses_bad_or_foreign_business_units(
    mid: str, code: str, browser: httpx.AsyncClient, mce: Mce
) -> None:
    await sign_in(browser, mce)
    payload = (await graphql(browser, SWITCH, {"mid": mid}))["data"]["switchBusinessUnit"]
    assert payload["viewer"] is None
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [(code, "mid")]


async def test_legacy_sessions_switch_only_between_bus_they_were_opened_from(
    browser: httpx.AsyncClient, mce: Mce
) -> None:
    from tests.app.signin.test_legacy import minted, post_jwt

    await sign_in(browser, mce)  # an enhanced sign-in records Ada's memberships in every BU
    browser.cookies.clear()
    child = child_mid(mce)
    token, _ = minted(mce)
    assert (await post_jwt(browser, token)).status_code == 303
    payload = (await graphql(browser, SWITCH, {"mid": str(child)}))["data"]
    errors = payload["switchBusinessUnit"]["userErrors"]
    assert [(e["code"], e["field"]) for e in errors] == [("BU_SWITCH_NEEDS_SIGN_IN", "mid")]
    assert "one business unit at a time" in errors[0]["message"]

    # Opened from the child BU in Marketing Cloud too: both legacy entries exist now.
    token, _ = minted(mce, mid=child)
    assert (await post_jwt(browser, token)).status_code == 303
    home = str(mce.user().default_mid)
    payload = (await graphql(browser, SWITCH, {"mid": home}))["data"]["switchBusinessUnit"]
    assert payload["userErrors"] == []
    assert payload["viewer"]["businessUnit"]["mid"] == home


async def test_admin_removes_a_user_and_their_sessions_end(
    app: Starlette, browser: httpx.AsyncClient, mce: Mce, admin_conn: asyncpg.Connection
) -> None:
    await sign_in(browser, mce, "ada.admin")
    async with httpx.AsyncClient(
        transport=AppOrNetwork(app), base_url=APP_ORIGIN, follow_redirects=True
    ) as mia_browser:
        await sign_in(mia_browser, mce, "mia.marketer")
        mia = await user_id(admin_conn, mce, "mia.marketer")
        # Mia is no administrator.
        denied = await graphql(
            mia_browser, REMOVE, {"id": await user_id(admin_conn, mce, "ada.admin")}
        )
        assert [e["code"] for e in denied["data"]["removeUser"]["userErrors"]] == ["FORBIDDEN"]
        removed = (await graphql(browser, REMOVE, {"id": mia}))["data"]["removeUser"]
        assert removed["userErrors"] == []
        assert (removed["removedUserId"], removed["endedSessions"]) == (mia, 1)
        assert await signed_in(mia_browser) is False
    assert await admin_conn.fetchval("SELECT count(*) FROM users WHERE id = $1::uuid", mia) == 0
    assert (
        await admin_conn.fetchval(
            "SELECT count(*) FROM wallet_entries WHERE user_id = $1::uuid", mia
        )
        == 0
    )
    assert await signed_in(browser) is True
    for bad, code in (("not-a-uuid", "INVALID_INPUT"), (mia, "NOT_FOUND")):
        again = (await graphql(browser, REMOVE, {"id": bad}))["data"]["removeUser"]
        assert [(e["code"], e["field"]) for e in again["userErrors"]] == [(code, "userId")]


async def test_uninstall_purges_the_tenant_and_a_new_sign_in_reinstalls(
    browser: httpx.AsyncClient, mce: Mce, admin_conn: asyncpg.Connection
) -> None:
    await sign_in(browser, mce)
    wrong = (await graphql(browser, UNINSTALL, {"eid": "1"}))["data"]["uninstallTenant"]
    assert [e["code"] for e in wrong["userErrors"]] == ["INVALID_INPUT"]
    done = (await graphql(browser, UNINSTALL, {"eid": str(mce.eid)}))["data"]["uninstallTenant"]
    assert (done["uninstalled"], done["endedSessions"], done["userErrors"]) == (True, 1, [])
    assert await signed_in(browser) is False
    status = await admin_conn.fetchval("SELECT status FROM tenants WHERE tenant_id = $1", mce.eid)
    assert status == "uninstalled"
    for table in ("wallet_entries", "wallet_data_keys", "api_tokens"):
        assert await count_rows(admin_conn, table, mce.eid) == 0, table
    await sign_in(browser, mce)
    status = await admin_conn.fetchval("SELECT status FROM tenants WHERE tenant_id = $1", mce.eid)
    assert status == "active"
    assert await signed_in(browser) is True


def run_cli(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "QUARRY_ENV": "test",
        "DATABASE_URL": settings.database_url,
        "REDIS_URL": settings.redis_url,
    }
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def test_cli_purges_a_user_then_the_tenant(
    db: Settings, browser: httpx.AsyncClient, mce: Mce, admin_conn: asyncpg.Connection
) -> None:
    await sign_in(browser, mce, "ada.admin")
    ada = mce.user("ada.admin")
    unknown = run_cli(db, "purge-user", "--tenant", str(mce.eid), "--user", "1")
    assert unknown.returncode == 2 and "no user 1" in unknown.stderr
    removed = run_cli(db, "purge-user", "--tenant", str(mce.eid), "--user", str(ada.id))
    assert removed.returncode == 0, removed.stderr
    assert "1 sessions ended" in removed.stdout
    assert await signed_in(browser) is False
    assert await count_rows(admin_conn, "users", mce.eid) == 0
    unconfirmed = run_cli(db, "purge-tenant", "--tenant", str(mce.eid))
    assert unconfirmed.returncode == 2 and "--yes" in unconfirmed.stderr
    uninstalled = run_cli(db, "purge-tenant", "--tenant", str(mce.eid), "--yes")
    assert uninstalled.returncode == 0, uninstalled.stderr
    actors = await admin_conn.fetch(
        "SELECT action, actor_type FROM audit_events WHERE tenant_id = $1"
        " AND action LIKE 'admin.%' ORDER BY id",
        mce.eid,
    )
    assert [tuple(a) for a in actors] == [
        ("admin.user_removed", "system"),
        ("admin.tenant_uninstalled", "system"),
    ]
    assert run_cli(db, "purge-tenant", "--tenant", "7", "--yes").returncode == 2
    assert run_cli(db, "purge-user", "--tenant", "x", "--user", "1").returncode == 2


async def test_api_tokens_cannot_switch_remove_or_uninstall(
    app: Starlette, browser: httpx.AsyncClient, mce: Mce
) -> None:
    await sign_in(browser, mce)
    created = await graphql(
        browser,
        'mutation { createApiToken(input: {name: "ops", scope: READ_WRITE}) {'
        " token userErrors { code } } }",
    )
    token = created["data"]["createApiToken"]["token"]
    async with httpx.AsyncClient(transport=AppOrNetwork(app), base_url=APP_ORIGIN) as bot:
        for query, variables, field in (
            (SWITCH, {"mid": str(child_mid(mce))}, "switchBusinessUnit"),
            (REMOVE, {"id": "00000000-0000-0000-0000-000000000000"}, "removeUser"),
            (UNINSTALL, {"eid": str(mce.eid)}, "uninstallTenant"),
        ):
            response = await bot.post(
                "/api/graphql",
                json={"query": query, "variables": variables},
                headers={"Authorization": f"Bearer {token}"},
            )
            payload = response.json()["data"][field]
            assert [e["code"] for e in payload["userErrors"]] == ["FORBIDDEN"], field
    assert await signed_in(browser) is True


async def test_suspension_ends_sessions_and_blocks_sign_in_until_resumed(
    db: Settings, browser: httpx.AsyncClient, mce: Mce, admin_conn: asyncpg.Connection
) -> None:
    await sign_in(browser, mce)
    suspended = run_cli(db, "suspend-tenant", "--tenant", str(mce.eid))
    assert suspended.returncode == 0, suspended.stderr
    assert "1 sessions ended" in suspended.stdout
    assert await signed_in(browser) is False
    refused = await sign_in(browser, mce)
    assert refused.status_code == 400 and "suspended" in refused.text
    assert await signed_in(browser) is False
    again = run_cli(db, "suspend-tenant", "--tenant", str(mce.eid))
    assert again.returncode == 2 and "not active" in again.stderr
    assert run_cli(db, "resume-tenant", "--tenant", str(mce.eid)).returncode == 0
    await sign_in(browser, mce)
    assert await signed_in(browser) is True
    actions = await admin_conn.fetch(
        "SELECT action FROM audit_events WHERE tenant_id = $1 AND action LIKE 'admin.tenant_%'"
        " ORDER BY id",
        mce.eid,
    )
    assert [a["action"] for a in actions] == ["admin.tenant_suspended", "admin.tenant_resumed"]
    assert run_cli(db, "resume-tenant", "--tenant", str(mce.eid)).returncode == 2


def test_suspending_or_resuming_an_unknown_tenant_exits_2(db: Settings) -> None:
    for command in ("suspend-tenant", "resume-tenant"):
        result = run_cli(db, command, "--tenant", "7")
        assert result.returncode == 2 and "No such account" in result.stderr, command
    assert run_cli(db, "suspend-tenant", "--tenant", "seven").returncode == 2
