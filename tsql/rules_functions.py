"""Rules about calls and aggregation: functions MCE lacks, and columns GROUP BY leaves out.

A call is judged by its name as written (sqlglot reads ``ISNULL`` as Coalesce and Oracle's
``NVL`` as Coalesce too; only the written name tells them apart), against
:data:`tsql.functions.FUNCTIONS` and :data:`tsql.functions.UNSUPPORTED_FUNCTIONS`.
"""

from __future__ import annotations

from sqlglot import exp
from sqlglot.tokens import Token, TokenType

from tsql.functions import FUNCTIONS, UNSUPPORTED_FUNCTIONS
from tsql.rules_base import NodeIndex, RuleContext, error, generated_sql
from tsql.spans import is_call

__all__ = ["check_calls", "check_grouping", "has_aggregate", "is_aggregate"]

_NOT_BUILT_IN = "'{}' is not a recognized built-in function name."


def check_calls(context: RuleContext, nodes: NodeIndex) -> None:
    judged: set[int] = set()
    for call in nodes.calls:
        if not is_call(call):
            continue
        if isinstance(call, exp.Cast | exp.Convert):
            _check_conversion(context, call)
        token = context.call_name_token(call)
        if token is None or token.start in judged or not token.text.replace("_", "").isalnum():
            continue
        judged.add(token.start)
        name = token.text
        upper = name.upper()
        if upper in FUNCTIONS:
            continue
        if not _followed_by_paren(context, token.end):
            continue  # CURRENT_TIMESTAMP and other keywords sqlglot files as functions
        span = context.span(token.start, context.call_end(token))
        if upper in UNSUPPORTED_FUNCTIONS:
            context.add(
                error(
                    "UNSUPPORTED_FUNCTION",
                    f"MCE does not offer {upper}.",
                    span,
                    suggestion=UNSUPPORTED_FUNCTIONS[upper],
                )
            )
        else:
            context.add(
                error(
                    "UNKNOWN_FUNCTION",
                    f"{name} is not a function MCE's SQL knows.",
                    span,
                    suggestion="Check the spelling; completions list MCE's functions.",
                )
            )


#: SQL Server's type names (first word of the multi-word ones: DOUBLE PRECISION, CHARACTER
#: VARYING, NATIONAL CHARACTER ...).
_TYPE_NAMES = """
    bigint int integer smallint tinyint bit decimal dec numeric money smallmoney float real
    double date datetime datetime2 smalldatetime datetimeoffset time char character varchar
    text nchar national nvarchar ntext binary varbinary image uniqueidentifier xml sql_variant
    rowversion timestamp sysname hierarchyid geography geometry
"""
_SQL_SERVER_TYPES = frozenset(_TYPE_NAMES.split())
#: MCE field types people write as SQL types, and what to write instead.
_FIELD_TYPE_HINTS = {
    "NUMBER": "INT or BIGINT (or DECIMAL(p, s))",
    "BOOLEAN": "BIT",
    "EMAILADDRESS": "NVARCHAR(254)",
    "PHONE": "NVARCHAR(50)",
    "LOCALE": "NVARCHAR(5)",
}


def _check_conversion(context: RuleContext, call: exp.Cast | exp.Convert) -> None:
    """CONVERT(type) without a value, and type names SQL Server does not have (sqlglot reads
    both; it even reads Oracle's NUMBER as DECIMAL)."""
    name = context.call_name_token(call)
    span = context.span(name.start, context.call_end(name)) if name else context.node_span(call)
    if isinstance(call, exp.Convert) and call.args.get("expression") is None:
        context.add(
            error(
                "SYNTAX_ERROR",
                "CONVERT needs a type and a value.",
                span,
                suggestion="Write CONVERT(type, value) or CONVERT(type, value, style).",
            )
        )
        return
    written = _type_token(context, call, name)
    if written is None or written.text.split()[0].casefold() in _SQL_SERVER_TYPES:
        return
    instead = _FIELD_TYPE_HINTS.get(written.text.upper())
    context.add(
        error(
            "SYNTAX_ERROR",
            f"{written.text} is not a SQL Server data type"
            + (" (it is an MCE field type)." if instead else "."),
            context.token_span(written),
            suggestion=f"Write {instead}."
            if instead
            else "Use a type such as NVARCHAR(n), INT, BIGINT, DECIMAL(p, s), DATE, DATETIME "
            "or BIT.",
        )
    )


