"""AES-GCM sealing: associated data binds every field; tampering and malformed blobs fail."""

from __future__ import annotations

import os
from uuid import uuid4

import pytest

from services.wallet import WalletDecryptError
from services.wallet.crypto import NONCE_BYTES, Purpose, associated_data, open_sealed, seal

KEY = os.urandom(32)
USER = uuid4()
KEY_ID = uuid4()


def _ad(**overrides: object) -> bytes:
    fields: dict[str, object] = {
        "purpose": Purpose.REFRESH_TOKEN,
        "tenant_id": 100,
        "mid": 200,
        "user_id": USER,
        "key_id": KEY_ID,
    }
    fields.update(overrides)
    return associated_data(**fields)  # type: ignore[arg-type]


def test_round_trip() -> None:
    blob = seal(KEY, b"refresh-token", ad=_ad())
    assert open_sealed(KEY, blob, ad=_ad()) == b"refresh-token"
    assert b"refresh-token" not in blob


def test_nonces_are_fresh() -> None:
    first, second = seal(KEY, b"same", ad=_ad()), seal(KEY, b"same", ad=_ad())
    assert first[1 : 1 + NONCE_BYTES] != second[1 : 1 + NONCE_BYTES]
    assert first != second


@pytest.mark.parametrize(
    "change",
    [
        {"purpose": Purpose.ACCESS_TOKEN},
        {"tenant_id": 101},
        {"mid": 201},
        {"mid": None},
        {"user_id": uuid4()},
        {"key_id": uuid4()},
    ],
)
def test_any_other_context_fails(change: dict[str, object]) -> None:
    blob = seal(KEY, b"token", ad=_ad())
    with pytest.raises(WalletDecryptError):
        open_sealed(KEY, blob, ad=_ad(**change))


def test_fields_cannot_be_shifted_into_each_other() -> None:
    # Length prefixes: (tenant 1, mid 23) must not encode like (tenant 12, mid 3).
    assert _ad(tenant_id=1, mid=23) != _ad(tenant_id=12, mid=3)


def test_wrong_key_tampering_and_garbage_fail() -> None:
    blob = seal(KEY, b"token", ad=_ad())
    with pytest.raises(WalletDecryptError):
        open_sealed(os.urandom(32), blob, ad=_ad())
    flipped = bytearray(blob)
    flipped[-1] ^= 1
    with pytest.raises(WalletDecryptError):
        open_sealed(KEY, bytes(flipped), ad=_ad())
    for garbage in (b"", b"\x01", b"\x02" + blob[1:], blob[:20]):
        with pytest.raises(WalletDecryptError):
            open_sealed(KEY, garbage, ad=_ad())
