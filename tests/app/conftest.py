"""An in-process app (real Postgres as the app role, real Redis) and an https client for it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest_asyncio
from starlette.applications import Starlette

from app.main import create_app
from app.settings import Settings

BASE_URL = "https://quarry.test"


@pytest_asyncio.fixture
async def app(db: Settings) -> AsyncIterator[Starlette]:
    application = create_app(db, manage_orm=False)
    async with application.router.lifespan_context(application):
        yield application


@pytest_asyncio.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as http:
        yield http


@asynccontextmanager
async def client_for(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """A client for an app built with other ``settings`` (a variant of the session's)."""
    application = create_app(settings, manage_orm=False)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as http:
            yield http
