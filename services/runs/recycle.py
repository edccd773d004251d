"""Keeping a BU's pool small and its inventory true: expire results, recycle idle shells,
clean what MCE refused or what a lost create left, purge everything (uninstall, the
``purgeMceAssets`` mutation, the ``purge-mce-assets`` CLI).

Work per BU, in its tenant context, acting in MCE as services/acting.py says (ASSET_CLEANUP:
the assets' creator, else the BU's most recent usable member; UNINSTALL_CLEANUP at
uninstall), with a bridge the caller builds for that user. Every change is claimed in
Postgres first (a compare-and-set to DELETING), so two recyclers never delete one asset twice
and a leased shell is never deleted under its run; the inventory row goes only once MCE no
longer has the asset (an asset MCE already lost counts as deleted).

:func:`recycle_bu`:

1. COMPLETE runs whose results window ended become EXPIRED, their shells free;
2. idle pairs (free: AVAILABLE, or a lease that expired) beyond ``pool_size_per_bu`` (least
   recently used first), or unused for ``idle_max_seconds``, are deleted;
3. BROKEN assets, and CREATING ones older than :data:`STALE_CREATING_SECONDS` (their create
   answer was lost and no job finished them), are deleted (looked up by CustomerKey).

:func:`purge_bu` cancels the BU's active runs and deletes every Quarry asset of the BU, the
folders last.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from redis.asyncio import Redis

from client.bridge import MceBridge
from client.errors import MceError
from models import TenantContext, TenantRepository
from models.runs import ACTIVE_RUN_STATUSES, AssetKind, RunStatus
from services.runs.assets import delete_asset
from services.runs.config import RunConfig
from services.runs.pool import ASSET_COLUMNS, AssetInfo, asset_rows, bu_scope, release_shell
from services.runs.status import transition

__all__ = [
    "STALE_CREATING_SECONDS",
    "CleanupReport",
    "purge_bu",
    "recycle_bu",
]

log = logging.getLogger("quarry.runs")

STALE_CREATING_SECONDS = 3600
_FREE = "(state = 'AVAILABLE' OR (state IN ('LEASED', 'DRAINING') AND lease_expires_at < now()))"


@dataclass(frozen=True)
class CleanupReport:
    """What one pass did in one BU; ``failed`` lists assets MCE would not delete (kept)."""

    expired_runs: int = 0
    canceled_runs: int = 0
    deleted: int = 0
    failed: tuple[str, ...] = ()

    def __add__(self, other: CleanupReport) -> CleanupReport:
        return CleanupReport(
            expired_runs=self.expired_runs + other.expired_runs,
            canceled_runs=self.canceled_runs + other.canceled_runs,
            deleted=self.deleted + other.deleted,
            failed=self.failed + other.failed,
        )


_CLAIM_SQL = (
    "UPDATE mce_assets SET state = 'DELETING', updated_at = now()"  # noqa: S608 - constants
    " WHERE id = ANY($1::uuid[]) AND ({condition}) RETURNING " + ASSET_COLUMNS
)


async def _claim(repo: TenantRepository, ids: Sequence[UUID], condition: str) -> list[AssetInfo]:
    if not ids:
        return []
    rows = await repo.fetch(_CLAIM_SQL.replace("{condition}", condition), [list(ids)])
    return [AssetInfo.from_row(row) for row in rows]


async def _delete(
    repo: TenantRepository, bridge: MceBridge, assets: Sequence[AssetInfo]
) -> CleanupReport:
    """Delete claimed assets in MCE (QDs before their DEs), then their rows."""
    deleted = 0
    failed: list[str] = []
    order = {AssetKind.QD: 0, AssetKind.DE: 1, AssetKind.FOLDER: 2}
    for asset in sorted(assets, key=lambda a: order[a.kind]):
        try:
            await delete_asset(bridge, asset)
        except MceError as exc:
            log.warning("deleting %s %s failed: %s", asset.kind, asset.customer_key, exc)
            failed.append(asset.customer_key)
            await repo.fetch(
                "UPDATE mce_assets SET state = 'BROKEN', note = $2 WHERE id = $1",
                [asset.id, f"delete failed: {exc}"[:1000]],
            )
            continue
        await repo.fetch("DELETE FROM mce_assets WHERE id = $1", [asset.id])
        deleted += 1
    return CleanupReport(deleted=deleted, failed=tuple(failed))


async def expire_results(ctx: TenantContext, *, redis: Redis | None) -> int:
    """COMPLETE runs past their results window: EXPIRED, shell back in the pool."""
    repo = TenantRepository(ctx)
    scope, params = bu_scope(repo, [])
    rows = await repo.fetch(
        f"SELECT id FROM runs WHERE {scope} AND status = 'COMPLETE' AND expires_at < now()",  # noqa: S608
        params,
    )
    expired = 0
    for row in rows:
        moved = await transition(
            ctx, row["id"], to=RunStatus.EXPIRED, redis=redis, expected=(RunStatus.COMPLETE,)
        )
        if moved is not None:
            await release_shell(ctx, moved.id)
            expired += 1
    return expired


async def recycle_bu(
    ctx: TenantContext, bridge: MceBridge, *, config: RunConfig, redis: Redis | None
) -> CleanupReport:
    """One recycling pass over ``ctx``'s BU (see the module doc)."""
    repo = TenantRepository(ctx)
    expired = await expire_results(ctx, redis=redis)
    idle = await asset_rows(
        repo,
        f"kind = 'DE' AND {_FREE} ORDER BY last_used_at DESC NULLS LAST, created_at DESC",
        [],
    )
    now = datetime.now(UTC)
    doomed = [
        de
        for position, de in enumerate(idle)
        if position >= config.pool_size_per_bu
        or (now - (de.last_used_at or de.created_at)).total_seconds() > config.idle_max_seconds
    ]
    pair_ids = [i for de in doomed for i in (de.id, de.pair_id) if i is not None]
    claimed = await _claim(repo, pair_ids, _FREE)  # a pair is leased and freed together
    report = await _delete(repo, bridge, claimed)
    leftovers = await asset_rows(
        repo,
        "kind IN ('DE', 'QD') AND (state = 'BROKEN' OR (state = 'CREATING'"
        " AND created_at < now() - make_interval(secs => $1)))",
        [STALE_CREATING_SECONDS],
    )
    claimed = await _claim(
        repo,
        [a.id for a in leftovers],
        "state = 'BROKEN' OR (state = 'CREATING'"
        f" AND created_at < now() - make_interval(secs => {STALE_CREATING_SECONDS}))",
    )
    report += await _delete(repo, bridge, claimed)
    return report + CleanupReport(expired_runs=expired)


