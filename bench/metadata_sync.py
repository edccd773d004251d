"""What a metadata sync costs: ``measure_sync()`` for bench/metadata.py (issue 13's keys).

Against a throwaway PostgreSQL database (migrated, written as the RLS-bound app role), a real
Redis, and the simulator in processes of their own (``python -m simulator``: a ``--scale
large`` one, 10,008 DEs and 150,043 fields in the parent BU, answering every call after
``latency_ms``; a ``--scale medium`` one, 1,008 DEs, for the memory comparison):

* ``sync_s``: a full sync of the large BU (services.metadata.sync.run_sync) in a worker-like
  child process; ``sync_calls``: the MCE calls it made (the simulator's per-BU counts);
* ``fetch_only_s``: the same MCE calls made by the client alone, in the same order, nothing
  written; ``sync_over_fetch`` = sync_s / fetch_only_s (goal ≤ 1.3);
* ``worker_peak_rss_mb_1k`` / ``worker_peak_rss_mb_10k``: the peak RSS of that child process
  syncing the 1,000-DE BU and the large one (memory must not grow with the BU);
* ``incremental_calls`` / ``incremental_s``: after 50 DEs changed (through SOAP updates), an
  incremental sync of the large BU (goal ≤ 15 calls).

The incremental sync runs with no cursor margin: the simulator and we share one clock (the
production default re-reads the last 60 s for clock skew). Importing this module prints
nothing; ``python -m bench.metadata_sync`` prints the figures and a JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import resource
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import asyncpg
import httpx
from redis.asyncio import Redis

from app.migrate import migrate
from app.settings import Settings, with_database
from client.bridge import MceBridge
from client.endpoints import EndpointPolicy
from client.secret import Secret
from client.soap import DataExtensionChanges
from client.tokens import CallTarget
from models import BusinessUnit, GrantKind, Membership, Tenant, TenantContext, TenantRepository
from models import User as UserRow
from models.database import open_database
from services.acting import BackgroundWork
from services.mce_auth import MceAuthConfig, MceAuthFactory
from services.metadata.rows import CACHED_FOLDER_TYPES
from services.metadata.steps import FIELD_BATCH, PAGE, batches
from services.metadata.sync import SyncDeps, run_sync
from services.wallet.keys import KeyEncryptionKey, StaticKeyProvider
from services.wallet.provider import WalletTokenProvider
from services.wallet.store import TokenWallet

__all__ = ["measure_sync"]

REPO = Path(__file__).resolve().parents[1]
ADMIN_URL = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15")
USER = "ada.admin"


class _Simulator:
    """``python -m simulator`` in a child process with its control API."""

    def __init__(self, scale: str, seed: int) -> None:
        self.process = subprocess.Popen(  # noqa: S603 (our own interpreter and module)
            [sys.executable, "-m", "simulator", "--port", "0", "--scale", scale, "--seed",
             str(seed), "--control", "--refresh-grace-seconds", "0"],
            stdout=subprocess.PIPE, text=True, cwd=REPO,
        )  # fmt: skip
        assert self.process.stdout is not None
        self.info: dict[str, Any] = json.loads(self.process.stdout.readline())
        self.url: str = self.info["base_url"].rstrip("/") + "/"
        self.control = httpx.Client(base_url=self.url, timeout=120)

    @property
    def parent_mid(self) -> int:
        return int(self.info["enterprise_id"])

    def latency(self, ms: int) -> None:
        self.control.post("__sim/latency", json={"ms": ms}).raise_for_status()

    def calls(self, mid: int) -> int:
        by_mid: dict[str, dict[str, int]] = self.control.get("__sim/stats").json()["by_mid"]
        return sum(by_mid.get(str(mid), {}).values())

    def refresh_token(self, user: str) -> str:
        redirect = self.info["redirect_uris"][0]
        answer = self.control.get(
            "v2/authorize",
            params={"response_type": "code", "client_id": self.info["client_id"],
                    "redirect_uri": redirect, "state": "s", "sim_user": user},
        )  # fmt: skip
        code = parse_qs(urlsplit(answer.headers["location"]).query)["code"][0]
        response = self.control.post(
            "v2/token",
            json={"grant_type": "authorization_code", "code": code,
                  "client_id": self.info["client_id"],
                  "client_secret": self.info["client_secret"], "redirect_uri": redirect},
        )  # fmt: skip
        response.raise_for_status()
        token: str = response.json()["refresh_token"]
        return token

    def close(self) -> None:
        self.control.close()
        self.process.terminate()
        self.process.wait(timeout=30)


@contextmanager
def _simulator(scale: str, seed: int) -> Iterator[_Simulator]:
    sim = _Simulator(scale, seed)
    try:
        yield sim
    finally:
        sim.close()


# ---------------------------------------------------------------------- the child process
def _child_config(
    settings: Settings, sim: _Simulator, *, tenant_id: int, user_id: uuid.UUID, keks: str,
    full: bool,
) -> dict[str, Any]:  # fmt: skip
    return {
        "app_database_url": settings.app_database_url,
        "redis_url": REDIS_URL,
        "sim_url": sim.url,
        "client_id": sim.info["client_id"],
        "client_secret": sim.info["client_secret"],
        "keks": keks,
        "tenant_id": tenant_id,
        "mid": sim.parent_mid,
        "user_id": str(user_id),
        "full": full,
    }


def _run_child(config: dict[str, Any]) -> dict[str, Any]:
    """A sync in a fresh process (as an RQ work-horse would run it); its figures."""
    completed = subprocess.run(
        [sys.executable, "-m", "bench.metadata_sync", "child"],
        input=json.dumps(config), capture_output=True, text=True, cwd=REPO, timeout=1800,
        check=False,
    )  # fmt: skip
    if completed.returncode != 0:
        raise RuntimeError(f"the sync process failed: {completed.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return result


def _keks(key: KeyEncryptionKey) -> str:
    return f"{key.id}:{base64.b64encode(key.key).decode()}"


def _provider_from(
    config: dict[str, Any], http: httpx.AsyncClient, redis: Redis
) -> WalletTokenProvider:
    kek_id, _, material = config["keks"].partition(":")
    wallet = TokenWallet.from_keys(
        StaticKeyProvider([KeyEncryptionKey(kek_id, base64.b64decode(material))])
    )
    auth = MceAuthFactory(
        MceAuthConfig(
            client_id=config["client_id"],
            client_secret=Secret(config["client_secret"]),
            dev_origin=config["sim_url"],
        ),
        http=http,
    )
    return WalletTokenProvider(wallet=wallet, auth=auth, redis=redis)


async def _child(config: dict[str, Any]) -> dict[str, Any]:
    async with open_database(config["app_database_url"]), httpx.AsyncClient(timeout=60) as http:
        redis = Redis.from_url(config["redis_url"])
        try:
            deps = SyncDeps(
                redis=redis,
                http=http,
                tokens=_provider_from(config, http, redis),
                policy=EndpointPolicy(dev_origin=config["sim_url"]),
                cursor_margin=timedelta(0),
            )
            started = time.perf_counter()
            result = await run_sync(
                deps,
                tenant_id=config["tenant_id"],
                mid=config["mid"],
                user_id=uuid.UUID(config["user_id"]),
                full=config["full"],
                kind=BackgroundWork.METADATA_SYNC,
            )
            elapsed = time.perf_counter() - started
        finally:
            await redis.aclose()  # type: ignore[attr-defined]  # types-redis lags redis 5
    if result.get("state") != "COMPLETE":
        raise RuntimeError(f"the sync did not complete: {result}")
    return {"sync_s": elapsed, "peak_rss_mb": _peak_rss_kb() / 1024, **result}


def _peak_rss_kb() -> int:
    """This process's own peak RSS. Linux carries ``ru_maxrss`` across ``execve`` from the
    forking parent (a bench process holding 50,000 seeded names made every child report the
    parent's 273 MB); ``VmHWM`` belongs to this process's memory alone."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


# ---------------------------------------------------------------------- setup
async def _tenant_for(sim: _Simulator, keks: str) -> tuple[int, uuid.UUID]:
    """Our tenant mirroring ``sim``'s enterprise (a tenant id of our own), with ada signed in."""
    tenant_id = int(time.time() * 1000) % 10**12 + os.getpid()
    repo = TenantRepository(TenantContext(tenant_id=tenant_id))
    users: dict[str, UserRow] = {}
    async with repo.transaction():
        await repo.of(Tenant).create(name=sim.info["enterprise_name"], tssd=sim.info["tssd"])
        for bu in sim.info["business_units"]:
            await repo.of(BusinessUnit).create(
                mid=bu["mid"], name=bu["name"], parent_mid=bu["parent_mid"]
            )
        for user in sim.info["users"]:
            row = await repo.of(UserRow).create(
                mce_user_id=user["id"], email=user["email"], name=user["username"]
            )
            users[user["username"]] = row
            for mid in user["business_units"]:
                await repo.of(Membership).create(user_id=row.id, mid=mid)
    ada = users[USER]
    kek_id, _, material = keks.partition(":")
    wallet = TokenWallet.from_keys(
        StaticKeyProvider([KeyEncryptionKey(kek_id, base64.b64decode(material))])
    )
    ctx = TenantContext(tenant_id=tenant_id, mid=sim.parent_mid)
    await wallet.put_refresh_token(
        ctx, user_id=ada.id, mid=sim.parent_mid, kind=GrantKind.ENHANCED,
        token=Secret(sim.refresh_token(USER)),
    )  # fmt: skip
    return tenant_id, ada.id


def _target(config: dict[str, Any], sim: _Simulator) -> CallTarget:
    mce_user = next(u for u in sim.info["users"] if u["username"] == USER)
    return CallTarget(tenant_id=config["tenant_id"], mid=sim.parent_mid, user_id=mce_user["id"])


async def _fetch_only(sim: _Simulator, config: dict[str, Any]) -> float:
    """The full sync's MCE calls, in its order, made by the client alone (nothing written)."""
    async with httpx.AsyncClient(timeout=60) as http:
        redis = Redis.from_url(REDIS_URL)
        try:
            provider = _provider_from(config, http, redis)
            bridge = MceBridge(
                http=http,
                tokens=provider,
                endpoints=EndpointPolicy(dev_origin=sim.url).endpoints_for_tssd(sim.info["tssd"]),
                target=_target(config, sim),
            )
            await provider.access_token(bridge.target)  # a cached token, as in the sync
            started = time.perf_counter()
            async for _page in batches(
                bridge.soap.folders(content_types=list(CACHED_FOLDER_TYPES)), PAGE
            ):
                pass
            async for batch in batches(bridge.soap.data_extensions(), FIELD_BATCH):
                keys = [de.customer_key for de in batch if de.customer_key]
                async for _field in bridge.soap.data_extension_fields(keys):
                    pass
            async for _query in bridge.soap.query_definitions():
                pass
            async for page in bridge.automations.list():
                for automation in page.items:
                    await bridge.automations.get(automation.id)
            return time.perf_counter() - started
        finally:
            await redis.aclose()  # type: ignore[attr-defined]


async def _change_des(sim: _Simulator, config: dict[str, Any], count: int) -> None:
    async with httpx.AsyncClient(timeout=60) as http:
        redis = Redis.from_url(REDIS_URL)
        try:
            bridge = MceBridge(
                http=http,
                tokens=_provider_from(config, http, redis),
                endpoints=EndpointPolicy(dev_origin=sim.url).endpoints_for_tssd(sim.info["tssd"]),
                target=_target(config, sim),
            )
            for n in range(count):
                await bridge.soap.update_data_extension(
                    DataExtensionChanges(customer_key=f"bulk_{n:05d}", description=f"changed {n}")
                )
        finally:
            await redis.aclose()  # type: ignore[attr-defined]


# ---------------------------------------------------------------------- the measure
async def _measure(latency_ms: int, changes: int, seed: int) -> dict[str, Any]:
    name = f"quarry_bench_meta_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    settings = Settings.from_env(
        {
            "QUARRY_ENV": "test",
            "DATABASE_URL": with_database(ADMIN_URL, name),
            "REDIS_URL": REDIS_URL,
        }
    )
    await migrate(settings)
    keks = _keks(KeyEncryptionKey(f"bench-{uuid.uuid4().hex[:6]}", os.urandom(32)))
    try:
        with _simulator("medium", seed) as medium, _simulator("large", seed) as large:
            async with open_database(settings.app_database_url):
                figures = await _run_all(settings, medium, large, keks, latency_ms, changes)
    finally:
        admin = await asyncpg.connect(with_database(ADMIN_URL, "postgres"))
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
    return figures


