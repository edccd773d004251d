"""Deployment use-cases for GraphQL: deploy, retry, roll back, delete an orphaned DE, read,
list and follow the viewer's deployments, and who requested them.

A browser session and a READ_WRITE API token deploy alike; a READ token reads but never
deploys. Ids arrive as local ids; one that is malformed, another user's, another BU's or
another tenant's is NOT_FOUND in a mutation and null in a read, alike. MIDs are strings
(they exceed GraphQL's Int); a BU the viewer is not a member of is NOT_FOUND (``mids``).
A folder or DE may be named by its metadata id instead of a path or key: resolved under the
viewer's context (services/deploy/references.py).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from redis.asyncio import Redis

from models.deployments import FINAL_DEPLOYMENT_STATUSES, DeploymentStatus, UpdateType
from services.audit import NO_REQUEST, RequestMeta
from services.authn import Authentication
from services.deploy import progress
from services.deploy import service as deploys
from services.deploy.references import folder_path_of, target_of
from services.deploy.request import (
    AutomationSpec,
    DeployRequest,
    TargetSpec,
    check_path,
    check_schedule,
)
from services.deploy.requesters import RequesterInfo, requesters
from services.deploy.service import DEPLOYMENT_NOT_FOUND, DeployOutcome
from services.deploy.store import DeploymentInfo, TargetInfo, targets_of
from services.errors import InvalidInput, NotFound, PermissionDenied
from services.identity import Principal
from services.job_queue import JobQueue
from services.metadata.preview import MceAccess, MceCallFailed
from services.preflight.scope import parse_mid
from services.snippets.types import Page

__all__ = [
    "AutomationArgs",
    "DeployArgs",
    "ScheduleArgs",
    "TargetArgs",
    "business_units_of",
    "delete_orphaned_data_extension",
    "deploy_query_activity",
    "deployment_node",
    "deployment_progress",
    "get_deployment",
    "list_deployments",
    "load_requesters",
    "retry_deployment",
    "rollback_deployment",
]


@dataclass(frozen=True)
class TargetArgs:
    key: str | None = None
    data_extension_id: str | None = None
    name: str | None = None
    folder_path: str | None = None
    shared: bool = False
    create: bool = False
    primary_key: Sequence[str] = ()


@dataclass(frozen=True)
class ScheduleArgs:
    start: Any
    recurrence: str
    time_zone_id: int
    end: Any = None


@dataclass(frozen=True)
class AutomationArgs:
    name: str
    key: str
    description: str = ""
    schedule: ScheduleArgs | None = None


@dataclass(frozen=True)
class DeployArgs:
    """``deployQueryActivity``'s input as GraphQL gave it (ids local, MIDs strings)."""

    name: str
    key: str
    sql: str
    target: TargetArgs
    update_type: UpdateType
    idempotency_key: str
    description: str = ""
    folder_path: str | None = None
    folder_id: str | None = None
    mids: Sequence[str] | None = None
    create_missing: bool = False
    automation: AutomationArgs | None = None
    acknowledge_warnings: bool = False
    force: bool = False


def _writer(auth: Authentication) -> Principal:
    principal = auth.require_principal()
    if principal.read_only:
        raise PermissionDenied("This API token is read-only; mutations need READ_WRITE.")
    return principal


def _uuid(local_id: str | None) -> UUID | None:
    try:
        return UUID(local_id or "")
    except ValueError:
        return None


def _required(local_id: str | None, *, field: str = "id") -> UUID:
    parsed = _uuid(local_id)
    if parsed is None:
        raise NotFound(DEPLOYMENT_NOT_FOUND, field=field)
    return parsed


