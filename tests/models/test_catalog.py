"""The database catalog proves the tenancy invariants hold for every table and function."""

from __future__ import annotations

import asyncpg
import pytest

from app.settings import Settings
from tests.factories import make_tenant

APP_ROLE = "quarry_app"
LOOKUP_FUNCTIONS = {
    "quarry_lookup_tenant",
    "quarry_lookup_user",
    "quarry_lookup_api_token",
    "quarry_lookup_support_token",
    "quarry_search_data_extensions",
}

EXPECTED_APP_GRANTS = {
    "tenants": {"SELECT", "INSERT", "UPDATE"},
    "business_units": {"SELECT", "INSERT", "UPDATE", "DELETE"},
    "users": {"SELECT", "INSERT", "UPDATE", "DELETE"},
    "memberships": {"SELECT", "INSERT", "UPDATE", "DELETE"},
    "api_tokens": {"SELECT", "INSERT", "UPDATE", "DELETE"},
    "mce_data_extensions": {"SELECT", "INSERT", "UPDATE", "DELETE"},
    "audit_events": {"SELECT", "INSERT"},
    "wallet_data_keys": {"SELECT", "INSERT", "UPDATE", "DELETE"},
    "wallet_entries": {"SELECT", "INSERT", "UPDATE", "DELETE"},
    "waiting_work": {"SELECT", "INSERT", "UPDATE", "DELETE"},
    "snippet_folders": {"SELECT", "INSERT", "UPDATE", "DELETE"},
    "snippets": {"SELECT", "INSERT", "UPDATE", "DELETE"},
    "snippet_versions": {"SELECT", "INSERT", "UPDATE", "DELETE"},
    "mce_folders": {"SELECT", "INSERT", "UPDATE", "DELETE"},
    "mce_data_extension_fields": {"SELECT", "INSERT", "UPDATE", "DELETE"},
    "mce_query_activities": {"SELECT", "INSERT", "UPDATE", "DELETE"},
    "mce_automations": {"SELECT", "INSERT", "UPDATE", "DELETE"},
    "mce_automation_activities": {"SELECT", "INSERT", "UPDATE", "DELETE"},
    "metadata_sync_state": {"SELECT", "INSERT", "UPDATE", "DELETE"},
    "runs": {"SELECT", "INSERT", "UPDATE", "DELETE"},
    "mce_assets": {"SELECT", "INSERT", "UPDATE", "DELETE"},
    "mce_field_names": {"SELECT", "INSERT", "UPDATE", "DELETE"},
    "mce_name_words": {"SELECT", "INSERT", "UPDATE", "DELETE"},
    "target_de_requests": {"SELECT", "INSERT", "UPDATE"},
    "deployments": {"SELECT", "INSERT", "UPDATE"},
    "deployment_targets": {"SELECT", "INSERT", "UPDATE"},
}


async def _tenant_tables(conn: asyncpg.Connection) -> set[str]:
    rows = await conn.fetch(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id'"
        "  AND NOT a.attisdropped"
        " WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')"
    )
    return {row["relname"] for row in rows}


async def test_every_tenant_table_has_forced_rls(admin_conn: asyncpg.Connection) -> None:
    tables = await _tenant_tables(admin_conn)
    assert tables >= set(EXPECTED_APP_GRANTS)
    rows = await admin_conn.fetch(
        "SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class"
        " WHERE relname = ANY($1::text[])",
        list(tables),
    )
    weak = [r["relname"] for r in rows if not (r["relrowsecurity"] and r["relforcerowsecurity"])]
    assert weak == []
    without_policy = await admin_conn.fetch(
        "SELECT t FROM unnest($1::text[]) t WHERE NOT EXISTS"
        " (SELECT 1 FROM pg_policies p WHERE p.tablename = t AND $2 = ANY(p.roles))",
        list(tables),
        APP_ROLE,
    )
    assert without_policy == []


_CONTEXT = "SELECT quarry_current_tenant(), quarry_current_mid(), quarry_visible_mids()"


@pytest.mark.usefixtures("db")
async def test_policies_read_transaction_settings_safely(test_settings: Settings) -> None:
    """The context functions the policies call: unset or emptied settings mean "no tenant".

    A setting never set reads as NULL, but once a transaction has set it locally it reads as
    '' for the rest of the session; a bare ::bigint cast would then raise on every query.
    """
    tenant = await make_tenant("Context Co")
    conn = await asyncpg.connect(test_settings.app_database_url)
    try:
        assert tuple(await conn.fetchrow(_CONTEXT)) == (None, None, [])
        assert await conn.fetchval(_COUNT_TENANT, tenant.tenant_id) == 0
        async with conn.transaction():
            await conn.execute(
                "SELECT set_config('app.tenant_id', $1, true), set_config('app.mid', '5', true),"
                " set_config('app.visible_mids', '5,6', true)",
                str(tenant.tenant_id),
            )
            assert tuple(await conn.fetchrow(_CONTEXT)) == (tenant.tenant_id, 5, [5, 6])
            assert await conn.fetchval(_COUNT_TENANT, tenant.tenant_id) == 1
        assert await conn.fetchval("SELECT current_setting('app.tenant_id', true)") == ""
        assert tuple(await conn.fetchrow(_CONTEXT)) == (None, None, [])
        assert await conn.fetchval(_COUNT_TENANT, tenant.tenant_id) == 0
    finally:
        await conn.close()


