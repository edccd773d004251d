"""Snippet-library use-cases for GraphQL: the viewer's own snippets, folders, history, trash.

Any principal of a user (browser session or API token) reads their library; changing it
needs a principal that may write (a READ token may not: the schema refuses every mutation
to it first, and these use-cases check again). The library belongs to the user, not to the
BU they are working in. Ids arrive here as local ids (the schema decodes global ids); an id
that is malformed, of another kind, another user's or another tenant's is NOT_FOUND for a
mutation and null for a single read, so an answer never tells them apart.
"""

from __future__ import annotations

from uuid import UUID

from services import snippets
from services.authn import Authentication
from services.errors import InvalidInput, NotFound, PermissionDenied
from services.identity import Principal
from services.snippets import Page, SnippetFolderInfo, SnippetInfo, SnippetVersionInfo
from services.snippets.rules import HISTORY_LENGTH
from services.snippets.types import decode_cursor

__all__ = [
    "MAX_PAGE",
    "create_snippet",
    "create_snippet_folder",
    "delete_snippet",
    "delete_snippet_folder",
    "duplicate_snippet",
    "get_snippet",
    "get_snippet_folder",
    "list_deleted_snippets",
    "list_snippet_folders",
    "list_snippet_versions",
    "list_snippets",
    "move_snippet",
    "move_snippet_folder",
    "rename_snippet",
    "rename_snippet_folder",
    "restore_snippet",
    "restore_snippet_version",
    "snippet_node",
    "update_snippet",
]

MAX_PAGE = 100
_SNIPPET = "No such snippet."
_FOLDER = "No such folder."


def _writer(auth: Authentication) -> Principal:
    principal = auth.require_principal()
    if principal.read_only:
        raise PermissionDenied("This API token is read-only; mutations need READ_WRITE.")
    return principal


def _page_size(first: int, *, limit: int = MAX_PAGE) -> int:
    if not 1 <= first <= limit:
        raise InvalidInput(f"'first' must be between 1 and {limit}.", field="first")
    return first


def _id(local_id: str | None, *, field: str, message: str) -> UUID:
    try:
        return UUID(local_id or "")
    except ValueError:
        raise NotFound(message, field=field) from None


def _optional_id(local_id: str | None, *, field: str, message: str) -> UUID | None:
    return None if local_id is None else _id(local_id, field=field, message=message)


# ------------------------------------------------------------------ reads
async def snippet_node(authentication: Authentication, local_id: str) -> SnippetInfo | None:
    """The viewer's snippet for ``node(id:)``: None for anything else (never an error that
    would say whether the id exists). Snippets in the trash resolve to None too."""
    principal = authentication.require_principal()
    try:
        snippet_id = UUID(local_id)
    except ValueError:
        return None
    try:
        return await snippets.get_snippet(
            principal.tenant_context(), owner_id=principal.user_id, snippet_id=snippet_id
        )
    except NotFound:
        return None


async def get_snippet(auth: Authentication, *, snippet_id: str) -> SnippetInfo | None:
    return await snippet_node(auth, snippet_id)


async def list_snippets(
    auth: Authentication,
    *,
    folder_id: str | None,
    search: str | None,
    first: int,
    after: str | None,
) -> Page[SnippetInfo]:
    principal = auth.require_principal()
    return await snippets.list_snippets(
        principal.tenant_context(),
        owner_id=principal.user_id,
        folder_id=_optional_id(folder_id, field="folderId", message=_FOLDER),
        search=search,
        first=_page_size(first),
        after=after,
    )


async def list_deleted_snippets(
    auth: Authentication, *, first: int, after: str | None
) -> Page[SnippetInfo]:
    principal = auth.require_principal()
    return await snippets.list_deleted_snippets(
        principal.tenant_context(), owner_id=principal.user_id, first=_page_size(first), after=after
    )


async def list_snippet_versions(
    auth: Authentication, *, snippet_id: UUID, first: int, after: str | None
) -> Page[SnippetVersionInfo]:
    """A snippet's history, newest first: at most ``HISTORY_LENGTH`` versions exist."""
    principal = auth.require_principal()
    before = decode_cursor(after, shape=(int,))[0] if after else None
    return await snippets.list_versions(
        principal.tenant_context(),
        owner_id=principal.user_id,
        snippet_id=snippet_id,
        first=_page_size(first, limit=HISTORY_LENGTH),
        before_version=before,
    )


async def get_snippet_folder(auth: Authentication, *, folder_id: str) -> SnippetFolderInfo | None:
    principal = auth.require_principal()
    try:
        return await snippets.get_folder(
            principal.tenant_context(),
            owner_id=principal.user_id,
            folder_id=_id(folder_id, field="id", message=_FOLDER),
        )
    except NotFound:
        return None


async def list_snippet_folders(
    auth: Authentication, *, parent_id: str | None, first: int, after: str | None
) -> Page[SnippetFolderInfo]:
    principal = auth.require_principal()
    return await snippets.list_folders(
        principal.tenant_context(),
        owner_id=principal.user_id,
        parent_id=_optional_id(parent_id, field="parentId", message=_FOLDER),
        first=_page_size(first),
        after=after,
    )


