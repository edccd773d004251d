"""Wallet fixtures: real Postgres as the app role (``db``), real Redis, the simulator over HTTP.

* ``kek_a``: a random KEK; ``keys``: a provider with it; ``wallet``: a TokenWallet on it.
* ``redis``: an asyncio Redis client on the test Redis; wallet keys of the tenants a test
  created (``sim_tenant``) are deleted afterwards (never a flush: others share the server).
* ``sim_tenant``: our tenant mirroring the simulator's enterprise (see helpers).
* ``simctl``: the simulator's grants, stats and control API, asynchronously.
* ``ahttp``: an async HTTP client for MCE calls; ``provider``: a WalletTokenProvider wired
  to all of it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio
from redis.asyncio import Redis

from app.settings import Settings
from client.http import create_http_client
from services.wallet import KeyEncryptionKey, StaticKeyProvider, TokenWallet, WalletTokenProvider
from simulator.state import Simulator
from tests.services.wallet.helpers import (
    SimControl,
    SimTenant,
    auth_factory,
    make_sim_tenant,
    random_kek,
)
from tests.simulator.conftest import _shared_server, http, sim, sim_app, sim_url

__all__ = ["_shared_server", "http", "sim", "sim_app", "sim_url"]


@pytest.fixture
def kek_a() -> KeyEncryptionKey:
    return random_kek("a")


@pytest.fixture
def keys(kek_a: KeyEncryptionKey) -> StaticKeyProvider:
    return StaticKeyProvider([kek_a])


@pytest.fixture
def wallet(keys: StaticKeyProvider) -> TokenWallet:
    return TokenWallet.from_keys(keys)


@pytest_asyncio.fixture
async def sim_tenant(db: Settings, sim: Simulator, redis: Redis) -> AsyncIterator[SimTenant]:
    tenant = await make_sim_tenant(sim)
    yield tenant
    async for name in redis.scan_iter(match=f"quarry:wallet:*:{tenant.tenant_id}:*"):
        await redis.delete(name)


@pytest_asyncio.fixture
async def ahttp(sim_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with create_http_client(timeout=10.0) as client:
        yield client


@pytest_asyncio.fixture
async def simctl(sim: Simulator, sim_url: str) -> AsyncIterator[SimControl]:
    async with httpx.AsyncClient(base_url=sim_url, timeout=10, follow_redirects=False) as client:
        yield SimControl(sim, client)


@pytest.fixture
def provider(
    wallet: TokenWallet, sim: Simulator, sim_url: str, ahttp: httpx.AsyncClient, redis: Redis
) -> WalletTokenProvider:
    return WalletTokenProvider(wallet=wallet, auth=auth_factory(sim, sim_url, ahttp), redis=redis)
