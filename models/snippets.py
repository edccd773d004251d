"""The snippet library: a user's saved SQL in nested folders, with a version history.

Snippets belong to a user of a tenant, not to a business unit: the same library is there in
every BU the user works in. So these are tenant tables (the tenant RLS policy, migration
0008) and the service adds the owner filter to every statement. ``visibility`` exists so
team sharing (a later issue) can widen who reads a snippet without reshaping the table;
today it is always ``private``.

Composite foreign keys (in the migration) include ``tenant_id``: a folder, owner or snippet
of another tenant can never be referenced.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from tortoise import fields

from models.base import TenantModel

__all__ = [
    "Snippet",
    "SnippetFolder",
    "SnippetVersion",
    "SnippetVisibility",
    "tenants_with_trash_before",
]


class SnippetVisibility(StrEnum):
    """Who may read a snippet besides its owner. Only PRIVATE exists until team sharing."""

    PRIVATE = "private"


class SnippetFolder(TenantModel):
    """A folder of one user's library; ``parent_id`` None is the library's root."""

    id = fields.UUIDField(primary_key=True)
    owner_id = fields.UUIDField()
    parent_id = fields.UUIDField(null=True)
    name = fields.CharField(max_length=100)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "snippet_folders"
        unique_together = (("tenant_id", "id"),)


class Snippet(TenantModel):
    """A saved SQL text. ``version`` counts content edits; ``deleted_at`` set means in the
    trash (restorable until it is purged, 30 days later)."""

    id = fields.UUIDField(primary_key=True)
    owner_id = fields.UUIDField()
    folder_id = fields.UUIDField(null=True)
    visibility = fields.CharEnumField(
        SnippetVisibility, max_length=20, default=SnippetVisibility.PRIVATE
    )
    title = fields.CharField(max_length=200)
    sql = fields.TextField()
    description = fields.TextField(default="")
    tags: list[Any] = fields.JSONField(default=list)
    version = fields.IntField(default=1)
    updated_at = fields.DatetimeField(auto_now=True)
    deleted_at = fields.DatetimeField(null=True)

    class Meta:
        table = "snippets"
        unique_together = (("tenant_id", "id"),)


class SnippetVersion(TenantModel):
    """The content of a snippet as of one version (``created_at`` is when it was saved)."""

    id = fields.UUIDField(primary_key=True)
    snippet_id = fields.UUIDField()
    version = fields.IntField()
    title = fields.CharField(max_length=200)
    sql = fields.TextField()
    description = fields.TextField(default="")
    tags: list[Any] = fields.JSONField(default=list)

    class Meta:
        table = "snippet_versions"
        unique_together = (("tenant_id", "snippet_id", "version"),)


async def tenants_with_trash_before(cutoff: datetime) -> list[int]:
    """Tenants holding snippets deleted at or before ``cutoff``: the purge's work list.

    Runs without a tenant context, so only the system role sees anything (for the app role,
    RLS hides every row and the list is empty).
    """
    found = (
        await Snippet.filter(deleted_at__lte=cutoff).distinct().values_list("tenant_id", flat=True)
    )
    return sorted(int(tenant_id) for tenant_id in found)  # type: ignore[call-overload]
