"""The seed's rows, generated once per process (simulator.seed_rows): a simulator built from
the saved rows holds exactly what generating them gives, stamped with its own clock, and no
simulator's writes reach another's rows."""

from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from simulator.model import DataExtension, Field, FieldType
from simulator.rows import ADDED_COLUMN, RowStore, quote_ident
from simulator.seed_rows import clear_seed_rows, load_seed_rows
from simulator.state import Simulator

from .conftest import make_sim
from .helpers import parent_mid

ROWS: list[dict[str, Any]] = [
    {"Key": "a", "Amount": Decimal("1.50"), "At": datetime(2024, 2, 29, 23, 59, 59), "On": True},
    {"Key": 'b, "quoted"\nline', "Amount": None, "At": None, "On": False},
    {"Key": "ünïcode ✓", "Amount": Decimal("-0.01"), "At": datetime(1999, 1, 1), "On": None},
]


def _de(amount_type: FieldType = FieldType.DECIMAL) -> DataExtension:
    fields = [
        Field(object_id="f1", name="Key", field_type=FieldType.TEXT, max_length=50),
        Field(object_id="f2", name="Amount", field_type=amount_type, max_length=18, scale=2),
        Field(object_id="f3", name="At", field_type=FieldType.DATE),
        Field(object_id="f4", name="On", field_type=FieldType.BOOLEAN),
    ]
    return DataExtension(
        object_id="5eed5eed-0000-0000-0000-000000000001", customer_key="k", name="n", mid=1,
        folder_id=1, fields=fields,
    )  # fmt: skip


class _Maker:
    """``make_rows`` that counts its calls."""

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.rows, self.calls = rows, 0

    def __call__(self) -> list[dict[str, Any]]:
        self.calls += 1
        return self.rows


def _stamps(rows: RowStore, de: DataExtension) -> set[datetime]:
    with rows.connection() as con:
        table = quote_ident(rows.table_name(de))
        found = con.execute(f"SELECT DISTINCT {quote_ident(ADDED_COLUMN)} FROM {table}")  # noqa: S608
        return {row[0] for row in found.fetchall()}


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    clear_seed_rows()


def test_rows_are_made_once_and_read_back_value_for_value_with_each_store_s_stamp() -> None:
    de, make = _de(), _Maker(ROWS)
    first_time, second_time = datetime(2025, 1, 1, 8), datetime(2025, 6, 1, 9)
    first, second = RowStore(now=lambda: first_time), RowStore(now=lambda: second_time)
    load_seed_rows(first, de, key="test-rows", make_rows=make)
    load_seed_rows(second, de, key="test-rows", make_rows=make)
    assert make.calls == 1
    expected = [tuple(row[f.name] for f in de.fields) for row in ROWS]
    assert first.fetch(de) == expected
    assert second.fetch(de) == expected  # same values, types and order
    assert _stamps(first, de) == {first_time}
    assert _stamps(second, de) == {second_time}  # retention counts from the copy's time
    first.close()
    second.close()


def test_another_key_other_columns_or_a_cleared_cache_make_the_rows_again() -> None:
    make = _Maker(ROWS)
    stores = [RowStore() for _ in range(4)]
    load_seed_rows(stores[0], _de(), key="one", make_rows=make)
    load_seed_rows(stores[1], _de(), key="two", make_rows=make)
    # Same key, Amount now a Number column: other columns, another file.
    numbers = _Maker([{**row, "Amount": 7} for row in ROWS])
    load_seed_rows(stores[2], _de(FieldType.NUMBER), key="one", make_rows=numbers)
    assert (make.calls, numbers.calls) == (2, 1)
    assert [row[1] for row in stores[2].fetch(_de(FieldType.NUMBER))] == [7, 7, 7]
    clear_seed_rows()
    load_seed_rows(stores[3], _de(), key="one", make_rows=make)
    assert make.calls == 3
    for store in stores:
        store.close()


def test_a_killed_process_s_saved_rows_are_removed_by_the_next_one_to_save() -> None:
    parent = Path(tempfile.gettempdir())
    orphan = Path(tempfile.mkdtemp(prefix="quarry-sim-rows-", dir=parent))
    alive = Path(tempfile.mkdtemp(prefix="quarry-sim-rows-", dir=parent))
    (orphan / "owner.lock").touch()  # its process was killed: nobody holds the lock
    held = os.open(alive / "owner.lock", os.O_CREAT | os.O_RDWR)
    fcntl.flock(held, fcntl.LOCK_EX)  # as a running process holds it
    try:
        store = RowStore()
        load_seed_rows(store, _de(), key="after-a-kill", make_rows=_Maker(ROWS))
        store.close()
        assert not orphan.exists()
        assert alive.exists()
    finally:
        os.close(held)
        shutil.rmtree(orphan, ignore_errors=True)
        shutil.rmtree(alive, ignore_errors=True)


def _all_rows(sim: Simulator) -> dict[tuple[int, str], list[tuple[Any, ...]]]:
    return {
        (mid, de.customer_key): sim.rows.fetch(de)
        for mid in sim.store.business_units
        for de in sim.store.list_des(mid)
    }


def test_a_simulator_from_saved_rows_equals_one_that_generated_them() -> None:
    generated = make_sim(seed=11, extra_child_bus=1)  # the cache is empty: generated
    saved = make_sim(seed=11, extra_child_bus=1)
    rows = _all_rows(generated)
    assert sum(len(r) for r in rows.values()) > 15_000
    assert rows == _all_rows(saved)
    assert rows != _all_rows(make_sim(seed=12, extra_child_bus=1))
    generated.close()
    saved.close()


def test_a_simulator_s_writes_reach_no_other_simulator() -> None:
    before = make_sim()
    writer = make_sim()
    orders = writer.store.get_de(parent_mid(writer), customer_key="Orders")
    subscribers = writer.store.get_de(parent_mid(writer), customer_key="Subscribers")
    assert orders is not None and subscribers is not None
    original = writer.rows.fetch(orders)
    writer.rows.truncate(orders)
    writer.rows.upsert(subscribers, [{"SubscriberKey": "SUB-000000", "EmailAddress": "x@y.z"}])
    after = make_sim()
    for sim in (before, after):
        de = sim.store.get_de(parent_mid(sim), customer_key="Orders")
        subs = sim.store.get_de(parent_mid(sim), customer_key="Subscribers")
        assert de is not None and subs is not None
        assert sim.rows.fetch(de) == original
        first = sim.rows.fetch(subs, columns=["EmailAddress"], where='"SubscriberKey" = ?',
                               params=["SUB-000000"])  # fmt: skip
        assert first != [("x@y.z",)]
        sim.close()
    assert writer.rows.count(orders) == 0
    writer.close()
