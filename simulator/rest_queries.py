"""``/automation/v1/queries``: Query Activities over REST (REFERENCE §4.4).

The routes are thin: they read the flat JSON MCE takes, call :class:`QueryActivities`
(``sim.queries``, shared with SOAP so both surfaces agree) and shape the item REFERENCE
§4.4 records. Quirks reproduced because REFERENCE observed them: a nested ``target``
object in a create body is an HTTP 500, and ``actions/start`` with any body answers
``OK`` without running the query.

Operation names: ``rest.queries.list|get|create|update|delete|start|isrunning|validate|log``.
Scopes: reads ``automations_read``; create, update, delete and validate
``automations_write`` **[sim: validate]**; start ``automations_execute``.
"""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute

from simulator.errors import ErrorCode, MceValidationError
from simulator.model import DataExtension, QueryDefinition
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
from simulator.state import Simulator

__all__ = ["query_item", "routes"]

_BASE = "/automation/v1/queries"
#: ``targetUpdateTypeId`` → name (REFERENCE §4.4: Overwrite=0, Update=1, Append=2).
UPDATE_TYPE_NAMES = ("Overwrite", "Update", "Append")
_TEXT_FIELDS = (
    "name",
    "key",
    "description",
    "queryText",
    "targetKey",
    "targetId",
    "targetName",
    "targetDescription",
    "targetUpdateTypeName",
)
_INT_FIELDS = ("categoryId", "targetUpdateTypeId")
#: The validator's heads-up for a query without WHERE (REFERENCE §4.4) **[sim: wording]**.
NO_WHERE_WARNING = (
    "Just a heads-up: this query has no WHERE clause, so it reads every row of its sources. "
    "Use a WHERE clause to limit the rows it processes."
)
_NOISE = re.compile(r"--[^\n]*|/\*.*?\*/|'(?:[^']|'')*'|\[[^\]]*\]", re.DOTALL)


def routes() -> list[BaseRoute]:
    return [
        *slash_optional(f"{_BASE}/actions/validate", validate_query, ["POST"]),
        *slash_optional(_BASE, list_queries, ["GET"]),
        *slash_optional(_BASE, create_query, ["POST"]),
        *slash_optional(f"{_BASE}/{{id}}", get_query, ["GET"]),
        *slash_optional(f"{_BASE}/{{id}}", update_query, ["PATCH"]),
        *slash_optional(f"{_BASE}/{{id}}", delete_query, ["DELETE"]),
        *slash_optional(f"{_BASE}/{{id}}/actions/start", start_query, ["POST"]),
        *slash_optional(f"{_BASE}/{{id}}/actions/isrunning", query_is_running, ["GET"]),
        *slash_optional(f"{_BASE}/{{id}}/log", query_log, ["GET"]),
    ]


def query_item(sim: Simulator, query: QueryDefinition) -> dict[str, Any]:
    """The item REFERENCE §4.4 records; a target deleted since shows its key only **[sim]**."""
    target = sim.queries.target_of(query)
    return {
        "queryDefinitionId": query.object_id,
        "name": query.name,
        "key": query.customer_key,
        "description": query.description,
        "queryText": query.query_text,
        "targetName": target.name if target else "",
        "targetKey": target.customer_key if target else query.target_key,
        "targetId": target.object_id if target else "",
        "targetDescription": target.description if target else "",
        "createdDate": iso_server_time(query.created_date),
        "modifiedDate": iso_server_time(query.modified_date),
        "targetUpdateTypeId": UPDATE_TYPE_NAMES.index(query.target_update_type),
        "targetUpdateTypeName": query.target_update_type,
        "categoryId": query.folder_id,
        "isFrozen": False,
    }


def _with_validated_text(sim: Simulator, query: QueryDefinition) -> dict[str, Any]:
    """Create/PATCH answers: the item plus ``validatedQueryText`` (REFERENCE §5.1 wrapper)."""
    from simulator.sql import validated_query_text

    target = sim.queries.target_of(query)
    text = ""
    if target is not None:
        text = validated_query_text(mid=query.mid, text=query.query_text, target=target)
    return {**query_item(sim, query), "validatedQueryText": text}


async def _found(
    request: Request, operation: str, scope: str
) -> tuple[Simulator, QueryDefinition] | Response:
    """Authorise and find ``{id}`` in the token's BU (another BU's query → 404)."""
    info = await rest_entry(request, operation, scope)
    if isinstance(info, Response):
        return info
    sim = sim_of(request)
    object_id = request.path_params["id"]
    query = sim.store.get_query(info.mid, object_id=object_id)
    if query is None:
        return not_found("Query definition", object_id)
    return sim, query


