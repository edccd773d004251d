"""Resuming background work that waited for a sign-in (services/acting.py records it).

Sign-in calls :func:`resume_waiting_work` once the user's tokens are stored. For every BU the
user is a member of that has work waiting (or is marked ``needs_sign_in``), and for which
the user can now act, each waiting job is enqueued again by its dotted name and id arguments
and the BU is marked ``ready`` (audited as the user's doing). Work bound to another user (a
run of theirs) keeps waiting for them.

Rows are claimed with ``FOR UPDATE SKIP LOCKED`` and deleted in the transaction that enqueued
them: two sign-ins at once never both resume one row, and if enqueueing fails the rows stay
for the next sign-in (a job enqueued before the failure is not enqueued twice while pending:
it carries its idempotency key).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol
from uuid import UUID

from models import ActorType, BackgroundState, Outcome, TenantContext, TenantRepository
from services import audit
from services.acting import is_usable, set_background_state
from services.audit import Actor
from services.job_queue import EnqueuedJob, JobArg

__all__ = ["JobEnqueuer", "ResumeResult", "resume_waiting_work", "waiting_args"]


class JobEnqueuer(Protocol):
    """What resuming needs of :class:`services.job_queue.JobQueue`."""

    async def enqueue(
        self,
        job: str,
        *args: JobArg,
        queue: str = "default",
        idempotency_key: str | None = None,
        timeout_seconds: int = ...,
    ) -> EnqueuedJob: ...


@dataclass(frozen=True)
class ResumeResult:
    """What a sign-in resumed: the jobs, the BUs now ready, the BUs still waiting."""

    jobs: tuple[EnqueuedJob, ...] = ()
    ready_mids: tuple[int, ...] = ()
    still_waiting_mids: tuple[int, ...] = ()


# The user's BUs with something to resume: work any member may do, work bound to this user,
# or a BU marked needs_sign_in (e.g. by a connection check, which stores no work).
_CANDIDATE_BUS_SQL = (
    "SELECT b.mid FROM business_units b"
    " JOIN memberships m ON m.tenant_id = b.tenant_id AND m.mid = b.mid AND m.user_id = $2"
    " WHERE b.tenant_id = $1 AND (b.background_state = 'needs_sign_in' OR EXISTS ("
    "  SELECT 1 FROM waiting_work w WHERE w.tenant_id = b.tenant_id AND w.mid = b.mid"
    "  AND (w.waiting_for_user_id IS NULL OR w.waiting_for_user_id = $2)))"
    " ORDER BY b.mid"
)
_CLAIM_SQL = (
    "SELECT id, kind, job, args, job_key, queue, timeout_seconds FROM waiting_work"
    " WHERE tenant_id = $1 AND mid = $2"
    " AND (waiting_for_user_id IS NULL OR waiting_for_user_id = $3)"
    " ORDER BY created_at, id FOR UPDATE SKIP LOCKED"
)
_DELETE_SQL = "DELETE FROM waiting_work WHERE tenant_id = $1 AND id = ANY($2::uuid[])"


def waiting_args(stored: Sequence[Any]) -> tuple[JobArg, ...]:
    """A waiting row's arguments as the job takes them: ints stay ints, strings are UUIDs
    (only ints and UUIDs are ever stored; anything else is refused)."""
    args: list[JobArg] = []
    for value in stored:
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise ValueError("waiting work holds ids only")
        args.append(value if isinstance(value, int) else UUID(value))
    return tuple(args)


async def resume_waiting_work(
    ctx: TenantContext, *, user_id: UUID, enqueue: JobEnqueuer
) -> ResumeResult:
    """After ``user_id`` signed in: resume what waited for someone like them (see module doc).

    ``ctx`` is any context of the user's tenant (sign-in's); ``enqueue`` is a
    :class:`services.job_queue.JobQueue`.
    """
    repo = TenantRepository(ctx)
    rows = await repo.fetch(_CANDIDATE_BUS_SQL, [ctx.tenant_id, user_id])
    jobs: list[EnqueuedJob] = []
    ready: list[int] = []
    waiting: list[int] = []
    for mid in (int(row["mid"]) for row in rows):
        if not await is_usable(ctx, user_id=user_id, mid=mid):
            waiting.append(mid)
            continue
        jobs.extend(await _resume_bu(repo, mid=mid, user_id=user_id, enqueue=enqueue))
        ready.append(mid)
    return ResumeResult(
        jobs=tuple(jobs), ready_mids=tuple(ready), still_waiting_mids=tuple(waiting)
    )


async def _resume_bu(
    repo: TenantRepository, *, mid: int, user_id: UUID, enqueue: JobEnqueuer
) -> list[EnqueuedJob]:
    actor = Actor(ActorType.USER, str(user_id))
    async with repo.transaction():
        claimed = await repo.fetch(_CLAIM_SQL, [repo.ctx.tenant_id, mid, user_id])
        jobs = [
            await enqueue.enqueue(
                row["job"],
                *waiting_args(_json(row["args"])),
                queue=row["queue"],
                idempotency_key=row["job_key"],
                timeout_seconds=int(row["timeout_seconds"]),
            )
            for row in claimed
        ]
        if claimed:
            await repo.fetch(_DELETE_SQL, [repo.ctx.tenant_id, [row["id"] for row in claimed]])
        await set_background_state(
            repo, mid=mid, state=BackgroundState.READY, reason="signed_in", actor=actor
        )
        if claimed:
            await audit.record(
                repo.ctx,
                action="background.resumed",
                outcome=Outcome.SUCCESS,
                actor=actor,
                mid=mid,
                target=f"bu:{mid}",
                details={
                    "jobs": [
                        {"kind": row["kind"], "job": row["job"], "waiting_id": str(row["id"])}
                        for row in claimed
                    ]
                },
            )
    return jobs


def _json(value: Any) -> list[Any]:
    """asyncpg hands jsonb back as text unless a codec is set; accept both."""
    decoded = json.loads(value) if isinstance(value, str | bytes) else value
    if not isinstance(decoded, list):
        raise ValueError("waiting work arguments are a JSON list")
    return decoded
