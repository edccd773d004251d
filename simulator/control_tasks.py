"""Control API for query runs (tasks) **[sim]**: exact completion times, and MCE's filter limits.

A poller's detection delay is the time from MCE finishing a run to Quarry reporting it, so
tests and the benchmark need each run's exact completion instant, and a way to choose it:

* ``POST /__sim/tasks/plan`` ``{"seconds": [0.8, 1.5, ...]}``: the next started runs take
  exactly these durations from their start to completion (no queueing), in order; with
  ``"errors": [null, "message", ...]`` (as many as ``seconds``) a run given a message ends
  in Error with that ErrorMsg instead of running its SQL (errors no SQL can provoke here).
* ``POST /__sim/tasks/{task_id}/finish`` ``{"in_seconds": x}``: a running task finishes
  exactly ``x`` seconds from now.
* ``GET /__sim/tasks`` (``?query=<ObjectID>``) and ``GET /__sim/tasks/{task_id}``: each task's
  status, BU, definition, times on the simulator clock (``completed_at`` is the exact instant,
  also when the request that noticed it came later), rows written and polls: ``/__sim/tasks``
  also tells how many times MCE executed a definition.
* ``POST /__sim/tasks/status-filter`` ``{"equals_only": true}``: AsyncActivityStatus Retrieve
  refuses filters with any operator but ``equals`` (``OverallStatus`` ``Error: ...``), as
  MCE may (REFERENCE has only seen ``equals``). ``POST /__sim/reset`` turns it off.
"""

from __future__ import annotations

import math
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from simulator.model import QueryTask
from simulator.responses import BadJson, read_json, sim_of

__all__ = ["routes", "task_json"]

#: A planned or forced duration is at most the 30-minute limit's order of magnitude x 10.
_MAX_SECONDS = 6 * 3600.0
_MAX_PLANNED = 10_000
_MAX_ERROR = 1000


def routes() -> list[BaseRoute]:
    return [
        Route("/__sim/tasks", list_tasks, methods=["GET"]),
        Route("/__sim/tasks/plan", plan, methods=["POST"]),
        Route("/__sim/tasks/status-filter", status_filter, methods=["POST"]),
        Route("/__sim/tasks/{task_id}", get_task, methods=["GET"]),
        Route("/__sim/tasks/{task_id}/finish", finish, methods=["POST"]),
    ]


def task_json(task: QueryTask) -> dict[str, Any]:
    return {
        "task_id": task.task_id,
        "query_object_id": task.query_object_id,
        "query_key": task.query_key,
        "mid": task.mid,
        "status": task.status,
        "requested_at": task.requested_at,
        "queued_until": task.queued_until,
        "finishes_at": task.finishes_at,
        "completed_at": task.completed_at,
        "error_message": task.error_message,
        "rows_written": task.rows_written,
        "polls": task.polls,
    }


def _bad(message: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


async def _body(request: Request) -> dict[str, Any] | None:
    try:
        body = await read_json(request)
    except BadJson:
        return None
    return body if isinstance(body, dict) else None


def _seconds(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    seconds = float(value)
    return seconds if math.isfinite(seconds) and 0 <= seconds <= _MAX_SECONDS else None


async def list_tasks(request: Request) -> Response:
    sim = sim_of(request)
    query = request.query_params.get("query")
    tasks = sorted(sim.queries.tasks.values(), key=lambda t: t.requested_at)
    if query:
        tasks = [t for t in tasks if t.query_object_id.lower() == query.strip().lower()]
    return JSONResponse({"tasks": [task_json(t) for t in tasks]})


async def get_task(request: Request) -> Response:
    sim = sim_of(request)
    task = sim.queries.task(request.path_params["task_id"])
    if task is None:
        return _bad("No such task.", 404)
    return JSONResponse(task_json(task))


async def plan(request: Request) -> Response:
    body = await _body(request)
    raw = body.get("seconds") if body is not None else None
    if not isinstance(raw, list) or len(raw) > _MAX_PLANNED:
        return _bad(f"seconds must be a list of at most {_MAX_PLANNED} durations.")
    durations = [_seconds(v) for v in raw]
    if any(d is None for d in durations):
        return _bad(f"each duration must be a number between 0 and {_MAX_SECONDS:g}.")
    errors = body.get("errors", [None] * len(raw)) if body is not None else []
    if (
        not isinstance(errors, list)
        or len(errors) != len(raw)
        or not all(e is None or (isinstance(e, str) and 0 < len(e) <= _MAX_ERROR) for e in errors)
    ):
        return _bad(f"errors must list, per duration, null or a message of 1 to {_MAX_ERROR}.")
    queries = sim_of(request).queries
    queries.planned_seconds.extend(d for d in durations if d is not None)
    queries.planned_errors.extend(errors)
    return JSONResponse({"planned": list(queries.planned_seconds)})


async def finish(request: Request) -> Response:
    sim = sim_of(request)
    task = sim.queries.task(request.path_params["task_id"])
    if task is None:
        return _bad("No such task.", 404)
    body = await _body(request)
    seconds = _seconds(body.get("in_seconds")) if body is not None else None
    if seconds is None:
        return _bad(f"in_seconds must be a number between 0 and {_MAX_SECONDS:g}.")
    try:
        sim.queries.finish_in(task, seconds)
    except ValueError as exc:
        return _bad(str(exc), 409)
    return JSONResponse(task_json(task))


async def status_filter(request: Request) -> Response:
    body = await _body(request)
    value = body.get("equals_only") if body is not None else None
    if not isinstance(value, bool):
        return _bad("equals_only must be true or false.")
    sim_of(request).queries.status_filter_equals_only = value
    return JSONResponse({"equals_only": value})
