"""Hostile or broken requests get a clear 4xx or a GraphQL error, never a 500."""

from __future__ import annotations

from dataclasses import replace

import httpx
import pytest
from graphql import GraphQLError

from app.settings import Settings
from schema.errors import should_mask_error
from services.errors import InvalidInput
from tests.app.conftest import client_for

pytestmark = pytest.mark.usefixtures("db")


def _graphql_error_messages(response: httpx.Response) -> list[str]:
    return [e["message"] for e in response.json().get("errors", [])]


async def test_malformed_json(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/graphql", content=b'{"query": "{ health', headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert "JSON" in response.text


async def test_non_json_content_type(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/graphql", content=b"query=%7Bhealth%7D", headers={"content-type": "text/plain"}
    )
    assert (response.status_code, response.text) == (400, "Unsupported content type")


async def test_empty_body(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/graphql", content=b"", headers={"content-type": "application/json"}
    )
    assert (response.status_code, response.text) == (400, "Unable to parse request body as JSON")


async def test_missing_query(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/graphql", json={"variables": {}})
    assert (response.status_code, response.text) == (400, "No GraphQL query found in the request")


async def test_two_megabyte_document(client: httpx.AsyncClient) -> None:
    document = "{ health { status } }" + " " * (2 * 1024 * 1024)
    response = await client.post("/api/graphql", json={"query": document})
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "PAYLOAD_TOO_LARGE"


async def test_chunked_oversized_body_without_length(client: httpx.AsyncClient) -> None:
    async def chunks():  # no Content-Length: the limit is enforced while streaming
        for _ in range(40):
            yield b" " * 65_536

    response = await client.post(
        "/api/graphql", content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413


async def test_five_thousand_levels_of_graphql_nesting(client: httpx.AsyncClient) -> None:
    document = "{" + "health {" * 5000 + "status" + "}" * 5001
    response = await client.post("/api/graphql", json={"query": document})
    # A GraphQL error (the parser's own nesting limit), not a transport-level refusal.
    assert response.status_code == 200
    assert response.json()["data"] is None
    assert _graphql_error_messages(response) == [
        "Syntax Error: Document is nested too deeply. Parsing aborted."
    ]


async def test_five_thousand_levels_of_json_nesting(client: httpx.AsyncClient) -> None:
    body = '{"query": "{ health { status } }", "variables": ' + "[" * 5000 + "]" * 5000 + "}"
    response = await client.post(
        "/api/graphql", content=body.encode(), headers={"content-type": "application/json"}
    )
    assert (response.status_code, response.text) == (400, "Request body is nested too deeply")


async def test_depth_limit(client: httpx.AsyncClient) -> None:
    fields = "availableBusinessUnits { name } " * 1
    document = "{ viewer { user { id } businessUnit { name } " + fields + "} }"
    ok = await client.post("/api/graphql", json={"query": document})
    assert ok.status_code == 200 and "errors" not in ok.json()
    deep = "query Deep " + "{ viewer " * 14 + "{ __typename }" + " }" * 14
    response = await client.post("/api/graphql", json={"query": deep})
    assert any("depth" in m.lower() for m in _graphql_error_messages(response))


async def test_alias_limit(client: httpx.AsyncClient) -> None:
    aliases = " ".join(f"a{i}: health {{ status }}" for i in range(40))
    response = await client.post("/api/graphql", json={"query": "{ " + aliases + " }"})
    assert any("alias" in m.lower() for m in _graphql_error_messages(response))


async def test_unknown_field_is_a_graphql_error(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/graphql", json={"query": "{ nope }"})
    assert response.status_code == 200
    assert "Cannot query field 'nope'" in _graphql_error_messages(response)[0]


async def test_mutation_over_get_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/graphql", params={"query": "mutation { __typename }"})
    assert (response.status_code, response.text) == (
        400,
        "mutations are not allowed when using GET",
    )


async def test_query_over_get_is_refused(client: httpx.AsyncClient) -> None:
    """GET is off for queries too (allow_queries_via_get=False): cookies ride along on GETs."""
    response = await client.get("/api/graphql", params={"query": "{ health { status } }"})
    assert (response.status_code, response.text) == (
        400,
        "queries are not allowed when using GET",
    )


async def test_introspection_can_be_disabled(db: Settings) -> None:
    async with client_for(replace(db, introspection_enabled=False)) as http:
        refused = await http.post("/api/graphql", json={"query": "{ __schema { types { name } } }"})
        allowed = await http.post("/api/graphql", json={"query": "{ health { status } }"})
    assert "introspection" in " ".join(_graphql_error_messages(refused)).lower()
    assert refused.json().get("data") is None
    assert allowed.json()["data"]["health"]["status"] == "ok"


async def test_introspection_enabled_by_default_outside_production(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "/api/graphql", json={"query": "{ __schema { queryType { name } } }"}
    )
    assert response.json()["data"]["__schema"]["queryType"]["name"] == "Query"


def test_masking_lets_only_public_errors_through() -> None:
    assert should_mask_error(GraphQLError("boom", original_error=RuntimeError("secret dsn")))
    assert not should_mask_error(GraphQLError("bad", original_error=InvalidInput("bad")))
    assert not should_mask_error(GraphQLError("Syntax Error"))


async def test_a_bad_enum_variable_says_what_is_wrong(client: httpx.AsyncClient) -> None:
    """GraphQL's own variable-coercion errors are about the caller's input: not masked."""
    response = await client.post(
        "/api/graphql",
        json={
            "query": 'mutation($s: ApiTokenScope!) { createApiToken(input: {name: "x",'
            " scope: $s}) { token } }",
            "variables": {"s": "NOPE"},
        },
    )
    messages = [e["message"] for e in response.json()["errors"]]
    assert messages and "does not exist in 'ApiTokenScope' enum" in messages[0]
    assert "Unexpected error." not in messages
