"""The type algebra of inference: SQL Server's types as MCE field types, and how they combine.

MCE stores a query's output in a DE, so every SQL type is named by the DE field type that can
hold it (varchar(n) -> Text n, int -> Number, decimal(p,s) -> Decimal, datetime -> Date, bit ->
Boolean). Combining follows SQL Server's data type precedence (a UNION or CASE of a date and a
text is a date), and lengths widen so that a DE built from the result never truncates a value.
"""

from __future__ import annotations

from dataclasses import replace

from sqlglot import exp

from tsql.scope import unknown_column
from tsql.types import Column, FieldType

__all__ = [
    "MAX_DECIMAL_PRECISION",
    "NULL_NOTE",
    "cast_type",
    "decimal_digits",
    "is_null_type",
    "is_textlike",
    "literal_type",
    "text_length",
    "widen",
    "with_nullable",
]

MAX_DECIMAL_PRECISION = 38
#: SQL Server's length of CAST(x AS varchar) with no length.
_DEFAULT_CAST_LENGTH = 30
#: Longest text MCE stores in a Text field.
MAX_TEXT_LENGTH = 4000
NULL_NOTE = "the value is always NULL, which has no type"

_TEXTLIKE = frozenset({FieldType.TEXT, FieldType.EMAIL_ADDRESS, FieldType.PHONE, FieldType.LOCALE})
#: SQL Server's data type precedence, as MCE field types (higher wins when values mix).
_PRECEDENCE = {
    FieldType.DATE: 5,
    FieldType.DECIMAL: 4,
    FieldType.NUMBER: 3,
    FieldType.BOOLEAN: 2,
}
#: Characters a value of each type needs when converted to text (dates as 'Jan  1 2024 12:00AM'
#: or ISO with milliseconds; int with its sign).
_TEXT_WIDTH = {FieldType.NUMBER: 11, FieldType.DATE: 30, FieldType.BOOLEAN: 1}

_TEXT_TYPES = {
    exp.DataType.Type.CHAR,
    exp.DataType.Type.NCHAR,
    exp.DataType.Type.VARCHAR,
    exp.DataType.Type.NVARCHAR,
}
_UNBOUNDED_TEXT_TYPES = {exp.DataType.Type.TEXT}
_INTEGER_TYPES = {
    exp.DataType.Type.INT,
    exp.DataType.Type.BIGINT,
    exp.DataType.Type.SMALLINT,
    exp.DataType.Type.TINYINT,
    exp.DataType.Type.UTINYINT,
}
_DATE_TYPES = {
    exp.DataType.Type.DATE,
    exp.DataType.Type.DATETIME,
    exp.DataType.Type.DATETIME2,
    exp.DataType.Type.SMALLDATETIME,
    exp.DataType.Type.TIMESTAMP,
    exp.DataType.Type.TIMESTAMPTZ,
}
_MONEY = {exp.DataType.Type.MONEY: (19, 4), exp.DataType.Type.SMALLMONEY: (10, 4)}
_FLOAT_TYPES = {exp.DataType.Type.FLOAT, exp.DataType.Type.DOUBLE}
#: A float has no fixed scale; this Decimal holds any value a query reasonably produces.
FLOAT_DECIMAL = (MAX_DECIMAL_PRECISION, 10)


def is_textlike(column: Column) -> bool:
    return column.field_type in _TEXTLIKE


def is_null_type(column: Column) -> bool:
    """True for the type of a bare NULL (absorbed when combined with anything typed)."""
    return not column.type_known and column.note == NULL_NOTE


def with_nullable(column: Column, nullable: bool) -> Column:
    return column if column.nullable == nullable else replace(column, nullable=nullable)


def _params(data_type: exp.DataType) -> list[int | None]:
    """The numeric parameters of a type (``MAX`` as None)."""
    values: list[int | None] = []
    for param in data_type.expressions:
        inner = param.this if isinstance(param, exp.DataTypeParam) else param
        if isinstance(inner, exp.Literal) and inner.is_int:
            values.append(int(inner.this))
        else:
            values.append(None)
    return values


