"""RQ entry point of the snippet trash's purge (the work is services/snippets/trash.py).

``purge_snippet_trash()``: deletes every tenant's snippets that have been in the trash for
30 days or more, with their history. It runs as the system role, the one role that sees
every tenant (as the app role, RLS would hide every row and nothing would be purged). Meant
to be enqueued once a day by the deployment's one scheduler, with an idempotency key naming
the day. Idempotent: a second run the same day finds nothing left to purge. No arguments,
so nothing of a tenant ever sits in RQ's records.
"""

from __future__ import annotations

import asyncio
from typing import Any

from models.database import open_database
from services.runtime import system_database_url
from services.snippets import purge_expired_trash_everywhere

__all__ = ["JOB_NAME", "TIMEOUT_SECONDS", "purge_snippet_trash", "purge_with"]

JOB_NAME = "jobs.snippets.purge_snippet_trash"
TIMEOUT_SECONDS = 900
"""A day's expired trash of every tenant: one DELETE per tenant, so minutes at most."""


def purge_snippet_trash() -> dict[str, Any]:
    return asyncio.run(purge_with(system_database_url()))


async def purge_with(system_url: str) -> dict[str, Any]:
    """Open the database as ``system_url``'s role and purge every tenant's expired trash."""
    async with open_database(system_url, max_size=2):
        return {"purged": await purge_expired_trash_everywhere()}
