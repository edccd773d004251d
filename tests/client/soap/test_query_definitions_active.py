"""Query definition retrieves skip lingering inactive definitions unless asked
(``Status equals Active``, REFERENCE §2.4)."""

from __future__ import annotations

from client.soap import SoapOperations
from simulator.state import Simulator


async def test_inactive_definitions_are_left_out_by_default(
    soap: SoapOperations, sim: Simulator, mids: dict[str, int]
) -> None:
    query = sim.store.get_query(mids["parent"], customer_key="refresh_active_subscribers")
    assert query is not None
    query.status = "Inactive"  # deleted in MCE's UI but still returned by Retrieve

    assert [q async for q in soap.query_definitions(customer_key=query.customer_key)] == []
    everything = [q async for q in soap.query_definitions(active_only=False)]
    assert [q.status for q in everything if q.object_id == query.object_id] == ["Inactive"]
    assert query.object_id not in {q.object_id async for q in soap.query_definitions()}
