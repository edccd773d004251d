"""Deployments in GraphQL (docs/api.md, "Deployments"; docs/deploy.md, "Deploy").

``deployQueryActivity`` saves SQL as a Query Activity in one BU or many; ``retryDeployment``
redoes the BUs that did not succeed; ``rollbackDeployment`` deploys an earlier deployment's
SQL and settings again; ``deleteOrphanedDataExtension`` deletes a DE a deployment created for
an activity that then never came to exist. ``deployment(id)`` and ``deployments(...)`` read
them (each BU's outcome under ``businessUnits``); ``deploymentProgress`` follows one, every
step of every BU, replayable from a cursor.

A deployment is its user's alone, read in the BU it was made from: another user's, BU's or
tenant's deployment id reads as null and is NOT_FOUND in a mutation, like a junk id.
``requestedBy`` names that user; a page's requesters are read in one statement (a DataLoader
per operation).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Mapping, Sequence
from datetime import datetime
from enum import Enum
from typing import Any
from uuid import UUID

import strawberry
from strawberry.dataloader import DataLoader
from strawberry.relay import PageInfo
from strawberry.types import Info

from models.deployments import DeploymentStatus as DomainStatus
from models.deployments import TargetStatus as DomainTargetStatus
from models.deployments import UpdateType as DomainUpdateType
from resolvers import deployments as use
from schema.connections import page_info
from schema.context import GraphQLContext
from schema.errors import UserError, attempt
from schema.global_ids import encode_global_id
from schema.node import Node
from schema.operation_cache import per_operation
from schema.preflight import PreflightFinding, UpdateType
from schema.snippets import local_id
from schema.sql import SqlRange, SqlSeverity
from schema.types import UserSummary
from services.deploy.automation import PAUSED_NOTE
from services.deploy.requesters import RequesterInfo
from services.deploy.service import DeployConflict, DeployOutcome
from services.deploy.store import DeploymentInfo, TargetInfo
from services.errors import InvalidInput, NotFound, QuarryError
from services.metadata.preview import MceCallFailed
from services.preflight.report import PreflightFinding as DomainFinding

__all__ = [
    "DEPLOYMENT_TYPE",
    "Deployment",
    "DeploymentMutation",
    "DeploymentQuery",
    "DeploymentSubscription",
    "deployment_from_domain",
]

DEPLOYMENT_TYPE = "Deployment"
_REQUESTERS = "_quarry_deployment_requesters"
_EXPECTED: tuple[type[QuarryError], ...] = (
    InvalidInput,
    NotFound,
    DeployConflict,
    MceCallFailed,
)


@strawberry.enum(description="Where a deployment is.")
class DeploymentStatus(Enum):
    PENDING = strawberry.enum_value(DomainStatus.PENDING.value, description="Queued.")
    RUNNING = strawberry.enum_value(DomainStatus.RUNNING.value, description="Deploying its BUs.")
    SUCCEEDED = strawberry.enum_value(DomainStatus.SUCCEEDED.value, description="Every BU.")
    PARTIAL = strawberry.enum_value(
        DomainStatus.PARTIAL.value, description="Some BUs succeeded; retry redoes the others."
    )
    FAILED = strawberry.enum_value(DomainStatus.FAILED.value, description="No BU succeeded.")


@strawberry.enum(description="Where one business unit of a deployment is.")
class DeploymentBusinessUnitStatus(Enum):
    PENDING = DomainTargetStatus.PENDING.value
    RUNNING = DomainTargetStatus.RUNNING.value
    SUCCEEDED = DomainTargetStatus.SUCCEEDED.value
    FAILED = DomainTargetStatus.FAILED.value
    DRIFTED = strawberry.enum_value(
        DomainTargetStatus.DRIFTED.value,
        description="The activity was changed in Marketing Cloud since Quarry deployed it;"
        " nothing was changed (see `drift`; retry with force to overwrite).",
    )


def _update_type(value: DomainUpdateType) -> UpdateType:
    return UpdateType[value.name]


def _mid(value: int) -> str:
    return str(value)


@strawberry.type(description="A pre-flight finding of one business unit.")
class DeploymentFinding:
    mid: str = strawberry.field(description="The business unit it was found in.")
    code: str
    severity: SqlSeverity
    message: str
    column: str | None
    range: SqlRange | None
    suggestion: str | None
    mce_message: str | None

    @classmethod
    def from_domain(cls, mid: int, finding: DomainFinding) -> DeploymentFinding:
        shown = PreflightFinding.from_domain(finding)
        return cls(
            mid=_mid(mid), code=shown.code, severity=shown.severity, message=shown.message,
            column=shown.column, range=shown.range, suggestion=shown.suggestion,
            mce_message=shown.mce_message,
        )  # fmt: skip

    @classmethod
    def from_record(cls, data: Mapping[str, Any]) -> DeploymentFinding:
        return cls.from_domain(int(data["mid"]), DomainFinding.from_json(data))


@strawberry.type(description="The target data extension as the deployment names it.")
class DeploymentTarget:
    key: str = strawberry.field(description="Its customer key, the same in every BU.")
    name: str | None = strawberry.field(description="The name it gets when created.")
    folder_path: str = strawberry.field(description="Where it is created ('' : the root).")
    shared: bool = strawberry.field(
        description="A shared data extension of the parent BU, reached through the parent."
    )
    create: bool = strawberry.field(description="Created where missing.")
    primary_key: list[str] = strawberry.field(description="Key fields of a created target.")


@strawberry.type(description="When an automation runs.")
class DeploymentSchedule:
    start_date: datetime
    recurrence: str = strawberry.field(description="iCal RRULE, e.g. FREQ=DAILY;INTERVAL=1.")
    time_zone_id: int = strawberry.field(description="Marketing Cloud's time zone number.")
    end_date: datetime | None


@strawberry.type(description="The automation a deployment puts its activity in.")
class DeploymentAutomation:
    name: str
    key: str
    description: str
    schedule: DeploymentSchedule | None
    schedule_note: str | None = strawberry.field(
        description="Why a schedule created through Marketing Cloud's API does not run yet."
    )


@strawberry.type(description="Why a business unit failed: a code and Marketing Cloud's message.")
class DeploymentError:
    code: str
    message: str


@strawberry.type(description="How the activity in Marketing Cloud differs from what Quarry last"
                 " deployed there.")  # fmt: skip
class DeploymentDrift:
    changes: list[str] = strawberry.field(
        description="sql, target, updateType; unmanaged: Quarry never deployed it here."
    )
    sql_diff: str = strawberry.field(
        description="A unified diff, what was deployed (---) against Marketing Cloud (+++)."
    )
    deployed_target_key: str
    current_target_key: str
    deployed_update_type: str
    current_update_type: str


@strawberry.type(description="A data extension a deployment created whose activity never came to"
                 " exist: retry reuses it, deleteOrphanedDataExtension deletes it.")  # fmt: skip
class OrphanedDataExtension:
    key: str
    name: str | None


@strawberry.type(description="One business unit's part of a deployment.")
class DeploymentBusinessUnit:
    mid: str
    status: DeploymentBusinessUnitStatus
    step: str | None = strawberry.field(
        description="The last step reached: FOLDER, TARGET, VALIDATE, ACTIVITY, AUTOMATION, DONE."
    )
    attempts: int
    folder_id: str | None = strawberry.field(description="Marketing Cloud's query folder id.")
    activity_object_id: str | None = strawberry.field(
        description="The query activity's ObjectID in Marketing Cloud."
    )
    activity_created: bool
    target_key: str
    target_name: str | None
    target_object_id: str | None
    target_created: bool = strawberry.field(description="This deployment created the target.")
    target_shared: bool
    orphaned_data_extension: OrphanedDataExtension | None
    automation_id: str | None
    automation_key: str | None
    schedule_paused: bool = strawberry.field(
        description="Marketing Cloud keeps the automation's schedule paused until someone"
        " activates it in Automation Studio."
    )
    mce_warnings: list[str] = strawberry.field(description="Marketing Cloud's validation warnings.")
    error: DeploymentError | None
    drift: DeploymentDrift | None
    started_at: datetime | None
    finished_at: datetime | None

    @classmethod
    def from_domain(cls, target: TargetInfo) -> DeploymentBusinessUnit:
        drift = target.drift
        return cls(
            mid=_mid(target.mid),
            status=DeploymentBusinessUnitStatus[target.status.name],
            step=target.step,
            attempts=target.attempts,
            folder_id=None if target.folder_id is None else str(target.folder_id),
            activity_object_id=target.activity_object_id,
            activity_created=target.activity_created,
            target_key=target.target_key,
            target_name=target.target_name,
            target_object_id=target.target_object_id,
            target_created=target.target_created,
            target_shared=target.target_shared,
            orphaned_data_extension=OrphanedDataExtension(
                key=target.target_key, name=target.target_name
            )
            if target.orphaned
            else None,
            automation_id=target.automation_id,
            automation_key=target.automation_key,
            schedule_paused=target.automation_status_id == 4,
            mce_warnings=list(target.mce_warnings),
            error=None
            if target.error_code is None
            else DeploymentError(code=target.error_code, message=target.error_message or ""),
            drift=None
            if drift is None
            else DeploymentDrift(
                changes=[str(c) for c in drift.get("changes") or []],
                sql_diff=str(drift.get("sqlDiff") or ""),
                deployed_target_key=str(drift.get("deployedTargetKey") or ""),
                current_target_key=str(drift.get("currentTargetKey") or ""),
                deployed_update_type=str(drift.get("deployedUpdateType") or ""),
                current_update_type=str(drift.get("currentUpdateType") or ""),
            ),
            started_at=target.started_at,
            finished_at=target.finished_at,
        )

    @classmethod
    def pending(cls, deployment: DeploymentInfo, mid: int) -> DeploymentBusinessUnit:
        """A BU the job has not reached yet."""
        return cls(
            mid=_mid(mid), status=DeploymentBusinessUnitStatus.PENDING, step=None, attempts=0,
            folder_id=None, activity_object_id=None, activity_created=False,
            target_key=deployment.target.key, target_name=deployment.target.name,
            target_object_id=None, target_created=False, target_shared=deployment.target.shared,
            orphaned_data_extension=None, automation_id=None, automation_key=None,
            schedule_paused=False, mce_warnings=[], error=None, drift=None, started_at=None,
            finished_at=None,
        )  # fmt: skip


def _requesters(info: Info[GraphQLContext, None]) -> DataLoader[UUID, RequesterInfo | None]:
    """This operation's loader of requesters: one read for every deployment it shows."""
    auth = info.context.authentication

    async def load(user_ids: Sequence[UUID]) -> list[RequesterInfo | None]:
        return await use.load_requesters(auth, user_ids)

    return per_operation(info, _REQUESTERS, lambda: DataLoader(load_fn=load))


