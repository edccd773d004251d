"""What the token wallet costs on the path of every MCE call.

Every MCE call asks the wallet's token provider for an access token. This prints, against a
real PostgreSQL (a throwaway database, migrated, used as the RLS-bound app role), a real
Redis and the simulator over HTTP:

* **cached**: ``access_token()`` when the token is in Redis (the common case): the wallet
  row's status checked under the tenant's RLS context, the data key read, the Redis value
  opened with AES-GCM; against the bare floor measured in the same run: one tenant
  transaction with one query plus one Redis GET;
* **refresh**: ``access_token()`` after the cached token was rejected: the Redis lock, the
  ``/v2/token`` refresh, the compare-and-swap of the rotated refresh token, the re-cache;
  against the bare ``/v2/token`` refresh call alone.

Run (PostgreSQL and Redis as for the tests; ``DATABASE_URL`` is the admin URL):

    .venv/bin/python -m bench.wallet_tokens [--calls 2000] [--refreshes 50]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable

import asyncpg
import httpx
from redis.asyncio import Redis
from tortoise import Tortoise

from app.db import tortoise_config
from app.migrate import migrate
from app.settings import Settings, with_database
from client.auth import AuthClient, ClientCredentials
from client.endpoints import EndpointPolicy
from client.secret import Secret
from client.tokens import CallTarget
from models import GrantKind, TenantContext, TenantRepository
from models.identity_upsert import IdentityRecord, upsert_identity
from services.mce_auth import MceAuthConfig, MceAuthFactory
from services.wallet.keys import key_provider_from_config
from services.wallet.provider import WalletTokenProvider
from services.wallet.store import TokenWallet
from simulator.app import create_app
from simulator.state import Simulator, SimulatorConfig
from tests.services.wallet.helpers import SimControl, sim_user_id
from tests.simulator.conftest import ServerThread

ADMIN_URL = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15")


async def timed(n: int, call: Callable[[], Awaitable[object]]) -> list[float]:
    """Per-call wall times in microseconds."""
    out = []
    for _ in range(n):
        started = time.perf_counter()
        await call()
        out.append((time.perf_counter() - started) * 1e6)
    return out


def summary(label: str, micros: list[float]) -> float:
    median = statistics.median(micros)
    p95 = sorted(micros)[int(len(micros) * 0.95) - 1]
    print(f"  {label:<44} median {median:8.0f} µs   p95 {p95:8.0f} µs   n={len(micros)}")
    return median


async def refresh_token_from(sim: Simulator, url: str, user: str) -> tuple[str, int]:
    """A refresh token for ``user`` from a fresh authorization-code grant, and their MCE id."""
    async with httpx.AsyncClient(base_url=url) as http:
        body = await SimControl(sim, http).tokens(user=user)
    return body["refresh_token"], sim_user_id(sim, user)


async def run(calls: int, refreshes: int) -> None:
    name = f"quarry_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    settings = Settings.from_env(
        {
            "QUARRY_ENV": "test",
            "DATABASE_URL": with_database(ADMIN_URL, name),
            "REDIS_URL": REDIS_URL,
        }
    )
    await migrate(settings)
    sim = Simulator(SimulatorConfig(seed=77, refresh_grace_seconds=0, with_rows=False))
    redis = Redis.from_url(REDIS_URL)
    try:
        with ServerThread(create_app(sim)) as server:
            await Tortoise.init(config=tortoise_config(settings.app_database_url, max_size=4))
            async with httpx.AsyncClient() as http:
                await measure(sim, server.url, settings, redis, http, calls, refreshes)
            await Tortoise.close_connections()
    finally:
        await redis.aclose()  # type: ignore[attr-defined]  # types-redis lags redis 5
        sim.close()
        admin = await asyncpg.connect(with_database(ADMIN_URL, "postgres"))
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def measure(
    sim: Simulator,
    url: str,
    settings: Settings,
    redis: Redis,
    http: httpx.AsyncClient,
    calls: int,
    refreshes: int,
) -> None:
    enterprise = sim.store.enterprise
    refresh, mce_user_id = await refresh_token_from(sim, url, "ada.admin")
    mid = enterprise.eid
    user = await upsert_identity(
        IdentityRecord(
            tenant_id=enterprise.eid,
            tenant_name=enterprise.name,
            tssd=enterprise.tssd,
            mid=mid,
            mce_user_id=mce_user_id,
            email="ada@example.com",
            name="ada.admin",
            locale="en-US",
            time_zone="UTC",
        ),
        [],
    )
    ctx = TenantContext(tenant_id=enterprise.eid, mid=mid)
    wallet = TokenWallet.from_keys(key_provider_from_config(keks=settings.wallet_keks, kek_file=""))
    await wallet.put_refresh_token(
        ctx, user_id=user.user_id, mid=mid, kind=GrantKind.ENHANCED, token=Secret(refresh)
    )
    package = sim.enhanced_package
    config = MceAuthConfig(
        client_id=package.client_id, client_secret=Secret(package.client_secret), dev_origin=url
    )
    provider = WalletTokenProvider(
        wallet=wallet, auth=MceAuthFactory(config, http=http), redis=redis
    )
    target = CallTarget(tenant_id=enterprise.eid, mid=mid, user_id=mce_user_id)
    await provider.access_token(target)  # the first refresh, then cached

    print(f"token wallet on the MCE call path (PostgreSQL, Redis, simulator at {url})")
    cached = summary(
        "access_token(), cached", await timed(calls, lambda: provider.access_token(target))
    )
    repo = TenantRepository(ctx)
    probe = "quarry:bench:probe"
    await redis.set(probe, b"x" * 200)

    async def floor() -> None:
        async with repo.transaction():
            await repo.fetch("SELECT 1")
        await redis.get(probe)

    base = summary("floor: tenant transaction + Redis GET", await timed(calls, floor))
    print(f"  cached / floor: {cached / base:.2f}x")

    async def refresh_through_wallet() -> None:
        token = await provider.access_token(target)
        await provider.token_rejected(target, token)
        await provider.access_token(target)

    # Each round: a cached read (measured above, subtracted) plus a refresh.
    rounds = await timed(refreshes, refresh_through_wallet)
    through_wallet = summary("access_token() after a rejection (refresh)", rounds) - cached
    bare_auth = AuthClient(
        http=http,
        auth_base=url,
        policy=EndpointPolicy(dev_origin=url),
        credentials=ClientCredentials(
            client_id=package.client_id, client_secret=Secret(package.client_secret)
        ),
    )
    bare_refresh, _ = await refresh_token_from(sim, url, "ada.admin")
    state = {"token": Secret(bare_refresh)}

    async def bare() -> None:
        grant = await bare_auth.refresh(refresh_token=state["token"])
        assert grant.refresh_token is not None
        state["token"] = grant.refresh_token

    bare_median = summary("floor: bare /v2/token refresh", await timed(refreshes, bare))
    print(f"  refresh through the wallet / bare refresh: {through_wallet / bare_median:.2f}x")
    await redis.delete(probe)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--refreshes", type=int, default=50)
    args = parser.parse_args()
    asyncio.run(run(args.calls, args.refreshes))


if __name__ == "__main__":
    main()
