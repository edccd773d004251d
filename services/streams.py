"""Per-id event streams in Redis: append with a TTL, replay from a cursor, then follow live.

A run's events (services/runs/events.py) and a deployment's progress
(services/deploy/progress.py) are one Redis stream per id, described by an
:class:`EventStream` (its key, how long it lives, which events it refuses, which one ends
it). :meth:`EventStream.publish` appends an event and renews the stream's TTL in one
transaction, so a stream never exists without an expiry; the entry's id is the event's
cursor. :meth:`EventStream.replay_and_follow` gives every event after a client's cursor, then
new ones as they come, so a client that reconnects with its last cursor misses nothing and
sees nothing twice.

Why a stream and not pub/sub (broadcaster): a message published before a subscriber's
``SUBSCRIBE`` reaches Redis is lost, and a reconnecting client needs replay anyway.

Followers share one reader (:class:`EventHub`, one per Redis client, so one per process,
whatever kind of stream they follow): a single blocking ``XREAD`` over every followed stream,
whose entries are handed to each follower of that stream. A blocking read holds a Redis
connection for as long as it waits, so a read per follower would cost as many connections as
followers (50 run followers timed out on the API's pool); with the hub, N followers cost one
waiting connection plus short replays. A follower registers with the hub first, then replays
its stream from its cursor with non-blocking reads, then takes the hub's entries, skipping
those it already gave: the hub reads a newly followed stream from that follower's cursor, so
no entry can fall between the replay and the live part, and none is given twice.

Cursors come from clients, so they are checked (:class:`InvalidCursorError`, a message safe
to show) before anything is sent to Redis: ``$``, ``+`` or junk never reach ``XREAD``.
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

from services.redis_keys import event_hub_wake_key
from services.redis_reads import read_block_ms

__all__ = [
    "BLOCK_MS",
    "MAX_CONNECTIONS",
    "Event",
    "EventHub",
    "EventStream",
    "InvalidCursorError",
    "UnsafeEventError",
    "hub_for",
]

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
CLIENT_NAME = "quarry-event-streams"
#: Where a stream starts: a follower without a cursor reads from here.
_START = "0-0"
log = logging.getLogger("quarry.streams")
_FIELD = "event"
_CURSOR = re.compile(r"^(\d{1,20})-(\d{1,20})$")

Event = dict[str, Any]
"""An event as read back: the JSON object that was published."""


class UnsafeEventError(ValueError):
    """An event its stream refuses (a key that could carry a secret or rows, or too large):
    a bug in the publisher, raised before anything reaches Redis."""


class InvalidCursorError(ValueError):
    """A client's ``after`` cursor is not a stream id (never sent to Redis as is); its
    message is safe to show the client."""


def _position(cursor: str) -> tuple[int, int] | None:
    match = _CURSOR.match(cursor)
    return None if match is None else (int(match.group(1)), int(match.group(2)))


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _decode(fields: Mapping[Any, Any]) -> Event:
    raw = fields.get(_FIELD.encode(), fields.get(_FIELD))
    if raw is None:
        return {}
    decoded = json.loads(_text(raw))
    return decoded if isinstance(decoded, dict) else {}


async def _newest(redis: Redis, key: str) -> tuple[str, Event] | None:
    newest = await redis.xrevrange(key, count=1)
    if not newest:
        return None
    entry_id, fields = newest[0]
    return _text(entry_id), _decode(fields)


@dataclass(frozen=True, kw_only=True)
class EventStream:
    """One kind of per-id event stream (a run's events, a deployment's progress).

    ``key`` names an id's stream (services/redis_keys.py); a stream lives ``ttl_seconds``
    after its last event and keeps about ``max_length`` entries (a safety cap above what one
    id ever writes, not a trim that could open a gap). ``check_event`` raises
    :class:`UnsafeEventError` for an event that must not be written; events whose JSON is
    larger than ``max_event_bytes`` are refused too. Following ends after an event
    ``is_final`` accepts, or at once when the newest event is final and at or before the
    client's cursor; with ``final_can_be_followed`` (a deployment retried after its end) it
    ends at a final event only while that is the stream's newest entry, so a replay from the
    start reads through an earlier end into what came after. ``cursor_of`` names the stream
    in the message of a bad cursor ("The cursor is not one {cursor_of} gave.").
    """

    key: Callable[[UUID | str], str]
    ttl_seconds: int
    max_length: int
    max_event_bytes: int
    check_event: Callable[[Mapping[str, Any]], None]
    is_final: Callable[[Mapping[str, Any]], bool]
    cursor_of: str
    final_can_be_followed: bool = False

    def parse_cursor(self, cursor: str) -> tuple[int, int]:
        """``"<ms>-<seq>"`` as a pair that orders like Redis orders stream ids.

        Raises :class:`InvalidCursorError` for anything else.
        """
        position = _position(cursor)
        if position is None:
            raise InvalidCursorError(f"The cursor is not one {self.cursor_of} gave.")
        return position

    def encode(self, event: Mapping[str, Any]) -> str:
        """The event as stored, after ``check_event`` and the size limit (raises
        :class:`UnsafeEventError`). Values JSON cannot encode (datetimes, UUIDs, enums) are
        written as ``str``."""
        self.check_event(event)
        text = json.dumps(dict(event), separators=(",", ":"), sort_keys=True, default=str)
        if len(text.encode()) > self.max_event_bytes:
            raise UnsafeEventError(
                f"event of {len(text)} characters is larger than an event can be"
            )
        return text

    async def publish(self, redis: Redis, stream_id: UUID | str, event: Mapping[str, Any]) -> str:
        """Append ``event`` to the id's stream and renew its TTL (one transaction); its
        cursor."""
        payload = self.encode(event)
        key = self.key(stream_id)
        async with redis.pipeline(transaction=True) as pipe:
            pipe.xadd(key, {_FIELD: payload}, maxlen=self.max_length, approximate=True)
            pipe.expire(key, self.ttl_seconds)
            entry_id, _ = await pipe.execute()
        return _text(entry_id)

    def publish_blocking(
        self, connection: SyncRedis, stream_id: UUID | str, event: Mapping[str, Any]
    ) -> str:
        """:meth:`publish` on a synchronous client (RQ's connection; call it off the event
        loop)."""
        payload = self.encode(event)
        key = self.key(stream_id)
        with connection.pipeline(transaction=True) as pipe:
            pipe.xadd(key, {_FIELD: payload}, maxlen=self.max_length, approximate=True)
            pipe.expire(key, self.ttl_seconds)
            entry_id, _ = pipe.execute()
        return _text(entry_id)

    async def latest(self, redis: Redis, stream_id: UUID | str) -> tuple[str, Event] | None:
        """The id's newest event and its cursor (None: no event, or the stream expired)."""
        return await _newest(redis, self.key(stream_id))

    async def replay_and_follow(
        self,
        redis: Redis,
        stream_id: UUID | str,
        *,
        after: str | None,
        on_idle: Callable[[], Awaitable[None]] | None = None,
        block_ms: int = BLOCK_MS,
    ) -> AsyncIterator[tuple[str, Event]]:
        """Every event after ``after`` (all of them when None), then new ones as they come.

        Yields ``(cursor, event)`` until the stream's end (see the class doc); without one it
        follows until the caller stops iterating (a subscription's client disconnects).
        ``on_idle`` runs after each ``block_ms`` without an event: the caller can read the
        truth in Postgres and publish a final state whose event was lost (a follower would
        otherwise wait for ever). A bad ``after`` raises :class:`InvalidCursorError` before
        Redis is asked anything; live events come through the process's :class:`EventHub`,
        and a failed read of the hub is raised here (the client reconnects with its cursor).
        """
        position = _START if after is None else after
        self.parse_cursor(position)
        key = self.key(stream_id)
        hub = hub_for(redis)
        # Registered before any read: the hub's pool is closed once its last follower leaves.
        follower = hub.follow(key, after=position)
        try:
            newest = await _newest(hub.redis, key)
            if (
                newest is not None
                and self.is_final(newest[1])
                and self.parse_cursor(newest[0]) <= self.parse_cursor(position)
            ):
                return
            await hub.wake()
            async for cursor, event in _replay(hub.redis, key, position):
                position = cursor
                yield cursor, event
                if await self._ends_at(hub.redis, key, cursor, event):
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
                if self.parse_cursor(cursor) <= self.parse_cursor(position):
                    continue  # already given by the replay
                position = cursor
                idle_since = time.monotonic()
                yield cursor, event
                if await self._ends_at(hub.redis, key, cursor, event):
                    return
        finally:
            hub.unfollow(follower)

    async def _ends_at(self, redis: Redis, key: str, cursor: str, event: Event) -> bool:
        """Whether following ends after the event just given at ``cursor``."""
        if not self.is_final(event):
            return False
        if not self.final_can_be_followed:
            return True
        newest = await _newest(redis, key)
        return newest is None or newest[0] == cursor


async def _replay(redis: Redis, key: str, position: str) -> AsyncIterator[tuple[str, Event]]:
    """Every entry after ``position`` now in the stream (non-blocking reads)."""
    while True:
        answer = await redis.xread({key: position}, count=READ_COUNT)
        if not answer:
            return
        entries = answer[0][1]
        for entry_id, fields in entries:
            position = _text(entry_id)
            yield position, _decode(fields)
        if len(entries) < READ_COUNT:
            return


Delivery = tuple[str, Event] | BaseException


@dataclass(eq=False)
class _Follower:
    """One follower's mailbox: the hub puts ``(cursor, event)`` pairs, or the error that
    stopped it."""

    key: str
    queue: asyncio.Queue[Delivery] = field(default_factory=asyncio.Queue)


class EventHub:
    """The process's one reader of event streams (see the module doc).

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
        self._wake_key = event_hub_wake_key(uuid4().hex)
        self._wake_position = _START
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
            log.warning("event stream reader failed: %r", exc)
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
