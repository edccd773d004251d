"""The tenant's users in GraphQL, for administrators: ``tenantUsers`` (a Relay connection).

Each user's ``id`` is the id ``removeUser(input: {userId})`` takes (the same as
``viewer.user.id``), so the Account screen removes a listed user with it as it is.
"""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.relay import PageInfo
from strawberry.types import Info

from resolvers.users import list_tenant_users
from schema.connections import page_info
from schema.context import GraphQLContext
from schema.types import BusinessUnit, UserRole
from services.identity import Principal
from services.users import TenantUserInfo, UserMembershipInfo

__all__ = ["TenantUser", "TenantUserQuery"]


@strawberry.type(description="A business unit a user belongs to, and their role there.")
class TenantUserMembership:
    business_unit: BusinessUnit
    role: UserRole

    @classmethod
    def from_domain(cls, membership: UserMembershipInfo) -> TenantUserMembership:
        parent = None if membership.parent_mid is None else str(membership.parent_mid)
        return cls(
            business_unit=BusinessUnit(
                mid=str(membership.mid), name=membership.name, parent_mid=parent
            ),
            role=UserRole(membership.role.value),
        )


@strawberry.type(description="A user of this account, as administrators see them.")
class TenantUser:
    id: strawberry.ID = strawberry.field(
        description="The id `removeUser` takes (the same as `viewer.user.id`)."
    )
    mce_user_id: str = strawberry.field(description="MCE's numeric user id, as a string.")
    name: str
    email: str | None = strawberry.field(description="Null when Marketing Cloud never said.")
    role: UserRole | None = strawberry.field(
        description="Their role in your current business unit; null when they are no member."
    )
    business_units: list[TenantUserMembership] = strawberry.field(
        description="Every business unit they belong to (the parent first, then by name)."
    )
    last_sign_in_at: datetime | None = strawberry.field(
        description="Their latest sign-in to Quarry; null if they never signed in themselves."
    )
    active_api_token_count: int = strawberry.field(
        description="Their API tokens that are neither revoked nor expired."
    )
    is_viewer: bool = strawberry.field(description="Whether this is you.")

    @classmethod
    def from_domain(cls, user: TenantUserInfo, *, viewer: Principal) -> TenantUser:
        role = user.role_in(viewer.mid)
        return cls(
            id=strawberry.ID(str(user.id)),
            mce_user_id=str(user.mce_user_id),
            name=user.name,
            email=user.email,
            role=None if role is None else UserRole(role.value),
            business_units=[TenantUserMembership.from_domain(m) for m in user.memberships],
            last_sign_in_at=user.last_sign_in_at,
            active_api_token_count=user.active_api_tokens,
            is_viewer=user.id == viewer.user_id,
        )


@strawberry.type
class TenantUserEdge:
    cursor: str
    node: TenantUser


@strawberry.type(description="The account's users, by name.")
class TenantUserConnection:
    edges: list[TenantUserEdge]
    page_info: PageInfo


@strawberry.type
class TenantUserQuery:
    @strawberry.field(
        description="Administrators (a signed-in browser session): every user of this"
        " account, by name. FORBIDDEN for anyone else and for API tokens."
    )
    async def tenant_users(
        self, info: Info[GraphQLContext, None], first: int = 50, after: str | None = None
    ) -> TenantUserConnection:
        auth = info.context.authentication
        page = await list_tenant_users(auth, first=first, after=after)
        viewer = auth.require_session()
        edges = [
            TenantUserEdge(cursor=e.cursor, node=TenantUser.from_domain(e.node, viewer=viewer))
            for e in page.edges
        ]
        return TenantUserConnection(
            edges=edges,
            page_info=page_info(
                [e.cursor for e in edges], has_next_page=page.has_next_page, after=after
            ),
        )
