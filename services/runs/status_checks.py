"""Asking MCE how runs stand: batched per BU, bounded per second, judged as REFERENCE says.

* :func:`fetch_statuses` reads the AsyncActivityStatus of many tasks of one BU in one
  Retrieve with ``TaskID IN (...)`` (chunks of :data:`MAX_IDS_PER_CALL`). REFERENCE has only
  seen ``equals`` there, so when MCE refuses the batched call, the tenant is remembered
  (:class:`BatchMemory`, in Redis, shared by every poller) and its tasks are asked one by one
  from then on.
* :class:`CallBudget` bounds the status calls per second per BU across every poller process
  (a Redis counter per BU and second): whatever the number of runs, a BU sees at most
  ``calls_per_second`` status calls; what does not fit waits for the next round.
* :func:`judge` applies REFERENCE §2.4's rule: an ``Error`` status or any ``ErrorMsg`` fails
  the run; ``Complete`` completes it; anything else (``Queued`` can lag after the end) keeps
  it running; the poller then asks REST ``isrunning`` for such runs, which a finished run
  must answer ``false`` twice, :data:`CONFIRM_GAP_SECONDS` apart, before it counts as complete.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from redis.asyncio import Redis

from client.bridge import MceBridge
from client.errors import MceValidationError
from client.soap import AsyncActivityStatus
from services.redis_keys import PREFIX

__all__ = [
    "BATCH_REFUSAL_TTL_SECONDS",
    "MAX_IDS_PER_CALL",
    "BatchMemory",
    "CallBudget",
    "StatusFetch",
    "Verdict",
    "fetch_statuses",
    "judge",
]

log = logging.getLogger("quarry.runs.poller")

#: Task ids per batched Retrieve (a long IN list makes a large request; MCE sets no limit).
MAX_IDS_PER_CALL = 50
#: A tenant whose MCE refused a batched status call is asked task by task this long, then
#: batching is tried again (MCE may start accepting it).
BATCH_REFUSAL_TTL_SECONDS = 7 * 24 * 3600
#: The gap between the two ``isrunning: false`` answers that confirm a lagging run's end.
CONFIRM_GAP_SECONDS = 0.5


class Verdict(StrEnum):
    RUNNING = "RUNNING"
    COMPLETE = "COMPLETE"
    FAILED = "FAILED"
    UNKNOWN = "UNKNOWN"
    """MCE does not know the task (yet): ask again."""


def judge(status: AsyncActivityStatus | None) -> Verdict:
    """REFERENCE §2.4: fail on a status containing "error" or a non-empty ``ErrorMsg``;
    complete on ``Complete``; ``CompletedDate`` is never a completion signal."""
    if status is None:
        return Verdict.UNKNOWN
    text = (status.status or "").strip().lower()
    if "error" in text or (status.error_msg or "").strip():
        return Verdict.FAILED
    if text == "complete":
        return Verdict.COMPLETE
    return Verdict.RUNNING


class BatchMemory:
    """Which tenants' MCE refused ``IN`` on AsyncActivityStatus (shared by every poller)."""

    def __init__(self, redis: Redis) -> None:
        self._redis = redis

    @staticmethod
    def key(tenant_id: int) -> str:
        return f"{PREFIX}:runs:status-in-refused:{tenant_id}"

    async def refused(self, tenant_id: int) -> bool:
        return bool(await self._redis.exists(self.key(tenant_id)))

    async def remember(self, tenant_id: int) -> None:
        await self._redis.set(self.key(tenant_id), "1", ex=BATCH_REFUSAL_TTL_SECONDS)


class CallBudget:
    """At most ``calls_per_second`` status calls per BU and second, across processes."""

    def __init__(self, redis: Redis, *, calls_per_second: int) -> None:
        if calls_per_second < 1:
            raise ValueError("calls_per_second must be at least 1")
        self._redis = redis
        self.calls_per_second = calls_per_second

    @staticmethod
    def key(tenant_id: int, mid: int, second: int) -> str:
        return f"{PREFIX}:runs:status-calls:{tenant_id}:{mid}:{second}"

    async def take(self, tenant_id: int, mid: int) -> bool:
        """Spend one call of this second's budget; False when it is spent (do not call)."""
        key = self.key(tenant_id, mid, int(time.time()))
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.incr(key)
            pipe.expire(key, 2)
            used, _ = await pipe.execute()
        return int(used) <= self.calls_per_second


@dataclass
class StatusFetch:
    """What one round learned: statuses by lower-cased task id, and the calls it made."""

    statuses: dict[str, AsyncActivityStatus]
    calls: int = 0
    batched: bool = False
    exhausted: bool = False
    """The BU's budget ran out: some tasks were not asked this round."""


async def fetch_statuses(
    bridge: MceBridge,
    task_ids: Sequence[str],
    *,
    tenant_id: int,
    mid: int,
    memory: BatchMemory,
    budget: CallBudget,
    early: Sequence[str] = (),
) -> StatusFetch:
    """The statuses of ``task_ids`` (all in BU ``mid``), batched unless the tenant refuses it.

    ``early``: tasks not due yet that ride along in the batched calls (the caller fills them
    up); when MCE refuses the batch they are left out of the one-by-one calls."""
    result = StatusFetch(statuses={})
    ids = list(dict.fromkeys(task_ids))
    if not ids:
        return result
    batch = list(dict.fromkeys([*ids, *early]))
    if len(batch) > 1 and not await memory.refused(tenant_id):
        try:
            for start in range(0, len(batch), MAX_IDS_PER_CALL):
                if not await budget.take(tenant_id, mid):
                    result.exhausted = True
                    return result
                chunk = batch[start : start + MAX_IDS_PER_CALL]
                result.calls += 1
                result.statuses.update(await bridge.soap.async_activity_statuses(chunk))
            result.batched = True
            return result
        except MceValidationError as exc:
            log.warning(
                "tenant %s: MCE refused a batched status call (%s); asking task by task",
                tenant_id,
                exc.mce_message or exc.message,
                extra={"event": "runs.poller.batch_refused", "tenant_id": tenant_id},
            )
            await memory.remember(tenant_id)
    for task_id in ids:
        if task_id.lower() in result.statuses:
            continue
        if not await budget.take(tenant_id, mid):
            result.exhausted = True
            break
        result.calls += 1
        status = await bridge.soap.async_activity_status(task_id)
        if status is not None:
            result.statuses[task_id.lower()] = status
    return result
