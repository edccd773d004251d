"""Writes to per-BU tables are confined to the context's own BU (issue 11, "BU-safe writes").

0002 gave each per-BU table one ``bu_isolation`` policy for every command: its WITH CHECK
accepted any visible BU, so a child's context could insert rows into its parent, and its
USING (the read rule) also chose the rows UPDATE and DELETE reach, so a child could change or
delete the parent's shared rows. It is replaced by one policy per command
(:func:`migrations._policies.bu_app_policies`): reading is unchanged, INSERT, UPDATE and DELETE
only on ``mid = quarry_current_mid()`` in the current tenant. The system role's ``system_all``
policy stays as it is. Both statements run in the migration's transaction, so no moment
exists in which the table has no app policy (which would only deny, not leak, anyway). It
has no reverse on purpose: going back would restore the defect.

Tables created after this migration take :func:`migrations._policies.bu_policies` instead.
"""

from __future__ import annotations

from tortoise import migrations
from tortoise.migrations import operations as ops

from migrations._policies import bu_app_policies

#: The per-BU tables that exist at this point (0002's ``BU_TABLES``).
BU_TABLES = ["mce_data_extensions"]


def _split_bu_policy(table: str) -> str:
    return f"DROP POLICY bu_isolation ON {table};\n{bu_app_policies(table)}"


class Migration(migrations.Migration):
    dependencies = [("models", "0004_wallet_security")]

    operations = [ops.RunSQL(_split_bu_policy(table)) for table in BU_TABLES]
