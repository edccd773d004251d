"""Deployments and their per-BU targets in Postgres (migrations/0014_deployments.py).

Every statement runs through the tenant repository, so row-level security decides what a
context reaches: a deployment in the BU it was made from, a target row in its own BU. The
deployment's owner is added to every read that answers a user (deployments are private to
their user); jobs read by id in the deployment's BU. Only column names from this module's
constants are ever put into SQL text; every value is a parameter.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from models import TenantContext, TenantRepository
from models.deployments import DeploymentStatus, TargetStatus, UpdateType
from services.deploy.request import AutomationSpec, TargetSpec

__all__ = [
    "DEPLOYMENT_COLUMNS",
    "TARGET_COLUMNS",
    "DeploymentInfo",
    "TargetInfo",
    "baseline_target",
    "context_for",
    "deployment_by_id",
    "deployment_by_key",
    "ensure_target",
    "insert_deployment",
    "set_deployment_status",
    "target_in",
    "targets_of",
    "update_target",
]

DEPLOYMENT_COLUMNS = (
    "id, tenant_id, mid, user_id, api_token_id, idempotency_key, request_hash, activity_key,"
    " activity_name, description, folder_path, sql_text, sql_hash, update_type, target,"
    " automation, create_missing, force, findings, target_mids, status, rollback_of, attempts,"
    " created_at, updated_at, finished_at"
)
TARGET_COLUMNS = (
    "id, tenant_id, mid, deployment_id, origin_mid, user_id, status, step, activity_key,"
    " activity_name, sql_text, sql_hash, update_type, target_key, target_name, target_shared,"
    " folder_id, target_object_id, target_created, target_create_sent_at, target_deleted_at,"
    " activity_object_id, activity_created, activity_create_sent_at, automation_id,"
    " automation_key, automation_status_id, automation_create_sent_at, error_code,"
    " error_message, mce_warnings, drift, attempts, created_at, updated_at, started_at,"
    " finished_at"
)
#: Columns a job may change on a target row (the only names ever put in an UPDATE).
_TARGET_WRITABLE = frozenset(
    {
        "status", "step", "target_name", "folder_id", "target_object_id", "target_created",
        "target_create_sent_at", "target_deleted_at", "activity_object_id",
        "activity_created", "activity_create_sent_at", "automation_id", "automation_key",
        "automation_status_id", "automation_create_sent_at", "error_code", "error_message",
        "mce_warnings", "drift", "attempts", "started_at", "finished_at", "sql_text",
        "sql_hash", "update_type", "target_key", "target_shared", "activity_name",
    }
)  # fmt: skip
_JSON_COLUMNS = frozenset({"mce_warnings", "drift"})


def _json(value: object) -> Any:
    """asyncpg hands jsonb back as text; decode it once here."""
    return json.loads(value) if isinstance(value, str) else value


@dataclass(frozen=True)
class DeploymentInfo:
    """A deployment as recorded (see models/deployments.py)."""

    id: UUID
    tenant_id: int
    mid: int
    user_id: UUID
    api_token_id: UUID | None
    idempotency_key: str
    request_hash: str
    activity_key: str
    activity_name: str
    description: str
    folder_path: tuple[str, ...]
    sql: str
    sql_hash: str
    update_type: UpdateType
    target: TargetSpec
    automation: AutomationSpec | None
    create_missing: bool
    force: bool
    findings: list[dict[str, Any]]
    target_mids: tuple[int, ...]
    status: DeploymentStatus
    rollback_of: UUID | None
    attempts: int
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> DeploymentInfo:
        automation = _json(row["automation"])
        path = str(row["folder_path"] or "")
        return cls(
            id=row["id"],
            tenant_id=int(row["tenant_id"]),
            mid=int(row["mid"]),
            user_id=row["user_id"],
            api_token_id=row["api_token_id"],
            idempotency_key=row["idempotency_key"],
            request_hash=row["request_hash"],
            activity_key=row["activity_key"],
            activity_name=row["activity_name"],
            description=row["description"],
            folder_path=tuple(p for p in path.split("/") if p),
            sql=row["sql_text"],
            sql_hash=row["sql_hash"],
            update_type=UpdateType(row["update_type"]),
            target=TargetSpec.from_json(_json(row["target"])),
            automation=None if automation is None else AutomationSpec.from_json(automation),
            create_missing=bool(row["create_missing"]),
            force=bool(row["force"]),
            findings=list(_json(row["findings"]) or []),
            target_mids=tuple(int(m) for m in row["target_mids"]),
            status=DeploymentStatus(row["status"]),
            rollback_of=row["rollback_of"],
            attempts=int(row["attempts"]),
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            finished_at=row["finished_at"],
        )

    def context(self) -> TenantContext:
        """The context of the BU it was made from (jobs act there for the deployment row)."""
        return TenantContext(tenant_id=self.tenant_id, mid=self.mid, user_id=self.user_id)


@dataclass(frozen=True)
class TargetInfo:
    """One BU's part of a deployment (see models/deployments.py)."""

    id: UUID
    tenant_id: int
    mid: int
    deployment_id: UUID
    origin_mid: int
    user_id: UUID
    status: TargetStatus
    step: str | None
    activity_key: str
    activity_name: str
    sql: str
    sql_hash: str
    update_type: UpdateType
    target_key: str
    target_name: str | None
    target_shared: bool
    folder_id: int | None
    target_object_id: str | None
    target_created: bool
    target_create_sent_at: datetime | None
    target_deleted_at: datetime | None
    activity_object_id: str | None
    activity_created: bool
    activity_create_sent_at: datetime | None
    automation_id: str | None
    automation_key: str | None
    automation_status_id: int | None
    automation_create_sent_at: datetime | None
    error_code: str | None
    error_message: str | None
    mce_warnings: list[str]
    drift: dict[str, Any] | None
    attempts: int
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> TargetInfo:
        values = dict(row)
        values["mce_warnings"] = list(_json(row["mce_warnings"]) or [])
        values["drift"] = _json(row["drift"])
        values["status"] = TargetStatus(row["status"])
        values["update_type"] = UpdateType(row["update_type"])
        values["sql"] = values.pop("sql_text")
        values["mid"] = int(row["mid"])
        values["origin_mid"] = int(row["origin_mid"])
        values["tenant_id"] = int(row["tenant_id"])
        return cls(**values)

    @property
    def orphaned(self) -> bool:
        """A DE this deployment created whose activity never came to exist: reported,
        reused by a retry, deletable."""
        return (
            self.target_created
            and self.target_deleted_at is None
            and self.status is not TargetStatus.SUCCEEDED
            and self.activity_object_id is None
        )


