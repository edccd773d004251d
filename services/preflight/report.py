"""What a pre-flight check answers: findings with positions, and the report that holds them.

A finding names its ``column`` (the output column or target field it concerns) and its
``span`` in the SQL (tsql's :class:`~tsql.Span`: 0-based offsets, end exclusive, in Unicode
code points, plus 1-based line and column; None when it concerns the whole text). Deployments
read :attr:`PreflightReport.blocking` (an ERROR: do not deploy) and
:attr:`PreflightReport.needs_acknowledgement` (a WARNING: deploy only once the user said so).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from tsql import Column, Finding, Severity, Span

__all__ = [
    "AutomationUse",
    "PreflightFinding",
    "PreflightReport",
    "TargetField",
    "TargetInfo",
    "TargetUsage",
    "UpdateType",
]


class UpdateType(StrEnum):
    """How a query activity writes into its target (REFERENCE §2.4, §5.1), as MCE spells it."""

    OVERWRITE = "Overwrite"
    APPEND = "Append"
    UPDATE = "Update"


@dataclass(frozen=True, slots=True)
class TargetField:
    """One field of the target DE, as the metadata cache holds it."""

    name: str
    field_type: str
    max_length: int | None = None
    precision: int | None = None
    scale: int | None = None
    is_primary_key: bool = False
    is_required: bool = False
    default_value: str | None = None

    @property
    def must_be_filled(self) -> bool:
        """Required or key: MCE refuses NULL here (REFERENCE §2.4: keys are always required)."""
        return self.is_required or self.is_primary_key


@dataclass(frozen=True, slots=True)
class TargetInfo:
    """The target DE: its name as SQL in the checked BU writes it (``ENT.[Name]`` for a
    parent's shared DE), and its fields in MCE's order."""

    customer_key: str
    name: str
    sql_name: str
    mid: int
    shared: bool
    fields: tuple[TargetField, ...]

    def field(self, name: str) -> TargetField | None:
        """The field called ``name``, compared as MCE compares names (case-insensitively)."""
        wanted = name.casefold()
        return next((f for f in self.fields if f.name.casefold() == wanted), None)

    @property
    def primary_key(self) -> tuple[TargetField, ...]:
        return tuple(f for f in self.fields if f.is_primary_key)


@dataclass(frozen=True, slots=True)
class AutomationUse:
    """An automation that runs a query activity writing into the target."""

    name: str
    status: str | None = None


@dataclass(frozen=True, slots=True)
class TargetUsage:
    """A query activity of the BU that already writes into the target, and the automations
    that run it (from the metadata cache's automation links)."""

    activity_key: str
    activity_name: str
    update_type: str | None
    automations: tuple[AutomationUse, ...] = ()


@dataclass(frozen=True, slots=True)
class PreflightFinding:
    """One thing a pre-flight check found. ``code`` is stable (services/preflight/codes.py,
    or tsql's validation codes); ``message`` is safe to show."""

    code: str
    severity: Severity
    message: str
    column: str | None = None
    span: Span | None = None
    suggestion: str | None = None
    mce_message: str | None = None

    @classmethod
    def from_sql_finding(cls, finding: Finding) -> PreflightFinding:
        """A finding of tsql's validation (the SQL itself, whatever its target)."""
        return cls(
            code=finding.code,
            severity=finding.severity,
            message=finding.message,
            span=finding.span,
            suggestion=finding.suggestion,
            mce_message=finding.mce_message,
        )

    def as_json(self) -> dict[str, Any]:
        """A JSON-safe form (a deployment's record, a probe's stored report)."""
        return {
            "code": self.code,
            "severity": self.severity.value,
            "message": self.message,
            "column": self.column,
            "span": None if self.span is None else _span_json(self.span),
            "suggestion": self.suggestion,
            "mceMessage": self.mce_message,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PreflightFinding:
        span = data.get("span")
        return cls(
            code=str(data["code"]),
            severity=Severity(str(data["severity"])),
            message=str(data["message"]),
            column=data.get("column"),
            span=None if not isinstance(span, Mapping) else _span(span),
            suggestion=data.get("suggestion"),
            mce_message=data.get("mceMessage"),
        )


def _span(data: Mapping[str, Any]) -> Span:
    return Span(
        start=int(data["start"]),
        end=int(data["end"]),
        line=int(data["line"]),
        column=int(data["column"]),
        end_line=int(data["end_line"]),
        end_column=int(data["end_column"]),
    )


def _span_json(span: Span) -> dict[str, int]:
    return {
        "start": span.start,
        "end": span.end,
        "line": span.line,
        "column": span.column,
        "end_line": span.end_line,
        "end_column": span.end_column,
    }


_RANK = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


def _position(finding: PreflightFinding) -> tuple[int, int]:
    """Errors first, then warnings, then notes; within each, in text order (whole-text last).
    ``sorted`` is stable, so findings at one place keep the order they were found in."""
    start = finding.span.start if finding.span is not None else 1 << 60
    return (_RANK[finding.severity], start)


@dataclass(frozen=True, slots=True)
class PreflightReport:
    """The static check of ``sql`` writing into ``target`` with ``update_type`` in BU ``mid``.

    ``columns`` are the query's inferred output columns (empty when the SQL could not be
    read); ``usages`` the BU's query activities already writing into the target.
    """

    mid: int
    target: TargetInfo
    update_type: UpdateType
    findings: tuple[PreflightFinding, ...]
    columns: tuple[Column, ...] = ()
    usages: tuple[TargetUsage, ...] = ()
    sql_valid: bool = True

    @classmethod
    def build(
        cls,
        *,
        mid: int,
        target: TargetInfo,
        update_type: UpdateType,
        findings: list[PreflightFinding],
        columns: tuple[Column, ...] = (),
        usages: tuple[TargetUsage, ...] = (),
        sql_valid: bool = True,
    ) -> PreflightReport:
        return cls(
            mid=mid,
            target=target,
            update_type=update_type,
            findings=tuple(sorted(findings, key=_position)),
            columns=columns,
            usages=usages,
            sql_valid=sql_valid,
        )

    @property
    def errors(self) -> tuple[PreflightFinding, ...]:
        return tuple(f for f in self.findings if f.severity is Severity.ERROR)

    @property
    def warnings(self) -> tuple[PreflightFinding, ...]:
        return tuple(f for f in self.findings if f.severity is Severity.WARNING)

    @property
    def blocking(self) -> bool:
        """True when a deploy must not go ahead: MCE would refuse or fail it."""
        return bool(self.errors)

    @property
    def needs_acknowledgement(self) -> bool:
        """True when a deploy may go ahead only once the user acknowledged the warnings."""
        return bool(self.warnings)

    def codes(self) -> tuple[str, ...]:
        return tuple(f.code for f in self.findings)
