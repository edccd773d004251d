"""[sim] More child BUs on request (many-BU deployments), and answers lost after the work.

The default seed must not move: every other test and every recorded figure relies on it.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from simulator.state import Simulator

from .conftest import TokenFor, make_sim
from .helpers import bearer


@pytest.fixture
def many() -> Iterator[Simulator]:
    simulator = make_sim(extra_child_bus=10)
    yield simulator
    simulator.close()


def test_the_default_seed_is_unchanged_by_the_option(sim: Simulator) -> None:
    explicit = make_sim(extra_child_bus=0)
    try:
        assert explicit.describe() == sim.describe()
        assert len(sim.store.business_units) == 4
    finally:
        explicit.close()


def test_ten_more_children_are_seeded_like_the_others(sim: Simulator, many: Simulator) -> None:
    parent = many.store.enterprise.eid
    assert parent == sim.store.enterprise.eid
    mids = list(many.store.business_units)
    assert len(mids) == 14
    assert mids[:4] == list(sim.store.business_units)  # the seeded ones first, unchanged
    extra = mids[4:]
    names = [many.store.business_units[m].name for m in extra]
    assert names == [f"{many.store.enterprise.name} Region {n:02d}" for n in range(1, 11)]
    assert all(many.store.business_units[m].parent_mid == parent for m in extra)
    admin = next(u for u in many.store.users.values() if u.username == "ada.admin")
    assert many.store.reachable_mids(admin) == mids
    others = [u for u in many.store.users.values() if u.username != "ada.admin"]
    assert all(not set(extra) & set(u.reachable_mids) for u in others)
    assert set(extra) <= set(many.enhanced_package.mids)
    for mid in extra:
        keys = {de.customer_key for de in many.store.list_des(mid)}
        assert {"Subscribers", "Orders", "active_subscribers"} <= keys
    # Same seed, same extra children: deterministic.
    again = make_sim(extra_child_bus=10)
    try:
        assert again.describe() == many.describe()
    finally:
        again.close()


def test_out_of_range_is_refused() -> None:
    with pytest.raises(ValueError, match="extra_child_bus"):
        make_sim(extra_child_bus=-1)


def test_a_lost_answer_leaves_the_work_done(
    http: httpx.Client, sim: Simulator, token_for: TokenFor
) -> None:
    child = sorted(m for m in sim.store.business_units if m != sim.store.enterprise.eid)[0]
    token = token_for(http, mid=child)["access_token"]
    folders = sim.store.list_folders(child, content_type="queryactivity")
    folder = next(f.id for f in folders if f.name == "Daily")
    added = http.post(
        "__sim/faults",
        json={"operation": "rest.queries.create", "kind": "lose_answer", "mid": child, "times": 1},
    )
    assert added.status_code == 201, added.text
    body = {
        "name": "Lost answer",
        "key": "lost_answer_q",
        "queryText": "SELECT SubscriberKey, EmailAddress FROM Subscribers WHERE OptIn = 1",
        "targetKey": "active_subscribers",
        "categoryId": folder,
    }
    with pytest.raises(httpx.TransportError):
        http.post("automation/v1/queries", json=body, headers=bearer(token))
    made = [q for q in sim.store.list_queries(child) if q.customer_key == "lost_answer_q"]
    assert len(made) == 1  # MCE did the work; only the answer was lost
    again = http.post("automation/v1/queries", json=body, headers=bearer(token))
    assert again.status_code == 409  # the rule was spent: the next answer arrives