@strawberry.type(description="Your SQL saved as a Query Activity in one business unit or many.")
class Deployment(Node):
    status: DeploymentStatus
    activity_key: str
    activity_name: str
    description: str
    folder_path: str = strawberry.field(description="The query folder, under the root ('': it).")
    sql: str
    sql_hash: str = strawberry.field(description="SHA-256 of the SQL, hex.")
    update_type: UpdateType
    target: DeploymentTarget
    automation: DeploymentAutomation | None
    create_missing: bool
    force: bool
    mids: list[str] = strawberry.field(description="The business units it deploys to.")
    findings: list[DeploymentFinding] = strawberry.field(
        description="The pre-flight findings it was recorded with, per business unit."
    )
    rollback_of: strawberry.ID | None = strawberry.field(
        description="The deployment whose SQL and settings this one deployed again."
    )
    attempts: int
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None
    record: strawberry.Private[DeploymentInfo]

    @strawberry.field(
        description="The user who requested it (null only when that user has just been removed"
        " from Quarry, their deployments with them)."
    )
    async def requested_by(self, info: Info[GraphQLContext, None]) -> UserSummary | None:
        found = await _requesters(info).load(self.record.user_id)
        if found is None:
            return None
        return UserSummary(id=strawberry.ID(str(found.id)), name=found.name, email=found.email)

    @strawberry.field(description="Each business unit's outcome, in the order they were named.")
    async def business_units(
        self, info: Info[GraphQLContext, None]
    ) -> list[DeploymentBusinessUnit]:
        found = await use.business_units_of(info.context.authentication, self.record)
        return [
            DeploymentBusinessUnit.from_domain(found[mid])
            if mid in found
            else DeploymentBusinessUnit.pending(self.record, mid)
            for mid in self.record.target_mids
        ]


