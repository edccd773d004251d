"""A run's events over GraphQL: ``runEvents(runId, after)``.

Acts for the authenticated viewer (a session or an API token) in the viewer's BU; the run
must be theirs (another user's, BU's or tenant's run id answers not-found, like a junk id,
which the schema passes as None). Events are replayed from the client's cursor, then
followed live (services/runs/events.py); the subscription ends after the run's final event.
A finished run whose stream has expired gets one event describing it as it is.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID

from redis.asyncio import Redis

from models.runs import FINAL_RUN_STATUSES
from services.authn import Authentication
from services.errors import InvalidInput, NotFound
from services.runs import events
from services.runs.start import get_run
from services.runs.status import event_for

__all__ = ["RUN_NOT_FOUND", "run_events"]

RUN_NOT_FOUND = "No such run."


async def run_events(
    auth: Authentication,
    *,
    run_id: UUID | None,
    after: str | None,
    redis: Redis,
    idle_ms: int = events.BLOCK_MS,
) -> AsyncIterator[tuple[str, dict[str, Any]]]:
    """``(cursor, event)`` pairs of the viewer's run after ``after``, then live ones.

    Every ``idle_ms`` without an event the run is read again: a final state whose event was
    lost (Redis unavailable at that moment) is published then, so no follower waits for ever.
    """
    principal = auth.require_principal()
    if run_id is None:
        raise NotFound(RUN_NOT_FOUND, field="runId")
    if after is not None:
        try:
            events.parse_cursor(after)
        except events.InvalidCursorError as exc:
            raise InvalidInput(str(exc), field="after") from None
    run = await get_run(principal.tenant_context(), user_id=principal.user_id, run_id=run_id)
    if await events.latest(redis, run.id) is None and run.status in FINAL_RUN_STATUSES:
        # The stream expired (or its publish was lost): tell the run's state once.
        # Its cursor is newer than any the client may hold from the old stream.
        snapshot = event_for(run)
        yield await events.publish(redis, run.id, snapshot), snapshot
        return
    ctx = principal.tenant_context()

    async def publish_lost_final_state() -> None:
        now = await get_run(ctx, user_id=principal.user_id, run_id=run.id)
        newest = await events.latest(redis, now.id)
        if now.status in FINAL_RUN_STATUSES and (
            newest is None or newest[1].get("status") != now.status.value
        ):
            await events.publish(redis, now.id, event_for(now))

    stream = events.replay_and_follow(
        redis, run.id, after=after, on_idle=publish_lost_final_state, block_ms=idle_ms
    )
    async for cursor, event in stream:
        yield cursor, event
