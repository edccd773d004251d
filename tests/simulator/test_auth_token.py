"""``POST /v2/token``: each grant, codes, rotation, BU switching, scopes, errors."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from simulator.state import Simulator

from .conftest import TokenFor, authorize_code
from .helpers import bu_named


def _code_body(sim: Simulator, code: str, redirect: str, **extra: Any) -> dict[str, Any]:
    package = sim.enhanced_package
    body = {
        "grant_type": "authorization_code",
        "code": code,
        "client_id": package.client_id,
        "client_secret": package.client_secret,
        "redirect_uri": redirect,
    }
    body.update(extra)
    return body


def _refresh_body(sim: Simulator, refresh: str, **extra: Any) -> dict[str, Any]:
    package = sim.enhanced_package
    body = {
        "grant_type": "refresh_token",
        "refresh_token": refresh,
        "client_id": package.client_id,
        "client_secret": package.client_secret,
    }
    body.update(extra)
    return body


def test_authorization_code_grant_shape(
    http: httpx.Client, sim: Simulator, sim_url: str, token_for: TokenFor
) -> None:
    body = token_for(http)
    assert set(body) == {
        "access_token",
        "refresh_token",
        "expires_in",
        "token_type",
        "scope",
        "rest_instance_url",
        "soap_instance_url",
    }
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 1200
    assert body["rest_instance_url"] == sim_url
    assert body["soap_instance_url"] == sim_url
    assert body["rest_instance_url"].endswith("/")
    assert body["scope"].split() == list(sim.enhanced_package.scopes)
    assert len(body["access_token"]) <= 512 and len(body["refresh_token"]) <= 512


def test_form_encoded_token_request_is_accepted(http: httpx.Client, sim: Simulator) -> None:
    code, redirect = authorize_code(http, sim)
    response = http.post("v2/token", data=_code_body(sim, code, redirect))
    assert response.status_code == 200
    assert "access_token" in response.json()


def test_code_is_single_use(http: httpx.Client, sim: Simulator) -> None:
    code, redirect = authorize_code(http, sim)
    assert http.post("v2/token", json=_code_body(sim, code, redirect)).status_code == 200
    again = http.post("v2/token", json=_code_body(sim, code, redirect))
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"


def test_code_expires_after_five_minutes(http: httpx.Client, sim: Simulator) -> None:
    code, redirect = authorize_code(http, sim)
    sim.clock.advance(301)
    response = http.post("v2/token", json=_code_body(sim, code, redirect))
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_code_with_other_redirect_uri_is_refused(http: httpx.Client, sim: Simulator) -> None:
    code, _ = authorize_code(http, sim)
    other = sim.enhanced_package.redirect_uris[1]
    response = http.post("v2/token", json=_code_body(sim, code, other))
    assert response.json()["error"] == "invalid_grant"


def test_wrong_secret_is_invalid_client(http: httpx.Client, sim: Simulator) -> None:
    code, redirect = authorize_code(http, sim)
    response = http.post("v2/token", json=_code_body(sim, code, redirect, client_secret="bad"))
    assert response.status_code == 401
    assert response.json() == {
        "error": "invalid_client",
        "error_description": (
            "Client authentication failed. Make sure that the client ID and client secret are "
            "valid and that the package is installed and enabled."
        ),
        "error_uri": "https://developer.salesforce.com/docs",
    }


def test_refresh_rotates_and_old_token_dies_with_grace_zero(
    http: httpx.Client, sim: Simulator, token_for: TokenFor
) -> None:
    first = token_for(http)
    second = http.post("v2/token", json=_refresh_body(sim, first["refresh_token"]))
    assert second.status_code == 200
    rotated = second.json()
    assert rotated["refresh_token"] != first["refresh_token"]
    assert rotated["access_token"] != first["access_token"]
    reused = http.post("v2/token", json=_refresh_body(sim, first["refresh_token"]))
    assert reused.status_code == 400
    assert reused.json()["error"] == "invalid_grant"
    third = http.post("v2/token", json=_refresh_body(sim, rotated["refresh_token"]))
    assert third.status_code == 200


def test_refresh_grace_lets_a_racing_reuse_through(
    http: httpx.Client, sim: Simulator, token_for: TokenFor
) -> None:
    sim.auth.refresh_grace_seconds = 60
    first = token_for(http)
    assert http.post("v2/token", json=_refresh_body(sim, first["refresh_token"])).status_code == 200
    assert http.post("v2/token", json=_refresh_body(sim, first["refresh_token"])).status_code == 200
    sim.clock.advance(61)
    late = http.post("v2/token", json=_refresh_body(sim, first["refresh_token"]))
    assert late.json()["error"] == "invalid_grant"


def test_revoked_refresh_token_is_invalid_grant(
    http: httpx.Client, sim: Simulator, token_for: TokenFor
) -> None:
    first = token_for(http)
    assert sim.auth.revoke_refresh_tokens(token=first["refresh_token"]) == 1
    response = http.post("v2/token", json=_refresh_body(sim, first["refresh_token"]))
    assert response.json()["error"] == "invalid_grant"


def test_account_id_switches_bu_on_refresh(
    http: httpx.Client, sim: Simulator, token_for: TokenFor
) -> None:
    us, eu = bu_named(sim, "US"), bu_named(sim, "EU")
    first = token_for(http, user="mia.marketer")
    assert sim.auth.validate_access_token(first["access_token"]).mid == us.mid
    switched = http.post(
        "v2/token", json=_refresh_body(sim, first["refresh_token"], account_id=eu.mid)
    )
    assert switched.status_code == 200
    assert sim.auth.validate_access_token(switched.json()["access_token"]).mid == eu.mid


def test_account_id_the_user_cannot_reach_is_refused(
    http: httpx.Client, sim: Simulator, token_for: TokenFor
) -> None:
    first = token_for(http, user="mia.marketer")
    response = http.post(
        "v2/token",
        json=_refresh_body(sim, first["refresh_token"], account_id=str(sim.store.enterprise.eid)),
    )
    assert response.status_code == 401
    assert response.json()["error"] == "access_denied"


def test_account_id_switch_on_code_exchange(http: httpx.Client, sim: Simulator) -> None:
    qa = bu_named(sim, "Sandbox")
    code, redirect = authorize_code(http, sim)
    response = http.post("v2/token", json=_code_body(sim, code, redirect, account_id=qa.mid))
    assert sim.auth.validate_access_token(response.json()["access_token"]).mid == qa.mid


def test_scope_is_narrowed_by_the_request(
    http: httpx.Client, sim: Simulator, token_for: TokenFor
) -> None:
    first = token_for(http, scope="data_extensions_read users_write offline")
    # users_write is not on the package: dropped, not granted.
    assert first["scope"] == "offline data_extensions_read"
    narrower = http.post(
        "v2/token", json=_refresh_body(sim, first["refresh_token"], scope="data_extensions_read")
    )
    assert narrower.json()["scope"] == "data_extensions_read"
    wider = http.post(
        "v2/token",
        json=_refresh_body(sim, narrower.json()["refresh_token"], scope="data_extensions_write"),
    )
    assert wider.json()["scope"] == ""


def test_client_credentials_grant(http: httpx.Client, sim: Simulator) -> None:
    package = sim.enhanced_package
    response = http.post(
        "v2/token",
        json={
            "grant_type": "client_credentials",
            "client_id": package.client_id,
            "client_secret": package.client_secret,
        },
    )
    body = response.json()
    assert response.status_code == 200
    assert "refresh_token" not in body
    assert body["expires_in"] == 1079
    info = sim.auth.validate_access_token(body["access_token"])
    assert info.user is None
    assert info.mid == package.home_mid


def test_client_credentials_account_id_and_unknown_mid(http: httpx.Client, sim: Simulator) -> None:
    package = sim.enhanced_package
    base = {
        "grant_type": "client_credentials",
        "client_id": package.client_id,
        "client_secret": package.client_secret,
    }
    eu = bu_named(sim, "EU")
    ok = http.post("v2/token", json={**base, "account_id": str(eu.mid)})
    assert sim.auth.validate_access_token(ok.json()["access_token"]).mid == eu.mid
    refused = http.post("v2/token", json={**base, "account_id": 12345})
    assert refused.status_code == 401
    assert refused.json()["error"] == "unauthorized_client"


@pytest.mark.parametrize(
    ("kwargs", "status", "error"),
    [
        (
            {"content": b"{not json", "headers": {"Content-Type": "application/json"}},
            400,
            "invalid_request",
        ),
        (
            {"content": b"[1, 2]", "headers": {"Content-Type": "application/json"}},
            400,
            "invalid_request",
        ),
        (
            {"content": b"grant_type=x", "headers": {"Content-Type": "text/plain"}},
            400,
            "invalid_request",
        ),
        ({"json": {"client_id": "x"}}, 400, "invalid_request"),
        ({"json": {"grant_type": "password"}}, 400, "unsupported_grant_type"),
        (
            {"json": {"grant_type": "client_credentials", "account_id": "abc"}},
            401,
            "invalid_client",
        ),
    ],
)
def test_bad_token_requests(
    http: httpx.Client, kwargs: dict[str, Any], status: int, error: str
) -> None:
    response = http.post("v2/token", **kwargs)
    assert response.status_code == status
    assert response.json()["error"] == error
    assert response.json()["error_uri"] == "https://developer.salesforce.com/docs"


def test_token_ttl_is_configurable_and_expiry_is_enforced(
    http: httpx.Client, sim: Simulator, token_for: TokenFor
) -> None:
    sim.config.token_ttl_seconds = 60
    body = token_for(http)
    assert body["expires_in"] == 60
    sim.clock.advance(61)
    response = http.get("v2/userinfo", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert response.status_code == 401


def test_non_ascii_client_secret_is_invalid_client(http: httpx.Client, sim: Simulator) -> None:
    package = sim.enhanced_package
    body = {
        "grant_type": "client_credentials",
        "client_id": package.client_id,
        "client_secret": "sécret-✓",
    }
    for response in (http.post("v2/token", json=body), http.post("v2/token", data=body)):
        assert response.status_code == 401
        assert response.json()["error"] == "invalid_client"
    legacy = sim.legacy_package
    exchanged = http.post(
        "v1/requestToken",
        json={"clientId": legacy.client_id, "clientSecret": "sécret", "refreshToken": "x"},
    )
    assert exchanged.status_code == 401
    assert exchanged.json()["message"] == "Not Authorized"
