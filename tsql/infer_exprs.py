"""Typing one expression of a select list, once its column references are resolved.

:class:`ExpressionTyper` is handed what every column reference and nested query resolved to
(:mod:`tsql.infer` fills those in while checking names), so typing is a pure walk: each sqlglot
node kind has a rule giving the MCE field type, length, precision/scale and nullability of its
result. Unknown constructs give a column with ``type_known=False`` and a note, never a guess.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from sqlglot import exp

from tsql.functions import function_spec
from tsql.infer_types import (
    FLOAT_DECIMAL,
    MAX_DECIMAL_PRECISION,
    MAX_TEXT_LENGTH,
    NULL_NOTE,
    arithmetic,
    cast_type,
    decimal_digits,
    is_null_type,
    is_textlike,
    literal_type,
    text_length,
    widen,
    with_nullable,
)
from tsql.scope import unknown_column
from tsql.types import Column, FieldType

__all__ = ["ExpressionTyper"]

_NUMBER = Column("", FieldType.NUMBER, nullable=False)
_DATE = Column("", FieldType.DATE, nullable=False)
#: ``GETDATE()``: MCE's system time (CST), unlike ``GETUTCDATE()``.
_SYSTEM_DATE = Column("", FieldType.DATE, nullable=False, system_generated=True)
#: Date functions whose result keeps the clock of their date argument (``this``).
_SAME_CLOCK = (exp.DateAdd, exp.LastDay, exp.TsOrDsToDate)
_FLOAT = Column(
    "", FieldType.DECIMAL, precision=FLOAT_DECIMAL[0], scale=FLOAT_DECIMAL[1], nullable=False
)
#: Deepest expression typed; deeper ones (which only silly operator nesting reaches) are unknown.
_MAX_DEPTH = 200
_TOO_DEEP = "the expression is nested too deeply to type"
#: Date parts and .NET patterns format to short texts; this bounds FORMAT/DATENAME's results.
_MIN_FORMATTED_LENGTH = 50

_NUMBER_RESULT = (
    exp.Length, exp.StrPosition, exp.Extract, exp.Year, exp.Month, exp.Day, exp.DateDiff,
    exp.Ascii, exp.Unicode, exp.RowNumber, exp.Rank, exp.DenseRank, exp.Ntile,
)  # fmt: skip
_DATE_RESULT = (
    exp.DateAdd, exp.LastDay, exp.DateFromParts, exp.TimestampFromParts, exp.AtTimeZone,
    exp.TsOrDsToDate, exp.TimeStrToTime,
)  # fmt: skip
_FLOAT_RESULT = (
    exp.Sqrt, exp.Exp, exp.Ln, exp.Log, exp.Stddev, exp.CumeDist, exp.PercentRank, exp.Pi, exp.Rand,
    exp.Sin, exp.Cos, exp.Tan, exp.Cot, exp.Asin, exp.Acos, exp.Atan, exp.Atan2, exp.Degrees,
    exp.Radians,
)  # fmt: skip
_SAME_TEXT = (exp.Upper, exp.Lower, exp.Trim, exp.Reverse)
_SAME_TYPE = (exp.Abs, exp.Sign, exp.Round, exp.Neg, exp.Paren, exp.Collate)
_ARG_TYPE = (exp.Min, exp.Max, exp.FirstValue, exp.LastValue)
_ARITHMETIC = (exp.Add, exp.Sub, exp.Mul, exp.Div, exp.Mod)
_ANONYMOUS_NUMBER = frozenset({"LEN", "CHARINDEX", "PATINDEX", "DATEDIFF", "DATEPART"})
_ANONYMOUS_DATE = frozenset(
    {"GETDATE", "GETUTCDATE", "SYSDATETIME", "SYSUTCDATETIME", "DATEADD", "EOMONTH"}
)


class ExpressionTyper:
    """Types expressions from resolved names: ``columns`` maps ``id()`` of each column
    reference to its column, ``subqueries`` maps ``id()`` of each nested query to its output.
    ``grouped`` says whether the select has GROUP BY (an aggregate over a group is NULL only
    when its values are)."""

    def __init__(self) -> None:
        self.columns: dict[int, Column] = {}
        self.subqueries: dict[int, list[Column]] = {}
        self.grouped = False
        self._depth = 0

    def type_of(self, node: exp.Expr) -> Column:
        """The type of ``node``'s value (name ``""``; the caller names it)."""
        self._depth = 0
        typed = self._type(node)
        if typed.system_generated and typed.field_type is not FieldType.DATE:
            typed = replace(typed, system_generated=False)  # a system date made text etc.
        return replace(typed, name="", primary_key=False) if typed.name else typed

    def _type(self, node: exp.Expr) -> Column:
        """One rule per node kind; recursion is bounded (parsing bounds parentheses, operator
        chains are folded in a loop, and anything deeper is reported as unknown)."""
        if self._depth >= _MAX_DEPTH:
            return replace(unknown_column("", _TOO_DEEP), nullable=True)
        self._depth += 1
        try:
            return self._rule(node)
        finally:
            self._depth -= 1

    def _rule(self, node: exp.Expr) -> Column:
        if isinstance(node, exp.Column):
            return self.columns.get(id(node)) or unknown_column("", "the column is not known")
        if isinstance(node, exp.Literal):
            return literal_type(node)
        if isinstance(node, exp.National):
            return Column("", FieldType.TEXT, max_length=max(1, len(node.name)), nullable=False)
        if isinstance(node, exp.Null):
            return replace(unknown_column("", NULL_NOTE), nullable=True)
        if isinstance(node, exp.Boolean):
            return Column("", FieldType.BOOLEAN, nullable=False)
        if isinstance(node, exp.Subquery):
            return self._subquery(node)
        if isinstance(node, exp.Window):
            return self._window(node)
        if isinstance(node, exp.Cast | exp.TryCast):
            value = self._type(node.this)
            return _same_clock(cast_type(node.args["to"], nullable=value.nullable), value)
        if isinstance(node, exp.Convert):
            value = self._type(node.expression)
            return _same_clock(cast_type(node.this, nullable=value.nullable), value)
        if isinstance(node, exp.Coalesce):
            return self._coalesce(node)
        if isinstance(node, exp.Nullif):
            return with_nullable(self._type(node.this), True)
        if isinstance(node, exp.Case):
            return self._case(node)
        if isinstance(node, exp.If):
            return self._branches([node.args.get("true"), node.args.get("false")])
        if isinstance(node, _ARITHMETIC):
            return self._arithmetic(node)
        if isinstance(node, exp.Concat):
            return self._concat(node)
        if isinstance(node, exp.Left | exp.Right | exp.Substring):
            return self._part_of_text(node)
        if isinstance(node, _SAME_TEXT):
            return self._text_like(self._type(_written(node.this)))
        if isinstance(node, exp.Replace):
            return self._replace(node)
        if isinstance(node, exp.Repeat):
            return self._repeat(node)
        if isinstance(node, exp.Stuff):
            return self._stuff(node)
        if isinstance(node, exp.Space):
            return _text(_int_literal(node.this), self._type(node.this).nullable)
        if isinstance(node, exp.Chr):
            return _text(1, self._any_nullable(node.expressions))
        if isinstance(node, exp.Soundex):
            return _text(4, self._type(node.this).nullable)
        if isinstance(node, exp.TimeToStr | exp.NumberToStr):
            return self._formatted(node.this, node.args.get("format"))
        if isinstance(node, exp.TimeFromParts):
            return _text(16, self._any_nullable(node.iter_expressions()))
        if isinstance(node, exp.CurrentTimestamp):
            return _SYSTEM_DATE
        if isinstance(node, exp.CurrentTimestampLTZ):
            return _DATE
        if isinstance(node, exp.Uuid):
            return _text(36, False)
        if isinstance(node, _NUMBER_RESULT):
            return with_nullable(_NUMBER, self._any_nullable(node.iter_expressions()))
        if isinstance(node, _DATE_RESULT):
            result = with_nullable(_DATE, self._any_nullable(node.iter_expressions()))
            if isinstance(node, _SAME_CLOCK) and isinstance(node.this, exp.Expr):
                return _same_clock(result, self._type(node.this))
            return result
        if isinstance(node, _FLOAT_RESULT):
            nullable = self._any_nullable(node.iter_expressions())
            return with_nullable(_FLOAT, nullable or isinstance(node, exp.Stddev))
        if isinstance(node, _SAME_TYPE):
            return self._type(node.this)
        if isinstance(node, exp.Floor | exp.Ceil):
            return self._integral(self._type(node.this))
        if isinstance(node, exp.Pow):
            return self._power(node)
        if isinstance(node, exp.Count):
            return _NUMBER
        if isinstance(node, exp.Sum | exp.Avg):
            return self._sum(node)
        if isinstance(node, _ARG_TYPE):
            return self._aggregate_nullable(self._type(node.this))
        if isinstance(node, exp.Lag | exp.Lead):
            return with_nullable(self._type(node.this), True)
        if isinstance(node, exp.Anonymous):
            return self._anonymous(node)
        return unknown_column("", f"tsql cannot tell the type of {_excerpt(node)}")

    # -- rules ---------------------------------------------------------------------------------

    def _arithmetic(self, node: exp.Expr) -> Column:
        """``a + b + c ...`` is a left-deep tree as long as the expression: fold it in a loop."""
        chain: list[exp.Expr] = []
        leftmost = node
        while isinstance(leftmost, _ARITHMETIC):
            chain.append(leftmost)
            leftmost = leftmost.this
        result = self._type(leftmost)
        for operation in reversed(chain):
            result = arithmetic(type(operation), result, self._type(operation.expression))
        return result

    def _any_nullable(self, nodes: Iterable[exp.Expr]) -> bool:
        return any(
            self._type(node).nullable
            for node in nodes
            if isinstance(node, exp.Expr) and not isinstance(node, exp.Var | exp.DataType)
        )

    def _subquery(self, node: exp.Subquery) -> Column:
        columns = self.subqueries.get(id(node.this))
        if not columns:
            return unknown_column("", "the subquery's output is not known")
        return replace(columns[0], name="", nullable=True, primary_key=False)

    def _window(self, node: exp.Window) -> Column:
        function = node.this
        if isinstance(function, exp.Sum | exp.Avg | exp.Min | exp.Max):
            saved, self.grouped = self.grouped, True
            try:
                return self._type(function)
            finally:
                self.grouped = saved
        return self._type(function)

    def _coalesce(self, node: exp.Coalesce) -> Column:
        arguments = [node.this, *node.expressions]
        typed = [self._type(argument) for argument in arguments]
        nullable = all(column.nullable for column in typed)
        if node.args.get("is_null"):
            # ISNULL has its first argument's SQL type (the replacement is converted to it);
            # a replacement that is not an e-mail address (or phone, locale) makes it Text.
            first = typed[0]
            result = typed[1] if is_null_type(first) else first
            others = [c for c in typed if c is not result and not is_null_type(c)]
            if any(c.field_type is not result.field_type for c in others) and is_textlike(result):
                result = replace(result, field_type=FieldType.TEXT)
            return with_nullable(result, nullable)
        result = typed[0]
        for column in typed[1:]:
            result = widen(result, column)
        return with_nullable(result, nullable)

    def _case(self, node: exp.Case) -> Column:
        branches: list[exp.Expr | None] = [when.args.get("true") for when in node.args["ifs"]]
        default = node.args.get("default")
        typed = self._branches([*branches, default])
        return typed if default is not None else with_nullable(typed, True)

    def _branches(self, branches: list[exp.Expr | None]) -> Column:
        result: Column | None = None
        for branch in branches:
            typed = (
                replace(unknown_column("", NULL_NOTE), nullable=True)
                if branch is None
                else self._type(branch)
            )
            result = typed if result is None else widen(result, typed)
        return result or unknown_column("", NULL_NOTE)

    def _concat(self, node: exp.Concat) -> Column:
        lengths = [text_length(self._type(argument)) for argument in node.expressions]
        total = None if None in lengths else sum(length or 0 for length in lengths)
        return _text(None if total is None else min(total, MAX_TEXT_LENGTH), False)

    def _text_like(self, column: Column) -> Column:
        if not column.type_known:
            return column
        return _text(text_length(column), column.nullable)

    def _part_of_text(self, node: exp.Expr) -> Column:
        source = self._text_like(self._type(_written(node.this)))
        count_node = node.args.get("length") if isinstance(node, exp.Substring) else node.expression
        count = _int_literal(count_node)
        nullable = source.nullable
        if not source.type_known:
            if count is None:
                return source
            return _text(max(count, 1), True)
        if count is None:
            return source
        length = count if source.max_length is None else min(count, source.max_length)
        return _text(max(length, 1), nullable)

    def _replace(self, node: exp.Replace) -> Column:
        source = self._text_like(self._type(node.this))
        search = _string_literal(node.expression)
        replacement = _string_literal(node.args.get("replacement"))
        if source.max_length is None or search is None or replacement is None or not search:
            return _text(None if len(replacement or "x") > len(search or "") else source.max_length,
                         source.nullable)  # fmt: skip
        if len(replacement) <= len(search):
            return source
        whole, rest = divmod(source.max_length, len(search))
        return _text(min(MAX_TEXT_LENGTH, whole * len(replacement) + rest), source.nullable)

    def _repeat(self, node: exp.Repeat) -> Column:
        source = self._text_like(self._type(node.this))
        times = _int_literal(node.args.get("times"))
        if source.max_length is None or times is None:
            return _text(None, source.nullable)
        return _text(min(MAX_TEXT_LENGTH, max(1, source.max_length * times)), source.nullable)

    def _stuff(self, node: exp.Stuff) -> Column:
        source = self._text_like(self._type(node.this))
        inserted = self._text_like(self._type(node.expression))
        if source.max_length is None or inserted.max_length is None:
            return _text(None, source.nullable)
        return _text(min(MAX_TEXT_LENGTH, source.max_length + inserted.max_length), source.nullable)

    def _formatted(self, value: exp.Expr, pattern: exp.Expr | None) -> Column:
        text = _string_literal(pattern)
        nullable = self._type(value).nullable
        if text is None:
            return _text(MAX_TEXT_LENGTH, nullable)
        return _text(max(_MIN_FORMATTED_LENGTH, 4 * len(text)), nullable)

    def _integral(self, column: Column) -> Column:
        if column.field_type is FieldType.DECIMAL and column.type_known:
            integer, _scale = decimal_digits(column)
            return replace(column, precision=max(integer, 1), scale=0)
        return column

    def _power(self, node: exp.Pow) -> Column:
        base = self._type(node.this)
        nullable = base.nullable or self._type(node.expression).nullable
        if base.field_type is FieldType.NUMBER and base.type_known:
            return with_nullable(_NUMBER, nullable)
        return with_nullable(_FLOAT, nullable)

    def _sum(self, node: exp.Sum | exp.Avg) -> Column:
        value = self._type(node.this)
        if not value.type_known:
            return value
        if value.field_type is FieldType.DECIMAL:
            _integer, scale = decimal_digits(value)
            if isinstance(node, exp.Avg):
                scale = max(scale, 6)
            result = Column(
                "", FieldType.DECIMAL, precision=MAX_DECIMAL_PRECISION, scale=scale,
                nullable=value.nullable,
            )  # fmt: skip
        elif value.field_type is FieldType.NUMBER:
            result = with_nullable(_NUMBER, value.nullable)
        else:
            return replace(
                unknown_column("", f"{node.sql_name()} of a {value.field_type} value"),
                nullable=True,
            )
        return self._aggregate_nullable(result)

    def _aggregate_nullable(self, column: Column) -> Column:
        """Without GROUP BY an aggregate over no rows is NULL; per group it is NULL only when
        its values are."""
        return column if self.grouped else with_nullable(column, True)

    def _anonymous(self, node: exp.Anonymous) -> Column:
        name = str(node.this).upper()
        nullable = self._any_nullable(node.expressions)
        if name in _ANONYMOUS_NUMBER:
            return with_nullable(_NUMBER, nullable)
        if name in _ANONYMOUS_DATE:
            result = with_nullable(_DATE, nullable)
            if name == "DATEADD" and len(node.expressions) == 3:
                return _same_clock(result, self._type(node.expressions[2]))
            return result
        if name == "DATENAME":
            return _text(_MIN_FORMATTED_LENGTH, nullable)
        if name == "FORMAT" and len(node.expressions) > 1:
            return self._formatted(node.expressions[0], node.expressions[1])
        if name == "CHOOSE" and len(node.expressions) > 1:
            return with_nullable(self._branches(list(node.expressions[1:])), True)
        if name == "STR":
            width = _int_literal(node.expressions[1]) if len(node.expressions) > 1 else 10
            return _text(width, nullable)
        if name == "QUOTENAME" and node.expressions:
            quoted = self._text_like(self._type(node.expressions[0]))
            length = quoted.max_length
            return _text(None if length is None else min(258, 2 * length + 2), True)
        if name == "NCHAR":
            return _text(1, nullable)
        spec = function_spec(name)
        if spec is not None and spec.returns is not None:
            if spec.returns is FieldType.TEXT:
                return _text(None, nullable)
            return Column("", spec.returns, nullable=nullable)
        return unknown_column("", f"tsql cannot tell the type {name}(...) returns")


