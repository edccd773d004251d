"""Writes to ``metadata_sync_state``: a sync's start, its progress, its end; each change is
announced on the BU's progress stream (:func:`services.metadata.progress.notify`).

The ``own`` row of a BU is private to it; the ``shared`` row of a parent is ``is_shared`` so
its children can read whether, and why not, its shared DEs were synced.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from redis.asyncio import Redis

from models import TenantRepository
from models.metadata import SyncScope, SyncStatus
from services.metadata.cache import new_generation
from services.metadata.context import BuScope
from services.metadata.progress import SyncPhase, notify

__all__ = [
    "ProgressSink",
    "QuietSink",
    "SyncRecorder",
    "SyncStart",
    "mark_queued",
    "record_failure",
]

_UPSERT = (
    "INSERT INTO metadata_sync_state AS s (id, tenant_id, mid, is_shared, created_at, scope,"
    " status, reason, message, phase, is_full, progress, generation, last_started_at,"
    " updated_at) VALUES (gen_random_uuid(), $1, $2, $3, now(), $4, 'running', '', '', $5,"
    " $6, '{}'::jsonb, $7, now(), now())"
    " ON CONFLICT (tenant_id, mid, scope) DO UPDATE SET status = 'running', reason = '',"
    " message = '', phase = EXCLUDED.phase, is_full = EXCLUDED.is_full, progress = '{}'::jsonb,"
    " generation = EXCLUDED.generation, last_started_at = now(), last_finished_at = NULL,"
    " updated_at = now()"
    " RETURNING cursor, last_success_at"
)
_QUEUE = (
    "INSERT INTO metadata_sync_state AS s (id, tenant_id, mid, is_shared, created_at, scope,"
    " status, phase, is_full, progress, updated_at) VALUES (gen_random_uuid(), $1, $2, $3,"
    " now(), $4, 'running', 'QUEUED', $5, '{}'::jsonb, now())"
    " ON CONFLICT (tenant_id, mid, scope) DO UPDATE SET status = 'running', phase = 'QUEUED',"
    " reason = '', message = '', is_full = EXCLUDED.is_full, progress = '{}'::jsonb,"
    " last_finished_at = NULL, updated_at = now() WHERE s.status <> 'running'"
)
_PROGRESS = (
    "UPDATE metadata_sync_state SET phase = $4, progress = $5::jsonb, updated_at = now()"
    " WHERE tenant_id = $1 AND mid = $2 AND scope = $3"
)
_FINISH = (
    "UPDATE metadata_sync_state SET status = 'complete', phase = 'DONE', progress = $4::jsonb,"
    " last_finished_at = now(), last_success_at = now(), cursor = $5,"
    " last_full_sync_at = CASE WHEN $6 THEN now() ELSE last_full_sync_at END,"
    " folders_count = $7, data_extensions_count = $8, fields_count = $9,"
    " query_activities_count = $10, automations_count = $11, updated_at = now()"
    " WHERE tenant_id = $1 AND mid = $2 AND scope = $3"
)
_FAIL = (
    "INSERT INTO metadata_sync_state AS s (id, tenant_id, mid, is_shared, created_at, scope,"
    " status, reason, message, progress, last_finished_at, updated_at) VALUES"
    " (gen_random_uuid(), $1, $2, $3, now(), $4, $5, $6, $7, '{}'::jsonb, now(), now())"
    " ON CONFLICT (tenant_id, mid, scope) DO UPDATE SET status = EXCLUDED.status,"
    " reason = EXCLUDED.reason, message = EXCLUDED.message, last_finished_at = now(),"
    " updated_at = now()"
)
_COUNTS_SQL = (
    "SELECT (SELECT count(*) FROM mce_folders WHERE tenant_id = $1 AND mid = $2) AS folders,"
    " (SELECT count(*) FROM mce_data_extensions WHERE tenant_id = $1 AND mid = $2) AS des,"
    " (SELECT count(*) FROM mce_data_extension_fields WHERE tenant_id = $1 AND mid = $2)"
    "  AS fields,"
    " (SELECT count(*) FROM mce_query_activities WHERE tenant_id = $1 AND mid = $2) AS queries,"
    " (SELECT count(*) FROM mce_automations WHERE tenant_id = $1 AND mid = $2) AS automations"
)


class ProgressSink(Protocol):
    """Where the steps report what they did: a sync's recorder, or nothing (lazy loading)."""

    counters: dict[str, int]

    def add(self, name: str, amount: int = 1) -> None: ...

    def set(self, name: str, value: int) -> None: ...

    async def publish(self, phase: SyncPhase | None = None) -> None: ...


