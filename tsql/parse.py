"""Bounded parsing of MCE SQL with sqlglot's T-SQL dialect.

Hostile text must give a finding, never an exception: the size is capped before anything else,
nesting is measured on the token stream (sqlglot's parser is recursive, so 10,000 nested
parentheses would otherwise exhaust the stack), and sqlglot's own errors become findings with
the position it reports.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import ParseError, SqlglotError, TokenError
from sqlglot.parsers.tsql import TSQLParser
from sqlglot.tokens import Token, TokenType

from tsql.findings import Finding, Severity, span_of_offsets

__all__ = [
    "DIALECT",
    "MAX_NESTING",
    "MAX_SET_OPERATIONS",
    "MAX_SQL_CHARS",
    "ParsedSql",
    "parse",
    "tokenize",
]

DIALECT = "tsql"
_TSQL = Dialect.get_or_raise(DIALECT)


class _Parser(TSQLParser):
    """sqlglot's T-SQL parser without its warning for statements it reads as a Command: the
    warning quotes the user's SQL into the application's logs (WHERE clauses hold e-mail
    addresses), and tsql reports those statements as findings anyway."""

    def _warn_unsupported(self) -> None:
        return None


#: Longest SQL text tsql looks at (characters): far above any real query activity.
MAX_SQL_CHARS = 100_000
#: Deepest nesting (parentheses and CASE ... END) tsql parses. sqlglot's parser is recursive,
#: about 22 Python frames per level at worst (nested scalar subqueries or calls): 32 levels leave
#: a few hundred frames of the default recursion limit for the caller's own stack (a web server
#: with middleware and resolvers). Real queries rarely nest beyond 10.
MAX_NESTING = 32
#: Most UNION/EXCEPT/INTERSECT operators in one text: sqlglot builds a left-deep tree of them,
#: which tree walks (and inference) follow recursively.
MAX_SET_OPERATIONS = 100


@dataclass(frozen=True, slots=True)
class ParsedSql:
    """The outcome of :func:`parse`: the statements sqlglot read (none when it could not), the
    tokens (comments attached as sqlglot attaches them), and findings about the text itself."""

    text: str
    statements: tuple[exp.Expr, ...]
    tokens: tuple[Token, ...]
    findings: tuple[Finding, ...]

    @property
    def statement(self) -> exp.Expr | None:
        """The single statement, when there is exactly one."""
        return self.statements[0] if len(self.statements) == 1 else None

    @property
    def ok(self) -> bool:
        return not any(finding.blocking for finding in self.findings)


def tokenize(text: str) -> tuple[tuple[Token, ...], Finding | None]:
    """sqlglot's T-SQL tokens for ``text``, or a finding where the tokenizer gave up."""
    try:
        return tuple(_TSQL.tokenize(text)), None
    except TokenError as error:
        unclosed = _unclosed(text)
        if unclosed is not None:
            start, what, closer = unclosed
            return (), Finding(
                code="SYNTAX_ERROR",
                severity=Severity.ERROR,
                message=f"This {what} is never closed.",
                span=span_of_offsets(text, start, len(text)),
                suggestion=f"Close it with {closer}.",
            )
        return (), Finding(
            code="SYNTAX_ERROR",
            severity=Severity.ERROR,
            message=f"The SQL could not be read: {_first_line(str(error))}",
            span=span_of_offsets(text, len(text), len(text)),
        )


#: Openers of T-SQL's delimited pieces: (opener, closer, what it is, how a closer is escaped).
_DELIMITED = (
    ("'", "'", "string", True),
    ("[", "]", "bracketed name", True),
    ('"', '"', "quoted name", True),
    ("/*", "*/", "comment", False),
    ("--", "\n", "line comment", False),
)


def _unclosed(text: str) -> tuple[int, str, str] | None:
    """Where an unclosed string, bracketed name or comment starts (the tokenizer's message
    does not say). A scan of delimiters only: what is inside them is not looked at."""
    position = 0
    length = len(text)
    while position < length:
        for opener, closer, what, doubled in _DELIMITED:
            if not text.startswith(opener, position):
                continue
            if closer == "\n":
                end = text.find("\n", position)
                position = length if end < 0 else end + 1
                break
            search = position + len(opener)
            while True:
                end = text.find(closer, search)
                if end < 0:
                    return position, what, closer
                if doubled and text.startswith(closer * 2, end):
                    search = end + 2 * len(closer)
                    continue
                break
            position = end + len(closer)
            break
        else:
            position += 1
    return None


