"""A probe's report: its one-row result read back, turned into findings that say on how many
rows MCE would fail.

The row is read from MCE when first asked for (rows are never stored: DESIGN.md), as the run's
user, like any run's result (services/runs/reading.py), then the counts are kept with the
probe's record, so replaying a probe's events reads MCE at most once. A probe whose result was
not read within the run's results window is EXPIRED: probe again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID

from redis.asyncio import Redis

from client.errors import MceError
from models import TenantContext
from models.runs import ACTIVE_RUN_STATUSES, RunStatus
from services.errors import QuarryError
from services.metadata.preview import MceAccess
from services.preflight.codes import severity_of
from services.preflight.probe_sql import Measure, MeasureKind
from services.preflight.probe_store import ProbeRecord, ProbeResult, load_record, save_result
from services.preflight.report import PreflightFinding, UpdateType
from services.runs.reading import ResultsExpired, ResultsNotReady, open_results, public_error

__all__ = ["ProbeState", "ProbeStatus", "measured_result", "probe_state"]


class ProbeStatus(StrEnum):
    RUNNING = "RUNNING"  # the run is queued or running: nothing measured yet
    MEASURED = "MEASURED"  # the report is there
    FAILED = "FAILED"  # the run failed or was canceled (its error says why)
    EXPIRED = "EXPIRED"  # the result was not read in time: probe again
    UNAVAILABLE = "UNAVAILABLE"  # MCE could not be read just now: ask again


@dataclass(frozen=True, slots=True)
class ProbeState:
    record: ProbeRecord
    status: ProbeStatus
    result: ProbeResult | None = None
    message: str | None = None


def _finding(code: str, message: str, measure: Measure) -> PreflightFinding:
    return PreflightFinding(
        code=code,
        severity=severity_of(code),
        message=message,
        column=measure.column,
        span=measure.span,
    )


def _rows(count: int) -> str:
    return "1 row" if count == 1 else f"{count:,} rows"


def measured_result(record: ProbeRecord, values: Mapping[str, int | None]) -> ProbeResult:
    """The findings of a probe whose measures came back as ``values`` (by measure name)."""
    total = values.get("ProbeRows") or 0
    longest = {
        m.column: values.get(m.name) for m in record.measures if m.kind is MeasureKind.LONGEST
    }
    duplicate_rows = next(
        (values.get(m.name) or 0 for m in record.measures if m.kind is MeasureKind.DUPLICATE_ROWS),
        0,
    )
    findings: list[PreflightFinding] = []
    for measure in record.measures:
        count = values.get(measure.name) or 0
        if count <= 0:
            continue
        if measure.kind is MeasureKind.NULLS:
            findings.append(
                _finding(
                    "PROBE_NULL_IN_REQUIRED",
                    f"This will fail on {_rows(count)}: NULL in '{measure.column}', which feeds"
                    f" required field '{measure.field}' ({count:,} of {total:,} rows).",
                    measure,
                )
            )
        elif measure.kind is MeasureKind.TOO_LONG:
            findings.append(
                _finding(
                    "PROBE_VALUE_TOO_LONG",
                    f"This will fail on {_rows(count)}: '{measure.column}' is longer than the"
                    f" {measure.limit} characters field '{measure.field}' holds (the longest"
                    f" has {longest.get(measure.column)}).",
                    measure,
                )
            )
        elif measure.kind is MeasureKind.DUPLICATE_KEYS:
            findings.append(
                _finding(
                    "PROBE_DUPLICATE_KEYS",
                    f"This will fail on {_rows(duplicate_rows)}: {count:,} primary-key"
                    f" value{'' if count == 1 else 's'} ({measure.column}) appear more than"
                    " once in the result.",
                    measure,
                )
            )
        elif measure.kind is MeasureKind.KEYS_IN_TARGET:
            findings.append(
                _finding(
                    "PROBE_KEYS_IN_TARGET",
                    f"This will fail on {_rows(count)}: their primary key ({measure.column})"
                    f" is already in '{record.target_name}', and Append only inserts.",
                    measure,
                )
            )
    if total == 0 and record.update_type is UpdateType.OVERWRITE:
        findings.append(
            PreflightFinding(
                code="PROBE_NO_ROWS",
                severity=severity_of("PROBE_NO_ROWS"),
                message=f"The query returns no rows now: an Overwrite would leave"
                f" '{record.target_name}' empty.",
            )
        )
    return ProbeResult(row_count=total, findings=tuple(findings), values=dict(values))


def _number(value: object) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return int(str(value))
    except ValueError:
        return None


async def _measure(
    ctx: TenantContext, record: ProbeRecord, *, access: MceAccess
) -> Mapping[str, int | None]:
    """The probe's one row, by measure name (raises the runs engine's public errors)."""
    opened = await open_results(ctx, run_id=record.run_id, access=access)
    try:
        page = await opened.reader.page(offset=0, limit=1)
    except MceError as exc:
        raise public_error(exc) from None
    names = [c.name.casefold() for c in opened.reader.source.columns]
    row = page.rows[0] if page.rows else [None] * len(names)
    by_name = {name: _number(value) for name, value in zip(names, row, strict=False)}
    return {m.name: by_name.get(m.name.casefold()) for m in record.measures}


async def probe_state(
    ctx: TenantContext,
    *,
    run_id: UUID,
    status: RunStatus,
    redis: Redis,
    access: MceAccess | None,
) -> ProbeState | None:
    """Where the probe run ``run_id`` of ``ctx``'s user stands when its run is in ``status``;
    None when the run is not a probe (or not this user's, in this BU). Without ``access`` (a
    process wired without MCE) a result not read yet is UNAVAILABLE."""
    record = await load_record(redis, run_id)
    if record is None or (record.tenant_id, record.mid, record.user_id) != (
        ctx.tenant_id,
        ctx.mid,
        ctx.user_id,
    ):
        return None
    if status in ACTIVE_RUN_STATUSES:
        return ProbeState(record, ProbeStatus.RUNNING)
    if status in (RunStatus.FAILED, RunStatus.CANCELED):
        return ProbeState(
            record,
            ProbeStatus.FAILED,
            message=f"The probe's run is {status.value}: the run's error says why.",
        )
    if record.result is not None:
        return ProbeState(record, ProbeStatus.MEASURED, result=record.result)
    if status is RunStatus.EXPIRED:
        return _expired(record)
    if access is None:
        return ProbeState(
            record, ProbeStatus.UNAVAILABLE, message="Marketing Cloud cannot be read from here."
        )
    try:
        values = await _measure(ctx, record, access=access)
    except ResultsExpired:
        return _expired(record)
    except ResultsNotReady:
        return ProbeState(record, ProbeStatus.RUNNING)
    except QuarryError as exc:
        return ProbeState(record, ProbeStatus.UNAVAILABLE, message=exc.message)
    result = measured_result(record, values)
    saved = await save_result(redis, record, result)
    return ProbeState(saved, ProbeStatus.MEASURED, result=result)


def _expired(record: ProbeRecord) -> ProbeState:
    return ProbeState(
        record,
        ProbeStatus.EXPIRED,
        message="The probe's result was not read while it was kept: probe again.",
    )
