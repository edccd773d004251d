"""The runs engine's limits and windows, read once from the environment (defaults suit tests
and a small deployment).

Kept here rather than in ``app/settings.py`` because the API, the worker and the poller all
need the same values and none of them may differ: a limit the API enforces and a lease the
worker grants must agree. Every value has a ``RUN_*`` environment variable.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["RunConfig", "run_config"]


@dataclass(frozen=True)
class RunConfig:
    max_active_per_user: int = 5
    """Runs a user may have QUEUED, STARTING or RUNNING at once in one BU."""
    max_active_per_bu: int = 25
    """Runs of all users of a BU at once (MCE runs a BU's queries in a shared queue)."""
    results_window_seconds: int = 3600
    """How long a complete run's rows stay readable (its shell stays leased that long)."""
    start_lease_seconds: int = 40 * 60
    """A lease taken for a start: MCE's 30-minute limit plus margin; a dead holder's lease
    expires after it and the shell returns to the pool."""
    pool_size_per_bu: int = 6
    """Idle shells kept per BU; the recycler deletes the rest, least recently used first."""
    idle_max_seconds: int = 7 * 24 * 3600
    """An idle shell unused this long is deleted even within the pool's size."""
    max_fields_per_shell: int = 200
    """A shell is never adapted beyond this many fields (a new one is created instead)."""
    dedup_window_seconds: int = 30 * 60
    """An identical active run younger than this is joined instead of started again."""

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> RunConfig:
        def number(name: str, default: int) -> int:
            raw = env.get(name, "")
            if not raw:
                return default
            text = raw.strip()
            if not (text.isascii() and text.isdigit()) or int(text) < 1:
                raise ValueError(f"{name} must be a positive integer, not {raw!r}")
            return int(text)

        base = cls()
        return cls(
            max_active_per_user=number("RUN_MAX_ACTIVE_PER_USER", base.max_active_per_user),
            max_active_per_bu=number("RUN_MAX_ACTIVE_PER_BU", base.max_active_per_bu),
            results_window_seconds=number(
                "RUN_RESULTS_WINDOW_SECONDS", base.results_window_seconds
            ),
            start_lease_seconds=number("RUN_START_LEASE_SECONDS", base.start_lease_seconds),
            pool_size_per_bu=number("RUN_POOL_SIZE_PER_BU", base.pool_size_per_bu),
            idle_max_seconds=number("RUN_IDLE_MAX_SECONDS", base.idle_max_seconds),
            max_fields_per_shell=number("RUN_MAX_FIELDS_PER_SHELL", base.max_fields_per_shell),
            dedup_window_seconds=number("RUN_DEDUP_WINDOW_SECONDS", base.dedup_window_seconds),
        )


_config: RunConfig | None = None


def run_config() -> RunConfig:
    """The process's configuration (read from the environment on first use)."""
    global _config
    if _config is None:
        _config = RunConfig.from_env(os.environ)
    return _config
