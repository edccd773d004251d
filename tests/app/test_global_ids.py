"""Global ids round-trip and anything else decodes to None (never an exception)."""

from __future__ import annotations

import pytest

from schema.global_ids import decode_global_id, encode_global_id


@pytest.mark.parametrize(
    ("type_name", "local_id"),
    [
        ("DataExtension", "0b7e6c1e-6f0b-4a4e-9a57-6b1f1c1d2e3f"),
        ("Folder", "12345"),
        ("Snippet", "a:b"),
    ],
)
def test_round_trip(type_name: str, local_id: str) -> None:
    encoded = encode_global_id(type_name, local_id)
    assert "=" not in encoded and ":" not in encoded
    assert decode_global_id(encoded) == (type_name, local_id)


@pytest.mark.parametrize(
    "junk",
    ["", "not base64!", "x" * 500, "Zm9v", "OkZvbGRlcg", "w6k6MQ", "Rm9sZGVyOg", "é"],
)
def test_junk_is_none(junk: str) -> None:
    assert decode_global_id(junk) is None


def test_a_type_must_be_an_identifier() -> None:
    with pytest.raises(ValueError):
        encode_global_id("Not a type", "1")
