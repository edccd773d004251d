"""API tokens in GraphQL: ``apiTokens`` (a Relay connection), ``createApiToken`` and
``revokeApiToken``. The secret appears in exactly one place: ``CreateApiTokenPayload.token``.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry
from strawberry.relay import PageInfo
from strawberry.types import Info

from models import TokenScope
from resolvers.api_tokens import create_api_token, list_api_tokens, revoke_api_token
from schema.connections import page_info
from schema.context import GraphQLContext
from schema.errors import UserError, user_errors_from
from services.api_tokens import ApiTokenInfo, TooManyTokens
from services.errors import InvalidInput, NotFound

__all__ = ["ApiToken", "ApiTokenMutation", "ApiTokenQuery"]


@strawberry.enum(description="READ tokens may only query; READ_WRITE tokens may also mutate.")
class ApiTokenScope(Enum):
    READ = TokenScope.READ.value
    READ_WRITE = TokenScope.READ_WRITE.value


# Expected failures of these mutations, reported as userErrors (docs/api.md).
_USER_ERRORS = (InvalidInput, NotFound, TooManyTokens)


@strawberry.type(description="A personal API token. Its secret is never shown after creation.")
class ApiToken:
    id: strawberry.ID
    name: str
    scope: ApiTokenScope
    mid: str = strawberry.field(description="The business unit the token acts in.")
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None = strawberry.field(description="Updated at most once a minute.")
    revoked_at: datetime | None

    @classmethod
    def from_domain(cls, token: ApiTokenInfo) -> ApiToken:
        return cls(
            id=strawberry.ID(str(token.id)),
            name=token.name,
            scope=ApiTokenScope(token.scope.value),
            mid=str(token.mid),
            created_at=token.created_at,
            expires_at=token.expires_at,
            last_used_at=token.last_used_at,
            revoked_at=token.revoked_at,
        )


@strawberry.type
class ApiTokenEdge:
    cursor: str
    node: ApiToken


@strawberry.type(description="The signed-in user's API tokens, newest first.")
class ApiTokenConnection:
    edges: list[ApiTokenEdge]
    page_info: PageInfo


@strawberry.input
class CreateApiTokenInput:
    name: str = strawberry.field(description="1 to 100 characters, to recognise the token by.")
    scope: ApiTokenScope = ApiTokenScope.READ
    expires_in_days: int | None = strawberry.field(
        default=None, description="1 to the configured maximum (365 by default); default 90."
    )


@strawberry.type
class CreateApiTokenPayload:
    api_token: ApiToken | None = None
    token: str | None = strawberry.field(
        default=None, description="The secret: shown this once, store it now."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class RevokeApiTokenInput:
    id: strawberry.ID


@strawberry.type
class RevokeApiTokenPayload:
    api_token: ApiToken | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


def _user_errors(exc: InvalidInput | NotFound | TooManyTokens) -> list[UserError]:
    return user_errors_from(exc)


@strawberry.type
class ApiTokenQuery:
    @strawberry.field(description="Your API tokens in this account, newest first.")
    async def api_tokens(
        self, info: Info[GraphQLContext, None], first: int = 20, after: str | None = None
    ) -> ApiTokenConnection:
        page = await list_api_tokens(info.context.authentication, first=first, after=after)
        edges = [ApiTokenEdge(cursor=t.cursor, node=ApiToken.from_domain(t)) for t in page.tokens]
        return ApiTokenConnection(
            edges=edges,
            page_info=page_info(
                [e.cursor for e in edges],
                has_next_page=page.has_next_page,
                after=after,
            ),
        )


@strawberry.type
class ApiTokenMutation:
    @strawberry.mutation(
        description="Create an API token (signed-in browser sessions only). The secret is in"
        " this payload and nowhere else, ever."
    )
    async def create_api_token(
        self, info: Info[GraphQLContext, None], input: CreateApiTokenInput
    ) -> CreateApiTokenPayload:
        context = info.context
        try:
            issued = await create_api_token(
                context.authentication,
                name=input.name,
                scope=TokenScope(input.scope.value),
                expires_in_days=input.expires_in_days,
                max_days=context.api_token_max_days,
                meta=context.meta,
            )
        except _USER_ERRORS as exc:
            return CreateApiTokenPayload(user_errors=_user_errors(exc))
        return CreateApiTokenPayload(
            api_token=ApiToken.from_domain(issued.token), token=issued.secret
        )

    @strawberry.mutation(description="Revoke one of your API tokens; it stops working at once.")
    async def revoke_api_token(
        self, info: Info[GraphQLContext, None], input: RevokeApiTokenInput
    ) -> RevokeApiTokenPayload:
        context = info.context
        try:
            token = await revoke_api_token(
                context.authentication,
                token_id=str(input.id),
                meta=context.meta,
                redis=context.redis,
            )
        except _USER_ERRORS as exc:
            return RevokeApiTokenPayload(user_errors=_user_errors(exc))
        return RevokeApiTokenPayload(api_token=ApiToken.from_domain(token))
