"""Where a BU's metadata sync stands: :class:`SyncProgress`, :func:`current`, :func:`watch`.

The state lives in Postgres (``metadata_sync_state``, one row per BU and scope, under RLS), so
:func:`current` needs no Redis and a late subscriber always reads where the sync is. Redis
carries only notices that the state changed: a short stream per BU
(:func:`services.redis_keys.metadata_progress_key`) holding a timestamp, never a token, a
name or a row. :func:`watch` yields the current state first, then re-reads it after each
notice; it remembers the stream position it started from, so a change made between its first
read and its first wait is never missed, and a child BU's watcher also follows its parent's
stream (the parent's shared DEs).

A parent BU's ``shared`` row is marked ``is_shared``, so every child reads it: that is how the
sidebar says that the parent's shared DEs were never synced, and why (nobody who can reach
the parent has signed in).
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncGenerator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from redis import Redis as SyncRedis
from redis.asyncio import Redis

from models import TenantContext, TenantRepository
from models.metadata import SyncScope, SyncStatus
from services.metadata.context import BuScope, bu_scope
from services.redis_keys import metadata_progress_key
from services.redis_reads import read_block_ms

__all__ = [
    "SharedStatus",
    "SyncPhase",
    "SyncProgress",
    "SyncState",
    "current",
    "notify",
    "notify_blocking",
    "read_progress",
    "watch",
]

#: Notices kept per BU (a watcher only needs the newest).
STREAM_LENGTH = 50
STREAM_TTL_SECONDS = 24 * 3600
#: A running sync silent for this long is reported FAILED (interrupted).
STALE_AFTER = timedelta(minutes=10)
INTERRUPTED = "The sync stopped unexpectedly; the next one will complete it."
#: How long one blocking read waits before it checks again (the generator stays responsive
#: to cancellation either way).
BLOCK_MS = 15_000


class SyncState(StrEnum):
    RUNNING = "RUNNING"
    COMPLETE = "COMPLETE"
    FAILED = "FAILED"
    NEEDS_SIGN_IN = "NEEDS_SIGN_IN"


class SyncPhase(StrEnum):
    QUEUED = "QUEUED"
    FOLDERS = "FOLDERS"
    DATA_EXTENSIONS = "DATA_EXTENSIONS"
    FIELDS = "FIELDS"
    QUERY_ACTIVITIES = "QUERY_ACTIVITIES"
    AUTOMATIONS = "AUTOMATIONS"
    SHARED_DATA_EXTENSIONS = "SHARED_DATA_EXTENSIONS"
    DELETIONS = "DELETIONS"
    DONE = "DONE"


_STATE_OF_STATUS = {
    SyncStatus.RUNNING.value: SyncState.RUNNING,
    SyncStatus.COMPLETE.value: SyncState.COMPLETE,
    SyncStatus.FAILED.value: SyncState.FAILED,
    SyncStatus.NEEDS_SIGN_IN.value: SyncState.NEEDS_SIGN_IN,
}


@dataclass(frozen=True)
class SharedStatus:
    """The parent BU's shared DEs as seen from a child: ``state`` is None while they were
    never synced (then ``reason`` says why, when known)."""

    parent_mid: int
    state: SyncState | None
    reason: str
    message: str
    synced_at: datetime | None


@dataclass(frozen=True)
class SyncProgress:
    """One BU's sync: the latest run's state, phase and counters (totals None while unknown)."""

    mid: int
    state: SyncState
    phase: SyncPhase | None
    full: bool
    folders_done: int
    folders_total: int | None
    data_extensions_done: int
    data_extensions_total: int | None
    fields_done: int
    query_activities_done: int
    query_activities_total: int | None
    automations_done: int
    automations_total: int | None
    message: str
    reason: str
    started_at: datetime | None
    finished_at: datetime | None
    last_success_at: datetime | None
    last_full_sync_at: datetime | None
    shared: SharedStatus | None


_STATE_SQL = (
    "SELECT mid, scope, status, reason, message, phase, is_full, progress, last_started_at,"
    " last_finished_at, last_success_at, last_full_sync_at, updated_at, now() AS db_now"
    " FROM metadata_sync_state"
    " WHERE tenant_id = $1 AND ((mid = $2 AND scope = 'own') OR (mid = $3 AND scope = 'shared'))"
)


def _int(progress: Mapping[str, Any], key: str) -> int:
    value = progress.get(key)
    return int(value) if isinstance(value, int) else 0


def _total(progress: Mapping[str, Any], key: str) -> int | None:
    value = progress.get(key)
    return int(value) if isinstance(value, int) else None


def _is_stale(row: Mapping[str, Any]) -> bool:
    """A running sync writes its row at every batch; one silent this long has died (its
    worker was killed): it is reported FAILED, and the next sync completes the work."""
    return (
        row["status"] == SyncStatus.RUNNING.value
        and row["phase"] != SyncPhase.QUEUED.value
        and row["db_now"] - row["updated_at"] > STALE_AFTER
    )


def _progress_of(row: Mapping[str, Any], shared: SharedStatus | None) -> SyncProgress | None:
    state = _STATE_OF_STATUS.get(row["status"])
    if state is None:
        return None
    if _is_stale(row):
        row = {**row, "reason": "interrupted", "message": INTERRUPTED}
        state = SyncState.FAILED
    raw = row["progress"]
    if isinstance(raw, str | bytes):
        raw = json.loads(raw)
    progress: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
    phase = row["phase"]
    return SyncProgress(
        mid=int(row["mid"]),
        state=state,
        phase=SyncPhase(phase) if phase in SyncPhase.__members__ else None,
        full=bool(row["is_full"]),
        folders_done=_int(progress, "folders_done"),
        folders_total=_total(progress, "folders_total"),
        data_extensions_done=_int(progress, "data_extensions_done"),
        data_extensions_total=_total(progress, "data_extensions_total"),
        fields_done=_int(progress, "fields_done"),
        query_activities_done=_int(progress, "query_activities_done"),
        query_activities_total=_total(progress, "query_activities_total"),
        automations_done=_int(progress, "automations_done"),
        automations_total=_total(progress, "automations_total"),
        message=row["message"] or "",
        reason=row["reason"] or "",
        started_at=row["last_started_at"],
        finished_at=row["last_finished_at"],
        last_success_at=row["last_success_at"],
        last_full_sync_at=row["last_full_sync_at"],
        shared=shared,
    )


def _shared_of(parent_mid: int, row: Mapping[str, Any] | None) -> SharedStatus:
    if row is None:
        return SharedStatus(parent_mid, None, "never_synced", "", None)
    return SharedStatus(
        parent_mid=parent_mid,
        state=_STATE_OF_STATUS.get(row["status"]),
        reason=row["reason"] or "",
        message=row["message"] or "",
        synced_at=row["last_success_at"],
    )


async def read_progress(scope: BuScope) -> SyncProgress | None:
    """The BU's progress (None: never synced nor requested), read in its own context."""
    repo = TenantRepository(scope.ctx)
    parent = scope.parent_mid if scope.parent_mid is not None else -1
    rows = await repo.fetch(_STATE_SQL, [scope.tenant_id, scope.mid, parent])
    own = next((r for r in rows if r["scope"] == SyncScope.OWN.value), None)
    shared_row = next((r for r in rows if r["scope"] == SyncScope.SHARED.value), None)
    shared = None if scope.parent_mid is None else _shared_of(scope.parent_mid, shared_row)
    if own is None:
        return None
    return _progress_of(own, shared)


