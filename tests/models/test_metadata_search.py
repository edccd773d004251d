"""The SECURITY DEFINER search function (migrations/0010): it bypasses RLS to use its
trigram indexes, so these tests prove it keeps to the context on its own: with a context it
returns nothing of another tenant or of a BU the context cannot see (a sibling, the parent's
private DEs), and with no context (or a context without a BU) nothing at all."""

from __future__ import annotations

from uuid import UUID

import asyncpg
import pytest

from app.settings import Settings
from models import TenantContext, TenantRepository
from tests.factories import TenantFixture, make_tenant
from tests.models.metadata_seed import add_de, bu_context

pytestmark = pytest.mark.usefixtures("db")

SEARCH = (
    "SELECT data_extension_id, matched_on, matched_text, tier"
    " FROM quarry_search_data_extensions($1, $2, $3, $4)"
)


async def _search(
    ctx: TenantContext, query: str, *, shared_only: bool = False, hide_leftovers: bool = False
) -> list[UUID]:
    rows = await TenantRepository(ctx).fetch(SEARCH, [query, 100, shared_only, hide_leftovers])
    return [row["data_extension_id"] for row in rows]


async def _world() -> tuple[TenantFixture, TenantFixture, dict[str, UUID]]:
    """Two tenants; the first has DEs named Orders* in every BU, some shared."""
    acme, other = await make_tenant("SearchAcme"), await make_tenant("SearchOther")
    child_a, child_b = acme.child_mids
    parent = bu_context(acme.tenant_id, acme.parent_mid)
    a = bu_context(acme.tenant_id, child_a, acme.parent_mid)
    b = bu_context(acme.tenant_id, child_b, acme.parent_mid)
    foreign = bu_context(other.tenant_id, other.child_mids[0], other.parent_mid)
    foreign_parent = bu_context(other.tenant_id, other.parent_mid)
    ids = {
        "a_own": await add_de(a, name="Orders A", fields=[("OrderKey", "Text")]),
        "b_own": await add_de(b, name="Orders B", fields=[("OrderKey", "Text")]),
        "parent_private": await add_de(parent, name="Orders Parent", fields=[("OrderKey", "Text")]),
        "parent_shared": await add_de(
            parent, name="Orders Shared", shared=True, fields=[("OrderKey", "Text")]
        ),
        "foreign": await add_de(foreign, name="Orders Foreign", fields=[("OrderKey", "Text")]),
        "foreign_shared": await add_de(
            foreign_parent, name="Orders Foreign Shared", shared=True, fields=[("OrderKey", "Text")]
        ),
    }
    return acme, other, ids


@pytest.mark.parametrize("query", ["Orders", "orderkey", "Ordrs", "Or", "ORDERS A"])
async def test_a_child_finds_its_own_and_the_parents_shared_only(query: str) -> None:
    acme, _, ids = await _world()
    found = set(await _search(acme.context(acme.child_mids[0]), query))
    visible = {ids["a_own"], ids["parent_shared"]}
    assert found <= visible
    assert found & visible
    if query.lower() in ("orders", "orderkey", "or"):
        assert found == visible


async def test_the_parent_finds_its_own_private_and_shared_but_no_childs() -> None:
    acme, _, ids = await _world()
    found = set(await _search(acme.context(acme.parent_mid), "Orders"))
    assert found == {ids["parent_private"], ids["parent_shared"]}


async def test_shared_only_answers_shared_des_of_visible_bus() -> None:
    acme, _, ids = await _world()
    assert await _search(acme.context(acme.child_mids[1]), "Orders", shared_only=True) == [
        ids["parent_shared"]
    ]


async def test_a_context_naming_another_tenants_bus_sees_nothing_of_them() -> None:
    """The function takes the tenant from the context: naming the other tenant's MIDs under
    one's own tenant id finds nothing (the MIDs belong to rows of another tenant)."""
    acme, other, _ = await _world()
    ctx = TenantContext(
        tenant_id=acme.tenant_id,
        mid=other.child_mids[0],
        visible_mids=frozenset({other.child_mids[0], other.parent_mid}),
    )
    assert await _search(ctx, "Orders") == []


