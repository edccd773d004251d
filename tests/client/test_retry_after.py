"""Retry-After as seconds or an HTTP-date, from REST and SOAP answers of the simulator's
shape; odd values fall back to our own backoff."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from client.errors import MceUnavailable, Throttled
from client.rest import rest_classify
from client.retry_after import parse_retry_after
from client.soap.faults import classify as soap_classify

NOW = datetime(2026, 5, 1, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "seconds"),
    [
        ("5", 5.0),
        (" 120 ", 120.0),
        (5, 5.0),
        ("Fri, 01 May 2026 12:00:30 GMT", 30.0),
        ("Fri, 01 May 2026 11:00:00 GMT", 0.0),
        ("86400000", 86400000.0),
        ("-5", None),
        ("nan", None),
        ("inf", None),
        ("soon", None),
        ("\u0665", None),
        ("", None),
        (True, None),
        (None, None),
    ],
)
def test_parse_retry_after(raw: object, seconds: float | None) -> None:
    assert parse_retry_after(raw, now=NOW) == seconds


def test_rest_429_with_an_http_date() -> None:
    when = "Wed, 21 Oct 2099 07:28:00 GMT"
    response = httpx.Response(429, headers={"Retry-After": when}, json={"errorcode": 50100})
    error = rest_classify(response)
    assert isinstance(error, Throttled)
    assert error.retry_after is not None and error.retry_after > 10**8


def test_soap_503_with_an_http_date_and_seconds() -> None:
    when = "Wed, 21 Oct 2099 07:28:00 GMT"
    error = soap_classify(httpx.Response(503, headers={"Retry-After": when}))
    assert isinstance(error, MceUnavailable)
    assert error.retry_after is not None and error.retry_after > 10**8
    error = soap_classify(httpx.Response(429, headers={"Retry-After": "1.5"}))
    assert isinstance(error, Throttled)
    assert error.retry_after == 1.5


def test_soap_rate_limited_fault_keeps_retry_after() -> None:
    body = (
        b'<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
        b"<soap:Fault><faultcode>soap:Server</faultcode><faultstring>Rate Limited</faultstring>"
        b"</soap:Fault></soap:Body></soap:Envelope>"
    )
    error = soap_classify(httpx.Response(500, headers={"Retry-After": "7"}, content=body))
    assert isinstance(error, Throttled)
    assert error.retry_after == 7.0


def test_soap_fault_detail_code_in_other_digits_is_not_a_crash() -> None:
    body = (
        '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
        "<soap:Fault><faultcode>soap:Client</faultcode><faultstring>bad</faultstring>"
        '<detail><apifault xmlns="urn:x"><Code>\u00b2</Code></apifault></detail>'
        "</soap:Fault></soap:Body></soap:Envelope>"
    ).encode()
    error = soap_classify(httpx.Response(500, content=body))
    assert error is not None and error.mce_code is None
