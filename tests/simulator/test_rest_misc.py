"""Platform endpoints, unknown routes, injected 500/429/slow answers, never a crash."""

from __future__ import annotations

import httpx
import pytest

from simulator.faults import FaultRule
from simulator.state import Simulator

from .conftest import TokenFor
from .helpers import bearer, bu_named


def test_soap_endpoint_discovery(http: httpx.Client, sim_url: str, token_for: TokenFor) -> None:
    token = token_for(http)["access_token"]
    response = http.get("platform/v1/endpoints/soap", headers=bearer(token))
    assert response.json() == {"url": f"{sim_url}Service.asmx"}


def test_token_context(http: httpx.Client, sim: Simulator, token_for: TokenFor) -> None:
    eu = bu_named(sim, "EU")
    token = token_for(http, user="eve.europe", mid=eu.mid)["access_token"]
    body = http.get("platform/v1/tokenContext", headers=bearer(token)).json()
    user = sim.store.find_user("eve.europe")
    assert user is not None
    assert body["enterprise"] == {"id": sim.store.enterprise.eid}
    assert body["organization"] == {"id": eu.mid}
    assert body["user"] == {"id": user.id}
    assert list(body) == ["enterprise", "organization", "user"]  # REFERENCE §1.2, nothing more


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "nope"), ("GET", "data/v1/unknown"), ("POST", "v2/userinfo"), ("DELETE", "v2/token")],
)
def test_unknown_routes_and_methods_answer_json(http: httpx.Client, method: str, path: str) -> None:
    response = http.request(method, path)
    assert response.status_code in (404, 405)
    assert set(response.json()) == {"message", "errorcode", "documentation"}


def test_injected_429_has_retry_after(
    http: httpx.Client, sim: Simulator, token_for: TokenFor
) -> None:
    token = token_for(http)["access_token"]
    sim.faults.add_rule(
        FaultRule(operation="rest.rowset.*", kind="rate_limit", times=1, retry_after=7)
    )
    response = http.get("data/v1/customobjectdata/key/Orders/rowset", headers=bearer(token))
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "7"
    body = response.json()
    assert body["errorcode"] == 50100 and body["retryAfter"] == 7
    assert body["message"] == "Rate limit exceeded"
    again = http.get("data/v1/customobjectdata/key/Orders/rowset", headers=bearer(token))
    assert again.status_code == 200


@pytest.mark.parametrize(
    ("status", "message", "errorcode", "retry_after"),
    [
        (429, "Your requests are temporarily blocked.", 50200, None),
        (503, "Service Unavailable", 50300, "9"),
        (403, "Insufficient privileges to complete this action.", 20002, None),
        (502, "Bad Gateway", 0, None),
    ],
)
def test_injected_errors_use_the_documented_bodies(
    http: httpx.Client,
    sim: Simulator,
    token_for: TokenFor,
    status: int,
    message: str,
    errorcode: int,
    retry_after: str | None,
) -> None:
    # REFERENCE §4.7: the concurrency block is a second 429 (50200), unlike the rate limit.
    token = token_for(http)["access_token"]
    sim.faults.add_rule(
        FaultRule(operation="rest.*", kind="error", status=status, retry_after=9, times=1)
    )
    response = http.get("data/v1/customobjectdata/key/Orders/rowset", headers=bearer(token))
    assert response.status_code == status
    body = response.json()
    assert (body["message"], body["errorcode"]) == (message, errorcode)
    assert body["documentation"].endswith("error-handling.htm")
    assert response.headers.get("Retry-After") == retry_after


def test_injected_500_on_token_endpoint(http: httpx.Client, sim: Simulator) -> None:
    sim.faults.add_rule(FaultRule(operation="auth.token.*", kind="error", times=1))
    package = sim.enhanced_package
    body = {
        "grant_type": "client_credentials",
        "client_id": package.client_id,
        "client_secret": package.client_secret,
    }
    failed = http.post("v2/token", json=body)
    assert failed.status_code == 500
    assert failed.json() == {
        "message": "Internal Server Error",
        "errorcode": 0,
        "documentation": "https://developer.salesforce.com/docs/atlas.en-us.mc-apis.meta/mc-apis/error-handling.htm",
    }
    assert http.post("v2/token", json=body).status_code == 200


def test_slow_answer_beats_a_client_timeout(http: httpx.Client, sim: Simulator) -> None:
    sim.faults.add_rule(FaultRule(operation="auth.userinfo", kind="slow", delay_ms=600, times=1))
    with pytest.raises(httpx.ReadTimeout):
        http.get("v2/userinfo", timeout=0.2)


