"""Paging, token expiry and injected faults over real HTTP (the simulator's control API).

An expired token and a real outage both arrive as HTTP 500: the first must cost exactly one
refresh and one resend, the second backoff (reads) or nothing (creates, which are never
resent once they may have reached MCE).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

import pytest

from client.errors import MceUnavailable, OutcomeUnknown, Throttled
from client.simple_tokens import RefreshingTokenProvider
from client.soap import FieldSpec, NewDataExtension, SoapOperations
from simulator.state import FieldSpec as SimField
from simulator.state import Simulator

T = TypeVar("T")
Control = Callable[[str, dict[str, Any]], dict[str, Any]]
Count = Callable[[str], int]
BULK = 5100
RETRIEVE_FIELDS = "soap.Retrieve.DataExtensionField"
CREATE_DE = "soap.Create.DataExtension"


async def collect(items: AsyncIterator[T]) -> list[T]:
    return [item async for item in items]


@pytest.fixture
def bulk(sim: Simulator, mids: dict[str, int]) -> str:
    """A DE with 5,100 fields in the parent BU: three Retrieve pages."""
    fields = [SimField(f"Col{i:04d}", "Text", max_length=40) for i in range(BULK)]
    sim.store.create_de(mid=mids["parent"], name="bulk", customer_key="bulk", fields=fields)
    return "bulk"


def fault(control: Control, operation: str, kind: str, times: int, **extra: Any) -> None:
    control("faults", {"operation": operation, "kind": kind, "times": times, **extra})


def new_de(key: str) -> NewDataExtension:
    return NewDataExtension(customer_key=key, name=key, fields=[FieldSpec(name="A")])


async def test_paging_follows_continue_requests(
    soap: SoapOperations, bulk: str, op_count: Count
) -> None:
    fields = await collect(soap.data_extension_fields([bulk]))
    assert sorted(f.name or "" for f in fields) == [f"Col{i:04d}" for i in range(BULK)]
    assert op_count(RETRIEVE_FIELDS) == 3  # 2,500 + 2,500 + 100


async def test_token_expiring_between_pages_costs_one_refresh(
    soap: SoapOperations,
    bulk: str,
    control: Control,
    op_count: Count,
    provider: RefreshingTokenProvider,
) -> None:
    seen = 0
    async for _ in soap.data_extension_fields([bulk]):
        seen += 1
        if seen == 2500:  # the first page is consumed; the next fetch meets the expiry
            assert control("tokens/expire", {})["expired"] >= 1
    assert seen == BULK
    assert provider.fetches == 1
    assert op_count(RETRIEVE_FIELDS) == 4  # three pages and one rejected attempt


async def test_token_expired_fault_is_not_an_outage(
    soap: SoapOperations, control: Control, op_count: Count, provider: RefreshingTokenProvider
) -> None:
    control("tokens/expire", {})
    assert await collect(soap.business_units())
    assert provider.fetches == 1

    fault(control, "soap.Retrieve.BusinessUnit", "error", 1)
    assert await collect(soap.business_units())
    assert provider.fetches == 1  # a 500 without the Security fault is no token problem
    assert op_count("soap.Retrieve.BusinessUnit") == 4

    fault(control, "soap.Retrieve.BusinessUnit", "error", 10)
    with pytest.raises(MceUnavailable) as raised:
        await collect(soap.business_units())
    assert raised.value.status == 500
    assert op_count("soap.Retrieve.BusinessUnit") == 8  # first try and three resends


async def test_rate_limited_fault_backs_off(
    soap: SoapOperations, control: Control, op_count: Count
) -> None:
    fault(control, "soap.Retrieve.DataFolder", "rate_limit", 1)
    assert await collect(soap.folders())
    assert op_count("soap.Retrieve.DataFolder") == 2
    fault(control, "soap.Retrieve.DataFolder", "rate_limit", 10)
    with pytest.raises(Throttled) as raised:
        await collect(soap.folders())
    assert raised.value.mce_message == "Rate Limited"


async def test_connection_reset_on_a_read_is_retried(
    soap: SoapOperations, control: Control, op_count: Count
) -> None:
    fault(control, "soap.Retrieve.DataExtension", "reset", 1)
    assert await collect(soap.data_extensions(customer_key="Orders"))
    assert op_count("soap.Retrieve.DataExtension") == 2


async def test_create_is_never_resent(
    soap: SoapOperations, sim: Simulator, mids: dict[str, int], control: Control, op_count: Count
) -> None:
    fault(control, CREATE_DE, "reset", 1)
    with pytest.raises(OutcomeUnknown):
        await soap.create_data_extension(new_de("lost"))
    fault(control, CREATE_DE, "error", 1)
    with pytest.raises(MceUnavailable):
        await soap.create_data_extension(new_de("lost"))
    assert op_count(CREATE_DE) == 2
    assert sim.store.get_de(mids["parent"], customer_key="lost") is None


async def test_create_or_find_after_a_reset_creates_exactly_once(
    soap: SoapOperations, sim: Simulator, mids: dict[str, int], control: Control, op_count: Count
) -> None:
    fault(control, CREATE_DE, "reset", 1)
    created = await soap.create_or_find(new_de("once"))
    assert not created.recovered
    stored = sim.store.get_de(mids["parent"], customer_key="once")
    assert stored is not None and created.object_id == stored.object_id
    assert op_count(CREATE_DE) == 2
    assert op_count("soap.Retrieve.DataExtension") == 1  # looked before creating again
    assert len(await collect(soap.data_extensions(customer_key="once"))) == 1


async def test_create_or_find_finds_what_the_lost_create_made(
    soap: SoapOperations, sim: Simulator, mids: dict[str, int], control: Control, op_count: Count
) -> None:
    # MCE made the DE but the answer was lost: the object is there before the lookup.
    sim.store.create_de(
        mid=mids["parent"], name="made", customer_key="made", fields=[SimField("A", "Text")]
    )
    fault(control, CREATE_DE, "reset", 1)
    created = await soap.create_or_find(new_de("made"))
    assert created.recovered
    assert op_count(CREATE_DE) == 1
    stored = sim.store.get_de(mids["parent"], customer_key="made")
    assert stored is not None and created.object_id == stored.object_id


async def test_query_start_is_never_resent_after_a_reset(
    soap: SoapOperations, control: Control, op_count: Count
) -> None:
    [query] = await collect(soap.query_definitions(customer_key="refresh_active_subscribers"))
    assert query.object_id
    fault(control, "soap.Perform.QueryDefinition", "reset", 1)
    with pytest.raises(OutcomeUnknown):
        await soap.start_query(query.object_id)
    assert op_count("soap.Perform.QueryDefinition") == 1  # no second execution

    task_id = await soap.start_query(query.object_id)
    status = await soap.async_activity_status(task_id)
    assert status is not None and status.task_id == task_id
    assert op_count("soap.Perform.QueryDefinition") == 2
