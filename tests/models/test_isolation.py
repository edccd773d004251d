"""Tenant isolation through the repository and through raw SQL, as the app role."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.context import TortoiseContext
from tortoise.exceptions import OperationalError
from tortoise.transactions import in_transaction

from app.db import tortoise_config
from app.settings import Settings
from models import (
    ActorType,
    AuditEvent,
    CachedDataExtension,
    MissingTenantContext,
    Outcome,
    TenantContext,
    TenantRepository,
    User,
)
from models.audit import append_audit_event
from models.context import CONNECTION, tenant_transaction
from tests.factories import TenantFixture, make_data_extension, make_tenant, next_id

pytestmark = pytest.mark.usefixtures("db")


@pytest.fixture
async def two_tenants() -> tuple[TenantFixture, TenantFixture]:
    return await make_tenant("Acme"), await make_tenant("Globex")


async def test_repository_sees_only_its_tenant(
    two_tenants: tuple[TenantFixture, TenantFixture],
) -> None:
    a, b = two_tenants
    users_a = await TenantRepository(a.context()).of(User).list()
    assert [u.id for u in users_a] == [a.user.id]
    assert await TenantRepository(a.context()).of(User).get_or_none(id=b.user.id) is None


async def test_raw_sql_cannot_read_other_tenant(
    two_tenants: tuple[TenantFixture, TenantFixture],
) -> None:
    a, b = two_tenants
    rows = await TenantRepository(a.context()).fetch(
        "SELECT id FROM users WHERE tenant_id = $1", [b.tenant_id]
    )
    assert rows == []
    everything = await TenantRepository(a.context()).fetch("SELECT tenant_id FROM users")
    assert {row["tenant_id"] for row in everything} == {a.tenant_id}


async def test_cannot_update_or_delete_other_tenant(
    two_tenants: tuple[TenantFixture, TenantFixture],
) -> None:
    a, b = two_tenants
    repo_a = TenantRepository(a.context())
    assert await repo_a.of(User).update({"id": b.user.id}, name="pwned") == 0
    assert await repo_a.of(User).delete(id=b.user.id) == 0
    async with tenant_transaction(a.context()) as conn:
        updated, _ = await conn.execute_query(
            "UPDATE users SET name = 'pwned' WHERE tenant_id = $1", [b.tenant_id]
        )
        deleted, _ = await conn.execute_query("DELETE FROM users WHERE id = $1", [str(b.user.id)])
    assert (updated, deleted) == (0, 0)
    still_there = await TenantRepository(b.context()).of(User).get_or_none(id=b.user.id)
    assert still_there is not None and still_there.name == "Globex Ops"


async def test_insert_with_other_tenant_id_is_refused(
    two_tenants: tuple[TenantFixture, TenantFixture],
) -> None:
    a, b = two_tenants
    with pytest.raises(MissingTenantContext):
        await TenantRepository(a.context()).of(User).create(tenant_id=b.tenant_id, mce_user_id=1)
    with pytest.raises(OperationalError, match="row-level security"):
        async with tenant_transaction(a.context()) as conn:
            await conn.execute_query(
                "INSERT INTO users (id, tenant_id, mce_user_id, email, name, locale, time_zone,"
                " created_at, updated_at) VALUES (gen_random_uuid(), $1, $2, '', '', 'en-US',"
                " 'UTC', now(), now())",
                [b.tenant_id, next_id()],
            )
    assert await TenantRepository(b.context()).of(User).count() == 1


async def test_moving_a_row_to_another_tenant_is_refused(
    two_tenants: tuple[TenantFixture, TenantFixture],
) -> None:
    a, b = two_tenants
    with pytest.raises(MissingTenantContext):
        await (
            TenantRepository(a.context()).of(User).update({"id": a.user.id}, tenant_id=b.tenant_id)
        )
    with pytest.raises(OperationalError, match="row-level security"):
        async with tenant_transaction(a.context()) as conn:
            await conn.execute_query(
                "UPDATE users SET tenant_id = $1 WHERE id = $2", [b.tenant_id, str(a.user.id)]
            )


async def test_no_tenant_context_sees_nothing(
    two_tenants: tuple[TenantFixture, TenantFixture],
) -> None:
    async with in_transaction(CONNECTION) as conn:
        for table in ("tenants", "business_units", "users", "memberships", "mce_data_extensions"):
            _, rows = await conn.execute_query(f"SELECT * FROM {table}")  # noqa: S608
            assert rows == [], table
        assert await User.all().using_db(conn).count() == 0


async def test_repository_requires_a_context() -> None:
    with pytest.raises(MissingTenantContext):
        TenantRepository(None)  # type: ignore[arg-type]
    with pytest.raises(MissingTenantContext):
        TenantContext(tenant_id=0)


async def test_pool_of_one_never_leaks_context(test_settings: Settings) -> None:
    """A, then B, then no tenant, on the same backend: each sees only its own rows."""
    ctx = TortoiseContext()
    async with ctx:
        await ctx.init(config=tortoise_config(test_settings.app_database_url, max_size=1))
        a = await make_tenant("Initech")
        b = await make_tenant("Umbrella")
        seen: list[tuple[int, set[int]]] = []
        for tenant_ctx in (a.context(), b.context(), None):
            if tenant_ctx is None:
                async with in_transaction(CONNECTION) as conn:
                    pid = (await conn.execute_query_dict("SELECT pg_backend_pid() AS pid"))[0][
                        "pid"
                    ]
                    rows = await conn.execute_query_dict("SELECT tenant_id FROM users")
            else:
                repo = TenantRepository(tenant_ctx)
                pid = (await repo.fetch("SELECT pg_backend_pid() AS pid"))[0]["pid"]
                rows = await repo.fetch("SELECT tenant_id FROM users")
            seen.append((pid, {row["tenant_id"] for row in rows}))
    pids = {pid for pid, _ in seen}
    assert len(pids) == 1
    assert [tenants for _, tenants in seen] == [{a.tenant_id}, {b.tenant_id}, set()]


async def test_bu_sees_own_and_parent_shared_rows_only() -> None:
    t = await make_tenant("Hooli")
    child_a, child_b = t.child_mids
    await make_data_extension(t, mid=t.parent_mid, name="SharedSubscribers", shared=True)
    await make_data_extension(t, mid=t.parent_mid, name="ParentPrivate")
    await make_data_extension(t, mid=child_a, name="AOrders")
    await make_data_extension(t, mid=child_b, name="BOrders")
    await make_data_extension(t, mid=child_b, name="BSharedButChild", shared=True)

    async def names(mid: int) -> set[str]:
        rows = await TenantRepository(t.context(mid)).of(CachedDataExtension).list()
        return {row.name for row in rows}

    assert await names(child_a) == {"SharedSubscribers", "AOrders"}
    assert await names(child_b) == {"SharedSubscribers", "BOrders", "BSharedButChild"}
    assert await names(t.parent_mid) == {"SharedSubscribers", "ParentPrivate"}


async def test_bu_cannot_write_into_sibling() -> None:
    t = await make_tenant("Stark")
    child_a, child_b = t.child_mids
    with pytest.raises(OperationalError, match="row-level security"):
        await (
            TenantRepository(t.context(child_a))
            .of(CachedDataExtension)
            .create(mid=child_b, object_id="x", customer_key="sneaky", name="Sneaky")
        )


async def _audit(repo: TenantRepository) -> AuditEvent:
    return await repo.of(AuditEvent).create(
        actor_type="user", action="signin", outcome="success", details={"how": "test"}
    )


async def test_audit_is_append_only_for_the_app(
    two_tenants: tuple[TenantFixture, TenantFixture],
) -> None:
    a, b = two_tenants
    event = await _audit(TenantRepository(a.context()))
    with pytest.raises(OperationalError, match="permission denied"):
        async with tenant_transaction(a.context()) as conn:
            await conn.execute_query(
                "UPDATE audit_events SET outcome = 'failure' WHERE id = $1", [event.id]
            )
    with pytest.raises(OperationalError, match="permission denied"):
        async with tenant_transaction(a.context()) as conn:
            await conn.execute_query("DELETE FROM audit_events WHERE id = $1", [event.id])
    assert await TenantRepository(b.context()).of(AuditEvent).count(id=event.id) == 0
    assert await TenantRepository(a.context()).of(AuditEvent).count(id=event.id) == 1


async def test_audit_refuses_update_and_delete_even_for_the_owner(
    two_tenants: tuple[TenantFixture, TenantFixture], admin_conn: asyncpg.Connection
) -> None:
    a, _ = two_tenants
    event = await _audit(TenantRepository(a.context()))
    for statement in (
        "UPDATE audit_events SET outcome = 'failure' WHERE id = $1",
        "DELETE FROM audit_events WHERE id = $1",
    ):
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
            await admin_conn.execute(statement, event.id)
    with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
        await admin_conn.execute("TRUNCATE audit_events")
    assert (
        await admin_conn.fetchval("SELECT outcome FROM audit_events WHERE id = $1", event.id)
        == "success"
    )


async def _failed_signin(
    conn: BaseDBAsyncClient, *, tenant_id: int | None, target: str = ""
) -> None:
    await append_audit_event(
        conn,
        tenant_id=tenant_id,
        action="signin",
        outcome=Outcome.FAILURE,
        actor_type=ActorType.ANONYMOUS,
        target=target,
    )


async def test_audit_without_tenant_is_insertable_only_without_context() -> None:
    marker = f"probe-{next_id()}"
    async with in_transaction(CONNECTION) as conn:
        await _failed_signin(conn, tenant_id=None, target=marker)
        visible = await AuditEvent.filter(target=marker).using_db(conn).count()
    assert visible == 0  # pre-tenant events are for the system role only
    with pytest.raises(OperationalError, match="row-level security"):
        async with in_transaction(CONNECTION) as conn:
            await _failed_signin(conn, tenant_id=next_id())


async def test_system_role_reads_pre_tenant_audit(test_settings: Settings) -> None:
    marker = f"probe-{next_id()}"
    async with in_transaction(CONNECTION) as conn:
        await _failed_signin(conn, tenant_id=None, target=marker)
    system = await asyncpg.connect(test_settings.system_database_url)
    try:
        assert (
            await system.fetchval("SELECT count(*) FROM audit_events WHERE target = $1", marker)
            == 1
        )
    finally:
        await system.close()


async def test_nested_repository_calls_share_one_transaction() -> None:
    t = await make_tenant("Nakatomi")
    repo = TenantRepository(t.context())
    async with repo.transaction():
        outer = await repo.fetch("SELECT txid_current() AS tx")
        inner = await TenantRepository(t.context()).fetch("SELECT txid_current() AS tx")
    assert outer == inner


async def test_a_transaction_never_mixes_two_contexts(
    two_tenants: tuple[TenantFixture, TenantFixture],
) -> None:
    a, b = two_tenants
    async with TenantRepository(a.context()).transaction():
        with pytest.raises(MissingTenantContext, match="another tenant context"):
            await TenantRepository(b.context()).of(User).count()
        with pytest.raises(MissingTenantContext, match="another tenant context"):
            await TenantRepository(a.context(a.child_mids[0])).of(User).count()


async def test_one_repository_shared_by_concurrent_tasks() -> None:
    """Concurrent requests using one repository object get a transaction each."""
    t = await make_tenant("Gringotts")
    repo = TenantRepository(t.context())

    async def txid() -> int:
        async with repo.transaction():
            rows = await repo.fetch("SELECT txid_current() AS tx, pg_sleep(0.05)")
        return int(rows[0]["tx"])

    first, second = await asyncio.gather(txid(), txid())
    assert first != second
