"""Helpers shared by the tests of the engines that act in MCE for a signed-in user (pre-flight
probes, deployments, target DEs, runs), of their jobs and of the GraphQL API.

* A signed-in caller of the schema itself: ``graphql_context`` (a principal, the process's
  way to MCE, its queues and Redis) and ``execute`` (the data, or the test fails on errors).
* A caller of the app over HTTP: ``GraphQLClient`` (``graphql``: the answer; ``data``: its
  data, errors failing the test) with ``browser_session``'s headers or a bearer token's.
* MCE as the process reaches it: ``mce_access`` (the wallet's tokens, the simulator's
  endpoints) and ``sync_metadata`` (BUs' metadata caches filled by real full syncs, as the
  sign-in's sync job leaves them).
* Jobs: ``private_job_queue`` (the queues on a Redis database of the caller's own, empty before
  and after, so a worker on it runs that caller's jobs alone), ``app_job_queue`` (an app's
  queue swapped for such a one), ``worker_env`` (what a worker or the poller needs to reach the
  test's database, that Redis and the simulator), ``run_burst_worker`` (``python -m app.worker
  --burst``: every queued job, then it exits) and ``spawn_process`` / ``stop_process`` /
  ``stop_processes`` for processes that run until stopped (several stopped side by side).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
from redis.asyncio import Redis
from rq import Queue
from starlette.applications import Starlette

from client.tokens import TokenProvider
from schema import schema
from schema.context import GraphQLContext
from services.audit import RequestMeta
from services.authn import Authentication
from services.identity import Principal
from services.job_queue import JobQueue
from services.metadata.preview import MceAccess
from services.metadata.sync import SyncDeps, run_sync
from services.wallet import KeyEncryptionKey
from simulator.state import Simulator
from tests.auth_helpers import browser_headers, new_session
from tests.factories import TenantFixture
from tests.services.wallet.helpers import auth_factory, keks_text

ROOT = Path(__file__).resolve().parents[1]
QUEUE_NAMES = ("high", "default", "low")
#: Where a test's GraphQL request comes from, for the audit trail.
TEST_REQUEST = RequestMeta(ip="127.0.0.1", user_agent="pytest", request_id="test")


# ------------------------------------------------------------------ GraphQL, signed in
def graphql_context(
    principal: Principal,
    *,
    mce: MceAccess | None = None,
    jobs: JobQueue | None = None,
    redis: Redis | None = None,
) -> GraphQLContext:
    """What a resolver receives for ``principal`` signed in (over HTTP: no subscription)."""
    return GraphQLContext(
        request=None,
        response=None,
        request_id=TEST_REQUEST.request_id or "test",
        principal=principal,
        authentication=Authentication(principal=principal),
        meta=TEST_REQUEST,
        mce=mce,
        jobs=jobs,
        redis=redis,
    )


async def execute(context: GraphQLContext, document: str, **variables: Any) -> dict[str, Any]:
    """``document`` run by the schema; its data (a GraphQL error fails the test)."""
    result = await schema.execute(document, variable_values=variables, context_value=context)
    assert result.errors is None, result.errors
    assert result.data is not None
    return result.data


# ------------------------------------------------------------------ GraphQL over HTTP
class GraphQLClient:
    """The app's ``/api/graphql`` called over ``http`` with ``headers`` (a browser's session
    cookie and CSRF token, or a bearer token)."""

    def __init__(self, http: httpx.AsyncClient, headers: dict[str, str]) -> None:
        self.http = http
        self.headers = headers

    async def graphql(self, query: str, **variables: Any) -> dict[str, Any]:
        """The whole answer, ``data`` and any ``errors`` (anything but HTTP 200 fails)."""
        response = await self.http.post(
            "/api/graphql", json={"query": query, "variables": variables}, headers=self.headers
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def data(self, query: str, **variables: Any) -> dict[str, Any]:
        """The answer's data (a GraphQL error fails the test)."""
        body = await self.graphql(query, **variables)
        assert "errors" not in body, body
        result: dict[str, Any] = body["data"]
        return result


async def browser_session(
    app: Starlette, tenant: TenantFixture, *, mid: int | None = None
) -> dict[str, str]:
    """The headers of ``tenant``'s user signed in to ``mid`` (the parent BU by default) in a
    browser: a new session's cookie and CSRF token."""
    session_id, session = await new_session(app.state.sessions, tenant, mid=mid)
    return browser_headers(session_id, session.csrf_token)