# ------------------------------------------------------------------ reads
async def list_queries(request: Request) -> Response:
    """``{count, page, pageSize, items}``; ``$filter`` on ``name``, ``key`` or ``categoryId``."""
    info = await rest_entry(request, "rest.queries.list", READ_SCOPE)
    if isinstance(info, Response):
        return info
    page = Page.parse(request)
    if isinstance(page, Response):
        return page
    sim = sim_of(request)
    body = page_of(
        page,
        sim.store.list_queries(info.mid),
        properties={
            "name": lambda q: q.name,
            "key": lambda q: q.customer_key,
            "customerkey": lambda q: q.customer_key,
            "categoryid": lambda q: q.folder_id,
        },
        to_json=lambda q: query_item(sim, q),
    )
    return body if isinstance(body, Response) else JSONResponse(body)


async def get_query(request: Request) -> Response:
    found = await _found(request, "rest.queries.get", READ_SCOPE)
    if isinstance(found, Response):
        return found
    sim, query = found
    return JSONResponse(query_item(sim, query))


async def query_is_running(request: Request) -> Response:
    """``{"queryDefinitionId", "isRunning"}``: true while a run is Queued or Processing."""
    found = await _found(request, "rest.queries.isrunning", READ_SCOPE)
    if isinstance(found, Response):
        return found
    sim, query = found
    return JSONResponse(
        {"queryDefinitionId": query.object_id, "isRunning": sim.queries.is_running(query)}
    )


async def query_log(request: Request) -> Response:
    """Empty when the last run did not fail (REFERENCE §4.4); else its error **[sim]**."""
    found = await _found(request, "rest.queries.log", READ_SCOPE)
    if isinstance(found, Response):
        return found
    sim, query = found
    task = sim.queries.last_task(query)
    text = task.error_message if task is not None and task.status == "Error" else ""
    return PlainTextResponse(text)


# ----------------------------------------------------------------- writes
def _target_key(sim: Simulator, mid: int, body: dict[str, Any]) -> str | Response | None:
    """``targetKey`` wins over ``targetId`` **[sim]**; an unknown ``targetId`` → 400."""
    key: str | None = body.get("targetKey")
    target_id = body.get("targetId")
    if key or not target_id:
        return key
    de = sim.store.get_de(mid, object_id=target_id)
    if de is None:
        return rest_error(400, f"Target data extension {target_id} was not found.", 10005)
    return de.customer_key


def _update_type(body: dict[str, Any]) -> str | Response | None:
    """``targetUpdateTypeId`` (0, 1, 2) or else ``targetUpdateTypeName``; ``None`` if absent."""
    type_id = body.get("targetUpdateTypeId")
    if type_id is None:
        name: str | None = body.get("targetUpdateTypeName")
        return name
    index = int(type_id)
    if not 0 <= index < len(UPDATE_TYPE_NAMES):
        message = f"Invalid value for field 'targetUpdateTypeId': {type_id}."
        return rest_error(400, message, 10005)
    return UPDATE_TYPE_NAMES[index]


def _target_and_type(
    sim: Simulator, mid: int, body: dict[str, Any]
) -> tuple[str | None, str | None] | Response:
    """The target's key and the update type a create/PATCH body names (``None``: not sent)."""
    target_key = _target_key(sim, mid, body)
    if isinstance(target_key, Response):
        return target_key
    update_type = _update_type(body)
    if isinstance(update_type, Response):
        return update_type
    return target_key, update_type


def _rejected(
    sim: Simulator,
    exc: MceValidationError,
    *,
    mid: int,
    text: str,
    target_key: str,
    update_type: str,
) -> Response:
    """The 400 for a store rule; SQL problems list every error in ``validationErrors``."""
    if exc.code != ErrorCode.INVALID_QUERY:
        return store_error(exc)
    target = sim.store.get_de(mid, customer_key=target_key)
    messages = sim.queries.validate(mid=mid, text=text, target=target, update_type=update_type)
    details = [{"message": m, "errorcode": 10000} for m in messages or [exc.message]]
    return store_error(exc, validationErrors=details)


async def _write_body(request: Request, operation: str) -> tuple[Any, dict[str, Any]] | Response:
    """Authorise, parse and type-check a create/PATCH body."""
    info = await rest_entry(request, operation, WRITE_SCOPE)
    if isinstance(info, Response):
        return info
    body = await object_body(request)
    if isinstance(body, Response):
        return body
    if "target" in body:
        # REFERENCE §4.4: MCE answers a nested target object with an HTTP 500.
        return rest_error(500, "Internal Server Error", 0)
    problem = check_types(body, text=_TEXT_FIELDS, integers=_INT_FIELDS)
    return problem or (info, body)


