"""Small lookups shared by the simulator tests."""

from __future__ import annotations

from simulator.state import BusinessUnit, Simulator


def bu_named(sim: Simulator, suffix: str) -> BusinessUnit:
    """The seeded BU whose name ends with ``suffix`` (``"EU"``, ``"US"``, ``"Sandbox"``)."""
    return next(bu for bu in sim.store.business_units.values() if bu.name.endswith(suffix))


def parent_mid(sim: Simulator) -> int:
    return sim.store.enterprise.eid


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
