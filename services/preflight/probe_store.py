"""A probe's record in Redis, by its run id: what the run is a probe of, how to read its one
row back, and (once read) its report.

It marks the run as a probe: ``runEvents`` answers a probe's ``probe`` field from it. It holds
ids, the target's key and name, column and field names, lengths and counts: never the SQL
(the run keeps it), a row, or a token. It lives as long as the run's event stream
(services/runs/events.py), whose replay it accompanies; a report written later keeps that
expiry.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any
from uuid import UUID

from redis.asyncio import Redis

from services.preflight.probe_sql import Measure, MeasureKind
from services.preflight.report import PreflightFinding, UpdateType
from services.redis_keys import preflight_probe_key
from services.runs.events import STREAM_TTL_SECONDS
from tsql import Span

__all__ = ["ProbeRecord", "ProbeResult", "load_record", "save_record", "save_result"]

_VERSION = 1


@dataclass(frozen=True, slots=True)
class ProbeResult:
    """What a probe measured: the rows the query returns, the findings (each saying on how
    many rows MCE would fail), and the measured values by measure name."""

    row_count: int
    findings: tuple[PreflightFinding, ...]
    values: Mapping[str, int | None]

    def as_json(self) -> dict[str, Any]:
        return {
            "rowCount": self.row_count,
            "findings": [f.as_json() for f in self.findings],
            "values": dict(self.values),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ProbeResult:
        values = data.get("values") or {}
        return cls(
            row_count=int(data["rowCount"]),
            findings=tuple(PreflightFinding.from_json(f) for f in data.get("findings") or ()),
            values={str(k): None if v is None else int(v) for k, v in values.items()},
        )


@dataclass(frozen=True, slots=True)
class ProbeRecord:
    """A probe: whose (tenant, BU, user), of which run, into which target, measuring what."""

    tenant_id: int
    mid: int
    user_id: UUID
    run_id: UUID
    target_key: str
    target_name: str
    update_type: UpdateType
    measures: tuple[Measure, ...]
    result: ProbeResult | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "v": _VERSION,
            "tenantId": self.tenant_id,
            "mid": self.mid,
            "userId": str(self.user_id),
            "runId": str(self.run_id),
            "targetKey": self.target_key,
            "targetName": self.target_name,
            "updateType": self.update_type.value,
            "measures": [_measure_json(m) for m in self.measures],
            "result": None if self.result is None else self.result.as_json(),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ProbeRecord:
        result = data.get("result")
        return cls(
            tenant_id=int(data["tenantId"]),
            mid=int(data["mid"]),
            user_id=UUID(str(data["userId"])),
            run_id=UUID(str(data["runId"])),
            target_key=str(data["targetKey"]),
            target_name=str(data["targetName"]),
            update_type=UpdateType(str(data["updateType"])),
            measures=tuple(_measure(m) for m in data.get("measures") or ()),
            result=None if not isinstance(result, Mapping) else ProbeResult.from_json(result),
        )


def _measure_json(measure: Measure) -> dict[str, Any]:
    span = measure.span
    return {
        "name": measure.name,
        "kind": measure.kind.value,
        "column": measure.column,
        "field": measure.field,
        "limit": measure.limit,
        "span": None
        if span is None
        else [span.start, span.end, span.line, span.column, span.end_line, span.end_column],
    }


def _measure(data: Mapping[str, Any]) -> Measure:
    span = data.get("span")
    return Measure(
        name=str(data["name"]),
        kind=MeasureKind(str(data["kind"])),
        column=data.get("column"),
        field=data.get("field"),
        limit=None if data.get("limit") is None else int(data["limit"]),
        span=None if not isinstance(span, list) or len(span) != 6 else Span(*map(int, span)),
    )


async def save_record(redis: Redis, record: ProbeRecord) -> None:
    """Write ``record`` (a new probe) with the run's event-stream lifetime."""
    await redis.set(
        preflight_probe_key(record.run_id),
        json.dumps(record.as_json(), separators=(",", ":")),
        ex=STREAM_TTL_SECONDS,
    )


async def load_record(redis: Redis, run_id: UUID) -> ProbeRecord | None:
    """The probe record of run ``run_id`` (None: not a probe, or its record expired)."""
    raw = await redis.get(preflight_probe_key(run_id))
    if raw is None:
        return None
    data = json.loads(raw.decode() if isinstance(raw, bytes) else raw)
    if not isinstance(data, dict) or data.get("v") != _VERSION:
        return None
    return ProbeRecord.from_json(data)


async def save_result(redis: Redis, record: ProbeRecord, result: ProbeResult) -> ProbeRecord:
    """Keep ``result`` with the record (its expiry unchanged; nothing when it expired)."""
    done = replace(record, result=result)
    await redis.set(
        preflight_probe_key(record.run_id),
        json.dumps(done.as_json(), separators=(",", ":")),
        keepttl=True,
        xx=True,
    )
    return done
