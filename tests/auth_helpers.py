"""Helpers shared by the request-authentication tests: a settable clock, sessions and API
tokens made the way the app makes them, unique client addresses, polling with a deadline.

Redis is the real one at ``REDIS_URL`` (shared with other test runs): every key a test
touches is unique to it, and nothing is ever flushed.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
from redis.asyncio import Redis
from starlette.applications import Starlette

from app.cookies import SESSION_COOKIE
from app.main import create_app
from app.settings import Settings
from services.api_tokens import IssuedToken, issue_api_token
from services.sessions import Session, SessionStore
from tests.conftest import REDIS_URL
from tests.factories import TenantFixture

# 10.x.y.z addresses unique to this process, so per-IP limits never mix with other runs.
_addresses = itertools.count(random.randint(1, 2**16) * 64 + (os.getpid() % 64))


def unique_ip(network: int = 10) -> str:
    n = next(_addresses) % (2**24 - 2) + 2  # never x.0.0.0 or x.0.0.1
    return f"{network}.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"


def unique_loopback() -> str:
    """A loopback address of its own (Linux routes all of 127/8 to lo) for a real socket."""
    return unique_ip(127)


class Clock:
    """A clock tests move by hand."""

    def __init__(self, start: float | None = None) -> None:
        self.now = time.time() if start is None else start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def redis_client() -> Redis:
    return Redis.from_url(REDIS_URL)


async def new_session(
    store: SessionStore, tenant: TenantFixture, *, mid: int | None = None
) -> tuple[str, Session]:
    return await store.create(
        tenant_id=tenant.tenant_id,
        mid=tenant.parent_mid if mid is None else mid,
        parent_mid=None if mid in (None, tenant.parent_mid) else tenant.parent_mid,
        user_id=tenant.user.id,
        mce_user_id=tenant.user.mce_user_id,
        kind="enhanced",
    )


async def new_api_token(
    tenant: TenantFixture,
    *,
    scope: str = "read",
    days: int = 30,
    mid: int | None = None,
    name: str = "ci",
) -> IssuedToken:
    from models import TokenScope
    from services.audit import SYSTEM_ACTOR

    return await issue_api_token(
        tenant.context(mid),
        user_id=tenant.user.id,
        mid=tenant.parent_mid if mid is None else mid,
        name=name,
        scope=TokenScope(scope),
        expires_in_days=days,
        actor=SYSTEM_ACTOR,
    )


async def eventually(
    probe: Callable[[], Awaitable[Any]], *, within: float = 5.0, interval: float = 0.02
) -> Any:
    """Poll ``probe`` until it returns something truthy; fail after ``within`` seconds."""
    deadline = time.monotonic() + within
    while True:
        value = await probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {within} s (last: {value!r})")
        await asyncio.sleep(interval)


# ------------------------------------------------------------------ the app, in-process
BASE_URL = "https://quarry.test"
ORIGIN = BASE_URL


@asynccontextmanager
async def running_app(settings: Settings) -> AsyncIterator[Starlette]:
    """The app built from ``settings`` with its lifespan running (ORM set up by ``db``)."""
    application = create_app(settings, manage_orm=False)
    async with application.router.lifespan_context(application):
        yield application


@asynccontextmanager
async def https_client(
    app: Starlette, *, ip: str | None = None
) -> AsyncIterator[httpx.AsyncClient]:
    """An https client for ``app`` coming from ``ip`` (a fresh unique address by default)."""
    transport = httpx.ASGITransport(app=app, client=(ip or unique_ip(), 40000))
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
        yield client


def session_cookie(session_id: str) -> dict[str, str]:
    return {"cookie": f"{SESSION_COOKIE}={session_id}"}


def browser_headers(session_id: str, csrf_token: str, *, origin: str = ORIGIN) -> dict[str, str]:
    """What the SPA sends: its cookie, the CSRF header and its Origin."""
    return {**session_cookie(session_id), "x-csrf-token": csrf_token, "origin": origin}


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


async def new_support_token(settings: Settings, *, days: int = 7) -> str:
    """A support token, created as the CLI does: as the system role."""
    from app.cli_support import system_database
    from services.api_tokens import issue_support_token
    from services.audit import SYSTEM_ACTOR

    async with system_database(settings):
        issued = await issue_support_token(
            name="support-test", expires_in_days=days, actor=SYSTEM_ACTOR
        )
    return issued.secret
