"""The JWT-wrapped authorization code quirk: which codes are tried, in which order."""

from __future__ import annotations

import base64
import json

import pytest

from services.oauth_code import code_attempts


def wrapped(payload: object) -> str:
    body = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
    return f"eyJhbGciOiJIUzI1NiJ9.{body}.c2lnbmF0dXJl"


def test_a_plain_code_is_tried_alone() -> None:
    assert code_attempts("abcDEF123_-") == ["abcDEF123_-"]


def test_a_wrapped_code_tries_the_embedded_one_first() -> None:
    code = wrapped({"auth_code": "inner-code", "eid": 1})
    assert code_attempts(code) == ["inner-code", code]


@pytest.mark.parametrize(
    "code",
    [
        "a.b.c",
        "a..c",
        "x.!!!.y",
        wrapped({"eid": 1}),
        wrapped({"auth_code": 7}),
        wrapped({"auth_code": ""}),
        wrapped({"auth_code": "x" * 3000}),
        wrapped(["auth_code"]),
        "a.b.c.d",
    ],
)
def test_anything_else_is_tried_as_it_came(code: str) -> None:
    assert code_attempts(code) == [code]