def _global(value: object) -> strawberry.ID:
    return strawberry.ID(encode_global_id(DEPLOYMENT_TYPE, str(value)))


def deployment_from_domain(deployment: DeploymentInfo) -> Deployment:
    automation = deployment.automation
    shown_automation = None
    if automation is not None:
        schedule = automation.schedule
        shown_automation = DeploymentAutomation(
            name=automation.name,
            key=automation.key,
            description=automation.description,
            schedule=None
            if schedule is None
            else DeploymentSchedule(
                start_date=schedule.start,
                recurrence=schedule.recurrence,
                time_zone_id=schedule.time_zone_id,
                end_date=schedule.end,
            ),
            schedule_note=None if schedule is None else PAUSED_NOTE,
        )
    target = deployment.target
    return Deployment(
        id=_global(deployment.id),
        status=DeploymentStatus[deployment.status.name],
        activity_key=deployment.activity_key,
        activity_name=deployment.activity_name,
        description=deployment.description,
        folder_path="/".join(deployment.folder_path),
        sql=deployment.sql,
        sql_hash=deployment.sql_hash,
        update_type=_update_type(deployment.update_type),
        target=DeploymentTarget(
            key=target.key,
            name=target.name,
            folder_path="/".join(target.folder_path),
            shared=target.shared,
            create=target.create,
            primary_key=list(target.primary_key),
        ),
        automation=shown_automation,
        create_missing=deployment.create_missing,
        force=deployment.force,
        mids=[_mid(m) for m in deployment.target_mids],
        findings=[DeploymentFinding.from_record(f) for f in deployment.findings],
        rollback_of=None if deployment.rollback_of is None else _global(deployment.rollback_of),
        attempts=deployment.attempts,
        created_at=deployment.created_at,
        updated_at=deployment.updated_at,
        finished_at=deployment.finished_at,
        record=deployment,
    )


