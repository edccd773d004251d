"""Validate MCE SQL for a purpose: everything MCE rejects, as findings with positions.

Two stages. The first needs no metadata: parse (bounded, never raising) and the construct rules
(REFERENCE §5.1: one SELECT, no ``;``, no CTE, ORDER BY only with TOP, named columns, ...). The
second asks the catalogue: unknown tables and columns, ambiguous columns and the output columns
come from :func:`tsql.infer.infer_output`, and the width of ``SELECT *`` arms of a UNION.

:func:`validate_cached` keeps the first stage of recent texts in an LRU: the editor validates the
same text again and again, and only the second stage can change with the catalogue, so a cached
answer is never stale.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from logging import getLogger
from threading import Lock

from sqlglot import exp
from sqlglot.tokens import Token

from tsql.catalog import Catalog
from tsql.findings import Finding, Severity
from tsql.infer import Inference, infer_output
from tsql.parse import MAX_SQL_CHARS, ParsedSql, parse
from tsql.rules_base import NodeIndex, RuleContext
from tsql.rules_clauses import check_clause_placement
from tsql.rules_functions import check_calls, check_grouping
from tsql.rules_query import (
    add_width_mismatch,
    check_derived_tables,
    check_order_and_paging,
    iter_star_set_operations,
    outermost_query,
)
from tsql.rules_statement import (
    check_joins,
    check_statement_shape,
    check_statement_tokens,
    statement_starts,
)
from tsql.types import Column, Purpose, Table, TableName

__all__ = ["CACHE_SIZE", "Analysis", "clear_cache", "validate", "validate_cached"]

_log = getLogger(__name__)

#: Texts whose first stage :func:`validate_cached` keeps.
CACHE_SIZE = 256


@dataclass(frozen=True, slots=True)
class Analysis:
    """What :func:`validate` found: the findings (in text order), the output columns when the
    query could be inferred, and what kind of statement the text is (None: unparsable)."""

    findings: tuple[Finding, ...]
    columns: tuple[Column, ...]
    statement_kind: str | None

    @property
    def valid(self) -> bool:
        """True when nothing blocks the SQL (no ERROR finding)."""
        return not any(finding.severity is Severity.ERROR for finding in self.findings)


@dataclass(frozen=True, slots=True)
class _Prepared:
    """The catalogue-independent stage: parse and construct findings. Shared between callers
    through the cache, so nothing may mutate it (the tree is only read)."""

    parsed: ParsedSql
    findings: tuple[Finding, ...]
    statement_kind: str | None
    star_set_operations: tuple[exp.Expr, ...] = ()  # UNIONs whose width a * hides


async def validate(sql: str, *, purpose: Purpose, catalog: Catalog) -> Analysis:
    """Check ``sql`` for ``purpose`` against ``catalog``; never raises for any text."""
    return await _complete(_prepare(sql, purpose), catalog=catalog)


async def validate_cached(sql: str, *, purpose: Purpose, catalog: Catalog) -> Analysis:
    """:func:`validate`, reusing the parse and construct rules of recently seen texts."""
    return await _complete(_prepare_cached(sql, purpose), catalog=catalog)


_cache: OrderedDict[tuple[str, Purpose], _Prepared] = OrderedDict()
_cache_lock = Lock()


def _prepare_cached(sql: str, purpose: Purpose) -> _Prepared:
    key = (sql, purpose)
    with _cache_lock:
        hit = _cache.get(key)
        if hit is not None:
            _cache.move_to_end(key)
            return hit
    prepared = _prepare(sql, purpose)
    if len(sql) <= MAX_SQL_CHARS:
        with _cache_lock:
            _cache[key] = prepared
            while len(_cache) > CACHE_SIZE:
                _cache.popitem(last=False)
    return prepared


def clear_cache() -> None:
    """Forget every cached text (tests, and callers that change rules at run time)."""
    with _cache_lock:
        _cache.clear()


def _prepare(sql: str, purpose: Purpose) -> _Prepared:
    parsed = parse(sql)
    if parsed.findings or not parsed.statements:
        return _Prepared(parsed, parsed.findings, None)
    context = RuleContext(text=sql, tokens=parsed.tokens, purpose=purpose)
    star_set_operations: list[exp.Expr] = []
    try:
        _run_rules(context, parsed, star_set_operations)
    except RecursionError:
        context.add(_too_deep_to_check())
    except Exception:
        _log.exception("tsql validation rules failed")
        context.add(_not_checked("The query could not be checked completely."))
    return _Prepared(
        parsed,
        tuple(context.findings),
        statement_kind(parsed.statements[0]),
        tuple(star_set_operations),
    )


def _run_rules(
    context: RuleContext, parsed: ParsedSql, star_set_operations: list[exp.Expr]
) -> None:
    check_statement_tokens(context, len(parsed.statements))
    starts = statement_starts(parsed.tokens)
    for position, statement in enumerate(parsed.statements):
        nodes = NodeIndex.of(statement)
        first = starts[position] if len(starts) == len(parsed.statements) else None
        if not check_statement_shape(context, statement, nodes, first=first):
            continue
        check_order_and_paging(context, statement, nodes)
        check_derived_tables(context, statement, nodes)
        check_calls(context, nodes)
        check_grouping(context, nodes)
        check_clause_placement(context, nodes)
        for join in nodes.joins:
            check_joins(context, join)
        if position == 0:
            star_set_operations.extend(iter_star_set_operations(nodes))


async def _complete(prepared: _Prepared, *, catalog: Catalog) -> Analysis:
    findings = list(prepared.findings)
    columns: tuple[Column, ...] = ()
    statement = prepared.parsed.statements[0] if prepared.parsed.statements else None
    if statement is not None and isinstance(outermost_query(statement), exp.Query):
        text = prepared.parsed.text
        inference = await _infer(
            statement, text=text, catalog=catalog, tokens=prepared.parsed.tokens
        )
        columns = inference.columns
        if any(f.severity is Severity.ERROR for f in findings):
            # already refused: an inference fault would only add noise (it is logged)
            inference = Inference(
                inference.columns, tuple(f for f in inference.findings if f.code != "NOT_CHECKED")
            )
        findings = _merge(findings, inference.findings)
        if prepared.star_set_operations and not any(
            f.code == "UNKNOWN_TABLE" for f in inference.findings
        ):
            findings.extend(await _star_widths(prepared, catalog=catalog))
    findings.sort(key=_position)
    return Analysis(tuple(findings), columns, prepared.statement_kind)


async def _infer(
    statement: exp.Expr, *, text: str, catalog: Catalog, tokens: Sequence[Token]
) -> Inference:
    """:func:`infer_output`, turned into a finding if it fails: validation never raises.

    A RecursionError means the caller's stack was deeper than the parse limits allow for; any
    other exception from inference is a bug, logged, and reported so the user is not told the
    query is fine when its names were never checked. The catalogue's own exceptions (a database
    that is down) propagate unchanged: they say nothing about the text.
    """
    try:
        return await infer_output(statement, text=text, catalog=_Guarded(catalog), tokens=tokens)
    except _CatalogFailed as failure:
        raise (failure.__cause__ or failure) from None  # the caller's fault, not the text's
    except RecursionError:
        return Inference((), (_too_deep_to_check(),))
    except Exception:
        _log.exception("tsql inference failed")
        unchecked = _not_checked("The query's tables and columns could not be checked.")
        return Inference((), (unchecked,))


def _not_checked(message: str) -> Finding:
    """A fault in tsql itself (logged): the user must not be told the query is fine."""
    return Finding(
        code="NOT_CHECKED",
        severity=Severity.ERROR,
        message=message,
        suggestion="Simplify the query, or report it: this is a fault in Quarry.",
    )


class _CatalogFailed(Exception):
    """The catalogue raised: that is the caller's failure to report, never a finding."""


