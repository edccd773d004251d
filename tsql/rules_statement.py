"""Rules about the statement as a whole (REFERENCE §5.1).

MCE pastes the text into ``INSERT INTO ... SELECT ... FROM (<text>) AS querydef``, so exactly one
SELECT fits: no ``;``, no second statement, no DML/DDL/EXEC, no CTE, no ``SELECT INTO``, no
DECLARE or variables, no temp tables and no ``LIMIT`` (not T-SQL). sqlglot's T-SQL reader is
more lenient than SQL Server (it reads ``LIMIT``, several statements, a JOIN without ON), so
some rules look at tokens as well as at the tree.
"""

from __future__ import annotations

from sqlglot import exp
from sqlglot.tokens import Token, TokenType

from tsql.findings import Finding, Severity, Span
from tsql.rules_base import NodeIndex, RuleContext, error, node_range

__all__ = [
    "check_joins",
    "check_statement_shape",
    "check_statement_tokens",
    "statement_starts",
]

SEMICOLON_MESSAGE = "';' is a reserved word and may not be used"
ONLY_SELECT_MESSAGE = "Only SELECT queries are valid."
INTO_MESSAGE = "'into' is a reserved word"

#: Statements that are not a query: MCE answers "Only SELECT queries are valid."
_NOT_SELECT: tuple[type[exp.Expr], ...] = (
    exp.Insert, exp.Update, exp.Delete, exp.Merge, exp.Create, exp.Drop, exp.Alter,
    exp.TruncateTable, exp.Execute, exp.Command, exp.Use, exp.Set, exp.Transaction,
    exp.Commit, exp.Rollback, exp.Grant,
)  # fmt: skip
_WITH = frozenset({TokenType.WITH})
_INTO = frozenset({TokenType.INTO})
_JOIN = frozenset({TokenType.JOIN, TokenType.COMMA, TokenType.APPLY})
#: Tokens that cannot follow a comma (sqlglot's reader drops such a comma silently).
_NOT_AFTER_COMMA = frozenset(
    {
        TokenType.FROM, TokenType.WHERE, TokenType.GROUP_BY, TokenType.ORDER_BY,
        TokenType.HAVING, TokenType.R_PAREN, TokenType.UNION, TokenType.EXCEPT,
        TokenType.INTERSECT, TokenType.COMMA, TokenType.SEMICOLON, TokenType.JOIN,
        TokenType.ON,
    }
)  # fmt: skip
#: Other dialects' syntax sqlglot's T-SQL reader accepts, and the T-SQL way.
_FOREIGN = {
    TokenType.DCOLON: "Write CAST(value AS type) or CONVERT(type, value).",
    TokenType.PLACEHOLDER: "Write the value itself: a query activity has no parameters.",
}
_LIMIT_ARGUMENT = frozenset({TokenType.NUMBER, TokenType.PARAMETER, TokenType.L_PAREN})


def check_statement_tokens(context: RuleContext, statement_count: int) -> None:
    """``;``, a second statement, variables and ``LIMIT``, which live in the token stream."""
    tokens = context.tokens
    in_declare = False  # the variables a DECLARE names are reported as the DECLARE
    for index, token in enumerate(tokens):
        kind = token.token_type
        if kind is TokenType.DECLARE:
            in_declare = True
        if kind is TokenType.SEMICOLON:
            in_declare = False
            context.add(
                error(
                    "SEMICOLON",
                    "MCE does not accept ';': the query runs inside another statement.",
                    context.token_span(token),
                    mce_message=SEMICOLON_MESSAGE,
                    suggestion="Remove the ';'.",
                )
            )
        elif (
            kind is TokenType.PARAMETER
            and not in_declare
            and (index == 0 or tokens[index - 1].token_type is not TokenType.PARAMETER)
        ):
            _variable(context, index)
        elif kind is TokenType.COMMA and (
            index + 1 == len(tokens) or tokens[index + 1].token_type in _NOT_AFTER_COMMA
        ):
            context.add(
                error(
                    "SYNTAX_ERROR",
                    "Nothing follows this comma.",
                    context.token_span(token),
                    suggestion="Remove the comma, or add the missing item after it.",
                )
            )
        elif kind in _FOREIGN:
            context.add(
                error(
                    "SYNTAX_ERROR",
                    f"'{token.text}' is not T-SQL.",
                    context.token_span(token),
                    suggestion=_FOREIGN[kind],
                )
            )
        elif (
            kind is TokenType.LIMIT
            and index + 1 < len(tokens)
            and tokens[index + 1].token_type in _LIMIT_ARGUMENT
        ):
            context.add(
                error(
                    "LIMIT",
                    "LIMIT is not T-SQL.",
                    context.token_span(token, tokens[index + 1]),
                    suggestion="Write SELECT TOP n ... (with ORDER BY to choose which rows).",
                )
            )
    if statement_count > 1:
        second = _second_statement_start(tokens)
        context.add(
            error(
                "MULTIPLE_STATEMENTS",
                f"The text holds {statement_count} statements; a query activity is exactly one "
                "SELECT.",
                context.span(second, len(context.text)) if second is not None else None,
                suggestion="Keep one SELECT; combine results with UNION ALL or a join.",
            )
        )


