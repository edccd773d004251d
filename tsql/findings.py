"""Findings: what tsql says about SQL, each with a stable code, a severity and where it is.

Codes are stable strings (clients match on them; docs/tsql.md lists them); messages are safe to
show users. Positions are 0-based character offsets into the text as given (``end`` exclusive)
plus 1-based line and column, so the editor can underline exactly what a finding concerns.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = ["Finding", "Severity", "Span", "span_of_offsets"]


class Severity(StrEnum):
    ERROR = "ERROR"  # MCE would reject it, or it cannot work: blocks a run or a deploy
    WARNING = "WARNING"  # it runs, but probably not as meant
    INFO = "INFO"


@dataclass(frozen=True, slots=True)
class Span:
    """A range of the SQL text: offsets are 0-based (end exclusive), lines and columns 1-based."""

    start: int
    end: int
    line: int
    column: int
    end_line: int
    end_column: int


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing tsql found. ``mce_message`` is MCE's own wording when REFERENCE has it;
    ``suggestion`` says what to write instead."""

    code: str
    severity: Severity
    message: str
    span: Span | None = None
    mce_message: str | None = None
    suggestion: str | None = None

    @property
    def blocking(self) -> bool:
        return self.severity is Severity.ERROR


def span_of_offsets(text: str, start: int, end: int) -> Span:
    """The :class:`Span` of ``text[start:end]`` (clamped to the text)."""
    start = max(0, min(start, len(text)))
    end = max(start, min(end, len(text)))
    line = text.count("\n", 0, start) + 1
    column = start - (text.rfind("\n", 0, start) + 1) + 1
    end_line = text.count("\n", 0, end) + 1
    end_column = end - (text.rfind("\n", 0, end) + 1) + 1
    return Span(start, end, line, column, end_line, end_column)
