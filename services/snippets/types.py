"""What the snippet library hands out: plain, frozen domain objects and opaque cursors.

Cursors are base64url JSON of the sort key of the row they follow; a cursor that does not
decode to the expected shape is INVALID_INPUT on ``after``, never a database error.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar
from uuid import UUID

from models import SnippetVisibility
from services.errors import InvalidInput

__all__ = [
    "TRASH_RETENTION",
    "Edge",
    "Page",
    "SnippetFolderInfo",
    "SnippetInfo",
    "SnippetVersionInfo",
    "cursor_uuid",
    "decode_cursor",
    "encode_cursor",
]

#: How long a deleted snippet stays restorable before the purge removes it.
TRASH_RETENTION = timedelta(days=30)

T = TypeVar("T")

_MAX_CURSOR_CHARS = 1000


def _tags(value: Any) -> tuple[str, ...]:
    loaded = json.loads(value) if isinstance(value, str) else value
    return tuple(str(tag) for tag in loaded or ())


@dataclass(frozen=True)
class SnippetInfo:
    id: UUID
    folder_id: UUID | None
    visibility: SnippetVisibility
    title: str
    sql: str
    description: str
    tags: tuple[str, ...]
    version: int
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None

    @property
    def purge_at(self) -> datetime | None:
        """When a snippet in the trash is gone for good (None while it is not deleted)."""
        return None if self.deleted_at is None else self.deleted_at + TRASH_RETENTION

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> SnippetInfo:
        return cls(
            id=row["id"],
            folder_id=row["folder_id"],
            visibility=SnippetVisibility(row["visibility"]),
            title=row["title"],
            sql=row["sql"],
            description=row["description"],
            tags=_tags(row["tags"]),
            version=int(row["version"]),
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            deleted_at=row["deleted_at"],
        )


@dataclass(frozen=True)
class SnippetVersionInfo:
    """A snippet's content as saved at ``created_at`` (its ``version``)."""

    snippet_id: UUID
    version: int
    title: str
    sql: str
    description: str
    tags: tuple[str, ...]
    created_at: datetime

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> SnippetVersionInfo:
        return cls(
            snippet_id=row["snippet_id"],
            version=int(row["version"]),
            title=row["title"],
            sql=row["sql"],
            description=row["description"],
            tags=_tags(row["tags"]),
            created_at=row["created_at"],
        )


@dataclass(frozen=True)
class SnippetFolderInfo:
    id: UUID
    parent_id: UUID | None
    name: str
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> SnippetFolderInfo:
        return cls(
            id=row["id"],
            parent_id=row["parent_id"],
            name=row["name"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
        )


@dataclass(frozen=True)
class Edge(Generic[T]):
    cursor: str
    node: T


@dataclass(frozen=True)
class Page(Generic[T]):
    edges: list[Edge[T]]
    has_next_page: bool


def encode_cursor(*key: str | int) -> str:
    """An opaque cursor for a row whose sort key is ``key``."""
    raw = json.dumps(list(key)).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, *, shape: tuple[type, ...]) -> list[Any]:
    """The sort key in ``cursor``, each part of the type in ``shape``; InvalidInput if not."""
    if len(cursor) > _MAX_CURSOR_CHARS:
        raise InvalidInput("Not a cursor from this list.", field="after")
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        key = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, TypeError, UnicodeEncodeError, binascii.Error, RecursionError):
        raise InvalidInput("Not a cursor from this list.", field="after") from None
    if (
        not isinstance(key, list)
        or len(key) != len(shape)
        or not all(type(part) is kind for part, kind in zip(key, shape, strict=True))
        or any(isinstance(part, str) and "\x00" in part for part in key)
    ):
        raise InvalidInput("Not a cursor from this list.", field="after")
    return key


def cursor_uuid(value: str) -> UUID:
    """The id part of a cursor; InvalidInput on ``after`` if it is not one."""
    try:
        return UUID(value)
    except ValueError:
        raise InvalidInput("Not a cursor from this list.", field="after") from None
