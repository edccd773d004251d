"""Migrations apply to an empty database, re-applying changes nothing, roles bootstrap twice."""

from __future__ import annotations

import uuid

import asyncpg
from tortoise.context import get_current_context

from app.bootstrap import bootstrap_roles
from app.migrate import migrate
from app.settings import Settings, with_database
from models import User
from tests.conftest import ADMIN_URL, drop_database, make_settings

SNAPSHOT_QUERIES = {
    "columns": "SELECT table_name, column_name, data_type, is_nullable FROM"
    " information_schema.columns WHERE table_schema = 'public' ORDER BY 1, 2",
    "constraints": "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
    " WHERE connamespace = 'public'::regnamespace ORDER BY 1",
    "policies": "SELECT tablename, policyname, roles::text, qual, with_check FROM pg_policies"
    " ORDER BY 1, 2",
    "functions": "SELECT proname, prosecdef, proconfig::text FROM pg_proc"
    " WHERE pronamespace = 'public'::regnamespace ORDER BY 1",
    "grants": "SELECT grantee, table_name, privilege_type FROM information_schema.role_table_grants"
    " WHERE table_schema = 'public' ORDER BY 1, 2, 3",
    "migrations": "SELECT app, name FROM tortoise_migrations ORDER BY id",
}


async def _snapshot(url: str) -> dict[str, list[tuple[object, ...]]]:
    conn = await asyncpg.connect(url)
    try:
        return {
            name: [tuple(row) for row in await conn.fetch(query)]
            for name, query in SNAPSHOT_QUERIES.items()
        }
    finally:
        await conn.close()


async def test_migrations_apply_to_empty_database_and_are_idempotent() -> None:
    name = f"quarry_migr_{uuid.uuid4().hex[:10]}"
    settings = make_settings(name)
    try:
        await migrate(settings)
        first = await _snapshot(settings.database_url)
        assert [row[1] for row in first["migrations"]] == [
            "0001_initial",
            "0002_security",
            "0003_wallet_support",
            "0004_wallet_security",
            "0005_bu_writes",
            "0006_wallet_lineage",
            "0007_background_identity",
            "0008_snippets",
            "0009_metadata_cache",
            "0010_metadata_search",
            "0011_runs",
            "0012_search_field_names",
            "0013_target_de_requests",
            "0014_deployments",
            "0015_runs_uncounted",
        ]
        assert {row[0] for row in first["policies"]} >= {"tenants", "users", "audit_events"}
        await migrate(settings)
        assert await _snapshot(settings.database_url) == first
    finally:
        await drop_database(name)


async def test_roles_bootstrap_twice() -> None:
    settings = make_settings("postgres")
    await bootstrap_roles(settings)
    await bootstrap_roles(settings)
    conn = await asyncpg.connect(with_database(ADMIN_URL, "postgres"))
    try:
        roles = await conn.fetch(
            "SELECT rolname, rolcanlogin, rolbypassrls, rolsuper FROM pg_roles"
            " WHERE rolname LIKE 'quarry\\_%' ORDER BY rolname"
        )
    finally:
        await conn.close()
    assert {r["rolname"]: r["rolcanlogin"] for r in roles} == {
        "quarry_app": True,
        "quarry_lookup": False,
        "quarry_owner": True,
        "quarry_system": True,
    }
    assert not any(r["rolbypassrls"] or r["rolsuper"] for r in roles)


async def test_migrating_leaves_the_callers_orm_context_alone(db: Settings) -> None:
    """Migrating from a process that also serves requests must not swap its ORM context."""
    before = get_current_context()
    await migrate(db)  # already applied: a no-op run of the migrator
    assert get_current_context() is before
    assert await User.all().count() == 0  # the app's connection still works (and sees no tenant)
