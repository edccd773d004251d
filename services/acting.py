"""Who acts for background work: the one rule every job that calls MCE goes through.

Why (DESIGN.md, tenancy and security invariants): MCE has no "the app" identity for user
data, so every job acts as a named user of the tenant, and its audit entries say whom and why
(:func:`acting_audit`). A user is *usable for BU m* when they are a member of m and hold an
active refresh-token lineage that can mint a token for m: an active enhanced entry (any
``mid``: one lineage serves every member BU) or an active legacy entry for m itself (legacy
tokens cannot be re-minted for another BU).

Who acts, by kind of work (:class:`BackgroundWork`):

- ``RUN``: the run's user only.
- ``METADATA_SYNC``: the user who asked; if they are not usable, the BU's most recent usable
  member (the one who signed in last).
- ``SCHEDULED_SYNC``: the BU's most recent usable member.
- ``ASSET_CLEANUP`` and ``RECONCILE``: the user whose run created the asset, else the BU's
  most recent usable member (pooled assets outlive their creators).
- ``UNINSTALL_CLEANUP``: the administrator uninstalling, else the BU's most recent usable
  member; :func:`choose_uninstall_actors` chooses per BU and reports the BUs nobody can clean.
- ``CONNECTION_CHECK``: the user being checked only.
- ``DEPLOY``: the user who asked for the deployment only, in each BU it targets (a BU
  where they cannot act fails alone).

When nobody usable is left, :func:`choose_actor` raises :class:`NeedsSignIn` (code
``NEEDS_SIGN_IN``). If the BU has no usable member at all, its ``background_state`` becomes
``needs_sign_in`` (with the reason and when), and the job given as ``waiting_job`` is stored
in ``waiting_work`` (dotted name and id arguments only). The next sign-in calls
:func:`services.waiting_work.resume_waiting_work`, which enqueues the work again once the
user can act for the BU.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any
from uuid import UUID, uuid4

from client.tokens import CallTarget
from models import ActorType, BackgroundState, Outcome, TenantContext, TenantRepository
from services import audit
from services.audit import Actor, RequestMeta
from services.errors import NotFound, QuarryError
from services.job_queue import DEFAULT_TIMEOUT_SECONDS, JobArg, check_job_args, check_job_name

__all__ = [
    "BACKGROUND_ACTOR",
    "ActingReason",
    "ActingUser",
    "BackgroundWork",
    "NeedsSignIn",
    "UninstallActors",
    "WaitingJob",
    "WaitingReason",
    "acting_actor",
    "acting_audit",
    "acting_details",
    "choose_actor",
    "choose_uninstall_actors",
    "is_usable",
    "set_background_state",
]


class BackgroundWork(StrEnum):
    """The kinds of background work that call MCE, each with its rule of who acts."""

    RUN = "run"
    METADATA_SYNC = "metadata_sync"
    SCHEDULED_SYNC = "scheduled_sync"
    ASSET_CLEANUP = "asset_cleanup"
    RECONCILE = "reconcile"
    UNINSTALL_CLEANUP = "uninstall_cleanup"
    CONNECTION_CHECK = "connection_check"
    DEPLOY = "deploy"


class ActingReason(StrEnum):
    """Why this user acts (recorded in audit entries)."""

    RUN_OWNER = "run_owner"
    REQUESTER = "requester"
    ASSET_CREATOR = "asset_creator"
    UNINSTALLING_ADMIN = "uninstalling_admin"
    CHECKED_USER = "checked_user"
    MOST_RECENT_MEMBER = "most_recent_member"


class WaitingReason(StrEnum):
    """Why work waits (``waiting_work.reason``, ``business_units.background_state_reason``)."""

    NO_USABLE_MEMBER = "no_usable_member"  # nobody in the BU can act
    USER_NEEDS_SIGN_IN = "user_needs_sign_in"  # only one user may act, and they cannot


@dataclass(frozen=True)
class _Rule:
    preferred_reason: ActingReason | None  # None: the work takes no preferred user
    preferred_required: bool
    falls_back: bool  # to the BU's most recent usable member


_RULES: Mapping[BackgroundWork, _Rule] = {
    BackgroundWork.RUN: _Rule(ActingReason.RUN_OWNER, True, False),
    BackgroundWork.METADATA_SYNC: _Rule(ActingReason.REQUESTER, False, True),
    BackgroundWork.SCHEDULED_SYNC: _Rule(None, False, True),
    BackgroundWork.ASSET_CLEANUP: _Rule(ActingReason.ASSET_CREATOR, False, True),
    BackgroundWork.RECONCILE: _Rule(ActingReason.ASSET_CREATOR, False, True),
    BackgroundWork.UNINSTALL_CLEANUP: _Rule(ActingReason.UNINSTALLING_ADMIN, False, True),
    BackgroundWork.CONNECTION_CHECK: _Rule(ActingReason.CHECKED_USER, True, False),
    BackgroundWork.DEPLOY: _Rule(ActingReason.REQUESTER, True, False),
}

#: Who records a BU's change of state (no user acted: the rule found nobody).
BACKGROUND_ACTOR = Actor(ActorType.SYSTEM, "background")


@dataclass(frozen=True)
class ActingUser:
    """The user a job acts as in one BU, and why it is them."""

    tenant_id: int
    user_id: UUID
    mce_user_id: int
    mid: int
    why: ActingReason
    kind: BackgroundWork

    @property
    def call_target(self) -> CallTarget:
        """What to ask the token provider for: this user's token for this BU."""
        return CallTarget(tenant_id=self.tenant_id, mid=self.mid, user_id=self.mce_user_id)


