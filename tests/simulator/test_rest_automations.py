"""``/automation/v1/automations`` over HTTP: shapes, errors and runs of query steps."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from simulator.automations import AutomationStatus
from simulator.model import QueryDefinition
from simulator.state import Simulator

from .conftest import TokenFor, make_sim
from .helpers import bearer, bu_named, parent_mid

BASE = "automation/v1/automations"
DETAIL_KEYS = {
    "id",
    "legacyId",
    "name",
    "description",
    "key",
    "categoryId",
    "statusId",
    "status",
    "lastRunTime",
    "lastRunInstanceId",
    "steps",
}
SUMMARY_KEYS = {
    "id",
    "key",
    "name",
    "description",
    "status",
    "statusId",
    "lastRunTime",
    "lastRunInstanceId",
    "type",
    "fileTrigger",
    "categoryId",
}
ACTIVITY_KEYS = {"id", "name", "activityObjectId", "objectTypeId", "displayOrder"}
SCHEDULE = {
    "scheduleTypeId": 1,
    "startDate": "2020-05-13T18:30:32.11-06:00",
    "endDate": "2079-06-06T21:00:00-06:00",
    "rangeTypeId": 1,
    "occurrences": 6213054,
    "icalRecur": "FREQ=MINUTELY;UNTIL=20790607T050000;INTERVAL=5",
    "timezoneId": 5,
    "statusId": 0,
}


@pytest.fixture
def headers(http: httpx.Client, token_for: TokenFor) -> dict[str, str]:
    return bearer(token_for(http)["access_token"])


def _refresh(sim: Simulator, mid: int | None = None) -> QueryDefinition:
    """The seeded query: opted-in Subscribers → Active Subscribers (Overwrite)."""
    query = sim.store.get_query(mid or parent_mid(sim), customer_key="refresh_active_subscribers")
    assert query is not None
    return query


def _count_active(sim: Simulator) -> QueryDefinition:
    """Reads what :func:`_refresh` writes: one row whose Id is its row count."""
    return sim.store.create_query(
        mid=parent_mid(sim),
        name="Count active",
        customer_key="count_active",
        query_text="SELECT COUNT(*) AS Id, 'count' AS Note FROM [Active Subscribers]",
        target_key="empty_staging",
    )


def _broken(sim: Simulator) -> QueryDefinition:
    """Saved without validation (as a table dropped later would leave it): fails at run."""
    return sim.store.create_query(
        mid=parent_mid(sim),
        name="Broken",
        customer_key="broken",
        query_text="SELECT 1 AS Id FROM Table_That_Does_Not_Exist",
        target_key="empty_staging",
    )


def _activity(query: QueryDefinition, **extra: Any) -> dict[str, Any]:
    return {"activityObjectId": query.object_id, "objectTypeId": 300, **extra}


def _body(*steps: list[dict[str, Any]], **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "Nightly",
        "key": "nightly",
        "description": "two steps",
        "categoryId": 290937,
        "steps": [{"activities": activities} for activities in steps],
    }
    body.update(overrides)
    return body


def _create(http: httpx.Client, headers: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    response = http.post(BASE, json=body, headers=headers)
    assert response.status_code == 200, response.text
    created: dict[str, Any] = response.json()
    return created


def _advance(http: httpx.Client, seconds: float) -> None:
    assert http.post("__sim/clock/advance", json={"seconds": seconds}).status_code == 200


def _staging_ids(http: httpx.Client, headers: dict[str, str]) -> list[str]:
    rowset = http.get("data/v1/customobjectdata/key/empty_staging/rowset", headers=headers).json()
    return [item["keys"]["id"] for item in rowset.get("items", [])]


# ------------------------------------------------------------- definitions
def test_create_has_the_recorded_shape(
    http: httpx.Client, sim: Simulator, headers: dict[str, str]
) -> None:
    refresh, count = _refresh(sim), _count_active(sim)
    created = _create(http, headers, _body([_activity(refresh)], [_activity(count, name="n")]))
    assert set(created) == DETAIL_KEYS
    assert (created["name"], created["key"], created["description"]) == (
        "Nightly",
        "nightly",
        "two steps",
    )
    assert created["categoryId"] == 290937
    assert (created["statusId"], created["status"]) == (2, "Ready")
    assert created["lastRunTime"] is None and created["lastRunInstanceId"] is None
    assert [s["step"] for s in created["steps"]] == [1, 2]
    first, second = (s["activities"][0] for s in created["steps"])
    assert set(first) == ACTIVITY_KEYS
    assert first["activityObjectId"] == refresh.object_id and first["objectTypeId"] == 300
    assert (first["name"], first["displayOrder"]) == ("Refresh Active Subscribers", 1)
    assert second["name"] == "n"
    fetched = http.get(f"{BASE}/{created['id']}/", headers=headers)
    assert fetched.json() == created
    assert sim.stats.get("rest.automations.create") == 1


def test_api_created_schedules_start_paused(
    http: httpx.Client, sim: Simulator, headers: dict[str, str]
) -> None:
    body = _body([_activity(_refresh(sim))], startSource={"typeId": 1, "schedule": SCHEDULE})
    created = _create(http, headers, body)
    assert (created["statusId"], created["status"]) == (4, "Paused")
    assert created["startSource"] == {"typeId": 1, "schedule": SCHEDULE}
    listed = http.get(BASE, headers=headers).json()
    assert listed["items"][0]["type"] == "scheduled"


@pytest.mark.parametrize(
    ("mutate", "status", "code"),
    [
        (lambda b: b["steps"][0]["activities"][0].update(objectTypeId=43), 400, 10005),
        (lambda b: b["steps"][0]["activities"][0].update(activityObjectId="nope"), 400, 10005),
        (lambda b: b["steps"][0]["activities"][0].pop("objectTypeId"), 400, 10002),
        (lambda b: b["steps"][0]["activities"][0].update(objectTypeId="x"), 400, 10001),
        (lambda b: b["steps"][0].update(activities={}), 400, 10001),
        (lambda b: b["steps"].append("step"), 400, 10001),
        (lambda b: b.update(steps={}), 400, 10001),
        (lambda b: b.update(startSource=[]), 400, 10001),
        (lambda b: b.update(startSource={"schedule": "daily"}), 400, 10001),
        (lambda b: b.update(name=None), 400, 10002),
        (lambda b: b.update(name=7), 400, 10001),
        (lambda b: b.update(categoryId="c"), 400, 10001),
    ],
)
def test_create_rejects_bad_bodies(
    http: httpx.Client,
    sim: Simulator,
    headers: dict[str, str],
    mutate: Any,
    status: int,
    code: int,
) -> None:
    body = _body([_activity(_refresh(sim))])
    mutate(body)
    response = http.post(BASE, json=body, headers=headers)
    assert response.status_code == status, response.text
    assert response.json()["errorcode"] == code
    assert http.get(BASE, headers=headers).json()["count"] == 0


def test_create_refuses_another_bu_query_and_duplicates(
    http: httpx.Client, sim: Simulator, headers: dict[str, str]
) -> None:
    eu_query = _refresh(sim, bu_named(sim, "EU").mid)
    response = http.post(BASE, json=_body([_activity(eu_query)]), headers=headers)
    assert response.status_code == 400 and eu_query.object_id in response.json()["message"]
    _create(http, headers, _body([_activity(_refresh(sim))]))
    again = http.post(BASE, json=_body([], key="other"), headers=headers)
    assert again.status_code == 409 and again.json()["errorcode"] == 30004
    raw = http.post(BASE, content=b"{", headers={**headers, "Content-Type": "application/json"})
    assert raw.status_code == 400 and raw.json()["errorcode"] == 10004


def test_list_pages_filters_and_stays_in_the_bu(
    http: httpx.Client, sim: Simulator, headers: dict[str, str], token_for: TokenFor
) -> None:
    for n in range(27):
        _create(http, headers, _body([], name=f"Auto {n:02d}", key=f"auto_{n:02d}"))
    first = http.get(BASE, headers=headers).json()
    assert (first["count"], first["page"], first["pageSize"], len(first["items"])) == (
        27,
        1,
        25,
        25,
    )
    assert set(first["items"][0]) == SUMMARY_KEYS
    assert first["items"][0]["type"] == "unscheduled"
    second = http.get(f"{BASE}/", params={"$page": 2, "$pageSize": 25}, headers=headers).json()
    assert [i["key"] for i in second["items"]] == ["auto_25", "auto_26"]
    filtered = http.get(BASE, params={"$filter": "name eq 'AUTO 03'"}, headers=headers).json()
    assert [i["key"] for i in filtered["items"]] == ["auto_03"]
    assert http.get(BASE, params={"$pageSize": "-1"}, headers=headers).status_code == 400
    eu = bearer(token_for(http, mid=bu_named(sim, "EU").mid)["access_token"])
    assert http.get(BASE, headers=eu).json()["count"] == 0
    missing = http.get(f"{BASE}/{first['items'][0]['id']}", headers=eu)
    assert missing.status_code == 404 and missing.json()["errorcode"] == 30003


def test_patch_changes_what_is_sent(
    http: httpx.Client, sim: Simulator, headers: dict[str, str]
) -> None:
    created = _create(http, headers, _body([_activity(_refresh(sim))]))
    count = _count_active(sim)
    response = http.patch(
        f"{BASE}/{created['id']}",
        json={
            "name": "Renamed",
            "steps": [{"activities": [_activity(count)]}],
            "startSource": {"typeId": 1, "schedule": SCHEDULE},
        },
        headers=headers,
    )
    assert response.status_code == 200, response.text
    patched = response.json()
    assert patched["name"] == "Renamed" and patched["key"] == "nightly"
    assert patched["steps"][0]["activities"][0]["activityObjectId"] == count.object_id
    assert patched["statusId"] == 4
    bad = http.patch(f"{BASE}/{created['id']}/", json={"steps": [{}, 1]}, headers=headers)
    assert bad.status_code == 400
    unknown = http.patch(f"{BASE}/{created['id']}x", json={}, headers=headers)
    assert unknown.status_code == 404


def test_auth_and_scopes(
    http: httpx.Client, sim: Simulator, headers: dict[str, str], token_for: TokenFor
) -> None:
    created = _create(http, headers, _body([_activity(_refresh(sim))]))
    run = f"{BASE}/{created['id']}/actions/runallonce"
    assert http.get(BASE).status_code == 401
    read_only = bearer(token_for(http, scope="automations_read")["access_token"])
    assert http.get(f"{BASE}/{created['id']}", headers=read_only).status_code == 200
    assert http.post(BASE, json=_body([]), headers=read_only).status_code == 403
    assert http.post(run, headers=read_only).status_code == 403
    runner = bearer(token_for(http, scope="automations_execute")["access_token"])
    assert http.patch(f"{BASE}/{created['id']}", json={}, headers=runner).status_code == 403
    assert http.post(run, headers=runner).status_code == 200


# -------------------------------------------------------------------- runs
def test_run_once_with_zero_durations_completes_every_step(
    http: httpx.Client, sim: Simulator, headers: dict[str, str]
) -> None:
    created = _create(
        http, headers, _body([_activity(_refresh(sim))], [_activity(_count_active(sim))])
    )
    response = http.post(f"{BASE}/{created['id']}/actions/runallonce/", headers=headers)
    assert response.status_code == 200, response.text
    started = response.json()
    assert started["statusId"] == 3 and started["lastRunInstanceId"]
    assert started["lastRunTime"] is not None
    done = http.get(f"{BASE}/{created['id']}", headers=headers).json()
    assert (done["statusId"], done["lastRunInstanceId"]) == (2, started["lastRunInstanceId"])
    active = http.get(
        "data/v1/customobjectdata/key/active_subscribers/rowset", headers=headers
    ).json()
    assert _staging_ids(http, headers) == [str(active["count"])]
    assert sim.stats.get("rest.automations.start") == 1


def test_a_failed_step_stops_the_run(
    http: httpx.Client, sim: Simulator, headers: dict[str, str]
) -> None:
    refresh = _refresh(sim)
    created = _create(http, headers, _body([_activity(_broken(sim))], [_activity(refresh)]))
    assert http.post(f"{BASE}/{created['id']}/actions/runallonce", headers=headers).is_success
    failed = http.get(f"{BASE}/{created['id']}", headers=headers).json()
    assert (failed["statusId"], failed["status"]) == (-1, "Error")
    assert sim.queries.last_task(refresh) is None  # step 2 never started
    automation = sim.automations.get(parent_mid(sim), object_id=created["id"])
    assert automation is not None and automation.runs[-1].status == "Error"
    assert "Table_That_Does_Not_Exist" in automation.runs[-1].error_message


class TestTiming:
    """Each query is Processing 10 s: step 2 starts only when step 1 is complete."""

    @pytest.fixture
    def sim(self) -> Iterator[Simulator]:
        simulator = make_sim(query_base_seconds=10)
        yield simulator
        simulator.close()

    def test_steps_run_in_order(
        self, http: httpx.Client, sim: Simulator, headers: dict[str, str]
    ) -> None:
        refresh, count = _refresh(sim), _count_active(sim)
        created = _create(http, headers, _body([_activity(refresh)], [_activity(count)]))
        run = f"{BASE}/{created['id']}/actions/runallonce"
        assert http.post(run, headers=headers).json()["statusId"] == 3
        assert sim.queries.is_running(refresh) and sim.queries.last_task(count) is None
        refused = http.post(run, headers=headers)
        assert refused.status_code == 409 and refused.json()["errorcode"] == 30002
        _advance(http, 11)
        detail = http.get(f"{BASE}/{created['id']}", headers=headers).json()
        assert detail["statusId"] == 3
        assert not sim.queries.is_running(refresh) and sim.queries.is_running(count)
        assert _staging_ids(http, headers) == []
        _advance(http, 11)
        detail = http.get(f"{BASE}/{created['id']}", headers=headers).json()
        assert detail["statusId"] == int(AutomationStatus.READY)
        active = sim.store.get_de(parent_mid(sim), customer_key="active_subscribers")
        assert active is not None
        assert _staging_ids(http, headers) == [str(sim.rows.count(active))]

    def test_start_is_callable_for_soap_perform(self, sim: Simulator) -> None:
        automation = sim.automations.create(
            mid=parent_mid(sim), name="Direct", steps=[[]], customer_key="direct"
        )
        run = sim.automations.start(automation)
        assert automation.last_run_instance_id == run.instance_id
        sim.tick()
        assert run.status == "Complete"
        assert automation.status_id == AutomationStatus.READY
