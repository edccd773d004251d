from uuid import uuid4

from tortoise import fields, migrations
from tortoise.migrations import operations as ops

from models.wallet import DataKeyStatus, GrantKind, WalletStatus


class Migration(migrations.Migration):
    dependencies = [("models", "0002_security")]

    initial = False

    operations = [
        ops.CreateModel(
            name="SupportToken",
            fields=[
                (
                    "id",
                    fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True),
                ),
                ("name", fields.CharField(max_length=100)),
                ("token_hash", fields.CharField(unique=True, max_length=128)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("expires_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("revoked_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={"table": "support_tokens", "app": "models", "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="WalletDataKey",
            fields=[
                ("tenant_id", fields.BigIntField(db_index=True)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                (
                    "id",
                    fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True),
                ),
                ("wrapped_key", fields.BinaryField(null=True)),
                ("kek_id", fields.CharField(max_length=64)),
                (
                    "status",
                    fields.CharEnumField(
                        default=DataKeyStatus.ACTIVE,
                        description="ACTIVE: active\nRETIRING: retiring\nRETIRED: retired",
                        enum_type=DataKeyStatus,
                        max_length=20,
                    ),
                ),
                ("retired_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "wallet_data_keys",
                "app": "models",
                "unique_together": (("tenant_id", "id"),),
                "pk_attr": "id",
            },
            bases=["TenantModel"],
        ),
        ops.CreateModel(
            name="WalletEntry",
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
                    "kind",
                    fields.CharEnumField(
                        default=GrantKind.ENHANCED,
                        description="ENHANCED: enhanced\nLEGACY: legacy",
                        enum_type=GrantKind,
                        max_length=20,
                    ),
                ),
                ("data_key_id", fields.UUIDField()),
                ("ciphertext", fields.BinaryField()),
                ("version", fields.IntField(default=1)),
                (
                    "status",
                    fields.CharEnumField(
                        default=WalletStatus.ACTIVE,
                        description="ACTIVE: active\nNEEDS_REAUTH: needs_reauth",
                        enum_type=WalletStatus,
                        max_length=20,
                    ),
                ),
                ("scopes", fields.CharField(default="", max_length=2000)),
                (
                    "refreshed_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={
                "table": "wallet_entries",
                "app": "models",
                "unique_together": (("tenant_id", "user_id", "mid"),),
                "pk_attr": "id",
                "table_description": "One user's refresh token for one BU. ``version`` guards rotation (compare-and-swap).",
            },
            bases=["TenantModel"],
        ),
    ]
