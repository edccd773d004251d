"""The canary: recognisable secrets, planted everywhere a secret exists, must not appear
anywhere but the wallet's ciphertext.

Planted: the packages' client secrets, the legacy JWT signing secret and the wallet's
key-encryption key are canary values; every token, code and JWT the simulator issues, every
session id, CSRF token and API token the app hands out is collected as it goes by. Then both
sign-in flows, a BU switch, GraphQL with a cookie and with a bearer token, sign-out, and a
background job that fails because MCE revoked the user's token (run by the real worker, in
a subprocess) all happen. Searched afterwards: every log line (ours and the worker's), every
key and value in Redis (RQ's failed-job records included), every GraphQL response, and every
column of every table in the database.
"""

from __future__ import annotations

import base64
import os
import secrets
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
import pytest_asyncio
from redis import Redis as SyncRedis
from redis.asyncio import Redis
from rq import Queue
from rq.registry import FailedJobRegistry
from starlette.applications import Starlette

from app.main import create_app
from app.settings import Settings
from jobs.connection import TIMEOUT_SECONDS, check_mce_connection
from tests.app.signin.conftest import APP_ORIGIN, AppOrNetwork, Mce, csrf_token, signin_settings
from tests.app.signin.test_enhanced import sign_in
from tests.app.signin.test_legacy import minted, post_jwt

