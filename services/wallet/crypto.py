"""AES-256-GCM sealing with associated data, for the wallet's three kinds of secret.

Why this shape:
- AES-GCM authenticates as well as encrypts, and binds *associated data* (AD) that is not
  stored in the ciphertext but must be presented again to open it. The AD names what the
  plaintext is and whose it is (purpose, tenant, BU, user) and the key id that sealed it, so
  a ciphertext copied onto another user's, BU's or tenant's row, or reused for another
  purpose, fails to open instead of silently decrypting to someone else's token.
- The AD is built by ONE function, :func:`associated_data`, so sealing and opening cannot
  drift apart. Fields are length-prefixed: no two different field lists encode alike.
- A fresh 12-byte random nonce per seal, stored in front of the ciphertext. Keys are
  per-tenant data keys (or a KEK for wrapping them); with random nonces a key stays far
  below GCM's 2^32-messages bound in any realistic tenant's lifetime, and rotation resets it.
- A version byte leads every blob, so a future format can be told apart.

Blob: ``0x01 | nonce (12) | ciphertext+tag``.
"""

from __future__ import annotations

import os
from enum import StrEnum
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from services.wallet.errors import WalletDecryptError

__all__ = ["NONCE_BYTES", "Purpose", "associated_data", "open_sealed", "seal"]

_VERSION = b"\x01"
NONCE_BYTES = 12
_TAG_BYTES = 16
_AD_PREFIX = b"quarry-wallet/v1"


class Purpose(StrEnum):
    """What a sealed plaintext is; part of its associated data."""

    REFRESH_TOKEN = "refresh-token"  # noqa: S105 - a purpose label, not a secret
    ACCESS_TOKEN = "access-token"  # noqa: S105 - a purpose label, not a secret
    DATA_KEY = "data-key"


def associated_data(
    *,
    purpose: Purpose,
    tenant_id: int,
    key_id: UUID | str,
    mid: int | None = None,
    user_id: UUID | None = None,
) -> bytes:
    """The associated data binding a ciphertext to its purpose, owner and key.

    ``key_id`` is the data key's id for tokens; for a wrapped data key it is that data key's
    own id (the KEK is named beside it). ``mid``/``user_id`` are None only for data keys,
    which belong to the whole tenant.
    """
    fields = (
        purpose.value,
        str(int(tenant_id)),
        "" if mid is None else str(int(mid)),
        "" if user_id is None else str(UUID(str(user_id))),
        str(key_id),
    )
    out = bytearray(_AD_PREFIX)
    for value in fields:
        encoded = value.encode()
        out += len(encoded).to_bytes(2, "big") + encoded
    return bytes(out)


def seal(key: bytes, plaintext: bytes, *, ad: bytes) -> bytes:
    """Encrypt and authenticate ``plaintext`` under ``key``, bound to ``ad``."""
    nonce = os.urandom(NONCE_BYTES)
    return _VERSION + nonce + AESGCM(key).encrypt(nonce, plaintext, ad)


def open_sealed(key: bytes, blob: bytes, *, ad: bytes) -> bytes:
    """The plaintext of a :func:`seal` blob; :class:`WalletDecryptError` if it does not open.

    The error does not say why (wrong key, tampered, other row): AES-GCM cannot tell, and
    an oracle that could would help an attacker.
    """
    data = bytes(blob)
    if len(data) < 1 + NONCE_BYTES + _TAG_BYTES or data[:1] != _VERSION:
        raise WalletDecryptError("the ciphertext is malformed")
    nonce, body = data[1 : 1 + NONCE_BYTES], data[1 + NONCE_BYTES :]
    try:
        return AESGCM(key).decrypt(nonce, body, ad)
    except InvalidTag:
        raise WalletDecryptError("the ciphertext does not open with this key and context") from None
