"""Cleaning a BU's Quarry assets up as someone: who acts, the bridge, the audit entry.

:func:`cleanup_bu` runs :func:`services.runs.recycle.recycle_bu` (``purge=False``) or
:func:`~services.runs.recycle.purge_bu` (``purge=True``) acting in MCE as services/acting.py
decides: ASSET_CLEANUP prefers the creator of the BU's oldest asset, else the BU's most recent
usable member; an administrator's purge (``purgeMceAssets``) or an uninstall acts as that
administrator where they can (UNINSTALL_CLEANUP). Each pass that touched MCE is audited with
whom it acted for. A BU whose inventory is empty is not even looked at in MCE.

:func:`mce_assets_page` lists the inventory for administrators, with a cleanup report: how
many assets per state, how many idle beyond the pool, and what failed to delete.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import asyncpg
import httpx
from redis.asyncio import Redis

from client.endpoints import EndpointPolicy
from client.tokens import TokenProvider
from models import Outcome, TenantContext, TenantRepository
from services.acting import BackgroundWork, acting_audit, choose_actor
from services.errors import InvalidInput
from services.job_queue import JobQueue
from services.mce_bridges import bridge_for_user
from services.runs.config import RunConfig, run_config
from services.runs.pool import ASSET_COLUMNS, AssetInfo, bu_scope
from services.runs.recycle import CleanupReport, purge_bu, recycle_bu
from services.snippets.types import Edge, Page, cursor_uuid, decode_cursor, encode_cursor

__all__ = [
    "CLEANUP_TIMEOUT_SECONDS",
    "MAX_PAGE",
    "PURGE_JOB",
    "RECYCLE_JOB",
    "AssetsOverview",
    "CleanupDeps",
    "RunAssetPurger",
    "cleanup_bu",
    "enqueue_recycling",
    "inventory_overview",
    "mce_assets_page",
]

MAX_PAGE = 100


@dataclass(frozen=True)
class CleanupDeps:
    redis: Redis | None
    http: httpx.AsyncClient
    tokens: TokenProvider
    policy: EndpointPolicy
    config: RunConfig | None = None


async def cleanup_bu(
    deps: CleanupDeps,
    *,
    tenant_id: int,
    mid: int,
    purge: bool,
    admin_user_id: UUID | None = None,
) -> CleanupReport:
    """Recycle (or purge) the BU's assets; see the module doc for who acts."""
    ctx = TenantContext(tenant_id=tenant_id, mid=mid)
    repo = TenantRepository(ctx)
    scope, params = bu_scope(repo, [])
    oldest = await repo.fetch(
        f"SELECT created_by FROM mce_assets WHERE {scope} AND created_by IS NOT NULL"  # noqa: S608
        " ORDER BY created_at LIMIT 1",
        params,
    )
    if not oldest and not (
        await repo.fetch(f"SELECT 1 FROM mce_assets WHERE {scope} LIMIT 1", params)  # noqa: S608
    ):
        if purge:  # nothing of ours here; still cancel what is in progress
            return await purge_bu(ctx, None, redis=deps.redis)
        return CleanupReport()
    kind = BackgroundWork.ASSET_CLEANUP
    preferred: UUID | None = oldest[0]["created_by"] if oldest else None
    if admin_user_id is not None:
        kind, preferred = BackgroundWork.UNINSTALL_CLEANUP, admin_user_id
    acting = await choose_actor(ctx, mid=mid, kind=kind, preferred_user_id=preferred)
    bridge = await bridge_for_user(
        ctx, user_id=acting.user_id, mid=mid, http=deps.http, tokens=deps.tokens,
        policy=deps.policy,
    )  # fmt: skip
    if purge:
        report = await purge_bu(ctx, bridge, redis=deps.redis)
    else:
        report = await recycle_bu(ctx, bridge, config=deps.config or run_config(), redis=deps.redis)
    if report.deleted or report.failed or purge:
        await acting_audit(
            ctx,
            acting,
            action="runs.assets_purged" if purge else "runs.assets_recycled",
            outcome=Outcome.FAILURE if report.failed else Outcome.SUCCESS,
            target=f"bu:{mid}",
            details={
                "deleted": report.deleted,
                "failed": list(report.failed)[:20],
                "expired_runs": report.expired_runs,
                "canceled_runs": report.canceled_runs,
            },
        )
    return report


@dataclass(frozen=True)
class AssetsOverview:
    """The cleanup report shown with the inventory."""

    total: int
    by_state: dict[str, int]
    by_kind: dict[str, int]
    idle_beyond_pool: int
    failed_deletions: int
    pool_size: int


