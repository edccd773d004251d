"""The root Query (Mutation and Subscription roots arrive with their first fields)."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from resolvers.health import get_health
from resolvers.viewer import get_viewer
from schema.context import GraphQLContext
from schema.types import BusinessUnit, Health, Tenant, User, Viewer


@strawberry.type
class Query:
    @strawberry.field(description="Liveness of the API itself.")
    def health(self) -> Health:
        return Health.from_domain(get_health())

    @strawberry.field(description="The signed-in user; null when signed out.")
    async def viewer(self, info: Info[GraphQLContext, None]) -> Viewer | None:
        viewer = await get_viewer(info.context.principal)
        if viewer is None:
            return None
        return Viewer(
            user=User.from_row(viewer.user),
            tenant=Tenant.from_row(viewer.tenant),
            business_unit=BusinessUnit.from_row(viewer.business_unit),
            available_business_units=[
                BusinessUnit.from_row(bu) for bu in viewer.available_business_units
            ],
        )
