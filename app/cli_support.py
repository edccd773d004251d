"""What the operator commands share: a database connection as the system role.

Operator commands (key rotation, purges, token creation) act across tenants, so they run as
``quarry_system`` (DESIGN.md: cross-tenant work runs as one separate role and is audited),
never as the app role. Each command module exposes ``add_commands(subparsers)``; a command's
parser sets ``handler``, an ``async (args, settings) -> int`` run with the system database.
"""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from app.db import open_database
from app.settings import Settings

Handler = Callable[[argparse.Namespace, Settings], Awaitable[int]]


@asynccontextmanager
async def system_database(settings: Settings) -> AsyncIterator[None]:
    """Tortoise connected as the system role for the duration of the block."""
    async with open_database(settings.system_database_url, max_size=2):
        yield


async def run_with_system_database(
    handler: Handler, args: argparse.Namespace, settings: Settings
) -> int:
    async with system_database(settings):
        return await handler(args, settings)
