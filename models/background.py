"""Background work that waits for someone to sign in, and the BU state that says so.

DESIGN.md: every job that calls MCE acts as a named user; when nobody usable is left for a
BU, the work waits in a ``NEEDS_SIGN_IN`` state and the next sign-in resumes it. A waiting
row names the job by dotted name and holds its arguments as ids only (JSON): never a token,
never SQL text or results, because this table is readable by the app role and is dumped in
backups like any other.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from tortoise import fields

from models.base import TenantModel


class BackgroundState(StrEnum):
    """Whether background work can run in a BU (``business_units.background_state``)."""

    READY = "ready"
    NEEDS_SIGN_IN = "needs_sign_in"


class WaitingWork(TenantModel):
    """A job that could not run because nobody could act for its BU.

    ``waiting_for_user_id`` is set when only one user may act for the work (a run's user):
    then only that user's sign-in resumes it. ``job_key`` identifies the job so that the same
    work waits once, and is the idempotency key it is enqueued with when resumed.
    """

    id = fields.UUIDField(primary_key=True)
    mid = fields.BigIntField()
    kind = fields.CharField(max_length=32)
    job = fields.CharField(max_length=200)
    args: list[Any] = fields.JSONField(default=list)
    job_key = fields.CharField(max_length=200)
    queue = fields.CharField(max_length=20, default="default")
    timeout_seconds = fields.IntField(default=180)
    waiting_for_user_id = fields.UUIDField(null=True)
    reason = fields.CharField(max_length=64)

    class Meta:
        table = "waiting_work"
        unique_together = (("tenant_id", "job_key"),)
