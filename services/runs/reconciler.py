"""The reconciler: no run stays QUEUED, STARTING or RUNNING for ever.

The start job and the poller move runs along; when one of them died at the wrong moment a run
can be left behind. Every minute, one reconciler in the deployment (a Redis lock: the pollers
take turns running it) lists such runs across tenants as the system role and settles each:

* QUEUED or STARTING for :data:`STUCK_AFTER` with no start sent to MCE: the job never ran or
  died before Perform. FAILED ("start it again"), its shell back in the pool.
* STARTING for :data:`STUCK_AFTER` with a start sent (the job died after sending Perform and
  its retries are spent): MCE is asked whether the query
  definition still runs (REST ``isrunning``, acting as services/acting.py's RECONCILE rule
  says: the shell's creator, else the BU's most recent usable member), and whether the shell
  holds rows carrying the run's marker. Either: RUNNING (without a task id), for the poller to
  finish. Neither: FAILED (the start never reached MCE, or nothing proves it ran), the shell
  freed. Nothing is ever started a second time.
* Anything still active :data:`HARD_LIMIT` after it was queued (MCE stops queries after 30
  minutes): FAILED, the shell freed.

Each settled run is audited (``run.reconciled``), naming the user acted for when MCE was asked.
RUNNING runs are the poller's (with a task id by their status, without one by ``isrunning``
and their rows): the reconciler leaves them until the hard limit.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import asyncpg
from redis.asyncio import Redis

from client.errors import MceError
from models import Outcome
from models.audit import ActorType
from models.runs import ACTIVE_RUN_STATUSES, RunStatus
from services import audit
from services.acting import BackgroundWork, NeedsSignIn, acting_audit, choose_actor
from services.mce_bridges import bridge_for_user
from services.metadata.context import bu_scope
from services.redis_keys import PREFIX
from services.runs.failures import failure_changes
from services.runs.poller import PollerDeps
from services.runs.pool import release_shell
from services.runs.status import transition

__all__ = [
    "HARD_LIMIT",
    "LOCK_KEY",
    "STUCK_AFTER",
    "ReconcileReport",
    "reconcile",
]

log = logging.getLogger("quarry.runs.reconciler")

STUCK_AFTER = timedelta(minutes=5)
HARD_LIMIT = timedelta(minutes=35)
LOCK_KEY = f"{PREFIX}:runs:reconciler"
LOCK_MS = 55_000
NOT_STARTED = "The run could not be started (Quarry was interrupted). Run it again."
LOST_START = (
    "Quarry lost track of this run while starting it in Marketing Cloud, so its result is"
    " unknown. Run it again."
)
TOO_LONG = "The run timed out: it did not finish within Marketing Cloud's 30-minute limit."

_STUCK_SQL = """
SELECT r.tenant_id, r.mid, r.id, r.user_id, r.status, r.task_id, r.perform_sent_at,
       r.created_at, r.marker, r.marker_column, q.object_id AS qd_object_id,
       q.created_by AS qd_created_by, d.customer_key AS de_key,
       (r.created_at < now() - $2::interval) AS past_hard_limit
FROM runs r
LEFT JOIN mce_assets q ON q.tenant_id = r.tenant_id AND q.mid = r.mid AND q.id = r.shell_qd_id
LEFT JOIN mce_assets d ON d.tenant_id = r.tenant_id AND d.mid = r.mid AND d.id = r.shell_de_id
WHERE r.status = ANY($3::text[])
  AND r.updated_at < now() - $1::interval
  AND ((r.task_id IS NULL AND r.status <> 'RUNNING') OR r.created_at < now() - $2::interval)
ORDER BY r.created_at
LIMIT $4
"""


@dataclass
class ReconcileReport:
    failed: list[UUID] = field(default_factory=list)
    to_poller: list[UUID] = field(default_factory=list)
    """Runs MCE got (still running, or its rows are there): now RUNNING, the poller's."""
    skipped: bool = False
    """Another reconciler holds the lock."""


