"""The snippet trash's purge job: every tenant's expired trash, as the system role."""

from __future__ import annotations

from uuid import UUID

import asyncpg
import pytest

from app.settings import Settings
from jobs.snippets import purge_with
from services import snippets
from tests.factories import make_tenant

pytestmark = pytest.mark.usefixtures("db")


async def test_the_job_purges_expired_trash_of_every_tenant(
    db: Settings, admin_conn: asyncpg.Connection
) -> None:
    expired: list[UUID] = []
    kept: list[UUID] = []
    for n in range(2):
        tenant = await make_tenant(f"PurgeJob{n}")
        for days, bucket in ((31, expired), (1, kept)):
            made = await snippets.create_snippet(
                tenant.context(), owner_id=tenant.user.id, title="t", sql="SELECT 1"
            )
            await snippets.delete_snippet(
                tenant.context(), owner_id=tenant.user.id, snippet_id=made.id
            )
            await admin_conn.execute(
                "UPDATE snippets SET deleted_at = now() - make_interval(days => $2) WHERE id = $1",
                made.id,
                days,
            )
            bucket.append(made.id)
    result = await purge_with(db.system_database_url)
    assert result["purged"] >= 2  # other tests' expired trash in this database may go too
    left = await admin_conn.fetch(
        "SELECT id FROM snippets WHERE id = ANY($1::uuid[])", [*expired, *kept]
    )
    assert {row["id"] for row in left} == set(kept)
    assert await purge_with(db.system_database_url) == {"purged": 0}


async def test_as_the_app_role_it_purges_nothing(
    db: Settings, admin_conn: asyncpg.Connection
) -> None:
    tenant = await make_tenant("PurgeJobAppRole")
    made = await snippets.create_snippet(
        tenant.context(), owner_id=tenant.user.id, title="t", sql="SELECT 1"
    )
    await snippets.delete_snippet(tenant.context(), owner_id=tenant.user.id, snippet_id=made.id)
    await admin_conn.execute(
        "UPDATE snippets SET deleted_at = now() - interval '40 days' WHERE id = $1", made.id
    )
    assert await purge_with(db.app_database_url) == {"purged": 0}
    assert await admin_conn.fetchval("SELECT count(*) FROM snippets WHERE id = $1", made.id) == 1
