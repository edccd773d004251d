"""The GraphQL stream figures of ``bench.runs``: a run's rows over the real API's websocket.

A throwaway database (migrated), a tenant mirroring the simulator with a signed-in user (a
real refresh token in the wallet, under the development key the API process uses), two
complete runs of that user (200,000 and 1,000 rows in shell DEs written with tsql's run
form), an API token; then the API as deployed (``uvicorn app.main:app``, a process of its
own, pointed at the simulator) streams each result over ``runResults`` to a websocket client
that takes pages as fast as it can. ``stream_rows_per_s`` is rows over the time from the
subscribe message to the last page; ``api_cpu_s_200k`` the CPU time the API process spent
meanwhile; ``api_peak_rss_mb_*`` its ``VmHWM`` after streaming each result (a fresh process
per result, so the two are comparable).

The websocket client is a process of its own (``python -m bench.runs_stream``), like the raw
rowset readers it is compared with: in the bench process it decoded every page under the
simulator's GIL, slowing the simulator serving the very rows being measured.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import asyncpg
import httpx
import websockets
from websockets.typing import Subprotocol

PAGE_SIZE = 2000
ADMIN_URL = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15")


def _status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} for {pid}")


def _cpu_seconds(pid: int) -> float:
    """CPU time (user + system) process ``pid`` has used: what streaming costs the API, a
    figure that holds on a machine other work keeps busy, unlike the rate."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _stream(base: str, token: str, run_global_id: str) -> tuple[int, float]:
    url = base.replace("http", "ws") + "/api/graphql"
    query = (
        "subscription ($id: ID!, $size: Int) { runResults(runId: $id, pageSize: $size)"
        " { offset rows total last } }"
    )
    async with websockets.connect(
        url, subprotocols=[Subprotocol("graphql-transport-ws")], max_size=2**26
    ) as ws:
        init = {"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}}
        await ws.send(json.dumps(init))
        if json.loads(await ws.recv())["type"] != "connection_ack":
            raise RuntimeError("the API refused the token")
        payload = {"query": query, "variables": {"id": run_global_id, "size": PAGE_SIZE}}
        started = time.perf_counter()
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
        rows = 0
        while True:
            message = json.loads(await asyncio.wait_for(ws.recv(), timeout=120))
            if message["type"] != "next":
                raise RuntimeError(f"the stream failed: {message}")
            page = message["payload"]["data"]["runResults"]
            rows += len(page["rows"])
            if page["last"]:
                break
        return rows, time.perf_counter() - started


async def measure_stream(
    *, sim: Any, sim_url: str, big_sql: str, big_rows: int, latency_ms: int
) -> dict[str, Any]:
    """The stream figures (see the module doc) against ``sim`` served at ``sim_url``."""
    from app.migrate import migrate
    from app.settings import DEV_WALLET_KEKS, Settings, with_database
    from models import TokenScope
    from models.database import open_database
    from schema.global_ids import encode_global_id
    from services.api_tokens import issue_api_token
    from services.audit import SYSTEM_ACTOR
    from services.wallet import TokenWallet
    from services.wallet.keys import key_provider_from_config
    from tests.e2e.app_process import (
        NO_RATE_LIMITS,
        app_env,
        free_port,
        running_app,
        simulator_env,
    )
    from tests.services.runs.test_reading import completed_run, signed_in
    from tests.services.wallet.helpers import SimControl, make_sim_tenant

    name = f"quarry_bench_runs_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    settings = Settings.from_env(
        {
            "QUARRY_ENV": "test",
            "DATABASE_URL": with_database(ADMIN_URL, name),
            "REDIS_URL": REDIS_URL,
        }
    )
    await migrate(settings)
    try:
        async with (
            open_database(settings.app_database_url),
            httpx.AsyncClient(base_url=sim_url, timeout=30) as control,
        ):
            simctl = SimControl(sim, control)
            wallet = TokenWallet.from_keys(
                key_provider_from_config(keks=DEV_WALLET_KEKS, kek_file="")
            )
            tenant = await make_sim_tenant(sim)
            username = "ada.admin"
            mid = next(u.default_mid for u in sim.store.users.values() if u.username == username)
            viewer = await signed_in(simctl, wallet, tenant, username, mid)
            big = await completed_run(sim, viewer, sql=big_sql, key="bench_ws_big")
            small_sql = big_sql.replace(f"TOP {big_rows}", "TOP 1000")
            small = await completed_run(sim, viewer, sql=small_sql, key="bench_ws_small")
            token = await issue_api_token(
                viewer.ctx, user_id=viewer.user_id, mid=mid, name="bench", scope=TokenScope.READ,
                expires_in_days=1, actor=SYSTEM_ACTOR,
            )  # fmt: skip
            sim.faults.set_latency(latency_ms)
            figures: dict[str, Any] = {}
            for label, run_id, expected in (("1k", small, 1000), ("200k", big, big_rows)):
                port = free_port()
                base = f"http://127.0.0.1:{port}"
                env = app_env(settings, public_url=base, **simulator_env(sim, sim_url))
                env.update(NO_RATE_LIMITS)
                with (
                    TemporaryDirectory() as logs,
                    running_app(port=port, env=env, log=Path(logs) / "api.log") as api,
                ):
                    global_id = encode_global_id("Run", str(run_id))
                    cpu_before = _cpu_seconds(api.pid)
                    rows, seconds = await asyncio.to_thread(_client, base, token.secret, global_id)
                    cpu = _cpu_seconds(api.pid) - cpu_before
                    peak_mb = _status_kb(api.pid, "VmHWM") / 1024
                if rows != expected:
                    raise RuntimeError(f"streamed {rows} rows of {expected}")
                figures[f"api_peak_rss_mb_{label}"] = round(peak_mb, 1)
                if label == "200k":
                    figures["stream_rows_per_s"] = round(rows / seconds)
                    figures["api_cpu_s_200k"] = round(cpu, 2)
            sim.faults.set_latency(0)
            return figures
    finally:
        admin = await asyncpg.connect(with_database(ADMIN_URL, "postgres"))
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def _client(base: str, token: str, run_global_id: str) -> tuple[int, float]:
    """:func:`_stream` in a child process (see the module doc): (rows, seconds)."""
    command = [sys.executable, "-m", "bench.runs_stream", base, run_global_id]
    done = subprocess.run(  # noqa: S603 - our own module; the token goes by stdin
        command, input=token, capture_output=True, text=True, check=False, timeout=600
    )
    if done.returncode != 0:
        raise RuntimeError(f"the websocket client failed: {done.stderr[-2000:]}")
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    return int(figures["rows"]), float(figures["seconds"])


def main() -> None:
    """The child: stream one run (``base``, run id as arguments, the API token on stdin)."""
    base, run_global_id = sys.argv[1:3]
    token = sys.stdin.read().strip()
    rows, seconds = asyncio.run(_stream(base, token, run_global_id))
    print(json.dumps({"rows": rows, "seconds": seconds}))


if __name__ == "__main__":
    main()