def parse(text: str) -> ParsedSql:
    """Parse ``text``; never raises for any input."""
    if len(text) > MAX_SQL_CHARS:
        return _refused(
            text,
            Finding(
                code="SQL_TOO_LONG",
                severity=Severity.ERROR,
                message=f"The SQL is {len(text):,} characters long; the limit is "
                f"{MAX_SQL_CHARS:,}.",
                span=span_of_offsets(text, MAX_SQL_CHARS, len(text)),
                suggestion="Split the work into several queries.",
            ),
        )
    if not text.strip():
        return _refused(
            text,
            Finding(
                code="EMPTY_SQL",
                severity=Severity.ERROR,
                message="There is no SQL to check.",
                suggestion="Write a SELECT statement.",
            ),
        )
    tokens, failure = tokenize(text)
    if failure is not None:
        return _refused(text, failure)
    too_deep = _too_deep(text, tokens)
    if too_deep is not None:
        return ParsedSql(text, (), tokens, (too_deep,))
    try:
        statements = tuple(
            statement
            for statement in _Parser(dialect=_TSQL).parse(list(tokens), text)
            if statement is not None
        )
    except ParseError as error:
        finding = _second_statement(text, tokens, error) or _syntax_finding(text, error)
        return ParsedSql(text, (), tokens, (finding,))
    except SqlglotError as error:
        # TokenError: the parser re-reads some pieces (statements it falls back to as Commands)
        return ParsedSql(
            text,
            (),
            tokens,
            (
                Finding(
                    code="SYNTAX_ERROR",
                    severity=Severity.ERROR,
                    message=f"The SQL could not be read: {_first_line(str(error))}",
                    suggestion="Check brackets and quotes: each must be closed.",
                ),
            ),
        )
    except RecursionError:
        # the caller's own stack was deeper than MAX_NESTING allows for
        return ParsedSql(text, (), tokens, (_too_deep_finding(text, None),))
    except (ValueError, TypeError, AttributeError, KeyError, IndexError) as error:
        # sqlglot is not hardened against every input: whatever it raises is a finding.
        return ParsedSql(
            text,
            (),
            tokens,
            (
                Finding(
                    code="SYNTAX_ERROR",
                    severity=Severity.ERROR,
                    message=f"The SQL could not be read ({type(error).__name__}).",
                ),
            ),
        )
    if not statements:
        return ParsedSql(
            text,
            (),
            tokens,
            (
                Finding(
                    code="EMPTY_SQL",
                    severity=Severity.ERROR,
                    message="There is no statement to check.",
                    suggestion="Write a SELECT statement.",
                ),
            ),
        )
    return ParsedSql(text, statements, tokens, ())


def _refused(text: str, finding: Finding) -> ParsedSql:
    return ParsedSql(text, (), (), (finding,))


_OPENERS = frozenset({TokenType.L_PAREN, TokenType.CASE})
_CLOSERS = frozenset({TokenType.R_PAREN, TokenType.END})
_SET_OPERATORS = frozenset({TokenType.UNION, TokenType.EXCEPT, TokenType.INTERSECT})


def _too_deep(text: str, tokens: tuple[Token, ...]) -> Finding | None:
    depth = 0
    set_operations = 0
    for token in tokens:
        if token.token_type in _SET_OPERATORS:
            set_operations += 1
            if set_operations > MAX_SET_OPERATIONS:
                return Finding(
                    code="SQL_TOO_DEEP",
                    severity=Severity.ERROR,
                    message=f"The SQL combines more than {MAX_SET_OPERATIONS + 1} SELECTs with "
                    "UNION, EXCEPT or INTERSECT.",
                    span=span_of_offsets(text, token.start, token.end + 1),
                    suggestion="Split the work into several queries appending to one data "
                    "extension.",
                )
        elif token.token_type in _OPENERS:
            depth += 1
            if depth > MAX_NESTING:
                return _too_deep_finding(text, token)
        elif token.token_type in _CLOSERS:
            depth = max(0, depth - 1)
    return None


