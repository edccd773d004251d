"""A large metadata cache to measure against, for bench.preflight and bench.metadata.

Each benchmark makes up its own DEs (names, fields, how many); this module gives them the same
ground: a throwaway database migrated from scratch with the ORM bound as the RLS-bound app role
(as in the API), DEs and their fields bulk-loaded through the owner's connection (seeding, not
the code under test), other tenants whose rows share the same tables, and the percentile both
report.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import NamedTuple, TypeVar

import asyncpg
from tortoise import Tortoise

from app.db import tortoise_config
from app.settings import Settings
from tests.conftest import throwaway_database
from tests.factories import make_tenant

__all__ = [
    "DataExtensionRow",
    "FieldRow",
    "RowMaker",
    "bench_database",
    "load_data_extensions",
    "load_other_tenants",
    "percentile",
    "seed_as_owner",
    "vacuum_analyze",
]

_Seeded = TypeVar("_Seeded")


class DataExtensionRow(NamedTuple):
    """One ``mce_data_extensions`` row of the BU's own (not shared) DEs."""

    tenant_id: int
    mid: int
    id: uuid.UUID
    object_id: str
    customer_key: str
    name: str
    field_count: int


class FieldRow(NamedTuple):
    """One ``mce_data_extension_fields`` row."""

    tenant_id: int
    mid: int
    id: uuid.UUID
    data_extension_id: uuid.UUID
    name: str
    field_type: str
    max_length: int | None
    precision: int | None
    scale: int | None
    is_primary_key: bool
    is_required: bool
    ordinal: int


#: Rows for one BU's DEs: ``(tenant_id, mid) -> (DEs, their fields)``.
RowMaker = Callable[[int, int], tuple[Sequence[DataExtensionRow], Sequence[FieldRow]]]


def percentile(samples: Sequence[float], share: float) -> float:
    """The sample at ``share`` (0.95 for p95) of the sorted samples, nearest rank."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(len(ordered) * share) - 1))]


@asynccontextmanager
async def bench_database(purpose: str) -> AsyncIterator[Settings]:
    """Settings for a database of its own (``quarry_bench_<purpose>_...``) migrated from
    scratch, the ORM bound to it as the app role; the database is dropped on the way out."""
    async with throwaway_database(f"quarry_bench_{purpose}") as settings:
        await Tortoise.init(
            config=tortoise_config(settings.app_database_url, max_size=5),
            _enable_global_fallback=True,
        )
        try:
            yield settings
        finally:
            await Tortoise.close_connections()


async def seed_as_owner(
    settings: Settings, seed: Callable[[asyncpg.Connection], Awaitable[_Seeded]]
) -> tuple[_Seeded, float]:
    """What ``seed`` returns, given a connection as the database's owner (closed after), and
    how long it took in seconds (one decimal: the benchmarks' ``seed_s``)."""
    admin = await asyncpg.connect(settings.database_url)
    try:
        started = time.perf_counter()
        seeded = await seed(admin)
        return seeded, round(time.perf_counter() - started, 1)
    finally:
        await admin.close()


async def load_data_extensions(
    conn: asyncpg.Connection, des: Sequence[DataExtensionRow], fields: Sequence[FieldRow]
) -> None:
    """COPY ``des`` and ``fields`` into temporary tables, then INSERT ... SELECT them into the
    cache (fully synced, as a sync leaves them): thousands of rows a second."""
    await conn.execute(
        "CREATE TEMP TABLE IF NOT EXISTS bench_des (tenant_id bigint, mid bigint, id uuid,"
        " object_id text, customer_key text, name text, field_count int);"
        "CREATE TEMP TABLE IF NOT EXISTS bench_fields (tenant_id bigint, mid bigint, id uuid,"
        " data_extension_id uuid, name text, field_type text, max_length int, precision int,"
        " scale int, is_primary_key boolean, is_required boolean, ordinal int);"
        "TRUNCATE bench_des, bench_fields"
    )
    await conn.copy_records_to_table("bench_des", records=des)
    await conn.copy_records_to_table("bench_fields", records=fields)
    await conn.execute(
        "INSERT INTO mce_data_extensions (tenant_id, mid, is_shared, id, object_id,"
        " customer_key, name, is_sendable, fields_complete, field_count, created_at, synced_at)"
        " SELECT tenant_id, mid, false, id, object_id, customer_key, name, false, true,"
        " field_count, now(), now() FROM bench_des"
    )
    await conn.execute(
        "INSERT INTO mce_data_extension_fields (tenant_id, mid, is_shared, id,"
        " data_extension_id, name, field_type, max_length, precision, scale, is_primary_key,"
        " is_required, ordinal, created_at) SELECT tenant_id, mid, false, id,"
        " data_extension_id, name, field_type, max_length, precision, scale, is_primary_key,"
        " is_required, ordinal, now() FROM bench_fields"
    )


async def load_other_tenants(
    conn: asyncpg.Connection, *, count: int, name: str, rows: RowMaker
) -> None:
    """``count`` more tenants (``name`` and a number), each with the DEs ``rows`` makes in its
    first child BU: rows in the same tables that RLS must keep out of the measured answers."""
    for index in range(count):
        other = await make_tenant(f"{name}{index}")
        des, fields = rows(other.tenant_id, other.child_mids[0])
        await load_data_extensions(conn, des, fields)


async def vacuum_analyze(conn: asyncpg.Connection, tables: Sequence[str]) -> None:
    """What autovacuum does after a bulk load like the seed: statistics, and the GIN indexes'
    pending lists merged (a manual ANALYZE leaves them, and every search would scan them)."""
    for table in tables:
        await conn.execute(f"VACUUM ANALYZE {table}")
