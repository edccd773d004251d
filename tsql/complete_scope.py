"""What is in scope at a cursor, read from tokens: the tables and aliases of each SELECT.

Completions run on SQL being typed, which rarely parses, so this works on sqlglot's token
stream (never on the text): it splits the statement into SELECT scopes (each subquery, each
UNION arm), records the table references of every FROM/JOIN/APPLY (``ENT.`` and brackets,
aliases with or without AS, derived tables with the names of their output columns), and
reports the scope and clause the cursor is in. Tokens after the cursor count, so an alias
declared in a FROM clause below the SELECT list being typed is known.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlglot.tokens import Token, TokenType

__all__ = ["CursorScope", "Source", "read_scope"]

#: Tokens that are names (a keyword token can be a name too, when it follows AS or a dot).
NAME_TOKENS = frozenset({TokenType.VAR, TokenType.IDENTIFIER})
_TABLE_STARTS = frozenset({TokenType.FROM, TokenType.JOIN, TokenType.APPLY})
_CLAUSE_OF = {
    TokenType.SELECT: "SELECT", TokenType.FROM: "FROM", TokenType.WHERE: "WHERE",
    TokenType.GROUP_BY: "GROUP BY", TokenType.HAVING: "HAVING", TokenType.ORDER_BY: "ORDER BY",
    TokenType.ON: "ON", TokenType.JOIN: "FROM", TokenType.APPLY: "FROM",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Source:
    """A table reference of one scope: a DE or data view (``name``), or a derived table
    (``name`` None, ``columns`` the names its SELECT list gives, ``*`` and ``t.*`` as written;
    ``inner_scope`` the scope of its SELECT, where those stars are resolved)."""

    scope: int
    name: str | None
    shared: bool
    alias: str | None
    columns: tuple[str, ...] = ()
    inner_scope: int | None = None

    @property
    def label(self) -> str:
        """How the query refers to it: the alias, else the table name."""
        return self.alias or self.name or ""


@dataclass(slots=True)
class CursorScope:
    """The scopes the cursor sees (its own first, then enclosing ones), their sources, and
    the clause the cursor is in (``SELECT``, ``FROM``, ``ON``, ``WHERE``, ... or "")."""

    scopes: tuple[int, ...]
    sources: tuple[Source, ...]
    clause: str

    def visible(self) -> list[Source]:
        """Sources in scope, nearest scope first."""
        order = {scope: rank for rank, scope in enumerate(self.scopes)}
        found = [source for source in self.sources if source.scope in order]
        return sorted(found, key=lambda source: order[source.scope])

    def find(self, qualifier: str) -> Source | None:
        """The source ``qualifier`` names (an alias, else a table name), nearest first."""
        wanted = qualifier.casefold()
        visible = self.visible()
        for source in visible:
            if source.alias and source.alias.casefold() == wanted:
                return source
        for source in visible:
            if source.alias is None and source.name and source.name.casefold() == wanted:
                return source
        return None


@dataclass(slots=True)
class _Frame:
    scope: int
    selects: int = 0
    clause: str = ""
    depth: int = 0  # plain parentheses open inside this (sub)query


@dataclass(slots=True)
class _Walk:
    tokens: Sequence[Token]
    cursor_index: int  # tokens before this index are before the cursor
    parents: dict[int, int | None] = field(default_factory=dict)
    sources: list[Source] = field(default_factory=list)
    frames: list[_Frame] = field(default_factory=list)
    parens: list[bool] = field(default_factory=list)  # True: the paren opened a subquery
    next_scope: int = 0
    at_cursor: tuple[tuple[int, ...], str] | None = None
    pairs: dict[int, int] = field(default_factory=dict)  # '(' index -> its ')' index

    def new_scope(self, parent: int | None) -> int:
        scope = self.next_scope
        self.next_scope += 1
        self.parents[scope] = parent
        return scope

    def chain(self, scope: int) -> tuple[int, ...]:
        chain: list[int] = []
        current: int | None = scope
        while current is not None:
            chain.append(current)
            current = self.parents.get(current)
        return tuple(chain)

    def run(self) -> CursorScope:
        self.frames = [_Frame(self.new_scope(None))]
        self.pairs = _pairs(self.tokens)
        for index, token in enumerate(self.tokens):
            if index == self.cursor_index:
                self._snapshot()
            self._step(index, token)
        if self.at_cursor is None:
            self._snapshot()
        assert self.at_cursor is not None
        scopes, clause = self.at_cursor
        return CursorScope(scopes=scopes, sources=tuple(self.sources), clause=clause)

    def _snapshot(self) -> None:
        frame = self.frames[-1]
        self.at_cursor = (self.chain(frame.scope), frame.clause)

    def _step(self, index: int, token: Token) -> None:
        kind = token.token_type
        frame = self.frames[-1]
        if kind is TokenType.L_PAREN:
            opens = _kind_at(self.tokens, index + 1) is TokenType.SELECT
            self.parens.append(opens)
            if opens:
                self.frames.append(_Frame(self.new_scope(frame.scope)))
            else:
                frame.depth += 1
            return
        if kind is TokenType.R_PAREN:
            if not self.parens:
                return
            if self.parens.pop():
                if len(self.frames) > 1:
                    self.frames.pop()
            else:
                frame.depth -= 1
            return
        if frame.depth > 0:
            return
        if kind is TokenType.SELECT:
            if frame.selects:  # a UNION / EXCEPT / INTERSECT arm: a sibling scope
                frame.scope = self.new_scope(self.parents.get(frame.scope))
            frame.selects += 1
        if kind in _CLAUSE_OF:
            frame.clause = _CLAUSE_OF[kind]
        if kind in _TABLE_STARTS or (kind is TokenType.COMMA and frame.clause == "FROM"):
            self._table_reference(index + 1, frame.scope)

    def _table_reference(self, index: int, scope: int) -> None:
        tokens = self.tokens
        if _kind_at(tokens, index) is TokenType.L_PAREN:
            close = self.pairs.get(index, len(tokens))
            columns = _select_names(tokens, index + 1, close)
            alias = _alias(tokens, close + 1) if close < len(tokens) else None
            # The '(' just after is the next token walked: it opens the next scope.
            inner = self.next_scope if columns else None
            self.sources.append(Source(scope, None, False, alias, columns, inner))
            return
        parts: list[str] = []
        while index < len(tokens) and _is_name(tokens, index):
            parts.append(tokens[index].text)
            if _kind_at(tokens, index + 1) is not TokenType.DOT:
                index += 1
                break
            index += 2
        if not parts:
            return
        shared = len(parts) > 1 and parts[0].casefold() == "ent"
        if _kind_at(tokens, index) is TokenType.WITH and index + 1 in self.pairs:
            index = self.pairs[index + 1] + 1  # past WITH (NOLOCK)-style hints
        self.sources.append(Source(scope, parts[-1], shared, _alias(tokens, index)))


def read_scope(tokens: Sequence[Token], cursor_index: int) -> CursorScope:
    """The scope at the cursor, which lies before ``tokens[cursor_index]`` (the tokens are
    one statement's)."""
    return _Walk(tokens, cursor_index).run()


def _kind_at(tokens: Sequence[Token], index: int) -> TokenType | None:
    return tokens[index].token_type if 0 <= index < len(tokens) else None


def _is_name(tokens: Sequence[Token], index: int) -> bool:
    kind = _kind_at(tokens, index)
    if kind in NAME_TOKENS:
        return True
    # A keyword token is a name after a dot (ENT.[x], t.Date).
    return (
        kind is not None
        and _kind_at(tokens, index - 1) is TokenType.DOT
        and (tokens[index].text[:1].isalpha() or tokens[index].text[:1] == "_")
    )


def _pairs(tokens: Sequence[Token]) -> dict[int, int]:
    """Each opening parenthesis's index mapped to its closing one's (unclosed ones: none)."""
    pairs: dict[int, int] = {}
    open_at: list[int] = []
    for index, token in enumerate(tokens):
        if token.token_type is TokenType.L_PAREN:
            open_at.append(index)
        elif token.token_type is TokenType.R_PAREN and open_at:
            pairs[open_at.pop()] = index
    return pairs


def _alias(tokens: Sequence[Token], index: int) -> str | None:
    if _kind_at(tokens, index) is TokenType.ALIAS:
        index += 1
        kind = _kind_at(tokens, index)
        if kind is not None and kind not in (TokenType.COMMA, TokenType.R_PAREN):
            return tokens[index].text
        return None
    if _kind_at(tokens, index) in NAME_TOKENS:
        return tokens[index].text
    return None


def _select_names(tokens: Sequence[Token], start: int, stop: int) -> tuple[str, ...]:
    """Output names of the SELECT list in ``tokens[start:stop]`` (a derived table's body):
    each item's alias, or the column it names; items without a name are left out."""
    if _kind_at(tokens, start) is not TokenType.SELECT:
        return ()
    names: list[str] = []
    item: list[int] = []
    depth = 0
    for index in range(start + 1, stop):
        kind = tokens[index].token_type
        if kind is TokenType.L_PAREN:
            depth += 1
        elif kind is TokenType.R_PAREN:
            depth -= 1
        elif depth == 0 and kind in (TokenType.COMMA, TokenType.FROM):
            names.extend(_item_name(tokens, item))
            item = []
            if kind is TokenType.FROM:
                return tuple(names)
            continue
        if depth == 0 and not (kind in (TokenType.DISTINCT, TokenType.TOP) and not item):
            item.append(index)
    names.extend(_item_name(tokens, item))
    return tuple(names)


def _item_name(tokens: Sequence[Token], item: list[int]) -> list[str]:
    if not item:
        return []
    last = item[-1]
    kind = tokens[last].token_type
    before = _kind_at(tokens, last - 1) if len(item) > 1 else None
    if kind in NAME_TOKENS and (len(item) == 1 or before in (TokenType.ALIAS, TokenType.DOT)):
        return [tokens[last].text]
    if kind in NAME_TOKENS and before in NAME_TOKENS | {TokenType.R_PAREN, TokenType.NUMBER}:
        return [tokens[last].text]  # expression alias without AS
    if kind is TokenType.STRING and before is TokenType.ALIAS:
        return [tokens[last].text]
    if kind is TokenType.STAR and len(item) == 1:
        return ["*"]
    if kind is TokenType.STAR and before is TokenType.DOT and len(item) == 3:
        return [tokens[item[0]].text + ".*"]
    return []
