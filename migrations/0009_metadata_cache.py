"""The metadata cache (issue 13): folders, DEs (extended), fields, query activities,
automations with the query activities they run, and each BU's sync state.

Every table is per BU and takes :func:`migrations._policies.bu_policies` (reads: own BU plus
the parent's shared rows; writes: own BU only), composite foreign keys that include
``tenant_id`` and ``mid`` (a field belongs to a DE of the same BU, an automation's activity to
an automation of the same BU; a BU's rows go with it), and grants to the app and system roles
(see 0002 for why each kind of statement exists).

A field names its DE by ``data_extension_id`` WITHOUT a foreign key to ``mce_data_extensions``
(only to its BU): the sync writes ~3,000 fields per statement right after their DEs, and
Postgres plans a foreign key's check once per connection, on the statistics of the moment (an
empty, never analysed table: a sequential scan), then keeps that plan, so each field's check
scanned every DE: 220 ms per 3,000 fields and growing with the BU, 70 of a large BU's 80 s
sync. The sync replaces a DE's fields in the transaction that writes the DE and deletes fields
with their DE (services/metadata/cache.py); a BU's fields still go with the BU.

``mce_data_extensions`` (0001) gains its descriptive columns, ``fields_complete`` (readers show
only complete DEs; existing rows start incomplete so nothing shows a field list it never had)
and ``UNIQUE (tenant_id, mid, id)``.
"""

from uuid import uuid4

from tortoise import fields, migrations
from tortoise.migrations import operations as ops

from migrations._policies import bu_policies

APP = "quarry_app"
SYSTEM = "quarry_system"

NEW_TABLES = [
    "mce_folders",
    "mce_data_extension_fields",
    "mce_query_activities",
    "mce_automations",
    "mce_automation_activities",
    "metadata_sync_state",
]

KEYS = """
ALTER TABLE mce_data_extensions ADD CONSTRAINT uid_mce_data_extensions_bu_id
    UNIQUE (tenant_id, mid, id);
ALTER TABLE mce_automations ADD CONSTRAINT uid_mce_automations_bu_id
    UNIQUE (tenant_id, mid, id);
ALTER TABLE mce_automation_activities ADD CONSTRAINT fk_mce_automation_activities_automation
    FOREIGN KEY (tenant_id, mid, automation_id)
    REFERENCES mce_automations (tenant_id, mid, id) ON DELETE CASCADE;
ALTER TABLE metadata_sync_state ADD CONSTRAINT ck_metadata_sync_state_scope
    CHECK (scope IN ('own', 'shared'));
ALTER TABLE metadata_sync_state ADD CONSTRAINT ck_metadata_sync_state_status
    CHECK (status IN ('never', 'running', 'complete', 'failed', 'needs_sign_in'));
CREATE INDEX idx_mce_folders_parent ON mce_folders (tenant_id, mid, content_type, parent_folder_id);
CREATE INDEX idx_mce_data_extensions_folder ON mce_data_extensions (tenant_id, mid, folder_id);
CREATE INDEX idx_mce_data_extensions_object ON mce_data_extensions (tenant_id, mid, object_id);
CREATE INDEX idx_mce_data_extension_fields_de
    ON mce_data_extension_fields (tenant_id, data_extension_id, ordinal);
CREATE INDEX idx_mce_query_activities_folder ON mce_query_activities (tenant_id, mid, folder_id);
CREATE INDEX idx_mce_query_activities_target ON mce_query_activities (tenant_id, mid, target_key);
CREATE INDEX idx_mce_automation_activities_query
    ON mce_automation_activities (tenant_id, mid, query_object_id);
CREATE INDEX idx_mce_automation_activities_automation
    ON mce_automation_activities (tenant_id, mid, automation_id);
"""


