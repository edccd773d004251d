"""RQ entry point of deployments (ids only; the work is in services/deploy/).

- ``deploy_query_activity(tenant_id, mid, deployment_id)``: deploy every BU of the
  deployment that has not succeeded yet (services/deploy/runner.py), acting as the user who
  asked, with their token for each BU. Queue ``default``; timeout ``DEPLOY_JOB_TIMEOUT_SECONDS``
  (900); idempotency key ``deploy:{deployment_id}:{attempt}`` (services/deploy/service.py), so
  a second enqueue of the same attempt is a no-op while one is pending. No automatic retry:
  creates are never resent blindly; the user retries (``retryDeployment``), and the retried
  job finds by key what an earlier attempt made.
"""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import UUID

from services.deploy.runner import DeployDeps, run_deployment
from services.runtime import job_services

__all__ = ["deploy_query_activity"]


def deploy_query_activity(tenant_id: int, mid: int, deployment_id: UUID) -> dict[str, Any]:
    return asyncio.run(_deploy(tenant_id, mid, deployment_id))


async def _deploy(tenant_id: int, mid: int, deployment_id: UUID) -> dict[str, Any]:
    async with job_services() as services:
        deps = DeployDeps(
            redis=services.redis,
            http=services.http,
            tokens=services.tokens,
            policy=services.auth.policy,
        )
        return await run_deployment(deps, tenant_id=tenant_id, mid=mid, deployment_id=deployment_id)
