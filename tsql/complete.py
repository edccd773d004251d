"""Completions: what may come next at the cursor, for an editor that asks at every keystroke.

The SQL being typed is usually incomplete, so everything here works on sqlglot's tokens
(:mod:`tsql.complete_scope` reads the scope): after FROM/JOIN, tables (the caller's DEs through
``catalog.search`` with the typed prefix, never the whole catalogue, and tsql's data views);
after ``alias.``, that table's columns; elsewhere the columns of the tables in scope, the table
aliases, MCE's functions and keywords. Candidates are ranked by how the word under the cursor
matches them (prefix first, then contained), then by what the position usually wants.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from sqlglot.tokens import Token, TokenType

from tsql.catalog import Catalog
from tsql.complete_scope import NAME_TOKENS, CursorScope, Source, read_scope
from tsql.dataviews import DATA_VIEWS, resolve_data_view
from tsql.functions import FUNCTIONS
from tsql.names import quote_identifier
from tsql.parse import MAX_SQL_CHARS, tokenize
from tsql.types import Column, FieldType, Table, TableKind, TableName

__all__ = ["Completion", "CompletionKind", "complete"]


class CompletionKind(StrEnum):
    TABLE = "TABLE"
    DATA_VIEW = "DATA_VIEW"
    COLUMN = "COLUMN"
    FUNCTION = "FUNCTION"
    KEYWORD = "KEYWORD"
    ALIAS = "ALIAS"


@dataclass(frozen=True, slots=True)
class Completion:
    """One suggestion: ``label`` to show, ``insert_text`` to insert in place of the word under
    the cursor (bracketed when the name needs it), ``detail`` (type and length, DE, signature)
    and ``documentation`` (one line of help)."""

    label: str
    kind: CompletionKind
    detail: str | None
    insert_text: str
    documentation: str | None = None


#: Keywords offered in expressions and between clauses (nothing MCE refuses: no INTO, WITH,
#: DECLARE or LIMIT).
_KEYWORDS = (
    "SELECT", "DISTINCT", "TOP", "FROM", "WHERE", "AND", "OR", "NOT", "IN", "IS", "NULL",
    "LIKE", "BETWEEN", "EXISTS", "AS", "CASE", "WHEN", "THEN", "ELSE", "END", "GROUP BY",
    "HAVING", "ORDER BY", "ASC", "DESC", "UNION", "UNION ALL", "EXCEPT", "INTERSECT", "OVER",
    "PARTITION BY", "OFFSET", "FETCH NEXT", "ROWS ONLY",
)  # fmt: skip
_AFTER_TABLE = (
    "AS", "WHERE", "INNER JOIN", "LEFT JOIN", "RIGHT JOIN", "FULL OUTER JOIN", "CROSS JOIN",
    "CROSS APPLY", "OUTER APPLY", "ON", "GROUP BY", "ORDER BY", "UNION", "UNION ALL",
)  # fmt: skip
_STATEMENT_START = ("SELECT",)
#: Tokens that end an operand: what follows is an operator or a keyword, not a column.
_OPERAND_END = frozenset(
    {
        TokenType.VAR, TokenType.IDENTIFIER, TokenType.NUMBER, TokenType.STRING,
        TokenType.NATIONAL_STRING, TokenType.R_PAREN, TokenType.NULL, TokenType.STAR,
        TokenType.END,
    }
)  # fmt: skip
#: How many tables in scope have their columns looked up (each is one catalogue lookup).
_MAX_SOURCES = 8
#: How deep ``SELECT *`` of derived tables is followed.
_MAX_DEPTH = 4


@dataclass(frozen=True, slots=True)
class _Cursor:
    """Where the cursor is: the word being typed and the tokens around it."""

    prefix: str
    bracketed: bool  # the word started with an unclosed '['
    tokens: tuple[Token, ...]  # the statement's tokens
    index: int  # tokens[index] is the first token after the typed word


async def complete(
    sql: str, offset: int, *, catalog: Catalog, limit: int = 50
) -> tuple[Completion, ...]:
    """At most ``limit`` completions for the cursor at ``offset`` (a character offset in
    ``sql``), best first; none inside a string or a comment, or for SQL over the size limit."""
    if len(sql) > MAX_SQL_CHARS or limit <= 0:
        return ()
    cursor = _locate(sql, max(0, min(offset, len(sql))))
    if cursor is None:
        return ()
    tokens, index = cursor.tokens, cursor.index
    previous = _kind_at(tokens, index - 1)
    scope = read_scope(tokens, index)
    candidates: list[tuple[int, int, Completion]] = []
    if previous is TokenType.DOT:
        qualifier = tokens[index - 2] if index >= 2 else None
        if qualifier is None:
            return ()
        if qualifier.text.casefold() == "ent" and _starts_table(tokens, index - 2, scope):
            await _add_tables(candidates, cursor, catalog=catalog, limit=limit, shared_only=True)
        else:
            await _add_qualified_columns(candidates, cursor, qualifier.text, scope, catalog)
    elif _starts_table(tokens, index, scope):
        await _add_tables(candidates, cursor, catalog=catalog, limit=limit, shared_only=False)
    elif previous is None:
        _add_keywords(candidates, cursor.prefix, _STATEMENT_START, group=0)
    elif scope.clause == "FROM" and previous is not TokenType.L_PAREN:
        _add_keywords(candidates, cursor.prefix, _AFTER_TABLE, group=0)
    else:
        await _add_scope_columns(candidates, cursor, scope, catalog)
        _add_aliases(candidates, cursor, scope)
        if not cursor.bracketed:  # inside [ only names make sense
            _add_functions(candidates, cursor.prefix)
            # After a complete operand ("SELECT a |", "WHERE x |") a keyword comes next.
            after_operand = previous in _OPERAND_END and not cursor.prefix
            _add_keywords(candidates, cursor.prefix, _KEYWORDS, group=-1 if after_operand else 3)
    candidates.sort(key=lambda item: (item[0], item[1], item[2].label.casefold()))
    unique: dict[tuple[CompletionKind, str, str], Completion] = {}
    for _rank, _group, completion in candidates:
        key = (completion.kind, completion.label.casefold(), completion.insert_text)
        unique.setdefault(key, completion)
        if len(unique) == limit:
            break
    return tuple(unique.values())


# ------------------------------------------------------------------------- the cursor


def _locate(sql: str, offset: int) -> _Cursor | None:
    before = sql[:offset]
    tokens, failure = tokenize(before)
    bracketed = False
    if failure is not None:
        # An unclosed '[' is a name being typed; anything else open is a string or comment.
        bracket = before.rfind("[")
        if bracket < 0 or "]" in before[bracket:]:
            return None
        tokens, failure = tokenize(before[:bracket])
        if failure is not None:
            return None
        prefix, bracketed = before[bracket + 1 :], True
    else:
        if _in_line_comment(before, tokens):
            return None
        prefix = ""
        last = tokens[-1] if tokens else None
        if last is not None and last.end + 1 == offset and _is_word(last):
            prefix = last.text
            tokens = tokens[:-1]
    head = list(tokens)
    tail = _tail_tokens(sql, offset)
    start = max(
        (i + 1 for i, t in enumerate(head) if t.token_type is TokenType.SEMICOLON), default=0
    )
    stop = next((i for i, t in enumerate(tail) if t.token_type is TokenType.SEMICOLON), len(tail))
    statement = tuple(head[start:]) + tuple(tail[:stop])
    return _Cursor(prefix, bracketed, statement, len(head) - start)


def _tail_tokens(sql: str, offset: int) -> list[Token]:
    """Tokens after the cursor (past the word being typed); [] when they do not tokenise."""
    end = offset
    while end < len(sql) and (sql[end].isalnum() or sql[end] in "_@#$]"):
        end += 1
    tokens, failure = tokenize(sql[end:])
    return [] if failure is not None else list(tokens)


def _in_line_comment(before: str, tokens: Sequence[Token]) -> bool:
    """Whether the text after the last token ends inside a ``--`` comment."""
    position = tokens[-1].end + 1 if tokens else 0
    while True:
        dash = before.find("--", position)
        if dash < 0:
            return False
        block = before.find("/*", position)
        if 0 <= block < dash:
            close = before.find("*/", block + 2)
            if close < 0:
                return False
            position = close + 2
            continue
        newline = before.find("\n", dash)
        if newline < 0:
            return True
        position = newline + 1


def _is_word(token: Token) -> bool:
    if token.token_type in NAME_TOKENS:
        return True
    text = token.text
    return bool(text) and (text[0].isalpha() or text[0] == "_") and " " not in text


def _kind_at(tokens: Sequence[Token], index: int) -> TokenType | None:
    return tokens[index].token_type if 0 <= index < len(tokens) else None


def _starts_table(tokens: Sequence[Token], index: int, scope: CursorScope) -> bool:
    """Whether a table name goes at ``tokens[index]`` (after FROM, JOIN, APPLY or a comma
    in a FROM clause)."""
    previous = _kind_at(tokens, index - 1)
    if previous in (TokenType.FROM, TokenType.JOIN, TokenType.APPLY):
        return True
    return previous is TokenType.COMMA and scope.clause == "FROM"


# ---------------------------------------------------------------------- candidates


def _rank(label: str, prefix: str, *, loose: bool = False) -> int | None:
    """0: ``label`` starts with the typed prefix; 1: it does after a leading ``_``/``ENT.``;
    2: it contains it; None: no match (``loose`` keeps it at 3: the catalogue matched it)."""
    wanted = prefix.casefold()
    folded = label.casefold()
    if not wanted or folded.startswith(wanted):
        return 0
    bare = folded.removeprefix("ent.").lstrip("_[")
    if bare.startswith(wanted.lstrip("_")):
        return 1
    if wanted in folded:
        return 2
    return 3 if loose else None


def _insert_name(name: str, cursor: _Cursor) -> str:
    """A name as typed at the cursor: bracketed when it needs it, or when the user opened a
    bracket (then the closing one is part of the insert)."""
    if cursor.bracketed:
        return name.replace("]", "]]") + "]"
    return quote_identifier(name)


async def _add_tables(
    out: list[tuple[int, int, Completion]],
    cursor: _Cursor,
    *,
    catalog: Catalog,
    limit: int,
    shared_only: bool,
) -> None:
    prefix = cursor.prefix
    for view in DATA_VIEWS.values():
        rank = _rank(view.name, prefix)
        if rank is not None:
            completion = Completion(
                label=view.name,
                kind=CompletionKind.DATA_VIEW,
                detail="data view" + (f", {view.retention} of data" if view.retention else ""),
                insert_text=_insert_name(view.name, cursor),
                documentation=view.description,
            )
            out.append((rank, 1, completion))
    # After ENT. only shared DEs count: the catalogue filters them.
    for table in await catalog.search(prefix, limit=limit, shared=True if shared_only else None):
        if (shared_only and not table.shared) or table.kind is not TableKind.DATA_EXTENSION:
            continue  # data views come from tsql's own catalogue, above
        rank = _rank(table.name, prefix, loose=True)
        assert rank is not None
        written_shared = table.shared and not shared_only
        label = f"ENT.{table.name}" if written_shared else table.name
        insert = _insert_name(table.name, cursor)
        out.append(
            (
                rank,
                0,
                Completion(
                    label=label,
                    kind=CompletionKind.TABLE,
                    detail="shared data extension" if table.shared else "data extension",
                    insert_text=f"ENT.{insert}" if written_shared else insert,
                    documentation=table.description,
                ),
            )
        )


async def _columns_of(
    source: Source, catalog: Catalog, scope: CursorScope, depth: int = 0
) -> tuple[str, tuple[Column, ...]]:
    """The display name and columns of a source. A derived table's columns are the names its
    SELECT list gives (type unknown), its ``*``/``t.*`` expanded from the tables inside."""
    if source.name is None:
        columns: list[Column] = []
        for name in source.columns:
            if not name.endswith("*"):
                columns.append(Column(name, FieldType.TEXT, type_known=False))
                continue
            qualifier = name[:-2] if name.endswith(".*") else None
            for inner in scope.sources:
                if inner.scope != source.inner_scope or depth >= _MAX_DEPTH:
                    continue
                if qualifier is not None and qualifier.casefold() != inner.label.casefold():
                    continue
                _label, found = await _columns_of(inner, catalog, scope, depth + 1)
                columns.extend(found)
        return source.alias or "derived table", tuple(columns)
    table: Table | None = await resolve_data_view(TableName(source.name, source.shared), catalog)
    if table is None:
        table = await catalog.lookup(TableName(source.name, source.shared))
    if table is None:
        return source.name, ()
    return TableName(table.name, source.shared).display, table.columns


def _column_detail(column: Column, table: str) -> str:
    if not column.type_known:
        return table
    kind = column.field_type.value
    if column.field_type is FieldType.DECIMAL and column.precision is not None:
        kind += f"({column.precision},{column.scale or 0})"
    elif column.max_length is not None:
        kind += f"({column.max_length})"
    return f"{kind} · {table}"


async def _add_qualified_columns(
    out: list[tuple[int, int, Completion]],
    cursor: _Cursor,
    qualifier: str,
    scope: CursorScope,
    catalog: Catalog,
) -> None:
    source = scope.find(qualifier) or Source(-1, qualifier, False, None)
    table, columns = await _columns_of(source, catalog, scope)
    for column in columns:
        rank = _rank(column.name, cursor.prefix)
        if rank is not None:
            completion = Completion(
                label=column.name,
                kind=CompletionKind.COLUMN,
                detail=_column_detail(column, table),
                insert_text=_insert_name(column.name, cursor),
            )
            out.append((rank, 0, completion))


async def _add_scope_columns(
    out: list[tuple[int, int, Completion]],
    cursor: _Cursor,
    scope: CursorScope,
    catalog: Catalog,
) -> None:
    found: list[tuple[Source, str, Column]] = []
    for source in scope.visible()[:_MAX_SOURCES]:
        table, columns = await _columns_of(source, catalog, scope)
        found.extend((source, table, column) for column in columns)
    owners: dict[str, int] = {}
    for _source, _table, column in found:
        owners[column.name.casefold()] = owners.get(column.name.casefold(), 0) + 1
    for source, table, column in found:
        rank = _rank(column.name, cursor.prefix)
        if rank is None:
            continue
        insert = _insert_name(column.name, cursor)
        if owners[column.name.casefold()] > 1 and not cursor.bracketed:
            insert = f"{quote_identifier(source.label)}.{insert}"  # ambiguous alone
        completion = Completion(
            label=column.name,
            kind=CompletionKind.COLUMN,
            detail=_column_detail(column, table),
            insert_text=insert,
        )
        out.append((rank, 0, completion))


def _add_aliases(
    out: list[tuple[int, int, Completion]], cursor: _Cursor, scope: CursorScope
) -> None:
    for source in scope.visible():
        if source.alias is None:
            continue
        rank = _rank(source.alias, cursor.prefix)
        if rank is not None:
            detail = TableName(source.name, source.shared).display if source.name else None
            completion = Completion(
                label=source.alias,
                kind=CompletionKind.ALIAS,
                detail=detail or "derived table",
                insert_text=_insert_name(source.alias, cursor),
            )
            out.append((rank, 1, completion))


def _add_functions(out: list[tuple[int, int, Completion]], prefix: str) -> None:
    for spec in FUNCTIONS.values():
        rank = _rank(spec.name, prefix)
        if rank is None:
            continue
        takes_nothing = spec.signature.startswith(f"{spec.name}()")
        completion = Completion(
            label=spec.name,
            kind=CompletionKind.FUNCTION,
            detail=spec.signature,
            insert_text=f"{spec.name}()" if takes_nothing else f"{spec.name}(",
            documentation=spec.description,
        )
        out.append((rank, 2, completion))


def _add_keywords(
    out: list[tuple[int, int, Completion]], prefix: str, keywords: Iterable[str], *, group: int
) -> None:
    for keyword in keywords:
        rank = _rank(keyword, prefix)
        if rank is not None and rank < 2:
            completion = Completion(
                label=keyword, kind=CompletionKind.KEYWORD, detail=None, insert_text=keyword
            )
            out.append((rank, group, completion))
