"""Every pre-flight finding code, with its severity and what it means (docs/deploy.md).

Codes are stable strings: clients and deployments match on them. A test checks that a report
carries no code this table lacks. tsql's own validation codes (docs/tsql.md) appear in reports
too, for SQL that MCE would refuse whatever its target.
"""

from __future__ import annotations

from types import MappingProxyType

from tsql import Severity

__all__ = ["PREFLIGHT_CODES", "PROBE_CODES", "STATIC_CODES", "severity_of"]

_ERROR, _WARNING, _INFO = Severity.ERROR, Severity.WARNING, Severity.INFO

#: Static findings: the query's output against the target DE's fields (no data read).
STATIC_CODES: MappingProxyType[str, tuple[Severity, str]] = MappingProxyType(
    {
        "OUTPUT_COLUMN_NOT_IN_TARGET": (
            _ERROR,
            "An output column has no field of that name in the target: MCE fails with"
            " 'Invalid column name'.",
        ),
        "TARGET_COLUMN_NOT_FILLED": (
            _INFO,
            "A target field no output column fills: it gets its default value, else NULL.",
        ),
        "REQUIRED_COLUMN_NOT_FILLED": (
            _ERROR,
            "A required target field (no default value) no output column fills: MCE refuses"
            " the activity ('Field is required for the Target Data Extension').",
        ),
        "PRIMARY_KEY_NOT_SELECTED": (
            _ERROR,
            "A primary-key field of the target no output column fills: every key field must"
            " be selected.",
        ),
        "UPDATE_WITHOUT_PRIMARY_KEY": (
            _ERROR,
            "Update (upsert) needs a primary key on the target, which has none.",
        ),
        "TYPE_INCOMPATIBLE": (
            _ERROR,
            "The output column's type never converts into the target field's type.",
        ),
        "TYPE_CONVERSION": (
            _WARNING,
            "The output converts into the target field's type only for some values, or"
            " changes on the way (a fraction cut, a date written as text).",
        ),
        "TYPE_UNKNOWN": (
            _INFO,
            "The output column's type could not be inferred, so it was not compared.",
        ),
        "POSSIBLY_TRUNCATED": (
            _WARNING,
            "The output text may be longer than the target field's length: MCE fails with"
            " 'String or binary data would be truncated' on a longer value.",
        ),
        "PRECISION_OVERFLOW": (
            _WARNING,
            "The output number may have more digits than the target Decimal holds.",
        ),
        "NULLABLE_INTO_PRIMARY_KEY": (
            _WARNING,
            "The output column may be NULL and feeds a primary-key field: a NULL fails"
            " the activity.",
        ),
        "NULLABLE_INTO_REQUIRED": (
            _WARNING,
            "The output column may be NULL and feeds a required field: a NULL fails the activity.",
        ),
        "NULL_INTO_REQUIRED": (
            _ERROR,
            "The output column is always NULL and feeds a required or primary-key field.",
        ),
        "TARGET_USED_BY_AUTOMATIONS": (
            _WARNING,
            "Query activities that automations run already write into this target: a change"
            " to the target or to what is written into it affects those automations.",
        ),
        "TARGET_WRITTEN_BY_ACTIVITIES": (
            _INFO,
            "Other query activities (not run by any automation) already write into this target.",
        ),
    }
)

#: Probed findings: measured on the real data by a probe run (services/preflight/probe.py).
PROBE_CODES: MappingProxyType[str, tuple[Severity, str]] = MappingProxyType(
    {
        "PROBE_DUPLICATE_KEYS": (
            _ERROR,
            "Rows of the result share primary-key values: MCE fails with 'Violation of"
            " PRIMARY KEY constraint'.",
        ),
        "PROBE_KEYS_IN_TARGET": (
            _ERROR,
            "Append: rows whose primary key is already in the target: MCE fails with"
            " 'Violation of PRIMARY KEY constraint'.",
        ),
        "PROBE_NULL_IN_REQUIRED": (
            _ERROR,
            "Rows with NULL in a column that feeds a required or primary-key field.",
        ),
        "PROBE_VALUE_TOO_LONG": (
            _ERROR,
            "Rows whose text is longer than the target field: MCE fails with 'String or"
            " binary data would be truncated'.",
        ),
        "PROBE_NO_ROWS": (
            _WARNING,
            "Overwrite: the query returns no rows now, so the activity would leave the target"
            " empty.",
        ),
    }
)

#: Every pre-flight code: static and probed.
PREFLIGHT_CODES: MappingProxyType[str, tuple[Severity, str]] = MappingProxyType(
    {**STATIC_CODES, **PROBE_CODES}
)


def severity_of(code: str) -> Severity:
    """The severity a pre-flight code always has (KeyError for a code not in the table)."""
    return PREFLIGHT_CODES[code][0]
