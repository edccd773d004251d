"""Tortoise configuration (which models, which connection, where migrations live) and opening
the database for a process that is not the API: a worker's job, an operator command."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from tortoise.context import TortoiseContext

MODEL_MODULES = [
    "models.tenant",
    "models.user",
    "models.audit",
    "models.api_token",
    "models.metadata",
    "models.wallet",
    "models.support",
    "models.background",
    "models.snippets",
    "models.runs",
]


def tortoise_config(db_url: str, *, max_size: int = 10) -> dict[str, Any]:
    """The tortoise config for ``db_url`` (a ``postgres://`` URL)."""
    url = db_url.replace("postgresql://", "postgres://", 1)
    return {
        "connections": {
            "default": {
                "engine": "tortoise.backends.asyncpg",
                "credentials": _credentials(url, max_size=max_size),
            }
        },
        "apps": {
            "models": {
                "models": MODEL_MODULES,
                "migrations": "migrations",
                "default_connection": "default",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


def _credentials(url: str, *, max_size: int) -> dict[str, Any]:
    from urllib.parse import parse_qs, unquote, urlsplit

    parts = urlsplit(url)
    socket_dir = parse_qs(parts.query).get("host", [None])[0]
    return {
        "host": parts.hostname or socket_dir or "127.0.0.1",
        "port": parts.port or 5432,
        "user": unquote(parts.username or "postgres"),
        "password": unquote(parts.password or ""),
        "database": parts.path.lstrip("/") or "quarry",
        "minsize": 1,
        "maxsize": max_size,
    }


@asynccontextmanager
async def open_database(db_url: str, *, max_size: int = 2) -> AsyncIterator[None]:
    """Tortoise connected to ``db_url`` for the duration of the block, in a context of its own
    (so it never adopts, or leaves behind, another one's connections)."""
    ctx = TortoiseContext()
    with ctx:
        await ctx.init(config=tortoise_config(db_url, max_size=max_size))
        try:
            yield
        finally:
            await ctx.close_connections()


# For the `tortoise` CLI (makemigrations): `tortoise -c app.db.TORTOISE_ORM makemigrations`.
TORTOISE_ORM = tortoise_config(
    os.environ.get(
        "MIGRATION_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/quarry_makemigrations"
    )
)