def _type_token(
    context: RuleContext, call: exp.Cast | exp.Convert, name: Token | None
) -> Token | None:
    """The token naming the target type as written: after CONVERT's "(", after CAST's AS."""
    tokens = context.tokens
    if isinstance(call, exp.Convert):
        if name is None:
            return None
        index = context.token_index_at(name.end + 1) + 1  # skip "("
        return tokens[index] if index < len(tokens) else None
    value = context.balanced_range(call.this) if isinstance(call.this, exp.Expr) else None
    if value is None:
        return None
    index = context.token_index_at(value[1])
    if index + 1 < len(tokens) and tokens[index].token_type is TokenType.ALIAS:
        return tokens[index + 1]
    return None


def _followed_by_paren(context: RuleContext, end: int) -> bool:
    index = context.token_index_at(end + 1)
    return index < len(context.tokens) and context.tokens[index].text == "("


# ------------------------------------------------------------------ GROUP BY
def check_grouping(context: RuleContext, nodes: NodeIndex) -> None:
    """In a grouped SELECT, every selected column must be grouped or inside an aggregate.

    Conservative on purpose: windows, subqueries and ``*`` are not judged, and a column
    matches a GROUP BY column by name when either side has no table prefix.
    """
    for select in nodes.selects:
        group = select.args.get("group")
        if group is not None and any(
            isinstance(expression, exp.Rollup | exp.Cube | exp.GroupingSets)
            for expression in group.expressions
        ):
            continue  # grouping sets: not judged
        grouped = list(group.expressions) if group is not None else []
        if not grouped and not any(has_aggregate(p) for p in select.expressions):
            continue
        texts = {_text(expression) for expression in grouped}
        columns = [g for g in grouped if isinstance(g, exp.Column)]
        local = _source_names(select)
        for projection in select.expressions:
            target = projection.this if isinstance(projection, exp.Alias) else projection
            offender = _ungrouped_column(target, texts, columns, local)
            if offender is not None:
                _report(context, offender, has_group=bool(grouped))


def _report(context: RuleContext, column: exp.Column, *, has_group: bool) -> None:
    name = context.written(column)
    reason = "is not in GROUP BY" if has_group else "sits beside an aggregate without GROUP BY"
    context.add(
        error(
            "GROUP_BY_MISMATCH",
            f"{name} {reason}: a grouped SELECT can only show grouped columns and aggregates.",
            context.node_span(column),
            suggestion=f"Add {name} to GROUP BY, or aggregate it (MAX({name})).",
        )
    )


def _text(node: exp.Expr) -> str:
    """A form of ``node`` to compare with GROUP BY's expressions (never equal when sqlglot
    cannot write it)."""
    generated = generated_sql(node)
    return generated.casefold() if generated is not None else f"<unwritable {id(node)}>"


def is_aggregate(node: exp.Expr) -> bool:
    if isinstance(node, exp.AggFunc):
        return True
    if isinstance(node, exp.Anonymous):
        spec = FUNCTIONS.get(str(node.name).upper())
        return spec is not None and spec.aggregate
    return False


def has_aggregate(node: exp.Expr) -> bool:
    stack = [node]
    while stack:
        current = stack.pop()
        if is_aggregate(current):
            return True
        if isinstance(current, exp.Window | exp.Subquery | exp.Query):
            continue
        stack.extend(current.iter_expressions())
    return False


def _source_names(select: exp.Select) -> set[str]:
    """The names this SELECT's own tables answer to (alias, else table name), casefolded."""
    names: set[str] = set()
    sources = [select.args.get("from_"), *(select.args.get("joins") or [])]
    for holder in sources:
        source = holder.this if holder is not None else None
        if isinstance(source, exp.Expr):
            names.add((source.alias_or_name or "").casefold())
    return names


def _ungrouped_column(
    node: exp.Expr, texts: set[str], columns: list[exp.Column], local: set[str]
) -> exp.Column | None:
    if _text(node) in texts or is_aggregate(node):
        return None
    if isinstance(node, exp.Window | exp.Subquery | exp.Query | exp.Star | exp.Exists):
        return None
    if isinstance(node, exp.Column):
        if isinstance(node.this, exp.Star) or _matches_by_name(node, columns):
            return None
        if node.table and node.table.casefold() not in local:
            return None  # an outer query's column: a constant here
        return node
    for child in node.iter_expressions():
        found = _ungrouped_column(child, texts, columns, local)
        if found is not None:
            return found
    return None


def _matches_by_name(column: exp.Column, grouped: list[exp.Column]) -> bool:
    name = column.name.casefold()
    table = column.table.casefold()
    for candidate in grouped:
        if candidate.name.casefold() != name:
            continue
        other = candidate.table.casefold()
        if not table or not other or table == other:
            return True
    return False
