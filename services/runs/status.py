"""A run's status changes: the one place that writes them, and publishes each as an event.

:func:`transition` moves a run from one of the statuses it may leave to the next (a
compare-and-set in Postgres: two processes racing on one run, e.g. the poller completing it
while its user cancels, cannot both win), then publishes the new state on the run's event
stream (services/runs/events.py). Postgres is the truth; the event follows the commit, so a
follower never sees a state the database does not hold. A lost publish (Redis down) is
logged: the state is already recorded and ``run(id)`` answers it.

Allowed moves (:data:`ALLOWED`): QUEUED → STARTING | CANCELED | FAILED; STARTING → RUNNING |
FAILED | CANCELED | QUEUED (a start retried); RUNNING → COMPLETE | FAILED | CANCELED;
COMPLETE → EXPIRED. Nothing leaves FAILED, CANCELED or EXPIRED.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from redis.asyncio import Redis

from models import TenantContext, TenantRepository
from models.runs import FINAL_RUN_STATUSES, RunStatus
from services.runs import events
from services.runs.store import RUN_COLUMNS, RunInfo

__all__ = ["ALLOWED", "CHANGEABLE_COLUMNS", "IllegalTransition", "event_for", "transition"]

log = logging.getLogger("quarry.runs")

ALLOWED: Mapping[RunStatus, frozenset[RunStatus]] = {
    RunStatus.QUEUED: frozenset({RunStatus.STARTING, RunStatus.CANCELED, RunStatus.FAILED}),
    RunStatus.STARTING: frozenset(
        {RunStatus.RUNNING, RunStatus.FAILED, RunStatus.CANCELED, RunStatus.QUEUED}
    ),
    RunStatus.RUNNING: frozenset({RunStatus.COMPLETE, RunStatus.FAILED, RunStatus.CANCELED}),
    RunStatus.COMPLETE: frozenset({RunStatus.EXPIRED}),
    RunStatus.FAILED: frozenset(),
    RunStatus.CANCELED: frozenset(),
    RunStatus.EXPIRED: frozenset(),
}

#: Columns a transition may set besides ``status`` (never the SQL, the owner or the ids).
CHANGEABLE_COLUMNS = frozenset(
    {
        "row_count",
        "error_code",
        "error_message",
        "error_cause",
        "error_fix",
        "started_at",
        "mce_completed_at",
        "detected_at",
        "expires_at",
        "perform_sent_at",
        "task_id",
        "shell_de_id",
        "shell_qd_id",
        "attempts",
    }
)


class IllegalTransition(ValueError):
    """A transition :data:`ALLOWED` does not list (a bug in the caller, never user input)."""


def _sources(to: RunStatus, expected: Iterable[RunStatus] | None) -> list[str]:
    allowed = {status for status, targets in ALLOWED.items() if to in targets}
    sources = allowed if expected is None else set(expected)
    if not sources or not sources <= allowed:
        raise IllegalTransition(f"no run goes from {sorted(sources)} to {to}")
    return sorted(status.value for status in sources)


async def transition(
    ctx: TenantContext,
    run_id: UUID,
    *,
    to: RunStatus,
    redis: Redis | None,
    expected: Iterable[RunStatus] | None = None,
    changes: Mapping[str, Any] | None = None,
) -> RunInfo | None:
    """Move the run to ``to`` if it is in one of ``expected`` (default: every status that
    may go there), setting ``changes``; None when it was not (someone else moved it first).

    Call it outside any open transaction of the caller's: the event is published once the
    change is committed. ``ctx`` must be the run's BU.
    """
    sources = _sources(to, expected)
    values = dict(changes or {})
    unknown = set(values) - CHANGEABLE_COLUMNS
    if unknown:
        raise ValueError(f"a transition cannot set {sorted(unknown)}")
    if to in FINAL_RUN_STATUSES and to is not RunStatus.EXPIRED:
        values["finished_at"] = datetime.now(UTC)
    assignments = ["status = $2", "updated_at = now()"]
    params: list[Any] = [run_id, to.value, sources]
    for name, value in values.items():
        params.append(value)
        assignments.append(f"{name} = ${len(params)}")
    sql = (
        f"UPDATE runs SET {', '.join(assignments)}"  # noqa: S608 - names from an allow-list
        f" WHERE id = $1 AND status = ANY($3::text[]) RETURNING {RUN_COLUMNS}"
    )
    rows = await TenantRepository(ctx).fetch(sql, params)
    if not rows:
        return None
    run = RunInfo.from_row(rows[0])
    if redis is not None:
        try:
            await events.publish(redis, run.id, event_for(run))
        except Exception:  # the state is recorded; followers re-read it from run(id)
            log.exception("run %s: publishing %s failed", run.id, run.status)
    return run


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def event_for(run: RunInfo) -> dict[str, Any]:
    """The event describing ``run`` as it is now: status, timings, row count, columns and
    error. Never the SQL's results, nor anything secret."""
    event: dict[str, Any] = {
        "runId": str(run.id),
        "status": run.status.value,
        "queuedAt": _iso(run.queued_at),
        "startedAt": _iso(run.started_at),
        "mceCompletedAt": _iso(run.mce_completed_at),
        "detectedAt": _iso(run.detected_at),
        "finishedAt": _iso(run.finished_at),
        "expiresAt": _iso(run.expires_at),
        "rowCount": run.row_count,
        "columns": [
            {"name": column.name, "type": column.field_type, "length": column.length}
            for column in run.columns
        ],
    }
    if run.error is not None:
        event["error"] = {
            "code": run.error.code,
            "message": run.error.message,
            "cause": run.error.cause,
            "fix": run.error.fix,
        }
    return event
