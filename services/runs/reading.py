"""Opening a run's results for its user: the checks before any row is read from MCE.

A run's rows can be read only by its user (another user's run id answers not-found, like an
unknown one), only once it is COMPLETE, and only while they are still readable: within the
results window after completion (``expires_at``), while the run is among the user's newest
readable results (at most ``max_readable`` of them), and while the shell DE is still leased to
it. A shell that went back to the pool may be overwritten by the next run at any moment, so a
run whose lease has ended reads as EXPIRED rather than showing a partial result. Expired
results answer ``EXPIRED`` with how to get the rows again (run the SQL again).

The reader acts as the run's user in the run's BU (their token; MCE checks their rights), and
MCE's failures become public errors whose messages say what to do.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from client.errors import AccessDenied, MceError, ReauthRequired
from client.errors import NotFound as MceNotFound
from client.errors import PermissionDenied as McePermissionDenied
from models import TenantContext, TenantRepository
from models.runs import ACTIVE_RUN_STATUSES, AssetState, MceAsset, Run, RunStatus
from services.errors import NotFound, PermissionDenied, QuarryError
from services.metadata.preview import MceAccess, MceCallFailed, viewer_bridge
from services.runs.results import (
    DEFAULT_PREFETCH,
    ResultColumn,
    ResultPage,
    ResultReader,
    ResultSource,
)
from services.runs.store import record_row_count

__all__ = [
    "DEFAULT_MAX_READABLE_PER_USER",
    "RUN_NOT_FOUND",
    "OpenResults",
    "ResultsExpired",
    "ResultsNotReady",
    "export_filename",
    "open_results",
    "public_error",
    "result_source",
    "stream_pages",
]

log = logging.getLogger("quarry.runs")

#: How long after a run is seen complete its rows may still be invisible (REFERENCE: the
#: rowset can answer 404 a moment after the status says Complete); a read waits that long.
ROWS_VISIBLE_WITHIN_SECONDS = 10.0

#: How many complete runs' results a user keeps readable (the newest ones).
DEFAULT_MAX_READABLE_PER_USER = 20

RUN_NOT_FOUND = "No such run."

EXPIRED_MESSAGE = (
    "This run's results are no longer kept (Quarry keeps the rows of a user's recent runs "
    "for a limited time). Run the SQL again to see them."
)

_NEWER_READABLE_SQL = (
    "SELECT count(*) AS newer FROM runs WHERE user_id = $1 AND status = 'COMPLETE'"
    " AND id <> $2 AND COALESCE(finished_at, created_at) > $3"
)


class ResultsExpired(QuarryError):
    """The run's rows are no longer readable; running the SQL again gets them back."""

    code = "EXPIRED"


class ResultsNotReady(QuarryError):
    """The run has no rows to read: still running, failed or canceled."""

    code = "RUN_NOT_COMPLETE"


@dataclass(frozen=True)
class OpenResults:
    """A readable run and the reader of its rows."""

    run: Run
    reader: ResultReader


def result_columns(stored: object, *, helpers: set[str]) -> tuple[ResultColumn, ...]:
    """The user's output columns from ``runs.columns`` (a JSON list of ``{name, type, scale,
    ...}``, ``system_generated: true`` for a Date MCE wrote in its system time); helper
    columns are skipped if they were ever stored."""
    columns: list[ResultColumn] = []
    for item in stored if isinstance(stored, list) else ():
        if not isinstance(item, Mapping) or not isinstance(item.get("name"), str):
            continue
        name = item["name"]
        if name.casefold() in helpers:
            continue
        scale = item.get("scale")
        columns.append(
            ResultColumn.parse_type(
                name,
                item.get("type") if isinstance(item.get("type"), str) else None,
                scale=scale if isinstance(scale, int) and not isinstance(scale, bool) else None,
                system_generated=item.get("system_generated") is True,
            )
        )
    return tuple(columns)


def result_source(run: Run, *, shell_key: str) -> ResultSource:
    """Where ``run``'s rows are, from what the run recorded (helper columns never listed)."""
    helpers = {run.marker_column.casefold(), (run.order_column or "").casefold()}
    return ResultSource(
        key=shell_key,
        columns=result_columns(run.columns, helpers=helpers),
        marker_column=run.marker_column,
        marker=run.marker,
        order_column=run.order_column,
    )


def public_error(error: MceError) -> QuarryError:
    """MCE's failure while reading results, as a message that says what to do."""
    if isinstance(error, ReauthRequired):
        return MceCallFailed(
            "Marketing Cloud needs you to sign in again before Quarry can read these results.",
            code="NEEDS_SIGN_IN",
        )
    if isinstance(error, AccessDenied | McePermissionDenied):
        return PermissionDenied("Marketing Cloud does not let you read this run's results.")
    if isinstance(error, MceNotFound):
        return ResultsExpired(EXPIRED_MESSAGE)
    return MceCallFailed(f"Marketing Cloud could not answer: {error.message}")


