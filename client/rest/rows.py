"""Writing DE rows: the synchronous upsert (REFERENCE §4.2)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import quote

from client.rest.api import RestClient
from client.values import Value, to_wire

__all__ = ["MAX_ROWS_PER_CALL", "RowWrite", "upsert_rows"]

MAX_ROWS_PER_CALL = 5000


@dataclass(frozen=True, slots=True)
class RowWrite:
    """One row: primary-key columns under ``keys``, the rest under ``values``."""

    keys: Mapping[str, Value] = field(default_factory=dict)
    values: Mapping[str, Value] = field(default_factory=dict)


async def upsert_rows(rest: RestClient, *, key: str, rows: Sequence[RowWrite]) -> int:
    """Upsert ``rows`` into the DE with CustomerKey ``key``; returns how many were sent.

    All or nothing: a bad row fails the call with ``MceValidationError`` whose
    ``additional_errors`` name the problems. Rows that all carry primary keys are an
    upsert, safe to resend; rows without keys append, so the call is treated as not
    idempotent and is never resent after a lost answer (``OutcomeUnknown``).
    """
    if not rows:
        return 0
    if len(rows) > MAX_ROWS_PER_CALL:
        raise ValueError(f"at most {MAX_ROWS_PER_CALL} rows per call")
    body = [
        {
            "keys": {name: to_wire(value) for name, value in row.keys.items()},
            "values": {name: to_wire(value) for name, value in row.values.items()},
        }
        for row in rows
    ]
    await rest.request(
        operation="rest.rowset.insert",
        method="POST",
        path=f"hub/v1/dataevents/key:{quote(key, safe='')}/rowset",
        body=body,
        idempotent=all(row.keys for row in rows),
    )
    return len(rows)