@strawberry.type
class DeploymentEdge:
    cursor: str
    node: Deployment


@strawberry.type
class DeploymentConnection:
    edges: list[DeploymentEdge]
    page_info: PageInfo


# --- inputs --------------------------------------------------------------------------------


@strawberry.input(description="The target data extension: by key (or by its id), found in each"
                  " business unit, created where missing when `create`.")  # fmt: skip
class DeployTargetInput:
    key: str | None = strawberry.field(default=None, description="Its customer key.")
    data_extension_id: strawberry.ID | None = strawberry.field(
        default=None, description="Or a data extension's id from the metadata explorer."
    )
    name: str | None = strawberry.field(default=None, description="Its name when created.")
    folder_path: str | None = strawberry.field(
        default=None, description="Where it is created, under 'Data Extensions' (or the"
        " parent's 'Shared Data Extensions' when shared), e.g. 'Sales/2024'.",
    )  # fmt: skip
    shared: bool = strawberry.field(
        default=False, description="A shared data extension of the parent business unit."
    )
    create: bool = strawberry.field(default=False, description="Create it where missing.")
    primary_key: list[str] = strawberry.field(
        default_factory=list, description="The key fields of a target created here."
    )


@strawberry.input(description="When the automation runs (Marketing Cloud keeps schedules created"
                  " through its API paused until activated in Automation Studio).")  # fmt: skip
class DeployScheduleInput:
    start_date: datetime = strawberry.field(description="With a UTC offset.")
    recurrence: str = strawberry.field(description="iCal RRULE, e.g. FREQ=DAILY;INTERVAL=1.")
    time_zone_id: int = strawberry.field(description="Marketing Cloud's time zone number.")
    end_date: datetime | None = None


