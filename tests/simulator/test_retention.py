"""DE data retention over HTTP: rows and DEs expire as their settings say, driven by the
simulator clock (advanced through the control API), and read back through the rowset endpoint."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx
import pytest

from simulator.model import RetentionUnit
from simulator.retention import add_period
from simulator.state import Simulator
from simulator.store import FieldSpec
from tests.simulator.helpers import bearer, parent_mid

DAY = 86_400
_names = itertools.count()


def make_de(sim: Simulator, **retention: Any) -> str:
    key = f"retention_{next(_names)}"
    sim.store.create_de(
        mid=parent_mid(sim),
        name=key,
        customer_key=key,
        fields=[FieldSpec("Id", "Number", is_primary_key=True), FieldSpec("Note", "Text", 50)],
        **retention,
    )
    return key


def insert(sim: Simulator, key: str, ids: range) -> None:
    de = sim.store.get_de(parent_mid(sim), customer_key=key)
    assert de is not None
    sim.rows.insert(de, [{"Id": i, "Note": f"n{i}"} for i in ids])


def advance(http: httpx.Client, seconds: float) -> None:
    assert http.post("__sim/clock/advance", json={"seconds": seconds}).status_code == 200


def count(http: httpx.Client, token: Callable[[], str], key: str) -> int | None:
    """Rows the rowset endpoint reports, or ``None`` when the DE is gone (404).

    A fresh token per read: the clock moves by days between reads.
    """
    response = http.get(f"data/v1/customobjectdata/key/{key}/rowset", headers=bearer(token()))
    if response.status_code == 404:
        return None
    assert response.status_code == 200, response.text
    total: int = response.json()["count"]
    return total


@pytest.fixture
def token(http: httpx.Client, s2s_token: Any) -> Callable[[], str]:
    def fresh() -> str:
        access: str = s2s_token(http)["access_token"]
        return access

    return fresh


def test_row_based_retention_deletes_each_row_when_it_is_old_enough(
    sim: Simulator, http: httpx.Client, token: Callable[[], str]
) -> None:
    key = make_de(
        sim, data_retention_period_length=2, data_retention_period="Days", row_based_retention=True
    )
    insert(sim, key, range(3))
    advance(http, DAY)
    insert(sim, key, range(3, 5))
    assert count(http, token, key) == 5
    advance(http, DAY + 60)
    assert count(http, token, key) == 2  # the first three are two days old
    advance(http, DAY)
    assert count(http, token, key) == 0


def test_period_without_row_retention_empties_the_de_at_the_end(
    sim: Simulator, http: httpx.Client, token: Callable[[], str]
) -> None:
    key = make_de(sim, data_retention_period_length=1, data_retention_period="Weeks")
    insert(sim, key, range(4))
    advance(http, 6 * DAY)
    assert count(http, token, key) == 4
    advance(http, DAY + 60)
    assert count(http, token, key) == 0
    assert sim.store.get_de(parent_mid(sim), customer_key=key) is not None


def test_delete_at_end_of_retention_removes_the_de(
    sim: Simulator, http: httpx.Client, token: Callable[[], str]
) -> None:
    key = make_de(
        sim,
        data_retention_period_length=1,
        data_retention_period="Days",
        delete_at_end_of_retention_period=True,
    )
    insert(sim, key, range(2))
    advance(http, DAY - 120)
    assert count(http, token, key) == 2
    advance(http, 180)
    assert count(http, token, key) is None
    assert sim.store.get_de(parent_mid(sim), customer_key=key) is None


def test_reset_on_import_restarts_the_period(
    sim: Simulator, http: httpx.Client, token: Callable[[], str]
) -> None:
    key = make_de(
        sim,
        data_retention_period_length=2,
        data_retention_period="Days",
        reset_retention_period_on_import=True,
    )
    insert(sim, key, range(2))
    advance(http, DAY + 3600)
    insert(sim, key, range(2, 4))  # an import a day later: the period starts again
    advance(http, DAY)
    assert count(http, token, key) == 4
    advance(http, DAY)
    assert count(http, token, key) == 0


def test_retain_until_expires_rows_at_that_date(
    sim: Simulator, http: httpx.Client, token: Callable[[], str]
) -> None:
    until = sim.clock.server_now().replace(microsecond=0)
    key = make_de(sim, retain_until=add_period(until, 3, RetentionUnit.DAYS))
    insert(sim, key, range(3))
    advance(http, 2 * DAY)
    assert count(http, token, key) == 3
    advance(http, DAY + 120)
    assert count(http, token, key) == 0


def test_des_without_retention_keep_their_rows(
    sim: Simulator, http: httpx.Client, token: Callable[[], str]
) -> None:
    key = make_de(sim)
    insert(sim, key, range(3))
    advance(http, 800 * DAY)
    assert count(http, token, key) == 3
    assert count(http, token, "subscribers") == 1500


@pytest.mark.parametrize(
    ("start", "length", "unit", "expected"),
    [
        (datetime(2024, 1, 31), 1, RetentionUnit.MONTHS, datetime(2024, 2, 29)),
        (datetime(2024, 2, 29), 1, RetentionUnit.YEARS, datetime(2025, 2, 28)),
        (datetime(2024, 3, 31), -1, RetentionUnit.MONTHS, datetime(2024, 2, 29)),
        (datetime(2024, 1, 1), 2, RetentionUnit.WEEKS, datetime(2024, 1, 15)),
        (datetime(2024, 12, 15), 1, RetentionUnit.MONTHS, datetime(2025, 1, 15)),
    ],
)
def test_calendar_periods(
    start: datetime, length: int, unit: RetentionUnit, expected: datetime
) -> None:
    assert add_period(start, length, unit) == expected
