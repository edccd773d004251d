"""What Quarry leaves in MCE, counted over the whole test session.

Every test that reaches the simulator over HTTP does so through the session's one server
(tests/simulator/conftest.py: ``_shared_server`` serves whichever test's simulator is
current). Tests start from a fresh simulator each, but the issue's promise is about one MCE
that the whole suite ran against: it must hold no asset of ours beyond the configured pool.
So, when a test's simulator leaves the shared server, :class:`LitterLedger` counts the assets
it still holds that Quarry's naming function made (``services.metadata.assets``:
folders, shell DEs, shell QDs), per BU; at the end of the session the counts of every test
are added up per BU, as one MCE would hold them, and the session fails
(``pytest_sessionfinish`` in tests/conftest.py) when a BU holds more than the pool
(``RUN_POOL_SIZE_PER_BU`` shell pairs and the two folders), naming the tests that left them.

Tests that run Quarry's engine clean up as a deployment would when its tenant goes away
(tests/services/runs/engine.py's ``member`` purges the tenant's assets through
``purgeMceAssets``' service at its end): what is left after that is litter nobody can clean,
such as an asset created but never recorded in the inventory.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from services.metadata.assets import is_quarry_asset
from services.runs.config import RunConfig

__all__ = ["LEDGER", "QUARRY_FOLDERS_PER_BU", "LitterLedger", "quarry_assets"]

#: The runs engine's two folders per BU (``QRY__Runs``, ``QRY__Queries``).
QUARRY_FOLDERS_PER_BU = 2


def quarry_assets(sim: Any) -> Counter[tuple[int, str]]:
    """The simulator's assets named by Quarry's naming function: counts per (MID, kind),
    kind ``DE``, ``QD`` or ``FOLDER``."""
    store = sim.store
    found: Counter[tuple[int, str]] = Counter()
    for mid in list(store.business_units):
        for de in store.list_des(mid):
            if is_quarry_asset(de.name) or is_quarry_asset(de.customer_key):
                found[(mid, "DE")] += 1
        for query in store.list_queries(mid):
            if is_quarry_asset(query.name) or is_quarry_asset(query.customer_key):
                found[(mid, "QD")] += 1
    for folder in list(store.folders.values()):
        if is_quarry_asset(folder.name) or is_quarry_asset(folder.customer_key):
            found[(folder.mid, "FOLDER")] += 1
    return found


@dataclass
class LitterLedger:
    """Quarry's assets each test left in its simulator (only tests that left some)."""

    pool_size_per_bu: int = RunConfig().pool_size_per_bu
    left: dict[str, Counter[tuple[int, str]]] = field(default_factory=dict)

    def record(self, test: str, sim: Any) -> None:
        found = quarry_assets(sim)
        if found:
            self.left[test] = found

    def totals(self) -> Counter[tuple[int, str]]:
        """Per (MID, kind): what one MCE would hold after every test."""
        total: Counter[tuple[int, str]] = Counter()
        for found in self.left.values():
            total.update(found)
        return total

    def problems(self) -> list[str]:
        """The BUs holding more than the pool, each with the tests that left assets there."""
        limits = {
            "DE": self.pool_size_per_bu,
            "QD": self.pool_size_per_bu,
            "FOLDER": QUARRY_FOLDERS_PER_BU,
        }
        problems = []
        for (mid, kind), count in sorted(self.totals().items()):
            if count > limits[kind]:
                culprits = sorted(
                    f"{test} ({found[(mid, kind)]})"
                    for test, found in self.left.items()
                    if found[(mid, kind)]
                )
                more = f" and {len(culprits) - 10} more" if len(culprits) > 10 else ""
                problems.append(
                    f"BU {mid}: {count} Quarry {kind} assets, the pool allows {limits[kind]};"
                    f" left by {', '.join(culprits[:10])}{more}"
                )
        return problems

    def check(self) -> None:
        """Raise when the session's MCE would hold more of Quarry's assets than the pool."""
        problems = self.problems()
        if problems:
            raise AssertionError(
                "Quarry left assets in MCE beyond its pool:\n  " + "\n  ".join(problems)
            )


#: The session's ledger: filled as tests' simulators leave the shared server
#: (tests/simulator/conftest.py), checked when the session ends (tests/conftest.py).
LEDGER = LitterLedger()
