"""The app's :class:`client.tokens.TokenProvider`: access tokens from the wallet.

Why it is built this way (MCE refresh tokens rotate: each refresh spends the old token and
returns a new one, REFERENCE §1.1):
- Access tokens are shared through Redis, encrypted (:mod:`services.wallet.access_cache`), so
  API processes and RQ work-horses do not each spend the refresh token.
- A refresh is single-flight across processes: a Redis lock per (tenant, BU, user) with a
  bounded wait; whoever gets the lock first looks at the cache again (the previous holder
  has usually just filled it) before refreshing.
- The new refresh token is stored with a compare-and-swap on the entry's version. The lock
  can expire under a slow call, and sign-in writes without it, so the CAS is what prevents
  a lost update; a lost CAS means the row already holds someone else's equally new token.
- Before MCE is called, the tenant is checked and its active data key unwrapped (the key
  the new token will be sealed with): a refresh spends the old token, so a process that
  could not store the new one (a KEK missing during a rotation, an uninstalled tenant, no
  TSSD) must fail before spending anything.
- A refused refresh is not yet proof that the user must sign in again: another process (or
  a new sign-in) may have rotated the token between our read and our call. So the entry is
  read again; if its version moved, the newer token is tried (once). Only an unambiguous
  OAuth ``invalid_grant`` on an unchanged row marks it ``needs_reauth`` (audited). A
  REST-style 401 (legacy ``/v1/requestToken``) is the same answer for a refused refresh
  token and for a wrong client secret: it is raised to the caller as
  :class:`ReauthRequired` but marks nothing, so a mistyped or rotated package secret does
  not sign every legacy user out for good.
- A BU without an entry is never served by silently moving another BU's lineage: that
  spends the other BU's token. Moving is explicit (:meth:`mint_for_business_unit`).
- The database is read on every call (the user, whether the entry is still active, the
  data key), so a purged user, a needs-reauth entry or a retired key takes effect at once in
  every process; Redis and process memory hold only optimisations.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from uuid import UUID

from redis.asyncio import Redis
from redis.exceptions import LockError

from client.errors import MceUnavailable, ReauthRequired
from client.secret import Secret
from client.tokens import AccessToken, CallTarget
from models import GrantKind, Tenant, TenantContext, TenantRepository, User, WalletStatus
from services import audit
from services.audit import Actor, ActorType, Outcome
from services.mce_auth import MceAuthFactory
from services.redis_keys import refresh_lock_key
from services.wallet.access_cache import AccessTokenCache
from services.wallet.data_keys import as_uuid
from services.wallet.errors import BusinessUnitSwitchUnsupported, TenantUnavailable, WalletError
from services.wallet.store import StoredToken, TokenWallet

__all__ = ["SIGN_IN_AGAIN", "WalletTokenProvider"]

log = logging.getLogger(__name__)

SIGN_IN_AGAIN = "Your Marketing Cloud sign-in has ended; open Quarry from Marketing Cloud again."
WALLET_ACTOR = Actor(ActorType.SYSTEM, "wallet")

_WHOSE_SQL = (
    "SELECT u.id AS user_id, e.status FROM users u LEFT JOIN wallet_entries e"
    " ON e.tenant_id = u.tenant_id AND e.user_id = u.id AND e.mid = $3"
    " WHERE u.tenant_id = $1 AND u.mce_user_id = $2"
)


@dataclass(frozen=True)
class _Fresh:
    """What a refresh returned, whichever package issued the token."""

    access: AccessToken
    refresh: Secret | None
    scopes: frozenset[str] | None


class WalletTokenProvider:
    """Access tokens for (tenant, BU, user) targets, refreshed from the wallet.

    ``CallTarget.user_id`` is MCE's numeric user id; it is mapped to our user row under the
    tenant context. Do not call it inside an open tenant transaction of another context.
    """

    def __init__(
        self,
        *,
        wallet: TokenWallet,
        auth: MceAuthFactory,
        redis: Redis,
        safety_margin: timedelta = timedelta(seconds=120),
        lock_timeout: float = 60.0,
        lock_wait: float = 40.0,
    ) -> None:
        self.wallet = wallet
        self.auth = auth
        self.redis = redis
        self.cache = AccessTokenCache(
            redis=redis, keyring=wallet.keyring, safety_margin=safety_margin
        )
        # The lock outlives the longest refresh (the auth client's 30 s timeout); waiters
        # give up before a request would.
        self.lock_timeout = lock_timeout
        self.lock_wait = lock_wait

    # ------------------------------------------------------------------ TokenProvider
    async def access_token(self, target: CallTarget) -> AccessToken:
        """A token for ``target``; :class:`ReauthRequired` when the user must sign in again."""
        if target.user_id is None:
            raise WalletError("the wallet holds user tokens, not server-to-server ones")
        ctx = TenantContext(tenant_id=target.tenant_id, mid=target.mid)
        repo = TenantRepository(ctx)
        async with repo.transaction():
            rows = await repo.fetch(_WHOSE_SQL, [target.tenant_id, target.user_id, target.mid])
            user_id = as_uuid(rows[0]["user_id"]) if rows else None
            active = bool(rows) and rows[0]["status"] == WalletStatus.ACTIVE.value
            cached = (
                await self.cache.get(repo, mid=target.mid, user_id=user_id)
                if user_id is not None and active
                else None
            )
        if user_id is None:
            raise ReauthRequired(SIGN_IN_AGAIN)
        if not active:
            await self.cache.drop(repo, mid=target.mid, user_id=user_id)
            raise ReauthRequired(SIGN_IN_AGAIN)
        if cached is not None:
            return cached.token
        async with self._refresh_lock(ctx.tenant_id, target.mid, user_id):
            cached = await self.cache.get(repo, mid=target.mid, user_id=user_id)
            if cached is not None:
                return cached.token
            return await self._refresh(ctx, user_id=user_id, mid=target.mid, target=target)

    async def token_rejected(self, target: CallTarget, token: AccessToken) -> None:
        """MCE refused ``token``: drop it from the cache unless a newer one replaced it."""
        if target.user_id is None:
            return
        repo = TenantRepository(TenantContext(tenant_id=target.tenant_id, mid=target.mid))
        user = await repo.of(User).get_or_none(mce_user_id=target.user_id)
        if user is not None:
            await self.cache.drop(repo, mid=target.mid, user_id=user.id, only=token)

    # ------------------------------------------------------------------ helpers for sign-in
    async def cache_access_token(
        self, ctx: TenantContext, *, user_id: UUID, mid: int, token: AccessToken
    ) -> None:
        """Share an access token just obtained (sign-in), so the first call does not refresh."""
        await self.cache.put(TenantRepository(ctx), mid=mid, user_id=user_id, token=token)

    async def forget_access_tokens(
        self, ctx: TenantContext, *, user_id: UUID, mids: Iterable[int]
    ) -> None:
        """Drop cached access tokens of a user in ``mids`` (sign-out, purge)."""
        repo = TenantRepository(ctx)
        for mid in mids:
            await self.cache.drop(repo, mid=mid, user_id=user_id)

    # ------------------------------------------------------------------ BU switch
    async def mint_for_business_unit(
        self, ctx: TenantContext, *, user_id: UUID, from_mid: int, to_mid: int
    ) -> None:
        """Give the user a refresh-token lineage in ``to_mid`` by refreshing ``from_mid``'s
        token with ``account_id=to_mid``.

        Does nothing when ``to_mid`` already has an active entry. Otherwise the source's
        token is spent, so its entry is deleted in the same transaction that stores the new
        BU's entry (a spent token must not look valid). Raises :class:`ReauthRequired` when
        the source has no usable entry, :class:`BusinessUnitSwitchUnsupported` for a legacy
        package's token (``/v1/requestToken`` takes no ``account_id``), and the client's
        errors as they come (``AccessDenied`` when the user cannot reach ``to_mid``; MCE may
        have spent the source token then, which the next refresh will find out).
        """
        if await self._has_active_entry(ctx, user_id=user_id, mid=to_mid):
            return
        repo = TenantRepository(ctx)
        user = await repo.of(User).get_or_none(id=user_id)
        if user is None:
            raise ReauthRequired(SIGN_IN_AGAIN)
        target = CallTarget(tenant_id=ctx.tenant_id, mid=to_mid, user_id=user.mce_user_id)
        async with self._refresh_lock(ctx.tenant_id, from_mid, user_id):
            if await self._has_active_entry(ctx, user_id=user_id, mid=to_mid):
                return
            source = await self.wallet.read(ctx, user_id=user_id, mid=from_mid)
            if source is None or not source.active:
                raise ReauthRequired(SIGN_IN_AGAIN)
            if source.kind is GrantKind.LEGACY:
                raise BusinessUnitSwitchUnsupported()
            tssd = await self._ready_to_store(ctx)
            source, fresh = await self._call_with_recheck(
                ctx, source, tssd=tssd, target=target, account_id=to_mid
            )
            if fresh.refresh is None:
                raise MceUnavailable("Marketing Cloud did not return a refresh token.")
            await self.wallet.move_refresh_token(
                ctx,
                user_id=user_id,
                from_mid=from_mid,
                from_version=source.version,
                to_mid=to_mid,
                token=fresh.refresh,
                scopes=fresh.scopes or (),
            )
        await self.cache.drop(repo, mid=from_mid, user_id=user_id)
        await self.cache.put(repo, mid=to_mid, user_id=user_id, token=fresh.access)

    # ------------------------------------------------------------------ internals
    async def _has_active_entry(self, ctx: TenantContext, *, user_id: UUID, mid: int) -> bool:
        entries = await self.wallet.entries_of_user(ctx, user_id)
        return any(e.mid == mid and e.status is WalletStatus.ACTIVE for e in entries)

    def _refresh_lock(self, tenant_id: int, mid: int, user_id: UUID) -> _RefreshLock:
        return _RefreshLock(
            self.redis,
            refresh_lock_key(tenant_id, mid, user_id),
            timeout=self.lock_timeout,
            wait=self.lock_wait,
        )

    async def _refresh(
        self, ctx: TenantContext, *, user_id: UUID, mid: int, target: CallTarget
    ) -> AccessToken:
        """Refresh (holding the lock), store the rotated token, share the access token."""
        entry = await self.wallet.read(ctx, user_id=user_id, mid=mid)
        if entry is None or not entry.active:
            raise ReauthRequired(SIGN_IN_AGAIN)
        tssd = await self._ready_to_store(ctx)
        entry, fresh = await self._call_with_recheck(
            ctx, entry, tssd=tssd, target=target, account_id=mid
        )
        if fresh.refresh is not None:
            stored = await self.wallet.replace_refresh_token(
                ctx,
                user_id=user_id,
                mid=mid,
                expected_version=entry.version,
                token=fresh.refresh,
                scopes=fresh.scopes,
            )
            if stored is None:
                # Someone stored a newer token after our read (lock expired, or a sign-in):
                # theirs is as good as ours; keep it and use our access token.
                log.info("wallet entry changed during refresh; kept the newer token")
        await self.cache.put(TenantRepository(ctx), mid=mid, user_id=user_id, token=fresh.access)
        return fresh.access

    async def _ready_to_store(self, ctx: TenantContext) -> str:
        """The tenant's TSSD, once it is sure a refreshed token could be stored now.

        Runs before MCE spends the refresh token: raises :class:`TenantUnavailable` (no
        tenant row or TSSD), :class:`TenantUninstalled`, or the key errors of an active data
        key this process cannot unwrap (:class:`WalletKeyError`, :class:`DataKeyUnwrapFailed`).
        A rotation switching the active key between this check and the store is not covered;
        its procedure deploys the new KEK everywhere before any key is wrapped under it.
        """
        repo = TenantRepository(ctx)
        async with repo.transaction():
            tenant = await repo.of(Tenant).get_or_none(tenant_id=ctx.tenant_id)
            if tenant is None or not tenant.tssd:
                raise TenantUnavailable(
                    f"tenant {ctx.tenant_id} has no row or no TSSD: its tokens cannot be refreshed"
                )
            await self.wallet.keyring.active_for_write(repo)
        return tenant.tssd

    async def _call_with_recheck(
        self,
        ctx: TenantContext,
        entry: StoredToken,
        *,
        tssd: str,
        target: CallTarget,
        account_id: int,
    ) -> tuple[StoredToken, _Fresh]:
        """Refresh ``entry``'s token; when refused, re-read and retry once with a newer token.

        Otherwise raise :class:`ReauthRequired`, marking the entry ``needs_reauth`` (audited)
        only for an OAuth ``invalid_grant``: anything else (a REST-style 401) may be our own
        client credentials being refused, which says nothing about the user's token.
        """
        retried = False
        while True:
            try:
                fresh = await self._call_mce(entry, tssd=tssd, target=target, account_id=account_id)
                return entry, fresh
            except ReauthRequired as refused:
                newer = await self.wallet.read(ctx, user_id=entry.user_id, mid=entry.mid)
                if (
                    not retried
                    and newer is not None
                    and newer.active
                    and newer.version != entry.version
                ):
                    entry, retried = newer, True
                    continue
                if refused.mce_code == "invalid_grant":
                    await self._needs_reauth(ctx, entry)
                else:
                    log.warning(
                        "wallet refresh refused without invalid_grant (status %s; tenant %s,"
                        " mid %s, %s package): entry kept; if it persists for every user,"
                        " check the package's client id and secret",
                        refused.status,
                        ctx.tenant_id,
                        entry.mid,
                        entry.kind.value,
                    )
                raise ReauthRequired(SIGN_IN_AGAIN) from None

    async def _call_mce(
        self, entry: StoredToken, *, tssd: str, target: CallTarget, account_id: int
    ) -> _Fresh:
        if entry.kind is GrantKind.LEGACY:
            legacy = await self.auth.for_tssd(tssd, GrantKind.LEGACY).legacy_request_token(
                refresh_token=entry.token, target=target
            )
            return _Fresh(
                access=AccessToken(value=legacy.access_token, expires_at=legacy.expires_at),
                refresh=legacy.refresh_token,
                scopes=None,
            )
        grant = await self.auth.for_tssd(tssd, GrantKind.ENHANCED).refresh(
            refresh_token=entry.token, account_id=account_id, target=target
        )
        return _Fresh(
            access=AccessToken(value=grant.access_token, expires_at=grant.expires_at),
            refresh=grant.refresh_token,
            scopes=grant.scopes or None,
        )

    async def _needs_reauth(self, ctx: TenantContext, entry: StoredToken) -> None:
        repo = TenantRepository(ctx)
        await self.cache.drop(repo, mid=entry.mid, user_id=entry.user_id)
        marked = await self.wallet.mark_needs_reauth(
            ctx, user_id=entry.user_id, mid=entry.mid, expected_version=entry.version
        )
        if not marked:
            return  # changed meanwhile (a new sign-in): nothing to mark
        await audit.record(
            ctx,
            action="wallet.needs_reauth",
            outcome=Outcome.SUCCESS,
            actor=WALLET_ACTOR,
            mid=entry.mid,
            target=f"user:{entry.user_id}",
            details={"kind": entry.kind.value, "reason": "invalid_grant"},
        )


class _RefreshLock:
    """The Redis lock around one entry's refresh, with a bounded wait.

    redis-py's lock stores a random token and releases only if it still holds it; one that
    expired under a slow refresh is not an error here (the CAS protects the row).
    """

    def __init__(self, redis: Redis, name: str, *, timeout: float, wait: float) -> None:
        self._lock = redis.lock(name, timeout=timeout, blocking_timeout=wait, sleep=0.02)

    async def __aenter__(self) -> None:
        if not await self._lock.acquire():
            raise MceUnavailable(
                "Marketing Cloud sign-in is being renewed by another request; try again.",
                retry_safe=True,
            )

    async def __aexit__(self, *exc: Any) -> None:
        try:
            await self._lock.release()
        except LockError:
            log.warning("wallet refresh lock expired before release")
