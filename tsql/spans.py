"""Where a node of sqlglot's tree is written: its extent in the text, found from the tokens.

sqlglot keeps positions (``meta``) on identifiers, literals, stars and the names of most calls,
never on keywords or punctuation: a call's parentheses, ``CASE ... END``, CAST's ``AS type``,
``OVER (...)``, a leading minus or parenthesis, NULL. A node's extent therefore starts from what
sqlglot placed inside it and is widened over the tokens its syntax adds: at the front along the
nodes that lead from it to its first placed token, at the back along those that lead to its
last one (innermost first, each closing the parentheses it opened). A select list is cut at its
commas instead, so each item is everything written between them, whatever sqlglot placed.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator, Sequence
from functools import lru_cache

from sqlglot import exp
from sqlglot.parser import Parser
from sqlglot.tokens import Token, TokenType

from tsql.findings import Span, span_of_offsets
from tsql.parse import tokenize

__all__ = [
    "TokenIndex",
    "is_call",
    "node_range",
    "node_span",
    "table_name",
    "token_index",
]

_TYPE_TOKENS = frozenset(Parser.TYPE_TOKENS)
#: Nodes sqlglot files under Func that are syntax, not ``name(...)`` calls.
_NOT_CALLS = (exp.Case, exp.Window, exp.Exists, exp.Any, exp.All, exp.Subquery)
#: Operators; sqlglot also files some calls here (JSON_VALUE is a JSON extraction operator),
#: and those carry the position of their name.
_OPERATORS = (exp.Binary, exp.Unary, exp.Connector)
#: Nodes written inside their own parentheses (EXISTS's follow its keyword).
_PARENTHESISED = (exp.Paren, exp.Subquery, exp.Tuple, exp.Exists)
#: Prefix operators: the node starts at its operator's token.
_PREFIXES = {exp.Neg: TokenType.DASH, exp.BitwiseNot: TokenType.TILDE, exp.Not: TokenType.NOT}
#: What ends a select list at its own depth.
_AFTER_SELECT_LIST = frozenset(
    {
        TokenType.FROM,
        TokenType.INTO,
        TokenType.WHERE,
        TokenType.GROUP_BY,
        TokenType.HAVING,
        TokenType.ORDER_BY,
        TokenType.OPTION,
        TokenType.FOR,
        TokenType.UNION,
        TokenType.EXCEPT,
        TokenType.INTERSECT,
        TokenType.SEMICOLON,
    }
)
_DIRECTIONS = frozenset({TokenType.ASC, TokenType.DESC})


def is_call(node: exp.Expr) -> bool:
    """Whether ``node`` is written as ``name(...)`` (CAST, ISNULL, COUNT, a UDF ...), not as
    syntax sqlglot files under Func (CASE, OVER, EXISTS, operators)."""
    if not isinstance(node, exp.Func) or isinstance(node, _NOT_CALLS):
        return False
    return not (isinstance(node, _OPERATORS) and not node._meta)


def node_range(node: exp.Expr) -> tuple[int, int] | None:
    """The offsets (start, end exclusive) of everything in ``node`` that sqlglot placed."""
    placed = _placed(node)
    return None if placed is None else (placed[1], placed[3])


def _placed(node: exp.Expr) -> tuple[exp.Expr, int, exp.Expr, int] | None:
    """(the placed node written first, its start, the one written last, its end): of two
    placed at the same end, the inner one (a call's last argument, not the call's name)."""
    first: exp.Expr | None = None
    last: exp.Expr | None = None
    low = high = 0
    for part in node.walk(bfs=False):
        meta = part._meta
        if not meta:
            continue
        start = meta.get("start")
        end = meta.get("end")
        if not isinstance(start, int) or not isinstance(end, int):
            continue
        if first is None or start < low:
            first, low = part, start
        if last is None or end + 1 >= high:
            last, high = part, end + 1
    if first is None or last is None:
        return None
    return first, low, last, high


def _chain(inner: exp.Expr, outer: exp.Expr) -> list[exp.Expr]:
    """``inner`` and its ancestors up to ``outer``, innermost first (empty when ``outer`` is
    not an ancestor)."""
    chain: list[exp.Expr] = []
    current: exp.Expr | None = inner
    while current is not None:
        chain.append(current)
        if current is outer:
            return chain
        current = current.parent
    return []


class TokenIndex:
    """One text's tokens, and where nodes parsed from it are written."""

    def __init__(self, tokens: Sequence[Token]) -> None:
        self.tokens = tuple(tokens)
        self._starts = [token.start for token in self.tokens]

    def index_at(self, offset: int) -> int:
        """Index of the first token starting at or after ``offset``."""
        return bisect_left(self._starts, offset)

    def _kind(self, index: int) -> TokenType | None:
        return self.tokens[index].token_type if 0 <= index < len(self.tokens) else None

    # ------------------------------------------------------------------ nodes
    def extent(self, node: exp.Expr) -> tuple[int, int] | None:
        """Where ``node`` is written (start, end exclusive), keywords and punctuation
        included; None when sqlglot placed nothing in it."""
        placed = _placed(node)
        if placed is None:
            return None
        first, start, last, end = placed
        for part in _chain(first, node):
            start = self._lead(part, start)
        child: exp.Expr | None = None
        for part in _chain(last, node):
            end = self._trail(part, child, end)
            child = part
        return start, self._balance(start, end)

    def _lead(self, part: exp.Expr, start: int) -> int:
        """``start`` moved back over what ``part`` writes before its first child."""
        index = self.index_at(start)
        kind = self._kind(index - 1)
        if isinstance(part, exp.Select) and not part.args.get("with_"):
            keyword = self._select_before(index)
            return self.tokens[keyword].start if keyword is not None else start
        if isinstance(part, _PARENTHESISED):
            opener = self._unmatched_opener(index)
            if opener is None:
                return start
            if isinstance(part, exp.Exists) and self._kind(opener - 1) is TokenType.EXISTS:
                opener -= 1
            return self.tokens[opener].start
        if isinstance(part, exp.Case):
            if kind is TokenType.WHEN:
                index, kind = index - 1, self._kind(index - 2)
            return self.tokens[index - 1].start if kind is TokenType.CASE else start
        for operator, token_type in _PREFIXES.items():
            if isinstance(part, operator) and kind is token_type:
                return self.tokens[index - 1].start
        if is_call(part) and not part._meta:
            name = self._call_name_before(index)
            return name.start if name is not None else start
        return start

    def _trail(self, part: exp.Expr, child: exp.Expr | None, end: int) -> int:
        """``end`` moved past what ``part`` writes after its last child (``child``, the one
        the last placed token is in)."""
        bounds = node_range(part)
        if bounds is not None:
            end = self._balance(bounds[0], end)
        index = self.index_at(end)
        if is_call(part):
            name = self.call_name(part)
            return max(end, self.call_end(name)) if name is not None else end
        if isinstance(part, exp.Window):
            if self._kind(index) is TokenType.OVER and self._kind(index + 1) is TokenType.L_PAREN:
                return self._group_end(index + 1)
            return end
        if isinstance(part, exp.Case):
            return self._case_end(index, end)
        if child is None:
            return end
        if isinstance(part, _PARENTHESISED) and (child is part.this or isinstance(part, exp.Tuple)):
            return self._closing_end(index, end)
        if isinstance(part, exp.Ordered) and self._kind(index) in _DIRECTIONS:
            return self.tokens[index].end + 1
        if child is part.this and _unplaced_null(part.args.get("expression")):
            for ahead in range(index, min(index + 3, len(self.tokens))):
                if self.tokens[ahead].token_type is TokenType.NULL:
                    return self.tokens[ahead].end + 1
        return end

    # ------------------------------------------------------------------ calls
    def call_name(self, call: exp.Expr) -> Token | None:
        """The token naming ``call`` as written (``ISNULL`` for sqlglot's Coalesce)."""
        meta = call._meta
        if meta and isinstance(meta.get("start"), int):
            index = self.index_at(meta["start"])
            if index < len(self.tokens) and self.tokens[index].start == meta["start"]:
                return self.tokens[index]
        bounds = node_range(call)
        return None if bounds is None else self._call_name_before(self.index_at(bounds[0]))

    def _call_name_before(self, index: int) -> Token | None:
        """The name of the call whose first placed argument starts at token ``index``: back
        over what may precede it inside the call's parentheses: "(", type names and their
        lengths, commas, a date part (TRY_CONVERT(INT, x), DATEPART(year, x))."""
        index -= 1
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
            elif depth == 0 and not self._argument_head(index):
                return None
            index -= 1
        return None

    def _argument_head(self, index: int) -> bool:
        """Whether token ``index`` may stand before a call's first placed argument: a comma,
        a type name, a date part before its comma."""
        kind = self.tokens[index].token_type
        if kind is TokenType.COMMA or kind in _TYPE_TOKENS:
            return True
        return kind is TokenType.VAR and self._kind(index + 1) is TokenType.COMMA

    def call_end(self, name: Token) -> int:
        """The offset just past the ``)`` closing the call named by ``name`` (past the name
        when no parenthesis follows it: CURRENT_TIMESTAMP)."""
        index = self.index_at(name.end + 1)
        if self._kind(index) is not TokenType.L_PAREN:
            return name.end + 1
        return self._group_end(index)

    # ------------------------------------------------------------------ parentheses
    def _from(self, index: int) -> Iterator[Token]:
        """The tokens from ``index`` on (without copying them)."""
        return (self.tokens[i] for i in range(index, len(self.tokens)))

    @staticmethod
    def _step(token: Token) -> int:
        if token.token_type is TokenType.L_PAREN:
            return 1
        if token.token_type is TokenType.R_PAREN:
            return -1
        return 0

    def _balance(self, start: int, end: int) -> int:
        """``end`` moved past the ``)`` of each ``(`` that ``[start, end)`` leaves open."""
        index = self.index_at(start)
        depth = 0
        while index < len(self.tokens) and self.tokens[index].start < end:
            depth = max(0, depth + self._step(self.tokens[index]))
            index += 1
        while depth > 0 and index < len(self.tokens):
            depth += self._step(self.tokens[index])
            end = self.tokens[index].end + 1
            index += 1
        return end

    def _group_end(self, opener: int) -> int:
        """The offset past the ``)`` matching the ``(`` at token ``opener``."""
        depth = 0
        for token in self._from(opener):
            depth += self._step(token)
            if depth == 0:
                return token.end + 1
        return self.tokens[-1].end + 1

    def _closing_end(self, index: int, end: int) -> int:
        """Past the first ``)`` from token ``index`` on that closes a group opened before."""
        depth = 0
        for token in self._from(index):
            step = self._step(token)
            if step < 0 and depth == 0:
                return token.end + 1
            depth += step
        return end

    def _case_end(self, index: int, end: int) -> int:
        """Past the END of the CASE whose last placed token ends before token ``index``."""
        depth = nested = 0
        for token in self._from(index):
            kind = token.token_type
            if kind is TokenType.R_PAREN and depth == 0:
                return end  # the text is not what the tree says: leave it
            depth += self._step(token)
            if depth == 0 and kind is TokenType.CASE:
                nested += 1
            elif depth == 0 and kind is TokenType.END:
                if nested == 0:
                    return token.end + 1
                nested -= 1
        return end

    def _unmatched_opener(self, index: int) -> int | None:
        """The index of the first "(" before token ``index`` that is not closed before it."""
        depth = 0
        index -= 1
        while index >= 0:
            step = self._step(self.tokens[index])
            if step < 0:
                depth += 1
            elif step > 0:
                if depth == 0:
                    return index
                depth -= 1
            index -= 1
        return None

    def _select_before(self, index: int) -> int | None:
        """The SELECT keyword of the query token ``index`` belongs to: the nearest one before
        it outside the groups closed in between (a scalar subquery's own SELECT is not)."""
        depth = 0
        index -= 1
        while index >= 0:
            token = self.tokens[index]
            step = self._step(token)
            if step < 0:
                depth += 1
            elif step > 0:
                depth = max(0, depth - 1)
            elif depth == 0 and token.token_type is TokenType.SELECT:
                return index
            index -= 1
        return None

    # ------------------------------------------------------------------ select lists
    def select_items(self, select: exp.Select) -> tuple[tuple[int, int], ...] | None:
        """Each item of ``select``'s list as (start, end exclusive): from its first token to
        its last before the next comma of the list (comments around it left out). None when
        the list's tokens cannot be found or do not hold the items the tree has."""
        own = _own_start(select)
        keyword = self._select_before(self.index_at(own)) if own is not None else None
        if keyword is None:
            return None
        pieces: list[tuple[int, int]] = []
        first = index = self._after_select_head(keyword + 1)
        depth = 0
        while index < len(self.tokens):
            kind = self.tokens[index].token_type
            if kind is TokenType.R_PAREN and depth == 0:
                break
            if depth == 0 and kind in _AFTER_SELECT_LIST:
                break
            if depth == 0 and kind is TokenType.COMMA:
                pieces.append((first, index - 1))
                first = index + 1
            depth += self._step(self.tokens[index])
            index += 1
        pieces.append((first, index - 1))
        if len(pieces) != len(select.expressions) or any(a > b for a, b in pieces):
            return None
        items = tuple((self.tokens[a].start, self.tokens[b].end + 1) for a, b in pieces)
        for item, (start, end) in zip(select.expressions, items, strict=True):
            placed = node_range(item)
            if placed is not None and not start <= placed[0] <= placed[1] <= end:
                return None
        return items

    def _after_select_head(self, index: int) -> int:
        """The first token after ``DISTINCT | ALL`` and ``TOP (n) [PERCENT] [WITH TIES]``."""
        if self._kind(index) in (TokenType.DISTINCT, TokenType.ALL):
            index += 1
        if self._kind(index) is not TokenType.TOP:
            return index
        index += 1
        if self._kind(index) is TokenType.L_PAREN:
            end = self._group_end(index)
            index = self.index_at(end)
        else:
            index += 1
        if self._kind(index) is TokenType.PERCENT:
            index += 1
        following = [token.text.upper() for token in self.tokens[index : index + 2]]
        if following == ["WITH", "TIES"]:
            index += 2
        return index