pytestmark = [pytest.mark.usefixtures("db"), pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[3]
SWITCH = 'mutation { switchBusinessUnit(input: {mid: "MID"}) { userErrors { code } } }'
KEK = base64.b64encode(secrets.token_bytes(32)).decode()


class Canaries:
    """Secrets seen so far, and every GraphQL response to search later."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}
        self.responses: list[str] = []

    def add(self, label: str, value: str | None) -> None:
        if value:
            self.values[value] = label

    def found_in(self, text: str, *, skip: frozenset[str] = frozenset()) -> list[str]:
        return sorted(
            label for value, label in self.values.items() if label not in skip and value in text
        )


def plant(mce: Mce) -> dict[str, str]:
    tag = secrets.token_hex(6)
    mce.sim.enhanced_package.client_secret = f"canaryEnhancedSecret{tag}"
    mce.sim.legacy_package.client_secret = f"canaryLegacySecret{tag}"
    mce.sim.legacy_package.jwt_signing_secret = f"canaryJwtSigningSecret{tag}" + "x" * 32
    return {"WALLET_KEKS": f"canary-{tag}:{KEK}", "LOG_LEVEL": "DEBUG"}


def collect_from_simulator(mce: Mce, canaries: Canaries) -> None:
    """Every credential the simulator issued: the random part of each token, and codes."""
    auth = mce.sim.auth
    for token in [*auth._access, *auth._refresh]:
        canaries.add("mce token", token.rsplit(".", 1)[-1])
    for code in auth._codes:
        canaries.add("authorization code", code)
    canaries.add("client secret", mce.sim.enhanced_package.client_secret)
    canaries.add("legacy client secret", mce.sim.legacy_package.client_secret)
    canaries.add("jwt signing secret", mce.sim.legacy_package.jwt_signing_secret)
    canaries.add("kek", KEK)


@pytest_asyncio.fixture
async def canary_app(db: Settings, mce: Mce) -> AsyncIterator[tuple[Starlette, Settings]]:
    settings = signin_settings(db, mce, **plant(mce))
    application = create_app(settings, manage_orm=False)
    async with application.router.lifespan_context(application):
        yield application, settings


async def post_graphql(
    browser: httpx.AsyncClient, canaries: Canaries, query: str, **headers: str
) -> dict[str, Any]:
    response = await browser.post(
        "/api/graphql", json={"query": query}, headers={"Origin": APP_ORIGIN, **headers}
    )
    canaries.responses.append(response.text)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def run_worker(settings: Settings, env: dict[str, str]) -> str:
    completed = subprocess.run(
        [sys.executable, "-m", "app.worker", "--burst"],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    return completed.stdout + completed.stderr


async def dump_redis(url: str) -> str:
    redis = Redis.from_url(url)
    parts: list[str] = []
    try:
        async for key in redis.scan_iter(count=500):
            parts.append(key.decode(errors="replace"))
            kind = (await redis.type(key)).decode()
            if kind == "string":
                value = await redis.get(key)
                parts.append((value or b"").decode(errors="replace"))
            elif kind == "hash":
                for field, value in (await redis.hgetall(key)).items():
                    parts.append(
                        field.decode(errors="replace") + "=" + value.decode(errors="replace")
                    )
            elif kind == "list":
                parts.extend(v.decode(errors="replace") for v in await redis.lrange(key, 0, -1))
            elif kind == "set":
                parts.extend(v.decode(errors="replace") for v in await redis.smembers(key))
            elif kind == "zset":
                parts.extend(v.decode(errors="replace") for v in await redis.zrange(key, 0, -1))
            elif kind == "stream":
                for _, fields in await redis.xrange(key):
                    parts.extend(f"{k!r}={v!r}" for k, v in fields.items())
    finally:
        await redis.aclose()
    return "\n".join(parts)


async def dump_database(conn: asyncpg.Connection) -> str:
    tables = await conn.fetch(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
    )
    parts = []
    for row in tables:
        name = row["tablename"]
        rows = await conn.fetch(f'SELECT t::text AS line FROM "{name}" t')  # noqa: S608
        parts.extend(f"{name}: {r['line']}" for r in rows)
    return "\n".join(parts)


async def test_no_secret_escapes(
    canary_app: tuple[Starlette, Settings],
    mce: Mce,
    admin_conn: asyncpg.Connection,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level("DEBUG")
    app, settings = canary_app
    canaries = Canaries()
    transport = AppOrNetwork(app)

    # Enhanced sign-in, GraphQL with the cookie, a BU switch, an API token.
    async with httpx.AsyncClient(
        transport=transport, base_url=APP_ORIGIN, follow_redirects=True
    ) as ada:
        await sign_in(ada, mce, "ada.admin")
        canaries.add("session id", ada.cookies.get("__Host-quarry_session"))
        csrf = await csrf_token(ada)
        canaries.add("csrf token", csrf)
        await post_graphql(ada, canaries, "{ viewer { user { name } } }", **{"X-CSRF-Token": csrf})
        child = next(m for m in mce.user("ada.admin").reachable_mids if m != mce.eid)
        await post_graphql(
            ada,
            canaries,
            SWITCH.replace("MID", str(child)),
            **{"X-CSRF-Token": csrf},
        )
        created = await post_graphql(
            ada,
            canaries,
            'mutation { createApiToken(input: {name: "canary", scope: READ}) {'
            " token userErrors { code } } }",
            **{"X-CSRF-Token": csrf},
        )
        api_token = created["data"]["createApiToken"]["token"]
        canaries.add("api token", api_token)
        created_response = canaries.responses.pop()  # the one place the token is shown
    async with httpx.AsyncClient(transport=transport, base_url=APP_ORIGIN) as integration:
        await post_graphql(
            integration,
            canaries,
            "{ viewer { user { name } } }",
            Authorization=f"Bearer {api_token}",
        )

    # Legacy sign-in, then sign-out.
    async with httpx.AsyncClient(
        transport=transport, base_url=APP_ORIGIN, follow_redirects=True
    ) as mia:
        token, claims = minted(mce, "mia.marketer")
        canaries.add("legacy jwt", token)
        canaries.add("legacy jwt signature", token.rsplit(".", 1)[-1])
        canaries.add("legacy refresh token", claims["request"]["rest"]["refreshToken"])
        response = await post_jwt(mia, token)
        assert response.status_code == 303
        canaries.add("session id", mia.cookies.get("__Host-quarry_session"))
        await mia.get("/api/auth/logout")

    # Background jobs: one minted from Ada's lineage for a BU she never signed in to (the
    # encrypted access token lands in Redis); then MCE revokes her tokens, one job fails
    # (the lineage is marked) and the next waits for a sign-in (waiting work, ids only).
    ada_user = mce.user("ada.admin")
    queue = Queue("default", connection=SyncRedis.from_url(settings.redis_url))
    third = next(m for m in ada_user.reachable_mids if m not in (mce.eid, child))
    minted_job = queue.enqueue(
        check_mce_connection, mce.eid, third, ada_user.id, job_timeout=TIMEOUT_SECONDS
    )
    env = {
        "QUARRY_ENV": "test",
        "DATABASE_URL": settings.database_url,
        "REDIS_URL": settings.redis_url,
        "MCE_AUTH_BASE_URL": settings.mce_auth_base_url,
        "MCE_CLIENT_ID": settings.mce_client_id,
        "MCE_CLIENT_SECRET": settings.mce_client_secret,
        "WALLET_KEKS": settings.wallet_keks,
        "LOG_LEVEL": "DEBUG",
    }
    worker_output = run_worker(settings, env)
    minted_job.refresh()
    assert minted_job.is_finished, minted_job.latest_result()
    assert minted_job.return_value()["member_id"] == third

    mce.sim.auth.revoke_refresh_tokens(user_id=ada_user.id)
    mce.sim.auth.expire_access_tokens(user_id=ada_user.id)
    job = queue.enqueue(
        check_mce_connection, mce.eid, child, ada_user.id, job_timeout=TIMEOUT_SECONDS
    )
    waiting_job = queue.enqueue(
        check_mce_connection, mce.eid, third, ada_user.id, job_timeout=TIMEOUT_SECONDS
    )
    worker_output += run_worker(settings, env)
    waiting_job.refresh()
    assert waiting_job.is_failed and "NeedsSignIn" in (waiting_job.latest_result().exc_string or "")
    assert (
        await admin_conn.fetchval("SELECT count(*) FROM waiting_work WHERE tenant_id = $1", mce.eid)
        >= 1
    )
    job.refresh()
    assert job.is_failed
    assert FailedJobRegistry(queue=queue).get_job_ids().count(job.id) == 1
    assert "ReauthRequired" in (job.latest_result().exc_string or "")

    collect_from_simulator(mce, canaries)
    assert len(canaries.values) > 10

    logs = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    leaks = [
        (r.name, r.getMessage()[:200])
        for r in caplog.records
        if canaries.found_in(f"{r.getMessage()} {r.__dict__}")
    ]
    assert leaks == []
    # The searches looked at something: the app's MCE calls and the worker's failure.
    assert any("auth.token.authorization_code" in r.getMessage() for r in caplog.records)
    assert "ReauthRequired" in worker_output
    captured = capfd.readouterr()
    assert canaries.found_in(logs) == []
    assert canaries.found_in(captured.out + captured.err) == []
    assert canaries.found_in(worker_output) == []
    assert (
        canaries.found_in(await dump_redis(settings.redis_url), skip=frozenset({"csrf token"}))
        == []
    )
    assert canaries.found_in("\n".join(canaries.responses)) == []
    assert canaries.found_in(created_response, skip=frozenset({"api token"})) == []
    assert canaries.found_in(await dump_database(admin_conn)) == []
