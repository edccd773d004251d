"""``NOT LIKE`` keeps its NOT (sqlglot reads it as a LIKE with ``negate``; the simulator once
dropped it, so ``NOT LIKE 'x%'`` matched what ``LIKE 'x%'`` matches)."""

from __future__ import annotations

from typing import Any

import pytest

from simulator.sql import QueryCatalog
from simulator.state import Simulator
from tests.simulator.test_sql_functions import evaluate
from tests.simulator.test_sql_support import catalog_for, module_sim

sim = pytest.fixture(scope="module", name="sim")(module_sim)


@pytest.fixture(scope="module")
def catalog(sim: Simulator) -> QueryCatalog:
    return catalog_for(sim)


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("CASE WHEN 'Abc' NOT LIKE 'a%' THEN 1 ELSE 0 END", 0),
        ("CASE WHEN 'xbc' NOT LIKE 'a%' THEN 1 ELSE 0 END", 1),
        ("CASE WHEN 'b1' NOT LIKE '[a-c][0-9]' THEN 1 ELSE 0 END", 0),
        ("CASE WHEN 'd1' NOT LIKE '[a-c]%' THEN 1 ELSE 0 END", 1),
        ("CASE WHEN NOT 'Abc' LIKE 'a%' THEN 1 ELSE 0 END", 0),
        ("CASE WHEN 'Abc' LIKE 'a%' THEN 1 ELSE 0 END", 1),
    ],
)
def test_not_like_negates(
    sim: Simulator, catalog: QueryCatalog, expression: str, expected: Any
) -> None:
    assert evaluate(sim, catalog, expression) == expected