def context_for(deployment: DeploymentInfo, mid: int) -> TenantContext:
    """The context of target BU ``mid`` for the deployment's user."""
    return TenantContext(tenant_id=deployment.tenant_id, mid=mid, user_id=deployment.user_id)


_INSERT = (
    "INSERT INTO deployments (id, tenant_id, mid, is_shared, user_id, api_token_id,"  # noqa: S608 - constants only
    " idempotency_key, request_hash, activity_key, activity_name, description, folder_path,"
    " sql_text, sql_hash, update_type, target, automation, create_missing, force, findings,"
    " target_mids, status, rollback_of, attempts)"
    " VALUES ($1, $2, $3, false, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15::jsonb,"
    " $16::jsonb, $17, $18, $19::jsonb, $20::bigint[], 'PENDING', $21, 0)"
    " ON CONFLICT (tenant_id, mid, user_id, idempotency_key) DO NOTHING"
    f" RETURNING {DEPLOYMENT_COLUMNS}"
)
_BY_KEY = (
    f"SELECT {DEPLOYMENT_COLUMNS} FROM deployments"  # noqa: S608 - constants only
    " WHERE tenant_id = $1 AND mid = $2 AND user_id = $3 AND idempotency_key = $4"
)


async def insert_deployment(
    ctx: TenantContext,
    *,
    user_id: UUID,
    api_token_id: UUID | None,
    idempotency_key: str,
    request_hash: str,
    activity_key: str,
    activity_name: str,
    description: str,
    folder_path: Sequence[str],
    sql: str,
    sql_hash: str,
    update_type: UpdateType,
    target: TargetSpec,
    automation: AutomationSpec | None,
    create_missing: bool,
    force: bool,
    findings: list[dict[str, Any]],
    target_mids: Sequence[int],
    rollback_of: UUID | None,
) -> tuple[DeploymentInfo, bool]:
    """Record a deployment PENDING in ``ctx``'s BU; ``(deployment, created)``: an existing
    one with the same idempotency key is answered instead (``created`` False)."""
    repo = TenantRepository(ctx)
    async with repo.transaction():
        rows = await repo.fetch(
            _INSERT,
            [
                uuid4(), ctx.tenant_id, ctx.mid, user_id, api_token_id, idempotency_key,
                request_hash, activity_key, activity_name, description, "/".join(folder_path),
                sql, sql_hash, update_type.value, json.dumps(target.as_json()),
                None if automation is None else json.dumps(automation.as_json()), create_missing,
                force, json.dumps(findings), list(target_mids), rollback_of,
            ],
        )  # fmt: skip
        if rows:
            return DeploymentInfo.from_row(rows[0]), True
        [row] = await repo.fetch(_BY_KEY, [ctx.tenant_id, ctx.mid, user_id, idempotency_key])
    return DeploymentInfo.from_row(row), False


