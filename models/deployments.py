"""Deployments: a user's SQL saved as a Query Activity in one or more BUs (issue 15).

Two per-BU tables (migrations/0014_deployments.py), both under the per-BU row-level security
policies:

* ``deployments``: one row per request, in the BU it was made from (``mid``): who, when,
  the SQL (text and hash), the activity's name, key, folder, target, update type and
  automation as asked, the BUs it targets (``target_mids``), the pre-flight findings, and
  the overall status. Private to its user: services add the owner filter.
* ``deployment_targets``: one row per target BU, in that BU (``mid`` = the target): each
  step's outcome and the MCE ids it reached (folder, target DE, query activity,
  automation), what was deployed there (SQL, target key, update type: the baseline the next
  deployment's drift check compares MCE with), the DE it created (an orphan to report, reuse
  or delete when the activity then failed), MCE's error, and the drift found. A BU's rows are
  read by every later deployment to that BU, whoever made it, for the drift baseline.

A target row is written in its own BU's context, so a context never writes another BU's rows
(DESIGN.md's invariant holds for deployments to many BUs too).
"""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "FINAL_DEPLOYMENT_STATUSES",
    "DeployStep",
    "DeploymentStatus",
    "TargetStatus",
    "UpdateType",
]


class DeploymentStatus(StrEnum):
    """PENDING: recorded, job queued. RUNNING: the job works on its BUs. SUCCEEDED: every BU
    succeeded; PARTIAL: some did; FAILED: none did (a retry redoes the BUs that did not)."""

    PENDING = "PENDING"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    PARTIAL = "PARTIAL"
    FAILED = "FAILED"


FINAL_DEPLOYMENT_STATUSES = (
    DeploymentStatus.SUCCEEDED,
    DeploymentStatus.PARTIAL,
    DeploymentStatus.FAILED,
)


class TargetStatus(StrEnum):
    """One BU's outcome. DRIFTED: the activity was changed in MCE since Quarry last deployed
    it; nothing was changed (retry with ``force`` to overwrite)."""

    PENDING = "PENDING"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    DRIFTED = "DRIFTED"


class DeployStep(StrEnum):
    """The steps of one BU's deployment, in order."""

    FOLDER = "FOLDER"
    TARGET = "TARGET"
    VALIDATE = "VALIDATE"
    ACTIVITY = "ACTIVITY"
    AUTOMATION = "AUTOMATION"
    DONE = "DONE"


class UpdateType(StrEnum):
    """How the activity writes its target (REFERENCE §2.4: MCE's TargetUpdateType names)."""

    OVERWRITE = "Overwrite"
    APPEND = "Append"
    UPDATE = "Update"
