"""Starting, reading, listing and cancelling a user's runs (the API side of the engine).

:func:`start_run` checks the SQL with tsql for ``RUN`` against the BU's metadata cache,
rewrites it into the run form (a marker on every row, the ORDER BY kept as a row number),
records the run QUEUED and enqueues its start job with ids only (jobs/runs.py); MCE is
called by that job, never here. The same SQL already active for the same user in the same
BU is joined instead (``joined``), so a double click or a retrying integration runs it once.
Active runs are limited per user and per BU (services/runs/config.py): over either limit is
the user error ``RUN_LIMIT``. The duplicate check, the limits and the insert hold a per-BU
advisory lock, so two concurrent starts cannot both pass the last free place.

Runs are their user's alone: every read names the owner, and an id of another user's run,
or of a run in another BU or tenant, is NOT_FOUND exactly like an id that never existed.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import json
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from redis.asyncio import Redis

from models import ActorType, Outcome, TenantContext, TenantRepository
from models.runs import ACTIVE_RUN_STATUSES, RunStatus
from services import audit
from services.audit import NO_REQUEST, RequestMeta
from services.errors import InvalidInput, QuarryError
from services.job_queue import JobQueue
from services.runs import events
from services.runs.config import RunConfig, run_config
from services.runs.pool import drain_after_cancel
from services.runs.shapes import shape_key, shell_fields
from services.runs.status import event_for, transition
from services.runs.store import RUN_COLUMNS, RunInfo, columns_json, owned_run
from services.snippets import get_snippet
from services.snippets.types import Edge, Page, cursor_uuid, decode_cursor, encode_cursor
from services.sql_offload import RelayedCatalog, in_tsql_thread, run_coroutine
from services.sql_toolkit import THREAD_SQL_CHARS, MetadataCatalog, analyse_sql
from tsql import Catalog, Finding, Purpose, RunRewrite, Severity, prepare_run

__all__ = [
    "START_JOB",
    "START_TIMEOUT_SECONDS",
    "RunLimitReached",
    "StartOutcome",
    "cancel_run",
    "get_run",
    "list_runs",
    "start_job_key",
    "start_run",
]

START_JOB = "jobs.runs.start_run"
START_TIMEOUT_SECONDS = 120
MAX_PAGE = 100


class RunLimitReached(QuarryError):
    code = "RUN_LIMIT"


@dataclass(frozen=True)
class StartOutcome:
    """What a start did: the run (new or joined), or None when the SQL cannot run (then
    ``findings`` holds at least one ERROR). ``findings`` always lists everything tsql found,
    warnings included, with positions."""

    run: RunInfo | None
    findings: tuple[Finding, ...]
    joined: bool = False

    @property
    def blocking(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity is Severity.ERROR)


def _actor(user_id: UUID, api_token_id: UUID | None) -> audit.Actor:
    """Who started a run: the API token when one was used, else the user's session."""
    if api_token_id is not None:
        return audit.Actor(ActorType.API_TOKEN, str(api_token_id))
    return audit.Actor(ActorType.USER, str(user_id))


def start_job_key(run_id: UUID) -> str:
    return f"run-start:{run_id}"


def sql_hash(sql: str) -> str:
    return hashlib.sha256(sql.encode()).hexdigest()


_LOCK_SQL = "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))"
_DUPLICATE_SQL = (
    f"SELECT {RUN_COLUMNS} FROM runs"  # noqa: S608 - constants only
    " WHERE tenant_id = $6 AND mid = $7"
    " AND user_id = $1 AND sql_hash = $2 AND sql_text = $3 AND status = ANY($4::text[])"
    " AND created_at > now() - make_interval(secs => $5)"
    " ORDER BY created_at DESC LIMIT 1"
)
_ACTIVE_SQL = (
    "SELECT count(*) FILTER (WHERE user_id = $1) AS mine, count(*) AS all_users"
    " FROM runs WHERE tenant_id = $3 AND mid = $4 AND status = ANY($2::text[])"
)
_INSERT_SQL = (
    "INSERT INTO runs (id, tenant_id, mid, is_shared, user_id, snippet_id, api_token_id,"  # noqa: S608 - constants only
    " sql_text, sql_hash, run_sql, status, columns, shape, marker, marker_column, order_column,"
    " attempts, created_at, updated_at)"
    " VALUES ($1, $2, $3, false, $4, $5, $6, $7, $8, $9, 'QUEUED', $10::jsonb, $11, $12, $13,"
    " $14, 0, now(), now())"
    f" RETURNING {RUN_COLUMNS}"
)
_ACTIVE = [status.value for status in ACTIVE_RUN_STATUSES]