async def deployment_by_key(
    ctx: TenantContext, *, user_id: UUID, idempotency_key: str
) -> DeploymentInfo | None:
    rows = await TenantRepository(ctx).fetch(
        _BY_KEY, [ctx.tenant_id, ctx.mid, user_id, idempotency_key]
    )
    return DeploymentInfo.from_row(rows[0]) if rows else None


_BY_ID = (
    f"SELECT {DEPLOYMENT_COLUMNS} FROM deployments"  # noqa: S608 - constants only
    " WHERE tenant_id = $1 AND mid = $2 AND id = $3 AND ($4::uuid IS NULL OR user_id = $4)"
)


async def deployment_by_id(
    ctx: TenantContext, deployment_id: UUID, *, user_id: UUID | None
) -> DeploymentInfo | None:
    """The deployment in ``ctx``'s BU (``user_id``'s only, when given)."""
    rows = await TenantRepository(ctx).fetch(
        _BY_ID, [ctx.tenant_id, ctx.mid, deployment_id, user_id]
    )
    return DeploymentInfo.from_row(rows[0]) if rows else None


_SET_STATUS = (
    "UPDATE deployments SET status = $1, updated_at = now(),"  # noqa: S608 - constants only
    " attempts = attempts + $2,"
    " finished_at = CASE WHEN $1 IN ('SUCCEEDED', 'PARTIAL', 'FAILED') THEN now() ELSE NULL END"
    " WHERE tenant_id = $3 AND mid = $4 AND id = $5 AND status = ANY($6::text[])"
    f" RETURNING {DEPLOYMENT_COLUMNS}"
)


async def set_deployment_status(
    ctx: TenantContext,
    deployment_id: UUID,
    *,
    to: DeploymentStatus,
    expected: Sequence[DeploymentStatus],
    new_attempt: bool = False,
) -> DeploymentInfo | None:
    """Compare-and-set the status; None when it was not in ``expected`` (someone else won)."""
    rows = await TenantRepository(ctx).fetch(
        _SET_STATUS,
        [
            to.value, 1 if new_attempt else 0, ctx.tenant_id, ctx.mid, deployment_id,
            [status.value for status in expected],
        ],
    )  # fmt: skip
    return DeploymentInfo.from_row(rows[0]) if rows else None


_TARGET = (
    f"SELECT {TARGET_COLUMNS} FROM deployment_targets"  # noqa: S608 - constants only
    " WHERE tenant_id = $1 AND mid = $2 AND deployment_id = $3"
)
_INSERT_TARGET = (
    "INSERT INTO deployment_targets (id, tenant_id, mid, is_shared, deployment_id, origin_mid,"  # noqa: S608 - constants only
    " user_id, status, activity_key, activity_name, sql_text, sql_hash, update_type,"
    " target_key, target_shared)"
    " VALUES ($1, $2, $3, false, $4, $5, $6, 'PENDING', $7, $8, $9, $10, $11, $12, $13)"
    " ON CONFLICT (tenant_id, deployment_id, mid) DO NOTHING"
    f" RETURNING {TARGET_COLUMNS}"
)


