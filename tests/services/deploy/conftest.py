"""Every deployment test module gets the fixtures of tests/services/deploy/engine.py and the
ones they build on (the simulator over HTTP, the wallet, the tenant mirroring the simulator);
a module overrides one by defining its own (test_many_bus: ``sim`` with more BUs)."""

from __future__ import annotations

from tests.services.deploy.engine import deployer, jobs, member, sim
from tests.services.wallet.conftest import ahttp, kek_a, keys, provider, sim_tenant, simctl, wallet
from tests.simulator.conftest import _shared_server, http, sim_app, sim_url

__all__ = [
    "_shared_server", "ahttp", "deployer", "http", "jobs", "kek_a", "keys", "member",
    "provider", "sim", "sim_app", "sim_tenant", "sim_url", "simctl", "wallet",
]  # fmt: skip