def _too_deep_finding(text: str, token: Token | None) -> Finding:
    return Finding(
        code="SQL_TOO_DEEP",
        severity=Severity.ERROR,
        message=f"The SQL nests parentheses or CASE expressions more than {MAX_NESTING} deep.",
        span=span_of_offsets(text, token.start, token.end + 1) if token is not None else None,
        suggestion="Simplify the expression or split it into derived tables.",
    )


#: Words that start a statement: where sqlglot stops at one of them after a complete
#: statement, the text holds a second statement without a ';'.
_STATEMENT_STARTS = frozenset(
    {
        TokenType.SELECT, TokenType.INSERT, TokenType.UPDATE, TokenType.DELETE, TokenType.MERGE,
        TokenType.WITH, TokenType.DECLARE, TokenType.EXECUTE, TokenType.CREATE, TokenType.DROP,
        TokenType.ALTER, TokenType.TRUNCATE, TokenType.COMMAND, TokenType.SET, TokenType.USE,
    }
)  # fmt: skip


#: Words after which a SELECT continues the statement (badly) rather than starting another.
_DANGLING = frozenset(
    {
        TokenType.IN, TokenType.EXISTS, TokenType.ALL, TokenType.ANY, TokenType.SOME,
        TokenType.ALIAS, TokenType.L_PAREN, TokenType.EQ, TokenType.NEQ, TokenType.GT,
        TokenType.GTE, TokenType.LT, TokenType.LTE, TokenType.COMMA, TokenType.UNION,
        TokenType.EXCEPT, TokenType.INTERSECT, TokenType.FROM, TokenType.WHERE, TokenType.AND,
        TokenType.OR, TokenType.NOT, TokenType.ON, TokenType.JOIN, TokenType.SELECT,
        TokenType.HAVING, TokenType.GROUP_BY, TokenType.ORDER_BY, TokenType.PLUS, TokenType.DASH,
        TokenType.STAR, TokenType.SLASH, TokenType.THEN, TokenType.ELSE, TokenType.WHEN,
    }
)  # fmt: skip


def _second_statement(text: str, tokens: tuple[Token, ...], error: ParseError) -> Finding | None:
    detail = error.errors[0] if error.errors else {}
    line, column = detail.get("line"), detail.get("col")
    if not isinstance(line, int) or not isinstance(column, int) or line < 1:
        return None
    offset = _offset_of(text, line, column)
    index = next((i for i, token in enumerate(tokens) if token.end + 1 == offset), None)
    if not index or tokens[index].token_type not in _STATEMENT_STARTS:
        return None
    if tokens[index - 1].token_type in _DANGLING:
        return None  # WHERE b IN SELECT ...: a missing parenthesis, not a second statement
    start = tokens[index].start
    try:
        head = text[:start]
        parser = _Parser(dialect=_TSQL)
        before = [s for s in parser.parse(_TSQL.tokenize(head), head) if s is not None]
    except (SqlglotError, RecursionError):
        return None
    if len(before) != 1:
        return None
    return Finding(
        code="MULTIPLE_STATEMENTS",
        severity=Severity.ERROR,
        message="A second statement starts here; a query activity is exactly one SELECT.",
        span=span_of_offsets(text, start, len(text)),
        suggestion="Keep one SELECT; combine results with UNION ALL or a join.",
    )


def _syntax_finding(text: str, error: ParseError) -> Finding:
    detail = error.errors[0] if error.errors else {}
    line = detail.get("line")
    column = detail.get("col")
    span = None
    if isinstance(line, int) and isinstance(column, int) and line >= 1:
        offset = _offset_of(text, line, column)
        highlight = str(detail.get("highlight") or "")
        start = max(0, offset - len(highlight))
        span = span_of_offsets(text, start, max(offset, start + 1))
    description = str(detail.get("description") or _first_line(str(error)))
    return Finding(
        code="SYNTAX_ERROR",
        severity=Severity.ERROR,
        message=f"Incorrect syntax: {description}",
        span=span,
        suggestion="Check the SQL just before this point: a missing word, comma or parenthesis.",
    )


def _offset_of(text: str, line: int, column: int) -> int:
    """The 0-based offset just past 1-based ``line``/``column`` as sqlglot reports them."""
    offset = 0
    for _ in range(line - 1):
        next_newline = text.find("\n", offset)
        if next_newline < 0:
            return len(text)
        offset = next_newline + 1
    return min(len(text), offset + column)


def _first_line(message: str) -> str:
    return message.strip().splitlines()[0] if message.strip() else "unknown error"
