"""Recording who signed in: tenant, business units, user and memberships, race-free.

Sign-in is the one moment a tenant's rows are written before anyone of that tenant has a
session: the tenant id comes from MCE (verified ``/v2/userinfo`` or a verified JWT), the
lookup functions tell whether it is known, and the rows are then written under that tenant's
own context, so RLS still checks every statement. ``INSERT ... ON CONFLICT`` makes two
first sign-ins of one tenant (or one user) at the same moment both succeed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

from models.context import TenantContext
from models.repository import TenantRepository

__all__ = [
    "IdentityRecord",
    "TenantSuspended",
    "UnitRecord",
    "UpsertedUser",
    "upsert_identity",
]


class TenantSuspended(Exception):
    """The tenant is suspended: nothing was written."""


@dataclass(frozen=True)
class UnitRecord:
    mid: int
    name: str
    parent_mid: int | None


@dataclass(frozen=True)
class IdentityRecord:
    tenant_id: int
    tenant_name: str
    tssd: str | None
    mid: int
    mce_user_id: int
    email: str
    name: str
    locale: str
    time_zone: str


@dataclass(frozen=True)
class UpsertedUser:
    user_id: UUID
    is_admin: bool
    parent_mid: int | None


# Signing in reinstalls an uninstalled tenant; a suspended one stays suspended. The row lock
# this statement takes (insert or update) is held until commit, so sign-ins of one tenant run
# one after another: the first-user-admin rule and the status check below cannot race.
_TENANT = """
INSERT INTO tenants (tenant_id, name, tssd, status, created_at, updated_at)
VALUES ($1, $2, $3, 'active', now(), now())
ON CONFLICT (tenant_id) DO UPDATE SET
    name = CASE WHEN EXCLUDED.name <> '' THEN EXCLUDED.name ELSE tenants.name END,
    tssd = COALESCE(EXCLUDED.tssd, tenants.tssd),
    status = CASE WHEN tenants.status = 'suspended' THEN tenants.status ELSE 'active' END,
    updated_at = now()
RETURNING status
"""

_UNIT = """
INSERT INTO business_units (id, tenant_id, mid, name, parent_mid, created_at, updated_at)
VALUES (gen_random_uuid(), $1, $2, $3, $4, now(), now())
ON CONFLICT (tenant_id, mid) DO UPDATE SET
    name = CASE WHEN EXCLUDED.name <> '' THEN EXCLUDED.name ELSE business_units.name END,
    parent_mid = COALESCE(EXCLUDED.parent_mid, business_units.parent_mid),
    updated_at = now()
"""

_USER = """
INSERT INTO users (id, tenant_id, mce_user_id, email, name, locale, time_zone,
                   last_login_at, created_at, updated_at)
VALUES (gen_random_uuid(), $1, $2, $3, $4, $5, $6, now(), now(), now())
ON CONFLICT (tenant_id, mce_user_id) DO UPDATE SET
    email = EXCLUDED.email, name = EXCLUDED.name, locale = EXCLUDED.locale,
    time_zone = EXCLUDED.time_zone, last_login_at = now(), updated_at = now()
RETURNING id
"""

# The first user of a tenant (the one who installs the package) administers it.
_MEMBERSHIP = """
INSERT INTO memberships (id, tenant_id, user_id, mid, role, created_at)
SELECT gen_random_uuid(), $1, $2, $3,
       CASE WHEN NOT EXISTS (SELECT 1 FROM memberships m WHERE m.user_id <> $2)
            THEN 'admin' ELSE 'user' END,
       now()
ON CONFLICT (tenant_id, user_id, mid) DO NOTHING
"""


async def upsert_identity(identity: IdentityRecord, units: Sequence[UnitRecord]) -> UpsertedUser:
    """Write the tenant, its BUs (the signed-in one always), the user and memberships.

    Raises :class:`TenantSuspended`, writing nothing, when the tenant is suspended (also when
    it was suspended after the caller's lookup).
    """
    ctx = TenantContext(tenant_id=identity.tenant_id, mid=identity.mid)
    repo = TenantRepository(ctx)
    by_mid = {unit.mid: unit for unit in units}
    current = by_mid.get(identity.mid) or UnitRecord(
        mid=identity.mid,
        name=identity.tenant_name if identity.mid == identity.tenant_id else "",
        parent_mid=None if identity.mid == identity.tenant_id else identity.tenant_id,
    )
    by_mid[identity.mid] = current
    async with repo.transaction():
        status = await repo.fetch(
            _TENANT, [identity.tenant_id, identity.tenant_name, identity.tssd]
        )
        if status[0]["status"] == "suspended":
            raise TenantSuspended(identity.tenant_id)
        for unit in sorted(by_mid.values(), key=lambda u: (u.parent_mid is not None, u.mid)):
            await repo.fetch(_UNIT, [identity.tenant_id, unit.mid, unit.name, unit.parent_mid])
        rows = await repo.fetch(
            _USER,
            [
                identity.tenant_id,
                identity.mce_user_id,
                identity.email,
                identity.name,
                identity.locale or "en-US",
                identity.time_zone or "UTC",
            ],
        )
        user_id = rows[0]["id"]
        for mid in sorted(by_mid):
            await repo.fetch(_MEMBERSHIP, [identity.tenant_id, user_id, mid])
        roles = await repo.fetch(
            "SELECT role FROM memberships WHERE user_id = $1 AND mid = $2",
            [user_id, identity.mid],
        )
    return UpsertedUser(
        user_id=user_id,
        is_admin=bool(roles) and roles[0]["role"] == "admin",
        parent_mid=current.parent_mid,
    )
