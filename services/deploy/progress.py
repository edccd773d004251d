"""A deployment's progress: a per-deployment Redis stream, replayable from any cursor.

Every step of every BU and every change of the deployment's own status is appended to one
stream per deployment (:func:`services.redis_keys.deployment_events_key`); the entry id is the
event's cursor. :func:`replay_and_follow` gives every event after the client's cursor, then
follows live: a client that reconnects with its last cursor misses nothing and sees nothing
twice. The mechanics (the stream, its TTL, cursors, the process's one reader) are
services/streams.py, shared with run events; this module says what a deployment's stream is.

A deployment can end more than once (a retry runs it again after a FAILED or PARTIAL end),
so following stops at a final deployment event only while it is the newest entry: a follower
replaying from the start reads through the first attempt's end into the retry's events.

Events carry ids, step names, statuses, codes and MCE's messages: never a token, a row or
the SQL (a drift's diff is read from ``deployment(id)``). Their keys are an allow-list
checked before anything reaches Redis.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from redis.asyncio import Redis

from models.deployments import FINAL_DEPLOYMENT_STATUSES
from services.redis_keys import deployment_events_key
from services.streams import BLOCK_MS, EventStream, InvalidCursorError, UnsafeEventError

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
#: The only keys an event may carry (values are ids, names, statuses and messages).
EVENT_KEYS = frozenset(
    {"deploymentId", "kind", "mid", "step", "status", "message", "code", "final", "at",
     "attempt", "changes", "objectId", "created"}
)  # fmt: skip
_FINAL = frozenset(status.value for status in FINAL_DEPLOYMENT_STATUSES)


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


def _check_keys(event: Mapping[str, Any]) -> None:
    """Refuse a key outside :data:`EVENT_KEYS` (an allow-list: a new key is a decision)."""
    unknown = set(event) - EVENT_KEYS
    if unknown:
        raise UnsafeEventError(f"event keys outside the allow-list: {sorted(unknown)}")


def _is_final(event: Mapping[str, Any]) -> bool:
    return event.get("kind") == "DEPLOYMENT" and event.get("final") is True


_PROGRESS = EventStream(
    key=deployment_events_key,
    ttl_seconds=STREAM_TTL_SECONDS,
    max_length=STREAM_MAX_LENGTH,
    max_event_bytes=MAX_EVENT_BYTES,
    check_event=_check_keys,
    is_final=_is_final,
    cursor_of="this deployment's progress",
    final_can_be_followed=True,
)


def parse_cursor(cursor: str) -> tuple[int, int]:
    """``"<ms>-<seq>"`` as a pair that orders like Redis orders stream ids (raises
    :class:`InvalidCursorError`, whose message the client may see)."""
    return _PROGRESS.parse_cursor(cursor)


async def publish(redis: Redis, deployment_id: UUID | str, event: Mapping[str, Any]) -> str:
    """Append ``event`` (and renew the stream's TTL, in one transaction); its cursor."""
    return await _PROGRESS.publish(redis, deployment_id, event)


async def publish_quietly(
    redis: Redis | None, deployment_id: UUID | str, event: Mapping[str, Any]
) -> None:
    """:func:`publish`, where a lost event only delays followers (the record in Postgres is
    what counts, and ``deployment(id)`` answers from it)."""
    _PROGRESS.encode(event)  # a bad event is a bug: raise it even when Redis is down
    if redis is None:
        return
    with contextlib.suppress(Exception):
        await publish(redis, deployment_id, event)


async def latest(redis: Redis, deployment_id: UUID | str) -> tuple[str, dict[str, Any]] | None:
    """The deployment's newest event and its cursor (None: none, or the stream expired)."""
    return await _PROGRESS.latest(redis, deployment_id)


def replay_and_follow(
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
    return _PROGRESS.replay_and_follow(
        redis, deployment_id, after=after, on_idle=on_idle, block_ms=block_ms
    )
