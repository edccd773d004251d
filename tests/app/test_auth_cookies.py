"""The cookie headers we set, attribute by attribute, and the lenient cookie reader."""

from __future__ import annotations

import pytest

from app.cookies import (
    SESSION_COOKIE,
    SIGNIN_COOKIE,
    clear_cookie_header,
    read_cookie,
    read_cookie_values,
    set_cookie_header,
)


def _attributes(header: str) -> tuple[str, list[str]]:
    first, *rest = [part.strip() for part in header.split(";")]
    return first, rest


def test_session_cookie_name_has_the_host_prefix() -> None:
    assert SESSION_COOKIE.startswith("__Host-")
    assert SIGNIN_COOKIE.startswith("__Host-")


def test_set_cookie_attributes_one_by_one() -> None:
    first, attributes = _attributes(set_cookie_header(SESSION_COOKIE, "abc_DEF-1.2~3", max_age=60))
    assert first == f"{SESSION_COOKIE}=abc_DEF-1.2~3"
    assert "Secure" in attributes
    assert "HttpOnly" in attributes
    assert "SameSite=None" in attributes
    assert "Partitioned" in attributes
    assert "Path=/" in attributes
    assert "Max-Age=60" in attributes
    # __Host- cookies must not name a Domain; nothing else is set either.
    assert not any(a.lower().startswith(("domain", "expires")) for a in attributes)
    assert len(attributes) == 6


def test_browser_session_cookie_has_no_max_age() -> None:
    _, attributes = _attributes(set_cookie_header(SESSION_COOKIE, "abc", max_age=None))
    assert not any(a.startswith("Max-Age") for a in attributes)
    assert {"Secure", "HttpOnly", "SameSite=None", "Partitioned", "Path=/"} <= set(attributes)


def test_clearing_uses_the_same_attributes_and_expires_now() -> None:
    first, attributes = _attributes(clear_cookie_header(SESSION_COOKIE))
    assert first == f"{SESSION_COOKIE}="
    assert "Max-Age=0" in attributes
    assert {"Secure", "HttpOnly", "SameSite=None", "Partitioned", "Path=/"} <= set(attributes)


@pytest.mark.parametrize(
    "value", ["", "a b", "a;b", "a=b", 'a"b', "é", "x" * 257, "a\r\nSet-Cookie"]
)
def test_unsafe_values_are_refused(value: str) -> None:
    with pytest.raises(ValueError, match="URL-safe"):
        set_cookie_header(SESSION_COOKIE, value, max_age=60)


def test_read_cookie_among_others() -> None:
    header = f"theme=dark; {SESSION_COOKIE}=s3cr3t-id; other=1"
    assert read_cookie(header, SESSION_COOKIE) == "s3cr3t-id"
    assert read_cookie(header, "missing") is None
    assert read_cookie(None, SESSION_COOKIE) is None
    assert read_cookie("", SESSION_COOKIE) is None


def test_a_malformed_neighbour_does_not_hide_our_cookie() -> None:
    header = f'junk="unterminated; weird\\x=1; ;;=; {SESSION_COOKIE}=good-one'
    assert read_cookie(header, SESSION_COOKIE) == "good-one"


def test_quoted_value_is_unquoted() -> None:
    assert read_cookie(f'{SESSION_COOKIE}="quoted"', SESSION_COOKIE) == "quoted"


def test_malformed_values_of_our_cookie_are_ignored() -> None:
    header = f"{SESSION_COOKIE}=bad value; {SESSION_COOKIE}=<script>; {SESSION_COOKIE}={'x' * 300}"
    assert read_cookie_values(header, SESSION_COOKIE) == []


def test_duplicates_are_all_returned_in_order() -> None:
    header = f"{SESSION_COOKIE}=stale; a=b; {SESSION_COOKIE}=fresh"
    assert read_cookie_values(header, SESSION_COOKIE) == ["stale", "fresh"]
    assert read_cookie(header, SESSION_COOKIE) == "stale"


def test_a_prefix_of_the_name_is_not_the_cookie() -> None:
    header = f"{SESSION_COOKIE}x=nope; x{SESSION_COOKIE}=nope"
    assert read_cookie(header, SESSION_COOKIE) is None


def test_oversized_header_is_not_parsed() -> None:
    header = f"{SESSION_COOKIE}=id; pad={'p' * 20_000}"
    assert read_cookie(header, SESSION_COOKIE) is None