class _Guarded:
    """The caller's catalogue, its exceptions marked so :func:`_infer` lets them through."""

    def __init__(self, catalog: Catalog) -> None:
        self._catalog = catalog

    async def lookup(self, name: TableName) -> Table | None:
        try:
            return await self._catalog.lookup(name)
        except Exception as error:
            raise _CatalogFailed from error

    async def search(self, text: str, *, limit: int, shared: bool | None = None) -> Sequence[Table]:
        try:
            return await self._catalog.search(text, limit=limit, shared=shared)
        except Exception as error:
            raise _CatalogFailed from error


def _too_deep_to_check() -> Finding:
    return Finding(
        code="SQL_TOO_DEEP",
        severity=Severity.ERROR,
        message="The query is nested too deeply to check.",
        suggestion="Simplify the query: fewer nested subqueries or UNION arms.",
    )


#: Construct findings that give way to a name finding at the same place: a column that does
#: not exist is not also "not in GROUP BY".
_YIELDING = frozenset({"GROUP_BY_MISMATCH"})


def _merge(known: list[Finding], inferred: tuple[Finding, ...]) -> list[Finding]:
    """One finding per place: ``FROM #t`` is a temp table, not also an unknown table; an
    unknown column is not also an ungrouped one."""

    def overlap(a: Finding, b: Finding) -> bool:
        return (
            a.span is not None
            and b.span is not None
            and a.span.start < b.span.end
            and b.span.start < a.span.end
        )

    kept = [
        f
        for f in known
        if f.code not in _YIELDING or not any(overlap(f, name) for name in inferred)
    ]
    blocking = [f for f in kept if f.severity is Severity.ERROR]
    return kept + [f for f in inferred if not any(overlap(f, k) for k in blocking)]


async def _star_widths(prepared: _Prepared, *, catalog: Catalog) -> list[Finding]:
    """UNION arms whose width a ``*`` hides, compared once the catalogue expands it."""
    parsed = prepared.parsed
    text = parsed.text
    context = RuleContext(text=text, tokens=parsed.tokens, purpose=Purpose.QUERY_ACTIVITY)
    operations = prepared.star_set_operations
    for operation in operations:
        widths = []
        for side in (operation.this, operation.expression):
            inference = await _infer(side, text=text, catalog=catalog, tokens=parsed.tokens)
            if any(f.severity is Severity.ERROR for f in inference.findings):
                break
            widths.append(len(inference.columns))
        if len(widths) == 2 and widths[0] != widths[1]:
            add_width_mismatch(context, operation, widths[0], widths[1])
    return context.findings


def statement_kind(statement: exp.Expr) -> str:
    """SELECT, UNION (any set operation), INSERT, UPDATE, DELETE or OTHER."""
    query = outermost_query(statement)
    if isinstance(query, exp.Select):
        return "SELECT"
    if isinstance(query, exp.SetOperation):
        return "UNION"
    for kind, name in ((exp.Insert, "INSERT"), (exp.Update, "UPDATE"), (exp.Delete, "DELETE")):
        if isinstance(query, kind):
            return name
    return "OTHER"


def _position(finding: Finding) -> tuple[int, int]:
    span = finding.span
    return (span.start, span.end) if span is not None else (-1, -1)
