"""How a failed run's error is recorded: MCE's message, a code, and the error catalogue's cause
and fix (tsql/mce_errors.py), adjusted where a run differs from a query activity a user owns.

The catalogue speaks to someone who owns the query activity's target DE. A run's target is
Quarry's shell, sized from the BU's metadata as last synced (services/runs/shapes.py): when MCE
cannot write a value into it (``STRING_TRUNCATED``), the field grew in MCE since that sync, so
the fix is to refresh the metadata or cut the value, not to lengthen a target the user does
not own. The catalogue's code and cause stay as they are.
"""

from __future__ import annotations

from typing import Any

from tsql import explain_mce_error

__all__ = ["RUN_FIXES", "failure_changes"]

#: Fixes for a run, by catalogue code, where the catalogue's speaks of the user's own target.
RUN_FIXES = {
    "STRING_TRUNCATED": (
        "Quarry sized this result's columns from the business unit's metadata as last synced,"
        " and a text field has grown in Marketing Cloud since. Refresh the metadata (sync the"
        " business unit) and run it again, or cut the value in the SELECT with"
        " LEFT(value, length)."
    ),
}


def failure_changes(message: str, *, code: str | None = None, fallback: str) -> dict[str, Any]:
    """The error columns of a failed run. The code is ``code`` when given (Quarry's own
    judgement, e.g. its time limit), else the catalogue's, else ``fallback``; cause and fix
    are the catalogue's when it knows the message (the run's own fix where
    :data:`RUN_FIXES` has one)."""
    explained = explain_mce_error(message)
    cause = fix = None
    if explained is not None:
        cause = explained.cause
        fix = RUN_FIXES.get(explained.code, explained.fix)
    return {
        "error_code": code or (explained.code if explained is not None else fallback),
        "error_message": message[:4000],
        "error_cause": cause,
        "error_fix": fix,
    }
