"""API-token use-cases: create (shown once), list (a page at a time), revoke.

Only a signed-in browser session may create or revoke tokens: a token cannot mint or manage
tokens, so a leaked one cannot entrench itself. Listing works for any principal of the user.
Revoking announces the revocation so websockets using the token close at once.
"""

from __future__ import annotations

from redis.asyncio import Redis

from models import TokenScope
from services import api_tokens
from services.api_tokens import ApiTokenInfo, ApiTokenPage, IssuedToken
from services.audit import Actor, ActorType, RequestMeta
from services.authn import Authentication
from services.errors import InvalidInput
from services.revocations import publish_api_token_revoked

__all__ = ["MAX_PAGE", "create_api_token", "list_api_tokens", "revoke_api_token"]

MAX_PAGE = 100


async def create_api_token(
    auth: Authentication,
    *,
    name: str,
    scope: TokenScope,
    expires_in_days: int | None,
    max_days: int,
    meta: RequestMeta,
) -> IssuedToken:
    principal = auth.require_session()
    days = (
        min(api_tokens.DEFAULT_TOKEN_DAYS, max_days) if expires_in_days is None else expires_in_days
    )
    api_tokens.validate_name(name)
    api_tokens.validate_days(days, max_days=max_days)
    return await api_tokens.issue_api_token(
        principal.tenant_context(),
        user_id=principal.user_id,
        mid=principal.mid,
        name=name,
        scope=scope,
        expires_in_days=days,
        max_days=max_days,
        actor=Actor(ActorType.USER, str(principal.user_id)),
        meta=meta,
    )


async def list_api_tokens(auth: Authentication, *, first: int, after: str | None) -> ApiTokenPage:
    principal = auth.require_principal()
    if not 1 <= first <= MAX_PAGE:
        raise InvalidInput(f"'first' must be between 1 and {MAX_PAGE}.", field="first")
    return await api_tokens.list_api_tokens(
        principal.tenant_context(), user_id=principal.user_id, first=first, after=after
    )


async def revoke_api_token(
    auth: Authentication, *, token_id: str, meta: RequestMeta, redis: Redis | None
) -> ApiTokenInfo:
    principal = auth.require_session()
    token, revoked_now = await api_tokens.revoke_api_token(
        principal.tenant_context(),
        user_id=principal.user_id,
        token_id=token_id,
        actor=Actor(ActorType.USER, str(principal.user_id)),
        meta=meta,
    )
    if revoked_now and redis is not None:
        await publish_api_token_revoked(redis, token.id)
    return token