def cast_type(data_type: exp.DataType, *, nullable: bool, name: str = "") -> Column:
    """The MCE field type holding values of SQL type ``data_type``."""
    kind = data_type.this
    params = _params(data_type)
    if kind in _TEXT_TYPES:
        length = params[0] if params else _DEFAULT_CAST_LENGTH
        return Column(name, FieldType.TEXT, max_length=length, nullable=nullable)
    if kind in _UNBOUNDED_TEXT_TYPES:
        return Column(name, FieldType.TEXT, nullable=nullable)
    if kind in _INTEGER_TYPES:
        return Column(name, FieldType.NUMBER, nullable=nullable)
    if kind == exp.DataType.Type.DECIMAL:
        precision = params[0] if params and params[0] else 18
        scale = params[1] if len(params) > 1 and params[1] is not None else 0
        return Column(name, FieldType.DECIMAL, precision=precision, scale=scale, nullable=nullable)
    if kind in _MONEY:
        precision, scale = _MONEY[kind]
        return Column(name, FieldType.DECIMAL, precision=precision, scale=scale, nullable=nullable)
    if kind in _FLOAT_TYPES:
        precision, scale = FLOAT_DECIMAL
        return Column(
            name,
            FieldType.DECIMAL,
            precision=precision,
            scale=scale,
            nullable=nullable,
            note="a float has no fixed scale: Decimal(38,10) holds it, rounded",
        )
    if kind in _DATE_TYPES:
        return Column(name, FieldType.DATE, nullable=nullable)
    if kind == exp.DataType.Type.BIT:
        return Column(name, FieldType.BOOLEAN, nullable=nullable)
    if kind == exp.DataType.Type.UUID:
        return Column(name, FieldType.TEXT, max_length=36, nullable=nullable)
    if kind == exp.DataType.Type.TIME:
        return Column(
            name,
            FieldType.TEXT,
            max_length=16,
            nullable=nullable,
            note="MCE has no time type: a time of day is stored as text",
        )
    return replace(
        unknown_column(name, f"MCE has no field type for SQL type {data_type.sql('tsql')}"),
        nullable=nullable,
    )


def literal_type(literal: exp.Literal) -> Column:
    """A constant: 'text' is Text of its length, 12 a Number, 1.50 a Decimal(3,2)."""
    if literal.is_string:
        return Column("", FieldType.TEXT, max_length=max(1, len(literal.this)), nullable=False)
    text = str(literal.this)
    if literal.is_int:
        if abs(int(text)) <= 2**31 - 1:
            return Column("", FieldType.NUMBER, nullable=False)
        digits = len(text.lstrip("-"))
        return Column("", FieldType.DECIMAL, precision=digits, scale=0, nullable=False)
    if "e" in text.lower():
        precision, scale = FLOAT_DECIMAL
        return Column("", FieldType.DECIMAL, precision=precision, scale=scale, nullable=False)
    whole, _, fraction = text.lstrip("-").partition(".")
    precision = max(1, len(whole.lstrip("0")) + len(fraction))
    return Column(
        "", FieldType.DECIMAL, precision=max(precision, len(fraction)), scale=len(fraction),
        nullable=False,
    )  # fmt: skip


def decimal_digits(column: Column) -> tuple[int, int]:
    """(integer digits, scale) a numeric column needs."""
    if column.field_type is FieldType.DECIMAL:
        precision = column.precision or 18
        scale = column.scale or 0
        return precision - scale, scale
    return 10, 0


def _decimal(integer: int, scale: int, *, nullable: bool) -> Column:
    scale = min(scale, MAX_DECIMAL_PRECISION)
    precision = min(MAX_DECIMAL_PRECISION, integer + scale)
    return Column(
        "", FieldType.DECIMAL, precision=max(precision, 1), scale=min(scale, precision),
        nullable=nullable,
    )  # fmt: skip


def text_length(column: Column) -> int | None:
    """Characters ``column``'s values need as text (None when unbounded or unknown)."""
    if not column.type_known:
        return None
    if is_textlike(column):
        return column.max_length
    if column.field_type is FieldType.DECIMAL:
        integer, scale = decimal_digits(column)
        return integer + scale + 2
    return _TEXT_WIDTH.get(column.field_type)


