"""A user's first sign-in to a BU whose metadata was never synced enqueues its sync (issue 13),
acting as that user; signing in again does not enqueue another."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest
import pytest_asyncio
from redis import Redis as SyncRedis
from rq.job import Job
from starlette.applications import Starlette

from app.main import create_app
from app.settings import Settings
from services.job_queue import job_id_for
from services.metadata.sync import JOB_SYNC, sync_job_key
from tests.app.signin.conftest import Mce, signin_settings
from tests.app.signin.test_enhanced import sign_in
from tests.conftest import REDIS_URL

pytestmark = pytest.mark.usefixtures("db")


@pytest_asyncio.fixture
async def app(db: Settings, mce: Mce) -> AsyncIterator[Starlette]:
    """The sign-in app with the trigger on (the tests' settings turn it off)."""
    settings = signin_settings(db, mce, METADATA_SYNC_ON_SIGN_IN="true")
    application = create_app(settings, manage_orm=False)
    async with application.router.lifespan_context(application):
        yield application


async def test_first_sign_in_to_a_bu_enqueues_its_metadata_sync(
    browser: httpx.AsyncClient, mce: Mce, admin_conn: asyncpg.Connection
) -> None:
    ada = mce.user("ada.admin")
    mid = ada.default_mid
    job_id = job_id_for(sync_job_key(mce.eid, mid, full=False))
    redis = SyncRedis.from_url(REDIS_URL)
    try:
        assert (await sign_in(browser, mce)).status_code == 200

        state = await admin_conn.fetchrow(
            "SELECT status, phase FROM metadata_sync_state WHERE tenant_id = $1 AND mid = $2",
            mce.eid, mid,
        )  # fmt: skip
        assert state is not None and (state["status"], state["phase"]) == ("running", "QUEUED")
        user_id = await admin_conn.fetchval(
            "SELECT id FROM users WHERE tenant_id = $1 AND mce_user_id = $2", mce.eid, ada.id
        )
        job = Job.fetch(job_id, connection=redis)
        assert (job.func_name, job.args) == (JOB_SYNC, (mce.eid, mid, user_id, 0))
        enqueued_at = job.enqueued_at

        await browser.get("/api/auth/logout")
        assert (await sign_in(browser, mce)).status_code == 200
        assert Job.fetch(job_id, connection=redis).enqueued_at == enqueued_at  # not again
    finally:
        if Job.exists(job_id, connection=redis):
            Job(job_id, connection=redis).delete()
        redis.close()
