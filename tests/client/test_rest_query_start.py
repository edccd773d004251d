"""Starting a query after a lost answer: ask ``isrunning`` first, never run it twice.

The simulator's ``reset`` fault drops the connection before MCE acts; a start that did
reach MCE is played by starting the run inside the simulator before the reset.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from client.errors import OutcomeUnknown
from client.rest.api import RestClient
from client.rest.queries import QueryActivities
from simulator.model import QueryDefinition
from simulator.state import Simulator
from tests.client.conftest import Bridge
from tests.simulator.conftest import make_sim

START = "rest.queries.start"


@pytest.fixture
def sim() -> Iterator[Simulator]:
    simulator = make_sim(query_queue_seconds=10, query_base_seconds=20)
    yield simulator
    simulator.close()


@pytest.fixture
def queries(bridge: Bridge) -> QueryActivities:
    return QueryActivities(
        RestClient(caller=bridge.caller, endpoints=bridge.endpoints, target=bridge.target)
    )


@pytest.fixture
def seeded(sim: Simulator, bridge: Bridge) -> QueryDefinition:
    query = sim.store.get_query(bridge.target.mid, customer_key="refresh_active_subscribers")
    assert query is not None
    return query


def runs_of(sim: Simulator, query: QueryDefinition) -> int:
    return sum(1 for t in sim.queries.tasks.values() if t.query_object_id == query.object_id)


def reset_next_starts(bridge: Bridge, times: int) -> None:
    bridge.control("faults", {"operation": START, "kind": "reset", "times": times})


async def test_lost_start_that_never_arrived_is_started_once(
    queries: QueryActivities, bridge: Bridge, sim: Simulator, seeded: QueryDefinition
) -> None:
    reset_next_starts(bridge, 1)
    started = await queries.start_or_confirm(seeded.object_id)
    assert started.query_id == seeded.object_id and not started.recovered
    assert runs_of(sim, seeded) == 1
    assert bridge.op_count(START) == 2
    assert bridge.op_count("rest.queries.isrunning") == 1
    assert await queries.is_running(seeded.object_id)


async def test_lost_start_that_arrived_is_not_sent_again(
    queries: QueryActivities, bridge: Bridge, sim: Simulator, seeded: QueryDefinition
) -> None:
    sim.queries.start(seeded)  # MCE acted on the start whose answer is lost below
    reset_next_starts(bridge, 1)
    started = await queries.start_or_confirm(seeded.object_id)
    assert started.recovered
    assert runs_of(sim, seeded) == 1
    assert bridge.op_count(START) == 1


async def test_confirm_after_a_lost_perform(
    queries: QueryActivities, sim: Simulator, bridge: Bridge, seeded: QueryDefinition
) -> None:
    """SOAP Perform's OutcomeUnknown recovers through REST (ObjectID = queryDefinitionId)."""
    sim.queries.start(seeded)
    assert (await queries.confirm_started(seeded.object_id)).recovered
    bridge.control("clock/advance", {"seconds": 60})
    assert not (await queries.confirm_started(seeded.object_id)).recovered
    assert runs_of(sim, seeded) == 2


async def test_two_lost_answers_give_up_without_a_third_send(
    queries: QueryActivities, bridge: Bridge, sim: Simulator, seeded: QueryDefinition
) -> None:
    reset_next_starts(bridge, 2)
    with pytest.raises(OutcomeUnknown):
        await queries.start_or_confirm(seeded.object_id)
    assert bridge.op_count(START) == 2
    assert runs_of(sim, seeded) == 0
