"""Who acts for background work (services/acting.py): work waiting for a sign-in, and each
BU's background state.

- ``waiting_work`` is a tenant table like the wallet's (see 0002 and 0004 for why each kind
  of statement): RLS enabled and forced with the tenant policy, composite foreign keys that
  include ``tenant_id`` (a BU's or a user's rows going takes their waiting work with them),
  grants to the app and system roles. Its arguments are ids only (checked by the service).
- ``business_units`` gains ``background_state`` (``ready`` | ``needs_sign_in``), why, and
  since when, so a BU's state says why its work is not running.
"""

from uuid import uuid4

from tortoise import fields, migrations
from tortoise.migrations import operations as ops

from models.background import BackgroundState

APP = "quarry_app"
SYSTEM = "quarry_system"

FOREIGN_KEYS = """
ALTER TABLE waiting_work ADD CONSTRAINT fk_waiting_work_bu
    FOREIGN KEY (tenant_id, mid) REFERENCES business_units (tenant_id, mid) ON DELETE CASCADE;
ALTER TABLE waiting_work ADD CONSTRAINT fk_waiting_work_user
    FOREIGN KEY (tenant_id, waiting_for_user_id) REFERENCES users (tenant_id, id)
    ON DELETE CASCADE;
CREATE INDEX idx_waiting_work_bu ON waiting_work (tenant_id, mid, created_at);
ALTER TABLE business_units ADD CONSTRAINT ck_business_units_background_state
    CHECK (background_state IN ('ready', 'needs_sign_in'));
"""

POLICIES = f"""
ALTER TABLE waiting_work ENABLE ROW LEVEL SECURITY;
ALTER TABLE waiting_work FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON waiting_work TO {APP}
    USING (tenant_id = quarry_current_tenant())
    WITH CHECK (tenant_id = quarry_current_tenant());
CREATE POLICY system_all ON waiting_work TO {SYSTEM} USING (true) WITH CHECK (true);
"""

GRANTS = f"""
REVOKE ALL ON waiting_work FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE, DELETE ON waiting_work TO {APP};
GRANT SELECT, INSERT, UPDATE, DELETE ON waiting_work TO {SYSTEM};
"""


class Migration(migrations.Migration):
    dependencies = [("models", "0006_wallet_lineage")]

    initial = False

    operations = [
        ops.AddField(
            model_name="BusinessUnit",
            name="background_state",
            field=fields.CharEnumField(
                default=BackgroundState.READY,
                db_default=BackgroundState.READY.value,
                description="READY: ready\nNEEDS_SIGN_IN: needs_sign_in",
                enum_type=BackgroundState,
                max_length=20,
            ),
        ),
        ops.AddField(
            model_name="BusinessUnit",
            name="background_state_reason",
            field=fields.CharField(default="", db_default="", max_length=64),
        ),
        ops.AddField(
            model_name="BusinessUnit",
            name="background_state_changed_at",
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.CreateModel(
            name="WaitingWork",
            fields=[
                ("tenant_id", fields.BigIntField(db_index=True)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                (
                    "id",
                    fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True),
                ),
                ("mid", fields.BigIntField()),
                ("kind", fields.CharField(max_length=32)),
                ("job", fields.CharField(max_length=200)),
                ("args", fields.JSONField(default=list)),
                ("job_key", fields.CharField(max_length=200)),
                ("queue", fields.CharField(default="default", max_length=20)),
                ("timeout_seconds", fields.IntField(default=180)),
                ("waiting_for_user_id", fields.UUIDField(null=True)),
                ("reason", fields.CharField(max_length=64)),
            ],
            options={
                "table": "waiting_work",
                "app": "models",
                "unique_together": (("tenant_id", "job_key"),),
                "pk_attr": "id",
                "table_description": "A job that could not run because nobody could act for its BU.",
            },
            bases=["TenantModel"],
        ),
        ops.RunSQL(FOREIGN_KEYS),
        ops.RunSQL(POLICIES),
        ops.RunSQL(GRANTS),
    ]
