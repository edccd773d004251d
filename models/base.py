"""Shared base for tenant-owned tables.

Every tenant-owned table carries ``tenant_id`` (the MCE Enterprise ID). Row-level security
policies in the migrations compare it with the transaction-local tenant context, so a row
can only be reached inside a :class:`models.context.TenantContext`.
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class TenantModel(Model):
    """Abstract base: ``tenant_id`` plus creation time."""

    tenant_id = fields.BigIntField(db_index=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        abstract = True


class BusinessUnitModel(TenantModel):
    """Abstract base for per-BU rows; ``is_shared`` rows of a parent BU are visible to children."""

    mid = fields.BigIntField()
    is_shared = fields.BooleanField(default=False)

    class Meta:
        abstract = True
