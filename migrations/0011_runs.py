"""Runs and the inventory of Quarry's MCE assets (models/runs.py, issue 14).

Both tables are per BU and take :func:`migrations._policies.bu_policies` (a context reads and
writes its own BU's runs; ``is_shared`` stays false: a run or a shell is never visible from a
child BU), a composite foreign key to ``business_units`` (a BU's runs and inventory go with
it), grants to the app and system roles (see 0002 for why each kind of statement exists).

A run's owner is a foreign key to ``users`` including ``tenant_id`` (a user going takes their
runs with them). ``snippet_id`` and ``api_token_id`` have none: a run outlives the snippet it
was started from and a revoked token. ``mce_assets.created_by`` has none either: an asset
must stay in the inventory (to be deleted in MCE) when its creator leaves.

Checks pin the status, kind and state values; a leased asset names its run and lease
expiry. Indexes serve the paths that run often: a user's history (newest first), the
duplicate lookup (same user, BU and SQL hash among active runs), the limits (active runs per
user and per BU), the poller's and reconciler's active-run scans, and the pool's lease
lookup (free shells of one shape in one BU).
"""

from typing import Any
from uuid import uuid4

from tortoise import fields, migrations
from tortoise.migrations import operations as ops

from migrations._policies import bu_policies
from models.runs import AssetKind, AssetState, RunStatus

APP = "quarry_app"
SYSTEM = "quarry_system"
TABLES = ("runs", "mce_assets")

_ACTIVE = "('QUEUED', 'STARTING', 'RUNNING')"

CONSTRAINTS = f"""
ALTER TABLE runs ADD CONSTRAINT fk_runs_bu FOREIGN KEY (tenant_id, mid)
    REFERENCES business_units (tenant_id, mid) ON DELETE CASCADE;
ALTER TABLE runs ADD CONSTRAINT fk_runs_user FOREIGN KEY (tenant_id, user_id)
    REFERENCES users (tenant_id, id) ON DELETE CASCADE;
ALTER TABLE runs ADD CONSTRAINT ck_runs_status CHECK (status IN
    ('QUEUED', 'STARTING', 'RUNNING', 'COMPLETE', 'FAILED', 'CANCELED', 'EXPIRED'));
ALTER TABLE runs ADD CONSTRAINT ck_runs_not_shared CHECK (NOT is_shared);
ALTER TABLE runs ADD CONSTRAINT ck_runs_row_count CHECK (row_count IS NULL OR row_count >= 0);
ALTER TABLE mce_assets ADD CONSTRAINT fk_mce_assets_bu FOREIGN KEY (tenant_id, mid)
    REFERENCES business_units (tenant_id, mid) ON DELETE CASCADE;
ALTER TABLE mce_assets ADD CONSTRAINT uid_mce_assets_bu_id UNIQUE (tenant_id, mid, id);
ALTER TABLE mce_assets ADD CONSTRAINT ck_mce_assets_kind CHECK (kind IN ('FOLDER', 'DE', 'QD'));
ALTER TABLE mce_assets ADD CONSTRAINT ck_mce_assets_state CHECK (state IN
    ('CREATING', 'AVAILABLE', 'LEASED', 'DRAINING', 'DELETING', 'BROKEN'));
ALTER TABLE mce_assets ADD CONSTRAINT ck_mce_assets_lease CHECK
    (state NOT IN ('LEASED', 'DRAINING') OR (lease_run_id IS NOT NULL
                                             AND lease_expires_at IS NOT NULL));
ALTER TABLE mce_assets ADD CONSTRAINT ck_mce_assets_not_shared CHECK (NOT is_shared);
CREATE INDEX idx_runs_history ON runs (tenant_id, user_id, created_at DESC, id DESC);
CREATE INDEX idx_runs_duplicate ON runs (tenant_id, mid, user_id, sql_hash)
    WHERE status IN {_ACTIVE};
CREATE INDEX idx_runs_active ON runs (tenant_id, mid, status) WHERE status IN {_ACTIVE};
CREATE INDEX idx_runs_expiring ON runs (tenant_id, expires_at) WHERE status = 'COMPLETE';
CREATE INDEX idx_mce_assets_pool ON mce_assets (tenant_id, mid, kind, state, shape);
CREATE INDEX idx_mce_assets_lease ON mce_assets (tenant_id, lease_run_id)
    WHERE lease_run_id IS NOT NULL;
"""

