"""The poller: sees runs finish in MCE within about half a second, without flooding MCE.

One asyncio loop watches every run MCE is executing (RUNNING with a task id) and every
canceled run whose shell is still draining. Each round (:meth:`Poller.run_once`):

1. lists the watched runs of every tenant (the system role, one indexed query);
2. groups them by BU; a BU is polled by one poller at a time (a Redis lease per BU, renewed
   by its holder each round), so several poller processes share the work safely;
3. asks MCE about the BU's due runs in batches (services/runs/status_checks.py: ``IN`` on
   TaskID, one call per task where MCE refuses it, a per-BU calls-per-second budget),
   acting as one of those runs' users (any of them may read the status); runs due later
   fill the batch's free places (:meth:`Poller._fill_batches`: checked early, no call more);
4. moves each run: COMPLETE (its shell kept leased for the results window), FAILED with MCE's
   message and the error catalogue's cause and fix (its shell back in the pool), or, for a
   canceled run, frees its shell once MCE is done; a run past MCE's 30-minute limit (plus a
   margin) fails without another call;
5. schedules each run's next check adaptively (:func:`next_interval`): every quarter second
   at first, backing off to a few seconds for long queries;
6. about once a second, counts the rows of complete runs nobody read within seconds
   (:meth:`Poller.count_unread`).

COMPLETE is published as soon as MCE's status says so: the poller reads no row of a run it
has a task for. REFERENCE's last step (wait until the rowset endpoint answers) belongs to the
first read, which waits while the rows are not visible yet and records the row count
(services/runs/reading.py): one MCE call less per run, and the first page sooner.

Transitions go through services/runs/status.py (compare-and-set, then the event): a run the
user canceled meanwhile is simply not completed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import asyncpg
import httpx
from redis.asyncio import Redis

from client.bridge import MceBridge
from client.endpoints import EndpointPolicy
from client.errors import MceError, ReauthRequired
from client.errors import NotFound as MceNotFound
from client.soap import AsyncActivityStatus
from client.tokens import TokenProvider
from models import TenantContext, TenantRepository
from models.runs import MceAsset, Run, RunStatus
from services.errors import NotFound
from services.mce_bridges import bridge_for_user
from services.redis_keys import PREFIX
from services.runs.config import RunConfig
from services.runs.failures import failure_changes
from services.runs.pool import keep_for_results, release_shell
from services.runs.reading import result_source
from services.runs.results import ResultReader
from services.runs.status import transition
from services.runs.status_checks import (
    CONFIRM_GAP_SECONDS,
    MAX_IDS_PER_CALL,
    BatchMemory,
    CallBudget,
    Verdict,
    fetch_statuses,
    judge,
)
from services.runs.store import record_row_count
from services.runs.tasks import OUTCOME_UNKNOWN, OUTCOME_UNKNOWN_CODE, adopt_task, find_task
from services.wallet.errors import WalletError

__all__ = [
    "MCE_TIME_LIMIT",
    "TIMEOUT_MESSAGE",
    "Poller",
    "PollerDeps",
    "RoundReport",
    "WatchedRun",
    "alive_key",
    "mce_time",
    "next_interval",
]

log = logging.getLogger("quarry.runs.poller")

#: MCE stops a query activity after 30 minutes; a run still "running" this long after its
#: start (plus a margin for clocks and queueing) is failed by the poller.
MCE_TIME_LIMIT = timedelta(minutes=30)
TIME_LIMIT_MARGIN = timedelta(minutes=2)
TIMEOUT_MESSAGE = (
    "The query timed out: it ran longer than Marketing Cloud's 30-minute limit for query"
    " activities."
)
#: A run whose status still says Queued this many checks (and this long) after its start is
#: asked about through REST ``isrunning`` (REFERENCE: Status can lag behind the end).
LAGGING_AFTER_CHECKS = 3
LAGGING_AFTER_SECONDS = 2.0
LAGGING_RECHECK_SECONDS = 1.0
#: Each round renews this host's "a poller is alive" key (Compose's healthcheck reads it).
ALIVE_TTL_MS = 15_000
#: The shortest pause between two rounds.
MIN_PAUSE_SECONDS = 0.02
#: Runs of one BU finished side by side in a round.
COMPLETE_CONCURRENCY = 8
#: A complete run whose results nobody read this long after it was seen complete is counted
#: by the poller (one single-row read), within this long of its completion, this many a
#: round; a count is tried by one poller at a time, again after the claim lapses.
COUNT_UNREAD_AFTER_SECONDS = 3.0
COUNT_UNREAD_WITHIN_SECONDS = 600.0
COUNT_UNREAD_PER_ROUND = 20
COUNT_CLAIM_MS = 10_000
#: How often a poller looks for uncounted runs.
COUNT_UNREAD_EVERY_SECONDS = 1.0
#: A bridge (tenant, BU, user) is rebuilt after this long (a user removed meanwhile is seen).
BRIDGE_TTL_SECONDS = 60.0
#: A BU's lease lasts this long unless its holder renews it (each round).
BU_LEASE_MS = 3_000

#: Deletes a BU lease only if this poller still holds it.
_RELEASE_LUA = (
    "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"
)

_WATCH_SQL = """
SELECT r.tenant_id, r.mid, r.id, r.user_id, r.status, r.task_id, r.started_at,
       r.perform_sent_at, r.created_at, q.object_id AS qd_object_id
