"""Users and their memberships in business units."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields

from models.base import TenantModel


class Role(StrEnum):
    """What a user may do in one BU. Admins manage the tenant's installation."""

    USER = "user"
    ADMIN = "admin"


class User(TenantModel):
    """An MCE user of one tenant, identified by MCE's numeric user id."""

    id = fields.UUIDField(primary_key=True)
    mce_user_id = fields.BigIntField()
    email = fields.CharField(max_length=320, default="")
    name = fields.CharField(max_length=200, default="")
    locale = fields.CharField(max_length=20, default="en-US")
    time_zone = fields.CharField(max_length=64, default="UTC")
    last_login_at = fields.DatetimeField(null=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "users"
        unique_together = (("tenant_id", "mce_user_id"), ("tenant_id", "id"))


class Membership(TenantModel):
    """A user's access to one BU. Composite FKs (in the migrations) include ``tenant_id``."""

    id = fields.UUIDField(primary_key=True)
    user_id = fields.UUIDField()
    mid = fields.BigIntField()
    role = fields.CharEnumField(Role, max_length=20, default=Role.USER)

    class Meta:
        table = "memberships"
        unique_together = (("tenant_id", "user_id", "mid"),)
