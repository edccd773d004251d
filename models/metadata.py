"""Cached MCE metadata (filled by metadata sync in a later issue).

Data extensions are per BU; a parent BU's shared DEs are visible from its children,
which is exactly what the per-BU row-level security policy expresses.
"""

from __future__ import annotations

from tortoise import fields

from models.base import BusinessUnitModel


class CachedDataExtension(BusinessUnitModel):
    id = fields.UUIDField(primary_key=True)
    object_id = fields.CharField(max_length=64)
    customer_key = fields.CharField(max_length=200)
    name = fields.CharField(max_length=200)
    folder_id = fields.BigIntField(null=True)
    is_sendable = fields.BooleanField(default=False)
    synced_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "mce_data_extensions"
        unique_together = (("tenant_id", "mid", "customer_key"),)
