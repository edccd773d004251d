"""A snippet's version history: the last ``HISTORY_LENGTH`` contents, each with its time.

Every content change (title, SQL, description, tags) saves the new content as the next
version, in the transaction that changes the snippet, and drops versions that fell out of
the window. Restoring a version saves its content again as a new version, so a restore is
itself undoable and the history never rewrites the past.
"""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID, uuid4

from models import TenantContext, TenantRepository
from services.errors import NotFound
from services.snippets import _store
from services.snippets.rules import HISTORY_LENGTH, Conflict
from services.snippets.types import Edge, Page, SnippetInfo, SnippetVersionInfo, encode_cursor

__all__ = ["list_versions", "record_version", "restore_version", "save_content"]

_INSERT_VERSION_SQL = (
    "INSERT INTO snippet_versions"
    " (id, tenant_id, snippet_id, version, title, sql, description, tags, created_at)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9)"
)
_PRUNE_SQL = "DELETE FROM snippet_versions WHERE snippet_id = $1 AND version <= $2"
_VERSIONS_SQL = (
    "SELECT v.snippet_id, v.version, v.title, v.sql, v.description, v.tags, v.created_at"
    " FROM snippet_versions v JOIN snippets s ON s.tenant_id = v.tenant_id AND s.id = v.snippet_id"
    " WHERE v.snippet_id = $1 AND s.owner_id = $2 AND ($3::int IS NULL OR v.version < $3)"
    " ORDER BY v.version DESC LIMIT $4"
)
_OWNED_SQL = "SELECT 1 FROM snippets WHERE id = $1 AND owner_id = $2"
_ONE_VERSION_SQL = (
    "SELECT snippet_id, version, title, sql, description, tags, created_at"
    " FROM snippet_versions WHERE snippet_id = $1 AND version = $2"
)
_SAVE_SQL = (
    "UPDATE snippets SET title = $2, sql = $3, description = $4, tags = $5::jsonb,"  # noqa: S608 - constants only
    " version = version + 1, updated_at = now()"
    f" WHERE id = $1 RETURNING {_store.SNIPPET_COLUMNS}"
)


async def record_version(repo: TenantRepository, row: dict[str, Any]) -> None:
    """Save ``row``'s content as its version and forget versions beyond the window."""
    await repo.fetch(
        _INSERT_VERSION_SQL,
        [
            uuid4(),
            repo.ctx.tenant_id,
            row["id"],
            row["version"],
            row["title"],
            row["sql"],
            row["description"],
            json.dumps(list(SnippetInfo.from_row(row).tags)),
            row["updated_at"],
        ],
    )
    await repo.fetch(_PRUNE_SQL, [row["id"], int(row["version"]) - HISTORY_LENGTH])


def check_expected(row: dict[str, Any], expected_version: int | None) -> None:
    """Conflict when the caller edited another version than the one stored."""
    if expected_version is not None and int(row["version"]) != expected_version:
        raise Conflict(
            f"This snippet was changed elsewhere (now version {row['version']}, you edited"
            f" version {expected_version}); reload it and apply your change again.",
            field="expectedVersion",
        )


async def save_content(
    repo: TenantRepository,
    row: dict[str, Any],
    *,
    title: str,
    sql: str,
    description: str,
    tags: tuple[str, ...],
) -> SnippetInfo:
    """Write new content over ``row`` (locked by the caller) as the next version.

    Saving the content the snippet already has changes nothing and adds no version.
    """
    current = SnippetInfo.from_row(row)
    if (current.title, current.sql, current.description, current.tags) == (
        title,
        sql,
        description,
        tags,
    ):
        return current
    [saved] = await repo.fetch(
        _SAVE_SQL, [row["id"], title, sql, description, json.dumps(list(tags))]
    )
    await record_version(repo, saved)
    return SnippetInfo.from_row(saved)


async def list_versions(
    ctx: TenantContext, *, owner_id: UUID, snippet_id: UUID, first: int, before_version: int | None
) -> Page[SnippetVersionInfo]:
    """The owner's snippet's versions, newest first (a trashed snippet's too)."""
    repo = TenantRepository(ctx)
    async with repo.transaction():
        if not await repo.fetch(_OWNED_SQL, [snippet_id, owner_id]):
            raise NotFound(_store.SNIPPET_NOT_FOUND, field="id")
        rows = await repo.fetch(_VERSIONS_SQL, [snippet_id, owner_id, before_version, first + 1])
    versions = [SnippetVersionInfo.from_row(row) for row in rows]
    return Page(
        edges=[Edge(encode_cursor(v.version), v) for v in versions[:first]],
        has_next_page=len(versions) > first,
    )


async def restore_version(
    ctx: TenantContext,
    *,
    owner_id: UUID,
    snippet_id: UUID,
    version: int,
    expected_version: int | None = None,
) -> SnippetInfo:
    """Make version ``version``'s content current again, as a new version.

    NotFound on ``id`` (not the owner's, or in the trash) or on ``version`` (never existed,
    or dropped from the history); Conflict when ``expected_version`` is not the current one.
    """
    repo = TenantRepository(ctx)
    async with repo.transaction():
        row = await _store.live_snippet(
            repo, snippet_id=snippet_id, owner_id=owner_id, for_update=True
        )
        check_expected(row, expected_version)
        found = await repo.fetch(_ONE_VERSION_SQL, [snippet_id, version])
        if not found:
            raise NotFound("That version is not in this snippet's history.", field="version")
        old = SnippetVersionInfo.from_row(found[0])
        return await save_content(
            repo, row, title=old.title, sql=old.sql, description=old.description, tags=old.tags
        )