# ------------------------------------------------------------------ snippet mutations
async def create_snippet(
    auth: Authentication,
    *,
    title: str,
    sql: str,
    description: str,
    tags: list[str],
    folder_id: str | None,
) -> SnippetInfo:
    principal = _writer(auth)
    return await snippets.create_snippet(
        principal.tenant_context(),
        owner_id=principal.user_id,
        title=title,
        sql=sql,
        description=description,
        tags=tuple(tags),
        folder_id=_optional_id(folder_id, field="folderId", message=_FOLDER),
    )


async def update_snippet(
    auth: Authentication,
    *,
    snippet_id: str,
    title: str | None,
    sql: str | None,
    description: str | None,
    tags: list[str] | None,
    expected_version: int | None,
) -> SnippetInfo:
    principal = _writer(auth)
    return await snippets.update_snippet(
        principal.tenant_context(),
        owner_id=principal.user_id,
        snippet_id=_id(snippet_id, field="id", message=_SNIPPET),
        title=title,
        sql=sql,
        description=description,
        tags=None if tags is None else tuple(tags),
        expected_version=expected_version,
    )


async def rename_snippet(
    auth: Authentication, *, snippet_id: str, title: str, expected_version: int | None
) -> SnippetInfo:
    return await update_snippet(
        auth,
        snippet_id=snippet_id,
        title=title,
        sql=None,
        description=None,
        tags=None,
        expected_version=expected_version,
    )


async def move_snippet(
    auth: Authentication, *, snippet_id: str, folder_id: str | None
) -> SnippetInfo:
    principal = _writer(auth)
    return await snippets.move_snippet(
        principal.tenant_context(),
        owner_id=principal.user_id,
        snippet_id=_id(snippet_id, field="id", message=_SNIPPET),
        folder_id=_optional_id(folder_id, field="folderId", message=_FOLDER),
    )


async def duplicate_snippet(
    auth: Authentication,
    *,
    snippet_id: str,
    title: str | None,
    folder_id: str | None,
    keep_folder: bool,
) -> SnippetInfo:
    principal = _writer(auth)
    return await snippets.duplicate_snippet(
        principal.tenant_context(),
        owner_id=principal.user_id,
        snippet_id=_id(snippet_id, field="id", message=_SNIPPET),
        title=title,
        folder_id=_optional_id(folder_id, field="folderId", message=_FOLDER),
        keep_folder=keep_folder,
    )


async def delete_snippet(auth: Authentication, *, snippet_id: str) -> SnippetInfo:
    principal = _writer(auth)
    return await snippets.delete_snippet(
        principal.tenant_context(),
        owner_id=principal.user_id,
        snippet_id=_id(snippet_id, field="id", message=_SNIPPET),
    )


async def restore_snippet(auth: Authentication, *, snippet_id: str) -> SnippetInfo:
    principal = _writer(auth)
    return await snippets.restore_snippet(
        principal.tenant_context(),
        owner_id=principal.user_id,
        snippet_id=_id(snippet_id, field="id", message=_SNIPPET),
    )


async def restore_snippet_version(
    auth: Authentication, *, snippet_id: str, version: int, expected_version: int | None
) -> SnippetInfo:
    principal = _writer(auth)
    return await snippets.restore_version(
        principal.tenant_context(),
        owner_id=principal.user_id,
        snippet_id=_id(snippet_id, field="id", message=_SNIPPET),
        version=version,
        expected_version=expected_version,
    )


# ------------------------------------------------------------------ folder mutations
async def create_snippet_folder(
    auth: Authentication, *, name: str, parent_id: str | None
) -> SnippetFolderInfo:
    principal = _writer(auth)
    return await snippets.create_folder(
        principal.tenant_context(),
        owner_id=principal.user_id,
        name=name,
        parent_id=_optional_id(parent_id, field="parentId", message=_FOLDER),
    )


async def rename_snippet_folder(
    auth: Authentication, *, folder_id: str, name: str
) -> SnippetFolderInfo:
    principal = _writer(auth)
    return await snippets.rename_folder(
        principal.tenant_context(),
        owner_id=principal.user_id,
        folder_id=_id(folder_id, field="id", message=_FOLDER),
        name=name,
    )


async def move_snippet_folder(
    auth: Authentication, *, folder_id: str, parent_id: str | None
) -> SnippetFolderInfo:
    principal = _writer(auth)
    return await snippets.move_folder(
        principal.tenant_context(),
        owner_id=principal.user_id,
        folder_id=_id(folder_id, field="id", message=_FOLDER),
        parent_id=_optional_id(parent_id, field="parentId", message=_FOLDER),
    )


async def delete_snippet_folder(auth: Authentication, *, folder_id: str) -> SnippetFolderInfo:
    principal = _writer(auth)
    return await snippets.delete_folder(
        principal.tenant_context(),
        owner_id=principal.user_id,
        folder_id=_id(folder_id, field="id", message=_FOLDER),
    )