def _rank(column: Column) -> int:
    return _PRECEDENCE.get(column.field_type, 1)


def widen(first: Column, second: Column) -> Column:
    """The type holding values of both columns (UNION arms, CASE branches, COALESCE
    arguments); the name and notes come from ``first``. A system date stays one only when
    both are (a NULL branch aside)."""
    if is_null_type(second):
        return with_nullable(first, True)
    if is_null_type(first):
        return replace(second, name=first.name, nullable=True, primary_key=False)
    widened = _widen(first, second)
    system = first.system_generated and second.system_generated
    return (
        widened if widened.system_generated == system else replace(widened, system_generated=system)
    )


def _widen(first: Column, second: Column) -> Column:
    nullable = first.nullable or second.nullable
    if not first.type_known or not second.type_known:
        unknown = first if not first.type_known else second
        return replace(
            unknown_column(first.name, unknown.note or "the type is unknown"), nullable=nullable
        )
    if _rank(first) != _rank(second):
        winner = first if _rank(first) > _rank(second) else second
        if winner.field_type is FieldType.DECIMAL and (
            first.field_type is FieldType.NUMBER or second.field_type is FieldType.NUMBER
        ):
            return _widen_decimal(first, second, nullable=nullable)
        return replace(winner, name=first.name, nullable=nullable, primary_key=False)
    if first.field_type is FieldType.DECIMAL:
        return _widen_decimal(first, second, nullable=nullable)
    if is_textlike(first):
        field_type = first.field_type if first.field_type == second.field_type else FieldType.TEXT
        length = (
            None
            if first.max_length is None or second.max_length is None
            else max(first.max_length, second.max_length)
        )
        return replace(
            first, field_type=field_type, max_length=length, nullable=nullable, primary_key=False
        )
    return replace(first, nullable=nullable, primary_key=False)


def _widen_decimal(first: Column, second: Column, *, nullable: bool) -> Column:
    integer = max(decimal_digits(first)[0], decimal_digits(second)[0])
    scale = max(decimal_digits(first)[1], decimal_digits(second)[1])
    return replace(_decimal(integer, scale, nullable=nullable), name=first.name)


def arithmetic(operator: type[exp.Expr], left: Column, right: Column) -> Column:
    """The type of ``left <op> right`` for + - * / %."""
    nullable = left.nullable or right.nullable
    if is_null_type(left) or is_null_type(right):
        return replace(unknown_column("", NULL_NOTE), nullable=True)
    if not left.type_known or not right.type_known:
        unknown = left if not left.type_known else right
        return replace(unknown_column("", unknown.note or "the type is unknown"), nullable=True)
    if operator is exp.Add and is_textlike(left) and is_textlike(right):
        lengths = (left.max_length, right.max_length)
        total = None if None in lengths else min(MAX_TEXT_LENGTH, sum(n for n in lengths if n))
        return Column("", FieldType.TEXT, max_length=total, nullable=nullable)
    if FieldType.DATE in (left.field_type, right.field_type) and operator in (exp.Add, exp.Sub):
        return Column("", FieldType.DATE, nullable=nullable)
    numeric = [c for c in (left, right) if not is_textlike(c)]
    if any(c.field_type is FieldType.DECIMAL for c in numeric):
        (li, ls), (ri, rs) = decimal_digits(_numeric(left)), decimal_digits(_numeric(right))
        if operator is exp.Mul:
            return _decimal(li + ri + 1, ls + rs, nullable=nullable)
        if operator is exp.Div:
            scale = max(6, ls + ri + 1)
            return _decimal(li + rs, scale, nullable=nullable)
        return _decimal(max(li, ri) + 1, max(ls, rs), nullable=nullable)
    return Column("", FieldType.NUMBER, nullable=nullable)


def _numeric(column: Column) -> Column:
    if column.field_type in (FieldType.NUMBER, FieldType.DECIMAL):
        return column
    return Column("", FieldType.NUMBER)
