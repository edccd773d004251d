"""The real stack: uvicorn serving the API and an RQ worker, as separate processes.

This is what ``./scripts/dev`` starts (minus the simulator), pointed at the test database.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest
import websockets

from app.settings import Settings
from tests.e2e.app_process import ROOT, app_env, free_port, running_app

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture(scope="module")
def stack(test_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = app_env(test_settings, public_url=base)
    log = tmp_path_factory.mktemp("stack") / "uvicorn.log"
    worker = subprocess.Popen(
        [sys.executable, "-m", "app.worker"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        with running_app(port=port, env=env, log=log, ready_path="/api/readyz"):
            yield base
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=15)
        except subprocess.TimeoutExpired:
            worker.kill()
    _assert_json_logs(log.read_text())


def _assert_json_logs(output: str) -> None:
    lines = [line for line in output.splitlines() if line.strip()]
    assert lines, "the API logged nothing"
    for line in lines:
        entry = json.loads(line)  # every line is JSON
        assert "request_id" in entry


def test_stack_answers_health_and_is_ready(stack: str) -> None:
    response = httpx.post(f"{stack}/api/graphql", json={"query": "{ health { status } }"})
    assert response.json() == {"data": {"health": {"status": "ok"}}}
    ready = httpx.get(f"{stack}/api/readyz").json()
    assert ready["dependencies"]["worker"]["status"] == "ok"


async def test_websocket_speaks_graphql_transport_ws(stack: str) -> None:
    url = stack.replace("http", "ws") + "/api/graphql"
    async with websockets.connect(url, subprotocols=["graphql-transport-ws"], origin=stack) as ws:
        assert ws.subprotocol == "graphql-transport-ws"
        await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        await ws.send(
            json.dumps(
                {"id": "1", "type": "subscribe", "payload": {"query": "{ health { status } }"}}
            )
        )
        message = json.loads(await ws.recv())
        assert message["type"] == "next"
        assert message["payload"]["data"]["health"]["status"] == "ok"


async def test_legacy_graphql_ws_protocol_is_refused(stack: str) -> None:
    url = stack.replace("http", "ws") + "/api/graphql"
    with pytest.raises(
        (websockets.exceptions.InvalidHandshake, websockets.exceptions.ConnectionClosed)
    ):
        async with websockets.connect(url, subprotocols=["graphql-ws"], origin=stack) as ws:
            await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
            await ws.recv()


async def test_foreign_origin_websocket_is_refused(stack: str) -> None:
    url = stack.replace("http", "ws") + "/api/graphql"
    with pytest.raises(
        (websockets.exceptions.InvalidHandshake, websockets.exceptions.ConnectionClosed)
    ):
        async with websockets.connect(
            url, subprotocols=["graphql-transport-ws"], origin="https://evil.example"
        ) as ws:
            await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
            await ws.recv()
