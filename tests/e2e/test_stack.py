"""The real stack: uvicorn serving the API and an RQ worker, as separate processes.

This is what ``./scripts/dev`` starts (minus the simulator), pointed at the test database.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import websockets

from app.settings import Settings

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def stack(test_settings: Settings) -> Iterator[str]:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "QUARRY_ENV": "development",
        "DATABASE_URL": test_settings.database_url,
        "REDIS_URL": test_settings.redis_url,
        "PUBLIC_URL": base,
        "LOG_LEVEL": "INFO",
    }
    api = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "app.main:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-access-log",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    worker = subprocess.Popen(
        [sys.executable, "-m", "app.worker"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/api/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.3)
        else:
            pytest.fail("the stack did not become ready within 30 s")
        yield base
    finally:
        for process in (api, worker):
            process.send_signal(signal.SIGTERM)
        for process in (api, worker):
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        output = api.stdout.read().decode() if api.stdout else ""
        api.stdout and api.stdout.close()
        _assert_json_logs(output)


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
