"""The snippet library's service: content, versions, folders and owner isolation.

Real Postgres as the app role (RLS on), through the same functions the resolvers call.
"""

from __future__ import annotations

import asyncio
from uuid import UUID, uuid4

import asyncpg
import pytest

from models import TenantContext
from services import snippets
from services.errors import InvalidInput, NotFound
from services.snippets.rules import HISTORY_LENGTH, MAX_FOLDER_DEPTH, MAX_SQL_CHARS, MAX_TAGS
from tests.factories import TenantFixture, make_member, make_tenant

pytestmark = pytest.mark.usefixtures("db")


async def _create(tenant: TenantFixture, **given: object) -> snippets.SnippetInfo:
    values: dict[str, object] = {"title": "Opens", "sql": "SELECT 1 AS n"} | given
    return await snippets.create_snippet(
        tenant.context(),
        owner_id=tenant.user.id,
        **values,  # type: ignore[arg-type]
    )


async def test_create_keeps_sql_exactly_and_cleans_the_rest() -> None:
    tenant = await make_tenant("SnipCreate")
    sql = "  SELECT SubscriberKey\n\tFROM _Open  \n"
    snippet = await _create(
        tenant, title="  Opens  ", sql=sql, description=" why ", tags=("daily", "Daily", " kpi ")
    )
    assert (snippet.title, snippet.sql, snippet.description) == ("Opens", sql, "why")
    assert snippet.tags == ("daily", "kpi")
    assert snippet.version == 1 and snippet.deleted_at is None and snippet.folder_id is None
    stored = await snippets.get_snippet(
        tenant.context(), owner_id=tenant.user.id, snippet_id=snippet.id
    )
    assert stored == snippet


@pytest.mark.parametrize(
    ("given", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "   "}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"title": "tab\there"}, "title"),
        ({"sql": "x" * (MAX_SQL_CHARS + 1)}, "sql"),
        ({"sql": "SELECT 1\x00"}, "sql"),
        ({"description": "d" * 2001}, "description"),
        ({"tags": tuple(f"t{n}" for n in range(MAX_TAGS + 1))}, "tags"),
        ({"tags": ("",)}, "tags"),
        ({"tags": ("t" * 51,)}, "tags"),
    ],
)
async def test_bad_content_is_refused_naming_the_field(
    given: dict[str, object], field: str
) -> None:
    tenant = await make_tenant("SnipBad")
    with pytest.raises(InvalidInput) as caught:
        await _create(tenant, **given)
    assert caught.value.field == field
    page = await snippets.list_snippets(
        tenant.context(), owner_id=tenant.user.id, folder_id=None, search=None, first=10, after=None
    )
    assert page.edges == []


async def test_sql_at_the_limit_and_twenty_tags_are_accepted() -> None:
    tenant = await make_tenant("SnipLimit")
    snippet = await _create(
        tenant, sql="x" * MAX_SQL_CHARS, tags=tuple(f"t{n}" for n in range(MAX_TAGS))
    )
    assert len(snippet.sql) == MAX_SQL_CHARS and len(snippet.tags) == MAX_TAGS


async def test_update_changes_what_is_given_and_counts_versions() -> None:
    tenant = await make_tenant("SnipUpdate")
    ctx, owner = tenant.context(), tenant.user.id
    snippet = await _create(tenant, description="first", tags=("a",))
    updated = await snippets.update_snippet(
        ctx, owner_id=owner, snippet_id=snippet.id, sql="SELECT 2 AS n", expected_version=1
    )
    assert (updated.title, updated.sql, updated.description, updated.tags) == (
        "Opens",
        "SELECT 2 AS n",
        "first",
        ("a",),
    )
    assert updated.version == 2
    same = await snippets.update_snippet(ctx, owner_id=owner, snippet_id=snippet.id, title="Opens")
    assert same.version == 2, "saving the same content is not a new version"
    renamed = await snippets.update_snippet(ctx, owner_id=owner, snippet_id=snippet.id, title="B")
    assert renamed.version == 3 and renamed.sql == "SELECT 2 AS n"
    cleared = await snippets.update_snippet(
        ctx, owner_id=owner, snippet_id=snippet.id, description="", tags=()
    )
    assert (cleared.description, cleared.tags, cleared.version) == ("", (), 4)


