"""Syncing one BU's metadata from MCE into the cache, and asking for it.

- :func:`request_sync` (``refreshMetadata``, the sign-in trigger): enqueue the RQ job
  ``jobs.metadata.sync_business_unit`` unless a sync of that BU runs already, in which case
  the caller joins it (the running sync's progress is returned). The job's idempotency key
  makes a second request while it is queued join it too.
- :func:`run_sync` (the job): acts as :mod:`services.acting` says (``METADATA_SYNC``: the
  requester, else the BU's most recent usable member; ``SCHEDULED_SYNC``: the latter), holds a
  Redis lock per tenant and BU (a second job for the same BU returns at once: it joined),
  then folders → DEs with their fields (IN batches) → query activities → automations, each
  streamed page by page (services/metadata/steps.py). The first sync of a BU is full; later
  ones are incremental: objects modified since the previous complete sync's start (less a
  margin, in MCE's time zone), and key-only listings compared with the cache for deletions.
  A failure records FAILED (or NEEDS_SIGN_IN) and deletes nothing it did not confirm deleted;
  the cursor only moves on success, so the next sync covers what this one missed.
- A child BU's sync then makes sure its parent's shared DEs are cached
  (:func:`run_shared_sync`): fetched with a token for the PARENT, by whoever may act for
  the parent, and written in the parent's context as shared rows. Nobody who can reach the
  parent: the parent's shared state says NEEDS_SIGN_IN and why, which every child reads.
- Lazy loading: :func:`ensure_folder_children` and :func:`ensure_data_extension`
  (services/metadata/lazy.py), re-exported here.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import httpx
from redis.asyncio import Redis

from client.bridge import MceBridge
from client.endpoints import EndpointPolicy
from client.errors import MceError, ReauthRequired
from client.tokens import TokenProvider
from models import Outcome, TenantContext, TenantRepository
from models.metadata import SyncScope, SyncStatus
from services.acting import (
    ActingUser,
    BackgroundWork,
    NeedsSignIn,
    WaitingJob,
    acting_audit,
    choose_actor,
)
from services.errors import QuarryError
from services.job_queue import JobQueue
from services.mce_bridges import bridge_for_user
from services.metadata import cache
from services.metadata.context import BuScope, bu_scope
from services.metadata.lazy import ensure_data_extension, ensure_folder_children
from services.metadata.locks import RedisLock
from services.metadata.progress import SyncPhase, SyncProgress, notify_blocking, read_progress
from services.metadata.rows import SHARED_FOLDER_TYPES, from_mce_time, mce_now, to_mce_time
from services.metadata.state import SyncRecorder, mark_queued, record_failure
from services.metadata.steps import SyncRun
from services.redis_keys import metadata_sync_lock_key
from services.waiting_work import JobEnqueuer
from services.wallet.errors import WalletError

__all__ = [
    "JOB_SCHEDULED",
    "JOB_SHARED",
    "JOB_SYNC",
    "SyncDeps",
    "ensure_data_extension",
    "ensure_folder_children",
    "request_sync",
    "run_shared_sync",
    "run_sync",
    "sync_job_key",
    "sync_on_sign_in",
]

logger = logging.getLogger("quarry.metadata")

JOB_SYNC = "jobs.metadata.sync_business_unit"
JOB_SCHEDULED = "jobs.metadata.scheduled_sync"
JOB_SHARED = "jobs.metadata.sync_shared"
SYNC_TIMEOUT_SECONDS = 3600
SHARED_MAX_AGE = timedelta(minutes=15)
"""A child's sync refreshes its parent's shared DEs when they are older than this."""


@dataclass(frozen=True)
class SyncDeps:
    """What a sync needs besides the database: Redis, the HTTP client, tokens, endpoints."""

    redis: Redis
    http: httpx.AsyncClient
    tokens: TokenProvider
    policy: EndpointPolicy
    cursor_margin: timedelta = timedelta(seconds=60)
    """Incremental syncs re-read what changed this long before the previous sync started
    (clock skew between MCE and us); tests and the benchmark set 0."""


def sync_job_key(tenant_id: int, mid: int, *, full: bool) -> str:
    return f"metadata-sync:{tenant_id}:{mid}:{'full' if full else 'incremental'}"


def _lock(redis: Redis, scope: BuScope, sync_scope: SyncScope) -> RedisLock:
    return RedisLock(redis, metadata_sync_lock_key(scope.tenant_id, scope.mid, sync_scope.value))


# ---------------------------------------------------------------------- requesting
async def request_sync(
    ctx: TenantContext, *, mid: int, user_id: UUID, full: bool, jobs: JobQueue
) -> SyncProgress:
    """Ask for a sync of BU ``mid`` on behalf of ``user_id``; join the running one if any.

    The caller has checked that the user may see ``mid``. Returns the BU's progress
    (RUNNING: queued or running).
    """
    scope = await bu_scope(ctx.tenant_id, mid)
    lock_key = metadata_sync_lock_key(scope.tenant_id, scope.mid, SyncScope.OWN.value)
    running = bool(await asyncio.to_thread(jobs.connection.exists, lock_key))
    if not running:
        await mark_queued(scope, sync_scope=SyncScope.OWN, full=full)
        await asyncio.to_thread(notify_blocking, jobs.connection, scope.tenant_id, scope.mid)
        await jobs.enqueue(
            JOB_SYNC,
            scope.tenant_id,
            scope.mid,
            user_id,
            int(full),
            idempotency_key=sync_job_key(scope.tenant_id, scope.mid, full=full),
            timeout_seconds=SYNC_TIMEOUT_SECONDS,
        )
    progress = await read_progress(scope)
    assert progress is not None  # marked queued above, or a running sync wrote it
    return progress


# ---------------------------------------------------------------------- the job
async def run_sync(
    deps: SyncDeps,
    *,
    tenant_id: int,
    mid: int,
    user_id: UUID | None,
    full: bool,
    kind: BackgroundWork = BackgroundWork.METADATA_SYNC,
) -> dict[str, Any]:
    """Sync BU ``mid`` (then its parent's shared DEs for a child BU); see the module doc.

    Returns a small summary (ids and counts only: it is stored by RQ).
    """
    scope = await bu_scope(tenant_id, mid)
    lock = _lock(deps.redis, scope, SyncScope.OWN)
    if not await lock.acquire():
        return {"mid": mid, "joined": True}
    try:
        summary = await _sync_locked(deps, scope, lock, user_id=user_id, full=full, kind=kind)
    finally:
        await lock.release()
    if scope.parent_mid is not None and summary.get("state") == "COMPLETE":
        summary["shared"] = await _refresh_shared(deps, scope, user_id=user_id, full=full)
    return summary


async def _sync_locked(
    deps: SyncDeps,
    scope: BuScope,
    lock: RedisLock,
    *,
    user_id: UUID | None,
    full: bool,
    kind: BackgroundWork,
) -> dict[str, Any]:
    waiting = WaitingJob(
        JOB_SYNC if user_id is not None else JOB_SCHEDULED,
        (scope.tenant_id, scope.mid, user_id, int(full))
        if user_id is not None
        else (scope.tenant_id, scope.mid),
        idempotency_key=sync_job_key(scope.tenant_id, scope.mid, full=full),
        timeout_seconds=SYNC_TIMEOUT_SECONDS,
    )
    acting = await _actor(deps, scope, SyncScope.OWN, kind=kind, user_id=user_id, job=waiting)
    if acting is None:
        return {"mid": scope.mid, "state": "NEEDS_SIGN_IN"}
    recorder = SyncRecorder(deps.redis, scope, SyncScope.OWN)

    async def work(run: SyncRun) -> None:
        shared = await run.folders()
        since = run.since
        source = run.bridge.soap.data_extensions(modified_since=since)
        await run.data_extensions(source, shared_folders=shared, all_shared=False)
        await run.data_extension_deletions(shared_folders=shared)
        await run.query_activities()
        await run.automations()
        await run.mark_folders_loaded()

    return await _run(deps, scope, lock, recorder, acting, full=full, work=work)


async def _actor(
    deps: SyncDeps,
    scope: BuScope,
    sync_scope: SyncScope,
    *,
    kind: BackgroundWork,
    user_id: UUID | None,
    job: WaitingJob,
) -> ActingUser | None:
    """Who acts; None (recorded as NEEDS_SIGN_IN with the reason) when nobody can."""
    try:
        return await choose_actor(
            scope.ctx,
            mid=scope.mid,
            kind=kind,
            preferred_user_id=user_id if kind is not BackgroundWork.SCHEDULED_SYNC else None,
            waiting_job=job,
        )
    except NeedsSignIn as exc:
        await record_failure(
            deps.redis,
            scope,
            sync_scope=sync_scope,
            status=SyncStatus.NEEDS_SIGN_IN,
            reason=exc.reason.value,
            message=str(exc),
        )
        return None


async def _run(
    deps: SyncDeps,
    scope: BuScope,
    lock: RedisLock,
    recorder: SyncRecorder,
    acting: ActingUser,
    *,
    full: bool,
    work: Callable[[SyncRun], Awaitable[None]],
) -> dict[str, Any]:
    """Run ``work`` as ``acting`` and record how it ended (state, audit)."""
    try:
        bridge: MceBridge = await bridge_for_user(
            scope.ctx, user_id=acting.user_id, mid=scope.mid, http=deps.http,
            tokens=deps.tokens, policy=deps.policy,
        )  # fmt: skip
    except (QuarryError, WalletError) as exc:  # no TSSD yet, the user gone: nothing to call
        reason = exc.code if isinstance(exc, QuarryError) else type(exc).__name__
        await recorder.fail(
            status=SyncStatus.FAILED, reason=reason, message="Marketing Cloud cannot be reached."
        )
        return {"mid": scope.mid, "state": "FAILED", "error": type(exc).__name__}
    start = await recorder.begin(full=full)
    started_mce = mce_now() - deps.cursor_margin

    lost = asyncio.Event()

    async def keep_lock() -> None:
        """Renew the lock every third of its TTL, also while one MCE call takes long."""
        try:
            while await asyncio.sleep(lock.ttl_ms / 3000, result=True):
                if not await lock.refresh(force=True):
                    break
        finally:
            lost.set()

    async def heartbeat() -> None:
        if lost.is_set():
            raise RuntimeError("the sync's lock was lost")

    keeper = asyncio.create_task(keep_lock())

    run = SyncRun(
        bridge=bridge,
        scope=scope,
        recorder=recorder,
        generation=start.generation,
        since=None if start.cursor is None else to_mce_time(start.cursor),
        heartbeat=heartbeat,
    )
    details = {"scope": recorder.sync_scope.value, "full": start.full}
    try:
        await work(run)
    except ReauthRequired as exc:
        await recorder.fail(
            status=SyncStatus.NEEDS_SIGN_IN, reason="reauth_required", message=str(exc)
        )
        await _audit(scope, acting, Outcome.FAILURE, {**details, "error": type(exc).__name__})
        return {"mid": scope.mid, "state": "NEEDS_SIGN_IN"}
    except MceError as exc:
        await recorder.fail(status=SyncStatus.FAILED, reason=type(exc).__name__, message=str(exc))
        await _audit(scope, acting, Outcome.FAILURE, {**details, "error": type(exc).__name__})
        logger.warning("metadata sync of %s failed: %s", scope.mid, type(exc).__name__)
        return {"mid": scope.mid, "state": "FAILED", "error": type(exc).__name__}
    except BaseException as exc:
        await asyncio.shield(
            recorder.fail(
                status=SyncStatus.FAILED,
                reason="internal_error",
                message="The sync stopped unexpectedly; the next one will complete it.",
            )
        )
        await _audit(scope, acting, Outcome.FAILURE, {**details, "error": type(exc).__name__})
        raise
    finally:
        keeper.cancel()
        await asyncio.gather(keeper, return_exceptions=True)
    cursor = None if run.needs_full else from_mce_time(started_mce)
    await recorder.finish(cursor=cursor, full=start.full)
    await _audit(scope, acting, Outcome.SUCCESS, {**details, **recorder.counters})
    return {"mid": scope.mid, "state": "COMPLETE", "full": start.full, **recorder.counters}


async def _audit(
    scope: BuScope, acting: ActingUser, outcome: Outcome, details: dict[str, Any]
) -> None:
    await acting_audit(
        scope.ctx,
        acting,
        action="metadata.synced",
        outcome=outcome,
        target=f"bu:{scope.mid}",
        details=details,
    )


# ---------------------------------------------------------------------- shared DEs
async def _refresh_shared(
    deps: SyncDeps, scope: BuScope, *, user_id: UUID | None, full: bool
) -> str:
    """Sync the parent's shared DEs unless a recent sync cached them."""
    parent = scope.parent()
    assert parent is not None
    progress = await read_progress(scope)
    shared = progress.shared if progress is not None else None
    fresh = (
        shared is not None
        and shared.synced_at is not None
        and datetime.now(UTC) - shared.synced_at < SHARED_MAX_AGE
    )
    if fresh and not full:
        return "fresh"
    result = await run_shared_sync(
        deps, tenant_id=scope.tenant_id, parent_mid=parent.mid, user_id=user_id
    )
    return str(result.get("state", "joined" if result.get("joined") else ""))


async def run_shared_sync(
    deps: SyncDeps, *, tenant_id: int, parent_mid: int, user_id: UUID | None
) -> dict[str, Any]:
    """Cache parent BU ``parent_mid``'s shared folders and DEs, acting for the parent (the
    requester if they can reach it, else its most recent usable member), written in the
    parent's context as shared rows. Always a full listing: shared folders are few."""
    scope = await bu_scope(tenant_id, parent_mid)
    lock = _lock(deps.redis, scope, SyncScope.SHARED)
    if not await lock.acquire():
        return {"mid": parent_mid, "joined": True}
    try:
        job = WaitingJob(
            JOB_SHARED,
            (tenant_id, parent_mid),
            idempotency_key=f"metadata-shared:{tenant_id}:{parent_mid}",
            timeout_seconds=SYNC_TIMEOUT_SECONDS,
        )
        acting = await _actor(
            deps, scope, SyncScope.SHARED, kind=BackgroundWork.METADATA_SYNC, user_id=user_id,
            job=job,
        )  # fmt: skip
        if acting is None:
            return {"mid": parent_mid, "state": "NEEDS_SIGN_IN"}
        recorder = SyncRecorder(deps.redis, scope, SyncScope.SHARED)

        async def work(run: SyncRun) -> None:
            run.since = None
            shared = await run.folders(content_types=SHARED_FOLDER_TYPES)
            await run.recorder.publish(SyncPhase.SHARED_DATA_EXTENSIONS)
            for folder_id in sorted(shared):
                source = run.bridge.soap.data_extensions(folder_id=folder_id)
                await run.data_extensions(source, shared_folders=shared, all_shared=True)
            run.recorder.set(
                "data_extensions_total", run.recorder.counters.get("data_extensions_done", 0)
            )
            await cache.delete_unseen(
                scope, "mce_data_extensions", generation=run.generation, shared_only=True
            )
            await run.mark_folders_loaded()

        return await _run(deps, scope, lock, recorder, acting, full=True, work=work)
    finally:
        await lock.release()


# ---------------------------------------------------------------------- sign-in trigger
_TRIGGER_SQL = (
    "SELECT status FROM metadata_sync_state WHERE tenant_id = $1 AND mid = $2 AND scope = 'own'"
)


async def sync_on_sign_in(
    ctx: TenantContext, *, mid: int, user_id: UUID, enqueue: JobEnqueuer
) -> bool:
    """At sign-in to BU ``mid``: enqueue a sync (acting as this user) when the BU's cache was
    never synced, or its last sync could not run or failed (someone who can act is here now).
    True when a job was enqueued. The scheduler keeps synced BUs fresh otherwise."""
    scope = await bu_scope(ctx.tenant_id, mid)
    rows = await TenantRepository(scope.ctx).fetch(_TRIGGER_SQL, [scope.tenant_id, scope.mid])
    if rows and rows[0]["status"] not in (SyncStatus.FAILED.value, SyncStatus.NEEDS_SIGN_IN.value):
        return False
    await mark_queued(scope, sync_scope=SyncScope.OWN, full=False)
    job = await enqueue.enqueue(
        JOB_SYNC,
        scope.tenant_id,
        scope.mid,
        user_id,
        0,
        idempotency_key=sync_job_key(scope.tenant_id, scope.mid, full=False),
        timeout_seconds=SYNC_TIMEOUT_SECONDS,
    )
    return job.enqueued
