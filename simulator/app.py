"""The ASGI app: auth, REST, SOAP and the control API on one origin.

Two things happen here, outside Starlette's routing, in a tiny ASGI middleware:

* SOAP paths are matched case-insensitively (clients post to ``service.asmx`` and
  ``Service.asmx``; IIS accepts both);
* due query runs (simulated time) are brought up to date before each request;
* an :class:`InjectedFault` of kind ``reset`` drops the TCP connection without any
  response, and so does a ``lose_answer`` rule once the call has done its work (when its
  answer would start). Under uvicorn the request's transport is reached through ``receive``
  (a bound method of uvicorn's request cycle) and aborted, so the client sees a
  transport error (``RemoteProtocolError``/``ReadError``), as with a real reset. With
  no socket (in-process ``httpx.ASGITransport``), :class:`SimulatedConnectionReset`
  is raised instead; it subclasses ``httpx.RemoteProtocolError`` so in-process clients
  see the same exception family.
"""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from simulator import auth_routes, control, rest
from simulator.errors import InjectedFault
from simulator.faults import ANSWER_LOST
from simulator.responses import rest_error
from simulator.state import Simulator

__all__ = ["SimulatedConnectionReset", "create_app"]

_CANONICAL_PATHS = {"/service.asmx": "/service.asmx", "/etframework.wsdl": "/etframework.wsdl"}


class SimulatedConnectionReset(httpx.RemoteProtocolError):
    """An injected connection reset where no real socket exists to abort."""


def _transport_of(receive: Receive) -> Any:
    """uvicorn's transport for this request (asyncio's or uvloop's), if reachable."""
    owner = getattr(receive, "__self__", None)
    transport = getattr(owner, "transport", None)
    return transport if callable(getattr(transport, "abort", None)) else None


class _WireMiddleware:
    """Case-insensitive SOAP paths and real connection resets (see module docstring)."""

    def __init__(self, app: ASGIApp, sim: Simulator) -> None:
        self.app = app
        self.sim = sim

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        canonical = _CANONICAL_PATHS.get(scope["path"].lower())
        if canonical is not None:
            scope = dict(scope, path=canonical, raw_path=canonical.encode())
        if self.sim.has_due_work():
            # Simulated time moves only when someone looks: finish due runs first, off the
            # event loop (a large query takes seconds in DuckDB).
            await asyncio.to_thread(self.sim.tick)
        ANSWER_LOST.set(False)

        async def send_unless_lost(message: Message) -> None:
            if message["type"] == "http.response.start" and ANSWER_LOST.get():
                raise InjectedFault("reset", scope["path"])
            await send(message)

        try:
            await self.app(scope, receive, send_unless_lost)
        except InjectedFault as fault:
            if fault.kind != "reset":
                raise
            transport = _transport_of(receive)
            if transport is None:
                raise SimulatedConnectionReset(f"connection reset ({fault.operation})") from None
            transport.abort()
            await asyncio.sleep(0)  # let uvicorn see connection_lost before we return


def _soap_handler(name: str) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        try:
            module = importlib.import_module("simulator.soap")
            handler = getattr(module, name)
        except (ImportError, AttributeError):
            return PlainTextResponse("SOAP is not implemented yet.", status_code=501)
        response: Response = await handler(request)
        return response

    return endpoint


async def _not_found(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 404
    if status == 405:
        return rest_error(405, "Method Not Allowed", 0)
    return rest_error(404, "Not Found", 404)


async def _server_error(request: Request, exc: Exception) -> Response:
    return rest_error(500, "Internal Server Error", 0)


def create_app(sim: Simulator) -> Starlette:
    """The simulator's ASGI app; ``app.state.sim`` is ``sim``."""
    routes: list[BaseRoute] = [
        Route("/service.asmx", _soap_handler("soap_endpoint"), methods=["POST"]),
        Route("/etframework.wsdl", _soap_handler("wsdl_endpoint"), methods=["GET"]),
        *auth_routes.routes(),
        *rest.routes(),
    ]
    if sim.config.control:
        routes.extend(control.routes())
    handlers: dict[Any, Any] = {404: _not_found, 405: _not_found, Exception: _server_error}
    app = Starlette(
        routes=routes,
        middleware=[Middleware(_WireMiddleware, sim=sim)],
        exception_handlers=handlers,
    )
    app.state.sim = sim
    return app