#: Database defaults for the columns the sync's bulk statements leave out (tortoise's
#: defaults apply to ORM inserts only).
_DEFAULTS = {
    "mce_folders": {
        "is_shared": "false", "created_at": "now()", "description": "''",
        "children_loaded": "false", "seen_generation": "0", "synced_at": "now()",
    },
    "mce_data_extensions": {"is_shared": "false", "created_at": "now()", "synced_at": "now()"},
    "mce_data_extension_fields": {
        "is_shared": "false", "created_at": "now()", "is_primary_key": "false",
        "is_required": "false", "ordinal": "0",
    },
    "mce_query_activities": {
        "is_shared": "false", "created_at": "now()", "description": "''", "query_text": "''",
        "is_quarry_asset": "false", "is_foreign_leftover": "false", "seen_generation": "0",
        "synced_at": "now()",
    },
    "mce_automations": {
        "is_shared": "false", "created_at": "now()", "description": "''",
        "seen_generation": "0", "synced_at": "now()",
    },
    "mce_automation_activities": {
        "is_shared": "false", "created_at": "now()", "activity_name": "''", "step": "0",
        "display_order": "0",
    },
    "metadata_sync_state": {
        "is_shared": "false", "created_at": "now()", "scope": "'own'", "status": "'never'",
        "reason": "''", "message": "''", "phase": "''", "is_full": "false",
        "progress": "'{}'::jsonb", "generation": "0", "folders_count": "0",
        "data_extensions_count": "0", "fields_count": "0", "query_activities_count": "0",
        "automations_count": "0", "updated_at": "now()",
    },
}  # fmt: skip

DEFAULTS = "".join(
    f"ALTER TABLE {table} ALTER COLUMN {column} SET DEFAULT {value};\n"
    for table, columns in _DEFAULTS.items()
    for column, value in columns.items()
)


def _bu_foreign_key(table: str) -> str:
    return (
        f"ALTER TABLE {table} ADD CONSTRAINT fk_{table}_bu FOREIGN KEY (tenant_id, mid)"
        " REFERENCES business_units (tenant_id, mid) ON DELETE CASCADE;\n"
    )


FOREIGN_KEYS = "".join(_bu_foreign_key(table) for table in NEW_TABLES)

POLICIES = "".join(bu_policies(table) for table in NEW_TABLES)

GRANTS = f"""
REVOKE ALL ON {", ".join(NEW_TABLES)} FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE, DELETE ON {", ".join(NEW_TABLES)} TO {APP};
GRANT SELECT, INSERT, UPDATE, DELETE ON {", ".join(NEW_TABLES)} TO {SYSTEM};
"""