def _second_statement_start(tokens: tuple[Token, ...]) -> int | None:
    seen_semicolon = False
    for token in tokens:
        if token.token_type is TokenType.SEMICOLON:
            seen_semicolon = True
        elif seen_semicolon:
            return token.start
    return None


def _variable(context: RuleContext, index: int) -> None:
    tokens = context.tokens
    last = index
    while last + 1 < len(tokens) and tokens[last + 1].token_type is TokenType.PARAMETER:
        last += 1
    if last + 1 < len(tokens) and tokens[last + 1].start == tokens[last].end + 1:
        last += 1  # the name right after the @ signs
    name = context.text[tokens[index].start : tokens[last].end + 1]
    context.add(
        error(
            "VARIABLE",
            f"Variables such as {name} do not exist in a query activity (there is no DECLARE).",
            context.token_span(tokens[index], tokens[last]),
            suggestion="Write the value itself, or compute it in the query "
            "(GETDATE(), a subquery, a join).",
        )
    )


def check_statement_shape(
    context: RuleContext, statement: exp.Expr, nodes: NodeIndex, *, first: Token | None
) -> bool:
    """Not a query, DECLARE, CTE, SELECT INTO, temp tables; False when the statement is not a
    query at all (the other rules then have nothing to look at)."""
    if isinstance(statement, exp.Declare):
        context.add(
            error(
                "DECLARE",
                "DECLARE is not available: a query activity is a single SELECT.",
                context.token_span(first) if first is not None else None,
                suggestion="Write the value itself in the query.",
            )
        )
        return False
    if not isinstance(statement, exp.Query):
        span = context.token_span(first) if first is not None else None
        if isinstance(statement, _NOT_SELECT):
            context.add(
                error(
                    "NOT_SELECT",
                    f"Only a SELECT can run as a query activity, not {_verb(first)}.",
                    span,
                    mce_message=ONLY_SELECT_MESSAGE,
                    suggestion="Write a SELECT; MCE writes its rows into the target data "
                    "extension (Overwrite, Append or Update).",
                )
            )
        else:
            context.add(
                error(
                    "SYNTAX_ERROR",
                    "This is not a SELECT statement.",
                    span,
                    suggestion="Start the query with SELECT.",
                )
            )
        return False
    for select in nodes.selects:
        if not select.expressions:
            context.add(
                error(
                    "SYNTAX_ERROR",
                    "This SELECT lists no columns.",
                    _select_keyword_span(context, select),
                    suggestion="List the columns to select after SELECT.",
                )
            )
    for node in nodes.shapes:
        if isinstance(node, exp.With):
            _cte(context, node)
        elif isinstance(node, exp.Into):
            _into(context, node)
        elif isinstance(node, exp.Table) and node.find_ancestor(exp.Into) is None:
            _temp_table(context, node)
            if node.args.get("hints"):
                _redundant_nolock(context, node)
    return True


_UNCOMMITTED_HINTS = frozenset({"NOLOCK", "READUNCOMMITTED"})


