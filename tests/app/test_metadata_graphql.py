"""Metadata over HTTP: folders, DEs, fields, query activities, data views, ``node`` and search
as a viewer in a child BU, who must see their BU's rows and the parent's shared ones and
nothing of a sibling BU, the parent's private rows or another tenant, through any field."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import httpx
import pytest
import pytest_asyncio
from starlette.applications import Starlette

from schema.global_ids import encode_global_id
from tests.auth_helpers import bearer, https_client, new_api_token
from tests.factories import TenantFixture, make_tenant
from tests.models.metadata_seed import (
    add_automation,
    add_de,
    add_folder,
    add_query_activity,
    bu_context,
)

pytestmark = pytest.mark.usefixtures("db")

DE_FIELDS = "id name sqlName customerKey shared isForeignLeftover fields { name fieldType ordinal }"


@dataclass
class World:
    acme: TenantFixture
    token: str
    ids: dict[str, UUID]
    folders: dict[str, UUID]

    def gid(self, type_name: str, key: str) -> str:
        return encode_global_id(type_name, str(self.ids.get(key) or self.folders[key]))


@pytest_asyncio.fixture
async def http(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    async with https_client(app) as client:
        yield client


@pytest_asyncio.fixture
async def world() -> World:
    acme, other = await make_tenant("MetaAcme"), await make_tenant("MetaOther")
    child_a, child_b = acme.child_mids
    a = bu_context(acme.tenant_id, child_a, acme.parent_mid)
    b = bu_context(acme.tenant_id, child_b, acme.parent_mid)
    parent = bu_context(acme.tenant_id, acme.parent_mid)
    foreign = bu_context(other.tenant_id, other.child_mids[0], other.parent_mid)
    folders: dict[str, UUID] = {}
    root_a, root_a_mce = await add_folder(a, name="Data Extensions")
    folders["root_a"] = root_a
    folders["campaigns"], campaigns_mce = await add_folder(
        a, name="Campaigns", parent_folder_id=root_a_mce
    )
    folders["shared_root"], shared_mce = await add_folder(
        parent, name="Shared Data Extensions", content_type="shared_dataextension", shared=True
    )
    folders["parent_root"], _ = await add_folder(parent, name="Parent Private Folder")
    folders["b_root"], _ = await add_folder(b, name="Sibling Folder")
    folders["foreign_root"], _ = await add_folder(foreign, name="Foreign Folder")
    folders["queries_a"], queries_mce = await add_folder(
        a, name="Queries", content_type="queryactivity"
    )
    email = [("SubscriberKey", "Text"), ("EmailAddress", "EmailAddress"), ("Amount", "Decimal")]
    ids = {
        "subscribers": await add_de(
            a, name="Subscribers", key="subs-key", fields=email, folder_id=campaigns_mce
        ),
        "archive": await add_de(a, name="Subscribers Archive", fields=email),
        "shared": await add_de(
            parent, name="Master Subscribers", key="master-key", shared=True, folder_id=shared_mce
        ),
        "parent_private": await add_de(parent, name="Parent Secret Subscribers", key="p-secret"),
        "sibling": await add_de(b, name="Sibling Subscribers", key="sib-key"),
        "foreign": await add_de(foreign, name="Foreign Subscribers", key="subs-key"),
        "shell": await add_de(a, name="QUARRY shell", key="quarry-shell", quarry_asset=True),
    }
    ids["query"], query_object = await add_query_activity(
        a, name="Nightly Load", key="nightly", target_key="subs-key", folder_id=queries_mce
    )
    ids["sibling_query"], _ = await add_query_activity(b, name="Sibling Load", key="sib-nightly")
    ids["foreign_query"], _ = await add_query_activity(foreign, name="Foreign Load", key="nightly")
    await add_automation(a, name="Every Night", query_object_ids=[query_object])
    await add_automation(b, name="Sibling Automation", query_object_ids=[query_object])
    token = (await new_api_token(acme, scope="read", mid=child_a)).secret
    return World(acme=acme, token=token, ids=ids, folders=folders)


async def _post(http: httpx.AsyncClient, token: str | None, query: str, **variables: Any) -> Any:
    headers = bearer(token) if token else {}
    response = await http.post(
        "/api/graphql", json={"query": query, "variables": variables}, headers=headers
    )
    assert response.status_code == 200, response.text
    return response.json()


def _names(connection: dict[str, Any]) -> list[str]:
    return [edge["node"]["name"] for edge in connection["edges"]]


INVISIBLE = {
    "Parent Secret Subscribers",
    "Sibling Subscribers",
    "Foreign Subscribers",
    "QUARRY shell",
    "Parent Private Folder",
    "Sibling Folder",
    "Foreign Folder",
    "Sibling Load",
    "Foreign Load",
    "Sibling Automation",
}


async def test_data_extensions_lists_own_and_parents_shared_only(
    http: httpx.AsyncClient, world: World
) -> None:
    body = await _post(
        http, world.token, f"{{ dataExtensions {{ edges {{ node {{ {DE_FIELDS} }} }} }} }}"
    )
    nodes = [edge["node"] for edge in body["data"]["dataExtensions"]["edges"]]
    assert [n["name"] for n in nodes] == [
        "Master Subscribers",
        "Subscribers",
        "Subscribers Archive",
    ]
    shared = nodes[0]
    assert shared["shared"] and shared["sqlName"] == "ENT.[Master Subscribers]"
    assert nodes[1]["fields"] == [
        {"name": "SubscriberKey", "fieldType": "TEXT", "ordinal": 0},
        {"name": "EmailAddress", "fieldType": "EMAIL_ADDRESS", "ordinal": 1},
        {"name": "Amount", "fieldType": "DECIMAL", "ordinal": 2},
    ]


async def test_folders_by_parent_and_their_data_extensions(
    http: httpx.AsyncClient, world: World
) -> None:
    roots = await _post(
        http,
        world.token,
        "{ folders(contentType: DATA_EXTENSION) { edges { node { id name shared } } } }",
    )
    assert _names(roots["data"]["folders"]) == ["Data Extensions", "Shared Data Extensions"]
    children = await _post(
        http,
        world.token,
        "query($p: ID) { folders(contentType: DATA_EXTENSION, parentId: $p) {"
        " edges { node { name parent { name } } } } }",
        p=world.gid("Folder", "root_a"),
    )
    assert children["data"]["folders"]["edges"] == [
        {"node": {"name": "Campaigns", "parent": {"name": "Data Extensions"}}}
    ]
    des = await _post(
        http,
        world.token,
        "query($f: ID) { dataExtensions(folderId: $f) {"
        " edges { node { name folder { name } } } } }",
        f=world.gid("Folder", "campaigns"),
    )
    assert des["data"]["dataExtensions"]["edges"] == [
        {"node": {"name": "Subscribers", "folder": {"name": "Campaigns"}}}
    ]
    queries = await _post(
        http, world.token, "{ folders(contentType: QUERY_ACTIVITY) { edges { node { name } } } }"
    )
    assert _names(queries["data"]["folders"]) == ["Queries"]


@pytest.mark.parametrize("folder", ["parent_root", "b_root", "foreign_root"])
async def test_an_invisible_folder_is_not_found_like_a_missing_one(
    http: httpx.AsyncClient, world: World, folder: str
) -> None:
    for query in (
        "query($f: ID) { dataExtensions(folderId: $f) { edges { node { name } } } }",
        "query($f: ID) { folders(contentType: DATA_EXTENSION, parentId: $f) {"
        " edges { node { name } } } }",
    ):
        body = await _post(http, world.token, query, f=world.gid("Folder", folder))
        assert body["data"] is None
        assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
        assert "Sibling" not in str(body) and "Foreign" not in str(body)


async def test_data_extension_by_key_and_by_name(http: httpx.AsyncClient, world: World) -> None:
    query = (
        f"query($k: String, $n: String) {{ dataExtension(key: $k, name: $n) {{ {DE_FIELDS} }} }}"
    )
    by_key = await _post(http, world.token, query, k="SUBS-KEY")
    assert by_key["data"]["dataExtension"]["name"] == "Subscribers"
    by_name = await _post(http, world.token, query, n="subscribers archive")
    assert by_name["data"]["dataExtension"]["name"] == "Subscribers Archive"
    shared = await _post(http, world.token, query, n="ENT.[Master Subscribers]")
    assert shared["data"]["dataExtension"]["sqlName"] == "ENT.[Master Subscribers]"
    # A parent's shared DE is ENT.: its bare name is not one of this BU's DEs.
    assert (await _post(http, world.token, query, n="Master Subscribers"))["data"] == {
        "dataExtension": None
    }
    for key in ("p-secret", "sib-key", "quarry-shell"):
        assert (await _post(http, world.token, query, k=key))["data"] == {"dataExtension": None}
    for name in (
        "Parent Secret Subscribers",
        "ENT.Parent Secret Subscribers",
        "Foreign Subscribers",
    ):
        assert (await _post(http, world.token, query, n=name))["data"] == {"dataExtension": None}


async def test_query_activity_with_its_target_and_automations(
    http: httpx.AsyncClient, world: World
) -> None:
    body = await _post(
        http,
        world.token,
        '{ queryActivity(key: "nightly") { id name sql targetKey updateType target { name }'
        " usedBy { name status } folder { name } } queryActivities { edges { node { name } } } }",
    )
    qa = body["data"]["queryActivity"]
    assert qa["name"] == "Nightly Load" and qa["sql"] == "SELECT 1 AS One"
    assert qa["target"] == {"name": "Subscribers"}
    assert qa["usedBy"] == [{"name": "Every Night", "status": "Scheduled"}]
    assert qa["folder"] == {"name": "Queries"}
    assert _names(body["data"]["queryActivities"]) == ["Nightly Load"]
    missing = await _post(http, world.token, '{ queryActivity(key: "sib-nightly") { name } }')
    assert missing["data"] == {"queryActivity": None}


async def test_node_resolves_visible_objects_and_nothing_else(
    http: httpx.AsyncClient, world: World
) -> None:
    query = (
        "query($id: ID!) { node(id: $id) { __typename id"
        " ... on DataExtension { name } ... on Folder { name } ... on QueryActivity { name } } }"
    )
    for type_name, key, name in [
        ("DataExtension", "subscribers", "Subscribers"),
        ("DataExtension", "shared", "Master Subscribers"),
        ("Folder", "campaigns", "Campaigns"),
        ("Folder", "shared_root", "Shared Data Extensions"),
        ("QueryActivity", "query", "Nightly Load"),
    ]:
        gid = world.gid(type_name, key)
        node = (await _post(http, world.token, query, id=gid))["data"]["node"]
        assert node == {"__typename": type_name, "id": gid, "name": name}
    hidden = [
        ("DataExtension", "parent_private"),
        ("DataExtension", "sibling"),
        ("DataExtension", "foreign"),
        ("DataExtension", "shell"),
        ("Folder", "parent_root"),
        ("Folder", "b_root"),
        ("Folder", "foreign_root"),
        ("QueryActivity", "sibling_query"),
        ("QueryActivity", "foreign_query"),
        ("Folder", "subscribers"),  # a DE's id under another type
    ]
    for type_name, key in hidden:
        body = await _post(http, world.token, query, id=world.gid(type_name, key))
        assert body == {"data": {"node": None}}, (type_name, key)
    for junk in ["", "junk", "!!!", "a" * 500, encode_global_id("User", "1")]:
        assert await _post(http, world.token, query, id=junk) == {"data": {"node": None}}


async def test_search_finds_visible_des_ranked_and_never_invisible_ones(
    http: httpx.AsyncClient, world: World
) -> None:
    query = (
        "query($q: String!) { searchDataExtensions(query: $q, first: 50) { edges { node {"
        " name matchedOn matchedText quality highlights { start end }"
        " dataExtension { name sqlName } dataView { name } } } } }"
    )

    async def hits(text: str) -> list[dict[str, Any]]:
        body = await _post(http, world.token, query, q=text)
        return [edge["node"] for edge in body["data"]["searchDataExtensions"]["edges"]]

    found = await hits("subscribers")
    des = [hit for hit in found if hit["dataExtension"]]
    assert [hit["name"] for hit in des] == [
        "Subscribers",
        "Subscribers Archive",
        "Master Subscribers",
    ]
    assert [hit["quality"] for hit in des] == ["EXACT", "PREFIX", "WORD"]
    assert des[2]["highlights"] == [{"start": 7, "end": 18}]
    # The data view _Subscribers is an exact match too, after the DE with the shorter name.
    assert [hit["name"] for hit in found[:2]] == ["Subscribers", "_Subscribers"]
    assert found[1]["quality"] == "EXACT" and found[1]["highlights"] == [{"start": 1, "end": 12}]
    assert not INVISIBLE & {hit["name"] for hit in found}

    typo = await hits("Subscrbers")
    assert typo[0]["name"] == "Subscribers" and typo[0]["quality"] == "FUZZY"

    email = await hits("EmailAddress")
    de_hits = [hit for hit in email if hit["dataExtension"]]
    assert {hit["name"] for hit in de_hits} == {"Subscribers", "Subscribers Archive"}
    assert all(hit["matchedOn"] == "FIELD" for hit in de_hits)
    assert any(hit["dataView"] == {"name": "_Subscribers"} for hit in email)

    shared = await hits("ENT.Master")
    assert [hit["dataExtension"] for hit in shared if hit["dataExtension"]] == [
        {"name": "Master Subscribers", "sqlName": "ENT.[Master Subscribers]"}
    ]
    for text in ("Secret", "Sibling", "Foreign", "QUARRY", "sib-key", "p-secret"):
        found = await hits(text)
        assert not INVISIBLE & {hit["name"] for hit in found}, text
        assert not {"sib-key", "p-secret", "quarry-shell"} & {hit["matchedText"] for hit in found}


async def test_search_pages_without_overlap(http: httpx.AsyncClient, world: World) -> None:
    query = (
        'query($after: String) { searchDataExtensions(query: "sub", first: 1, after: $after)'
        " { edges { cursor node { name } } pageInfo { hasNextPage endCursor } } }"
    )
    seen, after = [], None
    for _ in range(10):
        page = (await _post(http, world.token, query, after=after))["data"]["searchDataExtensions"]
        seen += [edge["node"]["name"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(seen) == len(set(seen)) >= 4
    assert seen[:3] == ["Subscribers", "_Subscribers", "Subscribers Archive"]


async def test_data_views(http: httpx.AsyncClient, world: World) -> None:
    body = await _post(http, world.token, "{ dataViews { name columns { name fieldType } } }")
    views = {view["name"]: view for view in body["data"]["dataViews"]}
    assert {"_Sent", "_Open", "_Subscribers"} <= set(views)
    assert {"name": "SubscriberKey", "fieldType": "TEXT"} in views["_Sent"]["columns"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ('{ dataExtension(key: "a", name: "b") { name } }', "key"),
        ("{ dataExtension { name } }", "key"),
        ('{ dataExtension(key: "") { name } }', "key"),
        ("{ dataExtensions(first: 101) { edges { cursor } } }", "first"),
        ("{ dataExtensions(first: 0) { edges { cursor } } }", "first"),
        ('{ dataExtensions(after: "junk") { edges { cursor } } }', "after"),
        ("{ folders(contentType: DATA_EXTENSION, first: 101) { edges { cursor } } }", "first"),
        ("{ queryActivities(first: 500) { edges { cursor } } }", "first"),
        ('{ searchDataExtensions(query: "a", first: 101) { edges { cursor } } }', "first"),
        ('{ searchDataExtensions(query: "a", after: "junk") { edges { cursor } } }', "after"),
        ('{ searchDataExtensions(query: "a\\u0000b") { edges { cursor } } }', "query"),
        ('{ dataExtension(name: "x\\u0000") { name } }', "name"),
        ('{ queryActivity(key: "\\u0000") { name } }', "key"),
    ],
)
async def test_bad_arguments_are_invalid_input(
    http: httpx.AsyncClient, world: World, query: str, field: str
) -> None:
    body = await _post(http, world.token, query)
    assert not any((body["data"] or {}).values())
    assert body["errors"][0]["extensions"]["code"] == "INVALID_INPUT", body
    assert field in body["errors"][0]["message"]


async def test_junk_folder_ids_are_not_found(http: httpx.AsyncClient, world: World) -> None:
    for junk in (
        "junk",
        encode_global_id("Folder", "not-a-uuid"),
        world.gid("DataExtension", "subscribers"),
    ):
        body = await _post(
            http,
            world.token,
            "query($f: ID) { dataExtensions(folderId: $f) { edges { cursor } } }",
            f=junk,
        )
        assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_signed_out_is_unauthenticated(http: httpx.AsyncClient, world: World) -> None:
    for query in (
        "{ dataExtensions { edges { cursor } } }",
        '{ searchDataExtensions(query: "sub") { edges { cursor } } }',
        f'{{ node(id: "{world.gid("DataExtension", "subscribers")}") {{ id }} }}',
        "{ dataViews { name } }",
    ):
        body = await _post(http, None, query)
        assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED", query


async def test_paging_data_extensions(http: httpx.AsyncClient, world: World) -> None:
    query = (
        "query($after: String) { dataExtensions(first: 2, after: $after) {"
        " edges { node { name } } pageInfo { hasNextPage hasPreviousPage endCursor } } }"
    )
    first = (await _post(http, world.token, query))["data"]["dataExtensions"]
    assert _names(first) == ["Master Subscribers", "Subscribers"]
    assert first["pageInfo"]["hasNextPage"] and not first["pageInfo"]["hasPreviousPage"]
    second = (await _post(http, world.token, query, after=first["pageInfo"]["endCursor"]))["data"][
        "dataExtensions"
    ]
    assert _names(second) == ["Subscribers Archive"]
    assert not second["pageInfo"]["hasNextPage"] and second["pageInfo"]["hasPreviousPage"]
