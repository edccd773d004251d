"""The SQL toolkit for a tenant's business unit: tsql's validation, formatting and completions,
resolved against what that BU's SQL can read.

tsql reaches metadata only through its catalogue protocol (:class:`tsql.catalog.Catalog`);
this module is where the product implements it. :class:`MetadataCatalog` answers for one
tenant context (the current BU, and the parent's shared DEs as ``ENT.``). Data views are
tsql's own (:mod:`tsql.dataviews`), so they are known here without any metadata at all.

Long SQL is checked off the event loop. tsql is plain Python: a 100,000-character text takes up
to ~0.7 s to validate or format, and on the event loop that would stall every other request and
websocket of the process for as long. Texts over :data:`THREAD_SQL_CHARS` therefore go to this
process's one tsql thread (like big SOAP pages, client/soap/channel.py: under the GIL more
threads would only take turns), which runs tsql's coroutine on an event loop of its own while
catalogue calls are sent back to the caller's loop, where the catalogue's connections live.
Shorter texts (milliseconds) are checked inline: the hand-off would cost more than it saves.

The types tsql answers with are re-exported here, so resolvers and the schema build their
payloads from this service's types (DESIGN.md: schema maps services' types, never tsql's).
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import os
from collections.abc import Callable, Coroutine, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from models import TenantContext
from tsql.catalog import Catalog
from tsql.complete import Completion, CompletionKind, complete
from tsql.findings import Finding, Severity, Span
from tsql.format import Formatted, format_sql
from tsql.parse import MAX_SQL_CHARS
from tsql.types import Column, FieldType, Purpose, Table, TableName
from tsql.validate import Analysis, validate_cached

__all__ = [
    "MAX_COMPLETIONS",
    "MAX_SQL_CHARS",
    "THREAD_SQL_CHARS",
    "Analysis",
    "Column",
    "Completion",
    "CompletionKind",
    "FieldType",
    "Finding",
    "Formatted",
    "MetadataCatalog",
    "Purpose",
    "Severity",
    "Span",
    "analyse_sql",
    "catalog_for",
    "complete_sql",
    "format_sql_text",
]

#: The most completions one request may ask for (docs/api.md: lists are capped at 100).
MAX_COMPLETIONS = 100
#: Longer SQL is checked in the tsql thread, off the event loop (about 5 ms of work inline).
THREAD_SQL_CHARS = 2_000

T = TypeVar("T")


class MetadataCatalog:
    """The DEs one BU's SQL can read, as tsql's :class:`~tsql.catalog.Catalog`.

    Today it knows no DEs: the metadata cache (DE names, fields and types per BU, synced from
    MCE) is a later issue, which fills :meth:`lookup` and :meth:`search` from the cached rows
    visible in ``context`` (its own BU's DEs, and the parent BU's shared DEs for ``ENT.``
    names), through the tenant-aware repository so that row-level security applies. Until
    then SQL is checked against the data views alone (tsql owns those), so every DE name is
    reported as unknown.
    """

    def __init__(self, context: TenantContext) -> None:
        self.context = context

    async def lookup(self, name: TableName) -> Table | None:
        """No DE is known yet (see the class docstring); ``_EnterpriseAttribute``'s
        per-account columns are not known either, so tsql offers ``_SubscriberID`` alone."""
        return None

    async def search(self, text: str, *, limit: int) -> Sequence[Table]:
        """No DE names to offer yet (see the class docstring)."""
        return ()


def catalog_for(context: TenantContext) -> Catalog:
    """The catalogue for SQL run in ``context``'s BU."""
    return MetadataCatalog(context)


async def analyse_sql(
    context: TenantContext, *, sql: str, purpose: Purpose, catalog: Catalog | None = None
) -> Analysis:
    """Findings, output columns and statement kind of ``sql`` in ``context``'s BU (through
    ``catalog`` when given, else the BU's :class:`MetadataCatalog`).

    Never raises for any text: SQL that is too long, too deep or unreadable is a finding.
    Repeated texts (the editor checks at every pause in typing) reuse the parse.
    """
    return await _checked(
        sql,
        functools.partial(validate_cached, sql, purpose=purpose),
        catalog if catalog is not None else catalog_for(context),
    )


async def format_sql_text(sql: str) -> Formatted:
    """The canonical layout of ``sql``, comments kept; unparsable SQL comes back unchanged
    with its findings. Formatting needs no metadata."""
    if len(sql) <= THREAD_SQL_CHARS:
        return format_sql(sql)
    loop = asyncio.get_running_loop()
    call = functools.partial(contextvars.copy_context().run, format_sql, sql)
    return await loop.run_in_executor(_tsql_thread(), call)


async def complete_sql(
    context: TenantContext,
    *,
    sql: str,
    offset: int,
    limit: int,
    catalog: Catalog | None = None,
) -> tuple[Completion, ...]:
    """What may be written at ``offset`` of ``sql`` in ``context``'s BU, best first.

    ``offset`` must be within the text and ``limit`` at most :data:`MAX_COMPLETIONS` (the
    resolver checks both). Text over tsql's size limit gets no completions rather than an
    error: the editor asks at every keystroke, and validation reports the size.
    """
    if len(sql) > MAX_SQL_CHARS:
        return ()
    return await _checked(
        sql,
        functools.partial(complete, sql, offset, limit=limit),
        catalog if catalog is not None else catalog_for(context),
    )


# ---------------------------------------------------------------- off the event loop
_tsql_executor: tuple[int, ThreadPoolExecutor] | None = None


def _tsql_thread() -> ThreadPoolExecutor:
    """This process's one thread for long SQL (created again after a fork)."""
    global _tsql_executor
    pid = os.getpid()
    if _tsql_executor is None or _tsql_executor[0] != pid:
        _tsql_executor = (pid, ThreadPoolExecutor(1, thread_name_prefix="tsql"))
    return _tsql_executor[1]


async def _checked(
    sql: str,
    check: Callable[..., Coroutine[Any, Any, T]],
    catalog: Catalog,
) -> T:
    """``await check(catalog=catalog)``: inline for short SQL, else in the tsql thread."""
    if len(sql) <= THREAD_SQL_CHARS:
        return await check(catalog=catalog)
    loop = asyncio.get_running_loop()
    relayed = _RelayedCatalog(catalog, loop)
    return await loop.run_in_executor(
        _tsql_thread(), contextvars.copy_context().run, _run_in_this_thread, check, relayed
    )


def _run_in_this_thread(check: Callable[..., Coroutine[Any, Any, T]], catalog: Catalog) -> T:
    # The coroutine is made here, so a call cancelled before the thread took it leaves none
    # un-awaited.
    return asyncio.run(check(catalog=catalog))


class _RelayedCatalog:
    """A catalogue used from the tsql thread whose calls run on the caller's event loop."""

    def __init__(self, catalog: Catalog, loop: asyncio.AbstractEventLoop) -> None:
        self._catalog = catalog
        self._loop = loop

    async def lookup(self, name: TableName) -> Table | None:
        return await self._on_caller_loop(self._lookup(name))

    async def search(self, text: str, *, limit: int) -> Sequence[Table]:
        return await self._on_caller_loop(self._search(text, limit=limit))

    async def _on_caller_loop(self, call: Coroutine[Any, Any, T]) -> T:
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(call, self._loop))

    async def _lookup(self, name: TableName) -> Table | None:
        return await self._catalog.lookup(name)

    async def _search(self, text: str, *, limit: int) -> Sequence[Table]:
        return await self._catalog.search(text, limit=limit)
