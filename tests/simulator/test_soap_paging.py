"""Retrieve paging across 2,500-result pages with ContinueRequest, over HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from simulator.state import FieldSpec, Simulator
from tests.simulator.soap_helpers import (
    SoapClient,
    SoapReply,
    bu_mids,
    issue_token,
    new_sim,
    serve,
    simple,
)

PROPS = ["ObjectID", "Name", "DataExtension.CustomerKey"]
SIZES = {"bulk_a": 2100, "bulk_b": 2100, "exact_2500": 2500, "over_2500": 2501}


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    sim = new_sim()
    qa = bu_mids(sim)["qa"]
    for key, size in SIZES.items():
        fields = [FieldSpec(f"F{i:05d}", "Text", max_length=50) for i in range(size)]
        sim.store.create_de(mid=qa, name=key, customer_key=key, fields=fields)
    yield sim
    sim.close()


@pytest.fixture(scope="module")
def url(sim: Simulator) -> Iterator[str]:
    with serve(sim) as base:
        yield base


@pytest.fixture(scope="module")
def qa_total(sim: Simulator) -> int:
    qa = bu_mids(sim)["qa"]
    return sum(len(de.fields) for de in sim.store.list_des(qa))


@pytest.fixture
def ada(sim: Simulator, url: str) -> Iterator[SoapClient]:
    client = SoapClient(url, issue_token(sim, "ada.admin", mid=bu_mids(sim)["qa"]).token)
    yield client
    client.close()


def page_through(client: SoapClient, first: SoapReply, *, repeat: bool) -> list[SoapReply]:
    pages = [first]
    while pages[-1].overall_status == "MoreDataAvailable":
        request_id = pages[-1].request_id
        assert request_id
        if repeat:  # what WSDL-strict clients send: ObjectType and Properties again
            reply = client.retrieve("DataExtensionField", PROPS, continue_id=request_id)
        else:  # the documented minimal form
            reply = client.retrieve(None, continue_id=request_id)
        assert reply.status == 200
        pages.append(reply)
    return pages


@pytest.mark.parametrize("repeat", [False, True], ids=["continue-only", "with-objecttype"])
def test_pages_cover_everything_once(ada: SoapClient, qa_total: int, repeat: bool) -> None:
    first = ada.retrieve("DataExtensionField", PROPS)
    pages = page_through(ada, first, repeat=repeat)
    sizes = [len(p.results) for p in pages]
    assert sizes[:-1] == [2500] * (len(pages) - 1)
    assert 0 < sizes[-1] <= 2500
    assert [p.overall_status for p in pages] == ["MoreDataAvailable"] * (len(pages) - 1) + ["OK"]
    ids = [oid for p in pages for oid in p.result_values("ObjectID")]
    assert len(ids) == qa_total
    assert len(set(ids)) == qa_total
    assert len({p.request_id for p in pages}) == len(pages)
    # later pages keep the requested properties of the first request
    assert all(v is not None for v in pages[-1].result_values("DataExtension.CustomerKey"))


def test_exactly_2500_results_is_one_page(ada: SoapClient) -> None:
    reply = ada.retrieve(
        "DataExtensionField",
        PROPS,
        filter_xml=simple("DataExtension.CustomerKey", "equals", "exact_2500"),
    )
    assert reply.overall_status == "OK"
    assert len(reply.results) == 2500


def test_2501_results_is_two_pages(ada: SoapClient) -> None:
    first = ada.retrieve(
        "DataExtensionField",
        PROPS,
        filter_xml=simple("DataExtension.CustomerKey", "equals", "over_2500"),
    )
    pages = page_through(ada, first, repeat=False)
    assert [len(p.results) for p in pages] == [2500, 1]
    names = [n for p in pages for n in p.result_values("Name")]
    assert names == [f"F{i:05d}" for i in range(2501)]  # in Ordinal order


def test_a_request_id_continues_once(ada: SoapClient) -> None:
    first = ada.retrieve("DataExtensionField", PROPS)
    assert first.overall_status == "MoreDataAvailable"
    second = ada.retrieve(None, continue_id=first.request_id)
    assert len(second.results) == 2500
    again = ada.retrieve(None, continue_id=first.request_id)
    assert again.status == 200
    assert again.overall_status == (
        f"Error: The ContinueRequest {first.request_id} is unknown or has expired."
    )
    assert again.results == []


def test_continue_with_a_different_object_type_is_refused(ada: SoapClient) -> None:
    first = ada.retrieve("DataExtensionField", PROPS)
    reply = ada.retrieve("DataFolder", ["Name"], continue_id=first.request_id)
    assert reply.overall_status is not None
    assert reply.overall_status.startswith("Error: The ContinueRequest")
    assert reply.results == []


def test_cursor_belongs_to_its_caller(sim: Simulator, url: str, ada: SoapClient) -> None:
    first = ada.retrieve("DataExtensionField", PROPS)
    other = SoapClient(url, issue_token(sim, "ada.admin").token)  # same user, another BU
    try:
        stolen = other.retrieve(None, continue_id=first.request_id)
        assert stolen.overall_status is not None
        assert stolen.overall_status.startswith("Error: The ContinueRequest")
        # the rightful owner can still continue
        assert len(ada.retrieve(None, continue_id=first.request_id).results) == 2500
    finally:
        other.close()


def test_paging_calls_are_counted_under_the_object_type(sim: Simulator, ada: SoapClient) -> None:
    before = sim.stats.get("soap.Retrieve.DataExtensionField")
    first = ada.retrieve("DataExtensionField", PROPS)
    pages = page_through(ada, first, repeat=False)
    assert sim.stats.get("soap.Retrieve.DataExtensionField") - before == len(pages)
