"""Fixtures for client tests: the simulator over real HTTP (tests/simulator's fixtures) and
an MCE Bridge wired to it, with millisecond backoff so fault tests stay fast.

* ``policy``: the development :class:`EndpointPolicy` allowing only the simulator's origin.
* ``ahttp``: an ``httpx.AsyncClient`` as the app builds it (``create_http_client``).
* ``auth``: an :class:`AuthClient` for the simulator's enhanced package.
* ``grant``: a ``TokenGrant`` for ada.admin in the parent BU (authorization-code flow).
* ``provider``: a :class:`RefreshingTokenProvider` seeded with ``grant``.
* ``target``: the :class:`CallTarget` for that grant.
* ``observer``: a :class:`CountingObserver`; ``caller``: an :class:`MceCaller` using all of it.
* ``control``: ``control(path, body)`` posts to the simulator's ``/__sim/`` API.
* ``op_count``: ``op_count(name)`` reads one operation's count from ``/__sim/stats``.
* ``bridge``: all of the above in one :class:`Bridge`, for tests that need most of it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import pytest_asyncio

from client.auth import AuthClient, ClientCredentials, TokenGrant
from client.endpoints import EndpointPolicy, MceEndpoints
from client.http import create_http_client
from client.observe import CountingObserver, LoggingObserver, ObserverChain
from client.pipeline import MceCaller, RetryPolicy
from client.secret import Secret
from client.simple_tokens import RefreshingTokenProvider
from client.tokens import CallTarget
from simulator.state import Simulator
from tests.simulator.conftest import (
    _shared_server,
    authorize_code,
    http,
    s2s_token,
    sim,
    sim_app,
    sim_url,
    token_for,
)

__all__ = [
    "_shared_server",
    "http",
    "s2s_token",
    "sim",
    "sim_app",
    "sim_url",
    "token_for",
]

FAST_RETRY = RetryPolicy(max_retries=3, base_delay=0.001, max_delay=0.005, max_retry_after=2.0)

Control = Callable[[str, dict[str, Any]], dict[str, Any]]


@pytest.fixture
def policy(sim_url: str) -> EndpointPolicy:
    return EndpointPolicy(dev_origin=sim_url)


@pytest.fixture
def endpoints(sim: Simulator, policy: EndpointPolicy) -> MceEndpoints:
    return MceEndpoints.from_tssd(sim.store.enterprise.tssd, policy=policy)


@pytest_asyncio.fixture
async def ahttp(sim_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with create_http_client(timeout=10.0) as client:
        yield client


@pytest.fixture
def credentials(sim: Simulator) -> ClientCredentials:
    package = sim.enhanced_package
    return ClientCredentials(
        client_id=package.client_id, client_secret=Secret(package.client_secret)
    )


@pytest.fixture
def auth(
    ahttp: httpx.AsyncClient,
    endpoints: MceEndpoints,
    policy: EndpointPolicy,
    credentials: ClientCredentials,
) -> AuthClient:
    return AuthClient(
        http=ahttp, auth_base=endpoints.auth_base, policy=policy, credentials=credentials
    )


@pytest_asyncio.fixture
async def grant(sim: Simulator, http: httpx.Client, auth: AuthClient) -> TokenGrant:
    code, redirect = authorize_code(http, sim, user="ada.admin")
    return await auth.exchange_code(code=code, redirect_uri=redirect)


@pytest.fixture
def provider(auth: AuthClient, grant: TokenGrant) -> RefreshingTokenProvider:
    assert grant.refresh_token is not None
    tokens = RefreshingTokenProvider(auth=auth, refresh_token=grant.refresh_token)
    tokens.seed(grant)
    return tokens


@pytest.fixture
def target(sim: Simulator) -> CallTarget:
    eid = sim.store.enterprise.eid
    user = next(u for u in sim.store.users.values() if u.username == "ada.admin")
    return CallTarget(tenant_id=eid, mid=eid, user_id=user.id)


@pytest.fixture
def observer() -> CountingObserver:
    return CountingObserver()


@pytest.fixture
def caller(
    ahttp: httpx.AsyncClient, provider: RefreshingTokenProvider, observer: CountingObserver
) -> MceCaller:
    return MceCaller(
        http=ahttp,
        tokens=provider,
        observer=ObserverChain([LoggingObserver(), observer]),
        retry=FAST_RETRY,
        timeout=5.0,
    )


@pytest.fixture
def control(http: httpx.Client) -> Control:
    def _control(path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = http.post(f"__sim/{path}", json=body)
        assert response.status_code in (200, 201), response.text
        result: dict[str, Any] = response.json()
        return result

    return _control


@pytest.fixture
def op_count(http: httpx.Client) -> Callable[[str], int]:
    def _count(operation: str) -> int:
        operations: dict[str, int] = http.get("__sim/stats").json()["operations"]
        return operations.get(operation, 0)

    return _count


@dataclass(frozen=True)
class Bridge:
    """The wired client and the simulator's control API, as one fixture."""

    caller: MceCaller
    endpoints: MceEndpoints
    target: CallTarget
    provider: RefreshingTokenProvider
    observer: CountingObserver
    control: Control
    op_count: Callable[[str], int]
    http: httpx.Client

    def http_delete(self, path: str) -> None:
        self.http.delete(path).raise_for_status()


@pytest.fixture
def bridge(
    caller: MceCaller,
    endpoints: MceEndpoints,
    target: CallTarget,
    provider: RefreshingTokenProvider,
    observer: CountingObserver,
    control: Control,
    op_count: Callable[[str], int],
    http: httpx.Client,
) -> Bridge:
    return Bridge(caller, endpoints, target, provider, observer, control, op_count, http)
