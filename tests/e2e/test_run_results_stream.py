"""A slow subscriber on a 200,000-row result over the real stack's websocket: the API process
(uvicorn, as deployed) streams every row in order while its memory stays flat, because it
reads MCE pages only as fast as the client takes them. Acting with an API token (bearer in
``connection_init``); the run's rows are in a shell DE of the simulator over HTTP."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
import websockets
from websockets.typing import Subprotocol

from app.settings import DEV_WALLET_KEKS, Settings
from models import TokenScope
from schema.global_ids import encode_global_id
from services.api_tokens import issue_api_token
from services.audit import SYSTEM_ACTOR
from services.wallet import TokenWallet
from services.wallet.keys import key_provider_from_config
from simulator.state import Simulator
from tests.e2e.app_process import NO_RATE_LIMITS, app_env, free_port, running_app, simulator_env
from tests.services.runs.test_reading import USER, completed_run, signed_in, user_mid
from tests.services.wallet.conftest import sim_tenant, simctl
from tests.services.wallet.helpers import SimControl, SimTenant
from tests.simulator.conftest import _shared_server, sim, sim_app, sim_url

__all__ = ["_shared_server", "sim", "sim_app", "sim_tenant", "sim_url", "simctl"]

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ROWS = 200_000
BIG = (  # the BU has fewer than 448 subscribers: a third, two-row factor reaches 200,000
    "SELECT TOP 200000 a.SubscriberKey AS A, b.SubscriberKey AS B FROM Subscribers a "
    "CROSS JOIN Subscribers b CROSS JOIN (SELECT TOP 2 SubscriberKey FROM Subscribers) c "
    "ORDER BY a.SubscriberKey, b.SubscriberKey, c.SubscriberKey"
)
SUBSCRIBE = (
    "subscription ($id: ID!, $size: Int) { runResults(runId: $id, pageSize: $size)"
    " { offset rows total last } }"
)


@pytest.fixture
def wallet() -> TokenWallet:
    """The wallet as the app process opens it (the development key)."""
    return TokenWallet.from_keys(key_provider_from_config(keks=DEV_WALLET_KEKS, kek_file=""))


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


async def test_a_slow_subscriber_gets_200k_rows_in_order_with_the_api_memory_flat(
    db: Settings,
    sim: Simulator,
    sim_url: str,
    simctl: SimControl,
    sim_tenant: SimTenant,
    wallet: TokenWallet,
    tmp_path: Path,
) -> None:
    mid = user_mid(simctl, USER)
    viewer = await signed_in(simctl, wallet, sim_tenant, USER, mid)
    run_id = await completed_run(sim, viewer, sql=BIG, key="shell_e2e_big")
    token = await issue_api_token(
        viewer.ctx, user_id=viewer.user_id, mid=mid, name="e2e", scope=TokenScope.READ,
        expires_in_days=1, actor=SYSTEM_ACTOR,
    )  # fmt: skip
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = app_env(db, public_url=base, **simulator_env(sim, sim_url), **NO_RATE_LIMITS)
    with running_app(port=port, env=env, log=tmp_path / "api.log") as api:
        url = base.replace("http", "ws") + "/api/graphql"
        async with websockets.connect(
            url, subprotocols=[Subprotocol("graphql-transport-ws")], max_size=2**24
        ) as ws:
            await ws.send(
                json.dumps(
                    {
                        "type": "connection_init",
                        "payload": {"authorization": f"Bearer {token.secret}"},
                    }
                )
            )
            assert json.loads(await ws.recv())["type"] == "connection_ack"
            variables = {"id": encode_global_id("Run", str(run_id)), "size": 2000}
            await ws.send(
                json.dumps(
                    {
                        "id": "1",
                        "type": "subscribe",
                        "payload": {"query": SUBSCRIBE, "variables": variables},
                    }
                )
            )
            seen, previous, samples = 0, None, []
            while True:
                message = json.loads(await asyncio.wait_for(ws.recv(), timeout=60))
                assert message["type"] == "next", message
                page = message["payload"]["data"]["runResults"]
                assert page["offset"] == seen and page["total"] == ROWS
                for row in page["rows"]:
                    key = (row[0].casefold(), row[1].casefold())
                    assert previous is None or previous <= key
                    previous = key
                seen += len(page["rows"])
                samples.append(rss_mb(api.pid))
                if page["last"]:
                    break
                await asyncio.sleep(0.05)  # a slow client
            assert json.loads(await ws.recv())["type"] == "complete"
    assert seen == ROWS
    # Flat: after the first pages, the API's memory does not grow with the rows streamed.
    early = max(samples[: len(samples) // 4])
    late = max(samples[len(samples) // 4 :])
    assert late - early < 40, (early, late)