def _same_clock(result: Column, value: Column) -> Column:
    """``result`` (a conversion or date function of ``value``) marked a system date when it
    is a date computed from one (the clock does not change)."""
    system = result.field_type is FieldType.DATE and value.system_generated
    return replace(result, system_generated=True) if system else result


def _text(length: int | None, nullable: bool) -> Column:
    return Column("", FieldType.TEXT, max_length=length, nullable=nullable)


def _written(node: exp.Expr) -> exp.Expr:
    """``node`` without the text cast sqlglot adds around LEN/LEFT/RIGHT's argument."""
    if (
        isinstance(node, exp.Cast)
        and node.to.this == exp.DataType.Type.TEXT
        and not node.to.expressions
    ):
        return node.this
    return node


def _int_literal(node: exp.Expr | None) -> int | None:
    if isinstance(node, exp.Literal) and node.is_int:
        return int(node.this)
    if isinstance(node, exp.Paren):
        return _int_literal(node.this)
    return None


def _string_literal(node: exp.Expr | None) -> str | None:
    if isinstance(node, exp.Literal) and node.is_string:
        return str(node.this)
    if isinstance(node, exp.National):
        return str(node.name)
    return None


def _excerpt(node: exp.Expr | None) -> str:
    if node is None:  # sqlglot leaves holes in calls it could not read (CONVERT(INT))
        return "an incomplete expression"
    try:
        text = node.sql("tsql")
    except RecursionError:
        return f"a {node.key} expression"
    return text if len(text) <= 40 else text[:37] + "..."
