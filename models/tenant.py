"""Tenants (MCE enterprises) and their business units."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

from models.background import BackgroundState
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
    """A business unit (MID) inside a tenant; ``parent_mid`` points at the enterprise BU.

    ``background_state`` says whether background work can run here, and if not why
    (services/acting.py): ``needs_sign_in`` when no member has a usable token any more.
    """

    id = fields.UUIDField(primary_key=True)
    mid = fields.BigIntField()
    name = fields.CharField(max_length=200, default="")
    parent_mid = fields.BigIntField(null=True)
    # Database defaults too: sign-in's upsert inserts BUs with SQL of its own.
    background_state = fields.CharEnumField(
        BackgroundState,
        max_length=20,
        default=BackgroundState.READY,
        db_default=BackgroundState.READY.value,
    )
    background_state_reason = fields.CharField(max_length=64, default="", db_default="")
    background_state_changed_at = fields.DatetimeField(null=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "business_units"
        unique_together = (("tenant_id", "mid"),)