async def _run_all(
    settings: Settings, medium: _Simulator, large: _Simulator, keks: str, latency_ms: int,
    changes: int,
) -> dict[str, Any]:  # fmt: skip
    small_tenant, small_user = await _tenant_for(medium, keks)
    large_tenant, large_user = await _tenant_for(large, keks)
    small = _child_config(
        settings, medium, tenant_id=small_tenant, user_id=small_user, keks=keks, full=True
    )
    rss_1k = (await asyncio.to_thread(_run_child, small))["peak_rss_mb"]
    full = _child_config(
        settings, large, tenant_id=large_tenant, user_id=large_user, keks=keks, full=True
    )
    large.latency(latency_ms)
    fetch_only_s = await _fetch_only(large, full)
    before = large.calls(large.parent_mid)
    synced = await asyncio.to_thread(_run_child, full)
    sync_calls = large.calls(large.parent_mid) - before
    large.latency(0)
    await _change_des(large, full, changes)
    large.latency(latency_ms)
    before = large.calls(large.parent_mid)
    incremental = await asyncio.to_thread(_run_child, {**full, "full": False})
    incremental_calls = large.calls(large.parent_mid) - before
    if incremental.get("data_extensions_done") != changes:
        raise RuntimeError(f"the incremental sync wrote {incremental.get('data_extensions_done')}")
    return {
        "sync_s": round(synced["sync_s"], 2),
        "fetch_only_s": round(fetch_only_s, 2),
        "sync_over_fetch": round(synced["sync_s"] / fetch_only_s, 3),
        "sync_calls": sync_calls,
        "worker_peak_rss_mb_1k": round(rss_1k, 1),
        "worker_peak_rss_mb_10k": round(synced["peak_rss_mb"], 1),
        "incremental_calls": incremental_calls,
        "incremental_s": round(incremental["sync_s"], 2),
    }


def measure_sync(*, latency_ms: int = 50, changes: int = 50, seed: int = 1) -> dict[str, Any]:
    """Run the measurements (see the module doc); a dict with the issue's keys."""
    return asyncio.run(_measure(latency_ms, changes, seed))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("mode", nargs="?", default="measure", choices=["measure", "child"])
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--changes", type=int, default=50)
    args = parser.parse_args()
    if args.mode == "child":
        print(json.dumps(asyncio.run(_child(json.load(sys.stdin)))))
        return
    figures = measure_sync(latency_ms=args.latency_ms, changes=args.changes)
    for key, value in figures.items():
        print(f"  {key:<26} {value}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
