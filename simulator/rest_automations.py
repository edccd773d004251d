"""``/automation/v1/automations``: automations of query activities over REST (REFERENCE §4.5).

The detail shape is REFERENCE §4.5's (``id, legacyId, name, description, key,
categoryId, statusId, startSource.schedule, steps[].activities[]``) plus ``status``,
``lastRunTime`` and ``lastRunInstanceId`` **[sim]**; list items are the summary REFERENCE
lists (``id, key, name, status, lastRunTime, type, fileTrigger, categoryId``) with
``statusId``, ``description`` and ``lastRunInstanceId`` **[sim]**. ``status`` is the
WSDL's AutomationStatus name for ``statusId`` **[sim]**.

Operation names: ``rest.automations.list|get|create|update|start``. Scopes: reads
``automations_read``, create/update ``automations_write``, ``runallonce``
``automations_execute``.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from simulator.automations import ActivitySpec, Automation, Automations
from simulator.errors import MceValidationError
from simulator.responses import rest_error, sim_of
from simulator.rest_automation_common import (
    EXECUTE_SCOPE,
    READ_SCOPE,
    WRITE_SCOPE,
    Page,
    check_types,
    iso_server_time,
    not_found,
    object_body,
    page_of,
    slash_optional,
    store_error,
)
from simulator.rest_common import rest_entry

__all__ = ["automation_detail", "routes"]

_BASE = "/automation/v1/automations"
#: ``startSource.typeId`` of a schedule (REFERENCE §4.5's example).
_SCHEDULE_SOURCE = 1


def routes() -> list[BaseRoute]:
    return [
        *slash_optional(_BASE, list_automations, ["GET"]),
        *slash_optional(_BASE, create_automation, ["POST"]),
        *slash_optional(f"{_BASE}/{{id}}", get_automation, ["GET"]),
        *slash_optional(f"{_BASE}/{{id}}", update_automation, ["PATCH"]),
        *slash_optional(f"{_BASE}/{{id}}/actions/runallonce", run_automation, ["POST"]),
    ]


def _automations(request: Request) -> Automations:
    automations: Automations = sim_of(request).automations
    return automations


def automation_detail(automation: Automation) -> dict[str, Any]:
    """REFERENCE §4.5's shape; ``startSource`` only when there is a schedule."""
    body: dict[str, Any] = {
        "id": automation.object_id,
        "legacyId": automation.legacy_id,
        "name": automation.name,
        "description": automation.description,
        "key": automation.customer_key,
        "categoryId": automation.category_id,
        "statusId": int(automation.status_id),
        "status": automation.status_id.wire_name,
        "lastRunTime": iso_server_time(automation.last_run_time),
        "lastRunInstanceId": automation.last_run_instance_id,
    }
    if automation.schedule is not None:
        body["startSource"] = {"typeId": _SCHEDULE_SOURCE, "schedule": automation.schedule}
    body["steps"] = [
        {
            "name": step.name,
            "step": number,
            "activities": [
                {
                    "id": activity.id,
                    "name": activity.name,
                    "activityObjectId": activity.activity_object_id,
                    "objectTypeId": activity.object_type_id,
                    "displayOrder": activity.display_order,
                }
                for activity in step.activities
            ],
        }
        for number, step in enumerate(automation.steps, start=1)
    ]
    return body


def _summary(automation: Automation) -> dict[str, Any]:
    return {
        "id": automation.object_id,
        "key": automation.customer_key,
        "name": automation.name,
        "description": automation.description,
        "status": automation.status_id.wire_name,
        "statusId": int(automation.status_id),
        "lastRunTime": iso_server_time(automation.last_run_time),
        "lastRunInstanceId": automation.last_run_instance_id,
        "type": "scheduled" if automation.schedule is not None else "unscheduled",
        "fileTrigger": None,
        "categoryId": automation.category_id,
    }


async def _found(request: Request, operation: str, scope: str) -> Automation | Response:
    info = await rest_entry(request, operation, scope)
    if isinstance(info, Response):
        return info
    object_id = request.path_params["id"]
    automation = _automations(request).get(info.mid, object_id=object_id)
    return automation if automation is not None else not_found("Automation", object_id)


async def list_automations(request: Request) -> Response:
    """``{count, page, pageSize, items}``, 25 per page at most; ``$filter`` on name or key."""
    info = await rest_entry(request, "rest.automations.list", READ_SCOPE)
    if isinstance(info, Response):
        return info
    page = Page.parse(request)
    if isinstance(page, Response):
        return page
    body = page_of(
        page,
        _automations(request).list_in(info.mid),
        properties={"name": lambda a: a.name, "key": lambda a: a.customer_key},
        to_json=_summary,
    )
    return body if isinstance(body, Response) else JSONResponse(body)


async def get_automation(request: Request) -> Response:
    found = await _found(request, "rest.automations.get", READ_SCOPE)
    return found if isinstance(found, Response) else JSONResponse(automation_detail(found))