_COUNT_TENANT = "SELECT count(*) FROM tenants WHERE tenant_id = $1"


async def test_app_role_owns_nothing_and_cannot_bypass(admin_conn: asyncpg.Connection) -> None:
    role = await admin_conn.fetchrow(
        "SELECT rolsuper, rolbypassrls, rolcreaterole, rolcreatedb, oid FROM pg_roles"
        " WHERE rolname = $1",
        APP_ROLE,
    )
    assert role is not None
    assert not any(
        (role["rolsuper"], role["rolbypassrls"], role["rolcreaterole"], role["rolcreatedb"])
    )
    owned = await admin_conn.fetchval(
        "SELECT (SELECT count(*) FROM pg_class WHERE relowner = $1)"
        " + (SELECT count(*) FROM pg_proc WHERE proowner = $1)"
        " + (SELECT count(*) FROM pg_namespace WHERE nspowner = $1)"
        " + (SELECT count(*) FROM pg_type WHERE typowner = $1)",
        role["oid"],
    )
    assert owned == 0
    memberships = await admin_conn.fetchval(
        "SELECT count(*) FROM pg_auth_members WHERE member = $1", role["oid"]
    )
    assert memberships == 0


async def test_app_role_has_exactly_the_grants_it_needs(admin_conn: asyncpg.Connection) -> None:
    rows = await admin_conn.fetch(
        "SELECT table_name, privilege_type FROM information_schema.role_table_grants"
        " WHERE grantee = $1 AND table_schema = 'public'",
        APP_ROLE,
    )
    grants: dict[str, set[str]] = {}
    for row in rows:
        grants.setdefault(row["table_name"], set()).add(row["privilege_type"])
    assert grants == EXPECTED_APP_GRANTS
    column_grants = await admin_conn.fetchval(
        "SELECT count(*) FROM information_schema.column_privileges WHERE grantee = $1"
        " AND table_name <> ALL($2::text[])",
        APP_ROLE,
        list(EXPECTED_APP_GRANTS),
    )
    assert column_grants == 0


async def test_security_definer_functions_are_the_allow_list(
    admin_conn: asyncpg.Connection,
) -> None:
    rows = await admin_conn.fetch(
        "SELECT p.proname, p.proconfig, r.rolname AS owner,"
        " has_function_privilege('public', p.oid, 'EXECUTE') AS public_exec,"
        " has_function_privilege($1, p.oid, 'EXECUTE') AS app_exec"
        " FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
        " JOIN pg_roles r ON r.oid = p.proowner"
        " WHERE p.prosecdef AND n.nspname NOT IN ('pg_catalog', 'information_schema')",
        APP_ROLE,
    )
    assert {row["proname"] for row in rows} == LOOKUP_FUNCTIONS
    for row in rows:
        assert any(c.startswith("search_path=") for c in row["proconfig"] or []), row["proname"]
        assert row["owner"] == "quarry_lookup"
        assert not row["public_exec"] and row["app_exec"]


async def test_lookup_role_cannot_log_in_or_write(admin_conn: asyncpg.Connection) -> None:
    role = await admin_conn.fetchrow(
        "SELECT rolcanlogin, rolbypassrls FROM pg_roles WHERE rolname = 'quarry_lookup'"
    )
    assert role is not None and not role["rolcanlogin"] and not role["rolbypassrls"]
    privileges = await admin_conn.fetch(
        "SELECT DISTINCT privilege_type FROM information_schema.role_table_grants"
        " WHERE grantee = 'quarry_lookup'"
    )
    assert {row["privilege_type"] for row in privileges} == {"SELECT"}


@pytest.mark.parametrize("contype", ["u", "f"])
async def test_keys_include_tenant_id(admin_conn: asyncpg.Connection, contype: str) -> None:
    """Unique and foreign keys are checked without policies, so they must carry tenant_id."""
    tables = await _tenant_tables(admin_conn)
    rows = await admin_conn.fetch(
        "SELECT c.conname, t.relname,"
        " ARRAY(SELECT a.attname FROM pg_attribute a WHERE a.attrelid = c.conrelid"
        "       AND a.attnum = ANY(c.conkey))::text[] AS cols"
        " FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid"
        ' WHERE c.contype = $1::text::"char" AND t.relname = ANY($2::text[])',
        contype,
        list(tables),
    )
    assert rows, "expected some constraints"
    offenders = [r["conname"] for r in rows if "tenant_id" not in r["cols"]]
    assert offenders == []


async def test_support_tokens_are_out_of_the_app_roles_reach(
    admin_conn: asyncpg.Connection,
) -> None:
    """No tenant column, so no tenant policy: the app role has no grant and RLS is forced."""
    row = await admin_conn.fetchrow(
        "SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE relname = 'support_tokens'"
    )
    assert row is not None and row["relrowsecurity"] and row["relforcerowsecurity"]
    grants = await admin_conn.fetchval(
        "SELECT count(*) FROM information_schema.role_table_grants"
        " WHERE grantee = $1 AND table_name = 'support_tokens'",
        APP_ROLE,
    )
    assert grants == 0
