"""The start job's work: lease a shell, point its QD at the run's SQL, start it in MCE.

Acting as the run's user (services/acting.py, RUN: nobody else may run a user's SQL), in the
run's BU: QUEUED → STARTING; the BU's Quarry folders exist (created once); a shell pair is
leased (services/runs/pool.py) and created, adapted or re-pointed in MCE
(services/runs/assets.py); then ``perform_sent_at`` is recorded — only while the run is still
STARTING, so a run canceled meanwhile is never sent — and SOAP Perform starts the QD. Its
TaskID goes with RUNNING; the poller (services/runs/poller.py) takes over from there.

A start whose outcome is unknown is never resent blindly. Perform's answer lost
(``OutcomeUnknown``), or a start job that finds ``perform_sent_at`` already set (its worker
died after sending), asks MCE first (REST ``isrunning`` on the QD): running means the lost
start is this run, RUNNING without a TaskID (the poller judges it by ``isrunning`` and the
rows); not running within :data:`RESEND_WINDOW_SECONDS` of the send means it never arrived
(MCE queues every start for seconds), and it is sent once more; later than that it may have
run and finished, so rows carrying the run's marker prove it did (RUNNING), and otherwise the
run FAILS with ``START_UNKNOWN`` rather than risk executing it twice. (Within the window,
rows already carrying the marker also count as started: a query that finished at once is not
started again.) Before any of that, the task MCE lists for the shell's query definition since
the send is looked for (services/runs/tasks.py): found, the start arrived (whatever came of it:
a query that already failed is neither running nor wrote rows, and must not be sent again),
and the run goes on with that task, so the poller judges it by its status; without it a
failed run and an empty result would look alike.

Idempotent: a second job for the same run finds it past QUEUED and does nothing, or resumes a
start as above.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import httpx
from redis.asyncio import Redis

from client.bridge import MceBridge
from client.endpoints import EndpointPolicy
from client.errors import MceError, MceValidationError, OutcomeUnknown
from client.tokens import TokenProvider
from models import TenantContext, TenantRepository
from models.runs import FINAL_RUN_STATUSES, RunStatus
from services.acting import BackgroundWork, NeedsSignIn, choose_actor
from services.mce_bridges import bridge_for_user
from services.runs.assets import adapt_shell, create_shell, ensure_folders, point_query
from services.runs.config import RunConfig, run_config
from services.runs.failures import failure_changes as run_failure_changes
from services.runs.pool import (
    AssetInfo,
    LeaseKind,
    ShellLease,
    asset_rows,
    lease_shell,
    mark_broken,
    release_shell,
)
from services.runs.shapes import ShellField, shell_fields
from services.runs.status import transition
from services.runs.store import RUN_COLUMNS, RunInfo
from services.runs.tasks import find_task
from tsql import Column, FieldType

__all__ = [
    "RESEND_WINDOW_SECONDS",
    "StartDeps",
    "failure_changes",
    "needed_fields",
    "start_run_job",
]

log = logging.getLogger("quarry.runs")

RESEND_WINDOW_SECONDS = 5.0


@dataclass(frozen=True)
class StartDeps:
    redis: Redis
    http: httpx.AsyncClient
    tokens: TokenProvider
    policy: EndpointPolicy
    config: RunConfig | None = None


_RUN_SQL = f"SELECT {RUN_COLUMNS} FROM runs WHERE id = $1"  # noqa: S608 - constants only
_PERFORM_SQL = (
    "UPDATE runs SET perform_sent_at = now(), updated_at = now()"
    " WHERE id = $1 AND status = 'STARTING' AND perform_sent_at IS NULL RETURNING id"
)


def failure_changes(code: str, message: str) -> dict[str, Any]:
    """The error columns of a failed start: MCE's message, the error catalogue's code, cause
    and fix when it knows the message, else ``code`` (services/runs/failures.py)."""
    return run_failure_changes(message, fallback=code)


async def _load(ctx: TenantContext, run_id: UUID) -> RunInfo | None:
    rows = await TenantRepository(ctx).fetch(_RUN_SQL, [run_id])
    return RunInfo.from_row(rows[0]) if rows else None


async def start_run_job(
    deps: StartDeps, *, tenant_id: int, mid: int, run_id: UUID
) -> dict[str, Any]:
    """Start the run (see the module doc); returns what happened, for the job's result."""
    ctx = TenantContext(tenant_id=tenant_id, mid=mid)
    run = await _load(ctx, run_id)
    if run is None:
        return {"outcome": "missing"}
    if run.status in FINAL_RUN_STATUSES or run.status is RunStatus.RUNNING:
        return {"outcome": "already", "status": run.status.value}
    if run.status is RunStatus.QUEUED:
        moved = await transition(
            ctx, run.id, to=RunStatus.STARTING, redis=deps.redis,
            expected=(RunStatus.QUEUED,), changes={"attempts": run.attempts + 1},
        )  # fmt: skip
        if moved is None:
            return {"outcome": "raced"}
        run = moved
    try:
        bridge = await _bridge(ctx, deps, run)
    except NeedsSignIn as exc:
        await _fail(ctx, deps, run, "NEEDS_SIGN_IN", exc.message)
        return {"outcome": "failed", "code": "NEEDS_SIGN_IN"}
    if run.perform_sent_at is not None:
        return await _confirm(ctx, deps, bridge, run)
    return await _start(ctx, deps, bridge, run)


