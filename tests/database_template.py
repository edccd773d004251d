"""Throwaway test databases cloned from a migrated template instead of migrated from scratch.

Migrating an empty database takes 3-6 s; ``CREATE DATABASE ... TEMPLATE`` copies a migrated
one in a fraction of a second. The template is named after a digest of what migrating
depends on (the migrations, the migrator, the ORM's version), so a changed migration gets a
template of its own; templates of other digests are dropped when a new one is made.

Several test sessions (other people's runs, benchmarks) may start at once. Making, dropping
and cloning templates all happen under one PostgreSQL advisory lock held by the caller's
connection (released if its process dies), so nobody clones a template being made or dropped.
A template is built under a temporary name and renamed once migrated, and it refuses
connections (``ALLOW_CONNECTIONS false``), since PostgreSQL cannot copy a database someone is
connected to. The clone is then migrated as usual (``app.migrate``, still under the lock: two
sessions altering the same roles at once fail): that makes the roles and the database's
grants, which a template does not carry, and finds no pending migration.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, replace
from importlib.metadata import version
from pathlib import Path

import asyncpg

from app.migrate import migrate
from app.settings import OWNER_ROLE, Settings, database_name, with_database

__all__ = ["TEMPLATES", "DatabaseTemplates"]

ROOT = Path(__file__).resolve().parents[1]
#: What the migrated schema depends on.
_SOURCES = (ROOT / "migrations", ROOT / "app" / "migrate.py", ROOT / "app" / "bootstrap.py")
#: pg_advisory_lock's key for making, dropping and cloning templates (a constant of ours).
_LOCK_KEY = 0x71A77E_0001


def _digest() -> str:
    """The digest of the migrations, the migrator and tortoise's version."""
    digest = hashlib.sha256(version("tortoise-orm").encode())
    for source in _SOURCES:
        files = sorted(source.rglob("*.py")) if source.is_dir() else [source]
        for path in files:
            digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


@dataclass(frozen=True)
class DatabaseTemplates:
    """Migrated templates named ``<prefix><digest>`` (one per digest at a time)."""

    prefix: str

    def name(self) -> str:
        return self.prefix + _digest()

    async def clone(self, settings: Settings) -> None:
        """Create ``settings``' database (which must not exist) as a copy of the migrated
        template, making the template first if needed, then run the migrator on it."""
        template = self.name()
        admin = await asyncpg.connect(with_database(settings.database_url, "postgres"))
        try:
            await admin.execute("SELECT pg_advisory_lock($1)", _LOCK_KEY)
            try:
                if not await _exists(admin, template):
                    await self._make(admin, settings, template)
                statement = "CREATE DATABASE %I TEMPLATE %I OWNER %I"
                names = (database_name(settings.database_url), template, OWNER_ROLE)
                await admin.execute(await _format(admin, statement, *names))
                await migrate(settings)
            finally:
                await admin.execute("SELECT pg_advisory_unlock($1)", _LOCK_KEY)
        finally:
            await admin.close()

    async def drop_all(self, admin_url: str) -> None:
        """Drop every template of this prefix (whatever its digest) and any build."""
        admin = await asyncpg.connect(with_database(admin_url, "postgres"))
        try:
            await admin.execute("SELECT pg_advisory_lock($1)", _LOCK_KEY)
            try:
                for name in await self._others(admin, keep=None):
                    await _drop(admin, name)
            finally:
                await admin.execute("SELECT pg_advisory_unlock($1)", _LOCK_KEY)
        finally:
            await admin.close()

    async def _make(self, admin: asyncpg.Connection, settings: Settings, template: str) -> None:
        """Migrate a database under a temporary name, rename it ``template`` and make it a
        template no one can connect to; drop this prefix's templates of other digests and
        any build a killed session left (builds happen under the lock only)."""
        for name in await self._others(admin, keep=template):
            await _drop(admin, name)
        building = f"{self.prefix}build_{os.getpid()}"
        url = with_database(settings.database_url, building)
        try:
            await migrate(replace(settings, database_url=url))
            closed = "ALTER DATABASE %I WITH IS_TEMPLATE true ALLOW_CONNECTIONS false"
            await admin.execute(await _format(admin, closed, building))
            rename = "ALTER DATABASE %I RENAME TO %I"
            await admin.execute(await _format(admin, rename, building, template))
        except BaseException:
            await _drop(admin, building)
            raise

    async def _others(self, admin: asyncpg.Connection, *, keep: str | None) -> list[str]:
        pattern = re.compile(re.escape(self.prefix) + "([0-9a-f]{16}|build_[0-9]+)")
        names = await admin.fetch("SELECT datname FROM pg_database")
        return [
            row["datname"]
            for row in names
            if pattern.fullmatch(row["datname"]) and row["datname"] != keep
        ]


#: The test sessions' templates.
TEMPLATES = DatabaseTemplates(prefix="quarry_template_")


async def _drop(admin: asyncpg.Connection, name: str) -> None:
    if not await _exists(admin, name):
        return
    await admin.execute(await _format(admin, "ALTER DATABASE %I WITH IS_TEMPLATE false", name))
    await admin.execute(await _format(admin, "DROP DATABASE %I WITH (FORCE)", name))


async def _exists(admin: asyncpg.Connection, name: str) -> bool:
    return bool(await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name))


async def _format(admin: asyncpg.Connection, statement: str, *names: str) -> str:
    """``statement`` with each ``%I`` replaced by a quoted identifier (DDL binds nothing)."""
    placeholders = ", ".join(f"${n}::text" for n in range(2, len(names) + 2))
    text: str = await admin.fetchval(f"SELECT format($1, {placeholders})", statement, *names)
    return text
