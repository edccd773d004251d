"""The static comparison of a query's output with its target DE: a pure function, no I/O.

Inputs are what the other modules read: the inferred output columns (tsql), where each is
written (:mod:`.outputs`), the target's fields (:mod:`.target`) and the activities writing
into it (:mod:`.usage`). The rules follow REFERENCE §5.1 (how MCE runs a query activity:
output columns mapped to fields by name; required and key fields must be selected; NULL into
a required or key field, text over a field's length and inconvertible values fail the
activity; Update needs a primary key) and §4.4 (create-time validation).
"""

from __future__ import annotations

from collections.abc import Sequence

from services.preflight.codes import severity_of
from services.preflight.conversions import (
    conversion,
    field_type,
    target_length,
    text_length,
)
from services.preflight.outputs import OutputPositions
from services.preflight.report import (
    PreflightFinding,
    TargetField,
    TargetInfo,
    TargetUsage,
    UpdateType,
)
from tsql import Column, FieldType, Span
from tsql.names import quote_identifier

__all__ = ["compare_output", "update_findings", "usage_findings"]


def _finding(
    code: str,
    message: str,
    *,
    column: str | None = None,
    span: Span | None = None,
    suggestion: str | None = None,
    mce_message: str | None = None,
) -> PreflightFinding:
    return PreflightFinding(
        code=code,
        severity=severity_of(code),
        message=message,
        column=column,
        span=span,
        suggestion=suggestion,
        mce_message=mce_message,
    )


def compare_output(
    columns: Sequence[Column],
    positions: OutputPositions,
    target: TargetInfo,
    update_type: UpdateType,
) -> list[PreflightFinding]:
    """Every static finding about writing ``columns`` into ``target`` with ``update_type``."""
    findings = update_findings(target, update_type)
    filled: set[str] = set()
    for index, column in enumerate(columns):
        span = positions.of(index)
        field = target.field(column.name)
        if field is None:
            findings.append(
                _finding(
                    "OUTPUT_COLUMN_NOT_IN_TARGET",
                    f"'{target.name}' has no field '{column.name}' for this output column.",
                    column=column.name,
                    span=span,
                    suggestion="Alias the column to one of the target's fields, or add the"
                    " field to the target.",
                    mce_message=f"Invalid column name '{column.name}'.",
                )
            )
            continue
        filled.add(field.name.casefold())
        always_null = index < len(positions.nulls) and positions.nulls[index]
        findings.extend(_column_findings(column, field, span=span, always_null=always_null))
    findings.extend(_unfilled(target, filled, positions.select_list))
    return findings


def update_findings(target: TargetInfo, update_type: UpdateType) -> list[PreflightFinding]:
    """What the update type needs of the target whatever the SQL: Update needs a key."""
    if update_type is not UpdateType.UPDATE or target.primary_key:
        return []
    return [
        _finding(
            "UPDATE_WITHOUT_PRIMARY_KEY",
            f"Update writes by primary key, and '{target.name}' has none.",
            suggestion="Use Overwrite or Append, or give the target a primary key.",
            mce_message="The Target Data Extension must have a Primary Key to use the"
            " Update data action.",
        )
    ]


def _column_findings(
    column: Column, field: TargetField, *, span: Span | None, always_null: bool
) -> list[PreflightFinding]:
    found: list[PreflightFinding] = []
    found.extend(_nullability(column, field, span=span, always_null=always_null))
    kind = field_type(field.field_type)
    if always_null or kind is None:
        return found
    if not column.type_known:
        found.append(
            _finding(
                "TYPE_UNKNOWN",
                f"The type of '{column.name}' could not be inferred"
                f" ({column.note or 'no reason given'}), so it was not compared with"
                f" {field.field_type} field '{field.name}'.",
                column=column.name,
                span=span,
                suggestion="CAST the expression to the field's type.",
            )
        )
        return found
    change = conversion(column.field_type, kind)
    if not change.ok:
        code = "TYPE_INCOMPATIBLE" if change.never else "TYPE_CONVERSION"
        found.append(
            _finding(
                code,
                f"'{column.name}' is {column.field_type.value} and field '{field.name}' is"
                f" {kind.value}: {change.why}.",
                column=column.name,
                span=span,
                suggestion=f"CAST or CONVERT it to the field's type ({kind.value}).",
            )
        )
        if change.never:
            return found
    found.extend(_length(column, field, kind, span=span))
    found.extend(_precision(column, field, kind, span=span))
    return found