async def _bridge(ctx: TenantContext, deps: StartDeps, run: RunInfo) -> MceBridge:
    await choose_actor(ctx, mid=run.mid, kind=BackgroundWork.RUN, preferred_user_id=run.user_id)
    return await bridge_for_user(
        ctx, user_id=run.user_id, mid=run.mid, http=deps.http, tokens=deps.tokens,
        policy=deps.policy,
    )  # fmt: skip


def needed_fields(run: RunInfo) -> tuple[ShellField, ...]:
    """The shell fields the run writes: its columns, the marker and the row number."""
    columns = [
        Column(
            name=column.name,
            field_type=FieldType(column.field_type),
            max_length=column.length,
            precision=column.precision,
            scale=column.scale,
        )
        for column in run.columns
    ]
    columns.append(
        Column(run.marker_column, FieldType.TEXT, max_length=len(run.marker), nullable=False)
    )
    if run.order_column:
        columns.append(Column(run.order_column, FieldType.NUMBER, nullable=False))
    return shell_fields(columns)


async def _start(
    ctx: TenantContext, deps: StartDeps, bridge: MceBridge, run: RunInfo
) -> dict[str, Any]:
    config = deps.config or run_config()
    lease: ShellLease | None = None
    try:
        folders = await ensure_folders(ctx, bridge, user_id=run.user_id)
        lease = await lease_shell(ctx, run, needed=needed_fields(run), config=config)
        if lease.kind is LeaseKind.CREATE:
            await create_shell(
                ctx, bridge, de=lease.de, qd=lease.qd, folders=folders, query_text=run.run_sql
            )
        else:
            if lease.kind is LeaseKind.ADAPT:
                await adapt_shell(ctx, bridge, de=lease.de, add=lease.add_fields)
            await point_query(bridge, qd=lease.qd, query_text=run.run_sql)
    except MceError as exc:
        refused = isinstance(exc, MceValidationError)
        await _after_failed_setup(ctx, run, lease, refused=refused)
        code = "MCE_REFUSED" if refused else "MCE_UNAVAILABLE"
        await _fail(ctx, deps, run, code, str(exc))
        return {"outcome": "failed", "code": code}
    qd_object = await _qd_object_id(ctx, lease)
    if not await TenantRepository(ctx).fetch(_PERFORM_SQL, [run.id]):
        await release_shell(ctx, run.id)  # canceled while the shell was prepared
        return {"outcome": "canceled"}
    try:
        task_id = await bridge.soap.start_query(qd_object)
    except OutcomeUnknown:
        fresh = await _load(ctx, run.id)
        return await _confirm(ctx, deps, bridge, fresh or run)
    except MceError as exc:  # answered: MCE did not start it
        await release_shell(ctx, run.id)
        code = "MCE_REFUSED" if isinstance(exc, MceValidationError) else "MCE_UNAVAILABLE"
        await _fail(ctx, deps, run, code, str(exc))
        return {"outcome": "failed", "code": code}
    return await _running(ctx, deps, run, task_id=task_id)


async def _qd_object_id(ctx: TenantContext, lease: ShellLease) -> str:
    [qd] = await asset_rows(TenantRepository(ctx), "id = $1", [lease.qd.id])
    if not qd.object_id:
        raise RuntimeError("the shell query has no ObjectID after its creation")
    return qd.object_id


