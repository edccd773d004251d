"""The record of each ``createTargetDataExtension`` request, by its idempotency key.

Migration 0013 says why the table exists. A request is opened (``PENDING``, leased for a
while) before MCE is called and finished once: ``CREATED`` with the answer given, or
``FAILED`` with MCE's refusal. A retry finds the record and either replays the answer or,
when the first attempt left it ``PENDING`` and its lease ran out, takes it over. Every
statement runs in the target BU's context (row-level security confines it to that BU), and
every one that changes state is conditional, so two attempts can never both finish a record.

The input's hash (the canonical JSON of the request and its BU) tells a retry from a different
request that reuses a key. Nothing here holds customer rows or secrets: names, keys, ids and
the user errors given.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum, StrEnum
from typing import Any
from uuid import UUID

from models import TenantContext, TenantRepository
from services.target_des.model import TargetDeInput

__all__ = [
    "RequestRecord",
    "RequestState",
    "find",
    "finish",
    "input_hash",
    "open_request",
    "release",
    "take_over",
]


class RequestState(StrEnum):
    PENDING = "PENDING"
    CREATED = "CREATED"
    FAILED = "FAILED"


@dataclass(frozen=True, slots=True)
class RequestRecord:
    id: UUID
    mid: int
    user_id: UUID
    idempotency_key: str
    input_hash: str
    state: RequestState
    name: str
    customer_key: str
    folder_id: int | None
    """MCE's DataFolder ID the DE is created in (None: MCE's default)."""
    object_id: str | None
    outcome: dict[str, Any]
    attempts: int
    lease_until: datetime | None


_COLUMNS = (
    "id, mid, user_id, idempotency_key, input_hash, state, name, customer_key, folder_id,"
    " object_id, outcome, attempts, lease_until"
)


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def input_hash(mid: int, spec: TargetDeInput) -> str:
    """SHA-256 of the request's canonical JSON (its BU included)."""
    canonical = json.dumps(
        {"mid": mid, "input": _plain(dataclasses.asdict(spec))},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _record(row: dict[str, Any]) -> RequestRecord:
    outcome = row["outcome"]
    if isinstance(outcome, str):
        outcome = json.loads(outcome)
    return RequestRecord(
        id=row["id"],
        mid=int(row["mid"]),
        user_id=row["user_id"],
        idempotency_key=row["idempotency_key"],
        input_hash=row["input_hash"],
        state=RequestState(row["state"]),
        name=row["name"],
        customer_key=row["customer_key"],
        folder_id=None if row["folder_id"] is None else int(row["folder_id"]),
        object_id=row["object_id"],
        outcome=dict(outcome or {}),
        attempts=int(row["attempts"]),
        lease_until=row["lease_until"],
    )


def _mid(ctx: TenantContext) -> int:
    if ctx.mid is None:
        raise ValueError("a request record needs a BU context")
    return ctx.mid


async def find(ctx: TenantContext, *, user_id: UUID, key: str) -> RequestRecord | None:
    """The user's request with idempotency key ``key`` in the context's BU."""
    rows = await TenantRepository(ctx).fetch(
        f"SELECT {_COLUMNS} FROM target_de_requests"  # noqa: S608 - constants only
        " WHERE tenant_id = $1 AND mid = $2 AND user_id = $3 AND idempotency_key = $4",
        [ctx.tenant_id, _mid(ctx), user_id, key],
    )
    return _record(rows[0]) if rows else None


async def open_request(
    ctx: TenantContext,
    *,
    user_id: UUID,
    key: str,
    digest: str,
    name: str,
    customer_key: str,
    folder_id: int | None,
    lease: timedelta,
    outcome: dict[str, Any],
) -> RequestRecord | None:
    """Record a new PENDING request, leased for ``lease`` (``outcome`` holds what an attempt
    that takes it over needs, such as the warnings given); None when the key is taken
    already (by a request in this BU, or, invisible here, in another)."""
    rows = await TenantRepository(ctx).fetch(
        "INSERT INTO target_de_requests (tenant_id, mid, user_id, idempotency_key,"  # noqa: S608
        " input_hash, name, customer_key, folder_id, lease_until, outcome)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now() + $9::interval, $10::jsonb)"
        " ON CONFLICT (tenant_id, user_id, idempotency_key) DO NOTHING"
        f" RETURNING {_COLUMNS}",
        [
            ctx.tenant_id, _mid(ctx), user_id, key, digest, name, customer_key, folder_id,
            lease, json.dumps(outcome),
        ],
    )  # fmt: skip
    return _record(rows[0]) if rows else None


async def take_over(
    ctx: TenantContext, *, record_id: UUID, lease: timedelta
) -> RequestRecord | None:
    """Lease a PENDING request whose lease ran out to this attempt; None when it is not
    (another attempt holds it, or it is finished)."""
    rows = await TenantRepository(ctx).fetch(
        "UPDATE target_de_requests SET lease_until = now() + $3::interval,"  # noqa: S608
        " attempts = attempts + 1, updated_at = now()"
        " WHERE tenant_id = $1 AND id = $2 AND state = 'PENDING' AND lease_until <= now()"
        f" RETURNING {_COLUMNS}",
        [ctx.tenant_id, record_id, lease],
    )
    return _record(rows[0]) if rows else None


async def release(ctx: TenantContext, *, record_id: UUID) -> None:
    """End this attempt's lease without an outcome (MCE could not be reached): the next
    retry takes the request over at once."""
    await TenantRepository(ctx).fetch(
        "UPDATE target_de_requests SET lease_until = now(), updated_at = now()"
        " WHERE tenant_id = $1 AND id = $2 AND state = 'PENDING'",
        [ctx.tenant_id, record_id],
    )


async def finish(
    ctx: TenantContext,
    *,
    record_id: UUID,
    state: RequestState,
    object_id: str | None,
    outcome: dict[str, Any],
) -> RequestRecord | None:
    """Record the request's one outcome; None when another attempt recorded one first."""
    if state is RequestState.PENDING:
        raise ValueError("an outcome is CREATED or FAILED")
    rows = await TenantRepository(ctx).fetch(
        "UPDATE target_de_requests SET state = $3, object_id = $4, outcome = $5::jsonb,"  # noqa: S608
        " lease_until = NULL, finished_at = now(), updated_at = now()"
        " WHERE tenant_id = $1 AND id = $2 AND state = 'PENDING'"
        f" RETURNING {_COLUMNS}",
        [ctx.tenant_id, record_id, state.value, object_id, json.dumps(outcome)],
    )
    return _record(rows[0]) if rows else None
