"""The tenant's users, as administrators see them: who they are, where they work, what they
hold.

Users, memberships and API tokens are tenant-wide rows (RLS by tenant), so a list built
under any context of the tenant shows every user of the tenant, each with every business
unit they belong to. Every statement also filters by the context's tenant explicitly, so the
same code stays right for the system role, whose policies see every tenant.

Nothing secret is read: API tokens are only counted (their hashes never leave Postgres).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from models import Membership, Role, TenantContext, TenantRepository
from services.errors import PermissionDenied
from services.identity import Principal
from services.snippets.types import Edge, Page, cursor_uuid, decode_cursor, encode_cursor

__all__ = [
    "TenantUserInfo",
    "UserMembershipInfo",
    "is_administrator",
    "list_tenant_users",
    "require_administrator",
]

# By name, case folded, then id: a stable order for keyset paging whatever the names.
_USERS_SQL = """
SELECT u.id, u.mce_user_id, u.name, u.email, u.last_login_at, lower(u.name) AS sort_name,
       (SELECT count(*) FROM api_tokens t
         WHERE t.tenant_id = u.tenant_id AND t.user_id = u.id AND t.revoked_at IS NULL
           AND (t.expires_at IS NULL OR t.expires_at > $2)) AS active_api_tokens
  FROM users u
 WHERE u.tenant_id = $1
   AND ($3::text IS NULL OR (lower(u.name), u.id) > ($3::text, $4::uuid))
 ORDER BY lower(u.name), u.id
 LIMIT $5
"""

_MEMBERSHIPS_SQL = """
SELECT m.user_id, m.mid, m.role, b.name, b.parent_mid
  FROM memberships m
  JOIN business_units b ON b.tenant_id = m.tenant_id AND b.mid = m.mid
 WHERE m.tenant_id = $1 AND m.user_id = ANY($2::uuid[])
 ORDER BY b.parent_mid IS NOT NULL, lower(b.name), m.mid
"""


@dataclass(frozen=True)
class UserMembershipInfo:
    """One business unit a user belongs to, and their role there."""

    mid: int
    name: str
    parent_mid: int | None
    role: Role


@dataclass(frozen=True)
class TenantUserInfo:
    """A user of the tenant with what an administrator needs to decide about them."""

    id: UUID
    mce_user_id: int
    name: str
    #: None when Marketing Cloud never told us (stored as an empty string).
    email: str | None
    #: Their latest sign-in to Quarry, None if they never signed in themselves.
    last_sign_in_at: datetime | None
    #: Unrevoked, unexpired API tokens.
    active_api_tokens: int
    #: Every business unit they are a member of: the parent first, then by name.
    memberships: tuple[UserMembershipInfo, ...]

    def role_in(self, mid: int) -> Role | None:
        """Their role in business unit ``mid``; None when they are no member there."""
        return next((m.role for m in self.memberships if m.mid == mid), None)

    @property
    def is_administrator(self) -> bool:
        """An administrator of at least one business unit."""
        return any(m.role is Role.ADMIN for m in self.memberships)


async def is_administrator(ctx: TenantContext, *, user_id: UUID, mid: int) -> bool:
    """Whether ``user_id`` administers business unit ``mid`` (their membership's role)."""
    membership = await TenantRepository(ctx).of(Membership).get_or_none(user_id=user_id, mid=mid)
    return membership is not None and membership.role == Role.ADMIN


async def require_administrator(principal: Principal) -> Principal:
    """``principal`` when they administer the BU they are in; FORBIDDEN otherwise.

    The one rule behind every administrators' operation (users, MCE assets, uninstall): the
    role of the caller's membership in their current BU, read under their tenant's RLS.
    """
    if not await is_administrator(
        principal.tenant_context(), user_id=principal.user_id, mid=principal.mid
    ):
        raise PermissionDenied("Only an administrator of this business unit can do this.")
    return principal


async def list_tenant_users(
    ctx: TenantContext, *, first: int, after: str | None, now: datetime | None = None
) -> Page[TenantUserInfo]:
    """A page of the tenant's users by name; ``after`` is a cursor of this list.

    Raises :class:`~services.errors.InvalidInput` (field ``after``) for a cursor that is
    not one of this list's.
    """
    sort_name, after_id = _position(after) if after else (None, None)
    repo = TenantRepository(ctx)
    async with repo.transaction():
        rows = await repo.fetch(
            _USERS_SQL, [ctx.tenant_id, now or datetime.now(UTC), sort_name, after_id, first + 1]
        )
        shown = rows[:first]
        memberships = await repo.fetch(
            _MEMBERSHIPS_SQL, [ctx.tenant_id, [row["id"] for row in shown]]
        )
    by_user = _memberships_by_user(memberships)
    return Page(
        edges=[
            Edge(
                encode_cursor(row["sort_name"], str(row["id"])),
                _user(row, by_user.get(row["id"], ())),
            )
            for row in shown
        ],
        has_next_page=len(rows) > first,
    )


def _position(after: str) -> tuple[str, UUID]:
    sort_name, user_id = decode_cursor(after, shape=(str, str))
    return sort_name, cursor_uuid(user_id)


def _memberships_by_user(
    rows: Sequence[Mapping[str, Any]],
) -> dict[UUID, tuple[UserMembershipInfo, ...]]:
    found: dict[UUID, list[UserMembershipInfo]] = {}
    for row in rows:
        found.setdefault(row["user_id"], []).append(
            UserMembershipInfo(
                mid=int(row["mid"]),
                name=row["name"],
                parent_mid=None if row["parent_mid"] is None else int(row["parent_mid"]),
                role=Role(row["role"]),
            )
        )
    return {user_id: tuple(units) for user_id, units in found.items()}


def _user(row: Mapping[str, Any], memberships: tuple[UserMembershipInfo, ...]) -> TenantUserInfo:
    return TenantUserInfo(
        id=row["id"],
        mce_user_id=int(row["mce_user_id"]),
        name=row["name"],
        email=row["email"] or None,
        last_sign_in_at=row["last_login_at"],
        active_api_tokens=int(row["active_api_tokens"]),
        memberships=memberships,
    )
