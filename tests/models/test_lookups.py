"""The allow-listed pre-tenant lookups work without a context and reveal only what they must."""

from __future__ import annotations

import hashlib

import asyncpg
import pytest

from app.settings import Settings
from models import ApiToken, TenantRepository, TokenScope, User
from models.lookups import find_api_token, find_tenant, find_user
from tests.factories import make_tenant, next_id

pytestmark = pytest.mark.usefixtures("db")


async def test_find_tenant_and_user_without_context() -> None:
    t = await make_tenant("Wayne")
    tenant = await find_tenant(t.tenant_id)
    assert tenant is not None and tenant.name == "Wayne" and tenant.status == "active"
    assert await find_tenant(next_id()) is None
    user = await find_user(t.tenant_id, t.user.mce_user_id)
    assert user is not None and user.id == t.user.id and user.tenant_id == t.tenant_id


async def test_find_user_is_scoped_by_tenant() -> None:
    a, b = await make_tenant("Oscorp"), await make_tenant("Cyberdyne")
    assert await find_user(b.tenant_id, a.user.mce_user_id) is None


async def test_find_api_token_by_hash() -> None:
    t = await make_tenant("Tyrell")
    token_hash = hashlib.sha256(f"secret-{next_id()}".encode()).hexdigest()
    await TenantRepository(t.context()).of(ApiToken).create(
        user_id=t.user.id, mid=t.parent_mid, name="ci", token_hash=token_hash,
        scope=TokenScope.READ,
    )  # fmt: skip
    found = await find_api_token(token_hash)
    assert found is not None
    assert (found.tenant_id, found.user_id, found.mid, found.scope) == (
        t.tenant_id, t.user.id, t.parent_mid, "read",
    )  # fmt: skip
    assert await find_api_token("0" * 64) is None


async def test_lookups_cannot_be_used_to_read_tables(test_settings: Settings) -> None:
    """The app role may execute the lookups, but the lookup role's rights do not leak to it."""
    await make_tenant("Soylent")
    conn = await asyncpg.connect(test_settings.app_database_url)
    try:
        assert await conn.fetchval("SELECT count(*) FROM users") == 0
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute("SET ROLE quarry_lookup")
    finally:
        await conn.close()


async def test_system_role_sees_every_tenant(test_settings: Settings) -> None:
    a, b = await make_tenant("Massive"), await make_tenant("Dynamic")
    conn = await asyncpg.connect(test_settings.system_database_url)
    try:
        seen = await conn.fetch(
            "SELECT tenant_id FROM users WHERE tenant_id = ANY($1::bigint[])",
            [a.tenant_id, b.tenant_id],
        )
    finally:
        await conn.close()
    assert {row["tenant_id"] for row in seen} == {a.tenant_id, b.tenant_id}
    assert await TenantRepository(a.context()).of(User).count() == 1