async def inventory_overview(
    ctx: TenantContext, *, config: RunConfig | None = None
) -> AssetsOverview:
    config = config or run_config()
    repo = TenantRepository(ctx)
    scope, params = bu_scope(repo, [])
    rows = await repo.fetch(
        "SELECT kind, state, count(*) AS n,"  # noqa: S608 - constants only
        " count(*) FILTER (WHERE note LIKE 'delete failed%') AS failed"
        f" FROM mce_assets WHERE {scope} GROUP BY kind, state",
        params,
    )
    by_state: dict[str, int] = {}
    by_kind: dict[str, int] = {}
    for row in rows:
        by_state[row["state"]] = by_state.get(row["state"], 0) + int(row["n"])
        by_kind[row["kind"]] = by_kind.get(row["kind"], 0) + int(row["n"])
    [idle] = await repo.fetch(
        f"SELECT count(*) AS n FROM mce_assets WHERE {scope} AND kind = 'DE'"  # noqa: S608
        " AND (state = 'AVAILABLE'"
        " OR (state IN ('LEASED', 'DRAINING') AND lease_expires_at < now()))",
        params,
    )
    return AssetsOverview(
        total=sum(by_kind.values()),
        by_state=by_state,
        by_kind=by_kind,
        idle_beyond_pool=max(0, int(idle["n"]) - config.pool_size_per_bu),
        failed_deletions=sum(int(row["failed"]) for row in rows),
        pool_size=config.pool_size_per_bu,
    )


_PAGE_SQL = (
    f"SELECT {ASSET_COLUMNS} FROM mce_assets"  # noqa: S608 - constants only
    " WHERE tenant_id = $4 AND mid = $5"
    " AND ($1::timestamptz IS NULL OR (created_at, id) > ($1::timestamptz, $2::uuid))"
    " ORDER BY created_at, id LIMIT $3"
)


async def mce_assets_page(ctx: TenantContext, *, first: int, after: str | None) -> Page[AssetInfo]:
    """The BU's inventory, oldest first. The caller checks the viewer is an administrator."""
    if not 1 <= first <= MAX_PAGE:
        raise InvalidInput(f"'first' must be between 1 and {MAX_PAGE}.", field="first")
    since: datetime | None = None
    last: UUID | None = None
    if after is not None:
        stamp, raw = decode_cursor(after, shape=(str, str))
        try:
            since = datetime.fromisoformat(stamp)
        except ValueError:
            raise InvalidInput("Not a cursor from this list.", field="after") from None
        last = cursor_uuid(raw)
    rows = await TenantRepository(ctx).fetch(
        _PAGE_SQL, [since, last, first + 1, ctx.tenant_id, ctx.mid]
    )
    assets = [AssetInfo.from_row(row) for row in rows[:first]]
    return Page(
        edges=[
            Edge(cursor=encode_cursor(a.created_at.isoformat(), str(a.id)), node=a) for a in assets
        ],
        has_next_page=len(rows) > first,
    )


RECYCLE_JOB = "jobs.runs.recycle_assets"
PURGE_JOB = "jobs.runs.purge_assets"
CLEANUP_TIMEOUT_SECONDS = 900

_BUS_WITH_WORK_SQL = (
    "SELECT DISTINCT tenant_id, mid FROM mce_assets"
    " UNION SELECT DISTINCT tenant_id, mid FROM runs"
    " WHERE status = 'COMPLETE' AND expires_at < now()"
)


async def enqueue_recycling(system_url: str, *, redis_url: str) -> int:
    """Enqueue a recycling pass for every BU holding Quarry assets or expired results (as the
    system role: every tenant). Meant for the worker's scheduler tick."""
    conn = await asyncpg.connect(system_url)
    try:
        rows = await conn.fetch(_BUS_WITH_WORK_SQL)
    finally:
        await conn.close()
    queue = JobQueue.from_url(redis_url)
    count = 0
    try:
        for row in rows:
            tenant_id, mid = int(row["tenant_id"]), int(row["mid"])
            job = await queue.enqueue(
                RECYCLE_JOB, tenant_id, mid, queue="low",
                idempotency_key=f"runs-recycle:{tenant_id}:{mid}",
                timeout_seconds=CLEANUP_TIMEOUT_SECONDS,
            )  # fmt: skip
            count += int(job.enqueued)
    finally:
        queue.close()
    return count


@dataclass(frozen=True)
class RunAssetPurger:
    """services.purge's ``AssetPurger`` for uninstall: :func:`cleanup_bu` with ``purge=True``
    acting as the user the uninstall chose for the BU."""

    deps: CleanupDeps

    async def purge_bu(self, *, tenant_id: int, mid: int, user_id: UUID) -> CleanupReport:
        return await cleanup_bu(
            self.deps, tenant_id=tenant_id, mid=mid, purge=True, admin_user_id=user_id
        )
