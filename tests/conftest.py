"""Shared fixtures: a fresh migrated database per test session, connected as the app role.

Tables are built by the real migrations (run as the owner role); tests then connect as
``quarry_app``, which owns nothing and lacks BYPASSRLS, so row-level security is exercised.
Database fixtures are lazy: simulator tests never touch Postgres.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
import pytest
import pytest_asyncio
from redis.asyncio import Redis
from tortoise import Tortoise

from app.db import tortoise_config
from app.settings import Settings, with_database
from tests.database_template import TEMPLATES
from tests.litter import LEDGER

ADMIN_URL = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15")


def make_settings(database: str, **overrides: str) -> Settings:
    """Test settings pointing at ``database`` on the admin server."""
    env = {
        "QUARRY_ENV": "test",
        "DATABASE_URL": with_database(ADMIN_URL, database),
        "REDIS_URL": REDIS_URL,
        "PUBLIC_URL": "https://quarry.test",
        # Per-IP limits count in the shared Redis across every concurrent test run, and the
        # in-process clients all come from 127.0.0.1: tests of the limits set their own.
        "RATE_LIMIT_SIGNIN_PER_MINUTE": "1000000",
        "RATE_LIMIT_GRAPHQL_PER_MINUTE": "1000000",
        "RATE_LIMIT_BEARER_PER_MINUTE": "1000000",
        # Sign-ins would leave sync jobs in the shared queues for other tests' burst workers;
        # the trigger's own test turns it on.
        "METADATA_SYNC_ON_SIGN_IN": "false",
        **overrides,
    }
    return Settings.from_env(env)


async def drop_database(name: str) -> None:
    admin = await asyncpg.connect(with_database(ADMIN_URL, "postgres"))
    try:
        statement = await admin.fetchval(
            "SELECT format('DROP DATABASE IF EXISTS %I WITH (FORCE)', $1::text)", name
        )
        await admin.execute(statement)
    finally:
        await admin.close()


@asynccontextmanager
async def throwaway_database(prefix: str) -> AsyncIterator[Settings]:
    """Test settings for a database of its own (``prefix``, the pid and a random tail),
    created migrated on entry (a copy of the migrated template, tests/database_template.py)
    and dropped when the block ends, even if making it failed."""
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    try:
        settings = make_settings(name)
        await TEMPLATES.clone(settings)
        yield settings
    finally:
        await drop_database(name)


@pytest_asyncio.fixture(scope="session")
async def test_settings() -> AsyncIterator[Settings]:
    """Settings for a throwaway database, migrated once for the whole session."""
    async with throwaway_database("quarry_test") as settings:
        yield settings


@pytest_asyncio.fixture(scope="session")
async def db(test_settings: Settings) -> AsyncIterator[Settings]:
    """Tortoise initialised as the app role for the whole session."""
    await Tortoise.init(
        config=tortoise_config(test_settings.app_database_url, max_size=5),
        _enable_global_fallback=True,
    )
    try:
        yield test_settings
    finally:
        await Tortoise.close_connections()


@pytest_asyncio.fixture
async def admin_conn(test_settings: Settings) -> AsyncIterator[asyncpg.Connection]:
    """A superuser connection to the test database, for catalog checks and fixtures."""
    conn = await asyncpg.connect(test_settings.database_url)
    try:
        yield conn
    finally:
        await conn.close()


@pytest_asyncio.fixture
async def redis() -> AsyncIterator[Redis]:
    """An async client on the tests' Redis database (never flushed: tests run side by side)."""
    client = Redis.from_url(REDIS_URL)
    try:
        yield client
    finally:
        await client.aclose()


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """The session's MCE holds no asset of Quarry's beyond the pool (tests/litter.py); the
    session fails otherwise, naming the tests that left them."""
    problems = LEDGER.problems()
    if not problems:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    text = "Quarry left assets in MCE beyond its pool:\n  " + "\n  ".join(problems)
    if reporter is not None:
        reporter.write_sep("=", "MCE litter", red=True)
        reporter.write_line(text)
    session.exitstatus = pytest.ExitCode.TESTS_FAILED
