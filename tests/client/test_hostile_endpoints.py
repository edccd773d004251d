"""What a broken or compromised endpoint cannot make the client do: follow a redirect
elsewhere with a token, hold a call past its timeout by dripping bytes, or fill memory
with an endless body. A hostile HTTP server on loopback (tests/client/hostile.py) plays
the endpoint, since the simulator never misbehaves this way."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import pytest_asyncio

from client.auth import AuthClient, ClientCredentials
from client.endpoints import EndpointPolicy
from client.errors import MceError, MceUnavailable, OutcomeUnknown
from client.pipeline import MceCaller, RequestParts, RetryPolicy
from client.rest import rest_classify
from client.secret import Secret
from client.simple_tokens import FixedTokenProvider
from client.tokens import AccessToken, CallTarget
from tests.client.hostile import Hostile, hostile_server

TOKEN = "hostile-test-access-token"
TARGET = CallTarget(tenant_id=1, mid=1)


def _one_token() -> FixedTokenProvider:
    """One fixed token (the endpoint here is not MCE)."""
    return FixedTokenProvider(
        AccessToken(value=Secret(TOKEN), expires_at=datetime.now(UTC) + timedelta(hours=1))
    )


NO_RETRY = RetryPolicy(max_retries=0)


@pytest_asyncio.fixture
async def hostile() -> AsyncIterator[Hostile]:
    async with hostile_server() as server:
        yield server


@pytest_asyncio.fixture
async def following() -> AsyncIterator[httpx.AsyncClient]:
    """An injected client configured to follow redirects (the caller's choice, not ours)."""
    async with httpx.AsyncClient(follow_redirects=True, timeout=30.0) as client:
        yield client


def soap_like(token: str) -> RequestParts:
    """The token in the body, as SOAP carries it: a 307 would resend it as is."""
    return RequestParts(
        headers={"Content-Type": "text/xml"}, content=f"<fueloauth>{token}</fueloauth>".encode()
    )


async def call(caller: MceCaller, hostile: Hostile, *, idempotent: bool) -> httpx.Response:
    return await caller.call(
        operation="test.hostile",
        method="POST",
        url=hostile.url + "/Service.asmx",
        target=TARGET,
        build=soap_like,
        classify=rest_classify,
        idempotent=idempotent,
    )


async def test_a_redirect_is_never_followed_even_by_a_following_client(
    hostile: Hostile, following: httpx.AsyncClient
) -> None:
    hostile.mode = "redirect"
    caller = MceCaller(http=following, tokens=_one_token(), retry=NO_RETRY, timeout=5.0)
    with pytest.raises(MceError):
        await call(caller, hostile, idempotent=True)
    assert hostile.received == []


async def test_a_dripping_body_cannot_outlast_the_timeout(
    hostile: Hostile, following: httpx.AsyncClient
) -> None:
    hostile.mode = "drip"
    caller = MceCaller(http=following, tokens=_one_token(), retry=NO_RETRY, timeout=0.5)
    started = time.monotonic()
    with pytest.raises(MceUnavailable):
        await call(caller, hostile, idempotent=True)
    assert time.monotonic() - started < 2.0


async def test_a_dripping_body_on_a_create_is_outcome_unknown(
    hostile: Hostile, following: httpx.AsyncClient
) -> None:
    hostile.mode = "drip"
    caller = MceCaller(http=following, tokens=_one_token(), timeout=0.5)
    with pytest.raises(OutcomeUnknown):
        await call(caller, hostile, idempotent=False)


@pytest.mark.parametrize("idempotent", [True, False])
async def test_an_endless_body_is_cut_off(
    hostile: Hostile, following: httpx.AsyncClient, idempotent: bool
) -> None:
    hostile.mode = "huge"
    caller = MceCaller(
        http=following, tokens=_one_token(), timeout=20.0, max_response_bytes=1 << 20
    )
    started = time.monotonic()
    with pytest.raises(OutcomeUnknown if not idempotent else MceUnavailable) as raised:
        await call(caller, hostile, idempotent=idempotent)
    assert "too large" in str(raised.value)
    assert time.monotonic() - started < 5.0


def _auth(http: httpx.AsyncClient, hostile: Hostile, **kwargs: float) -> AuthClient:
    return AuthClient(
        http=http,
        auth_base=hostile.url,
        policy=EndpointPolicy(dev_origin=hostile.url),
        credentials=ClientCredentials(client_id="id", client_secret=Secret("package-secret")),
        **kwargs,
    )


async def test_auth_calls_never_follow_redirects(
    hostile: Hostile, following: httpx.AsyncClient
) -> None:
    hostile.mode = "redirect"
    with pytest.raises(MceError):
        await _auth(following, hostile).refresh(refresh_token=Secret("refresh-secret"))
    assert hostile.received == []


async def test_auth_calls_have_a_deadline_and_a_size_limit(
    hostile: Hostile, following: httpx.AsyncClient
) -> None:
    hostile.mode = "drip"
    started = time.monotonic()
    with pytest.raises(OutcomeUnknown):
        await _auth(following, hostile, timeout=0.5).client_credentials()
    assert time.monotonic() - started < 2.0
    hostile.mode = "huge"
    with pytest.raises(MceUnavailable, match="too large"):
        await _auth(following, hostile, max_response_bytes=1 << 20).userinfo(
            access_token=Secret(TOKEN)
        )
