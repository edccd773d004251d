"""Snippet folders: nesting, cycles refused, names unique among siblings, empty-only delete."""

from __future__ import annotations

import asyncio

import pytest

from services import snippets
from services.errors import InvalidInput, NotFound
from tests.factories import make_tenant

pytestmark = pytest.mark.usefixtures("db")


async def test_create_rename_list_and_nest() -> None:
    tenant = await make_tenant("FoldNest")
    ctx, owner = tenant.context(), tenant.user.id
    reports = await snippets.create_folder(ctx, owner_id=owner, name=" Reports ")
    assert (reports.name, reports.parent_id) == ("Reports", None)
    daily = await snippets.create_folder(ctx, owner_id=owner, name="daily", parent_id=reports.id)
    await snippets.create_folder(ctx, owner_id=owner, name="Archive")
    root = await snippets.list_folders(ctx, owner_id=owner, parent_id=None, first=10, after=None)
    assert [e.node.name for e in root.edges] == ["Archive", "Reports"]
    inside = await snippets.list_folders(
        ctx, owner_id=owner, parent_id=reports.id, first=10, after=None
    )
    assert [e.node.id for e in inside.edges] == [daily.id]
    renamed = await snippets.rename_folder(ctx, owner_id=owner, folder_id=daily.id, name="Daily")
    assert renamed.name == "Daily" and renamed.parent_id == reports.id


async def test_folder_pages_with_cursors() -> None:
    tenant = await make_tenant("FoldPages")
    ctx, owner = tenant.context(), tenant.user.id
    for name in ("c", "A", "b", "D"):
        await snippets.create_folder(ctx, owner_id=owner, name=name)
    first = await snippets.list_folders(ctx, owner_id=owner, parent_id=None, first=3, after=None)
    assert [e.node.name for e in first.edges] == ["A", "b", "c"] and first.has_next_page
    rest = await snippets.list_folders(
        ctx, owner_id=owner, parent_id=None, first=3, after=first.edges[-1].cursor
    )
    assert [e.node.name for e in rest.edges] == ["D"] and not rest.has_next_page
    with pytest.raises(InvalidInput):
        await snippets.list_folders(ctx, owner_id=owner, parent_id=None, first=3, after="junk")


@pytest.mark.parametrize("name", ["", "  ", "n" * 101, "bad\x00name"])
async def test_bad_names_are_refused(name: str) -> None:
    tenant = await make_tenant("FoldBadName")
    with pytest.raises(InvalidInput) as caught:
        await snippets.create_folder(tenant.context(), owner_id=tenant.user.id, name=name)
    assert caught.value.field == "name"


async def test_sibling_names_are_unique_case_insensitively() -> None:
    tenant = await make_tenant("FoldNames")
    ctx, owner = tenant.context(), tenant.user.id
    first = await snippets.create_folder(ctx, owner_id=owner, name="Reports")
    other = await snippets.create_folder(ctx, owner_id=owner, name="Other")
    with pytest.raises(snippets.NameTaken):
        await snippets.create_folder(ctx, owner_id=owner, name="reports")
    with pytest.raises(snippets.NameTaken):
        await snippets.rename_folder(ctx, owner_id=owner, folder_id=other.id, name="REPORTS")
    # The same name under another parent is fine, and renaming to one's own name too.
    await snippets.create_folder(ctx, owner_id=owner, name="Reports", parent_id=other.id)
    same = await snippets.rename_folder(ctx, owner_id=owner, folder_id=first.id, name="reports")
    assert same.name == "reports"


async def test_a_folder_cannot_move_into_itself_or_its_descendants() -> None:
    tenant = await make_tenant("FoldCycle")
    ctx, owner = tenant.context(), tenant.user.id
    a = await snippets.create_folder(ctx, owner_id=owner, name="a")
    b = await snippets.create_folder(ctx, owner_id=owner, name="b", parent_id=a.id)
    c = await snippets.create_folder(ctx, owner_id=owner, name="c", parent_id=b.id)
    for target in (a.id, b.id, c.id):
        with pytest.raises(snippets.FolderCycle) as caught:
            await snippets.move_folder(ctx, owner_id=owner, folder_id=a.id, parent_id=target)
        assert caught.value.code == "FOLDER_CYCLE" and caught.value.field == "parentId"
    moved = await snippets.move_folder(ctx, owner_id=owner, folder_id=c.id, parent_id=None)
    assert moved.parent_id is None
    under = await snippets.move_folder(ctx, owner_id=owner, folder_id=a.id, parent_id=c.id)
    assert under.parent_id == c.id


