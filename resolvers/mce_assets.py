"""Quarry's MCE assets for administrators: the BU's inventory with a cleanup report, and the
purge that deletes them all in MCE (``purgeMceAssets``; the CLI does the same per tenant).

Only an administrator of the viewer's BU (their membership's role) sees the inventory or
purges it; anybody else gets FORBIDDEN. A purge acts in MCE as that administrator where they
can, else as the BU's most recent usable member, and is audited (services/runs/cleanup.py).
"""

from __future__ import annotations

from redis.asyncio import Redis

from services.authn import Authentication
from services.errors import PermissionDenied
from services.identity import Principal
from services.runs.cleanup import (
    AssetsOverview,
    CleanupDeps,
    cleanup_bu,
    inventory_overview,
    mce_assets_page,
)
from services.runs.pool import AssetInfo
from services.runs.recycle import CleanupReport
from services.snippets.types import Page
from services.users import require_administrator

__all__ = ["assets_overview", "list_mce_assets", "purge_mce_assets"]


async def _administrator(auth: Authentication) -> Principal:
    return await require_administrator(auth.require_principal())


async def list_mce_assets(
    auth: Authentication, *, first: int, after: str | None
) -> Page[AssetInfo]:
    principal = await _administrator(auth)
    return await mce_assets_page(principal.tenant_context(), first=first, after=after)


async def assets_overview(auth: Authentication) -> AssetsOverview:
    principal = await _administrator(auth)
    return await inventory_overview(principal.tenant_context())


async def purge_mce_assets(
    auth: Authentication, *, deps_without_redis: CleanupDeps, redis: Redis | None
) -> CleanupReport:
    principal = await _administrator(auth)
    if principal.read_only:
        raise PermissionDenied("This API token is read-only; mutations need READ_WRITE.")
    deps = CleanupDeps(
        redis=redis,
        http=deps_without_redis.http,
        tokens=deps_without_redis.tokens,
        policy=deps_without_redis.policy,
    )
    return await cleanup_bu(
        deps,
        tenant_id=principal.tenant_id,
        mid=principal.mid,
        purge=True,
        admin_user_id=principal.user_id,
    )
