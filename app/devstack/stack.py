"""`DevStack`, the context manager behind every run: on enter it resolves both services and
starts (or joins) the embedded servers it needs, holding them in their holder lists; on exit it
lets go of them, stopping each one nobody else holds. Also where the default data directory,
the repository's `.data/`, is defined.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

from app.devstack.embedded_postgres import EmbeddedPostgres
from app.devstack.embedded_redis import EmbeddedRedis
from app.devstack.holders import Holders
from app.devstack.messages import say
from app.devstack.probes import postgres_problem, redis_problem
from app.devstack.profiles import Profile, for_profile
from app.devstack.resolution import (
    LOCAL_DATABASE_URL,
    LOCAL_REDIS_URL,
    Resolution,
    choose,
    refuse_embedded_in_production,
)

__all__ = ["DEFAULT_DATA_DIR", "REPO_ROOT", "DevStack", "Embedded"]

REPO_ROOT = Path(__file__).resolve().parents[2]  # app/devstack/stack.py -> the checkout
DEFAULT_DATA_DIR = REPO_ROOT / ".data"


class Embedded(Protocol):
    """An embedded server under `.data/`: started on demand, stopped by the last holder."""

    name: str

    def start(self) -> str:
        """Start (or adopt an already running) server; return its URL."""

    def stop(self) -> None:
        """Stop the server and wait until its process is gone."""

    def pid(self) -> int | None:
        """The server's process id while it runs."""


class DevStack(contextlib.AbstractContextManager["DevStack"]):
    """Resolves both services on enter; stops the embedded servers it holds on exit."""

    def __init__(
        self,
        *,
        profile: Profile,
        data_dir: Path = DEFAULT_DATA_DIR,
        environ: Mapping[str, str] | None = None,
        local_database_url: str = LOCAL_DATABASE_URL,
        local_redis_url: str = LOCAL_REDIS_URL,
    ) -> None:
        self.profile: Profile = profile
        self.data_dir = data_dir
        self.environ = dict(os.environ if environ is None else environ)
        self.local_database_url = local_database_url
        self.local_redis_url = local_redis_url
        self.postgres = EmbeddedPostgres(data_dir)
        self.redis = EmbeddedRedis(data_dir)
        self.resolutions: dict[str, Resolution] = {}
        self._held: list[Embedded] = []

    def _holders(self, server: Embedded) -> Holders:
        return Holders.of(self.data_dir, server.name)

    def _hold(self, server: Embedded) -> str:
        refuse_embedded_in_production(self.environ)
        # Held before it starts: if the start is interrupted, close() still stops what did start
        # (unless another run holds it).
        self._held.append(server)
        with self._holders(server).locked() as pids:
            url = server.start()
            pids.append(os.getpid())
        return url

    def _release(self, server: Embedded) -> None:
        with self._holders(server).locked() as pids:
            while os.getpid() in pids:
                pids.remove(os.getpid())
            if pids:
                say(f"embedded {server.name} still used by pid {', '.join(map(str, pids))}")
            else:
                server.stop()

    def __enter__(self) -> DevStack:
        try:
            pg = choose(
                service="postgres",
                env_var="DATABASE_URL",
                environ=self.environ,
                local_url=self.local_database_url,
                problem=postgres_problem,
            )
            if pg is None:
                pg = Resolution("postgres", self._hold(self.postgres), "embedded")
            rd = choose(
                service="redis",
                env_var="REDIS_URL",
                environ=self.environ,
                local_url=self.local_redis_url,
                problem=redis_problem,
            )
            if rd is None:
                rd = Resolution("redis", self._hold(self.redis), "embedded")
        except BaseException:
            self.close()
            raise
        self.resolutions = {"postgres": pg, "redis": rd}
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the embedded servers this stack holds (when no other run holds them)."""
        while self._held:
            self._release(self._held.pop())

    def child_environ(self) -> dict[str, str]:
        """The environment for the profile's processes: ours plus the resolved URLs."""
        env = dict(self.environ)
        env.update(
            for_profile(
                database_url=self.resolutions["postgres"].url,
                redis_url=self.resolutions["redis"].url,
                profile=self.profile,
            )
        )
        return env
