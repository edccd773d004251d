"""Drift: the activity in MCE no longer is what Quarry last deployed there.

Before a re-deployment updates an activity in place, its SQL, target and update type as MCE
has them now are compared with what the last successful deployment of that key to that BU
wrote (the baseline, from ``deployment_targets``). Someone who edited the activity in
Automation Studio (or through the API) since then would lose their change silently: the
deployment stops with the difference instead, and goes ahead only with ``force``.

SQL is compared after normalising line ends and trailing spaces (MCE is known to return the
text as saved, but editors and transports change line ends); the diff shown is a unified diff
of the two texts, baseline first.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

__all__ = ["MAX_DIFF_CHARS", "ActivityState", "Drift", "find_drift"]

#: A diff longer than this is cut (it is shown in a payload and stored on the target row).
MAX_DIFF_CHARS = 20_000


@dataclass(frozen=True, slots=True)
class ActivityState:
    """What decides what an activity does: its SQL, target DE key and update type."""

    sql: str
    target_key: str
    update_type: str


@dataclass(frozen=True, slots=True)
class Drift:
    """How MCE's activity differs from the baseline. ``sql_diff`` is empty when the SQL is
    the same; ``changes`` names every property that differs."""

    changes: tuple[str, ...]
    sql_diff: str
    deployed: ActivityState
    current: ActivityState

    def as_json(self) -> dict[str, Any]:
        return {
            "changes": list(self.changes),
            "sqlDiff": self.sql_diff,
            "deployedTargetKey": self.deployed.target_key,
            "currentTargetKey": self.current.target_key,
            "deployedUpdateType": self.deployed.update_type,
            "currentUpdateType": self.current.update_type,
        }


def _normalised(sql: str) -> list[str]:
    lines = sql.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    stripped = [line.rstrip() for line in lines]
    while stripped and not stripped[-1]:
        stripped.pop()
    return stripped


def find_drift(*, deployed: ActivityState, current: ActivityState) -> Drift | None:
    """The difference between the baseline and MCE's activity, or None when they agree."""
    changes: list[str] = []
    before, after = _normalised(deployed.sql), _normalised(current.sql)
    diff = ""
    if before != after:
        changes.append("sql")
        lines = difflib.unified_diff(
            before, after, fromfile="deployed", tofile="in Marketing Cloud", lineterm=""
        )
        diff = "\n".join(lines)
        if len(diff) > MAX_DIFF_CHARS:
            diff = diff[:MAX_DIFF_CHARS] + "\n... (diff cut)"
    if deployed.target_key.casefold() != current.target_key.casefold():
        changes.append("target")
    if deployed.update_type.casefold() != current.update_type.casefold():
        changes.append("updateType")
    if not changes:
        return None
    return Drift(changes=tuple(changes), sql_diff=diff, deployed=deployed, current=current)
