"""A run's rows over GraphQL: the ``runResults`` subscription and the page type ``Run.page``
answers with.

A page is one JSON value holding the rows as arrays in column order, not a GraphQL object per
row: strawberry moves about 262,000 rows a second that way (issue 14), several times what it
does with an object per row. Values are encoded as docs/api.md ("Run results") says.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any, cast
from uuid import UUID

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from resolvers import run_results as resolve
from schema.context import GraphQLContext
from schema.global_ids import decode_global_id
from services.metadata.preview import MceAccess, MceCallFailed
from services.runs.results import ResultPage

__all__ = ["RUN_TYPE", "RunResultPage", "RunResultsSubscription", "resolve_run_page", "run_uuid"]

#: The global-id type name of a run (schema/runs.py's ``Run`` node).
RUN_TYPE = "Run"


def run_uuid(run_id: str) -> UUID | None:
    """The run a global id names, or None for any other id (answered as not found)."""
    decoded = decode_global_id(run_id)
    if decoded is None or decoded[0] != RUN_TYPE:
        return None
    try:
        return UUID(decoded[1])
    except ValueError:
        return None


@strawberry.type(
    description="Rows of a run's result. `rows` is one JSON array of rows, each an array with"
    " a value per column in `Run.columns` order: Number as a number (a string beyond 2^53),"
    " Decimal as a string (exact), Boolean as a boolean, Date as an ISO 8601 string (with"
    " -06:00 for dates Marketing Cloud generated, without a zone for dates as stored), text as"
    " a string, null for empty."
)
class RunResultPage:
    offset: int = strawberry.field(description="The 0-based position of the first row.")
    rows: JSON
    total: int = strawberry.field(description="Rows in the whole result.")
    last: bool = strawberry.field(description="No row follows this page.")

    @classmethod
    def from_domain(cls, page: ResultPage) -> RunResultPage:
        return cls(offset=page.offset, rows=cast(Any, page.rows), total=page.total, last=page.last)


def _access(info: Info[GraphQLContext, None]) -> MceAccess:
    """The process's way to MCE (app/wiring.py's HTTP pool, token provider and policy)."""
    if info.context.mce is None:
        raise MceCallFailed("Marketing Cloud cannot be reached from this process.")
    return info.context.mce


async def resolve_run_page(
    info: Info[GraphQLContext, None], *, run_id: UUID, offset: int, limit: int
) -> RunResultPage:
    """``Run.page(offset, limit)`` (schema/runs.py calls this with the run's own id)."""
    page = await resolve.run_page(
        info.context.authentication,
        run_id=run_id,
        offset=offset,
        limit=limit,
        access=_access(info),
    )
    return RunResultPage.from_domain(page)


@strawberry.type
class RunResultsSubscription:
    @strawberry.subscription(
        description="A complete run's rows, page after page, from row `after` (how many rows"
        " you already have: resume with the next page's offset) to the last page (`last`)."
        " Pages are read from Marketing Cloud as fast as you take them. Answers EXPIRED once"
        " the results are no longer kept, RUN_NOT_COMPLETE before the run is COMPLETE."
    )
    async def run_results(
        self,
        info: Info[GraphQLContext, None],
        run_id: strawberry.ID,
        after: int | None = None,
        page_size: int | None = None,
    ) -> AsyncGenerator[RunResultPage, None]:
        pages = resolve.run_results(
            info.context.authentication,
            run_id=run_uuid(str(run_id)),
            after=after,
            page_size=page_size,
            access=_access(info),
        )
        async for page in pages:
            yield RunResultPage.from_domain(page)
