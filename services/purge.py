"""Removing a user, or uninstalling a tenant: every credential of theirs goes at once.

What goes (DESIGN.md, secrets): wallet entries (refresh tokens), cached access tokens,
sessions and API tokens. A removed user's row goes too (memberships and tokens cascade);
an uninstalled tenant keeps its row, marked ``uninstalled``, so its audit trail still has a
tenant to belong to, and signing in again reinstalls it. Each purge is audited.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Protocol
from uuid import UUID

from redis.asyncio import Redis

from models import (
    ApiToken,
    Outcome,
    Tenant,
    TenantContext,
    TenantRepository,
    TenantStatus,
    User,
    WaitingWork,
)
from services import audit
from services.acting import choose_uninstall_actors
from services.audit import Actor, RequestMeta
from services.errors import NotFound
from services.revocations import publish_api_token_revoked
from services.sessions import SessionStore

__all__ = ["AssetPurger", "PurgeResult", "WalletPurger", "purge_tenant", "purge_user"]

logger = logging.getLogger("quarry.purge")


class AssetPurger(Protocol):
    """Deletes Quarry's own MCE assets of one BU acting as ``user_id`` (services/runs)."""

    async def purge_bu(self, *, tenant_id: int, mid: int, user_id: UUID) -> Any: ...


class WalletPurger(Protocol):
    async def delete_for_user(self, ctx: TenantContext, user_id: UUID) -> Any: ...

    async def delete_for_tenant(self, ctx: TenantContext) -> Any: ...

    async def delete_cached_access_tokens(
        self, redis: Redis, *, tenant_id: int, user_id: UUID | None = None
    ) -> Any: ...


@dataclass(frozen=True)
class PurgeResult:
    sessions: int
    api_tokens: int
    users: int
    #: Uninstall: BUs where nobody could have acted in MCE to clean Quarry's assets up.
    cleanup_uncovered_mids: tuple[int, ...] = ()


async def purge_user(
    ctx: TenantContext,
    *,
    user_id: UUID,
    sessions: SessionStore,
    wallet: WalletPurger,
    actor: Actor,
    meta: RequestMeta,
) -> PurgeResult:
    """End the user's sessions, drop their wallet entries and API tokens, delete the user."""
    repo = TenantRepository(ctx)
    user = await repo.of(User).get_or_none(id=user_id)
    if user is None:
        raise NotFound("No such user in this account.", field="userId")
    ended = await sessions.end_for_user(ctx.tenant_id, user_id)
    async with repo.transaction():
        await wallet.delete_for_user(ctx, user_id)
        token_ids = [t.id for t in await repo.of(ApiToken).list(user_id=user_id)]
        tokens = await repo.of(ApiToken).delete(user_id=user_id)
        users = await repo.of(User).delete(id=user_id)
        await audit.record(
            ctx,
            action="admin.user_removed",
            outcome=Outcome.SUCCESS,
            actor=actor,
            meta=meta,
            target=f"user:{user_id}",
            details={"mce_user_id": user.mce_user_id, "sessions": ended, "api_tokens": tokens},
        )
    # A session created between the first sweep and the delete would outlive the user.
    ended += await sessions.end_for_user(ctx.tenant_id, user_id)
    await wallet.delete_cached_access_tokens(
        sessions.redis, tenant_id=ctx.tenant_id, user_id=user_id
    )
    await _announce(sessions, token_ids)
    return PurgeResult(sessions=ended, api_tokens=tokens, users=users)


async def purge_tenant(
    ctx: TenantContext,
    *,
    sessions: SessionStore,
    wallet: WalletPurger,
    actor: Actor,
    meta: RequestMeta,
    assets: AssetPurger | None = None,
) -> PurgeResult:
    """Uninstall: every session, wallet entry, data key, API token and waiting job of the
    tenant; first (while someone can still act in MCE) every Quarry asset in MCE, BU by BU,
    through ``assets`` (a BU whose purge fails is reported and audited, never blocks the
    uninstall).

    Cleanup in MCE acts as the administrator uninstalling (``ctx.user_id``; None from the
    CLI), else each BU's most recent usable member (services/acting.py), chosen before the
    wallet goes; the BUs nobody could clean are reported and audited.
    """
    repo = TenantRepository(ctx)
    tenant = await repo.of(Tenant).get_or_none(tenant_id=ctx.tenant_id)
    if tenant is None:
        raise NotFound("No such account.")
    cleanup = await choose_uninstall_actors(ctx, admin_user_id=ctx.user_id)
    assets_failed: list[int] = []
    if assets is not None:  # before the wallet goes: afterwards nobody can act in MCE
        for mid, acting in sorted(cleanup.actors.items()):
            try:
                await assets.purge_bu(tenant_id=ctx.tenant_id, mid=mid, user_id=acting.user_id)
            except Exception:
                logger.exception("uninstall: purging Quarry's MCE assets of BU %s failed", mid)
                assets_failed.append(mid)
    ended = await sessions.end_for_tenant(ctx.tenant_id)
    async with repo.transaction():
        await repo.of(Tenant).update({"tenant_id": ctx.tenant_id}, status=TenantStatus.UNINSTALLED)
        await wallet.delete_for_tenant(ctx)
        await repo.of(WaitingWork).delete()
        token_ids = [t.id for t in await repo.of(ApiToken).list()]
        tokens = await repo.of(ApiToken).delete()
        await audit.record(
            ctx,
            action="admin.tenant_uninstalled",
            outcome=Outcome.SUCCESS,
            actor=actor,
            meta=meta,
            target=f"tenant:{ctx.tenant_id}",
            details={
                "sessions": ended,
                "api_tokens": tokens,
                "cleanup_acting": {
                    str(mid): {"user": str(a.user_id), "why": a.why.value}
                    for mid, a in cleanup.actors.items()
                },
                "cleanup_uncovered_mids": list(cleanup.uncovered),
                "assets_purged": assets is not None,
                "assets_failed_mids": assets_failed,
            },
        )
    ended += await sessions.end_for_tenant(ctx.tenant_id)
    await wallet.delete_cached_access_tokens(sessions.redis, tenant_id=ctx.tenant_id)
    await _announce(sessions, token_ids)
    return PurgeResult(
        sessions=ended, api_tokens=tokens, users=0, cleanup_uncovered_mids=cleanup.uncovered
    )


async def _announce(sessions: SessionStore, token_ids: list[UUID]) -> None:
    """Websockets authenticated by a deleted API token close now, not at their next check."""
    for token_id in token_ids:
        await publish_api_token_revoked(sessions.redis, token_id)
