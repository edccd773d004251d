"""Test databases cloned from a migrated template (tests/database_template.py): sessions
starting at once share one template, and each clone is what migrating from scratch makes."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest
import pytest_asyncio

from app.migrate import migrate
from app.settings import Settings, with_database
from tests.conftest import ADMIN_URL, drop_database, make_settings
from tests.database_template import DatabaseTemplates
from tests.models.test_migrations import _snapshot

#: This test's own templates, so the sessions' template is never dropped under them.
TEMPLATES = DatabaseTemplates(prefix=f"quarry_tpltest_{os.getpid()}_")


async def _admin() -> asyncpg.Connection:
    return await asyncpg.connect(with_database(ADMIN_URL, "postgres"))


async def _databases(prefix: str) -> set[str]:
    admin = await _admin()
    try:
        rows = await admin.fetch("SELECT datname FROM pg_database WHERE datname LIKE $1", prefix)
        return {row["datname"] for row in rows}
    finally:
        await admin.close()


async def _database_level(name: str) -> tuple[object, ...]:
    """What a template does not carry: the owner and the grants on the database."""
    admin = await _admin()
    try:
        row = await admin.fetchrow(
            "SELECT pg_get_userbyid(datdba), datacl::text[] FROM pg_database WHERE datname = $1",
            name,
        )
        assert row is not None
        acl = sorted(item.split("/")[0] for item in row[1] or ())  # grantee=privileges
        return row[0], acl
    finally:
        await admin.close()


@pytest_asyncio.fixture(scope="module", autouse=True)
async def _drop_templates() -> AsyncIterator[None]:
    yield
    await TEMPLATES.drop_all(ADMIN_URL)


@pytest_asyncio.fixture
async def names() -> AsyncIterator[list[str]]:
    """Three database names of the test's, dropped after it."""
    made = [f"quarry_tplclone_{uuid.uuid4().hex[:10]}" for _ in range(3)]
    try:
        yield made
    finally:
        for name in made:
            await drop_database(name)


async def test_sessions_at_once_share_one_template_and_each_gets_a_migrated_database(
    names: list[str],
) -> None:
    # A template of another digest (a migration changed since) is dropped when one is made.
    await TEMPLATES.drop_all(ADMIN_URL)
    # So is the half-made template of a session killed while it migrated.
    admin = await _admin()
    try:
        for stale in (TEMPLATES.prefix + "0" * 16, TEMPLATES.prefix + "build_1"):
            await admin.execute(f'CREATE DATABASE "{stale}"')
    finally:
        await admin.close()
    scratch = make_settings(f"quarry_tplscratch_{uuid.uuid4().hex[:10]}")
    try:
        await migrate(scratch)
        expected = await _snapshot(scratch.database_url)
        expected_level = await _database_level(scratch.database_url.rsplit("/", 1)[1])
    finally:
        await drop_database(scratch.database_url.rsplit("/", 1)[1])

    clones = [make_settings(name) for name in names]
    await asyncio.gather(*(TEMPLATES.clone(settings) for settings in clones))

    assert await _databases(TEMPLATES.prefix + "%") == {TEMPLATES.name()}  # no stale, no build
    for settings, name in zip(clones, names, strict=True):
        assert await _snapshot(settings.database_url) == expected
        assert await _database_level(name) == expected_level
    with pytest.raises(asyncpg.PostgresError, match="not currently accepting connections"):
        await asyncpg.connect(with_database(ADMIN_URL, TEMPLATES.name()))


async def test_a_clone_s_changes_reach_neither_the_template_nor_later_clones(
    names: list[str],
) -> None:
    first, later = make_settings(names[0]), make_settings(names[1])
    await TEMPLATES.clone(first)
    await _create_table(first, "only_in_the_first_clone")
    await TEMPLATES.clone(later)
    assert "only_in_the_first_clone" in await _tables(first)
    assert "only_in_the_first_clone" not in await _tables(later)


async def test_a_failed_clone_leaves_the_template_usable(names: list[str]) -> None:
    taken = make_settings(names[0])
    await TEMPLATES.clone(taken)
    with pytest.raises(asyncpg.DuplicateDatabaseError):
        await TEMPLATES.clone(taken)  # the database exists: refused, the lock released
    again = make_settings(names[1])
    await asyncio.wait_for(TEMPLATES.clone(again), timeout=60)
    assert "tortoise_migrations" in await _tables(again)


async def _create_table(settings: Settings, name: str) -> None:
    conn = await asyncpg.connect(settings.database_url)
    try:
        await conn.execute(f"CREATE TABLE {name} (id int)")
    finally:
        await conn.close()


async def _tables(settings: Settings) -> set[str]:
    conn = await asyncpg.connect(settings.database_url)
    try:
        rows = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        return {row["tablename"] for row in rows}
    finally:
        await conn.close()
