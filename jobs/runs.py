"""RQ entry points of the runs engine (ids only; the work is in services/runs/).

- ``start_run(tenant_id, mid, run_id)``: lease a shell, point it at the run's SQL, Perform
  (services/runs/execute.py). Queue ``high``; timeout :data:`START_TIMEOUT_SECONDS`; the
  idempotency key ``run-start:{run_id}`` (services/runs/start.py) makes a second enqueue a
  no-op while one is pending. No automatic retry: a start is never resent blindly; a job that
  died is resumed by the reconciler, and a resumed start confirms with MCE first.
- ``recycle_assets(tenant_id, mid)``: expire finished runs' results windows, free dead leases,
  delete idle shells beyond the pool (services/runs/recycle.py). Idempotent.
- ``purge_assets(tenant_id, mid)``: delete every Quarry asset of the BU in MCE and its
  inventory rows. Idempotent.
"""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import UUID

from services.runs.execute import StartDeps, start_run_job
from services.runs.start import START_TIMEOUT_SECONDS
from services.runtime import JobServices, job_services

__all__ = ["START_TIMEOUT_SECONDS", "start_run"]


def _deps(services: JobServices) -> StartDeps:
    return StartDeps(
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
