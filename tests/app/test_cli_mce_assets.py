"""``python -m app.cli purge-mce-assets``: as the system role, acting in MCE (the simulator over
HTTP) as a user of the tenant, it deletes every Quarry asset of the tenant's BUs and cancels the
runs in progress; without ``--yes`` it refuses."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
from redis.asyncio import Redis

from app.settings import Settings
from models.runs import RunStatus
from services.job_queue import JobQueue
from services.metadata.assets import is_quarry_asset
from services.runs.execute import StartDeps, start_run_job
from services.runs.start import get_run, start_run
from services.wallet import KeyEncryptionKey
from simulator.state import Simulator
from tests.services.runs.engine import (
    Member,
    _shared_server,
    ahttp,
    config,
    deps,
    http,
    jobs,
    kek_a,
    keys,
    member,
    provider,
    sim,
    sim_app,
    sim_tenant,
    sim_url,
    simctl,
    wallet,
)
from tests.services.wallet.helpers import keks_text

__all__ = [
    "_shared_server", "ahttp", "config", "deps", "http", "jobs", "kek_a", "keys", "member",
    "provider", "sim", "sim_app", "sim_tenant", "sim_url", "simctl", "wallet",
]  # fmt: skip

pytestmark = pytest.mark.usefixtures("db")

ROOT = Path(__file__).resolve().parents[2]


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def _ours(sim: Simulator, mid: int) -> list[str]:
    store = sim.store
    names = [de.customer_key for de in store.list_des(mid)]
    names += [q.customer_key for q in store.list_queries(mid)]
    names += [f.customer_key or f.name for f in store.list_folders(mid)]
    return [name for name in names if is_quarry_asset(name)]


async def test_the_cli_purges_every_quarry_asset_of_a_tenant(
    db: Settings, sim: Simulator, sim_url: str, member: Member, deps: StartDeps,
    jobs: JobQueue, redis: Redis, kek_a: KeyEncryptionKey,
) -> None:  # fmt: skip
    outcome = await start_run(
        member.ctx, user_id=member.user.id, sql="SELECT c.LinkName FROM _Click c", jobs=jobs,
        redis=redis, config=deps.config,
    )  # fmt: skip
    assert outcome.run is not None
    await start_run_job(deps, tenant_id=member.tenant_id, mid=member.mid, run_id=outcome.run.id)
    assert len(_ours(sim, member.mid)) == 4
    package = sim.enhanced_package
    env = {
        **os.environ,
        "QUARRY_ENV": "test",
        "DATABASE_URL": db.database_url,
        "REDIS_URL": db.redis_url,
        "MCE_AUTH_BASE_URL": sim_url,
        "MCE_CLIENT_ID": package.client_id,
        "MCE_CLIENT_SECRET": package.client_secret,
        "WALLET_KEKS": keks_text(kek_a),
    }
    refused = await asyncio.to_thread(
        _cli, env, "purge-mce-assets", "--tenant", str(member.tenant_id)
    )
    assert refused.returncode == 2 and "--yes" in refused.stderr
    assert len(_ours(sim, member.mid)) == 4
    done = await asyncio.to_thread(
        _cli, env, "purge-mce-assets", "--tenant", str(member.tenant_id), "--yes"
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert f"BU {member.mid}: 4 assets deleted, 0 failed, 1 runs canceled" in done.stdout
    assert _ours(sim, member.mid) == []
    run = await get_run(member.ctx, user_id=member.user.id, run_id=outcome.run.id)
    assert run.status is RunStatus.CANCELED
