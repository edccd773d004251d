"""Mutations of the snippet library. Each takes one ``input`` and returns a payload with
``userErrors`` for expected failures (docs/api.md): bad input, NOT_FOUND (also for ids of
other users and tenants), CONFLICT (a stale ``expectedVersion``), FOLDER_CYCLE,
FOLDER_NOT_EMPTY, NAME_TAKEN, LIMIT_REACHED. READ tokens are refused before any runs.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TypeVar

import strawberry
from strawberry.types import Info

from resolvers import snippets as use
from schema.context import GraphQLContext
from schema.errors import UserError, attempt
from schema.snippets import (
    SNIPPET_FOLDER_TYPE,
    SNIPPET_TYPE,
    Snippet,
    SnippetFolder,
    local_id,
    optional_local_id,
)
from services.errors import InvalidInput, NotFound
from services.snippets import (
    Conflict,
    FolderCycle,
    FolderNotEmpty,
    LimitReached,
    NameTaken,
    SnippetFolderInfo,
    SnippetInfo,
)

__all__ = ["SnippetMutation"]

_USER_ERRORS = (
    InvalidInput,
    NotFound,
    Conflict,
    FolderCycle,
    FolderNotEmpty,
    NameTaken,
    LimitReached,
)

T = TypeVar("T")


async def _attempt(call: Awaitable[T]) -> tuple[T | None, list[UserError]]:
    return await attempt(call, *_USER_ERRORS)


def _snippet(found: SnippetInfo | None) -> Snippet | None:
    return None if found is None else Snippet.from_domain(found)


def _folder(found: SnippetFolderInfo | None) -> SnippetFolder | None:
    return None if found is None else SnippetFolder.from_domain(found)


_EXPECTED = "The version you edited (Snippet.version); CONFLICT if it changed since."


# ------------------------------------------------------------------ inputs
@strawberry.input
class CreateSnippetInput:
    title: str = strawberry.field(description="1 to 200 characters.")
    sql: str = strawberry.field(description="At most 100,000 characters.")
    description: str = strawberry.field(default="", description="At most 2,000 characters.")
    tags: list[str] = strawberry.field(
        default_factory=list, description="At most 20, each 1 to 50 characters."
    )
    folder_id: strawberry.ID | None = strawberry.field(
        default=None, description="A folder of yours; omitted or null: the root."
    )


@strawberry.input(description="Fields left out (or null) keep their value.")
class UpdateSnippetInput:
    id: strawberry.ID
    title: str | None = None
    sql: str | None = None
    description: str | None = None
    tags: list[str] | None = None
    expected_version: int | None = strawberry.field(default=None, description=_EXPECTED)


@strawberry.input
class RenameSnippetInput:
    id: strawberry.ID
    title: str
    expected_version: int | None = strawberry.field(default=None, description=_EXPECTED)


@strawberry.input
class MoveSnippetInput:
    id: strawberry.ID
    folder_id: strawberry.ID | None = strawberry.field(
        default=None, description="The folder to put it in; null: the root."
    )


@strawberry.input
class DuplicateSnippetInput:
    id: strawberry.ID
    title: str | None = strawberry.field(
        default=None, description='Default: the original\'s title + " (copy)".'
    )
    folder_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET,
        description="Where the copy goes (null: the root); omitted: beside the original.",
    )


@strawberry.input
class SnippetIdInput:
    id: strawberry.ID


@strawberry.input
class RestoreSnippetVersionInput:
    id: strawberry.ID
    version: int = strawberry.field(description="A version still in the snippet's history.")
    expected_version: int | None = strawberry.field(default=None, description=_EXPECTED)


@strawberry.input
class CreateSnippetFolderInput:
    name: str = strawberry.field(description="1 to 100 characters, unique among its siblings.")
    parent_id: strawberry.ID | None = strawberry.field(
        default=None, description="The folder to create it in; null: the root."
    )


@strawberry.input
class RenameSnippetFolderInput:
    id: strawberry.ID
    name: str


@strawberry.input
class MoveSnippetFolderInput:
    id: strawberry.ID
    parent_id: strawberry.ID | None = strawberry.field(
        default=None, description="The new parent; null: the root. Never itself or inside itself."
    )


@strawberry.input
class SnippetFolderIdInput:
    id: strawberry.ID


# ------------------------------------------------------------------ payloads
@strawberry.type
class CreateSnippetPayload:
    snippet: Snippet | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class UpdateSnippetPayload:
    snippet: Snippet | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class RenameSnippetPayload:
    snippet: Snippet | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class MoveSnippetPayload:
    snippet: Snippet | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class DuplicateSnippetPayload:
    snippet: Snippet | None = strawberry.field(default=None, description="The new copy.")
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class DeleteSnippetPayload:
    snippet: Snippet | None = strawberry.field(
        default=None, description="The snippet, now in the trash."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class RestoreSnippetPayload:
    snippet: Snippet | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class RestoreSnippetVersionPayload:
    snippet: Snippet | None = strawberry.field(
        default=None, description="The snippet with the old content, saved as a new version."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class CreateSnippetFolderPayload:
    snippet_folder: SnippetFolder | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class RenameSnippetFolderPayload:
    snippet_folder: SnippetFolder | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class MoveSnippetFolderPayload:
    snippet_folder: SnippetFolder | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class DeleteSnippetFolderPayload:
    snippet_folder: SnippetFolder | None = strawberry.field(
        default=None, description="The folder as it was before it was deleted."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list)


def _sid(global_id: str) -> str:
    return local_id(global_id, SNIPPET_TYPE)


def _fid(global_id: str | None) -> str | None:
    return optional_local_id(global_id, SNIPPET_FOLDER_TYPE)


# ------------------------------------------------------------------ mutations
@strawberry.type
class SnippetMutation:
    @strawberry.mutation(description="Save SQL as a new snippet in your library.")
    async def create_snippet(
        self, info: Info[GraphQLContext, None], input: CreateSnippetInput
    ) -> CreateSnippetPayload:
        found, errors = await _attempt(
            use.create_snippet(
                info.context.authentication,
                title=input.title,
                sql=input.sql,
                description=input.description,
                tags=input.tags,
                folder_id=_fid(input.folder_id),
            )
        )
        return CreateSnippetPayload(snippet=_snippet(found), user_errors=errors)

    @strawberry.mutation(description="Change a snippet's content; a real change is a version.")
    async def update_snippet(
        self, info: Info[GraphQLContext, None], input: UpdateSnippetInput
    ) -> UpdateSnippetPayload:
        found, errors = await _attempt(
            use.update_snippet(
                info.context.authentication,
                snippet_id=_sid(input.id),
                title=input.title,
                sql=input.sql,
                description=input.description,
                tags=input.tags,
                expected_version=input.expected_version,
            )
        )
        return UpdateSnippetPayload(snippet=_snippet(found), user_errors=errors)

    @strawberry.mutation(description="Give a snippet a new title (a new version).")
    async def rename_snippet(
        self, info: Info[GraphQLContext, None], input: RenameSnippetInput
    ) -> RenameSnippetPayload:
        found, errors = await _attempt(
            use.rename_snippet(
                info.context.authentication,
                snippet_id=_sid(input.id),
                title=input.title,
                expected_version=input.expected_version,
            )
        )
        return RenameSnippetPayload(snippet=_snippet(found), user_errors=errors)

    @strawberry.mutation(description="Put a snippet in another folder (or the root).")
    async def move_snippet(
        self, info: Info[GraphQLContext, None], input: MoveSnippetInput
    ) -> MoveSnippetPayload:
        found, errors = await _attempt(
            use.move_snippet(
                info.context.authentication,
                snippet_id=_sid(input.id),
                folder_id=_fid(input.folder_id),
            )
        )
        return MoveSnippetPayload(snippet=_snippet(found), user_errors=errors)

    @strawberry.mutation(description="Copy a snippet; the copy's history starts afresh.")
    async def duplicate_snippet(
        self, info: Info[GraphQLContext, None], input: DuplicateSnippetInput
    ) -> DuplicateSnippetPayload:
        keep_folder = input.folder_id is strawberry.UNSET
        found, errors = await _attempt(
            use.duplicate_snippet(
                info.context.authentication,
                snippet_id=_sid(input.id),
                title=input.title,
                folder_id=None if keep_folder else _fid(input.folder_id),
                keep_folder=keep_folder,
            )
        )
        return DuplicateSnippetPayload(snippet=_snippet(found), user_errors=errors)

    @strawberry.mutation(description="Move a snippet to the trash (restorable for 30 days).")
    async def delete_snippet(
        self, info: Info[GraphQLContext, None], input: SnippetIdInput
    ) -> DeleteSnippetPayload:
        found, errors = await _attempt(
            use.delete_snippet(info.context.authentication, snippet_id=_sid(input.id))
        )
        return DeleteSnippetPayload(snippet=_snippet(found), user_errors=errors)

    @strawberry.mutation(description="Bring a snippet back from the trash.")
    async def restore_snippet(
        self, info: Info[GraphQLContext, None], input: SnippetIdInput
    ) -> RestoreSnippetPayload:
        found, errors = await _attempt(
            use.restore_snippet(info.context.authentication, snippet_id=_sid(input.id))
        )
        return RestoreSnippetPayload(snippet=_snippet(found), user_errors=errors)

    @strawberry.mutation(description="Make an old version's content current again.")
    async def restore_snippet_version(
        self, info: Info[GraphQLContext, None], input: RestoreSnippetVersionInput
    ) -> RestoreSnippetVersionPayload:
        found, errors = await _attempt(
            use.restore_snippet_version(
                info.context.authentication,
                snippet_id=_sid(input.id),
                version=input.version,
                expected_version=input.expected_version,
            )
        )
        return RestoreSnippetVersionPayload(snippet=_snippet(found), user_errors=errors)

    @strawberry.mutation(description="Create a folder in your snippet library.")
    async def create_snippet_folder(
        self, info: Info[GraphQLContext, None], input: CreateSnippetFolderInput
    ) -> CreateSnippetFolderPayload:
        found, errors = await _attempt(
            use.create_snippet_folder(
                info.context.authentication, name=input.name, parent_id=_fid(input.parent_id)
            )
        )
        return CreateSnippetFolderPayload(snippet_folder=_folder(found), user_errors=errors)

    @strawberry.mutation(description="Rename one of your snippet folders.")
    async def rename_snippet_folder(
        self, info: Info[GraphQLContext, None], input: RenameSnippetFolderInput
    ) -> RenameSnippetFolderPayload:
        found, errors = await _attempt(
            use.rename_snippet_folder(
                info.context.authentication,
                folder_id=local_id(input.id, SNIPPET_FOLDER_TYPE),
                name=input.name,
            )
        )
        return RenameSnippetFolderPayload(snippet_folder=_folder(found), user_errors=errors)

    @strawberry.mutation(description="Move a folder, with what it holds, under another one.")
    async def move_snippet_folder(
        self, info: Info[GraphQLContext, None], input: MoveSnippetFolderInput
    ) -> MoveSnippetFolderPayload:
        found, errors = await _attempt(
            use.move_snippet_folder(
                info.context.authentication,
                folder_id=local_id(input.id, SNIPPET_FOLDER_TYPE),
                parent_id=_fid(input.parent_id),
            )
        )
        return MoveSnippetFolderPayload(snippet_folder=_folder(found), user_errors=errors)

    @strawberry.mutation(description="Delete an empty snippet folder.")
    async def delete_snippet_folder(
        self, info: Info[GraphQLContext, None], input: SnippetFolderIdInput
    ) -> DeleteSnippetFolderPayload:
        found, errors = await _attempt(
            use.delete_snippet_folder(
                info.context.authentication, folder_id=local_id(input.id, SNIPPET_FOLDER_TYPE)
            )
        )
        return DeleteSnippetFolderPayload(snippet_folder=_folder(found), user_errors=errors)