async def start_run(
    ctx: TenantContext,
    *,
    user_id: UUID,
    sql: str | None,
    snippet_id: UUID | None = None,
    api_token_id: UUID | None = None,
    jobs: JobQueue,
    redis: Redis | None,
    config: RunConfig | None = None,
    meta: RequestMeta = NO_REQUEST,
) -> StartOutcome:
    """Check, record and queue a run of ``sql`` (or of the snippet's SQL when ``sql`` is
    None) in ``ctx``'s BU for ``user_id``. A new run is audited (``run.started``, with the
    record, by the user or API token, from ``meta``): who, the BU, the run and the SQL's
    hash, never the SQL itself or anything it reads.

    Raises InvalidInput (no SQL), NotFound (``snippetId``), RunLimitReached.
    """
    config = config or run_config()
    if ctx.mid is None:
        raise InvalidInput("A run needs a business unit.")
    if snippet_id is not None:
        snippet = await get_snippet(ctx, owner_id=user_id, snippet_id=snippet_id)
        if sql is None:
            sql = snippet.sql
    if sql is None or not sql.strip():
        raise InvalidInput("Write the SQL to run.", field="sql")
    catalog = MetadataCatalog(ctx)
    analysis = await analyse_sql(ctx, sql=sql, purpose=Purpose.RUN, catalog=catalog)
    if not analysis.valid:
        return StartOutcome(run=None, findings=analysis.findings)
    marker = uuid4().hex
    rewrite = await _rewrite(ctx, sql, catalog=catalog, marker=marker)
    findings = _merged(analysis.findings, rewrite.findings)
    if rewrite.sql is None or any(f.severity is Severity.ERROR for f in rewrite.findings):
        return StartOutcome(run=None, findings=findings)
    helpers = {rewrite.marker_column.casefold()} | (
        {rewrite.order_column.casefold()} if rewrite.order_column else set()
    )
    user_columns = [c for c in rewrite.columns if c.name.casefold() not in helpers]
    repo = TenantRepository(ctx)
    digest = sql_hash(sql)
    async with repo.transaction():
        await repo.fetch(_LOCK_SQL, [f"runs:{ctx.tenant_id}:{ctx.mid}"])
        duplicate = await repo.fetch(
            _DUPLICATE_SQL,
            [user_id, digest, sql, _ACTIVE, config.dedup_window_seconds, ctx.tenant_id, ctx.mid],
        )
        if duplicate:
            return StartOutcome(run=RunInfo.from_row(duplicate[0]), findings=findings, joined=True)
        [counts] = await repo.fetch(_ACTIVE_SQL, [user_id, _ACTIVE, ctx.tenant_id, ctx.mid])
        if int(counts["mine"]) >= config.max_active_per_user:
            raise RunLimitReached(
                f"You have {config.max_active_per_user} runs in progress in this business unit;"
                " wait for one to finish or cancel one."
            )
        if int(counts["all_users"]) >= config.max_active_per_bu:
            raise RunLimitReached(
                f"This business unit has {config.max_active_per_bu} runs in progress; try"
                " again in a moment."
            )
        [row] = await repo.fetch(
            _INSERT_SQL,
            [
                uuid4(),
                ctx.tenant_id,
                ctx.mid,
                user_id,
                snippet_id,
                api_token_id,
                sql,
                digest,
                rewrite.sql,
                _json(columns_json(user_columns)),
                shape_key(shell_fields(rewrite.columns)),
                marker,
                rewrite.marker_column,
                rewrite.order_column,
            ],
        )
        run = RunInfo.from_row(row)
        await audit.record(
            ctx,
            action="run.started",
            outcome=Outcome.SUCCESS,
            actor=_actor(user_id, api_token_id),
            meta=meta,
            mid=ctx.mid,
            target=f"run:{run.id}",
            details={
                "user_id": str(user_id),
                "sql_hash": digest,
                "snippet_id": None if snippet_id is None else str(snippet_id),
                "api_token_id": None if api_token_id is None else str(api_token_id),
            },
        )
    await _enqueue(ctx, run, jobs=jobs, redis=redis)
    return StartOutcome(run=run, findings=findings)


async def _rewrite(ctx: TenantContext, sql: str, *, catalog: Catalog, marker: str) -> RunRewrite:
    """tsql's run form of ``sql``: inline for short texts, in the tsql thread for long ones
    (as the SQL toolkit does: a long text never stalls the event loop)."""
    if len(sql) <= THREAD_SQL_CHARS:
        return await prepare_run(sql, catalog=catalog, marker=marker)
    relayed = RelayedCatalog(catalog, asyncio.get_running_loop())

    def rewrite(catalog: Catalog) -> Coroutine[Any, Any, RunRewrite]:
        return prepare_run(sql, catalog=catalog, marker=marker)

    owner = (ctx.tenant_id, ctx.user_id)
    return await in_tsql_thread(owner, functools.partial(run_coroutine, rewrite, relayed))