async def create_query(request: Request) -> Response:
    """Flat body (REFERENCE §4.4); ``categoryId`` and a target are required."""
    parsed = await _write_body(request, "rest.queries.create")
    if isinstance(parsed, Response):
        return parsed
    info, body = parsed
    if body.get("categoryId") is None:
        return rest_error(400, "categoryId is required.", 10002)
    sim = sim_of(request)
    resolved = _target_and_type(sim, info.mid, body)
    if isinstance(resolved, Response):
        return resolved
    target_key, update_type = resolved
    if not target_key:
        return rest_error(400, "targetKey or targetId is required.", 10002)
    text = body.get("queryText") or ""
    try:
        query = sim.queries.create(
            mid=info.mid,
            name=body.get("name"),
            query_text=text,
            target_key=target_key,
            customer_key=body.get("key") or None,
            target_update_type=update_type or "Overwrite",
            folder_id=int(body["categoryId"]),
            description=body.get("description") or "",
        )
    except MceValidationError as exc:
        return _rejected(
            sim,
            exc,
            mid=info.mid,
            text=text,
            target_key=target_key,
            update_type=update_type or "Overwrite",
        )
    return JSONResponse(_with_validated_text(sim, query))


async def update_query(request: Request) -> Response:
    """PATCH: only the fields sent change; the result is validated as a whole."""
    parsed = await _write_body(request, "rest.queries.update")
    if isinstance(parsed, Response):
        return parsed
    info, body = parsed
    sim = sim_of(request)
    object_id = request.path_params["id"]
    query = sim.store.get_query(info.mid, object_id=object_id)
    if query is None:
        return not_found("Query definition", object_id)
    resolved = _target_and_type(sim, info.mid, body)
    if isinstance(resolved, Response):
        return resolved
    target_key, update_type = resolved
    category = body.get("categoryId")
    try:
        sim.queries.update(
            query,
            name=body.get("name"),
            query_text=body.get("queryText"),
            target_key=target_key,
            target_update_type=update_type,
            folder_id=int(category) if category is not None else None,
            description=body.get("description"),
            customer_key=body.get("key"),
        )
    except MceValidationError as exc:
        return _rejected(
            sim,
            exc,
            mid=info.mid,
            text=body.get("queryText") or query.query_text,
            target_key=target_key or query.target_key,
            update_type=update_type or query.target_update_type,
        )
    return JSONResponse(_with_validated_text(sim, query))


async def delete_query(request: Request) -> Response:
    """``"OK"`` (a JSON string, REFERENCE §4.4)."""
    found = await _found(request, "rest.queries.delete", WRITE_SCOPE)
    if isinstance(found, Response):
        return found
    sim, query = found
    try:
        sim.queries.delete(query)
    except MceValidationError as exc:
        return store_error(exc)
    return JSONResponse("OK")


async def start_query(request: Request) -> Response:
    """Empty body → run, answer text ``OK``; any body → ``OK`` without a run (REFERENCE §4.4).

    A query still running → ``409 30002`` **[sim]**.
    """
    found = await _found(request, "rest.queries.start", EXECUTE_SCOPE)
    if isinstance(found, Response):
        return found
    sim, query = found
    if (await request.body()).strip():
        return PlainTextResponse("OK")
    try:
        sim.queries.start(query)
    except MceValidationError as exc:
        return store_error(exc)
    return PlainTextResponse("OK")


async def validate_query(request: Request) -> Response:
    """``{"Text": sql}`` (+ ``targetKey``, ``targetUpdateTypeId``) → queryValid/errors/warnings.

    Property names are matched ignoring case, as MCE's deserializer does **[sim]**; an
    unknown ``targetKey`` is reported as an error of the query **[sim]**.
    """
    info = await rest_entry(request, "rest.queries.validate", WRITE_SCOPE)
    if isinstance(info, Response):
        return info
    raw = await object_body(request)
    if isinstance(raw, Response):
        return raw
    lowered = {str(k).lower(): v for k, v in raw.items()}
    body = {
        "Text": lowered.get("text"),
        "targetKey": lowered.get("targetkey"),
        "targetUpdateTypeId": lowered.get("targetupdatetypeid"),
        "categoryId": lowered.get("categoryid"),
    }
    problem = check_types(
        body, text=("Text", "targetKey"), integers=("targetUpdateTypeId", "categoryId")
    )
    if problem is not None:
        return problem
    text = body["Text"]
    if not text or not text.strip():
        return rest_error(400, "Text is required.", 10002)
    update_type = _update_type(body)
    if isinstance(update_type, Response):
        return update_type
    sim = sim_of(request)
    errors: list[str] = []
    target: DataExtension | None = None
    if body["targetKey"]:
        target = sim.store.get_de(info.mid, customer_key=body["targetKey"])
        if target is None:
            errors.append(f"Target data extension {body['targetKey']} was not found.")
    errors += sim.queries.validate(
        mid=info.mid, text=text, target=target, update_type=update_type or "Overwrite"
    )
    warnings = [] if _has_where(text) else [{"message": NO_WHERE_WARNING}]
    return JSONResponse(
        {
            "queryValid": not errors,
            "errors": [{"message": m} for m in errors],
            "warnings": warnings,
        }
    )


def _has_where(text: str) -> bool:
    """Whether ``WHERE`` appears as a keyword (not in comments, strings or [names])."""
    return re.search(r"\bwhere\b", _NOISE.sub(" ", text), re.IGNORECASE) is not None
