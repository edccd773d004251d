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

Followers share one reader (:class:`EventHub`, one per Redis client, so one per process): a
single blocking ``XREAD`` over every followed run's stream, whose entries are handed to each
follower of that run. A blocking read holds a Redis connection for as long as it waits, so a
read per follower would cost as many connections as followers (50 followers timed out on
the API's pool); with the hub, N followers cost one waiting connection plus short replays. A
follower registers with the hub first, then replays its stream from its cursor with
non-blocking reads, then takes the hub's entries, skipping those it already gave: the hub
reads a newly followed stream from that follower's cursor, so no entry can fall between the
replay and the live part, and none is given twice.

Events carry no secret and no row: :func:`publish` refuses keys naming tokens, secrets or
rows, and events larger than :data:`MAX_EVENT_BYTES` (a row set could not fit). A stream
lives :data:`STREAM_TTL_SECONDS` after its last event (runs' own records stay in Postgres).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID, uuid4

from redis import Redis as SyncRedis
from redis.asyncio import BlockingConnectionPool, Redis

from services.redis_keys import PREFIX, run_events_key
from services.redis_reads import read_block_ms

__all__ = [
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
#: A follower with no event this long calls its ``on_idle`` (a lost final event is looked for).
BLOCK_MS = 10_000
#: The hub's blocking read waits at most this long (capped below the client's socket timeout).
HUB_BLOCK_MS = 5_000
#: Entries the hub or a replay reads per stream and call.
READ_COUNT = 100
#: Connections the hub and its followers' replays hold at most, per process.
MAX_CONNECTIONS = 8
#: How long a follower waits for one of them (a burst of new followers queues).
POOL_WAIT_SECONDS = 20
#: The name the hub's connections give Redis (``CLIENT LIST`` shows them).
CLIENT_NAME = "quarry-run-events"
log = logging.getLogger("quarry.runs.events")
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


Delivery = tuple[str, dict[str, Any]] | BaseException


@dataclass(eq=False)
class _Follower:
    """One follower's mailbox: the hub puts ``(cursor, event)`` pairs, or the error that
    stopped it."""

    key: str
    queue: asyncio.Queue[Delivery] = field(default_factory=asyncio.Queue)


class EventHub:
    """The process's one reader of run event streams (see the module doc).

    Its loop runs while someone follows: one ``XREAD`` blocks on every followed stream (and
    on the hub's own wake-up stream, which a new follower writes to so the next read
    includes its stream at once); each entry goes to every follower of its stream. A read
    that fails hands the error to every follower (their subscriptions end; a client
    reconnects with its cursor) and the hub starts afresh with the next follower.

    The hub and its followers' replays talk to Redis through a pool of their own, built from
    the process client's settings, holding at most :data:`MAX_CONNECTIONS` connections (a
    burst of new followers waits for one rather than opening more); it is closed whenever
    nobody follows.
    """

    def __init__(self, redis: Redis, *, block_ms: int = HUB_BLOCK_MS) -> None:
        source = redis.connection_pool
        self.pool = BlockingConnectionPool(
            connection_class=source.connection_class,
            max_connections=MAX_CONNECTIONS,
            timeout=POOL_WAIT_SECONDS,
            **{**source.connection_kwargs, "client_name": CLIENT_NAME},
        )
        self.redis = Redis(connection_pool=self.pool)
        self._block_ms = read_block_ms(self.redis, block_ms)
        self._followers: dict[str, set[_Follower]] = {}
        self._positions: dict[str, str] = {}
        self._wake_key = f"{PREFIX}:run:events:hub:{uuid4().hex}"
        self._wake_position = "0-0"
        self._task: asyncio.Task[None] | None = None
        self.reads = 0
        """Blocking reads made (tests and the benchmark read it)."""

    @property
    def followed(self) -> int:
        """Streams followed now."""
        return len(self._followers)

    def follow(self, key: str, *, after: str) -> _Follower:
        """Register a follower of ``key``: it gets every entry the hub reads after now; a
        stream the hub does not follow yet is read from ``after``."""
        follower = _Follower(key)
        if key not in self._followers:
            self._followers[key] = set()
            self._positions[key] = after
        self._followers[key].add(follower)
        task = self._task
        if task is None or task.done() or task.cancelling():
            self._task = task = asyncio.get_running_loop().create_task(self._run())
            _reading.add(task)  # asyncio keeps only weak references to tasks
            task.add_done_callback(_reading.discard)
        return follower

    def unfollow(self, follower: _Follower) -> None:
        """Forget a follower; after the last one the read in flight is cancelled (redis-py
        closes a connection whose command is cancelled) and the hub's idle connections are
        closed, so nothing is left open while nobody follows."""
        followers = self._followers.get(follower.key)
        if followers is None:
            return
        followers.discard(follower)
        if not followers:
            del self._followers[follower.key]
            del self._positions[follower.key]
        if not self._followers and self._task is not None and not self._task.done():
            self._task.cancel()

    async def wake(self) -> None:
        """Make a read in flight return, so the next one includes a newly followed stream."""
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.xadd(self._wake_key, {"w": "1"}, maxlen=16, approximate=True)
            pipe.expire(self._wake_key, 60)
            await pipe.execute()

    async def _run(self) -> None:
        try:
            while self._followers:
                streams = {**self._positions, self._wake_key: self._wake_position}
                self.reads += 1
                answer = await self.redis.xread(streams, block=self._block_ms, count=READ_COUNT)
                for stream, entries in answer or ():
                    self._deliver(_text(stream), entries)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # Redis failed: every follower is told, the hub restarts
            log.warning("run events reader failed: %r", exc)
            for followers in self._followers.values():
                for follower in followers:
                    follower.queue.put_nowait(exc)
            self._followers.clear()
            self._positions.clear()
        finally:
            # Idle ones only: a new follower's replay may be using one (its own task reads).
            await self.pool.disconnect(inuse_connections=False)

    def _deliver(self, key: str, entries: Any) -> None:
        if key == self._wake_key:
            if entries:
                self._wake_position = _text(entries[-1][0])
            return
        for entry_id, fields in entries:
            cursor = _text(entry_id)
            if key not in self._positions:
                return  # nobody follows it any more
            self._positions[key] = cursor
            event = _decode(fields)
            for follower in self._followers.get(key, ()):
                follower.queue.put_nowait((cursor, event))


_hubs: weakref.WeakKeyDictionary[Redis, EventHub] = weakref.WeakKeyDictionary()
#: The hubs' running loops.
_reading: set[asyncio.Task[None]] = set()


def hub_for(redis: Redis) -> EventHub:
    """The hub for the process client ``redis`` (one per client, so one per process)."""
    hub = _hubs.get(redis)
    if hub is None:
        hub = _hubs[redis] = EventHub(redis)
    return hub


async def _replay(redis: Redis, key: str, position: str) -> AsyncIterator[tuple[str, Any]]:
    """Every entry after ``position`` now in the stream (non-blocking reads)."""
    while True:
        answer = await redis.xread({key: position}, count=READ_COUNT)
        if not answer:
            return
        entries = answer[0][1]
        for entry_id, fields in entries:
            position = _text(entry_id)
            yield position, fields
        if len(entries) < READ_COUNT:
            return


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
    each ``block_ms`` without an event: the caller can check the run in Postgres and publish
    a final state whose event was lost (a follower would otherwise wait for ever). Live
    events come through the process's :class:`EventHub` (see the module doc).
    """
    position = "0-0" if after is None else after
    parse_cursor(position)
    key = run_events_key(run_id)
    hub = hub_for(redis)
    # Registered before any read: the hub's pool is closed once its last follower leaves.
    follower = hub.follow(key, after=position)
    try:
        newest = await latest(hub.redis, run_id)
        if (
            newest is not None
            and _is_terminal(newest[1])
            and parse_cursor(newest[0]) <= parse_cursor(position)
        ):
            return
        await hub.wake()
        async for cursor, fields in _replay(hub.redis, key, position):
            position = cursor
            event = _decode(fields)
            yield cursor, event
            if _is_terminal(event):
                return
        idle_since = time.monotonic()
        while True:
            wait = block_ms / 1000 - (time.monotonic() - idle_since)
            try:
                delivery = await asyncio.wait_for(follower.queue.get(), timeout=max(wait, 0))
            except TimeoutError:
                idle_since = time.monotonic()
                if on_idle is not None:
                    await on_idle()
                continue
            if isinstance(delivery, BaseException):
                raise delivery
            cursor, event = delivery
            if parse_cursor(cursor) <= parse_cursor(position):
                continue  # already given by the replay
            position = cursor
            idle_since = time.monotonic()
            yield cursor, event
            if _is_terminal(event):
                return
    finally:
        hub.unfollow(follower)
