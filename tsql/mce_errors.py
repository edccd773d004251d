"""The error catalogue: MCE's query error messages, what causes them, and how to fix them.

MCE reports a failed Query Activity with SQL Server's terse wording ("Invalid column name 'X'.")
and nothing else. Each :class:`ErrorEntry` recognises one message with a pattern anchored at the
message's start (regular expressions over error *messages*, never over SQL), names the thing the
message is about (the column, value, object or word: ``subject``), and says in plain language
why it happens in MCE (the query becomes ``INSERT INTO target ... SELECT ... FROM (<query>) AS
querydef``, REFERENCE §5.1) and what to write instead.

``source`` says where the wording comes from: ``REFERENCE`` when REFERENCE §5.1 quotes or
describes MCE's message, ``SIMULATOR`` when only the simulator's wording (SQL Server's standard
messages) is known. Entries are tried in order, the specific before the general.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

from tsql.functions import UNSUPPORTED_FUNCTIONS

__all__ = ["MCE_ERRORS", "ErrorEntry", "ErrorExplanation", "ErrorSource", "explain_mce_error"]

ErrorSource = Literal["REFERENCE", "SIMULATOR"]


@dataclass(frozen=True, slots=True)
class ErrorExplanation:
    """What a failed run's message means: a stable ``code``, the ``cause`` and the ``fix`` in
    plain language, the column/value/name the message names (``subject``), and where the
    catalogue's wording comes from."""

    code: str
    cause: str
    fix: str
    subject: str | None
    source: ErrorSource


@dataclass(frozen=True, slots=True)
class ErrorEntry:
    """One catalogue entry. ``cause`` and ``fix`` are templates over the pattern's named groups
    (a group that did not take part reads as ``?``); ``subject`` names the group that is the
    message's subject, if any. ``fix_for`` may compute a fix from the groups instead."""

    code: str
    pattern: re.Pattern[str]
    cause: str
    fix: str
    source: ErrorSource
    subject: str | None = None
    fix_for: Callable[[Mapping[str, str]], str | None] | None = None

    def explain(self, message: str) -> ErrorExplanation | None:
        match = self.pattern.match(message)
        if match is None:
            return None
        groups = {name: value for name, value in match.groupdict().items() if value is not None}
        values = _Defaulting(groups)
        fix = self.fix_for(groups) if self.fix_for is not None else None
        return ErrorExplanation(
            code=self.code,
            cause=self.cause.format_map(values),
            fix=fix or self.fix.format_map(values),
            subject=(groups.get(self.subject) or None) if self.subject else None,
            source=self.source,
        )