async def test_a_stale_expected_version_is_a_conflict_and_changes_nothing() -> None:
    tenant = await make_tenant("SnipConflict")
    ctx, owner = tenant.context(), tenant.user.id
    snippet = await _create(tenant)
    await snippets.update_snippet(ctx, owner_id=owner, snippet_id=snippet.id, sql="SELECT 2")
    with pytest.raises(snippets.Conflict) as caught:
        await snippets.update_snippet(
            ctx, owner_id=owner, snippet_id=snippet.id, sql="SELECT 3", expected_version=1
        )
    assert caught.value.code == "CONFLICT" and caught.value.field == "expectedVersion"
    now = await snippets.get_snippet(ctx, owner_id=owner, snippet_id=snippet.id)
    assert (now.sql, now.version) == ("SELECT 2", 2)


async def test_concurrent_edits_of_one_version_let_exactly_one_win() -> None:
    tenant = await make_tenant("SnipRace")
    ctx, owner = tenant.context(), tenant.user.id
    snippet = await _create(tenant)

    async def edit(text: str) -> str:
        try:
            await snippets.update_snippet(
                ctx, owner_id=owner, snippet_id=snippet.id, sql=text, expected_version=1
            )
        except snippets.Conflict:
            return "conflict"
        return "saved"

    outcomes = await asyncio.gather(*(edit(f"SELECT {n}") for n in range(4)))
    assert sorted(outcomes) == ["conflict"] * 3 + ["saved"]
    now = await snippets.get_snippet(ctx, owner_id=owner, snippet_id=snippet.id)
    assert now.version == 2


async def test_history_keeps_the_last_fifty_versions_each_with_its_time() -> None:
    tenant = await make_tenant("SnipHistory")
    ctx, owner = tenant.context(), tenant.user.id
    snippet = await _create(tenant, sql="SELECT 0")
    for n in range(1, 52):  # 51 edits after the first save: versions 1..52 were saved
        await snippets.update_snippet(ctx, owner_id=owner, snippet_id=snippet.id, sql=f"SELECT {n}")
    page = await snippets.list_versions(
        ctx, owner_id=owner, snippet_id=snippet.id, first=HISTORY_LENGTH, before_version=None
    )
    versions = [edge.node for edge in page.edges]
    assert len(versions) == HISTORY_LENGTH and not page.has_next_page
    assert [v.version for v in versions] == list(range(52, 2, -1))
    assert versions[0].sql == "SELECT 51" and versions[-1].sql == "SELECT 2"
    times = [v.created_at for v in versions]
    assert times == sorted(times, reverse=True)
    with pytest.raises(NotFound) as caught:
        await snippets.restore_version(ctx, owner_id=owner, snippet_id=snippet.id, version=2)
    assert caught.value.field == "version"


async def test_history_pages_with_cursors() -> None:
    tenant = await make_tenant("SnipHistoryPages")
    ctx, owner = tenant.context(), tenant.user.id
    snippet = await _create(tenant)
    for n in range(4):
        await snippets.update_snippet(ctx, owner_id=owner, snippet_id=snippet.id, title=f"T{n}")
    first = await snippets.list_versions(
        ctx, owner_id=owner, snippet_id=snippet.id, first=2, before_version=None
    )
    assert [e.node.version for e in first.edges] == [5, 4] and first.has_next_page
    rest = await snippets.list_versions(
        ctx, owner_id=owner, snippet_id=snippet.id, first=5, before_version=4
    )
    assert [e.node.version for e in rest.edges] == [3, 2, 1] and not rest.has_next_page


async def test_restoring_a_version_saves_its_content_as_a_new_version() -> None:
    tenant = await make_tenant("SnipRestoreVersion")
    ctx, owner = tenant.context(), tenant.user.id
    snippet = await _create(tenant, title="One", sql="SELECT 1", tags=("x",))
    await snippets.update_snippet(
        ctx, owner_id=owner, snippet_id=snippet.id, title="Two", sql="SELECT 2", tags=()
    )
    restored = await snippets.restore_version(
        ctx, owner_id=owner, snippet_id=snippet.id, version=1, expected_version=2
    )
    assert (restored.title, restored.sql, restored.tags, restored.version) == (
        "One",
        "SELECT 1",
        ("x",),
        3,
    )
    with pytest.raises(snippets.Conflict):
        await snippets.restore_version(
            ctx, owner_id=owner, snippet_id=snippet.id, version=2, expected_version=2
        )
    with pytest.raises(NotFound):
        await snippets.restore_version(ctx, owner_id=owner, snippet_id=snippet.id, version=99)


