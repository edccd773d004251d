"""Cached MCE metadata: folders, data extensions and their fields, query activities,
automations (with the query activities they run) and each BU's sync state.

Every table is per BU (``tenant_id``, ``mid``, ``is_shared``) under the per-BU row-level
security policies (migrations/_policies.py): a context reads its own BU's rows and, from its
parent, only the rows marked shared; it writes only its own BU's rows. A parent BU's shared
DEs (and their folders and fields) are therefore written in the PARENT's context, marked
``is_shared``, and children see them as ``ENT.[Name]``.

Ids: MCE's own identifiers (folder ``ID``, ``ObjectID``, ``CustomerKey``) are kept as columns;
the primary keys are ours (UUIDs) so a Relay id never embeds an MCE identifier. Keys and
foreign keys include ``tenant_id`` (and ``mid``) so they can neither probe nor reference
another tenant's rows.

``seen_generation`` serves deletion detection: a complete key-only listing stamps every row it
saw with the sync's generation number; only then are rows with an older stamp deleted. A sync
that fails before its listing completes deletes nothing.
"""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields

from models.base import BusinessUnitModel


class FolderContentType(StrEnum):
    """The DataFolder content types the cache holds (REFERENCE §2.4)."""

    DATA_EXTENSION = "dataextension"
    SHARED_DATA_EXTENSION = "shared_dataextension"
    QUERY_ACTIVITY = "queryactivity"


class SyncScope(StrEnum):
    """What a sync-state row describes: a BU's own metadata, or the shared DEs it owns as a
    parent (readable from its children, which is why that row is marked ``is_shared``)."""

    OWN = "own"
    SHARED = "shared"


class SyncStatus(StrEnum):
    NEVER = "never"
    RUNNING = "running"
    COMPLETE = "complete"
    FAILED = "failed"
    NEEDS_SIGN_IN = "needs_sign_in"


class CachedFolder(BusinessUnitModel):
    """A DataFolder (DE, shared DE or query-activity folder)."""

    id = fields.UUIDField(primary_key=True)
    folder_id = fields.BigIntField(description="MCE's DataFolder ID")
    parent_folder_id = fields.BigIntField(null=True, description="0 or NULL for a root folder")
    name = fields.CharField(max_length=200)
    description = fields.TextField(default="")
    content_type = fields.CharField(max_length=64)
    customer_key = fields.CharField(max_length=200, null=True)
    children_loaded = fields.BooleanField(default=False)
    mce_modified_at = fields.DatetimeField(null=True)
    seen_generation = fields.BigIntField(default=0)
    synced_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "mce_folders"
        unique_together = (("tenant_id", "mid", "folder_id"),)


class CachedDataExtension(BusinessUnitModel):
    """A data extension. ``fields_complete`` is false while its fields are being replaced:
    readers show only complete DEs, so a DE is never visible with a partial field list."""

    id = fields.UUIDField(primary_key=True)
    object_id = fields.CharField(max_length=64)
    customer_key = fields.CharField(max_length=200)
    name = fields.CharField(max_length=200)
    folder_id = fields.BigIntField(null=True)
    description = fields.TextField(default="", db_default="")
    is_sendable = fields.BooleanField(default=False)
    sendable_field = fields.CharField(max_length=200, null=True)
    sendable_subscriber_field = fields.CharField(max_length=200, null=True)
    retention_length = fields.IntField(null=True)
    retention_unit = fields.CharField(max_length=16, null=True)
    retention_row_based = fields.BooleanField(default=False, db_default=False)
    retention_reset_on_import = fields.BooleanField(default=False, db_default=False)
    retention_delete_at_end = fields.BooleanField(default=False, db_default=False)
    retain_until = fields.DatetimeField(null=True)
    mce_created_at = fields.DatetimeField(null=True)
    mce_modified_at = fields.DatetimeField(null=True)
    row_count = fields.BigIntField(null=True)
    row_count_at = fields.DatetimeField(null=True)
    is_quarry_asset = fields.BooleanField(default=False, db_default=False)
    is_foreign_leftover = fields.BooleanField(default=False, db_default=False)
    fields_complete = fields.BooleanField(default=False, db_default=False)
    field_count = fields.IntField(default=0, db_default=0)
    seen_generation = fields.BigIntField(default=0, db_default=0)
    synced_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "mce_data_extensions"
        unique_together = (("tenant_id", "mid", "customer_key"),)
        # migration 0009 adds UNIQUE (tenant_id, mid, id)


