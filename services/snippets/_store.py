"""SQL shared by the library's modules: the columns read, the per-owner lock, id parsing.

Every statement here is parameterised; only constants are interpolated into SQL text.
Every statement that reads or changes a snippet or folder names its owner: the tables are
tenant tables (RLS keeps other tenants out) and the owner filter keeps other users out.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from models import TenantRepository
from services.errors import NotFound

SNIPPET_COLUMNS = (
    "id, folder_id, visibility, title, sql, description, tags, version, created_at,"
    " updated_at, deleted_at"
)
FOLDER_COLUMNS = "id, parent_id, name, created_at, updated_at"

_LOCK_SQL = "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))"

_LIVE_SNIPPET_SQL = (
    f"SELECT {SNIPPET_COLUMNS} FROM snippets"  # noqa: S608 - constants only
    " WHERE id = $1 AND owner_id = $2 AND deleted_at IS NULL"
)
_FOLDER_SQL = (
    f"SELECT {FOLDER_COLUMNS} FROM snippet_folders"  # noqa: S608 - constants only
    " WHERE id = $1 AND owner_id = $2"
)

SNIPPET_NOT_FOUND = "No such snippet."
FOLDER_NOT_FOUND = "No such folder."


async def lock_library(repo: TenantRepository, owner_id: UUID) -> None:
    """Serialise structural changes to one owner's library until the transaction ends.

    Checks that read several rows before writing (a folder cycle, sibling names, counts
    against limits) are only sound if no concurrent change of the same library interleaves.
    """
    await repo.fetch(_LOCK_SQL, [f"snippets:{repo.ctx.tenant_id}:{owner_id}"])


async def live_snippet(
    repo: TenantRepository, *, snippet_id: UUID, owner_id: UUID, for_update: bool = False
) -> dict[str, Any]:
    """The owner's snippet (not in the trash), or NotFound on ``id``."""
    sql = _LIVE_SNIPPET_SQL + (" FOR UPDATE" if for_update else "")
    rows = await repo.fetch(sql, [snippet_id, owner_id])
    if not rows:
        raise NotFound(SNIPPET_NOT_FOUND, field="id")
    return rows[0]


async def folder_row(
    repo: TenantRepository, *, folder_id: UUID, owner_id: UUID, field: str
) -> dict[str, Any]:
    """The owner's folder, or NotFound on ``field``."""
    rows = await repo.fetch(_FOLDER_SQL, [folder_id, owner_id])
    if not rows:
        raise NotFound(FOLDER_NOT_FOUND, field=field)
    return rows[0]
