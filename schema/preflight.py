"""Pre-flight checks in GraphQL: ``checkQueryTarget`` (read-only), ``probeQueryTarget`` (a
mutation: it runs SQL in MCE) and the probe a run event carries (``RunEvent.probe``).

Findings carry a stable ``code`` (docs/deploy.md, "Pre-flight checks"), a severity, the
column they concern and their place in the SQL. Expected failures are ``userErrors``: an
unknown target (or one of another BU or tenant), a BU the viewer is not a member of, SQL MCE
would refuse (``INVALID_SQL``, one per blocking finding, with the report still given so the
findings' positions can be shown).
"""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import strawberry
from strawberry.types import Info

from resolvers import preflight as use
from resolvers.preflight import BusinessUnitNotCurrent
from schema.context import GraphQLContext
from schema.errors import UserError, user_errors_from
from schema.run_results import run_uuid
from schema.runs import Run, run_from_domain
from schema.sql import SqlOutputColumn, SqlRange, SqlSeverity
from services.errors import InvalidInput, NotFound, RateLimited
from services.metadata.preview import MceCallFailed
from services.preflight.codes import PREFLIGHT_CODES
from services.preflight.probe import ProbeNotRunnable
from services.preflight.probe_report import ProbeState, ProbeStatus
from services.preflight.probe_sql import MeasureKind
from services.preflight.report import (
    PreflightFinding as DomainFinding,
)
from services.preflight.report import (
    PreflightReport as DomainReport,
)
from services.preflight.report import (
    TargetUsage as DomainUsage,
)
from services.preflight.report import (
    UpdateType as DomainUpdateType,
)
from services.runs.start import RunLimitReached

__all__ = [
    "PreflightMutation",
    "PreflightQuery",
    "QueryTargetProbe",
    "UpdateType",
    "resolve_run_probe",
]


@strawberry.enum(description="How a query activity writes into its target data extension.")
class UpdateType(Enum):
    OVERWRITE = strawberry.enum_value(
        DomainUpdateType.OVERWRITE.value, description="The target is emptied, then filled."
    )
    APPEND = strawberry.enum_value(
        DomainUpdateType.APPEND.value,
        description="Rows are added; a primary key already present fails the activity.",
    )
    UPDATE = strawberry.enum_value(
        DomainUpdateType.UPDATE.value,
        description="Rows are upserted by primary key (the target needs one).",
    )

    def to_domain(self) -> DomainUpdateType:
        return DomainUpdateType[self.name]


@strawberry.type(description="Something a pre-flight check found.")
class PreflightFinding:
    code: str = strawberry.field(description="Stable machine-readable code (docs/deploy.md).")
    severity: SqlSeverity = strawberry.field(
        description="ERROR blocks a deploy; a WARNING must be acknowledged."
    )
    message: str = strawberry.field(description="What is wrong, in plain words; safe to show.")
    column: str | None = strawberry.field(
        description="The output column or target field it concerns; null for the whole query."
    )
    range: SqlRange | None = strawberry.field(
        description="Where in the SQL (0-based offsets, 1-based line and column); null when it"
        " concerns the whole text."
    )
    suggestion: str | None = strawberry.field(description="What to change.")
    mce_message: str | None = strawberry.field(
        description="Marketing Cloud's own error message for it, when known."
    )

    @classmethod
    def from_domain(cls, finding: DomainFinding) -> PreflightFinding:
        return cls(
            code=finding.code,
            severity=SqlSeverity(finding.severity.value),
            message=finding.message,
            column=finding.column,
            range=None if finding.span is None else SqlRange.from_domain(finding.span),
            suggestion=finding.suggestion,
            mce_message=finding.mce_message,
        )


@strawberry.type(description="A field of the target data extension.")
class PreflightTargetField:
    name: str
    field_type: str = strawberry.field(description="MCE's field type, as MCE spells it.")
    max_length: int | None
    precision: int | None
    scale: int | None
    is_primary_key: bool
    is_required: bool
    default_value: str | None


