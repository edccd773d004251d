"""Finding a run's MCE task when the start's answer, and with it the TaskID, was lost.

SOAP Perform answers with the TaskID the poller asks AsyncActivityStatus about. When that
answer is lost (services/runs/execute.py confirms the start with ``isrunning`` instead of
sending it again), the run is RUNNING without a task id, and ``isrunning`` alone cannot tell
a run that failed from one that returned no rows: both end "not running" with no row carrying
the run's marker. So the task is looked for: AsyncActivityStatus filtered on
``ParentInteractionObjectID`` (a filterable property REFERENCE §2.4 lists; the simulator gives
it the query definition's ObjectID) lists the shell QD's runs, and the run's task is the
newest one no other run of that QD claims that started no earlier than the run's Perform was
sent (less :data:`START_SLACK` for clocks and MCE's whole seconds). Once found it is written
on the run (:func:`adopt_task`), and the poller judges the run by its status like any other.

When MCE does not show the task, the run is judged by its rows only: rows carrying its marker
prove it ran (a shell is written with Overwrite, which leaves the target untouched on
failure); no rows is FAILED with :data:`OUTCOME_UNKNOWN` ("run it again"), never an empty
result Quarry cannot vouch for.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from uuid import UUID

from client.bridge import MceBridge
from client.errors import MceError
from client.soap import AsyncActivityStatus
from models import TenantContext, TenantRepository

__all__ = [
    "OUTCOME_UNKNOWN",
    "OUTCOME_UNKNOWN_CODE",
    "START_SLACK",
    "adopt_task",
    "failure_message",
    "find_task",
    "task_started_at",
]

log = logging.getLogger("quarry.runs")

#: How much earlier than our Perform a task may seem to start (MCE reports whole seconds in
#: its own clock).
START_SLACK = timedelta(seconds=5)
OUTCOME_UNKNOWN_CODE = "OUTCOME_UNKNOWN"
OUTCOME_UNKNOWN = (
    "Marketing Cloud finished this run, but Quarry lost track of how it ended and it wrote no"
    " rows, so an empty result cannot be told from a failure. Run it again."
)

_RUN_SQL = (
    "SELECT perform_sent_at, started_at, created_at, shell_qd_id FROM runs"
    " WHERE tenant_id = $1 AND mid = $2 AND id = $3"
)
_CLAIMED_SQL = (
    "SELECT task_id FROM runs WHERE tenant_id = $1 AND mid = $2 AND shell_qd_id = $3"
    " AND id <> $4 AND task_id IS NOT NULL"
)
_ADOPT_SQL = (
    "UPDATE runs SET task_id = $2, updated_at = now() WHERE tenant_id = $3 AND mid = $4"
    " AND id = $1 AND task_id IS NULL AND status IN ('STARTING', 'RUNNING') RETURNING id"
)


def task_started_at(status: AsyncActivityStatus) -> datetime | None:
    """The task's ``StartTime`` (MCE's ``M/D/YYYY h:mm:ss AM`` server time, CST all year)
    in UTC; None when absent or unreadable."""
    text = (status.properties.get("StartTime") or "").strip()
    if not text:
        return None
    try:
        naive = datetime.strptime(text, "%m/%d/%Y %I:%M:%S %p")
    except ValueError:
        return None
    return (naive + timedelta(hours=6)).replace(tzinfo=UTC)


def failure_message(status: AsyncActivityStatus) -> str:
    """MCE's message for a failed task (the poller's wording when MCE gives none)."""
    text = (status.error_msg or status.status_message or status.status or "").strip()
    return text or "Marketing Cloud reported an error."


async def find_task(
    ctx: TenantContext, bridge: MceBridge, *, run_id: UUID, qd_object_id: str
) -> AsyncActivityStatus | None:
    """The run's task as MCE lists it for its shell QD ``qd_object_id`` (see the module doc),
    or None when MCE shows none that fits or cannot be asked (an MCE error is logged, never
    raised: the caller falls back)."""
    repo = TenantRepository(ctx)
    rows = await repo.fetch(_RUN_SQL, [ctx.tenant_id, ctx.mid, run_id])
    if not rows:
        return None
    run = rows[0]
    sent_at: datetime = run["perform_sent_at"] or run["started_at"] or run["created_at"]
    try:
        listed = await bridge.soap.query_runs(qd_object_id)
    except MceError as exc:
        log.warning("run %s: its task could not be looked for: %r", run_id, exc)
        return None
    claimed: set[str] = set()
    if run["shell_qd_id"] is not None:
        others = await repo.fetch(
            _CLAIMED_SQL, [ctx.tenant_id, ctx.mid, run["shell_qd_id"], run_id]
        )
        claimed = {str(row["task_id"]).lower() for row in others}
    not_before = sent_at - START_SLACK
    fresh: list[tuple[datetime | None, AsyncActivityStatus]] = []
    for status in listed:
        if not status.task_id or status.task_id.lower() in claimed:
            continue
        started = task_started_at(status)
        if started is None or started >= not_before:
            fresh.append((started, status))
    dated = [(started, status) for started, status in fresh if started is not None]
    if dated:
        newest = max(started for started, _ in dated)
        return [status for started, status in dated if started == newest][-1]
    return fresh[0][1] if len(fresh) == 1 else None


async def adopt_task(ctx: TenantContext, run_id: UUID, task_id: str) -> bool:
    """Record the found task on the run (only while it has none and is in progress)."""
    return bool(
        await TenantRepository(ctx).fetch(_ADOPT_SQL, [run_id, task_id, ctx.tenant_id, ctx.mid])
    )