def _own_start(select: exp.Select) -> int | None:
    """Where the first thing ``select`` places itself is written (not inside a nested query
    or a CTE, which may stand before its SELECT)."""
    low: int | None = None
    stack: list[exp.Expr] = [select]
    while stack:
        node = stack.pop()
        if node is not select and isinstance(node, exp.Query | exp.With):
            continue
        meta = node._meta
        start = meta.get("start") if meta else None
        if isinstance(start, int) and (low is None or start < low):
            low = start
        stack.extend(node.iter_expressions())
    return low


def _unplaced_null(node: object) -> bool:
    return isinstance(node, exp.Null) and node_range(node) is None


@lru_cache(maxsize=8)
def token_index(text: str) -> TokenIndex | None:
    """The tokens of ``text`` (None when it cannot be tokenized), kept for the few texts last
    asked about: findings about one text ask for many spans."""
    tokens, problem = tokenize(text)
    return None if problem is not None else TokenIndex(tokens)


def node_span(text: str, *nodes: object, index: TokenIndex | None = None) -> Span | None:
    """Where ``nodes`` (parsed from ``text``) are written, from the first one's start to the
    last one's end; what is not a node is passed over (sqlglot keeps some parts as plain
    strings, the empty schema of ``x..T``). None when none of them is placed. ``index``:
    ``text``'s tokens when the caller has them (else ``text`` is tokenized once more)."""
    index = index or token_index(text)
    bounds: list[tuple[int, int]] = []
    for node in nodes:
        if not isinstance(node, exp.Expr):
            continue
        found = index.extent(node) if index is not None else node_range(node)
        if found is not None:
            bounds.append(found)
    if not bounds:
        return None
    return span_of_offsets(text, min(b[0] for b in bounds), max(b[1] for b in bounds))


def table_name(
    text: str, table: exp.Table, *, index: TokenIndex | None = None
) -> tuple[Span, str] | None:
    """Where ``table``'s name (server, database, schema, table; no alias or hint) is written,
    and the name as SQL Server spells it in messages: its parts unbracketed, empty ones kept
    (``x..T``). None when nothing of the name is placed. ``index`` as for :func:`node_span`."""
    index = index or token_index(text)
    parts = (table.args.get("catalog"), table.args.get("db"), table.this)
    span = node_span(text, *parts, index=index)
    if span is None or index is None:
        return None
    first = index.index_at(span.start)
    while index._kind(first - 1) is TokenType.DOT:
        first -= 1
    last = index.index_at(span.end)
    words = "".join(token.text for token in index.tokens[first:last])
    return span_of_offsets(text, index.tokens[first].start, span.end), words
