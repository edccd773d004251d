"""The snippet library (models/snippets.py): folders, snippets and their version history.

Tenant tables like the wallet's (see 0002 and 0004 for why each kind of statement): RLS
enabled and forced with the tenant policy (snippets belong to a user, not to a BU, so the
per-BU policies do not apply; the service filters by owner), composite foreign keys that
include ``tenant_id`` (a user going takes their library with them; a snippet going takes its
history), grants to the app and system roles. ``visibility`` is checked against the values
that exist today (only ``private``); sharing will widen the check.
"""

from typing import Any
from uuid import uuid4

from tortoise import fields, migrations
from tortoise.migrations import operations as ops

from models.snippets import SnippetVisibility

APP = "quarry_app"
SYSTEM = "quarry_system"
TABLES = ("snippet_folders", "snippets", "snippet_versions")

CONSTRAINTS = """
ALTER TABLE snippet_folders ADD CONSTRAINT fk_snippet_folders_owner
    FOREIGN KEY (tenant_id, owner_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE;
ALTER TABLE snippet_folders ADD CONSTRAINT fk_snippet_folders_parent
    FOREIGN KEY (tenant_id, parent_id) REFERENCES snippet_folders (tenant_id, id);
ALTER TABLE snippets ADD CONSTRAINT fk_snippets_owner
    FOREIGN KEY (tenant_id, owner_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE;
ALTER TABLE snippets ADD CONSTRAINT fk_snippets_folder
    FOREIGN KEY (tenant_id, folder_id) REFERENCES snippet_folders (tenant_id, id);
ALTER TABLE snippets ADD CONSTRAINT ck_snippets_visibility CHECK (visibility IN ('private'));
ALTER TABLE snippets ADD CONSTRAINT ck_snippets_version CHECK (version >= 1);
ALTER TABLE snippet_versions ADD CONSTRAINT fk_snippet_versions_snippet
    FOREIGN KEY (tenant_id, snippet_id) REFERENCES snippets (tenant_id, id) ON DELETE CASCADE;
CREATE INDEX idx_snippet_folders_parent ON snippet_folders (tenant_id, owner_id, parent_id);
CREATE INDEX idx_snippets_folder ON snippets (tenant_id, owner_id, folder_id);
CREATE INDEX idx_snippets_trash ON snippets (tenant_id, deleted_at) WHERE deleted_at IS NOT NULL;
"""


def _tenant_policies(table: str) -> str:
    return f"""
ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;
ALTER TABLE {table} FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON {table} TO {APP}
    USING (tenant_id = quarry_current_tenant())
    WITH CHECK (tenant_id = quarry_current_tenant());
CREATE POLICY system_all ON {table} TO {SYSTEM} USING (true) WITH CHECK (true);
"""


GRANTS = f"""
REVOKE ALL ON {", ".join(TABLES)} FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE, DELETE ON {", ".join(TABLES)} TO {APP};
GRANT SELECT, INSERT, UPDATE, DELETE ON {", ".join(TABLES)} TO {SYSTEM};
"""


def _base_fields() -> list[tuple[str, Any]]:
    return [
        ("tenant_id", fields.BigIntField(db_index=True)),
        ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
        ("id", fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
    ]


class Migration(migrations.Migration):
    dependencies = [("models", "0007_background_identity")]

    initial = False

    operations = [
        ops.CreateModel(
            name="SnippetFolder",
            fields=[
                *_base_fields(),
                ("owner_id", fields.UUIDField()),
                ("parent_id", fields.UUIDField(null=True)),
                ("name", fields.CharField(max_length=100)),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={
                "table": "snippet_folders",
                "app": "models",
                "unique_together": (("tenant_id", "id"),),
                "pk_attr": "id",
            },
            bases=["TenantModel"],
        ),
        ops.CreateModel(
            name="Snippet",
            fields=[
                *_base_fields(),
                ("owner_id", fields.UUIDField()),
                ("folder_id", fields.UUIDField(null=True)),
                (
                    "visibility",
                    fields.CharEnumField(
                        default=SnippetVisibility.PRIVATE,
                        description="PRIVATE: private",
                        enum_type=SnippetVisibility,
                        max_length=20,
                    ),
                ),
                ("title", fields.CharField(max_length=200)),
                ("sql", fields.TextField()),
                ("description", fields.TextField(default="")),
                ("tags", fields.JSONField(default=list)),
                ("version", fields.IntField(default=1)),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ("deleted_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "snippets",
                "app": "models",
                "unique_together": (("tenant_id", "id"),),
                "pk_attr": "id",
            },
            bases=["TenantModel"],
        ),
        ops.CreateModel(
            name="SnippetVersion",
            fields=[
                *_base_fields(),
                ("snippet_id", fields.UUIDField()),
                ("version", fields.IntField()),
                ("title", fields.CharField(max_length=200)),
                ("sql", fields.TextField()),
                ("description", fields.TextField(default="")),
                ("tags", fields.JSONField(default=list)),
            ],
            options={
                "table": "snippet_versions",
                "app": "models",
                "unique_together": (("tenant_id", "snippet_id", "version"),),
                "pk_attr": "id",
            },
            bases=["TenantModel"],
        ),
        ops.RunSQL(CONSTRAINTS),
        *[ops.RunSQL(_tenant_policies(table)) for table in TABLES],
        ops.RunSQL(GRANTS),
    ]
