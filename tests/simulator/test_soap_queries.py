"""QueryDefinition, Perform and AsyncActivityStatus over SOAP (real HTTP): create-time SQL
validation, the run lifecycle driven by the simulator clock, the 30-minute limit, runtime
failures reported as an Error status, and the quirks REFERENCE reports (off by default)."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from typing import Any
from xml.sax.saxutils import escape

import httpx
import pytest

from simulator.app import create_app
from simulator.automations import ActivitySpec
from simulator.state import Simulator
from tests.simulator.conftest import _SwitchableApp, make_sim
from tests.simulator.soap_helpers import NS, PARTNER, SoapClient, SoapReply, issue_token, simple

_keys = itertools.count()

Served = Callable[..., tuple[Simulator, SoapClient]]


@pytest.fixture
def served(_shared_server: tuple[_SwitchableApp, str]) -> Iterator[Served]:
    """``served(**config)``: a simulator with that config behind the shared server, and a SOAP
    client for ada.admin in the parent BU."""
    switch, url = _shared_server
    made: list[tuple[Simulator, SoapClient]] = []

    def _served(**config: Any) -> tuple[Simulator, SoapClient]:
        config.setdefault("token_ttl_seconds", 86_400)  # tests move the clock by minutes
        sim = make_sim(**config)
        switch.target = create_app(sim)
        client = SoapClient(url.rstrip("/"), issue_token(sim).token)
        made.append((sim, client))
        return sim, client

    yield _served
    switch.target = None
    for sim, client in made:
        client.close()
        sim.close()


def qd_object(
    *,
    key: str,
    text: str,
    target_key: str = "active_subscribers",
    update_type: str = "Overwrite",
    name: str | None = None,
    extra: str = "",
) -> str:
    return (
        f'<Objects xsi:type="QueryDefinition"><CustomerKey>{key}</CustomerKey>'
        f"<Name>{name or key}</Name><QueryText>{escape(text)}</QueryText>"
        f"<TargetType>DE</TargetType><DataExtensionTarget><CustomerKey>{target_key}"
        f"</CustomerKey></DataExtensionTarget><TargetUpdateType>{update_type}</TargetUpdateType>"
        f"{extra}</Objects>"
    )


def create_query(client: SoapClient, text: str, **kw: Any) -> SoapReply:
    key = kw.pop("key", None) or f"qd_{next(_keys)}"
    return client.crud("Create", qd_object(key=key, text=text, **kw))


def perform(client: SoapClient, object_id: str, *, action: str = "Start") -> SoapReply:
    body = (
        f'<PerformRequestMsg xmlns="{PARTNER}"><Action>{action}</Action><Definitions>'
        f'<Definition xsi:type="QueryDefinition"><ObjectID>{object_id}</ObjectID></Definition>'
        "</Definitions></PerformRequestMsg>"
    )
    return client.call("Perform", body)


def status_of(client: SoapClient, task_id: str) -> dict[str, str]:
    reply = client.retrieve(
        "AsyncActivityStatus",
        ["Status", "ErrorMsg", "CompletedDate", "StartDate", "TaskID"],
        filter_xml=simple("TaskID", "equals", task_id),
    )
    assert reply.overall_status == "OK", reply.text
    (result,) = reply.results
    names = [n.text for n in result.xpath("p:Properties/p:Property/p:Name", namespaces=NS)]
    values = [v.text or "" for v in result.xpath("p:Properties/p:Property/p:Value", namespaces=NS)]
    return dict(zip(names, values, strict=True))  # type: ignore[arg-type]


def start(client: SoapClient, text: str, **kw: Any) -> tuple[str, str]:
    created = create_query(client, text, **kw)
    assert created.result_values("StatusCode") == ["OK"], created.text
    object_id = created.value("//p:Results/p:NewObjectID")
    assert object_id
    performed = perform(client, object_id)
    assert performed.value("//p:Result/p:StatusCode") == "OK", performed.text
    task_id = performed.value("//p:Result/p:Task/p:ID")
    assert task_id
    return object_id, task_id


def advance(client: SoapClient, seconds: float) -> None:
    response = client.http.post("/__sim/clock/advance", json={"seconds": seconds})
    assert response.status_code == 200


OPTED_IN = "SELECT SubscriberKey, EmailAddress FROM Subscribers WHERE OptIn = 1"


# ----------------------------------------------------------------- definitions


def test_create_retrieve_update_delete_round_trip(served: Served) -> None:
    sim, client = served(with_rows=False)
    created = create_query(
        client, OPTED_IN, key="qd_round_trip", extra="<Description>d</Description>"
    )
    assert created.overall_status == "OK", created.text
    object_id = created.value("//p:Results/p:NewObjectID")
    assert created.value("//p:Results/p:Object/p:QueryText") == OPTED_IN

    props = [
        "ObjectID", "CustomerKey", "Name", "CategoryID", "QueryText", "TargetUpdateType",
        "DataExtensionTarget.Name", "DataExtensionTarget.CustomerKey", "ModifiedDate", "Status",
    ]  # fmt: skip
    reply = client.retrieve(
        "QueryDefinition", props, filter_xml=simple("CustomerKey", "equals", "qd_round_trip")
    )
    assert reply.result_values("ObjectID") == [object_id]
    assert reply.result_values("DataExtensionTarget.Name") == ["Active Subscribers"]
    assert reply.result_values("DataExtensionTarget.CustomerKey") == ["active_subscribers"]
    assert reply.result_values("Status") == ["Active"]
    root = sim.store.root_folder(sim.store.enterprise.eid, "queryactivity")
    assert root is not None
    assert reply.result_values("CategoryID") == [str(root.id)]

    new_text = "SELECT SubscriberKey, EmailAddress FROM Subscribers WHERE OptIn = 0"
    updated = client.crud(
        "Update",
        f'<Objects xsi:type="QueryDefinition"><ObjectID>{object_id}</ObjectID>'
        f"<QueryText>{new_text}</QueryText><TargetUpdateType>Append</TargetUpdateType></Objects>",
    )
    assert updated.overall_status == "OK", updated.text
    query = sim.store.get_query(sim.store.enterprise.eid, object_id=object_id)
    assert query is not None
    assert (query.query_text, query.target_update_type) == (new_text, "Append")

    deleted = client.crud(
        "Delete", f'<Objects xsi:type="QueryDefinition"><ObjectID>{object_id}</ObjectID></Objects>'
    )
    assert deleted.overall_status == "OK", deleted.text
    assert sim.store.get_query(sim.store.enterprise.eid, object_id=object_id) is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("SELECT SubscriberKey FROM Subscribers; SELECT 1", "';'"),
        ("WITH x AS (SELECT SubscriberKey, EmailAddress FROM Subscribers) SELECT * FROM x", "WITH"),
        ("DELETE FROM Subscribers", "Only SELECT"),
        ("SELECT SubscriberKey, EmailAddress FROM [No Such DE]", "Invalid object name"),
        ("SELECT SubscriberKey, Nope FROM Subscribers", "Invalid column name"),
        ("SELECT EmailAddress FROM Subscribers", "Field 'SubscriberKey' is required"),
    ],
)
def test_create_refuses_what_mce_refuses(served: Served, text: str, message: str) -> None:
    sim, client = served(with_rows=False)
    reply = create_query(client, text)
    assert reply.overall_status == "Error"
    assert reply.result_values("StatusCode") == ["Error"]
    status_message = reply.result_values("StatusMessage")[0] or ""
    assert message.lower() in status_message.lower(), status_message
    assert reply.result_values("ErrorCode") == ["310017"]
    assert not [q for q in sim.store.query_definitions.values() if q.customer_key.startswith("qd_")]


def test_update_with_invalid_sql_changes_nothing(served: Served) -> None:
    sim, client = served(with_rows=False)
    created = create_query(client, OPTED_IN)
    object_id = created.value("//p:Results/p:NewObjectID")
    reply = client.crud(
        "Update",
        f'<Objects xsi:type="QueryDefinition"><ObjectID>{object_id}</ObjectID>'
        "<QueryText>SELECT 1 AS SubscriberKey ORDER BY 1</QueryText></Objects>",
    )
    assert reply.result_values("StatusCode") == ["Error"]
    assert "ORDER BY" in (reply.result_values("StatusMessage")[0] or "")
    query = sim.store.get_query(sim.store.enterprise.eid, object_id=object_id or "")
    assert query is not None and query.query_text == OPTED_IN


def test_category_zero_and_unknown_target_are_refused(served: Served) -> None:
    _sim, client = served(with_rows=False)
    zero = create_query(client, OPTED_IN, extra="<CategoryID>0</CategoryID>")
    assert zero.result_values("ErrorCode") == ["310004"]
    missing = create_query(client, OPTED_IN, target_key="no_such_de")
    assert missing.result_values("ErrorCode") == ["310008"]


# ------------------------------------------------------------------------ runs


def test_perform_runs_the_query_into_the_target(served: Served) -> None:
    sim, client = served()
    _object_id, task_id = start(client, OPTED_IN)
    status = status_of(client, task_id)
    assert status["Status"] == "Complete"
    assert status["ErrorMsg"] == ""
    assert status["TaskID"] == task_id
    eid = sim.store.enterprise.eid
    source = sim.store.get_de(eid, customer_key="subscribers")
    target = sim.store.get_de(eid, customer_key="active_subscribers")
    assert source is not None and target is not None
    expected = sim.rows.count(source, where='"OptIn"')
    assert expected > 0
    assert sim.rows.count(target) == expected
    assert sim.queries.task(task_id) is not None


def test_perform_accepts_lower_case_start_and_needs_an_object_id(served: Served) -> None:
    _sim, client = served(with_rows=False)
    created = create_query(client, OPTED_IN)
    object_id = created.value("//p:Results/p:NewObjectID") or ""
    lower = perform(client, object_id, action="start")
    assert lower.value("//p:Result/p:StatusCode") == "OK"
    assert (
        lower.value("//p:Result/p:StatusMessage") == "QueryDefinition perform called successfully"
    )
    assert lower.value("//p:Result/p:Task/p:InteractionObjectID") == object_id

    by_key = client.call(
        "Perform",
        f'<PerformRequestMsg xmlns="{PARTNER}"><Action>Start</Action><Definitions>'
        '<Definition xsi:type="QueryDefinition"><CustomerKey>x</CustomerKey></Definition>'
        "</Definitions></PerformRequestMsg>",
    )
    assert by_key.value("//p:Result/p:StatusCode") == "Error"
    assert by_key.value("//p:OverallStatus") == "Error"
    unknown = perform(client, "00000000-0000-4000-8000-000000000000")
    assert unknown.value("//p:Result/p:ErrorCode") == "310008"
    bad_action = perform(client, object_id, action="Stop")
    assert bad_action.value("//p:Result/p:StatusCode") == "Error"


def test_status_lifecycle_follows_the_clock(served: Served) -> None:
    sim, client = served(query_queue_seconds=30, query_base_seconds=120)
    object_id, task_id = start(client, OPTED_IN)
    eid = sim.store.enterprise.eid
    target = sim.store.get_de(eid, customer_key="active_subscribers")
    assert target is not None

    def is_running() -> bool:
        response = client.http.get(
            f"/automation/v1/queries/{object_id}/actions/isrunning",
            headers={"Authorization": f"Bearer {client.token}"},
        )
        running: bool = response.json()["isRunning"]
        return running

    assert status_of(client, task_id)["Status"] == "Queued"
    assert is_running()
    advance(client, 31)
    processing = status_of(client, task_id)
    assert processing["Status"] == "Processing"
    assert processing["CompletedDate"] == ""
    assert is_running()
    assert sim.rows.count(target) == 0
    advance(client, 120)
    done = status_of(client, task_id)
    assert done["Status"] == "Complete"
    assert done["CompletedDate"] != ""
    assert not is_running()
    assert sim.rows.count(target) > 0


def test_duration_scales_with_the_rows_read(served: Served) -> None:
    sim, client = served(query_seconds_per_million_rows=1_000_000)
    _small_id, small_task = start(
        client, "SELECT TOP 1 SubscriberKey, EmailAddress FROM Subscribers"
    )
    small = sim.queries.task(small_task)
    assert small is not None
    # The parent BU's 1,500 subscribers read at 1 s per row: 1,500 s of processing.
    assert small.finishes_at - small.queued_until == pytest.approx(1500, rel=0.01)


def test_a_run_longer_than_the_limit_fails_with_a_timeout(served: Served) -> None:
    sim, client = served(query_seconds_per_million_rows=10_000_000, query_timeout_seconds=1800)
    _object_id, task_id = start(client, OPTED_IN)
    advance(client, 1799)
    assert status_of(client, task_id)["Status"] == "Processing"
    advance(client, 2)
    status = status_of(client, task_id)
    assert status["Status"] == "Error"
    assert "30 minutes" in status["ErrorMsg"]
    target = sim.store.get_de(sim.store.enterprise.eid, customer_key="active_subscribers")
    assert target is not None and sim.rows.count(target) == 0


def test_a_runtime_failure_is_an_error_status(served: Served) -> None:
    _sim, client = served()
    # Append the same keys twice: the second run violates the primary key.
    object_id, first = start(client, OPTED_IN, update_type="Append")
    assert status_of(client, first)["Status"] == "Complete"
    performed = perform(client, object_id)
    second = performed.value("//p:Result/p:Task/p:ID") or ""
    status = status_of(client, second)
    assert status["Status"] == "Error"
    assert "PRIMARY KEY" in status["ErrorMsg"]


def test_a_running_query_cannot_be_started_twice(served: Served) -> None:
    _sim, client = served(query_queue_seconds=60)
    object_id, _task = start(client, OPTED_IN)
    again = perform(client, object_id)
    assert again.value("//p:Result/p:StatusCode") == "Error"
    assert again.value("//p:Result/p:ErrorCode") == "310018"


# ---------------------------------------------------------------------- quirks


def test_quirk_status_lags_behind_completion(served: Served) -> None:
    sim, client = served(quirk_status_lag_polls=2)
    _object_id, task_id = start(client, OPTED_IN)
    task = sim.queries.task(task_id)
    assert task is not None
    assert [status_of(client, task_id)["Status"] for _ in range(3)] == [
        "Queued",
        "Queued",
        "Complete",
    ]
    assert task.status == "Complete"


def test_quirk_completed_date_before_the_start(served: Served) -> None:
    sim, client = served(quirk_early_completed_date=True, query_queue_seconds=60)
    _object_id, task_id = start(client, OPTED_IN)
    status = status_of(client, task_id)
    assert status["Status"] == "Queued"
    assert status["CompletedDate"] != ""
    task = sim.queries.task(task_id)
    assert task is not None and task.completed_date is None


def test_quirk_rows_readable_a_moment_after_completion(served: Served) -> None:
    sim, client = served(quirk_rows_visible_after_seconds=5)
    _object_id, task_id = start(client, OPTED_IN)
    assert status_of(client, task_id)["Status"] == "Complete"
    token = client.token or ""
    url = "/data/v1/customobjectdata/key/active_subscribers/rowset"
    headers = {"Authorization": f"Bearer {token}"}
    assert client.http.get(url, headers=headers).status_code == 404
    advance(client, 6)
    response = client.http.get(url, headers=headers)
    assert response.status_code == 200
    assert response.json()["count"] > 0
    assert isinstance(sim, Simulator)


def test_quirks_are_off_by_default(served: Served) -> None:
    _sim, client = served()
    _object_id, task_id = start(client, OPTED_IN)
    status = status_of(client, task_id)
    assert status["Status"] == "Complete"
    rowset = client.http.get(
        "/data/v1/customobjectdata/key/active_subscribers/rowset",
        headers={"Authorization": f"Bearer {client.token}"},
    )
    assert rowset.status_code == 200


def test_status_filters_and_unknown_properties(served: Served) -> None:
    _sim, client = served(with_rows=False)
    object_id, task_id = start(client, OPTED_IN)
    by_parent = client.retrieve(
        "AsyncActivityStatus",
        ["Status", "TaskID"],
        filter_xml=simple("ParentInteractionObjectID", "equals", object_id),
    )
    assert len(by_parent.results) == 1
    not_filterable = client.retrieve(
        "AsyncActivityStatus", ["Status"], filter_xml=simple("Status", "equals", "Complete")
    )
    assert (not_filterable.overall_status or "").startswith("Error: The Filter Property(s) Status")
    unknown = client.retrieve("AsyncActivityStatus", ["Nope"])
    assert (unknown.overall_status or "").startswith("Error: The Request Property(s) Nope")
    other = client.retrieve(
        "AsyncActivityStatus", ["Status"], filter_xml=simple("TaskID", "equals", "nope")
    )
    assert other.results == []
    assert task_id


def test_another_users_token_cannot_see_tasks_of_unreachable_bus(served: Served) -> None:
    sim, client = served(with_rows=False)
    _object_id, task_id = start(client, OPTED_IN)
    eve = SoapClient(client.base_url, issue_token(sim, "eve.europe").token)
    try:
        reply = eve.retrieve(
            "AsyncActivityStatus", ["Status"], filter_xml=simple("TaskID", "equals", task_id)
        )
        assert reply.results == []
    finally:
        eve.close()
    assert isinstance(client.http, httpx.Client)


def test_perform_starts_an_automation(served: Served) -> None:
    sim, client = served()
    eid = sim.store.enterprise.eid
    query = sim.store.get_query(eid, customer_key="refresh_active_subscribers")
    assert query is not None
    automation = sim.automations.create(
        mid=eid, name="Nightly", steps=[[ActivitySpec(query.object_id, 300)]]
    )
    body = (
        f'<PerformRequestMsg xmlns="{PARTNER}"><Action>start</Action><Definitions>'
        f'<Definition xsi:type="Automation"><ObjectID>{automation.object_id}</ObjectID>'
        "</Definition></Definitions></PerformRequestMsg>"
    )
    reply = client.call("Perform", body)
    assert reply.value("//p:Result/p:StatusCode") == "OK", reply.text
    assert reply.value("//p:Result/p:StatusMessage") == "Performed Activity"
    assert reply.value("//p:Result/p:Task/p:ID") == automation.last_run_instance_id
    client.retrieve("BusinessUnit", ["ID"])  # any request moves simulated time on
    target = sim.store.get_de(eid, customer_key="active_subscribers")
    assert target is not None and sim.rows.count(target) > 0
    unknown = client.call("Perform", body.replace(automation.object_id, "nope"))
    assert unknown.value("//p:Result/p:ErrorCode") == "310008"


def test_perform_without_definitions_is_a_client_fault(served: Served) -> None:
    _sim, client = served(with_rows=False)
    reply = client.call(
        "Perform",
        f'<PerformRequestMsg xmlns="{PARTNER}"><Action>Start</Action></PerformRequestMsg>',
    )
    assert reply.status == 500
    assert reply.fault_code == "soap:Client"
    assert "Definitions/Definition" in (reply.fault_string or "")
