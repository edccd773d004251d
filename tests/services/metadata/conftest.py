"""Metadata sync fixtures: real Postgres as the app role, real Redis, the simulator over HTTP
(seeded without DE rows: the sync reads metadata only), a tenant mirroring it, a wallet.

* ``deps``: the :class:`SyncDeps` a job would build (the wallet's token provider, the
  simulator's endpoint policy, no cursor margin: the simulator's objects are seconds old).
* ``sign_in(username)``: a real refresh token from the simulator in the wallet and a fresh
  ``last_login_at``, as a sign-in leaves them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import pytest_asyncio
from redis.asyncio import Redis

from client.secret import Secret
from models import GrantKind, TenantRepository, User
from services.metadata.sync import SyncDeps
from services.wallet import TokenWallet, WalletTokenProvider
from simulator.state import Simulator
from tests.services.wallet.conftest import ahttp, kek_a, keys, provider, sim_tenant, simctl, wallet
from tests.services.wallet.helpers import SimControl, SimTenant, auth_factory
from tests.simulator.conftest import _shared_server, http, make_sim, sim_app, sim_url

__all__ = [
    "_shared_server",
    "ahttp",
    "http",
    "kek_a",
    "keys",
    "provider",
    "sim_app",
    "sim_tenant",
    "sim_url",
    "simctl",
    "wallet",
]

SignIn = Callable[[str], Awaitable[User]]


@pytest.fixture
def sim() -> Iterator[Simulator]:
    simulator = make_sim(with_rows=False)
    yield simulator
    simulator.close()


@pytest.fixture
def deps(
    redis: Redis, ahttp: httpx.AsyncClient, provider: WalletTokenProvider, sim: Simulator,
    sim_url: str,
) -> SyncDeps:  # fmt: skip
    return SyncDeps(
        redis=redis,
        http=ahttp,
        tokens=provider,
        policy=auth_factory(sim, sim_url, ahttp).policy,
        cursor_margin=timedelta(0),
    )


@pytest_asyncio.fixture
async def sign_in(
    sim_tenant: SimTenant, simctl: SimControl, wallet: TokenWallet, redis: Redis
) -> AsyncIterator[SignIn]:
    async def _sign_in(username: str) -> User:
        user = sim_tenant.user(username)
        grant = await simctl.tokens(user=username)
        sim_user = next(u for u in simctl.sim.store.users.values() if u.username == username)
        ctx = sim_tenant.ctx(sim_user.default_mid)
        await wallet.put_refresh_token(
            ctx,
            user_id=user.id,
            mid=sim_user.default_mid,
            kind=GrantKind.ENHANCED,
            token=Secret(grant["refresh_token"]),
        )
        await (
            TenantRepository(ctx).of(User).update({"id": user.id}, last_login_at=datetime.now(UTC))
        )
        return user

    yield _sign_in
    async for name in redis.scan_iter(match=f"quarry:metadata:*:{sim_tenant.tenant_id}:*"):
        await redis.delete(name)
