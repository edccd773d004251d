"""Run use-cases for GraphQL: start, read, list and cancel the viewer's runs in their BU.

A browser session and an API token are the same here: an integration starts a run, follows
it and reads it with the same operations (a READ token may read, not start or cancel: the
schema refuses its mutations first and these use-cases check again). The run records which
token started it. Ids arrive as local ids; an id that is malformed, another user's, another
BU's or another tenant's is NOT_FOUND for a mutation and null for a read, alike.
"""

from __future__ import annotations

from uuid import UUID

from redis.asyncio import Redis

from services.audit import NO_REQUEST, RequestMeta
from services.authn import Authentication
from services.errors import NotFound, PermissionDenied
from services.identity import Principal
from services.job_queue import JobQueue
from services.runs import start as runs
from services.runs.config import RunConfig
from services.runs.start import StartOutcome
from services.runs.store import RUN_NOT_FOUND, RunInfo
from services.snippets.types import Page

__all__ = ["cancel_run", "get_run", "list_runs", "run_node", "start_run"]


def _writer(auth: Authentication) -> Principal:
    principal = auth.require_principal()
    if principal.read_only:
        raise PermissionDenied("This API token is read-only; mutations need READ_WRITE.")
    return principal


def _uuid(local_id: str | None) -> UUID | None:
    try:
        return UUID(local_id or "")
    except ValueError:
        return None


async def run_node(auth: Authentication, local_id: str) -> RunInfo | None:
    """The viewer's run in their BU, or None for any other id."""
    principal = auth.require_principal()
    run_id = _uuid(local_id)
    if run_id is None:
        return None
    try:
        return await runs.get_run(
            principal.tenant_context(), user_id=principal.user_id, run_id=run_id
        )
    except NotFound:
        return None


async def get_run(auth: Authentication, *, run_id: str) -> RunInfo | None:
    return await run_node(auth, run_id)


async def list_runs(auth: Authentication, *, first: int, after: str | None) -> Page[RunInfo]:
    principal = auth.require_principal()
    return await runs.list_runs(
        principal.tenant_context(), user_id=principal.user_id, first=first, after=after
    )


async def start_run(
    auth: Authentication,
    *,
    sql: str | None,
    snippet_id: str | None,
    jobs: JobQueue,
    redis: Redis | None,
    config: RunConfig | None = None,
    meta: RequestMeta = NO_REQUEST,
) -> StartOutcome:
    principal = _writer(auth)
    snippet: UUID | None = None
    if snippet_id is not None:
        snippet = _uuid(snippet_id)
        if snippet is None:
            raise NotFound("No such snippet.", field="snippetId")
    try:
        return await runs.start_run(
            principal.tenant_context(),
            user_id=principal.user_id,
            sql=sql,
            snippet_id=snippet,
            api_token_id=principal.api_token_id,
            jobs=jobs,
            redis=redis,
            config=config,
            meta=meta,
        )
    except NotFound as exc:  # the snippet
        raise NotFound(exc.message, field="snippetId") from None


async def cancel_run(auth: Authentication, *, run_id: str, redis: Redis | None) -> RunInfo:
    principal = _writer(auth)
    parsed = _uuid(run_id)
    if parsed is None:
        raise NotFound(RUN_NOT_FOUND, field="id")
    return await runs.cancel_run(
        principal.tenant_context(), user_id=principal.user_id, run_id=parsed, redis=redis
    )