async def test_a_context_without_a_bu_finds_nothing() -> None:
    acme, _, _ = await _world()
    assert await _search(TenantContext(tenant_id=acme.tenant_id), "Orders") == []


async def test_without_any_context_nothing_at_all(test_settings: Settings) -> None:
    """As the app role on a bare connection: never set, then set and ended (reads back '')."""
    acme, _, _ = await _world()
    conn = await asyncpg.connect(test_settings.app_database_url)
    try:
        assert await conn.fetch(SEARCH, "Orders", 100, False, False) == []
        async with conn.transaction():
            await conn.execute(
                "SELECT set_config('app.tenant_id', $1, true),"
                " set_config('app.mid', $2, true), set_config('app.visible_mids', $3, true)",
                str(acme.tenant_id),
                str(acme.child_mids[0]),
                f"{acme.child_mids[0]},{acme.parent_mid}",
            )
            assert len(await conn.fetch(SEARCH, "Orders", 100, False, False)) == 2
        assert await conn.fetch(SEARCH, "Orders", 100, False, False) == []
        assert await conn.fetch(SEARCH, "Orders", 100, True, False) == []
    finally:
        await conn.close()


async def test_incomplete_des_and_quarry_assets_are_never_found() -> None:
    acme = await make_tenant("SearchHidden")
    ctx = acme.context(acme.child_mids[0])
    shown = await add_de(ctx, name="Ledger Shown")
    await add_de(ctx, name="Ledger Partial", complete=False)
    await add_de(ctx, name="Ledger QuarryShell", quarry_asset=True)
    leftover = await add_de(ctx, name="Ledger Leftover", leftover=True)
    assert set(await _search(ctx, "Ledger")) == {shown, leftover}
    assert await _search(ctx, "Ledger", hide_leftovers=True) == [shown]


@pytest.mark.parametrize("query", ["", "x" * 201])
async def test_empty_and_oversized_queries_find_nothing(query: str) -> None:
    acme = await make_tenant("SearchBounds")
    ctx = acme.context(acme.child_mids[0])
    await add_de(ctx, name="x" * 150)
    assert await _search(ctx, query) == []


async def test_the_function_is_a_pinned_definer_owned_by_the_lookup_role(
    admin_conn: asyncpg.Connection,
) -> None:
    row = await admin_conn.fetchrow(
        "SELECT p.prosecdef, p.proconfig, r.rolname,"
        " has_function_privilege('public', p.oid, 'EXECUTE') AS public_exec,"
        " has_function_privilege('quarry_app', p.oid, 'EXECUTE') AS app_exec"
        " FROM pg_proc p JOIN pg_roles r ON r.oid = p.proowner"
        " WHERE p.proname = 'quarry_search_data_extensions'"
    )
    assert row is not None
    assert row["prosecdef"] and row["rolname"] == "quarry_lookup"
    assert "search_path=pg_catalog, pg_temp" in row["proconfig"]
    # Planned for each query's own pattern: a generic plan cannot use the trigram indexes.
    assert "plan_cache_mode=force_custom_plan" in row["proconfig"]
    assert row["app_exec"] and not row["public_exec"]


async def test_the_app_role_cannot_read_through_the_lookup_roles_grants(
    test_settings: Settings,
) -> None:
    """The lookup role's read-everything policy is for the function alone: the app role,
    querying the table directly without a context, still sees nothing."""
    acme = await make_tenant("SearchDirect")
    await add_de(acme.context(acme.child_mids[0]), name="Direct Read")
    conn = await asyncpg.connect(test_settings.app_database_url)
    try:
        assert await conn.fetchval("SELECT count(*) FROM mce_data_extensions") == 0
        assert await conn.fetchval("SELECT count(*) FROM mce_data_extension_fields") == 0
    finally:
        await conn.close()