async def test_move_and_duplicate() -> None:
    tenant = await make_tenant("SnipMove")
    ctx, owner = tenant.context(), tenant.user.id
    folder = await snippets.create_folder(ctx, owner_id=owner, name="Reports")
    snippet = await _create(tenant, title="x" * 200, tags=("t",))
    moved = await snippets.move_snippet(
        ctx, owner_id=owner, snippet_id=snippet.id, folder_id=folder.id
    )
    assert moved.folder_id == folder.id and moved.version == 1
    copy = await snippets.duplicate_snippet(ctx, owner_id=owner, snippet_id=snippet.id)
    assert copy.id != snippet.id and copy.folder_id == folder.id and copy.version == 1
    assert copy.title.endswith(" (copy)") and len(copy.title) == 200
    assert (copy.sql, copy.tags) == (snippet.sql, snippet.tags)
    elsewhere = await snippets.duplicate_snippet(
        ctx, owner_id=owner, snippet_id=snippet.id, title="Mine", folder_id=None, keep_folder=False
    )
    assert (elsewhere.title, elsewhere.folder_id) == ("Mine", None)
    back = await snippets.move_snippet(ctx, owner_id=owner, snippet_id=snippet.id, folder_id=None)
    assert back.folder_id is None
    with pytest.raises(NotFound) as caught:
        await snippets.move_snippet(ctx, owner_id=owner, snippet_id=snippet.id, folder_id=uuid4())
    assert caught.value.field == "folderId"


async def test_another_users_and_another_tenants_snippets_are_not_found() -> None:
    tenant = await make_tenant("SnipOwner")
    colleague = await make_member(tenant, mids=(tenant.parent_mid,), name="Colleague")
    other = await make_tenant("SnipOtherTenant")
    mine = await _create(tenant, title="Mine")
    my_folder = await snippets.create_folder(tenant.context(), owner_id=tenant.user.id, name="F")
    theirs = await _create(other, title="Theirs")

    intruders: list[tuple[TenantContext, UUID]] = [
        (tenant.context(), colleague.id),  # same tenant, another user
        (other.context(), other.user.id),  # another tenant, naming my ids
    ]
    for ctx, user_id in intruders:
        with pytest.raises(NotFound):
            await snippets.get_snippet(ctx, owner_id=user_id, snippet_id=mine.id)
        with pytest.raises(NotFound):
            await snippets.update_snippet(ctx, owner_id=user_id, snippet_id=mine.id, title="x")
        with pytest.raises(NotFound):
            await snippets.delete_snippet(ctx, owner_id=user_id, snippet_id=mine.id)
        with pytest.raises(NotFound):
            await snippets.duplicate_snippet(ctx, owner_id=user_id, snippet_id=mine.id)
        with pytest.raises(NotFound):
            await snippets.list_versions(
                ctx, owner_id=user_id, snippet_id=mine.id, first=5, before_version=None
            )
        with pytest.raises(NotFound):
            await snippets.restore_version(ctx, owner_id=user_id, snippet_id=mine.id, version=1)
        with pytest.raises(NotFound):
            await snippets.rename_folder(ctx, owner_id=user_id, folder_id=my_folder.id, name="y")
        with pytest.raises(NotFound):
            await snippets.create_snippet(
                ctx, owner_id=user_id, title="t", sql="s", folder_id=my_folder.id
            )
        page = await snippets.list_snippets(
            ctx, owner_id=user_id, folder_id=None, search="Mine", first=10, after=None
        )
        assert mine.id not in {e.node.id for e in page.edges}
    # The other tenant's own snippet is invisible from my tenant even with its owner's id.
    with pytest.raises(NotFound):
        await snippets.get_snippet(tenant.context(), owner_id=other.user.id, snippet_id=theirs.id)
    still = await snippets.get_snippet(
        tenant.context(), owner_id=tenant.user.id, snippet_id=mine.id
    )
    assert still.title == "Mine" and still.version == 1


async def test_the_library_is_the_same_in_every_bu_of_the_user() -> None:
    tenant = await make_tenant("SnipBUs")
    snippet = await _create(tenant)
    child = tenant.context(tenant.child_mids[0])
    found = await snippets.get_snippet(child, owner_id=tenant.user.id, snippet_id=snippet.id)
    assert found.id == snippet.id


async def test_the_tables_are_rls_bound_to_the_tenant(admin_conn: asyncpg.Connection) -> None:
    """Without a tenant context the app role sees no snippet at all (the tenant policy)."""
    tenant = await make_tenant("SnipRLS")
    await _create(tenant)
    from tortoise import Tortoise

    conn = Tortoise.get_connection("default")
    for table in ("snippets", "snippet_versions"):
        rows = await conn.execute_query_dict(f"SELECT count(*) AS n FROM {table}")  # noqa: S608
        assert rows[0]["n"] == 0
    assert (
        await admin_conn.fetchval(
            "SELECT count(*) FROM snippets WHERE tenant_id = $1", tenant.tenant_id
        )
        == 1
    )