@dataclass(frozen=True)
class WaitingJob:
    """The job to enqueue again once someone can act: a dotted name under ``jobs`` and ids.

    ``idempotency_key`` (default: derived from the name and arguments) makes the same work
    wait once, and is the key it is enqueued with when resumed.
    """

    job: str
    args: tuple[JobArg, ...]
    queue: str = "default"
    idempotency_key: str | None = None
    timeout_seconds: int = DEFAULT_TIMEOUT_SECONDS

    def __post_init__(self) -> None:
        check_job_name(self.job)
        object.__setattr__(self, "args", check_job_args(self.args))

    @property
    def key(self) -> str:
        if self.idempotency_key is not None:
            return self.idempotency_key
        return ":".join([self.job, *(str(a) for a in self.args)])


class NeedsSignIn(QuarryError):
    """Nobody who may act for this work can: someone must sign in to the BU again.

    ``waiting_id`` is the stored work that a sign-in will resume (None when no job was given);
    ``user_id`` is the one user who may act, for work bound to a user.
    """

    code = "NEEDS_SIGN_IN"

    def __init__(
        self,
        *,
        mid: int,
        kind: BackgroundWork,
        reason: WaitingReason,
        user_id: UUID | None = None,
        waiting_id: UUID | None = None,
    ) -> None:
        if reason is WaitingReason.USER_NEEDS_SIGN_IN:
            message = "Sign in to this business unit again so Quarry can continue this work."
        else:
            message = (
                "Nobody who can act for this business unit is signed in. "
                "A member of it must sign in again; the work waits until then."
            )
        super().__init__(message)
        self.mid = mid
        self.kind = kind
        self.reason = reason
        self.user_id = user_id
        self.waiting_id = waiting_id


# ---------------------------------------------------------------------- who is usable
# Every statement names the tenant as well as running under its context: the system role
# (cross-tenant jobs, operator commands) is not filtered by row-level security.
_USABLE_SQL = (
    "SELECT u.id, u.mce_user_id FROM users u"
    " JOIN memberships m ON m.tenant_id = u.tenant_id AND m.user_id = u.id AND m.mid = $2"
    " WHERE u.tenant_id = $1 AND ($3::uuid IS NULL OR u.id = $3::uuid)"
    " AND EXISTS (SELECT 1 FROM wallet_entries e"
    "  WHERE e.tenant_id = u.tenant_id AND e.user_id = u.id AND e.status = 'active'"
    "  AND (e.kind = 'enhanced' OR e.mid = $2))"
    " ORDER BY u.last_login_at DESC NULLS LAST, u.id LIMIT 1"
)
_BU_SQL = "SELECT mid FROM business_units WHERE tenant_id = $1 AND mid = $2"
_MARK_BU_SQL = (
    "UPDATE business_units SET background_state = $3, background_state_reason = $4,"
    " background_state_changed_at = now()"
    " WHERE tenant_id = $1 AND mid = $2 AND background_state <> $3 RETURNING mid"
)
_WAIT_SQL = (
    "INSERT INTO waiting_work (id, tenant_id, mid, kind, job, args, job_key, queue,"
    " timeout_seconds, waiting_for_user_id, reason, created_at)"
    " VALUES ($11, $1, $2, $3, $4, $5::jsonb, $6, $7, $8, $9, $10, now())"
    " ON CONFLICT (tenant_id, job_key) DO NOTHING RETURNING id"
)
_WAITING_ID_SQL = "SELECT id FROM waiting_work WHERE tenant_id = $1 AND job_key = $2"
_BUS_SQL = "SELECT mid FROM business_units WHERE tenant_id = $1 ORDER BY mid"


