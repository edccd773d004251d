"""Deploying, retrying and rolling back query activities: the API side (MCE is called by the
job, jobs/deploy.py, never here, except to delete an orphaned DE).

:func:`deploy_query_activity` checks the request's shape, that the user is a member of every
BU it names, and runs each BU's pre-flight (services/deploy/checks.py). ERROR findings
refuse it; WARNING findings refuse it unless the request acknowledges them; both come back
with their BU and position. Then the deployment is recorded PENDING (with every finding),
audited, and its job enqueued with ids only.

The client's ``idempotencyKey`` makes a retried request return the first deployment: the
same key with the same request answers it as it is (``replayed``), with another request
``IDEMPOTENCY_KEY_REUSED``. Nothing is recorded for a refused request, so the key stays
free for the corrected one.

Deployments are their user's alone: an id of another user's, BU's or tenant's deployment
is NOT_FOUND exactly like an id that never existed.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from uuid import UUID

from redis.asyncio import Redis

from client.errors import MceError
from models import ActorType, Outcome, TenantContext, TenantRepository
from models.deployments import DeploymentStatus
from services import audit
from services.audit import NO_REQUEST, Actor, RequestMeta
from services.deploy import progress
from services.deploy.checks import BuCheck, check_business_unit, finding_json
from services.deploy.config import DeployConfig, deploy_config
from services.deploy.request import DeployRequest, TargetSpec, check_request
from services.deploy.store import (
    DEPLOYMENT_COLUMNS,
    DeploymentInfo,
    TargetInfo,
    context_for,
    deployment_by_id,
    deployment_by_key,
    insert_deployment,
    set_deployment_status,
    target_in,
    update_target,
)
from services.errors import InvalidInput, NotFound, QuarryError
from services.job_queue import JobQueue
from services.mce_bridges import bridge_for_user
from services.metadata.preview import MceAccess
from services.preflight.scope import member_context
from services.snippets.types import Edge, Page, cursor_uuid, decode_cursor, encode_cursor

__all__ = [
    "DEPLOYMENT_NOT_FOUND",
    "DEPLOY_JOB",
    "DeployConflict",
    "DeployOutcome",
    "delete_orphaned_data_extension",
    "deploy_job_key",
    "deploy_query_activity",
    "get_deployment",
    "list_deployments",
    "retry_deployment",
    "rollback_deployment",
]

DEPLOY_JOB = "jobs.deploy.deploy_query_activity"
DEPLOYMENT_NOT_FOUND = "No such deployment."
MAX_PAGE = 100
#: BUs whose pre-flight runs at once (below sql_offload's per-user limit of long checks).
CHECKS_AT_ONCE = 3


class DeployConflict(QuarryError):
    """The request cannot go ahead in the deployment's current state."""

    code = "CONFLICT"


@dataclass(frozen=True)
class DeployOutcome:
    """What a deploy request did. ``deployment`` None: refused (``code`` says why:
    ``PREFLIGHT_FAILED`` or ``WARNINGS_NOT_ACKNOWLEDGED``), the findings say where."""

    deployment: DeploymentInfo | None
    checks: tuple[BuCheck, ...] = ()
    replayed: bool = False
    code: str | None = None
    message: str | None = None


def deploy_job_key(deployment: DeploymentInfo) -> str:
    """The job's idempotency key: one pending job per deployment and attempt."""
    return f"deploy:{deployment.id}:{deployment.attempts + 1}"


def _sql_hash(sql: str) -> str:
    return hashlib.sha256(sql.encode()).hexdigest()


