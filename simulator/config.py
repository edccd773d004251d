"""The simulator's settings: one object, set by the CLI or by tests."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["DEFAULT_REDIRECT_URIS", "SCALES", "SimulatorConfig"]

DEFAULT_REDIRECT_URIS = (
    "http://127.0.0.1:8000/api/auth/callback",
    "http://localhost:8000/api/auth/callback",
)
SCALES = ("small", "medium", "large")


@dataclass(slots=True)
class SimulatorConfig:
    """Everything that shapes one simulated stack.

    ``base_url`` is the origin clients reach the simulator at (with trailing slash);
    when ``None`` it is taken from each request, which suits in-process ASGI tests.
    """

    seed: int = 1
    scale: str = "small"
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

    def __post_init__(self) -> None:
        if self.scale not in SCALES:
            raise ValueError(f"scale must be one of {SCALES}")
        if self.base_url is not None and not self.base_url.endswith("/"):
            self.base_url += "/"
