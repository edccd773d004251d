"""Create the database roles and the database, idempotently, as a server administrator.

Roles are cluster-wide, so several Quarry databases (development, each test run) share them;
every statement here tolerates an existing role or database. The app role owns nothing and
lacks BYPASSRLS; the system role is for audited cross-tenant work; ``quarry_lookup`` (NOLOGIN)
only owns the allow-listed SECURITY DEFINER lookup functions.
"""

from __future__ import annotations

import asyncpg

from app.settings import APP_ROLE, OWNER_ROLE, SYSTEM_ROLE, Settings, database_name, with_database

LOOKUP_ROLE = "quarry_lookup"


async def _ensure_role(conn: asyncpg.Connection, name: str, *, login: bool, password: str) -> None:
    exists = await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", name)
    verb = "ALTER" if exists else "CREATE"
    login_clause = "LOGIN" if login else "NOLOGIN"
    # DDL takes no bind parameters: the name is a constant of ours, the password is quoted
    # by the server with format('%L').
    statement = await conn.fetchval(
        "SELECT format('%s ROLE %I ' || $3 || ' NOSUPERUSER NOCREATEDB NOCREATEROLE "
        "NOBYPASSRLS INHERIT PASSWORD %L', $1::text, $2::text, $4::text)",
        verb,
        name,
        login_clause,
        password,
    )
    await conn.execute(statement)


async def bootstrap_roles(settings: Settings) -> None:
    """Create or update the four roles (safe to run any number of times)."""
    conn = await asyncpg.connect(with_database(settings.database_url, "postgres"))
    try:
        await _ensure_role(conn, OWNER_ROLE, login=True, password=settings.owner_db_password)
        await _ensure_role(conn, APP_ROLE, login=True, password=settings.app_db_password)
        await _ensure_role(conn, SYSTEM_ROLE, login=True, password=settings.system_db_password)
        await _ensure_role(conn, LOOKUP_ROLE, login=False, password=settings.owner_db_password)
        # The owner hands the lookup functions to quarry_lookup, which needs membership.
        await conn.execute(f"GRANT {LOOKUP_ROLE} TO {OWNER_ROLE}")
    finally:
        await conn.close()


async def ensure_database(settings: Settings, name: str | None = None) -> str:
    """Create the database (owned by the owner role) unless it exists; return its name."""
    db = name or database_name(settings.database_url)
    conn = await asyncpg.connect(with_database(settings.database_url, "postgres"))
    try:
        if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", db):
            statement = await conn.fetchval(
                "SELECT format('CREATE DATABASE %I OWNER %I', $1::text, $2::text)", db, OWNER_ROLE
            )
            await conn.execute(statement)
        statement = await conn.fetchval(
            "SELECT format('REVOKE ALL ON DATABASE %I FROM PUBLIC', $1::text)", db
        )
        await conn.execute(statement)
        for role in (APP_ROLE, SYSTEM_ROLE):
            statement = await conn.fetchval(
                "SELECT format('GRANT CONNECT ON DATABASE %I TO %I', $1::text, $2::text)", db, role
            )
            await conn.execute(statement)
    finally:
        await conn.close()
    return db
