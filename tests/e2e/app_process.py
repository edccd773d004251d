"""The app as a real uvicorn process for end-to-end tests: started on a free port with its
output in a log file, awaited until it answers, stopped (and killed if it must be) after."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
#: Every test process on the machine comes from 127.0.0.1 and counts in the shared Redis; tests
#: that are not about rate limits lift them so none bites.
NO_RATE_LIMITS = {
    "RATE_LIMIT_SIGNIN_PER_MINUTE": "100000",
    "RATE_LIMIT_GRAPHQL_PER_MINUTE": "100000",
    "RATE_LIMIT_BEARER_PER_MINUTE": "100000",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def app_env(settings: Settings, *, public_url: str, **extra: str) -> dict[str, str]:
    """The environment of an app process on the test database and Redis."""
    return {
        **os.environ,
        "QUARRY_ENV": "development",
        "DATABASE_URL": settings.database_url,
        "REDIS_URL": settings.redis_url,
        "PUBLIC_URL": public_url,
        "LOG_LEVEL": "INFO",
        **extra,
    }


def simulator_env(sim: Any, sim_url: str) -> dict[str, str]:
    """The settings pointing an app at a simulator and both of its packages."""
    enhanced, legacy = sim.enhanced_package, sim.legacy_package
    return {
        "MCE_AUTH_BASE_URL": sim_url,
        "MCE_CLIENT_ID": enhanced.client_id,
        "MCE_CLIENT_SECRET": enhanced.client_secret,
        "MCE_LEGACY_CLIENT_ID": legacy.client_id,
        "MCE_LEGACY_CLIENT_SECRET": legacy.client_secret,
        "MCE_LEGACY_JWT_SECRET": legacy.jwt_signing_secret or "",
    }


def log_tail(log: Path, lines: int = 40) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


@contextmanager
def running_app(
    *, port: int, env: Mapping[str, str], log: Path, ready_path: str = "/api/healthz"
) -> Iterator[subprocess.Popen[bytes]]:
    """uvicorn serving ``app.main:app`` on 127.0.0.1:``port`` until ``ready_path`` answers 200
    (at most 30 s; the log's tail is in the failure), then until the block ends."""
    with log.open("wb") as out:
        api = subprocess.Popen(
            [
                sys.executable, "-m", "uvicorn", "app.main:app",
                "--host", "127.0.0.1", "--port", str(port), "--no-access-log",
            ],
            cwd=ROOT,
            env=dict(env),
            stdout=out,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        _wait_until_answering(api, f"http://127.0.0.1:{port}{ready_path}", log)
        yield api
    finally:
        api.terminate()
        try:
            api.wait(timeout=15)
        except subprocess.TimeoutExpired:
            api.kill()
            api.wait(timeout=5)


def _wait_until_answering(api: subprocess.Popen[bytes], url: str, log: Path) -> None:
    deadline = time.monotonic() + 30
    with httpx.Client(timeout=2) as http:
        while time.monotonic() < deadline:
            if api.poll() is not None:
                pytest.fail(f"uvicorn exited ({api.returncode}):\n{log_tail(log)}")
            try:
                if http.get(url).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
    pytest.fail(f"the app did not answer {url} within 30 s:\n{log_tail(log)}")
