"""Metadata use-cases for GraphQL: the sidebar's folders, DEs and query activities, a DE's
fields, first rows and row count, search, data views, and the BU's sync.

Any signed-in viewer (a browser session or an API token, READ tokens included, except for
``refreshMetadata``) reads the metadata of the BU they are working in: its own and its
parent's shared DEs, as row-level security allows. Ids arrive as global ids and are decoded
here; an id that is junk, of another type, of another tenant or of a BU the viewer cannot see
is NOT_FOUND for an argument (``parentId``, ``folderId``) and null for ``node``, alike.
Arguments out of range (``first`` over 100, both or neither of ``key`` and ``name``) are
INVALID_INPUT GraphQL errors naming the argument (docs/api.md).

A folder whose children were never loaded, or a DE the cache does not hold yet, is fetched
from MCE on demand (services.metadata.lazy), so the sidebar never waits
for a full sync; if MCE cannot answer, what the cache holds is served.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from uuid import UUID

from redis.asyncio import Redis

from client.errors import MceError
from services.authn import Authentication
from services.errors import InvalidInput, NotFound, QuarryError
from services.identity import Principal
from services.job_queue import JobQueue
from services.metadata import lazy, progress, queries, search, sync
from services.metadata.lazy import LazyDeps
from services.metadata.preview import (
    MAX_PREVIEW_ROWS,
    MceAccess,
    RowCount,
    RowPreview,
    count_rows,
    preview_rows,
)
from services.metadata.progress import SyncProgress
from services.metadata.queries import (
    MAX_PAGE,
    AutomationInfo,
    DataExtensionInfo,
    FieldInfo,
    FolderInfo,
    FolderKind,
    Page,
    QueryActivityInfo,
)
from services.metadata.search import MAX_QUERY_CHARS, SearchPage
from tsql.dataviews import DATA_VIEWS, DataView

__all__ = [
    "MAX_PAGE",
    "data_extension",
    "data_extensions",
    "data_views",
    "folders",
    "load_automations",
    "load_data_extensions",
    "load_data_extensions_by_key",
    "load_fields",
    "load_folders",
    "load_folders_by_mce_id",
    "load_query_activities",
    "metadata_sync",
    "query_activities",
    "query_activity",
    "refresh_metadata",
    "row_count",
    "row_preview",
    "search_data_extensions",
    "viewer_mid",
]

log = logging.getLogger("quarry.metadata")

FOLDER = "Folder"
DATA_EXTENSION = "DataExtension"
QUERY_ACTIVITY = "QueryActivity"


# ------------------------------------------------------------------ arguments
def _page_size(first: int) -> int:
    if not 1 <= first <= MAX_PAGE:
        raise InvalidInput(f"'first' must be between 1 and {MAX_PAGE}.", field="first")
    return first


def _position(after: str | None) -> tuple[str, UUID] | None:
    if after is None:
        return None
    position = queries.decode_cursor(after)
    if position is None:
        raise InvalidInput("'after' is not a cursor of this list.", field="after")
    return position


def local_uuid(decoded: tuple[str, str] | None, type_name: str) -> UUID | None:
    """The local id of a decoded global id of ``type_name``, or None for anything else."""
    if decoded is None or decoded[0] != type_name:
        return None
    try:
        return UUID(decoded[1])
    except ValueError:
        return None


def _text(value: str, *, field: str, limit: int) -> str:
    """A name, key or search: 1 to ``limit`` characters, no NUL (Postgres refuses it)."""
    if not value.strip() or len(value) > limit or "\x00" in value:
        raise InvalidInput(
            f"'{field}' must be 1 to {limit} characters, without NUL characters.", field=field
        )
    return value


def viewer_mid(auth: Authentication) -> int:
    return auth.require_principal().mid


async def _folder_argument(
    principal: Principal, folder_id: UUID | None, *, field: str, kind: FolderKind | None = None
) -> FolderInfo:
    folder = None
    if folder_id is not None:
        folder = (await queries.folders_by_ids(principal.tenant_context(), [folder_id])).get(
            folder_id
        )
    if folder is None or (kind is not None and folder.kind is not kind):
        raise NotFound("No such folder.", field=field)
    return folder


# ------------------------------------------------------------------ lazy loading
def _deps(access: MceAccess) -> LazyDeps:
    return LazyDeps(http=access.http, tokens=access.tokens, policy=access.policy)


async def _ensure_children(
    principal: Principal, *, mid: int, folder_id: int, access: MceAccess | None
) -> None:
    """Load a folder's children (``folder_id`` 0: the BU's top folders) from MCE when the
    cache never did; best effort: if MCE cannot answer, the cache is served as it is."""
    if access is None:
        return
    try:
        await lazy.ensure_folder_children(
            principal.tenant_context(),
            mid=mid,
            folder_id=folder_id,
            user_id=principal.user_id,
            deps=_deps(access),
        )
    except (MceError, QuarryError) as exc:
        log.warning("lazy folder load failed: %s", type(exc).__name__)


async def _ensure_data_extension(
    principal: Principal, access: MceAccess | None, *, key: str | None, name: str | None
) -> None:
    """Fetch a DE the cache does not hold from MCE (best effort, as above)."""
    if access is None:
        return
    try:
        await lazy.ensure_data_extension(
            principal.tenant_context(),
            mid=principal.mid,
            user_id=principal.user_id,
            deps=_deps(access),
            key=key,
            name=name,
        )
    except (MceError, QuarryError) as exc:
        log.warning("lazy data extension load failed: %s", type(exc).__name__)


# ------------------------------------------------------------------ connections
async def folders(
    auth: Authentication,
    *,
    kind: FolderKind,
    parent_id: tuple[str, str] | None,
    parent_given: bool,
    first: int,
    after: str | None,
    access: MceAccess | None = None,
) -> Page[FolderInfo]:
    principal = auth.require_principal()
    first, position = _page_size(first), _position(after)
    parent = None
    if parent_given:
        parent = await _folder_argument(
            principal, local_uuid(parent_id, FOLDER), field="parentId", kind=kind
        )
        if not parent.children_loaded:
            await _ensure_children(
                principal, mid=parent.mid, folder_id=parent.folder_id, access=access
            )
    ctx = principal.tenant_context()
    page = await queries.folders_page(ctx, kind=kind, parent=parent, first=first, after=position)
    if parent is None and position is None and not page.items and access is not None:
        # Nothing cached for this BU yet: its top folders are fetched now.
        await _ensure_children(principal, mid=principal.mid, folder_id=0, access=access)
        page = await queries.folders_page(ctx, kind=kind, parent=None, first=first, after=position)
    return page


async def data_extensions(
    auth: Authentication,
    *,
    folder_id: tuple[str, str] | None,
    folder_given: bool,
    first: int,
    after: str | None,
    hide_leftovers: bool,
    access: MceAccess | None = None,
) -> Page[DataExtensionInfo]:
    principal = auth.require_principal()
    first, position = _page_size(first), _position(after)
    folder = await _listed_folder(
        principal, folder_id, given=folder_given, kind=FolderKind.DATA_EXTENSION, access=access
    )
    return await queries.data_extensions_page(
        principal.tenant_context(),
        folder=folder,
        first=first,
        after=position,
        hide_leftovers=hide_leftovers,
    )


async def query_activities(
    auth: Authentication,
    *,
    folder_id: tuple[str, str] | None,
    folder_given: bool,
    first: int,
    after: str | None,
    hide_leftovers: bool,
    access: MceAccess | None = None,
) -> Page[QueryActivityInfo]:
    principal = auth.require_principal()
    first, position = _page_size(first), _position(after)
    folder = await _listed_folder(
        principal, folder_id, given=folder_given, kind=FolderKind.QUERY_ACTIVITY, access=access
    )
    return await queries.query_activities_page(
        principal.tenant_context(),
        folder=folder,
        first=first,
        after=position,
        hide_leftovers=hide_leftovers,
    )


async def _listed_folder(
    principal: Principal,
    folder_id: tuple[str, str] | None,
    *,
    given: bool,
    kind: FolderKind,
    access: MceAccess | None,
) -> FolderInfo | None:
    """The folder a listing asks for (None when no ``folderId`` was given: every folder),
    its children fetched from MCE first when they were never loaded."""
    if not given:
        return None
    folder = await _folder_argument(
        principal, local_uuid(folder_id, FOLDER), field="folderId", kind=kind
    )
    if not folder.children_loaded:
        await _ensure_children(principal, mid=folder.mid, folder_id=folder.folder_id, access=access)
    return folder


# ------------------------------------------------------------------ single objects
def _split_sql_name(name: str) -> tuple[str, bool]:
    """``ENT.[My DE]`` -> ``("My DE", True)``: the name as SQL in this BU writes it."""
    text = name.strip()
    shared = text[:4].casefold() == "ent."
    if shared:
        text = text[4:].strip()
    if len(text) >= 2 and text.startswith("[") and text.endswith("]"):
        text = text[1:-1].replace("]]", "]")
    return text, shared


async def data_extension(
    auth: Authentication,
    *,
    key: str | None,
    name: str | None,
    access: MceAccess | None = None,
) -> DataExtensionInfo | None:
    """The DE with customer key ``key`` or called ``name`` (``ENT.``-prefixed for a parent's
    shared DE); exactly one of the two. Null when the BU cannot see such a DE."""
    principal = auth.require_principal()
    if (key is None) == (name is None):
        raise InvalidInput("Give exactly one of 'key' and 'name'.", field="key")
    wanted = _text(
        key if key is not None else name or "",
        field="key" if key is not None else "name",
        limit=254,
    )
    ctx = principal.tenant_context()

    async def read() -> DataExtensionInfo | None:
        if key is not None:
            return await queries.data_extension_by_key(ctx, key)
        plain, shared = _split_sql_name(wanted)
        return await queries.data_extension_by_name(ctx, plain, shared=shared)

    found = await read()
    if found is None and access is not None:
        await _ensure_data_extension(principal, access, key=key, name=name)
        found = await read()
    return found


async def query_activity(auth: Authentication, *, key: str) -> QueryActivityInfo | None:
    principal = auth.require_principal()
    _text(key, field="key", limit=254)
    return await queries.query_activity_by_key(principal.tenant_context(), key)


def data_views() -> list[DataView]:
    """MCE's system data views, by name (tsql's catalogue: REFERENCE §5.2)."""
    return sorted(DATA_VIEWS.values(), key=lambda view: view.name.lower())


# ------------------------------------------------------------------ batches (DataLoaders)
async def load_data_extensions(
    auth: Authentication, ids: Sequence[UUID]
) -> list[DataExtensionInfo | None]:
    found = await queries.data_extensions_by_ids(auth.require_principal().tenant_context(), ids)
    return [found.get(de_id) for de_id in ids]


async def load_data_extensions_by_key(
    auth: Authentication, keys: Sequence[str]
) -> list[DataExtensionInfo | None]:
    ctx = auth.require_principal().tenant_context()
    found = await queries.data_extensions_by_keys(ctx, queries.unique(keys))
    return [found.get(key.lower()) for key in keys]


async def load_fields(auth: Authentication, ids: Sequence[UUID]) -> list[list[FieldInfo]]:
    ctx = auth.require_principal().tenant_context()
    found = await queries.fields_by_data_extension(ctx, queries.unique(ids))
    return [found.get(de_id, []) for de_id in ids]


async def load_folders(auth: Authentication, ids: Sequence[UUID]) -> list[FolderInfo | None]:
    found = await queries.folders_by_ids(auth.require_principal().tenant_context(), ids)
    return [found.get(folder_id) for folder_id in ids]


async def load_folders_by_mce_id(
    auth: Authentication, keys: Sequence[tuple[int, int]]
) -> list[FolderInfo | None]:
    ctx = auth.require_principal().tenant_context()
    found = await queries.folders_by_mce_id(ctx, queries.unique(keys))
    return [found.get(key) for key in keys]


async def load_query_activities(
    auth: Authentication, ids: Sequence[UUID]
) -> list[QueryActivityInfo | None]:
    found = await queries.query_activities_by_ids(auth.require_principal().tenant_context(), ids)
    return [found.get(qa_id) for qa_id in ids]


async def load_automations(
    auth: Authentication, keys: Sequence[tuple[int, str]]
) -> list[list[AutomationInfo]]:
    ctx = auth.require_principal().tenant_context()
    found = await queries.automations_by_query(ctx, queries.unique(keys))
    return [found.get(key, []) for key in keys]


# ------------------------------------------------------------------ MCE read-through
async def row_preview(
    auth: Authentication,
    *,
    data_extension: DataExtensionInfo,
    fields: Sequence[FieldInfo],
    first: int,
    access: MceAccess,
) -> RowPreview:
    principal = auth.require_principal()
    if not 1 <= first <= MAX_PREVIEW_ROWS:
        raise InvalidInput(f"'first' must be between 1 and {MAX_PREVIEW_ROWS}.", field="first")
    return await preview_rows(
        principal.tenant_context(),
        access=access,
        data_extension=data_extension,
        fields=fields,
        first=first,
    )


async def row_count(
    auth: Authentication,
    *,
    data_extension: DataExtensionInfo,
    refresh: bool,
    access: MceAccess,
) -> RowCount:
    """The cached count with its time, or (never counted, or ``refresh``) a count now."""
    principal = auth.require_principal()
    if (
        not refresh
        and data_extension.row_count is not None
        and data_extension.row_count_at is not None
    ):
        return RowCount(count=data_extension.row_count, counted_at=data_extension.row_count_at)
    return await count_rows(
        principal.tenant_context(), access=access, data_extension=data_extension
    )


# ------------------------------------------------------------------ search
async def search_data_extensions(
    auth: Authentication, *, query: str, first: int, after: str | None, hide_leftovers: bool
) -> SearchPage:
    principal = auth.require_principal()
    first = _page_size(first)
    if len(query) > MAX_QUERY_CHARS or "\x00" in query:
        raise InvalidInput(
            f"'query' is at most {MAX_QUERY_CHARS} characters, without NUL characters.",
            field="query",
        )
    position = None
    if after is not None:
        position = search.decode_search_cursor(after)
        if position is None:
            raise InvalidInput("'after' is not a cursor of this search.", field="after")
    return await search.search_data_extensions(
        principal.tenant_context(),
        text=query,
        first=first,
        after=position,
        hide_leftovers=hide_leftovers,
    )


# ------------------------------------------------------------------ sync
def _sync_mid(principal: Principal, mid: str | None) -> int:
    """The BU whose sync the viewer asks about: theirs by default, or its parent (whose
    shared DEs they see); any other is NOT_FOUND."""
    if mid is None:
        return principal.mid
    if not mid.isdigit() or len(mid) > 18:
        raise InvalidInput("'mid' is a business unit's MID.", field="mid")
    wanted = int(mid)
    if wanted not in principal.tenant_context().visible_mids:
        raise NotFound("No such business unit.", field="mid")
    return wanted


async def metadata_sync(
    auth: Authentication, *, mid: str | None, redis: Redis
) -> AsyncIterator[SyncProgress]:
    """The BU's sync state now, then after each change (services.metadata.progress.watch)."""
    principal = auth.require_principal()
    wanted = _sync_mid(principal, mid)
    async for state in progress.watch(redis, principal.tenant_context(), wanted):
        yield state


async def refresh_metadata(auth: Authentication, *, full: bool, jobs: JobQueue) -> SyncProgress:
    """Start a sync of the viewer's BU (or join the one running), acting as the viewer."""
    principal = auth.require_principal()
    return await sync.request_sync(
        principal.tenant_context(),
        mid=principal.mid,
        user_id=principal.user_id,
        full=full,
        jobs=jobs,
    )
