"""Automations over REST against the simulator (REFERENCE §4.5), with query runs on its clock.

Queries are queued 10 s and run 20 s here, so a step is visibly in progress until the
test moves the simulator's clock (never by sleeping).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC

import pytest

from client.errors import MceValidationError, NotFound, OutcomeUnknown
from client.rest.api import RestClient
from client.rest.automations import ActivityRef, Automations, AutomationStatus
from client.rest.queries import QueryActivities, QueryActivity
from client.rest.rowsets import RowsetReader
from client.values import FieldSpec, FieldType
from simulator.automations import ActivitySpec
from simulator.state import FieldSpec as SimField
from simulator.state import Simulator
from tests.client.conftest import Bridge
from tests.simulator.conftest import make_sim
from tests.simulator.soap_helpers import bu_mids

QUEUED, RUNNING = 10, 20
ONE_QUERY = QUEUED + RUNNING + 5
DAILY_SCHEDULE = {
    "scheduleTypeId": 4,
    "startDate": "2030-01-01T06:00:00",
    "icalRecur": "FREQ=DAILY;INTERVAL=1",
    "timezoneId": 5,
}


@pytest.fixture
def sim() -> Iterator[Simulator]:
    simulator = make_sim(query_queue_seconds=QUEUED, query_base_seconds=RUNNING)
    yield simulator
    simulator.close()


def rest_of(bridge: Bridge) -> RestClient:
    return RestClient(caller=bridge.caller, endpoints=bridge.endpoints, target=bridge.target)


def advance(bridge: Bridge, seconds: float) -> None:
    bridge.control("clock/advance", {"seconds": seconds})


async def seeded_query(bridge: Bridge) -> QueryActivity:
    found = await QueryActivities(rest_of(bridge)).find_by_key("refresh_active_subscribers")
    assert found is not None
    return found


async def copy_query(bridge: Bridge, sim: Simulator) -> QueryActivity:
    """A second query reading the first one's target into a DE of its own."""
    mid = bridge.target.mid
    sim.store.create_de(
        mid=mid,
        name="Active Copy",
        customer_key="active_copy",
        fields=[
            SimField("SubscriberKey", "Text", max_length=254, is_primary_key=True),
            SimField("EmailAddress", "EmailAddress", max_length=254),
        ],
    )
    folder = next(
        f.id for f in sim.store.list_folders(mid, content_type="queryactivity") if f.name == "Daily"
    )
    return await QueryActivities(rest_of(bridge)).create(
        name="Copy active subscribers",
        key="copy_active",
        query_text="SELECT SubscriberKey, EmailAddress FROM [Active Subscribers]",
        target_key="active_copy",
        category_id=folder,
    )


async def row_count(bridge: Bridge, key: str) -> int:
    fields = [FieldSpec("SubscriberKey", FieldType.TEXT)]
    reader = RowsetReader(rest=rest_of(bridge), key=key, fields=fields, page_size=1)
    return (await reader.page(1)).count


async def test_two_step_automation_runs_its_steps_in_order(bridge: Bridge, sim: Simulator) -> None:
    automations = Automations(rest_of(bridge))
    queries = QueryActivities(rest_of(bridge))
    first = await seeded_query(bridge)
    second = await copy_query(bridge, sim)

    created = await automations.create(
        name="Nightly refresh",
        key="nightly_refresh",
        description="refresh, then copy",
        steps=[[first.id], [ActivityRef(second.id, name="copy")]],
    )
    assert created.status is AutomationStatus.READY and created.schedule is None
    assert [[a.activity_object_id for a in s.activities] for s in created.steps] == [
        [first.id],
        [second.id],
    ]
    assert created.steps[1].activities[0].name == "copy"

    started = await automations.run_once(created.id)
    assert started.status is AutomationStatus.RUNNING
    assert started.last_run_time is not None and started.last_run_time.tzinfo is UTC
    assert await queries.is_running(first.id) and not await queries.is_running(second.id)

    advance(bridge, ONE_QUERY)  # the first step ends; the second starts on the next request
    assert not await queries.is_running(first.id)
    assert await queries.is_running(second.id)
    assert (await automations.get(created.id)).status is AutomationStatus.RUNNING

    advance(bridge, ONE_QUERY)
    done = await automations.get(created.id)
    assert done.status is AutomationStatus.READY
    assert done.last_run_instance_id == started.last_run_instance_id
    copied = await row_count(bridge, "active_copy")
    assert copied > 0 and copied == await row_count(bridge, "active_subscribers")