@dataclass
class QuietSink:
    """Counts, announces nothing: lazy loads are not syncs."""

    counters: dict[str, int] = field(default_factory=dict)

    def add(self, name: str, amount: int = 1) -> None:
        self.counters[name] = self.counters.get(name, 0) + amount

    def set(self, name: str, value: int) -> None:
        self.counters[name] = value

    async def publish(self, phase: SyncPhase | None = None) -> None:
        return None


@dataclass(frozen=True)
class SyncStart:
    generation: int
    cursor: datetime | None
    """The previous complete sync's start (aware UTC), None if there was none."""
    full: bool


async def mark_queued(scope: BuScope, *, sync_scope: SyncScope, full: bool) -> None:
    """Say a sync was requested (unless one already runs); the caller tells watchers."""
    await TenantRepository(scope.ctx).fetch(
        _QUEUE,
        [scope.tenant_id, scope.mid, sync_scope is SyncScope.SHARED, sync_scope.value, full],
    )


@dataclass
class SyncRecorder:
    """One running sync's state row: its phase and counters, written and announced."""

    redis: Redis
    scope: BuScope
    sync_scope: SyncScope
    phase: SyncPhase = SyncPhase.QUEUED
    counters: dict[str, int] = field(default_factory=dict)

    @property
    def _key(self) -> list[Any]:
        return [self.scope.tenant_id, self.scope.mid, self.sync_scope.value]

    async def begin(self, *, full: bool) -> SyncStart:
        """Mark the sync running with a new generation; a sync without a previous complete
        one is always full."""
        generation = new_generation()
        rows = await TenantRepository(self.scope.ctx).fetch(
            _UPSERT,
            [
                self.scope.tenant_id,
                self.scope.mid,
                self.sync_scope is SyncScope.SHARED,
                self.sync_scope.value,
                SyncPhase.FOLDERS.value,
                full,
                generation,
            ],
        )
        cursor = rows[0]["cursor"] if rows[0]["last_success_at"] is not None else None
        is_full = full or cursor is None
        if is_full != full:
            await TenantRepository(self.scope.ctx).fetch(
                "UPDATE metadata_sync_state SET is_full = true"
                " WHERE tenant_id = $1 AND mid = $2 AND scope = $3",
                self._key,
            )
        self.phase = SyncPhase.FOLDERS
        await notify(self.redis, self.scope.tenant_id, self.scope.mid)
        return SyncStart(generation=generation, cursor=None if is_full else cursor, full=is_full)

    def add(self, name: str, amount: int = 1) -> None:
        self.counters[name] = self.counters.get(name, 0) + amount

    def set(self, name: str, value: int) -> None:
        self.counters[name] = value

    async def publish(self, phase: SyncPhase | None = None) -> None:
        """Write the phase and counters and tell watchers."""
        if phase is not None:
            self.phase = phase
        await TenantRepository(self.scope.ctx).fetch(
            _PROGRESS, [*self._key, self.phase.value, json.dumps(self.counters)]
        )
        await notify(self.redis, self.scope.tenant_id, self.scope.mid)

    async def finish(self, *, cursor: datetime | None, full: bool) -> None:
        """Record success; ``cursor`` None makes the next sync full."""
        repo = TenantRepository(self.scope.ctx)
        counts = (await repo.fetch(_COUNTS_SQL, [self.scope.tenant_id, self.scope.mid]))[0]
        self.phase = SyncPhase.DONE
        await repo.fetch(
            _FINISH,
            [
                *self._key,
                json.dumps(self.counters),
                cursor,
                full,
                int(counts["folders"]),
                int(counts["des"]),
                int(counts["fields"]),
                int(counts["queries"]),
                int(counts["automations"]),
            ],
        )
        await notify(self.redis, self.scope.tenant_id, self.scope.mid)

    async def fail(self, *, status: SyncStatus, reason: str, message: str) -> None:
        await record_failure(
            self.redis, self.scope, sync_scope=self.sync_scope, status=status, reason=reason,
            message=message,
        )  # fmt: skip


async def record_failure(
    redis: Redis,
    scope: BuScope,
    *,
    sync_scope: SyncScope,
    status: SyncStatus,
    reason: str,
    message: str,
) -> None:
    """Record that a sync failed or cannot run (NEEDS_SIGN_IN), with why; tell watchers."""
    await TenantRepository(scope.ctx).fetch(
        _FAIL,
        [
            scope.tenant_id,
            scope.mid,
            sync_scope is SyncScope.SHARED,
            sync_scope.value,
            status.value,
            reason[:64],
            message[:2000],
        ],
    )
    await notify(redis, scope.tenant_id, scope.mid)