class _Defaulting(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "?"


def _entry(
    code: str,
    pattern: str,
    *,
    cause: str,
    fix: str,
    source: ErrorSource,
    subject: str | None = None,
    fix_for: Callable[[Mapping[str, str]], str | None] | None = None,
) -> ErrorEntry:
    compiled = re.compile(pattern, re.IGNORECASE | re.DOTALL)
    if subject is not None and subject not in compiled.groupindex:
        raise ValueError(f"{code}: the pattern has no group {subject!r}")
    return ErrorEntry(code, compiled, cause, fix, source, subject, fix_for)


def _function_fix(groups: Mapping[str, str]) -> str | None:
    return UNSUPPORTED_FUNCTIONS.get(groups.get("function", "").upper())


def _q(name: str) -> str:
    """A quoted name in a message, as group ``name``. SQL Server quotes names without
    escaping, so the closing quote is the first one followed by punctuation, a space or the
    end (``'O'Brien'.`` names ``O'Brien``)."""
    return rf"'(?P<{name}>.*?)'(?=[.,;:)]|\s|\Z)"


#: Every entry, the specific ones first (their patterns would also match a general one).
MCE_ERRORS: tuple[ErrorEntry, ...] = (
    # ---------------------------------------------------------- REFERENCE §5.1's wording
    _entry(
        "PRIMARY_KEY_VIOLATION",
        r"Violation of PRIMARY KEY constraint " + _q("constraint") + r"\."
        r"(?:\s*Cannot insert duplicate key in object " + _q("object") + r"\."
        r"(?:\s*The duplicate key value is \((?P<value>.*?)\)\.)?)?",
        cause="Two rows of the result have the same primary key ({value}) in {object}, or "
        "(Append) a row's key is already in the target. MCE refuses the whole run "
        "(an Append may have written the rows before it).",
        fix="Make the primary key unique in the result: SELECT DISTINCT, GROUP BY the key, or "
        "keep one row per key with ROW_NUMBER() OVER (PARTITION BY key ORDER BY ...) = 1; "
        "with Append, skip keys already in the target (NOT EXISTS) or use Update.",
        source="REFERENCE",
        subject="value",
    ),
    _entry(
        "STRING_TRUNCATED",
        r"String or binary data would be truncated"
        r"(?: in table " + _q("object") + r", column " + _q("column") + r"\."
        r"(?:\s*Truncated value: " + _q("value") + r")?)?",
        cause="A text value is longer than its target field's MaxLength (column {column}).",
        fix="Lengthen the target field, or cut the value to the field's length with "
        "LEFT(value, length) in the SELECT.",
        source="REFERENCE",
        subject="column",
    ),
    _entry(
        "REQUIRED_FIELD_MISSING",
        r"Field " + _q("field") + r" is required for the Target Data Extension",
        cause="The target DE's field {field} is required (or part of the primary key), but the "
        "query has no output column with that name.",
        fix="Select a value for {field} (… AS [{field}]), or make the field nullable in the "
        "target DE.",
        source="REFERENCE",
        subject="field",
    ),
    _entry(
        "SEMICOLON",
        r"';' is a reserved word",
        cause="MCE places the query inside another statement, so it cannot contain ';' "
        "(nor a second statement).",
        fix="Remove the ';' (and keep one SELECT; combine several with UNION ALL).",
        source="REFERENCE",
        subject=None,
    ),
    _entry(
        "SELECT_INTO",
        r"'into' is a reserved word",
        cause="SELECT … INTO is not allowed: MCE writes the result into the query activity's "
        "target DE itself.",
        fix="Remove INTO …; choose the target DE (and Overwrite/Append/Update) in the query "
        "activity instead.",
        source="REFERENCE",
    ),
    _entry(
        "RESERVED_WORD",
        r"" + _q("word") + r" is a reserved word",
        cause="MCE refuses '{word}' in a query activity: it runs one SELECT only, without "
        "DECLARE, variables or other statements.",
        fix="Rewrite the query as a single SELECT, putting constants in place of variables.",
        source="REFERENCE",
        subject="word",
    ),
    _entry(
        "NOT_A_SELECT",
        r"Only SELECT queries are valid",
        cause="A query activity only runs a SELECT: INSERT, UPDATE, DELETE, MERGE, EXEC and DDL "
        "are refused.",
        fix="Write a SELECT whose output columns match the target DE; choose Overwrite, Append "
        "or Update in the query activity to change the target's rows.",
        source="REFERENCE",
    ),
    # -------------------------------------- only the simulator's (SQL Server's) wording
    _entry(
        "NULL_INTO_REQUIRED",
        r"Cannot insert the value NULL into column " + _q("column") + r", table " + _q("object"),
        cause="The target field {column} does not allow NULL (it is required or part of the "
        "primary key), and a row of the result has no value for it.",
        fix="Give {column} a value on every row (ISNULL(expr, default) or a WHERE … IS NOT "
        "NULL), or make the field nullable.",
        source="SIMULATOR",
        subject="column",
    ),
    _entry(
        "CONVERSION_FAILED_VALUE",
        r"Conversion failed when converting the (?P<from_type>\w+) value "
        + _q("value")
        + r" to data type (?P<to_type>\w+)",
        cause="The value '{value}' cannot be converted to {to_type}: the target field (or a "
        "CAST/CONVERT, or a comparison with a number) needs that type.",
        fix="Convert only values that fit (CASE WHEN value NOT LIKE '%[^0-9]%' THEN … END), or "
        "make the target field Text.",
        source="SIMULATOR",
        subject="value",
    ),
    _entry(
        "CONVERSION_FAILED_DATE",
        r"Conversion failed when converting date and/or time from character string",
        cause="A text value is not a date SQL Server can read (for a Date field, a CAST/CONVERT "
        "or a comparison with a date).",
        fix="Convert with an explicit style, e.g. CONVERT(datetime, value, 101) for mm/dd/yyyy "
        "or 103 for dd/mm/yyyy, and leave unreadable values NULL with a CASE.",
        source="SIMULATOR",
    ),
    _entry(
        "CONVERSION_FAILED_NUMERIC",
        r"Error converting data type (?P<from_type>\w+) to (?P<to_type>\w+)",
        cause="A {from_type} value is not a number that {to_type} can hold (for a Decimal field "
        "or a CAST).",
        fix="Convert only numeric text (CASE WHEN ISNUMERIC(value) = 1 THEN … END), or make "
        "the target field Text.",
        source="SIMULATOR",
    ),
    _entry(
        "ARITHMETIC_OVERFLOW",
        r"Arithmetic overflow error converting (?P<from_type>.+?) to data type (?P<to_type>\w+)",
        cause="A number is too large for {to_type} (a Number field holds a 32-bit integer; a "
        "Decimal field its precision and scale).",
        fix="Use a Decimal field with enough precision (or Text) for large numbers, or filter "
        "out the values that do not fit.",
        source="SIMULATOR",
        subject="to_type",
    ),
    _entry(
        "DIVIDE_BY_ZERO",
        r"Divide by zero error encountered",
        cause="An expression divides by zero on some row.",
        fix="Guard the divisor: x / NULLIF(y, 0) gives NULL instead of failing.",
        source="SIMULATOR",
    ),
    _entry(
        "INVALID_COLUMN",
        r"Invalid column name " + _q("column"),
        cause="No table the query reads has a column {column}, or the target DE has no field "
        "with that name (MCE maps output columns to target fields by name).",
        fix="Check the spelling against the DE or data view, alias the output column to a "
        "target field's name, or add the field to the target DE.",
        source="SIMULATOR",
        subject="column",
    ),
    _entry(
        "INVALID_OBJECT",
        r"Invalid object name " + _q("object"),
        cause="There is no DE or data view called {object} in this business unit.",
        fix="Check the name (brackets around names with spaces or hyphens: [My DE]); a DE "
        "shared from the parent BU is ENT.[Name].",
        source="SIMULATOR",
        subject="object",
    ),
    _entry(
        "AMBIGUOUS_COLUMN",
        r"Ambiguous column name " + _q("column"),
        cause="More than one table in the query has a column {column} and the query does not "
        "say which (often SELECT * over a join).",
        fix="Prefix the column with its table's alias (s.{column}) and list columns instead of "
        "SELECT * over joins.",
        source="SIMULATOR",
        subject="column",
    ),
    _entry(
        "ORDER_BY_IN_DERIVED_TABLE",
        r"The ORDER BY clause is invalid in views, inline functions, derived tables",
        cause="MCE runs the query as a derived table, where ORDER BY needs TOP or OFFSET; the "
        "target DE keeps no row order anyway.",
        fix="Remove the ORDER BY, or add TOP n (or OFFSET … FETCH) when it chooses which rows "
        "to keep.",
        source="SIMULATOR",
    ),
    _entry(
        "CTE_NOT_SUPPORTED",
        r"Incorrect syntax near the keyword 'WITH'",
        cause="Common table expressions (WITH … AS) cannot appear where MCE places the query.",
        fix="Move each CTE into the FROM clause as a derived table: FROM (SELECT …) AS name.",
        source="SIMULATOR",
    ),
    _entry(
        "LIMIT_NOT_SUPPORTED",
        r"Incorrect syntax near 'LIMIT'",
        cause="LIMIT is not T-SQL.",
        fix="Use SELECT TOP n … instead of LIMIT n.",
        source="SIMULATOR",
    ),
    _entry(
        "SYNTAX_ERROR",
        r"Incorrect syntax near (?:the keyword )?" + _q("near"),
        cause="SQL Server could not read the query near '{near}'.",
        fix="Check the text just before '{near}': a missing or extra comma, an unclosed "
        "parenthesis, a keyword used as a name (bracket it: [{near}]), or syntax T-SQL lacks.",
        source="SIMULATOR",
        subject="near",
    ),
    _entry(
        "UNDECLARED_VARIABLE",
        r'Must declare the scalar variable "(?P<variable>[^"]*)"',
        cause="The query uses the variable {variable}; a query activity cannot declare or use "
        "variables.",
        fix="Write the value itself in place of {variable}.",
        source="SIMULATOR",
        subject="variable",
    ),
    _entry(
        "UNKNOWN_FUNCTION",
        r"" + _q("function") + r" is not a recognized built-in function name",
        cause="MCE's SQL has no function {function} (its engine predates it, or it is not T-SQL).",
        fix="Rewrite {function} with the functions MCE offers.",
        source="SIMULATOR",
        subject="function",
        fix_for=_function_fix,
    ),
    _entry(
        "UNNAMED_OUTPUT_COLUMN",
        r"No column name was specified for column (?P<position>\d+) of 'querydef'",
        cause="Output column {position} is an expression without a name; MCE maps output "
        "columns to target fields by name.",
        fix="Name it after a target field: … AS [FieldName].",
        source="SIMULATOR",
        subject="position",
    ),
    _entry(
        "DUPLICATE_OUTPUT_COLUMN",
        r"The column " + _q("column") + r" was specified multiple times for 'querydef'",
        cause="Two output columns are both called {column}.",
        fix="Give each output column its own name (alias one of them), or select it once.",
        source="SIMULATOR",
        subject="column",
    ),
    _entry(
        "NESTED_TOO_DEEPLY",
        r"Some part of your SQL statement is nested too deeply",
        cause="The query nests expressions or subqueries deeper than SQL Server can parse.",
        fix="Flatten it: replace deep nesting with CASE, IN lists or derived tables, or split "
        "it across queries with a staging DE.",
        source="SIMULATOR",
    ),
    _entry(
        "UNCLOSED_QUOTE",
        r"Unclosed quotation mark after the character string " + _q("text"),
        cause="A string literal is not closed.",
        fix="Close the string with ' (write '' for a quote inside a string).",
        source="SIMULATOR",
        subject="text",
    ),
    _entry(
        "INVALID_DATEPART",
        r"" + _q("datepart") + r" is not a recognized datepart option",
        cause="'{datepart}' is not a date part DATEADD/DATEDIFF/DATEPART know.",
        fix="Use a date part such as year, quarter, month, day, week, hour, minute or second.",
        source="SIMULATOR",
        subject="datepart",
    ),
    _entry(
        "UNSUPPORTED_DATEPART",
        r"The datepart (?P<datepart>\w+) is not supported by date function (?P<function>\w+)",
        cause="{function} does not accept the date part {datepart}.",
        fix="Use another date part with {function} (e.g. week instead of iso_week).",
        source="SIMULATOR",
        subject="datepart",
    ),
    _entry(
        "INVALID_CONVERT_STYLE",
        r"(?P<style>\d+) is not a valid style number when converting to (?P<to_type>\w+)",
        cause="CONVERT has no style {style} for converting to {to_type}.",
        fix="Use a documented style: 101 (mm/dd/yyyy), 103 (dd/mm/yyyy), 112 (yyyymmdd), "
        "120 (yyyy-mm-dd hh:mi:ss), 126 (ISO 8601).",
        source="SIMULATOR",
        subject="style",
    ),
    _entry(
        "UPDATE_NEEDS_PRIMARY_KEY",
        r"The Target Data Extension must have a Primary Key to use the Update data action",
        cause="Update matches result rows to target rows by primary key, and the target DE has "
        "none.",
        fix="Add a primary key to the target DE, or use Overwrite or Append.",
        source="SIMULATOR",
    ),
    _entry(
        "TARGET_NOT_FOUND",
        r"Target data extension (?P<target>.+?) was not found",
        cause="The query activity's target DE {target} does not exist (deleted, or in another "
        "business unit).",
        fix="Choose an existing target DE, or create it again.",
        source="SIMULATOR",
        subject="target",
    ),
    _entry(
        "UNKNOWN_UPDATE_TYPE",
        r"Unknown target update type " + _q("update_type"),
        cause="'{update_type}' is not a data action MCE knows.",
        fix="Use Overwrite, Append or Update.",
        source="SIMULATOR",
        subject="update_type",
    ),
    # Last: "timeout" may appear inside other messages' quoted names.
    _entry(
        "TIMEOUT",
        r".*?\b(?:time-?out|timed out)\b(?:.*?\bafter (?P<minutes>\d+) minutes)?",
        cause="The query ran longer than MCE allows (query activities are stopped after 30 "
        "minutes).",
        fix="Make the query cheaper: filter early (date ranges on data views), avoid functions "
        "on joined or filtered columns, join on keys, or split the work into several queries "
        "through staging DEs.",
        source="REFERENCE",
        subject="minutes",
    ),
)

#: Text MCE puts before the message itself in some places ("… Errors: <message>").
_LEAD_IN = re.compile(r"(?:errors?|error message|message)\s*:\s*", re.IGNORECASE)


def explain_mce_error(message: str) -> ErrorExplanation | None:
    """The catalogue's explanation of ``message`` (a failed run's or a validation's error
    text), or None when no entry recognises it.

    The message is tried as it is, then after each lead-in such as ``Errors:``, so wrapped
    forms are recognised too.
    """
    text = message.strip()
    if not text:
        return None
    starts = [0, *(match.end() for match in _LEAD_IN.finditer(text))]
    for start in starts:
        candidate = text[start:]
        for entry in MCE_ERRORS:
            explanation = entry.explain(candidate)
            if explanation is not None:
                return explanation
    return None
