"""The simulator's settings: one object, set by the CLI or by tests."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["DEFAULT_REDIRECT_URIS", "MAX_EXTRA_CHILD_BUS", "SCALES", "SimulatorConfig"]

DEFAULT_REDIRECT_URIS = (
    "http://127.0.0.1:8000/api/auth/callback",
    "http://localhost:8000/api/auth/callback",
)
SCALES = ("small", "medium", "large")
#: The most extra child BUs a seed takes (each holds a few thousand rows).
MAX_EXTRA_CHILD_BUS = 50


@dataclass(slots=True)
class SimulatorConfig:
    """Everything that shapes one simulated stack.

    ``base_url`` is the origin clients reach the simulator at (with trailing slash);
    when ``None`` it is taken from each request, which suits in-process ASGI tests.
    """

    seed: int = 1
    scale: str = "small"
    #: Child BUs added after the seeded three, each seeded like them (``Region NN``), all
    #: reachable by ``ada.admin`` **[sim]**: many-BU deployments need more than three. 0
    #: leaves the seeded enterprise exactly as it is.
    extra_child_bus: int = 0
    base_url: str | None = None
    latency_ms: int = 0
    auto_approve: bool = True
    control: bool = False
    redirect_uris: list[str] = field(default_factory=lambda: list(DEFAULT_REDIRECT_URIS))
    refresh_grace_seconds: float = 300.0
    token_ttl_seconds: int = 1200
    code_ttl_seconds: int = 300
    refresh_token_ttl_seconds: int = 30 * 24 * 3600
    legacy_refresh_token_ttl_seconds: int = 700 * 24 * 3600
    rowset_token_ttl_seconds: int = 1200
    with_rows: bool = True
    # Query activities (REFERENCE §2.4 AsyncActivityStatus, §5.1). A started query waits
    # ``query_queue_seconds`` as Queued, then is Processing for ``query_base_seconds`` plus
    # ``query_seconds_per_million_rows`` per million rows it reads, then Complete or Error.
    # Tests keep them at 0; the CLI uses realistic values.
    query_queue_seconds: float = 0.0
    query_base_seconds: float = 0.0
    query_seconds_per_million_rows: float = 0.0
    #: MCE terminates a query activity after 30 minutes.
    query_timeout_seconds: float = 1800.0
    # Quirks REFERENCE reports from production, off unless a test studies them:
    #: polls of AsyncActivityStatus that still say Queued after the query finished.
    quirk_status_lag_polls: int = 0
    #: CompletedDate filled from the first poll, earlier than the start.
    quirk_early_completed_date: bool = False
    #: seconds after completion during which the target's rowset answers 404.
    quirk_rows_visible_after_seconds: float = 0.0
    #: ``/v2/authorize`` returns the code wrapped in a JWT-like string whose payload holds
    #: ``auth_code`` (REFERENCE §1.1, observed in production); ``/v2/token`` takes the inner one.
    quirk_jwt_wrapped_code: bool = False

    def __post_init__(self) -> None:
        if self.scale not in SCALES:
            raise ValueError(f"scale must be one of {SCALES}")
        if not 0 <= self.extra_child_bus <= MAX_EXTRA_CHILD_BUS:
            raise ValueError(f"extra_child_bus must be between 0 and {MAX_EXTRA_CHILD_BUS}")
        durations = {
            "query_queue_seconds": self.query_queue_seconds,
            "query_base_seconds": self.query_base_seconds,
            "query_seconds_per_million_rows": self.query_seconds_per_million_rows,
            "quirk_rows_visible_after_seconds": self.quirk_rows_visible_after_seconds,
            "quirk_status_lag_polls": self.quirk_status_lag_polls,
        }
        for name, value in durations.items():
            if not 0 <= value < float("inf"):
                raise ValueError(f"{name} must be a finite number of 0 or more")
        if not 0 < self.query_timeout_seconds < float("inf"):
            raise ValueError("query_timeout_seconds must be a finite number above 0")
        if self.base_url is not None and not self.base_url.endswith("/"):
            self.base_url += "/"