def _redundant_nolock(context: RuleContext, table: exp.Table) -> None:
    """REFERENCE 5.1: MCE's wrapper already reads uncommitted data, so the hint does nothing."""
    hinted = any(
        isinstance(hint, exp.WithTableHint)
        and any(e.name.upper() in _UNCOMMITTED_HINTS for e in hint.expressions)
        for hint in table.args["hints"]
    )
    bounds = node_range(table)
    if not hinted or bounds is None:
        return
    for token in context.tokens_between(bounds[1], len(context.text)):
        if token.token_type is TokenType.R_PAREN:
            return
        if token.text.upper() in _UNCOMMITTED_HINTS:
            context.add(
                Finding(
                    "REDUNDANT_NOLOCK",
                    Severity.INFO,
                    f"{token.text} changes nothing: MCE already runs every query activity "
                    "with READ UNCOMMITTED.",
                    context.token_span(token),
                    None,
                    "Remove the table hint.",
                )
            )
            return


def _select_keyword_span(context: RuleContext, select: exp.Select) -> Span | None:
    bounds = node_range(select)
    end = bounds[0] if bounds is not None else len(context.text) + 1
    keyword = context.previous_token(end, frozenset({TokenType.SELECT}))
    return context.token_span(keyword) if keyword is not None else None


def statement_starts(tokens: tuple[Token, ...]) -> list[Token]:
    """The first token of each statement: sqlglot splits statements at ';' and skips empty
    ones, and so does this."""
    starts: list[Token] = []
    at_start = True
    for token in tokens:
        if token.token_type is TokenType.SEMICOLON:
            at_start = True
        elif at_start:
            starts.append(token)
            at_start = False
    return starts


def _verb(token: Token | None) -> str:
    return token.text.upper() if token is not None else "this statement"


def _cte(context: RuleContext, node: exp.With) -> None:
    bounds = node_range(node)
    keyword = context.previous_token(bounds[0], _WITH) if bounds is not None else None
    context.add(
        error(
            "CTE",
            "Common table expressions (WITH ... AS) are not supported: the query runs inside "
            "a derived table.",
            context.token_span(keyword) if keyword is not None else None,
            suggestion="Move each CTE into the FROM clause as a derived table: "
            "FROM (SELECT ...) AS name.",
        )
    )


def _into(context: RuleContext, node: exp.Into) -> None:
    bounds = node_range(node)
    keyword = context.previous_token(bounds[0], _INTO) if bounds is not None else None
    context.add(
        error(
            "SELECT_INTO",
            "SELECT ... INTO is not available: MCE writes the rows into the query activity's "
            "target data extension.",
            context.token_span(keyword) if keyword is not None else None,
            mce_message=INTO_MESSAGE,
            suggestion="Remove INTO ...; choose the target data extension when you deploy.",
        )
    )


def _temp_table(context: RuleContext, table: exp.Table) -> None:
    identifier = table.this
    if not isinstance(identifier, exp.Identifier):
        return
    if not (identifier.args.get("temporary") or identifier.args.get("global_")):
        return
    meta = identifier._meta or {}
    start, end = meta.get("start"), meta.get("end")
    hashes = "##" if identifier.args.get("global_") else "#"
    span = None
    if isinstance(start, int) and isinstance(end, int):
        span = context.span(max(0, start - len(hashes)), end + 1)
    context.add(
        error(
            "TEMP_TABLE",
            f"Temporary tables ({hashes}{identifier.name}) do not exist in a query activity.",
            span,
            suggestion="Write the rows into a data extension with another query activity, "
            "or use a derived table.",
        )
    )


def check_joins(context: RuleContext, join: exp.Join) -> None:
    """INNER/LEFT/RIGHT/FULL JOIN needs ON (sqlglot reads a bare JOIN as a cross join);
    USING is not T-SQL."""
    target = join.this
    if isinstance(target, exp.Lateral):
        return
    bounds = node_range(target)
    if bounds is None:
        return
    before = context.previous_token(bounds[0], _JOIN)
    if before is None or before.token_type is not TokenType.JOIN:
        return
    if join.args.get("using"):
        context.add(
            error(
                "SYNTAX_ERROR",
                "JOIN ... USING is not T-SQL.",
                context.token_span(before),
                suggestion="Write JOIN ... ON a.col = b.col.",
            )
        )
    elif join.args.get("on") is None and (join.args.get("kind") or "").upper() != "CROSS":
        context.add(
            error(
                "SYNTAX_ERROR",
                "This JOIN has no ON condition.",
                context.token_span(before),
                suggestion="Add ON a.col = b.col, or write CROSS JOIN for every combination.",
            )
        )
