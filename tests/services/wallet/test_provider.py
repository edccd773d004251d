"""The wallet's TokenProvider against the simulator over HTTP (refresh grace 0), real
Postgres and real Redis."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from redis.asyncio import Redis

from client.errors import ReauthRequired
from client.secret import Secret
from client.tokens import AccessToken, CallTarget
from models import GrantKind, WalletStatus
from services.redis_keys import access_token_key
from services.wallet import TokenWallet, WalletError, WalletTokenProvider
from services.wallet.provider import SIGN_IN_AGAIN
from simulator.state import Simulator
from tests.services.wallet.helpers import (
    SimControl,
    SimTenant,
    audit_actions,
    legacy_refresh_token,
    sim_user_id,
)

REFRESH = "auth.token.refresh_token"


async def _store(
    wallet: TokenWallet,
    tenant: SimTenant,
    token: str,
    *,
    mid: int | None = None,
    kind: GrantKind = GrantKind.ENHANCED,
) -> int:
    return await wallet.put_refresh_token(
        tenant.ctx(),
        user_id=tenant.user().id,
        mid=mid or tenant.parent_mid,
        kind=kind,
        token=Secret(token),
    )


def _target(sim: Simulator, tenant: SimTenant, mid: int | None = None) -> CallTarget:
    return CallTarget(
        tenant_id=tenant.tenant_id, mid=mid or tenant.parent_mid, user_id=sim_user_id(sim)
    )


async def test_served_from_the_encrypted_cache_after_one_refresh(
    sim: Simulator,
    simctl: SimControl,
    sim_tenant: SimTenant,
    wallet: TokenWallet,
    provider: WalletTokenProvider,
    redis: Redis,
) -> None:
    await _store(wallet, sim_tenant, (await simctl.tokens())["refresh_token"])
    target = _target(sim, sim_tenant)

    first = await provider.access_token(target)
    second = await provider.access_token(target)
    assert second.value == first.value and second.expires_at == first.expires_at
    assert await simctl.count(REFRESH) == 1
    info = await simctl.userinfo(first.value.reveal())
    assert info["organization"]["member_id"] == sim_tenant.parent_mid

    name = access_token_key(sim_tenant.tenant_id, sim_tenant.parent_mid, sim_tenant.user().id)
    raw = await redis.get(name)
    assert raw is not None and first.value.reveal().encode() not in raw
    # The TTL ends the safety margin (120 s) before the token's 1200 s life does.
    assert 1000 < await redis.ttl(name) <= 1200 - 120


async def test_a_rejected_token_is_dropped_and_the_rotated_refresh_token_persisted(
    sim: Simulator,
    simctl: SimControl,
    sim_tenant: SimTenant,
    wallet: TokenWallet,
    provider: WalletTokenProvider,
) -> None:
    original = (await simctl.tokens())["refresh_token"]
    await _store(wallet, sim_tenant, original)
    target = _target(sim, sim_tenant)
    first = await provider.access_token(target)
    after_first = await wallet.read(sim_tenant.ctx(), user_id=sim_tenant.user().id, mid=target.mid)
    assert after_first is not None and after_first.version == 2
    assert after_first.token != Secret(original)

    await provider.token_rejected(target, first)
    second = await provider.access_token(target)
    assert second.value != first.value
    assert await simctl.count(REFRESH) == 2
    await simctl.userinfo(second.value.reveal())
    stored = await wallet.read(sim_tenant.ctx(), user_id=sim_tenant.user().id, mid=target.mid)
    assert stored is not None and stored.version == 3 and stored.token != after_first.token

    # The simulator accepted each refresh token exactly once: the spent ones are refused.
    for spent in (original, after_first.token.reveal()):
        refused = await simctl.refresh(spent)
        assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"
    # The stored one is the live one.
    assert (await simctl.refresh(stored.token.reveal())).status_code == 200


async def test_token_rejected_keeps_a_newer_cached_token(
    sim: Simulator,
    simctl: SimControl,
    sim_tenant: SimTenant,
    wallet: TokenWallet,
    provider: WalletTokenProvider,
) -> None:
    await _store(wallet, sim_tenant, (await simctl.tokens())["refresh_token"])
    target = _target(sim, sim_tenant)
    first = await provider.access_token(target)
    await provider.token_rejected(target, first)
    second = await provider.access_token(target)
    # A late report about the first token must not evict the second.
    await provider.token_rejected(target, first)
    assert (await provider.access_token(target)).value == second.value
    assert await simctl.count(REFRESH) == 2


async def test_invalid_grant_marks_needs_reauth_audits_and_asks_to_sign_in(
    sim: Simulator,
    simctl: SimControl,
    sim_tenant: SimTenant,
    wallet: TokenWallet,
    provider: WalletTokenProvider,
    admin_conn: asyncpg.Connection,
) -> None:
    token = (await simctl.tokens())["refresh_token"]
    await _store(wallet, sim_tenant, token)
    assert await simctl.revoke(token) == 1

    with pytest.raises(ReauthRequired) as info:
        await provider.access_token(_target(sim, sim_tenant))
    assert str(info.value) == SIGN_IN_AGAIN
    assert token not in repr(info.value)
    stored = await wallet.read(
        sim_tenant.ctx(), user_id=sim_tenant.user().id, mid=sim_tenant.parent_mid
    )
    assert stored is not None and stored.status is WalletStatus.NEEDS_REAUTH
    events = await audit_actions(admin_conn, sim_tenant.tenant_id, "wallet.needs_reauth")
    assert len(events) == 1
    assert events[0]["target"] == f"user:{sim_tenant.user().id}"
    assert events[0]["mid"] == sim_tenant.parent_mid
    assert token not in events[0]["details"]

    # Asked again: refused from the row, without another call to MCE or another event.
    with pytest.raises(ReauthRequired):
        await provider.access_token(_target(sim, sim_tenant))
    assert await simctl.count(REFRESH) == 1
    assert len(await audit_actions(admin_conn, sim_tenant.tenant_id, "wallet.needs_reauth")) == 1

    # A new sign-in revives the entry.
    await _store(wallet, sim_tenant, (await simctl.tokens())["refresh_token"])
    await simctl.userinfo((await provider.access_token(_target(sim, sim_tenant))).value.reveal())


async def _refresh_paused_at_the_simulator(
    simctl: SimControl, provider: WalletTokenProvider, target: CallTarget
) -> asyncio.Task[AccessToken]:
    """Start a refresh and return once its request is being held by the simulator."""
    await simctl.latency(600, REFRESH)
    task = asyncio.create_task(provider.access_token(target))
    await simctl.wait_for_count(REFRESH, 1)
    return task


async def test_invalid_grant_after_another_writer_rotated_the_row_uses_the_newer_token(
    sim: Simulator,
    simctl: SimControl,
    sim_tenant: SimTenant,
    wallet: TokenWallet,
    provider: WalletTokenProvider,
    admin_conn: asyncpg.Connection,
) -> None:
    old = (await simctl.tokens())["refresh_token"]
    await _store(wallet, sim_tenant, old)
    target = _target(sim, sim_tenant)
    task = await _refresh_paused_at_the_simulator(simctl, provider, target)
    # Meanwhile: the old token dies and another writer (a new sign-in) stores a newer one.
    assert await simctl.revoke(old) == 1
    await _store(wallet, sim_tenant, (await simctl.tokens())["refresh_token"])
    await simctl.latency(0, REFRESH)

    token = await task
    assert await simctl.count(REFRESH) == 2  # the failed one, then the retry with the newer token
    await simctl.userinfo(token.value.reveal())
    stored = await wallet.read(sim_tenant.ctx(), user_id=sim_tenant.user().id, mid=target.mid)
    assert stored is not None and stored.active and stored.version == 3
    assert await audit_actions(admin_conn, sim_tenant.tenant_id, "wallet.needs_reauth") == []


async def test_a_lost_compare_and_swap_keeps_the_newer_row(
    sim: Simulator,
    simctl: SimControl,
    sim_tenant: SimTenant,
    wallet: TokenWallet,
    provider: WalletTokenProvider,
) -> None:
    await _store(wallet, sim_tenant, (await simctl.tokens())["refresh_token"])
    target = _target(sim, sim_tenant)
    task = await _refresh_paused_at_the_simulator(simctl, provider, target)
    newer = (await simctl.tokens())["refresh_token"]
    await _store(wallet, sim_tenant, newer)  # version 2, written while the refresh is out
    await simctl.latency(0, REFRESH)

    token = await task
    await simctl.userinfo(token.value.reveal())
    stored = await wallet.read(sim_tenant.ctx(), user_id=sim_tenant.user().id, mid=target.mid)
    assert stored is not None and stored.version == 2 and stored.token == Secret(newer)


async def test_a_legacy_entry_does_not_serve_another_bu(
    sim: Simulator,
    simctl: SimControl,
    sim_tenant: SimTenant,
    wallet: TokenWallet,
    provider: WalletTokenProvider,
) -> None:
    """``/v1/requestToken`` has no ``account_id``: a legacy token serves only its own BU."""
    await _store(wallet, sim_tenant, legacy_refresh_token(sim), kind=GrantKind.LEGACY)
    child = sim_tenant.mids[1]
    with pytest.raises(ReauthRequired) as refused:
        await provider.access_token(_target(sim, sim_tenant, child))
    assert "one business unit at a time" in str(refused.value)
    assert await simctl.count("auth.requestToken") == 0
    entry = await wallet.read(
        sim_tenant.ctx(), user_id=sim_tenant.user().id, mid=sim_tenant.parent_mid
    )
    assert entry is not None and entry.version == 1 and entry.active


async def test_unknown_users_and_server_to_server_targets(
    sim_tenant: SimTenant, provider: WalletTokenProvider
) -> None:
    with pytest.raises(ReauthRequired):
        await provider.access_token(
            CallTarget(tenant_id=sim_tenant.tenant_id, mid=sim_tenant.parent_mid, user_id=1)
        )
    with pytest.raises(WalletError):
        await provider.access_token(
            CallTarget(tenant_id=sim_tenant.tenant_id, mid=sim_tenant.parent_mid)
        )


async def test_legacy_entries_refresh_through_request_token(
    sim: Simulator,
    simctl: SimControl,
    sim_tenant: SimTenant,
    wallet: TokenWallet,
    provider: WalletTokenProvider,
) -> None:
    legacy = legacy_refresh_token(sim)
    await _store(wallet, sim_tenant, legacy, kind=GrantKind.LEGACY)
    token = await provider.access_token(_target(sim, sim_tenant))
    assert await simctl.count("auth.requestToken") == 1 and await simctl.count(REFRESH) == 0
    stored = await wallet.read(
        sim_tenant.ctx(), user_id=sim_tenant.user().id, mid=sim_tenant.parent_mid
    )
    assert stored is not None and stored.version == 2 and stored.token != Secret(legacy)
    assert stored.kind is GrantKind.LEGACY
    assert token.value.reveal()


async def test_a_sign_in_access_token_is_shared_without_a_refresh(
    sim: Simulator,
    simctl: SimControl,
    sim_tenant: SimTenant,
    wallet: TokenWallet,
    provider: WalletTokenProvider,
) -> None:
    grant = await simctl.tokens()
    await _store(wallet, sim_tenant, grant["refresh_token"])
    given = AccessToken(
        value=Secret(grant["access_token"]),
        expires_at=datetime.now(UTC) + timedelta(seconds=grant["expires_in"]),
    )
    await provider.cache_access_token(
        sim_tenant.ctx(), user_id=sim_tenant.user().id, mid=sim_tenant.parent_mid, token=given
    )
    assert (await provider.access_token(_target(sim, sim_tenant))).value == given.value
    assert await simctl.count(REFRESH) == 0

    # A purge takes effect at once, cached token or not.
    await wallet.delete_for_user(sim_tenant.ctx(), sim_tenant.user().id)
    with pytest.raises(ReauthRequired):
        await provider.access_token(_target(sim, sim_tenant))