def test_error_rate_is_probabilistic_but_seeded(sim: Simulator) -> None:
    sim.faults.add_rule(FaultRule(operation="x", kind="error", rate=0.5))
    fired = [sim.faults.decide("x")[1] is not None for _ in range(200)]
    assert 60 < sum(fired) < 140
    sim.faults.clear()
    sim.faults.add_rule(FaultRule(operation="x", kind="error", rate=0.5))
    assert [sim.faults.decide("x")[1] is not None for _ in range(200)] == fired


async def test_in_process_client_works(asgi_client: httpx.AsyncClient, sim: Simulator) -> None:
    package = sim.enhanced_package
    response = await asgi_client.post(
        "v2/token",
        json={
            "grant_type": "client_credentials",
            "client_id": package.client_id,
            "client_secret": package.client_secret,
        },
    )
    assert response.json()["rest_instance_url"] == "http://sim.test/"


_ROWSET = "data/v1/customobjectdata/key/Orders/rowset"


_ORDER = b'[{"keys":{"OrderID":1},"values":{"SubscriberKey":%s,"OrderDate":"2024-01-01"}}]'


def _json(content: bytes) -> dict[str, object]:
    return {"content": content, "headers": {"Content-Type": "application/json"}}


def _order_row(**values: object) -> dict[str, object]:
    keys = {"OrderID": values.pop("OrderID", 1)}
    return {"keys": keys, "values": {"SubscriberKey": "s", "OrderDate": "2024-01-01", **values}}


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("GET", "data/v1/customobjectdata/key/Orders/rowset", {"params": {"$filter": "(((("}}),
        (
            "GET",
            "data/v1/customobjectdata/key/Orders/rowset",
            {"params": {"$filter": "Status eq 'é''"}},
        ),
        ("GET", "data/v1/customobjectdata/key/Orders/rowset", {"params": {"$page": "9" * 30}}),
        ("GET", "data/v1/customobjectdata/key/%00/rowset", {}),
        ("POST", "hub/v1/dataevents/key:Orders/rowset", {"content": b"\xff\xfe"}),
        ("POST", "hub/v1/dataevents/key:Orders/rowset", {"json": [{"keys": {"OrderID": 1.5}}]}),
        ("POST", "hub/v1/dataevents/key:Orders/rowset", {"json": [{"keys": {"OrderID": True}}]}),
        ("POST", "v2/token", {"content": b"\xff", "headers": {"Content-Type": "application/json"}}),
        ("POST", "v2/authorize", {"data": {"client_id": "x"}}),
        ("GET", "v2/authorize", {}),
        # Lax spots of Python's JSON parser: NaN, lone surrogates, 5,000-digit ints, nesting.
        ("POST", "hub/v1/dataevents/key:Orders/rowset", _json(_ORDER % b"NaN")),
        ("POST", "hub/v1/dataevents/key:Orders/rowset", _json(_ORDER % b'"\\ud800"')),
        (
            "POST",
            "hub/v1/dataevents/key:Orders/rowset",
            _json(b'[{"keys":{"OrderID":' + b"9" * 5000 + b"}}]"),
        ),
        ("POST", "hub/v1/dataevents/key:Orders/rowset", _json(b"[" * 100_000 + b"]" * 100_000)),
        ("POST", "v2/token", _json(b'{"grant_type": Infinity}')),
        ("POST", "v1/requestToken", _json(b'{"clientId": "\\udfff"}')),
        # Decimals past the 28-digit default context, signalling NaN.
        ("GET", _ROWSET, {"params": {"$filter": "Amount eq 1e999999"}}),
        ("GET", _ROWSET, {"params": {"$filter": "Amount eq " + "1" * 30}}),
        ("GET", _ROWSET, {"params": {"$filter": "OrderID eq sNaN"}}),
        ("POST", "hub/v1/dataevents/key:Orders/rowset", {"json": [_order_row(Amount="1" * 30)]}),
        ("POST", "hub/v1/dataevents/key:Orders/rowset", {"json": [_order_row(OrderID="sNaN")]}),
        # Nesting deeper than any recursive parser allows.
        ("GET", _ROWSET, {"params": {"$filter": "(" * 400 + "Status eq 'x'" + ")" * 400}}),
        ("GET", _ROWSET, {"params": {"$filter": "not " * 600 + "Status eq 'x'"}}),
    ],
)
def test_bad_input_never_crashes(
    http: httpx.Client, token_for: TokenFor, method: str, path: str, kwargs: dict[str, object]
) -> None:
    token = token_for(http)["access_token"]
    headers = {**bearer(token), **kwargs.pop("headers", {})}  # type: ignore[dict-item]
    response = http.request(method, path, headers=headers, **kwargs)  # type: ignore[arg-type]
    assert 400 <= response.status_code < 500
    assert response.headers["content-type"].startswith("application/json")