async def test_two_crossing_moves_at_once_cannot_make_a_cycle() -> None:
    tenant = await make_tenant("FoldCycleRace")
    ctx, owner = tenant.context(), tenant.user.id
    a = await snippets.create_folder(ctx, owner_id=owner, name="a")
    b = await snippets.create_folder(ctx, owner_id=owner, name="b")

    async def move(folder: object, parent: object) -> str:
        try:
            await snippets.move_folder(
                ctx,
                owner_id=owner,
                folder_id=folder,  # type: ignore[arg-type]
                parent_id=parent,  # type: ignore[arg-type]
            )
        except snippets.FolderCycle:
            return "cycle"
        return "moved"

    outcomes = await asyncio.gather(move(a.id, b.id), move(b.id, a.id))
    assert sorted(outcomes) == ["cycle", "moved"]


async def test_moving_a_subtree_respects_the_depth_limit() -> None:
    from services.snippets.rules import MAX_FOLDER_DEPTH

    tenant = await make_tenant("FoldMoveDepth")
    ctx, owner = tenant.context(), tenant.user.id
    deep = None
    for level in range(MAX_FOLDER_DEPTH - 1):
        deep = (
            await snippets.create_folder(ctx, owner_id=owner, name=f"d{level}", parent_id=deep)
        ).id
    top = await snippets.create_folder(ctx, owner_id=owner, name="top")
    await snippets.create_folder(ctx, owner_id=owner, name="kid", parent_id=top.id)
    with pytest.raises(InvalidInput):
        await snippets.move_folder(ctx, owner_id=owner, folder_id=top.id, parent_id=deep)


async def test_only_an_empty_folder_is_deleted_and_its_trash_comes_back_at_the_root() -> None:
    tenant = await make_tenant("FoldDelete")
    ctx, owner = tenant.context(), tenant.user.id
    folder = await snippets.create_folder(ctx, owner_id=owner, name="F")
    sub = await snippets.create_folder(ctx, owner_id=owner, name="S", parent_id=folder.id)
    snippet = await snippets.create_snippet(
        ctx, owner_id=owner, title="t", sql="SELECT 1", folder_id=folder.id
    )
    with pytest.raises(snippets.FolderNotEmpty):
        await snippets.delete_folder(ctx, owner_id=owner, folder_id=folder.id)
    await snippets.delete_folder(ctx, owner_id=owner, folder_id=sub.id)
    with pytest.raises(snippets.FolderNotEmpty):
        await snippets.delete_folder(ctx, owner_id=owner, folder_id=folder.id)
    await snippets.delete_snippet(ctx, owner_id=owner, snippet_id=snippet.id)
    deleted = await snippets.delete_folder(ctx, owner_id=owner, folder_id=folder.id)
    assert deleted.id == folder.id
    with pytest.raises(NotFound):
        await snippets.get_folder(ctx, owner_id=owner, folder_id=folder.id)
    restored = await snippets.restore_snippet(ctx, owner_id=owner, snippet_id=snippet.id)
    assert restored.folder_id is None


async def test_listing_an_unknown_folder_is_not_found() -> None:
    tenant = await make_tenant("FoldUnknown")
    other = await make_tenant("FoldUnknownOther")
    theirs = await snippets.create_folder(other.context(), owner_id=other.user.id, name="X")
    with pytest.raises(NotFound):
        await snippets.list_snippets(
            tenant.context(),
            owner_id=tenant.user.id,
            folder_id=theirs.id,
            search=None,
            first=5,
            after=None,
        )
    with pytest.raises(NotFound):
        await snippets.list_folders(
            tenant.context(), owner_id=tenant.user.id, parent_id=theirs.id, first=5, after=None
        )
    with pytest.raises(NotFound):
        await snippets.move_folder(
            tenant.context(), owner_id=tenant.user.id, folder_id=theirs.id, parent_id=None
        )


async def test_moving_next_to_a_folder_of_the_same_name_is_refused() -> None:
    tenant = await make_tenant("FoldMoveName")
    ctx, owner = tenant.context(), tenant.user.id
    await snippets.create_folder(ctx, owner_id=owner, name="Reports")
    box = await snippets.create_folder(ctx, owner_id=owner, name="Box")
    inner = await snippets.create_folder(ctx, owner_id=owner, name="reports", parent_id=box.id)
    with pytest.raises(snippets.NameTaken) as caught:
        await snippets.move_folder(ctx, owner_id=owner, folder_id=inner.id, parent_id=None)
    assert caught.value.field == "parentId"
    still = await snippets.get_folder(ctx, owner_id=owner, folder_id=inner.id)
    assert still.parent_id == box.id
