"""Both ways MCE signs users in (REFERENCE §1.1-§1.3), ending in the same place: the tenant,
BU, user and membership recorded, the refresh token in the wallet, an audit event.

Enhanced packages (the main path): ``begin`` sends the browser to ``/v2/authorize`` with a
signed, browser-bound, single-use ``state``; ``complete`` takes the callback's ``code``,
``state`` and ``tssd``, exchanges the code *at that TSSD* (partners must, REFERENCE §1.1),
checks the granted scopes, reads ``/v2/userinfo`` and confirms it describes the token's own
BU (``platform/v1/tokenContext``) before anything is stored.

Legacy packages: ``complete_legacy`` verifies the posted JWT (:mod:`services.legacy_jwt`),
exchanges its ``rest.refreshToken`` at ``/v1/requestToken`` and stores the rotated one.

Every refusal raises :class:`SignInRefused` with a user-safe message and a short reason code,
after auditing it; nothing is stored for a refused sign-in.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NoReturn, Protocol
from urllib.parse import urlencode, urlsplit
from uuid import UUID

from redis.asyncio import Redis
from redis.exceptions import RedisError

from client.auth import TokenGrant
from client.bridge import MceBridge
from client.endpoints import validate_tssd
from client.errors import (
    AccessDenied,
    InvalidClient,
    MceError,
    ReauthRequired,
    UnsafeEndpoint,
)
from client.pipeline import RetryPolicy
from client.secret import Secret
from client.simple_tokens import FixedTokenProvider
from client.tokens import AccessToken, CallTarget
from client.userinfo import UserInfo
from models import GrantKind, Outcome, TenantContext, TenantStatus
from models.identity_upsert import IdentityRecord, TenantSuspended, UnitRecord, upsert_identity
from models.lookups import find_tenant
from services import audit
from services.audit import ANONYMOUS, Actor, ActorType, RequestMeta
from services.errors import QuarryError
from services.legacy_jwt import LegacyJwtRejected
from services.legacy_jwt import verify as verify_legacy_jwt
from services.mce_auth import MceAuthFactory
from services.metadata.sync import sync_on_sign_in
from services.oauth_code import code_attempts
from services.oauth_state import IssuedState, OAuthStateStore, StateRejected
from services.redis_keys import digest, oauth_code_key
from services.waiting_work import JobEnqueuer, resume_waiting_work

__all__ = [
    "AccessTokenSharer",
    "RefreshTokenStore",
    "SignInConfig",
    "SignInRefused",
    "SignInService",
    "SignedIn",
]

log = logging.getLogger("quarry.signin")

MAX_CODE_LENGTH = 2048
CODE_MEMORY_SECONDS = 900  # MCE codes live 5 minutes (REFERENCE §1.1); remember them longer
# Development: the simulator serves every TSSD on one origin, so a legacy JWT's auth endpoint
# (the simulator's own URL) names none; this placeholder has the shape and maps to it.
DEV_PLACEHOLDER_TSSD = "mc" + "0" * 26


class SignInRefused(QuarryError):
    """A sign-in was refused; ``message`` is safe to show, ``reason`` is for the audit trail."""

    code = "SIGN_IN_REFUSED"

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


class AccessTokenSharer(Protocol):
    """The part of the wallet's token provider sign-in needs."""

    async def cache_access_token(
        self, ctx: TenantContext, *, user_id: UUID, mid: int, token: AccessToken
    ) -> None: ...


class RefreshTokenStore(Protocol):
    """The part of the token wallet sign-in needs."""

    async def put_refresh_token(
        self,
        ctx: TenantContext,
        *,
        user_id: UUID,
        mid: int,
        kind: GrantKind,
        token: Secret,
        scopes: str,
    ) -> Any: ...


