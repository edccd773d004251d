"""The snippet library in GraphQL: types, connections and the read fields.

Ids are opaque global ids (``Snippet``, ``SnippetFolder``); an id that does not decode, or
names another kind of object, is handed on as an id that matches nothing, so the answer is
the same as for another user's or tenant's id. Mutations are in ``schema.snippet_mutations``.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any
from uuid import UUID

import strawberry
from strawberry.relay import PageInfo
from strawberry.types import Info

from models import SnippetVisibility as DomainVisibility
from resolvers.snippets import (
    get_snippet,
    get_snippet_folder,
    list_deleted_snippets,
    list_snippet_folders,
    list_snippet_versions,
    list_snippets,
)
from schema.connections import page_info
from schema.context import GraphQLContext
from schema.global_ids import decode_global_id, encode_global_id
from schema.node import Node
from services.errors import InvalidInput
from services.snippets import Page, SnippetFolderInfo, SnippetInfo, SnippetVersionInfo

__all__ = [
    "SNIPPET_FOLDER_TYPE",
    "SNIPPET_TYPE",
    "Snippet",
    "SnippetFolder",
    "SnippetQuery",
    "local_id",
    "optional_local_id",
]

SNIPPET_TYPE = "Snippet"
SNIPPET_FOLDER_TYPE = "SnippetFolder"


def local_id(global_id: str, type_name: str) -> str:
    """The local id in ``global_id`` if it is an id of ``type_name``, else "" (no match)."""
    decoded = decode_global_id(global_id)
    if decoded is None or decoded[0] != type_name:
        return ""
    return decoded[1]


def optional_local_id(global_id: str | None, type_name: str) -> str | None:
    return None if global_id is None else local_id(global_id, type_name)


def _global(type_name: str, value: object | None) -> strawberry.ID | None:
    return None if value is None else strawberry.ID(encode_global_id(type_name, str(value)))


def _page_info(page: Page[Any], after: str | None) -> PageInfo:
    return page_info(
        [e.cursor for e in page.edges],
        has_next_page=page.has_next_page,
        after=after,
    )


@strawberry.enum(description="Who may read a snippet. Only its owner, until team sharing.")
class SnippetVisibility(Enum):
    PRIVATE = DomainVisibility.PRIVATE.value


@strawberry.type(description="A snippet as it was at one version.")
class SnippetVersion:
    version: int
    title: str
    sql: str
    description: str
    tags: list[str]
    created_at: datetime = strawberry.field(description="When this version was saved.")

    @classmethod
    def from_domain(cls, version: SnippetVersionInfo) -> SnippetVersion:
        return cls(
            version=version.version,
            title=version.title,
            sql=version.sql,
            description=version.description,
            tags=list(version.tags),
            created_at=version.created_at,
        )


@strawberry.type
class SnippetVersionEdge:
    cursor: str
    node: SnippetVersion


@strawberry.type(description="A snippet's saved versions, newest first (the last 50).")
class SnippetVersionConnection:
    edges: list[SnippetVersionEdge]
    page_info: PageInfo


@strawberry.type(description="Saved SQL in your library: yours alone, in every BU you use.")
class Snippet(Node):
    title: str
    sql: str
    description: str
    tags: list[str]
    folder_id: strawberry.ID | None = strawberry.field(
        description="The folder it is in; null at the library's root."
    )
    visibility: SnippetVisibility
    version: int = strawberry.field(
        description="Counts content changes; send it back as expectedVersion when editing."
    )
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None = strawberry.field(description="Set while it is in the trash.")
    purge_at: datetime | None = strawberry.field(
        description="When a snippet in the trash is deleted for good (30 days after deletion)."
    )
    snippet_id: strawberry.Private[str]
    #: Listed in a connection: its history is not served there (see ``history``).
    listed: strawberry.Private[bool] = False

    @classmethod
    def from_domain(cls, snippet: SnippetInfo, *, listed: bool = False) -> Snippet:
        return cls(
            id=strawberry.ID(encode_global_id(SNIPPET_TYPE, str(snippet.id))),
            title=snippet.title,
            sql=snippet.sql,
            description=snippet.description,
            tags=list(snippet.tags),
            folder_id=_global(SNIPPET_FOLDER_TYPE, snippet.folder_id),
            visibility=SnippetVisibility(snippet.visibility.value),
            version=snippet.version,
            created_at=snippet.created_at,
            updated_at=snippet.updated_at,
            deleted_at=snippet.deleted_at,
            purge_at=snippet.purge_at,
            snippet_id=str(snippet.id),
            listed=listed,
        )

    @strawberry.field(
        description="Its saved versions, newest first: the last 50 are kept. Served for one"
        " snippet at a time (`snippet(id)`, `node(id)`, a mutation's payload), not for the"
        " snippets of a list: INVALID_INPUT there."
    )
    async def history(
        self, info: Info[GraphQLContext, None], first: int = 20, after: str | None = None
    ) -> SnippetVersionConnection:
        if self.listed:
            # 100 snippets x 50 versions x 100,000 characters of SQL would be one answer.
            raise InvalidInput(
                "Ask for a snippet's history through snippet(id), one snippet at a time.",
                field="history",
            )
        page = await list_snippet_versions(
            info.context.authentication, snippet_id=UUID(self.snippet_id), first=first, after=after
        )
        return SnippetVersionConnection(
            edges=[
                SnippetVersionEdge(cursor=e.cursor, node=SnippetVersion.from_domain(e.node))
                for e in page.edges
            ],
            page_info=_page_info(page, after),
        )


@strawberry.type
class SnippetEdge:
    cursor: str
    node: Snippet


@strawberry.type
class SnippetConnection:
    edges: list[SnippetEdge]
    page_info: PageInfo


@strawberry.type(description="A folder of your snippet library.")
class SnippetFolder:
    id: strawberry.ID
    name: str
    parent_id: strawberry.ID | None = strawberry.field(
        description="The folder it is in; null at the library's root."
    )
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_domain(cls, folder: SnippetFolderInfo) -> SnippetFolder:
        return cls(
            id=strawberry.ID(encode_global_id(SNIPPET_FOLDER_TYPE, str(folder.id))),
            name=folder.name,
            parent_id=_global(SNIPPET_FOLDER_TYPE, folder.parent_id),
            created_at=folder.created_at,
            updated_at=folder.updated_at,
        )


@strawberry.type
class SnippetFolderEdge:
    cursor: str
    node: SnippetFolder


@strawberry.type
class SnippetFolderConnection:
    edges: list[SnippetFolderEdge]
    page_info: PageInfo


def snippet_connection(page: Page[SnippetInfo], after: str | None) -> SnippetConnection:
    return SnippetConnection(
        edges=[
            SnippetEdge(cursor=e.cursor, node=Snippet.from_domain(e.node, listed=True))
            for e in page.edges
        ],
        page_info=_page_info(page, after),
    )


@strawberry.type
class SnippetQuery:
    @strawberry.field(
        description="Your snippets, by title. Without `search`: one level of the library (the"
        " folder `folderId`, or the root). With `search`: every snippet (or only those in"
        " `folderId`) whose title, SQL, description or tags contain each word of it."
    )
    async def snippets(
        self,
        info: Info[GraphQLContext, None],
        folder_id: strawberry.ID | None = None,
        search: str | None = None,
        first: int = 50,
        after: str | None = None,
    ) -> SnippetConnection:
        page = await list_snippets(
            info.context.authentication,
            folder_id=optional_local_id(folder_id, SNIPPET_FOLDER_TYPE),
            search=search,
            first=first,
            after=after,
        )
        return snippet_connection(page, after)

    @strawberry.field(
        description="One of your snippets; null for any other id or one in the trash."
    )
    async def snippet(self, info: Info[GraphQLContext, None], id: strawberry.ID) -> Snippet | None:
        found = await get_snippet(
            info.context.authentication, snippet_id=local_id(id, SNIPPET_TYPE)
        )
        return None if found is None else Snippet.from_domain(found)

    @strawberry.field(
        description="Your trash, most recently deleted first: restorable for 30 days."
    )
    async def deleted_snippets(
        self, info: Info[GraphQLContext, None], first: int = 50, after: str | None = None
    ) -> SnippetConnection:
        page = await list_deleted_snippets(info.context.authentication, first=first, after=after)
        return snippet_connection(page, after)

    @strawberry.field(description="The folders directly in `parentId` (or the root), by name.")
    async def snippet_folders(
        self,
        info: Info[GraphQLContext, None],
        parent_id: strawberry.ID | None = None,
        first: int = 100,
        after: str | None = None,
    ) -> SnippetFolderConnection:
        page = await list_snippet_folders(
            info.context.authentication,
            parent_id=optional_local_id(parent_id, SNIPPET_FOLDER_TYPE),
            first=first,
            after=after,
        )
        return SnippetFolderConnection(
            edges=[
                SnippetFolderEdge(cursor=e.cursor, node=SnippetFolder.from_domain(e.node))
                for e in page.edges
            ],
            page_info=_page_info(page, after),
        )

    @strawberry.field(description="One of your snippet folders; null for any other id.")
    async def snippet_folder(
        self, info: Info[GraphQLContext, None], id: strawberry.ID
    ) -> SnippetFolder | None:
        found = await get_snippet_folder(
            info.context.authentication, folder_id=local_id(id, SNIPPET_FOLDER_TYPE)
        )
        return None if found is None else SnippetFolder.from_domain(found)