async def current(ctx: TenantContext, mid: int) -> SyncProgress | None:
    """BU ``mid``'s sync progress in ``ctx``'s tenant, or None when it was never synced.

    The caller has checked that the viewer may see ``mid``; the state is read in ``mid``'s
    own context (its rows and its parent's shared row).
    """
    return await read_progress(await bu_scope(ctx.tenant_id, mid))


async def notify(redis: Redis, tenant_id: int, mid: int) -> None:
    """Tell watchers that BU ``mid``'s state changed (they re-read it)."""
    key = metadata_progress_key(tenant_id, mid)
    await redis.xadd(key, {"at": str(time.time())}, maxlen=STREAM_LENGTH, approximate=True)
    await redis.expire(key, STREAM_TTL_SECONDS)


def notify_blocking(connection: SyncRedis, tenant_id: int, mid: int) -> None:
    """:func:`notify` on a synchronous client (the job queue's; call it in a thread)."""
    key = metadata_progress_key(tenant_id, mid)
    connection.xadd(key, {"at": str(time.time())}, maxlen=STREAM_LENGTH, approximate=True)
    connection.expire(key, STREAM_TTL_SECONDS)


async def _last_id(redis: Redis, key: str) -> str:
    newest = await redis.xrevrange(key, count=1)
    if not newest:
        return "0-0"
    entry_id = newest[0][0]
    return entry_id.decode() if isinstance(entry_id, bytes) else str(entry_id)


async def watch(redis: Redis, ctx: TenantContext, mid: int) -> AsyncGenerator[SyncProgress, None]:
    """BU ``mid``'s progress now (if any), then again after each change, until cancelled.

    Consecutive equal states are yielded once.
    """
    scope = await bu_scope(ctx.tenant_id, mid)
    keys = [metadata_progress_key(scope.tenant_id, scope.mid)]
    if scope.parent_mid is not None:
        keys.append(metadata_progress_key(scope.tenant_id, scope.parent_mid))
    positions = {key: await _last_id(redis, key) for key in keys}
    last = await read_progress(scope)
    if last is not None:
        yield last
    while True:
        answer = await redis.xread(
            positions, block=read_block_ms(redis, BLOCK_MS), count=STREAM_LENGTH
        )
        if not answer:
            continue
        for stream, entries in answer:
            name = stream.decode() if isinstance(stream, bytes) else str(stream)
            entry_id = entries[-1][0]
            positions[name] = entry_id.decode() if isinstance(entry_id, bytes) else str(entry_id)
        state = await read_progress(scope)
        if state is not None and state != last:
            last = state
            yield state