class Migration(migrations.Migration):
    dependencies = [("models", "0008_snippets")]

    initial = False

    operations = [
        ops.AddField(
            model_name="CachedDataExtension",
            name="description",
            field=fields.TextField(default="", db_default=""),
        ),
        ops.AddField(
            model_name="CachedDataExtension",
            name="sendable_field",
            field=fields.CharField(max_length=200, null=True),
        ),
        ops.AddField(
            model_name="CachedDataExtension",
            name="sendable_subscriber_field",
            field=fields.CharField(max_length=200, null=True),
        ),
        ops.AddField(
            model_name="CachedDataExtension",
            name="retention_length",
            field=fields.IntField(null=True),
        ),
        ops.AddField(
            model_name="CachedDataExtension",
            name="retention_unit",
            field=fields.CharField(max_length=16, null=True),
        ),
        ops.AddField(
            model_name="CachedDataExtension",
            name="retention_row_based",
            field=fields.BooleanField(default=False, db_default=False),
        ),
        ops.AddField(
            model_name="CachedDataExtension",
            name="retention_reset_on_import",
            field=fields.BooleanField(default=False, db_default=False),
        ),
        ops.AddField(
            model_name="CachedDataExtension",
            name="retention_delete_at_end",
            field=fields.BooleanField(default=False, db_default=False),
        ),
        ops.AddField(
            model_name="CachedDataExtension",
            name="retain_until",
            field=fields.DatetimeField(null=True),
        ),
        ops.AddField(
            model_name="CachedDataExtension",
            name="mce_created_at",
            field=fields.DatetimeField(null=True),
        ),
        ops.AddField(
            model_name="CachedDataExtension",
            name="mce_modified_at",
            field=fields.DatetimeField(null=True),
        ),
        ops.AddField(
            model_name="CachedDataExtension", name="row_count", field=fields.BigIntField(null=True)
        ),
        ops.AddField(
            model_name="CachedDataExtension",
            name="row_count_at",
            field=fields.DatetimeField(null=True),
        ),
        ops.AddField(
            model_name="CachedDataExtension",
            name="is_quarry_asset",
            field=fields.BooleanField(default=False, db_default=False),
        ),
        ops.AddField(
            model_name="CachedDataExtension",
            name="is_foreign_leftover",
            field=fields.BooleanField(default=False, db_default=False),
        ),
        ops.AddField(
            model_name="CachedDataExtension",
            name="fields_complete",
            field=fields.BooleanField(default=False, db_default=False),
        ),
        ops.AddField(
            model_name="CachedDataExtension",
            name="field_count",
            field=fields.IntField(default=0, db_default=0),
        ),
        ops.AddField(
            model_name="CachedDataExtension",
            name="seen_generation",
            field=fields.BigIntField(default=0, db_default=0),
        ),
        ops.CreateModel(
            name="CachedFolder",
            fields=[
                ("tenant_id", fields.BigIntField(db_index=True)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("mid", fields.BigIntField()),
                ("is_shared", fields.BooleanField(default=False)),
                (
                    "id",
                    fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True),
                ),
                ("folder_id", fields.BigIntField(description="MCE's DataFolder ID")),
                (
                    "parent_folder_id",
                    fields.BigIntField(null=True, description="0 or NULL for a root folder"),
                ),
                ("name", fields.CharField(max_length=200)),
                ("description", fields.TextField(default="")),
                ("content_type", fields.CharField(max_length=64)),
                ("customer_key", fields.CharField(max_length=200, null=True)),
                ("children_loaded", fields.BooleanField(default=False)),
                ("mce_modified_at", fields.DatetimeField(null=True)),
                ("seen_generation", fields.BigIntField(default=0)),
                ("synced_at", fields.DatetimeField(auto_now=True)),
            ],
            options={
                "table": "mce_folders",
                "app": "models",
                "pk_attr": "id",
                "unique_together": (("tenant_id", "mid", "folder_id"),),
            },
            bases=["BusinessUnitModel"],
        ),
        ops.CreateModel(
            name="CachedDataExtensionField",
            fields=[
                ("tenant_id", fields.BigIntField(db_index=True)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("mid", fields.BigIntField()),
                ("is_shared", fields.BooleanField(default=False)),
                (
                    "id",
                    fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True),
                ),
                ("data_extension_id", fields.UUIDField()),
                ("name", fields.CharField(max_length=200)),
                ("field_type", fields.CharField(max_length=32)),
                ("max_length", fields.IntField(null=True)),
                ("precision", fields.IntField(null=True)),
                ("scale", fields.IntField(null=True)),
                ("is_primary_key", fields.BooleanField(default=False)),
                ("is_required", fields.BooleanField(default=False)),
                ("default_value", fields.TextField(null=True)),
                ("ordinal", fields.IntField(default=0)),
            ],
            options={
                "table": "mce_data_extension_fields",
                "app": "models",
                "pk_attr": "id",
                "unique_together": (("tenant_id", "mid", "data_extension_id", "name"),),
            },
            bases=["BusinessUnitModel"],
        ),
        ops.CreateModel(
            name="CachedQueryActivity",
            fields=[
                ("tenant_id", fields.BigIntField(db_index=True)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("mid", fields.BigIntField()),
                ("is_shared", fields.BooleanField(default=False)),
                (
                    "id",
                    fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True),
                ),
                ("object_id", fields.CharField(max_length=64)),
                ("customer_key", fields.CharField(max_length=200)),
                ("name", fields.CharField(max_length=200)),
                ("folder_id", fields.BigIntField(null=True)),
                ("description", fields.TextField(default="")),
                ("query_text", fields.TextField(default="")),
                ("target_key", fields.CharField(max_length=200, null=True)),
                ("target_name", fields.CharField(max_length=200, null=True)),
                ("update_type", fields.CharField(max_length=32, null=True)),
                ("mce_created_at", fields.DatetimeField(null=True)),
                ("mce_modified_at", fields.DatetimeField(null=True)),
                ("is_quarry_asset", fields.BooleanField(default=False)),
                ("is_foreign_leftover", fields.BooleanField(default=False)),
                ("seen_generation", fields.BigIntField(default=0)),
                ("synced_at", fields.DatetimeField(auto_now=True)),
            ],
            options={
                "table": "mce_query_activities",
                "app": "models",
                "pk_attr": "id",
                "unique_together": (("tenant_id", "mid", "customer_key"),),
            },
            bases=["BusinessUnitModel"],
        ),
        ops.CreateModel(
            name="CachedAutomation",
            fields=[
                ("tenant_id", fields.BigIntField(db_index=True)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("mid", fields.BigIntField()),
                ("is_shared", fields.BooleanField(default=False)),
                (
                    "id",
                    fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True),
                ),
                (
                    "automation_id",
                    fields.CharField(max_length=64, description="MCE's automation id"),
                ),
                ("customer_key", fields.CharField(max_length=200, null=True)),
                ("name", fields.CharField(max_length=200)),
                ("description", fields.TextField(default="")),
                ("status", fields.CharField(max_length=32, null=True)),
                ("folder_id", fields.BigIntField(null=True)),
                ("last_run_at", fields.DatetimeField(null=True)),
                ("mce_modified_at", fields.DatetimeField(null=True)),
                ("seen_generation", fields.BigIntField(default=0)),
                ("synced_at", fields.DatetimeField(auto_now=True)),
            ],
            options={
                "table": "mce_automations",
                "app": "models",
                "pk_attr": "id",
                "unique_together": (("tenant_id", "mid", "automation_id"),),
            },
            bases=["BusinessUnitModel"],
        ),
        ops.CreateModel(
            name="CachedAutomationActivity",
            fields=[
                ("tenant_id", fields.BigIntField(db_index=True)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("mid", fields.BigIntField()),
                ("is_shared", fields.BooleanField(default=False)),
                (
                    "id",
                    fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True),
                ),
                ("automation_id", fields.UUIDField(description="our mce_automations.id")),
                ("query_object_id", fields.CharField(max_length=64)),
                ("activity_name", fields.CharField(max_length=200, default="")),
                ("step", fields.IntField(default=0)),
                ("display_order", fields.IntField(default=0)),
            ],
            options={
                "table": "mce_automation_activities",
                "app": "models",
                "pk_attr": "id",
            },
            bases=["BusinessUnitModel"],
        ),
        ops.CreateModel(
            name="MetadataSyncState",
            fields=[
                ("tenant_id", fields.BigIntField(db_index=True)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("mid", fields.BigIntField()),
                ("is_shared", fields.BooleanField(default=False)),
                (
                    "id",
                    fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True),
                ),
                ("scope", fields.CharField(max_length=16, default="own")),
                ("status", fields.CharField(max_length=16, default="never")),
                (
                    "reason",
                    fields.CharField(
                        max_length=64, default="", description="why NEEDS_SIGN_IN/FAILED"
                    ),
                ),
                ("message", fields.TextField(default="")),
                ("phase", fields.CharField(max_length=32, default="")),
                ("is_full", fields.BooleanField(default=False)),
                (
                    "progress",
                    fields.JSONField(default=dict, description="done/total counters of the sync"),
                ),
                ("generation", fields.BigIntField(default=0)),
                ("last_started_at", fields.DatetimeField(null=True)),
                ("last_finished_at", fields.DatetimeField(null=True)),
                ("last_success_at", fields.DatetimeField(null=True)),
                ("last_full_sync_at", fields.DatetimeField(null=True)),
                (
                    "cursor",
                    fields.DatetimeField(
                        null=True, description="MCE-zone wall time, stored as UTC"
                    ),
                ),
                ("folders_count", fields.IntField(default=0)),
                ("data_extensions_count", fields.IntField(default=0)),
                ("fields_count", fields.IntField(default=0)),
                ("query_activities_count", fields.IntField(default=0)),
                ("automations_count", fields.IntField(default=0)),
                ("updated_at", fields.DatetimeField(auto_now=True)),
            ],
            options={
                "table": "metadata_sync_state",
                "app": "models",
                "pk_attr": "id",
                "unique_together": (("tenant_id", "mid", "scope"),),
            },
            bases=["BusinessUnitModel"],
        ),
        ops.RunSQL(DEFAULTS),
        ops.RunSQL(FOREIGN_KEYS),
        ops.RunSQL(KEYS),
        ops.RunSQL(POLICIES),
        ops.RunSQL(GRANTS),
    ]
