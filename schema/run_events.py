"""The ``runEvents`` subscription: a run's status changes, replayable from a cursor.

Each event says where the run is (status, timings, row count, columns, error with the error
catalogue's cause and fix) and carries its ``cursor``: subscribe again with ``after`` set to
the last cursor you received and you get every later event exactly once. Never rows (read
them with ``runResults`` or ``Run.page``), never anything secret.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Mapping
from typing import Any, cast

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from resolvers import run_events as resolve
from schema.context import GraphQLContext
from schema.global_ids import encode_global_id
from schema.preflight import QueryTargetProbe, resolve_run_probe
from schema.run_results import RUN_TYPE, run_uuid
from services.metadata.preview import MceCallFailed

__all__ = ["RunEvent", "RunEventError", "RunEventsSubscription"]


@strawberry.type(description="Why a run failed: Marketing Cloud's message and what to do.")
class RunEventError:
    code: str | None
    message: str | None = strawberry.field(description="Marketing Cloud's own message.")
    cause: str | None = strawberry.field(description="The error catalogue's explanation.")
    fix: str | None = strawberry.field(description="The error catalogue's advice.")


def _text(event: Mapping[str, Any], key: str) -> str | None:
    value = event.get(key)
    return None if value is None else str(value)


@strawberry.type(description="A run's state after one of its changes. Times are ISO 8601 in UTC.")
class RunEvent:
    cursor: str = strawberry.field(
        description="Pass it as `after` to resume after this event (nothing missed, nothing twice)."
    )
    run_id: strawberry.ID
    status: str = strawberry.field(
        description="QUEUED, STARTING, RUNNING, COMPLETE, FAILED, CANCELED or EXPIRED."
    )
    row_count: int | None
    columns: JSON = strawberry.field(description="The output columns: name, type, length.")
    queued_at: str | None
    started_at: str | None = strawberry.field(description="When Marketing Cloud took the run.")
    mce_completed_at: str | None = strawberry.field(
        description="Marketing Cloud's completion time, as it reports it (to the second)."
    )
    detected_at: str | None = strawberry.field(description="When Quarry saw the run end.")
    finished_at: str | None
    expires_at: str | None = strawberry.field(description="Results readable until then.")
    error: RunEventError | None

    @strawberry.field(
        description="Set when the run is a pre-flight probe (probeQueryTarget): its target and"
        " status; on its COMPLETE event, what it measured (`report`). Null for other runs."
    )
    async def probe(self, info: Info[GraphQLContext, None]) -> QueryTargetProbe | None:
        return await resolve_run_probe(info, run_id=str(self.run_id), status=self.status)

    @classmethod
    def from_event(cls, cursor: str, event: Mapping[str, Any]) -> RunEvent:
        raw_error = event.get("error")
        error = None
        if isinstance(raw_error, Mapping):
            error = RunEventError(
                code=_text(raw_error, "code"),
                message=_text(raw_error, "message"),
                cause=_text(raw_error, "cause"),
                fix=_text(raw_error, "fix"),
            )
        row_count = event.get("rowCount")
        return cls(
            cursor=cursor,
            run_id=strawberry.ID(encode_global_id(RUN_TYPE, str(event.get("runId", "")))),
            status=str(event.get("status", "")),
            row_count=row_count if isinstance(row_count, int) else None,
            columns=cast(Any, event.get("columns") or []),
            queued_at=_text(event, "queuedAt"),
            started_at=_text(event, "startedAt"),
            mce_completed_at=_text(event, "mceCompletedAt"),
            detected_at=_text(event, "detectedAt"),
            finished_at=_text(event, "finishedAt"),
            expires_at=_text(event, "expiresAt"),
            error=error,
        )


@strawberry.type
class RunEventsSubscription:
    @strawberry.subscription(
        description="Your run's events from after the cursor `after` (all of them when"
        " omitted), then live ones as they happen; it ends after the run's final event"
        " (COMPLETE, FAILED, CANCELED or EXPIRED)."
    )
    async def run_events(
        self, info: Info[GraphQLContext, None], run_id: strawberry.ID, after: str | None = None
    ) -> AsyncGenerator[RunEvent, None]:
        redis = info.context.redis
        if redis is None:
            raise MceCallFailed("Run events cannot be followed from this process.")
        stream = resolve.run_events(
            info.context.authentication, run_id=run_uuid(str(run_id)), after=after, redis=redis
        )
        async for cursor, event in stream:
            yield RunEvent.from_event(cursor, event)