@dataclass(frozen=True)
class SignInConfig:
    client_id: str
    authorize_base: str  # browser-facing auth base, ends with "/"
    redirect_uri: str
    scopes: tuple[str, ...]
    legacy_jwt_secret: str = ""
    #: Origins MCE posts legacy JWTs from (its own hosts): a post from anywhere else could
    #: sign a victim's browser in as the attacker (login CSRF with a captured JWT).
    legacy_origins: frozenset[str] = frozenset()
    #: Enqueue a never-synced BU's metadata sync at sign-in (METADATA_SYNC_ON_SIGN_IN).
    sync_metadata_on_sign_in: bool = True


@dataclass(frozen=True)
class SignedIn:
    tenant_id: int
    mid: int
    parent_mid: int | None
    user_id: UUID
    mce_user_id: int
    kind: GrantKind
    is_admin: bool


_NO_RETRY = RetryPolicy(max_retries=0)


class SignInService:
    def __init__(
        self,
        *,
        config: SignInConfig,
        auth: MceAuthFactory,
        states: OAuthStateStore,
        redis: Redis,
        wallet: RefreshTokenStore,
        tokens: AccessTokenSharer,
        jobs: JobEnqueuer | None = None,
    ) -> None:
        self.config = config
        self.auth = auth
        self.states = states
        self.redis = redis
        self.wallet = wallet
        self.tokens = tokens
        # Background work that waited for someone able to act in a BU resumes at sign-in.
        self.jobs = jobs

    # ------------------------------------------------------------------ enhanced
    async def begin(self, *, binding: str | None) -> tuple[str, IssuedState]:
        """The authorize URL to send the browser to, and the state it carries."""
        issued = await self.states.issue(binding=binding)
        query = urlencode(
            {
                "response_type": "code",
                "client_id": self.config.client_id,
                "redirect_uri": self.config.redirect_uri,
                "scope": " ".join(self.config.scopes),
                "state": issued.state,
            }
        )
        return f"{self.config.authorize_base}v2/authorize?{query}", issued

    async def complete(
        self,
        *,
        code: str | None,
        state: str | None,
        tssd: str | None,
        error: str | None,
        binding: str | None,
        meta: RequestMeta,
    ) -> SignedIn:
        try:
            await self.states.consume(state, binding=binding)
        except StateRejected as exc:
            await self._refuse(
                meta, exc.reason, "This sign-in link is not valid here. Open Quarry again."
            )
        if error:
            await self._refuse(
                meta,
                "mce_" + "".join(c for c in error[:40] if c.isalnum() or c == "_"),
                "Marketing Cloud did not sign you in. Open Quarry again from Marketing Cloud.",
            )
        if not code or len(code) > MAX_CODE_LENGTH:
            await self._refuse(meta, "code_missing", "The sign-in answer has no valid code.")
        assert code is not None
        try:
            canonical_tssd = validate_tssd(tssd or "")
        except UnsafeEndpoint:
            await self._refuse(
                meta, "tssd_invalid", "The sign-in answer names an invalid Marketing Cloud account."
            )
        # Every form of the code is remembered: a JWT-wrapped code re-wrapped differently
        # still carries the same inner code.
        attempts = code_attempts(code)
        first_uses = [
            await self.redis.set(
                oauth_code_key(digest(attempt)), "1", ex=CODE_MEMORY_SECONDS, nx=True
            )
            for attempt in attempts
        ]
        if not all(first_uses):
            await self._refuse(meta, "code_reused", "This sign-in link was already used.")
        auth = self.auth.for_tssd(canonical_tssd)
        grant: TokenGrant | None = None
        for attempt in attempts:
            try:
                grant = await auth.exchange_code(
                    code=attempt, redirect_uri=self.config.redirect_uri
                )
                break
            except ReauthRequired as exc:
                last: MceError = exc  # a refused code: try the next form, if any
            except MceError as exc:
                await self._refuse_mce(meta, exc, "code_exchange")
        if grant is None:
            await self._refuse_mce(meta, last, "code_exchange")
        missing = sorted(set(self.config.scopes) - grant.scopes)
        if missing:
            await self._refuse(
                meta,
                "scopes_missing",
                "The Quarry package in Marketing Cloud lacks permissions: " + ", ".join(missing),
                details={"missing": missing},
            )
        try:
            info = await auth.userinfo(access_token=grant.access_token)
        except MceError as exc:
            await self._refuse_mce(meta, exc, "userinfo")
        if info.user is None:
            await self._refuse(meta, "userinfo_no_user", "Marketing Cloud returned no user.")
        assert info.user is not None
        bridge = self._bridge(grant, info)  # the new token's own calls
        await self._confirm_token_business_unit(grant, info, bridge, meta)
        units = await self._business_units(bridge)
        identity = IdentityRecord(
            tenant_id=info.organization.enterprise_id,
            tenant_name=info.organization.enterprise_name,
            tssd=canonical_tssd,
            mid=info.organization.member_id,
            mce_user_id=info.user.user_id,
            email=info.user.email,
            name=info.user.username or info.user.preferred_username,
            locale=info.user.locale,
            time_zone=info.user.zoneinfo,
        )
        if grant.refresh_token is None:
            await self._refuse(meta, "no_refresh_token", "Marketing Cloud returned no session.")
        assert grant.refresh_token is not None
        return await self._record(
            identity,
            units,
            kind=GrantKind.ENHANCED,
            refresh_token=grant.refresh_token,
            access_token=AccessToken(value=grant.access_token, expires_at=grant.expires_at),
            scopes=" ".join(sorted(grant.scopes)),
            meta=meta,
        )

    async def _confirm_token_business_unit(
        self, grant: TokenGrant, info: UserInfo, bridge: MceBridge, meta: RequestMeta
    ) -> None:
        """``/v2/userinfo`` must describe the token's own enterprise, BU and user.

        ``platform/v1/tokenContext`` is known from third-party tools only (REFERENCE §1.2), so
        it is a cross-check, not a dependency: when it cannot answer (or answers in a shape we
        do not know) the sign-in goes on with userinfo, which came from the verified TSSD's
        auth server; when it answers and disagrees, the sign-in is refused.
        """
        assert info.user is not None
        if info.endpoints != grant.endpoints:
            await self._refuse(
                meta, "userinfo_endpoints", "Marketing Cloud answered for another account."
            )
        try:
            body = await bridge.rest.json(
                operation="rest.tokenContext",
                method="GET",
                path="platform/v1/tokenContext",
                idempotent=True,
            )
            said = (
                int(body["enterprise"]["id"]),
                int(body["organization"]["id"]),
                int(body["user"]["id"]),
            )
        except (MceError, KeyError, TypeError, ValueError) as exc:
            log.warning(
                "token context not confirmed at sign-in; userinfo trusted",
                extra={"error": type(exc).__name__},
            )
            return
        expected = (
            info.organization.enterprise_id,
            info.organization.member_id,
            info.user.user_id,
        )
        if said != expected:
            await self._refuse(
                meta,
                "userinfo_bu_mismatch",
                "Marketing Cloud's profile does not match your session. Open Quarry again.",
            )

    async def _business_units(self, bridge: MceBridge) -> list[UnitRecord]:
        """The BUs the user can reach, with names; just the current one if MCE won't say."""
        units: list[UnitRecord] = []
        try:
            async for bu in bridge.soap.business_units():
                if bu.id is None or bu.is_active is False:
                    continue
                parent = bu.parent_id if bu.parent_id and bu.parent_id != bu.id else None
                units.append(UnitRecord(mid=bu.id, name=bu.name or "", parent_mid=parent))
        except MceError as exc:
            log.info("business units not listed at sign-in", extra={"error": type(exc).__name__})
            return []
        return units

    def _bridge(self, grant: TokenGrant, info: UserInfo) -> MceBridge:
        assert info.user is not None
        target = CallTarget(
            tenant_id=info.organization.enterprise_id,
            mid=info.organization.member_id,
            user_id=info.user.user_id,
        )
        token = AccessToken(value=grant.access_token, expires_at=grant.expires_at)
        return MceBridge(
            http=self.auth.http,
            tokens=FixedTokenProvider(token),
            endpoints=grant.endpoints,
            target=target,
            retry=_NO_RETRY,
            timeout=15.0,
        )

    # ------------------------------------------------------------------ legacy
    async def complete_legacy(
        self, *, token: str | None, origin: str | None, meta: RequestMeta
    ) -> SignedIn:
        """``origin``: the posting page's origin (``Origin``, else ``Referer``'s), or None."""
        if not self.config.legacy_jwt_secret:
            await self._refuse(
                meta, "legacy_disabled", "Sign-in with a legacy package is not configured."
            )
        if origin not in self.config.legacy_origins:
            await self._refuse(
                meta,
                "legacy_origin",
                "Sign-in was not posted by Marketing Cloud. Open Quarry from Marketing Cloud.",
            )
        try:
            claims = await verify_legacy_jwt(
                token or "", secret=self.config.legacy_jwt_secret, redis=self.redis
            )
        except LegacyJwtRejected as exc:
            await self._refuse(
                meta, exc.reason, "Marketing Cloud's sign-in token was not accepted."
            )
        endpoint = urlsplit(claims.auth_endpoint)
        base = f"{endpoint.scheme}://{endpoint.netloc}/"
        try:
            auth_base = self.auth.policy.check_base(base, kind="auth")
            tssd = _tssd_of_auth_base(auth_base, dev=self.auth.policy.dev_origin is not None)
        except UnsafeEndpoint:
            await self._refuse(
                meta, "tssd_invalid", "The sign-in token names an invalid Marketing Cloud account."
            )
        if endpoint.path.rstrip("/") != "/v1/requestToken":
            await self._refuse(
                meta, "legacy_endpoint", "The sign-in token names an unexpected endpoint."
            )
        auth = self.auth.for_base(auth_base, GrantKind.LEGACY)
        try:
            grant = await auth.legacy_request_token(refresh_token=Secret(claims.refresh_token))
        except MceError as exc:
            await self._refuse_mce(meta, exc, "legacy_exchange")
        identity = IdentityRecord(
            tenant_id=claims.enterprise_id,
            tenant_name="",
            tssd=tssd,
            mid=claims.mid,
            mce_user_id=claims.mce_user_id,
            email=claims.email,
            name=claims.email,
            locale=claims.culture,
            time_zone=claims.time_zone,
        )
        return await self._record(
            identity,
            [],
            kind=GrantKind.LEGACY,
            refresh_token=grant.refresh_token,
            access_token=AccessToken(value=grant.access_token, expires_at=grant.expires_at),
            scopes="",
            meta=meta,
        )

    # ------------------------------------------------------------------ shared
    async def _record(
        self,
        identity: IdentityRecord,
        units: Sequence[UnitRecord],
        *,
        kind: GrantKind,
        refresh_token: Secret,
        access_token: AccessToken,
        scopes: str,
        meta: RequestMeta,
    ) -> SignedIn:
        known = await find_tenant(identity.tenant_id)
        if known is not None and known.status == TenantStatus.SUSPENDED.value:
            await self._refuse(
                meta,
                "tenant_suspended",
                "Quarry is suspended for this Marketing Cloud account.",
                tenant_id=identity.tenant_id,
            )
        try:
            user = await upsert_identity(identity, units)
        except TenantSuspended:
            await self._refuse(
                meta,
                "tenant_suspended",
                "Quarry is suspended for this Marketing Cloud account.",
                tenant_id=identity.tenant_id,
            )
        ctx = TenantContext(tenant_id=identity.tenant_id, mid=identity.mid, user_id=user.user_id)
        await self.wallet.put_refresh_token(
            ctx,
            user_id=user.user_id,
            mid=identity.mid,
            kind=kind,
            token=refresh_token,
            scopes=scopes,
        )
        # Shared, so the first MCE call does not spend the refresh token just stored.
        await self.tokens.cache_access_token(
            ctx, user_id=user.user_id, mid=identity.mid, token=access_token
        )
        await audit.record(
            ctx,
            action="auth.sign_in",
            outcome=Outcome.SUCCESS,
            actor=Actor(ActorType.USER, str(user.user_id)),
            meta=meta,
            target=f"user:{user.user_id}",
            details={"flow": kind.value, "mce_user_id": identity.mce_user_id},
        )
        await self._resume_waiting_work(ctx, user.user_id)
        await self._sync_metadata(ctx, user.user_id)  # issue 13: metadata sync trigger
        return SignedIn(
            tenant_id=identity.tenant_id,
            mid=identity.mid,
            parent_mid=user.parent_mid,
            user_id=user.user_id,
            mce_user_id=identity.mce_user_id,
            kind=kind,
            is_admin=user.is_admin,
        )

    async def _resume_waiting_work(self, ctx: TenantContext, user_id: UUID) -> None:
        """Resume what waited for a usable user in the BUs this user can now act in.

        Never fails the sign-in: the work stays waiting (and is resumed by the next sign-in)
        when Redis or the queue cannot take it now.
        """
        if self.jobs is None:
            return
        try:
            resumed = await resume_waiting_work(ctx, user_id=user_id, enqueue=self.jobs)
        except (RedisError, OSError) as exc:
            log.warning(
                "waiting background work not resumed at sign-in",
                extra={"error": type(exc).__name__},
            )
            return
        if resumed.jobs:
            log.info(
                "resumed waiting background work",
                extra={"jobs": len(resumed.jobs), "mids": list(resumed.ready_mids)},
            )

    # --- issue 13 (metadata sync trigger; Helper M1) -----------------------------------
    async def _sync_metadata(self, ctx: TenantContext, user_id: UUID) -> None:
        """Enqueue the BU's first metadata sync (services.metadata.sync.sync_on_sign_in).

        Never fails the sign-in: the scheduler or the next sign-in catches up.
        """
        if self.jobs is None or ctx.mid is None or not self.config.sync_metadata_on_sign_in:
            return
        try:
            await sync_on_sign_in(ctx, mid=ctx.mid, user_id=user_id, enqueue=self.jobs)
        except Exception as exc:  # whatever fails, the user is signed in
            log.warning(
                "metadata sync not enqueued at sign-in", extra={"error": type(exc).__name__}
            )

    # --- end of issue 13's addition ---------------------------------------------------

    async def _refuse_mce(self, meta: RequestMeta, exc: MceError, step: str) -> NoReturn:
        if isinstance(exc, ReauthRequired):
            reason, message = "mce_invalid_grant", "This sign-in link has expired or was used."
        elif isinstance(exc, AccessDenied):
            reason, message = "mce_access_denied", "Marketing Cloud denied access."
        elif isinstance(exc, InvalidClient):
            reason, message = (
                "mce_invalid_client",
                "The Quarry package is not installed or enabled for this account.",
            )
        elif isinstance(exc, UnsafeEndpoint):
            reason, message = "mce_unsafe_endpoint", "Marketing Cloud answered for another host."
        else:
            reason, message = "mce_unavailable", "Marketing Cloud is not answering; try again."
        await self._refuse(meta, reason, message, details={"step": step})

    async def _refuse(
        self,
        meta: RequestMeta,
        reason: str,
        message: str,
        *,
        tenant_id: int | None = None,
        details: dict[str, Any] | None = None,
    ) -> NoReturn:
        ctx = TenantContext(tenant_id=tenant_id) if tenant_id else None
        await audit.record(
            ctx,
            action="auth.sign_in",
            outcome=Outcome.FAILURE,
            actor=ANONYMOUS,
            meta=meta,
            details={"reason": reason, **(details or {})},
        )
        raise SignInRefused(message, reason=reason)


def _tssd_of_auth_base(auth_base: str, *, dev: bool) -> str:
    """The TSSD in ``https://{tssd}.auth.marketingcloudapis.com/``."""
    host = urlsplit(auth_base).hostname or ""
    label = host.split(".", 1)[0]
    try:
        return validate_tssd(label)
    except UnsafeEndpoint:
        if dev:
            return DEV_PLACEHOLDER_TSSD
        raise
