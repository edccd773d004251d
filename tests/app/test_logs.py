"""Logs are JSON with a request id, and carry no query strings or credentials."""

from __future__ import annotations

import json
import logging

import httpx
import pytest
import strawberry

from app.logs import JsonFormatter, redact, request_id_var
from schema.error_log import QuarrySchema

pytestmark = pytest.mark.usefixtures("db")


@pytest.mark.parametrize(
    "text",
    [
        "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig",
        '{"access_token": "abc123secret", "expires_in": 1200}',
        "refresh_token=abc123secret&grant_type=refresh_token",
        "client_secret: abc123secret",
    ],
)
def test_redact_masks_credentials(text: str) -> None:
    masked = redact(text)
    assert "abc123secret" not in masked and "payload.sig" not in masked
    assert "[REDACTED]" in masked


def test_formatter_emits_json_with_request_id() -> None:
    token = request_id_var.set("req-12345678")
    try:
        record = logging.LogRecord(
            "quarry", logging.INFO, __file__, 1, "hello %s", ("world",), None
        )
        entry = json.loads(JsonFormatter().format(record))
    finally:
        request_id_var.reset(token)
    assert entry["msg"] == "hello world"
    assert entry["request_id"] == "req-12345678"
    assert entry["level"] == "INFO"


async def test_access_log_has_path_but_not_query_string(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await client.get("/api/auth/callback", params={"code": "SECRET-CODE-1", "state": "S-2"})
    records = [r for r in caplog.records if r.name == "quarry.access"]
    assert records, "no access log line"
    line = JsonFormatter().format(records[-1])
    assert "/api/auth/callback" in line
    assert "SECRET-CODE-1" not in line and "S-2" not in line
    everything = "\n".join(JsonFormatter().format(r) for r in caplog.records)
    assert "SECRET-CODE-1" not in everything  # nor in the refusal's audit or anywhere else
    assert json.loads(line)["status"] == 400  # refused: no state this browser was given


# ------------------------------------------------------------------ GraphQL errors
SECRET_LITERAL = "SELECT EmailAddress FROM Subscribers_7c1e"
BAD_DOCUMENTS = {
    # graphql-core prints an excerpt of the document around a syntax error's location
    "syntax": {"query": f'{{ health(sql: "{SECRET_LITERAL}") {{ status '},
    # and quotes the literal a validation error is about
    "validation": {
        "query": "mutation { createApiToken(input: "
        f'{{name: "x", scope: "{SECRET_LITERAL}"}}) {{ token }} }}'
    },
    # and the variable value a coercion error is about
    "variables": {
        "query": "mutation($input: CreateApiTokenInput!) "
        "{ createApiToken(input: $input) { token } }",
        "variables": {"input": {"name": "x", "scope": SECRET_LITERAL}},
    },
}


def _graphql_error_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "quarry.graphql.errors"]


@pytest.mark.parametrize("kind", list(BAD_DOCUMENTS))
async def test_a_refused_document_is_logged_without_its_text(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture, kind: str
) -> None:
    caplog.set_level(logging.DEBUG)
    response = await client.post("/api/graphql", json=BAD_DOCUMENTS[kind])
    assert response.json()["errors"]  # refused, whatever the log says
    everything = "\n".join(JsonFormatter().format(r) for r in caplog.records)
    assert "Subscribers_7c1e" not in everything
    assert "GraphQL request" not in everything  # graphql-core's excerpt header
    [record] = _graphql_error_records(caplog)
    expected = "GRAPHQL_PARSE_FAILED" if kind == "syntax" else "GRAPHQL_VALIDATION_FAILED"
    assert record.levelno == logging.INFO and expected in record.getMessage()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_a_public_error_is_logged_with_its_code_path_and_message(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    response = await client.post(
        "/api/graphql", json={"query": "{ apiTokens { edges { cursor } } }"}
    )
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    [record] = _graphql_error_records(caplog)
    assert record.levelno == logging.INFO  # expected: a client's mistake, not ours
    assert "UNAUTHENTICATED at apiTokens" in record.getMessage()
    assert "Sign in first." in record.getMessage()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_an_unexpected_error_is_logged_with_its_traceback_and_request_id(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A tiny schema of our kind whose resolver fails the way a bug would."""

    @strawberry.type
    class Query:
        @strawberry.field
        def broken(self, sql: str) -> str:
            raise RuntimeError("the resolver broke")

    tiny = QuarrySchema(query=Query)
    caplog.set_level(logging.DEBUG)
    token = request_id_var.set("req-unexpected-1")
    try:
        result = await tiny.execute(f'{{ broken(sql: "{SECRET_LITERAL}") }}')
        [record] = _graphql_error_records(caplog)
        entry = json.loads(JsonFormatter().format(record))  # as the handler does, in the request
    finally:
        request_id_var.reset(token)
    assert result.errors
    assert record.levelno == logging.ERROR and record.exc_info is not None
    assert entry["request_id"] == "req-unexpected-1"
    assert "RuntimeError" in entry["msg"] and "at broken" in entry["msg"]
    assert "the resolver broke" in entry["exc"] and "Traceback" in entry["exc"]
    assert "Subscribers_7c1e" not in json.dumps(entry)
