"""Writes to per-BU tables are confined to the context's own BU, as the app role.

A context reads its own BU's rows and its parent's ``is_shared`` rows, but it may insert,
change, move or delete only rows of its own BU: a child BU must never alter what its parent
shares with every other child, nor anything of a sibling. Each write is tried both through
the tenant-aware repository and through raw SQL in a tenant transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

import asyncpg
import pytest
from tortoise.exceptions import OperationalError

from models import CachedDataExtension, TenantContext, TenantRepository
from models.context import tenant_transaction
from tests.factories import TenantFixture, make_data_extension, make_tenant, next_id

pytestmark = pytest.mark.usefixtures("db")

APP_ROLE = "quarry_app"
SYSTEM_ROLE = "quarry_system"

_RAW_INSERT = (
    "INSERT INTO mce_data_extensions (id, tenant_id, mid, is_shared, object_id, customer_key,"
    " name, is_sendable, created_at, synced_at)"
    " VALUES (gen_random_uuid(), $1, $2, $3, $4, $5, 'Sneaky', false, now(), now())"
)


class _Rollback(Exception):
    """Raised to roll a tenant transaction back after looking at what it would do."""


@dataclass
class BuRows:
    """A tenant with one DE per interesting place: the child under test is ``child``."""

    tenant: TenantFixture
    child: int
    sibling: int
    parent_shared: CachedDataExtension
    parent_private: CachedDataExtension
    sibling_row: CachedDataExtension
    own: CachedDataExtension

    def foreign_rows(self) -> dict[str, CachedDataExtension]:
        """The rows the child must not write, by a label for assertion messages."""
        return {
            "parent shared": self.parent_shared,
            "parent private": self.parent_private,
            "sibling": self.sibling_row,
        }


@pytest.fixture
async def bu_rows() -> BuRows:
    t = await make_tenant("Vandelay")
    child, sibling = t.child_mids
    return BuRows(
        tenant=t,
        child=child,
        sibling=sibling,
        parent_shared=await make_data_extension(
            t, mid=t.parent_mid, name="Subscribers", shared=True
        ),
        parent_private=await make_data_extension(t, mid=t.parent_mid, name="Payroll"),
        sibling_row=await make_data_extension(t, mid=sibling, name="SiblingOrders", shared=True),
        own=await make_data_extension(t, mid=child, name="ChildOrders"),
    )


async def _as_owner(rows: BuRows, row: CachedDataExtension) -> CachedDataExtension | None:
    """The row as its own BU sees it now (None when it is gone)."""
    repo = TenantRepository(rows.tenant.context(row.mid))
    return await repo.of(CachedDataExtension).get_or_none(id=row.id)


async def _assert_untouched(rows: BuRows, row: CachedDataExtension, label: str) -> None:
    now = await _as_owner(rows, row)
    assert now is not None, f"{label} row was deleted"
    assert (now.mid, now.name, now.is_shared) == (row.mid, row.name, row.is_shared), label


def _target_mid(rows: BuRows, target: str) -> int:
    return rows.tenant.parent_mid if target == "parent" else rows.sibling


async def test_child_reads_own_rows_and_parent_shared_rows_only(bu_rows: BuRows) -> None:
    repo = TenantRepository(bu_rows.tenant.context(bu_rows.child))
    seen = {row.id for row in await repo.of(CachedDataExtension).list()}
    assert seen == {bu_rows.own.id, bu_rows.parent_shared.id}
    raw = await repo.fetch("SELECT id FROM mce_data_extensions")
    assert {row["id"] for row in raw} == seen
    assert await repo.of(CachedDataExtension).get_or_none(id=bu_rows.parent_private.id) is None


@pytest.mark.parametrize("target", ["parent", "sibling"])
@pytest.mark.parametrize("shared", [True, False])
async def test_child_cannot_insert_into_parent_or_sibling_through_repository(
    bu_rows: BuRows, target: str, shared: bool
) -> None:
    mid = _target_mid(bu_rows, target)
    with pytest.raises(OperationalError, match="row-level security"):
        await (
            TenantRepository(bu_rows.tenant.context(bu_rows.child))
            .of(CachedDataExtension)
            .create(
                mid=mid,
                object_id=f"obj-{next_id()}",
                customer_key=f"sneaky-{next_id()}",
                name="Sneaky",
                is_shared=shared,
            )
        )
    owner = TenantRepository(bu_rows.tenant.context(mid))
    assert await owner.of(CachedDataExtension).count(name="Sneaky") == 0


@pytest.mark.parametrize("target", ["parent", "sibling"])
async def test_child_cannot_insert_into_parent_or_sibling_through_raw_sql(
    bu_rows: BuRows, target: str
) -> None:
    mid = _target_mid(bu_rows, target)
    with pytest.raises(OperationalError, match="row-level security"):
        async with tenant_transaction(bu_rows.tenant.context(bu_rows.child)) as conn:
            await conn.execute_query(
                _RAW_INSERT,
                [bu_rows.tenant.tenant_id, mid, True, f"obj-{next_id()}", f"k-{next_id()}"],
            )
    owner = TenantRepository(bu_rows.tenant.context(mid))
    assert await owner.of(CachedDataExtension).count(name="Sneaky") == 0


async def test_child_cannot_update_foreign_rows_through_repository(bu_rows: BuRows) -> None:
    repo = TenantRepository(bu_rows.tenant.context(bu_rows.child)).of(CachedDataExtension)
    for label, row in bu_rows.foreign_rows().items():
        assert await repo.update({"id": row.id}, name="pwned") == 0, label
        assert await repo.update({"id": row.id}, is_shared=False) == 0, label
        await _assert_untouched(bu_rows, row, label)


async def test_child_cannot_update_foreign_rows_through_raw_sql(bu_rows: BuRows) -> None:
    async with tenant_transaction(bu_rows.tenant.context(bu_rows.child)) as conn:
        for label, row in bu_rows.foreign_rows().items():
            updated, _ = await conn.execute_query(
                "UPDATE mce_data_extensions SET name = 'pwned' WHERE id = $1", [str(row.id)]
            )
            assert updated == 0, label
        # An unfiltered UPDATE reaches exactly the child's own rows.
        touched = await conn.execute_query_dict(
            "UPDATE mce_data_extensions SET is_sendable = true RETURNING id"
        )
    assert {UUID(str(row["id"])) for row in touched} == {bu_rows.own.id}
    for label, row in bu_rows.foreign_rows().items():
        await _assert_untouched(bu_rows, row, label)


async def test_child_cannot_delete_foreign_rows_through_repository(bu_rows: BuRows) -> None:
    repo = TenantRepository(bu_rows.tenant.context(bu_rows.child)).of(CachedDataExtension)
    for label, row in bu_rows.foreign_rows().items():
        assert await repo.delete(id=row.id) == 0, label
    assert (
        await repo.delete(is_shared=True) == 0
    )  # the parent's shared row is readable, not deletable
    for label, row in bu_rows.foreign_rows().items():
        await _assert_untouched(bu_rows, row, label)


async def test_child_cannot_delete_foreign_rows_through_raw_sql(bu_rows: BuRows) -> None:
    with pytest.raises(_Rollback):
        async with tenant_transaction(bu_rows.tenant.context(bu_rows.child)) as conn:
            for label, row in bu_rows.foreign_rows().items():
                deleted, _ = await conn.execute_query(
                    "DELETE FROM mce_data_extensions WHERE id = $1", [str(row.id)]
                )
                assert deleted == 0, label
            # An unfiltered DELETE reaches exactly the child's own rows (then rolled back).
            reached = await conn.execute_query_dict("DELETE FROM mce_data_extensions RETURNING id")
            assert {UUID(str(row["id"])) for row in reached} == {bu_rows.own.id}
            raise _Rollback
    for label, row in bu_rows.foreign_rows().items():
        await _assert_untouched(bu_rows, row, label)
    await _assert_untouched(bu_rows, bu_rows.own, "own")


async def test_child_cannot_move_its_row_into_parent_or_sibling(bu_rows: BuRows) -> None:
    repo = TenantRepository(bu_rows.tenant.context(bu_rows.child)).of(CachedDataExtension)
    for mid in (bu_rows.tenant.parent_mid, bu_rows.sibling):
        with pytest.raises(OperationalError, match="row-level security"):
            await repo.update({"id": bu_rows.own.id}, mid=mid, is_shared=True)
        with pytest.raises(OperationalError, match="row-level security"):
            async with tenant_transaction(bu_rows.tenant.context(bu_rows.child)) as conn:
                await conn.execute_query(
                    "UPDATE mce_data_extensions SET mid = $1 WHERE id = $2",
                    [mid, str(bu_rows.own.id)],
                )
    await _assert_untouched(bu_rows, bu_rows.own, "own")


async def test_parent_writes_its_own_rows(bu_rows: BuRows) -> None:
    parent = bu_rows.tenant.parent_mid
    repo = TenantRepository(bu_rows.tenant.context(parent)).of(CachedDataExtension)
    created = await repo.create(
        mid=parent, object_id=f"obj-{next_id()}", customer_key=f"k-{next_id()}", name="NewShared"
    )
    assert await repo.update({"id": bu_rows.parent_shared.id}, name="Subscribers v2") == 1
    assert await repo.update({"id": created.id}, is_shared=True) == 1
    async with tenant_transaction(bu_rows.tenant.context(parent)) as conn:
        deleted, _ = await conn.execute_query(
            "DELETE FROM mce_data_extensions WHERE id = $1", [str(bu_rows.parent_private.id)]
        )
    assert deleted == 1
    child_view = TenantRepository(bu_rows.tenant.context(bu_rows.child)).of(CachedDataExtension)
    assert {row.name for row in await child_view.list()} == {
        "Subscribers v2",
        "NewShared",
        "ChildOrders",
    }


async def test_child_writes_its_own_rows(bu_rows: BuRows) -> None:
    repo = TenantRepository(bu_rows.tenant.context(bu_rows.child)).of(CachedDataExtension)
    created = await repo.create(
        mid=bu_rows.child, object_id=f"obj-{next_id()}", customer_key=f"k-{next_id()}", name="Mine"
    )
    assert await repo.update({"id": bu_rows.own.id}, name="ChildOrders v2") == 1
    assert await repo.delete(id=created.id) == 1
    async with tenant_transaction(bu_rows.tenant.context(bu_rows.child)) as conn:
        await conn.execute_query(
            _RAW_INSERT,
            [bu_rows.tenant.tenant_id, bu_rows.child, False, f"obj-{next_id()}", f"k-{next_id()}"],
        )
    assert {row.name for row in await repo.list(mid=bu_rows.child)} == {"ChildOrders v2", "Sneaky"}


async def test_a_context_without_a_bu_writes_no_bu_rows(bu_rows: BuRows) -> None:
    """A tenant-only context (no current BU) neither reads nor writes per-BU rows."""
    tenant_only = TenantContext(tenant_id=bu_rows.tenant.tenant_id)
    repo = TenantRepository(tenant_only).of(CachedDataExtension)
    assert await repo.count() == 0
    assert await repo.update({"id": bu_rows.own.id}, name="pwned") == 0
    with pytest.raises(OperationalError, match="row-level security"):
        await repo.create(
            mid=bu_rows.child, object_id=f"obj-{next_id()}", customer_key=f"k-{next_id()}", name="X"
        )


async def _bu_tables(conn: asyncpg.Connection) -> set[str]:
    """Tables with per-BU, shareable rows: a ``tenant_id``, a ``mid`` and an ``is_shared``."""
    rows = await conn.fetch(
        "SELECT table_name FROM information_schema.columns WHERE table_schema = 'public'"
        " AND column_name IN ('tenant_id', 'mid', 'is_shared')"
        " GROUP BY table_name HAVING count(*) = 3"
    )
    return {row["table_name"] for row in rows}


async def test_every_bu_table_confines_writes_to_the_current_bu(
    admin_conn: asyncpg.Connection,
) -> None:
    """A guard for BU tables added later: none may get a write policy wider than its own BU."""
    tables = await _bu_tables(admin_conn)
    assert "mce_data_extensions" in tables
    for table in sorted(tables):
        policies = await admin_conn.fetch(
            "SELECT policyname, roles::text[] AS roles, cmd, qual, with_check FROM pg_policies"
            " WHERE schemaname = 'public' AND tablename = $1",
            table,
        )
        app = [p for p in policies if APP_ROLE in p["roles"]]
        assert sorted(p["cmd"] for p in app) == ["DELETE", "INSERT", "SELECT", "UPDATE"], table
        for policy in app:
            if policy["cmd"] == "SELECT":
                continue
            for expression in (policy["qual"], policy["with_check"]):
                if expression is None:
                    continue
                assert "quarry_visible_mids" not in expression, (table, policy["policyname"])
                assert "is_shared" not in expression, (table, policy["policyname"])
                assert "quarry_current_mid()" in expression, (table, policy["policyname"])
                assert "quarry_current_tenant()" in expression, (table, policy["policyname"])
        system = [p for p in policies if SYSTEM_ROLE in p["roles"]]
        assert [(p["policyname"], p["cmd"]) for p in system] == [("system_all", "ALL")], table
