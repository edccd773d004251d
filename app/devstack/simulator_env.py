"""``python -m app.devstack.simulator_env [--seed N]``: the MCE package settings that point the
app at the simulator, as shell ``export`` lines.

The simulator seeds its installed packages (client ids, secrets, the legacy JWT signing
secret) from its seed, so the app's ``MCE_*`` settings for development follow from the same
seed. ``scripts/dev`` and docker-compose.yml ``eval`` this before starting the API and the
worker; variables already set in the environment win. Development only.

It asks ``python -m simulator describe`` rather than importing the simulator: nothing of ours
imports the simulator (an import-linter contract), since it is the oracle tests run against.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys

__all__ = ["simulator_env"]


def simulator_env(seed: int) -> dict[str, str]:
    described = subprocess.run(  # noqa: S603 - our own interpreter and module, fixed arguments
        [sys.executable, "-m", "simulator", "describe", "--seed", str(seed)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    info = json.loads(described.stdout.strip().splitlines()[-1])
    return {
        "MCE_CLIENT_ID": info["client_id"],
        "MCE_CLIENT_SECRET": info["client_secret"],
        "MCE_LEGACY_CLIENT_ID": info["legacy_client_id"],
        "MCE_LEGACY_CLIENT_SECRET": info["legacy_client_secret"],
        "MCE_LEGACY_JWT_SECRET": info["legacy_jwt_signing_secret"],
    }


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
