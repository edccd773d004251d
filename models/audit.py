"""The append-only audit log.

The app role may INSERT and SELECT but never UPDATE or DELETE (no grant, and a trigger that
refuses both even for the owner). Events that happen before a tenant is known (a failed
sign-in) carry a NULL ``tenant_id`` and are readable only by the system role.
"""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Any

from tortoise import fields
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.models import Model
from tortoise.transactions import in_transaction

from models.context import CONNECTION, TenantContext
from models.repository import TenantRepository


class Outcome(StrEnum):
    SUCCESS = "success"
    FAILURE = "failure"
    DENIED = "denied"


class ActorType(StrEnum):
    USER = "user"
    API_TOKEN = "api_token"  # noqa: S105 - a kind of actor, not a secret
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
    details: dict[str, Any] = fields.JSONField(default=dict)
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)

    class Meta:
        table = "audit_events"


_INSERT_SQL = (
    "INSERT INTO audit_events (tenant_id, mid, actor_type, actor_id, action, target, outcome,"
    " ip, user_agent, request_id, details, created_at)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::jsonb, now())"
)


async def append_audit_event(
    conn: BaseDBAsyncClient,
    *,
    tenant_id: int | None,
    action: str,
    outcome: Outcome,
    actor_type: ActorType,
    actor_id: str = "",
    mid: int | None = None,
    target: str = "",
    ip: str = "",
    user_agent: str = "",
    request_id: str = "",
    details: dict[str, Any] | None = None,
) -> None:
    """Append one event on ``conn`` (whose transaction carries the tenant context, if any).

    No ``RETURNING``: a pre-tenant event (NULL tenant) is insertable but, by design, not
    readable back by the app role, and ``RETURNING`` would need it to be.
    """
    await conn.execute_query(
        _INSERT_SQL,
        [
            tenant_id,
            mid,
            actor_type.value,
            actor_id[:100],
            action[:100],
            target[:300],
            outcome.value,
            ip[:64],
            user_agent[:300],
            request_id[:64],
            json.dumps(details or {}, separators=(",", ":")),
        ],
    )


async def record_audit_event(ctx: TenantContext | None, **event: Any) -> None:
    """Append one event under ``ctx`` (joining this task's open transaction for it), or, for
    an event before any tenant is known, in a transaction of its own with no context.

    ``event`` takes :func:`append_audit_event`'s keyword arguments except ``tenant_id``,
    which comes from ``ctx``.
    """
    if ctx is None:
        async with in_transaction(CONNECTION) as conn:
            await append_audit_event(conn, tenant_id=None, **event)
        return
    async with TenantRepository(ctx).transaction() as conn:
        await append_audit_event(conn, tenant_id=ctx.tenant_id, **event)
