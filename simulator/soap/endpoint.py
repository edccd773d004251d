"""``POST /Service.asmx``: MCE's SOAP endpoint.

Order of work for each call, so every failure has MCE's shape and nothing crashes the server:

1. read the body (refused above ``MAX_ENVELOPE_BYTES`` without reading further) and parse it
   (``soap:Client`` fault on any problem);
2. name the call ``soap.<Operation>.<ObjectType>``, count it, apply injected faults
   (``Rate Limited`` / server fault; a connection reset propagates to the app's wrapper);
3. authenticate the ``fueloauth`` header (``q0:Security`` fault ``Token Expired`` /
   ``Login Failed``);
4. run the operation in a worker thread (a large Retrieve page takes tens of milliseconds, which
   should not stall the event loop serving other clients).
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from simulator.errors import InjectedFault, TokenExpired, TokenInvalid
from simulator.soap.context import CallContext
from simulator.soap.envelope import MAX_ENVELOPE_BYTES, SoapClientError, parse_envelope
from simulator.soap.faults import (
    LOGIN_FAILED,
    TOKEN_EXPIRED,
    client_fault,
    security_fault,
    server_fault,
)
from simulator.soap.operations import OPERATIONS
from simulator.soap.permissions import PERMISSION_FAILED, missing_scope
from simulator.soap.serialize import CONTENT_TYPE, envelope

__all__ = ["soap_endpoint", "soap_url"]

logger = logging.getLogger(__name__)


def soap_url(request: Request) -> str:
    """The SOAP endpoint URL as clients see it (``faultactor``, WSDL ``soap:address``)."""
    sim = request.app.state.sim
    base: str = sim.base_url(request)
    return f"{base.rstrip('/')}/Service.asmx"


async def _read_body(request: Request) -> bytes:
    """The request body, refusing to buffer more than the envelope limit."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_ENVELOPE_BYTES:
        raise SoapClientError(
            f"Request envelope is {declared} bytes; the limit is {MAX_ENVELOPE_BYTES} bytes."
        )
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_ENVELOPE_BYTES:
            raise SoapClientError(
                f"Request envelope exceeds the limit of {MAX_ENVELOPE_BYTES} bytes."
            )
        chunks.append(chunk)
    return b"".join(chunks)


async def soap_endpoint(request: Request) -> Response:
    """Answer one SOAP call (see the module docstring for the order of checks)."""
    sim: Any = request.app.state.sim
    actor = soap_url(request)
    try:
        raw = await _read_body(request)
        parsed = parse_envelope(raw, soap_action=request.headers.get("soapaction"))
    except SoapClientError as exc:
        return client_fault(exc.message, actor=actor)
    except ClientDisconnect:
        return Response(status_code=400)

    relates = parsed.message_id
    operation = OPERATIONS.get(parsed.operation)
    try:
        object_type = (
            operation.object_type(sim, parsed.body) if operation is not None else "Unknown"
        )
    except SoapClientError as exc:
        return client_fault(exc.message, actor=actor, relates_to=relates)
    name = f"soap.{parsed.operation}.{object_type}"
    call_mid = sim.auth.mid_of(parsed.token)
    sim.stats.count(name, mid=call_mid)
    try:
        await sim.faults.apply(name, mid=call_mid)
    except InjectedFault as fault:
        if fault.kind == "rate_limit":
            return server_fault("Rate Limited", actor=actor, relates_to=relates)
        if fault.kind == "error":
            return server_fault(
                "An unexpected error occurred. (injected)", actor=actor, relates_to=relates
            )
        raise

    if not parsed.token:
        return security_fault(LOGIN_FAILED, actor=actor, relates_to=relates)
    try:
        token = sim.auth.validate_access_token(parsed.token)
    except TokenExpired:
        return security_fault(TOKEN_EXPIRED, actor=actor, relates_to=relates)
    except TokenInvalid:
        return security_fault(LOGIN_FAILED, actor=actor, relates_to=relates)

    if operation is None:
        return client_fault(
            f"The operation {parsed.operation} is not supported by this simulator.",
            actor=actor,
            relates_to=relates,
        )
    denied = PERMISSION_FAILED if missing_scope(token, parsed.operation, object_type) else None
    ctx = CallContext(sim=sim, token=token, denied=denied)
    try:
        body = await run_in_threadpool(operation.run, ctx, parsed.body)
    except SoapClientError as exc:
        return client_fault(exc.message, actor=actor, relates_to=relates)
    except Exception:
        logger.exception("SOAP %s failed", name)
        return server_fault("An unexpected error occurred.", actor=actor, relates_to=relates)
    return Response(
        envelope(action=operation.response_action, body=body, relates_to=relates),
        media_type=CONTENT_TYPE,
    )
