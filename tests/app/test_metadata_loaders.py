"""A page of DEs with their fields, folders and search hits costs a fixed number of SQL
statements however many DEs it holds: the DataLoaders batch each kind into one statement.

Statements are counted where tortoise sends them (its ``tortoise.db_client`` debug log: one
record per statement, the tenant context's ``set_config`` included)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio
from starlette.applications import Starlette

from tests.auth_helpers import bearer, https_client, new_api_token
from tests.factories import make_tenant
from tests.models.metadata_seed import add_de, add_folder, bu_context

pytestmark = pytest.mark.usefixtures("db")

PAGE = """
query($first: Int!) {
  dataExtensions(first: $first) {
    edges { node { id name sqlName fields { name fieldType } folder { name parent { name } } } }
  }
}"""
SEARCH = """
query($first: Int!) {
  searchDataExtensions(query: "Table", first: $first) {
    edges { node { name dataExtension { name fields { name } folder { name } } } }
  }
}"""
FIELDS = [(f"Column{n}", "Text") for n in range(5)]


@pytest_asyncio.fixture
async def http(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    async with https_client(app) as client:
        yield client


async def _bu_with(count: int) -> str:
    """A BU holding ``count`` DEs (5 fields each) in a folder; a READ token for it."""
    tenant = await make_tenant(f"Loaders{count}")
    mid = tenant.child_mids[0]
    ctx = bu_context(tenant.tenant_id, mid, tenant.parent_mid)
    _, root = await add_folder(ctx, name="Data Extensions")
    _, folder = await add_folder(ctx, name="Tables", parent_folder_id=root)
    for number in range(count):
        await add_de(ctx, name=f"Table {number:03d}", fields=FIELDS, folder_id=folder)
    return (await new_api_token(tenant, mid=mid)).secret


async def _statements(
    http: httpx.AsyncClient, caplog: pytest.LogCaptureFixture, token: str, query: str, first: int
) -> tuple[int, dict[str, object]]:
    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger="tortoise.db_client"):
        response = await http.post(
            "/api/graphql",
            json={"query": query, "variables": {"first": first}},
            headers=bearer(token),
        )
    assert response.status_code == 200
    records = [r for r in caplog.records if r.name == "tortoise.db_client"]
    return len(records), response.json()


async def test_a_page_of_100_des_costs_as_many_statements_as_a_page_of_10(
    http: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    small, large = await _bu_with(10), await _bu_with(100)
    few, small_body = await _statements(http, caplog, small, PAGE, 100)
    many, large_body = await _statements(http, caplog, large, PAGE, 100)
    edges = large_body["data"]["dataExtensions"]["edges"]  # type: ignore[index]
    assert len(edges) == 100
    assert all(len(edge["node"]["fields"]) == 5 for edge in edges)
    assert {edge["node"]["folder"]["name"] for edge in edges} == {"Tables"}
    assert len(small_body["data"]["dataExtensions"]["edges"]) == 10  # type: ignore[index]
    assert many == few
    # Authentication (5), then a context and one statement each for the page, the fields,
    # the folders and the folders' parents.
    assert many <= 14, many


async def test_a_page_of_search_hits_costs_a_fixed_number_of_statements(
    http: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    small, large = await _bu_with(10), await _bu_with(100)
    few, _ = await _statements(http, caplog, small, SEARCH, 100)
    many, body = await _statements(http, caplog, large, SEARCH, 100)
    edges = body["data"]["searchDataExtensions"]["edges"]  # type: ignore[index]
    assert len([edge for edge in edges if edge["node"]["dataExtension"]]) == 100
    assert many == few
    assert many <= 14, many
