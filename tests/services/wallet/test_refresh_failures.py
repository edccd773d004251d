"""Refresh failures that are not the user's sign-in ending: they mark nothing and spend nothing.

The simulator over HTTP (refresh grace 0), real Postgres and Redis.
"""

from __future__ import annotations

import base64
import os

import asyncpg
import httpx
import pytest
from redis.asyncio import Redis

from client.errors import ReauthRequired
from client.secret import Secret
from client.tokens import CallTarget
from models import GrantKind, Tenant, TenantRepository, WalletStatus
from services.mce_auth import MceAuthConfig, MceAuthFactory
from services.wallet import (
    DataKeyUnwrapFailed,
    KeyEncryptionKey,
    TenantUnavailable,
    TokenWallet,
    WalletKeyError,
    WalletTokenProvider,
    rotate_data_keys,
)
from simulator.state import Simulator
from tests.services.wallet.helpers import (
    SimControl,
    SimTenant,
    audit_actions,
    auth_factory,
    legacy_refresh_token,
    provider_of,
    random_kek,
    sim_user_id,
)

REFRESH = "auth.token.refresh_token"
REQUEST_TOKEN = "auth.requestToken"


def _target(sim: Simulator, tenant: SimTenant) -> CallTarget:
    return CallTarget(tenant_id=tenant.tenant_id, mid=tenant.parent_mid, user_id=sim_user_id(sim))


async def _store(
    wallet: TokenWallet, tenant: SimTenant, token: str, kind: GrantKind = GrantKind.ENHANCED
) -> None:
    user_id, mid = tenant.user().id, tenant.parent_mid
    await wallet.put_refresh_token(
        tenant.ctx(), user_id=user_id, mid=mid, kind=kind, token=Secret(token)
    )


# ------------------------------------------------------------------ an ambiguous legacy 401
async def test_a_wrong_legacy_client_secret_signs_nobody_out(
    sim: Simulator,
    sim_url: str,
    simctl: SimControl,
    sim_tenant: SimTenant,
    wallet: TokenWallet,
    redis: Redis,
    ahttp: httpx.AsyncClient,
    admin_conn: asyncpg.Connection,
) -> None:
    """``/v1/requestToken`` answers a bad client secret with the same 401 as a bad refresh
    token: that is no proof the user's token is dead, so the entry stays active."""
    legacy = legacy_refresh_token(sim)
    await _store(wallet, sim_tenant, legacy, GrantKind.LEGACY)
    package, legacy_package = sim.enhanced_package, sim.legacy_package
    mistyped = MceAuthFactory(
        MceAuthConfig(
            client_id=package.client_id,
            client_secret=Secret(package.client_secret),
            legacy_client_id=legacy_package.client_id,
            legacy_client_secret=Secret("rotated-or-mistyped"),
            dev_origin=sim_url,
        ),
        http=ahttp,
    )
    misconfigured = WalletTokenProvider(wallet=wallet, auth=mistyped, redis=redis)
    target = _target(sim, sim_tenant)

    with pytest.raises(ReauthRequired):
        await misconfigured.access_token(target)
    assert await simctl.count(REQUEST_TOKEN) == 1
    stored = await wallet.read(
        sim_tenant.ctx(), user_id=sim_tenant.user().id, mid=sim_tenant.parent_mid
    )
    assert stored is not None and stored.status is WalletStatus.ACTIVE
    assert stored.version == 1 and stored.token == Secret(legacy)
    assert await audit_actions(admin_conn, sim_tenant.tenant_id, "wallet.needs_reauth") == []

    # The secret fixed, the same entry works: nobody had to sign in again.
    fixed = WalletTokenProvider(wallet=wallet, auth=auth_factory(sim, sim_url, ahttp), redis=redis)
    token = await fixed.access_token(target)
    assert token.value.reveal()
    assert await simctl.count(REQUEST_TOKEN) == 2
    stored = await wallet.read(
        sim_tenant.ctx(), user_id=sim_tenant.user().id, mid=sim_tenant.parent_mid
    )
    assert stored is not None and stored.active and stored.version == 2


