"""The Account screen's administrators' list through the app, as the SPA calls it:
``tenantUsers`` (with ``removeUser`` on a listed id) and ``viewer.role``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest
import pytest_asyncio
from starlette.applications import Starlette

from models import Membership, Role, TenantContext, TenantRepository, User
from tests.auth_helpers import bearer, browser_headers, https_client, new_api_token
from tests.factories import TenantFixture, make_member, make_tenant
from tests.fixtures import GraphQLClient as Client
from tests.fixtures import browser_session

pytestmark = pytest.mark.usefixtures("db")

USERS = """query ($first: Int!, $after: String) {
  tenantUsers(first: $first, after: $after) {
    edges { cursor node {
      id mceUserId name email role lastSignInAt activeApiTokenCount isViewer
      businessUnits { businessUnit { mid name parentMid } role }
    } }
    pageInfo { hasNextPage hasPreviousPage endCursor }
  }
}"""
REMOVE = """mutation ($id: ID!) { removeUser(input: {userId: $id}) {
  removedUserId userErrors { code field } } }"""
VIEWER = "{ viewer { user { id } role businessUnit { mid } } }"


def _error_codes(body: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in body.get("errors", [])]


async def _set_role(tenant: TenantFixture, user: User, mid: int, role: Role) -> None:
    repo = TenantRepository(TenantContext(tenant_id=tenant.tenant_id))
    await repo.of(Membership).update({"user_id": user.id, "mid": mid}, role=role)


@pytest_asyncio.fixture
async def tenant() -> TenantFixture:
    """A tenant whose own user (``tenant.user``, "<name> Ops") administers the parent BU."""
    made = await make_tenant("UsersUI")
    await _set_role(made, made.user, made.parent_mid, Role.ADMIN)
    return made


@pytest_asyncio.fixture
async def admin(app: Starlette, tenant: TenantFixture) -> AsyncIterator[Client]:
    headers = await browser_session(app, tenant)
    async with https_client(app) as http:
        yield Client(http, headers)


async def _session_headers(
    app: Starlette, tenant: TenantFixture, user: User, mid: int
) -> dict[str, str]:
    """What the SPA of ``user``, signed in to ``mid``, sends."""
    session_id, session = await app.state.sessions.create(
        tenant_id=tenant.tenant_id,
        mid=mid,
        parent_mid=None if mid == tenant.parent_mid else tenant.parent_mid,
        user_id=user.id,
        mce_user_id=user.mce_user_id,
        kind="enhanced",
    )
    return browser_headers(session_id, session.csrf_token)


async def _all_users(client: Client, *, first: int = 100) -> list[dict[str, Any]]:
    data = await client.data(USERS, first=first)
    return [e["node"] for e in data["tenantUsers"]["edges"]]


async def test_administrators_see_every_user_with_their_bus_roles_and_tokens(
    admin: Client, tenant: TenantFixture, admin_conn: asyncpg.Connection
) -> None:
    signed_in = datetime(2024, 5, 1, 9, 30, tzinfo=UTC)
    child_a, child_b = tenant.child_mids
    adam = await make_member(tenant, mids=(child_a,), name="adam", last_login_at=signed_in)
    bob = await make_member(tenant, mids=(tenant.parent_mid, child_b), name="Bob", role=Role.ADMIN)
    await _set_role(tenant, bob, child_b, Role.USER)
    # Bob's tokens: one active, one revoked, one expired; only the first counts.
    for name in ("active", "revoked", "expired"):
        issued = await new_api_token(tenant, name=name)
        await admin_conn.execute("UPDATE api_tokens SET user_id = $1 WHERE id = $2", bob.id,
                                 issued.token.id)  # fmt: skip
    await admin_conn.execute(
        "UPDATE api_tokens SET revoked_at = now() WHERE user_id = $1 AND name = 'revoked'", bob.id
    )
    await admin_conn.execute(
        "UPDATE api_tokens SET expires_at = now() - interval '1 minute'"
        " WHERE user_id = $1 AND name = 'expired'",
        bob.id,
    )
    await new_api_token(tenant, name="mine")
    other = await make_tenant("UsersUIElsewhere")  # never listed

    users = await _all_users(admin)
    # By name, whatever the case (byte order would put "adam" last).
    assert [u["name"] for u in users] == ["adam", "Bob", "UsersUI Ops"]
    by_name = {u["name"]: u for u in users}
    assert other.user.name not in by_name

    me = by_name["UsersUI Ops"]
    assert me == {
        "id": str(tenant.user.id),
        "mceUserId": str(tenant.user.mce_user_id),
        "name": "UsersUI Ops",
        "email": "ops@usersui.example",
        "role": "ADMIN",
        "lastSignInAt": None,
        "activeApiTokenCount": 1,
        "isViewer": True,
        "businessUnits": [
            {
                "businessUnit": {"mid": str(tenant.parent_mid), "name": "UsersUI Enterprise",
                                 "parentMid": None},
                "role": "ADMIN",
            },
            {
                "businessUnit": {"mid": str(child_a), "name": "UsersUI A",
                                 "parentMid": str(tenant.parent_mid)},
                "role": "USER",
            },
            {
                "businessUnit": {"mid": str(child_b), "name": "UsersUI B",
                                 "parentMid": str(tenant.parent_mid)},
                "role": "USER",
            },
        ],
    }  # fmt: skip

    assert by_name["Bob"]["activeApiTokenCount"] == 1
    assert by_name["Bob"]["role"] == "ADMIN" and by_name["Bob"]["isViewer"] is False
    assert [(m["businessUnit"]["name"], m["role"]) for m in by_name["Bob"]["businessUnits"]] == [
        ("UsersUI Enterprise", "ADMIN"),
        ("UsersUI B", "USER"),
    ]
    assert by_name["Bob"]["email"] is None  # never told: null, not ""

    # Adam is no member of the administrator's BU: no role here, his one BU listed.
    adam_row = by_name["adam"]
    assert adam_row["role"] is None and adam_row["id"] == str(adam.id)
    assert adam_row["lastSignInAt"] == "2024-05-01T09:30:00+00:00"
    assert adam_row["activeApiTokenCount"] == 0
    assert [m["businessUnit"]["mid"] for m in adam_row["businessUnits"]] == [str(child_a)]


async def test_the_list_pages_without_gaps_or_repeats(admin: Client, tenant: TenantFixture) -> None:
    # Same names on purpose: the id breaks the tie, so no page repeats or skips one.
    for n in range(5):
        await make_member(tenant, mids=(tenant.parent_mid,), name="Same" if n < 3 else f"U{n}")
    seen: list[str] = []
    after: str | None = None
    pages = 0
    while True:
        data = (await admin.data(USERS, first=2, after=after))["tenantUsers"]
        pages += 1
        seen += [e["node"]["id"] for e in data["edges"]]
        assert data["pageInfo"]["hasPreviousPage"] is (after is not None)
        assert data["pageInfo"]["endCursor"] == data["edges"][-1]["cursor"]
        if not data["pageInfo"]["hasNextPage"]:
            break
        after = data["pageInfo"]["endCursor"]
    assert pages == 3
    assert len(seen) == len(set(seen)) == 6
    assert seen == [u["id"] for u in await _all_users(admin)]


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"first": 0}, "'first' must be between 1 and 100."),
        ({"first": 101}, "'first' must be between 1 and 100."),
        ({"first": 10, "after": "not-a-cursor"}, "Not a cursor from this list."),
        ({"first": 10, "after": "WyJhIiwgImIiXQ"}, "Not a cursor from this list."),  # ["a","b"]
    ],
)
async def test_bad_paging_is_invalid_input(
    admin: Client, variables: dict[str, Any], message: str
) -> None:
    body = await admin.graphql(USERS, **variables)
    assert body["data"] is None
    assert _error_codes(body) == ["INVALID_INPUT"]
    assert body["errors"][0]["message"] == message


async def test_only_an_administrators_session_may_list(
    app: Starlette, tenant: TenantFixture
) -> None:
    member = await make_member(tenant, mids=(tenant.parent_mid,), name="Plain")
    async with https_client(app) as http:
        plain = await _session_headers(app, tenant, member, tenant.parent_mid)
        # The administrator of the parent is a USER in child A: no list there.
        elsewhere = await _session_headers(app, tenant, tenant.user, tenant.child_mids[0])
        for headers in (plain, elsewhere):
            body = await Client(http, headers).graphql(USERS, first=10)
            assert body["data"] is None and _error_codes(body) == ["FORBIDDEN"]
        # Even the administrator's own token: user management is for browser sessions.
        token = await new_api_token(tenant, scope="read_write")
        body = await Client(http, bearer(token.secret)).graphql(USERS, first=10)
        assert body["data"] is None and _error_codes(body) == ["FORBIDDEN"]
        body = await Client(http, {}).graphql(USERS, first=10)
        assert body["data"] is None and _error_codes(body) == ["UNAUTHENTICATED"]


async def test_a_listed_id_is_what_remove_user_takes(admin: Client, tenant: TenantFixture) -> None:
    leaving = await make_member(tenant, mids=(tenant.child_mids[1],), name="Leaving")
    listed = {u["name"]: u["id"] for u in await _all_users(admin)}
    removed = (await admin.data(REMOVE, id=listed["Leaving"]))["removeUser"]
    assert removed == {"removedUserId": str(leaving.id), "userErrors": []}
    assert "Leaving" not in {u["name"] for u in await _all_users(admin)}


async def test_viewer_says_the_role_in_the_current_bu(
    app: Starlette, admin: Client, tenant: TenantFixture
) -> None:
    viewer = (await admin.data(VIEWER))["viewer"]
    assert viewer == {
        "user": {"id": str(tenant.user.id)},
        "role": "ADMIN",
        "businessUnit": {"mid": str(tenant.parent_mid)},
    }
    child = await _session_headers(app, tenant, tenant.user, tenant.child_mids[0])
    viewer = (await Client(admin.http, child).data(VIEWER))["viewer"]
    assert viewer["role"] == "USER"
