"""Suspending a tenant (non-payment, abuse, a security incident) and resuming it.

Suspension takes effect at once: the status blocks new sign-ins and every API token (checked
on each use), every session of the tenant ends, and open websockets using its API tokens are
told to close. Nothing is deleted: resuming restores access as it was (users sign in again).
Both are audited.
"""

from __future__ import annotations

from models import ApiToken, Outcome, Tenant, TenantContext, TenantRepository, TenantStatus
from services import audit
from services.audit import Actor, RequestMeta
from services.errors import InvalidInput, NotFound
from services.revocations import publish_api_token_revoked
from services.sessions import SessionStore

__all__ = ["resume_tenant", "suspend_tenant"]


async def suspend_tenant(
    ctx: TenantContext, *, sessions: SessionStore, actor: Actor, meta: RequestMeta
) -> int:
    """Suspend the tenant; returns how many sessions ended."""
    repo = TenantRepository(ctx)
    async with repo.transaction():
        tenant = await repo.of(Tenant).get_or_none(tenant_id=ctx.tenant_id)
        if tenant is None:
            raise NotFound("No such account.")
        if tenant.status is not TenantStatus.ACTIVE:
            raise InvalidInput(f"The account is {tenant.status.value}, not active.")
        await repo.of(Tenant).update({"tenant_id": ctx.tenant_id}, status=TenantStatus.SUSPENDED)
        token_ids = [t.id for t in await repo.of(ApiToken).list(revoked_at=None)]
        await audit.record(
            ctx,
            action="admin.tenant_suspended",
            outcome=Outcome.SUCCESS,
            actor=actor,
            meta=meta,
            target=f"tenant:{ctx.tenant_id}",
        )
    ended = await sessions.end_for_tenant(ctx.tenant_id)
    for token_id in token_ids:
        await publish_api_token_revoked(sessions.redis, token_id)
    return ended


async def resume_tenant(ctx: TenantContext, *, actor: Actor, meta: RequestMeta) -> None:
    repo = TenantRepository(ctx)
    async with repo.transaction():
        tenant = await repo.of(Tenant).get_or_none(tenant_id=ctx.tenant_id)
        if tenant is None:
            raise NotFound("No such account.")
        if tenant.status is not TenantStatus.SUSPENDED:
            raise InvalidInput(f"The account is {tenant.status.value}, not suspended.")
        await repo.of(Tenant).update({"tenant_id": ctx.tenant_id}, status=TenantStatus.ACTIVE)
        await audit.record(
            ctx,
            action="admin.tenant_resumed",
            outcome=Outcome.SUCCESS,
            actor=actor,
            meta=meta,
            target=f"tenant:{ctx.tenant_id}",
        )