async def purge_bu(
    ctx: TenantContext, bridge: MceBridge | None, *, redis: Redis | None
) -> CleanupReport:
    """Every Quarry asset of ``ctx``'s BU deleted in MCE and from the inventory; active runs
        are canceled first (their shells go with the rest). ``bridge`` None: the BU has no asset
    (only its runs are canceled)."""
    repo = TenantRepository(ctx)
    scope, params = bu_scope(repo, [[status.value for status in ACTIVE_RUN_STATUSES]])
    active = await repo.fetch(
        f"SELECT id FROM runs WHERE {scope} AND status = ANY($1::text[])",  # noqa: S608
        params,
    )
    canceled = 0
    for row in active:
        if await transition(ctx, row["id"], to=RunStatus.CANCELED, redis=redis) is not None:
            canceled += 1
    scope, params = bu_scope(repo, [])
    await repo.fetch(
        "UPDATE runs SET expires_at = least(coalesce(expires_at, now()), now())"  # noqa: S608
        f" WHERE {scope} AND status = 'COMPLETE'",
        params,
    )
    await expire_results(ctx, redis=redis)
    everything = await asset_rows(repo, "true", [])
    if bridge is None:  # the caller found nothing to delete in MCE
        if everything:
            raise ValueError("purging assets needs a bridge to MCE")
        return CleanupReport(canceled_runs=canceled)
    claimed = await _claim(repo, [a.id for a in everything], "true")
    report = await _delete(repo, bridge, claimed)
    return report + CleanupReport(canceled_runs=canceled)
