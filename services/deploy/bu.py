"""One BU's part of a deployment: its steps, its row, its events and its audit entry.

Steps, in order, each announced on the deployment's progress stream (``STARTED`` then
``SUCCEEDED``) and recorded on the BU's ``deployment_targets`` row:

1. ``FOLDER``: the query folder by path (created where missing with ``createMissing``).
2. ``TARGET``: the target DE by key (through the parent BU for a shared one); created when
   the deployment asks, with a field per output column. The row records that a create was
   sent before it is sent, so a lost answer is confirmed by key, never sent blindly again.
3. ``VALIDATE``: MCE's own validation of the SQL against the target (REST ``validate``);
   its errors fail the BU with MCE's messages, its warnings are kept.
4. ``ACTIVITY``: created, or updated in place after the drift check (DRIFTED stops here
   unless ``force``).
5. ``AUTOMATION``: when asked, the automation holding the activity, with its schedule.

A failure ends the BU FAILED with a code and MCE's message. A DE this deployment created for
an activity that then never came to exist is an orphan: the failure says so, a retry finds
and reuses it, and ``deleteOrphanedDataExtension`` deletes it. Nothing here raises: every
outcome ends on the row.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from redis.asyncio import Redis

from client.bridge import MceBridge
from client.errors import (
    AccessDenied,
    MceError,
    MceUnavailable,
    MceValidationError,
    OutcomeUnknown,
    PermissionDenied,
    ReauthRequired,
    Throttled,
)
from client.errors import NotFound as MceNotFound
from client.limits import RedisConcurrencyLimiter
from models import ActorType, Outcome, TenantContext, TenantRepository
from models.deployments import DeployStep, TargetStatus
from services import audit
from services.acting import BackgroundWork, acting_audit, choose_actor
from services.audit import Actor
from services.deploy import progress
from services.deploy.activity import DesiredActivity, check_drift, create_activity, update_activity
from services.deploy.automation import PAUSED_NOTE, AutomationConflict, ensure_automation
from services.deploy.drift import ActivityState
from services.deploy.folders import QUERY_FOLDERS, FolderMissing, resolve_folder
from services.deploy.store import (
    DeploymentInfo,
    TargetInfo,
    baseline_target,
    context_for,
    ensure_target,
    target_in,
    update_target,
)
from services.deploy.targets import (
    TargetCreator,
    TargetMissing,
    TargetRefused,
    create_target,
    find_target,
)
from services.errors import QuarryError
from services.metadata.preview import MceAccess
from services.sql_toolkit import Purpose, analyse_sql

__all__ = ["BusinessUnitDeployment", "StepFailed", "failure_of"]

log = logging.getLogger("quarry.deploy")

_RETRYABLE = (TargetStatus.PENDING, TargetStatus.RUNNING, TargetStatus.FAILED, TargetStatus.DRIFTED)
_PARENT_SQL = "SELECT parent_mid FROM business_units WHERE tenant_id = $1 AND mid = $2"


class StepFailed(Exception):
    """A step cannot go on: ``code`` and a message safe to show (MCE's own, where it spoke)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def failure_of(exc: BaseException) -> tuple[str, str]:
    """The code and the user-safe message of a step's failure."""
    if isinstance(exc, StepFailed):
        return exc.code, exc.message
    if isinstance(exc, FolderMissing):
        return "FOLDER_NOT_FOUND", exc.message
    if isinstance(exc, TargetMissing):
        return "TARGET_NOT_FOUND", exc.message
    if isinstance(exc, TargetRefused):
        return "TARGET_REFUSED", exc.message
    if isinstance(exc, AutomationConflict):
        return "AUTOMATION_CONFLICT", exc.message
    if isinstance(exc, QuarryError):  # NeedsSignIn, a BU gone (NotFound), ...
        return exc.code, exc.message
    if isinstance(exc, MceValidationError):
        details = [
            str(item.get("message"))
            for item in exc.additional_errors
            if isinstance(item.get("message"), str)
        ]
        text = exc.mce_message or exc.message
        if details:
            text = "; ".join(dict.fromkeys([*details]))
        return "MCE_REFUSED", text
    if isinstance(exc, ReauthRequired):
        return "NEEDS_SIGN_IN", "Marketing Cloud needs the user to sign in again."
    if isinstance(exc, AccessDenied | PermissionDenied):
        return "FORBIDDEN", f"Marketing Cloud refused: {exc.message}"
    if isinstance(exc, MceNotFound):
        return "MCE_NOT_FOUND", exc.message
    if isinstance(exc, OutcomeUnknown):
        return "OUTCOME_UNKNOWN", (
            "Marketing Cloud's answer was lost twice; nothing was sent a third time. Retry:"
            " what was made is found by its key."
        )
    if isinstance(exc, Throttled):
        return "THROTTLED", exc.message
    if isinstance(exc, MceUnavailable | MceError):
        return "MCE_UNAVAILABLE", f"Marketing Cloud could not answer: {exc.message}"
    return "INTERNAL", "Quarry failed while deploying to this business unit; retry it."


def _now() -> datetime:
    return datetime.now(UTC)


class BusinessUnitDeployment:
    """The deployment of one deployment to one BU (see the module doc)."""

    def __init__(
        self,
        *,
        deployment: DeploymentInfo,
        mid: int,
        origin: MceBridge | None,
        redis: Redis | None,
        limiter: RedisConcurrencyLimiter | None,
        access: MceAccess | None = None,
    ) -> None:
        self.deployment = deployment
        self.access = access
        self.mid = mid
        self.origin = origin
        self.redis = redis
        self.limiter = limiter
        self.ctx: TenantContext = context_for(deployment, mid)
        self.acting: Any = None
        self.step: DeployStep | None = None

    async def _event(self, step: str, status: str, **extra: Any) -> None:
        event = progress.bu_event(
            self.deployment.id, mid=self.mid, step=step, status=status, **extra
        )
        await progress.publish_quietly(self.redis, self.deployment.id, event)

    async def _begin(self, target: TargetInfo, step: DeployStep) -> TargetInfo:
        """A step starts: announced, and remembered (a failure records it on the row; a
        success records what it reached), so a step costs no write of its own."""
        self.step = step
        await self._event(step, "STARTED")
        return target

    async def _save(self, target: TargetInfo, **changes: Any) -> TargetInfo:
        saved = await update_target(self.ctx, target.id, **changes)
        return saved if saved is not None else target

    async def run(self) -> TargetInfo:
        target = await ensure_target(self.deployment, self.mid)
        if target.status is TargetStatus.SUCCEEDED:
            await self._event(DeployStep.DONE, "SKIPPED", message="Deployed by an earlier attempt.")
            return target
        moved = await update_target(
            self.ctx, target.id, expected=_RETRYABLE, status=TargetStatus.RUNNING,
            attempts=target.attempts + 1, started_at=_now(), finished_at=None, error_code=None,
            error_message=None, drift=None, step=None,
        )  # fmt: skip
        if moved is None:
            return target
        target = moved
        try:
            if self.limiter is None:
                return await self._steps(target)
            async with self.limiter.slot(self.deployment.tenant_id):
                return await self._steps(target)
        except Exception as exc:
            current = await _reload(self.ctx, self.deployment) or target
            return await self._fail(current, exc)

    async def _steps(self, target: TargetInfo) -> TargetInfo:
        self.acting = await choose_actor(
            self.ctx, mid=self.mid, kind=BackgroundWork.DEPLOY,
            preferred_user_id=self.deployment.user_id,
        )  # fmt: skip
        if self.origin is None:
            raise StepFailed(
                "MCE_UNAVAILABLE", "Marketing Cloud cannot be reached for this account."
            )
        bridge = self.origin.for_business_unit(self.mid)
        target = await self._folder(bridge, target)
        target = await self._target(bridge, target)
        target = await self._validate(bridge, target)
        target, drifted = await self._activity(bridge, target)
        if drifted:
            return target
        target = await self._automation(bridge, target)
        return await self._succeed(target)

    # --- steps ---------------------------------------------------------------------------

    async def _folder(self, bridge: MceBridge, target: TargetInfo) -> TargetInfo:
        target = await self._begin(target, DeployStep.FOLDER)
        folder = await resolve_folder(
            bridge, kind=QUERY_FOLDERS, path=self.deployment.folder_path,
            create=self.deployment.create_missing,
        )  # fmt: skip
        target = await self._save(target, step=DeployStep.FOLDER.value, folder_id=folder.folder_id)
        created = ", ".join(folder.created)
        await self._event(
            DeployStep.FOLDER, "SUCCEEDED", object_id=str(folder.folder_id),
            created=bool(folder.created),
            message=f"Created folders: {created}." if created else None,
        )  # fmt: skip
        return target

    async def _owner(self, bridge: MceBridge) -> MceBridge:
        """The bridge of the BU the target lives in: the parent for a shared DE."""
        if not self.deployment.target.shared:
            return bridge
        rows = await TenantRepository(self.ctx).fetch(
            _PARENT_SQL, [self.deployment.tenant_id, self.mid]
        )
        parent = rows[0]["parent_mid"] if rows else None
        return bridge if parent is None else bridge.for_business_unit(int(parent))

    async def _target(self, bridge: MceBridge, target: TargetInfo) -> TargetInfo:
        target = await self._begin(target, DeployStep.TARGET)
        spec = self.deployment.target
        owner = await self._owner(bridge)
        found = await find_target(owner, spec.key)
        created = False
        if found is None:
            if not spec.create:
                raise TargetMissing(spec.key, shared=spec.shared)
            if self.access is None:
                raise StepFailed("MCE_UNAVAILABLE", "No data extension can be created from here.")
            columns = await self._columns()
            target = await self._save(target, target_create_sent_at=_now())
            creator = TargetCreator(
                tenant_id=self.deployment.tenant_id,
                user_id=self.deployment.user_id,
                access=self.access,
                idempotency_key=f"deploy:{self.deployment.id}:{owner.target.mid}",
            )
            found = await create_target(
                owner, spec=spec, columns=columns, create_folders=self.deployment.create_missing,
                creator=creator,
            )  # fmt: skip
            created = True
        keep_created = target.target_created or created
        target = await self._save(
            target, step=DeployStep.TARGET.value, target_object_id=found.object_id,
            target_name=found.name, target_created=keep_created, target_deleted_at=None,
        )  # fmt: skip
        await self._event(
            DeployStep.TARGET, "SUCCEEDED", object_id=found.object_id, created=created,
            message=f"Created the data extension {found.name!r}." if created else None,
        )  # fmt: skip
        return target

    async def _columns(self) -> tuple[Any, ...]:
        """The query's output columns in this BU (the fields of a target made for it)."""
        parent = await TenantRepository(self.ctx).fetch(
            _PARENT_SQL, [self.deployment.tenant_id, self.mid]
        )
        visible = {self.mid}
        if parent and parent[0]["parent_mid"] is not None:
            visible.add(int(parent[0]["parent_mid"]))
        ctx = TenantContext(
            tenant_id=self.deployment.tenant_id, mid=self.mid, visible_mids=frozenset(visible),
            user_id=self.deployment.user_id,
        )  # fmt: skip
        analysis = await analyse_sql(ctx, sql=self.deployment.sql, purpose=Purpose.QUERY_ACTIVITY)
        if not analysis.valid or not analysis.columns:
            raise StepFailed(
                "TARGET_FIELDS_UNKNOWN",
                "The query's output columns could not be inferred in this business unit, so"
                " no data extension can be made for it.",
            )
        return tuple(analysis.columns)

    async def _validate(self, bridge: MceBridge, target: TargetInfo) -> TargetInfo:
        target = await self._begin(target, DeployStep.VALIDATE)
        checked = await bridge.queries.validate(self.deployment.sql, target_key=target.target_key)
        if not checked.valid:
            raise StepFailed(
                "MCE_VALIDATION",
                "; ".join(checked.errors) or "Marketing Cloud refused the query.",
            )
        target = await self._save(
            target, step=DeployStep.VALIDATE.value, mce_warnings=list(checked.warnings)
        )
        await self._event(
            DeployStep.VALIDATE, "SUCCEEDED",
            message="; ".join(checked.warnings) if checked.warnings else None,
        )  # fmt: skip
        return target

    async def _activity(self, bridge: MceBridge, target: TargetInfo) -> tuple[TargetInfo, bool]:
        target = await self._begin(target, DeployStep.ACTIVITY)
        assert target.folder_id is not None
        desired = DesiredActivity(
            key=self.deployment.activity_key,
            name=self.deployment.activity_name,
            description=self.deployment.description,
            sql=self.deployment.sql,
            target_key=target.target_key,
            update_type=self.deployment.update_type,
            folder_id=target.folder_id,
        )
        existing = await bridge.queries.find_by_key(desired.key)
        if existing is None:
            target = await self._save(target, activity_create_sent_at=_now())
            outcome = await create_activity(bridge, desired)
        else:
            baseline = await baseline_target(
                self.ctx, activity_key=desired.key, excluding=self.deployment.id
            )
            state = (
                None
                if baseline is None
                else ActivityState(baseline.sql, baseline.target_key, baseline.update_type.value)
            )
            drift = check_drift(existing, desired, state)
            if drift is not None and not self.deployment.force:
                return await self._drifted(target, existing.id, drift.as_json()), True
            outcome = await update_activity(bridge, existing, desired)
        created = outcome.created or target.activity_create_sent_at is not None
        target = await self._save(
            target, step=DeployStep.ACTIVITY.value, activity_object_id=outcome.object_id,
            activity_created=created,
        )  # fmt: skip
        await self._event(
            DeployStep.ACTIVITY, "SUCCEEDED", object_id=outcome.object_id, created=outcome.created,
            message=None if outcome.changed else "Already up to date.",
        )  # fmt: skip
        return target, False

    async def _drifted(
        self, target: TargetInfo, object_id: str, drift: dict[str, Any]
    ) -> TargetInfo:
        changes = list(drift.get("changes") or [])
        if "unmanaged" in changes:
            message = (
                "A query activity with this key exists in this business unit and was not"
                " deployed by Quarry; deploy with force to overwrite it."
            )
        else:
            message = (
                "The query activity was changed in Marketing Cloud since Quarry deployed it"
                f" ({', '.join(changes)}); nothing was changed. Deploy with force to overwrite."
            )
        saved = await self._save(
            target, status=TargetStatus.DRIFTED, step=DeployStep.ACTIVITY.value,
            activity_object_id=object_id, drift=drift, error_code="DRIFT", error_message=message,
            finished_at=_now(),
        )  # fmt: skip
        await self._event(
            DeployStep.ACTIVITY, "DRIFTED", code="DRIFT", message=message, changes=changes
        )
        await self._audit(saved, outcome=Outcome.FAILURE)
        return saved

    async def _automation(self, bridge: MceBridge, target: TargetInfo) -> TargetInfo:
        spec = self.deployment.automation
        if spec is None:
            return target
        target = await self._begin(target, DeployStep.AUTOMATION)
        activity_id = target.activity_object_id
        assert activity_id is not None
        sent = target.automation_create_sent_at is not None
        if not sent:
            target = await self._save(target, automation_create_sent_at=_now())
        made = await ensure_automation(bridge, spec, activity_id=activity_id, create_sent=sent)
        target = await self._save(
            target, step=DeployStep.AUTOMATION.value, automation_id=made.id,
            automation_key=made.key, automation_status_id=made.status_id,
        )  # fmt: skip
        note = PAUSED_NOTE if spec.schedule is not None and made.paused else None
        await self._event(
            DeployStep.AUTOMATION, "SUCCEEDED", object_id=made.id, created=made.created,
            message=note,
        )  # fmt: skip
        return target

    async def _succeed(self, target: TargetInfo) -> TargetInfo:
        done = await self._save(
            target, status=TargetStatus.SUCCEEDED, step=DeployStep.DONE.value,
            finished_at=_now(), error_code=None, error_message=None,
        )  # fmt: skip
        await self._event(DeployStep.DONE, "SUCCEEDED", object_id=done.activity_object_id)
        await self._audit(done, outcome=Outcome.SUCCESS)
        return done

    async def _fail(self, target: TargetInfo, exc: BaseException) -> TargetInfo:
        code, message = failure_of(exc)
        if code == "INTERNAL":
            log.exception("deployment %s, BU %s failed", self.deployment.id, self.mid)
        if target.orphaned:
            message += (
                f" The data extension {target.target_name or target.target_key!r} made for"
                " this activity is kept: a retry reuses it, deleteOrphanedDataExtension"
                " deletes it."
            )
        step = self.step or DeployStep.FOLDER
        failed = await self._save(
            target, status=TargetStatus.FAILED, step=step.value, error_code=code,
            error_message=message[:4000], finished_at=_now(),
        )  # fmt: skip
        await self._event(step, "FAILED", code=code, message=message[:2000])
        await self._event(DeployStep.DONE, "FAILED", code=code, message=message[:2000])
        await self._audit(failed, outcome=Outcome.FAILURE)
        return failed

    async def _audit(self, target: TargetInfo, *, outcome: Outcome) -> None:
        details = {
            "deployment_id": str(self.deployment.id),
            "activity_key": target.activity_key,
            "status": target.status.value,
            "code": target.error_code,
            "sql_hash": target.sql_hash,
            "activity_object_id": target.activity_object_id,
            "target_key": target.target_key,
            "target_created": target.target_created,
            "automation_id": target.automation_id,
        }
        where = f"deployment:{self.deployment.id}"
        if self.acting is not None:
            await acting_audit(
                self.ctx, self.acting, action="deployment.business_unit", outcome=outcome,
                target=where, details=details,
            )  # fmt: skip
            return
        await audit.record(
            self.ctx, action="deployment.business_unit", outcome=outcome,
            actor=Actor(ActorType.USER, str(self.deployment.user_id)), mid=self.mid,
            target=where, details=details,
        )  # fmt: skip


async def _reload(ctx: TenantContext, deployment: DeploymentInfo) -> TargetInfo | None:
    return await target_in(ctx, deployment.id)
