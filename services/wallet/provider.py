"""The app's :class:`client.tokens.TokenProvider`: access tokens from the wallet, for any BU
the user belongs to.

Why it is built this way (MCE refresh tokens rotate: each refresh spends the old token and
returns a new one, REFERENCE §1.1):
- One lineage per user: an enhanced package's refresh token, refreshed with ``account_id``,
  mints an access token for any BU the user can reach, and the rotated refresh token
  replaces the lineage. So a token for BU ``m`` needs no sign-in to ``m``: only membership,
  which is checked in our database first (a BU the user is not a member of is
  :class:`AccessDenied` without calling MCE). A legacy package's token has no
  ``account_id`` (``/v1/requestToken``) and serves only its own BU.
- Access tokens are shared through Redis per BU, encrypted
  (:mod:`services.wallet.access_cache`), so minting happens once per BU per token lifetime,
  not per call, and API processes and RQ work-horses do not each spend the lineage.
- A refresh is single-flight across processes: a Redis lock per lineage ((tenant, user) for
  the enhanced lineage, (tenant, user, BU) for a legacy entry) with a bounded wait. Requests
  for several BUs of one user serialize their refreshes, not the calls that follow; whoever
  gets the lock looks at the cache again (the previous holder has often just filled it).
- The new refresh token is stored with a compare-and-swap on the entry's version. The lock
  can expire under a slow call, and sign-in writes without it, so the CAS is what prevents
  a lost update; a lost CAS means the row already holds someone else's equally new token.
- Before MCE is called, the tenant is checked and its active data key unwrapped (the key
  the new token will be sealed with): a refresh spends the old token, so a process that
  could not store the new one (a KEK missing during a rotation, an uninstalled tenant, no
  TSSD) must fail before spending anything.
- A refused refresh is not yet proof that the user must sign in again: another process (or
  a new sign-in) may have rotated the token between our read and our call. So the entry is
  read again; if it moved, the newer token is tried (once). Only an unambiguous OAuth
  ``invalid_grant`` on an unchanged row marks it ``needs_reauth`` (audited). A REST-style
  401 (legacy ``/v1/requestToken``) is the same answer for a refused refresh token and for a
  wrong client secret: it is raised to the caller as :class:`ReauthRequired` but marks
  nothing, so a mistyped or rotated package secret does not sign every legacy user out.
- MCE may refuse a BU (``access_denied``) after spending the lineage: the simulator spends a
  refresh token before it checks ``account_id`` [sim], and REFERENCE does not say what MCE
  does. So a refused BU is followed by one refresh of the same token for the BU the lineage
  was last minted for: if MCE accepts it, the lineage lives on (stored as usual); if it
  answers ``invalid_grant``, the lineage is lost and marked ``needs_reauth`` (audited).
- The database is read on every call (the user, the membership, whether the entry is still
  active, the data key), so a purged user, a removed membership, a needs-reauth entry or a
  retired key takes effect at once in every process; Redis and process memory hold only
  optimisations.
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

from client.errors import AccessDenied, MceError, MceUnavailable, ReauthRequired
from client.secret import Secret
from client.tokens import AccessToken, CallTarget
from models import GrantKind, Tenant, TenantContext, TenantRepository, User, WalletStatus
from services import audit
from services.audit import Actor, ActorType, Outcome
from services.mce_auth import MceAuthFactory
from services.redis_keys import refresh_lock_key
from services.wallet.access_cache import AccessTokenCache
from services.wallet.data_keys import as_uuid
from services.wallet.errors import TenantUnavailable, WalletError
from services.wallet.store import StoredToken, TokenWallet

__all__ = ["SIGN_IN_AGAIN", "WalletTokenProvider"]

log = logging.getLogger(__name__)

SIGN_IN_AGAIN = "Your Marketing Cloud sign-in has ended; open Quarry from Marketing Cloud again."
NOT_A_MEMBER = "You are not a member of that business unit."
LEGACY_OTHER_BU = (
    "This Marketing Cloud package signs you in to one business unit at a time: open Quarry"
    " from that business unit in Marketing Cloud."
)
WALLET_ACTOR = Actor(ActorType.SYSTEM, "wallet")

# The user, whether they are a member of BU $3, and the entry that would serve it (the same
# preference as TokenWallet.read: an active lineage, else an active legacy entry of $3).
_WHOSE_SQL = (
    "SELECT u.id AS user_id,"
    " EXISTS (SELECT 1 FROM memberships m WHERE m.tenant_id = u.tenant_id"
    " AND m.user_id = u.id AND m.mid = $3) AS member,"
    " e.kind, e.status"
    " FROM users u LEFT JOIN LATERAL ("
    " SELECT w.kind, w.status FROM wallet_entries w"
    " WHERE w.tenant_id = u.tenant_id AND w.user_id = u.id"
    " AND (w.kind = 'enhanced' OR (w.kind = 'legacy' AND w.mid = $3))"
    " ORDER BY (w.status = 'active') DESC, (w.kind = 'enhanced') DESC LIMIT 1) e ON true"
    " WHERE u.tenant_id = $1 AND u.mce_user_id = $2"
)


@dataclass(frozen=True)
class _Whose:
    """Who ``CallTarget.user_id`` is, and whether anything of theirs can serve the BU."""

    user_id: UUID
    member: bool
    kind: GrantKind | None
    active: bool

    @classmethod
    def of(cls, row: dict[str, Any]) -> _Whose:
        return cls(
            user_id=as_uuid(row["user_id"]),
            member=bool(row["member"]),
            kind=None if row["kind"] is None else GrantKind(row["kind"]),
            active=row["status"] == WalletStatus.ACTIVE.value,
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
        """A token for ``target``'s BU: :class:`AccessDenied` when the user is not a member
        of it, :class:`ReauthRequired` when the user must sign in again."""
        if target.user_id is None:
            raise WalletError("the wallet holds user tokens, not server-to-server ones")
        ctx = TenantContext(tenant_id=target.tenant_id, mid=target.mid)
        repo = TenantRepository(ctx)
        async with repo.transaction():
            rows = await repo.fetch(_WHOSE_SQL, [target.tenant_id, target.user_id, target.mid])
            whose = _Whose.of(rows[0]) if rows else None
            cached = (
                await self.cache.get(repo, mid=target.mid, user_id=whose.user_id)
                if whose is not None and whose.member and whose.active
                else None
            )
        if whose is None:
            raise ReauthRequired(SIGN_IN_AGAIN)
        if not whose.member:
            raise AccessDenied(NOT_A_MEMBER)
        if not whose.active:
            await self.cache.drop(repo, mid=target.mid, user_id=whose.user_id)
            if whose.kind is None and await self._has_legacy_entries_only(ctx, whose.user_id):
                raise ReauthRequired(LEGACY_OTHER_BU)
            raise ReauthRequired(SIGN_IN_AGAIN)
        if cached is not None:
            return cached.token
        legacy_mid = target.mid if whose.kind is GrantKind.LEGACY else None
        async with self._refresh_lock(ctx.tenant_id, whose.user_id, legacy_mid):
            cached = await self.cache.get(repo, mid=target.mid, user_id=whose.user_id)
            if cached is not None:
                return cached.token
            return await self._refresh(ctx, user_id=whose.user_id, mid=target.mid, target=target)

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

    # ------------------------------------------------------------------ internals
    async def _has_legacy_entries_only(self, ctx: TenantContext, user_id: UUID) -> bool:
        entries = await self.wallet.entries_of_user(ctx, user_id)
        return bool(entries) and all(e.kind is GrantKind.LEGACY for e in entries)

    def _refresh_lock(self, tenant_id: int, user_id: UUID, legacy_mid: int | None) -> _RefreshLock:
        return _RefreshLock(
            self.redis,
            refresh_lock_key(tenant_id, user_id, legacy_mid),
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
                ctx, entry=entry, token=fresh.refresh, mid=mid, scopes=fresh.scopes
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
        client credentials being refused, which says nothing about the user's token. A BU
        MCE refuses (:class:`AccessDenied`) is raised after :meth:`_after_refused_business_unit`.
        """
        retried = False
        while True:
            try:
                fresh = await self._call_mce(entry, tssd=tssd, target=target, account_id=account_id)
                return entry, fresh
            except AccessDenied:
                if entry.kind is GrantKind.ENHANCED and account_id != entry.mid:
                    await self._after_refused_business_unit(ctx, entry, tssd=tssd, target=target)
                raise
            except ReauthRequired as refused:
                newer = await self.wallet.read_entry(ctx, entry.id)
                if newer is None:
                    newer = await self.wallet.read(ctx, user_id=entry.user_id, mid=target.mid)
                if (
                    not retried
                    and newer is not None
                    and newer.active
                    and (newer.id, newer.version) != (entry.id, entry.version)
                ):
                    entry, retried = newer, True
                    continue
                if refused.mce_code == "invalid_grant":
                    await self._needs_reauth(ctx, entry, reason="invalid_grant")
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

    async def _after_refused_business_unit(
        self, ctx: TenantContext, entry: StoredToken, *, tssd: str, target: CallTarget
    ) -> None:
        """MCE refused ``target``'s BU for the lineage ``entry``: find out whether that spent
        the lineage, by refreshing the same token for the BU it was last minted for.

        Accepted: the lineage lives on, rotated and stored as usual. ``invalid_grant``: the
        refusal spent it, so it is marked ``needs_reauth`` (audited). Anything else leaves
        the entry as it is; the next refresh finds out.
        """
        home = CallTarget(tenant_id=ctx.tenant_id, mid=entry.mid, user_id=target.user_id)
        try:
            fresh = await self._call_mce(entry, tssd=tssd, target=home, account_id=entry.mid)
        except ReauthRequired as refused:
            if refused.mce_code == "invalid_grant":
                await self._needs_reauth(ctx, entry, reason="spent_by_refused_business_unit")
            return
        except MceError:
            log.warning("wallet lineage check after a refused BU did not answer; entry kept")
            return
        if fresh.refresh is not None:
            await self.wallet.replace_refresh_token(
                ctx, entry=entry, token=fresh.refresh, mid=entry.mid, scopes=fresh.scopes
            )
        await self.cache.put(
            TenantRepository(ctx), mid=entry.mid, user_id=entry.user_id, token=fresh.access
        )

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

    async def _needs_reauth(self, ctx: TenantContext, entry: StoredToken, *, reason: str) -> None:
        repo = TenantRepository(ctx)
        await self.cache.drop(repo, mid=entry.mid, user_id=entry.user_id)
        marked = await self.wallet.mark_needs_reauth(
            ctx, entry_id=entry.id, expected_version=entry.version
        )
        if not marked:
            return  # changed meanwhile (a new sign-in): nothing to mark
        if entry.kind is GrantKind.ENHANCED:
            # Every BU's cached token came from the lost lineage: none may outlive it.
            await self.cache.drop_user(ctx.tenant_id, entry.user_id)
        await audit.record(
            ctx,
            action="wallet.needs_reauth",
            outcome=Outcome.SUCCESS,
            actor=WALLET_ACTOR,
            mid=entry.mid,
            target=f"user:{entry.user_id}",
            details={"kind": entry.kind.value, "reason": reason},
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
