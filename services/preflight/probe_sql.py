"""The measuring SQL of a probe: one row of counts about what the user's query would write.

MCE fails a query activity on the first row that breaks a rule (REFERENCE §5.1): a primary-key
value twice in the result (or, for Append, already in the target), NULL into a required or key
field, text longer than its field. A probe runs, through the runs engine, one SELECT that
reads the user's query as a derived table (exactly as MCE reads it: REFERENCE §5.1's wrapper)
and counts those rows, so the answer is "this will fail on 37 rows" before anything fails.
It returns a single row, never the user's data: counts and lengths only.

Every measure is a named column (:class:`Measure`); the report reads them back by name. The
user's text is embedded as written, on lines of its own (a trailing ``--`` comment in it
cannot swallow what follows).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from services.preflight.conversions import TEXT_LIKE, field_type, target_length
from services.preflight.outputs import OutputPositions
from services.preflight.report import TargetInfo, UpdateType
from tsql import Column, Span

__all__ = ["PROBE_COMMENT", "Measure", "MeasureKind", "ProbeSql", "build_probe_sql"]

#: The first line of every probe's SQL: a run whose SQL starts with it is a probe (runs list it
#: with its SQL, so a user reading their history sees what it was).
PROBE_COMMENT = "/* Quarry pre-flight probe: counts what this query would write into its target */"


class MeasureKind(StrEnum):
    ROWS = "rows"  # rows the query returns
    NULLS = "nulls"  # rows with NULL in a column feeding a required or key field
    LONGEST = "longest"  # the longest text of a column feeding a text field
    TOO_LONG = "too_long"  # rows whose text is longer than its field
    DUPLICATE_KEYS = "duplicate_keys"  # primary-key values found more than once
    DUPLICATE_ROWS = "duplicate_rows"  # rows carrying those values
    KEYS_IN_TARGET = "keys_in_target"  # Append: rows whose key the target already holds


@dataclass(frozen=True, slots=True)
class Measure:
    """One measured value: the probe's result column ``name``, what it counts, and the output
    ``column`` / target ``field`` it concerns with the column's place in the user's SQL."""

    name: str
    kind: MeasureKind
    column: str | None = None
    field: str | None = None
    limit: int | None = None
    span: Span | None = None


@dataclass(frozen=True, slots=True)
class ProbeSql:
    text: str
    measures: tuple[Measure, ...]
    key_columns: tuple[str, ...]


def _ref(alias: str, name: str) -> str:
    return f"{alias}.[{name.replace(']', ']]')}]"


def _count_if(condition: str, name: str) -> str:
    return f"ISNULL(SUM(CASE WHEN {condition} THEN 1 ELSE 0 END), 0) AS {name}"


def build_probe_sql(
    sql: str,
    *,
    columns: Sequence[Column],
    positions: OutputPositions,
    target: TargetInfo,
    update_type: UpdateType,
) -> ProbeSql:
    """The probe of ``sql`` (valid for a query activity, with its inferred ``columns``)
    writing into ``target`` with ``update_type``."""
    measures = [Measure("ProbeRows", MeasureKind.ROWS)]
    selects = ["COUNT(*) AS ProbeRows"]
    by_field: dict[str, tuple[int, Column]] = {}
    for index, column in enumerate(columns):
        field = target.field(column.name)
        if field is None or field.name.casefold() in by_field:
            continue
        by_field[field.name.casefold()] = (index, column)
        span = positions.of(index)
        ref = _ref("q", column.name)
        if field.must_be_filled:
            name = f"ProbeNulls{index}"
            measures.append(Measure(name, MeasureKind.NULLS, column.name, field.name, span=span))
            selects.append(_count_if(f"{ref} IS NULL", name))
        kind = field_type(field.field_type)
        limit = None if kind is None else target_length(kind, field.max_length)
        if limit is not None and column.type_known and column.field_type in TEXT_LIKE:
            longest, too_long = f"ProbeLongest{index}", f"ProbeTooLong{index}"
            measures.append(
                Measure(longest, MeasureKind.LONGEST, column.name, field.name, limit, span)
            )
            measures.append(
                Measure(too_long, MeasureKind.TOO_LONG, column.name, field.name, limit, span)
            )
            selects.append(f"MAX(LEN({ref})) AS {longest}")
            selects.append(_count_if(f"LEN({ref}) > {limit}", too_long))
    body = f"\n{sql}\n"
    parts = [f"SELECT {', '.join(selects)}\nFROM ({body}) AS q"]
    aliases = ["m"]
    keys = [by_field.get(f.name.casefold()) for f in target.primary_key]
    key_columns = tuple(found[1].name for found in keys if found is not None)
    if target.primary_key and all(found is not None for found in keys):
        first_key = next(found for found in keys if found is not None)
        span = positions.of(first_key[0])
        label = ", ".join(key_columns)
        measures.append(Measure("ProbeDuplicateKeys", MeasureKind.DUPLICATE_KEYS, label, span=span))
        measures.append(Measure("ProbeDuplicateRows", MeasureKind.DUPLICATE_ROWS, label, span=span))
        grouped = ", ".join(_ref("q", name) for name in key_columns)
        parts.append(
            "SELECT COUNT(*) AS ProbeDuplicateKeys, ISNULL(SUM(g.n), 0) AS ProbeDuplicateRows\n"  # noqa: S608 - MCE SQL run as the user; names bracketed
            f"FROM (SELECT COUNT(*) AS n FROM ({body}) AS q GROUP BY {grouped}"
            " HAVING COUNT(*) > 1) AS g"
        )
        aliases.append("d")
        if update_type is UpdateType.APPEND:
            measures.append(
                Measure("ProbeKeysInTarget", MeasureKind.KEYS_IN_TARGET, label, span=span)
            )
            matches = " AND ".join(
                f"{_ref('t', field.name)} = {_ref('q', name)}"
                for field, name in zip(target.primary_key, key_columns, strict=True)
            )
            parts.append(
                f"SELECT COUNT(*) AS ProbeKeysInTarget FROM ({body}) AS q\n"  # noqa: S608 - MCE SQL run as the user
                f"WHERE EXISTS (SELECT 1 FROM {target.sql_name} AS t WHERE {matches})"
            )
            aliases.append("e")
    outer = ", ".join(f"{_alias_of(m, aliases)}.{m.name}" for m in measures)
    sources = "\nCROSS JOIN ".join(
        f"({part}) AS {alias}" for part, alias in zip(parts, aliases, strict=True)
    )
    text = f"{PROBE_COMMENT}\nSELECT {outer}\nFROM {sources}"
    return ProbeSql(text=text, measures=tuple(measures), key_columns=key_columns)


def _alias_of(measure: Measure, aliases: Sequence[str]) -> str:
    if measure.kind in (MeasureKind.DUPLICATE_KEYS, MeasureKind.DUPLICATE_ROWS):
        return "d"
    if measure.kind is MeasureKind.KEYS_IN_TARGET:
        return "e"
    return aliases[0]