async def _request(principal: Principal, args: DeployArgs) -> DeployRequest:
    ctx = principal.tenant_context()
    if (args.folder_path is None) == (args.folder_id is None):
        raise InvalidInput("Name the query folder by folderPath or folderId.", field="folderPath")
    if args.folder_id is not None:
        folder_id = _uuid(args.folder_id)
        path = await folder_path_of(ctx, folder_id, field="folderId")
    else:
        path = check_path(args.folder_path or "", field="folderPath")
    spec = args.target
    base = TargetSpec(
        key=spec.key or "",
        name=spec.name,
        folder_path=check_path(spec.folder_path or "", field="target.folderPath"),
        shared=spec.shared,
        create=spec.create,
        primary_key=tuple(spec.primary_key),
    )
    if (spec.key is None) == (spec.data_extension_id is None):
        raise InvalidInput("Name the target by key or dataExtensionId.", field="target.key")
    if spec.data_extension_id is not None:
        if spec.create:
            raise InvalidInput("An existing data extension cannot be created.", field="target")
        base = await target_of(
            ctx, _uuid(spec.data_extension_id), base, field="target.dataExtensionId"
        )
    mids = (
        (principal.mid,)
        if args.mids is None
        else tuple(parse_mid(m, field="mids") for m in args.mids)
    )
    automation = None
    if args.automation is not None:
        schedule = None
        if args.automation.schedule is not None:
            given = args.automation.schedule
            schedule = check_schedule(
                start=given.start, recurrence=given.recurrence,
                time_zone_id=given.time_zone_id, end=given.end,
            )  # fmt: skip
        automation = AutomationSpec(
            name=args.automation.name,
            key=args.automation.key,
            description=args.automation.description,
            schedule=schedule,
        )
    return DeployRequest(
        name=args.name,
        key=args.key,
        sql=args.sql,
        target=base,
        update_type=args.update_type,
        mids=mids,
        idempotency_key=args.idempotency_key,
        description=args.description,
        folder_path=path,
        create_missing=args.create_missing,
        automation=automation,
        acknowledge_warnings=args.acknowledge_warnings,
        force=args.force,
    )


async def deploy_query_activity(
    auth: Authentication,
    *,
    args: DeployArgs,
    jobs: JobQueue | None,
    redis: Redis | None,
    access: MceAccess | None,
    meta: RequestMeta = NO_REQUEST,
) -> DeployOutcome:
    principal = _writer(auth)
    if jobs is None:
        raise MceCallFailed("Deployments cannot be queued from this process.")
    request = await _request(principal, args)
    return await deploys.deploy_query_activity(
        principal.tenant_context(), user_id=principal.user_id, request=request, jobs=jobs,
        redis=redis, access=access, api_token_id=principal.api_token_id, meta=meta,
    )  # fmt: skip


async def retry_deployment(
    auth: Authentication,
    *,
    deployment_id: str,
    force: bool,
    jobs: JobQueue | None,
    redis: Redis | None,
    meta: RequestMeta = NO_REQUEST,
) -> DeploymentInfo:
    principal = _writer(auth)
    if jobs is None:
        raise MceCallFailed("Deployments cannot be queued from this process.")
    return await deploys.retry_deployment(
        principal.tenant_context(), user_id=principal.user_id,
        deployment_id=_required(deployment_id), force=force, jobs=jobs, redis=redis, meta=meta,
        api_token_id=principal.api_token_id,
    )  # fmt: skip


async def rollback_deployment(
    auth: Authentication,
    *,
    deployment_id: str,
    idempotency_key: str,
    acknowledge_warnings: bool,
    force: bool,
    jobs: JobQueue | None,
    redis: Redis | None,
    access: MceAccess | None,
    meta: RequestMeta = NO_REQUEST,
) -> DeployOutcome:
    principal = _writer(auth)
    if jobs is None:
        raise MceCallFailed("Deployments cannot be queued from this process.")
    return await deploys.rollback_deployment(
        principal.tenant_context(), user_id=principal.user_id,
        deployment_id=_required(deployment_id), idempotency_key=idempotency_key,
        acknowledge_warnings=acknowledge_warnings, force=force, jobs=jobs, redis=redis,
        access=access, api_token_id=principal.api_token_id, meta=meta,
    )  # fmt: skip


