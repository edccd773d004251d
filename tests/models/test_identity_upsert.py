"""Recording who signed in: race-free first sign-ins, and a suspension is never undone."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from models.identity_upsert import IdentityRecord, TenantSuspended, UnitRecord, upsert_identity
from tests.factories import next_id

pytestmark = pytest.mark.usefixtures("db")


def identity(tenant_id: int, mce_user_id: int) -> IdentityRecord:
    return IdentityRecord(
        tenant_id=tenant_id,
        tenant_name="Upsert Co",
        tssd="mc" + "1" * 26,
        mid=tenant_id,
        mce_user_id=mce_user_id,
        email=f"{mce_user_id}@upsert.example",
        name=f"user{mce_user_id}",
        locale="en-US",
        time_zone="UTC",
    )


async def test_two_first_sign_ins_at_once_make_exactly_one_admin(
    admin_conn: asyncpg.Connection,
) -> None:
    tenant_id = next_id()
    units = [UnitRecord(mid=tenant_id, name="Upsert Co", parent_mid=None)]
    results = await asyncio.gather(
        *(upsert_identity(identity(tenant_id, next_id()), units) for _ in range(6))
    )
    assert sum(r.is_admin for r in results) == 1
    assert (
        await admin_conn.fetchval(
            "SELECT count(*) FROM memberships WHERE tenant_id = $1 AND role = 'admin'", tenant_id
        )
        == 1
    )
    assert (
        await admin_conn.fetchval("SELECT count(*) FROM tenants WHERE tenant_id = $1", tenant_id)
        == 1
    )


async def test_a_suspended_tenant_stays_suspended_and_nothing_is_written(
    admin_conn: asyncpg.Connection,
) -> None:
    tenant_id = next_id()
    await upsert_identity(identity(tenant_id, next_id()), [])
    await admin_conn.execute(
        "UPDATE tenants SET status = 'suspended' WHERE tenant_id = $1", tenant_id
    )
    with pytest.raises(TenantSuspended):
        await upsert_identity(identity(tenant_id, next_id()), [])
    assert (
        await admin_conn.fetchval("SELECT status FROM tenants WHERE tenant_id = $1", tenant_id)
        == "suspended"
    )
    assert (
        await admin_conn.fetchval("SELECT count(*) FROM users WHERE tenant_id = $1", tenant_id) == 1
    )


async def test_an_uninstalled_tenant_is_reinstalled(admin_conn: asyncpg.Connection) -> None:
    tenant_id = next_id()
    await upsert_identity(identity(tenant_id, next_id()), [])
    await admin_conn.execute(
        "UPDATE tenants SET status = 'uninstalled' WHERE tenant_id = $1", tenant_id
    )
    await upsert_identity(identity(tenant_id, next_id()), [])
    assert (
        await admin_conn.fetchval("SELECT status FROM tenants WHERE tenant_id = $1", tenant_id)
        == "active"
    )