async def _check_readable(
    repo: TenantRepository, run: Run, *, now: datetime, max_readable: int
) -> str:
    """The shell DE's CustomerKey when ``run``'s rows may be read; raises otherwise."""
    if run.status in ACTIVE_RUN_STATUSES:
        raise ResultsNotReady(
            "The run has not finished yet: its rows can be read once it is COMPLETE "
            "(follow runEvents to know when)."
        )
    if run.status in (RunStatus.FAILED, RunStatus.CANCELED):
        raise ResultsNotReady(f"The run is {run.status.value} and has no rows to read.")
    if run.status is RunStatus.EXPIRED:
        raise ResultsExpired(EXPIRED_MESSAGE)
    if run.expires_at is not None and run.expires_at <= now:
        raise ResultsExpired(EXPIRED_MESSAGE)
    finished = run.finished_at or run.created_at
    newer = await repo.fetch(_NEWER_READABLE_SQL, [run.user_id, run.id, finished])
    if newer and int(newer[0]["newer"]) >= max_readable:
        raise ResultsExpired(EXPIRED_MESSAGE)
    shell = None
    if run.shell_de_id is not None:
        shell = await repo.of(MceAsset).get_or_none(id=run.shell_de_id)
    if shell is None or shell.state is not AssetState.LEASED or shell.lease_run_id != run.id:
        raise ResultsExpired(EXPIRED_MESSAGE)
    return shell.customer_key


async def open_results(
    ctx: TenantContext,
    *,
    run_id: UUID,
    access: MceAccess,
    prefetch: int = DEFAULT_PREFETCH,
    max_readable: int = DEFAULT_MAX_READABLE_PER_USER,
    now: datetime | None = None,
) -> OpenResults:
    """The viewer's run ``run_id`` in the viewer's BU, checked readable, with its reader.

    Raises NotFound (not the viewer's run, or no such run), ResultsNotReady, ResultsExpired.
    """
    if ctx.user_id is None or ctx.mid is None:
        raise NotFound(RUN_NOT_FOUND, field="id")
    repo = TenantRepository(ctx)
    async with repo.transaction():
        run = await repo.of(Run).get_or_none(id=run_id, user_id=ctx.user_id)
        if run is None:
            raise NotFound(RUN_NOT_FOUND, field="id")
        shell_key = await _check_readable(
            repo, run, now=now or datetime.now(UTC), max_readable=max_readable
        )
    bridge = await viewer_bridge(ctx, access=access)
    reader = ResultReader(
        rest=bridge.rest,
        source=result_source(run, shell_key=shell_key),
        prefetch=prefetch,
        visible_until=_visible_until(run),
        on_count=None if run.row_count is not None else functools.partial(_count, repo, run),
    )
    return OpenResults(run=run, reader=reader)


def _visible_until(run: Run) -> float | None:
    """Until when a 404 may only mean the rows are not visible yet: the first
    :data:`ROWS_VISIBLE_WITHIN_SECONDS` after the run was seen complete."""
    seen = run.detected_at or run.finished_at
    return None if seen is None else seen.timestamp() + ROWS_VISIBLE_WITHIN_SECONDS


async def _count(repo: TenantRepository, run: Run, count: int) -> None:
    """The first page read tells the run's row count: recorded for ``run(id).rowCount``."""
    try:
        await record_row_count(repo, run.id, count)
    except Exception:  # the read goes on; the poller counts an uncounted run later
        log.exception("run %s: recording its row count failed", run.id)


async def stream_pages(
    reader: ResultReader, *, after: int = 0, page_size: int
) -> AsyncIterator[ResultPage]:
    """:meth:`ResultReader.pages` with MCE's failures as public errors."""
    stream = reader.pages(after=after, page_size=page_size)
    try:
        while True:
            try:
                page = await anext(stream)
            except StopAsyncIteration:
                return
            except MceError as exc:
                raise public_error(exc) from None
            yield page
    finally:
        await stream.aclose()


_UNSAFE_FILENAME = re.compile(r"[^0-9A-Za-z._ -]+")


def export_filename(run: Run, *, snippet_title: str | None = None) -> str:
    """The CSV file's name: the snippet's title when the run came from one, else the run's
    date and id (ASCII only: it goes into a header)."""
    base = _UNSAFE_FILENAME.sub("_", snippet_title or "").strip(" ._-")[:80]
    if not base:
        base = f"quarry-run-{run.created_at:%Y%m%d-%H%M%S}-{str(run.id)[:8]}"
    return f"{base}.csv"
