"""Listing and searching a library: one level by title, or a search of titles, SQL,
descriptions and tags where every word must match literally (LIKE wildcards escaped)."""

from __future__ import annotations

import pytest

from services import snippets
from services.errors import InvalidInput
from services.snippets.types import encode_cursor
from tests.factories import TenantFixture, make_tenant

pytestmark = pytest.mark.usefixtures("db")


async def _add(tenant: TenantFixture, title: str, sql: str = "SELECT 1", **extra: object) -> None:
    await snippets.create_snippet(
        tenant.context(),
        owner_id=tenant.user.id,
        title=title,
        sql=sql,
        **extra,  # type: ignore[arg-type]
    )


async def _search(
    tenant: TenantFixture, text: str | None, *, folder: object = None, first: int = 50
) -> list[str]:
    page = await snippets.list_snippets(
        tenant.context(),
        owner_id=tenant.user.id,
        folder_id=folder,  # type: ignore[arg-type]
        search=text,
        first=first,
        after=None,
    )
    return [edge.node.title for edge in page.edges]


@pytest.fixture
async def library() -> TenantFixture:
    tenant = await make_tenant("SearchLib")
    ctx, owner = tenant.context(), tenant.user.id
    reports = await snippets.create_folder(ctx, owner_id=owner, name="Reports")
    await _add(tenant, "Daily opens", "SELECT SubscriberKey FROM _Open", tags=("kpi",))
    await _add(tenant, "bounces", "SELECT * FROM _Bounce WHERE BounceCategory = 'Hard'")
    await _add(tenant, "100% done", "SELECT 1", description="progress under_score")
    await _add(tenant, "Clicks by day", "SELECT * FROM _Click", folder_id=reports.id)
    await _add(
        tenant, "Weekly", "SELECT 2", tags=("Newsletter", "weekly-kpi"), folder_id=reports.id
    )
    return tenant


async def test_without_search_one_level_is_listed_by_title(library: TenantFixture) -> None:
    assert await _search(library, None) == ["100% done", "bounces", "Daily opens"]
    assert await _search(library, "   ") == ["100% done", "bounces", "Daily opens"]


async def test_search_covers_title_sql_description_and_tags_everywhere(
    library: TenantFixture,
) -> None:
    assert await _search(library, "daily") == ["Daily opens"]
    assert await _search(library, "_click") == ["Clicks by day"]
    assert await _search(library, "bouncecategory") == ["bounces"]
    assert await _search(library, "newsletter") == ["Weekly"]
    assert await _search(library, "kpi") == ["Daily opens", "Weekly"]
    assert await _search(library, "progress") == ["100% done"]


async def test_every_word_must_match_somewhere(library: TenantFixture) -> None:
    assert await _search(library, "select kpi") == ["Daily opens", "Weekly"]
    assert await _search(library, "kpi _open") == ["Daily opens"]
    assert await _search(library, "kpi nothing-like-this") == []


async def test_wildcards_are_literal(library: TenantFixture) -> None:
    assert await _search(library, "%") == ["100% done"]
    assert await _search(library, "0%") == ["100% done"]
    assert await _search(library, "e_s") == []  # as a wildcard it would match "progress"
    assert await _search(library, "under_score") == ["100% done"]
    assert await _search(library, "\\") == []
    assert await _search(library, "'; DROP TABLE snippets; --") == []
    assert len(await _search(library, None)) == 3  # still there


async def test_search_within_a_folder(library: TenantFixture) -> None:
    ctx, owner = library.context(), library.user.id
    [reports] = (
        await snippets.list_folders(ctx, owner_id=owner, parent_id=None, first=5, after=None)
    ).edges
    assert await _search(library, None, folder=reports.node.id) == ["Clicks by day", "Weekly"]
    assert await _search(library, "kpi", folder=reports.node.id) == ["Weekly"]


async def test_pages_follow_the_title_order(library: TenantFixture) -> None:
    ctx, owner = library.context(), library.user.id
    seen: list[str] = []
    after = None
    while True:
        page = await snippets.list_snippets(
            ctx, owner_id=owner, folder_id=None, search="select", first=2, after=after
        )
        seen += [e.node.title for e in page.edges]
        if not page.has_next_page:
            break
        after = page.edges[-1].cursor
    assert seen == ["100% done", "bounces", "Clicks by day", "Daily opens", "Weekly"]


@pytest.mark.parametrize(
    "cursor",
    [
        "junk",
        "W10",
        "WyJhIl0",
        "WyJhIiwgIm5vdC1hLXV1aWQiXQ",
        encode_cursor("a\x00", "00000000-0000-0000-0000-000000000000"),
        encode_cursor(1, "00000000-0000-0000-0000-000000000000"),
        "x" * 2000,
    ],
)
async def test_bad_cursors_are_invalid_input(library: TenantFixture, cursor: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        await snippets.list_snippets(
            library.context(),
            owner_id=library.user.id,
            folder_id=None,
            search=None,
            first=5,
            after=cursor,
        )
    assert caught.value.field == "after"


async def test_overlong_or_binary_searches_are_refused(library: TenantFixture) -> None:
    with pytest.raises(InvalidInput):
        await _search(library, "x" * 201)
    with pytest.raises(InvalidInput):
        await _search(library, " ".join(f"w{n}" for n in range(11)))
    with pytest.raises(InvalidInput):
        await _search(library, "nul\x00byte")
