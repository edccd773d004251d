"""A run racing other threads: the app ticks in a worker thread while SOAP/REST and the
control API act in others. A run sees one consistent target from start to end."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import simulator.sql
from simulator.state import FieldSpec, Simulator
from tests.simulator.conftest import make_sim
from tests.simulator.test_sql_support import us_mid


@pytest.fixture
def sim() -> Iterator[Simulator]:
    simulator = make_sim(query_queue_seconds=0, query_base_seconds=1)
    yield simulator
    simulator.close()


def _race(monkeypatch: pytest.MonkeyPatch, action: Callable[[], None]) -> list[threading.Thread]:
    """Run ``action`` in another thread just before the result is written."""
    real = simulator.sql.write_result
    threads: list[threading.Thread] = []

    def racing(*args: Any, **kwargs: Any) -> int:
        thread = threading.Thread(target=action)
        thread.start()
        threads.append(thread)
        time.sleep(0.3)
        return real(*args, **kwargs)

    monkeypatch.setattr(simulator.sql, "write_result", racing)
    return threads


def _start(sim: Simulator) -> tuple[Any, Any]:
    mid = us_mid(sim)
    target = sim.store.create_de(
        mid=mid,
        name="Race Target",
        customer_key="race_target",
        fields=[FieldSpec(name="SubscriberKey", field_type="Text", max_length=254)],
    )
    query = sim.queries.create(
        mid=mid,
        name="Race",
        query_text="SELECT SubscriberKey FROM Subscribers",
        target_key=target.customer_key,
    )
    return target, sim.queries.start(query)


def test_deleting_the_target_waits_for_the_run(
    sim: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    target, task = _start(sim)
    mid = target.mid
    threads = _race(monkeypatch, lambda: sim.store.delete_de(mid=mid, customer_key="race_target"))
    sim.clock.advance(5)
    sim.tick()
    for thread in threads:
        thread.join(5)
    assert task.status == "Complete"
    assert sim.store.get_de(mid, customer_key="race_target") is None
    assert not sim.rows.has_table(target), "the run left an orphan table behind"


def test_a_reset_during_a_run_waits_for_it(sim: Simulator, monkeypatch: pytest.MonkeyPatch) -> None:
    _, task = _start(sim)
    threads = _race(monkeypatch, sim.reset)
    sim.clock.advance(5)
    sim.tick()  # must not fail on a connection closed under it
    for thread in threads:
        thread.join(5)
    assert task.status == "Complete"
    assert sim.queries.tasks == {}


def test_polling_while_tasks_are_added_never_breaks(sim: Simulator) -> None:
    """``has_due``/``is_running`` iterate the tasks while other threads start runs."""
    _, first = _start(sim)
    query = sim.store.get_query(first.mid, object_id=first.query_object_id)
    assert query is not None
    failures: list[BaseException] = []
    stop = threading.Event()

    def poll() -> None:
        while not stop.is_set():
            try:
                sim.queries.has_due()
                sim.queries.last_task(query)
            except RuntimeError as exc:  # dictionary changed size during iteration
                failures.append(exc)
                return

    poller = threading.Thread(target=poll)
    poller.start()
    try:
        for round_ in range(3000):
            for i in range(20):  # what start() does, many times over
                sim.queries.tasks[f"extra-{round_}-{i}"] = first
            for i in range(20):
                del sim.queries.tasks[f"extra-{round_}-{i}"]
    finally:
        stop.set()
        poller.join(5)
    assert failures == []
