"""RQ entry points of the metadata sync (ids only; the work is services/metadata/sync.py).

- ``sync_business_unit(tenant_id, mid, user_id, full)``: requested by a user (sign-in,
  ``refreshMetadata``): acts as that user, else the BU's most recent usable member.
- ``scheduled_sync(tenant_id, mid)``: the scheduler's; acts as the BU's most recent usable
  member; full when the last full sync is a day old, incremental otherwise.
- ``sync_shared(tenant_id, parent_mid)``: the parent's shared DEs (resumed from waiting work
  when someone who can reach the parent signs in).
- ``enqueue_due_syncs()``: the scheduler's tick (services/metadata/scheduler.py); runs as the
  system role, the only one that may list every tenant's BUs.

Idempotent: a sync only converges the cache on MCE; a second job for a BU already syncing
returns at once (it joined the running one).
"""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import UUID

from services.acting import BackgroundWork
from services.metadata.scheduler import enqueue_due_syncs as _enqueue_due
from services.metadata.scheduler import full_sync_due
from services.metadata.sync import SyncDeps, run_shared_sync, run_sync
from services.runtime import JobServices, job_services, redis_url, system_database_url

__all__ = ["enqueue_due_syncs", "scheduled_sync", "sync_business_unit", "sync_shared"]


def _deps(services: JobServices) -> SyncDeps:
    return SyncDeps(
        redis=services.redis,
        http=services.http,
        tokens=services.tokens,
        policy=services.auth.policy,
    )


def sync_business_unit(tenant_id: int, mid: int, user_id: UUID, full: int) -> dict[str, Any]:
    return asyncio.run(_sync(tenant_id, mid, user_id, bool(full)))


async def _sync(tenant_id: int, mid: int, user_id: UUID, full: bool) -> dict[str, Any]:
    async with job_services() as services:
        return await run_sync(
            _deps(services), tenant_id=tenant_id, mid=mid, user_id=user_id, full=full
        )


def scheduled_sync(tenant_id: int, mid: int) -> dict[str, Any]:
    return asyncio.run(_scheduled(tenant_id, mid))


async def _scheduled(tenant_id: int, mid: int) -> dict[str, Any]:
    async with job_services() as services:
        return await run_sync(
            _deps(services),
            tenant_id=tenant_id,
            mid=mid,
            user_id=None,
            full=await full_sync_due(tenant_id, mid),
            kind=BackgroundWork.SCHEDULED_SYNC,
        )


def sync_shared(tenant_id: int, parent_mid: int) -> dict[str, Any]:
    return asyncio.run(_shared(tenant_id, parent_mid))


async def _shared(tenant_id: int, parent_mid: int) -> dict[str, Any]:
    async with job_services() as services:
        return await run_shared_sync(
            _deps(services), tenant_id=tenant_id, parent_mid=parent_mid, user_id=None
        )


def enqueue_due_syncs() -> dict[str, Any]:
    return asyncio.run(_due())


async def _due() -> dict[str, Any]:
    count = await _enqueue_due(system_database_url(), redis_url=redis_url())
    return {"enqueued": count}
