"""Paging at the simulator's bigger scales: every result once, one page held at a time."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from client.pipeline import MceCaller
from client.soap import DataExtension, DataExtensionField, SoapOperations, partner_schema
from client.soap.channel import SoapChannel
from client.soap.messages import RetrieveQuery
from client.tokens import CallTarget
from simulator.state import Simulator
from tests.simulator.conftest import make_sim


@pytest.fixture
def sim(request: pytest.FixtureRequest) -> Iterator[Simulator]:
    simulator = make_sim(scale=getattr(request, "param", "medium"), with_rows=False)
    yield simulator
    simulator.close()


def _query(record_type: type[DataExtension] | type[DataExtensionField]) -> RetrieveQuery:
    return RetrieveQuery(
        object_type=record_type.OBJECT_TYPE,
        properties=tuple(column.path for column in record_type.COLUMNS),
    )


async def test_medium_scale_fields_page_by_page(
    caller: MceCaller, soap: SoapOperations, target: CallTarget, sim_url: str
) -> None:
    channel = SoapChannel(
        caller, url=f"{sim_url}Service.asmx", target=target, schema=partner_schema()
    )
    sizes = [
        len(page) async for page in channel.pages(_query(DataExtensionField), DataExtensionField)
    ]
    assert max(sizes) == 2500 and len(sizes) >= 4
    keys = {f.customer_key async for f in soap.data_extension_fields(None)}
    assert len(keys) == sum(sizes)  # nothing twice, nothing lost across page boundaries


@pytest.mark.slow
@pytest.mark.parametrize("sim", ["large"], indirect=True)
async def test_large_scale_ten_thousand_data_extensions_stream(
    caller: MceCaller, soap: SoapOperations, target: CallTarget, sim_url: str
) -> None:
    channel = SoapChannel(
        caller, url=f"{sim_url}Service.asmx", target=target, schema=partner_schema()
    )
    sizes = [len(page) async for page in channel.pages(_query(DataExtension), DataExtension)]
    assert sum(sizes) > 10_000 and max(sizes) == 2500
    keys = {de.customer_key async for de in soap.data_extensions()}
    assert len(keys) == sum(sizes)
