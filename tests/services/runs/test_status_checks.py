"""Batched status checks against the simulator over HTTP: one IN call for many tasks, MCE
refusing IN (the simulator's equals-only switch) then one call per task remembered per
tenant, the per-BU call budget, and REFERENCE's completion rule incl. a lagging status."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from uuid import uuid4

import httpx
import pytest_asyncio
from redis.asyncio import Redis

from client.bridge import MceBridge
from client.endpoints import MceEndpoints
from client.observe import CountingObserver
from client.simple_tokens import RefreshingTokenProvider
from client.soap import AsyncActivityStatus, NewQueryDefinition
from client.tokens import CallTarget
from services.runs.status_checks import (
    BatchMemory,
    CallBudget,
    Verdict,
    fetch_statuses,
    judge,
)
from simulator.state import Simulator
from tests.client.conftest import FAST_RETRY

_keys = itertools.count()
OPTED_IN = "SELECT SubscriberKey, EmailAddress FROM Subscribers WHERE OptIn = 1"


@pytest_asyncio.fixture
async def mce(
    ahttp: httpx.AsyncClient,
    provider: RefreshingTokenProvider,
    endpoints: MceEndpoints,
    target: CallTarget,
    observer: CountingObserver,
) -> AsyncIterator[MceBridge]:
    yield MceBridge(
        http=ahttp,
        tokens=provider,
        endpoints=endpoints,
        target=target,
        observer=observer,
        retry=FAST_RETRY,
        timeout=5.0,
    )


@pytest_asyncio.fixture
async def tenant(redis: Redis) -> AsyncIterator[int]:
    """A tenant id of its own (the batch memory is per tenant), forgotten afterwards."""
    tenant_id = 10_000_000 + uuid4().int % 1_000_000
    yield tenant_id
    await redis.delete(BatchMemory.key(tenant_id))


async def _start(mce: MceBridge, text: str = OPTED_IN) -> tuple[str, str]:
    key = f"poll_{next(_keys)}_{uuid4().hex[:8]}"
    created = await mce.soap.create_query_definition(
        NewQueryDefinition(
            customer_key=key,
            name=key,
            query_text=text,
            target_key="active_subscribers",
            target_name="Active Subscribers",
        )
    )
    assert created.new_object_id
    return created.new_object_id, await mce.soap.start_query(created.new_object_id)


def _stats(http: httpx.Client) -> dict[str, int]:
    operations: dict[str, int] = http.get("__sim/stats").json()["operations"]
    return operations


def _equals_only(http: httpx.Client) -> None:
    """MCE refuses IN on AsyncActivityStatus from now on (the simulator's switch)."""
    assert http.post("__sim/tasks/status-filter", json={"equals_only": True}).status_code == 200


def _retrieves(http: httpx.Client) -> int:
    return _stats(http).get("soap.Retrieve.AsyncActivityStatus", 0)


def test_judge_follows_reference() -> None:
    assert judge(None) is Verdict.UNKNOWN
    assert judge(AsyncActivityStatus(status="Queued")) is Verdict.RUNNING
    assert judge(AsyncActivityStatus(status="Processing")) is Verdict.RUNNING
    assert judge(AsyncActivityStatus(status="Complete")) is Verdict.COMPLETE
    assert judge(AsyncActivityStatus(status="Error")) is Verdict.FAILED
    assert judge(AsyncActivityStatus(status="Complete", error_msg="Violation")) is Verdict.FAILED
    # CompletedDate is no completion signal (it can be set from the first poll).
    assert judge(AsyncActivityStatus(status="Queued", completed_date="1/1/2024")) is Verdict.RUNNING


async def test_one_batched_call_answers_every_task(
    mce: MceBridge, sim: Simulator, http: httpx.Client, redis: Redis, tenant: int
) -> None:
    tasks = [(await _start(mce))[1] for _ in range(4)]
    before = _retrieves(http)
    fetched = await fetch_statuses(
        mce,
        tasks,
        tenant_id=tenant,
        mid=sim.store.enterprise.eid,
        memory=BatchMemory(redis),
        budget=CallBudget(redis, calls_per_second=100),
    )
    assert fetched.batched and fetched.calls == 1
    assert _retrieves(http) - before == 1
    assert sorted(fetched.statuses) == sorted(t.lower() for t in tasks)
    assert {judge(s) for s in fetched.statuses.values()} == {Verdict.COMPLETE}


async def test_a_refused_batch_falls_back_per_task_and_is_remembered(
    mce: MceBridge, sim: Simulator, http: httpx.Client, redis: Redis, tenant: int
) -> None:
    tasks = [(await _start(mce))[1] for _ in range(3)]
    _equals_only(http)
    memory = BatchMemory(redis)
    budget = CallBudget(redis, calls_per_second=100)
    mid = sim.store.enterprise.eid
    before = _retrieves(http)
    first = await fetch_statuses(
        mce, tasks, tenant_id=tenant, mid=mid, memory=memory, budget=budget
    )
    assert not first.batched
    assert sorted(first.statuses) == sorted(t.lower() for t in tasks)
    assert _retrieves(http) - before == 1 + 3  # the refused batch, then one per task
    assert await memory.refused(tenant)
    assert await redis.ttl(BatchMemory.key(tenant)) > 0

    before = _retrieves(http)
    second = await fetch_statuses(
        mce, tasks, tenant_id=tenant, mid=mid, memory=memory, budget=budget
    )
    assert len(second.statuses) == 3 and not second.batched
    assert _retrieves(http) - before == 3  # no batch tried again for this tenant
    other_tenant = tenant + 1
    assert not await memory.refused(other_tenant)


async def test_the_budget_bounds_calls_per_bu_per_second(
    mce: MceBridge, sim: Simulator, http: httpx.Client, redis: Redis, tenant: int
) -> None:
    tasks = [(await _start(mce))[1] for _ in range(5)]
    memory = BatchMemory(redis)
    await memory.remember(tenant)  # task by task: each task is one call
    mid = 900_000_000 + uuid4().int % 1_000_000  # a budget key of its own
    budget = CallBudget(redis, calls_per_second=2)
    before = _retrieves(http)
    fetched = await fetch_statuses(
        mce, tasks, tenant_id=tenant, mid=mid, memory=memory, budget=budget
    )
    if fetched.calls < 2:  # the second turned over between the two calls: one more round
        fetched = await fetch_statuses(
            mce, tasks, tenant_id=tenant, mid=mid, memory=memory, budget=budget
        )
    assert fetched.exhausted
    assert fetched.calls <= 2
    assert _retrieves(http) - before <= 4
    assert len(fetched.statuses) == fetched.calls
