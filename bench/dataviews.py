"""How long the simulator's system data views take to generate, per scale.

The figures the data-view tests once asserted as time limits (they now prove laziness by what
DuckDB holds, not by a stopwatch). Prints, for each scale asked for:

* making ``DataViews`` and reading every view's spec: nothing is generated (microseconds);
* the first ``table()`` of a child BU and of the parent (enterprise) BU: all of that BU's
  views are generated at once; rows of ``_Sent`` and the total rows of every view;
* asking again for a table already made (a dictionary lookup).

Each figure is the best of ``--rounds`` fresh simulators (CPU-bound timings on a shared machine
are noisy upwards). Run:

    .venv/bin/python -m bench.dataviews [--scales small,medium,large] [--rounds 3]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from dataclasses import dataclass

from simulator.dataviews import DataViews
from simulator.state import Simulator, SimulatorConfig


@dataclass(frozen=True)
class Generation:
    """One scale's figures (seconds; row counts of the generated BU)."""

    construct_s: float
    child_s: float
    child_sent: int
    parent_s: float
    parent_sent: int
    parent_rows: int
    cached_s: float


def _seconds(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def _measure(scale: str) -> Generation:
    # with_rows=False: the seeded DEs' rows do not matter to the views' generation.
    sim = Simulator(SimulatorConfig(seed=1, scale=scale, with_rows=False))
    try:
        eid = sim.store.enterprise.eid
        child = sim.store.children_of(eid)[0].mid
        views: list[DataViews] = []

        def construct() -> None:
            made = DataViews(rows=sim.rows, store=sim.store, seed=1, scale=scale, clock=sim.clock)
            for name in made.names():
                made.spec(name)
            views.append(made)

        construct_s = _seconds(construct)
        dv = views[0]
        child_s = _seconds(lambda: dv.table(child, "_Sent"))
        parent_s = _seconds(lambda: dv.table(eid, "_Sent"))
        cached_s = _seconds(lambda: dv.table(eid, "_Open"))
        return Generation(
            construct_s=construct_s,
            child_s=child_s,
            child_sent=dv.row_count(child, "_Sent"),
            parent_s=parent_s,
            parent_sent=dv.row_count(eid, "_Sent"),
            parent_rows=sum(dv.row_count(eid, name) for name in dv.names()),
            cached_s=cached_s,
        )
    finally:
        sim.close()


def _best(scale: str, rounds: int) -> Generation:
    runs = [_measure(scale) for _ in range(rounds)]
    return Generation(
        construct_s=min(r.construct_s for r in runs),
        child_s=min(r.child_s for r in runs),
        child_sent=runs[0].child_sent,
        parent_s=min(r.parent_s for r in runs),
        parent_sent=runs[0].parent_sent,
        parent_rows=runs[0].parent_rows,
        cached_s=min(r.cached_s for r in runs),
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="small,medium,large")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    print(
        f"{'scale':<7} {'construct':>10} {'child BU':>9} {'_Sent':>9} {'parent BU':>10}"
        f" {'_Sent':>10} {'all rows':>10} {'cached':>9}"
    )
    for scale in args.scales.split(","):
        g = _best(scale, args.rounds)
        print(
            f"{scale:<7} {g.construct_s * 1e6:>8.0f}us {g.child_s:>8.2f}s {g.child_sent:>9,}"
            f" {g.parent_s:>9.2f}s {g.parent_sent:>10,} {g.parent_rows:>10,}"
            f" {g.cached_s * 1e6:>7.0f}us"
        )


if __name__ == "__main__":
    main()
