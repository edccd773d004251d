"""The one error the query engine raises: a message MCE (SQL Server underneath) could show.

Query text comes from users, so every failure, from a rejected construct to a DuckDB
conversion error deep inside execution, ends as a :class:`SqlError` whose ``message`` is
safe to put on the wire (SOAP ``ErrorMsg``, REST ``errors``). DuckDB's own wording never
leaks: :func:`from_duckdb` translates it into SQL Server's.
"""

from __future__ import annotations

import re

import duckdb

__all__ = ["TOO_DEEP", "SqlError", "from_duckdb"]


class SqlError(Exception):
    """A query MCE would reject or fail; ``str(error) == error.message``."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


#: SQL Server's error 191, for text nested deeper than the parser's recursion allows.
TOO_DEEP = (
    "Some part of your SQL statement is nested too deeply. Rewrite the query or break it up "
    "into smaller queries."
)

_NOT_FOUND = re.compile(r'Referenced column "([^"]+)" not found')
_NO_COLUMN = re.compile(r'does not have a column named "([^"]+)"')
_AMBIGUOUS = re.compile(r'Ambiguous reference to column name "([^"]+)"')
_NO_TABLE = re.compile(r"Table with name (\S+) does not exist")
_NO_FUNCTION = re.compile(r"Function with name (\w+) does not exist")
_STRING_TO = re.compile(r"Could not convert string ['\"](.*?)['\"] to (\w+)", re.S)
#: Messages the engine raises itself inside DuckDB (``error(...)``), passed through as they are.
_OWN = ("Conversion failed", "Error converting", "Arithmetic overflow")
_INPUT_PREFIX = "Invalid Input Error: "
_INT_TYPES = {"INT8", "INT16", "INT32", "INT64", "INT128", "UINT8", "UINT16", "UINT32", "UINT64"}


def from_duckdb(exc: duckdb.Error) -> SqlError:
    """SQL Server's message for a DuckDB failure (a generic one when there is no match).

    **[sim]** The mapping covers what user SQL can trigger: unknown and ambiguous columns,
    unknown functions, failed conversions, overflow, division by zero; anything else
    becomes a syntax error, which is what SQL Server reports for constructs it lacks.
    """
    text = str(exc)
    if text.startswith(_INPUT_PREFIX) and text[len(_INPUT_PREFIX) :].startswith(_OWN):
        return SqlError(text[len(_INPUT_PREFIX) :].split("\n")[0].strip())
    if m := _NOT_FOUND.search(text) or _NO_COLUMN.search(text):
        return SqlError(f"Invalid column name '{m.group(1)}'.")
    if m := _AMBIGUOUS.search(text):
        return SqlError(f"Ambiguous column name '{m.group(1)}'.")
    if m := _NO_TABLE.search(text):
        return SqlError(f"Invalid object name '{m.group(1)}'.")
    if m := _NO_FUNCTION.search(text):
        return SqlError(f"'{m.group(1)}' is not a recognized built-in function name.")
    if "Division by zero" in text or "division by zero" in text:
        return SqlError("Divide by zero error encountered.")
    if m := _STRING_TO.search(text):
        value, target = m.group(1), m.group(2).upper()
        if target in _INT_TYPES:
            return SqlError(
                f"Conversion failed when converting the varchar value '{value}' to data type int."
            )
        if target.startswith("DECIMAL") or target in {"DOUBLE", "FLOAT"}:
            return SqlError("Error converting data type varchar to numeric.")
        if target == "BOOL" or target == "BOOLEAN":
            return SqlError(
                f"Conversion failed when converting the varchar value '{value}' to data type bit."
            )
    if "out of range" in text and ("DECIMAL" in text or "INT" in text):
        return SqlError("Arithmetic overflow error converting expression to data type numeric.")
    if isinstance(exc, duckdb.ConversionException) and (
        "timestamp" in text.lower() or "date" in text.lower()
    ):
        return SqlError("Conversion failed when converting date and/or time from character string.")
    if isinstance(exc, duckdb.ConversionException):
        return SqlError("Conversion failed when converting a value to the column's data type.")
    if isinstance(exc, duckdb.OutOfRangeException):
        return SqlError("Arithmetic overflow error converting expression to data type int.")
    return SqlError("Incorrect syntax near the end of the query.")
