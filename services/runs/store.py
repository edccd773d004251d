"""What the runs service hands out (:class:`RunInfo`) and the SQL that reads runs.

Every statement names the run's owner: the table is per BU (RLS keeps other tenants and BUs
out) and the owner filter keeps other users out, so their ids answer not-found exactly like
ids that never existed. Only constants are interpolated into SQL text.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from models import TenantRepository
from models.runs import RunStatus
from services.errors import NotFound
from tsql import Column

__all__ = [
    "RUN_COLUMNS",
    "RUN_NOT_FOUND",
    "RunColumn",
    "RunError",
    "RunInfo",
    "columns_json",
    "owned_run",
    "record_row_count",
]

RUN_NOT_FOUND = "No such run."

RUN_COLUMNS = (
    "id, tenant_id, mid, user_id, snippet_id, api_token_id, sql_text, sql_hash, run_sql, status,"
    " columns, shape, marker, marker_column, order_column, row_count, error_code,"
    " error_message, error_cause, error_fix, created_at, started_at, mce_completed_at,"
    " detected_at, finished_at, expires_at, perform_sent_at, task_id, shell_de_id,"
    " shell_qd_id, attempts, updated_at"
)

_OWNED_SQL = (
    f"SELECT {RUN_COLUMNS} FROM runs"  # noqa: S608 - constants
    " WHERE id = $1 AND user_id = $2 AND tenant_id = $3 AND mid = $4"
)


@dataclass(frozen=True, slots=True)
class RunColumn:
    """One of the user's output columns (helper columns are never listed)."""

    name: str
    field_type: str
    length: int | None = None
    precision: int | None = None
    scale: int | None = None
    nullable: bool = True

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RunColumn:
        return cls(
            name=str(data["name"]),
            field_type=str(data.get("type") or "Text"),
            length=data.get("length"),
            precision=data.get("precision"),
            scale=data.get("scale"),
            nullable=bool(data.get("nullable", True)),
        )


def columns_json(columns: Sequence[Column]) -> list[dict[str, Any]]:
    """How ``runs.columns`` stores the user's output columns (services/runs/reading.py reads
    ``name``, ``type``, ``scale`` and ``system_generated``: a Date MCE generates, whose values
    carry CST's offset)."""
    return [
        {
            "name": column.name,
            "type": column.field_type.value,
            "length": column.max_length,
            "precision": column.precision,
            "scale": column.scale,
            "nullable": column.nullable,
            "system_generated": column.system_generated,
        }
        for column in columns
    ]


@dataclass(frozen=True, slots=True)
class RunError:
    """Why a run failed: MCE's message and code, and the error catalogue's cause and fix."""

    code: str
    message: str
    cause: str | None = None
    fix: str | None = None


@dataclass(frozen=True, slots=True)
class RunInfo:
    id: UUID
    tenant_id: int
    mid: int
    user_id: UUID
    snippet_id: UUID | None
    api_token_id: UUID | None
    sql: str
    sql_hash: str
    run_sql: str
    status: RunStatus
    columns: tuple[RunColumn, ...]
    shape: str
    marker: str
    marker_column: str
    order_column: str | None
    row_count: int | None
    error: RunError | None
    queued_at: datetime
    started_at: datetime | None
    mce_completed_at: datetime | None
    detected_at: datetime | None
    finished_at: datetime | None
    expires_at: datetime | None
    perform_sent_at: datetime | None
    task_id: str | None
    shell_de_id: UUID | None
    shell_qd_id: UUID | None
    attempts: int
    updated_at: datetime

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> RunInfo:
        raw_columns = row["columns"]
        if isinstance(raw_columns, str):
            raw_columns = json.loads(raw_columns)
        error = None
        if row["error_code"] is not None:
            error = RunError(
                code=row["error_code"],
                message=row["error_message"] or "",
                cause=row["error_cause"],
                fix=row["error_fix"],
            )
        return cls(
            id=row["id"],
            tenant_id=int(row["tenant_id"]),
            mid=int(row["mid"]),
            user_id=row["user_id"],
            snippet_id=row["snippet_id"],
            api_token_id=row["api_token_id"],
            sql=row["sql_text"],
            sql_hash=row["sql_hash"],
            run_sql=row["run_sql"],
            status=RunStatus(row["status"]),
            columns=tuple(RunColumn.from_json(column) for column in raw_columns or ()),
            shape=row["shape"],
            marker=row["marker"],
            marker_column=row["marker_column"],
            order_column=row["order_column"],
            row_count=None if row["row_count"] is None else int(row["row_count"]),
            error=error,
            queued_at=row["created_at"],
            started_at=row["started_at"],
            mce_completed_at=row["mce_completed_at"],
            detected_at=row["detected_at"],
            finished_at=row["finished_at"],
            expires_at=row["expires_at"],
            perform_sent_at=row["perform_sent_at"],
            task_id=row["task_id"],
            shell_de_id=row["shell_de_id"],
            shell_qd_id=row["shell_qd_id"],
            attempts=int(row["attempts"]),
            updated_at=row["updated_at"],
        )


async def owned_run(repo: TenantRepository, *, run_id: UUID, user_id: UUID) -> RunInfo:
    """The user's run in the repository's BU, or NotFound on ``id``."""
    rows = await repo.fetch(_OWNED_SQL, [run_id, user_id, repo.ctx.tenant_id, repo.ctx.mid])
    if not rows:
        raise NotFound(RUN_NOT_FOUND, field="id")
    return RunInfo.from_row(rows[0])


_COUNT_SQL = (
    "UPDATE runs SET row_count = $2, updated_at = now()"
    " WHERE id = $1 AND status = 'COMPLETE' AND row_count IS NULL RETURNING id"
)


async def record_row_count(repo: TenantRepository, run_id: UUID, count: int) -> bool:
    """Record a complete run's row count, learnt from its first page read (by a client, or
    by the poller when no client read it: services/runs/poller.py); False when it was
    already known. The count is MCE's for the run's marker, never a row itself."""
    if count < 0:
        raise ValueError("a row count is 0 or more")
    return bool(await repo.fetch(_COUNT_SQL, [run_id, count]))
