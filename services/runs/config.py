"""The runs engine's limits and windows, as the services use them.

The values are read and validated once, with every other setting, by ``app/settings.py``
(``Settings.runs``, one ``RUN_*`` environment variable each); each process hands them over at
start-up with :func:`configure` (the API in ``app/wiring.py``, the worker and the poller in
their ``main``), so the API, the worker and the poller enforce the same values: a limit the
API enforces and a lease the worker grants must agree. A process that never configured them
(a test calling a service directly) gets the defaults below.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["RunConfig", "configure", "run_config"]


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


_config: RunConfig | None = None


def configure(config: RunConfig) -> None:
    """Set this process's values (from ``Settings.runs``, at start-up)."""
    global _config
    _config = config


def run_config() -> RunConfig:
    """This process's values: as configured, else the defaults."""
    return _config if _config is not None else RunConfig()
