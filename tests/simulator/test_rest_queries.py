"""``/automation/v1/queries`` over HTTP: shapes, paging, errors, validation and runs."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from simulator.model import QueryDefinition
from simulator.rest_queries import NO_WHERE_WARNING
from simulator.state import Simulator

from .conftest import TokenFor, make_sim
from .helpers import bearer, bu_named, parent_mid

BASE = "automation/v1/queries"
ITEM_KEYS = {
    "queryDefinitionId",
    "name",
    "key",
    "description",
    "queryText",
    "targetName",
    "targetKey",
    "targetId",
    "targetDescription",
    "createdDate",
    "modifiedDate",
    "targetUpdateTypeId",
    "targetUpdateTypeName",
    "categoryId",
    "isFrozen",
}
ISO_NO_ZONE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,3})?")
SELECT_ACTIVE = "SELECT SubscriberKey, EmailAddress FROM Subscribers WHERE OptIn = 1"


@pytest.fixture
def headers(http: httpx.Client, token_for: TokenFor) -> dict[str, str]:
    return bearer(token_for(http)["access_token"])


def _seeded(sim: Simulator, mid: int | None = None) -> QueryDefinition:
    query = sim.store.get_query(mid or parent_mid(sim), customer_key="refresh_active_subscribers")
    assert query is not None
    return query


def _folder_id(sim: Simulator, name: str = "Daily") -> int:
    mid = parent_mid(sim)
    return next(
        f.id
        for f in sim.store.folders.values()
        if f.mid == mid and f.name == name and f.content_type == "queryactivity"
    )


def _create_body(sim: Simulator, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "Opted in",
        "key": "opted_in",
        "description": "made over REST",
        "queryText": SELECT_ACTIVE,
        "targetKey": "active_subscribers",
        "targetUpdateTypeId": 0,
        "categoryId": _folder_id(sim),
    }
    body.update(overrides)
    return body


def _advance(http: httpx.Client, seconds: float) -> None:
    response = http.post("__sim/clock/advance", json={"seconds": seconds})
    assert response.status_code == 200, response.text


def _is_running(http: httpx.Client, query_id: str, headers: dict[str, str]) -> bool:
    response = http.get(f"{BASE}/{query_id}/actions/isrunning/", headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body == {"queryDefinitionId": query_id, "isRunning": body["isRunning"]}
    running: bool = body["isRunning"]
    return running


# ------------------------------------------------------------------ reads
def test_get_has_exactly_the_recorded_shape(
    http: httpx.Client, sim: Simulator, headers: dict[str, str]
) -> None:
    query = _seeded(sim)
    target = sim.store.get_de(parent_mid(sim), customer_key="active_subscribers")
    assert target is not None
    response = http.get(f"{BASE}/{query.object_id}", headers=headers)
    assert response.status_code == 200
    item = response.json()
    assert set(item) == ITEM_KEYS
    assert item["queryDefinitionId"] == query.object_id
    assert item["key"] == "refresh_active_subscribers"
    assert item["name"] == "Refresh Active Subscribers"
    assert item["queryText"] == query.query_text
    assert (item["targetName"], item["targetKey"], item["targetId"]) == (
        "Active Subscribers",
        "active_subscribers",
        target.object_id,
    )
    assert item["targetDescription"] == target.description
    assert (item["targetUpdateTypeId"], item["targetUpdateTypeName"]) == (0, "Overwrite")
    assert item["categoryId"] == _folder_id(sim)
    assert item["isFrozen"] is False
    assert ISO_NO_ZONE.fullmatch(item["createdDate"])
    assert ISO_NO_ZONE.fullmatch(item["modifiedDate"])
    assert http.get(f"{BASE}/{query.object_id}/", headers=headers).json() == item


def test_list_pages_at_25_and_filters_by_name_and_key(
    http: httpx.Client, sim: Simulator, headers: dict[str, str]
) -> None:
    mid = parent_mid(sim)
    for n in range(30):
        sim.store.create_query(
            mid=mid,
            name=f"Bulk {n:02d}",
            customer_key=f"bulk_{n:02d}",
            query_text=SELECT_ACTIVE,
            target_key="active_subscribers",
        )
    first = http.get(BASE, headers=headers).json()
    assert (first["count"], first["page"], first["pageSize"]) == (31, 1, 25)
    assert len(first["items"]) == 25 and set(first["items"][0]) == ITEM_KEYS
    second = http.get(f"{BASE}/", params={"$page": 2, "$pageSize": 100}, headers=headers).json()
    assert (second["page"], second["pageSize"], len(second["items"])) == (2, 25, 6)
    small = http.get(BASE, params={"$page": 3, "$pageSize": 4}, headers=headers).json()
    assert [i["key"] for i in small["items"]] == ["bulk_07", "bulk_08", "bulk_09", "bulk_10"]
    beyond = http.get(BASE, params={"$page": 9}, headers=headers).json()
    assert beyond["count"] == 31 and beyond["items"] == []

    by_name = http.get(
        BASE, params={"$filter": "Name eq 'refresh active subscribers'"}, headers=headers
    ).json()
    assert by_name["count"] == 1
    assert by_name["items"][0]["key"] == "refresh_active_subscribers"
    by_key = http.get(BASE, params={"$filter": "key eq 'bulk_29'"}, headers=headers).json()
    assert [i["name"] for i in by_key["items"]] == ["Bulk 29"]
    none = http.get(BASE, params={"$filter": "Name eq 'O''Brien'"}, headers=headers).json()
    assert none["count"] == 0


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"$page": "0"}, 10005),
        ({"$pageSize": "x"}, 10005),
        ({"$filter": "Name like 'x'"}, 10003),
        ({"$filter": "queryText eq 'x'"}, 10003),
    ],
)
def test_list_rejects_bad_paging_and_filters(
    http: httpx.Client, headers: dict[str, str], params: dict[str, str], code: int
) -> None:
    response = http.get(BASE, params=params, headers=headers)
    assert response.status_code == 400
    assert response.json()["errorcode"] == code


def test_queries_are_per_business_unit(
    http: httpx.Client, sim: Simulator, headers: dict[str, str]
) -> None:
    eu_query = _seeded(sim, bu_named(sim, "EU").mid)
    for method, path in (
        ("GET", f"{BASE}/{eu_query.object_id}"),
        ("PATCH", f"{BASE}/{eu_query.object_id}"),
        ("DELETE", f"{BASE}/{eu_query.object_id}"),
        ("POST", f"{BASE}/{eu_query.object_id}/actions/start"),
        ("GET", f"{BASE}/{eu_query.object_id}/actions/isrunning"),
        ("GET", f"{BASE}/{eu_query.object_id}/log"),
        ("GET", f"{BASE}/00000000-0000-4000-8000-000000000000"),
    ):
        kwargs: dict[str, Any] = {"json": {}} if method == "PATCH" else {}
        response = http.request(method, path, headers=headers, **kwargs)
        assert response.status_code == 404, (method, path)
        assert response.json()["errorcode"] == 30003
    listed = http.get(BASE, headers=headers).json()
    assert eu_query.object_id not in {i["queryDefinitionId"] for i in listed["items"]}


def test_auth_and_scopes(http: httpx.Client, sim: Simulator, token_for: TokenFor) -> None:
    query_id = _seeded(sim).object_id
    assert http.get(BASE).status_code == 401
    assert http.get(BASE, headers=bearer("nope")).json()["message"] == "Not Authorized"
    read_only = bearer(token_for(http, scope="automations_read")["access_token"])
    assert http.get(BASE, headers=read_only).status_code == 200
    forbidden = http.post(BASE, json=_create_body(sim), headers=read_only)
    assert forbidden.status_code == 403 and forbidden.json()["errorcode"] == 20002
    assert http.post(f"{BASE}/actions/validate", json={}, headers=read_only).status_code == 403
    writer = bearer(token_for(http, scope="automations_write")["access_token"])
    assert http.get(f"{BASE}/{query_id}", headers=writer).status_code == 403
    assert http.post(f"{BASE}/{query_id}/actions/start", headers=writer).status_code == 403
    runner = bearer(token_for(http, scope="automations_execute")["access_token"])
    assert http.post(f"{BASE}/{query_id}/actions/start", headers=runner).status_code == 200
    assert http.delete(f"{BASE}/{query_id}", headers=runner).status_code == 403


# ---------------------------------------------------------------- create
def test_create_returns_the_item_and_the_validated_text(
    http: httpx.Client, sim: Simulator, headers: dict[str, str]
) -> None:
    response = http.post(BASE, json=_create_body(sim, targetName="ignored"), headers=headers)
    assert response.status_code == 200, response.text
    created = response.json()
    assert set(created) == ITEM_KEYS | {"validatedQueryText"}
    assert (created["name"], created["key"], created["description"]) == (
        "Opted in",
        "opted_in",
        "made over REST",
    )
    assert created["targetKey"] == "active_subscribers"
    assert "INSERT INTO" in created["validatedQueryText"].upper()
    assert "querydef" in created["validatedQueryText"]
    fetched = http.get(f"{BASE}/{created['queryDefinitionId']}", headers=headers).json()
    assert fetched == {k: v for k, v in created.items() if k != "validatedQueryText"}
    assert sim.stats.get("rest.queries.create") == 1 and sim.stats.get("rest.queries.get") == 1


def test_create_by_target_id_with_append_and_a_generated_key(
    http: httpx.Client, sim: Simulator, headers: dict[str, str]
) -> None:
    target = sim.store.get_de(parent_mid(sim), customer_key="active_subscribers")
    assert target is not None
    body = _create_body(sim, targetId=target.object_id, targetUpdateTypeId=2)
    del body["targetKey"], body["key"]
    created = http.post(f"{BASE}/", json=body, headers=headers).json()
    assert created["targetKey"] == "active_subscribers"
    assert (created["targetUpdateTypeId"], created["targetUpdateTypeName"]) == (2, "Append")
    assert created["key"]
    by_name = http.post(
        BASE,
        json=_create_body(
            sim, name="Upd", key="upd", targetUpdateTypeId=None, targetUpdateTypeName="Update"
        ),
        headers=headers,
    ).json()
    assert (by_name["targetUpdateTypeId"], by_name["targetUpdateTypeName"]) == (1, "Update")


def test_nested_target_is_the_observed_500(
    http: httpx.Client, sim: Simulator, headers: dict[str, str]
) -> None:
    body = _create_body(sim, target={"key": "active_subscribers"})
    response = http.post(BASE, json=body, headers=headers)
    assert response.status_code == 500
    assert response.json()["message"] == "Internal Server Error"
    assert sim.store.get_query(parent_mid(sim), customer_key="opted_in") is None


@pytest.mark.parametrize(
    ("overrides", "status", "code", "mentions"),
    [
        ({"queryText": 123}, 400, 10001, "queryText"),
        ({"name": ["x"]}, 400, 10001, "name"),
        ({"categoryId": "abc"}, 400, 10001, "categoryId"),
        ({"targetUpdateTypeId": True}, 400, 10001, "targetUpdateTypeId"),
        ({"targetUpdateTypeId": 7}, 400, 10005, "targetUpdateTypeId"),
        ({"targetUpdateTypeId": None, "targetUpdateTypeName": "Merge"}, 400, 10005, "Merge"),
        ({"categoryId": None}, 400, 10002, "categoryId"),
        ({"categoryId": 424242}, 400, 10005, "424242"),
        ({"name": ""}, 400, 10002, "Name"),
        ({"queryText": "  "}, 400, 10002, "QueryText"),
        ({"targetKey": None}, 400, 10002, "target"),
        ({"targetKey": "no_such_de"}, 400, 10005, "no_such_de"),
        ({"targetKey": None, "targetId": "nope"}, 400, 10005, "nope"),
        ({"key": "k" * 37}, 400, 10005, "36"),
        ({"name": "Refresh Active Subscribers"}, 409, 30004, "already exists"),
        ({"key": "refresh_active_subscribers"}, 409, 30004, "already exists"),
    ],
)
def test_create_rejects_bad_fields(
    http: httpx.Client,
    sim: Simulator,
    headers: dict[str, str],
    overrides: dict[str, Any],
    status: int,
    code: int,
    mentions: str,
) -> None:
    response = http.post(BASE, json=_create_body(sim, **overrides), headers=headers)
    assert response.status_code == status, response.text
    body = response.json()
    assert body["errorcode"] == code
    assert mentions in body["message"]
    assert set(body) >= {"message", "errorcode", "documentation"}


@pytest.mark.parametrize("raw", [b"{not json", b"[1, 2]", b'"text"', b""])
def test_create_rejects_bodies_that_are_not_objects(
    http: httpx.Client, headers: dict[str, str], raw: bytes
) -> None:
    response = http.post(BASE, content=raw, headers={**headers, "Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["errorcode"] == 10004


@pytest.mark.parametrize(
    ("sql", "mentions"),
    [
        ("SELECT SubscriberKey FROM Subscribers; SELECT 1 AS SubscriberKey", "';'"),
        (
            "WITH s AS (SELECT SubscriberKey FROM Subscribers) SELECT SubscriberKey FROM s",
            "",
        ),
        ("SELECT SubscriberKey FROM No_Such_Table WHERE 1 = 1", "No_Such_Table"),
        (
            "SELECT EmailAddress FROM Subscribers WHERE OptIn = 1",
            "Field 'SubscriberKey' is required for the Target Data Extension",
        ),
    ],
    ids=["several-statements", "cte", "unknown-table", "required-column"],
)
def test_create_rejects_sql_as_mce_does(
    http: httpx.Client, sim: Simulator, headers: dict[str, str], sql: str, mentions: str
) -> None:
    response = http.post(BASE, json=_create_body(sim, queryText=sql), headers=headers)
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["errorcode"] == 10000
    assert mentions in body["message"]
    assert body["validationErrors"][0]["message"] == body["message"]
    assert sim.store.get_query(parent_mid(sim), customer_key="opted_in") is None


# ----------------------------------------------------------- patch/delete
def test_patch_changes_only_what_is_sent(
    http: httpx.Client, sim: Simulator, headers: dict[str, str]
) -> None:
    query = _seeded(sim)
    before = http.get(f"{BASE}/{query.object_id}", headers=headers).json()
    _advance(http, 5)
    new_text = "SELECT SubscriberKey FROM Subscribers WHERE Country = 'DE'"
    response = http.patch(
        f"{BASE}/{query.object_id}/",
        json={"queryText": new_text, "targetUpdateTypeId": 1},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    after = response.json()
    assert set(after) == ITEM_KEYS | {"validatedQueryText"}
    assert after["queryText"] == new_text and after["targetUpdateTypeName"] == "Update"
    assert after["name"] == before["name"] and after["createdDate"] == before["createdDate"]
    assert after["modifiedDate"] != before["modifiedDate"]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"queryText": "SELECT SubscriberKey FROM Nowhere"}, 400, 10000),
        ({"queryText": 5}, 400, 10001),
        ({"target": {}}, 500, 0),
        ({"targetKey": "no_such_de"}, 400, 10005),
        ({"name": "  "}, 400, 10002),
        ({"key": ""}, 400, 10002),
    ],
)
def test_patch_rejects_and_leaves_the_query_alone(
    http: httpx.Client,
    sim: Simulator,
    headers: dict[str, str],
    body: dict[str, Any],
    status: int,
    code: int,
) -> None:
    query = _seeded(sim)
    before = http.get(f"{BASE}/{query.object_id}", headers=headers).json()
    response = http.patch(f"{BASE}/{query.object_id}", json=body, headers=headers)
    assert response.status_code == status, response.text
    assert response.json()["errorcode"] == code
    assert http.get(f"{BASE}/{query.object_id}", headers=headers).json() == before


def test_delete_answers_ok_and_forgets_the_query(
    http: httpx.Client, sim: Simulator, headers: dict[str, str]
) -> None:
    query_id = _seeded(sim).object_id
    response = http.delete(f"{BASE}/{query_id}", headers=headers)
    assert response.status_code == 200
    assert response.json() == "OK"
    assert http.get(f"{BASE}/{query_id}", headers=headers).status_code == 404
    assert http.delete(f"{BASE}/{query_id}/", headers=headers).status_code == 404


# ---------------------------------------------------------------- validate
def test_validate_reports_errors_and_the_where_warning(
    http: httpx.Client, headers: dict[str, str]
) -> None:
    url = f"{BASE}/actions/validate/"
    fine = http.post(url, json={"Text": SELECT_ACTIVE}, headers=headers).json()
    assert fine == {"queryValid": True, "errors": [], "warnings": []}
    no_where = http.post(
        url, json={"text": "SELECT SubscriberKey FROM Subscribers -- where"}, headers=headers
    ).json()
    assert no_where["queryValid"] is True
    assert no_where["warnings"] == [{"message": NO_WHERE_WARNING}]
    bad = http.post(
        f"{BASE}/actions/validate",
        json={"Text": "SELECT SubscriberKey FROM Nowhere WHERE 1 = 1"},
        headers=headers,
    ).json()
    assert bad["queryValid"] is False and bad["warnings"] == []
    assert "Nowhere" in bad["errors"][0]["message"]
    with_target = http.post(
        url,
        json={
            "Text": "SELECT EmailAddress FROM Subscribers WHERE OptIn = 1",
            "targetKey": "active_subscribers",
            "targetUpdateTypeId": 0,
        },
        headers=headers,
    ).json()
    assert with_target["queryValid"] is False
    assert "Field 'SubscriberKey' is required" in with_target["errors"][0]["message"]
    unknown = http.post(url, json={"Text": SELECT_ACTIVE, "targetKey": "zz"}, headers=headers)
    assert unknown.json()["queryValid"] is False


@pytest.mark.parametrize(
    ("body", "code"),
    [({}, 10002), ({"Text": 1}, 10001), ({"Text": "x", "targetUpdateTypeId": "y"}, 10001)],
)
def test_validate_rejects_bad_bodies(
    http: httpx.Client, headers: dict[str, str], body: dict[str, Any], code: int
) -> None:
    response = http.post(f"{BASE}/actions/validate", json=body, headers=headers)
    assert response.status_code == 400
    assert response.json()["errorcode"] == code


# -------------------------------------------------------------------- runs
def test_start_runs_and_fills_the_target(
    http: httpx.Client, sim: Simulator, headers: dict[str, str]
) -> None:
    query = _seeded(sim)
    response = http.post(f"{BASE}/{query.object_id}/actions/start/", headers=headers)
    assert response.status_code == 200
    assert response.text == "OK"
    assert not _is_running(http, query.object_id, headers)  # zero durations: done already
    task = sim.queries.last_task(query)
    assert task is not None and task.status == "Complete"
    rowset = http.get(
        "data/v1/customobjectdata/key/active_subscribers/rowset", headers=headers
    ).json()
    subscribers = sim.store.get_de(parent_mid(sim), customer_key="Subscribers")
    assert subscribers is not None
    opted_in = sim.rows.fetch(subscribers, columns=["SubscriberKey"], where='"OptIn"')
    assert rowset["count"] == len(opted_in) > 0
    assert set(rowset["items"][0]["keys"]) == {"subscriberkey"}
    assert http.get(f"{BASE}/{query.object_id}/log", headers=headers).text == ""
    assert sim.stats.get("rest.queries.start") == 1
    assert sim.stats.get("rest.queries.isrunning") == 1


def test_start_with_a_json_body_answers_ok_but_does_not_run(
    http: httpx.Client, sim: Simulator, headers: dict[str, str]
) -> None:
    query = _seeded(sim)
    response = http.post(f"{BASE}/{query.object_id}/actions/start", json={}, headers=headers)
    assert (response.status_code, response.text) == (200, "OK")
    assert sim.queries.last_task(query) is None


def test_log_shows_the_error_of_a_failed_run(
    http: httpx.Client, sim: Simulator, headers: dict[str, str]
) -> None:
    query = _seeded(sim)
    sim.store.delete_de(mid=parent_mid(sim), customer_key="active_subscribers")
    assert http.post(f"{BASE}/{query.object_id}/actions/start", headers=headers).text == "OK"
    assert not _is_running(http, query.object_id, headers)
    log = http.get(f"{BASE}/{query.object_id}/log/", headers=headers)
    assert log.status_code == 200 and "active_subscribers" in log.text


class TestTiming:
    """Runs that take simulated time: Queued 60 s, then Processing 30 s."""

    @pytest.fixture
    def sim(self) -> Iterator[Simulator]:
        simulator = make_sim(query_queue_seconds=60, query_base_seconds=30)
        yield simulator
        simulator.close()

    def test_isrunning_follows_the_clock_and_a_second_start_is_refused(
        self, http: httpx.Client, sim: Simulator, headers: dict[str, str]
    ) -> None:
        query = _seeded(sim)
        start = f"{BASE}/{query.object_id}/actions/start"
        assert http.post(start, headers=headers).status_code == 200
        assert _is_running(http, query.object_id, headers)
        refused = http.post(start, headers=headers)
        assert refused.status_code == 409 and refused.json()["errorcode"] == 30002
        _advance(http, 61)
        assert _is_running(http, query.object_id, headers)  # processing now
        rows = http.get("data/v1/customobjectdata/key/active_subscribers/rowset", headers=headers)
        assert rows.json()["count"] == 0
        _advance(http, 30)
        assert not _is_running(http, query.object_id, headers)
        rows = http.get("data/v1/customobjectdata/key/active_subscribers/rowset", headers=headers)
        assert rows.json()["count"] > 0
        assert http.post(start, headers=headers).status_code == 200
