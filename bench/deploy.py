"""Deployments at 100 ms per MCE call: one BU, ten BUs at once against ten one after another,
and the static pre-flight check.

``python -m bench.deploy [--latency-ms 100]``. The simulator (``python -m simulator --seed 1
--extra-child-bus 10``) runs in its own process, as MCE is elsewhere (in this process its
SOAP work would take the client's CPU), and answers every call after the latency; a twin
seeded the same way here (without rows) tells the bench its ids. A throwaway database
(migrated), a tenant mirroring the simulator, ``ada.admin`` signed in (a real refresh token;
her lineage mints a token for every BU), each BU's metadata cache synced first (as a sign-in
leaves it). Access tokens of the ten BUs are minted before the timings (they are cached for
20 minutes: steady state), so both sides measure the deployment's own calls.

Each deployment goes through the real code: ``services.deploy.service.deploy_query_activity``
(shape rules, membership, per-BU pre-flight, record, enqueue) then the job's body
``services.deploy.runner.run_deployment`` (what jobs/deploy.py runs, called in process), until
the deployment has ended; every one creates a new query activity in an existing target.

* ``deploy_one_bu_s``, ``deploy_one_bu_calls``: one deployment to one BU, seconds and the MCE
  calls the simulator counted (every operation, tokens included), after one warm-up
  deployment at no latency (the WSDL parsed, connection pools open);
* ``deploy_ten_bu_s``: one deployment to ten BUs; ``sequential_ten_s``: ten one-BU
  deployments one after another, to the same ten BUs, in the same run; ``ten_bu_ratio``: the
  first over the second (goal <= 0.3);
* ``preflight_static_p95_ms``: helper P's ``bench/preflight.py`` measure when it exists, else
  :func:`services.preflight.static.check_query_target` here, 200 times in one BU's cache.

Prints one figure a line, the last line one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx

REPO = Path(__file__).resolve().parents[1]
ADMIN_URL = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15")
JOBS_URL = "redis://127.0.0.1:6379/4"  # never consumed: no worker runs here
USER = "ada.admin"
BUS = 10
PREFLIGHT_RUNS = 200
SQL = "SELECT SubscriberKey, EmailAddress FROM Subscribers WHERE OptIn = 1"
TARGET = "active_subscribers"


@contextmanager
def _simulator_process() -> Iterator[dict[str, Any]]:
    """``python -m simulator`` in a child process (control API on); its describe line."""
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "simulator", "--port", "0", "--seed", "1", "--control",
         "--extra-child-bus", str(BUS)],
        stdout=subprocess.PIPE, text=True, cwd=REPO,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        info: dict[str, Any] = json.loads(process.stdout.readline())
        yield info
    finally:
        process.terminate()
        process.wait(timeout=30)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(share * len(ordered)) - 1))]


async def _total_calls(control: httpx.AsyncClient) -> int:
    total: int = (await control.get("__sim/stats")).json()["total"]
    return total


async def _deploy(env: dict[str, Any], mids: tuple[int, ...], key: str) -> float:
    """One deployment to ``mids``, start to end (seconds); raises unless every BU succeeded."""
    from models.deployments import UpdateType
    from services.deploy.request import DeployRequest, TargetSpec
    from services.deploy.runner import run_deployment
    from services.deploy.service import deploy_query_activity

    request = DeployRequest(
        name=f"Bench {key}",
        key=key,
        sql=SQL,
        target=TargetSpec(key=TARGET),
        update_type=UpdateType.OVERWRITE,
        mids=mids,
        idempotency_key=f"bench-{key}",
        folder_path=("Daily",),
        acknowledge_warnings=True,
    )
    started = time.perf_counter()
    outcome = await deploy_query_activity(
        env["ctx"], user_id=env["user_id"], request=request, jobs=env["jobs"],
        redis=env["redis"], access=env["access"],
    )  # fmt: skip
    if outcome.deployment is None:
        raise RuntimeError(f"refused: {outcome.code} {outcome.message}")
    result = await run_deployment(
        env["deps"], tenant_id=env["ctx"].tenant_id, mid=env["ctx"].mid,
        deployment_id=outcome.deployment.id,
    )  # fmt: skip
    seconds = time.perf_counter() - started
    if result.get("outcome") != "SUCCEEDED":
        raise RuntimeError(f"deployment ended {result}")
    return seconds


async def _preflight_p95(env: dict[str, Any], mid: int) -> tuple[float, str]:
    """P's measure when bench/preflight.py offers one, else ours."""
    try:
        module = importlib.import_module("bench.preflight")
    except ImportError:
        module = None
    measure = getattr(module, "measure_static", None) if module is not None else None
    if measure is not None:
        figures = await measure()
        value = figures.get("preflight_static_p95_ms") if isinstance(figures, dict) else None
        if isinstance(value, int | float):
            return float(value), "bench.preflight"
    from models.deployments import UpdateType  # noqa: F401 - the same values as P's
    from services.preflight.report import UpdateType as PreflightUpdateType
    from services.preflight.scope import member_context
    from services.preflight.static import check_query_target

    ctx = await member_context(tenant_id=env["ctx"].tenant_id, user_id=env["user_id"], mid=mid)
    timings: list[float] = []
    for number in range(PREFLIGHT_RUNS):
        started = time.perf_counter()
        report = await check_query_target(
            ctx, sql=f"{SQL} AND LoyaltyPoints > {number}", target_key=TARGET,
            update_type=PreflightUpdateType.OVERWRITE,
        )  # fmt: skip
        timings.append((time.perf_counter() - started) * 1000)
        if report.blocking:
            raise RuntimeError(f"pre-flight refused the bench SQL: {report.codes()}")
    return percentile(timings, 0.95), "bench.deploy"


