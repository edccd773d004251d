"""The trash: delete, restore, list, and the 30-day purge (per tenant and across tenants)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from app.db import open_database
from app.settings import Settings
from services import snippets
from services.errors import NotFound
from tests.factories import TenantFixture, make_tenant

pytestmark = pytest.mark.usefixtures("db")


async def _snippet(tenant: TenantFixture, title: str = "t") -> snippets.SnippetInfo:
    return await snippets.create_snippet(
        tenant.context(), owner_id=tenant.user.id, title=title, sql="SELECT 1"
    )


async def _age(conn: asyncpg.Connection, snippet: snippets.SnippetInfo, days: float) -> None:
    """Pretend the snippet was deleted ``days`` ago."""
    await conn.execute(
        "UPDATE snippets SET deleted_at = now() - make_interval(secs => $2) WHERE id = $1",
        snippet.id,
        days * 86400,
    )


async def test_delete_hides_restore_brings_back_content_and_history() -> None:
    tenant = await make_tenant("TrashRound")
    ctx, owner = tenant.context(), tenant.user.id
    snippet = await _snippet(tenant)
    await snippets.update_snippet(ctx, owner_id=owner, snippet_id=snippet.id, sql="SELECT 2")
    deleted = await snippets.delete_snippet(ctx, owner_id=owner, snippet_id=snippet.id)
    assert deleted.deleted_at is not None and deleted.purge_at is not None
    assert deleted.purge_at - deleted.deleted_at == timedelta(days=30)
    with pytest.raises(NotFound):
        await snippets.get_snippet(ctx, owner_id=owner, snippet_id=snippet.id)
    with pytest.raises(NotFound):
        await snippets.update_snippet(ctx, owner_id=owner, snippet_id=snippet.id, title="x")
    with pytest.raises(NotFound):
        await snippets.delete_snippet(ctx, owner_id=owner, snippet_id=snippet.id)
    listed = await snippets.list_snippets(
        ctx, owner_id=owner, folder_id=None, search=None, first=10, after=None
    )
    assert listed.edges == []
    trash = await snippets.list_deleted_snippets(ctx, owner_id=owner, first=10, after=None)
    assert [e.node.id for e in trash.edges] == [snippet.id]

    restored = await snippets.restore_snippet(ctx, owner_id=owner, snippet_id=snippet.id)
    assert restored.deleted_at is None and restored.sql == "SELECT 2" and restored.version == 2
    history = await snippets.list_versions(
        ctx, owner_id=owner, snippet_id=snippet.id, first=10, before_version=None
    )
    assert [e.node.version for e in history.edges] == [2, 1]
    with pytest.raises(NotFound):
        await snippets.restore_snippet(ctx, owner_id=owner, snippet_id=snippet.id)


async def test_trash_lists_newest_deletion_first_in_pages(admin_conn: asyncpg.Connection) -> None:
    tenant = await make_tenant("TrashPages")
    ctx, owner = tenant.context(), tenant.user.id
    made = [await _snippet(tenant, f"s{n}") for n in range(3)]
    for n, snippet in enumerate(made):
        await snippets.delete_snippet(ctx, owner_id=owner, snippet_id=snippet.id)
        await _age(admin_conn, snippet, days=3 - n)  # s2 deleted most recently
    first = await snippets.list_deleted_snippets(ctx, owner_id=owner, first=2, after=None)
    assert [e.node.title for e in first.edges] == ["s2", "s1"] and first.has_next_page
    rest = await snippets.list_deleted_snippets(
        ctx, owner_id=owner, first=2, after=first.edges[-1].cursor
    )
    assert [e.node.title for e in rest.edges] == ["s0"] and not rest.has_next_page


async def test_after_thirty_days_a_snippet_cannot_be_restored(
    admin_conn: asyncpg.Connection,
) -> None:
    tenant = await make_tenant("TrashExpired")
    ctx, owner = tenant.context(), tenant.user.id
    old, recent = await _snippet(tenant, "old"), await _snippet(tenant, "recent")
    for snippet in (old, recent):
        await snippets.delete_snippet(ctx, owner_id=owner, snippet_id=snippet.id)
    await _age(admin_conn, old, days=30.01)
    await _age(admin_conn, recent, days=29.9)
    trash = await snippets.list_deleted_snippets(ctx, owner_id=owner, first=10, after=None)
    assert [e.node.title for e in trash.edges] == ["recent"]
    with pytest.raises(NotFound):
        await snippets.restore_snippet(ctx, owner_id=owner, snippet_id=old.id)
    assert (await snippets.restore_snippet(ctx, owner_id=owner, snippet_id=recent.id)).title == (
        "recent"
    )


async def test_purge_removes_trash_older_than_thirty_days_with_its_history(
    admin_conn: asyncpg.Connection,
) -> None:
    tenant = await make_tenant("TrashPurge")
    other = await make_tenant("TrashPurgeOther")
    ctx, owner = tenant.context(), tenant.user.id
    old, young, live = [await _snippet(tenant, n) for n in ("old", "young", "live")]
    theirs = await _snippet(other, "theirs")
    for snippet in (old, young):
        await snippets.delete_snippet(ctx, owner_id=owner, snippet_id=snippet.id)
    await snippets.delete_snippet(other.context(), owner_id=other.user.id, snippet_id=theirs.id)
    await _age(admin_conn, old, days=31)
    await _age(admin_conn, young, days=29)
    await _age(admin_conn, theirs, days=31)

    assert await snippets.purge_expired_trash(ctx) == 1
    remaining = await admin_conn.fetch(
        "SELECT title FROM snippets WHERE tenant_id = $1 ORDER BY title", tenant.tenant_id
    )
    assert [r["title"] for r in remaining] == ["live", "young"]
    assert (
        await admin_conn.fetchval(
            "SELECT count(*) FROM snippet_versions WHERE snippet_id = $1", old.id
        )
        == 0
    )
    # Another tenant's expired trash is not this tenant's purge's business.
    assert await admin_conn.fetchval("SELECT count(*) FROM snippets WHERE id = $1", theirs.id) == 1
    assert await snippets.purge_expired_trash(ctx) == 0
    # Thirty days after "now" the young one goes too.
    later = datetime.now(UTC) + timedelta(days=2)
    assert await snippets.purge_expired_trash(ctx, now=later) == 1
    assert live.id in {
        r["id"]
        for r in await admin_conn.fetch(
            "SELECT id FROM snippets WHERE tenant_id = $1", ctx.tenant_id
        )
    }


async def test_the_scheduled_purge_covers_every_tenant_as_the_system_role(
    db: Settings, admin_conn: asyncpg.Connection
) -> None:
    tenants = [await make_tenant(f"TrashEverywhere{n}") for n in range(2)]
    expired: list[object] = []
    kept: list[object] = []
    for tenant in tenants:
        for title, days in (("expired", 40), ("kept", 10)):
            snippet = await _snippet(tenant, title)
            await snippets.delete_snippet(
                tenant.context(), owner_id=tenant.user.id, snippet_id=snippet.id
            )
            await _age(admin_conn, snippet, days=days)
            (expired if title == "expired" else kept).append(snippet.id)

    # As the app role (no tenant context): RLS hides everything, nothing is purged.
    assert await snippets.purge_expired_trash_everywhere() == 0
    assert (
        await admin_conn.fetchval(
            "SELECT count(*) FROM snippets WHERE id = ANY($1::uuid[])", expired
        )
        == 2
    )

    async with open_database(db.system_database_url, max_size=2):
        purged = await snippets.purge_expired_trash_everywhere()
    assert purged >= 2  # other tests' expired trash in this database may go too
    left = await admin_conn.fetch(
        "SELECT id FROM snippets WHERE id = ANY($1::uuid[])", [*expired, *kept]
    )
    assert {r["id"] for r in left} == set(kept)
