"""``python -m app.devstack.simulator_env``: the dev stack's MCE package settings."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

from simulator.state import Simulator, SimulatorConfig

ROOT = Path(__file__).resolve().parents[1]


def exports(*args: str, **env: str) -> dict[str, str]:
    out = subprocess.run(
        [sys.executable, "-m", "app.devstack.simulator_env", *args],
        cwd=ROOT,
        env={k: v for k, v in {**os.environ, **env}.items() if not k.startswith("MCE_")} | env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    pairs = [shlex.split(line)[1].split("=", 1) for line in out.splitlines()]
    return dict(pairs)


def test_exports_the_seeded_packages_credentials() -> None:
    sim = Simulator(SimulatorConfig(seed=7, with_rows=False))
    try:
        assert exports("--seed", "7") == {
            "MCE_CLIENT_ID": sim.enhanced_package.client_id,
            "MCE_CLIENT_SECRET": sim.enhanced_package.client_secret,
            "MCE_LEGACY_CLIENT_ID": sim.legacy_package.client_id,
            "MCE_LEGACY_CLIENT_SECRET": sim.legacy_package.client_secret,
            "MCE_LEGACY_JWT_SECRET": sim.legacy_package.jwt_signing_secret or "",
        }
    finally:
        sim.close()


def test_settings_already_in_the_environment_win() -> None:
    assert "MCE_CLIENT_ID" not in exports(MCE_CLIENT_ID="mine")
