"""REST routes (REFERENCE §4): rowsets, row inserts, platform endpoints."""

from __future__ import annotations

from starlette.routing import BaseRoute

__all__ = ["routes"]


def routes() -> list[BaseRoute]:
    return []