async def delete_orphaned_data_extension(
    auth: Authentication,
    *,
    deployment_id: str,
    mid: str,
    access: MceAccess | None,
    meta: RequestMeta = NO_REQUEST,
) -> TargetInfo:
    principal = _writer(auth)
    if access is None:
        raise MceCallFailed("Marketing Cloud cannot be reached from this process.")
    return await deploys.delete_orphaned_data_extension(
        principal.tenant_context(), user_id=principal.user_id,
        deployment_id=_required(deployment_id), mid=parse_mid(mid), access=access, meta=meta,
        api_token_id=principal.api_token_id,
    )  # fmt: skip


async def deployment_node(auth: Authentication, local_id: str) -> DeploymentInfo | None:
    """The viewer's deployment made from their BU, or None for any other id."""
    principal = auth.require_principal()
    deployment_id = _uuid(local_id)
    if deployment_id is None:
        return None
    return await deploys.get_deployment(
        principal.tenant_context(), user_id=principal.user_id, deployment_id=deployment_id
    )


async def get_deployment(auth: Authentication, *, deployment_id: str) -> DeploymentInfo | None:
    return await deployment_node(auth, deployment_id)


async def list_deployments(
    auth: Authentication,
    *,
    first: int,
    after: str | None,
    mid: str | None,
    status: DeploymentStatus | None,
    activity_key: str | None,
) -> Page[DeploymentInfo]:
    principal = auth.require_principal()
    return await deploys.list_deployments(
        principal.tenant_context(), user_id=principal.user_id, first=first, after=after,
        mid=None if mid is None else parse_mid(mid), status=status, activity_key=activity_key,
    )  # fmt: skip


async def business_units_of(
    auth: Authentication, deployment: DeploymentInfo
) -> dict[int, TargetInfo]:
    """Each BU's row of the viewer's deployment (BUs the job has not reached are absent)."""
    principal = auth.require_principal()
    if deployment.user_id != principal.user_id or deployment.tenant_id != principal.tenant_id:
        return {}
    return await targets_of(deployment)


async def load_requesters(
    auth: Authentication, user_ids: Sequence[UUID]
) -> list[RequesterInfo | None]:
    """The users who requested deployments, by their ids (a DataLoader's batch), read under
    the viewer's tenant: another tenant's user id reads as None."""
    principal = auth.require_principal()
    return await requesters(principal.tenant_context(), user_ids)


async def deployment_progress(
    auth: Authentication,
    *,
    deployment_id: str,
    after: str | None,
    redis: Redis,
    idle_ms: int = progress.BLOCK_MS,
) -> AsyncIterator[tuple[str, dict[str, Any]]]:
    """``(cursor, event)`` pairs of the viewer's deployment after ``after``, then live ones,
    until it ends. Every ``idle_ms`` without an event the deployment is read again: an end
    whose event was lost is published then, so no follower waits for ever."""
    principal = auth.require_principal()
    if after is not None:
        try:
            progress.parse_cursor(after)
        except progress.InvalidCursorError as exc:
            raise InvalidInput(str(exc), field="after") from None
    ctx = principal.tenant_context()
    parsed = _required(deployment_id)
    found = await deploys.get_deployment(ctx, user_id=principal.user_id, deployment_id=parsed)
    if found is None:
        raise NotFound(DEPLOYMENT_NOT_FOUND, field="id")
    if await progress.latest(redis, found.id) is None and found.status in FINAL_DEPLOYMENT_STATUSES:
        snapshot = progress.deployment_event(
            found.id, status=found.status.value, attempt=found.attempts
        )
        yield await progress.publish(redis, found.id, snapshot), snapshot
        return

    async def publish_lost_end() -> None:
        now = await deploys.get_deployment(ctx, user_id=principal.user_id, deployment_id=parsed)
        newest = await progress.latest(redis, parsed)
        if now is None or now.status not in FINAL_DEPLOYMENT_STATUSES:
            return
        if newest is None or newest[1].get("final") is not True:
            event = progress.deployment_event(now.id, status=now.status.value, attempt=now.attempts)
            await progress.publish(redis, now.id, event)

    stream = progress.replay_and_follow(
        redis, found.id, after=after, on_idle=publish_lost_end, block_ms=idle_ms
    )
    async for cursor, event in stream:
        yield cursor, event
