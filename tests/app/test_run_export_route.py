"""``GET /api/runs/{id}/export.csv`` is routed (not the /api catch-all), authenticated like
GraphQL and sent without CORS headers (the export itself: tests/services/runs/test_export.py)."""

from __future__ import annotations

from uuid import uuid4

import httpx
import pytest

pytestmark = pytest.mark.usefixtures("db")


async def test_signed_out_is_refused_with_a_json_401(client: httpx.AsyncClient) -> None:
    response = await client.get(
        f"/api/runs/{uuid4()}/export.csv", headers={"origin": "https://evil.example"}
    )
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "UNAUTHENTICATED"
    assert "access-control-allow-origin" not in response.headers
    assert response.headers["cache-control"] == "no-store"


async def test_a_refused_bearer_token_is_a_401_with_www_authenticate(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get(
        f"/api/runs/{uuid4()}/export.csv", headers={"authorization": "Bearer not-a-token"}
    )
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_other_methods_and_paths_stay_not_found(client: httpx.AsyncClient) -> None:
    assert (await client.post(f"/api/runs/{uuid4()}/export.csv")).status_code in (404, 405)
    assert (await client.get(f"/api/runs/{uuid4()}/export.json")).status_code == 404