async def target_in(ctx: TenantContext, deployment_id: UUID) -> TargetInfo | None:
    """The deployment's row in ``ctx``'s BU, if it was made yet."""
    rows = await TenantRepository(ctx).fetch(_TARGET, [ctx.tenant_id, ctx.mid, deployment_id])
    return TargetInfo.from_row(rows[0]) if rows else None


async def ensure_target(deployment: DeploymentInfo, mid: int) -> TargetInfo:
    """The deployment's row in BU ``mid``, made PENDING (in that BU's context) on first use."""
    ctx = context_for(deployment, mid)
    repo = TenantRepository(ctx)
    async with repo.transaction():
        rows = await repo.fetch(
            _INSERT_TARGET,
            [
                uuid4(), ctx.tenant_id, mid, deployment.id, deployment.mid, deployment.user_id,
                deployment.activity_key, deployment.activity_name, deployment.sql,
                deployment.sql_hash, deployment.update_type.value, deployment.target.key,
                deployment.target.shared,
            ],
        )  # fmt: skip
        if not rows:
            rows = await repo.fetch(_TARGET, [ctx.tenant_id, mid, deployment.id])
    return TargetInfo.from_row(rows[0])


async def targets_of(deployment: DeploymentInfo) -> dict[int, TargetInfo]:
    """The deployment's rows that exist, by BU (each read in its own BU's context)."""
    found: dict[int, TargetInfo] = {}
    for mid in deployment.target_mids:
        target = await target_in(context_for(deployment, mid), deployment.id)
        if target is not None:
            found[mid] = target
    return found


async def update_target(
    ctx: TenantContext,
    target_id: UUID,
    *,
    expected: Sequence[TargetStatus] | None = None,
    **changes: Any,
) -> TargetInfo | None:
    """Change a target row in ``ctx``'s BU (only when its status is in ``expected``, when
    given); None when nothing matched. Column names must be writable ones."""
    unknown = set(changes) - _TARGET_WRITABLE
    if unknown:
        raise ValueError(f"not writable: {sorted(unknown)}")
    names = sorted(changes)
    values: list[Any] = []
    sets = []
    for number, name in enumerate(names, start=1):
        value = changes[name]
        if isinstance(value, TargetStatus | UpdateType):
            value = value.value
        if name in _JSON_COLUMNS:
            sets.append(f"{name} = ${number}::jsonb")
            value = None if value is None else json.dumps(value)
        else:
            sets.append(f"{name} = ${number}")
        values.append(value)
    base = len(values)
    statuses = None if expected is None else [status.value for status in expected]
    sql = (
        f"UPDATE deployment_targets SET {', '.join(sets)}, updated_at = now()"  # noqa: S608 - names from _TARGET_WRITABLE
        f" WHERE tenant_id = ${base + 1} AND mid = ${base + 2} AND id = ${base + 3}"
        f" AND (${base + 4}::text[] IS NULL OR status = ANY(${base + 4}::text[]))"
        f" RETURNING {TARGET_COLUMNS}"
    )
    rows = await TenantRepository(ctx).fetch(
        sql, [*values, ctx.tenant_id, ctx.mid, target_id, statuses]
    )
    return TargetInfo.from_row(rows[0]) if rows else None


_BASELINE = (
    f"SELECT {TARGET_COLUMNS} FROM deployment_targets"  # noqa: S608 - constants only
    " WHERE tenant_id = $1 AND mid = $2 AND lower(activity_key) = lower($3)"
    " AND status = 'SUCCEEDED' AND deployment_id <> $4"
    " ORDER BY finished_at DESC NULLS LAST LIMIT 1"
)


async def baseline_target(
    ctx: TenantContext, *, activity_key: str, excluding: UUID
) -> TargetInfo | None:
    """What Quarry last deployed successfully as ``activity_key`` in ``ctx``'s BU, by any
    user (the drift check's baseline), other than deployment ``excluding``."""
    rows = await TenantRepository(ctx).fetch(
        _BASELINE, [ctx.tenant_id, ctx.mid, activity_key, excluding]
    )
    return TargetInfo.from_row(rows[0]) if rows else None
