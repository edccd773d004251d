"""The functions MCE's SQL offers, and the ones it refuses with what to write instead.

One table serves three readers: validation (a call to a function MCE lacks is a finding with a
replacement), completions (signature and one line of help) and inference (the return type when
it does not depend on the arguments). The list is REFERENCE §5.1's supported functions, QSPRO's
additions listed there, and plain SQL Server functions MCE's engine has always had (string,
math, date and ranking functions). The simulator runs most of these; it refuses a few of the
long-standing ones (ISNUMERIC, STR, CHOOSE ...) as its own choice (docs/simulator.md, [sim]).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from tsql.types import FieldType

__all__ = ["FUNCTIONS", "UNSUPPORTED_FUNCTIONS", "FunctionSpec", "function_spec"]


@dataclass(frozen=True, slots=True)
class FunctionSpec:
    """One function: ``signature`` is what completions show, ``returns`` the MCE field type of
    the result when it is fixed (None when it depends on the arguments)."""

    name: str
    signature: str
    description: str
    returns: FieldType | None
    aggregate: bool = False
    window: bool = False


_T = FieldType.TEXT
_N = FieldType.NUMBER
_D = FieldType.DATE
_DEC = FieldType.DECIMAL
_B = FieldType.BOOLEAN

_SCALAR: tuple[tuple[str, str, str, FieldType | None], ...] = (
    # conversion and logic
    ("CAST", "CAST(expression AS type)", "Converts a value to another SQL type.", None),
    (
        "CONVERT",
        "CONVERT(type, expression [, style])",
        "Converts a value to another SQL type; style formats dates and numbers as text.",
        None,
    ),
    ("ISNULL", "ISNULL(expression, replacement)", "The replacement when expression is NULL.", None),
    ("COALESCE", "COALESCE(expression, ...)", "The first argument that is not NULL.", None),
    ("NULLIF", "NULLIF(a, b)", "NULL when a equals b, otherwise a.", None),
    ("IIF", "IIF(condition, when_true, when_false)", "A two-way CASE in one call.", None),
    # text
    ("CONCAT", "CONCAT(value, value, ...)", "Joins values as text; NULLs count as ''.", _T),
    ("LEN", "LEN(text)", "Number of characters, trailing spaces not counted.", _N),
    (
        "SUBSTRING",
        "SUBSTRING(text, start, length)",
        "Part of a text, from a 1-based start.",
        _T,
    ),
    ("LEFT", "LEFT(text, count)", "The first count characters.", _T),
    ("RIGHT", "RIGHT(text, count)", "The last count characters.", _T),
    ("UPPER", "UPPER(text)", "Text in upper case.", _T),
    ("LOWER", "LOWER(text)", "Text in lower case.", _T),
    ("LTRIM", "LTRIM(text)", "Text without leading spaces.", _T),
    ("RTRIM", "RTRIM(text)", "Text without trailing spaces.", _T),
    ("TRIM", "TRIM(text)", "Text without leading and trailing spaces.", _T),
    (
        "CHARINDEX",
        "CHARINDEX(search, text [, start])",
        "1-based position of search in text, 0 when absent.",
        _N,
    ),
    (
        "PATINDEX",
        "PATINDEX('%pattern%', text)",
        "1-based position of a LIKE pattern in text, 0 when absent.",
        _N,
    ),
    ("REPLACE", "REPLACE(text, search, replacement)", "Replaces every occurrence of search.", _T),
    ("REPLICATE", "REPLICATE(text, count)", "Text repeated count times.", _T),
    ("REVERSE", "REVERSE(text)", "Text with its characters in reverse order.", _T),
    (
        "STUFF",
        "STUFF(text, start, length, insert)",
        "Deletes length characters at start and inserts another text there.",
        _T,
    ),
    ("SPACE", "SPACE(count)", "A text of count spaces.", _T),
    ("CHAR", "CHAR(code)", "The character with an ASCII code.", _T),
    ("ASCII", "ASCII(text)", "ASCII code of the first character.", _N),
    ("UNICODE", "UNICODE(text)", "Unicode code point of the first character.", _N),
    ("SOUNDEX", "SOUNDEX(text)", "Four-character phonetic code of a text.", _T),
    (
        "FORMAT",
        "FORMAT(value, format [, culture])",
        "Formats a date or number as text with a .NET format pattern.",
        _T,
    ),
    # numbers
    ("ABS", "ABS(number)", "Absolute value.", None),
    ("ROUND", "ROUND(number, digits)", "Number rounded to digits decimal places.", None),
    ("FLOOR", "FLOOR(number)", "Largest integer not above number.", None),
    ("CEILING", "CEILING(number)", "Smallest integer not below number.", None),
    ("SIGN", "SIGN(number)", "-1, 0 or 1 by the sign of number.", None),
    ("SQRT", "SQRT(number)", "Square root.", _DEC),
    ("SQUARE", "SQUARE(number)", "Number times itself.", _DEC),
    ("POWER", "POWER(number, exponent)", "Number raised to exponent.", None),
    ("EXP", "EXP(number)", "e raised to number.", _DEC),
    ("LOG", "LOG(number [, base])", "Natural (or base) logarithm.", _DEC),
    ("LOG10", "LOG10(number)", "Base-10 logarithm.", _DEC),
    ("PI", "PI()", "The constant pi.", _DEC),
    ("RAND", "RAND([seed])", "A random number between 0 and 1.", _DEC),
    # dates
    ("GETDATE", "GETDATE()", "Current server time (Central Standard Time, no DST).", _D),
    ("GETUTCDATE", "GETUTCDATE()", "Current time in UTC.", _D),
    ("SYSDATETIME", "SYSDATETIME()", "Current server time, more precise than GETDATE().", _D),
    ("SYSUTCDATETIME", "SYSUTCDATETIME()", "Current time in UTC, high precision.", _D),
    ("DATEADD", "DATEADD(datepart, number, date)", "Date plus number dateparts.", _D),
    (
        "DATEDIFF",
        "DATEDIFF(datepart, start, end)",
        "Number of datepart boundaries crossed between two dates.",
        _N,
    ),
    ("DATEPART", "DATEPART(datepart, date)", "One part of a date as a number.", _N),
    ("DATENAME", "DATENAME(datepart, date)", "One part of a date as text (e.g. 'March').", _T),
    ("YEAR", "YEAR(date)", "Year of a date.", _N),
    ("MONTH", "MONTH(date)", "Month of a date (1-12).", _N),
    ("DAY", "DAY(date)", "Day of the month of a date.", _N),
    ("EOMONTH", "EOMONTH(date [, months])", "Last day of the month of a date.", _D),
    ("DATEFROMPARTS", "DATEFROMPARTS(year, month, day)", "A date from its parts.", _D),
    (
        "DATETIMEFROMPARTS",
        "DATETIMEFROMPARTS(year, month, day, hour, minute, seconds, ms)",
        "A datetime from its parts.",
        _D,
    ),
    (
        "TIMEFROMPARTS",
        "TIMEFROMPARTS(hour, minute, seconds, fractions, precision)",
        "A time of day from its parts.",
        _T,
    ),
    ("NEWID", "NEWID()", "A new random uniqueidentifier (36 characters).", _T),
    # long-standing SQL Server functions MCE's engine has (not in REFERENCE's lists)
    ("ISNUMERIC", "ISNUMERIC(expression)", "1 when the value converts to a number, else 0.", _N),
    ("ISDATE", "ISDATE(expression)", "1 when the value converts to a date, else 0.", _N),
    ("DATALENGTH", "DATALENGTH(expression)", "Number of bytes a value takes.", _N),
    ("STR", "STR(number [, length [, decimals]])", "A number as right-aligned text.", _T),
    ("QUOTENAME", "QUOTENAME(text [, quote])", "Text as a bracketed identifier.", _T),
    ("NCHAR", "NCHAR(code)", "The Unicode character with a code point.", _T),
    ("CHOOSE", "CHOOSE(index, value1, value2, ...)", "The index-th value of the list.", None),
    (
        "DATETIME2FROMPARTS",
        "DATETIME2FROMPARTS(year, month, day, hour, minute, seconds, fractions, precision)",
        "A datetime2 from its parts.",
        _D,
    ),
    (
        "SMALLDATETIMEFROMPARTS",
        "SMALLDATETIMEFROMPARTS(year, month, day, hour, minute)",
        "A smalldatetime from its parts.",
        _D,
    ),
    ("SYSDATETIMEOFFSET", "SYSDATETIMEOFFSET()", "Current time with its UTC offset.", _D),
    ("SWITCHOFFSET", "SWITCHOFFSET(datetimeoffset, offset)", "A time moved to an offset.", _D),
    (
        "TODATETIMEOFFSET",
        "TODATETIMEOFFSET(datetime, offset)",
        "A datetime marked with a UTC offset.",
        _D,
    ),
    ("SIN", "SIN(radians)", "Sine.", _DEC),
    ("COS", "COS(radians)", "Cosine.", _DEC),
    ("TAN", "TAN(radians)", "Tangent.", _DEC),
    ("ASIN", "ASIN(number)", "Arcsine in radians.", _DEC),
    ("ACOS", "ACOS(number)", "Arccosine in radians.", _DEC),
    ("ATAN", "ATAN(number)", "Arctangent in radians.", _DEC),
    ("ATN2", "ATN2(y, x)", "Angle in radians of the point (x, y).", _DEC),
    ("DEGREES", "DEGREES(radians)", "Radians as degrees.", None),
    ("RADIANS", "RADIANS(degrees)", "Degrees as radians.", None),
)

_AGGREGATES: tuple[tuple[str, str, str, FieldType | None], ...] = (
    ("COUNT", "COUNT(* | [DISTINCT] expression)", "Number of rows (or non-NULL values).", _N),
    ("COUNT_BIG", "COUNT_BIG(* | [DISTINCT] expression)", "COUNT as a bigint.", _N),
    ("SUM", "SUM([DISTINCT] number)", "Sum of the values.", None),
    ("AVG", "AVG([DISTINCT] number)", "Average of the values.", None),
    ("MIN", "MIN(expression)", "Smallest value.", None),
    ("MAX", "MAX(expression)", "Largest value.", None),
    ("STDEV", "STDEV(number)", "Statistical standard deviation of the values.", _DEC),
    ("STDEVP", "STDEVP(number)", "Population standard deviation of the values.", _DEC),
    ("VAR", "VAR(number)", "Statistical variance of the values.", _DEC),
    ("VARP", "VARP(number)", "Population variance of the values.", _DEC),
)

_WINDOWS: tuple[tuple[str, str, str, FieldType | None], ...] = (
    (
        "ROW_NUMBER",
        "ROW_NUMBER() OVER ([PARTITION BY ...] ORDER BY ...)",
        "Sequential number of each row within its partition.",
        _N,
    ),
    ("RANK", "RANK() OVER ([PARTITION BY ...] ORDER BY ...)", "Rank with gaps after ties.", _N),
    (
        "DENSE_RANK",
        "DENSE_RANK() OVER ([PARTITION BY ...] ORDER BY ...)",
        "Rank without gaps after ties.",
        _N,
    ),
    ("NTILE", "NTILE(groups) OVER (ORDER BY ...)", "Bucket number of each row.", _N),
    ("LAG", "LAG(expression [, offset [, default]]) OVER (...)", "A previous row's value.", None),
    ("LEAD", "LEAD(expression [, offset [, default]]) OVER (...)", "Value from a later row.", None),
    ("FIRST_VALUE", "FIRST_VALUE(expression) OVER (...)", "First value in the window.", None),
    ("LAST_VALUE", "LAST_VALUE(expression) OVER (...)", "Last value in the window.", None),
    ("CUME_DIST", "CUME_DIST() OVER (ORDER BY ...)", "Cumulative distribution of a row.", _DEC),
    ("PERCENT_RANK", "PERCENT_RANK() OVER (ORDER BY ...)", "Relative rank of a row.", _DEC),
)


def _build() -> dict[str, FunctionSpec]:
    specs: dict[str, FunctionSpec] = {}
    for name, signature, description, returns in _SCALAR:
        specs[name] = FunctionSpec(name, signature, description, returns)
    for name, signature, description, returns in _AGGREGATES:
        specs[name] = FunctionSpec(name, signature, description, returns, aggregate=True)
    for name, signature, description, returns in _WINDOWS:
        specs[name] = FunctionSpec(name, signature, description, returns, window=True)
    return specs


#: Every function MCE's SQL accepts, by upper-case name.
FUNCTIONS: Mapping[str, FunctionSpec] = MappingProxyType(_build())

_NO_JSON = (
    "MCE has no JSON functions: store the values in their own DE fields, or parse the JSON "
    "with AMPscript/SSJS before it reaches the DE."
)

#: Functions MCE refuses (REFERENCE §5.1, QSPRO's list, and SQL Server functions newer than
#: MCE's compatibility level), by upper-case name, with what to write instead.
UNSUPPORTED_FUNCTIONS: Mapping[str, str] = MappingProxyType(
    {
        "STRING_SPLIT": "MCE has no STRING_SPLIT: take the parts with CHARINDEX and SUBSTRING "
        "(LEFT/RIGHT), one output column per part.",
        "STRING_AGG": "MCE has no STRING_AGG: aggregate with MIN/MAX per part, or build the "
        "list outside SQL.",
        "CONCAT_WS": "Use CONCAT(a, 'separator', b, ...) instead of CONCAT_WS.",
        "TRANSLATE": "Use nested REPLACE(...) calls instead of TRANSLATE.",
        "OPENJSON": _NO_JSON,
        "ISJSON": _NO_JSON,
        "JSON_VALUE": _NO_JSON,
        "JSON_QUERY": _NO_JSON,
        "JSON_MODIFY": _NO_JSON,
        "TRY_CONVERT": "MCE has no TRY_CONVERT: guard the value with CASE WHEN ... LIKE "
        "patterns, then CONVERT(type, value).",
        "TRY_CAST": "MCE has no TRY_CAST: guard the value with CASE WHEN ... LIKE patterns, "
        "then CAST(value AS type).",
        "TRY_PARSE": "MCE has no TRY_PARSE: use CONVERT(type, value, style) on values known "
        "to be valid.",
    }
)


def function_spec(name: str) -> FunctionSpec | None:
    """The spec of function ``name`` (any case), or None when MCE has no such function."""
    return FUNCTIONS.get(name.upper())
