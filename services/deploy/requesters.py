"""Who requested deployments: users read by id, many in one statement (a page of deployments
costs one read of its requesters, however many it holds).

Users are tenant-wide rows (row-level security by tenant); the statement also filters by the
context's tenant, so an id of another tenant's user reads as absent, never as that user.
Only what names a person is read: id, name and email.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

from models import TenantContext, TenantRepository

__all__ = ["RequesterInfo", "requesters"]

_REQUESTERS_SQL = "SELECT id, name, email FROM users WHERE tenant_id = $1 AND id = ANY($2::uuid[])"


@dataclass(frozen=True)
class RequesterInfo:
    """The user who requested a deployment."""

    id: UUID
    name: str
    #: None when Marketing Cloud never told us (stored as an empty string).
    email: str | None


async def requesters(ctx: TenantContext, user_ids: Sequence[UUID]) -> list[RequesterInfo | None]:
    """The users ``user_ids`` name, in their order (repeats allowed); None for an id that is
    no user of ``ctx``'s tenant (another tenant's, or removed)."""
    wanted = list(dict.fromkeys(user_ids))
    if not wanted:
        return []
    repo = TenantRepository(ctx)
    rows = await repo.fetch(_REQUESTERS_SQL, [ctx.tenant_id, wanted])
    found = {
        row["id"]: RequesterInfo(id=row["id"], name=row["name"], email=row["email"] or None)
        for row in rows
    }
    return [found.get(user_id) for user_id in user_ids]
