"""Authentication and scope checks shared by the REST routes."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from simulator.auth import TokenInfo
from simulator.auth_routes import token_info_or_401
from simulator.responses import enter, rest_error

__all__ = ["rest_entry"]


async def rest_entry(request: Request, operation: str, scope: str | None) -> TokenInfo | Response:
    """Count, apply faults, authenticate (401) and check ``scope`` (403).

    Returns the token's :class:`TokenInfo` or the error response to send.
    """
    if (early := await enter(request, operation)) is not None:
        return early
    info = token_info_or_401(request)
    if isinstance(info, Response):
        return info
    assert isinstance(info, TokenInfo)
    if scope is not None and not info.has_scope(scope):
        return rest_error(403, "Insufficient privileges to complete this action.", 20002)
    return info