def _steps(raw: Any) -> list[list[ActivitySpec]] | Response:
    """``steps[].activities[]`` → specs; a wrong type → ``400 10001`` naming the path."""
    if not isinstance(raw, list):
        return rest_error(400, "Invalid value for field 'steps': expected an array.", 10001)
    steps: list[list[ActivitySpec]] = []
    for i, step in enumerate(raw):
        activities = step.get("activities", []) if isinstance(step, dict) else None
        if not isinstance(activities, list):
            message = f"Invalid value for field 'steps[{i}].activities': expected an array."
            return rest_error(400, message, 10001)
        specs: list[ActivitySpec] = []
        for j, activity in enumerate(activities):
            where = f"steps[{i}].activities[{j}]"
            if not isinstance(activity, dict):
                message = f"Invalid value for field '{where}': expected an object."
                return rest_error(400, message, 10001)
            for name in ("activityObjectId", "objectTypeId"):
                if activity.get(name) is None:
                    return rest_error(400, f"Field '{where}.{name}' is required.", 10002)
            problem = check_types(
                activity,
                text=("activityObjectId", "name"),
                integers=("objectTypeId", "displayOrder"),
            )
            if problem is not None:
                return problem
            order = activity.get("displayOrder")
            specs.append(
                ActivitySpec(
                    activity_object_id=activity["activityObjectId"],
                    object_type_id=int(activity["objectTypeId"]),
                    name=activity.get("name"),
                    display_order=int(order) if order is not None else None,
                )
            )
        steps.append(specs)
    return steps


def _schedule(body: dict[str, Any]) -> dict[str, Any] | Response | None:
    """``startSource.schedule`` as sent (stored and echoed, never fired **[sim]**)."""
    source = body.get("startSource")
    if source is None:
        return None
    if not isinstance(source, dict):
        return rest_error(400, "Invalid value for field 'startSource': expected an object.", 10001)
    schedule = source.get("schedule")
    if schedule is not None and not isinstance(schedule, dict):
        message = "Invalid value for field 'startSource.schedule': expected an object."
        return rest_error(400, message, 10001)
    return schedule


async def _parsed(
    request: Request, operation: str
) -> tuple[int, dict[str, Any], list[list[ActivitySpec]] | None, dict[str, Any] | None] | Response:
    """Authorise and read a create/PATCH body: (mid, body, steps, schedule)."""
    info = await rest_entry(request, operation, WRITE_SCOPE)
    if isinstance(info, Response):
        return info
    body = await object_body(request)
    if isinstance(body, Response):
        return body
    problem = check_types(body, text=("name", "key", "description"), integers=("categoryId",))
    if problem is not None:
        return problem
    steps = _steps(body["steps"]) if body.get("steps") is not None else None
    if isinstance(steps, Response):
        return steps
    schedule = _schedule(body)
    if isinstance(schedule, Response):
        return schedule
    return info.mid, body, steps, schedule


async def create_automation(request: Request) -> Response:
    """REFERENCE §4.5's body; a schedule makes it Paused (4), none Ready (2) **[sim]**."""
    parsed = await _parsed(request, "rest.automations.create")
    if isinstance(parsed, Response):
        return parsed
    mid, body, steps, schedule = parsed
    category = body.get("categoryId")
    try:
        automation = _automations(request).create(
            mid=mid,
            name=body.get("name"),
            customer_key=body.get("key") or None,
            description=body.get("description") or "",
            category_id=int(category) if category is not None else None,
            steps=steps or [],
            schedule=schedule,
        )
    except MceValidationError as exc:
        return store_error(exc)
    return JSONResponse(automation_detail(automation))


async def update_automation(request: Request) -> Response:
    """PATCH: the fields sent change; ``steps`` replaces all steps."""
    parsed = await _parsed(request, "rest.automations.update")
    if isinstance(parsed, Response):
        return parsed
    mid, body, steps, schedule = parsed
    object_id = request.path_params["id"]
    automations = _automations(request)
    automation = automations.get(mid, object_id=object_id)
    if automation is None:
        return not_found("Automation", object_id)
    category = body.get("categoryId")
    try:
        automations.update(
            automation,
            name=body.get("name"),
            customer_key=body.get("key"),
            description=body.get("description"),
            category_id=int(category) if category is not None else None,
            steps=steps,
            schedule=schedule,
        )
    except MceValidationError as exc:
        return store_error(exc)
    return JSONResponse(automation_detail(automation))


async def run_automation(request: Request) -> Response:
    """``actions/runallonce``: start a run now; 200 with the detail (statusId 3) **[sim]**.

    A run still in progress → ``409 30002`` **[sim]**.
    """
    found = await _found(request, "rest.automations.start", EXECUTE_SCOPE)
    if isinstance(found, Response):
        return found
    try:
        _automations(request).start(found)
    except MceValidationError as exc:
        return store_error(exc)
    return JSONResponse(automation_detail(found))
