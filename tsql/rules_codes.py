"""Every finding code validation reports, with what it means: the list clients and docs rely on.

Codes are stable: a client may match on them. A new rule adds its code here (a test checks that
validation reports no code missing from this list).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from tsql.findings import Severity

__all__ = ["FINDING_CODES"]

_E, _W, _I = Severity.ERROR, Severity.WARNING, Severity.INFO

#: code -> (severity, what it means).
FINDING_CODES: Mapping[str, tuple[Severity, str]] = MappingProxyType(
    {
        # the text itself (tsql.parse)
        "EMPTY_SQL": (_E, "No SQL, or only comments."),
        "SQL_TOO_LONG": (_E, "Longer than tsql.parse.MAX_SQL_CHARS characters."),
        "SQL_TOO_DEEP": (
            _E,
            "Nested deeper than tsql.parse.MAX_NESTING (parentheses, CASE) or more than "
            "MAX_SET_OPERATIONS UNION/EXCEPT/INTERSECT operators.",
        ),
        "SYNTAX_ERROR": (
            _E,
            "Not valid T-SQL: unclosed strings, brackets or comments, a comma with nothing "
            "after it, JOIN without ON, JOIN ... USING, FETCH without OFFSET, CONVERT without a "
            "value, a type SQL Server lacks (CAST(x AS Number)), whatever sqlglot cannot read.",
        ),
        # one SELECT statement (REFERENCE 5.1)
        "SEMICOLON": (_E, "A ';' anywhere outside strings and comments."),
        "MULTIPLE_STATEMENTS": (_E, "More than one statement, with or without ';'."),
        "NOT_SELECT": (_E, "INSERT, UPDATE, DELETE, MERGE, EXEC, DDL, transactions, SET, USE."),
        "DECLARE": (_E, "DECLARE (variables, cursors)."),
        "VARIABLE": (_E, "A variable (@x) or system variable (@@ROWCOUNT)."),
        "CTE": (_E, "WITH ... AS common table expressions."),
        "SELECT_INTO": (_E, "SELECT ... INTO."),
        "TEMP_TABLE": (_E, "A temporary table (#t, ##t)."),
        "LIMIT": (_E, "LIMIT n (not T-SQL: TOP n)."),
        "UNSUPPORTED_FUNCTION": (
            _E,
            "A function MCE lacks (tsql.functions.UNSUPPORTED_FUNCTIONS), with what to write.",
        ),
        "UNKNOWN_FUNCTION": (_E, "A function neither MCE nor SQL Server knows."),
        # the query as a derived table
        "ORDER_BY_WITHOUT_TOP": (
            _E,
            "ORDER BY without TOP or OFFSET: anywhere for QUERY_ACTIVITY; in subqueries and "
            "derived tables only for RUN (the engine keeps the outermost order).",
        ),
        "OFFSET_WITHOUT_ORDER_BY": (_E, "OFFSET without ORDER BY in the same SELECT."),
        "ORDER_BY_POSITION": (_E, "ORDER BY n where the query has fewer than n columns."),
        "ORDER_BY_NOT_SELECTED": (
            _E,
            "With SELECT DISTINCT or UNION/EXCEPT/INTERSECT, ORDER BY on something not selected.",
        ),
        "UNNAMED_COLUMN": (_E, "An output expression without a name (query or derived table)."),
        "DUPLICATE_COLUMN": (_E, "Two output columns with the same name (case-insensitive)."),
        "DERIVED_TABLE_WITHOUT_ALIAS": (_E, "(SELECT ...) in FROM/JOIN without AS name."),
        "UNION_WIDTH_MISMATCH": (
            _E,
            "Sides of UNION/EXCEPT/INTERSECT with different numbers of columns (through * too).",
        ),
        "GROUP_BY_MISMATCH": (
            _E,
            "A selected column neither grouped nor aggregated in a grouped SELECT.",
        ),
        "AGGREGATE_IN_WHERE": (_E, "An aggregate in WHERE (use HAVING)."),
        "WINDOW_OUTSIDE_SELECT": (
            _E,
            "A window function in WHERE, GROUP BY or HAVING (use a derived table).",
        ),
        "NESTED_AGGREGATE": (_E, "An aggregate inside an aggregate."),
        # names, from tsql.infer through the catalogue
        "UNKNOWN_TABLE": (
            _E,
            "No DE or data view of that name in the BU (ENT. for shared), or a name under a "
            "database or a schema other than ENT (x..T, dbo.T), which MCE never reads.",
        ),
        "UNKNOWN_COLUMN": (_E, "No such column in the tables in scope."),
        "AMBIGUOUS_COLUMN": (
            _E,
            "A column of several tables without a prefix, or SELECT */t.* yielding one name twice.",
        ),
        "NOT_CHECKED": (_E, "A fault in tsql stopped the check (logged); not a verdict."),
        # advice
        "TOP_WITHOUT_ORDER_BY": (_W, "TOP without ORDER BY keeps arbitrary rows."),
        "REDUNDANT_NOLOCK": (_I, "WITH (NOLOCK): MCE already reads uncommitted data."),
    }
)
