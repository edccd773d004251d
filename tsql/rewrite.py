"""The rewrites the run engine needs: MCE's own wrapper (for display) and the run form.

MCE runs a query activity's text as a derived table inside ``INSERT INTO C{mid}.[Target] (...)
SELECT querydef.[...] FROM (<text>) AS querydef`` (REFERENCE §5.1) and stores rows in no
order. An ad-hoc run therefore rewrites the user's query so that

* every row carries a run marker (a constant the engine chooses per run), so a run reads back
  only the rows it wrote; and
* the user's ORDER BY survives as a row-number column computed over that ordering, so results
  can be read back in order (a query without ORDER BY gets one too, over ``(SELECT NULL)``,
  so its pages are read in one stable order); the ORDER BY itself is removed where T-SQL
  forbids it in a derived table (no TOP or OFFSET) and kept where it decides which rows
  TOP/OFFSET pick.

The AST decides what to do (which query block owns the ORDER BY, what each ordering item
means, whether DISTINCT or a set operation forbids extra columns); the edits are made on the
user's text at positions from sqlglot's tokens, so what MCE runs is exactly what the user wrote
plus the engine's additions (re-generating SQL from the tree would silently change some
functions, e.g. SYSDATETIME() into GETDATE() and DATENAME into FORMAT).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from sqlglot import exp
from sqlglot.tokens import Token, TokenType

from tsql.catalog import Catalog
from tsql.findings import Finding, Severity
from tsql.infer import infer_output, output_name
from tsql.parse import parse, tokenize
from tsql.scope import cte_names, table_key
from tsql.spans import node_span
from tsql.types import Column, FieldType

__all__ = [
    "MARKER_COLUMN",
    "ORDER_COLUMN",
    "QUERYDEF",
    "SORT_KEY_COLUMN",
    "RunRewrite",
    "bracket",
    "mce_wrapped",
    "prepare_run",
    "rewrite_for_run",
]

#: The derived table's alias in MCE's wrapper.
QUERYDEF = "querydef"
#: Base names of the helper columns (valid DE field names: no leading ``_``, no brackets).
MARKER_COLUMN = "QuarryRunMarker"
ORDER_COLUMN = "QuarryRowNumber"
SORT_KEY_COLUMN = "QuarrySortKey"

_CLAUSES_AFTER_SELECT_LIST = frozenset(
    {
        TokenType.FROM,
        TokenType.WHERE,
        TokenType.GROUP_BY,
        TokenType.HAVING,
        TokenType.ORDER_BY,
        TokenType.OPTION,
        TokenType.UNION,
        TokenType.EXCEPT,
        TokenType.INTERSECT,
    }
)
_AFTER_ORDER_BY = frozenset({TokenType.OFFSET, TokenType.FETCH, TokenType.OPTION, TokenType.FOR})
_DIRECTIONS = frozenset({TokenType.ASC, TokenType.DESC})


@dataclass(frozen=True, slots=True)
class RunRewrite:
    """The run form of a query. ``sql`` is None when the query cannot be rewritten (the
    findings say why). ``columns`` are the run form's output: the user's columns, then the
    marker column, then the row-number column when the user ordered the rows."""

    sql: str | None
    marker_column: str
    order_column: str | None
    columns: tuple[Column, ...]
    findings: tuple[Finding, ...]


def bracket(name: str) -> str:
    """``name`` as a bracketed identifier, as MCE's wrapper writes every column."""
    return "[" + name.replace("]", "]]") + "]"


def _literal(value: str) -> str:
    prefix = "" if value.isascii() else "N"
    return prefix + "'" + value.replace("'", "''") + "'"


def mce_wrapped(
    statement: exp.Expr | None,
    *,
    text: str,
    target: str,
    columns: Sequence[str],
    mid: int | None = None,
) -> str:
    """The statement MCE runs for a query activity writing ``text`` into DE ``target``, as
    its validator shows it (REFERENCE §5.1): with ``mid``, the BU's own tables are qualified
    with its schema ``C{mid}.`` (``ENT.`` names are left as written)."""
    body = _qualified(statement, text=text, mid=mid) if statement is not None else text
    schema = f"C{mid}." if mid is not None else ""
    fields = ", ".join(bracket(name) for name in columns)
    selected = ", ".join(f"{QUERYDEF}.{bracket(name)}" for name in columns)
    return (
        "SET NOCOUNT ON; SET TRANSACTION ISOLATION LEVEL READ UNCOMMITTED;\n"
        f"INSERT INTO {schema}{bracket(target)} ({fields})\n"
        f"SELECT {selected}\n"
        f"FROM ({body.strip()} ) AS {QUERYDEF}\n"
        "SELECT @rcInsert = @@ROWCOUNT;;"
    )


