"""Opaque global ids for Relay ``Node`` objects: ``base64url("Type:local id")``.

Opaque to clients (they must not build or parse them), and carrying no tenant: whether an
id resolves is decided by the resolver under the viewer's tenant context, so an id from
another tenant or an invisible BU resolves to null exactly like an id that never existed.
"""

from __future__ import annotations

import base64
import binascii

__all__ = ["MAX_GLOBAL_ID_CHARS", "decode_global_id", "encode_global_id"]

#: Longer ids are refused before decoding (no type name or local id comes near it).
MAX_GLOBAL_ID_CHARS = 200


def encode_global_id(type_name: str, local_id: str) -> str:
    """The global id of ``local_id`` of ``type_name`` (e.g. ``"DataExtension"``)."""
    if not (type_name.isascii() and type_name.isidentifier()):
        raise ValueError("a global id's type is an identifier")
    raw = f"{type_name}:{local_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_global_id(global_id: str) -> tuple[str, str] | None:
    """``(type_name, local_id)``, or None for anything that is not one of our ids."""
    if not global_id or len(global_id) > MAX_GLOBAL_ID_CHARS or not global_id.isascii():
        return None
    try:
        raw = base64.urlsafe_b64decode(global_id + "=" * (-len(global_id) % 4))
        text = raw.decode()
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    type_name, sep, local_id = text.partition(":")
    if not sep or not (type_name.isascii() and type_name.isidentifier()) or not local_id:
        return None
    return type_name, local_id
