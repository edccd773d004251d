"""Fixtures for simulator tests (also used by the SOAP tests).

* ``sim``: a fresh :class:`Simulator` (seed 1, scale small, refresh grace 0, control on).
* ``sim_app``: ``create_app(sim)``.
* ``sim_url``: uvicorn serving ``sim_app`` on 127.0.0.1 and a free port, in a background
  thread; the base URL with a trailing slash. (One server per session whose app is
  switched per test; use ``ServerThread`` directly for a server of your own.)
* ``http``: a sync ``httpx.Client`` on ``sim_url`` (no redirects followed).
* ``asgi_client``: an in-process ``httpx.AsyncClient`` on ``sim_app``.
* ``token_for``: ``token_for(http, user="ada.admin", mid=None, scope=None)`` runs the
  authorization-code flow and returns the token response JSON.
* ``s2s_token``: ``s2s_token(http, mid=None, scope=None)``: a client_credentials token.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import pytest_asyncio
import uvicorn
from starlette.applications import Starlette

from simulator.app import create_app
from simulator.state import Simulator, SimulatorConfig
from tests.litter import LEDGER

TokenFor = Callable[..., dict[str, Any]]


def make_sim(**overrides: Any) -> Simulator:
    """A simulator with the test defaults, overridable per test."""
    options: dict[str, Any] = {
        "seed": 1,
        "scale": "small",
        "refresh_grace_seconds": 0,
        "control": True,
    }
    options.update(overrides)
    return Simulator(SimulatorConfig(**options))


class ServerThread:
    """uvicorn on a socket we bound ourselves, so the port is known before start."""

    def __init__(self, app: Starlette) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}/"
        config = uvicorn.Config(app, log_level="critical", lifespan="off", access_log=False)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True
        )

    def __enter__(self) -> ServerThread:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.005)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()


class _SwitchableApp:
    """One uvicorn server for the whole session, serving whichever test app is current.

    Starting and stopping uvicorn per test costs more than the test itself.
    """

    def __init__(self) -> None:
        self.target: Starlette | None = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        assert self.target is not None, "no simulator app is active"
        await self.target(scope, receive, send)


@pytest.fixture(scope="session")
def _shared_server() -> Iterator[tuple[_SwitchableApp, str]]:
    switch = _SwitchableApp()
    with ServerThread(switch) as server:  # type: ignore[arg-type]
        yield switch, server.url


@pytest.fixture
def sim() -> Iterator[Simulator]:
    simulator = make_sim()
    yield simulator
    simulator.close()


@pytest.fixture
def sim_app(sim: Simulator) -> Starlette:
    return create_app(sim)


@pytest.fixture
def sim_url(
    sim_app: Starlette, _shared_server: tuple[_SwitchableApp, str], request: pytest.FixtureRequest
) -> Iterator[str]:
    switch, url = _shared_server
    switch.target = sim_app
    yield url
    switch.target = None
    # What Quarry left in this test's MCE counts towards the session's (tests/litter.py).
    LEDGER.record(request.node.nodeid, sim_app.state.sim)


@pytest.fixture
def http(sim_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sim_url, follow_redirects=False, timeout=10) as client:
        yield client


@pytest_asyncio.fixture
async def asgi_client(sim_app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=sim_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sim.test/") as client:
        yield client


def authorize_code(
    client: httpx.Client,
    sim: Simulator,
    *,
    user: str = "ada.admin",
    mid: int | None = None,
    scope: str | None = None,
    redirect_uri: str | None = None,
) -> tuple[str, str]:
    """Run ``/v2/authorize`` with auto-approve; returns ``(code, redirect_uri)``."""
    package = sim.enhanced_package
    redirect = redirect_uri or package.redirect_uris[0]
    params = {
        "response_type": "code",
        "client_id": package.client_id,
        "redirect_uri": redirect,
        "state": "xyz",
        "sim_user": user,
    }
    if mid is not None:
        params["account_id"] = str(mid)
    if scope is not None:
        params["scope"] = scope
    response = client.get("v2/authorize", params=params)
    assert response.status_code == 302, response.text
    query = parse_qs(urlsplit(response.headers["location"]).query)
    assert "code" in query, query
    return query["code"][0], redirect


@pytest.fixture
def token_for(sim: Simulator) -> TokenFor:
    def _token_for(
        client: httpx.Client,
        *,
        user: str = "ada.admin",
        mid: int | None = None,
        scope: str | None = None,
    ) -> dict[str, Any]:
        code, redirect = authorize_code(client, sim, user=user, mid=mid, scope=scope)
        package = sim.enhanced_package
        response = client.post(
            "v2/token",
            json={
                "grant_type": "authorization_code",
                "code": code,
                "client_id": package.client_id,
                "client_secret": package.client_secret,
                "redirect_uri": redirect,
            },
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    return _token_for


@pytest.fixture
def s2s_token(sim: Simulator) -> TokenFor:
    def _s2s(
        client: httpx.Client, *, mid: int | None = None, scope: str | None = None
    ) -> dict[str, Any]:
        package = sim.enhanced_package
        body: dict[str, Any] = {
            "grant_type": "client_credentials",
            "client_id": package.client_id,
            "client_secret": package.client_secret,
        }
        if mid is not None:
            body["account_id"] = mid
        if scope is not None:
            body["scope"] = scope
        response = client.post("v2/token", json=body)
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    return _s2s
