"""The rowset ``$filter`` and ``$orderBy`` mini-languages, compiled to DuckDB SQL.

REFERENCE §4.1 shows only ``Country eq 'india'``. The simulator accepts that shape and
a little more, all documented in docs/simulator.md: comparisons ``eq ne gt ge lt le
like`` (``neq gte lte`` too), ``and``/``or``/``not``, parentheses, string literals in
single quotes (``''`` escapes a quote), numbers, ``true``/``false`` and ``null``. Column
names are case-insensitive; a name with spaces is written in brackets
(``[Event Type] eq 'search'``). Text comparisons ignore case like SQL Server's default
collation. Values are bound as parameters, never spliced into SQL.
"""

from __future__ import annotations

import re
from typing import Any

from simulator.model import DataExtension, Field, FieldType
from simulator.rows import quote_ident
from simulator.values import ValueProblem, coerce_value

__all__ = ["MAX_FILTER_DEPTH", "FilterError", "compile_filter", "parse_order_by"]

#: Parentheses and ``not`` nest at most this deep (**[sim]**): a bound on the recursive
#: parser and on DuckDB's expression depth, far beyond what a real filter needs.
MAX_FILTER_DEPTH = 64

_TOKEN = re.compile(
    r"\s*(?:(?P<lp>\()|(?P<rp>\))|(?P<str>'(?:[^']|'')*')|(?P<br>\[[^\]]+\])|(?P<word>[^\s()']+))"
)
_OPS = {
    "eq": "=",
    "ne": "<>",
    "neq": "<>",
    "gt": ">",
    "ge": ">=",
    "gte": ">=",
    "lt": "<",
    "le": "<=",
    "lte": "<=",
    "like": "LIKE",
}
_TEXTUAL = {FieldType.TEXT, FieldType.EMAIL_ADDRESS, FieldType.PHONE, FieldType.LOCALE}


class FilterError(ValueError):
    """The ``$filter`` or ``$orderBy`` cannot be understood."""


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise FilterError(f"Unexpected character at position {pos}.")
        kind = m.lastgroup or ""
        tokens.append((kind, m.group(kind)))
        pos = m.end()
    return tokens


class _Parser:
    def __init__(self, de: DataExtension, tokens: list[tuple[str, str]]) -> None:
        self.de = de
        self.tokens = tokens
        self.pos = 0
        self.params: list[Any] = []
        self.depth = 0

    def _peek_word(self) -> str | None:
        if self.pos < len(self.tokens) and self.tokens[self.pos][0] == "word":
            return self.tokens[self.pos][1].lower()
        return None

    def _next(self) -> tuple[str, str]:
        if self.pos >= len(self.tokens):
            raise FilterError("The filter ends unexpectedly.")
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def parse(self) -> str:
        sql = self._or()
        if self.pos != len(self.tokens):
            raise FilterError(f"Unexpected '{self.tokens[self.pos][1]}' in filter.")
        return sql

    def _or(self) -> str:
        parts = [self._and()]
        while self._peek_word() == "or":
            self.pos += 1
            parts.append(self._and())
        return parts[0] if len(parts) == 1 else "(" + " OR ".join(parts) + ")"

    def _and(self) -> str:
        parts = [self._factor()]
        while self._peek_word() == "and":
            self.pos += 1
            parts.append(self._factor())
        return parts[0] if len(parts) == 1 else "(" + " AND ".join(parts) + ")"

    def _factor(self) -> str:
        self.depth += 1
        try:
            return self._nested_factor()
        finally:
            self.depth -= 1

    def _nested_factor(self) -> str:
        if self.depth > MAX_FILTER_DEPTH:
            raise FilterError(f"The filter nests deeper than {MAX_FILTER_DEPTH} levels.")
        if self._peek_word() == "not":
            self.pos += 1
            return f"(NOT {self._factor()})"
        kind, value = self._next()
        if kind == "lp":
            inner = self._or()
            if self._next()[0] != "rp":
                raise FilterError("Missing ')' in filter.")
            return f"({inner})"
        if kind not in ("word", "br"):
            raise FilterError(f"Expected a field name, found {value}.")
        field = self._field(value[1:-1] if kind == "br" else value)
        op_kind, op = self._next()
        sql_op = _OPS.get(op.lower()) if op_kind == "word" else None
        if sql_op is None:
            raise FilterError(f"Unknown operator {op}.")
        return self._comparison(field, sql_op, self._next())

    def _field(self, name: str) -> Field:
        field = self.de.field_named(name)
        if field is None:
            raise FilterError(f"Unknown field {name} in filter.")
        return field

    def _comparison(self, field: Field, op: str, literal: tuple[str, str]) -> str:
        kind, raw = literal
        column = quote_ident(field.name)
        if kind == "word" and raw.lower() == "null":
            if op == "=":
                return f"{column} IS NULL"
            if op == "<>":
                return f"{column} IS NOT NULL"
            raise FilterError("null can only be compared with eq or ne.")
        if kind == "str":
            value: Any = raw[1:-1].replace("''", "'")
        elif kind == "word":
            value = raw
        else:
            raise FilterError(f"Expected a value, found {raw}.")
        if op == "LIKE":
            if field.field_type not in _TEXTUAL:
                raise FilterError(f"like needs a text field; {field.name} is {field.field_type}.")
            self.params.append(str(value))
            return f"{column} ILIKE ?"
        try:
            typed = coerce_value(field, value)
        except ValueProblem as exc:
            raise FilterError(exc.message) from None
        if typed is None:
            return f"{column} IS NULL" if op == "=" else f"{column} IS NOT NULL"
        self.params.append(typed)
        if field.field_type in _TEXTUAL:
            return f"lower({column}) {op} lower(?)"
        return f"{column} {op} ?"


def compile_filter(de: DataExtension, text: str) -> tuple[str, list[Any]]:
    """``(where_sql, params)`` for a ``$filter`` expression; raises :class:`FilterError`."""
    tokens = _tokenize(text)
    if not tokens:
        return "", []
    parser = _Parser(de, tokens)
    return parser.parse(), parser.params


def parse_order_by(de: DataExtension, text: str) -> list[tuple[str, bool]]:
    """``Col asc, [Other Col] desc`` → ``[(field name, ascending), ...]``."""
    result: list[tuple[str, bool]] = []
    for part in text.split(","):
        item = part.strip()
        if not item:
            continue
        ascending = True
        lowered = item.lower()
        for suffix, asc in ((" asc", True), (" desc", False)):
            if lowered.endswith(suffix):
                item, ascending = item[: -len(suffix)].strip(), asc
                break
        if item.startswith("[") and item.endswith("]"):
            item = item[1:-1]
        field = de.field_named(item)
        if field is None:
            raise FilterError(f"Unknown field {item} in $orderBy.")
        result.append((field.name, ascending))
    return result
