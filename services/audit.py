"""The audit trail of privileged actions (DESIGN.md: sign-ins and failed sign-ins, BU
switches, API tokens, key rotations, purges, support access).

Callers describe who acted and from where with :class:`Actor` and :class:`RequestMeta`;
details must never hold a token, a secret or customer data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from models import ActorType, Outcome, TenantContext
from models.audit import record_audit_event

__all__ = [
    "ANONYMOUS",
    "NO_REQUEST",
    "SYSTEM_ACTOR",
    "Actor",
    "ActorType",
    "Outcome",
    "RequestMeta",
    "record",
]


@dataclass(frozen=True)
class Actor:
    type: ActorType
    id: str = ""


SYSTEM_ACTOR = Actor(ActorType.SYSTEM, "cli")
ANONYMOUS = Actor(ActorType.ANONYMOUS)


@dataclass(frozen=True)
class RequestMeta:
    """Where a request came from, for the audit trail."""

    ip: str = ""
    user_agent: str = ""
    request_id: str = ""


NO_REQUEST = RequestMeta()


async def record(
    ctx: TenantContext | None,
    *,
    action: str,
    outcome: Outcome,
    actor: Actor,
    meta: RequestMeta = NO_REQUEST,
    mid: int | None = None,
    target: str = "",
    details: dict[str, Any] | None = None,
) -> None:
    """Append one audit event (``ctx`` None: before any tenant is known)."""
    await record_audit_event(
        ctx,
        action=action,
        outcome=outcome,
        actor_type=actor.type,
        actor_id=actor.id,
        mid=mid if mid is not None else (ctx.mid if ctx else None),
        target=target,
        ip=meta.ip,
        user_agent=meta.user_agent,
        request_id=meta.request_id,
        details=details,
    )
