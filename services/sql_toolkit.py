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
from services.metadata import queries as metadata_queries
from services.metadata import search as metadata_search
from services.sql_offload import RelayedCatalog, in_tsql_thread, run_coroutine
from tsql import (
    MAX_SQL_CHARS,
    Analysis,
    Catalog,
    Column,
    Completion,
    CompletionKind,
    FieldType,
    Finding,
    Formatted,
    Purpose,
    Severity,
    Span,
    Table,
    TableKind,
    TableName,
    complete,
    format_sql,
    validate_cached,
)

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
    """The DEs one BU's SQL can read, as tsql's :class:`~tsql.catalog.Catalog`, read from the
    metadata cache (services/metadata): the BU's own DEs by name, and its parent's shared DEs
    for ``ENT.`` names, under ``context`` so that row-level security decides what is visible.
    Only complete DEs are known (a DE being re-synced is never seen with half its fields), and
    never Quarry's own assets. Lookups are remembered for the catalogue's life (one check),
    so a DE named twice in one query is read once.

    ``_EnterpriseAttribute``'s per-account columns are not cached, so tsql offers
    ``_SubscriberID`` alone for it.
    """

    def __init__(self, context: TenantContext) -> None:
        self.context = context
        self._known: dict[tuple[str, bool], Table | None] = {}

    async def lookup(self, name: TableName) -> Table | None:
        """The DE called ``name`` (``ENT.``: a parent's shared one) with its columns."""
        if (
            self.context.mid is None
            or "\x00" in name.name  # no name holds one, and Postgres refuses it in text
            or name.name.casefold() == "_enterpriseattribute"
        ):
            return None
        key = (name.name.casefold(), name.shared)
        if key not in self._known:
            found = await metadata_queries.data_extension_by_name(
                self.context, name.name, shared=name.shared
            )
            table = None
            if found is not None:
                fields = await metadata_queries.fields_by_data_extension(self.context, [found.id])
                table = _table(found, fields.get(found.id, []), viewer_mid=self.context.mid)
            self._known[key] = table
        return self._known[key]

    async def search(self, text: str, *, limit: int, shared: bool | None = None) -> Sequence[Table]:
        """DE names for completions, best first (metadata search's ranking, name matches
        only); an empty ``text`` lists the first ``limit`` by name. Columns are left empty.
        ``shared=True``: the parent's shared DEs only (metadata search's ``ENT.`` form)."""
        mid = self.context.mid
        if mid is None or limit <= 0 or "\x00" in text:
            return ()
        if not text.strip():
            page = await metadata_queries.data_extensions_page(
                self.context, folder=None, first=metadata_queries.MAX_PAGE, after=None
            )
            tables = [_table(de, [], viewer_mid=mid) for de in page.items]
        else:
            query = f"ENT.{text}" if shared else text
            hits = await metadata_search.name_matches(self.context, query, limit=limit)
            tables = [_table(de, [], viewer_mid=mid) for de in hits]
        if shared is not None:
            tables = [table for table in tables if table.shared is shared]
        return tables[:limit]


def _table(
    de: metadata_queries.DataExtensionInfo,
    fields: Sequence[metadata_queries.FieldInfo],
    *,
    viewer_mid: int,
) -> Table:
    return Table(
        name=de.name,
        kind=TableKind.DATA_EXTENSION,
        columns=tuple(_column(field) for field in fields),
        customer_key=de.customer_key,
        shared=de.shared_from(viewer_mid),
        description=de.description or None,
    )


_FIELD_TYPES = {member.value.casefold(): member for member in FieldType}


def _column(field: metadata_queries.FieldInfo) -> Column:
    return Column(
        name=field.name,
        field_type=_FIELD_TYPES.get(field.field_type.casefold(), FieldType.TEXT),
        max_length=field.max_length,
        precision=field.precision,
        scale=field.scale,
        nullable=not (field.is_required or field.is_primary_key),
        primary_key=field.is_primary_key,
    )


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
