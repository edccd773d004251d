"""OAuth scopes on SOAP calls: a token without the scope gets MCE's "API Permission Failed"
(HTTP 200) and nothing happens; with the scope the same call works."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from simulator.state import Simulator
from tests.simulator.soap_helpers import (
    PARTNER,
    SoapClient,
    SoapReply,
    new_sim,
    obj,
    serve,
    simple,
    user_named,
)


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    simulator = new_sim()
    yield simulator
    simulator.close()


@pytest.fixture(scope="module")
def url(sim: Simulator) -> Iterator[str]:
    with serve(sim) as base:
        yield base


def client_with(sim: Simulator, url: str, *scopes: str) -> SoapClient:
    user = user_named(sim, "ada.admin")
    token = sim.auth.issue_access_token(
        package=sim.enhanced_package, user=user, mid=user.default_mid, scopes=tuple(scopes)
    )
    return SoapClient(url, token.token)


def denied(reply: SoapReply) -> bool:
    return reply.overall_status == "Error: API Permission Failed" and reply.results == []


@pytest.mark.parametrize(
    ("object_type", "properties", "scope"),
    [
        ("DataExtension", ["Name"], "data_extensions_read"),
        ("DataExtensionField", ["Name"], "data_extensions_read"),
        ("QueryDefinition", ["Name"], "automations_read"),
        ("AsyncActivityStatus", ["Status"], "automations_read"),
        ("BusinessUnit", ["ID"], "accounts_read"),
        ("DataFolder", ["Name"], "automations_read"),
        ("DataFolder", ["Name"], "data_extensions_read"),
    ],
)
def test_retrieve_needs_the_read_scope(
    sim: Simulator, url: str, object_type: str, properties: list[str], scope: str
) -> None:
    without = client_with(sim, url, "email_read")
    with_scope = client_with(sim, url, scope)
    try:
        assert denied(without.retrieve(object_type, properties))
        allowed = with_scope.retrieve(object_type, properties)
        assert allowed.overall_status in ("OK", "MoreDataAvailable"), allowed.text
    finally:
        without.close()
        with_scope.close()


def test_a_write_scope_is_needed_to_create_and_nothing_is_created(sim: Simulator, url: str) -> None:
    de = obj(
        "DataExtension",
        "<CustomerKey>perm_de</CustomerKey><Name>perm_de</Name><Fields><Field><Name>Id</Name>"
        "<FieldType>Number</FieldType></Field></Fields>",
    )
    reader = client_with(sim, url, "data_extensions_read")
    writer = client_with(sim, url, "data_extensions_write")
    try:
        refused = reader.crud("Create", de)
        assert refused.overall_status == "Error"
        assert refused.result_values("StatusMessage") == ["API Permission Failed"]
        assert sim.store.get_de(sim.store.enterprise.eid, customer_key="perm_de") is None
        made = writer.crud("Create", de)
        assert made.overall_status == "OK", made.text
    finally:
        reader.close()
        writer.close()


def test_perform_needs_automations_execute(sim: Simulator, url: str) -> None:
    query = sim.store.get_query(sim.store.enterprise.eid, customer_key="refresh_active_subscribers")
    assert query is not None
    body = (
        f'<PerformRequestMsg xmlns="{PARTNER}"><Action>Start</Action><Definitions>'
        f'<Definition xsi:type="QueryDefinition"><ObjectID>{query.object_id}</ObjectID>'
        "</Definition></Definitions></PerformRequestMsg>"
    )
    runs_before = len(sim.queries.tasks)
    writer = client_with(sim, url, "automations_read", "automations_write")
    executor = client_with(sim, url, "automations_execute")
    try:
        refused = writer.call("Perform", body)
        assert refused.value("//p:Result/p:StatusMessage") == "API Permission Failed"
        assert len(sim.queries.tasks) == runs_before
        started = executor.call("Perform", body)
        assert started.value("//p:Result/p:StatusCode") == "OK", started.text
        assert len(sim.queries.tasks) == runs_before + 1
    finally:
        writer.close()
        executor.close()


def test_a_filtered_retrieve_is_refused_before_the_filter_is_read(sim: Simulator, url: str) -> None:
    without = client_with(sim, url)
    try:
        reply = without.retrieve(
            "DataExtension", ["Name"], filter_xml=simple("CustomerKey", "equals", "subscribers")
        )
        assert denied(reply)
    finally:
        without.close()
