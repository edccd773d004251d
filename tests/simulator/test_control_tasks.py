"""The /__sim/tasks control API over real HTTP: planned and forced exact completion times,
task listings (how many times MCE ran a definition), and AsyncActivityStatus refusing IN."""

from __future__ import annotations

import time

from tests.simulator.soap_helpers import NS, SoapReply, simple
from tests.simulator.test_soap_queries import OPTED_IN, Served, served, start, status_of

__all__ = ["served"]


def _status(client: object, task_id: str) -> str:
    return status_of(client, task_id)["Status"]  # type: ignore[arg-type]


def test_a_planned_duration_is_the_exact_completion_time(served: Served) -> None:
    _sim, client = served(with_rows=False, query_queue_seconds=60, query_base_seconds=60)
    planned = client.http.post("/__sim/tasks/plan", json={"seconds": [0.3]})
    assert planned.json() == {"planned": [0.3]}
    _, task_id = start(client, OPTED_IN)
    _, later_id = start(client, OPTED_IN.replace("= 1", "= 0"))
    assert _status(client, task_id) in ("Queued", "Processing")
    time.sleep(0.4)
    assert _status(client, task_id) == "Complete"
    task = client.http.get(f"/__sim/tasks/{task_id}").json()
    assert task["completed_at"] == task["requested_at"] + 0.3
    assert task["completed_at"] < time.time()
    later = client.http.get(f"/__sim/tasks/{later_id}").json()
    assert later["status"] in ("Queued", "Processing")  # the plan was used up: 60 s + 60 s
    assert later["completed_at"] is None


def test_a_planned_error_ends_the_run_in_error_with_that_message(served: Served) -> None:
    _sim, client = served(with_rows=False)
    message = "Violation of PRIMARY KEY constraint 'PK_x'. Cannot insert duplicate key."
    planned = client.http.post(
        "/__sim/tasks/plan", json={"seconds": [0, 0], "errors": [message, None]}
    )
    assert planned.json() == {"planned": [0, 0]}
    _, failed = start(client, OPTED_IN)
    _, ran = start(client, OPTED_IN.replace("= 1", "= 0"))
    reported = status_of(client, failed)
    assert (reported["Status"], reported["ErrorMsg"]) == ("Error", message)
    assert client.http.get(f"/__sim/tasks/{failed}").json()["rows_written"] == 0
    assert _status(client, ran) == "Complete"  # the next planned run ran its SQL


def test_finish_in_forces_a_running_task_to_end_exactly_then(served: Served) -> None:
    _sim, client = served(with_rows=False, query_queue_seconds=600, query_base_seconds=600)
    _, task_id = start(client, OPTED_IN)
    before = time.time()
    answer = client.http.post(f"/__sim/tasks/{task_id}/finish", json={"in_seconds": 0.2})
    assert answer.status_code == 200
    finishes_at = answer.json()["finishes_at"]
    assert before + 0.2 <= finishes_at <= time.time() + 0.2
    assert _status(client, task_id) in ("Queued", "Processing")
    time.sleep(0.3)
    assert _status(client, task_id) == "Complete"
    assert client.http.get(f"/__sim/tasks/{task_id}").json()["completed_at"] == finishes_at
    again = client.http.post(f"/__sim/tasks/{task_id}/finish", json={"in_seconds": 1})
    assert again.status_code == 409


def test_tasks_list_per_definition(served: Served) -> None:
    _sim, client = served(with_rows=False)
    object_id, first = start(client, OPTED_IN)
    _status(client, first)
    _other, _ = start(client, OPTED_IN)
    listed = client.http.get("/__sim/tasks", params={"query": object_id}).json()["tasks"]
    assert [t["task_id"] for t in listed] == [first]
    assert listed[0]["status"] == "Complete"
    assert len(client.http.get("/__sim/tasks").json()["tasks"]) == 2


def test_bad_control_input_is_refused(served: Served) -> None:
    _sim, client = served(with_rows=False)
    assert client.http.post("/__sim/tasks/plan", json={"seconds": [-1]}).status_code == 400
    assert client.http.post("/__sim/tasks/plan", json={"seconds": "1"}).status_code == 400
    too_long = client.http.post("/__sim/tasks/plan", json={"seconds": [7 * 3600]})
    assert too_long.status_code == 400
    assert client.http.post("/__sim/tasks/plan", content=b"[1]").status_code == 400
    for errors in (["x", None], "x", [""], [7]):
        bad = client.http.post("/__sim/tasks/plan", json={"seconds": [1], "errors": errors})
        assert bad.status_code == 400
    missing = client.http.post("/__sim/tasks/nope/finish", json={"in_seconds": 1})
    assert missing.status_code == 404
    assert client.http.get("/__sim/tasks/nope").status_code == 404
    flag = client.http.post("/__sim/tasks/status-filter", json={"equals_only": "yes"})
    assert flag.status_code == 400


def _task_ids(reply: SoapReply) -> list[str]:
    path = "p:Properties/p:Property[p:Name='TaskID']/p:Value"
    return sorted(v.text or "" for r in reply.results for v in r.xpath(path, namespaces=NS))


def _in_filter(*task_ids: str) -> str:
    return simple("TaskID", "IN", *task_ids)


def test_status_by_in_then_refused_when_equals_only(served: Served) -> None:
    sim, client = served(with_rows=False)
    _, first = start(client, OPTED_IN)
    _, second = start(client, OPTED_IN)
    batched = client.retrieve(
        "AsyncActivityStatus", ["TaskID", "Status"], filter_xml=_in_filter(first, second)
    )
    assert batched.overall_status == "OK", batched.text
    assert _task_ids(batched) == sorted([first, second])

    switched = client.http.post("/__sim/tasks/status-filter", json={"equals_only": True})
    assert switched.json() == {"equals_only": True}
    refused = client.retrieve(
        "AsyncActivityStatus", ["TaskID", "Status"], filter_xml=_in_filter(first, second)
    )
    assert refused.overall_status.startswith("Error: "), refused.text
    assert "IN" in refused.overall_status
    assert refused.results == []
    assert _status(client, first) == "Complete"  # equals still works

    client.http.post("/__sim/reset")
    assert client.http.get("/__sim/tasks").json() == {"tasks": []}
    assert sim.queries.status_filter_equals_only is False
