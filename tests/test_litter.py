"""The session's MCE litter check (tests/litter.py) on real simulators: it counts what
Quarry's naming function made, adds tests up per BU as one MCE would hold them, and names
the tests that leave more than the pool."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from services.metadata.assets import QuarryAssetKind, quarry_asset_name
from simulator.state import Simulator
from simulator.store_rules import FieldSpec
from tests.litter import LitterLedger, quarry_assets
from tests.simulator.conftest import make_sim


@pytest.fixture
def sims() -> Iterator[list[Simulator]]:
    made = [make_sim(with_rows=False) for _ in range(3)]
    yield made
    for sim in made:
        sim.close()


def _shells(sim: Simulator, mid: int, tokens: list[str]) -> None:
    """Shell pairs as the runs engine names them, plus a user's DE that is not ours."""
    for token in tokens:
        de_key = quarry_asset_name(QuarryAssetKind.SHELL_DE, token)
        sim.store.create_de(mid=mid, name=de_key, customer_key=de_key, fields=[FieldSpec(name="X")])
        qd_key = quarry_asset_name(QuarryAssetKind.SHELL_QD, token)
        sim.store.create_query(
            mid=mid, name=qd_key, customer_key=qd_key, query_text="SELECT 'a' AS X",
            target_key=de_key,
        )  # fmt: skip
    if not sim.store.get_de(mid, customer_key="Mine"):
        sim.store.create_de(mid=mid, name="Mine", customer_key="Mine", fields=[FieldSpec("X")])


def test_what_tests_leave_adds_up_per_bu_and_beyond_the_pool_names_them(
    sims: list[Simulator],
) -> None:
    first, second, third = sims
    mid = next(iter(first.store.business_units))
    _shells(first, mid, ["a1", "a2", "a3"])
    _shells(second, mid, ["b1", "b2"])
    assert quarry_assets(first) == {(mid, "DE"): 3, (mid, "QD"): 3}
    ledger = LitterLedger(pool_size_per_bu=6)
    ledger.record("test_first", first)
    ledger.record("test_second", second)
    ledger.record("test_clean", third)  # left nothing: not listed
    assert set(ledger.left) == {"test_first", "test_second"}
    assert ledger.problems() == []  # 5 pairs: within a pool of 6
    _shells(third, mid, ["c1", "c2"])
    ledger.record("test_third", third)
    problems = ledger.problems()
    assert [p.split(":")[0] for p in problems] == [f"BU {mid}", f"BU {mid}"]
    assert "7 Quarry DE assets, the pool allows 6" in problems[0]
    assert "test_first (3)" in problems[0] and "test_third (2)" in problems[0]
    with pytest.raises(AssertionError, match="beyond its pool"):
        ledger.check()
