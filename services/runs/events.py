"""A run's events: a per-run Redis stream that any client can replay from a cursor, then follow.

Every status change of a run (with its row count, columns, error and timings once known) is
appended to one stream per run (:func:`services.redis_keys.run_events_key`) by
:func:`publish`; the entry's id is the event's cursor. :func:`replay_and_follow` reads the
stream with ``XREAD`` from the client's cursor: Redis answers every entry after it, in order,
then blocks for new ones, so a client that reconnects with its last cursor misses nothing and
sees nothing twice (replay and live are the same read, there is no hand-over gap). It ends
once the run's terminal event has been yielded (or was already behind the cursor).

Why a stream and not pub/sub (broadcaster): a message published before a subscriber's
``SUBSCRIBE`` reaches Redis is lost, and a reconnecting client would need replay anyway.

Events carry no secret and no row: :func:`publish` refuses keys naming tokens, secrets or
rows, and events larger than :data:`MAX_EVENT_BYTES` (a row set could not fit). A stream
lives :data:`STREAM_TTL_SECONDS` after its last event (runs' own records stay in Postgres).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any
from uuid import UUID

from redis import Redis as SyncRedis
from redis.asyncio import Redis

from services.redis_keys import run_events_key
from services.redis_reads import read_block_ms

__all__ = [
    "MAX_EVENT_BYTES",
    "STREAM_TTL_SECONDS",
    "TERMINAL_STATUSES",
    "InvalidCursorError",
    "UnsafeEventError",
    "latest",
    "parse_cursor",
    "publish",
    "publish_blocking",
    "replay_and_follow",
]

#: A run's stream is kept this long after its last event (longer than any results window,
#: so a client coming back to a finished run still replays its history).
STREAM_TTL_SECONDS = 48 * 3600
#: One event is a status change with columns and an error: never near this; rows would be.
MAX_EVENT_BYTES = 64 * 1024
#: More events than a run ever makes (a safety cap, not a trim that could open a gap).
STREAM_MAX_LENGTH = 10_000
#: After these a run's stream gets no further status change a follower waits for.
TERMINAL_STATUSES = frozenset({"COMPLETE", "FAILED", "CANCELED", "EXPIRED"})
#: A follower with no event this long calls its ``on_idle`` (a lost final event is looked for).
BLOCK_MS = 10_000
_FIELD = "event"
_CURSOR = re.compile(r"^(\d{1,20})-(\d{1,20})$")
_FORBIDDEN_KEY_PARTS = (
    "token",
    "secret",
    "password",
    "authorization",
    "cookie",
    "credential",
    "rows",
    "rowset",
    "values",
)


class UnsafeEventError(ValueError):
    """An event carried a key that names a secret or rows, or was too large: a bug in the
    publisher, raised before anything reaches Redis."""


class InvalidCursorError(ValueError):
    """A client's ``after`` cursor is not a stream id (never sent to Redis as is)."""


def parse_cursor(cursor: str) -> tuple[int, int]:
    """``"<ms>-<seq>"`` as a pair that orders like Redis orders stream ids."""
    match = _CURSOR.match(cursor)
    if match is None:
        raise InvalidCursorError("The cursor is not one this run's events gave.")
    return int(match.group(1)), int(match.group(2))


def _check_keys(value: Any, path: str) -> None:
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise UnsafeEventError(f"event key {path}{key!r} is not a string")
            lowered = key.lower()
            if any(part in lowered for part in _FORBIDDEN_KEY_PARTS):
                raise UnsafeEventError(f"event key {path}{key} may carry a secret or rows")
            _check_keys(item, f"{path}{key}.")
    elif isinstance(value, list | tuple):
        for item in value:
            _check_keys(item, path)