@strawberry.type(description="The target data extension, as the checked business unit sees it.")
class PreflightTarget:
    customer_key: str
    name: str
    sql_name: str = strawberry.field(
        description="Its name in SQL there: ENT.[Name] for a parent's shared data extension."
    )
    shared: bool
    fields: list[PreflightTargetField]


@strawberry.type(description="An automation running a query activity.")
class TargetAutomation:
    name: str
    status: str | None


@strawberry.type(description="A query activity that already writes into the target.")
class TargetUsage:
    activity_key: str
    activity_name: str
    update_type: str | None = strawberry.field(description="As Marketing Cloud reports it.")
    automations: list[TargetAutomation] = strawberry.field(
        description="The automations that run it (from the metadata cache)."
    )

    @classmethod
    def from_domain(cls, usage: DomainUsage) -> TargetUsage:
        return cls(
            activity_key=usage.activity_key,
            activity_name=usage.activity_name,
            update_type=usage.update_type,
            automations=[TargetAutomation(name=a.name, status=a.status) for a in usage.automations],
        )


@strawberry.type(description="The static pre-flight check of SQL writing into a target.")
class PreflightReport:
    mid: str = strawberry.field(description="The business unit it was checked in.")
    target: PreflightTarget
    update_type: UpdateType
    sql_valid: bool = strawberry.field(
        description="False when MCE would refuse the SQL itself (its findings say why)."
    )
    blocking: bool = strawberry.field(description="True when a finding is an ERROR.")
    needs_acknowledgement: bool = strawberry.field(
        description="True when a finding is a WARNING: a deploy needs your acknowledgement."
    )
    findings: list[PreflightFinding] = strawberry.field(
        description="Errors, then warnings, then notes; each in text order."
    )
    columns: list[SqlOutputColumn] = strawberry.field(
        description="The query's output columns as inferred (empty when unreadable)."
    )
    used_by: list[TargetUsage] = strawberry.field(
        description="This business unit's query activities already writing into the target."
    )

    @classmethod
    def from_domain(cls, report: DomainReport) -> PreflightReport:
        target = report.target
        return cls(
            mid=str(report.mid),
            target=PreflightTarget(
                customer_key=target.customer_key,
                name=target.name,
                sql_name=target.sql_name,
                shared=target.shared,
                fields=[
                    PreflightTargetField(
                        name=f.name,
                        field_type=f.field_type,
                        max_length=f.max_length,
                        precision=f.precision,
                        scale=f.scale,
                        is_primary_key=f.is_primary_key,
                        is_required=f.is_required,
                        default_value=f.default_value,
                    )
                    for f in target.fields
                ],
            ),
            update_type=UpdateType(report.update_type.value),
            sql_valid=report.sql_valid,
            blocking=report.blocking,
            needs_acknowledgement=report.needs_acknowledgement,
            findings=[PreflightFinding.from_domain(f) for f in report.findings],
            columns=[SqlOutputColumn.from_domain(c) for c in report.columns],
            used_by=[TargetUsage.from_domain(u) for u in report.usages],
        )


def _sql_errors(report: DomainReport) -> list[UserError]:
    if report.sql_valid:
        return []
    return [
        UserError(code="INVALID_SQL", message=f.message, field="sql")
        for f in report.errors
        if f.code not in PREFLIGHT_CODES  # tsql's findings about the SQL itself
    ]


@strawberry.type
class CheckQueryTargetPayload:
    report: PreflightReport | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.enum(description="Where a probe stands.")
class QueryTargetProbeStatus(Enum):
    RUNNING = strawberry.enum_value(
        ProbeStatus.RUNNING.value, description="Queued or running: nothing measured yet."
    )
    MEASURED = strawberry.enum_value(ProbeStatus.MEASURED.value, description="The report is in.")
    FAILED = strawberry.enum_value(
        ProbeStatus.FAILED.value, description="The probe's run failed or was canceled."
    )
    EXPIRED = strawberry.enum_value(
        ProbeStatus.EXPIRED.value,
        description="Its result was not read while it was kept: probe again.",
    )
    UNAVAILABLE = strawberry.enum_value(
        ProbeStatus.UNAVAILABLE.value,
        description="Marketing Cloud could not be read just now: ask again.",
    )


