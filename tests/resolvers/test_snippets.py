"""Snippet use-cases: who may read and write, page bounds, and ``snippet_node``'s nulls."""

from __future__ import annotations

import uuid

import pytest

from resolvers import snippets as use
from services.authn import ANONYMOUS, Authentication, AuthMethod, SupportPrincipal
from services.errors import InvalidInput, NotAuthenticated, PermissionDenied
from services.identity import Principal, PrincipalKind
from services.snippets import SnippetInfo
from tests.factories import TenantFixture, make_tenant

pytestmark = pytest.mark.usefixtures("db")

SUPPORT = Authentication(
    method=AuthMethod.BEARER,
    support=SupportPrincipal(token_id=uuid.uuid4(), name="support", expires_at=None),
)


def _token(tenant: TenantFixture, *, read_only: bool, mid: int | None = None) -> Authentication:
    principal = Principal(
        tenant_id=tenant.tenant_id,
        mid=tenant.parent_mid if mid is None else mid,
        user_id=tenant.user.id,
        kind=PrincipalKind.API_TOKEN,
        read_only=read_only,
        api_token_id=uuid.uuid4(),
    )
    return Authentication(method=AuthMethod.BEARER, principal=principal)


async def _create(auth: Authentication, title: str = "t") -> SnippetInfo:
    return await use.create_snippet(
        auth, title=title, sql="SELECT 1", description="", tags=[], folder_id=None
    )


async def test_a_read_only_principal_reads_but_every_write_is_refused() -> None:
    tenant = await make_tenant("UseReadOnly")
    writer, reader = _token(tenant, read_only=False), _token(tenant, read_only=True)
    made = await use.create_snippet(
        writer, title="mine", sql="SELECT 1", description="", tags=[], folder_id=None
    )
    page = await use.list_snippets(reader, folder_id=None, search=None, first=5, after=None)
    assert [e.node.id for e in page.edges] == [made.id]
    sid = str(made.id)
    writes = [
        _create(reader),
        use.update_snippet(
            reader,
            snippet_id=sid,
            title="x",
            sql=None,
            description=None,
            tags=None,
            expected_version=None,
        ),
        use.rename_snippet(reader, snippet_id=sid, title="x", expected_version=None),
        use.move_snippet(reader, snippet_id=sid, folder_id=None),
        use.duplicate_snippet(reader, snippet_id=sid, title=None, folder_id=None, keep_folder=True),
        use.delete_snippet(reader, snippet_id=sid),
        use.restore_snippet(reader, snippet_id=sid),
        use.restore_snippet_version(reader, snippet_id=sid, version=1, expected_version=None),
        use.create_snippet_folder(reader, name="f", parent_id=None),
    ]
    for write in writes:
        with pytest.raises(PermissionDenied):
            await write
    still = await use.get_snippet(reader, snippet_id=sid)
    assert still is not None and still.title == "mine" and still.deleted_at is None


async def test_support_and_anonymous_get_nothing() -> None:
    with pytest.raises(PermissionDenied):
        await use.list_snippets(SUPPORT, folder_id=None, search=None, first=5, after=None)
    with pytest.raises(NotAuthenticated):
        await use.list_deleted_snippets(ANONYMOUS, first=5, after=None)
    with pytest.raises(NotAuthenticated):
        await _create(ANONYMOUS)
    with pytest.raises(PermissionDenied):
        await use.snippet_node(SUPPORT, str(uuid.uuid4()))


async def test_the_same_library_from_a_token_in_another_bu() -> None:
    tenant = await make_tenant("UseOtherBU")
    made = await use.create_snippet(
        _token(tenant, read_only=False),
        title="anywhere",
        sql="SELECT 1",
        description="",
        tags=[],
        folder_id=None,
    )
    child = _token(tenant, read_only=True, mid=tenant.child_mids[1])
    found = await use.snippet_node(child, str(made.id))
    assert found is not None and found.title == "anywhere"


@pytest.mark.parametrize("first", [0, -1, 101])
async def test_page_sizes_are_bounded(first: int) -> None:
    tenant = await make_tenant("UseBounds")
    auth = _token(tenant, read_only=True)
    with pytest.raises(InvalidInput) as caught:
        await use.list_snippets(auth, folder_id=None, search=None, first=first, after=None)
    assert caught.value.field == "first"
    with pytest.raises(InvalidInput):
        await use.list_snippet_folders(auth, parent_id=None, first=first, after=None)


async def test_history_pages_hold_at_most_fifty() -> None:
    tenant = await make_tenant("UseHistory")
    auth = _token(tenant, read_only=False)
    made = await _create(auth)
    with pytest.raises(InvalidInput):
        await use.list_snippet_versions(auth, snippet_id=made.id, first=51, after=None)


@pytest.mark.parametrize("local_id", ["", "junk", "00000000-0000-0000-0000-000000000000"])
async def test_snippet_node_answers_none_for_anything_not_yours(local_id: str) -> None:
    tenant = await make_tenant("UseNode")
    assert await use.snippet_node(_token(tenant, read_only=True), local_id) is None


async def test_snippet_node_hides_other_users_and_the_trash() -> None:
    tenant, other = await make_tenant("UseNodeMine"), await make_tenant("UseNodeTheirs")
    mine = await use.create_snippet(
        _token(tenant, read_only=False),
        title="mine",
        sql="SELECT 1",
        description="",
        tags=[],
        folder_id=None,
    )
    assert await use.snippet_node(_token(other, read_only=True), str(mine.id)) is None
    await use.delete_snippet(_token(tenant, read_only=False), snippet_id=str(mine.id))
    assert await use.snippet_node(_token(tenant, read_only=True), str(mine.id)) is None
