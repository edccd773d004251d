"""Job tests reuse the wallet's fixtures: the simulator over HTTP, a tenant mirroring it,
a wallet with a random KEK (tests/services/wallet/conftest.py)."""

from __future__ import annotations

from tests.services.wallet.conftest import kek_a, keys, sim_tenant, simctl, wallet
from tests.simulator.conftest import _shared_server, http, sim, sim_app, sim_url

__all__ = [
    "_shared_server",
    "http",
    "kek_a",
    "keys",
    "sim",
    "sim_app",
    "sim_tenant",
    "sim_url",
    "simctl",
    "wallet",
]