async def test_depth_is_bounded() -> None:
    tenant = await make_tenant("SnipDepth")
    ctx, owner = tenant.context(), tenant.user.id
    parent: UUID | None = None
    for level in range(MAX_FOLDER_DEPTH):
        parent = (
            await snippets.create_folder(ctx, owner_id=owner, name=f"L{level}", parent_id=parent)
        ).id
    with pytest.raises(InvalidInput) as caught:
        await snippets.create_folder(ctx, owner_id=owner, name="too deep", parent_id=parent)
    assert caught.value.field == "parentId"


_BULK_SNIPPETS = (
    "INSERT INTO snippets (id, tenant_id, owner_id, visibility, title, sql, description, tags,"
    " version, created_at, updated_at)"
    " SELECT gen_random_uuid(), $1, $2, 'private', 'bulk', 'SELECT 1', '', '[]', 1, now(), now()"
    " FROM generate_series(1, $3)"
)
_BULK_FOLDERS = (
    "INSERT INTO snippet_folders (id, tenant_id, owner_id, name, created_at, updated_at)"
    " SELECT gen_random_uuid(), $1, $2, 'f' || n, now(), now() FROM generate_series(1, $3) n"
)


async def test_a_library_is_bounded(admin_conn: asyncpg.Connection) -> None:
    from services.snippets.rules import MAX_FOLDERS_PER_USER, MAX_SNIPPETS_PER_USER

    tenant = await make_tenant("SnipCap")
    colleague = await make_member(tenant, mids=(tenant.parent_mid,), name="Colleague")
    ctx, owner = tenant.context(), tenant.user.id
    first = await _create(tenant)
    await admin_conn.execute(_BULK_SNIPPETS, tenant.tenant_id, owner, MAX_SNIPPETS_PER_USER - 1)
    await admin_conn.execute(_BULK_FOLDERS, tenant.tenant_id, owner, MAX_FOLDERS_PER_USER)
    with pytest.raises(snippets.LimitReached):
        await _create(tenant)
    with pytest.raises(snippets.LimitReached):
        await snippets.duplicate_snippet(ctx, owner_id=owner, snippet_id=first.id)
    with pytest.raises(snippets.LimitReached):
        await snippets.create_folder(ctx, owner_id=owner, name="one more")
    # The trash counts until it is emptied; another user's library is not affected.
    await snippets.delete_snippet(ctx, owner_id=owner, snippet_id=first.id)
    with pytest.raises(snippets.LimitReached):
        await _create(tenant)
    theirs = await snippets.create_snippet(ctx, owner_id=colleague.id, title="t", sql="SELECT 1")
    assert theirs.version == 1


async def test_removing_a_user_takes_their_whole_library(admin_conn: asyncpg.Connection) -> None:
    """Nested folders, snippets in them, versions and trash all cascade from ``users``."""
    tenant = await make_tenant("SnipUserGone")
    leaving = await make_member(tenant, mids=(tenant.parent_mid,), name="Leaving")
    ctx = tenant.context()
    top = await snippets.create_folder(ctx, owner_id=leaving.id, name="top")
    sub = await snippets.create_folder(ctx, owner_id=leaving.id, name="sub", parent_id=top.id)
    kept = await snippets.create_snippet(
        ctx, owner_id=leaving.id, title="t", sql="SELECT 1", folder_id=sub.id
    )
    trashed = await snippets.create_snippet(
        ctx, owner_id=leaving.id, title="x", sql="SELECT 1", folder_id=top.id
    )
    await snippets.delete_snippet(ctx, owner_id=leaving.id, snippet_id=trashed.id)
    mine = await _create(tenant)
    await admin_conn.execute("DELETE FROM users WHERE id = $1", leaving.id)
    for table, column in (("snippet_folders", "owner_id"), ("snippets", "owner_id")):
        count = await admin_conn.fetchval(
            f"SELECT count(*) FROM {table} WHERE {column} = $1",  # noqa: S608 - constants
            leaving.id,
        )
        assert count == 0, table
    assert (
        await admin_conn.fetchval(
            "SELECT count(*) FROM snippet_versions WHERE snippet_id = ANY($1::uuid[])",
            [kept.id, trashed.id],
        )
        == 0
    )
    assert (await snippets.get_snippet(ctx, owner_id=tenant.user.id, snippet_id=mine.id)).id
