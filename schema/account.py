"""Account mutations: ``switchBusinessUnit``, ``removeUser``, ``uninstallTenant``.

Expected failures are ``userErrors`` (docs/api.md); the payload's other fields are then null.
"""

from __future__ import annotations

from http.cookies import CookieError, SimpleCookie
from typing import Any

import strawberry
from strawberry.types import Info

from resolvers.account import remove_user, switch_business_unit, uninstall_tenant
from schema.errors import UserError
from schema.types import Viewer
from services.audit import RequestMeta
from services.errors import QuarryError
from services.sessions import SessionStore

# The session cookie's name (app/cookies.py, which schema may not import: app is above it).
_SESSION_COOKIE = "__Host-quarry_session"


def _request(info: Info[Any, None]) -> Any:
    return info.context.request


def _meta(info: Info[Any, None]) -> RequestMeta:
    request = _request(info)
    client = getattr(request, "client", None)
    return RequestMeta(
        ip=client.host if client else "",
        user_agent=request.headers.get("user-agent", "")[:300],
        request_id=info.context.request_id,
    )


def _session_id(info: Info[Any, None]) -> str | None:
    header = _request(info).headers.get("cookie")
    if not header:
        return None
    jar = SimpleCookie()
    try:
        jar.load(header)
    except CookieError:
        return None
    morsel = jar.get(_SESSION_COOKIE)
    return morsel.value if morsel else None


def _state(info: Info[Any, None]) -> Any:
    return _request(info).app.state


def _error(exc: QuarryError) -> list[UserError]:
    return [UserError(code=exc.code, message=exc.message, field=exc.field)]


@strawberry.input
class SwitchBusinessUnitInput:
    mid: str = strawberry.field(description="The MID of a business unit you are a member of.")


@strawberry.type
class SwitchBusinessUnitPayload:
    viewer: Viewer | None = None
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
        description="Work in another business unit you are a member of (enhanced sign-in only)."
    )
    async def switch_business_unit(
        self, info: Info[Any, None], input: SwitchBusinessUnitInput
    ) -> SwitchBusinessUnitPayload:
        state = _state(info)
        sessions: SessionStore = state.sessions
        session_id = _session_id(info)
        session = await sessions.get(session_id, touch=False)
        try:
            viewer = await switch_business_unit(
                info.context.principal,
                mid_text=input.mid,
                session_id=session_id,
                session_kind=session.kind if session else "",
                sessions=sessions,
                wallet=state.tokens,
                meta=_meta(info),
            )
        except QuarryError as exc:
            return SwitchBusinessUnitPayload(user_errors=_error(exc))
        return SwitchBusinessUnitPayload(viewer=Viewer.from_domain(viewer))

    @strawberry.mutation(
        description="Administrators: remove a user, ending their sessions and revoking their"
        " Marketing Cloud and API tokens."
    )
    async def remove_user(self, info: Info[Any, None], input: RemoveUserInput) -> RemoveUserPayload:
        state = _state(info)
        try:
            result = await remove_user(
                info.context.principal,
                user_id_text=str(input.user_id),
                sessions=state.sessions,
                wallet=state.wallet,
                meta=_meta(info),
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
        self, info: Info[Any, None], input: UninstallTenantInput
    ) -> UninstallTenantPayload:
        state = _state(info)
        try:
            result = await uninstall_tenant(
                info.context.principal,
                confirm_enterprise_id=input.confirm_enterprise_id,
                sessions=state.sessions,
                wallet=state.wallet,
                meta=_meta(info),
            )
        except QuarryError as exc:
            return UninstallTenantPayload(user_errors=_error(exc))
        return UninstallTenantPayload(
            uninstalled=True, ended_sessions=result.sessions, revoked_api_tokens=result.api_tokens
        )
