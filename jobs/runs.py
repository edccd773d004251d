"""RQ entry points of the runs engine (ids only; the work is in services/runs/).

- ``start_run(tenant_id, mid, run_id)``: lease a shell, point it at the run's SQL, Perform
  (services/runs/execute.py). Queue ``high``; timeout :data:`START_TIMEOUT_SECONDS`; the
  idempotency key ``run-start:{run_id}`` (services/runs/start.py) makes a second enqueue a
  no-op while one is pending. No automatic retry: a start is never resent blindly; a job that
  died is resumed by the reconciler, and a resumed start confirms with MCE first.
- ``recycle_assets(tenant_id, mid)``: expire finished runs' results, delete idle shells beyond
  the pool, clean refused assets (services/runs/recycle.py), acting as the assets' creator
  or the BU's most recent usable member. Queue ``low``, key ``runs-recycle:{tenant}:{mid}``.
  Idempotent; failures are retried by the next pass.
- ``purge_assets(tenant_id, mid, admin_user_id)``: delete every Quarry asset of the BU in MCE
  and from the inventory (``purgeMceAssets``), acting as that administrator where they can.
  Idempotent.
- ``recycle_everywhere()``: the scheduler's tick (system role): one recycle job per BU with
  work.
"""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import UUID

from services.runs.cleanup import CleanupDeps, cleanup_bu, enqueue_recycling
from services.runs.execute import StartDeps, start_run_job
from services.runs.start import START_TIMEOUT_SECONDS
from services.runtime import JobServices, job_services, redis_url, system_database_url

__all__ = [
    "START_TIMEOUT_SECONDS",
    "purge_assets",
    "recycle_assets",
    "recycle_everywhere",
    "start_run",
]


def _deps(services: JobServices) -> StartDeps:
    return StartDeps(
        redis=services.redis,
        http=services.http,
        tokens=services.tokens,
        policy=services.auth.policy,
    )


def _cleanup_deps(services: JobServices) -> CleanupDeps:
    return CleanupDeps(
        redis=services.redis,
        http=services.http,
        tokens=services.tokens,
        policy=services.auth.policy,
    )


def start_run(tenant_id: int, mid: int, run_id: UUID) -> dict[str, Any]:
    return asyncio.run(_start(tenant_id, mid, run_id))


async def _start(tenant_id: int, mid: int, run_id: UUID) -> dict[str, Any]:
    async with job_services() as services:
        return await start_run_job(_deps(services), tenant_id=tenant_id, mid=mid, run_id=run_id)


def recycle_assets(tenant_id: int, mid: int) -> dict[str, Any]:
    return asyncio.run(_cleanup(tenant_id, mid, purge=False, admin_user_id=None))


def purge_assets(tenant_id: int, mid: int, admin_user_id: UUID) -> dict[str, Any]:
    return asyncio.run(_cleanup(tenant_id, mid, purge=True, admin_user_id=admin_user_id))


async def _cleanup(
    tenant_id: int, mid: int, *, purge: bool, admin_user_id: UUID | None
) -> dict[str, Any]:
    async with job_services() as services:
        report = await cleanup_bu(
            _cleanup_deps(services), tenant_id=tenant_id, mid=mid, purge=purge,
            admin_user_id=admin_user_id,
        )  # fmt: skip
    return {
        "deleted": report.deleted,
        "failed": len(report.failed),
        "expired_runs": report.expired_runs,
        "canceled_runs": report.canceled_runs,
    }


def recycle_everywhere() -> dict[str, Any]:
    return {
        "enqueued": asyncio.run(enqueue_recycling(system_database_url(), redis_url=redis_url()))
    }