DEFAULTS = """
ALTER TABLE runs ALTER COLUMN is_shared SET DEFAULT false;
ALTER TABLE runs ALTER COLUMN created_at SET DEFAULT now();
ALTER TABLE runs ALTER COLUMN updated_at SET DEFAULT now();
ALTER TABLE mce_assets ALTER COLUMN is_shared SET DEFAULT false;
ALTER TABLE mce_assets ALTER COLUMN created_at SET DEFAULT now();
ALTER TABLE mce_assets ALTER COLUMN updated_at SET DEFAULT now();
"""

POLICIES = "".join(bu_policies(table) for table in TABLES)

GRANTS = f"""
REVOKE ALL ON {", ".join(TABLES)} FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE, DELETE ON {", ".join(TABLES)} TO {APP};
GRANT SELECT, INSERT, UPDATE, DELETE ON {", ".join(TABLES)} TO {SYSTEM};
"""


def _bu_base() -> list[tuple[str, fields.Field[Any]]]:
    return [
        ("tenant_id", fields.BigIntField(db_index=True)),
        ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
        ("mid", fields.BigIntField()),
        ("is_shared", fields.BooleanField(default=False)),
        ("id", fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
    ]


class Migration(migrations.Migration):
    dependencies = [("models", "0010_metadata_search")]

    initial = False

    operations = [
        ops.CreateModel(
            name="Run",
            fields=[
                *_bu_base(),
                ("user_id", fields.UUIDField()),
                ("snippet_id", fields.UUIDField(null=True)),
                ("api_token_id", fields.UUIDField(null=True)),
                ("sql_text", fields.TextField()),
                ("sql_hash", fields.CharField(max_length=64)),
                ("run_sql", fields.TextField(default="")),
                (
                    "status",
                    fields.CharEnumField(
                        enum_type=RunStatus, max_length=16, default=RunStatus.QUEUED
                    ),
                ),
                ("columns", fields.JSONField(default=list)),
                ("shape", fields.CharField(max_length=64, default="")),
                ("marker", fields.CharField(max_length=64)),
                ("marker_column", fields.CharField(max_length=128, default="")),
                ("order_column", fields.CharField(max_length=128, null=True)),
                ("row_count", fields.BigIntField(null=True)),
                ("error_code", fields.CharField(max_length=64, null=True)),
                ("error_message", fields.TextField(null=True)),
                ("error_cause", fields.TextField(null=True)),
                ("error_fix", fields.TextField(null=True)),
                ("started_at", fields.DatetimeField(null=True)),
                ("mce_completed_at", fields.DatetimeField(null=True)),
                ("detected_at", fields.DatetimeField(null=True)),
                ("finished_at", fields.DatetimeField(null=True)),
                ("expires_at", fields.DatetimeField(null=True)),
                ("perform_sent_at", fields.DatetimeField(null=True)),
                ("task_id", fields.CharField(max_length=64, null=True)),
                ("shell_de_id", fields.UUIDField(null=True)),
                ("shell_qd_id", fields.UUIDField(null=True)),
                ("attempts", fields.IntField(default=0)),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={
                "table": "runs",
                "app": "models",
                "pk_attr": "id",
                "unique_together": (("tenant_id", "mid", "id"),),
            },
            bases=["BusinessUnitModel"],
        ),
        ops.CreateModel(
            name="MceAsset",
            fields=[
                *_bu_base(),
                ("kind", fields.CharEnumField(enum_type=AssetKind, max_length=8)),
                ("name", fields.CharField(max_length=200)),
                ("customer_key", fields.CharField(max_length=200)),
                ("object_id", fields.CharField(max_length=64, null=True)),
                ("folder_id", fields.BigIntField(null=True)),
                ("pair_id", fields.UUIDField(null=True)),
                ("shape", fields.CharField(max_length=64, default="")),
                ("shape_columns", fields.JSONField(default=list)),
                (
                    "state",
                    fields.CharEnumField(
                        enum_type=AssetState, max_length=16, default=AssetState.CREATING
                    ),
                ),
                ("created_by", fields.UUIDField(null=True)),
                ("last_used_at", fields.DatetimeField(null=True)),
                ("use_count", fields.IntField(default=0)),
                ("lease_run_id", fields.UUIDField(null=True)),
                ("lease_expires_at", fields.DatetimeField(null=True)),
                ("note", fields.TextField(default="")),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={
                "table": "mce_assets",
                "app": "models",
                "pk_attr": "id",
                "unique_together": (("tenant_id", "mid", "kind", "customer_key"),),
            },
            bases=["BusinessUnitModel"],
        ),
        ops.RunSQL(DEFAULTS),
        ops.RunSQL(CONSTRAINTS),
        ops.RunSQL(POLICIES),
        ops.RunSQL(GRANTS),
    ]
