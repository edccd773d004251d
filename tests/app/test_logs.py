"""Logs are JSON with a request id, and carry no query strings or credentials."""

from __future__ import annotations

import json
import logging

import httpx
import pytest

from app.logs import JsonFormatter, redact, request_id_var

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