FROM runs r
LEFT JOIN mce_assets q ON q.tenant_id = r.tenant_id AND q.mid = r.mid AND q.id = r.shell_qd_id
WHERE (r.status = 'RUNNING'
       OR (r.status = 'CANCELED' AND r.perform_sent_at IS NOT NULL AND EXISTS (
           SELECT 1 FROM mce_assets a WHERE a.tenant_id = r.tenant_id AND a.mid = r.mid
             AND a.lease_run_id = r.id AND a.state = 'DRAINING')))
ORDER BY r.tenant_id, r.mid, r.created_at
LIMIT $1
"""


_UNCOUNTED_SQL = """
SELECT r.tenant_id, r.mid, r.id, r.user_id, r.status, r.task_id, r.started_at,
       r.perform_sent_at, r.created_at, NULL::text AS qd_object_id
FROM runs r
WHERE r.status = 'COMPLETE' AND r.row_count IS NULL
  AND r.detected_at < now() - make_interval(secs => $1)
  AND r.detected_at > now() - make_interval(secs => $2)
ORDER BY r.detected_at
LIMIT $3
"""


def alive_key(hostname: str) -> str:
    """Set by every round of a poller on ``hostname`` (its container's healthcheck)."""
    return f"{PREFIX}:runs:poller-alive:{hostname}"


def mce_time(text: str | None) -> datetime | None:
    """MCE's ``M/D/YYYY h:mm:ss AM`` server time (CST, UTC-6 all year) as UTC; None when
    absent or unreadable (it is informative only: never a completion signal)."""
    if not text:
        return None
    try:
        naive = datetime.strptime(text.strip(), "%m/%d/%Y %I:%M:%S %p")
    except ValueError:
        return None
    return (naive + timedelta(hours=6)).replace(tzinfo=UTC)


def next_interval(age_seconds: float) -> float:
    """Seconds until a run of this age is checked again: tight while most queries finish,
    looser for long ones (each check of a BU covers all its due runs in one call)."""
    if age_seconds < 15:
        return 0.25
    if age_seconds < 60:
        return 0.5
    if age_seconds < 300:
        return 2.0
    return 5.0


@dataclass(frozen=True)
class WatchedRun:
    tenant_id: int
    mid: int
    run_id: UUID
    user_id: UUID
    status: RunStatus
    task_id: str | None
    """None when the start's answer was lost: MCE's ``isrunning`` and the rows judge it."""
    started_at: datetime
    qd_object_id: str | None

    @classmethod
    def from_row(cls, row: Any) -> WatchedRun:
        started = row["started_at"] or row["perform_sent_at"] or row["created_at"]
        return cls(
            tenant_id=int(row["tenant_id"]),
            mid=int(row["mid"]),
            run_id=row["id"],
            user_id=row["user_id"],
            status=RunStatus(row["status"]),
            task_id=None if row["task_id"] is None else str(row["task_id"]),
            started_at=started,
            qd_object_id=row["qd_object_id"],
        )


@dataclass(frozen=True)
class PollerDeps:
    system_url: str
    redis: Redis
    http: httpx.AsyncClient
    tokens: TokenProvider
    policy: EndpointPolicy
    config: RunConfig = field(default_factory=RunConfig)
    calls_per_second_per_bu: int = 5


@dataclass
class RoundReport:
    """What one round did (tests, logs and the benchmark read it)."""

    watched: int = 0
    polled: int = 0
    calls: int = 0
    completed: list[UUID] = field(default_factory=list)
    failed: list[UUID] = field(default_factory=list)
    released: list[UUID] = field(default_factory=list)
    counted: list[UUID] = field(default_factory=list)
    skipped_bus: int = 0


@dataclass
class _Tracking:
    due_at: float = 0.0
    checks: int = 0
    lag_checked_at: float = 0.0
    not_running_since: float | None = None
    """When ``isrunning`` first said the run's QD was not running (a second answer, a gap
    later, confirms the end)."""


class Poller:
    """One poller process's state: when each run is due, and which BU leases it holds."""

    def __init__(self, deps: PollerDeps, *, instance: str | None = None) -> None:
        self.deps = deps
        self.instance = instance or f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
        self.memory = BatchMemory(deps.redis)
        self.budget = CallBudget(deps.redis, calls_per_second=deps.calls_per_second_per_bu)
        self._tracking: dict[UUID, _Tracking] = {}
        self._bridges: dict[tuple[int, int, UUID], tuple[float, MceBridge]] = {}
        self._held: set[str] = set()
        self._pool: asyncpg.Pool | None = None
        self._counted_at = 0.0

    async def close(self) -> None:
        """Hand this poller's BUs over at once (a replacement need not wait for the leases
        to lapse) and close its database pool."""
        for key in list(self._held):
            await self.deps.redis.eval(_RELEASE_LUA, 1, key, self.instance)
        self._held.clear()
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    async def _system_pool(self) -> asyncpg.Pool:
        if self._pool is None:
            self._pool = await asyncpg.create_pool(self.deps.system_url, min_size=1, max_size=2)
        return self._pool

    async def _watched(self, limit: int = 10_000) -> list[WatchedRun]:
        rows = await (await self._system_pool()).fetch(_WATCH_SQL, limit)
        return [WatchedRun.from_row(row) for row in rows]

    async def run_forever(self, stop: asyncio.Event, *, tick_seconds: float = 0.1) -> None:
        """Rounds until ``stop`` is set; a failing round is logged and the next one runs.

        The next round starts when the next watched run is due, or after ``tick_seconds``
        (new runs are found by a round) if that is sooner: a run is checked on time rather
        than up to a tick late, which is most of what detection waits for besides MCE."""
        while not stop.is_set():
            try:
                await self.deps.redis.set(
                    alive_key(socket.gethostname()), self.instance, px=ALIVE_TTL_MS
                )
                await self.run_once()
            except Exception:
                log.exception("poller round failed", extra={"event": "runs.poller.error"})
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self._pause(tick_seconds))

    def _pause(self, tick_seconds: float) -> float:
        """Seconds until the next round: the next due run's wait, between
        :data:`MIN_PAUSE_SECONDS` (a run due already, e.g. over the call budget, does not make
        the loop spin) and ``tick_seconds``."""
        if not self._tracking:
            return tick_seconds
        wait = min(tracking.due_at for tracking in self._tracking.values()) - time.time()
        return min(tick_seconds, max(MIN_PAUSE_SECONDS, wait))

    async def run_once(self) -> RoundReport:
        report = RoundReport()
        runs = await self._watched()
        report.watched = len(runs)
        live = {run.run_id for run in runs}
        for run_id in list(self._tracking):
            if run_id not in live:
                del self._tracking[run_id]
        groups: dict[tuple[int, int], list[WatchedRun]] = defaultdict(list)
        for run in runs:
            groups[(run.tenant_id, run.mid)].append(run)
        await asyncio.gather(
            *(
                self._poll_bu(tenant_id, mid, bu_runs, report)
                for (tenant_id, mid), bu_runs in groups.items()
            )
        )
        if time.monotonic() - self._counted_at >= COUNT_UNREAD_EVERY_SECONDS:
            self._counted_at = time.monotonic()
            await self.count_unread(report)
        return report

    async def count_unread(self, report: RoundReport | None = None) -> list[UUID]:
        """Count the complete runs nobody read within :data:`COUNT_UNREAD_AFTER_SECONDS`
        (their row count is otherwise learnt by the first read: services/runs/reading.py),
        so ``run(id).rowCount`` is known for an integration that only followed the events.
        One poller counts a run at a time (a Redis claim); the ones counted are returned."""
        rows = await (await self._system_pool()).fetch(
            _UNCOUNTED_SQL,
            COUNT_UNREAD_AFTER_SECONDS,
            COUNT_UNREAD_WITHIN_SECONDS,
            COUNT_UNREAD_PER_ROUND,
        )
        counted: list[UUID] = []
        for run in (WatchedRun.from_row(row) for row in rows):
            claim = f"{PREFIX}:runs:counting:{run.run_id}"
            if not await self.deps.redis.set(claim, self.instance, nx=True, px=COUNT_CLAIM_MS):
                continue
            try:
                readable, count = await self._readable_count(run)
                if readable and count is not None:
                    repo = TenantRepository(await self._ctx(run))
                    if await record_row_count(repo, run.run_id, count):
                        counted.append(run.run_id)
            except Exception:
                log.exception("run %s: counting its rows failed", run.run_id)
        if report is not None:
            report.counted.extend(counted)
        return counted

    async def _hold_bu(self, tenant_id: int, mid: int) -> bool:
        """Take or renew this BU's lease (one poller per BU at a time)."""
        key = f"{PREFIX}:runs:poll-lease:{tenant_id}:{mid}"
        redis = self.deps.redis
        if await redis.set(key, self.instance, nx=True, px=BU_LEASE_MS):
            self._held.add(key)
            return True
        holder = await redis.get(key)
        if (
            holder is not None
            and (holder.decode() if isinstance(holder, bytes) else holder) == self.instance
        ):
            await redis.pexpire(key, BU_LEASE_MS)
            return True
        return False

    async def _poll_bu(
        self, tenant_id: int, mid: int, runs: Sequence[WatchedRun], report: RoundReport
    ) -> None:
        """One BU's round; a failure (a tenant gone, a user removed) stays in its BU."""
        try:
            await self._poll_bu_runs(tenant_id, mid, runs, report)
        except Exception:
            log.exception(
                "BU %s/%s: poll round failed", tenant_id, mid,
                extra={"event": "runs.poller.bu_error"},
            )  # fmt: skip

    async def _poll_bu_runs(
        self, tenant_id: int, mid: int, runs: Sequence[WatchedRun], report: RoundReport
    ) -> None:
        if not await self._hold_bu(tenant_id, mid):
            report.skipped_bus += 1
            return
        now = time.time()
        wall = datetime.now(UTC)
        due: list[WatchedRun] = []
        for run in runs:
            tracking = self._tracking.setdefault(run.run_id, _Tracking())
            if (
                run.status is RunStatus.RUNNING
                and wall - run.started_at > MCE_TIME_LIMIT + TIME_LIMIT_MARGIN
            ):
                await self._fail(run, message=TIMEOUT_MESSAGE, code="MCE_TIMEOUT", report=report)
                continue
            if tracking.due_at <= now:
                due.append(run)
        if not due:
            return
        statuses: dict[str, AsyncActivityStatus] = {}
        bridge = None
        done: list[tuple[WatchedRun, AsyncActivityStatus]] = []
        for run in due:  # no task id (a lost start): judged by isrunning, then its rows
            if run.task_id is None:
                await self._check_taskless(run, report)
        due = [run for run in due if run.task_id is not None]
        early = await self._fill_batches(tenant_id, due, runs) if due else []
        for user_id in dict.fromkeys(run.user_id for run in due):
            try:
                bridge = await self._bridge(tenant_id, mid, user_id)
                fetched = await fetch_statuses(
                    bridge, [run.task_id for run in due if run.task_id], tenant_id=tenant_id,
                    mid=mid,
                    memory=self.memory, budget=self.budget,
                    early=[run.task_id for run in early if run.task_id],
                )  # fmt: skip
            except (MceError, NotFound, WalletError) as exc:  # try another of the BU's users
                log.warning(
                    "BU %s/%s: status check as user %s failed: %r", tenant_id, mid, user_id, exc,
                    extra={"event": "runs.poller.status_failed"},
                )  # fmt: skip
                bridge = None
                continue
            statuses = fetched.statuses
            report.calls += fetched.calls
            break
        due += [run for run in early if (run.task_id or "").lower() in statuses]
        for run in due:
            tracking = self._tracking[run.run_id]
            status = statuses.get((run.task_id or "").lower())
            if status is None:
                tracking.due_at = now + next_interval(now - run.started_at.timestamp())
                continue
            report.polled += 1
            tracking.checks += 1
            verdict = judge(status)
            lagging = verdict is Verdict.RUNNING and self._lagging(run, tracking, status)
            if lagging and bridge is not None and await self._not_running_confirmed(run, bridge):
                verdict = Verdict.COMPLETE
            if verdict is Verdict.COMPLETE:
                done.append((run, status))
            elif verdict is Verdict.FAILED:
                await self._fail(
                    run,
                    message=(
                        status.error_msg or status.status_message or status.status or ""
                    ).strip()
                    or "Marketing Cloud reported an error.",
                    code=None,
                    report=report,
                )
            else:
                # From the round's start: the period stays the interval however long the
                # round's MCE calls take.
                tracking.due_at = now + next_interval(now - run.started_at.timestamp())
        await self._complete_all(done, report)

    async def _fill_batches(
        self, tenant_id: int, due: Sequence[WatchedRun], runs: Sequence[WatchedRun]
    ) -> list[WatchedRun]:
        """The BU's runs due later (soonest first) that fit in the batched calls ``due`` makes
        anyway (:data:`MAX_IDS_PER_CALL` tasks each): they are checked early at no cost, and a
        BU's runs fall into step, so later rounds make fewer calls. None where MCE refuses
        batches: there each task is a call of its own."""
        room = -len(due) % MAX_IDS_PER_CALL
        if room == 0 or await self.memory.refused(tenant_id):
            return []
        taken = {run.run_id for run in due}
        early = [
            run
            for run in runs
            if run.run_id not in taken and run.task_id is not None and run.run_id in self._tracking
        ]
        early.sort(key=lambda run: self._tracking[run.run_id].due_at)
        return early[:room]

    async def _complete_all(
        self, done: Sequence[tuple[WatchedRun, AsyncActivityStatus]], report: RoundReport
    ) -> None:
        """Finish the runs MCE is done with side by side (each is a database update and an
        event; a burst of completions done one after another would delay the last)."""
        if not done:
            return
        slots = asyncio.Semaphore(COMPLETE_CONCURRENCY)

        async def one(run: WatchedRun, status: AsyncActivityStatus) -> None:
            async with slots:
                try:
                    await self._completed_in_mce(run, status, report)
                except Exception:
                    log.exception("run %s: completing failed", run.run_id)

        await asyncio.gather(*(one(run, status) for run, status in done))

    async def _check_taskless(self, run: WatchedRun, report: RoundReport) -> None:
        """A run MCE took without a task id known (its start's answer was lost): its task is
        looked for and adopted, so the next round judges it by its status
        (services/runs/tasks.py). Until then it is done when ``isrunning`` says so twice, and
        only its rows tell how it ended: rows, COMPLETE; none, FAILED (``OUTCOME_UNKNOWN``),
        since a failed run and an empty result look alike without the task."""
        tracking = self._tracking[run.run_id]
        tracking.due_at = time.time() + next_interval(time.time() - run.started_at.timestamp())
        if run.qd_object_id is None:
            return  # nothing to ask by: the reconciler's hard limit ends it
        ctx = await self._ctx(run)
        try:
            bridge = await self._bridge(run.tenant_id, run.mid, run.user_id)
            if await self.budget.take(run.tenant_id, run.mid):
                found = await find_task(
                    ctx, bridge, run_id=run.run_id, qd_object_id=run.qd_object_id
                )
                if found is not None and found.task_id:
                    await adopt_task(ctx, run.run_id, found.task_id)
                    tracking.due_at = time.time()
                    return
            done = await self._not_running_confirmed(run, bridge)
        except MceError as exc:
            log.warning("run %s: isrunning failed: %r", run.run_id, exc)
            return
        report.polled += 1
        if not done:
            return
        readable, count = await self._readable_count(run)
        if not readable:
            return  # the rows are not readable yet: asked again next time
        if count == 0:
            await self._fail(run, message=OUTCOME_UNKNOWN, code=OUTCOME_UNKNOWN_CODE, report=report)
            return
        await self._completed_in_mce(
            run, AsyncActivityStatus(status="Complete"), report, row_count=count
        )

    async def _not_running_confirmed(self, run: WatchedRun, bridge: MceBridge) -> bool:
        """REFERENCE: ``isrunning`` false twice, :data:`CONFIRM_GAP_SECONDS` apart, across
        rounds (a round never sleeps: other runs of the BU are due too)."""
        tracking = self._tracking[run.run_id]
        if run.qd_object_id is None or not await self.budget.take(run.tenant_id, run.mid):
            return False
        if await bridge.queries.is_running(run.qd_object_id):
            tracking.not_running_since = None
            return False
        now = time.time()
        if tracking.not_running_since is None:
            tracking.not_running_since = now
            tracking.due_at = now + CONFIRM_GAP_SECONDS
            return False
        return now - tracking.not_running_since >= CONFIRM_GAP_SECONDS

    @staticmethod
    def _lagging(run: WatchedRun, tracking: _Tracking, status: AsyncActivityStatus) -> bool:
        """Whether a ``Queued`` status may be lagging behind a finished run (REFERENCE): worth
        an ``isrunning`` (at most every :data:`LAGGING_RECHECK_SECONDS` per run, unless an
        end is being confirmed). ``Processing`` is never lagging."""
        now = time.time()
        if (status.status or "").strip().lower() != "queued" or run.qd_object_id is None:
            return False
        if tracking.checks < LAGGING_AFTER_CHECKS:
            return False
        if now - run.started_at.timestamp() < LAGGING_AFTER_SECONDS:
            return False
        if tracking.not_running_since is None:
            if now - tracking.lag_checked_at < LAGGING_RECHECK_SECONDS:
                return False
            tracking.lag_checked_at = now
        return True

    async def _ctx(self, run: WatchedRun) -> TenantContext:
        """The run's BU (runs are never shared: no parent to see)."""
        return TenantContext(tenant_id=run.tenant_id, mid=run.mid)

    async def _bridge(self, tenant_id: int, mid: int, user_id: UUID) -> MceBridge:
        """A bridge acting as ``user_id`` in BU ``mid``, reused for :data:`BRIDGE_TTL_SECONDS`
        (it holds no token: the provider is asked on every call)."""
        key = (tenant_id, mid, user_id)
        cached = self._bridges.get(key)
        now = time.monotonic()
        if cached is not None and cached[0] > now:
            return cached[1]
        bridge = await bridge_for_user(
            TenantContext(tenant_id=tenant_id, mid=mid), user_id=user_id, mid=mid,
            http=self.deps.http, tokens=self.deps.tokens, policy=self.deps.policy,
        )  # fmt: skip
        if len(self._bridges) > 10_000:
            self._bridges.clear()
        self._bridges[key] = (now + BRIDGE_TTL_SECONDS, bridge)
        return bridge

    async def _completed_in_mce(
        self,
        run: WatchedRun,
        status: AsyncActivityStatus,
        report: RoundReport,
        *,
        row_count: int | None = None,
    ) -> None:
        """MCE finished ``run``: COMPLETE at once. Its rows are not read here: REFERENCE's
        last step, waiting until the rowset answers, is the first read's (a client's, through
        services/runs/reading.py, which also records the row count), so a run costs no MCE
        call for it; a result nobody reads is counted later (:meth:`count_unread`)."""
        await self._complete(run, status, report, row_count=row_count)

    async def _readable_count(self, run: WatchedRun) -> tuple[bool, int | None]:
        """Whether the run's rows can be read yet, and how many there are (its marker's
        rows only: a reused shell holds other runs' rows too)."""
        ctx = await self._ctx(run)
        repo = TenantRepository(ctx)
        model = await repo.of(Run).get_or_none(id=run.run_id)
        shell = None
        if model is not None and model.shell_de_id is not None:
            shell = await repo.of(MceAsset).get_or_none(id=model.shell_de_id)
        if model is None or shell is None:
            return True, None
        try:
            source = result_source(model, shell_key=shell.customer_key)
        except ValueError:  # nothing to count by (no marker recorded)
            return True, None
        try:
            bridge = await self._bridge(run.tenant_id, run.mid, run.user_id)
            page = await ResultReader(rest=bridge.rest, source=source, prefetch=1).page(
                offset=0, limit=1
            )
        except MceNotFound:
            return False, None
        except (NotFound, WalletError, ReauthRequired) as exc:  # its user cannot act
            log.warning("run %s: rows not counted: %r", run.run_id, exc)
            return True, None
        except MceError as exc:
            log.warning("run %s: rows not readable yet: %r", run.run_id, exc)
            return False, None
        return True, page.total

    async def _complete(
        self,
        run: WatchedRun,
        status: AsyncActivityStatus,
        report: RoundReport,
        *,
        row_count: int | None = None,
    ) -> None:
        ctx = await self._ctx(run)
        if run.status is RunStatus.CANCELED:
            if await release_shell(ctx, run.run_id):
                report.released.append(run.run_id)
            return
        now = datetime.now(UTC)
        expires = now + timedelta(seconds=self.deps.config.results_window_seconds)
        moved = await transition(
            ctx, run.run_id, to=RunStatus.COMPLETE, redis=self.deps.redis,
            expected=[RunStatus.RUNNING],
            changes={
                "row_count": row_count,
                "detected_at": now,
                "mce_completed_at": mce_time(status.completed_date),
                "expires_at": expires,
            },
        )  # fmt: skip
        if moved is not None:
            await keep_for_results(ctx, run.run_id, until=expires)
            report.completed.append(run.run_id)
        self._tracking.pop(run.run_id, None)

    async def _fail(
        self, run: WatchedRun, *, message: str, code: str | None, report: RoundReport
    ) -> None:
        ctx = await self._ctx(run)
        if run.status is RunStatus.RUNNING:
            moved = await transition(
                ctx, run.run_id, to=RunStatus.FAILED, redis=self.deps.redis,
                expected=[RunStatus.RUNNING],
                changes={
                    "detected_at": datetime.now(UTC),
                    **failure_changes(message, code=code, fallback="MCE_ERROR"),
                },
            )  # fmt: skip
            if moved is not None:
                report.failed.append(run.run_id)
        if await release_shell(ctx, run.run_id):
            report.released.append(run.run_id)
        self._tracking.pop(run.run_id, None)