def _nullability(
    column: Column, field: TargetField, *, span: Span | None, always_null: bool
) -> list[PreflightFinding]:
    if not field.must_be_filled:
        return []
    what = "primary-key" if field.is_primary_key else "required"
    if always_null:
        return [
            _finding(
                "NULL_INTO_REQUIRED",
                f"'{column.name}' is always NULL and field '{field.name}' is {what}: every"
                " row fails.",
                column=column.name,
                span=span,
                mce_message=f"Cannot insert the value NULL into column '{field.name}'.",
            )
        ]
    if not column.nullable:
        return []
    code = "NULLABLE_INTO_PRIMARY_KEY" if field.is_primary_key else "NULLABLE_INTO_REQUIRED"
    return [
        _finding(
            code,
            f"'{column.name}' may be NULL and field '{field.name}' is {what}: a row with"
            " NULL there fails the activity.",
            column=column.name,
            span=span,
            suggestion="Filter such rows out (WHERE ... IS NOT NULL) or give a fallback"
            " (ISNULL(value, ...)); a probe counts them on the real data.",
            mce_message=f"Cannot insert the value NULL into column '{field.name}'.",
        )
    ]


def _length(
    column: Column, field: TargetField, kind: FieldType, *, span: Span | None
) -> list[PreflightFinding]:
    limit = target_length(kind, field.max_length)
    if limit is None:
        return []
    longest = text_length(column)
    if longest is not None and longest <= limit:
        return []
    known = "of unknown length" if longest is None else f"up to {longest} characters long"
    return [
        _finding(
            "POSSIBLY_TRUNCATED",
            f"'{column.name}' is {known} and field '{field.name}' holds {limit}: a longer"
            " value fails the activity.",
            column=column.name,
            span=span,
            suggestion=f"LEFT(value, {limit}) keeps what fits, or widen the field; a probe"
            " measures the longest value.",
            mce_message="String or binary data would be truncated.",
        )
    ]


def _integer_digits(column: Column) -> int | None:
    if column.field_type is FieldType.NUMBER:
        return 10
    if column.field_type is FieldType.DECIMAL and column.precision is not None:
        return column.precision - (column.scale or 0)
    return None


def _precision(
    column: Column, field: TargetField, kind: FieldType, *, span: Span | None
) -> list[PreflightFinding]:
    if kind is not FieldType.DECIMAL or column.field_type not in (
        FieldType.NUMBER,
        FieldType.DECIMAL,
    ):
        return []
    precision = field.precision or field.max_length or 18
    room = precision - (field.scale or 0)
    digits = _integer_digits(column)
    if digits is None or digits <= room:
        return []
    return [
        _finding(
            "PRECISION_OVERFLOW",
            f"'{column.name}' may have {digits} digits before the decimal point and field"
            f" '{field.name}' (Decimal({precision},{field.scale or 0})) holds {room}: a larger"
            " value fails the activity.",
            column=column.name,
            span=span,
            mce_message="Arithmetic overflow error converting numeric to data type numeric.",
        )
    ]


def _unfilled(
    target: TargetInfo, filled: set[str], select_list: Span | None
) -> list[PreflightFinding]:
    found: list[PreflightFinding] = []
    for field in target.fields:
        if field.name.casefold() in filled:
            continue
        written = quote_identifier(field.name)
        if field.is_primary_key:
            found.append(
                _finding(
                    "PRIMARY_KEY_NOT_SELECTED",
                    f"Primary-key field '{field.name}' of '{target.name}' is not selected:"
                    " every key field must be.",
                    column=field.name,
                    span=select_list,
                    suggestion=f"Select a value AS {written}.",
                    mce_message=f"Field '{field.name}' is required for the Target Data Extension",
                )
            )
        elif field.is_required:
            found.append(
                _finding(
                    "REQUIRED_COLUMN_NOT_FILLED",
                    f"Required field '{field.name}' of '{target.name}' is not selected.",
                    column=field.name,
                    span=select_list,
                    suggestion=f"Select a value AS {written}.",
                    mce_message=f"Field '{field.name}' is required for the Target Data Extension",
                )
            )
        else:
            fallback = (
                f"its default value ('{field.default_value}')"
                if field.default_value is not None
                else "NULL"
            )
            found.append(
                _finding(
                    "TARGET_COLUMN_NOT_FILLED",
                    f"Field '{field.name}' of '{target.name}' is not selected: it gets {fallback}.",
                    column=field.name,
                    span=select_list,
                )
            )
    return found


def usage_findings(
    usages: Sequence[TargetUsage], target: TargetInfo, *, activity_key: str | None
) -> list[PreflightFinding]:
    """Activities that already write into the target (``activity_key``, the one being
    deployed, is named as such), with the automations that run them."""
    own = (activity_key or "").casefold()
    found: list[PreflightFinding] = []
    for usage in usages:
        this = usage.activity_key.casefold() == own
        who = (
            "This query activity"
            if this
            else f"Query activity '{usage.activity_name}' ({usage.update_type or 'unknown'})"
        )
        if usage.automations:
            names = ", ".join(f"'{a.name}'" for a in usage.automations)
            found.append(
                _finding(
                    "TARGET_USED_BY_AUTOMATIONS",
                    f"{who} already writes into '{target.name}' and runs in automations:"
                    f" {names}. Changing the target or what is written into it affects them.",
                )
            )
        elif not this:
            found.append(
                _finding(
                    "TARGET_WRITTEN_BY_ACTIVITIES",
                    f"{who} already writes into '{target.name}' (no automation runs it).",
                )
            )
    return found
