"""The trash: a deleted snippet stays restorable for 30 days, then a purge removes it.

Deleting only marks the snippet (``deleted_at``), so its content and history come back with
it. Purging is a plain function for the scheduler: :func:`purge_expired_trash` for one
tenant (any role; it filters by the context's tenant), :func:`purge_expired_trash_everywhere`
for every tenant at once, which must run as the system role (``quarry_system``, e.g. the
scheduler's process on ``Settings.system_database_url``): as the app role RLS hides every
tenant's rows from a statement without a context, so it finds nothing and purges nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from models import TenantContext, TenantRepository
from models.snippets import tenants_with_trash_before
from services.errors import InvalidInput, NotFound
from services.snippets import _store
from services.snippets.types import (
    TRASH_RETENTION,
    Edge,
    Page,
    SnippetInfo,
    decode_cursor,
    encode_cursor,
)

__all__ = [
    "delete_snippet",
    "list_deleted_snippets",
    "purge_expired_trash",
    "purge_expired_trash_everywhere",
    "restore_snippet",
]

_DELETE_SQL = (
    "UPDATE snippets SET deleted_at = now()"  # noqa: S608 - constants only
    " WHERE id = $1 AND owner_id = $2 AND deleted_at IS NULL"
    f" RETURNING {_store.SNIPPET_COLUMNS}"
)
# The retention is checked here too, not only by the purge: a snippet past it is gone even
# if the purge has not run yet.
_RESTORE_SQL = (
    "UPDATE snippets SET deleted_at = NULL, updated_at = now()"  # noqa: S608 - constants only
    " WHERE id = $1 AND owner_id = $2 AND deleted_at IS NOT NULL AND deleted_at > $3"
    f" RETURNING {_store.SNIPPET_COLUMNS}"
)
_TRASH_SQL = (
    f"SELECT {_store.SNIPPET_COLUMNS} FROM snippets"  # noqa: S608 - constants only
    " WHERE owner_id = $1 AND deleted_at IS NOT NULL AND deleted_at > $2"
    " AND ($3::timestamptz IS NULL OR (deleted_at, id) < ($3::timestamptz, $4::uuid))"
    " ORDER BY deleted_at DESC, id DESC LIMIT $5"
)
_PURGE_SQL = "DELETE FROM snippets WHERE tenant_id = $1 AND deleted_at <= $2"


def _now() -> datetime:
    return datetime.now(UTC)


async def delete_snippet(ctx: TenantContext, *, owner_id: UUID, snippet_id: UUID) -> SnippetInfo:
    """Move the owner's snippet to the trash; NotFound if it is not theirs or already there."""
    rows = await TenantRepository(ctx).fetch(_DELETE_SQL, [snippet_id, owner_id])
    if not rows:
        raise NotFound(_store.SNIPPET_NOT_FOUND, field="id")
    return SnippetInfo.from_row(rows[0])


async def restore_snippet(
    ctx: TenantContext, *, owner_id: UUID, snippet_id: UUID, now: datetime | None = None
) -> SnippetInfo:
    """Bring a snippet back from the trash (to the folder it was in, or to the root if that
    folder was deleted meanwhile); NotFound if it is not in the owner's trash."""
    cutoff = (now or _now()) - TRASH_RETENTION
    rows = await TenantRepository(ctx).fetch(_RESTORE_SQL, [snippet_id, owner_id, cutoff])
    if not rows:
        raise NotFound("No such snippet in the trash.", field="id")
    return SnippetInfo.from_row(rows[0])


async def list_deleted_snippets(
    ctx: TenantContext,
    *,
    owner_id: UUID,
    first: int,
    after: str | None,
    now: datetime | None = None,
) -> Page[SnippetInfo]:
    """The owner's trash, most recently deleted first."""
    cutoff = (now or _now()) - TRASH_RETENTION
    position = _trash_position(after) if after else (None, None)
    rows = await TenantRepository(ctx).fetch(
        _TRASH_SQL, [owner_id, cutoff, position[0], position[1], first + 1]
    )
    snippets = [SnippetInfo.from_row(row) for row in rows]
    return Page(
        edges=[
            Edge(encode_cursor(s.deleted_at.isoformat() if s.deleted_at else "", str(s.id)), s)
            for s in snippets[:first]
        ],
        has_next_page=len(snippets) > first,
    )


def _trash_position(after: str) -> tuple[datetime, UUID]:
    deleted, snippet_id = decode_cursor(after, shape=(str, str))
    try:
        position = datetime.fromisoformat(deleted), UUID(snippet_id)
    except ValueError:
        raise InvalidInput("Not a cursor from this list.", field="after") from None
    if position[0].tzinfo is None:
        raise InvalidInput("Not a cursor from this list.", field="after")
    return position


async def purge_expired_trash(ctx: TenantContext, *, now: datetime | None = None) -> int:
    """Delete the tenant's snippets that have been in the trash for 30 days or more (their
    history goes with them). Returns how many went."""
    cutoff = (now or _now()) - TRASH_RETENTION
    rows = await TenantRepository(ctx).fetch(_PURGE_SQL + " RETURNING id", [ctx.tenant_id, cutoff])
    return len(rows)


async def purge_expired_trash_everywhere(*, now: datetime | None = None) -> int:
    """:func:`purge_expired_trash` for every tenant with expired trash (system role only).

    Each tenant is purged in a transaction under its own context, so one tenant's failure
    leaves the others' purges done.
    """
    moment = now or _now()
    purged = 0
    for tenant_id in await tenants_with_trash_before(moment - TRASH_RETENTION):
        purged += await purge_expired_trash(TenantContext(tenant_id=tenant_id), now=moment)
    return purged
