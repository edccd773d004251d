"""The snippet library through GraphQL, as the SPA and integrations use it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from starlette.applications import Starlette

from schema.global_ids import encode_global_id
from services import snippets
from tests.auth_helpers import bearer, https_client, new_api_token
from tests.factories import TenantFixture, make_tenant
from tests.fixtures import GraphQLClient, browser_session

pytestmark = pytest.mark.usefixtures("db")

FIELDS = "id title sql description tags folderId visibility version deletedAt purgeAt"
CREATE = f"""mutation ($input: CreateSnippetInput!) {{
  createSnippet(input: $input) {{ snippet {{ {FIELDS} }} userErrors {{ code field message }} }}
}}"""
UPDATE = f"""mutation ($input: UpdateSnippetInput!) {{
  updateSnippet(input: $input) {{ snippet {{ {FIELDS} }} userErrors {{ code field message }} }}
}}"""
RENAME = """mutation ($input: RenameSnippetInput!) {
  renameSnippet(input: $input) { snippet { title version } userErrors { code field } }
}"""
MOVE = """mutation ($input: MoveSnippetInput!) {
  moveSnippet(input: $input) { snippet { folderId } userErrors { code field } }
}"""
DUPLICATE = """mutation ($input: DuplicateSnippetInput!) {
  duplicateSnippet(input: $input) { snippet { id title folderId version } userErrors { code } }
}"""
DELETE = """mutation ($id: ID!) {
  deleteSnippet(input: {id: $id}) { snippet { id deletedAt purgeAt } userErrors { code field } }
}"""
RESTORE = """mutation ($id: ID!) {
  restoreSnippet(input: {id: $id}) { snippet { id deletedAt } userErrors { code field } }
}"""
RESTORE_VERSION = """mutation ($input: RestoreSnippetVersionInput!) {
  restoreSnippetVersion(input: $input) { snippet { sql version } userErrors { code field } }
}"""
LIST = """query ($folderId: ID, $search: String, $first: Int!, $after: String) {
  snippets(folderId: $folderId, search: $search, first: $first, after: $after) {
    edges { cursor node { id title } }
    pageInfo { hasNextPage endCursor }
  }
}"""
ONE = """query ($id: ID!) {
  snippet(id: $id) { id title history(first: 50) { edges { node { version sql createdAt } } } }
}"""
TRASH = "{ deletedSnippets(first: 10) { edges { node { id title deletedAt purgeAt } } } }"
FOLDER_CREATE = """mutation ($input: CreateSnippetFolderInput!) {
  createSnippetFolder(input: $input) {
    snippetFolder { id name parentId }
    userErrors { code field }
  }
}"""
FOLDER_RENAME = """mutation ($input: RenameSnippetFolderInput!) {
  renameSnippetFolder(input: $input) { snippetFolder { name } userErrors { code field } }
}"""
FOLDER_MOVE = """mutation ($input: MoveSnippetFolderInput!) {
  moveSnippetFolder(input: $input) { snippetFolder { parentId } userErrors { code field } }
}"""
FOLDER_DELETE = """mutation ($id: ID!) {
  deleteSnippetFolder(input: {id: $id}) { snippetFolder { id } userErrors { code field } }
}"""
FOLDERS = """query ($parentId: ID) {
  snippetFolders(parentId: $parentId, first: 10) { edges { node { id name parentId } } }
}"""


class Client(GraphQLClient):
    async def create(self, **given: Any) -> dict[str, Any]:
        payload = (await self.data(CREATE, input={"title": "t", "sql": "SELECT 1"} | given))[
            "createSnippet"
        ]
        assert payload["userErrors"] == []
        snippet: dict[str, Any] = payload["snippet"]
        return snippet


@pytest_asyncio.fixture
async def tenant() -> TenantFixture:
    return await make_tenant("SnippetsUI")


@pytest_asyncio.fixture
async def browser(app: Starlette, tenant: TenantFixture) -> AsyncIterator[Client]:
    headers = await browser_session(app, tenant)
    async with https_client(app) as http:
        yield Client(http, headers)


async def test_a_snippets_life(browser: Client) -> None:
    created = await browser.create(
        title="Opens", sql="SELECT SubscriberKey FROM _Open", tags=["kpi"], description="d"
    )
    assert created["visibility"] == "PRIVATE" and created["version"] == 1
    assert created["tags"] == ["kpi"] and created["deletedAt"] is None
    sid = created["id"]

    updated = (
        await browser.data(UPDATE, input={"id": sid, "sql": "SELECT 2", "expectedVersion": 1})
    )["updateSnippet"]
    assert updated["userErrors"] == [] and updated["snippet"]["version"] == 2
    stale = (
        await browser.data(UPDATE, input={"id": sid, "sql": "SELECT 3", "expectedVersion": 1})
    )["updateSnippet"]
    assert stale["snippet"] is None
    assert [(e["code"], e["field"]) for e in stale["userErrors"]] == [
        ("CONFLICT", "expectedVersion")
    ]
    renamed = (await browser.data(RENAME, input={"id": sid, "title": "Opens v2"}))["renameSnippet"]
    assert renamed["snippet"] == {"title": "Opens v2", "version": 3}

    one = (await browser.data(ONE, id=sid))["snippet"]
    history = [e["node"] for e in one["history"]["edges"]]
    assert [(v["version"], v["sql"]) for v in history] == [
        (3, "SELECT 2"),
        (2, "SELECT 2"),
        (1, "SELECT SubscriberKey FROM _Open"),
    ]
    assert all(v["createdAt"] for v in history)
    back = (await browser.data(RESTORE_VERSION, input={"id": sid, "version": 1}))[
        "restoreSnippetVersion"
    ]
    assert back["snippet"] == {"sql": "SELECT SubscriberKey FROM _Open", "version": 4}

    found = (await browser.data(LIST, search="subscriberkey", first=10))["snippets"]["edges"]
    assert [e["node"]["id"] for e in found] == [sid]

    copy = (await browser.data(DUPLICATE, input={"id": sid}))["duplicateSnippet"]["snippet"]
    assert copy["title"] == "Opens (copy)" and copy["version"] == 1 and copy["id"] != sid

    deleted = (await browser.data(DELETE, id=sid))["deleteSnippet"]
    assert deleted["userErrors"] == [] and deleted["snippet"]["deletedAt"]
    assert (await browser.data(ONE, id=sid))["snippet"] is None
    trash = (await browser.data(TRASH))["deletedSnippets"]["edges"]
    assert [e["node"]["id"] for e in trash] == [sid] and trash[0]["node"]["purgeAt"]
    restored = (await browser.data(RESTORE, id=sid))["restoreSnippet"]
    assert restored["snippet"] == {"id": sid, "deletedAt": None}
    assert (await browser.data(TRASH))["deletedSnippets"]["edges"] == []


async def test_folders_and_moves(browser: Client) -> None:
    def made(body: dict[str, Any]) -> dict[str, Any]:
        payload = body["createSnippetFolder"]
        assert payload["userErrors"] == []
        folder: dict[str, Any] = payload["snippetFolder"]
        return folder

    top = made(await browser.data(FOLDER_CREATE, input={"name": "Reports"}))
    sub = made(await browser.data(FOLDER_CREATE, input={"name": "Daily", "parentId": top["id"]}))
    assert sub["parentId"] == top["id"]
    taken = (await browser.data(FOLDER_CREATE, input={"name": "reports"}))["createSnippetFolder"]
    assert [e["code"] for e in taken["userErrors"]] == ["NAME_TAKEN"]

    cycle = (await browser.data(FOLDER_MOVE, input={"id": top["id"], "parentId": sub["id"]}))[
        "moveSnippetFolder"
    ]
    assert cycle["snippetFolder"] is None
    assert [(e["code"], e["field"]) for e in cycle["userErrors"]] == [("FOLDER_CYCLE", "parentId")]
    renamed = await browser.data(FOLDER_RENAME, input={"id": sub["id"], "name": "Weekly"})
    assert renamed["renameSnippetFolder"]["snippetFolder"] == {"name": "Weekly"}

    snippet = await browser.create(title="in folder", folderId=sub["id"])
    assert snippet["folderId"] == sub["id"]
    listed = (await browser.data(LIST, folderId=sub["id"], first=10))["snippets"]["edges"]
    assert [e["node"]["title"] for e in listed] == ["in folder"]
    assert (await browser.data(LIST, first=10))["snippets"]["edges"] == []

    not_empty = (await browser.data(FOLDER_DELETE, id=sub["id"]))["deleteSnippetFolder"]
    assert [e["code"] for e in not_empty["userErrors"]] == ["FOLDER_NOT_EMPTY"]
    moved = await browser.data(MOVE, input={"id": snippet["id"], "folderId": None})
    assert moved["moveSnippet"]["snippet"] == {"folderId": None}
    gone = (await browser.data(FOLDER_DELETE, id=sub["id"]))["deleteSnippetFolder"]
    assert gone["userErrors"] == [] and gone["snippetFolder"]["id"] == sub["id"]
    folders = (await browser.data(FOLDERS, parentId=top["id"]))["snippetFolders"]["edges"]
    assert folders == []


@pytest.mark.parametrize(
    ("given", "code", "field"),
    [
        ({"title": ""}, "INVALID_INPUT", "title"),
        ({"title": "t" * 201}, "INVALID_INPUT", "title"),
        ({"sql": "x" * 100_001}, "INVALID_INPUT", "sql"),
        ({"tags": [f"t{n}" for n in range(21)]}, "INVALID_INPUT", "tags"),
        ({"folderId": "not-an-id"}, "NOT_FOUND", "folderId"),
        (
            {"folderId": encode_global_id("Snippet", "00000000-0000-0000-0000-000000000000")},
            "NOT_FOUND",
            "folderId",
        ),
    ],
)
async def test_bad_input_is_a_user_error(
    browser: Client, given: dict[str, Any], code: str, field: str
) -> None:
    body = await browser.data(CREATE, input={"title": "t", "sql": "SELECT 1"} | given)
    payload = body["createSnippet"]
    assert payload["snippet"] is None
    [error] = payload["userErrors"]
    assert (error["code"], error["field"]) == (code, field) and error["message"]
    assert (await browser.data(LIST, first=10))["snippets"]["edges"] == []


@pytest.mark.parametrize(
    "bad_id",
    [
        "nope",
        "",
        encode_global_id("Snippet", "not-a-uuid"),
        encode_global_id("SnippetFolder", "00000000-0000-0000-0000-000000000000"),
        encode_global_id("Snippet", "00000000-0000-0000-0000-000000000000"),
    ],
)
async def test_bad_ids_are_not_found(browser: Client, bad_id: str) -> None:
    payload = (await browser.data(UPDATE, input={"id": bad_id, "title": "x"}))["updateSnippet"]
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [("NOT_FOUND", "id")]
    assert (await browser.data(ONE, id=bad_id))["snippet"] is None


async def test_another_tenants_and_another_users_snippets_are_not_found(
    app: Starlette, browser: Client, tenant: TenantFixture
) -> None:
    from tests.factories import make_member

    other = await make_tenant("SnippetsElsewhere")
    colleague = await make_member(tenant, mids=(tenant.parent_mid,), name="Colleague")
    foreign = [
        await snippets.create_snippet(
            other.context(), owner_id=other.user.id, title="theirs", sql="SELECT 1"
        ),
        await snippets.create_snippet(
            tenant.context(), owner_id=colleague.id, title="colleague's", sql="SELECT 1"
        ),
    ]
    for snippet in foreign:
        gid = encode_global_id("Snippet", str(snippet.id))
        assert (await browser.data(ONE, id=gid))["snippet"] is None
        for query, variables, name in (
            (UPDATE, {"input": {"id": gid, "sql": "SELECT 666"}}, "updateSnippet"),
            (DELETE, {"id": gid}, "deleteSnippet"),
            (RESTORE, {"id": gid}, "restoreSnippet"),
            (RESTORE_VERSION, {"input": {"id": gid, "version": 1}}, "restoreSnippetVersion"),
        ):
            payload = (await browser.data(query, **variables))[name]
            assert [e["code"] for e in payload["userErrors"]] == ["NOT_FOUND"], name
        dup = (await browser.data(DUPLICATE, input={"id": gid}))["duplicateSnippet"]
        assert [e["code"] for e in dup["userErrors"]] == ["NOT_FOUND"]
    assert (await browser.data(LIST, search="SELECT", first=10))["snippets"]["edges"] == []
    untouched = await snippets.get_snippet(
        other.context(), owner_id=other.user.id, snippet_id=foreign[0].id
    )
    assert untouched.sql == "SELECT 1" and untouched.version == 1


async def test_a_read_token_reads_but_cannot_mutate(app: Starlette, tenant: TenantFixture) -> None:
    existing = await snippets.create_snippet(
        tenant.context(), owner_id=tenant.user.id, title="mine", sql="SELECT 1"
    )
    reader = await new_api_token(tenant, scope="read")
    writer = await new_api_token(tenant, scope="read_write")
    async with https_client(app) as http:
        read = Client(http, bearer(reader.secret))
        listed = (await read.data(LIST, first=10))["snippets"]["edges"]
        assert [e["node"]["title"] for e in listed] == ["mine"]
        gid = encode_global_id("Snippet", str(existing.id))
        for query, variables in (
            (CREATE, {"input": {"title": "x", "sql": "SELECT 1"}}),
            (DELETE, {"id": gid}),
            (FOLDER_CREATE, {"input": {"name": "f"}}),
        ):
            body = await read.graphql(query, **variables)
            assert body["data"] is None
            assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        write = Client(http, bearer(writer.secret))
        made = await write.create(title="from a token")
        assert made["title"] == "from a token"
    titles = {
        e.node.title
        for e in (
            await snippets.list_snippets(
                tenant.context(),
                owner_id=tenant.user.id,
                folder_id=None,
                search=None,
                first=10,
                after=None,
            )
        ).edges
    }
    assert titles == {"mine", "from a token"}


async def test_paging_limits_and_cursors(browser: Client) -> None:
    for n in range(3):
        await browser.create(title=f"s{n}")
    first = (await browser.data(LIST, first=2))["snippets"]
    assert [e["node"]["title"] for e in first["edges"]] == ["s0", "s1"]
    assert first["pageInfo"]["hasNextPage"] is True
    rest = (await browser.data(LIST, first=2, after=first["pageInfo"]["endCursor"]))["snippets"]
    assert [e["node"]["title"] for e in rest["edges"]] == ["s2"]
    for bad in ({"first": 0}, {"first": 101}, {"first": 5, "after": "junk"}):
        body = await browser.graphql(LIST, **bad)
        assert body["errors"][0]["extensions"]["code"] == "INVALID_INPUT"


async def test_signed_out_gets_unauthenticated(app: Starlette) -> None:
    async with https_client(app) as http:
        response = await http.post("/api/graphql", json={"query": TRASH})
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_history_is_served_one_snippet_at_a_time(browser: Client) -> None:
    made = await browser.create(title="h")
    listed = await browser.graphql(
        "{ snippets(first: 100) { edges { node {"
        " history(first: 50) { edges { node { sql } } } } } } }"
    )
    assert listed["errors"][0]["extensions"]["code"] == "INVALID_INPUT"
    one = (await browser.data(ONE, id=made["id"]))["snippet"]
    assert len(one["history"]["edges"]) == 1


NODE = "query ($id: ID!) { node(id: $id) { id ... on Snippet { title sql version } } }"


async def test_node_resolves_your_snippets_only(browser: Client) -> None:
    made = await browser.create(title="as a node", sql="SELECT 42")
    node = (await browser.data(NODE, id=made["id"]))["node"]
    assert node == {"id": made["id"], "title": "as a node", "sql": "SELECT 42", "version": 1}
    other = await make_tenant("SnippetsNodeElsewhere")
    theirs = await snippets.create_snippet(
        other.context(), owner_id=other.user.id, title="theirs", sql="SELECT 1"
    )
    foreign = encode_global_id("Snippet", str(theirs.id))
    assert (await browser.data(NODE, id=foreign))["node"] is None
    await browser.data(DELETE, id=made["id"])
    assert (await browser.data(NODE, id=made["id"]))["node"] is None


async def test_a_duplicate_goes_beside_the_original_unless_told(browser: Client) -> None:
    folder = (await browser.data(FOLDER_CREATE, input={"name": "Box"}))["createSnippetFolder"]
    box = folder["snippetFolder"]["id"]
    made = await browser.create(title="boxed", folderId=box)
    beside = (await browser.data(DUPLICATE, input={"id": made["id"]}))["duplicateSnippet"]
    assert beside["snippet"]["folderId"] == box
    at_root = await browser.data(DUPLICATE, input={"id": made["id"], "folderId": None})
    assert at_root["duplicateSnippet"]["snippet"]["folderId"] is None
    named = await browser.data(DUPLICATE, input={"id": made["id"], "title": "  "})
    assert [e["code"] for e in named["duplicateSnippet"]["userErrors"]] == ["INVALID_INPUT"]
