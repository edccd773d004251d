"""Migration 0006: per-BU enhanced wallet entries become one lineage per user.

A database is migrated up to 0005, filled as the old wallet would have left it (several
enhanced entries per user, some ``needs_reauth``, legacy entries beside them), then migrated
to the end. The ciphertexts are opaque bytes here: the migration is SQL only and needs no key.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import asyncpg

from app.migrate import migrate
from tests.conftest import drop_database, make_settings

NOW = datetime(2026, 12, 1, tzinfo=UTC)


async def _entry(
    conn: asyncpg.Connection,
    *,
    user: uuid.UUID,
    mid: int,
    kind: str,
    status: str,
    age_hours: int,
    key: uuid.UUID,
) -> uuid.UUID:
    entry = uuid.uuid4()
    await conn.execute(
        "INSERT INTO wallet_entries (id, tenant_id, user_id, mid, kind, data_key_id, ciphertext,"
        " version, status, scopes, refreshed_at, created_at, updated_at)"
        " VALUES ($1, 1, $2, $3, $4, $5, $6, 1, $7, '', $8, $8, $8)",
        entry,
        user,
        mid,
        kind,
        key,
        entry.bytes,
        status,
        NOW - timedelta(hours=age_hours),
    )
    return entry


async def test_each_user_keeps_its_newest_active_enhanced_entry_only() -> None:
    name = f"quarry_lineage_{uuid.uuid4().hex[:10]}"
    settings = make_settings(name)
    try:
        await migrate(settings, target="models.0005_bu_writes")
        conn = await asyncpg.connect(settings.database_url)
        try:
            await conn.execute(
                "INSERT INTO tenants (tenant_id, name, status, created_at,"
                " updated_at) VALUES (1, 't', 'active', now(), now())"
            )
            for mid in (10, 11, 12, 13):
                await conn.execute(
                    "INSERT INTO business_units (id, tenant_id, mid, name, created_at,"
                    " updated_at) VALUES ($1, 1, $2, '', now(), now())",
                    uuid.uuid4(),
                    mid,
                )
            ada, bob, cy = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
            for n, user in enumerate((ada, bob, cy)):
                await conn.execute(
                    "INSERT INTO users (id, tenant_id, mce_user_id, email, name, locale,"
                    " time_zone, created_at, updated_at)"
                    " VALUES ($1, 1, $2, '', '', 'en-US', 'UTC', now(), now())",
                    user,
                    100 + n,
                )
            key = uuid.uuid4()
            await conn.execute(
                "INSERT INTO wallet_data_keys (id, tenant_id, wrapped_key, kek_id, status,"
                " created_at) VALUES ($1, 1, $2, 'k', 'active', now())",
                key,
                b"wrapped",
            )
            # Ada: the newest entry needs a sign-in; the newest *active* one wins.
            await _entry(
                conn, user=ada, mid=10, kind="enhanced", status="needs_reauth", age_hours=1, key=key
            )
            ada_wins = await _entry(
                conn, user=ada, mid=11, kind="enhanced", status="active", age_hours=5, key=key
            )
            await _entry(
                conn, user=ada, mid=12, kind="enhanced", status="active", age_hours=9, key=key
            )
            ada_legacy = await _entry(
                conn, user=ada, mid=13, kind="legacy", status="active", age_hours=2, key=key
            )
            # Bob: nothing active: no lineage is left looking valid.
            await _entry(
                conn, user=bob, mid=10, kind="enhanced", status="needs_reauth", age_hours=1, key=key
            )
            await _entry(
                conn, user=bob, mid=11, kind="enhanced", status="needs_reauth", age_hours=2, key=key
            )
            # Cy: one entry, kept as it is.
            cy_only = await _entry(
                conn, user=cy, mid=12, kind="enhanced", status="active", age_hours=3, key=key
            )
        finally:
            await conn.close()

        await migrate(settings)

        conn = await asyncpg.connect(settings.database_url)
        try:
            rows = await conn.fetch(
                "SELECT id, user_id, mid, kind, status, ciphertext FROM wallet_entries"
            )
            kept = {(r["user_id"], r["kind"]): r for r in rows}
            assert set(kept) == {(ada, "enhanced"), (ada, "legacy"), (cy, "enhanced")}
            assert len(rows) == 3
            assert kept[(ada, "enhanced")]["id"] == ada_wins
            assert kept[(ada, "enhanced")]["mid"] == 11  # unchanged: its ciphertext's BU
            assert bytes(kept[(ada, "enhanced")]["ciphertext"]) == ada_wins.bytes
            assert kept[(ada, "legacy")]["id"] == ada_legacy
            assert kept[(cy, "enhanced")]["id"] == cy_only
            # The owner's exemption lasted for the delete only: RLS is forced again.
            assert await conn.fetchval(
                "SELECT relforcerowsecurity FROM pg_class WHERE relname = 'wallet_entries'"
            )
            # From now on the database itself allows one lineage per user.
            try:
                await _entry(
                    conn, user=cy, mid=10, kind="enhanced", status="active", age_hours=0, key=key
                )
            except asyncpg.UniqueViolationError:
                pass
            else:
                raise AssertionError("a second enhanced entry was accepted")
            # ...and several legacy entries, one per BU.
            await _entry(
                conn, user=cy, mid=10, kind="legacy", status="active", age_hours=0, key=key
            )
            await _entry(
                conn, user=cy, mid=11, kind="legacy", status="active", age_hours=0, key=key
            )
        finally:
            await conn.close()
    finally:
        await drop_database(name)
