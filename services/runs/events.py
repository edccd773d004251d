"""A run's events: a per-run Redis stream that any client can replay from a cursor, then follow.

Every status change of a run (with its row count, columns, error and timings once known) is
appended to one stream per run (:func:`services.redis_keys.run_events_key`) by
:func:`publish`; the entry's id is the event's cursor. :func:`replay_and_follow` gives every
event after the client's cursor, then follows live, so a client that reconnects with its last
cursor misses nothing and sees nothing twice; it ends once the run's terminal event has been
yielded (or was already behind the cursor). The mechanics (the stream, its TTL, cursors, the
process's one reader :class:`EventHub`) are services/streams.py, shared with deployments'
progress; this module says what a run's stream is.

Events carry no secret and no row: :func:`publish` refuses keys naming tokens, secrets or
rows, and events larger than :data:`MAX_EVENT_BYTES` (a row set could not fit). A stream
lives :data:`STREAM_TTL_SECONDS` after its last event (runs' own records stay in Postgres).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any
from uuid import UUID

from redis import Redis as SyncRedis
from redis.asyncio import Redis

from services.redis_keys import run_events_key
from services.streams import (
    BLOCK_MS,
    EventHub,
    EventStream,
    InvalidCursorError,
    UnsafeEventError,
    hub_for,
)

__all__ = [
    "BLOCK_MS",
    "MAX_EVENT_BYTES",
    "STREAM_TTL_SECONDS",
    "TERMINAL_STATUSES",
    "EventHub",
    "InvalidCursorError",
    "UnsafeEventError",
    "hub_for",
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


def _check_keys(value: Any, path: str = "") -> None:
    """Refuse (at any depth) a key that names a secret or rows, or is not a string."""
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


def _is_terminal(event: Mapping[str, Any]) -> bool:
    return event.get("status") in TERMINAL_STATUSES


_RUN_EVENTS = EventStream(
    key=run_events_key,
    ttl_seconds=STREAM_TTL_SECONDS,
    max_length=STREAM_MAX_LENGTH,
    max_event_bytes=MAX_EVENT_BYTES,
    check_event=_check_keys,
    is_final=_is_terminal,
    cursor_of="this run's events",
)


def parse_cursor(cursor: str) -> tuple[int, int]:
    """``"<ms>-<seq>"`` as a pair that orders like Redis orders stream ids (raises
    :class:`InvalidCursorError`, whose message the client may see)."""
    return _RUN_EVENTS.parse_cursor(cursor)


async def publish(redis: Redis, run_id: UUID | str, event: Mapping[str, Any]) -> str:
    """Append ``event`` to the run's stream (and renew its TTL); returns its cursor.

    The append and the TTL are one transaction: a stream never exists without an expiry.
    Values that JSON cannot encode (datetimes, UUIDs, enums) are written as ``str``.
    """
    return await _RUN_EVENTS.publish(redis, run_id, event)


def publish_blocking(connection: SyncRedis, run_id: UUID | str, event: Mapping[str, Any]) -> str:
    """:func:`publish` on a synchronous client (RQ's connection; call it off the event loop)."""
    return _RUN_EVENTS.publish_blocking(connection, run_id, event)


async def latest(redis: Redis, run_id: UUID | str) -> tuple[str, dict[str, Any]] | None:
    """The run's newest event and its cursor (None: no event, or the stream expired)."""
    return await _RUN_EVENTS.latest(redis, run_id)


def replay_and_follow(
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
    each ``block_ms`` without an event: the caller can check the run in Postgres and publish
    a final state whose event was lost (a follower would otherwise wait for ever).
    """
    return _RUN_EVENTS.replay_and_follow(
        redis, run_id, after=after, on_idle=on_idle, block_ms=block_ms
    )
