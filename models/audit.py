"""The append-only audit log.

The app role may INSERT and SELECT but never UPDATE or DELETE (no grant, and a trigger that
refuses both even for the owner). Events that happen before a tenant is known (a failed
sign-in) carry a NULL ``tenant_id`` and are readable only by the system role.
"""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class Outcome(StrEnum):
    SUCCESS = "success"
    FAILURE = "failure"
    DENIED = "denied"


class ActorType(StrEnum):
    USER = "user"
    API_TOKEN = "api_token"
    SYSTEM = "system"
    SUPPORT = "support"
    ANONYMOUS = "anonymous"


class AuditEvent(Model):
    """Who did what, when, from where, with which outcome, in which tenant."""

    id = fields.BigIntField(primary_key=True)
    tenant_id = fields.BigIntField(null=True, db_index=True)
    mid = fields.BigIntField(null=True)
    actor_type = fields.CharEnumField(ActorType, max_length=20)
    actor_id = fields.CharField(max_length=100, default="")
    action = fields.CharField(max_length=100)
    target = fields.CharField(max_length=300, default="")
    outcome = fields.CharEnumField(Outcome, max_length=20)
    ip = fields.CharField(max_length=64, default="")
    user_agent = fields.CharField(max_length=300, default="")
    request_id = fields.CharField(max_length=64, default="")
    details = fields.JSONField(default=dict)
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)

    class Meta:
        table = "audit_events"