async def reconcile(
    deps: PollerDeps,
    *,
    stuck_after: timedelta = STUCK_AFTER,
    hard_limit: timedelta = HARD_LIMIT,
    limit: int = 500,
) -> ReconcileReport:
    """Settle runs left behind (see the module doc); one reconciler at a time."""
    report = ReconcileReport()
    token = secrets.token_hex(8)
    redis: Redis = deps.redis
    if not await redis.set(LOCK_KEY, token, nx=True, px=LOCK_MS):
        report.skipped = True
        return report
    try:
        conn = await asyncpg.connect(deps.system_url)
        try:
            rows = await conn.fetch(
                _STUCK_SQL,
                stuck_after,
                hard_limit,
                [status.value for status in ACTIVE_RUN_STATUSES],
                limit,
            )
        finally:
            await conn.close()
        for row in rows:
            try:
                await _settle(deps, row, report)
            except Exception:
                log.exception("reconciling run %s failed", row["id"])
    finally:
        if (await redis.get(LOCK_KEY)) in (token, token.encode()):
            await redis.delete(LOCK_KEY)
    return report


async def _settle(deps: PollerDeps, row: Any, report: ReconcileReport) -> None:
    tenant_id, mid, run_id = int(row["tenant_id"]), int(row["mid"]), row["id"]
    ctx = (await bu_scope(tenant_id, mid)).ctx
    status = RunStatus(row["status"])
    details: dict[str, Any] = {"run_id": str(run_id), "was": status.value}
    if row["past_hard_limit"]:
        message, why = TOO_LONG, "hard_limit"
    elif row["perform_sent_at"] is None:
        message, why = NOT_STARTED, "never_started"
    else:
        if await _started_in_mce(deps, ctx, row, details):
            handed = await transition(
                ctx, run_id, to=RunStatus.RUNNING, redis=deps.redis, expected=[status],
                changes={"started_at": datetime.now(UTC)},
            )  # fmt: skip
            if handed is not None:
                report.to_poller.append(run_id)
            return
        message, why = LOST_START, "start_lost"
    details["why"] = why
    moved = await transition(
        ctx, run_id, to=RunStatus.FAILED, redis=deps.redis, expected=[status],
        changes=failure_changes(message, code="RUN_INTERRUPTED", fallback="RUN_INTERRUPTED"),
    )  # fmt: skip
    if moved is None:
        return  # it moved on meanwhile
    await release_shell(ctx, run_id)
    report.failed.append(run_id)
    if "acting" not in details:
        await audit.record(
            ctx, action="run.reconciled", outcome=Outcome.SUCCESS,
            actor=audit.Actor(ActorType.SYSTEM, "reconciler"), mid=mid,
            target=f"run:{run_id}", details=details,
        )  # fmt: skip


async def _started_in_mce(deps: PollerDeps, ctx: Any, row: Any, details: dict[str, Any]) -> bool:
    """Whether MCE got the start: its query definition still runs, or its shell holds rows
    carrying the run's marker (it ran). Asked as RECONCILE says; an MCE error counts as
    started (the poller and the hard limit settle it), never as a start to fail."""
    query_id = row["qd_object_id"]
    if not query_id:
        return False
    mid = int(row["mid"])
    try:
        acting = await choose_actor(
            ctx, mid=mid, kind=BackgroundWork.RECONCILE, preferred_user_id=row["qd_created_by"]
        )
    except NeedsSignIn:
        details["mce"] = "nobody_can_act"
        return False
    bridge = await bridge_for_user(
        ctx, user_id=acting.user_id, mid=mid, http=deps.http, tokens=deps.tokens,
        policy=deps.policy,
    )  # fmt: skip
    wrote = False
    try:
        running = await bridge.queries.is_running(query_id)
        if not running and row["de_key"] and row["marker_column"]:
            reader = bridge.rowsets(
                row["de_key"], [], page_size=1,
                filter=f"{row['marker_column']} eq '{row['marker']}'",
            )  # fmt: skip
            wrote = bool((await reader.page(1)).rows)
    except MceError as exc:
        details["mce_error"] = type(exc).__name__
        running = True
    details["acting"] = True
    await acting_audit(
        ctx, acting, action="run.reconciled", outcome=Outcome.SUCCESS,
        target=f"run:{row['id']}",
        details={**details, "mce_running": running, "rows_written": wrote},
    )  # fmt: skip
    return running or wrote
