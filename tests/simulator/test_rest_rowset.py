"""``GET /data/v1/customobjectdata/...`` rowsets: paging, ordering, filters, shapes."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from simulator.state import FieldSpec, Simulator

from .conftest import TokenFor
from .helpers import bearer, bu_named

_DATE = re.compile(r"^\d{1,2}/\d{1,2}/\d{4} \d{1,2}:\d{2}:\d{2} (AM|PM)$")


@pytest.fixture
def headers(http: httpx.Client, token_for: TokenFor) -> dict[str, str]:
    return bearer(token_for(http)["access_token"])


def _get(http: httpx.Client, key: str, headers: dict[str, str], **params: Any) -> httpx.Response:
    return http.get(f"data/v1/customobjectdata/key/{key}/rowset", params=params, headers=headers)


def test_first_page_shape(http: httpx.Client, sim: Simulator, headers: dict[str, str]) -> None:
    response = _get(http, "Orders", headers, **{"$pageSize": 50})
    assert response.status_code == 200
    body = response.json()
    de = sim.store.get_de(sim.store.enterprise.eid, customer_key="Orders")
    assert de is not None
    token = body["requestToken"]
    assert body["links"] == {
        "self": f"/v1/customobjectdata/token/{token}/rowset?$page=1",
        "next": f"/v1/customobjectdata/token/{token}/rowset?$page=2",
    }
    assert body["customObjectId"] == de.object_id
    assert body["customObjectKey"] == "Orders"
    assert (body["page"], body["pageSize"], body["count"], body["top"]) == (1, 50, 6000, 0)
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}$", body["tokenExpireDateUtc"])
    assert len(body["items"]) == 50
    item = body["items"][0]
    assert item["keys"] == {"orderid": "100000"}
    assert set(item["values"]) == {
        "subscriberkey",
        "orderdate",
        "amount",
        "currency",
        "status",
        "isgift",
    }
    assert all(isinstance(v, str) for v in item["values"].values())
    assert _DATE.match(item["values"]["orderdate"])
    assert item["values"]["isgift"] in {"True", "False"}
    assert re.match(r"^\d+\.\d\d$", item["values"]["amount"])


def test_page_boundaries_and_token_paging(http: httpx.Client, headers: dict[str, str]) -> None:
    first = _get(http, "Orders", headers, **{"$pageSize": 2500}).json()
    assert len(first["items"]) == 2500
    second = http.get("data" + first["links"]["next"], headers=headers).json()
    assert second["page"] == 2 and len(second["items"]) == 2500
    third = http.get("data" + second["links"]["next"], headers=headers).json()
    assert third["page"] == 3 and len(third["items"]) == 1000
    assert "next" not in third["links"]
    ids = [int(i["keys"]["orderid"]) for page in (first, second, third) for i in page["items"]]
    assert ids == list(range(100_000, 106_000))
    beyond = _get(http, "Orders", headers, **{"$pageSize": 2500, "$page": 4}).json()
    assert beyond["count"] == 6000 and "items" not in beyond


def test_token_expiry_is_the_same_on_every_page(
    http: httpx.Client, sim: Simulator, headers: dict[str, str]
) -> None:
    first = _get(http, "Orders", headers, **{"$pageSize": 100}).json()
    sim.clock.advance(600)
    second = http.get("data" + first["links"]["next"], headers=headers).json()
    assert second["requestToken"] == first["requestToken"]
    assert second["tokenExpireDateUtc"] == first["tokenExpireDateUtc"]


def test_page_size_is_capped_at_2500(http: httpx.Client, headers: dict[str, str]) -> None:
    body = _get(http, "Orders", headers, **{"$pageSize": 10000}).json()
    assert body["pageSize"] == 2500 and len(body["items"]) == 2500


@pytest.mark.parametrize(
    "params",
    [
        {"$page": "0"},
        {"$pageSize": "x"},
        {"$page": "-1"},
        {"$page": "\u0663"},  # ARABIC-INDIC DIGIT THREE: int() takes it, MCE would not
        {"$pageSize": "1_0"},
        {"$page": "1.0"},
    ],
)
def test_bad_paging_params(
    http: httpx.Client, headers: dict[str, str], params: dict[str, str]
) -> None:
    response = _get(http, "Orders", headers, **params)
    assert response.status_code == 400
    assert response.json()["errorcode"] == 10005


def test_order_by(http: httpx.Client, headers: dict[str, str]) -> None:
    body = _get(http, "Orders", headers, **{"$pageSize": 100, "$orderBy": "Amount desc"}).json()
    amounts = [float(i["values"]["amount"]) for i in body["items"]]
    assert amounts == sorted(amounts, reverse=True)
    asc = _get(
        http,
        "Subscribers",
        headers,
        **{"$pageSize": 100, "$orderBy": "firstname ASC, SubscriberKey"},
    )
    names = [i["values"]["firstname"] for i in asc.json()["items"]]
    assert names == sorted(names)


def test_filter(http: httpx.Client, sim: Simulator, headers: dict[str, str]) -> None:
    body = _get(
        http,
        "Orders",
        headers,
        **{"$filter": "Status eq 'shipped' and IsGift eq true", "$pageSize": 2500},
    ).json()
    assert body["count"] > 0
    assert all(i["values"]["status"] == "Shipped" for i in body["items"])
    assert all(i["values"]["isgift"] == "True" for i in body["items"])
    amount = _get(
        http, "Orders", headers, **{"$filter": "Amount gt 900 or OrderID eq 100000"}
    ).json()
    assert all(
        float(i["values"]["amount"]) > 900 or i["keys"]["orderid"] == "100000"
        for i in amount.get("items", [])
    )
    spaced = _get(http, "web_events_2024", headers, **{"$filter": "[Event Type] eq 'search'"})
    assert spaced.status_code == 200
    assert all(i["values"]["event type"] == "search" for i in spaced.json()["items"])
    nulls = _get(http, "all_types", headers, **{"$filter": "NumberCol eq null"}).json()
    assert nulls["count"] == 5


@pytest.mark.parametrize(
    "params",
    [
        {"$filter": "Nope eq 1"},
        {"$filter": "Status eq"},
        {"$filter": "Status ~ 'x'"},
        {"$filter": "OrderID eq 'abc'"},
        {"$orderBy": "Nope desc"},
        {"$fields": "OrderID,Nope"},
    ],
)
def test_bad_filter_order_fields(
    http: httpx.Client, headers: dict[str, str], params: dict[str, str]
) -> None:
    response = _get(http, "Orders", headers, **params)
    assert response.status_code == 400
    assert response.json()["errorcode"] == 10003


def test_fields_restricts_values_but_keeps_keys(
    http: httpx.Client, headers: dict[str, str]
) -> None:
    body = _get(http, "Orders", headers, **{"$fields": "Status,Amount", "$pageSize": 1}).json()
    assert set(body["items"][0]["values"]) == {"status", "amount"}
    assert set(body["items"][0]["keys"]) == {"orderid"}


def test_empty_de_has_no_items_and_no_pk_means_empty_keys(
    http: httpx.Client, headers: dict[str, str]
) -> None:
    empty = _get(http, "empty_staging", headers).json()
    assert empty["count"] == 0 and "items" not in empty and "next" not in empty["links"]
    typed = _get(http, "all_types", headers).json()
    first, null_row = typed["items"][0], typed["items"][4]
    assert first["keys"] == {}
    assert set(first["values"]) == {
        f"{kind}col"
        for kind in ("text", "number", "date", "boolean", "email", "phone", "decimal", "locale")
    }
    assert re.match(r"^-?\d+\.\d{3}$", first["values"]["decimalcol"])
    assert null_row["values"]["numbercol"] == "" and null_row["values"]["datecol"] == ""


def test_lower_cased_keys_for_mixed_case_fields(
    http: httpx.Client, sim: Simulator, headers: dict[str, str]
) -> None:
    mid = sim.store.enterprise.eid
    de = sim.store.create_de(
        mid=mid,
        name="Case Test",
        customer_key="case_test",
        fields=[
            FieldSpec(name="MixedCASE Key", field_type="Text", max_length=10, is_primary_key=True)
        ],
    )
    sim.rows.insert(de, [{"MixedCASE Key": "A"}])
    body = _get(http, "case_test", headers).json()
    assert body["items"] == [{"keys": {"mixedcase key": "A"}, "values": {}}]


def test_other_bu_de_is_404_but_parent_shared_de_is_visible(
    http: httpx.Client, sim: Simulator, token_for: TokenFor
) -> None:
    eu = bu_named(sim, "EU")
    token = token_for(http, user="eve.europe", mid=eu.mid)["access_token"]
    shared = _get(http, "shared_products", bearer(token))
    assert shared.status_code == 200 and shared.json()["count"] == 300
    # Same key exists in each BU with its own rows: the token's BU decides.
    own = _get(http, "Orders", bearer(token)).json()
    assert own["count"] == 1500
    parent_only = sim.store.create_de(
        mid=sim.store.enterprise.eid,
        name="Parent Private",
        customer_key="parent_private",
        fields=[FieldSpec(name="Id", field_type="Number")],
    )
    assert parent_only.is_shared is False
    missing = _get(http, "parent_private", bearer(token))
    assert missing.status_code == 404
    assert missing.json()["errorcode"] == 30003
    assert "documentation" in missing.json()


def test_token_of_another_bu_cannot_use_a_request_token(
    http: httpx.Client, sim: Simulator, token_for: TokenFor, headers: dict[str, str]
) -> None:
    first = _get(http, "Orders", headers, **{"$pageSize": 10}).json()
    eu = bu_named(sim, "EU")
    other = bearer(token_for(http, user="eve.europe", mid=eu.mid)["access_token"])
    response = http.get("data" + first["links"]["next"], headers=other)
    assert response.status_code == 404


def test_unknown_and_expired_request_token(
    http: httpx.Client, sim: Simulator, headers: dict[str, str]
) -> None:
    unknown = http.get("data/v1/customobjectdata/token/nope/rowset?$page=2", headers=headers)
    assert unknown.status_code == 404
    first = _get(http, "Orders", headers, **{"$pageSize": 10}).json()
    sim.clock.advance(1201)
    fresh = bearer(sim.auth.issue_access_token(
        package=sim.enhanced_package, user=None, mid=sim.store.enterprise.eid,
        scopes=("data_extensions_read",),
    ).token)  # fmt: skip
    assert http.get("data" + first["links"]["next"], headers=fresh).status_code == 404


def test_401_and_403(http: httpx.Client, token_for: TokenFor) -> None:
    unauth = http.get("data/v1/customobjectdata/key/Orders/rowset")
    assert unauth.status_code == 401
    assert unauth.json() == {
        "message": "Not Authorized",
        "errorcode": 0,
        "documentation": "https://developer.salesforce.com/docs/atlas.en-us.mc-apis.meta/mc-apis/error-handling.htm",
    }
    no_scope = token_for(http, scope="email_read")["access_token"]
    forbidden = _get(http, "Orders", bearer(no_scope))
    assert forbidden.status_code == 403
    assert forbidden.json()["message"] == "Insufficient privileges to complete this action."
    assert forbidden.json()["errorcode"] == 20002
