"""Removing a user and uninstalling a tenant, against writes in flight and cached tokens.

Real Postgres (two connections contending for the tenant's data keys) and real Redis.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from uuid import UUID

import asyncpg
import pytest
import pytest_asyncio
from redis.asyncio import Redis

from app.settings import Settings
from client.secret import Secret
from client.tokens import AccessToken
from models import (
    BusinessUnit,
    GrantKind,
    Tenant,
    TenantContext,
    TenantRepository,
    TenantStatus,
    User,
)
from services.audit import SYSTEM_ACTOR, RequestMeta
from services.purge import purge_tenant, purge_user
from services.redis_keys import access_token_key
from services.sessions import SessionStore
from services.wallet import TenantUninstalled, TokenWallet
from services.wallet.access_cache import AccessTokenCache
from tests.factories import (
    TenantFixture,
    make_member,
    make_tenant,
    make_wallet_entry,
    next_id,
)
from tests.services.wallet.helpers import audit_actions

META = RequestMeta(user_agent="wallet-tests")


@pytest.fixture
def sessions(redis: Redis) -> SessionStore:
    return SessionStore(redis, idle_seconds=60, absolute_seconds=120)


@pytest_asyncio.fixture
async def tenant(db: Settings, redis: Redis) -> AsyncIterator[TenantFixture]:
    made = await make_tenant()
    yield made
    async for name in redis.scan_iter(match=f"quarry:wallet:*:{made.tenant_id}*"):
        await redis.delete(name)


async def _store(wallet: TokenWallet, tenant: TenantFixture) -> None:
    await wallet.put_refresh_token(
        tenant.context(),
        user_id=tenant.user.id,
        mid=tenant.parent_mid,
        kind=GrantKind.ENHANCED,
        token=Secret("a"),
    )


async def _counts(admin: asyncpg.Connection, tenant_id: int) -> tuple[int, int]:
    row = await admin.fetchrow(
        "SELECT (SELECT count(*) FROM wallet_entries WHERE tenant_id = $1) AS entries,"
        " (SELECT count(*) FROM wallet_data_keys WHERE tenant_id = $1) AS keys",
        tenant_id,
    )
    assert row is not None
    return int(row["entries"]), int(row["keys"])


async def _wait_until_blocked_by(admin: asyncpg.Connection, pid: int) -> None:
    """Poll until some backend waits for a lock held by backend ``pid`` (5 s at most)."""
    deadline = time.monotonic() + 5
    while not await admin.fetchval(
        "SELECT count(*) FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))", pid
    ):
        assert time.monotonic() < deadline, "nothing ever waited for the held lock"
        await asyncio.sleep(0.01)


async def _mark_uninstalled(repo: TenantRepository) -> None:
    await repo.of(Tenant).update({"tenant_id": repo.ctx.tenant_id}, status=TenantStatus.UNINSTALLED)


# ------------------------------------------------------------------ writes in flight
async def test_uninstall_waits_for_a_write_in_flight_and_deletes_what_it_wrote(
    tenant: TenantFixture,
    wallet: TokenWallet,
    sessions: SessionStore,
    admin_conn: asyncpg.Connection,
) -> None:
    ctx = tenant.context()
    await _store(wallet, tenant)
    written, release = asyncio.Event(), asyncio.Event()
    writer_pid: list[int] = []

    async def write_in_flight() -> None:
        # What a sign-in or BU switch does: a new entry under the active key, not committed
        # until released.
        repo = TenantRepository(ctx)
        async with repo.transaction():
            writer_pid.append((await repo.fetch("SELECT pg_backend_pid() AS pid"))[0]["pid"])
            await wallet._upsert(
                repo,
                user_id=tenant.user.id,
                mid=tenant.child_mids[0],
                kind=GrantKind.ENHANCED,
                token=Secret("b"),
                scopes="",
            )
            written.set()
            await release.wait()

    writer = asyncio.create_task(write_in_flight())
    await written.wait()
    purge = asyncio.create_task(
        purge_tenant(ctx, sessions=sessions, wallet=wallet, actor=SYSTEM_ACTOR, meta=META)
    )
    await _wait_until_blocked_by(admin_conn, writer_pid[0])
    release.set()
    await writer
    await purge  # before the fix: the key delete failed on the new entry's foreign key

    assert await _counts(admin_conn, tenant.tenant_id) == (0, 0)
    status = await admin_conn.fetchval(
        "SELECT status FROM tenants WHERE tenant_id = $1", tenant.tenant_id
    )
    assert status == TenantStatus.UNINSTALLED.value


async def test_a_write_waiting_for_the_uninstall_is_refused_and_creates_no_key(
    tenant: TenantFixture, wallet: TokenWallet, admin_conn: asyncpg.Connection
) -> None:
    ctx = tenant.context()
    await _store(wallet, tenant)
    done, release = asyncio.Event(), asyncio.Event()
    uninstaller_pid: list[int] = []

    async def uninstall_not_yet_committed() -> None:
        # purge_tenant's transaction, held open before its commit.
        repo = TenantRepository(ctx)
        async with repo.transaction():
            uninstaller_pid.append((await repo.fetch("SELECT pg_backend_pid() AS pid"))[0]["pid"])
            await _mark_uninstalled(repo)
            await wallet.delete_for_tenant(ctx)
            done.set()
            await release.wait()

    uninstall = asyncio.create_task(uninstall_not_yet_committed())
    await done.wait()
    write = asyncio.create_task(
        wallet.put_refresh_token(
            ctx,
            user_id=tenant.user.id,
            mid=tenant.child_mids[0],
            kind=GrantKind.ENHANCED,
            token=Secret("late"),
        )
    )
    await _wait_until_blocked_by(admin_conn, uninstaller_pid[0])
    release.set()
    await uninstall
    # Before the fix the late write created a fresh active key and a readable entry.
    with pytest.raises(TenantUninstalled):
        await write
    assert await _counts(admin_conn, tenant.tenant_id) == (0, 0)


async def test_every_write_after_the_uninstall_is_refused(
    tenant: TenantFixture,
    wallet: TokenWallet,
    sessions: SessionStore,
    redis: Redis,
    admin_conn: asyncpg.Connection,
) -> None:
    ctx, user = tenant.context(), tenant.user.id
    await wallet.put_refresh_token(
        ctx, user_id=user, mid=tenant.parent_mid, kind=GrantKind.ENHANCED, token=Secret("a")
    )
    entry = await wallet.read(ctx, user_id=user, mid=tenant.parent_mid)
    assert entry is not None
    await purge_tenant(ctx, sessions=sessions, wallet=wallet, actor=SYSTEM_ACTOR, meta=META)

    # A refresh minting another BU, a sign-in and a cached access token finishing after the
    # uninstall:
    with pytest.raises(TenantUninstalled):
        await wallet.replace_refresh_token(
            ctx, entry=entry, token=Secret("r"), mid=tenant.child_mids[0]
        )
    with pytest.raises(TenantUninstalled):
        await wallet.put_refresh_token(
            ctx, user_id=user, mid=tenant.parent_mid, kind=GrantKind.ENHANCED, token=Secret("s")
        )
    cache = AccessTokenCache(redis=redis, keyring=wallet.keyring, safety_margin=timedelta(0))
    token = AccessToken(value=Secret("x"), expires_at=datetime.now(UTC) + timedelta(hours=1))
    with pytest.raises(TenantUninstalled):
        await cache.put(TenantRepository(ctx), mid=tenant.parent_mid, user_id=user, token=token)
    assert await _counts(admin_conn, tenant.tenant_id) == (0, 0)
    assert await redis.exists(access_token_key(tenant.tenant_id, tenant.parent_mid, user)) == 0

    # Signing in again reinstalls the tenant before it stores the token: that write works.
    repo = TenantRepository(ctx)
    await repo.of(Tenant).update({"tenant_id": tenant.tenant_id}, status=TenantStatus.ACTIVE)
    await wallet.put_refresh_token(
        ctx, user_id=user, mid=tenant.parent_mid, kind=GrantKind.ENHANCED, token=Secret("back")
    )
    stored = await wallet.read(ctx, user_id=user, mid=tenant.parent_mid)
    assert stored is not None and stored.token == Secret("back")


# ------------------------------------------------------------------ cached access tokens
async def _cache_token(
    wallet: TokenWallet, redis: Redis, ctx: TenantContext, *, user_id: UUID, mid: int
) -> str:
    cache = AccessTokenCache(redis=redis, keyring=wallet.keyring, safety_margin=timedelta(0))
    token = AccessToken(
        value=Secret(f"access-{next_id()}"), expires_at=datetime.now(UTC) + timedelta(hours=1)
    )
    assert await cache.put(TenantRepository(ctx), mid=mid, user_id=user_id, token=token)
    return access_token_key(ctx.tenant_id, mid, user_id)


async def test_removing_a_user_deletes_their_cached_access_tokens_in_every_bu(
    tenant: TenantFixture,
    wallet: TokenWallet,
    sessions: SessionStore,
    redis: Redis,
) -> None:
    ctx = tenant.context()
    other = (await TenantRepository(ctx).of(User).create(mce_user_id=next_id())).id
    removed = [
        await _cache_token(wallet, redis, ctx, user_id=tenant.user.id, mid=mid)
        for mid in (tenant.parent_mid, *tenant.child_mids)
    ]
    kept = await _cache_token(wallet, redis, ctx, user_id=other, mid=tenant.parent_mid)
    assert await redis.exists(*removed) == 3

    await purge_user(
        ctx, user_id=tenant.user.id, sessions=sessions, wallet=wallet, actor=SYSTEM_ACTOR, meta=META
    )
    assert await redis.exists(*removed) == 0
    assert await redis.exists(kept) == 1


async def test_uninstalling_deletes_every_cached_access_token_of_the_tenant_only(
    tenant: TenantFixture,
    wallet: TokenWallet,
    sessions: SessionStore,
    redis: Redis,
) -> None:
    ctx = tenant.context()
    other = (await TenantRepository(ctx).of(User).create(mce_user_id=next_id())).id
    names = [
        await _cache_token(wallet, redis, ctx, user_id=user, mid=mid)
        for user in (tenant.user.id, other)
        for mid in (tenant.parent_mid, tenant.child_mids[1])
    ]
    # A tenant whose id starts with this one's digits must keep its tokens.
    neighbour = access_token_key(int(f"{tenant.tenant_id}7"), tenant.parent_mid, other)
    await redis.set(neighbour, b"opaque", ex=60)

    await purge_tenant(ctx, sessions=sessions, wallet=wallet, actor=SYSTEM_ACTOR, meta=META)
    assert await redis.exists(*names) == 0
    assert await redis.exists(neighbour) == 1


async def test_uninstall_reports_who_would_clean_each_bu_and_drops_waiting_work(
    tenant: TenantFixture,
    wallet: TokenWallet,
    sessions: SessionStore,
    admin_conn: asyncpg.Connection,
) -> None:
    """The uninstalling administrator acts where they can; a BU only someone else can reach
    is theirs; a BU nobody can reach is reported. Chosen before the wallet goes."""
    admin = tenant.user.id
    await wallet.put_refresh_token(
        tenant.context(),
        user_id=admin,
        mid=tenant.parent_mid,
        kind=GrantKind.ENHANCED,
        token=Secret("admin-lineage"),
    )
    other_child = tenant.child_mids[1]
    # The admin loses the second child; a colleague who signed in can act there.
    await admin_conn.execute(
        "DELETE FROM memberships WHERE tenant_id = $1 AND user_id = $2 AND mid = $3",
        tenant.tenant_id,
        admin,
        other_child,
    )
    colleague = await make_member(
        tenant, mids=(other_child,), last_login_at=datetime.now(UTC), name="Colleague"
    )
    await make_wallet_entry(tenant, user_id=colleague.id, mid=other_child)
    # Nobody at all can act in a fourth BU.
    orphan = next_id()
    await (
        TenantRepository(tenant.context())
        .of(BusinessUnit)
        .create(mid=orphan, name="Orphan", parent_mid=tenant.parent_mid)
    )
    await admin_conn.execute(
        "INSERT INTO waiting_work (id, tenant_id, mid, kind, job, args, job_key, queue,"
        " timeout_seconds, reason, created_at) SELECT gen_random_uuid(), $1, $2,"
        " 'scheduled_sync', 'jobs.connection.check_mce_connection', '[]'::jsonb, 'k',"
        " 'default', 60, 'nobody_usable', now()",
        tenant.tenant_id,
        tenant.parent_mid,
    )

    ctx = TenantContext(tenant_id=tenant.tenant_id, user_id=admin)
    result = await purge_tenant(
        ctx, sessions=sessions, wallet=wallet, actor=SYSTEM_ACTOR, meta=META
    )

    assert result.cleanup_uncovered_mids == (orphan,)
    event = (await audit_actions(admin_conn, tenant.tenant_id, "admin.tenant_uninstalled"))[-1]
    details = json.loads(event["details"])
    acting = details["cleanup_acting"]
    assert acting[str(tenant.parent_mid)] == {"user": str(admin), "why": "uninstalling_admin"}
    assert acting[str(tenant.child_mids[0])]["user"] == str(admin)
    assert acting[str(other_child)] == {"user": str(colleague.id), "why": "most_recent_member"}
    assert details["cleanup_uncovered_mids"] == [orphan]
    assert (
        await admin_conn.fetchval(
            "SELECT count(*) FROM waiting_work WHERE tenant_id = $1", tenant.tenant_id
        )
        == 0
    )