@strawberry.type(description="What a probe measured for one output column.")
class ProbeColumn:
    column: str = strawberry.field(description="The output column.")
    field: str = strawberry.field(description="The target field it feeds.")
    null_rows: int | None = strawberry.field(
        description="Rows with NULL (measured for required and key fields only)."
    )
    longest: int | None = strawberry.field(
        description="The longest value, in characters (text fields only)."
    )
    limit: int | None = strawberry.field(description="The characters the field holds.")
    too_long_rows: int | None = strawberry.field(description="Rows longer than the field.")


@strawberry.type(description="What a probe found on the real data.")
class ProbeReport:
    row_count: int = strawberry.field(description="Rows the query returns now.")
    will_fail: bool = strawberry.field(description="True when MCE would fail the activity.")
    findings: list[PreflightFinding] = strawberry.field(
        description="Each says on how many rows MCE would fail, with its column and place."
    )
    columns: list[ProbeColumn]
    duplicate_key_values: int | None = strawberry.field(
        description="Primary-key values found more than once (null: keys not all selected)."
    )
    duplicate_key_rows: int | None = strawberry.field(description="Rows carrying them.")
    keys_in_target: int | None = strawberry.field(
        description="Append only: rows whose key the target already holds."
    )


def _probe_report(state: ProbeState) -> ProbeReport | None:
    result = state.result
    if result is None:
        return None
    values = result.values
    columns: dict[str, ProbeColumn] = {}
    first: dict[MeasureKind, int | None] = {}
    for measure in state.record.measures:
        value = values.get(measure.name)
        if measure.column is None or measure.kind in (
            MeasureKind.ROWS,
            MeasureKind.DUPLICATE_KEYS,
            MeasureKind.DUPLICATE_ROWS,
            MeasureKind.KEYS_IN_TARGET,
        ):
            first.setdefault(measure.kind, value)
            continue
        column = columns.setdefault(
            measure.column,
            ProbeColumn(
                column=measure.column, field=measure.field or measure.column, null_rows=None,
                longest=None, limit=None, too_long_rows=None,
            ),
        )  # fmt: skip
        if measure.kind is MeasureKind.NULLS:
            column.null_rows = value
        elif measure.kind is MeasureKind.LONGEST:
            column.longest, column.limit = value, measure.limit
        elif measure.kind is MeasureKind.TOO_LONG:
            column.too_long_rows = value
    return ProbeReport(
        row_count=result.row_count,
        will_fail=any(f.severity.value == "ERROR" for f in result.findings),
        findings=[PreflightFinding.from_domain(f) for f in result.findings],
        columns=list(columns.values()),
        duplicate_key_values=first.get(MeasureKind.DUPLICATE_KEYS),
        duplicate_key_rows=first.get(MeasureKind.DUPLICATE_ROWS),
        keys_in_target=first.get(MeasureKind.KEYS_IN_TARGET),
    )


@strawberry.type(
    description="A pre-flight probe: a run that measures on the real data what the query"
    " would write into its target.",
)
class QueryTargetProbe:
    target_key: str
    target_name: str
    update_type: UpdateType
    status: QueryTargetProbeStatus
    message: str | None = strawberry.field(description="Why it failed or expired.")
    report: ProbeReport | None = strawberry.field(description="Set once MEASURED.")

    @classmethod
    def from_domain(cls, state: ProbeState) -> QueryTargetProbe:
        record = state.record
        return cls(
            target_key=record.target_key,
            target_name=record.target_name,
            update_type=UpdateType(record.update_type.value),
            status=QueryTargetProbeStatus(state.status.value),
            message=state.message,
            report=_probe_report(state),
        )


