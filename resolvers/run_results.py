"""Reading a run's rows over GraphQL and REST: ``Run.page``, ``runResults`` and the CSV export.

Each resolver acts for the authenticated viewer (a session or an API token) in the viewer's
BU; the run must be theirs (another user's, BU's or tenant's run id answers not-found, like a
junk id, which the schema passes as None). Arguments are checked here so that a client gets
a message naming the argument.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from uuid import UUID

from client.errors import MceError
from services.authn import Authentication
from services.errors import InvalidInput, NotFound
from services.metadata.preview import MceAccess
from services.runs.reading import (
    RUN_NOT_FOUND,
    OpenResults,
    open_results,
    public_error,
    stream_pages,
)
from services.runs.results import MAX_LIMIT, ResultPage

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "open_run_results",
    "run_page",
    "run_results",
]

#: Rows per page of ``runResults`` when the client does not say.
DEFAULT_PAGE_SIZE = 1000


async def open_run_results(
    auth: Authentication, *, run_id: UUID | None, access: MceAccess
) -> OpenResults:
    """The viewer's readable run ``run_id`` (None: an id that names no run)."""
    principal = auth.require_principal()
    if run_id is None:
        raise NotFound(RUN_NOT_FOUND, field="id")
    return await open_results(principal.tenant_context(), run_id=run_id, access=access)


async def run_page(
    auth: Authentication, *, run_id: UUID | None, offset: int, limit: int, access: MceAccess
) -> ResultPage:
    """Rows ``offset`` .. ``offset + limit`` of the viewer's run (random access)."""
    if offset < 0:
        raise InvalidInput("'offset' must be 0 or more.", field="offset")
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"'limit' must be between 1 and {MAX_LIMIT}.", field="limit")
    opened = await open_run_results(auth, run_id=run_id, access=access)
    try:
        return await opened.reader.page(offset=offset, limit=limit)
    except MceError as exc:
        raise public_error(exc) from None


async def run_results(
    auth: Authentication,
    *,
    run_id: UUID | None,
    after: int | None,
    page_size: int | None,
    access: MceAccess,
) -> AsyncIterator[ResultPage]:
    """The viewer's run's pages from row ``after`` (the rows the client already has) to the
    last; read from MCE only as fast as the client takes them."""
    start = 0 if after is None else after
    size = DEFAULT_PAGE_SIZE if page_size is None else page_size
    if start < 0:
        raise InvalidInput("'after' must be 0 or more.", field="after")
    if not 1 <= size <= MAX_LIMIT:
        raise InvalidInput(f"'pageSize' must be between 1 and {MAX_LIMIT}.", field="pageSize")
    opened = await open_run_results(auth, run_id=run_id, access=access)
    async for page in stream_pages(opened.reader, after=start, page_size=size):
        yield page
