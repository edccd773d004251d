"""Query Activities over REST against the simulator (REFERENCE §4.4)."""

from __future__ import annotations

import pytest

from client.errors import MceValidationError, NotFound, OutcomeUnknown
from client.rest.api import RestClient
from client.rest.queries import QueryActivities, QueryActivity, UpdateType
from simulator.rest_queries import NO_WHERE_WARNING
from simulator.state import Simulator
from tests.client.conftest import Bridge


def queries_of(bridge: Bridge) -> QueryActivities:
    return QueryActivities(
        RestClient(caller=bridge.caller, endpoints=bridge.endpoints, target=bridge.target)
    )


def daily_folder(sim: Simulator, mid: int) -> int:
    folders = sim.store.list_folders(mid, content_type="queryactivity")
    return next(f.id for f in folders if f.name == "Daily")


async def test_crud(bridge: Bridge, sim: Simulator) -> None:
    queries = queries_of(bridge)
    created = await queries.create(
        name="Client test",
        key="client_test_q",
        query_text="SELECT SubscriberKey, EmailAddress FROM Subscribers WHERE OptIn = 1",
        target_key="active_subscribers",
        category_id=daily_folder(sim, bridge.target.mid),
        update_type=UpdateType.OVERWRITE,
    )
    assert created.key == "client_test_q" and created.update_type is UpdateType.OVERWRITE
    assert (await queries.get(created.id)).query_text.startswith("SELECT")
    found = await queries.find_by_key("client_test_q")
    assert found is not None and found.id == created.id
    updated = await queries.update(created.id, description="changed")
    assert updated.description == "changed"
    listed = await queries.list()
    assert listed.count >= 2
    await queries.delete(created.id)
    with pytest.raises(NotFound):
        await queries.get(created.id)
    assert await queries.find_by_key("client_test_q") is None


async def test_start_runs_the_query_and_isrunning_follows_the_run(
    bridge: Bridge, sim: Simulator
) -> None:
    queries = queries_of(bridge)
    seeded = await queries.find_by_key("refresh_active_subscribers")
    assert seeded is not None
    target = sim.store.get_de(bridge.target.mid, customer_key="active_subscribers")
    assert target is not None
    sim.rows.truncate(target)
    # A run now waits 10 s as Queued before it runs (the test default is 0: done at once).
    sim.config.query_queue_seconds = 10

    assert await queries.is_running(seeded.id) is False
    await queries.start(seeded.id)
    assert await queries.is_running(seeded.id) is True
    assert sim.rows.count(target) == 0
    sim.clock.advance(11)
    assert await queries.is_running(seeded.id) is False
    assert sim.rows.count(target) == _opted_in_subscribers(sim, bridge.target.mid) > 0


def _opted_in_subscribers(sim: Simulator, mid: int) -> int:
    subscribers = sim.store.get_de(mid, customer_key="Subscribers")
    assert subscribers is not None
    return sim.rows.count(subscribers, where='"OptIn" = ?', params=(True,))


async def test_validate(bridge: Bridge) -> None:
    queries = queries_of(bridge)
    result = await queries.validate("SELECT SubscriberKey FROM Subscribers")
    assert result.valid and not result.errors
    assert result.warnings == [NO_WHERE_WARNING]
    filtered = await queries.validate("SELECT SubscriberKey FROM Subscribers WHERE OptIn = 1")
    assert (filtered.valid, filtered.errors, filtered.warnings) == (True, [], [])
    broken = await queries.validate("SELEC nonsense FROM")
    assert (broken.valid, broken.errors) == (False, ["Incorrect syntax near 'SELEC'."])


async def test_create_refused_is_typed(bridge: Bridge, sim: Simulator) -> None:
    with pytest.raises(MceValidationError):
        await queries_of(bridge).create(
            name="Bad",
            key="bad_q",
            query_text="SELECT 1 AS x",
            target_key="no_such_de",
            category_id=daily_folder(sim, bridge.target.mid),
        )


async def test_reset_on_start_is_not_resent(bridge: Bridge) -> None:
    queries = queries_of(bridge)
    seeded = await queries.find_by_key("refresh_active_subscribers")
    assert seeded is not None
    bridge.control("faults", {"operation": "rest.queries.start", "kind": "reset", "times": 1})
    with pytest.raises(OutcomeUnknown):
        await queries.start(seeded.id)
    assert bridge.op_count("rest.queries.start") == 1


OPTED_IN = "SELECT SubscriberKey, EmailAddress FROM Subscribers WHERE OptIn = 1"


async def _create_or_find(bridge: Bridge, sim: Simulator, key: str) -> QueryActivity:
    return await queries_of(bridge).create_or_find(
        name=key,
        key=key,
        query_text=OPTED_IN,
        target_key="active_subscribers",
        category_id=daily_folder(sim, bridge.target.mid),
    )


def _queries_with_key(sim: Simulator, bridge: Bridge, key: str) -> int:
    return sum(1 for q in sim.store.list_queries(bridge.target.mid) if q.customer_key == key)


async def test_create_or_find_after_a_create_that_never_arrived(
    bridge: Bridge, sim: Simulator
) -> None:
    bridge.control("faults", {"operation": "rest.queries.create", "kind": "reset", "times": 1})
    created = await _create_or_find(bridge, sim, "lost_q")
    assert created.key == "lost_q"
    assert _queries_with_key(sim, bridge, "lost_q") == 1
    assert bridge.op_count("rest.queries.create") == 2
    assert bridge.op_count("rest.queries.list") == 1


async def test_create_or_find_after_a_create_that_arrived(bridge: Bridge, sim: Simulator) -> None:
    made = sim.queries.create(  # MCE made it; the answer is lost below
        mid=bridge.target.mid,
        name="made_q",
        customer_key="made_q",
        query_text=OPTED_IN,
        target_key="active_subscribers",
    )
    bridge.control("faults", {"operation": "rest.queries.create", "kind": "reset", "times": 1})
    found = await _create_or_find(bridge, sim, "made_q")
    assert found.id == made.object_id
    assert _queries_with_key(sim, bridge, "made_q") == 1
    assert bridge.op_count("rest.queries.create") == 1
