"""Account mutations: ``switchBusinessUnit``, ``signOut``, ``removeUser``, ``uninstallTenant``.

Expected failures are ``userErrors`` (docs/api.md); the payload's other fields are then null.
"""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from resolvers.account import remove_user, sign_out, switch_business_unit, uninstall_tenant
from schema.context import GraphQLContext
from schema.errors import UserError, user_errors_from
from schema.types import Viewer
from services.errors import QuarryError
from services.runs.cleanup import CleanupDeps, RunAssetPurger
from services.sessions import SessionStore


def _sessions(info: Info[GraphQLContext, None]) -> SessionStore:
    sessions = info.context.sessions
    assert sessions is not None, "the app wires a session store into every context"
    return sessions


def _asset_purger(info: Info[GraphQLContext, None]) -> RunAssetPurger | None:
    """Uninstall deletes Quarry's MCE assets first, when this process can reach MCE."""
    mce = info.context.mce
    if mce is None:
        return None
    return RunAssetPurger(
        CleanupDeps(redis=info.context.redis, http=mce.http, tokens=mce.tokens, policy=mce.policy)
    )


def _error(exc: QuarryError) -> list[UserError]:
    return user_errors_from(exc)


@strawberry.input
class SwitchBusinessUnitInput:
    mid: str = strawberry.field(description="The MID of a business unit you are a member of.")


@strawberry.type
class SwitchBusinessUnitPayload:
    viewer: Viewer | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class SignOutPayload:
    signed_out: bool = False
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class RemoveUserInput:
    user_id: strawberry.ID


@strawberry.type
class RemoveUserPayload:
    removed_user_id: strawberry.ID | None = None
    ended_sessions: int | None = None
    revoked_api_tokens: int | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class UninstallTenantInput:
    confirm_enterprise_id: str = strawberry.field(
        description="This account's enterprise id, typed again to confirm."
    )


@strawberry.type
class UninstallTenantPayload:
    uninstalled: bool = False
    ended_sessions: int | None = None
    revoked_api_tokens: int | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class AccountMutation:
    @strawberry.mutation(
        description="Work in another business unit you are a member of. A legacy package's"
        " sign-in can switch only to business units it was opened from in Marketing Cloud."
    )
    async def switch_business_unit(
        self, info: Info[GraphQLContext, None], input: SwitchBusinessUnitInput
    ) -> SwitchBusinessUnitPayload:
        try:
            viewer = await switch_business_unit(
                info.context.authentication,
                mid_text=input.mid,
                sessions=_sessions(info),
                wallet=info.context.wallet,
                meta=info.context.meta,
            )
        except QuarryError as exc:
            return SwitchBusinessUnitPayload(user_errors=_error(exc))
        return SwitchBusinessUnitPayload(viewer=Viewer.from_domain(viewer))

    @strawberry.mutation(
        description="End your browser session (its websockets close). API tokens cannot sign"
        " out: revoke them."
    )
    async def sign_out(self, info: Info[GraphQLContext, None]) -> SignOutPayload:
        try:
            await sign_out(
                info.context.authentication, sessions=_sessions(info), meta=info.context.meta
            )
        except QuarryError as exc:
            return SignOutPayload(user_errors=_error(exc))
        return SignOutPayload(signed_out=True)

    @strawberry.mutation(
        description="Administrators: remove a user, ending their sessions and revoking their"
        " Marketing Cloud and API tokens."
    )
    async def remove_user(
        self, info: Info[GraphQLContext, None], input: RemoveUserInput
    ) -> RemoveUserPayload:
        try:
            result = await remove_user(
                info.context.authentication,
                user_id_text=str(input.user_id),
                sessions=_sessions(info),
                wallet=info.context.wallet,
                meta=info.context.meta,
            )
        except QuarryError as exc:
            return RemoveUserPayload(user_errors=_error(exc))
        return RemoveUserPayload(
            removed_user_id=input.user_id,
            ended_sessions=result.sessions,
            revoked_api_tokens=result.api_tokens,
        )

    @strawberry.mutation(
        description="Administrators: uninstall Quarry from this account, purging every session,"
        " stored Marketing Cloud token and API token."
    )
    async def uninstall_tenant(
        self, info: Info[GraphQLContext, None], input: UninstallTenantInput
    ) -> UninstallTenantPayload:
        try:
            result = await uninstall_tenant(
                info.context.authentication,
                confirm_enterprise_id=input.confirm_enterprise_id,
                sessions=_sessions(info),
                wallet=info.context.wallet,
                meta=info.context.meta,
                assets=_asset_purger(info),
            )
        except QuarryError as exc:
            return UninstallTenantPayload(user_errors=_error(exc))
        return UninstallTenantPayload(
            uninstalled=True, ended_sessions=result.sessions, revoked_api_tokens=result.api_tokens
        )
