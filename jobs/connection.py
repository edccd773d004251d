"""``check_mce_connection``: can Quarry still act for this user in this BU?

Background work (query runs, metadata sync) runs on the user's stored refresh token; this job
proves it still works by getting an access token from the wallet (refreshing if needed) and
asking MCE who it belongs to. Pre-flight checks and support use it.

It acts for the given user only (services/acting.py, ``CONNECTION_CHECK``). A user our
records already show as unable to act (no active token for the BU) fails the job with
``NeedsSignIn``, and the check waits for their next sign-in, which enqueues it again. A token
MCE revokes fails it with ``ReauthRequired``, and the wallet entry is marked ``needs_reauth``.
Each answer is audited with whom the check acted for.

Idempotent (it only reads); no retries: a refused token stays refused.
"""

from __future__ import annotations

import asyncio
from typing import Any

from models import Outcome, Tenant, TenantContext, TenantRepository, User
from services.acting import BackgroundWork, WaitingJob, acting_audit, choose_actor
from services.runtime import job_services

__all__ = ["JOB", "TIMEOUT_SECONDS", "check_mce_connection", "idempotency_key"]

JOB = "jobs.connection.check_mce_connection"
TIMEOUT_SECONDS = 60


def idempotency_key(tenant_id: int, mid: int, mce_user_id: int) -> str:
    return f"check-mce-connection:{tenant_id}:{mid}:{mce_user_id}"


def check_mce_connection(tenant_id: int, mid: int, mce_user_id: int) -> dict[str, Any]:
    """RQ entry point (ids only); returns what MCE says about the token."""
    return asyncio.run(_check(tenant_id, mid, mce_user_id))


async def _check(tenant_id: int, mid: int, mce_user_id: int) -> dict[str, Any]:
    async with job_services() as services:
        ctx = TenantContext(tenant_id=tenant_id, mid=mid)
        repo = TenantRepository(ctx)
        tenant = await repo.of(Tenant).get_or_none(tenant_id=tenant_id)
        if tenant is None or not tenant.tssd:
            raise LookupError(f"tenant {tenant_id} is not installed")
        user = await repo.of(User).get_or_none(mce_user_id=mce_user_id)
        if user is None:
            raise LookupError(f"no user {mce_user_id} in tenant {tenant_id}")
        acting = await choose_actor(
            ctx,
            mid=mid,
            kind=BackgroundWork.CONNECTION_CHECK,
            preferred_user_id=user.id,
            waiting_job=WaitingJob(
                JOB,
                (tenant_id, mid, mce_user_id),
                idempotency_key=idempotency_key(tenant_id, mid, mce_user_id),
                timeout_seconds=TIMEOUT_SECONDS,
            ),
        )
        target = acting.call_target
        try:
            token = await services.tokens.access_token(target)
            auth = services.auth.for_tssd(tenant.tssd)
            info = await auth.userinfo(access_token=token.value, target=target)
        except Exception as exc:
            await acting_audit(
                ctx,
                acting,
                action="mce.connection_checked",
                outcome=Outcome.FAILURE,
                target=f"bu:{mid}",
                details={"error": type(exc).__name__},
            )
            raise
        await acting_audit(
            ctx,
            acting,
            action="mce.connection_checked",
            outcome=Outcome.SUCCESS,
            target=f"bu:{mid}",
        )
        return {
            "ok": True,
            "enterprise_id": info.organization.enterprise_id,
            "member_id": info.organization.member_id,
            "user_id": info.user.user_id if info.user else None,
        }