def _qualified(statement: exp.Expr, *, text: str, mid: int | None) -> str:
    if mid is None:
        return text
    local = cte_names(statement)
    inserts: list[int] = []
    for table in statement.find_all(exp.Table):
        key = table_key(table)
        if key is None or key[1] or key[0] in local:
            continue
        start = table.this.meta.get("start")
        if isinstance(start, int):
            inserts.append(start)
    for start in sorted(set(inserts), reverse=True):
        text = text[:start] + f"C{mid}." + text[start:]
    return text


async def prepare_run(sql: str, *, catalog: Catalog, marker: str) -> RunRewrite:
    """Parse ``sql``, infer its output against ``catalog`` and rewrite it for a run: the one
    call the run engine needs. ``findings`` holds what parsing and inference found (unknown
    names included) as well as any refusal; ``sql`` is None when the text cannot be parsed as
    one statement or the rewrite is refused."""
    parsed = parse(sql)
    statement = parsed.statement
    if statement is None or not parsed.ok:
        findings = parsed.findings or (
            Finding(
                code="MULTIPLE_STATEMENTS",
                severity=Severity.ERROR,
                message="A run takes exactly one SELECT statement.",
            ),
        )
        marker_column = Column(
            MARKER_COLUMN, FieldType.TEXT, max_length=max(1, len(marker)), nullable=False
        )
        return RunRewrite(None, MARKER_COLUMN, None, (marker_column,), tuple(findings))
    inference = await infer_output(statement, text=sql, catalog=catalog, tokens=parsed.tokens)
    rewrite = rewrite_for_run(statement, text=sql, columns=inference.columns, marker=marker)
    return replace(rewrite, findings=(*inference.findings, *rewrite.findings))


def rewrite_for_run(
    statement: exp.Expr, *, text: str, columns: Sequence[Column], marker: str
) -> RunRewrite:
    """The run form of ``statement`` (parsed from ``text``), whose output columns are
    ``columns`` (from :func:`tsql.infer.infer_output`), marking every row with ``marker``."""
    return _RunRewriter(statement, text=text, columns=tuple(columns), marker=marker).rewrite()


@dataclass(frozen=True, slots=True)
class _Ordering:
    """One ORDER BY item: the output column it sorts by, or (when it sorts by something the
    query does not output) the name of the sort-key column added for it; and its direction."""

    output: str | None
    sort_key: str | None
    descending: bool


class _Refusal(Exception):
    def __init__(self, finding: Finding) -> None:
        super().__init__(finding.message)
        self.finding = finding


