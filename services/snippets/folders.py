"""Folders of a snippet library: nested, per owner, at most ``MAX_FOLDER_DEPTH`` deep.

Structural changes (create, rename, move, delete) hold the owner's library lock, so the
checks they make before writing (no cycle, no sibling of the same name, depth and count
limits, emptiness) cannot be undone by a concurrent change: two moves that would each be
fine alone but together make a cycle are serialised, and the second one is refused.
"""

from __future__ import annotations

from uuid import UUID, uuid4

from models import TenantContext, TenantRepository
from services.errors import InvalidInput
from services.snippets import _store
from services.snippets.rules import (
    MAX_FOLDER_DEPTH,
    MAX_FOLDERS_PER_USER,
    FolderCycle,
    FolderNotEmpty,
    LimitReached,
    NameTaken,
    validate_folder_name,
)
from services.snippets.types import (
    Edge,
    Page,
    SnippetFolderInfo,
    cursor_uuid,
    decode_cursor,
    encode_cursor,
)

__all__ = [
    "create_folder",
    "delete_folder",
    "get_folder",
    "list_folders",
    "move_folder",
    "rename_folder",
]

_F = _store.FOLDER_COLUMNS
_COUNT_SQL = "SELECT count(*) AS n FROM snippet_folders WHERE owner_id = $1"
_SIBLING_SQL = (
    "SELECT 1 FROM snippet_folders WHERE owner_id = $1 AND parent_id IS NOT DISTINCT FROM $2"
    " AND lower(name) = lower($3) AND id IS DISTINCT FROM $4"
)
# The folder and its ancestors (depth 1 is the folder itself); bounded, in case.
_ANCESTORS_SQL = (
    "WITH RECURSIVE up(id, parent_id, depth) AS ("
    " SELECT id, parent_id, 1 FROM snippet_folders WHERE id = $1 AND owner_id = $2"
    " UNION ALL SELECT f.id, f.parent_id, up.depth + 1 FROM snippet_folders f"
    " JOIN up ON f.id = up.parent_id WHERE f.owner_id = $2 AND up.depth < $3)"
    " SELECT id, depth FROM up"
)
# How many levels the folder's subtree spans (1: no sub-folders).
_HEIGHT_SQL = (
    "WITH RECURSIVE down(id, depth) AS ("
    " SELECT id, 1 FROM snippet_folders WHERE id = $1 AND owner_id = $2"
    " UNION ALL SELECT f.id, down.depth + 1 FROM snippet_folders f"
    " JOIN down ON f.parent_id = down.id WHERE f.owner_id = $2 AND down.depth < $3)"
    " SELECT max(depth) AS height FROM down"
)
_INSERT_SQL = (
    "INSERT INTO snippet_folders (id, tenant_id, owner_id, parent_id, name, created_at,"  # noqa: S608 - constants only
    f" updated_at) VALUES ($1, $2, $3, $4, $5, now(), now()) RETURNING {_F}"
)
_RENAME_SQL = (
    "UPDATE snippet_folders SET name = $3, updated_at = now() WHERE id = $1 AND owner_id = $2"  # noqa: S608 - constants only
    f" RETURNING {_F}"
)
_MOVE_SQL = (
    "UPDATE snippet_folders SET parent_id = $3, updated_at = now()"  # noqa: S608 - constants only
    f" WHERE id = $1 AND owner_id = $2 RETURNING {_F}"
)
_CONTENT_SQL = (
    "SELECT (SELECT count(*) FROM snippet_folders WHERE owner_id = $2 AND parent_id = $1)"
    " + (SELECT count(*) FROM snippets WHERE owner_id = $2 AND folder_id = $1"
    "    AND deleted_at IS NULL) AS n"
)
_UNFILE_TRASH_SQL = "UPDATE snippets SET folder_id = NULL WHERE owner_id = $2 AND folder_id = $1"
_DELETE_SQL = "DELETE FROM snippet_folders WHERE id = $1 AND owner_id = $2"
_LIST_SQL = (
    f"SELECT {_F}, lower(name) AS sort_key FROM snippet_folders"  # noqa: S608 - constants
    " WHERE owner_id = $1 AND parent_id IS NOT DISTINCT FROM $2"
    " AND ($3::text IS NULL OR (lower(name), id) > ($3::text, $4::uuid))"
    " ORDER BY lower(name), id LIMIT $5"
)


async def _depth(repo: TenantRepository, *, folder_id: UUID | None, owner_id: UUID) -> int:
    """How deep ``folder_id`` is (1 for a folder at the root; 0 for the root itself)."""
    if folder_id is None:
        return 0
    rows = await repo.fetch(_ANCESTORS_SQL, [folder_id, owner_id, MAX_FOLDER_DEPTH + 1])
    return max(int(row["depth"]) for row in rows)


async def _check_name_free(
    repo: TenantRepository,
    *,
    owner_id: UUID,
    parent_id: UUID | None,
    name: str,
    folder_id: UUID | None,
    field: str,
) -> None:
    if await repo.fetch(_SIBLING_SQL, [owner_id, parent_id, name, folder_id]):
        raise NameTaken(f"A folder named {name!r} is already there.", field=field)


def _too_deep() -> InvalidInput:
    return InvalidInput(f"Folders nest at most {MAX_FOLDER_DEPTH} deep.", field="parentId")


