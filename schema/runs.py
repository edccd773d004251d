"""Runs in GraphQL: the ``Run`` type, ``run(id)``, ``runs(first, after)``, ``startRun`` and
``cancelRun`` (docs/api.md, "Runs").

A run is its user's alone, in the BU it was started in: another user's, BU's or tenant's
run id reads as null (``run``, ``node``) and is NOT_FOUND in a mutation, exactly like an id
that never existed. ``startRun`` answers the SQL's findings with their positions in its own
``findings`` field (a ``UserError`` has none); findings that block the run are also
``userErrors`` (code ``INVALID_SQL``). Sessions and API tokens use the same operations.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any
from uuid import UUID

import strawberry
from strawberry.relay import PageInfo
from strawberry.types import Info

from models.runs import RunStatus as DomainStatus
from resolvers import runs as use
from schema.connections import page_info
from schema.context import GraphQLContext
from schema.errors import UserError, user_errors_from
from schema.global_ids import encode_global_id
from schema.node import Node
from schema.run_results import RunResultPage, resolve_run_page
from schema.snippets import SNIPPET_TYPE, local_id, optional_local_id
from schema.sql import SqlFieldType, SqlFinding
from services.errors import InvalidInput, NotFound, QuarryError
from services.runs.start import RunLimitReached
from services.runs.store import RunInfo
from services.snippets.types import Page

__all__ = ["RUN_TYPE", "Run", "RunMutation", "RunQuery", "run_from_domain"]

RUN_TYPE = "Run"


@strawberry.enum(description="Where a run is.")
class RunStatus(Enum):
    QUEUED = DomainStatus.QUEUED.value
    STARTING = DomainStatus.STARTING.value
    RUNNING = DomainStatus.RUNNING.value
    COMPLETE = DomainStatus.COMPLETE.value
    FAILED = DomainStatus.FAILED.value
    CANCELED = DomainStatus.CANCELED.value
    EXPIRED = DomainStatus.EXPIRED.value


@strawberry.type(description="One column of a run's result, in output order.")
class RunColumn:
    name: str
    field_type: SqlFieldType
    length: int | None = strawberry.field(description="Text-like types; null: MCE's default.")
    precision: int | None
    scale: int | None
    nullable: bool


@strawberry.type(description="Why a run failed: MCE's message and what it means.")
class RunError:
    code: str = strawberry.field(description="The error catalogue's code, else Quarry's.")
    message: str = strawberry.field(description="MCE's own message (or Quarry's).")
    cause: str | None = strawberry.field(description="What the message means, when known.")
    fix: str | None = strawberry.field(description="What to change, when known.")


def _fields(column: Any) -> SqlFieldType:
    try:
        return SqlFieldType(column.field_type)
    except ValueError:
        return SqlFieldType.TEXT


@strawberry.type(description="Your SQL executed in MCE, in the BU you started it in.")
class Run(Node):
    status: RunStatus
    sql: str = strawberry.field(description="The SQL as you wrote it.")
    snippet_id: strawberry.ID | None = strawberry.field(
        description="The snippet it was started from, if any."
    )
    started_with_api_token: bool
    queued_at: datetime
    started_at: datetime | None = strawberry.field(description="When MCE accepted the start.")
    completed_at: datetime | None = strawberry.field(description="When MCE finished it.")
    detected_at: datetime | None = strawberry.field(description="When Quarry saw it finish.")
    finished_at: datetime | None
    expires_at: datetime | None = strawberry.field(
        description="Its rows can be read until then; afterwards the run is EXPIRED."
    )
    columns: list[RunColumn]
    row_count: int | None
    error: RunError | None
    run_id: strawberry.Private[str]

    @strawberry.field(
        description="Rows `offset` to `offset + limit` of the result (random access; one JSON"
        " value per page). EXPIRED once the results are no longer kept, RUN_NOT_COMPLETE"
        " before the run is COMPLETE."
    )
    async def page(
        self, info: Info[GraphQLContext, None], offset: int = 0, limit: int = 500
    ) -> RunResultPage:
        return await resolve_run_page(info, run_id=UUID(self.run_id), offset=offset, limit=limit)


def run_from_domain(run: RunInfo) -> Run:
    return Run(
        id=strawberry.ID(encode_global_id(RUN_TYPE, str(run.id))),
        status=RunStatus(run.status.value),
        sql=run.sql,
        snippet_id=None
        if run.snippet_id is None
        else strawberry.ID(encode_global_id(SNIPPET_TYPE, str(run.snippet_id))),
        started_with_api_token=run.api_token_id is not None,
        queued_at=run.queued_at,
        started_at=run.started_at,
        completed_at=run.mce_completed_at,
        detected_at=run.detected_at,
        finished_at=run.finished_at,
        expires_at=run.expires_at,
        columns=[
            RunColumn(
                name=c.name,
                field_type=_fields(c),
                length=c.length,
                precision=c.precision,
                scale=c.scale,
                nullable=c.nullable,
            )
            for c in run.columns
        ],
        row_count=run.row_count,
        error=None
        if run.error is None
        else RunError(
            code=run.error.code, message=run.error.message, cause=run.error.cause, fix=run.error.fix
        ),
        run_id=str(run.id),
    )


@strawberry.type
class RunEdge:
    cursor: str
    node: Run


@strawberry.type
class RunConnection:
    edges: list[RunEdge]
    page_info: PageInfo


def _connection(page: Page[RunInfo], after: str | None) -> RunConnection:
    return RunConnection(
        edges=[RunEdge(cursor=e.cursor, node=run_from_domain(e.node)) for e in page.edges],
        page_info=page_info(
            [e.cursor for e in page.edges],
            has_next_page=page.has_next_page,
            after=after,
        ),
    )


@strawberry.type
class RunQuery:
    @strawberry.field(description="One of your runs in this BU; null for any other id.")
    async def run(self, info: Info[GraphQLContext, None], id: strawberry.ID) -> Run | None:
        found = await use.get_run(info.context.authentication, run_id=local_id(id, RUN_TYPE))
        return None if found is None else run_from_domain(found)

    @strawberry.field(description="Your runs in this BU, newest first.")
    async def runs(
        self, info: Info[GraphQLContext, None], first: int = 20, after: str | None = None
    ) -> RunConnection:
        page = await use.list_runs(info.context.authentication, first=first, after=after)
        return _connection(page, after)


@strawberry.input
class StartRunInput:
    sql: str | None = strawberry.field(
        default=None, description="The SQL to run (one SELECT); omitted: the snippet's SQL."
    )
    snippet_id: strawberry.ID | None = strawberry.field(
        default=None, description="The snippet this run comes from (names its export)."
    )


@strawberry.type
class StartRunPayload:
    run: Run | None = strawberry.field(
        default=None, description="The run: new, or the one already running the same SQL."
    )
    joined: bool = strawberry.field(
        default=False, description="True when the same SQL was already running: that run."
    )
    findings: list[SqlFinding] = strawberry.field(
        default_factory=list, description="Everything tsql found in the SQL, with positions."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class CancelRunInput:
    id: strawberry.ID


@strawberry.type
class CancelRunPayload:
    run: Run | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


def _user_error(exc: QuarryError) -> UserError:
    return user_errors_from(exc)[0]


@strawberry.type
class RunMutation:
    @strawberry.mutation(
        description="Run SQL in your BU: checked first (findings in the payload), then queued;"
        " follow it with `run(id)` or `runEvents`. RUN_LIMIT when too many are in progress."
    )
    async def start_run(
        self, info: Info[GraphQLContext, None], input: StartRunInput
    ) -> StartRunPayload:
        jobs = info.context.jobs
        if jobs is None:
            raise QuarryError("Runs cannot be queued from this process.")
        try:
            outcome = await use.start_run(
                info.context.authentication,
                sql=input.sql,
                snippet_id=optional_local_id(input.snippet_id, SNIPPET_TYPE),
                jobs=jobs,
                redis=info.context.redis,
                meta=info.context.meta,
            )
        except (InvalidInput, NotFound, RunLimitReached) as exc:
            return StartRunPayload(user_errors=[_user_error(exc)])
        findings = [SqlFinding.from_domain(f) for f in outcome.findings]
        errors = [
            UserError(code="INVALID_SQL", message=f.message, field="sql") for f in outcome.blocking
        ]
        return StartRunPayload(
            run=None if outcome.run is None else run_from_domain(outcome.run),
            joined=outcome.joined,
            findings=findings,
            user_errors=errors,
        )

    @strawberry.mutation(
        description="Cancel your run: CANCELED at once. A finished run is answered as it is."
    )
    async def cancel_run(
        self, info: Info[GraphQLContext, None], input: CancelRunInput
    ) -> CancelRunPayload:
        try:
            run = await use.cancel_run(
                info.context.authentication,
                run_id=local_id(input.id, RUN_TYPE),
                redis=info.context.redis,
            )
        except NotFound as exc:
            return CancelRunPayload(user_errors=[_user_error(exc)])
        return CancelRunPayload(run=run_from_domain(run))