async def _usable_user(
    repo: TenantRepository, *, mid: int, user_id: UUID | None
) -> tuple[UUID, int] | None:
    """The most recently signed-in user usable for ``mid`` (only ``user_id``, if given)."""
    rows = await repo.fetch(_USABLE_SQL, [repo.ctx.tenant_id, int(mid), user_id])
    if not rows:
        return None
    return rows[0]["id"], int(rows[0]["mce_user_id"])


async def is_usable(ctx: TenantContext, *, user_id: UUID, mid: int) -> bool:
    """Whether ``user_id`` is a member of ``mid`` with a lineage that can act for it."""
    return await _usable_user(TenantRepository(ctx), mid=mid, user_id=user_id) is not None


async def set_background_state(
    repo: TenantRepository, *, mid: int, state: BackgroundState, reason: str, actor: Actor
) -> bool:
    """Set a BU's background state (audited); False when it already was ``state``."""
    rows = await repo.fetch(_MARK_BU_SQL, [repo.ctx.tenant_id, int(mid), state.value, reason[:64]])
    if not rows:
        return False
    await audit.record(
        repo.ctx,
        action="background.state_changed",
        outcome=Outcome.SUCCESS,
        actor=actor,
        mid=mid,
        target=f"bu:{mid}",
        details={"state": state.value, "reason": reason},
    )
    return True


# ---------------------------------------------------------------------- the rule
async def choose_actor(
    ctx: TenantContext,
    *,
    mid: int,
    kind: BackgroundWork,
    preferred_user_id: UUID | None = None,
    waiting_job: WaitingJob | None = None,
) -> ActingUser:
    """The user ``kind`` of work acts as in BU ``mid`` (see the module docstring's rules).

    ``preferred_user_id`` is the run's user (RUN), the requester (METADATA_SYNC), the asset's
    creator (ASSET_CLEANUP, RECONCILE), the administrator uninstalling (UNINSTALL_CLEANUP) or
    the user checked (CONNECTION_CHECK). A METADATA_SYNC whose requester is not usable acts
    as the BU's most recent usable member instead (``why`` says which).

    Raises :class:`NeedsSignIn` when nobody usable is left for the work; then, if the BU has
    no usable member at all it is marked ``needs_sign_in``, and ``waiting_job`` (if given)
    is stored to be resumed by the next sign-in that can act for it. ``NotFound`` if ``mid``
    is not a BU of the tenant; ``ValueError`` for a preferred user the kind requires but
    lacks, or takes but was given.
    """
    rule = _RULES[kind]
    if rule.preferred_required and preferred_user_id is None:
        raise ValueError(f"{kind.value} work acts for one given user: preferred_user_id")
    if rule.preferred_reason is None and preferred_user_id is not None:
        raise ValueError(f"{kind.value} work acts for the BU's most recent usable member")
    repo = TenantRepository(ctx)
    async with repo.transaction():
        bu_rows = await repo.fetch(_BU_SQL, [ctx.tenant_id, int(mid)])
        if not bu_rows:
            raise NotFound("No such business unit in this account.")
        if preferred_user_id is not None and rule.preferred_reason is not None:
            found = await _usable_user(repo, mid=mid, user_id=preferred_user_id)
            if found is not None:
                return _acting(ctx, found, mid=mid, kind=kind, why=rule.preferred_reason)
        if rule.falls_back:
            found = await _usable_user(repo, mid=mid, user_id=None)
            if found is not None:
                return _acting(ctx, found, mid=mid, kind=kind, why=ActingReason.MOST_RECENT_MEMBER)
            bound_to, reason = None, WaitingReason.NO_USABLE_MEMBER
        else:
            bound_to, reason = preferred_user_id, WaitingReason.USER_NEEDS_SIGN_IN
        error = await _wait(
            repo, mid=mid, kind=kind, bound_to=bound_to, reason=reason, job=waiting_job
        )
    raise error


def _acting(
    ctx: TenantContext,
    found: tuple[UUID, int],
    *,
    mid: int,
    kind: BackgroundWork,
    why: ActingReason,
) -> ActingUser:
    user_id, mce_user_id = found
    return ActingUser(
        tenant_id=ctx.tenant_id,
        user_id=user_id,
        mce_user_id=mce_user_id,
        mid=int(mid),
        why=why,
        kind=kind,
    )


