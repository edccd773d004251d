"""The deploy job's work: every target BU of a deployment, in parallel, each on its own.

``jobs.deploy.deploy_query_activity(tenant_id, mid, deployment_id)`` (ids only) calls
:func:`run_deployment`. It moves the deployment PENDING → RUNNING (compare-and-set: one job
at a time), then deploys its BUs side by side, at most ``DEPLOY_BU_CONCURRENCY`` of the
tenant's BUs at once across workers (a Redis slot per BU, client/limits.py). Each BU acts as
the deployment's user (services/acting.py, ``DEPLOY``) with that user's token for that BU
(one lineage mints a token per member BU, docs/auth.md), so MCE checks the user's own rights
there, and walks its steps (services/deploy/bu.py): folder, target, MCE's validation,
activity (with the drift check), automation. A BU that fails fails alone; its row says where
and why, with MCE's own message. The deployment ends SUCCEEDED, PARTIAL or FAILED.

A retry runs the job again: BUs that succeeded are skipped, the others start over, finding by
key what an earlier attempt made (nothing is created twice).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import httpx
from redis.asyncio import Redis

from client.bridge import MceBridge
from client.endpoints import EndpointPolicy
from client.limits import RedisConcurrencyLimiter
from client.tokens import TokenProvider
from models import ActorType, Outcome, TenantContext
from models.deployments import DeploymentStatus, TargetStatus
from services import audit
from services.audit import Actor
from services.deploy import progress
from services.deploy.bu import BusinessUnitDeployment
from services.deploy.config import DeployConfig, deploy_config
from services.deploy.store import (
    DeploymentInfo,
    TargetInfo,
    deployment_by_id,
    set_deployment_status,
)
from services.mce_bridges import bridge_for_user
from services.metadata.preview import MceAccess
from services.redis_keys import deployment_slots_key

__all__ = ["DeployDeps", "final_status", "run_deployment"]

log = logging.getLogger("quarry.deploy")


@dataclass(frozen=True)
class DeployDeps:
    redis: Redis
    http: httpx.AsyncClient
    tokens: TokenProvider
    policy: EndpointPolicy
    config: DeployConfig | None = None


def final_status(outcomes: list[TargetStatus]) -> DeploymentStatus:
    succeeded = sum(1 for status in outcomes if status is TargetStatus.SUCCEEDED)
    if outcomes and succeeded == len(outcomes):
        return DeploymentStatus.SUCCEEDED
    return DeploymentStatus.PARTIAL if succeeded else DeploymentStatus.FAILED


def _stale(deployment: DeploymentInfo, config: DeployConfig) -> bool:
    """RUNNING with no change for longer than a job may run: its worker died."""
    limit = timedelta(seconds=config.job_timeout_seconds)
    return deployment.status is DeploymentStatus.RUNNING and (
        datetime.now(UTC) - deployment.updated_at > limit
    )


async def run_deployment(
    deps: DeployDeps, *, tenant_id: int, mid: int, deployment_id: UUID
) -> dict[str, Any]:
    """Deploy every BU of the deployment that has not succeeded yet (module doc)."""
    config = deps.config or deploy_config()
    ctx = TenantContext(tenant_id=tenant_id, mid=mid)
    deployment = await deployment_by_id(ctx, deployment_id, user_id=None)
    if deployment is None:
        return {"outcome": "missing"}
    expected = [DeploymentStatus.PENDING]
    if _stale(deployment, config):
        expected.append(DeploymentStatus.RUNNING)
    started = await set_deployment_status(
        ctx, deployment.id, to=DeploymentStatus.RUNNING, expected=expected, new_attempt=True
    )
    if started is None:
        return {"outcome": "already", "status": deployment.status.value}
    await progress.publish_quietly(
        deps.redis,
        started.id,
        progress.deployment_event(started.id, status="RUNNING", attempt=started.attempts),
    )
    limiter = RedisConcurrencyLimiter(
        deps.redis,
        limit=config.bu_concurrency,
        lease_seconds=config.job_timeout_seconds,
        acquire_timeout=config.slot_wait_seconds,
        key_for=deployment_slots_key,
    )
    bridge = await _bridge(deps, started)
    results = await asyncio.gather(
        *(
            BusinessUnitDeployment(
                deployment=started,
                mid=target_mid,
                origin=bridge,
                redis=deps.redis,
                limiter=limiter,
                access=MceAccess(http=deps.http, tokens=deps.tokens, policy=deps.policy),
            ).run()
            for target_mid in started.target_mids
        )
    )
    return await _finish(deps, ctx, started, list(results))


async def _bridge(deps: DeployDeps, deployment: DeploymentInfo) -> MceBridge | None:
    """The user's bridge in the origin BU (each BU gets its own from it); None when the
    tenant cannot be reached at all (every BU then fails with why)."""
    try:
        return await bridge_for_user(
            deployment.context(), user_id=deployment.user_id, mid=deployment.mid,
            http=deps.http, tokens=deps.tokens, policy=deps.policy,
        )  # fmt: skip
    except Exception:
        log.warning("deployment %s: no bridge for its user", deployment.id)
        return None


async def _finish(
    deps: DeployDeps, ctx: TenantContext, deployment: DeploymentInfo, results: list[TargetInfo]
) -> dict[str, Any]:
    status = final_status([target.status for target in results])
    ended = await set_deployment_status(
        ctx, deployment.id, to=status, expected=[DeploymentStatus.RUNNING]
    )
    counts = {s.value: sum(1 for t in results if t.status is s) for s in TargetStatus}
    await audit.record(
        ctx,
        action="deployment.finished",
        outcome=Outcome.SUCCESS if status is DeploymentStatus.SUCCEEDED else Outcome.FAILURE,
        actor=Actor(ActorType.USER, str(deployment.user_id)),
        mid=deployment.mid,
        target=f"deployment:{deployment.id}",
        details={
            "status": status.value,
            "activity_key": deployment.activity_key,
            "sql_hash": deployment.sql_hash,
            "business_units": {str(t.mid): t.status.value for t in results},
        },
    )
    await progress.publish_quietly(
        deps.redis,
        deployment.id,
        progress.deployment_event(deployment.id, status=status.value, attempt=deployment.attempts),
    )
    return {
        "outcome": status.value if ended is not None else "raced",
        "succeeded": counts[TargetStatus.SUCCEEDED.value],
        "failed": counts[TargetStatus.FAILED.value],
        "drifted": counts[TargetStatus.DRIFTED.value],
    }
