"""GraphQL object types, mapped from domain objects."""

from __future__ import annotations

from enum import Enum

import strawberry

from models import BusinessUnit as BusinessUnitRow
from models import Role
from models import Tenant as TenantRow
from models import User as UserRow
from resolvers.health import Health as HealthData
from resolvers.viewer import Viewer as ViewerData


@strawberry.type(description="Whether the API answers, and its version.")
class Health:
    status: str
    version: str

    @classmethod
    def from_domain(cls, health: HealthData) -> Health:
        return cls(status=health.status, version=health.version)


@strawberry.type(description="An MCE user of this tenant.")
class User:
    id: strawberry.ID
    mce_user_id: str = strawberry.field(description="MCE's numeric user id, as a string.")
    name: str
    email: str
    locale: str
    time_zone: str

    @classmethod
    def from_row(cls, row: UserRow) -> User:
        return cls(
            id=strawberry.ID(str(row.id)),
            mce_user_id=str(row.mce_user_id),
            name=row.name,
            email=row.email,
            locale=row.locale,
            time_zone=row.time_zone,
        )


@strawberry.type(description="Who a user of this account is, as other users see them.")
class UserSummary:
    id: strawberry.ID = strawberry.field(description="The same id as `viewer.user.id`.")
    name: str
    email: str | None = strawberry.field(description="Null when Marketing Cloud never said.")


@strawberry.type(description="An MCE enterprise account.")
class Tenant:
    enterprise_id: str
    name: str

    @classmethod
    def from_row(cls, row: TenantRow) -> Tenant:
        return cls(enterprise_id=str(row.tenant_id), name=row.name)


@strawberry.type(description="An MCE business unit.")
class BusinessUnit:
    mid: str
    name: str
    parent_mid: str | None

    @classmethod
    def from_row(cls, row: BusinessUnitRow) -> BusinessUnit:
        parent = None if row.parent_mid is None else str(row.parent_mid)
        return cls(mid=str(row.mid), name=row.name, parent_mid=parent)


@strawberry.enum(description="What a user may do in one business unit.")
class UserRole(Enum):
    USER = Role.USER.value
    ADMIN = Role.ADMIN.value


@strawberry.type(description="The signed-in user and where they are working.")
class Viewer:
    user: User
    tenant: Tenant
    business_unit: BusinessUnit
    available_business_units: list[BusinessUnit]
    role: UserRole = strawberry.field(
        description="Your role in this business unit: ADMIN sees the administrators' screens."
    )

    @classmethod
    def from_domain(cls, viewer: ViewerData) -> Viewer:
        return cls(
            user=User.from_row(viewer.user),
            tenant=Tenant.from_row(viewer.tenant),
            business_unit=BusinessUnit.from_row(viewer.business_unit),
            available_business_units=[
                BusinessUnit.from_row(bu) for bu in viewer.available_business_units
            ],
            role=UserRole(viewer.role.value),
        )
