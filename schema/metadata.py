"""Metadata in GraphQL: folders, data extensions (fields, row count, first rows), query
activities, data views, search, ``refreshMetadata`` and the ``metadataSync`` subscription.

Types map the domain objects of services/metadata; every use-case is in
resolvers/metadata.py. Lists that can grow are Relay connections (``first`` at most 100);
``Folder``, ``DataExtension`` and ``QueryActivity`` are Relay nodes (schema/node.py). What a
page's DEs ask for (fields, folder, automations, targets) goes through the operation's
DataLoaders (schema/metadata_loaders.py), so a page costs a fixed number of statements.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any, cast

import strawberry
from strawberry.relay import PageInfo
from strawberry.scalars import JSON
from strawberry.types import Info

from resolvers import metadata as resolve
from schema.connections import page_info
from schema.context import GraphQLContext
from schema.errors import UserError, user_errors_from
from schema.global_ids import decode_global_id, encode_global_id
from schema.metadata_loaders import loaders
from schema.metadata_types import DataViewType, MetadataSyncProgress, TextRange
from schema.node import Node
from schema.sql import SqlFieldType
from services.errors import InvalidInput, NotFound, PermissionDenied
from services.metadata.preview import MceAccess, MceCallFailed
from services.metadata.queries import (
    AutomationInfo,
    DataExtensionInfo,
    FieldInfo,
    FolderInfo,
    FolderKind,
    Page,
    QueryActivityInfo,
)
from services.metadata.search import SearchHit

__all__ = [
    "DataExtension",
    "Folder",
    "MetadataMutation",
    "MetadataQuery",
    "MetadataSubscription",
    "QueryActivity",
    "metadata_node",
]


@strawberry.enum(description="What a folder holds.")
class FolderContentType(Enum):
    DATA_EXTENSION = FolderKind.DATA_EXTENSION.value
    QUERY_ACTIVITY = FolderKind.QUERY_ACTIVITY.value


@strawberry.enum(description="What a search hit matched on.")
class SearchMatch(Enum):
    NAME = "NAME"
    CUSTOMER_KEY = "CUSTOMER_KEY"
    FIELD = strawberry.enum_value("FIELD", description="A field (column) name.")


@strawberry.enum(description="How well a search hit matched, best first.")
class SearchMatchQuality(Enum):
    EXACT = 0
    PREFIX = 1
    WORD = strawberry.enum_value(2, description="A word of the text starts with the query.")
    SUBSTRING = 3
    FUZZY = strawberry.enum_value(4, description="Close, e.g. with a typo.")


def _global(type_name: str, local_id: object) -> strawberry.ID:
    return strawberry.ID(encode_global_id(type_name, str(local_id)))


def _access(info: Info[GraphQLContext, None]) -> MceAccess | None:
    """The process's way to MCE: its HTTP pool, the wallet's token provider, the policy."""
    return info.context.mce


def _required_access(info: Info[GraphQLContext, None]) -> MceAccess:
    access = _access(info)
    if access is None:
        raise MceCallFailed("Marketing Cloud cannot be reached from this process.")
    return access


def _viewer_mid(info: Info[GraphQLContext, None]) -> int:
    return resolve.viewer_mid(info.context.authentication)


def _data_extension(
    info: Info[GraphQLContext, None], found: DataExtensionInfo | None
) -> DataExtension | None:
    return None if found is None else DataExtension.from_domain(found, viewer_mid=_viewer_mid(info))


# ------------------------------------------------------------------ folders
@strawberry.type(description="A folder of data extensions or query activities.")
class Folder(Node):
    name: str
    description: str
    content_type: FolderContentType
    shared: bool = strawberry.field(
        description="A folder of the parent BU's shared data extensions (read as ENT.)."
    )
    children_loaded: bool = strawberry.field(
        description="False until its children were fetched from Marketing Cloud; listing its"
        " children fetches them."
    )
    folder: strawberry.Private[FolderInfo]

    @classmethod
    def from_domain(cls, folder: FolderInfo) -> Folder:
        return cls(
            id=_global(resolve.FOLDER, folder.id),
            name=folder.name,
            description=folder.description,
            content_type=FolderContentType(folder.kind.value),
            shared=folder.is_shared,
            children_loaded=folder.children_loaded,
            folder=folder,
        )

    @strawberry.field(description="The folder it is in; null for a top folder.")
    async def parent(self, info: Info[GraphQLContext, None]) -> Folder | None:
        parent_id = self.folder.parent_folder_id
        if not parent_id:
            return None
        found = await loaders(info).folders_by_mce_id.load((self.folder.mid, parent_id))
        return None if found is None else Folder.from_domain(found)


@strawberry.type
class FolderEdge:
    cursor: str
    node: Folder


@strawberry.type(description="Folders, by name.")
class FolderConnection:
    edges: list[FolderEdge]
    page_info: PageInfo


# ------------------------------------------------------------------ data extensions
#: MCE's type names, lower-cased, to the schema's (built once: a page converts ~1,000 fields).
_FIELD_TYPES = {member.value.lower(): member for member in SqlFieldType}


@strawberry.type(description="A field (column) of a data extension.")
class DataExtensionField:
    name: str
    field_type: SqlFieldType
    max_length: int | None
    precision: int | None
    scale: int | None
    is_primary_key: bool
    is_required: bool
    default_value: str | None
    ordinal: int

    @classmethod
    def from_domain(cls, field: FieldInfo) -> DataExtensionField:
        return cls(
            name=field.name,
            field_type=_FIELD_TYPES.get(field.field_type.lower(), SqlFieldType.TEXT),
            max_length=field.max_length,
            precision=field.precision,
            scale=field.scale,
            is_primary_key=field.is_primary_key,
            is_required=field.is_required,
            default_value=field.default_value,
            ordinal=field.ordinal,
        )


@strawberry.type(description="How long Marketing Cloud keeps a data extension's rows.")
class DataRetention:
    length: int | None
    unit: str | None
    row_based: bool
    reset_on_import: bool
    delete_at_end: bool
    retain_until: datetime | None


@strawberry.type(description="A data extension's row count and when it was counted.")
class DataExtensionRowCount:
    count: int
    counted_at: datetime


@strawberry.type(
    description="The first rows of a data extension, read from Marketing Cloud now and never"
    " stored. Each row is a JSON array with a value per field, in `fields` order: Number as a"
    " number, Boolean as a boolean, Decimal as a string (exact), Date as ISO 8601, null for"
    " empty."
)
class DataExtensionRows:
    fields: list[DataExtensionField]
    rows: list[JSON]
    total_rows: int = strawberry.field(description="Rows in the data extension right now.")


def _cell(value: object) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return value


@strawberry.type(description="A data extension the BU can read.")
class DataExtension(Node):
    name: str
    sql_name: str = strawberry.field(
        description="How SQL in your BU writes it: bracketed when needed, ENT. for the parent"
        " BU's shared data extensions."
    )
    customer_key: str
    description: str
    shared: bool = strawberry.field(description="The parent BU's, shared: read as ENT.")
    is_sendable: bool
    sendable_field: str | None
    sendable_subscriber_field: str | None
    retention: DataRetention | None
    created_at: datetime | None
    modified_at: datetime | None
    field_count: int
    is_foreign_leftover: bool = strawberry.field(
        description="Left behind by another tool (e.g. Query Studio's results)."
    )
    data_extension: strawberry.Private[DataExtensionInfo]

    @classmethod
    def from_domain(cls, de: DataExtensionInfo, *, viewer_mid: int) -> DataExtension:
        retention = None
        if de.retention_length is not None or de.retain_until is not None:
            retention = DataRetention(
                length=de.retention_length,
                unit=de.retention_unit,
                row_based=de.retention_row_based,
                reset_on_import=de.retention_reset_on_import,
                delete_at_end=de.retention_delete_at_end,
                retain_until=de.retain_until,
            )
        return cls(
            id=_global(resolve.DATA_EXTENSION, de.id),
            name=de.name,
            sql_name=de.sql_name(viewer_mid),
            customer_key=de.customer_key,
            description=de.description,
            shared=de.shared_from(viewer_mid),
            is_sendable=de.is_sendable,
            sendable_field=de.sendable_field,
            sendable_subscriber_field=de.sendable_subscriber_field,
            retention=retention,
            created_at=de.mce_created_at,
            modified_at=de.mce_modified_at,
            field_count=de.field_count,
            is_foreign_leftover=de.is_foreign_leftover,
            data_extension=de,
        )

    @strawberry.field(description="Its fields, in Marketing Cloud's order.")
    async def fields(self, info: Info[GraphQLContext, None]) -> list[DataExtensionField]:
        found = await loaders(info).fields.load(self.data_extension.id)
        return [DataExtensionField.from_domain(field) for field in found]

    @strawberry.field(description="The folder it is in.")
    async def folder(self, info: Info[GraphQLContext, None]) -> Folder | None:
        if self.data_extension.folder_id is None:
            return None
        key = (self.data_extension.mid, self.data_extension.folder_id)
        found = await loaders(info).folders_by_mce_id.load(key)
        return None if found is None else Folder.from_domain(found)

    @strawberry.field(
        description="Its row count: the cached count with when it was counted, or counted in"
        " Marketing Cloud now when it never was (or `refresh`)."
    )
    async def row_count(
        self, info: Info[GraphQLContext, None], refresh: bool = False
    ) -> DataExtensionRowCount:
        counted = await resolve.row_count(
            info.context.authentication,
            data_extension=self.data_extension,
            refresh=refresh,
            access=_required_access(info),
        )
        return DataExtensionRowCount(count=counted.count, counted_at=counted.counted_at)

    @strawberry.field(
        description="Its first rows (1 to 100), read from Marketing Cloud now, never stored."
    )
    async def rows(self, info: Info[GraphQLContext, None], first: int = 50) -> DataExtensionRows:
        fields = await loaders(info).fields.load(self.data_extension.id)
        preview = await resolve.row_preview(
            info.context.authentication,
            data_extension=self.data_extension,
            fields=fields,
            first=first,
            access=_required_access(info),
        )
        return DataExtensionRows(
            fields=[DataExtensionField.from_domain(field) for field in preview.fields],
            rows=[cast(JSON, [_cell(value) for value in row]) for row in preview.rows],
            total_rows=preview.total_rows,
        )


@strawberry.type
class DataExtensionEdge:
    cursor: str
    node: DataExtension


@strawberry.type(description="Data extensions, by name.")
class DataExtensionConnection:
    edges: list[DataExtensionEdge]
    page_info: PageInfo


# ------------------------------------------------------------------ query activities
@strawberry.type(description="An automation (in Automation Studio) of the BU.")
class Automation:
    name: str
    customer_key: str | None
    description: str
    status: str | None
    last_run_at: datetime | None
    modified_at: datetime | None

    @classmethod
    def from_domain(cls, automation: AutomationInfo) -> Automation:
        return cls(
            name=automation.name,
            customer_key=automation.customer_key,
            description=automation.description,
            status=automation.status,
            last_run_at=automation.last_run_at,
            modified_at=automation.mce_modified_at,
        )


@strawberry.type(description="A query activity (QueryDefinition) of the BU.")
class QueryActivity(Node):
    name: str
    customer_key: str
    description: str
    sql: str
    target_key: str | None
    target_name: str | None
    update_type: str | None = strawberry.field(description="Overwrite, Append or Update.")
    created_at: datetime | None
    modified_at: datetime | None
    is_foreign_leftover: bool
    query_activity: strawberry.Private[QueryActivityInfo]

    @classmethod
    def from_domain(cls, qa: QueryActivityInfo) -> QueryActivity:
        return cls(
            id=_global(resolve.QUERY_ACTIVITY, qa.id),
            name=qa.name,
            customer_key=qa.customer_key,
            description=qa.description,
            sql=qa.query_text,
            target_key=qa.target_key,
            target_name=qa.target_name,
            update_type=qa.update_type,
            created_at=qa.mce_created_at,
            modified_at=qa.mce_modified_at,
            is_foreign_leftover=qa.is_foreign_leftover,
            query_activity=qa,
        )

    @strawberry.field(description="The data extension it writes to, when the BU can see it.")
    async def target(self, info: Info[GraphQLContext, None]) -> DataExtension | None:
        if not self.query_activity.target_key:
            return None
        found = await loaders(info).data_extensions_by_key.load(self.query_activity.target_key)
        return (
            None
            if found is None
            else DataExtension.from_domain(found, viewer_mid=_viewer_mid(info))
        )

    @strawberry.field(description="The automations that run it.")
    async def used_by(self, info: Info[GraphQLContext, None]) -> list[Automation]:
        key = (self.query_activity.mid, self.query_activity.object_id)
        return [Automation.from_domain(a) for a in await loaders(info).automations.load(key)]

    @strawberry.field(description="The folder it is in.")
    async def folder(self, info: Info[GraphQLContext, None]) -> Folder | None:
        if self.query_activity.folder_id is None:
            return None
        key = (self.query_activity.mid, self.query_activity.folder_id)
        found = await loaders(info).folders_by_mce_id.load(key)
        return None if found is None else Folder.from_domain(found)


@strawberry.type
class QueryActivityEdge:
    cursor: str
    node: QueryActivity


@strawberry.type(description="Query activities, by name.")
class QueryActivityConnection:
    edges: list[QueryActivityEdge]
    page_info: PageInfo


# ------------------------------------------------------------------ search
@strawberry.type(description="A data extension or data view a search found, and why.")
class DataExtensionSearchHit:
    name: str
    matched_on: SearchMatch
    matched_text: str = strawberry.field(description="The name, key or field name matched.")
    quality: SearchMatchQuality
    highlights: list[TextRange] = strawberry.field(
        description="Ranges of matchedText to highlight (code points, end exclusive)."
    )
    data_view: DataViewType | None = strawberry.field(description="Set when it is a data view.")
    hit: strawberry.Private[SearchHit]

    @strawberry.field(description="Set when it is a data extension.")
    async def data_extension(self, info: Info[GraphQLContext, None]) -> DataExtension | None:
        if self.hit.data_extension_id is None:
            return None
        found = await loaders(info).data_extensions.load(self.hit.data_extension_id)
        return (
            None
            if found is None
            else DataExtension.from_domain(found, viewer_mid=_viewer_mid(info))
        )

    @classmethod
    def from_domain(cls, hit: SearchHit) -> DataExtensionSearchHit:
        return cls(
            name=hit.name,
            matched_on=SearchMatch(hit.matched_on.value),
            matched_text=hit.matched_text,
            quality=SearchMatchQuality(hit.tier),
            highlights=[TextRange(start=r.start, end=r.end) for r in hit.highlights],
            data_view=None if hit.data_view is None else DataViewType.from_domain(hit.data_view),
            hit=hit,
        )


@strawberry.type
class DataExtensionSearchEdge:
    cursor: str
    node: DataExtensionSearchHit


@strawberry.type(description="Search hits, best first.")
class DataExtensionSearchConnection:
    edges: list[DataExtensionSearchEdge]
    page_info: PageInfo


# ------------------------------------------------------------------ root fields
def _given(value: strawberry.ID | None) -> tuple[str, str] | None:
    return None if value is None else decode_global_id(str(value))


@strawberry.type
class MetadataQuery:
    @strawberry.field(
        description="Folders of data extensions or query activities under `parentId` (the top"
        " folders without it), by name. A folder whose children were never loaded is fetched"
        " from Marketing Cloud first."
    )
    async def folders(
        self,
        info: Info[GraphQLContext, None],
        content_type: FolderContentType,
        parent_id: strawberry.ID | None = None,
        first: int = 50,
        after: str | None = None,
    ) -> FolderConnection:
        page = await resolve.folders(
            info.context.authentication,
            kind=FolderKind(content_type.value),
            parent_id=_given(parent_id),
            parent_given=parent_id is not None,
            first=first,
            after=after,
            access=_access(info),
        )
        edges = [
            FolderEdge(cursor=c, node=Folder.from_domain(f))
            for f, c in zip(page.items, page.cursors, strict=True)
        ]
        return FolderConnection(
            edges=edges,
            page_info=page_info(page.cursors, has_next_page=page.has_next_page, after=after),
        )

    @strawberry.field(
        description="Data extensions in `folderId` (every one the BU can see without it, the"
        " parent BU's shared ones included), by name. Quarry's own are never listed;"
        " `hideLeftovers` leaves out other tools' leftovers."
    )
    async def data_extensions(
        self,
        info: Info[GraphQLContext, None],
        folder_id: strawberry.ID | None = None,
        first: int = 50,
        after: str | None = None,
        hide_leftovers: bool = False,
    ) -> DataExtensionConnection:
        page = await resolve.data_extensions(
            info.context.authentication,
            folder_id=_given(folder_id),
            folder_given=folder_id is not None,
            first=first,
            after=after,
            hide_leftovers=hide_leftovers,
            access=_access(info),
        )
        return _de_connection(info, page, after=after)

    @strawberry.field(description="Query activities in `folderId` (all without it), by name.")
    async def query_activities(
        self,
        info: Info[GraphQLContext, None],
        folder_id: strawberry.ID | None = None,
        first: int = 50,
        after: str | None = None,
        hide_leftovers: bool = False,
    ) -> QueryActivityConnection:
        page = await resolve.query_activities(
            info.context.authentication,
            folder_id=_given(folder_id),
            folder_given=folder_id is not None,
            first=first,
            after=after,
            hide_leftovers=hide_leftovers,
            access=_access(info),
        )
        edges = [
            QueryActivityEdge(cursor=c, node=QueryActivity.from_domain(qa))
            for qa, c in zip(page.items, page.cursors, strict=True)
        ]
        return QueryActivityConnection(
            edges=edges,
            page_info=page_info(page.cursors, has_next_page=page.has_next_page, after=after),
        )

    @strawberry.field(
        description="The data extension with this customer key, or this name as SQL in your BU"
        " writes it (`ENT.` for the parent's shared ones): exactly one of the two. Null when"
        " your BU cannot see one."
    )
    async def data_extension(
        self, info: Info[GraphQLContext, None], key: str | None = None, name: str | None = None
    ) -> DataExtension | None:
        found = await resolve.data_extension(
            info.context.authentication, key=key, name=name, access=_access(info)
        )
        return (
            None
            if found is None
            else DataExtension.from_domain(found, viewer_mid=_viewer_mid(info))
        )

    @strawberry.field(description="The BU's query activity with this customer key.")
    async def query_activity(
        self, info: Info[GraphQLContext, None], key: str
    ) -> QueryActivity | None:
        found = await resolve.query_activity(info.context.authentication, key=key)
        return None if found is None else QueryActivity.from_domain(found)

    @strawberry.field(description="Marketing Cloud's system data views (_Sent, _Open, ...).")
    def data_views(self, info: Info[GraphQLContext, None]) -> list[DataViewType]:
        info.context.authentication.require_principal()
        return [DataViewType.from_domain(view) for view in resolve.data_views()]

    @strawberry.field(
        description="Data extensions (and data views) by name, customer key or field name,"
        " typo-tolerant, best first: exact, prefix, word, substring, then close matches; a"
        " field match ranks under a name match. `ENT.name` searches the parent's shared ones."
    )
    async def search_data_extensions(
        self,
        info: Info[GraphQLContext, None],
        query: str,
        first: int = 20,
        after: str | None = None,
        hide_leftovers: bool = False,
    ) -> DataExtensionSearchConnection:
        page = await resolve.search_data_extensions(
            info.context.authentication,
            query=query,
            first=first,
            after=after,
            hide_leftovers=hide_leftovers,
        )
        edges = [
            DataExtensionSearchEdge(cursor=c, node=DataExtensionSearchHit.from_domain(h))
            for h, c in zip(page.hits, page.cursors, strict=True)
        ]
        return DataExtensionSearchConnection(
            edges=edges,
            page_info=page_info(page.cursors, has_next_page=page.has_next_page, after=after),
        )


def _de_connection(
    info: Info[GraphQLContext, None], page: Page[DataExtensionInfo], *, after: str | None
) -> DataExtensionConnection:
    mid = _viewer_mid(info)
    edges = [
        DataExtensionEdge(cursor=c, node=DataExtension.from_domain(de, viewer_mid=mid))
        for de, c in zip(page.items, page.cursors, strict=True)
    ]
    return DataExtensionConnection(
        edges=edges,
        page_info=page_info(page.cursors, has_next_page=page.has_next_page, after=after),
    )


# ------------------------------------------------------------------ sync
@strawberry.input
class RefreshMetadataInput:
    full: bool = strawberry.field(
        default=False,
        description="Fetch everything again rather than what changed since the last sync.",
    )


@strawberry.type
class RefreshMetadataPayload:
    sync: MetadataSyncProgress | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class MetadataMutation:
    @strawberry.mutation(
        description="Sync your BU's metadata from Marketing Cloud now (or join the sync"
        " already running), acting as you; follow it with `metadataSync`."
    )
    async def refresh_metadata(
        self, info: Info[GraphQLContext, None], input: RefreshMetadataInput | None = None
    ) -> RefreshMetadataPayload:
        jobs = info.context.jobs
        if jobs is None:
            raise MceCallFailed("Background work cannot be queued from this process.")
        try:
            progress = await resolve.refresh_metadata(
                info.context.authentication,
                full=bool(input and input.full),
                jobs=jobs,
            )
        except (InvalidInput, NotFound, PermissionDenied) as exc:
            return RefreshMetadataPayload(user_errors=user_errors_from(exc))
        return RefreshMetadataPayload(sync=MetadataSyncProgress.from_domain(progress))


@strawberry.type
class MetadataSubscription:
    @strawberry.subscription(
        description="A BU's metadata sync (yours by default, or your BU's parent): first where"
        " it is now, then every change."
    )
    async def metadata_sync(
        self, info: Info[GraphQLContext, None], mid: str | None = None
    ) -> AsyncGenerator[MetadataSyncProgress, None]:
        redis = info.context.redis
        if redis is None:
            raise MceCallFailed("Sync progress cannot be followed from this process.")
        async for progress in resolve.metadata_sync(
            info.context.authentication, mid=mid, redis=redis
        ):
            yield MetadataSyncProgress.from_domain(progress)


# ------------------------------------------------------------------ node
async def metadata_node(
    info: Info[GraphQLContext, None], type_name: str, local_id: str
) -> Node | None:
    """``node(id:)`` for a folder, DE or query activity; None for anything the viewer's BU
    cannot see (RLS decides: the loaders read under the viewer's context)."""
    info.context.authentication.require_principal()
    local = resolve.local_uuid((type_name, local_id), type_name)
    if local is None:
        return None
    if type_name == resolve.FOLDER:
        folder = await loaders(info).folders.load(local)
        return None if folder is None else Folder.from_domain(folder)
    if type_name == resolve.DATA_EXTENSION:
        de = await loaders(info).data_extensions.load(local)
        return None if de is None else DataExtension.from_domain(de, viewer_mid=_viewer_mid(info))
    if type_name == resolve.QUERY_ACTIVITY:
        qa = await loaders(info).query_activities.load(local)
        return None if qa is None else QueryActivity.from_domain(qa)
    return None