class _RunRewriter:
    def __init__(
        self, statement: exp.Expr, *, text: str, columns: tuple[Column, ...], marker: str
    ) -> None:
        self.statement = statement
        self.text = text
        self.columns = columns
        self.marker = marker
        self.used = {column.name.casefold() for column in columns}
        self.marker_column = self._helper_name(MARKER_COLUMN)

    def _helper_name(self, base: str) -> str:
        """``base``, or ``base_2``, ``base_3`` ... when the user's output already has it."""
        name, suffix = base, 1
        while name.casefold() in self.used:
            suffix += 1
            name = f"{base}_{suffix}"
        self.used.add(name.casefold())
        return name

    def _marker(self) -> Column:
        return Column(
            self.marker_column, FieldType.TEXT, max_length=max(1, len(self.marker)), nullable=False
        )

    def rewrite(self) -> RunRewrite:
        try:
            return self._rewrite()
        except _Refusal as refusal:
            return RunRewrite(
                sql=None,
                marker_column=self.marker_column,
                order_column=None,
                columns=(*self.columns, self._marker()),
                findings=(refusal.finding,),
            )

    def _refuse(self, code: str, message: str, node: exp.Expr | None = None) -> _Refusal:
        span = node_span(self.text, node) if node is not None else None
        return _Refusal(Finding(code=code, severity=Severity.ERROR, message=message, span=span))

    def _rewrite(self) -> RunRewrite:
        query = self.statement
        while isinstance(query, exp.Subquery) and not query.args.get("order"):
            query = query.this
        if not isinstance(query, exp.Select | exp.SetOperation | exp.Subquery):
            raise self._refuse("NOT_A_QUERY", "Only a SELECT query can be run.")
        unnamed = [index + 1 for index, c in enumerate(self.columns) if not c.name]
        if unnamed:
            raise self._refuse(
                "UNNAMED_COLUMN",
                f"Output column {unnamed[0]} has no name: give it one with AS.",
            )
        order = query.args.get("order")
        ordered = list(order.expressions) if isinstance(order, exp.Order) else []
        order_column = self._helper_name(ORDER_COLUMN)
        row_number = Column(order_column, FieldType.NUMBER, nullable=False)
        if not ordered:
            # No order asked for, but pages must still be read in one stable order (MCE
            # documents none for a rowset): number the rows as they come.
            sql = self._outer(self.text, sort=[], order_column=order_column)
            return RunRewrite(
                sql,
                self.marker_column,
                order_column,
                (*self.columns, self._marker(), row_number),
                (),
            )
        keeps_order = bool(query.args.get("limit") or query.args.get("offset"))
        orderings = [self._ordering(item, query) for item in ordered]
        inner = self._inner(query, orderings, keeps_order=keeps_order)
        hidden = any(ordering.sort_key for ordering in orderings)
        sql = self._outer(
            inner, sort=self._sort_columns(orderings), order_column=order_column, hidden=hidden
        )
        return RunRewrite(
            sql, self.marker_column, order_column, (*self.columns, self._marker(), row_number), ()
        )

    # -- ORDER BY items ------------------------------------------------------------------------

    def _ordering(self, item: exp.Expr, query: exp.Expr) -> _Ordering:
        descending = isinstance(item, exp.Ordered) and bool(item.args.get("desc"))
        expression = item.this if isinstance(item, exp.Ordered) else item
        output = self._output_for(expression, query)
        if output is not None:
            return _Ordering(output, None, descending)
        if not isinstance(query, exp.Select) or query.args.get("distinct"):
            kind = "DISTINCT" if isinstance(query, exp.Select) else "UNION/EXCEPT/INTERSECT"
            raise self._refuse(
                "ORDER_BY_NOT_IN_OUTPUT",
                f"With {kind}, ORDER BY may only name output columns: "
                f"'{expression.sql('tsql')}' is not one. Order by an output column or its "
                "position.",
                expression,
            )
        return _Ordering(None, None, descending)

    def _output_for(self, expression: exp.Expr, query: exp.Expr) -> str | None:
        """The output column an ORDER BY item names: a position, an output name, or an
        expression written in the select list."""
        if isinstance(expression, exp.Literal) and expression.is_int:
            position = int(expression.this)
            if not 1 <= position <= len(self.columns):
                raise self._refuse(
                    "ORDER_BY_POSITION_OUT_OF_RANGE",
                    f"ORDER BY position {position} is out of range: the query has "
                    f"{len(self.columns)} output columns.",
                    expression,
                )
            return self.columns[position - 1].name
        names = [column.name.casefold() for column in self.columns]
        is_column = isinstance(expression, exp.Column)
        unique_name = is_column and names.count(expression.name.casefold()) == 1
        if unique_name and not expression.text("table"):
            return self.columns[names.index(expression.name.casefold())].name
        select = query if isinstance(query, exp.Select) else None
        for item in select.expressions if select is not None else ():
            written = item.this if isinstance(item, exp.Alias) else item
            name = output_name(item)
            if name and names.count(name.casefold()) == 1 and _same(written, expression):
                return self.columns[names.index(name.casefold())].name
        only_outputs = select is None or bool(select.args.get("distinct"))
        if only_outputs and unique_name:
            # No sort key can be added here: a qualified name of an output column is that column.
            return self.columns[names.index(expression.name.casefold())].name
        return None

    @staticmethod
    def _sort_columns(orderings: list[_Ordering]) -> list[tuple[str, bool]]:
        """(querydef column, descending) for the row number's ORDER BY."""
        return [(o.output or o.sort_key or "", o.descending) for o in orderings]

    # -- text ----------------------------------------------------------------------------------

    def _inner(self, query: exp.Expr, orderings: list[_Ordering], *, keeps_order: bool) -> str:
        """The user's text with sort-key columns added and the ORDER BY removed unless TOP or
        OFFSET needs it; ``orderings`` get their sort-key names filled in."""
        tokens, problem = tokenize(self.text)
        if problem is not None or not tokens:
            raise self._refuse("RUN_REWRITE_FAILED", "The query could not be read for a run.")
        clause = _top_order_by(tokens)
        if clause is None:
            raise self._refuse("RUN_REWRITE_FAILED", "The query's ORDER BY could not be found.")
        start, end, depth = clause
        items = _split_items(tokens, start + 1, end, depth)
        if len(items) != len(orderings):
            raise self._refuse("RUN_REWRITE_FAILED", "The query's ORDER BY could not be read.")
        edits: list[tuple[int, int, str]] = []
        additions: list[str] = []
        for index, (ordering, (first, last)) in enumerate(zip(orderings, items, strict=True)):
            if ordering.output is not None:
                continue
            name = self._helper_name(f"{SORT_KEY_COLUMN}{index + 1}")
            expression = self.text[tokens[first].start : tokens[last].end + 1]
            additions.append(f", {expression} AS {bracket(name)}")
            orderings[index] = _Ordering(None, name, ordering.descending)
        if additions:
            position = _select_list_end(tokens, depth)
            if position is None:
                raise self._refuse("RUN_REWRITE_FAILED", "The query's select list was not found.")
            edits.append((position, position, "".join(additions)))
        if not keeps_order:
            edits.append((tokens[start].start, tokens[end - 1].end + 1, ""))
        text = self.text
        for begin, finish, replacement in sorted(edits, reverse=True):
            text = text[:begin] + replacement + text[finish:]
        return text

    def _outer(
        self,
        inner: str,
        *,
        sort: list[tuple[str, bool]],
        order_column: str | None = None,
        hidden: bool = False,
    ) -> str:
        """The run form around ``inner``: the user's columns (not the ``hidden`` sort keys),
        the marker, and the row number over ``sort``."""
        known = all(column.type_known or not column.name.endswith(".*") for column in self.columns)
        if known:
            selected = [f"{QUERYDEF}.{bracket(column.name)}" for column in self.columns]
        else:
            if hidden:
                raise self._refuse(
                    "RUN_COLUMNS_UNKNOWN",
                    "The query's output columns are not all known, so its ORDER BY cannot be "
                    "kept: order by output columns, or fix the unknown tables.",
                )
            selected = [f"{QUERYDEF}.*"]
        selected.append(f"{_literal(self.marker)} AS {bracket(self.marker_column)}")
        if order_column is not None:
            over = (
                ", ".join(
                    f"{QUERYDEF}.{bracket(name)}{' DESC' if descending else ''}"
                    for name, descending in sort
                )
                or "(SELECT NULL)"
            )
            selected.append(f"ROW_NUMBER() OVER (ORDER BY {over}) AS {bracket(order_column)}")
        return f"SELECT {', '.join(selected)}\nFROM (\n{inner}\n) AS {QUERYDEF}"


