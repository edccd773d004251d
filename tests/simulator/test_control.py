"""The ``/__sim/`` control API: on/off, stats, faults, tokens, grace, redirect URIs, reset."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from simulator.app import create_app
from simulator.state import Simulator

from .conftest import ServerThread, TokenFor, make_sim
from .helpers import bearer


def test_control_api_is_404_when_off() -> None:
    sim = make_sim(control=False)
    eid = sim.store.enterprise.eid
    scratch = sim.store.create_folder(
        mid=eid,
        name="Scratch",
        content_type="dataextension",
        parent_id=sim.store.root_folder(eid, "dataextension").id,  # type: ignore[union-attr]
    )
    before = sim.clock.utcnow()
    with ServerThread(create_app(sim)) as server, httpx.Client(base_url=server.url) as client:
        for method, path, body in (
            ("GET", "__sim/stats", None),
            ("POST", "__sim/reset", {}),
            ("GET", "__sim/describe", None),
            ("POST", "__sim/faults", {"operation": "*", "kind": "error"}),
            ("POST", "__sim/clock/advance", {"seconds": 86400}),
        ):
            response = client.request(method, path, json=body)
            assert (response.status_code, response.json()["errorcode"]) == (404, 404), path
    try:
        # Nothing happened: no reset (the folder is still there), no rule, no clock jump.
        assert sim.store.get_folder(scratch.id, mid=eid) is not None
        assert sim.faults.rules() == []
        assert (sim.clock.utcnow() - before).total_seconds() < 60
    finally:
        sim.close()


def test_stats_count_by_operation_and_reset(
    http: httpx.Client, sim: Simulator, token_for: TokenFor
) -> None:
    token = token_for(http)["access_token"]
    http.get("data/v1/customobjectdata/key/Orders/rowset", headers=bearer(token))
    http.get("data/v1/customobjectdata/key/Orders/rowset", headers=bearer(token))
    http.get("v2/userinfo", headers=bearer(token))
    stats = http.get("__sim/stats").json()
    assert stats["operations"] == {
        "auth.authorize": 1,
        "auth.token.authorization_code": 1,
        "auth.userinfo": 1,
        "rest.rowset.get": 2,
    }
    assert stats["total"] == 5
    assert http.delete("__sim/stats").json() == {"operations": {}, "total": 0, "by_mid": {}}
    assert http.get("__sim/stats").json()["total"] == 0  # control calls are not counted
    http.get("v2/userinfo")
    assert http.post("__sim/stats/reset").status_code == 200
    assert sim.stats.total() == 0


def test_fault_rules_via_api(http: httpx.Client) -> None:
    added = http.post(
        "__sim/faults", json={"operation": "auth.userinfo", "kind": "error", "times": 2}
    )
    assert added.status_code == 201
    assert added.json()["times"] == 2
    assert http.get("__sim/faults").json()["rules"][0]["operation"] == "auth.userinfo"
    assert http.get("v2/userinfo").status_code == 500
    assert http.get("v2/userinfo").status_code == 500
    assert http.get("v2/userinfo").status_code == 401
    http.post("__sim/faults", json={"operation": "*", "kind": "error", "status": 503})
    assert http.get("v2/userinfo").status_code == 503
    assert http.delete("__sim/faults").json() == {"rules": []}
    assert http.get("v2/userinfo").status_code == 401


def test_connection_reset_via_api(http: httpx.Client) -> None:
    http.post("__sim/faults", json={"operation": "rest.*", "kind": "reset", "times": 1})
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        http.get("platform/v1/tokenContext")
    # times=1: the rule is used up, and the next call gets MCE's answer (no token: 401).
    assert http.get("__sim/faults").json()["rules"] == []
    assert http.get("platform/v1/tokenContext").status_code == 401


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"operation": "x", "kind": "explode"},
        {"operation": "x", "kind": "error", "rate": 2},
        {"operation": "x", "kind": "error", "times": "many"},
        {"operation": "x", "kind": "error", "times": 0},
        {"operation": "x", "kind": "error", "status": 99},
        {"operation": "x", "kind": "error", "status": 1000},
        {"operation": "x", "kind": "rate_limit", "retry_after": -1},
        {"operation": "x", "kind": "slow", "delay_ms": 10**12},
    ],
)
def test_bad_fault_bodies(http: httpx.Client, sim: Simulator, body: dict[str, Any]) -> None:
    response = http.post("__sim/faults", json=body)
    assert response.status_code == 400
    assert isinstance(response.json()["error"], str)
    # Refused means not installed: no rule, and calls are answered as before.
    assert sim.faults.rules() == []
    assert http.get("__sim/faults").json()["rules"] == []
    assert http.get("v2/userinfo").status_code == 401


def test_control_rejects_malformed_json(http: httpx.Client, sim: Simulator) -> None:
    response = http.post("__sim/faults", content=b"{", headers={"Content-Type": "application/json"})
    assert (response.status_code, response.json()) == (
        400,
        {"error": "The body is not valid JSON."},
    )
    assert sim.faults.rules() == []


def test_latency(http: httpx.Client, sim: Simulator) -> None:
    response = http.post("__sim/latency", json={"ms": 25, "operation": "auth.*"})
    assert response.json()["latency"]["auth.*"] == 25
    assert sim.faults.decide("auth.userinfo")[0] == 25
    assert sim.faults.decide("rest.rowset.get")[0] == 0
    http.post("__sim/latency", json={"ms": 5})
    assert sim.faults.decide("rest.rowset.get")[0] == 5
    assert http.post("__sim/latency", json={"ms": -1}).status_code == 400
    assert http.post("__sim/latency", json={"ms": 10**12}).status_code == 400


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("__sim/clock/advance", {"seconds": 1e300}),
        ("__sim/refresh-grace", {"seconds": 1e300}),
        ("__sim/clock/advance", {"seconds": 10**400}),
    ],
)
def test_out_of_range_numbers_are_refused(
    http: httpx.Client, sim: Simulator, path: str, body: dict[str, Any]
) -> None:
    response = http.post(path, json=body)
    assert response.status_code == 400
    assert "error" in response.json()
    # The clock did not move to a year datetime cannot represent.
    assert sim.clock.utcnow().year < 3000


def test_force_expiry_and_revocation(
    http: httpx.Client, sim: Simulator, token_for: TokenFor
) -> None:
    body = token_for(http)
    assert http.get("v2/userinfo", headers=bearer(body["access_token"])).status_code == 200
    expired = http.post("__sim/tokens/expire", json={"access_token": body["access_token"]})
    assert expired.json() == {"expired": 1}
    assert http.get("v2/userinfo", headers=bearer(body["access_token"])).status_code == 401
    revoked = http.post("__sim/tokens/revoke", json={}).json()
    assert revoked["revoked"] >= 1
    package = sim.enhanced_package
    refresh = http.post(
        "v2/token",
        json={
            "grant_type": "refresh_token",
            "refresh_token": body["refresh_token"],
            "client_id": package.client_id,
            "client_secret": package.client_secret,
        },
    )
    assert refresh.json()["error"] == "invalid_grant"


def test_expire_by_user(http: httpx.Client, sim: Simulator, token_for: TokenFor) -> None:
    ada = token_for(http, user="ada.admin")["access_token"]
    mia = token_for(http, user="mia.marketer")["access_token"]
    user = sim.store.find_user("mia.marketer")
    assert user is not None
    http.post("__sim/tokens/expire", json={"user_id": user.id})
    assert http.get("v2/userinfo", headers=bearer(mia)).status_code == 401
    assert http.get("v2/userinfo", headers=bearer(ada)).status_code == 200


def test_refresh_grace_and_redirect_uris(http: httpx.Client, sim: Simulator) -> None:
    assert http.post("__sim/refresh-grace", json={"seconds": 30}).json() == {"seconds": 30}
    assert sim.auth.refresh_grace_seconds == 30
    added = http.post("__sim/redirect-uris", json={"uri": "https://app.example/cb"}).json()
    assert "https://app.example/cb" in added["redirect_uris"]
    authorize = http.get(
        "v2/authorize",
        params={
            "response_type": "code",
            "client_id": sim.enhanced_package.client_id,
            "redirect_uri": "https://app.example/cb",
        },
    )
    assert authorize.headers["location"].startswith("https://app.example/cb?code=")
    assert http.post("__sim/redirect-uris", json={"uri": "ftp://x"}).status_code == 400


def test_legacy_jwt_endpoint_checks_user_and_bu(http: httpx.Client, sim: Simulator) -> None:
    assert http.post("__sim/legacy-jwt", json={"user": "nobody"}).status_code == 400
    refused = http.post(
        "__sim/legacy-jwt", json={"user": "eve.europe", "mid": sim.store.enterprise.eid}
    )
    assert refused.status_code == 400
    ok = http.post("__sim/legacy-jwt", json={}).json()
    assert ok["claims"]["request"]["claimsVersion"] == 2


def test_clock_and_reset(http: httpx.Client, sim: Simulator, token_for: TokenFor) -> None:
    token = token_for(http)["access_token"]
    http.post("__sim/clock/advance", json={"seconds": 1300})
    assert http.get("v2/userinfo", headers=bearer(token)).status_code == 401
    sim.store.create_folder(
        mid=sim.store.enterprise.eid,
        name="Scratch",
        content_type="dataextension",
        parent_id=sim.store.root_folder(sim.store.enterprise.eid, "dataextension").id,  # type: ignore[union-attr]
    )
    before = sim.store.counts()
    assert http.post("__sim/reset").json() == {"reset": True}
    assert sim.store.counts()["folders"] == before["folders"] - 1
    assert sim.stats.total() == 0
    with pytest.raises(Exception, match="unknown"):
        sim.auth.validate_access_token(token)


def test_describe_endpoint(http: httpx.Client, sim: Simulator, sim_url: str) -> None:
    body = http.get("__sim/describe").json()
    assert body["base_url"] == sim_url
    assert body["client_id"] == sim.enhanced_package.client_id


def test_cli_latency_applies_to_every_call() -> None:
    sim = make_sim(latency_ms=30)
    try:
        assert sim.faults.decide("rest.rowset.get")[0] == 30
        assert sim.faults.decide("soap.Retrieve.DataExtension")[0] == 30
        assert sim.faults.latency()["*default*"] == 30
    finally:
        sim.close()