async def deploy_query_activity(
    ctx: TenantContext,
    *,
    user_id: UUID,
    request: DeployRequest,
    jobs: JobQueue,
    redis: Redis | None,
    access: MceAccess | None,
    api_token_id: UUID | None = None,
    meta: RequestMeta = NO_REQUEST,
    config: DeployConfig | None = None,
    rollback_of: UUID | None = None,
) -> DeployOutcome:
    """Check, record and queue ``request`` made from ``ctx``'s BU (see the module doc).

    Raises InvalidInput (a malformed part, named), NotFound (field ``mids``: a BU the user
    is not a member of), DeployConflict (``IDEMPOTENCY_KEY_REUSED``).
    """
    config = config or deploy_config()
    if ctx.mid is None:
        raise InvalidInput("A deployment is made from a business unit.")
    check_request(request, max_business_units=config.max_business_units)
    earlier = await deployment_by_key(ctx, user_id=user_id, idempotency_key=request.idempotency_key)
    if earlier is not None:
        return _replay(earlier, request)
    contexts = []
    for mid in request.mids:
        try:
            contexts.append(await member_context(tenant_id=ctx.tenant_id, user_id=user_id, mid=mid))
        except NotFound as exc:
            raise NotFound(f"{exc.message} (MID {mid})", field="mids") from None
    # Each BU's check reads its own cache: a few side by side, so their reads overlap (a
    # long SQL is checked in the tsql thread, which takes a user's few checks at a time).
    gate = asyncio.Semaphore(CHECKS_AT_ONCE)

    async def check(bu_ctx: TenantContext) -> BuCheck:
        async with gate:
            return await check_business_unit(bu_ctx, request, user_id=user_id, access=access)

    checks = tuple(await asyncio.gather(*(check(bu_ctx) for bu_ctx in contexts)))
    if any(check.errors for check in checks):
        return DeployOutcome(
            None,
            checks,
            code="PREFLIGHT_FAILED",
            message="The pre-flight check found what Marketing Cloud would refuse or fail on.",
        )
    if any(check.warnings for check in checks) and not request.acknowledge_warnings:
        return DeployOutcome(
            None,
            checks,
            code="WARNINGS_NOT_ACKNOWLEDGED",
            message="The pre-flight check has warnings: read them, then deploy again with"
            " acknowledgeWarnings.",
        )
    findings = [finding_json(check.mid, f) for check in checks for f in check.findings]
    deployment, created = await insert_deployment(
        ctx, user_id=user_id, api_token_id=api_token_id,
        idempotency_key=request.idempotency_key, request_hash=request.request_hash(),
        activity_key=request.key, activity_name=request.name, description=request.description,
        folder_path=request.folder_path, sql=request.sql, sql_hash=_sql_hash(request.sql),
        update_type=request.update_type, target=request.target, automation=request.automation,
        create_missing=request.create_missing, force=request.force, findings=findings,
        target_mids=request.mids, rollback_of=rollback_of,
    )  # fmt: skip
    if not created:
        return _replay(deployment, request)
    await audit.record(
        ctx,
        action="deployment.rolled_back" if rollback_of else "deployment.requested",
        outcome=Outcome.SUCCESS,
        actor=_actor(user_id, api_token_id),
        meta=meta,
        target=f"deployment:{deployment.id}",
        details={
            "activity_key": deployment.activity_key,
            "sql_hash": deployment.sql_hash,
            "update_type": deployment.update_type.value,
            "target_key": deployment.target.key,
            "business_units": [str(m) for m in deployment.target_mids],
            "rollback_of": None if rollback_of is None else str(rollback_of),
            "warnings_acknowledged": request.acknowledge_warnings,
            "force": request.force,
        },
    )
    await _enqueue(ctx, deployment, jobs=jobs, redis=redis)
    return DeployOutcome(deployment, checks)


def _actor(user_id: UUID, api_token_id: UUID | None) -> Actor:
    if api_token_id is not None:
        return Actor(ActorType.API_TOKEN, str(api_token_id))
    return Actor(ActorType.USER, str(user_id))


def _replay(earlier: DeploymentInfo, request: DeployRequest) -> DeployOutcome:
    if earlier.request_hash != request.request_hash():
        raise DeployConflict(
            "This idempotency key was used for a different deployment: use a new key for a"
            " new request.",
            code="IDEMPOTENCY_KEY_REUSED",
            field="idempotencyKey",
        )
    return DeployOutcome(earlier, replayed=True)


async def _enqueue(
    ctx: TenantContext, deployment: DeploymentInfo, *, jobs: JobQueue, redis: Redis | None
) -> None:
    """Queue the job (ids only); when the queue cannot take it the deployment fails at once
    (a retry queues it again)."""
    await progress.publish_quietly(
        redis,
        deployment.id,
        progress.deployment_event(deployment.id, status=deployment.status.value),
    )
    config = deploy_config()
    try:
        await jobs.enqueue(
            DEPLOY_JOB,
            deployment.tenant_id,
            deployment.mid,
            deployment.id,
            queue="default",
            idempotency_key=deploy_job_key(deployment),
            timeout_seconds=config.job_timeout_seconds,
        )
    except Exception:
        await set_deployment_status(
            ctx, deployment.id, to=DeploymentStatus.FAILED, expected=[DeploymentStatus.PENDING]
        )
        raise


async def _owned(ctx: TenantContext, *, user_id: UUID, deployment_id: UUID) -> DeploymentInfo:
    found = await deployment_by_id(ctx, deployment_id, user_id=user_id)
    if found is None:
        raise NotFound(DEPLOYMENT_NOT_FOUND, field="id")
    return found


