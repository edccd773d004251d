"""The SQL toolkit for a tenant's business unit: tsql's validation, formatting and completions,
resolved against what that BU's SQL can read.

tsql reaches metadata only through its catalogue protocol (:class:`tsql.catalog.Catalog`);
this module is where the product implements it. :class:`MetadataCatalog` answers for one
tenant context (the current BU, and the parent's shared DEs as ``ENT.``). Data views are
tsql's own (:mod:`tsql.dataviews`), so they are known here without any metadata at all.

SQL over :data:`THREAD_SQL_CHARS` characters is checked in the process's tsql thread
(:mod:`services.sql_offload`), so that a long text never stalls the event loop; shorter texts
take a few milliseconds and are checked inline, where a hand-off would cost more than it saves.

The types tsql answers with are re-exported here, so resolvers and the schema build their
payloads from this service's types (DESIGN.md: schema maps services' types, never tsql's).
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Coroutine, Hashable, Sequence
from typing import Any, TypeVar

from models import TenantContext
from services.sql_offload import RelayedCatalog, in_tsql_thread, run_coroutine
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
        context,
        sql,
        lambda catalog: validate_cached(sql, purpose=purpose, catalog=catalog),
        catalog if catalog is not None else catalog_for(context),
    )


async def format_sql_text(context: TenantContext, *, sql: str) -> Formatted:
    """The canonical layout of ``sql``, comments kept; unparsable SQL comes back unchanged
    with its findings. Formatting needs no metadata; ``context`` says whose share of the tsql
    thread a long text uses."""
    if len(sql) <= THREAD_SQL_CHARS:
        return format_sql(sql)
    return await in_tsql_thread(_owner(context), functools.partial(format_sql, sql))


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
        context,
        sql,
        lambda catalog: complete(sql, offset, catalog=catalog, limit=limit),
        catalog if catalog is not None else catalog_for(context),
    )


async def _checked(
    context: TenantContext,
    sql: str,
    check: Callable[[Catalog], Coroutine[Any, Any, T]],
    catalog: Catalog,
) -> T:
    """``await check(catalog)``: inline for short SQL, else in the tsql thread.

    Long checks raise RateLimited when the user already has several queued (sql_offload).
    """
    if len(sql) <= THREAD_SQL_CHARS:
        return await check(catalog)
    relayed = RelayedCatalog(catalog, asyncio.get_running_loop())
    return await in_tsql_thread(_owner(context), functools.partial(run_coroutine, check, relayed))


def _owner(context: TenantContext) -> Hashable:
    """Whose share of the tsql thread a check uses: the user's (the tenant's without one)."""
    return (context.tenant_id, context.user_id)
