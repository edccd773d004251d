import functools
from json import dumps, loads
from uuid import uuid4

from tortoise import fields, migrations
from tortoise.migrations import operations as ops

from models.api_token import TokenScope
from models.audit import ActorType, Outcome
from models.tenant import TenantStatus
from models.user import Role


class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name="ApiToken",
            fields=[
                ("tenant_id", fields.BigIntField(db_index=True)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                (
                    "id",
                    fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True),
                ),
                ("user_id", fields.UUIDField()),
                ("mid", fields.BigIntField()),
                ("name", fields.CharField(max_length=100)),
                ("token_hash", fields.CharField(db_index=True, max_length=128)),
                (
                    "scope",
                    fields.CharEnumField(
                        default=TokenScope.READ,
                        description="READ: read\nREAD_WRITE: read_write",
                        enum_type=TokenScope,
                        max_length=20,
                    ),
                ),
                ("expires_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                (
                    "last_used_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                ("revoked_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "api_tokens",
                "app": "models",
                "unique_together": (("tenant_id", "token_hash"),),
                "pk_attr": "id",
            },
            bases=["TenantModel"],
        ),
        ops.CreateModel(
            name="AuditEvent",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                ("tenant_id", fields.BigIntField(null=True, db_index=True)),
                ("mid", fields.BigIntField(null=True)),
                (
                    "actor_type",
                    fields.CharEnumField(
                        description="USER: user\nAPI_TOKEN: api_token\nSYSTEM: system\nSUPPORT: support\nANONYMOUS: anonymous",
                        enum_type=ActorType,
                        max_length=20,
                    ),
                ),
                ("actor_id", fields.CharField(default="", max_length=100)),
                ("action", fields.CharField(max_length=100)),
                ("target", fields.CharField(default="", max_length=300)),
                (
                    "outcome",
                    fields.CharEnumField(
                        description="SUCCESS: success\nFAILURE: failure\nDENIED: denied",
                        enum_type=Outcome,
                        max_length=20,
                    ),
                ),
                ("ip", fields.CharField(default="", max_length=64)),
                ("user_agent", fields.CharField(default="", max_length=300)),
                ("request_id", fields.CharField(default="", max_length=64)),
                (
                    "details",
                    fields.JSONField(
                        default=dict,
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                (
                    "created_at",
                    fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True),
                ),
            ],
            options={
                "table": "audit_events",
                "app": "models",
                "pk_attr": "id",
                "table_description": "Who did what, when, from where, with which outcome, in which tenant.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="BusinessUnit",
            fields=[
                ("tenant_id", fields.BigIntField(db_index=True)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                (
                    "id",
                    fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True),
                ),
                ("mid", fields.BigIntField()),
                ("name", fields.CharField(default="", max_length=200)),
                ("parent_mid", fields.BigIntField(null=True)),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={
                "table": "business_units",
                "app": "models",
                "unique_together": (("tenant_id", "mid"),),
                "pk_attr": "id",
                "table_description": "A business unit (MID) inside a tenant; ``parent_mid`` points at the enterprise BU.",
            },
            bases=["TenantModel"],
        ),
        ops.CreateModel(
            name="CachedDataExtension",
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
                ("is_sendable", fields.BooleanField(default=False)),
                ("synced_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={
                "table": "mce_data_extensions",
                "app": "models",
                "unique_together": (("tenant_id", "mid", "customer_key"),),
                "pk_attr": "id",
            },
            bases=["BusinessUnitModel"],
        ),
        ops.CreateModel(
            name="Membership",
            fields=[
                ("tenant_id", fields.BigIntField(db_index=True)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                (
                    "id",
                    fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True),
                ),
                ("user_id", fields.UUIDField()),
                ("mid", fields.BigIntField()),
                (
                    "role",
                    fields.CharEnumField(
                        default=Role.USER,
                        description="USER: user\nADMIN: admin",
                        enum_type=Role,
                        max_length=20,
                    ),
                ),
            ],
            options={
                "table": "memberships",
                "app": "models",
                "unique_together": (("tenant_id", "user_id", "mid"),),
                "pk_attr": "id",
                "table_description": "A user's access to one BU. Composite FKs (in the migrations) include ``tenant_id``.",
            },
            bases=["TenantModel"],
        ),
        ops.CreateModel(
            name="Tenant",
            fields=[
                ("tenant_id", fields.BigIntField(primary_key=True, unique=True, db_index=True)),
                ("name", fields.CharField(default="", max_length=200)),
                ("tssd", fields.CharField(null=True, max_length=64)),
                (
                    "status",
                    fields.CharEnumField(
                        default=TenantStatus.ACTIVE,
                        description="ACTIVE: active\nSUSPENDED: suspended\nUNINSTALLED: uninstalled",
                        enum_type=TenantStatus,
                        max_length=20,
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={
                "table": "tenants",
                "app": "models",
                "pk_attr": "tenant_id",
                "table_description": "One MCE enterprise account, keyed by its Enterprise ID (EID).",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="User",
            fields=[
                ("tenant_id", fields.BigIntField(db_index=True)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                (
                    "id",
                    fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True),
                ),
                ("mce_user_id", fields.BigIntField()),
                ("email", fields.CharField(default="", max_length=320)),
                ("name", fields.CharField(default="", max_length=200)),
                ("locale", fields.CharField(default="en-US", max_length=20)),
                ("time_zone", fields.CharField(default="UTC", max_length=64)),
                (
                    "last_login_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={
                "table": "users",
                "app": "models",
                "unique_together": (("tenant_id", "mce_user_id"), ("tenant_id", "id")),
                "pk_attr": "id",
                "table_description": "An MCE user of one tenant, identified by MCE's numeric user id.",
            },
            bases=["TenantModel"],
        ),
    ]
