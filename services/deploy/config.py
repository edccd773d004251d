"""Deployment limits (``DEPLOY_*``; defaults suit a small installation and the tests).

They are read with the other settings (``Settings.deploy``, app/settings.py), so a bad value
stops the process at start-up naming the variable, and handed to this module by the API and
the worker at start-up (``configure``).

The API and the worker read the same values: the API refuses a request over
``max_business_units`` before anything is recorded, and the worker deploys at most
``bu_concurrency`` BUs of one tenant at once, counted across every worker in Redis.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["DeployConfig", "configure", "deploy_config"]


@dataclass(frozen=True)
class DeployConfig:
    bu_concurrency: int = 10
    """BUs of one tenant deployed at the same time, across workers (``DEPLOY_BU_CONCURRENCY``).
    Each BU's steps are sequential calls, so this bounds the tenant's deploy calls in flight."""
    max_business_units: int = 100
    """BUs one deployment may target (``DEPLOY_MAX_BUSINESS_UNITS``, at most 100)."""
    job_timeout_seconds: int = 900
    """The deploy job's RQ timeout; a deployment still RUNNING this long after its last
    change is taken to have lost its worker, and may be retried (``DEPLOY_JOB_TIMEOUT_SECONDS``)."""
    slot_wait_seconds: int = 600
    """How long a BU waits for one of the tenant's slots before it fails as throttled."""

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> DeployConfig:
        def number(name: str, default: int, *, most: int | None = None) -> int:
            raw = env.get(name, "")
            if not raw:
                return default
            text = raw.strip()
            if not (text.isascii() and text.isdigit()) or int(text) < 1:
                raise ValueError(f"{name} must be a positive integer, not {raw!r}")
            value = int(text)
            if most is not None and value > most:
                raise ValueError(f"{name} must be at most {most}, not {raw!r}")
            return value

        base = cls()
        return cls(
            bu_concurrency=number("DEPLOY_BU_CONCURRENCY", base.bu_concurrency),
            max_business_units=number(
                "DEPLOY_MAX_BUSINESS_UNITS", base.max_business_units, most=100
            ),
            job_timeout_seconds=number("DEPLOY_JOB_TIMEOUT_SECONDS", base.job_timeout_seconds),
            slot_wait_seconds=number("DEPLOY_SLOT_WAIT_SECONDS", base.slot_wait_seconds),
        )


_config: DeployConfig | None = None


def configure(config: DeployConfig) -> None:
    """Set this process's values (from ``Settings.deploy``, at start-up)."""
    global _config
    _config = config


def deploy_config() -> DeployConfig:
    """This process's values: as configured, else read from the environment on first use."""
    global _config
    if _config is None:
        _config = DeployConfig.from_env(os.environ)
    return _config
