"""Sign-in fixtures: a simulator of its own per test (a unique enterprise, so "nothing was
stored" can be checked by its EID), served over real HTTP, and the app in-process over https.

``browser`` is an ``httpx.AsyncClient`` that follows redirects across both: requests for
``https://quarry.test`` go to the app (ASGI), every other URL goes over the network (the
simulator). Its cookie jar is the browser's.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
import pytest
import pytest_asyncio
from starlette.applications import Starlette

from app.main import create_app
from app.settings import Settings
from simulator.app import create_app as create_sim_app
from simulator.state import Simulator
from tests.conftest import make_settings
from tests.simulator.conftest import _shared_server, _SwitchableApp, make_sim

__all__ = ["_shared_server"]

APP_ORIGIN = "https://quarry.test"
CALLBACK = f"{APP_ORIGIN}/api/auth/callback"
_seeds = itertools.count(1000 + os.getpid() % 1000 * 1000)


class AppOrNetwork(httpx.AsyncBaseTransport):
    """Routes the app's origin to the ASGI app and everything else to the network."""

    def __init__(self, app: Starlette) -> None:
        self.app = httpx.ASGITransport(app=app)
        self.network = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if f"{request.url.scheme}://{request.url.host}" == APP_ORIGIN:
            return await self.app.handle_async_request(request)
        return await self.network.handle_async_request(request)

    async def aclose(self) -> None:
        await self.app.aclose()
        await self.network.aclose()


@dataclass
class Mce:
    """The simulated MCE of one test."""

    sim: Simulator
    url: str

    @property
    def eid(self) -> int:
        return self.sim.store.enterprise.eid

    def user(self, username: str = "ada.admin") -> Any:
        user = self.sim.store.find_user(username)
        assert user is not None
        return user


@pytest.fixture
def mce(_shared_server: tuple[_SwitchableApp, str]) -> Iterator[Mce]:
    switch, url = _shared_server
    # Sign-in reads no DE rows: a simulator without them builds in milliseconds.
    sim = make_sim(
        seed=next(_seeds), redirect_uris=[CALLBACK], refresh_grace_seconds=0, with_rows=False
    )
    switch.target = create_sim_app(sim)
    try:
        yield Mce(sim=sim, url=url)
    finally:
        switch.target = None
        sim.close()


def signin_settings(db: Settings, mce: Mce, **overrides: str) -> Settings:
    enhanced, legacy = mce.sim.enhanced_package, mce.sim.legacy_package
    env = {
        "MCE_AUTH_BASE_URL": mce.url,
        "MCE_CLIENT_ID": enhanced.client_id,
        "MCE_CLIENT_SECRET": enhanced.client_secret,
        "MCE_LEGACY_CLIENT_ID": legacy.client_id,
        "MCE_LEGACY_CLIENT_SECRET": legacy.client_secret,
        "MCE_LEGACY_JWT_SECRET": legacy.jwt_signing_secret or "",
        # Every test signs in from 127.0.0.1; the limits themselves are tested elsewhere.
        "RATE_LIMIT_SIGNIN_PER_MINUTE": "100000",
        "RATE_LIMIT_GRAPHQL_PER_MINUTE": "100000",
        "RATE_LIMIT_BEARER_PER_MINUTE": "100000",
        **overrides,
    }
    return make_settings(db.database_url.rsplit("/", 1)[1], **env)


@pytest_asyncio.fixture
async def app(db: Settings, mce: Mce) -> AsyncIterator[Starlette]:
    application = create_app(signin_settings(db, mce), manage_orm=False)
    async with application.router.lifespan_context(application):
        yield application


@pytest_asyncio.fixture
async def browser(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=AppOrNetwork(app), base_url=APP_ORIGIN, follow_redirects=True, timeout=30
    ) as client:
        yield client


async def csrf_token(browser: httpx.AsyncClient) -> str:
    response = await browser.get("/api/auth/session")
    assert response.status_code == 200, response.text
    token = response.json()["csrfToken"]
    assert isinstance(token, str) and token
    return token


async def graphql(
    browser: httpx.AsyncClient, query: str, variables: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A GraphQL POST as the SPA makes it: session cookie, CSRF header, our Origin."""
    response = await browser.post(
        "/api/graphql",
        json={"query": query, "variables": variables or {}},
        headers={"X-CSRF-Token": await csrf_token(browser), "Origin": APP_ORIGIN},
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def count_rows(conn: asyncpg.Connection, table: str, tenant_id: int) -> int:
    """Rows of ``table`` for a tenant, read as the superuser (RLS does not apply)."""
    value = await conn.fetchval(
        f"SELECT count(*) FROM {table} WHERE tenant_id = $1",  # noqa: S608 - fixed names
        tenant_id,
    )
    return int(value)