async def resolve_run_probe(
    info: Info[GraphQLContext, None], *, run_id: str, status: str
) -> QueryTargetProbe | None:
    """``RunEvent.probe``: the probe behind a run event, as of that event (null for a run
    that is not a probe)."""
    redis, access = info.context.redis, info.context.mce
    parsed = run_uuid(run_id)
    if redis is None or parsed is None:
        return None
    state = await use.run_probe(
        info.context.authentication, run_id=parsed, status=status, redis=redis, access=access
    )
    return None if state is None else QueryTargetProbe.from_domain(state)


_SQL = strawberry.argument(description="The query activity's SQL.")
_TARGET = strawberry.argument(description="The target data extension's customer key.")
_MID = strawberry.argument(
    description="A business unit you are a member of; default: the one you work in."
)
_EXPECTED = (InvalidInput, NotFound, RateLimited)


@strawberry.type
class PreflightQuery:
    @strawberry.field(
        description="What Marketing Cloud would refuse or fail on when this SQL runs as a"
        " query activity writing into the target, found from the metadata cache (no call to"
        " Marketing Cloud): findings with their column and place in the SQL."
    )
    async def check_query_target(
        self,
        info: Info[GraphQLContext, None],
        sql: Annotated[str, _SQL],
        target_key: Annotated[str, _TARGET],
        update_type: UpdateType,
        mid: Annotated[str | None, _MID] = None,
    ) -> CheckQueryTargetPayload:
        try:
            report = await use.check_query_target(
                info.context.authentication, sql=sql, target_key=target_key,
                update_type=update_type.to_domain(), mid=mid,
            )  # fmt: skip
        except _EXPECTED as exc:
            return CheckQueryTargetPayload(user_errors=user_errors_from(exc))
        return CheckQueryTargetPayload(
            report=PreflightReport.from_domain(report), user_errors=_sql_errors(report)
        )


@strawberry.input
class ProbeQueryTargetInput:
    sql: str = strawberry.field(description="The query activity's SQL.")
    target_key: str = strawberry.field(description="The target's customer key.")
    update_type: UpdateType
    mid: str | None = strawberry.field(
        default=None, description="Your current business unit (a probe runs only there)."
    )


@strawberry.type
class ProbeQueryTargetPayload:
    run: Run | None = strawberry.field(
        default=None, description="The probe's run: follow it with runEvents (its `probe`)."
    )
    probe: QueryTargetProbe | None = None
    joined: bool = strawberry.field(
        default=False, description="True when the same probe was already running: that run."
    )
    report: PreflightReport | None = strawberry.field(
        default=None, description="The static check, done first."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class PreflightMutation:
    @strawberry.mutation(
        description="Measure on the real data what would make the query activity fail"
        " (duplicate primary keys, NULLs in required fields, text too long): a run of a"
        " measuring query in your business unit, followed with runEvents, whose COMPLETE"
        " event carries the report in `probe`."
    )
    async def probe_query_target(
        self, info: Info[GraphQLContext, None], input: ProbeQueryTargetInput
    ) -> ProbeQueryTargetPayload:
        jobs, redis = info.context.jobs, info.context.redis
        if jobs is None or redis is None:
            raise MceCallFailed("Probes cannot be started from this process.")
        try:
            outcome = await use.probe_query_target(
                info.context.authentication, sql=input.sql, target_key=input.target_key,
                update_type=input.update_type.to_domain(), mid=input.mid, jobs=jobs,
                redis=redis,
            )  # fmt: skip
        except (*_EXPECTED, BusinessUnitNotCurrent, ProbeNotRunnable, RunLimitReached) as exc:
            return ProbeQueryTargetPayload(user_errors=user_errors_from(exc))
        report = PreflightReport.from_domain(outcome.report)
        if outcome.run is None:
            return ProbeQueryTargetPayload(report=report, user_errors=_sql_errors(outcome.report))
        probe = QueryTargetProbe(
            target_key=outcome.report.target.customer_key,
            target_name=outcome.report.target.name,
            update_type=input.update_type,
            status=QueryTargetProbeStatus.RUNNING,
            message=None,
            report=None,
        )
        return ProbeQueryTargetPayload(
            run=run_from_domain(outcome.run), probe=probe, joined=outcome.joined, report=report
        )
