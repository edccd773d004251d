"""``python -m app.devstack.simulator_env [--seed N]``: the MCE package settings that point the
app at the simulator, as shell ``export`` lines.

The simulator seeds its installed packages (client ids, secrets, the legacy JWT signing
secret) from its seed, so the app's ``MCE_*`` settings for development follow from the same
seed. ``scripts/dev`` and docker-compose.yml ``eval`` this before starting the API and the
worker; variables already set in the environment win. Development only.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys

from simulator.state import Simulator, SimulatorConfig

__all__ = ["simulator_env"]


def simulator_env(seed: int) -> dict[str, str]:
    sim = Simulator(SimulatorConfig(seed=seed, with_rows=False))
    try:
        enhanced, legacy = sim.enhanced_package, sim.legacy_package
        return {
            "MCE_CLIENT_ID": enhanced.client_id,
            "MCE_CLIENT_SECRET": enhanced.client_secret,
            "MCE_LEGACY_CLIENT_ID": legacy.client_id,
            "MCE_LEGACY_CLIENT_SECRET": legacy.client_secret,
            "MCE_LEGACY_JWT_SECRET": legacy.jwt_signing_secret or "",
        }
    finally:
        sim.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app.devstack.simulator_env")
    parser.add_argument("--seed", type=int, default=1, help="the simulator's --seed")
    args = parser.parse_args(argv)
    for name, value in simulator_env(args.seed).items():
        if not os.environ.get(name):
            sys.stdout.write(f"export {name}={shlex.quote(value)}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
