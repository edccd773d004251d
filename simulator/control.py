"""The control API under ``/__sim/``: how tests and developers steer the simulator.

Mounted only when the simulator runs with control on (``--control``); otherwise every
``/__sim/`` path is a plain 404. Calls here are not MCE calls: they are not counted
in the stats and faults never apply to them. Bodies are JSON; bad input answers
``400 {"error": "..."}``. Endpoints are listed in docs/simulator.md.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from simulator import control_tasks
from simulator.auth_legacy import LEGACY_JWT_VARIANTS, mint_legacy_jwt
from simulator.faults import FAULT_KINDS, FaultRule
from simulator.responses import BadJson, read_json, sim_of

__all__ = ["routes"]


def routes() -> list[BaseRoute]:
    return [
        Route("/__sim/describe", describe, methods=["GET"]),
        Route("/__sim/stats", stats, methods=["GET"]),
        Route("/__sim/stats", reset_stats, methods=["DELETE"]),
        Route("/__sim/stats/reset", reset_stats, methods=["POST"]),
        Route("/__sim/faults", list_faults, methods=["GET"]),
        Route("/__sim/faults", add_fault, methods=["POST"]),
        Route("/__sim/faults", clear_faults, methods=["DELETE"]),
        Route("/__sim/latency", set_latency, methods=["POST"]),
        Route("/__sim/tokens/expire", expire_tokens, methods=["POST"]),
        Route("/__sim/tokens/revoke", revoke_tokens, methods=["POST"]),
        Route("/__sim/refresh-grace", refresh_grace, methods=["POST"]),
        Route("/__sim/redirect-uris", redirect_uris, methods=["GET", "POST"]),
        Route("/__sim/legacy-jwt", legacy_jwt, methods=["POST"]),
        Route("/__sim/clock/advance", advance_clock, methods=["POST"]),
        Route("/__sim/reset", reset, methods=["POST"]),
        *control_tasks.routes(),
    ]


class _Invalid(ValueError):
    pass


def _bad(message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=400)


async def _body(request: Request) -> dict[str, Any]:
    if not (await request.body()).strip():
        return {}
    try:
        body = await read_json(request)
    except BadJson:
        raise _Invalid("The body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise _Invalid("The body must be a JSON object.")
    return body


#: Upper bounds on control inputs, so no value can overflow a date or sleep for ever:
#: the clock moves at most ~100 years per call, delays are at most 10 minutes.
_MAX_SECONDS = 100 * 365 * 24 * 3600
_MAX_DELAY_MS = 600_000


def _number(
    body: dict[str, Any], name: str, *, required: bool = True, maximum: float = _MAX_SECONDS
) -> float | None:
    value = body.get(name)
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= maximum:
        raise _Invalid(f"{name} must be a number between 0 and {maximum:g}.")
    return float(value)


def _optional_int(
    body: dict[str, Any], name: str, *, minimum: int | None = None, maximum: int | None = None
) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Invalid(f"{name} must be an integer.")
    if minimum is not None and value < minimum:
        raise _Invalid(f"{name} must be at least {minimum}.")
    if maximum is not None and value > maximum:
        raise _Invalid(f"{name} must be at most {maximum}.")
    return value


async def describe(request: Request) -> Response:
    sim = sim_of(request)
    return JSONResponse(sim.describe(sim.base_url(request)))


async def stats(request: Request) -> Response:
    sim = sim_of(request)
    return JSONResponse(
        {
            "operations": sim.stats.snapshot(),
            "total": sim.stats.total(),
            "by_mid": sim.stats.by_mid(),
        }
    )


async def reset_stats(request: Request) -> Response:
    sim_of(request).stats.reset()
    return JSONResponse({"operations": {}, "total": 0, "by_mid": {}})


async def list_faults(request: Request) -> Response:
    faults = sim_of(request).faults
    return JSONResponse(
        {"rules": [r.as_dict() for r in faults.rules()], "latency": faults.latency()}
    )


async def add_fault(request: Request) -> Response:
    try:
        body = await _body(request)
        operation = body.get("operation")
        kind = body.get("kind")
        if not isinstance(operation, str) or not operation:
            raise _Invalid("operation is required (an fnmatch pattern, e.g. rest.*).")
        if kind not in FAULT_KINDS:
            raise _Invalid(f"kind must be one of {', '.join(FAULT_KINDS)}.")
        rate = _number(body, "rate", required=False)
        rule = FaultRule(
            operation=operation,
            kind=kind,
            rate=1.0 if rate is None else rate,
            times=_optional_int(body, "times", minimum=1),
            status=_optional_int(body, "status", minimum=400, maximum=599) or 500,
            retry_after=_optional_int(body, "retry_after", minimum=0, maximum=_MAX_SECONDS) or 5,
            delay_ms=_optional_int(body, "delay_ms", minimum=0, maximum=_MAX_DELAY_MS) or 0,
            mid=_optional_int(body, "mid", minimum=1),
        )
        sim_of(request).faults.add_rule(rule)
    except (_Invalid, ValueError) as exc:
        return _bad(str(exc))
    return JSONResponse(rule.as_dict(), status_code=201)


async def clear_faults(request: Request) -> Response:
    sim_of(request).faults.clear()
    return JSONResponse({"rules": []})


async def set_latency(request: Request) -> Response:
    try:
        body = await _body(request)
        ms = _number(body, "ms", maximum=_MAX_DELAY_MS)
        operation = body.get("operation")
        if operation is not None and not isinstance(operation, str):
            raise _Invalid("operation must be a string.")
    except _Invalid as exc:
        return _bad(str(exc))
    faults = sim_of(request).faults
    faults.set_latency(int(ms or 0), operation)
    return JSONResponse({"latency": faults.latency()})


async def expire_tokens(request: Request) -> Response:
    try:
        body = await _body(request)
        user_id = _optional_int(body, "user_id")
    except _Invalid as exc:
        return _bad(str(exc))
    count = sim_of(request).auth.expire_access_tokens(
        token=body.get("access_token"), user_id=user_id
    )
    return JSONResponse({"expired": count})


async def revoke_tokens(request: Request) -> Response:
    try:
        body = await _body(request)
        user_id = _optional_int(body, "user_id")
    except _Invalid as exc:
        return _bad(str(exc))
    count = sim_of(request).auth.revoke_refresh_tokens(
        token=body.get("refresh_token"), user_id=user_id
    )
    return JSONResponse({"revoked": count})


async def refresh_grace(request: Request) -> Response:
    try:
        seconds = _number(await _body(request), "seconds")
    except _Invalid as exc:
        return _bad(str(exc))
    sim = sim_of(request)
    sim.auth.refresh_grace_seconds = seconds or 0.0
    return JSONResponse({"seconds": sim.auth.refresh_grace_seconds})


async def redirect_uris(request: Request) -> Response:
    package = sim_of(request).enhanced_package
    if request.method == "POST":
        try:
            uri = (await _body(request)).get("uri")
            if not isinstance(uri, str) or not uri.startswith(("http://", "https://")):
                raise _Invalid("uri must be an http(s) URL.")
        except _Invalid as exc:
            return _bad(str(exc))
        if uri not in package.redirect_uris:
            package.redirect_uris.append(uri)
    return JSONResponse({"redirect_uris": list(package.redirect_uris)})


async def legacy_jwt(request: Request) -> Response:
    sim = sim_of(request)
    try:
        body = await _body(request)
        ident = body.get("user")
        user = (
            sim.store.find_user(str(ident))
            if ident is not None
            else next(iter(sim.store.users.values()))
        )
        if user is None:
            raise _Invalid(f"Unknown user {ident}.")
        mid = _optional_int(body, "mid") or user.default_mid
        if mid not in sim.store.reachable_mids(user):
            raise _Invalid(f"User {user.username} cannot reach BU {mid}.")
        variant = str(body.get("variant", "v2"))
        if variant not in LEGACY_JWT_VARIANTS:
            raise _Invalid(f"variant must be one of {', '.join(LEGACY_JWT_VARIANTS)}.")
    except _Invalid as exc:
        return _bad(str(exc))
    token, claims = mint_legacy_jwt(
        sim, user=user, mid=mid, base_url=sim.base_url(request), variant=variant
    )
    return JSONResponse(
        {
            "jwt": token,
            "claims": claims,
            "login_url": sim.legacy_package.login_url,
            "form_field": "jwt",
        }
    )


async def advance_clock(request: Request) -> Response:
    try:
        seconds = _number(await _body(request), "seconds")
    except _Invalid as exc:
        return _bad(str(exc))
    sim = sim_of(request)
    sim.clock.advance(seconds or 0.0)
    return JSONResponse({"now": sim.clock.time()})


async def reset(request: Request) -> Response:
    sim = sim_of(request)
    sim.reset()
    if hasattr(request.app.state, "rowset_tokens"):
        del request.app.state.rowset_tokens
    return JSONResponse({"reset": True})