async def get_deployment(
    ctx: TenantContext, *, user_id: UUID, deployment_id: UUID
) -> DeploymentInfo | None:
    """The user's deployment made from ``ctx``'s BU, or None."""
    return await deployment_by_id(ctx, deployment_id, user_id=user_id)


def _stale(deployment: DeploymentInfo, config: DeployConfig) -> bool:
    return deployment.status is DeploymentStatus.RUNNING and (
        datetime.now(UTC) - deployment.updated_at > timedelta(seconds=config.job_timeout_seconds)
    )


_FORCE_SQL = (
    "UPDATE deployments SET force = true, updated_at = now()"
    " WHERE tenant_id = $1 AND mid = $2 AND id = $3"
)


async def retry_deployment(
    ctx: TenantContext,
    *,
    user_id: UUID,
    deployment_id: UUID,
    force: bool,
    jobs: JobQueue,
    redis: Redis | None,
    meta: RequestMeta = NO_REQUEST,
    api_token_id: UUID | None = None,
) -> DeploymentInfo:
    """Run the deployment again for the BUs that did not succeed (``force``: overwrite
    drifted activities too). A SUCCEEDED deployment is answered as it is; a PENDING one has
    its job queued again if it was lost; a RUNNING one is a CONFLICT."""
    config = deploy_config()
    deployment = await _owned(ctx, user_id=user_id, deployment_id=deployment_id)
    if deployment.status is DeploymentStatus.SUCCEEDED:
        return deployment
    if deployment.status is DeploymentStatus.RUNNING and not _stale(deployment, config):
        raise DeployConflict("The deployment is running; retry once it has ended.", field="id")
    if force and not deployment.force:
        await TenantRepository(ctx).fetch(_FORCE_SQL, [ctx.tenant_id, ctx.mid, deployment.id])
    if deployment.status is not DeploymentStatus.PENDING:
        expected = [DeploymentStatus.FAILED, DeploymentStatus.PARTIAL, DeploymentStatus.RUNNING]
        moved = await set_deployment_status(
            ctx, deployment.id, to=DeploymentStatus.PENDING, expected=expected
        )
        if moved is None:
            raise DeployConflict("The deployment changed meanwhile; look again.", field="id")
    deployment = await _owned(ctx, user_id=user_id, deployment_id=deployment_id)
    await audit.record(
        ctx,
        action="deployment.retried",
        outcome=Outcome.SUCCESS,
        actor=_actor(user_id, api_token_id),
        meta=meta,
        target=f"deployment:{deployment.id}",
        details={"force": force, "attempts": deployment.attempts},
    )
    await _enqueue(ctx, deployment, jobs=jobs, redis=redis)
    return deployment


async def rollback_deployment(
    ctx: TenantContext,
    *,
    user_id: UUID,
    deployment_id: UUID,
    idempotency_key: str,
    acknowledge_warnings: bool,
    force: bool,
    jobs: JobQueue,
    redis: Redis | None,
    access: MceAccess | None,
    api_token_id: UUID | None = None,
    meta: RequestMeta = NO_REQUEST,
) -> DeployOutcome:
    """Deploy an earlier deployment's SQL and settings again, to its BUs (a new deployment
    that names the one it rolls back to). Its targets exist by now, so none is created."""
    earlier = await _owned(ctx, user_id=user_id, deployment_id=deployment_id)
    request = DeployRequest(
        name=earlier.activity_name,
        key=earlier.activity_key,
        sql=earlier.sql,
        target=_existing_target(earlier),
        update_type=earlier.update_type,
        mids=earlier.target_mids,
        idempotency_key=idempotency_key,
        description=earlier.description,
        folder_path=earlier.folder_path,
        create_missing=False,
        automation=earlier.automation,
        acknowledge_warnings=acknowledge_warnings,
        force=force,
        rollback_of=str(earlier.id),
    )
    return await deploy_query_activity(
        ctx, user_id=user_id, request=request, jobs=jobs, redis=redis, access=access,
        api_token_id=api_token_id, meta=meta, rollback_of=earlier.id,
    )  # fmt: skip


def _existing_target(earlier: DeploymentInfo) -> TargetSpec:
    return replace(earlier.target, create=False)