@strawberry.input(description="A new automation holding the activity (one step).")
class DeployAutomationInput:
    name: str
    key: str
    description: str = ""
    schedule: DeployScheduleInput | None = None


@strawberry.input(description="A Query Activity to save in one business unit or many.")
class DeployQueryActivityInput:
    name: str
    key: str = strawberry.field(description="Its customer key (at most 36 characters).")
    sql: str
    target: DeployTargetInput
    update_type: UpdateType
    idempotency_key: str = strawberry.field(
        description="Yours, 1 to 200 characters: the same key again answers the first deployment."
    )
    description: str = ""
    folder_path: str | None = strawberry.field(
        default=None, description="The query folder under 'Query', e.g. 'Daily/Sales'."
    )
    folder_id: strawberry.ID | None = strawberry.field(
        default=None, description="Or a query folder's id from the metadata explorer."
    )
    mids: list[str] | None = strawberry.field(
        default=None, description="The business units to deploy to (default: yours)."
    )
    create_missing: bool = strawberry.field(
        default=False, description="Create missing folders (and a target asked to be created)."
    )
    automation: DeployAutomationInput | None = None
    acknowledge_warnings: bool = strawberry.field(
        default=False, description="Deploy although the pre-flight check has warnings."
    )
    force: bool = strawberry.field(
        default=False, description="Overwrite an activity changed in Marketing Cloud (drift)."
    )