def _encode(event: Mapping[str, Any]) -> str:
    _check_keys(event, "")
    text = json.dumps(dict(event), separators=(",", ":"), sort_keys=True, default=str)
    if len(text.encode()) > MAX_EVENT_BYTES:
        raise UnsafeEventError(f"event of {len(text)} characters is larger than an event can be")
    return text


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _decode(fields: Mapping[Any, Any]) -> dict[str, Any]:
    raw = fields.get(_FIELD.encode(), fields.get(_FIELD))
    if raw is None:
        return {}
    decoded = json.loads(_text(raw))
    return decoded if isinstance(decoded, dict) else {}


async def publish(redis: Redis, run_id: UUID | str, event: Mapping[str, Any]) -> str:
    """Append ``event`` to the run's stream (and renew its TTL); returns its cursor.

    The append and the TTL are one transaction: a stream never exists without an expiry.
    Values that JSON cannot encode (datetimes, UUIDs, enums) are written as ``str``.
    """
    payload = _encode(event)
    key = run_events_key(run_id)
    async with redis.pipeline(transaction=True) as pipe:
        pipe.xadd(key, {_FIELD: payload}, maxlen=STREAM_MAX_LENGTH, approximate=True)
        pipe.expire(key, STREAM_TTL_SECONDS)
        entry_id, _ = await pipe.execute()
    return _text(entry_id)


def publish_blocking(connection: SyncRedis, run_id: UUID | str, event: Mapping[str, Any]) -> str:
    """:func:`publish` on a synchronous client (RQ's connection; call it off the event loop)."""
    payload = _encode(event)
    key = run_events_key(run_id)
    with connection.pipeline(transaction=True) as pipe:
        pipe.xadd(key, {_FIELD: payload}, maxlen=STREAM_MAX_LENGTH, approximate=True)
        pipe.expire(key, STREAM_TTL_SECONDS)
        entry_id, _ = pipe.execute()
    return _text(entry_id)


async def latest(redis: Redis, run_id: UUID | str) -> tuple[str, dict[str, Any]] | None:
    """The run's newest event and its cursor (None: no event, or the stream expired)."""
    newest = await redis.xrevrange(run_events_key(run_id), count=1)
    if not newest:
        return None
    entry_id, fields = newest[0]
    return _text(entry_id), _decode(fields)


def _is_terminal(event: Mapping[str, Any]) -> bool:
    return event.get("status") in TERMINAL_STATUSES


async def replay_and_follow(
    redis: Redis,
    run_id: UUID | str,
    *,
    after: str | None,
    on_idle: Callable[[], Awaitable[None]] | None = None,
    block_ms: int = BLOCK_MS,
) -> AsyncIterator[tuple[str, dict[str, Any]]]:
    """Every event after ``after`` (all of them when None), then new ones as they come.

    Yields ``(cursor, event)``. Ends after the run's terminal event, or at once when that
    event is at or before ``after``. While the run has no terminal event it follows until
    the caller stops iterating (a subscription's client disconnects). ``on_idle`` runs after
    each ``block_ms`` without an event (reads themselves block for less, see
    :func:`services.redis_reads.read_block_ms`): the caller can check the run in Postgres and
    publish a final state whose event was lost (a follower would otherwise wait for ever).
    """
    position = "0-0" if after is None else after
    parse_cursor(position)
    key = run_events_key(run_id)
    read_block = read_block_ms(redis, block_ms)
    newest = await latest(redis, run_id)
    terminal_behind = newest is not None and _is_terminal(newest[1])
    if terminal_behind and newest is not None and parse_cursor(newest[0]) <= parse_cursor(position):
        return
    idle_since = time.monotonic()
    while True:
        answer = await redis.xread({key: position}, block=read_block, count=100)
        if not answer:
            if on_idle is not None and (time.monotonic() - idle_since) * 1000 >= block_ms:
                idle_since = time.monotonic()
                await on_idle()
            continue
        idle_since = time.monotonic()
        for _stream, entries in answer:
            for entry_id, fields in entries:
                position = _text(entry_id)
                event = _decode(fields)
                yield position, event
                if _is_terminal(event):
                    return
