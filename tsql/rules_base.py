"""What every validation rule shares: the text, its tokens, positions, and one finding builder.

Rules look at sqlglot's T-SQL tree for meaning and at its tokens for positions: sqlglot keeps
offsets on identifiers, literals and most function calls (``meta``), not on keywords and
clauses, so where a node or clause is written is found from the tokens around the nodes it
holds (:mod:`tsql.spans`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.tokens import Token, TokenType

from tsql.findings import Finding, Severity, Span, span_of_offsets
from tsql.spans import TokenIndex, node_range
from tsql.types import Purpose

__all__ = ["NodeIndex", "RuleContext", "error", "generated_sql", "node_range", "warning"]


@dataclass(frozen=True, slots=True)
class NodeIndex:
    """The nodes of one statement the rules look at, gathered in one walk (breadth first,
    as ``find_all`` yields them): a walk costs as much as the rules themselves."""

    queries: tuple[exp.Expr, ...]  # Select and SetOperation
    selects: tuple[exp.Select, ...]
    set_operations: tuple[exp.SetOperation, ...]
    subqueries: tuple[exp.Subquery, ...]
    calls: tuple[exp.Func, ...]
    joins: tuple[exp.Join, ...]
    shapes: tuple[exp.Expr, ...]  # With, Into and Table

    @classmethod
    def of(cls, statement: exp.Expr) -> NodeIndex:
        queries: list[exp.Expr] = []
        selects: list[exp.Select] = []
        set_operations: list[exp.SetOperation] = []
        subqueries: list[exp.Subquery] = []
        calls: list[exp.Func] = []
        joins: list[exp.Join] = []
        shapes: list[exp.Expr] = []
        for node in statement.walk():
            if isinstance(node, exp.Select):
                queries.append(node)
                selects.append(node)
            elif isinstance(node, exp.SetOperation):
                queries.append(node)
                set_operations.append(node)
            elif isinstance(node, exp.Subquery):
                subqueries.append(node)
            elif isinstance(node, exp.Join):
                joins.append(node)
            elif isinstance(node, exp.With | exp.Into | exp.Table):
                shapes.append(node)
            if isinstance(node, exp.Func):
                calls.append(node)
        return cls(
            tuple(queries),
            tuple(selects),
            tuple(set_operations),
            tuple(subqueries),
            tuple(calls),
            tuple(joins),
            tuple(shapes),
        )


def error(
    code: str,
    message: str,
    span: Span | None,
    *,
    mce_message: str | None = None,
    suggestion: str | None = None,
) -> Finding:
    """An ERROR finding: MCE rejects it, so a deploy (and usually a run) is blocked."""
    return Finding(code, Severity.ERROR, message, span, mce_message, suggestion)


def warning(
    code: str, message: str, span: Span | None, *, suggestion: str | None = None
) -> Finding:
    """A WARNING finding: MCE runs it, probably not as meant."""
    return Finding(code, Severity.WARNING, message, span, None, suggestion)


def generated_sql(node: exp.Expr) -> str | None:
    """sqlglot's T-SQL for ``node``, or None when its generator cannot write the (broken)
    tree: it raises for calls that miss arguments."""
    try:
        return node.sql(dialect="tsql")
    except (SqlglotError, ValueError, TypeError, AttributeError, RecursionError):
        return None


@dataclass
class RuleContext:
    """One text being checked: rules ask it for tokens and spans, and append findings."""

    text: str
    tokens: tuple[Token, ...]
    purpose: Purpose
    findings: list[Finding] = field(default_factory=list)
    _index: TokenIndex = field(init=False, repr=False)
    _items: dict[int, tuple[tuple[int, int], ...] | None] = field(
        default_factory=dict, init=False, repr=False
    )

    def __post_init__(self) -> None:
        self._index = TokenIndex(self.tokens)

    def add(self, finding: Finding) -> None:
        self.findings.append(finding)

    # ----------------------------------------------------------------- positions
    def span(self, start: int, end: int) -> Span:
        return span_of_offsets(self.text, start, end)

    def token_span(self, first: Token, last: Token | None = None) -> Span:
        """From ``first`` through ``last`` (sqlglot token ends are inclusive)."""
        return self.span(first.start, (last or first).end + 1)

    def token_index_at(self, offset: int) -> int:
        """Index of the first token starting at or after ``offset``."""
        return self._index.index_at(offset)

    def node_span(self, node: exp.Expr) -> Span | None:
        """Where ``node`` is written, keywords and punctuation included (``COUNT(*)``,
        ``CASE ... END``, ``ROW_NUMBER() OVER ()``): :meth:`tsql.spans.TokenIndex.extent`."""
        bounds = self.balanced_range(node)
        return None if bounds is None else self.span(*bounds)

    def written(self, node: exp.Expr, *, limit: int = 40) -> str:
        """``node`` as the user wrote it (shortened to ``limit`` characters), for messages."""
        return self.written_at(self.balanced_range(node), node, limit=limit)

    def written_at(self, bounds: tuple[int, int] | None, node: exp.Expr, *, limit: int = 40) -> str:
        """The text at ``bounds`` (``node`` as sqlglot writes it when None), shortened."""
        if bounds is not None:
            text = " ".join(self.text[bounds[0] : bounds[1]].split())
        else:
            text = generated_sql(node) or node.key.upper()
        return text if len(text) <= limit else text[: limit - 3] + "..."

    def balanced_range(self, node: exp.Expr) -> tuple[int, int] | None:
        """Where ``node`` is written (start, end exclusive)."""
        return self._index.extent(node)

    def select_items(self, select: exp.Select) -> tuple[tuple[int, int], ...] | None:
        """Where each item of ``select``'s list is written: :meth:`TokenIndex.select_items`
        (read once per SELECT)."""
        if id(select) not in self._items:
            self._items[id(select)] = self._index.select_items(select)
        return self._items[id(select)]

    def call_name_token(self, call: exp.Expr) -> Token | None:
        """The token naming ``call`` as written (``ISNULL`` for sqlglot's Coalesce)."""
        return self._index.call_name(call)

    def call_end(self, name: Token) -> int:
        """The offset just past the ``)`` closing the call named by ``name``."""
        return self._index.call_end(name)

    def previous_token(self, offset: int, kinds: frozenset[TokenType]) -> Token | None:
        """The nearest token of one of ``kinds`` starting before ``offset``."""
        index = self.token_index_at(offset) - 1
        while index >= 0:
            token = self.tokens[index]
            if token.token_type in kinds:
                return token
            index -= 1
        return None

    def tokens_between(self, start: int, end: int) -> Iterator[Token]:
        index = self.token_index_at(start)
        while index < len(self.tokens) and self.tokens[index].start < end:
            yield self.tokens[index]
            index += 1
