"""Runs (a user's SQL executed in MCE) and the inventory of every MCE asset Quarry creates.

Both tables are per BU (``tenant_id``, ``mid``, ``is_shared``, always false here) under the
per-BU row-level security policies (migrations/_policies.py). A run belongs to its user:
the services add the owner filter to every statement (RLS confines it to the BU, the service
to the user), so another user's run id answers not-found exactly like an unknown one.

A run never stores a result row (DESIGN.md, "The run, the main data path"): only what
describes it (status, timings, the output columns, the row count, MCE's error and the error
catalogue's cause and fix) and what the engine needs to find its rows again in MCE (the shell
DE it leased, the marker its rows carry, the order column).

``mce_assets`` lists every folder, shell DE and shell QD Quarry created in MCE, by the one
naming function (services/metadata/assets.py), with its state in the pool and its lease:
the recycler, ``purgeMceAssets`` and uninstall work from this list, so nothing Quarry
creates is ever forgotten in a customer's account. A row is written BEFORE the create call
(state CREATING) so an asset whose create answer was lost is still found and cleaned up.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from tortoise import fields

from models.base import BusinessUnitModel

__all__ = [
    "ACTIVE_RUN_STATUSES",
    "FINAL_RUN_STATUSES",
    "AssetKind",
    "AssetState",
    "MceAsset",
    "Run",
    "RunStatus",
]


class RunStatus(StrEnum):
    """Where a run is. QUEUED: recorded, start job enqueued. STARTING: the job holds the
    run (lease, QD update, Perform). RUNNING: MCE accepted it (a task id is known or being
    confirmed). COMPLETE/FAILED/CANCELED are final; EXPIRED: complete, results no longer
    readable (the shell went back to the pool)."""

    QUEUED = "QUEUED"
    STARTING = "STARTING"
    RUNNING = "RUNNING"
    COMPLETE = "COMPLETE"
    FAILED = "FAILED"
    CANCELED = "CANCELED"
    EXPIRED = "EXPIRED"


#: Statuses of a run MCE may still be working on (or about to), counted by the limits.
ACTIVE_RUN_STATUSES = (RunStatus.QUEUED, RunStatus.STARTING, RunStatus.RUNNING)
#: Statuses no transition leaves (EXPIRED is reached from COMPLETE only).
FINAL_RUN_STATUSES = (
    RunStatus.COMPLETE,
    RunStatus.FAILED,
    RunStatus.CANCELED,
    RunStatus.EXPIRED,
)


class AssetKind(StrEnum):
    FOLDER = "FOLDER"
    DE = "DE"
    QD = "QD"


class AssetState(StrEnum):
    """CREATING: the create call was (or is about to be) sent; its outcome may be unknown.
    AVAILABLE: pooled, free. LEASED: held by ``lease_run_id`` until ``lease_expires_at``.
    DRAINING: its run was canceled while MCE still executes into it; back to AVAILABLE when
    MCE is done. DELETING: the recycler or a purge is deleting it. BROKEN: MCE refused it
    (e.g. deleted outside Quarry); to be deleted, never leased."""

    CREATING = "CREATING"
    AVAILABLE = "AVAILABLE"
    LEASED = "LEASED"
    DRAINING = "DRAINING"
    DELETING = "DELETING"
    BROKEN = "BROKEN"


class Run(BusinessUnitModel):
    """One execution of SQL in one BU for one user (``created_at`` is when it was queued)."""

    id = fields.UUIDField(primary_key=True)
    user_id = fields.UUIDField()
    snippet_id = fields.UUIDField(null=True, description="the snippet it was started from")
    api_token_id = fields.UUIDField(null=True, description="set when started with an API token")
    sql_text = fields.TextField(description="the SQL as the user wrote it")
    sql_hash = fields.CharField(max_length=64, description="sha256 of sql_text: joins duplicates")
    run_sql = fields.TextField(default="", description="tsql's run form, what the QD executes")
    status = fields.CharEnumField(RunStatus, max_length=16, default=RunStatus.QUEUED)
    columns: list[Any] = fields.JSONField(
        default=list,
        description="the user's output columns only, in order: [{name, type, length,"
        " precision, scale, nullable}] (helper columns are marker_column/order_column)",
    )
    shape = fields.CharField(max_length=64, default="", description="the shell DE shape key")
    marker = fields.CharField(max_length=64, description="the run-marker value its rows carry")
    marker_column = fields.CharField(max_length=128, default="")
    order_column = fields.CharField(max_length=128, null=True)
    row_count = fields.BigIntField(null=True)
    error_code = fields.CharField(max_length=64, null=True)
    error_message = fields.TextField(null=True, description="MCE's own message")
    error_cause = fields.TextField(null=True, description="the error catalogue's cause")
    error_fix = fields.TextField(null=True, description="the error catalogue's fix")
    started_at = fields.DatetimeField(null=True, description="MCE accepted the start")
    mce_completed_at = fields.DatetimeField(null=True, description="MCE's completion time")
    detected_at = fields.DatetimeField(null=True, description="when Quarry saw the end")
    finished_at = fields.DatetimeField(null=True, description="reached a final status")
    expires_at = fields.DatetimeField(null=True, description="results readable until")
    perform_sent_at = fields.DatetimeField(
        null=True, description="set before Perform is sent: a start never resent blindly"
    )
    task_id = fields.CharField(
        max_length=64,
        null=True,
        description="Perform's TaskID; NULL when a lost start was"
        " confirmed by isrunning (then follow the shell QD)",
    )
    shell_de_id = fields.UUIDField(null=True, description="mce_assets.id of the leased DE")
    shell_qd_id = fields.UUIDField(null=True, description="mce_assets.id of the leased QD")
    attempts = fields.IntField(default=0)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "runs"
        unique_together = (("tenant_id", "mid", "id"),)


class MceAsset(BusinessUnitModel):
    """A folder, shell DE or shell QD Quarry created in one BU (see the module doc)."""

    id = fields.UUIDField(primary_key=True)
    kind = fields.CharEnumField(AssetKind, max_length=8)
    name = fields.CharField(max_length=200)
    customer_key = fields.CharField(max_length=200)
    object_id = fields.CharField(max_length=64, null=True, description="MCE's ObjectID")
    folder_id = fields.BigIntField(null=True, description="a folder's own MCE ID, else its")
    pair_id = fields.UUIDField(null=True, description="a shell QD's DE, a shell DE's QD")
    shape = fields.CharField(max_length=64, default="", description="a shell DE's shape key")
    shape_columns: list[Any] = fields.JSONField(default=list, description="a shell DE's fields")
    state = fields.CharEnumField(AssetState, max_length=16, default=AssetState.CREATING)
    created_by = fields.UUIDField(null=True, description="the user it was created as")
    last_used_at = fields.DatetimeField(null=True)
    use_count = fields.IntField(default=0)
    lease_run_id = fields.UUIDField(null=True)
    lease_expires_at = fields.DatetimeField(null=True)
    note = fields.TextField(default="", description="why BROKEN, last cleanup error")
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "mce_assets"
        unique_together = (("tenant_id", "mid", "kind", "customer_key"),)
