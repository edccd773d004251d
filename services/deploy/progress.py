"""A deployment's progress: a per-deployment Redis stream, replayable from any cursor.

The pattern of run events (docs/runs.md, services/runs/events.py): every step of every BU and
every change of the deployment's own status is appended to one stream per deployment
(:func:`services.redis_keys.deployment_events_key`); the entry id is the event's cursor.
:func:`replay_and_follow` reads it with ``XREAD`` from the client's cursor, so replay and live
are one read: a client that reconnects with its last cursor misses nothing and sees nothing
twice.

A deployment can end more than once (a retry runs it again after a FAILED or PARTIAL end),
so following stops at a final deployment event only while it is the newest entry: a follower
replaying from the start reads through the first attempt's end into the retry's events.

Events carry ids, step names, statuses, codes and MCE's messages: never a token, a row or
the SQL (a drift's diff is read from ``deployment(id)``). Their keys are an allow-list
checked before anything reaches Redis.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from redis.asyncio import Redis

from models.deployments import FINAL_DEPLOYMENT_STATUSES
from services.redis_keys import deployment_events_key
from services.redis_reads import read_block_ms
from services.runs.events import InvalidCursorError, parse_cursor

__all__ = [
    "BLOCK_MS",
    "EVENT_KEYS",
    "STREAM_TTL_SECONDS",
    "InvalidCursorError",
    "UnsafeEventError",
    "bu_event",
    "deployment_event",
    "latest",
    "parse_cursor",
    "publish",
    "publish_quietly",
    "replay_and_follow",
]

#: A deployment's stream is kept this long after its last event.
STREAM_TTL_SECONDS = 7 * 24 * 3600
#: More events than a deployment to 100 BUs makes (a safety cap, not a trim).
STREAM_MAX_LENGTH = 20_000
MAX_EVENT_BYTES = 16 * 1024
BLOCK_MS = 10_000
#: The only keys an event may carry (values are ids, names, statuses and messages).
EVENT_KEYS = frozenset(
    {"deploymentId", "kind", "mid", "step", "status", "message", "code", "final", "at",
     "attempt", "changes", "objectId", "created"}
)  # fmt: skip
_FINAL = frozenset(status.value for status in FINAL_DEPLOYMENT_STATUSES)
_FIELD = "event"


class UnsafeEventError(ValueError):
    """An event with a key outside :data:`EVENT_KEYS`, or too large: a publisher's bug."""


def _now() -> str:
    return datetime.now(UTC).isoformat()


def deployment_event(
    deployment_id: UUID, *, status: str, attempt: int | None = None, message: str | None = None
) -> dict[str, Any]:
    """The deployment's own status changed (``final`` once it ended, for now)."""
    return {
        "deploymentId": str(deployment_id),
        "kind": "DEPLOYMENT",
        "mid": None,
        "step": None,
        "status": status,
        "message": message,
        "code": None,
        "final": status in _FINAL,
        "attempt": attempt,
        "at": _now(),
    }


def bu_event(
    deployment_id: UUID,
    *,
    mid: int,
    step: str,
    status: str,
    message: str | None = None,
    code: str | None = None,
    changes: list[str] | None = None,
    object_id: str | None = None,
    created: bool | None = None,
) -> dict[str, Any]:
    """One BU reached a step (``STARTED``), finished it (``SUCCEEDED``), or ended
    (``FAILED``, ``DRIFTED``, ``SKIPPED``); ``step`` ``DONE`` is the BU's outcome."""
    event: dict[str, Any] = {
        "deploymentId": str(deployment_id),
        "kind": "BU",
        "mid": mid,
        "step": step,
        "status": status,
        "message": message,
        "code": code,
        "final": False,
        "at": _now(),
    }
    if changes is not None:
        event["changes"] = changes
    if object_id is not None:
        event["objectId"] = object_id
    if created is not None:
        event["created"] = created
    return event


def _encode(event: Mapping[str, Any]) -> str:
    unknown = set(event) - EVENT_KEYS
    if unknown:
        raise UnsafeEventError(f"event keys outside the allow-list: {sorted(unknown)}")
    text = json.dumps(dict(event), separators=(",", ":"), sort_keys=True, default=str)
    if len(text.encode()) > MAX_EVENT_BYTES:
        raise UnsafeEventError("event larger than an event can be")
    return text


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _decode(fields: Mapping[Any, Any]) -> dict[str, Any]:
    raw = fields.get(_FIELD.encode(), fields.get(_FIELD))
    if raw is None:
        return {}
    decoded = json.loads(_text(raw))
    return decoded if isinstance(decoded, dict) else {}


async def publish(redis: Redis, deployment_id: UUID | str, event: Mapping[str, Any]) -> str:
    """Append ``event`` (and renew the stream's TTL, in one transaction); its cursor."""
    payload = _encode(event)
    key = deployment_events_key(deployment_id)
    async with redis.pipeline(transaction=True) as pipe:
        pipe.xadd(key, {_FIELD: payload}, maxlen=STREAM_MAX_LENGTH, approximate=True)
        pipe.expire(key, STREAM_TTL_SECONDS)
        entry_id, _ = await pipe.execute()
    return _text(entry_id)


async def publish_quietly(
    redis: Redis | None, deployment_id: UUID | str, event: Mapping[str, Any]
) -> None:
    """:func:`publish`, where a lost event only delays followers (the record in Postgres is
    what counts, and ``deployment(id)`` answers from it)."""
    _encode(event)  # a bad event is a bug: raise it even when Redis is down
    if redis is None:
        return
    with contextlib.suppress(Exception):
        await publish(redis, deployment_id, event)


async def latest(redis: Redis, deployment_id: UUID | str) -> tuple[str, dict[str, Any]] | None:
    newest = await redis.xrevrange(deployment_events_key(deployment_id), count=1)
    if not newest:
        return None
    entry_id, fields = newest[0]
    return _text(entry_id), _decode(fields)


def _is_final(event: Mapping[str, Any]) -> bool:
    return event.get("kind") == "DEPLOYMENT" and event.get("final") is True


async def replay_and_follow(
    redis: Redis,
    deployment_id: UUID | str,
    *,
    after: str | None,
    on_idle: Callable[[], Awaitable[None]] | None = None,
    block_ms: int = BLOCK_MS,
) -> AsyncIterator[tuple[str, dict[str, Any]]]:
    """Every event after ``after`` (all when None), then new ones; ends after a final
    deployment event that is the newest entry, or at once when that event is at or before
    ``after``. ``on_idle`` runs after each ``block_ms`` without an event."""
    position = "0-0" if after is None else after
    parse_cursor(position)
    key = deployment_events_key(deployment_id)
    read_block = read_block_ms(redis, block_ms)
    newest = await latest(redis, deployment_id)
    final_behind = newest is not None and _is_final(newest[1])
    if final_behind and newest is not None and parse_cursor(newest[0]) <= parse_cursor(position):
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
                if _is_final(event):
                    newest = await latest(redis, deployment_id)
                    if newest is None or newest[0] == position:
                        return
