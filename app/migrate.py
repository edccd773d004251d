"""Apply the ordered migrations as the owner role."""

from __future__ import annotations

from tortoise.context import TortoiseContext
from tortoise.migrations.api import migrate as tortoise_migrate

from app.bootstrap import bootstrap_roles, ensure_database
from app.db import tortoise_config
from app.settings import Settings


async def migrate(settings: Settings, *, target: str | None = None) -> None:
    """Bootstrap roles, create the database if needed, and apply pending migrations (up to
    ``target``, e.g. ``models.0005_bu_writes``, when given: tests of a data migration).

    The migrator runs in a context of its own: ``Tortoise.init`` would otherwise adopt (and
    leave behind as current) whatever context the calling task has, which in a process that
    also serves requests is the app's.
    """
    await bootstrap_roles(settings)
    await ensure_database(settings)
    ctx = TortoiseContext()
    with ctx:
        try:
            await tortoise_migrate(
                config=tortoise_config(settings.owner_database_url, max_size=2), target=target
            )
        finally:
            await ctx.close_connections()