class CachedDataExtensionField(BusinessUnitModel):
    """One field of a cached DE; its ``mid``/``is_shared`` are the DE's. ``data_extension_id``
    has no foreign key (migration 0009 says why): the sync keeps fields with their DE."""

    id = fields.UUIDField(primary_key=True)
    data_extension_id = fields.UUIDField()
    name = fields.CharField(max_length=200)
    field_type = fields.CharField(max_length=32)
    max_length = fields.IntField(null=True)
    precision = fields.IntField(null=True)
    scale = fields.IntField(null=True)
    is_primary_key = fields.BooleanField(default=False)
    is_required = fields.BooleanField(default=False)
    default_value = fields.TextField(null=True)
    ordinal = fields.IntField(default=0)

    class Meta:
        table = "mce_data_extension_fields"
        unique_together = (("tenant_id", "mid", "data_extension_id", "name"),)


class CachedQueryActivity(BusinessUnitModel):
    """A QueryDefinition (query activity)."""

    id = fields.UUIDField(primary_key=True)
    object_id = fields.CharField(max_length=64)
    customer_key = fields.CharField(max_length=200)
    name = fields.CharField(max_length=200)
    folder_id = fields.BigIntField(null=True)
    description = fields.TextField(default="")
    query_text = fields.TextField(default="")
    target_key = fields.CharField(max_length=200, null=True)
    target_name = fields.CharField(max_length=200, null=True)
    update_type = fields.CharField(max_length=32, null=True)
    mce_created_at = fields.DatetimeField(null=True)
    mce_modified_at = fields.DatetimeField(null=True)
    is_quarry_asset = fields.BooleanField(default=False)
    is_foreign_leftover = fields.BooleanField(default=False)
    seen_generation = fields.BigIntField(default=0)
    synced_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "mce_query_activities"
        unique_together = (("tenant_id", "mid", "customer_key"),)


class CachedAutomation(BusinessUnitModel):
    """An automation (REST ``/automation/v1/automations``; REFERENCE §4.5)."""

    id = fields.UUIDField(primary_key=True)
    automation_id = fields.CharField(max_length=64, description="MCE's automation id")
    customer_key = fields.CharField(max_length=200, null=True)
    name = fields.CharField(max_length=200)
    description = fields.TextField(default="")
    status = fields.CharField(max_length=32, null=True)
    folder_id = fields.BigIntField(null=True)
    last_run_at = fields.DatetimeField(null=True)
    mce_modified_at = fields.DatetimeField(null=True)
    seen_generation = fields.BigIntField(default=0)
    synced_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "mce_automations"
        unique_together = (("tenant_id", "mid", "automation_id"),)
        # migration 0009 adds UNIQUE (tenant_id, mid, id): the target of the activities' key


class CachedAutomationActivity(BusinessUnitModel):
    """A query activity an automation runs: ``query_object_id`` is the QueryDefinition's
    ObjectID (the step activity's ``activityObjectId``), so "where is this query used" is
    ``SELECT … WHERE query_object_id = $1`` joined to ``mce_automations``. Not a foreign key
    to ``mce_query_activities``: an automation may run a query the cache does not hold yet."""

    id = fields.UUIDField(primary_key=True)
    automation_id = fields.UUIDField(description="our mce_automations.id")
    query_object_id = fields.CharField(max_length=64)
    activity_name = fields.CharField(max_length=200, default="")
    step = fields.IntField(default=0)
    display_order = fields.IntField(default=0)

    class Meta:
        table = "mce_automation_activities"


class MetadataSyncState(BusinessUnitModel):
    """Where a BU's metadata sync stands. One row per (tenant, BU, scope); the ``shared`` row
    of a parent is ``is_shared`` so its children can tell whether (and why not) the parent's
    shared DEs were synced. ``cursor`` is the MCE-time (naive, MCE's zone) start of the last
    complete sync: the next incremental fetches what was modified since."""

    id = fields.UUIDField(primary_key=True)
    scope = fields.CharField(max_length=16, default=SyncScope.OWN.value)
    status = fields.CharField(max_length=16, default=SyncStatus.NEVER.value)
    reason = fields.CharField(max_length=64, default="", description="why NEEDS_SIGN_IN/FAILED")
    message = fields.TextField(default="")
    phase = fields.CharField(max_length=32, default="")
    is_full = fields.BooleanField(default=False)
    progress: fields.JSONField[dict[str, int]] = fields.JSONField(
        default=dict, description="done/total counters of the sync"
    )
    generation = fields.BigIntField(default=0)
    last_started_at = fields.DatetimeField(null=True)
    last_finished_at = fields.DatetimeField(null=True)
    last_success_at = fields.DatetimeField(null=True)
    last_full_sync_at = fields.DatetimeField(null=True)
    cursor = fields.DatetimeField(null=True, description="MCE-zone wall time, stored as UTC")
    folders_count = fields.IntField(default=0)
    data_extensions_count = fields.IntField(default=0)
    fields_count = fields.IntField(default=0)
    query_activities_count = fields.IntField(default=0)
    automations_count = fields.IntField(default=0)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "metadata_sync_state"
        unique_together = (("tenant_id", "mid", "scope"),)