async def create_folder(
    ctx: TenantContext, *, owner_id: UUID, name: str, parent_id: UUID | None = None
) -> SnippetFolderInfo:
    """A new folder at the root or in one of the owner's folders.

    Raises InvalidInput (name; too deep), NotFound (parentId), NameTaken, LimitReached.
    """
    name = validate_folder_name(name)
    repo = TenantRepository(ctx)
    async with repo.transaction():
        await _store.lock_library(repo, owner_id)
        [count] = await repo.fetch(_COUNT_SQL, [owner_id])
        if int(count["n"]) >= MAX_FOLDERS_PER_USER:
            raise LimitReached(f"Your library holds {MAX_FOLDERS_PER_USER:,} folders already.")
        if parent_id is not None:
            await _store.folder_row(repo, folder_id=parent_id, owner_id=owner_id, field="parentId")
        if await _depth(repo, folder_id=parent_id, owner_id=owner_id) >= MAX_FOLDER_DEPTH:
            raise _too_deep()
        await _check_name_free(
            repo, owner_id=owner_id, parent_id=parent_id, name=name, folder_id=None, field="name"
        )
        [row] = await repo.fetch(_INSERT_SQL, [uuid4(), ctx.tenant_id, owner_id, parent_id, name])
    return SnippetFolderInfo.from_row(row)


async def get_folder(ctx: TenantContext, *, owner_id: UUID, folder_id: UUID) -> SnippetFolderInfo:
    row = await _store.folder_row(
        TenantRepository(ctx), folder_id=folder_id, owner_id=owner_id, field="id"
    )
    return SnippetFolderInfo.from_row(row)


async def rename_folder(
    ctx: TenantContext, *, owner_id: UUID, folder_id: UUID, name: str
) -> SnippetFolderInfo:
    name = validate_folder_name(name)
    repo = TenantRepository(ctx)
    async with repo.transaction():
        await _store.lock_library(repo, owner_id)
        folder = await _store.folder_row(repo, folder_id=folder_id, owner_id=owner_id, field="id")
        await _check_name_free(
            repo,
            owner_id=owner_id,
            parent_id=folder["parent_id"],
            name=name,
            folder_id=folder_id,
            field="name",
        )
        [row] = await repo.fetch(_RENAME_SQL, [folder_id, owner_id, name])
    return SnippetFolderInfo.from_row(row)


async def move_folder(
    ctx: TenantContext, *, owner_id: UUID, folder_id: UUID, parent_id: UUID | None
) -> SnippetFolderInfo:
    """Put the folder (with everything in it) under ``parent_id`` (None: the root).

    FolderCycle when ``parent_id`` is the folder itself or inside it; InvalidInput when the
    result would nest deeper than the limit; NameTaken when the new parent has a folder of
    that name.
    """
    repo = TenantRepository(ctx)
    async with repo.transaction():
        await _store.lock_library(repo, owner_id)
        folder = await _store.folder_row(repo, folder_id=folder_id, owner_id=owner_id, field="id")
        parent_depth = 0
        if parent_id is not None:
            await _store.folder_row(repo, folder_id=parent_id, owner_id=owner_id, field="parentId")
            ancestors = await repo.fetch(
                _ANCESTORS_SQL, [parent_id, owner_id, MAX_FOLDER_DEPTH + 1]
            )
            if any(row["id"] == folder_id for row in ancestors):
                raise FolderCycle(
                    "A folder cannot go inside itself or one of its own sub-folders.",
                    field="parentId",
                )
            parent_depth = max(int(row["depth"]) for row in ancestors)
        [height] = await repo.fetch(_HEIGHT_SQL, [folder_id, owner_id, MAX_FOLDER_DEPTH + 1])
        if parent_depth + int(height["height"]) > MAX_FOLDER_DEPTH:
            raise _too_deep()
        await _check_name_free(
            repo,
            owner_id=owner_id,
            parent_id=parent_id,
            name=folder["name"],
            folder_id=folder_id,
            field="parentId",
        )
        [row] = await repo.fetch(_MOVE_SQL, [folder_id, owner_id, parent_id])
    return SnippetFolderInfo.from_row(row)


async def delete_folder(
    ctx: TenantContext, *, owner_id: UUID, folder_id: UUID
) -> SnippetFolderInfo:
    """Delete an empty folder (no sub-folder, no snippet outside the trash).

    Snippets of the folder that are in the trash stay there and, if restored, come back at
    the root. FolderNotEmpty otherwise: nothing is deleted behind the user's back.
    """
    repo = TenantRepository(ctx)
    async with repo.transaction():
        await _store.lock_library(repo, owner_id)
        folder = await _store.folder_row(repo, folder_id=folder_id, owner_id=owner_id, field="id")
        [content] = await repo.fetch(_CONTENT_SQL, [folder_id, owner_id])
        if int(content["n"]):
            raise FolderNotEmpty(
                "Only an empty folder can be deleted: move or delete what is in it first.",
                field="id",
            )
        await repo.fetch(_UNFILE_TRASH_SQL, [folder_id, owner_id])
        await repo.fetch(_DELETE_SQL, [folder_id, owner_id])
    return SnippetFolderInfo.from_row(folder)


async def list_folders(
    ctx: TenantContext,
    *,
    owner_id: UUID,
    parent_id: UUID | None,
    first: int,
    after: str | None,
) -> Page[SnippetFolderInfo]:
    """The folders directly in ``parent_id`` (None: the root), by name."""
    name_key, last_id = decode_cursor(after, shape=(str, str)) if after else (None, None)
    last_uuid = None if last_id is None else cursor_uuid(last_id)
    repo = TenantRepository(ctx)
    async with repo.transaction():
        if parent_id is not None:
            await _store.folder_row(repo, folder_id=parent_id, owner_id=owner_id, field="parentId")
        rows = await repo.fetch(_LIST_SQL, [owner_id, parent_id, name_key, last_uuid, first + 1])
    return Page(
        edges=[
            Edge(encode_cursor(row["sort_key"], str(row["id"])), SnippetFolderInfo.from_row(row))
            for row in rows[:first]
        ],
        has_next_page=len(rows) > first,
    )
