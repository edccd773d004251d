"""Static checks: what MCE rejects before it looks at a single table (REFERENCE §5.1).

MCE pastes the query text into ``INSERT INTO ... SELECT ... FROM (<text>) AS querydef``, so
only one SELECT fits: no ``;``, no second statement, no DML/DDL/EXEC, no CTE, no variables,
no ``SELECT INTO``, no ``ORDER BY`` without ``TOP``/``OFFSET`` anywhere. sqlglot's T-SQL
reader is lenient (it accepts ``LIMIT``, several statements and stray commas), so the
checks look at the raw tokens first and at the parsed tree second.
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError
from sqlglot.tokens import Token, TokenType

from simulator.sql.builtins import check_calls, check_tokens
from simulator.sql.dialect import TSqlReader
from simulator.sql.errors import TOO_DEEP, SqlError

__all__ = ["check_query", "parse_query"]

_TSQL = TSqlReader()

#: Statements that are not a SELECT: MCE answers "Only SELECT queries are valid."
_NOT_SELECT = {
    TokenType.INSERT, TokenType.UPDATE, TokenType.DELETE, TokenType.MERGE, TokenType.EXECUTE,
    TokenType.CREATE, TokenType.DROP, TokenType.TRUNCATE, TokenType.ALTER, TokenType.COMMAND,
    TokenType.GRANT, TokenType.USE, TokenType.SET,
}  # fmt: skip
_NOT_SELECT_WORDS = {
    "INSERT", "UPDATE", "DELETE", "MERGE", "EXEC", "EXECUTE", "CREATE", "DROP", "TRUNCATE",
    "ALTER", "GRANT", "REVOKE", "USE", "SET", "BEGIN", "COMMIT", "ROLLBACK", "BULK", "PRINT",
    "DENY", "RAISERROR", "THROW", "WHILE", "IF", "GOTO", "RETURN", "OPEN", "FETCH", "CLOSE",
    "DEALLOCATE", "BACKUP", "RESTORE", "DBCC", "KILL", "SHUTDOWN", "WAITFOR", "READTEXT",
}  # fmt: skip

#: Functions REFERENCE §5.1 flags as failing in MCE (newer than its compatibility level).
REJECTED_FUNCTIONS = frozenset(
    {"STRING_SPLIT", "OPENJSON", "ISJSON", "JSON_MODIFY", "TRY_CONVERT", "TRY_CAST", "TRY_PARSE"}
)

#: Words SQL Server calls keywords in "Incorrect syntax near the keyword 'X'."
_KEYWORDS = {
    "SELECT", "FROM", "WHERE", "GROUP", "ORDER", "BY", "HAVING", "UNION", "ALL", "EXCEPT",
    "INTERSECT", "JOIN", "ON", "INNER", "LEFT", "RIGHT", "FULL", "OUTER", "CROSS", "AS", "AND",
    "OR", "NOT", "IN", "IS", "NULL", "CASE", "WHEN", "THEN", "ELSE", "END", "DISTINCT", "TOP",
    "WITH", "INTO", "DELETE", "UPDATE", "INSERT", "SET", "VALUES", "BETWEEN", "LIKE", "EXISTS",
}  # fmt: skip


def _near(text: str) -> SqlError:
    if text.upper() in _KEYWORDS:
        return SqlError(f"Incorrect syntax near the keyword '{text}'.")
    return SqlError(f"Incorrect syntax near '{text}'.")


def _tokens(text: str) -> list[Token]:
    try:
        return list(_TSQL.tokenize(text))
    except TokenError:
        raise SqlError("Unclosed quotation mark after the character string ''.") from None


def _check_first(first: Token) -> None:
    word = first.text.upper()
    if first.token_type is TokenType.WITH:
        raise _near("WITH")
    if first.token_type is TokenType.DECLARE:
        raise SqlError("'declare' is a reserved word and may not be used.")
    if first.token_type in _NOT_SELECT or word in _NOT_SELECT_WORDS:
        raise SqlError("Only SELECT queries are valid.")
    if first.token_type not in (TokenType.SELECT, TokenType.L_PAREN):
        raise _near(first.text)


def _check_tokens(tokens: list[Token]) -> None:
    for i, token in enumerate(tokens):
        kind = token.token_type
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        if kind is TokenType.SEMICOLON:
            raise SqlError("';' is a reserved word and may not be used.")
        if kind is TokenType.INTO:
            raise SqlError("'into' is a reserved word and may not be used.")
        if kind is TokenType.DECLARE:
            raise SqlError("'declare' is a reserved word and may not be used.")
        if kind is TokenType.PARAMETER:
            name = "@" + (nxt.text if nxt is not None else "")
            raise SqlError(f'Must declare the scalar variable "{name}".')
        if kind is TokenType.LIMIT and nxt is not None and nxt.token_type is TokenType.NUMBER:
            raise SqlError(f"Incorrect syntax near '{token.text}'.")
        if (
            token.text.upper() in REJECTED_FUNCTIONS
            and kind is not TokenType.IDENTIFIER
            and nxt is not None
            and nxt.token_type is TokenType.L_PAREN
        ):
            raise SqlError(f"'{token.text}' is not a recognized built-in function name.")
        if (
            kind is TokenType.COMMA
            and nxt is not None
            and nxt.token_type in (TokenType.FROM, TokenType.R_PAREN, TokenType.WHERE)
        ):
            raise _near(nxt.text)
        if i > 0 and (kind in _NOT_SELECT and kind is not TokenType.SET):
            raise _near(token.text)


def _check_tree(tree: exp.Expr) -> None:
    if not isinstance(tree, exp.Query):
        raise SqlError("Only SELECT queries are valid.")
    if tree.find(exp.With) is not None:
        raise _near("WITH")
    if tree.find(exp.Into) is not None:
        raise SqlError("'into' is a reserved word and may not be used.")
    for query in tree.find_all(exp.Select, exp.SetOperation):
        if query.args.get("order") is not None and not (
            query.args.get("limit") is not None or query.args.get("offset") is not None
        ):
            raise SqlError(
                "The ORDER BY clause is invalid in views, inline functions, derived tables, "
                "subqueries, and common table expressions, unless TOP, OFFSET or FOR XML is "
                "also specified."
            )
    for call in tree.find_all(exp.Anonymous):
        if str(call.this).upper() in REJECTED_FUNCTIONS:
            raise SqlError(f"'{call.this}' is not a recognized built-in function name.")


def parse_query(text: str) -> exp.Query:
    """The checked, parsed query (sqlglot T-SQL tree); raises :class:`SqlError`."""
    try:
        return _parse_query(text)
    except RecursionError:
        raise SqlError(TOO_DEEP) from None


def _parse_query(text: str) -> exp.Query:
    tokens = _tokens(text)
    if not tokens:
        raise SqlError("Incorrect syntax near ')'.")
    _check_first(tokens[0])
    _check_tokens(tokens)
    check_tokens(tokens)
    try:
        statements = [s for s in sqlglot.parse(text, read=TSqlReader) if s is not None]
    except ParseError as exc:
        first = exc.errors[0] if exc.errors else {}
        near = str(first.get("highlight") or "").strip()
        raise _near(near or ")") from None
    if len(statements) != 1:
        raise _near(statements[1].key.upper() if len(statements) > 1 else ")")
    tree = statements[0]
    _check_tree(tree)
    check_calls(tree, tokens)
    assert isinstance(tree, exp.Query)
    return tree


def check_query(text: str) -> None:
    """Static checks only (no table lookups); raises :class:`SqlError` with MCE's message."""
    parse_query(text)
