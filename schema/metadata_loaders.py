"""The metadata DataLoaders of one GraphQL operation: whatever a page of DEs asks for (their
fields, folders, targets, automations) is read in one statement per kind, however many DEs
the page holds (tests/app/test_metadata_loaders.py counts the statements).

Loaders cache per operation: they are kept on the context under the operation they serve,
so a websocket (whose context lives as long as the connection) never answers one operation
from another's cache.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from strawberry.dataloader import DataLoader
from strawberry.types import Info

from resolvers import metadata as resolve
from schema.operation_cache import per_operation
from services.authn import Authentication
from services.metadata.queries import (
    AutomationInfo,
    DataExtensionInfo,
    FieldInfo,
    FolderInfo,
    QueryActivityInfo,
)

__all__ = ["MetadataLoaders", "loaders"]

_KEY = "_quarry_metadata_loaders"


@dataclass(frozen=True)
class MetadataLoaders:
    data_extensions: DataLoader[UUID, DataExtensionInfo | None]
    data_extensions_by_key: DataLoader[str, DataExtensionInfo | None]
    fields: DataLoader[UUID, list[FieldInfo]]
    folders: DataLoader[UUID, FolderInfo | None]
    folders_by_mce_id: DataLoader[tuple[int, int], FolderInfo | None]
    query_activities: DataLoader[UUID, QueryActivityInfo | None]
    automations: DataLoader[tuple[int, str], list[AutomationInfo]]

    @classmethod
    def build(cls, auth: Authentication) -> MetadataLoaders:
        async def data_extensions(ids: Sequence[UUID]) -> list[DataExtensionInfo | None]:
            return await resolve.load_data_extensions(auth, ids)

        async def by_key(keys: Sequence[str]) -> list[DataExtensionInfo | None]:
            return await resolve.load_data_extensions_by_key(auth, keys)

        async def fields(ids: Sequence[UUID]) -> list[list[FieldInfo]]:
            return await resolve.load_fields(auth, ids)

        async def folders(ids: Sequence[UUID]) -> list[FolderInfo | None]:
            return await resolve.load_folders(auth, ids)

        async def folders_by_mce_id(keys: Sequence[tuple[int, int]]) -> list[FolderInfo | None]:
            return await resolve.load_folders_by_mce_id(auth, keys)

        async def query_activities(ids: Sequence[UUID]) -> list[QueryActivityInfo | None]:
            return await resolve.load_query_activities(auth, ids)

        async def automations(keys: Sequence[tuple[int, str]]) -> list[list[AutomationInfo]]:
            return await resolve.load_automations(auth, keys)

        return cls(
            data_extensions=DataLoader(load_fn=data_extensions),
            data_extensions_by_key=DataLoader(
                load_fn=by_key,
                cache_key_fn=lambda key: key.lower(),
            ),
            fields=DataLoader(load_fn=fields),
            folders=DataLoader(load_fn=folders),
            folders_by_mce_id=DataLoader(load_fn=folders_by_mce_id),
            query_activities=DataLoader(load_fn=query_activities),
            automations=DataLoader(load_fn=automations),
        )


def loaders(info: Info[Any, Any]) -> MetadataLoaders:
    """This operation's loaders (built on first use)."""
    auth = info.context.authentication
    return per_operation(info, _KEY, lambda: MetadataLoaders.build(auth))
