"""KEK configuration: the formats, the active key, and clear errors that never echo keys."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest

from services.wallet import (
    KeyEncryptionKey,
    WalletKeyError,
    key_provider_from_config,
    load_kek_file,
    parse_keks,
)
from tests.services.wallet.helpers import keks_text, random_kek


def test_first_key_is_active_and_others_only_listed() -> None:
    a, b = random_kek("a"), random_kek("b-2024.1_x")
    provider = parse_keks(keks_text(b, a))
    assert provider.active() == b
    assert provider.get("a") == a
    assert provider.ids == ("b-2024.1_x", "a")


def test_url_safe_base64_unpadded_and_spaces_are_accepted() -> None:
    raw = b"\xfb" * 32  # encodes with '+/' in standard base64, '-_' in URL-safe
    urlsafe = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    provider = parse_keks(f" k1 : {urlsafe} ,\n")
    assert provider.active().key == raw


def test_the_development_default_parses() -> None:
    from app.settings import DEV_WALLET_KEKS

    assert parse_keks(DEV_WALLET_KEKS).active().id == "dev-1"


def test_file_with_comments_and_newlines(tmp_path: Path) -> None:
    a, b = random_kek("a"), random_kek("b")
    path = tmp_path / "keks"
    path.write_text(f"# rotated 2025-01\n{keks_text(b)}\n\n# old\n{keks_text(a)}\n")
    provider = key_provider_from_config(keks="", kek_file=str(path))
    assert provider.ids == ("b", "a")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no key-encryption key"),
        ("# only a comment", "no key-encryption key"),
        ("justtext", "entry 1 is not 'id:base64key'"),
        (":" + base64.b64encode(b"k" * 32).decode(), "entry 1 is not 'id:base64key'"),
        ("bad id:" + base64.b64encode(b"k" * 32).decode(), "entry 1 has an invalid key id"),
        ("-a:" + base64.b64encode(b"k" * 32).decode(), "entry 1 has an invalid key id"),
        ("a:" + "x" * 70 + ":" + "y", "not valid base64"),
        ("a:not*base64", "not valid base64"),
        ("a:" + base64.b64encode(b"k" * 16).decode(), "is 16 bytes; AES-256 needs 32"),
        (
            "a:"
            + base64.b64encode(b"k" * 32).decode()
            + ",a:"
            + base64.b64encode(b"j" * 32).decode(),
            "entry 2 repeats the key id of entry 1",
        ),
    ],
)
def test_malformed_configuration_is_refused_clearly(text: str, message: str) -> None:
    with pytest.raises(WalletKeyError, match=message) as info:
        parse_keks(text)
    assert "WALLET_KEKS" in str(info.value)


def test_errors_never_contain_key_material() -> None:
    secret = base64.b64encode(os.urandom(31)).decode()
    with pytest.raises(WalletKeyError) as info:
        parse_keks(f"a:{secret}")
    assert secret not in str(info.value)
    kek = random_kek("a")
    assert base64.b64encode(kek.key).decode() not in repr(kek)
    assert repr(kek.key) not in repr(parse_keks(keks_text(kek)))


def _urlsafe_key() -> str:
    """32 random bytes as unpadded URL-safe base64 that is also a valid key id."""
    while True:
        text = base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("=")
        if text[0].isalnum():
            return text


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ("{key}:2025-06", "entry 1's key is 5 bytes"),
        ("{key}:prod", "entry 1's key is 3 bytes"),
        ("{key}:not*base64", "entry 1's key is not valid base64"),
        ("{key}:{other},{key}:{other}", "entry 2 repeats the key id of entry 1"),
    ],
)
def test_an_id_and_key_swapped_never_print_the_key(entries: str, message: str) -> None:
    """A URL-safe key is a valid id: put in the id field by mistake, it must not be echoed."""
    key = _urlsafe_key()
    text = entries.format(key=key, other=base64.b64encode(os.urandom(32)).decode())
    with pytest.raises(WalletKeyError, match=message) as info:
        parse_keks(text)
    assert key not in str(info.value)
    assert key[:12] not in str(info.value)


def test_unknown_kek_names_the_configured_ids() -> None:
    provider = parse_keks(keks_text(random_kek("a"), random_kek("b")))
    with pytest.raises(WalletKeyError, match=r"'zz' is not configured \(configured: a, b\)"):
        provider.get("zz")


def test_both_sources_or_unreadable_file_are_refused(tmp_path: Path) -> None:
    text = keks_text(random_kek("a"))
    with pytest.raises(WalletKeyError, match="not both"):
        key_provider_from_config(keks=text, kek_file=str(tmp_path / "x"))
    with pytest.raises(WalletKeyError, match="cannot be read"):
        load_kek_file(str(tmp_path / "missing"))
    binary = tmp_path / "binary"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(WalletKeyError, match="cannot be read"):
        load_kek_file(str(binary))


def test_a_kek_object_checks_its_own_shape() -> None:
    with pytest.raises(WalletKeyError, match="exactly 32 bytes"):
        KeyEncryptionKey("a", b"short")
    with pytest.raises(WalletKeyError, match="id must be"):
        KeyEncryptionKey("a/b", os.urandom(32))
