"""Snippets: create, read, list and search, update (rename included), move, duplicate.

A snippet is its owner's alone (``visibility`` PRIVATE): every statement names the owner,
and an id of another user's or tenant's snippet is NOT_FOUND exactly like an id that never
existed. Content edits take an optional ``expected_version``: a client that sends the
version it loaded never overwrites a change it has not seen (CONFLICT instead).
"""

from __future__ import annotations

import json
from uuid import UUID, uuid4

from models import SnippetVisibility, TenantContext, TenantRepository
from services.errors import NotFound
from services.snippets import _store
from services.snippets.history import check_expected, record_version, save_content
from services.snippets.rules import (
    MAX_SNIPPETS_PER_USER,
    MAX_TITLE_CHARS,
    LimitReached,
    search_patterns,
    validate_description,
    validate_sql,
    validate_tags,
    validate_title,
)
from services.snippets.types import (
    Edge,
    Page,
    SnippetInfo,
    cursor_uuid,
    decode_cursor,
    encode_cursor,
)

__all__ = [
    "create_snippet",
    "duplicate_snippet",
    "get_snippet",
    "list_snippets",
    "move_snippet",
    "update_snippet",
]

_COUNT_SQL = "SELECT count(*) AS n FROM snippets WHERE owner_id = $1"
_INSERT_SQL = (
    "INSERT INTO snippets (id, tenant_id, owner_id, folder_id, visibility, title, sql,"  # noqa: S608 - constants only
    " description, tags, version, created_at, updated_at)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, 1, now(), now())"
    f" RETURNING {_store.SNIPPET_COLUMNS}"
)
_MOVE_SQL = (
    "UPDATE snippets SET folder_id = $3, updated_at = now()"  # noqa: S608 - constants only
    " WHERE id = $1 AND owner_id = $2 AND deleted_at IS NULL"
    f" RETURNING {_store.SNIPPET_COLUMNS}"
)
# Browsing one level (a folder, or the root when $2 is NULL), or searching (the whole
# library, or one folder when $2 is set): each word must match the title, the SQL, the
# description or a tag. Ordered by title, case-insensitively, then id (the cursor's key).
_LIST_SQL = (
    f"SELECT {_store.SNIPPET_COLUMNS}, lower(s.title) AS sort_key"  # noqa: S608 - constants
    " FROM snippets s"
    " WHERE s.owner_id = $1 AND s.deleted_at IS NULL"
    " AND (CASE WHEN $3::text[] IS NULL THEN s.folder_id IS NOT DISTINCT FROM $2::uuid"
    "      ELSE $2::uuid IS NULL OR s.folder_id = $2::uuid END)"
    " AND ($3::text[] IS NULL OR NOT EXISTS ("
    "   SELECT 1 FROM unnest($3::text[]) AS p(pattern) WHERE NOT ("
    "     s.title ILIKE p.pattern ESCAPE '\\' OR s.sql ILIKE p.pattern ESCAPE '\\'"
    "     OR s.description ILIKE p.pattern ESCAPE '\\'"
    "     OR EXISTS (SELECT 1 FROM jsonb_array_elements_text(s.tags) AS t(tag)"
    "                WHERE t.tag ILIKE p.pattern ESCAPE '\\'))))"
    " AND ($4::text IS NULL OR (lower(s.title), s.id) > ($4::text, $5::uuid))"
    " ORDER BY lower(s.title), s.id LIMIT $6"
)


async def _check_capacity(repo: TenantRepository, owner_id: UUID) -> None:
    [row] = await repo.fetch(_COUNT_SQL, [owner_id])
    if int(row["n"]) >= MAX_SNIPPETS_PER_USER:
        raise LimitReached(
            f"Your library holds {MAX_SNIPPETS_PER_USER:,} snippets (the trash included);"
            " delete some first."
        )


async def _insert(
    repo: TenantRepository,
    *,
    owner_id: UUID,
    folder_id: UUID | None,
    title: str,
    sql: str,
    description: str,
    tags: tuple[str, ...],
) -> SnippetInfo:
    await _store.lock_library(repo, owner_id)
    await _check_capacity(repo, owner_id)
    if folder_id is not None:
        await _store.folder_row(repo, folder_id=folder_id, owner_id=owner_id, field="folderId")
    [row] = await repo.fetch(
        _INSERT_SQL,
        [
            uuid4(),
            repo.ctx.tenant_id,
            owner_id,
            folder_id,
            SnippetVisibility.PRIVATE.value,
            title,
            sql,
            description,
            json.dumps(list(tags)),
        ],
    )
    await record_version(repo, row)
    return SnippetInfo.from_row(row)


async def create_snippet(
    ctx: TenantContext,
    *,
    owner_id: UUID,
    title: str,
    sql: str,
    description: str = "",
    tags: tuple[str, ...] = (),
    folder_id: UUID | None = None,
) -> SnippetInfo:
    """A new snippet (version 1) at the root or in one of the owner's folders.

    Raises InvalidInput (title, sql, description, tags), NotFound (folderId), LimitReached.
    """
    content = (
        validate_title(title),
        validate_sql(sql),
        validate_description(description),
        validate_tags(tags),
    )
    repo = TenantRepository(ctx)
    async with repo.transaction():
        return await _insert(
            repo,
            owner_id=owner_id,
            folder_id=folder_id,
            title=content[0],
            sql=content[1],
            description=content[2],
            tags=content[3],
        )


