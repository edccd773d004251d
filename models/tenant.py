"""Tenants (MCE enterprises) and their business units."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

from models.base import TenantModel


class TenantStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    UNINSTALLED = "uninstalled"


class Tenant(Model):
    """One MCE enterprise account, keyed by its Enterprise ID (EID)."""

    tenant_id = fields.BigIntField(primary_key=True, generated=False)
    name = fields.CharField(max_length=200, default="")
    tssd = fields.CharField(max_length=64, null=True)
    status = fields.CharEnumField(TenantStatus, max_length=20, default=TenantStatus.ACTIVE)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "tenants"


class BusinessUnit(TenantModel):
    """A business unit (MID) inside a tenant; ``parent_mid`` points at the enterprise BU."""

    id = fields.UUIDField(primary_key=True)
    mid = fields.BigIntField()
    name = fields.CharField(max_length=200, default="")
    parent_mid = fields.BigIntField(null=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "business_units"
        unique_together = (("tenant_id", "mid"),)
