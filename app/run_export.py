"""``GET /api/runs/{id}/export.csv``: a run's whole result as an RFC 4180 CSV download.

The one REST exception to GraphQL (docs/api.md): a browser downloads a file from a link, and a
GraphQL response cannot be one. Authenticated like ``/api/graphql`` (the session cookie or an
``Authorization: Bearer`` API token), read-only, and sent without CORS headers so no other
site can read it. ``{id}`` is the run's GraphQL id (or its UUID). The body is streamed page by
page as MCE answers (constant memory whatever the result's size); the file is named after the
snippet the run came from, else the run. MCE's first page is read before the answer starts,
so every refusal up to it is JSON with the public code (404 for a run that is not the
viewer's, 409 before COMPLETE, 410 EXPIRED, also when MCE no longer holds the rows, 502 when
MCE cannot answer); a failure once streaming has begun can only cut the download short, and
is logged.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote
from uuid import UUID

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from app.authn import auth_error_response, client_ip
from app.cookies import SESSION_COOKIE, read_cookie_values
from client.errors import MceError
from resolvers.run_results import open_run_results
from schema.run_results import run_uuid
from services.authn import Authentication, Authenticator, InvalidCredentials
from services.errors import NotAuthenticated, NotFound, PermissionDenied, QuarryError
from services.metadata.preview import MceAccess, MceCallFailed
from services.rate_limits import RateLimiter, RateLimitExceeded
from services.runs.reading import (
    ResultsExpired,
    ResultsNotReady,
    export_filename,
    public_error,
)
from services.runs.results import csv_chunks
from services.snippets import get_snippet

__all__ = ["export_response", "run_export_routes"]

log = logging.getLogger("quarry.app.export")

#: Characters no file name should carry (path separators, controls, quotes, reserved ones).
_UNSAFE_IN_NAME = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')

_STATUS: tuple[tuple[type[QuarryError], int], ...] = (
    (NotAuthenticated, 401),
    (NotFound, 404),
    (PermissionDenied, 403),
    (ResultsNotReady, 409),
    (ResultsExpired, 410),
    (MceCallFailed, 502),
)


def parse_run_id(text: str) -> UUID | None:
    """The run's GraphQL id or its UUID; None for anything else (answered 404)."""
    found = run_uuid(text)
    if found is not None:
        return found
    try:
        return UUID(text)
    except ValueError:
        return None


async def _snippet_title(auth: Authentication, snippet_id: UUID | None) -> str | None:
    principal = auth.principal
    if snippet_id is None or principal is None:
        return None
    try:
        snippet = await get_snippet(
            principal.tenant_context(), owner_id=principal.user_id, snippet_id=snippet_id
        )
    except NotFound:
        return None  # deleted since: the run's own name does
    return snippet.title


async def export_response(
    auth: Authentication, *, run_id: UUID | None, access: MceAccess, scope: Any
) -> Response:
    """The CSV download of the viewer's run, or the JSON refusal saying why not."""
    try:
        opened = await open_run_results(auth, run_id=run_id, access=access)
        title = await _snippet_title(auth, opened.run.snippet_id)
    except QuarryError as exc:
        status = next((code for kind, code in _STATUS if isinstance(exc, kind)), 400)
        return auth_error_response(exc, status=status, scope=scope)
    filename = export_filename(opened.run, snippet_title=title)
    disposition = f'attachment; filename="{filename}"'
    if title and title.strip() and not title.isascii():
        # RFC 6266/5987: browsers that can use the title as written (accents, other scripts).
        readable = _UNSAFE_IN_NAME.sub("_", title.strip())[:80]
        disposition += f"; filename*=UTF-8''{quote(readable + '.csv', safe='')}"

    chunks = csv_chunks(opened.reader)
    try:  # MCE's first page is read before answering: its refusal is still a JSON answer
        first = await anext(chunks)
    except (MceError, QuarryError) as exc:
        await chunks.aclose()
        error = public_error(exc) if isinstance(exc, MceError) else exc
        status = next((code for kind, code in _STATUS if isinstance(error, kind)), 400)
        return auth_error_response(error, status=status, scope=scope)

    async def body() -> AsyncIterator[bytes]:
        try:
            yield first
            async for chunk in chunks:
                yield chunk
        except Exception:
            log.exception("CSV export of a run failed while streaming")
            raise
        finally:
            await chunks.aclose()

    return StreamingResponse(
        body(),
        media_type="text/csv; charset=utf-8; header=present",
        headers={
            "content-disposition": disposition,
            "cache-control": "no-store",
        },
    )


def _access(request: Request) -> MceAccess | None:
    state = request.app.state
    auth = getattr(state, "mce_auth", None)
    tokens = getattr(state, "tokens", None)
    if auth is None or tokens is None:
        return None
    return MceAccess(http=auth.http, tokens=tokens, policy=auth.policy)


async def export_run_csv(request: Request) -> Response:
    limiter: RateLimiter = request.app.state.rate_limits
    authenticator: Authenticator = request.app.state.authenticator
    ip = client_ip(request.scope)
    try:
        await limiter.hit("graphql", f"ip:{ip}")
        auth = await authenticator.authenticate(
            authorization=request.headers.getlist("authorization"),
            session_ids=read_cookie_values(request.headers.get("cookie"), SESSION_COOKIE),
            ip=ip,
        )
    except InvalidCredentials as exc:
        return auth_error_response(
            exc,
            status=401,
            scope=request.scope,
            headers={"www-authenticate": 'Bearer error="invalid_token"'},
        )
    except RateLimitExceeded as exc:
        return auth_error_response(exc, status=429, scope=request.scope)
    if auth.principal is None:
        return auth_error_response(
            NotAuthenticated("Sign in, or send an API token, to export a run."),
            status=401,
            scope=request.scope,
        )
    access = _access(request)
    if access is None:
        return auth_error_response(
            MceCallFailed("Marketing Cloud cannot be reached from this process."),
            status=503,
            scope=request.scope,
        )
    run_id = parse_run_id(str(request.path_params["run_id"]))
    return await export_response(auth, run_id=run_id, access=access, scope=request.scope)


def run_export_routes() -> list[Route]:
    return [Route("/api/runs/{run_id}/export.csv", export_run_csv, methods=["GET"])]
