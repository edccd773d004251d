"""The tsql thread: work runs there, each owner's share is bounded, and a slot is held until
the thread has really finished the work."""

from __future__ import annotations

import asyncio
import contextvars
import functools
import threading
import uuid

import pytest

from models import TenantContext
from services.errors import RateLimited
from services.sql_offload import MAX_PENDING_PER_OWNER, in_tsql_thread, pending
from services.sql_toolkit import THREAD_SQL_CHARS, format_sql_text
from tests.auth_helpers import eventually

_request = contextvars.ContextVar("request", default="-")


def _owner() -> tuple[str, str]:
    return ("test", uuid.uuid4().hex)


def _blocker() -> tuple[threading.Event, threading.Event]:
    """(started, release): work that holds the tsql thread until released."""
    return threading.Event(), threading.Event()


def _hold(started: threading.Event, release: threading.Event) -> str:
    started.set()
    release.wait(10)
    return "held"


async def _thread_busy(owner: object) -> tuple[asyncio.Task[str], threading.Event]:
    started, release = _blocker()
    task = asyncio.create_task(in_tsql_thread(owner, lambda: _hold(started, release)))
    assert await asyncio.to_thread(started.wait, 10)
    return task, release


async def test_work_runs_in_another_thread_with_the_callers_context() -> None:
    _request.set("req-42")
    here = threading.get_ident()
    thread, request = await in_tsql_thread(
        _owner(), lambda: (threading.get_ident(), _request.get())
    )
    assert thread != here
    assert request == "req-42"


async def test_an_owner_may_have_only_a_few_pieces_of_work_at_once() -> None:
    blocking, release = await _thread_busy(_owner())  # someone else's work holds the thread
    greedy, other = _owner(), _owner()
    calls = [
        in_tsql_thread(greedy, functools.partial(int, n)) for n in range(MAX_PENDING_PER_OWNER + 2)
    ]
    results = asyncio.gather(*calls, return_exceptions=True)
    await asyncio.sleep(0)
    assert pending(greedy) == MAX_PENDING_PER_OWNER
    fair = asyncio.create_task(in_tsql_thread(other, lambda: "mine"))
    release.set()
    answers = await results
    assert answers[:MAX_PENDING_PER_OWNER] == list(range(MAX_PENDING_PER_OWNER))
    assert all(isinstance(a, RateLimited) for a in answers[MAX_PENDING_PER_OWNER:])
    assert await fair == "mine"
    assert await blocking == "held"
    assert pending(greedy) == 0


async def test_a_caller_that_stops_waiting_keeps_the_slot_until_the_work_ends() -> None:
    owner = _owner()
    started, release = _blocker()
    waiting = asyncio.create_task(in_tsql_thread(owner, lambda: _hold(started, release)))
    assert await asyncio.to_thread(started.wait, 10)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert pending(owner) == 1  # still running in the thread
    release.set()
    await eventually(lambda: _done(owner))


async def test_work_cancelled_before_it_started_frees_the_slot() -> None:
    blocking, release = await _thread_busy(_owner())
    owner = _owner()
    queued = asyncio.create_task(in_tsql_thread(owner, lambda: "never"))
    await asyncio.sleep(0)
    assert pending(owner) == 1
    queued.cancel()
    with pytest.raises(asyncio.CancelledError):
        await queued
    assert pending(owner) == 0
    release.set()
    await blocking


async def test_failing_work_raises_and_frees_the_slot() -> None:
    owner = _owner()

    def fail() -> None:
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        await in_tsql_thread(owner, fail)
    await eventually(lambda: _done(owner))


async def test_a_users_long_formats_beyond_the_share_are_rate_limited() -> None:
    blocking, release = await _thread_busy(_owner())
    context = TenantContext(tenant_id=10_001, mid=20_001, user_id=uuid.uuid4())
    sql = "SELECT " + ", ".join(f"{n} AS c{n}" for n in range(THREAD_SQL_CHARS // 8))
    calls = [format_sql_text(context, sql=sql) for _ in range(MAX_PENDING_PER_OWNER + 1)]
    results = asyncio.gather(*calls, return_exceptions=True)
    await asyncio.sleep(0)
    release.set()
    answers = await results
    assert [type(a) for a in answers].count(RateLimited) == 1
    assert all(a.changed for a in answers if not isinstance(a, RateLimited))  # type: ignore[union-attr]
    await blocking


async def _done(owner: object) -> bool:
    return pending(owner) == 0
