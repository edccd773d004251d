"""[sim] per-BU control: fault rules that fire for one BU only, call counts per BU."""

from __future__ import annotations

import httpx

from simulator.state import Simulator

from .conftest import TokenFor
from .helpers import bearer

ROWSET = "data/v1/customobjectdata/key/Orders/rowset"


def _child_mids(sim: Simulator) -> list[int]:
    parent = sim.store.enterprise.eid
    return sorted(mid for mid in sim.store.business_units if mid != parent)


def test_a_rule_with_a_mid_fires_only_for_that_bus_calls(
    http: httpx.Client, sim: Simulator, token_for: TokenFor
) -> None:
    parent = sim.store.enterprise.eid
    child = _child_mids(sim)[0]
    parent_token = token_for(http, mid=parent)["access_token"]
    child_token = token_for(http, mid=child)["access_token"]
    added = http.post(
        "__sim/faults",
        json={"operation": "rest.rowset.get", "kind": "error", "mid": child, "times": 1},
    )
    assert added.status_code == 201 and added.json()["mid"] == child

    assert http.get(ROWSET, headers=bearer(parent_token)).status_code == 200
    assert http.get(ROWSET, headers=bearer(child_token)).status_code == 500
    # ``times`` counted only the child's call: the rule is spent now.
    assert http.get(ROWSET, headers=bearer(child_token)).status_code == 200
    assert http.get("__sim/faults").json()["rules"] == []


def test_a_rule_without_a_mid_fires_for_every_bu(
    http: httpx.Client, sim: Simulator, token_for: TokenFor
) -> None:
    child = _child_mids(sim)[0]
    token = token_for(http, mid=child)["access_token"]
    http.post("__sim/faults", json={"operation": "rest.rowset.get", "kind": "error", "times": 1})
    assert http.get(ROWSET, headers=bearer(token)).status_code == 500


def test_stats_count_calls_per_bu_of_their_token(
    http: httpx.Client, sim: Simulator, token_for: TokenFor
) -> None:
    parent = sim.store.enterprise.eid
    first, second = _child_mids(sim)[:2]
    tokens = {mid: token_for(http, mid=mid)["access_token"] for mid in (parent, first)}
    http.delete("__sim/stats")
    http.get(ROWSET, headers=bearer(tokens[parent]))
    for _ in range(3):
        http.get(ROWSET, headers=bearer(tokens[first]))
    http.get(ROWSET, headers=bearer("not-a-token-we-issued"))
    stats = http.get("__sim/stats").json()
    assert stats["operations"] == {"rest.rowset.get": 5}
    assert stats["by_mid"] == {
        str(parent): {"rest.rowset.get": 1},
        str(first): {"rest.rowset.get": 3},
    }
    assert str(second) not in stats["by_mid"]


def test_a_mid_must_be_a_positive_integer(http: httpx.Client) -> None:
    for bad in ("12", 0, -3, True):
        response = http.post(
            "__sim/faults", json={"operation": "rest.*", "kind": "error", "mid": bad}
        )
        assert response.status_code == 400, bad
