"""The poller as a real process (``python -m app.poller``) against the simulator over HTTP:
SIGKILLed while a run is in flight, a second poller takes the BU over once the first one's
lease lapses, and the run completes cleanly (COMPLETE once, shell kept for its results),
with MCE having executed it exactly once (``/__sim/tasks``)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio
from redis.asyncio import Redis

from app.settings import Settings
from services.redis_keys import run_events_key
from services.wallet import KeyEncryptionKey
from simulator.state import Simulator
from tests.services.runs.test_poller import (
    World,
    _shared_server,
    ahttp,
    deps,
    http,
    kek_a,
    keys,
    provider,
    sign_in,
    sim,
    sim_app,
    sim_tenant,
    sim_url,
    simctl,
    wallet,
    world,
)
from tests.services.wallet.helpers import keks_text

__all__ = [
    "_shared_server",
    "ahttp",
    "deps",
    "http",
    "kek_a",
    "keys",
    "provider",
    "sign_in",
    "sim",
    "sim_app",
    "sim_tenant",
    "sim_url",
    "simctl",
    "wallet",
    "world",
]

ROOT = Path(__file__).resolve().parents[3]
#: This test's own Redis database (R2's range): the poller process publishes events here.
POLLER_REDIS_URL = "redis://127.0.0.1:6379/7"


@pytest_asyncio.fixture
async def poller_redis() -> AsyncIterator[Redis]:
    client = Redis.from_url(POLLER_REDIS_URL)
    try:
        yield client
    finally:
        await client.aclose()


@pytest.fixture
def poller_env(
    db: Settings, sim: Simulator, sim_url: str, kek_a: KeyEncryptionKey
) -> dict[str, str]:
    package = sim.enhanced_package
    return {
        **os.environ,
        "QUARRY_ENV": "test",
        "DATABASE_URL": db.database_url,
        "REDIS_URL": POLLER_REDIS_URL,
        "MCE_AUTH_BASE_URL": sim_url,
        "MCE_CLIENT_ID": package.client_id,
        "MCE_CLIENT_SECRET": package.client_secret,
        "WALLET_KEKS": keks_text(kek_a),
    }


@pytest.fixture
def spawn(poller_env: dict[str, str]) -> Iterator[object]:
    started: list[subprocess.Popen[bytes]] = []

    def _spawn() -> subprocess.Popen[bytes]:
        process = subprocess.Popen(
            [sys.executable, "-m", "app.poller"], cwd=ROOT, env=poller_env,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
        started.append(process)
        return process

    yield _spawn
    for process in started:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if process.stderr is not None:
            process.stderr.close()


async def _statuses(redis: Redis, world: World, run_id: object) -> list[str]:
    entries = await redis.xrange(run_events_key(str(run_id)))
    return [json.loads(fields[b"event"])["status"] for _, fields in entries]


@pytest.mark.slow
async def test_a_poller_killed_mid_run_is_replaced_and_the_run_completes_once(
    world: World, spawn: object, poller_redis: Redis
) -> None:
    plan = await world.simctl.http.post("__sim/tasks/plan", json={"seconds": [4.0]})
    assert plan.status_code == 200
    run = await world.start()
    first = spawn()  # type: ignore[operator]
    await asyncio.sleep(2.0)  # it holds the BU's lease and has checked the run
    assert first.poll() is None, first.stderr.read().decode()[-2000:]
    assert (await world.run_row(run.run_id))["status"] == "RUNNING"
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    spawn()  # type: ignore[operator]

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if (await world.run_row(run.run_id))["status"] != "RUNNING":
            break
        await asyncio.sleep(0.2)
    row = await world.run_row(run.run_id)
    assert row["status"] == "COMPLETE"
    assert await _statuses(poller_redis, world, run.run_id) == ["COMPLETE"]
    assert await world.asset_states(run) == {"LEASED"}  # kept for its results
    tasks = (await world.simctl.http.get("__sim/tasks")).json()["tasks"]
    executed = [t for t in tasks if t["task_id"] == run.task_id]
    assert len(executed) == 1 and executed[0]["status"] == "Complete"
    qd = executed[0]["query_object_id"]
    listed = (await world.simctl.http.get("__sim/tasks", params={"query": qd})).json()["tasks"]
    assert len(listed) == 1  # MCE ran the definition once