async def test_schedule_update_list_and_find(bridge: Bridge) -> None:
    automations = Automations(rest_of(bridge))
    query = await seeded_query(bridge)
    scheduled = await automations.create(
        name="Scheduled", key="scheduled", steps=[[query.id]], schedule=DAILY_SCHEDULE
    )
    assert scheduled.status is AutomationStatus.PAUSED  # API-created schedules start paused
    assert scheduled.schedule is not None and scheduled.schedule["icalRecur"].startswith("FREQ")
    for n in range(3):
        await automations.create(name=f"Plain {n}", key=f"plain_{n}", steps=[[query.id]])

    changed = await automations.update(
        scheduled.id, description="now two steps", steps=[[query.id], [query.id]]
    )
    assert changed.description == "now two steps" and len(changed.steps) == 2
    assert changed.name == "Scheduled" and changed.status is AutomationStatus.PAUSED

    pages = [page async for page in automations.list(page_size=2)]
    assert [len(p.items) for p in pages] == [2, 2] and pages[0].count == 4
    keys = {item.key for page in pages for item in page.items}
    assert keys == {"scheduled", "plain_0", "plain_1", "plain_2"}

    found = await automations.find_by_key("SCHEDULED")
    assert found is not None and found.id == scheduled.id and found.scheduled
    assert found.status is AutomationStatus.PAUSED
    assert await automations.find_by_key("nope") is None


async def test_bad_activities_are_validation_errors(bridge: Bridge, sim: Simulator) -> None:
    automations = Automations(rest_of(bridge))
    query = await seeded_query(bridge)
    other_bu = bu_mids(sim)["us"]
    other_query = sim.store.get_query(other_bu, customer_key="refresh_active_subscribers")
    assert other_query is not None
    for activity in (
        ActivityRef("00000000-0000-0000-0000-000000000000"),
        ActivityRef(query.id, object_type_id=43),
        ActivityRef(other_query.object_id),  # a query of another BU is unknown here
    ):
        with pytest.raises(MceValidationError) as refused:
            await automations.create(name="Bad", key="bad", steps=[[activity]])
        assert refused.value.status == 400 and refused.value.mce_message
    assert await automations.find_by_key("bad") is None

    await automations.create(name="Once", key="once", steps=[[query.id]])
    with pytest.raises(MceValidationError) as duplicate:
        await automations.create(name="Twice", key="once", steps=[[query.id]])
    assert duplicate.value.status == 409


async def test_another_business_units_automation_is_not_found(
    bridge: Bridge, sim: Simulator
) -> None:
    automations = Automations(rest_of(bridge))
    other_bu = bu_mids(sim)["us"]
    other_query = sim.store.get_query(other_bu, customer_key="refresh_active_subscribers")
    assert other_query is not None
    theirs = sim.automations.create(
        mid=other_bu, name="Theirs", steps=[[ActivitySpec(other_query.object_id, 300)]]
    )
    with pytest.raises(NotFound):
        await automations.get(theirs.object_id)
    with pytest.raises(NotFound):
        await automations.run_once(theirs.object_id)
    with pytest.raises(NotFound):
        await automations.update(theirs.object_id, description="mine now")
    assert not theirs.runs and theirs.description == ""


async def test_run_once_is_not_resent_after_a_reset(bridge: Bridge, sim: Simulator) -> None:
    automations = Automations(rest_of(bridge))
    query = await seeded_query(bridge)
    created = await automations.create(name="Reset", key="reset", steps=[[query.id]])
    bridge.control("faults", {"operation": "rest.automations.start", "kind": "reset", "times": 1})
    with pytest.raises(OutcomeUnknown):
        await automations.run_once(created.id)
    assert bridge.op_count("rest.automations.start") == 1
    assert (await automations.get(created.id)).status is AutomationStatus.READY
    assert not sim.automations.get(bridge.target.mid, object_id=created.id).runs  # type: ignore[union-attr]
