"""The whole stack for the web app's browser tests, started once for the package.

What runs: the simulator (a thread, HTTP), the API as a uvicorn process behind a TCP proxy the
tests can cut, RQ workers and the run poller as processes, and the stand-in MCE page over https
that frames the app, so the partitioned-cookie path is the one exercised. The stack has a
PostgreSQL database of its own (so its poller never judges another test's runs) and a Redis
database of its own (so no other test's worker takes these jobs). The app is built from
web/app first (quick when its sources did not change). Chromium is Debian's.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_asyncio
from playwright.sync_api import Playwright, sync_playwright
from playwright.sync_api import expect as expect_that
from redis import Redis
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from app.settings import Settings
from simulator.app import create_app as create_sim_app
from simulator.state import Simulator
from tests.conftest import throwaway_database
from tests.e2e.app_process import (
    NO_RATE_LIMITS,
    ROOT,
    app_env,
    free_port,
    running_app,
    simulator_env,
)
from tests.e2e.test_browser_iframe import _certificate, _HttpsThread
from tests.e2e.web.proxy import CuttableProxy
from tests.fixtures import spawn_process, stop_processes
from tests.simulator.conftest import ServerThread, make_sim

CHROMIUM = os.environ.get("QUARRY_CHROMIUM", "/usr/bin/chromium")
#: This package's own Redis database: its worker takes only its jobs.
WEB_REDIS_URL = "redis://127.0.0.1:6379/9"
DOCS_WEB = ROOT / "docs" / "web"
#: Where the browser tests save their screenshots: docs/web/ (what docs/web.md shows) when
#: QUARRY_SCREENSHOTS=docs, else .data/screenshots/, so a test run leaves the checkout clean.
SCREENSHOTS = (
    DOCS_WEB if os.environ.get("QUARRY_SCREENSHOTS") == "docs" else ROOT / ".data" / "screenshots"
)


def build_web_app() -> None:
    """Build web/app when its sources changed (scripts/_web.sh), or fail saying why."""
    result = subprocess.run(
        ["bash", "-c", "source scripts/_web.sh && build_web_app"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(f"the web app did not build:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")


def _mce_page(app_url: str) -> Starlette:
    """The stand-in app switcher: an https page framing the app as MCE does, at full size."""

    async def page(request: Request) -> HTMLResponse:
        return HTMLResponse(
            "<!doctype html><html><head><title>Marketing Cloud</title>"
            '<link rel="icon" href="data:,">'
            "<style>html,body{margin:0;height:100%;overflow:hidden}"
            "iframe{border:0;width:100%;height:100%;display:block}</style></head><body>"
            f'<iframe id="quarry" title="Quarry" src="{app_url}/"></iframe></body></html>'
        )

    return Starlette(routes=[Route("/", page)])


@dataclass
class WebStack:
    app_url: str  # what the browser uses: through the proxy
    mce_url: str  # the framing page
    sim: Simulator
    sim_url: str
    proxy: CuttableProxy
    log: Path


#: Held while a web stack uses WEB_REDIS_URL (every other database is some test's own): a second
#: session started meanwhile (another person's test run, bench.web) waits for its turn instead of
#: flushing this one's queues and taking its jobs with a worker wired to another database.
_STACK_LOCK = "quarry:e2e-web:stack"
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextmanager
def _web_redis_alone(redis_url: str = WEB_REDIS_URL, wait_s: float = 1800) -> Iterator[None]:
    """``redis_url``'s database emptied, for this process alone until the block ends (a holder
    whose process is gone loses it)."""
    me = str(os.getpid())
    with Redis.from_url(redis_url) as redis:
        deadline = time.monotonic() + wait_s
        while not redis.set(_STACK_LOCK, me, nx=True, ex=6 * 3600):
            holder = redis.get(_STACK_LOCK)
            if holder is not None and holder.isdigit() and not _alive(int(holder)):
                redis.eval(_RELEASE, 1, _STACK_LOCK, holder)
                continue
            if time.monotonic() > deadline:
                pytest.fail(f"another web stack (pid {holder!r}) held {redis_url} too long")
            time.sleep(1)
        try:
            # stale queues and events of a past run; the lock stays
            for name in redis.scan_iter(count=1000):
                if name != _STACK_LOCK.encode():
                    redis.delete(name)
            yield
        finally:
            redis.eval(_RELEASE, 1, _STACK_LOCK, me)


@contextmanager
def running_web_stack(
    settings: Settings,
    workdir: Path,
    *,
    seed: int | None = None,
    redis_url: str = WEB_REDIS_URL,
) -> Iterator[WebStack]:
    """The simulator, the API behind the cuttable proxy, a worker, the poller and the
    stand-in MCE page, on ``settings``' database and ``redis_url``'s; stopped when the block
    ends. A second stack in the session (a tenant of its own) passes another Redis database."""
    cert, key = _certificate(workdir)
    api_port, mce_port = free_port(), free_port()
    with _web_redis_alone(redis_url), CuttableProxy(upstream_port=api_port) as proxy:
        app_url = f"http://localhost:{proxy.port}"
        mce_url = f"https://127.0.0.1:{mce_port}"
        sim = make_sim(
            seed=seed if seed is not None else 4_000_000 + os.getpid() % 100_000,
            redirect_uris=[f"{app_url}/api/auth/callback"],
        )
        log = workdir / "api.log"
        with (
            ServerThread(create_sim_app(sim)) as sim_server,
            _HttpsThread(_mce_page(app_url), port=mce_port, cert=cert, key=key),
        ):
            env = app_env(
                settings,
                public_url=app_url,
                FRAME_ANCESTORS=mce_url,
                REDIS_URL=redis_url,
                METADATA_SYNC_ON_SIGN_IN="true",
                RUN_MAX_ACTIVE_PER_USER="10",  # six tabs running at once
                **simulator_env(sim, sim_server.url),
                **NO_RATE_LIMITS,
            )
            # Two workers, as a deployment scales them: the sign-in's metadata sync does not
            # hold a run's start behind it.
            workers = [
                spawn_process("app.worker", env=env, log=workdir / f"worker{n}.log") for n in (1, 2)
            ]
            poller = spawn_process("app.poller", env=env, log=workdir / "poller.log")
            try:
                with running_app(port=api_port, env=env, log=log):
                    yield WebStack(
                        app_url=app_url,
                        mce_url=mce_url,
                        sim=sim,
                        sim_url=sim_server.url,
                        proxy=proxy,
                        log=log,
                    )
            finally:
                stop_processes([*workers, poller])  # side by side: the slowest sets the time
                sim.close()


@pytest_asyncio.fixture(scope="session")
async def web_settings() -> AsyncIterator[Settings]:
    """The web stack's own database: its poller and workers, alive for the whole session,
    would otherwise pick up, complete or fail the runs other tests create in theirs."""
    async with throwaway_database("quarry_web") as settings:
        yield settings


@pytest.fixture(scope="session")
def web_stack(
    web_settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WebStack]:
    build_web_app()
    with running_web_stack(web_settings, tmp_path_factory.mktemp("web")) as stack:
        yield stack


@pytest.fixture
def browser(web_stack: WebStack) -> Iterator[Playwright]:
    """Playwright for one test, started after the stack and stopped after the test.

    Playwright's synchronous API runs its own event loop in this thread while it is started:
    pytest-asyncio's session loop cannot run meanwhile, so a Playwright kept for the session
    broke every async test after the browser tests. Each test opens its own Chromium profile
    (tests/e2e/web/pages.py)."""
    expect_that.set_options(timeout=15_000)
    with sync_playwright() as playwright:
        yield playwright
