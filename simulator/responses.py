"""Wire shapes shared by the auth, REST and control routes, and the per-call guard.

MCE's REST error body is ``{"message", "errorcode", "documentation"}`` (REFERENCE §4.7);
the auth server answers OAuth-style ``{"error", "error_description", "error_uri"}``.
"""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from simulator.errors import InjectedFault
from simulator.state import Simulator

__all__ = [
    "DOCUMENTATION_URL",
    "enter",
    "fault_response",
    "parse_json",
    "read_json",
    "rest_error",
    "sim_of",
]

DOCUMENTATION_URL = (
    "https://developer.salesforce.com/docs/atlas.en-us.mc-apis.meta/mc-apis/error-handling.htm"
)


def sim_of(request: Request) -> Simulator:
    sim: Simulator = request.app.state.sim
    return sim


def rest_error(
    status: int,
    message: str,
    errorcode: int,
    *,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body: dict[str, Any] = {
        "message": message,
        "errorcode": errorcode,
        "documentation": DOCUMENTATION_URL,
    }
    body.update(extra)
    return JSONResponse(body, status_code=status, headers=headers)


#: Injected ``error`` faults by status: the bodies REFERENCE §4.7 documents. Any other
#: status answers ``{"message": <HTTP reason>, "errorcode": 0}`` **[sim]**.
_ERROR_BODIES: dict[int, tuple[str, int]] = {
    401: ("Not Authorized", 0),
    403: ("Insufficient privileges to complete this action.", 20002),
    429: ("Your requests are temporarily blocked.", 50200),
    500: ("Internal Server Error", 0),
    503: ("Service Unavailable", 50300),
}


def fault_response(fault: InjectedFault) -> Response:
    """The REST/auth answer to an injected ``error`` or ``rate_limit`` fault.

    ``rate_limit`` is the 429 with ``Retry-After`` and errorcode 50100; an ``error`` with
    status 429 is the other documented 429, the concurrency block (50200, no
    ``Retry-After``); 503 carries ``Retry-After`` and 50300.
    """
    if fault.kind == "rate_limit":
        return rest_error(
            429,
            "Rate limit exceeded",
            50100,
            headers={"Retry-After": str(fault.retry_after)},
            retryAfter=fault.retry_after,
        )
    message, code = _ERROR_BODIES.get(fault.status, (_reason(fault.status), 0))
    headers = {"Retry-After": str(fault.retry_after)} if fault.status == 503 else None
    return rest_error(fault.status, message, code, headers=headers)


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Internal Server Error" if status >= 500 else "Bad Request"


def _token_mid(sim: Any, request: Request) -> int | None:
    """The BU of the call's bearer token, if it carries one we issued (per-BU stats and
    fault rules [sim]); auth calls and unknown tokens have none."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    mid: int | None = sim.auth.mid_of(token)
    return mid


async def enter(request: Request, operation: str) -> Response | None:
    """Count the call and apply faults; a response to return instead, or ``None``.

    ``reset`` faults propagate: the ASGI middleware drops the connection.
    """
    sim = sim_of(request)
    call_mid = _token_mid(sim, request)
    sim.stats.count(operation, mid=call_mid)
    try:
        await sim.faults.apply(operation, mid=call_mid)
    except InjectedFault as fault:
        if fault.kind == "reset":
            raise
        return fault_response(fault)
    return None


class BadJson(ValueError):
    """The body is not the JSON the endpoint expects."""


def _reject_constant(name: str) -> Any:
    raise BadJson(f"{name} is not valid JSON.")


def parse_json(raw: bytes) -> Any:
    """Parse strict JSON; raises :class:`BadJson` for anything a JSON answer cannot echo.

    Python's parser is laxer than JSON: it takes ``NaN``/``Infinity``, lone surrogate
    escapes (``"\\ud800"``, which cannot be encoded back to UTF-8), and it fails with
    ``ValueError``/``RecursionError`` (not ``JSONDecodeError``) on integers over 4,300
    digits or very deep nesting. All of those are refused here, so no handler has to
    guard against them.
    """
    try:
        value = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except BadJson:
        raise
    except (ValueError, RecursionError, UnicodeError) as exc:
        raise BadJson(str(exc)) from None
    return value


async def read_json(request: Request) -> Any:
    """Parse a JSON body; raises :class:`BadJson` on bad bytes or syntax (see ``parse_json``)."""
    return parse_json(await request.body())
