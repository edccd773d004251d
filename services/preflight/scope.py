"""Which business unit a pre-flight check runs in: the viewer's, or another they belong to.

A check reads the metadata cache as that BU sees it (its own DEs and, as ``ENT.``, its
parent's shared ones), so the context it runs in carries the BU's parent. A MID the user is
not a member of (another tenant's, a BU they were never given, junk) is NOT_FOUND alike:
the answer never says whether such a BU exists.
"""

from __future__ import annotations

from uuid import UUID

from models import TenantContext, TenantRepository
from services.errors import InvalidInput, NotFound

__all__ = ["NO_SUCH_BU", "member_context", "parse_mid"]

NO_SUCH_BU = "You are not a member of that business unit."

_MEMBER_SQL = (
    "SELECT b.mid, b.parent_mid FROM memberships m"
    " JOIN business_units b ON b.tenant_id = m.tenant_id AND b.mid = m.mid"
    " WHERE m.tenant_id = $1 AND m.user_id = $2 AND m.mid = $3"
)


def parse_mid(value: str, *, field: str = "mid") -> int:
    """A MID from its GraphQL string form (MIDs exceed GraphQL's 32-bit Int)."""
    text = value.strip()
    if not text.isascii() or not text.isdigit() or len(text) > 18 or int(text) <= 0:
        raise InvalidInput("A business unit id (MID) is a positive number.", field=field)
    return int(text)


async def member_context(*, tenant_id: int, user_id: UUID, mid: int) -> TenantContext:
    """The context of BU ``mid`` for ``user_id`` (with its parent's shared rows visible);
    NotFound (field ``mid``) unless the user is a member of it."""
    repo = TenantRepository(TenantContext(tenant_id=tenant_id, user_id=user_id))
    rows = await repo.fetch(_MEMBER_SQL, [tenant_id, user_id, mid])
    if not rows:
        raise NotFound(NO_SUCH_BU, field="mid")
    parent = rows[0]["parent_mid"]
    visible = {mid} if parent is None or int(parent) == mid else {mid, int(parent)}
    return TenantContext(
        tenant_id=tenant_id, mid=mid, visible_mids=frozenset(visible), user_id=user_id
    )