# ------------------------------------------------------------------ MCE as a user
def mce_access(
    sim: Simulator, sim_url: str, http: httpx.AsyncClient, tokens: TokenProvider
) -> MceAccess:
    """The process's way to the simulator: ``http``, ``tokens`` and its endpoint policy."""
    return MceAccess(http=http, tokens=tokens, policy=auth_factory(sim, sim_url, http).policy)


async def sync_metadata(
    access: MceAccess, redis: Redis, *, tenant_id: int, user_id: UUID, mids: Iterable[int]
) -> None:
    """Fill the metadata cache of each BU in ``mids`` (and its parent's shared DEs) with a
    full sync acting as ``user_id``; fails the test unless each sync completes."""
    deps = SyncDeps(
        redis=redis, http=access.http, tokens=access.tokens, policy=access.policy,
        cursor_margin=timedelta(0),
    )  # fmt: skip
    for mid in mids:
        result = await run_sync(deps, tenant_id=tenant_id, mid=mid, user_id=user_id, full=True)
        assert result.get("state") == "COMPLETE", result


# ------------------------------------------------------------------ jobs and workers
@contextmanager
def private_job_queue(redis_url: str) -> Iterator[JobQueue]:
    """The job queues on ``redis_url`` (a Redis database no other test uses), emptied before
    (an interrupted run's leftovers) and after."""
    queue = JobQueue.from_url(redis_url)

    def empty() -> None:
        for name in QUEUE_NAMES:
            Queue(name, connection=queue.connection).empty()

    empty()
    try:
        yield queue
    finally:
        empty()
        queue.close()


@contextmanager
def app_job_queue(app: Starlette, redis_url: str) -> Iterator[JobQueue]:
    """``app``'s job queue swapped for ``private_job_queue(redis_url)`` until the block ends."""
    with private_job_queue(redis_url) as queue:
        shared, app.state.jobs = app.state.jobs, queue
        try:
            yield queue
        finally:
            app.state.jobs = shared


def worker_env(
    *,
    database_url: str,
    redis_url: str,
    sim: Simulator,
    sim_url: str,
    kek: KeyEncryptionKey,
    **extra: str,
) -> dict[str, str]:
    """The environment of a worker or poller process on the test's database, ``redis_url``
    and the simulator, opening the wallet with ``kek`` (plus ``extra`` settings)."""
    return {
        **os.environ,
        "QUARRY_ENV": "test",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "MCE_AUTH_BASE_URL": sim_url,
        "MCE_CLIENT_ID": sim.enhanced_package.client_id,
        "MCE_CLIENT_SECRET": sim.enhanced_package.client_secret,
        "WALLET_KEKS": keks_text(kek),
        **extra,
    }


def run_burst_worker(env: dict[str, str], *, timeout: float = 180) -> None:
    """``python -m app.worker --burst`` in ``env``: runs every queued job, then exits; fails
    the test (with the end of its output) unless it exits cleanly. Blocking: from async code
    call it with ``asyncio.to_thread``."""
    completed = subprocess.run(
        [sys.executable, "-m", "app.worker", "--burst"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr[-2000:]


def spawn_process(
    module: str, *args: str, env: dict[str, str], log: Path | None = None
) -> subprocess.Popen[bytes]:
    """``python -m module args`` in a process group of its own (``stop_process`` ends it and
    its children), its output in ``log`` (discarded without one)."""
    if log is None:
        return _popen(module, args, env=env, out=subprocess.DEVNULL)
    with log.open("wb") as out:
        return _popen(module, args, env=env, out=out)


def _popen(
    module: str, args: tuple[str, ...], *, env: dict[str, str], out: Any
) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", module, *args], cwd=ROOT, env=env, stdout=out,
        stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip


def stop_process(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to ``process``'s group, SIGKILL if it is still there 15 s later."""
    stop_processes([process])


def stop_processes(processes: Iterable[subprocess.Popen[bytes]], *, grace: float = 15) -> None:
    """``stop_process`` for several at once: SIGTERM to every group first, so they wind down
    side by side, then SIGKILL to the groups of those still there ``grace`` s later."""
    running = [process for process in processes if process.poll() is None]
    for process in running:
        _signal_group(process, signal.SIGTERM)
    deadline = time.monotonic() + grace
    for process in running:
        try:
            process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            _signal_group(process, signal.SIGKILL)
            process.wait(timeout=5)


def _signal_group(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    with suppress(ProcessLookupError):  # the group ended meanwhile
        os.killpg(process.pid, sig)