_LIST_SQL = (
    f"SELECT {DEPLOYMENT_COLUMNS} FROM deployments"  # noqa: S608 - constants only
    " WHERE tenant_id = $1 AND mid = $2 AND user_id = $3"
    " AND ($4::bigint IS NULL OR $4 = ANY(target_mids))"
    " AND ($5::text IS NULL OR status = $5)"
    " AND ($6::text IS NULL OR lower(activity_key) = lower($6))"
    " AND ($7::timestamptz IS NULL OR (created_at, id) < ($7::timestamptz, $8::uuid))"
    " ORDER BY created_at DESC, id DESC LIMIT $9"
)


async def list_deployments(
    ctx: TenantContext,
    *,
    user_id: UUID,
    first: int,
    after: str | None,
    mid: int | None = None,
    status: DeploymentStatus | None = None,
    activity_key: str | None = None,
) -> Page[DeploymentInfo]:
    """The user's deployments made from ``ctx``'s BU, newest first; ``mid``: those that
    target that BU."""
    if not 1 <= first <= MAX_PAGE:
        raise InvalidInput(f"'first' must be between 1 and {MAX_PAGE}.", field="first")
    if activity_key is not None and (len(activity_key) > 200 or "\x00" in activity_key):
        raise InvalidInput("Not an activity key.", field="activityKey")
    since: datetime | None = None
    last: UUID | None = None
    if after is not None:
        stamp, raw_id = decode_cursor(after, shape=(str, str))
        try:
            since = datetime.fromisoformat(stamp)
        except ValueError:
            raise InvalidInput("Not a cursor from this list.", field="after") from None
        if since.tzinfo is None:
            raise InvalidInput("Not a cursor from this list.", field="after")
        last = cursor_uuid(raw_id)
    rows = await TenantRepository(ctx).fetch(
        _LIST_SQL,
        [
            ctx.tenant_id, ctx.mid, user_id, mid, None if status is None else status.value,
            activity_key, since, last, first + 1,
        ],
    )  # fmt: skip
    found = [DeploymentInfo.from_row(row) for row in rows[:first]]
    edges = [Edge(cursor=encode_cursor(d.created_at.isoformat(), str(d.id)), node=d) for d in found]
    return Page(edges=edges, has_next_page=len(rows) > first)


async def delete_orphaned_data_extension(
    ctx: TenantContext,
    *,
    user_id: UUID,
    deployment_id: UUID,
    mid: int,
    access: MceAccess,
    meta: RequestMeta = NO_REQUEST,
    api_token_id: UUID | None = None,
) -> TargetInfo:
    """Delete the DE a deployment created in BU ``mid`` for an activity that never came to
    exist there (an orphan), as the user with their token for that BU (the parent's for a
    shared DE). Anything else is refused: a DE that an activity writes into, one the
    deployment did not create, one already deleted."""
    deployment = await _owned(ctx, user_id=user_id, deployment_id=deployment_id)
    if mid not in deployment.target_mids:
        raise NotFound("The deployment has no such business unit.", field="mid")
    if deployment.status in (DeploymentStatus.PENDING, DeploymentStatus.RUNNING):
        raise DeployConflict("The deployment is in progress; wait until it ends.", field="id")
    bu_ctx = context_for(deployment, mid)
    target = await target_in(bu_ctx, deployment.id)
    if target is None or not target.orphaned:
        raise InvalidInput(
            "This business unit has no data extension this deployment created and left"
            " without its activity.",
            code="NOT_ORPHANED",
            field="mid",
        )
    owner_mid = mid
    if target.target_shared:
        rows = await TenantRepository(bu_ctx).fetch(
            "SELECT parent_mid FROM business_units WHERE tenant_id = $1 AND mid = $2",
            [deployment.tenant_id, mid],
        )
        if rows and rows[0]["parent_mid"] is not None:
            owner_mid = int(rows[0]["parent_mid"])
    bridge = await bridge_for_user(
        bu_ctx, user_id=user_id, mid=owner_mid, http=access.http, tokens=access.tokens,
        policy=access.policy,
    )  # fmt: skip
    try:
        await bridge.soap.delete_data_extension(target.target_key, missing_ok=True)
    except MceError as exc:
        raise QuarryError(
            f"Marketing Cloud did not delete the data extension: {exc.message}",
            code="MCE_UNAVAILABLE",
        ) from None
    deleted = await update_target(
        bu_ctx, target.id, target_deleted_at=datetime.now(UTC), target_object_id=None
    )
    await audit.record(
        bu_ctx,
        action="deployment.orphan_deleted",
        outcome=Outcome.SUCCESS,
        actor=_actor(user_id, api_token_id),
        meta=meta,
        mid=mid,
        target=f"deployment:{deployment.id}",
        details={"data_extension_key": target.target_key, "owner_mid": owner_mid},
    )
    return deleted or target