def _json(value: object) -> str:
    return json.dumps(value)


def _merged(first: Sequence[Finding], second: Sequence[Finding]) -> tuple[Finding, ...]:
    """Both lists without repeats (validation and the rewrite both report parse problems)."""
    seen: set[tuple[str, int | None]] = set()
    merged: list[Finding] = []
    for finding in (*first, *second):
        key = (finding.code, finding.span.start if finding.span else None)
        if key not in seen:
            seen.add(key)
            merged.append(finding)
    return tuple(merged)


async def _enqueue(
    ctx: TenantContext, run: RunInfo, *, jobs: JobQueue, redis: Redis | None
) -> None:
    """Queue the start job; when the queue cannot take it the run fails at once (a QUEUED run
    with no job would wait for the reconciler)."""
    if redis is not None:
        # The run is recorded: a lost QUEUED event only delays followers (run(id) answers).
        with contextlib.suppress(Exception):
            await events.publish(redis, run.id, event_for(run))
    try:
        await jobs.enqueue(
            START_JOB,
            run.tenant_id,
            run.mid,
            run.id,
            queue="high",
            idempotency_key=start_job_key(run.id),
            timeout_seconds=START_TIMEOUT_SECONDS,
        )
    except Exception:
        await transition(
            ctx,
            run.id,
            to=RunStatus.FAILED,
            redis=redis,
            expected=(RunStatus.QUEUED,),
            changes={
                "error_code": "QUEUE_UNAVAILABLE",
                "error_message": "Quarry could not queue the run; run it again.",
            },
        )
        raise


async def get_run(ctx: TenantContext, *, user_id: UUID, run_id: UUID) -> RunInfo:
    """The user's run in ``ctx``'s BU; NotFound otherwise."""
    return await owned_run(TenantRepository(ctx), run_id=run_id, user_id=user_id)


_LIST_SQL = (
    f"SELECT {RUN_COLUMNS} FROM runs"  # noqa: S608 - constants only
    " WHERE user_id = $1 AND tenant_id = $5 AND mid = $6"
    " AND ($2::timestamptz IS NULL OR (created_at, id) < ($2::timestamptz, $3::uuid))"
    " ORDER BY created_at DESC, id DESC LIMIT $4"
)


async def list_runs(
    ctx: TenantContext, *, user_id: UUID, first: int, after: str | None
) -> Page[RunInfo]:
    """The user's runs in ``ctx``'s BU, newest first."""
    if not 1 <= first <= MAX_PAGE:
        raise InvalidInput(f"'first' must be between 1 and {MAX_PAGE}.", field="first")
    since: datetime | None = None
    last_id: UUID | None = None
    if after is not None:
        stamp, raw_id = decode_cursor(after, shape=(str, str))
        try:
            since = datetime.fromisoformat(stamp)
        except ValueError:
            raise InvalidInput("Not a cursor from this list.", field="after") from None
        if since.tzinfo is None:
            raise InvalidInput("Not a cursor from this list.", field="after")
        last_id = cursor_uuid(raw_id)
    rows = await TenantRepository(ctx).fetch(
        _LIST_SQL, [user_id, since, last_id, first + 1, ctx.tenant_id, ctx.mid]
    )
    runs = [RunInfo.from_row(row) for row in rows[:first]]
    return Page(
        edges=[
            Edge(cursor=encode_cursor(run.queued_at.isoformat(), str(run.id)), node=run)
            for run in runs
        ],
        has_next_page=len(rows) > first,
    )


async def cancel_run(
    ctx: TenantContext, *, user_id: UUID, run_id: UUID, redis: Redis | None
) -> RunInfo:
    """Cancel the user's run: CANCELED at once, polling stops. A run that already finished
    is answered as it is. Its shell returns to the pool only when MCE is done with it (a
    RUNNING run's shell drains: services/runs/pool.py)."""
    repo = TenantRepository(ctx)
    run = await owned_run(repo, run_id=run_id, user_id=user_id)
    if run.status not in ACTIVE_RUN_STATUSES:
        return run
    canceled = await transition(
        ctx, run.id, to=RunStatus.CANCELED, redis=redis, expected=ACTIVE_RUN_STATUSES
    )
    if canceled is None:  # it finished meanwhile
        return await owned_run(repo, run_id=run_id, user_id=user_id)
    await drain_after_cancel(ctx, canceled)
    return canceled
