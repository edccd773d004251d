"""What every validation rule shares: the text, its tokens, positions, and one finding builder.

Rules look at sqlglot's T-SQL tree for meaning and at its tokens for positions: sqlglot keeps
offsets on identifiers, literals and most function calls (``meta``), not on clauses, so a
clause's span is found from the tokens around the nodes it holds.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.parser import Parser
from sqlglot.tokens import Token, TokenType

from tsql.findings import Finding, Severity, Span, span_of_offsets
from tsql.types import Purpose

__all__ = ["NodeIndex", "RuleContext", "error", "generated_sql", "node_range", "warning"]

_TYPE_TOKENS = frozenset(Parser.TYPE_TOKENS)


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


def node_range(node: exp.Expr) -> tuple[int, int] | None:
    """The offsets (start, end exclusive) of everything in ``node`` that sqlglot placed."""
    low: int | None = None
    high = -1
    for child in node.walk():
        meta = child._meta
        if not meta:
            continue
        start = meta.get("start")
        end = meta.get("end")
        if not isinstance(start, int) or not isinstance(end, int):
            continue
        low = start if low is None else min(low, start)
        high = max(high, end + 1)
    return None if low is None else (low, high)


@dataclass
class RuleContext:
    """One text being checked: rules ask it for tokens and spans, and append findings."""

    text: str
    tokens: tuple[Token, ...]
    purpose: Purpose
    findings: list[Finding] = field(default_factory=list)
    _starts: list[int] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        self._starts = [token.start for token in self.tokens]

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
        return bisect_left(self._starts, offset)

    def node_span(self, node: exp.Expr) -> Span | None:
        """``node``'s span, widened to close the parentheses it opens (``COUNT(*)``)."""
        bounds = self.balanced_range(node)
        return None if bounds is None else self.span(*bounds)

    def written(self, node: exp.Expr, *, limit: int = 40) -> str:
        """``node`` as the user wrote it (shortened to ``limit`` characters), for messages."""
        bounds = self.balanced_range(node)
        if bounds is not None:
            text = " ".join(self.text[bounds[0] : bounds[1]].split())
        else:
            text = generated_sql(node) or node.key.upper()
        return text if len(text) <= limit else text[: limit - 3] + "..."

    def balanced_range(self, node: exp.Expr) -> tuple[int, int] | None:
        bounds = node_range(node)
        if bounds is None:
            return None
        start, end = bounds
        index = self.token_index_at(start)
        if isinstance(node, exp.Subquery):
            opener = self._unmatched_opener(index)
            if opener is not None:
                index, start = opener, self.tokens[opener].start
        depth = 0
        while index < len(self.tokens) and self.tokens[index].start < end:
            depth += self._paren_step(self.tokens[index])
            index += 1
        while depth > 0 and index < len(self.tokens):
            token = self.tokens[index]
            depth += self._paren_step(token)
            end = token.end + 1
            index += 1
        if isinstance(node, exp.Func) and not _is_plain(node):
            end = self._close_call(start, end)
        return start, end

    def _unmatched_opener(self, index: int) -> int | None:
        """The index of the first "(" before token ``index`` that is not closed before it
        (a subquery's own parenthesis, before SELECT, DISTINCT, TOP (n) ...)."""
        depth = 0
        index -= 1
        while index >= 0:
            step = self._paren_step(self.tokens[index])
            if step < 0:
                depth += 1
            elif step > 0:
                if depth == 0:
                    return index
                depth -= 1
            index -= 1
        return None

    def _close_call(self, start: int, end: int) -> int:
        """A call whose arguments end before its ``)``: extend through that parenthesis."""
        index = self.token_index_at(start)
        if index + 1 < len(self.tokens) and self.tokens[index + 1].token_type is TokenType.L_PAREN:
            depth = 0
            for token in self.tokens[index + 1 :]:
                depth += self._paren_step(token)
                if depth == 0:
                    return max(end, token.end + 1)
        return end

    @staticmethod
    def _paren_step(token: Token) -> int:
        if token.token_type is TokenType.L_PAREN:
            return 1
        if token.token_type is TokenType.R_PAREN:
            return -1
        return 0

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

    def call_name_token(self, call: exp.Func) -> Token | None:
        """The token naming ``call`` as written (``ISNULL`` for sqlglot's Coalesce)."""
        meta = call._meta
        if meta and isinstance(meta.get("start"), int):
            index = self.token_index_at(meta["start"])
            if index < len(self.tokens) and self.tokens[index].start == meta["start"]:
                return self.tokens[index]
        bounds = node_range(call)
        if bounds is None:
            return None
        # Walk back over what may precede the first placed argument inside the call's
        # parentheses: "(", type names and their lengths, commas (TRY_CONVERT(INT, x)).
        index = self.token_index_at(bounds[0]) - 1
        depth = 0
        while index >= 1:
            token = self.tokens[index]
            kind = token.token_type
            if kind is TokenType.R_PAREN:
                depth += 1
            elif kind is TokenType.L_PAREN and depth > 0:
                depth -= 1
            elif kind is TokenType.L_PAREN:
                name = self.tokens[index - 1]
                if name.token_type not in _TYPE_TOKENS:
                    return name
            elif depth == 0 and kind is not TokenType.COMMA and kind not in _TYPE_TOKENS:
                return None
            index -= 1
        return None


def _is_plain(node: exp.Func) -> bool:
    """Nodes sqlglot files under Func that are not written as ``name(...)``."""
    return isinstance(node, exp.Case)
