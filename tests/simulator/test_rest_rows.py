"""``POST /hub/v1/dataevents/key:{key}/rowset``: upserts and every validation error."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from simulator.state import Simulator

from .conftest import TokenFor
from .helpers import bearer


@pytest.fixture
def headers(http: httpx.Client, token_for: TokenFor) -> dict[str, str]:
    return bearer(token_for(http)["access_token"])


def _post(http: httpx.Client, key: str, headers: dict[str, str], body: Any) -> httpx.Response:
    return http.post(f"hub/v1/dataevents/key:{key}/rowset", json=body, headers=headers)


def _orders(sim: Simulator) -> Any:
    de = sim.store.get_de(sim.store.enterprise.eid, customer_key="Orders")
    assert de is not None
    return de


def test_insert_echoes_and_stores_typed_rows(
    http: httpx.Client, sim: Simulator, headers: dict[str, str]
) -> None:
    body = [
        {
            "keys": {"OrderID": 900001},
            "values": {
                "SubscriberKey": "SUB-1",
                "OrderDate": "6/23/2024 1:05:00 PM",
                "Amount": "12.5",
                "IsGift": "true",
            },
        },
        {
            "keys": {"orderid": "900002"},
            "values": {"subscriberkey": "S2", "orderdate": "2024-01-02"},
        },
    ]
    response = _post(http, "Orders", headers, body)
    assert response.status_code == 200
    assert response.json() == body
    de = _orders(sim)
    rows = sim.rows.fetch(
        de, columns=["OrderID", "Amount", "Currency", "IsGift", "OrderDate"],
        where='"OrderID" >= 900001', order_by=[("OrderID", True)],
    )  # fmt: skip
    assert [r[0] for r in rows] == [900001, 900002]
    assert str(rows[0][1]) == "12.50" and rows[0][3] is True
    assert rows[1][2] == "USD" and rows[1][3] is False  # field defaults on new rows
    assert rows[0][4].hour == 13
    page = http.get(
        "data/v1/customobjectdata/key/Orders/rowset",
        params={"$filter": "OrderID eq 900001"},
        headers=headers,
    ).json()
    assert page["items"][0]["values"]["orderdate"] == "6/23/2024 1:05:00 PM"


def test_upsert_updates_only_sent_columns(
    http: httpx.Client, sim: Simulator, headers: dict[str, str]
) -> None:
    before = sim.rows.count(_orders(sim))
    response = _post(
        http, "Orders", headers, [{"keys": {"OrderID": 100000}, "values": {"Status": "Returned"}}]
    )
    assert response.status_code == 200
    de = _orders(sim)
    assert sim.rows.count(de) == before
    row = sim.rows.fetch(de, columns=["Status", "SubscriberKey"], where='"OrderID" = 100000')
    assert row[0][0] == "Returned" and row[0][1].startswith("SUB-")


def test_insert_by_object_id_path(
    http: httpx.Client, sim: Simulator, headers: dict[str, str]
) -> None:
    de = sim.store.get_de(sim.store.enterprise.eid, customer_key="empty_staging")
    assert de is not None
    response = http.post(
        f"hub/v1/dataevents/{de.object_id}/rowset",
        json=[{"keys": {"Id": 1}, "values": {"Note": "hello"}}],
        headers=headers,
    )
    assert response.status_code == 200
    assert sim.rows.count(de) == 1


_BASE = {"SubscriberKey": "s", "OrderDate": "2024-01-01"}


def _row(keys: Any, **values: Any) -> dict[str, Any]:
    return {"keys": keys, "values": {**_BASE, **values}}


@pytest.mark.parametrize(
    ("row", "code"),
    [
        (_row({"OrderID": "abc"}), 10001),
        (_row({"OrderID": 1}, IsGift="maybe"), 10001),
        (_row({}), 10002),
        ({"keys": {"OrderID": 1}, "values": {"OrderDate": "2024-01-01"}}, 10002),
        (_row({"OrderID": 1}, OrderDate="yesterday"), 10003),
        (_row({"OrderID": 1}, Currency="EURO"), 10005),
        (_row({"OrderID": 1}, Amount="1e12"), 10005),
        (_row({"OrderID": 1}, Nope="x"), 10005),
        (_row({"OrderID": 1, "Status": "x"}), 10005),
        ({"keys": [], "values": {}}, 10003),
    ],
)
def test_validation_errors(
    http: httpx.Client, sim: Simulator, headers: dict[str, str], row: dict[str, Any], code: int
) -> None:
    before = sim.rows.count(_orders(sim))
    response = _post(http, "Orders", headers, [row])
    assert response.status_code == 400
    body = response.json()
    assert body["errorcode"] == 10006
    assert code in [e["errorcode"] for e in body["additionalErrors"]]
    assert all(
        {"message", "errorcode", "documentation"} <= set(e) for e in body["additionalErrors"]
    )
    assert sim.rows.count(_orders(sim)) == before  # nothing written


def test_one_bad_row_writes_nothing(
    http: httpx.Client, sim: Simulator, headers: dict[str, str]
) -> None:
    de = sim.store.get_de(sim.store.enterprise.eid, customer_key="empty_staging")
    assert de is not None
    body = [{"keys": {"Id": 1}, "values": {"Note": "ok"}}, {"keys": {"Id": "x"}, "values": {}}]
    assert _post(http, "empty_staging", headers, body).status_code == 400
    assert sim.rows.count(de) == 0


def test_email_and_phone_formats(http: httpx.Client, headers: dict[str, str]) -> None:
    bad = _post(http, "Subscribers", headers, [
        {"keys": {"SubscriberKey": "X1"}, "values": {"EmailAddress": "not-an-email"}},
        {"keys": {"SubscriberKey": "X2"}, "values": {"EmailAddress": "a@b.co", "Phone": "call me"}},
    ])  # fmt: skip
    assert [e["errorcode"] for e in bad.json()["additionalErrors"]] == [10003, 10003]


@pytest.mark.parametrize(
    ("content", "ctype", "status", "code"),
    [
        (b"[{", "application/json", 400, 10004),
        (b'{"keys": {}}', "application/json", 400, 10004),
        (b"[1, 2]", "application/json", 400, 10004),
        (b"<rows/>", "text/xml", 415, 0),
    ],
)
def test_malformed_bodies(
    http: httpx.Client, headers: dict[str, str], content: bytes, ctype: str, status: int, code: int
) -> None:
    response = http.post(
        "hub/v1/dataevents/key:Orders/rowset",
        content=content,
        headers={**headers, "Content-Type": ctype},
    )
    assert response.status_code == status
    assert response.json()["errorcode"] == code


def test_unknown_de_and_missing_write_scope(
    http: httpx.Client, token_for: TokenFor, headers: dict[str, str]
) -> None:
    assert _post(http, "nope", headers, []).status_code == 404
    read_only = bearer(token_for(http, scope="data_extensions_read")["access_token"])
    forbidden = _post(http, "Orders", read_only, [])
    assert forbidden.status_code == 403
    assert forbidden.json()["errorcode"] == 20002


def test_put_single_row_by_key_and_by_object_id(
    http: httpx.Client, sim: Simulator, headers: dict[str, str]
) -> None:
    # REFERENCE §4.2: PUT /hub/v1/dataevents/key:{key}/rows/{PKName}:{value}, an upsert.
    created = http.put(
        "hub/v1/dataevents/key:Orders/rows/OrderID:900100",
        json={"values": {"SubscriberKey": "S-9", "OrderDate": "2024-02-03"}},
        headers=headers,
    )
    assert created.status_code == 200
    assert created.json() == {
        "keys": {"OrderID": "900100"},
        "values": {"SubscriberKey": "S-9", "OrderDate": "2024-02-03"},
    }
    de = _orders(sim)
    row = sim.rows.fetch(de, columns=["SubscriberKey", "Status"], where='"OrderID" = 900100')
    assert row == [("S-9", None)]
    updated = http.put(
        f"hub/v1/dataevents/{de.object_id}/rows/orderid:900100",
        json={"values": {"Status": "Shipped"}},
        headers=headers,
    )
    assert updated.status_code == 200
    row = sim.rows.fetch(de, columns=["SubscriberKey", "Status"], where='"OrderID" = 900100')
    assert row == [("S-9", "Shipped")]  # only the columns sent change


@pytest.mark.parametrize(
    ("path", "body", "status", "code"),
    [
        ("key:Orders/rows/OrderID:abc", {"values": {}}, 400, 10006),
        ("key:Orders/rows/900100", {"values": {}}, 400, 10005),
        ("key:Orders/rows/OrderID:1", [{"values": {}}], 400, 10004),
        ("key:Orders/rows/OrderID:1", {"values": []}, 400, 10004),
        ("key:nope/rows/OrderID:1", {"values": {}}, 404, 30003),
    ],
)
def test_put_single_row_errors(
    http: httpx.Client, headers: dict[str, str], path: str, body: Any, status: int, code: int
) -> None:
    response = http.put(f"hub/v1/dataevents/{path}", json=body, headers=headers)
    assert response.status_code == status
    assert response.json()["errorcode"] == code