def _same(left: exp.Expr, right: exp.Expr) -> bool:
    """Whether two expressions are written alike (names compared case-insensitively)."""
    if isinstance(left, exp.Column) and isinstance(right, exp.Column):
        return (
            left.name.casefold() == right.name.casefold()
            and left.table.casefold() == right.table.casefold()
        )
    try:
        return left.sql("tsql").casefold() == right.sql("tsql").casefold()
    except RecursionError:
        return False


def _depths(tokens: Sequence[Token]) -> list[int]:
    """Parenthesis depth before each token."""
    depths: list[int] = []
    depth = 0
    for token in tokens:
        if token.token_type is TokenType.R_PAREN:
            depth -= 1
        depths.append(depth)
        if token.token_type is TokenType.L_PAREN:
            depth += 1
    return depths


def _top_order_by(tokens: Sequence[Token]) -> tuple[int, int, int] | None:
    """The outermost ORDER BY clause: (index of its ORDER BY token, index after its last
    token, its depth). The outermost is the last one at the smallest depth (window and
    derived-table orderings sit inside parentheses)."""
    depths = _depths(tokens)
    found = [
        (depths[i], i) for i, token in enumerate(tokens) if token.token_type is TokenType.ORDER_BY
    ]
    if not found:
        return None
    depth = min(d for d, _i in found)
    start = max(i for d, i in found if d == depth)
    end = start + 1
    while end < len(tokens):
        token = tokens[end]
        if depths[end] < depth or (depths[end] == depth and token.token_type in _AFTER_ORDER_BY):
            break
        end += 1
    return start, end, depth


def _split_items(
    tokens: Sequence[Token], start: int, end: int, depth: int
) -> list[tuple[int, int]]:
    """The ORDER BY items between ``start`` and ``end`` as (first, last) token indexes,
    without their ASC/DESC."""
    depths = _depths(tokens)
    items: list[tuple[int, int]] = []
    first = start
    for index in range(start, end + 1):
        at_end = index == end
        if at_end or (tokens[index].token_type is TokenType.COMMA and depths[index] == depth):
            last = index - 1
            while last > first and tokens[last].token_type in _DIRECTIONS:
                last -= 1
            if last >= first:
                items.append((first, last))
            first = index + 1
    return items


def _select_list_end(tokens: Sequence[Token], depth: int) -> int | None:
    """Offset just after the select list of the outermost SELECT at ``depth``."""
    depths = _depths(tokens)
    select = next(
        (
            i
            for i, token in enumerate(tokens)
            if token.token_type is TokenType.SELECT and depths[i] == depth
        ),
        None,
    )
    if select is None:
        return None
    for index in range(select + 1, len(tokens)):
        token = tokens[index]
        if depths[index] < depth:
            return tokens[index - 1].end + 1
        if depths[index] == depth and token.token_type in _CLAUSES_AFTER_SELECT_LIST:
            return tokens[index - 1].end + 1
    return tokens[-1].end + 1
