"""Seed determinism and shape; large scale counts (slow)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from simulator.model import FieldType
from simulator.state import Simulator, SimulatorConfig

from .helpers import bu_named


def _describe(*args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "simulator", "describe", *args],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return result.stdout


def test_describe_is_deterministic_per_seed() -> None:
    first, second, other = (
        _describe("--seed", "7"),
        _describe("--seed", "7"),
        _describe("--seed", "8"),
    )
    assert first == second
    assert first != other
    assert first.count("\n") == 1  # one JSON line
    body = json.loads(first)
    assert {
        "base_url",
        "client_id",
        "client_secret",
        "legacy_jwt_signing_secret",
        "enterprise_id",
    } <= set(body)
    assert body["base_url"] == "http://127.0.0.1:8900/"
    assert len(body["business_units"]) == 4
    assert all({"id", "username", "business_units"} <= set(u) for u in body["users"])


def test_rows_and_ids_are_identical_for_the_same_seed() -> None:
    a, b = Simulator(SimulatorConfig(seed=3)), Simulator(SimulatorConfig(seed=3))
    for mid in a.store.business_units:
        des_a, des_b = a.store.list_des(mid), b.store.list_des(mid)
        assert [(d.object_id, d.customer_key) for d in des_a] == [
            (d.object_id, d.customer_key) for d in des_b
        ]
        for de_a, de_b in zip(des_a, des_b, strict=True):
            assert a.rows.fetch(de_a) == b.rows.fetch(de_b)
    a.close()
    b.close()


def test_seed_shape(sim: Simulator) -> None:
    store = sim.store
    parent = store.business_units[store.enterprise.eid]
    assert parent.parent_mid is None
    children = store.children_of(parent.mid)
    assert len(children) >= 2
    access = {u.username: set(store.reachable_mids(u)) for u in store.users.values()}
    assert len({frozenset(v) for v in access.values()}) == len(access)  # all different
    for bu in store.business_units.values():
        roots = {f.content_type for f in store.list_folders(bu.mid) if f.parent_id == 0}
        assert {"dataextension", "queryactivity"} <= roots
        assert all(not f.is_editable for f in store.list_folders(bu.mid) if f.parent_id == 0)
    assert store.root_folder(parent.mid, "shared_data") is not None
    subscribers = store.get_de(parent.mid, customer_key="Subscribers")
    assert subscribers is not None and subscribers.is_sendable
    assert subscribers.sendable_subscriber_field == "_SubscriberKey"
    all_types = store.get_de(parent.mid, customer_key="all_types")
    assert all_types is not None
    assert {f.field_type for f in all_types.fields} == set(FieldType)
    spaced = store.get_de(parent.mid, name="Web Events 2024")
    assert spaced is not None and " " in spaced.name
    shared = [d for d in store.list_des(parent.mid) if d.is_shared]
    assert len(shared) == 2
    eu = bu_named(sim, "EU")
    assert {d.customer_key for d in shared} <= {d.customer_key for d in store.visible_des(eu.mid)}
    assert sim.rows.count(store.get_de(parent.mid, customer_key="Orders")) == 6000  # type: ignore[arg-type]
    assert store.list_queries(parent.mid)[0].target_key == "active_subscribers"


@pytest.mark.slow
def test_large_scale_counts() -> None:
    sim = Simulator(SimulatorConfig(scale="large"))
    parent = sim.store.enterprise.eid
    counts = sim.store.counts([parent])
    assert counts["data_extensions"] >= 10_000
    assert counts["fields"] >= 150_000
    bulk = sim.store.get_de(parent, customer_key="bulk_09999")
    assert bulk is not None and len(bulk.fields) == 15
    assert sim.rows.count(bulk) == 0  # metadata only
    sim.close()