@strawberry.type
class DeployQueryActivityPayload:
    deployment: Deployment | None = None
    replayed: bool = strawberry.field(
        default=False, description="True when the idempotency key answered an earlier request."
    )
    findings: list[DeploymentFinding] = strawberry.field(
        default_factory=list, description="The pre-flight findings of every business unit."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class RetryDeploymentInput:
    id: strawberry.ID
    force: bool = strawberry.field(
        default=False, description="Also overwrite activities that drifted."
    )


@strawberry.type
class RetryDeploymentPayload:
    deployment: Deployment | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class RollbackDeploymentInput:
    id: strawberry.ID = strawberry.field(description="The deployment to deploy again.")
    idempotency_key: str
    acknowledge_warnings: bool = False
    force: bool = False


@strawberry.input
class DeleteOrphanedDataExtensionInput:
    deployment_id: strawberry.ID
    mid: str


@strawberry.type
class DeleteOrphanedDataExtensionPayload:
    business_unit: DeploymentBusinessUnit | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


def _args(given: DeployQueryActivityInput) -> use.DeployArgs:
    target = given.target
    automation = given.automation
    return use.DeployArgs(
        name=given.name,
        key=given.key,
        sql=given.sql,
        target=use.TargetArgs(
            key=target.key,
            data_extension_id=None
            if target.data_extension_id is None
            else local_id(target.data_extension_id, "DataExtension"),
            name=target.name,
            folder_path=target.folder_path,
            shared=target.shared,
            create=target.create,
            primary_key=tuple(target.primary_key),
        ),
        update_type=DomainUpdateType[given.update_type.name],
        idempotency_key=given.idempotency_key,
        description=given.description,
        folder_path=given.folder_path,
        folder_id=None if given.folder_id is None else local_id(given.folder_id, "Folder"),
        mids=given.mids,
        create_missing=given.create_missing,
        automation=None
        if automation is None
        else use.AutomationArgs(
            name=automation.name,
            key=automation.key,
            description=automation.description,
            schedule=None
            if automation.schedule is None
            else use.ScheduleArgs(
                start=automation.schedule.start_date,
                recurrence=automation.schedule.recurrence,
                time_zone_id=automation.schedule.time_zone_id,
                end=automation.schedule.end_date,
            ),
        ),
        acknowledge_warnings=given.acknowledge_warnings,
        force=given.force,
    )


def _deploy_payload(
    outcome: DeployOutcome | None, errors: list[UserError]
) -> DeployQueryActivityPayload:
    if outcome is None:
        return DeployQueryActivityPayload(user_errors=errors)
    findings = [
        DeploymentFinding.from_domain(check.mid, finding)
        for check in outcome.checks
        for finding in check.findings
    ]
    if outcome.deployment is None:
        blocking = [
            UserError(code=outcome.code or "PREFLIGHT_FAILED", message=outcome.message or "",
                      field="sql")
        ]  # fmt: skip
        return DeployQueryActivityPayload(findings=findings, user_errors=blocking)
    return DeployQueryActivityPayload(
        deployment=deployment_from_domain(outcome.deployment),
        replayed=outcome.replayed,
        findings=findings
        or [DeploymentFinding.from_record(f) for f in outcome.deployment.findings],
    )


@strawberry.type
class DeploymentQuery:
    @strawberry.field(
        description="One of your deployments made from this BU; null for any other id."
    )
    async def deployment(
        self, info: Info[GraphQLContext, None], id: strawberry.ID
    ) -> Deployment | None:
        found = await use.get_deployment(
            info.context.authentication, deployment_id=local_id(id, DEPLOYMENT_TYPE)
        )
        return None if found is None else deployment_from_domain(found)

    @strawberry.field(
        description="Your deployments made from this BU, newest first; `mid`: those deploying"
        " to that BU; `activityKey`: of that activity."
    )
    async def deployments(
        self,
        info: Info[GraphQLContext, None],
        first: int = 20,
        after: str | None = None,
        mid: str | None = None,
        status: DeploymentStatus | None = None,
        activity_key: str | None = None,
    ) -> DeploymentConnection:
        page = await use.list_deployments(
            info.context.authentication, first=first, after=after, mid=mid,
            status=None if status is None else DomainStatus[status.name],
            activity_key=activity_key,
        )  # fmt: skip
        return DeploymentConnection(
            edges=[
                DeploymentEdge(cursor=e.cursor, node=deployment_from_domain(e.node))
                for e in page.edges
            ],
            page_info=page_info(
                [e.cursor for e in page.edges], has_next_page=page.has_next_page, after=after
            ),
        )


@strawberry.type
class DeploymentMutation:
    @strawberry.mutation(
        description="Save SQL as a Query Activity in one business unit or many: checked first"
        " (errors refuse it, warnings need acknowledgeWarnings), then deployed by a job;"
        " follow it with deploymentProgress or deployment(id)."
    )
    async def deploy_query_activity(
        self, info: Info[GraphQLContext, None], input: DeployQueryActivityInput
    ) -> DeployQueryActivityPayload:
        context = info.context
        outcome, errors = await attempt(_deploy(context, input), *_EXPECTED)
        return _deploy_payload(outcome, errors)

    @strawberry.mutation(
        description="Deploy again to the business units that did not succeed (force: overwrite"
        " drifted activities too)."
    )
    async def retry_deployment(
        self, info: Info[GraphQLContext, None], input: RetryDeploymentInput
    ) -> RetryDeploymentPayload:
        context = info.context
        found, errors = await attempt(
            use.retry_deployment(
                context.authentication,
                deployment_id=local_id(input.id, DEPLOYMENT_TYPE),
                force=input.force,
                jobs=context.jobs,
                redis=context.redis,
                meta=context.meta,
            ),
            *_EXPECTED,
        )
        return RetryDeploymentPayload(
            deployment=None if found is None else deployment_from_domain(found),
            user_errors=errors,
        )

    @strawberry.mutation(
        description="Deploy an earlier deployment's SQL and settings again, to its business"
        " units (a new deployment, checked like any other)."
    )
    async def rollback_deployment(
        self, info: Info[GraphQLContext, None], input: RollbackDeploymentInput
    ) -> DeployQueryActivityPayload:
        context = info.context
        outcome, errors = await attempt(
            use.rollback_deployment(
                context.authentication,
                deployment_id=local_id(input.id, DEPLOYMENT_TYPE),
                idempotency_key=input.idempotency_key,
                acknowledge_warnings=input.acknowledge_warnings,
                force=input.force,
                jobs=context.jobs,
                redis=context.redis,
                access=context.mce,
                meta=context.meta,
            ),
            *_EXPECTED,
        )
        return _deploy_payload(outcome, errors)

    @strawberry.mutation(
        description="Delete the data extension a deployment created in a business unit for an"
        " activity that then never came to exist there."
    )
    async def delete_orphaned_data_extension(
        self, info: Info[GraphQLContext, None], input: DeleteOrphanedDataExtensionInput
    ) -> DeleteOrphanedDataExtensionPayload:
        context = info.context
        target, errors = await attempt(
            use.delete_orphaned_data_extension(
                context.authentication,
                deployment_id=local_id(input.deployment_id, DEPLOYMENT_TYPE),
                mid=input.mid,
                access=context.mce,
                meta=context.meta,
            ),
            *_EXPECTED,
            QuarryError,
        )
        return DeleteOrphanedDataExtensionPayload(
            business_unit=None if target is None else DeploymentBusinessUnit.from_domain(target),
            user_errors=errors,
        )


async def _deploy(context: GraphQLContext, given: DeployQueryActivityInput) -> DeployOutcome:
    return await use.deploy_query_activity(
        context.authentication, args=_args(given), jobs=context.jobs, redis=context.redis,
        access=context.mce, meta=context.meta,
    )  # fmt: skip


@strawberry.type(description="A step of a deployment, or a change of its status.")
class DeploymentProgressEvent:
    cursor: str = strawberry.field(
        description="Pass it as `after` to resume after this event (nothing missed, nothing twice)."
    )
    deployment_id: strawberry.ID
    kind: str = strawberry.field(description="DEPLOYMENT (its own status) or BU (one BU's step).")
    mid: str | None
    step: str | None = strawberry.field(
        description="FOLDER, TARGET, VALIDATE, ACTIVITY, AUTOMATION, DONE (the BU's outcome)."
    )
    status: str = strawberry.field(
        description="A deployment's status, or STARTED, SUCCEEDED, FAILED, DRIFTED, SKIPPED."
    )
    message: str | None = strawberry.field(description="What happened; Marketing Cloud's words.")
    code: str | None
    final: bool = strawberry.field(description="The deployment ended (a retry may follow).")
    attempt: int | None
    object_id: str | None = strawberry.field(description="The MCE id the step reached.")
    created: bool | None = strawberry.field(description="The step created what it reached.")
    changes: list[str] | None = strawberry.field(description="A drift's changes.")
    at: str

    @classmethod
    def from_event(cls, cursor: str, event: Mapping[str, Any]) -> DeploymentProgressEvent:
        mid = event.get("mid")
        attempt_no = event.get("attempt")
        changes = event.get("changes")
        return cls(
            cursor=cursor,
            deployment_id=_global(event.get("deploymentId", "")),
            kind=str(event.get("kind") or ""),
            mid=None if mid is None else str(mid),
            step=None if event.get("step") is None else str(event.get("step")),
            status=str(event.get("status") or ""),
            message=None if event.get("message") is None else str(event.get("message")),
            code=None if event.get("code") is None else str(event.get("code")),
            final=event.get("final") is True,
            attempt=attempt_no if isinstance(attempt_no, int) else None,
            object_id=None if event.get("objectId") is None else str(event.get("objectId")),
            created=event.get("created") if isinstance(event.get("created"), bool) else None,
            changes=[str(c) for c in changes] if isinstance(changes, list) else None,
            at=str(event.get("at") or ""),
        )


@strawberry.type
class DeploymentSubscription:
    @strawberry.subscription(
        description="Your deployment's progress from after the cursor `after` (all of it when"
        " omitted), then live: every step of every business unit and each change of its status;"
        " it ends when the deployment ends."
    )
    async def deployment_progress(
        self, info: Info[GraphQLContext, None], id: strawberry.ID, after: str | None = None
    ) -> AsyncGenerator[DeploymentProgressEvent, None]:
        redis = info.context.redis
        if redis is None:
            raise MceCallFailed("Deployments cannot be followed from this process.")
        stream = use.deployment_progress(
            info.context.authentication, deployment_id=local_id(id, DEPLOYMENT_TYPE),
            after=after, redis=redis,
        )  # fmt: skip
        async for cursor, event in stream:
            yield DeploymentProgressEvent.from_event(cursor, event)