# ------------------------------------------------------------------ our own data is missing
async def test_a_tenant_without_tssd_is_our_error_and_marks_nothing(
    sim: Simulator,
    simctl: SimControl,
    sim_tenant: SimTenant,
    wallet: TokenWallet,
    provider: WalletTokenProvider,
) -> None:
    token = (await simctl.tokens())["refresh_token"]
    await _store(wallet, sim_tenant, token)
    repo = TenantRepository(sim_tenant.ctx())
    tssd = sim.store.enterprise.tssd
    await repo.of(Tenant).update({"tenant_id": sim_tenant.tenant_id}, tssd=None)

    with pytest.raises(TenantUnavailable) as info:
        await provider.access_token(_target(sim, sim_tenant))
    assert not isinstance(info.value, ReauthRequired)
    assert await simctl.count(REFRESH) == 0
    stored = await wallet.read(
        sim_tenant.ctx(), user_id=sim_tenant.user().id, mid=sim_tenant.parent_mid
    )
    assert stored is not None and stored.active and stored.token == Secret(token)

    await repo.of(Tenant).update({"tenant_id": sim_tenant.tenant_id}, tssd=tssd)
    assert (await provider.access_token(_target(sim, sim_tenant))).value.reveal()


# ------------------------------------------------------------------ a key this process lacks
async def _stop_after_switch(stage: str) -> None:
    if stage == "switched":
        raise _Interrupted


class _Interrupted(Exception):
    """Stops a data-key rotation right after the new key became active."""


@pytest.mark.parametrize("lacks", ["missing", "other-bytes"])
async def test_a_refresh_that_could_not_be_stored_spends_nothing(
    lacks: str,
    sim: Simulator,
    sim_url: str,
    simctl: SimControl,
    sim_tenant: SimTenant,
    kek_a: KeyEncryptionKey,
    wallet: TokenWallet,
    redis: Redis,
    ahttp: httpx.AsyncClient,
) -> None:
    """Another process (configured with the new KEK ``b``) started a data-key rotation: the
    active key is wrapped under ``b``, the entry still under the old key. A process without
    ``b`` (or with other bytes under that id) can read the entry but could not store a
    rotated token, so it must not refresh at all."""
    token = (await simctl.tokens())["refresh_token"]
    await _store(wallet, sim_tenant, token)
    kek_b = random_kek("b")
    with pytest.raises(_Interrupted):
        await rotate_data_keys(
            TokenWallet.from_keys(provider_of(kek_b, kek_a)),
            tenant_id=sim_tenant.tenant_id,
            checkpoint=_stop_after_switch,
        )
    lagging_keys = (
        provider_of(kek_a)
        if lacks == "missing"
        else provider_of(kek_a, KeyEncryptionKey("b", os.urandom(32)))
    )
    lagging = WalletTokenProvider(
        wallet=TokenWallet.from_keys(lagging_keys),
        auth=auth_factory(sim, sim_url, ahttp),
        redis=redis,
    )

    expected = WalletKeyError if lacks == "missing" else DataKeyUnwrapFailed
    with pytest.raises(expected) as info:
        await lagging.access_token(_target(sim, sim_tenant))
    assert "'b'" in str(info.value)
    assert base64.b64encode(kek_b.key).decode() not in str(info.value)
    assert await simctl.count(REFRESH) == 0
    stored = await wallet.read(
        sim_tenant.ctx(), user_id=sim_tenant.user().id, mid=sim_tenant.parent_mid
    )
    assert stored is not None and stored.active and stored.token == Secret(token)

    # Deployed with the new KEK, the same entry refreshes and its rotated token is stored.
    updated = WalletTokenProvider(
        wallet=TokenWallet.from_keys(provider_of(kek_b, kek_a)),
        auth=auth_factory(sim, sim_url, ahttp),
        redis=redis,
    )
    await simctl.userinfo((await updated.access_token(_target(sim, sim_tenant))).value.reveal())
    stored = await updated.wallet.read(
        sim_tenant.ctx(), user_id=sim_tenant.user().id, mid=sim_tenant.parent_mid
    )
    assert stored is not None and stored.version == 2 and stored.token != Secret(token)
