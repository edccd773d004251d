"""``GET/POST /v2/authorize``: auto and manual approval, client and redirect checks."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx

from simulator.state import Simulator

from .conftest import ServerThread, make_sim
from .helpers import bu_named


def _params(sim: Simulator, **extra: str) -> dict[str, str]:
    package = sim.enhanced_package
    params = {
        "response_type": "code",
        "client_id": package.client_id,
        "redirect_uri": package.redirect_uris[0],
        "state": "st-1",
    }
    params.update(extra)
    return params


def _query(response: httpx.Response) -> dict[str, list[str]]:
    return parse_qs(urlsplit(response.headers["location"]).query)


def test_auto_approve_redirects_with_code_state_and_tssd(
    http: httpx.Client, sim: Simulator
) -> None:
    response = http.get("v2/authorize", params=_params(sim))
    assert response.status_code == 302
    location = response.headers["location"]
    assert location.startswith(sim.enhanced_package.redirect_uris[0] + "?")
    query = _query(response)
    assert query["state"] == ["st-1"]
    assert query["tssd"] == [sim.store.enterprise.tssd]
    assert len(sim.store.enterprise.tssd) == 28 and sim.store.enterprise.tssd.startswith("mc")
    assert 0 < len(query["code"][0]) <= 512


def test_sim_user_and_account_id_pick_user_and_bu(http: httpx.Client, sim: Simulator) -> None:
    eu = bu_named(sim, "EU")
    response = http.get(
        "v2/authorize", params=_params(sim, sim_user="mia.marketer", account_id=str(eu.mid))
    )
    code = _query(response)["code"][0]
    record = sim.auth._codes[code]
    assert record.user.username == "mia.marketer"
    assert record.mid == eu.mid


def test_account_id_the_user_cannot_reach_redirects_with_error(
    http: httpx.Client, sim: Simulator
) -> None:
    response = http.get(
        "v2/authorize",
        params=_params(sim, sim_user="eve.europe", account_id=str(sim.store.enterprise.eid)),
    )
    assert response.status_code == 302
    query = _query(response)
    assert query["error"] == ["access_denied"]
    assert query["state"] == ["st-1"]
    assert "code" not in query


def test_unknown_client_is_401_json_without_redirect(http: httpx.Client, sim: Simulator) -> None:
    response = http.get("v2/authorize", params=_params(sim, client_id="nope"))
    assert response.status_code == 401
    body = response.json()
    assert body["error"] == "unauthorized_client"
    assert set(body) == {"error", "error_description", "error_uri"}


def test_unregistered_redirect_uri_is_rejected_without_redirect(
    http: httpx.Client, sim: Simulator
) -> None:
    response = http.get("v2/authorize", params=_params(sim, redirect_uri="https://evil.example/cb"))
    assert response.status_code == 400
    assert "location" not in response.headers
    assert response.json()["error"] == "invalid_request"


def test_wrong_response_type_redirects_with_error(http: httpx.Client, sim: Simulator) -> None:
    response = http.get("v2/authorize", params=_params(sim, response_type="token"))
    assert response.status_code == 302
    assert _query(response)["error"] == ["unsupported_response_type"]


def test_empty_scope_grants_no_scopes(http: httpx.Client, sim: Simulator) -> None:
    response = http.get("v2/authorize", params=_params(sim, scope=""))
    assert sim.auth._codes[_query(response)["code"][0]].scopes == ()


def test_manual_approval_page_then_approve_and_deny() -> None:
    sim = make_sim(auto_approve=False)
    from simulator.app import create_app

    with ServerThread(create_app(sim)) as server, httpx.Client(base_url=server.url) as client:
        page = client.get("v2/authorize", params=_params(sim))
        assert page.status_code == 200
        assert "text/html" in page.headers["content-type"]
        assert 'action="/v2/authorize"' in page.text
        for user in sim.store.users.values():
            assert user.username in page.text
        pat = sim.store.find_user("pat.parent")
        assert pat is not None
        form = {**_params(sim), "sim_user": str(pat.id), "decision": "approve"}
        approved = client.post("v2/authorize", data=form)
        assert approved.status_code == 302
        code = _query(approved)["code"][0]
        assert sim.auth._codes[code].user.username == "pat.parent"
        denied = client.post("v2/authorize", data={**form, "decision": "deny"})
        assert _query(denied)["error"] == ["access_denied"]
        assert _query(denied)["state"] == ["st-1"]
    sim.close()


def test_the_wrapped_code_quirk_carries_the_real_code_in_a_jwt_like_payload(
    http: httpx.Client, sim: Simulator
) -> None:
    import base64
    import json

    sim.config.quirk_jwt_wrapped_code = True
    wrapped = _query(http.get("v2/authorize", params=_params(sim)))["code"][0]
    header, payload, signature = wrapped.split(".")
    assert json.loads(base64.urlsafe_b64decode(header + "==")) == {"alg": "HS256", "typ": "JWT"}
    inner = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert inner["eid"] == sim.store.enterprise.eid and signature
    package = sim.enhanced_package
    body = {
        "grant_type": "authorization_code",
        "client_id": package.client_id,
        "client_secret": package.client_secret,
        "redirect_uri": package.redirect_uris[0],
    }
    refused = http.post("v2/token", json={**body, "code": wrapped})
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"
    accepted = http.post("v2/token", json={**body, "code": inner["auth_code"]})
    assert accepted.status_code == 200 and accepted.json()["access_token"]