async def measure(*, latency_ms: int) -> dict[str, Any]:
    from redis.asyncio import Redis

    from app.migrate import migrate
    from app.settings import DEV_WALLET_KEKS, Settings, with_database
    from client.endpoints import EndpointPolicy
    from client.http import create_http_client
    from client.tokens import CallTarget
    from models import TenantContext
    from models.database import open_database
    from services.deploy.config import DeployConfig
    from services.deploy.runner import DeployDeps
    from services.job_queue import JobQueue
    from services.metadata.preview import MceAccess
    from services.metadata.sync import SyncDeps, run_sync
    from services.wallet import TokenWallet, WalletTokenProvider
    from services.wallet.keys import key_provider_from_config
    from simulator.state import Simulator, SimulatorConfig
    from tests.services.runs.test_reading import signed_in
    from tests.services.wallet.helpers import SimControl, auth_factory, make_sim_tenant

    # The twin: the same seed gives the same enterprise, BUs, users and package credentials.
    sim = Simulator(
        SimulatorConfig(seed=1, scale="small", control=True, with_rows=False, extra_child_bus=BUS)
    )
    name = f"quarry_bench_deploy_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    settings = Settings.from_env(
        {
            "QUARRY_ENV": "test",
            "DATABASE_URL": with_database(ADMIN_URL, name),
            "REDIS_URL": REDIS_URL,
        }
    )
    await migrate(settings)
    redis = Redis.from_url(REDIS_URL)
    jobs = JobQueue.from_url(JOBS_URL)
    try:
        with _simulator_process() as info:
            sim_url = str(info["base_url"]).rstrip("/") + "/"
            twin = sim.describe(info["base_url"])
            if [twin[k] for k in ("enterprise_id", "client_id", "business_units")] != [
                info[k] for k in ("enterprise_id", "client_id", "business_units")
            ]:
                raise RuntimeError("the simulator process and its twin were seeded differently")
            async with (
                open_database(settings.app_database_url),
                httpx.AsyncClient(base_url=sim_url, timeout=30) as control,
                create_http_client(timeout=60.0) as http,
            ):
                simctl = SimControl(sim, control)
                wallet = TokenWallet.from_keys(
                    key_provider_from_config(keks=DEV_WALLET_KEKS, kek_file="")
                )
                tenant = await make_sim_tenant(sim)
                home = next(u.default_mid for u in sim.store.users.values() if u.username == USER)
                viewer = await signed_in(simctl, wallet, tenant, USER, home)
                tokens = WalletTokenProvider(
                    wallet=wallet, auth=auth_factory(sim, sim_url, http), redis=redis
                )
                policy = EndpointPolicy(dev_origin=sim_url)
                parent = sim.store.enterprise.eid
                mids = tuple(m for m in sim.store.business_units if m != parent)[-BUS:]
                sync = SyncDeps(
                    redis=redis, http=http, tokens=tokens, policy=policy,
                    cursor_margin=timedelta(0),
                )  # fmt: skip
                for mid in mids:
                    await run_sync(
                        sync, tenant_id=tenant.tenant_id, mid=mid, user_id=viewer.user_id,
                        full=True,
                    )  # fmt: skip
                mce_user = next(u.id for u in sim.store.users.values() if u.username == USER)
                for mid in mids:  # steady state: every BU's access token cached
                    await tokens.access_token(
                        CallTarget(tenant_id=tenant.tenant_id, mid=mid, user_id=mce_user)
                    )
                ctx = TenantContext(tenant_id=tenant.tenant_id, mid=home, user_id=viewer.user_id)
                env: dict[str, Any] = {
                    "ctx": ctx,
                    "user_id": viewer.user_id,
                    "jobs": jobs,
                    "redis": redis,
                    "access": MceAccess(http=http, tokens=tokens, policy=policy),
                    "deps": DeployDeps(
                        redis=redis,
                        http=http,
                        tokens=tokens,
                        policy=policy,
                        config=DeployConfig(),
                    ),
                }
                preflight_ms, preflight_source = await _preflight_p95(env, mids[0])
                # Warm-up, at no latency and not counted: the WSDL parsed, the pools open.
                await _deploy(env, (mids[0],), "bench_warm")
                (await control.post("__sim/latency", json={"ms": latency_ms})).raise_for_status()
                try:
                    before = await _total_calls(control)
                    one_s = await _deploy(env, (mids[0],), "bench_one")
                    one_calls = await _total_calls(control) - before
                    sequential = [
                        await _deploy(env, (mid,), f"bench_seq_{n}") for n, mid in enumerate(mids)
                    ]
                    before = await _total_calls(control)
                    ten_s = await _deploy(env, mids, "bench_ten")
                    ten_calls = await _total_calls(control) - before
                finally:
                    await control.post("__sim/latency", json={"ms": 0})
                sequential_s = sum(sequential)
                return {
                    "latency_ms": latency_ms,
                    "deploy_one_bu_s": round(one_s, 3),
                    "deploy_one_bu_calls": one_calls,
                    "sequential_ten_s": round(sequential_s, 3),
                    "sequential_one_median_s": round(statistics.median(sequential), 3),
                    "deploy_ten_bu_s": round(ten_s, 3),
                    "deploy_ten_bu_calls": ten_calls,
                    "ten_bu_ratio": round(ten_s / sequential_s, 3),
                    "ten_bu_ratio_goal": 0.3,
                    "bu_concurrency": DeployConfig().bu_concurrency,
                    "preflight_static_p95_ms": round(preflight_ms, 2),
                    "preflight_static_source": preflight_source,
                }
    finally:
        from rq import Queue

        for queue in ("high", "default", "low"):  # the jobs run in process, never by RQ
            Queue(queue, connection=jobs.connection).empty()
        jobs.close()
        await redis.aclose()  # type: ignore[attr-defined]
        sim.close()
        root = await asyncpg.connect(with_database(ADMIN_URL, "postgres"))
        await root.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await root.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--latency-ms", type=int, default=100)
    args = parser.parse_args()
    figures = asyncio.run(measure(latency_ms=args.latency_ms))
    for name, value in figures.items():
        print(f"{name}: {value}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
