"""The purge commands run as the system role, which sees every tenant: they must still touch
only the tenant they name (the repository adds the tenant filter that RLS adds for the app
role). Two tenants share an MCE user id, as mirrored tenants do."""

from __future__ import annotations

import asyncpg
import pytest

from app.settings import Settings
from tests.app.signin.test_account import run_cli
from tests.auth_helpers import new_api_token
from tests.factories import make_tenant

pytestmark = pytest.mark.usefixtures("db")


async def test_purges_touch_only_the_named_tenant(
    db: Settings, admin_conn: asyncpg.Connection
) -> None:
    target, bystander = await make_tenant("PurgeTarget"), await make_tenant("PurgeBystander")
    shared_id = target.user.mce_user_id
    await admin_conn.execute(
        "UPDATE users SET mce_user_id = $1 WHERE id = $2", shared_id, bystander.user.id
    )
    for tenant in (target, bystander):
        await new_api_token(tenant)

    removed = run_cli(db, "purge-user", "--tenant", str(target.tenant_id), "--user", str(shared_id))
    assert removed.returncode == 0, removed.stderr
    users = await admin_conn.fetch("SELECT tenant_id FROM users WHERE mce_user_id = $1", shared_id)
    assert [r["tenant_id"] for r in users] == [bystander.tenant_id]

    await new_api_token(bystander)
    uninstalled = run_cli(db, "purge-tenant", "--tenant", str(target.tenant_id), "--yes")
    assert uninstalled.returncode == 0, uninstalled.stderr
    tokens = await admin_conn.fetch(
        "SELECT tenant_id, count(*) AS n FROM api_tokens WHERE tenant_id = ANY($1::bigint[])"
        " GROUP BY tenant_id",
        [target.tenant_id, bystander.tenant_id],
    )
    assert {r["tenant_id"]: r["n"] for r in tokens} == {bystander.tenant_id: 2}
    statuses = await admin_conn.fetch(
        "SELECT tenant_id, status FROM tenants WHERE tenant_id = ANY($1::bigint[])",
        [target.tenant_id, bystander.tenant_id],
    )
    assert {r["tenant_id"]: r["status"] for r in statuses} == {
        target.tenant_id: "uninstalled",
        bystander.tenant_id: "active",
    }
