"""The ``health`` query: is the API up, and which version answers."""

from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version


@dataclass(frozen=True)
class Health:
    status: str
    version: str


def get_health() -> Health:
    try:
        current = version("quarry")
    except PackageNotFoundError:  # running from a source tree without install
        current = "0.0.0"
    return Health(status="ok", version=current)
