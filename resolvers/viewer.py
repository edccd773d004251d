"""The ``viewer`` query: the signed-in user, their tenant and BUs; ``None`` when signed out."""

from __future__ import annotations

from dataclasses import dataclass

from models import BusinessUnit, Membership, Role, Tenant, TenantRepository, User
from services.identity import Principal


@dataclass(frozen=True)
class Viewer:
    user: User
    tenant: Tenant
    business_unit: BusinessUnit
    available_business_units: list[BusinessUnit]
    #: Their role in the current business unit.
    role: Role


async def get_viewer(principal: Principal | None) -> Viewer | None:
    if principal is None:
        return None
    repo = TenantRepository(principal.tenant_context())
    async with repo.transaction():
        user = await repo.of(User).get_or_none(id=principal.user_id)
        tenant = await repo.of(Tenant).get_or_none(tenant_id=principal.tenant_id)
        memberships = await repo.of(Membership).list(user_id=principal.user_id)
        units = await repo.of(BusinessUnit).list(
            mid__in=[m.mid for m in memberships], order_by=("name",)
        )
    current = next((bu for bu in units if bu.mid == principal.mid), None)
    here = next((m for m in memberships if m.mid == principal.mid), None)
    if user is None or tenant is None or current is None or here is None:
        return None
    return Viewer(
        user=user,
        tenant=tenant,
        business_unit=current,
        available_business_units=units,
        role=Role(here.role),
    )