async def _after_failed_setup(
    ctx: TenantContext, run: RunInfo, lease: ShellLease | None, *, refused: bool
) -> None:
    """A pair being created, or being adapted when MCE refused the change, may be half made:
    BROKEN, for the recycler to delete. A pooled pair only re-pointed is intact: free again
    (MCE refused the run's SQL, or could not be reached)."""
    if lease is None:
        return
    if lease.kind is LeaseKind.CREATE or (lease.kind is LeaseKind.ADAPT and refused):
        await mark_broken(ctx, [lease.de.id, lease.qd.id], note="not completed for a run")
    else:
        await release_shell(ctx, run.id)


async def _running(
    ctx: TenantContext, deps: StartDeps, run: RunInfo, *, task_id: str | None
) -> dict[str, Any]:
    moved = await transition(
        ctx, run.id, to=RunStatus.RUNNING, redis=deps.redis, expected=(RunStatus.STARTING,),
        changes={"task_id": task_id, "started_at": datetime.now(UTC)},
    )  # fmt: skip
    if moved is None:  # canceled while Perform was on its way: the shell drains
        return {"outcome": "canceled"}
    return {"outcome": "running", "task": task_id is not None}


async def _confirm(
    ctx: TenantContext, deps: StartDeps, bridge: MceBridge, run: RunInfo
) -> dict[str, Any]:
    """A start sent whose outcome is unknown (see the module doc)."""
    rows = await asset_rows(TenantRepository(ctx), "lease_run_id = $1 AND kind = 'QD'", [run.id])
    qd = rows[0] if rows else None
    query_id = qd.object_id if qd is not None else None
    if qd is None or not query_id:
        await _fail(ctx, deps, run, "START_UNKNOWN", _UNKNOWN)
        return {"outcome": "failed", "code": "START_UNKNOWN"}
    sent = run.perform_sent_at or datetime.now(UTC)
    task_id = await _lost_task(ctx, bridge, run, qd)
    if task_id is not None:  # MCE lists the run: it got the start, whatever came of it
        return await _running(ctx, deps, run, task_id=task_id)
    started = await bridge.queries.is_running(query_id)
    if not started:
        recent = (datetime.now(UTC) - sent).total_seconds() <= RESEND_WINDOW_SECONDS
        if recent and not await _wrote_rows(bridge, run):
            confirmed = await bridge.queries.confirm_started(query_id)
            log.info("run %s: start confirmed (recovered=%s)", run.id, confirmed.recovered)
            started = True
        else:
            started = await _wrote_rows(bridge, run)
    if started:
        task_id = await _lost_task(ctx, bridge, run, qd)
        return await _running(ctx, deps, run, task_id=task_id)
    await release_shell(ctx, run.id)
    await _fail(ctx, deps, run, "START_UNKNOWN", _UNKNOWN)
    return {"outcome": "failed", "code": "START_UNKNOWN"}


_UNKNOWN = (
    "Quarry lost track of whether Marketing Cloud started this run and will not start it a"
    " second time blindly. Run it again."
)


async def _lost_task(
    ctx: TenantContext, bridge: MceBridge, run: RunInfo, qd: AssetInfo
) -> str | None:
    """The task of a start whose answer was lost, as MCE lists it for the run's shell QD
    (services/runs/tasks.py); None when MCE does not show it yet (the poller looks again)."""
    found = await find_task(ctx, bridge, run_id=run.id, qd_object_id=qd.object_id or "")
    return found.task_id if found is not None else None


async def _wrote_rows(bridge: MceBridge, run: RunInfo) -> bool:
    """Whether the run's shell DE holds rows carrying its marker (it ran)."""
    des = await asset_rows(
        TenantRepository(TenantContext(tenant_id=run.tenant_id, mid=run.mid)),
        "lease_run_id = $1 AND kind = 'DE'",
        [run.id],
    )
    if not des:
        return False
    reader = bridge.rowsets(
        des[0].customer_key, [], page_size=1, filter=f"{run.marker_column} eq '{run.marker}'"
    )
    try:
        page = await reader.page(1)
    except MceError:
        return False
    return bool(page.rows)


async def _fail(ctx: TenantContext, deps: StartDeps, run: RunInfo, code: str, message: str) -> None:
    await transition(
        ctx, run.id, to=RunStatus.FAILED, redis=deps.redis,
        expected=(RunStatus.QUEUED, RunStatus.STARTING),
        changes=failure_changes(code, message) | {"detected_at": datetime.now(UTC)},
    )  # fmt: skip
