"""Which server a service uses: the environment's URL, else the local default, else an embedded
one (`choose` returns None for that). `QUARRY_FORCE_EMBEDDED` skips straight to embedded, and
production settings refuse embedded servers altogether (`refuse_embedded_in_production`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

from app.devstack.messages import say
from app.devstack.urls import redact

__all__ = [
    "DATABASE_NAME",
    "FORCE_EMBEDDED_VAR",
    "LOCAL_DATABASE_URL",
    "LOCAL_REDIS_URL",
    "EmbeddedRefused",
    "Resolution",
    "Source",
    "choose",
    "force_embedded",
    "refuse_embedded_in_production",
]

Source = Literal["env", "local", "embedded"]

LOCAL_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/quarry"
LOCAL_REDIS_URL = "redis://127.0.0.1:6379/0"
DATABASE_NAME = "quarry"
FORCE_EMBEDDED_VAR = "QUARRY_FORCE_EMBEDDED"


@dataclass(frozen=True)
class Resolution:
    """Where one service was found (or `embedded` when it has to be started)."""

    service: str
    url: str
    source: Source
    skipped: tuple[str, ...] = ()  # why earlier candidates were passed over


class EmbeddedRefused(RuntimeError):
    """Embedded servers are a development convenience; production must name real ones."""


def refuse_embedded_in_production(environ: Mapping[str, str]) -> None:
    production = environ.get("QUARRY_ENV", "").strip().lower() == "production"
    disabled = environ.get("EMBEDDED_SERVICES", "").strip().lower() in {"0", "false", "no", "off"}
    if production or disabled:
        raise EmbeddedRefused(
            "embedded PostgreSQL/Redis are development-only: set DATABASE_URL and REDIS_URL "
            "to reachable servers (QUARRY_ENV=production or EMBEDDED_SERVICES=off)"
        )


def force_embedded(environ: Mapping[str, str]) -> bool:
    return environ.get(FORCE_EMBEDDED_VAR, "").strip().lower() in {"1", "true", "yes", "on"}


def choose(
    *,
    service: str,
    env_var: str,
    environ: Mapping[str, str],
    local_url: str,
    problem: Callable[[str], str | None],
) -> Resolution | None:
    """The first answering candidate among `$env_var` and `local_url`; None means "embed one".

    `problem` is the probe (`postgres_problem` / `redis_problem`), injectable for tests.
    """
    skipped: list[str] = []
    if force_embedded(environ):
        skipped.append(f"{FORCE_EMBEDDED_VAR} is set")
        say(f"{service}: {skipped[-1]}; using an embedded server")
        return None
    env_url = environ.get(env_var, "").strip()
    if env_url:
        why = problem(env_url)
        if why is None:
            return Resolution(service, env_url, "env")
        skipped.append(f"{env_var}={redact(env_url)} does not answer ({why})")
        say(f"{service}: {skipped[-1]}; trying the local server")
    why = problem(local_url)
    if why is None:
        return Resolution(service, local_url, "local", tuple(skipped))
    skipped.append(f"no local server at {redact(local_url)} ({why})")
    say(f"{service}: {skipped[-1]}; using an embedded server")
    return None