async def get_snippet(ctx: TenantContext, *, owner_id: UUID, snippet_id: UUID) -> SnippetInfo:
    """The owner's snippet (not in the trash); NotFound otherwise."""
    repo = TenantRepository(ctx)
    return SnippetInfo.from_row(
        await _store.live_snippet(repo, snippet_id=snippet_id, owner_id=owner_id)
    )


async def update_snippet(
    ctx: TenantContext,
    *,
    owner_id: UUID,
    snippet_id: UUID,
    title: str | None = None,
    sql: str | None = None,
    description: str | None = None,
    tags: tuple[str, ...] | None = None,
    expected_version: int | None = None,
) -> SnippetInfo:
    """Change what is given (None keeps the current value); a real change is a new version.

    Raises InvalidInput, NotFound (id), Conflict (expectedVersion is not the current one).
    """
    changes = (
        None if title is None else validate_title(title),
        None if sql is None else validate_sql(sql),
        None if description is None else validate_description(description),
        None if tags is None else validate_tags(tags),
    )
    repo = TenantRepository(ctx)
    async with repo.transaction():
        row = await _store.live_snippet(
            repo, snippet_id=snippet_id, owner_id=owner_id, for_update=True
        )
        check_expected(row, expected_version)
        current = SnippetInfo.from_row(row)
        return await save_content(
            repo,
            row,
            title=changes[0] if changes[0] is not None else current.title,
            sql=changes[1] if changes[1] is not None else current.sql,
            description=changes[2] if changes[2] is not None else current.description,
            tags=changes[3] if changes[3] is not None else current.tags,
        )


async def move_snippet(
    ctx: TenantContext, *, owner_id: UUID, snippet_id: UUID, folder_id: UUID | None
) -> SnippetInfo:
    """Put the snippet in one of the owner's folders (None: the root). Not a new version."""
    repo = TenantRepository(ctx)
    async with repo.transaction():
        await _store.lock_library(repo, owner_id)
        if folder_id is not None:
            await _store.folder_row(repo, folder_id=folder_id, owner_id=owner_id, field="folderId")
        rows = await repo.fetch(_MOVE_SQL, [snippet_id, owner_id, folder_id])
    if not rows:
        raise NotFound(_store.SNIPPET_NOT_FOUND, field="id")
    return SnippetInfo.from_row(rows[0])


def _copy_title(title: str) -> str:
    suffix = " (copy)"
    return title[: MAX_TITLE_CHARS - len(suffix)].rstrip() + suffix


async def duplicate_snippet(
    ctx: TenantContext,
    *,
    owner_id: UUID,
    snippet_id: UUID,
    title: str | None = None,
    folder_id: UUID | None = None,
    keep_folder: bool = True,
) -> SnippetInfo:
    """A new snippet with the source's content (its own history starts at version 1).

    Titled ``title`` or "<source title> (copy)"; placed in ``folder_id``, or beside the
    source when ``keep_folder``.
    """
    new_title = None if title is None else validate_title(title)
    repo = TenantRepository(ctx)
    async with repo.transaction():
        source = SnippetInfo.from_row(
            await _store.live_snippet(repo, snippet_id=snippet_id, owner_id=owner_id)
        )
        return await _insert(
            repo,
            owner_id=owner_id,
            folder_id=source.folder_id if keep_folder else folder_id,
            title=new_title or _copy_title(source.title),
            sql=source.sql,
            description=source.description,
            tags=source.tags,
        )


async def list_snippets(
    ctx: TenantContext,
    *,
    owner_id: UUID,
    folder_id: UUID | None,
    search: str | None,
    first: int,
    after: str | None,
) -> Page[SnippetInfo]:
    """Browse one level (``folder_id``, or the root), or search.

    A search looks through the whole library, or only ``folder_id`` when given: each word
    of ``search`` must appear (case-insensitively, literally: ``%`` and ``_`` are not
    wildcards) in the title, the SQL, the description or a tag.
    """
    patterns = search_patterns(search)
    title_key, last_id = decode_cursor(after, shape=(str, str)) if after else (None, None)
    last_uuid = None if last_id is None else cursor_uuid(last_id)
    repo = TenantRepository(ctx)
    async with repo.transaction():
        if folder_id is not None:
            await _store.folder_row(repo, folder_id=folder_id, owner_id=owner_id, field="folderId")
        rows = await repo.fetch(
            _LIST_SQL, [owner_id, folder_id, patterns, title_key, last_uuid, first + 1]
        )
    return Page(
        edges=[
            Edge(encode_cursor(row["sort_key"], str(row["id"])), SnippetInfo.from_row(row))
            for row in rows[:first]
        ],
        has_next_page=len(rows) > first,
    )