async def _wait(
    repo: TenantRepository,
    *,
    mid: int,
    kind: BackgroundWork,
    bound_to: UUID | None,
    reason: WaitingReason,
    job: WaitingJob | None,
) -> NeedsSignIn:
    """Record that nobody can act (the BU's state, the waiting job); the error to raise."""
    nobody = bound_to is None or await _usable_user(repo, mid=mid, user_id=None) is None
    if nobody:
        await set_background_state(
            repo,
            mid=mid,
            state=BackgroundState.NEEDS_SIGN_IN,
            reason=WaitingReason.NO_USABLE_MEMBER.value,
            actor=BACKGROUND_ACTOR,
        )
    waiting_id = (
        None
        if job is None
        else await _store(repo, mid=mid, kind=kind, bound_to=bound_to, reason=reason, job=job)
    )
    await audit.record(
        repo.ctx,
        action="background.needs_sign_in",
        outcome=Outcome.FAILURE,
        actor=BACKGROUND_ACTOR,
        mid=mid,
        target=f"bu:{mid}",
        details={
            "work": kind.value,
            "reason": reason.value,
            "job": None if job is None else job.job,
            "waiting_id": None if waiting_id is None else str(waiting_id),
            "user_id": None if bound_to is None else str(bound_to),
        },
    )
    return NeedsSignIn(mid=mid, kind=kind, reason=reason, user_id=bound_to, waiting_id=waiting_id)


async def _store(
    repo: TenantRepository,
    *,
    mid: int,
    kind: BackgroundWork,
    bound_to: UUID | None,
    reason: WaitingReason,
    job: WaitingJob,
) -> UUID:
    tenant_id = repo.ctx.tenant_id
    args = json.dumps([a if isinstance(a, int) else str(a) for a in job.args])
    rows = await repo.fetch(
        _WAIT_SQL,
        [
            tenant_id,
            int(mid),
            kind.value,
            job.job,
            args,
            job.key[:200],
            job.queue,
            int(job.timeout_seconds),
            bound_to,
            reason.value,
            uuid4(),
        ],
    )
    if not rows:  # the same work already waits
        rows = await repo.fetch(_WAITING_ID_SQL, [tenant_id, job.key[:200]])
    waiting_id: UUID = rows[0]["id"]
    return waiting_id


# ---------------------------------------------------------------------- uninstall
@dataclass(frozen=True)
class UninstallActors:
    """Who cleans each BU up at uninstall, and the BUs nobody can clean (to report)."""

    actors: Mapping[int, ActingUser] = field(default_factory=dict)
    uncovered: tuple[int, ...] = ()


async def choose_uninstall_actors(
    ctx: TenantContext,
    *,
    admin_user_id: UUID | None,
    waiting_job_for: Callable[[int], WaitingJob | None] | None = None,
) -> UninstallActors:
    """For a tenant's uninstall: the actor of each BU's cleanup, and the BUs left uncovered.

    The administrator uninstalling acts where they are usable, each other BU's most recent
    usable member elsewhere; ``admin_user_id`` is None for the ``purge-tenant`` CLI, which
    has no administrator. A BU with nobody usable is marked ``needs_sign_in`` (and
    ``waiting_job_for(mid)``, if given, waits) and listed in ``uncovered``. Call it before
    the wallet is purged: afterwards nobody is usable.
    """
    repo = TenantRepository(ctx)
    mids = [int(row["mid"]) for row in await repo.fetch(_BUS_SQL, [ctx.tenant_id])]
    actors: dict[int, ActingUser] = {}
    uncovered: list[int] = []
    for mid in mids:
        try:
            actors[mid] = await choose_actor(
                ctx,
                mid=mid,
                kind=BackgroundWork.UNINSTALL_CLEANUP,
                preferred_user_id=admin_user_id,
                waiting_job=waiting_job_for(mid) if waiting_job_for else None,
            )
        except NeedsSignIn:
            uncovered.append(mid)
    return UninstallActors(actors=actors, uncovered=tuple(uncovered))


# ---------------------------------------------------------------------- audit
def acting_actor(acting: ActingUser) -> Actor:
    """The audit actor of a job's action: the user it acted as (MCE sees them act)."""
    return Actor(ActorType.USER, str(acting.user_id))


def acting_details(acting: ActingUser, extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Audit details saying that background work acted for this user, and why them."""
    return {
        "background": acting.kind.value,
        "acting_for": str(acting.user_id),
        "mce_user_id": acting.mce_user_id,
        "why": acting.why.value,
        **(extra or {}),
    }


async def acting_audit(
    ctx: TenantContext,
    acting: ActingUser,
    *,
    action: str,
    outcome: Outcome,
    target: str = "",
    details: Mapping[str, Any] | None = None,
    meta: RequestMeta = audit.NO_REQUEST,
) -> None:
    """Append a job's audit event, recording whom it acted for and why."""
    await audit.record(
        ctx,
        action=action,
        outcome=outcome,
        actor=acting_actor(acting),
        meta=meta,
        mid=acting.mid,
        target=target,
        details=acting_details(acting, details),
    )
