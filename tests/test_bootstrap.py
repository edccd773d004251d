"""scripts/_bootstrap.sh: `.venv` inside the checkout, and the old outside layout moved back.

Each test runs the real script in a throwaway checkout holding only the script and a project
with no dependencies (so pip installs nothing but the project itself: seconds, not minutes).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

PROJECT = """\
[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "bootstrap-probe"
version = "0"

[project.optional-dependencies]
dev = []

[tool.setuptools]
py-modules = []
"""

pytestmark = pytest.mark.slow


def _checkout(root: Path) -> Path:
    checkout = root / "checkout"
    (checkout / "scripts").mkdir(parents=True)
    (checkout / "scripts" / "_bootstrap.sh").write_bytes(
        (REPO / "scripts" / "_bootstrap.sh").read_bytes()
    )
    (checkout / "pyproject.toml").write_text(PROJECT)
    (checkout / "constraints.txt").write_text("")
    return checkout


def _bootstrap(checkout: Path) -> subprocess.CompletedProcess[str]:
    """Source the script as scripts/test does; print the interpreter's prefix it leaves on PATH."""
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "QUARRY_PYTHON")}
    env["QUARRY_PYTHON"] = sys.executable
    return subprocess.run(
        ["bash", "-c", 'source scripts/_bootstrap.sh && python -c "import sys; print(sys.prefix)"'],
        cwd=checkout,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )


def _outside_venv(parent: Path) -> Path:
    """An environment as the old bootstrap left it: a venv holding the dependency stamp."""
    venv = parent / "checkout-0123456789ab"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    (venv / ".quarry-deps.sha256").write_text("old\n")
    return venv


def _stamp(checkout: Path) -> str:
    data = (checkout / "pyproject.toml").read_bytes() + (checkout / "constraints.txt").read_bytes()
    return hashlib.sha256(data).hexdigest()


def test_a_fresh_checkout_gets_venv_inside_and_a_second_run_does_nothing(tmp_path: Path) -> None:
    checkout = _checkout(tmp_path)
    first = _bootstrap(checkout)
    venv = checkout / ".venv"
    assert venv.is_dir() and not venv.is_symlink()
    assert first.stdout.strip() == str(venv)
    assert (venv / ".quarry-deps.sha256").read_text().strip() == _stamp(checkout)
    second = _bootstrap(checkout)
    assert (second.stdout.strip(), second.stderr) == (str(venv), "")


def test_the_old_outside_environment_is_rebuilt_inside_and_deleted(tmp_path: Path) -> None:
    checkout = _checkout(tmp_path)
    outside = _outside_venv(tmp_path / ".quarry-venvs")
    (checkout / ".venv").symlink_to(outside)

    result = _bootstrap(checkout)

    venv = checkout / ".venv"
    assert venv.is_dir() and not venv.is_symlink()
    assert result.stdout.strip() == str(venv)
    # Rebuilt, not moved: every script's shebang names the new place.
    assert (venv / "bin" / "pip").read_text().startswith(f"#!{venv}/bin/python")
    assert not outside.exists() and not outside.parent.exists()
    assert f"deleted the former environment {outside}" in result.stderr
    assert not (venv / ".quarry-former-venv").exists()


def test_an_outside_environment_the_bootstrap_did_not_make_is_left_alone(tmp_path: Path) -> None:
    checkout = _checkout(tmp_path)
    elsewhere = _outside_venv(tmp_path / "my-envs")  # not under .quarry-venvs/
    (checkout / ".venv").symlink_to(elsewhere)

    result = _bootstrap(checkout)

    assert (checkout / ".venv").is_dir() and not (checkout / ".venv").is_symlink()
    assert (elsewhere / "pyvenv.cfg").is_file()
    assert f"{elsewhere} (the former .venv target) is no longer used" in result.stderr
