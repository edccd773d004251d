"""Key-encryption keys (KEKs): where they come from and how they are named.

Why: the KEK is the root of the wallet's key hierarchy (KEK → per-tenant data keys → refresh
tokens). It never touches the database; only its id does (``wallet_data_keys.kek_id``), so a
database dump alone opens nothing. Several KEKs may be configured at once so that rotation is
online: the FIRST one is active (wraps new data keys), the others only unwrap until
``rotate-kek`` has re-wrapped everything under the active one.

Configuration (``WALLET_KEKS`` or the file named by ``WALLET_KEK_FILE``; set one, not both):
``id:base64key`` entries separated by commas or newlines, the first active. In the file, blank
lines and lines starting with ``#`` are ignored. An id is 1-64 characters of letters, digits,
``.``, ``_`` and ``-`` starting with a letter or digit; a key is standard or URL-safe base64 of
exactly 32 bytes (AES-256). Parse errors name the entry's position, never the text of its id
or key (an id and key swapped by mistake must not print the key).

A secrets manager would be one more :class:`KeyProvider` (same two methods).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from services.wallet.errors import WalletKeyError

__all__ = [
    "KEY_BYTES",
    "KeyEncryptionKey",
    "KeyProvider",
    "StaticKeyProvider",
    "key_provider_from_config",
    "load_kek_file",
    "parse_keks",
]

KEY_BYTES = 32
_KEK_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


@dataclass(frozen=True)
class KeyEncryptionKey:
    """One KEK: its id (stored beside what it wraps) and its 32 bytes (never printed)."""

    id: str
    key: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or _KEK_ID.fullmatch(self.id) is None:
            raise WalletKeyError(
                "a key-encryption key id must be 1-64 letters, digits, '.', '_' or '-'"
            )
        if not isinstance(self.key, bytes) or len(self.key) != KEY_BYTES:
            raise WalletKeyError(f"key-encryption key {self.id!r} must be exactly 32 bytes")


class KeyProvider(Protocol):
    """Where KEKs come from (environment or file now, a secrets manager later)."""

    def active(self) -> KeyEncryptionKey:
        """The KEK that wraps new data keys."""
        ...

    def get(self, kek_id: str) -> KeyEncryptionKey:
        """The KEK named ``kek_id``; raises :class:`WalletKeyError` if not configured."""
        ...


class StaticKeyProvider:
    """KEKs known at start-up, the first active."""

    def __init__(self, keys: Sequence[KeyEncryptionKey]) -> None:
        if not keys:
            raise WalletKeyError("no key-encryption key is configured")
        by_id: dict[str, KeyEncryptionKey] = {}
        for kek in keys:
            if kek.id in by_id:
                raise WalletKeyError(f"key-encryption key id {kek.id!r} is listed twice")
            by_id[kek.id] = kek
        self._keys = tuple(keys)
        self._by_id = by_id

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(k.id for k in self._keys)

    @property
    def keks(self) -> tuple[KeyEncryptionKey, ...]:
        """Every configured KEK, the active one first."""
        return self._keys

    def active(self) -> KeyEncryptionKey:
        return self._keys[0]

    def get(self, kek_id: str) -> KeyEncryptionKey:
        try:
            return self._by_id[kek_id]
        except KeyError:
            raise WalletKeyError(
                f"key-encryption key {kek_id!r} is not configured (configured: "
                f"{', '.join(self.ids)})"
            ) from None

    def __repr__(self) -> str:
        return f"StaticKeyProvider(ids={self.ids!r})"


def parse_keks(text: str, *, source: str = "WALLET_KEKS") -> StaticKeyProvider:
    """Parse ``id:base64key`` entries (comma or newline separated; ``#`` comment lines)."""
    entries = [
        part.strip()
        for line in text.splitlines()
        if not line.strip().startswith("#")
        for part in line.split(",")
    ]
    keys: list[KeyEncryptionKey] = []
    positions: dict[str, int] = {}
    for position, entry in enumerate((e for e in entries if e), start=1):
        kek_id, sep, encoded = entry.partition(":")
        kek_id = kek_id.strip()
        if not sep or not kek_id or not encoded.strip():
            raise WalletKeyError(f"{source}: entry {position} is not 'id:base64key'")
        if _KEK_ID.fullmatch(kek_id) is None:
            raise WalletKeyError(
                f"{source}: entry {position} has an invalid key id (1-64 letters, digits, "
                "'.', '_' or '-', starting with a letter or digit)"
            )
        # From here on the id field is not echoed: an operator who swapped id and key (a
        # URL-safe key is a valid id) would otherwise see the key in logs and stderr.
        raw = _decode_key(encoded.strip())
        if raw is None:
            raise WalletKeyError(f"{source}: entry {position}'s key is not valid base64")
        if len(raw) != KEY_BYTES:
            raise WalletKeyError(
                f"{source}: entry {position}'s key is {len(raw)} bytes; AES-256 needs {KEY_BYTES}"
            )
        if kek_id in positions:
            raise WalletKeyError(
                f"{source}: entry {position} repeats the key id of entry {positions[kek_id]}"
            )
        positions[kek_id] = position
        keys.append(KeyEncryptionKey(kek_id, raw))
    if not keys:
        raise WalletKeyError(f"{source}: no key-encryption key is configured")
    return StaticKeyProvider(keys)


def load_kek_file(path: str) -> StaticKeyProvider:
    """Read KEKs from a file in :func:`parse_keks`'s format."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise WalletKeyError(
            f"WALLET_KEK_FILE {path!r} cannot be read ({type(exc).__name__})"
        ) from None
    return parse_keks(text, source=f"WALLET_KEK_FILE {path!r}")


def key_provider_from_config(*, keks: str, kek_file: str) -> StaticKeyProvider:
    """The provider the settings describe (``Settings.wallet_keks`` / ``wallet_kek_file``)."""
    if keks and kek_file:
        raise WalletKeyError("set WALLET_KEKS or WALLET_KEK_FILE, not both")
    if kek_file:
        return load_kek_file(kek_file)
    return parse_keks(keks)


def _decode_key(encoded: str) -> bytes | None:
    padded = encoded + "=" * (-len(encoded) % 4)
    alphabet = b"-_" if ("-" in encoded or "_" in encoded) else None
    try:
        return base64.b64decode(padded, altchars=alphabet, validate=True)
    except (binascii.Error, ValueError):
        return None
