"""``check_mce_connection``: can Quarry still act for this user in this BU?

Background work (query runs, metadata sync) runs on the user's stored refresh token; this job
proves it still works by getting an access token from the wallet (refreshing if needed) and
asking MCE who it belongs to. Pre-flight checks and support use it. A revoked or expired
token fails the job with ``ReauthRequired``, and the wallet entry is marked ``needs_reauth``.

Idempotent (it only reads); no retries: a refused token stays refused.
"""

from __future__ import annotations

import asyncio
from typing import Any

from client.tokens import CallTarget
from models import Tenant, TenantContext, TenantRepository
from services.runtime import job_services

__all__ = ["TIMEOUT_SECONDS", "check_mce_connection", "idempotency_key"]

TIMEOUT_SECONDS = 60


def idempotency_key(tenant_id: int, mid: int, mce_user_id: int) -> str:
    return f"check-mce-connection:{tenant_id}:{mid}:{mce_user_id}"


def check_mce_connection(tenant_id: int, mid: int, mce_user_id: int) -> dict[str, Any]:
    """RQ entry point (ids only); returns what MCE says about the token."""
    return asyncio.run(_check(tenant_id, mid, mce_user_id))


async def _check(tenant_id: int, mid: int, mce_user_id: int) -> dict[str, Any]:
    async with job_services() as services:
        tenant = (
            await TenantRepository(TenantContext(tenant_id=tenant_id))
            .of(Tenant)
            .get_or_none(tenant_id=tenant_id)
        )
        if tenant is None or not tenant.tssd:
            raise LookupError(f"tenant {tenant_id} is not installed")
        target = CallTarget(tenant_id=tenant_id, mid=mid, user_id=mce_user_id)
        token = await services.tokens.access_token(target)
        auth = services.auth.for_tssd(tenant.tssd)
        info = await auth.userinfo(access_token=token.value, target=target)
        return {
            "ok": True,
            "enterprise_id": info.organization.enterprise_id,
            "member_id": info.organization.member_id,
            "user_id": info.user.user_id if info.user else None,
        }
