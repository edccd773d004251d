"""The command line, `python -m app.devstack run|status|stop`: `run` supervises a child command
(see `supervise`), `status` shows what a run would use without starting anything, and `stop`
stops embedded servers a killed run left behind, whoever holds them.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from app.devstack.embedded_postgres import EmbeddedPostgres
from app.devstack.embedded_redis import EmbeddedRedis
from app.devstack.holders import Holders
from app.devstack.probes import postgres_problem, redis_problem
from app.devstack.resolution import LOCAL_DATABASE_URL, LOCAL_REDIS_URL, choose
from app.devstack.stack import DEFAULT_DATA_DIR
from app.devstack.supervise import run
from app.devstack.urls import redact

__all__ = ["main", "status", "stop_all"]


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
        where = f"{res.source} {redact(res.url)}" if res else "embedded (started on demand)"
        sys.stdout.write(f"{service}: {where}; embedded server under {data_dir}: {running}\n")
    return 0


def stop_all(*, data_dir: Path = DEFAULT_DATA_DIR) -> int:
    """Stop embedded servers left running (e.g. after a killed run), whoever holds them."""
    for server in (EmbeddedPostgres(data_dir), EmbeddedRedis(data_dir)):
        with Holders.of(data_dir, server.name).locked() as pids:
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
