"""Conventions shared by the Automation Studio REST routes (``/automation/v1/...``).

Query activities and automations follow the same rules, so each lives here once: an
optional trailing slash on every path (clients write both, REFERENCE §4.4), ``$page`` /
``$pageSize`` capped at 25 per page (REFERENCE §4.4), a small ``$filter``, flat JSON
bodies whose fields are type-checked one by one (a wrong type names the field), store
errors turned into MCE's error JSON (REFERENCE §4.7) and dates as ISO without a zone in
server time (REFERENCE §4.4's item shows ``2022-04-26T16:02:44.01``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from simulator.errors import ErrorCode, MceValidationError
from simulator.responses import BadJson, read_json, rest_error

__all__ = [
    "EXECUTE_SCOPE",
    "MAX_PAGE_SIZE",
    "READ_SCOPE",
    "WRITE_SCOPE",
    "Page",
    "check_types",
    "iso_server_time",
    "not_found",
    "object_body",
    "page_of",
    "slash_optional",
    "store_error",
]

T = TypeVar("T")

#: REFERENCE §4.4: the server caps list pages at 25 items.
MAX_PAGE_SIZE = 25
#: OAuth scopes of the automation family (queries and automations alike).
READ_SCOPE, WRITE_SCOPE, EXECUTE_SCOPE = (
    "automations_read",
    "automations_write",
    "automations_execute",
)
#: Plain ASCII digits only, at most seven of them (**[sim]**: as the rowset's ``$page``).
_DIGITS = re.compile(r"[0-9]{1,7}")
#: ``Name eq 'x'`` (``''`` escapes a quote) or ``categoryId eq 12``.
_FILTER = re.compile(r"\s*(\w+)\s+eq\s+(?:'((?:[^']|'')*)'|(-?[0-9]+))\s*", re.IGNORECASE)

#: Store error → (HTTP status, REFERENCE §4.7 errorcode) **[sim: the mapping]**.
_STATUS: dict[int, tuple[int, int]] = {
    ErrorCode.MISSING_PROPERTY: (400, 10002),
    ErrorCode.INVALID_VALUE: (400, 10005),
    ErrorCode.NOT_FOUND: (400, 10005),
    ErrorCode.FOLDER_NOT_FOUND: (400, 10005),
    ErrorCode.INVALID_QUERY: (400, 10000),
    ErrorCode.DUPLICATE_KEY: (409, 30004),
    ErrorCode.DUPLICATE_NAME: (409, 30004),
    ErrorCode.QUERY_ALREADY_RUNNING: (409, 30002),
}


def slash_optional(
    path: str, endpoint: Callable[[Request], Any], methods: Sequence[str]
) -> list[BaseRoute]:
    """The route with and without a trailing slash.

    Starlette would answer the other form with a redirect, which a POST must not get.
    """
    return [
        Route(path, endpoint, methods=list(methods)),
        Route(f"{path}/", endpoint, methods=list(methods)),
    ]


async def object_body(request: Request) -> dict[str, Any] | Response:
    """The JSON object the request carries, or ``400 10004`` for anything else."""
    try:
        body = await read_json(request)
    except BadJson:
        return rest_error(400, "Invalid Message Format", 10004)
    if not isinstance(body, dict):
        return rest_error(400, "Invalid Message Format: expected a JSON object.", 10004)
    return body


def check_types(
    body: Mapping[str, Any], *, text: Iterable[str] = (), integers: Iterable[str] = ()
) -> Response | None:
    """``400 10001`` naming the first field of the wrong JSON type (``null`` is absent).

    Integer fields also take digit strings, as MCE's .NET deserializer does **[sim]**.
    """
    for name in text:
        value = body.get(name)
        if value is not None and not isinstance(value, str):
            return rest_error(400, f"Invalid value for field '{name}': expected a string.", 10001)
    for name in integers:
        value = body.get(name)
        if value is None or (isinstance(value, int) and not isinstance(value, bool)):
            continue
        if isinstance(value, str) and re.fullmatch(r"\s*-?[0-9]{1,9}\s*", value):
            continue
        return rest_error(400, f"Invalid value for field '{name}': expected an integer.", 10001)
    return None


def store_error(exc: MceValidationError, **extra: Any) -> Response:
    """MCE's error JSON for a store rule (REFERENCE §4.7); unknown codes are 400 10000."""
    status, code = _STATUS.get(exc.code, (400, 10000))
    return rest_error(status, exc.message, code, **extra)


def not_found(kind: str, object_id: str) -> Response:
    """``404 30003`` (Object Not Found): unknown ids and other BUs' objects alike."""
    return rest_error(404, f"{kind} with id {object_id} was not found.", 30003)


class Page:
    """``$page``/``$pageSize`` (or ``page``/``pageSize``, as QSPRO also sends) and ``$filter``."""

    def __init__(self, *, number: int, size: int, where: tuple[str, str] | None) -> None:
        self.number = number
        self.size = size
        self.where = where

    @classmethod
    def parse(cls, request: Request) -> Page | Response:
        params = request.query_params
        values: dict[str, int] = {}
        for name, default in (("page", 1), ("pageSize", MAX_PAGE_SIZE)):
            raw = params.get(f"${name}", params.get(name))
            if raw is None:
                values[name] = default
            elif _DIGITS.fullmatch(raw) and int(raw) > 0:
                values[name] = int(raw)
            else:
                return rest_error(400, f"Invalid value for ${name}: {raw}.", 10005)
        where: tuple[str, str] | None = None
        raw_filter = params.get("$filter")
        if raw_filter is not None:
            match = _FILTER.fullmatch(raw_filter)
            if match is None:
                return rest_error(400, f"Unsupported $filter: {raw_filter}.", 10003)
            value = match.group(3) if match.group(2) is None else match.group(2).replace("''", "'")
            where = (match.group(1).lower(), value)
        return cls(number=values["page"], size=min(values["pageSize"], MAX_PAGE_SIZE), where=where)


def page_of(
    page: Page,
    objects: Sequence[T],
    *,
    properties: Mapping[str, Callable[[T], object]],
    to_json: Callable[[T], dict[str, Any]],
) -> dict[str, Any] | Response:
    """``{count, page, pageSize, items}`` of the filtered objects.

    ``properties`` names what ``$filter`` may compare (lower-cased names); text compares
    ignore case, like SQL Server's default collation **[sim]**. Another property → 400.
    """
    chosen = list(objects)
    if page.where is not None:
        name, value = page.where
        getter = properties.get(name)
        if getter is None:
            return rest_error(400, f"Cannot filter on {name}.", 10003)
        chosen = [o for o in chosen if str(getter(o)).lower() == value.lower()]
    start = (page.number - 1) * page.size
    return {
        "count": len(chosen),
        "page": page.number,
        "pageSize": page.size,
        "items": [to_json(o) for o in chosen[start : start + page.size]],
    }


def iso_server_time(moment: datetime | None) -> str | None:
    """``2022-04-26T16:02:44.01``: milliseconds without trailing zeros, no zone (.NET style)."""
    if moment is None:
        return None
    text = moment.replace(tzinfo=None).isoformat(timespec="milliseconds")
    return text.rstrip("0").rstrip(".")
