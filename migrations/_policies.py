"""Row-level security policies for per-BU tables, shared by every migration that needs them.

Not a migration itself: tortoise's loader skips modules whose name starts with ``_``.

Why the policies are split by command (DESIGN.md, "Tenancy and security invariants": a context
writes only its own BU's rows; it reads its own rows and, from its parent BU, only the rows
marked shared): one ``FOR ALL`` policy cannot say both, because its USING clause also decides
which rows UPDATE and DELETE reach, so every row a child could read (the parent's shared ones)
was a row it could change or delete, and its WITH CHECK accepted any visible BU, so a child
could insert into its parent. Reading keeps the wide rule; INSERT, UPDATE and DELETE are each
confined to ``mid = quarry_current_mid()`` within the current tenant. A context without a
current BU (``quarry_current_mid()`` is NULL) neither reads nor writes per-BU rows.

Only constants and the caller's table name are interpolated; the name is checked first.
"""

from __future__ import annotations

import re

APP = "quarry_app"
SYSTEM = "quarry_system"

#: The app role's policies on every per-BU table, one per command.
BU_APP_POLICY_NAMES = ("bu_read", "bu_insert", "bu_update", "bu_delete")

_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]*")

_OWN_BU = "tenant_id = quarry_current_tenant() AND mid = quarry_current_mid()"
_OWN_OR_SHARED = (
    "tenant_id = quarry_current_tenant()"
    " AND (mid = quarry_current_mid() OR (is_shared AND mid = ANY (quarry_visible_mids())))"
)


def _checked(table: str) -> str:
    if not _IDENTIFIER.fullmatch(table):
        raise ValueError(f"not a plain table name: {table!r}")
    return table


def bu_app_policies(table: str) -> str:
    """The app role's per-command policies on ``table``, which must have no app policy yet.

    Needs ``tenant_id``, ``mid`` and ``is_shared`` columns.
    """
    table = _checked(table)
    return f"""
CREATE POLICY bu_read ON {table} FOR SELECT TO {APP}
    USING ({_OWN_OR_SHARED});
CREATE POLICY bu_insert ON {table} FOR INSERT TO {APP}
    WITH CHECK ({_OWN_BU});
CREATE POLICY bu_update ON {table} FOR UPDATE TO {APP}
    USING ({_OWN_BU})
    WITH CHECK ({_OWN_BU});
CREATE POLICY bu_delete ON {table} FOR DELETE TO {APP}
    USING ({_OWN_BU});
"""


def bu_policies(table: str) -> str:
    """Everything a new per-BU table needs: forced RLS, the app's policies, the system's.

    Use it in the migration that creates the table (then add its grants and its composite
    foreign key to ``business_units`` as 0002 does).
    """
    table = _checked(table)
    return f"""
ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;
ALTER TABLE {table} FORCE ROW LEVEL SECURITY;
{bu_app_policies(table)}
CREATE POLICY system_all ON {table} TO {SYSTEM} USING (true) WITH CHECK (true);
"""
