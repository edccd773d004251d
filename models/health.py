"""A database liveness probe that touches no tenant rows."""

from __future__ import annotations

from tortoise import connections

from models.context import CONNECTION


async def ping_database() -> None:
    await connections.get(CONNECTION).execute_query("SELECT 1")
