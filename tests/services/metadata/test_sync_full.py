"""A full sync of the seeded tenant: every folder, DE (with all its fields), query activity of
a BU, as the simulator holds them; the parent's shared DEs written in the parent's context and
read from a child as ``ENT.``; progress COMPLETE; the sync acted as the requester (audited)."""

from __future__ import annotations

import asyncpg
import pytest

from models import TenantContext
from services.metadata.assets import QuarryAssetKind, quarry_asset_name
from services.metadata.progress import SyncPhase, SyncState, current
from services.metadata.sync import SyncDeps, run_sync
from simulator.state import Simulator
from simulator.store_rules import FieldSpec
from tests.services.metadata.conftest import SignIn
from tests.services.metadata.helpers import (
    CACHED_FOLDER_TYPES,
    cache_de_truth,
    cached,
    cached_des,
    child_ctx,
    parent_and_children,
    sim_de_truth,
)
from tests.services.wallet.helpers import SimTenant

pytestmark = pytest.mark.usefixtures("db")


async def test_full_sync_of_the_parent_caches_what_mce_holds(
    sim: Simulator, sim_tenant: SimTenant, deps: SyncDeps, sign_in: SignIn,
    admin_conn: asyncpg.Connection,
) -> None:  # fmt: skip
    ada = await sign_in("ada.admin")
    parent, _ = parent_and_children(sim)
    ctx = sim_tenant.ctx(parent)

    result = await run_sync(
        deps, tenant_id=sim_tenant.tenant_id, mid=parent, user_id=ada.id, full=False
    )

    assert result["state"] == "COMPLETE" and result["full"] is True  # the first is full
    assert await cache_de_truth(ctx, parent) == sim_de_truth(sim, parent)
    folders = await cached(ctx, "SELECT folder_id, parent_folder_id, name, content_type,"
                           " children_loaded, is_shared FROM mce_folders")  # fmt: skip
    expected = {
        (f.id, f.parent_id, f.name, f.content_type)
        for f in sim.store.list_folders(parent)
        if f.content_type in CACHED_FOLDER_TYPES
    }
    assert {
        (r["folder_id"], r["parent_folder_id"], r["name"], r["content_type"]) for r in folders
    } == expected
    assert all(r["children_loaded"] for r in folders)
    assert {r["name"] for r in folders if r["is_shared"]} == {"Shared Data Extensions", "Global"}
    des = await cached_des(ctx)
    assert {n for n, r in des.items() if r["is_shared"]} == {
        "Shared Products",
        "Shared Suppression List",
    }
    shared_fields = await cached(ctx, "SELECT DISTINCT f.is_shared FROM mce_data_extension_fields f"
                                 " JOIN mce_data_extensions d ON d.id = f.data_extension_id"
                                 " WHERE d.is_shared")  # fmt: skip
    assert shared_fields == [{"is_shared": True}]
    subscribers = des["Subscribers"]
    assert subscribers["is_sendable"] and subscribers["sendable_field"] == "SubscriberKey"
    assert subscribers["fields_complete"] and subscribers["field_count"] > 0
    assert subscribers["mce_modified_at"] is not None and subscribers["mce_modified_at"].tzinfo
    queries = await cached(ctx, "SELECT customer_key, query_text, target_key, update_type"
                           " FROM mce_query_activities")  # fmt: skip
    assert {(q["customer_key"], q["query_text"], q["target_key"]) for q in queries} == {
        (q.customer_key, q.query_text, q.target_key) for q in sim.store.list_queries(parent)
    }

    progress = await current(ctx, parent)
    assert progress is not None
    assert (progress.state, progress.phase, progress.full) == (
        SyncState.COMPLETE,
        SyncPhase.DONE,
        True,
    )
    assert progress.data_extensions_done == len(sim.store.list_des(parent))
    assert progress.data_extensions_total == progress.data_extensions_done
    assert progress.folders_total == len(folders)
    assert progress.query_activities_total == len(queries)
    assert progress.fields_done == sum(len(d.fields) for d in sim.store.list_des(parent))
    assert progress.started_at is not None and progress.finished_at is not None
    assert progress.shared is None  # the parent has no parent

    audit = await admin_conn.fetch(
        "SELECT actor_id, outcome, details FROM audit_events WHERE tenant_id = $1"
        " AND action = 'metadata.synced'", sim_tenant.tenant_id,
    )  # fmt: skip
    assert [(r["actor_id"], r["outcome"]) for r in audit] == [(str(ada.id), "success")]


async def test_a_child_sync_caches_its_own_des_and_the_parents_shared_ones_in_the_parents_context(
    sim: Simulator, sim_tenant: SimTenant, deps: SyncDeps, sign_in: SignIn
) -> None:
    ada = await sign_in("ada.admin")
    parent, children = parent_and_children(sim)
    child = children[0]

    result = await run_sync(
        deps, tenant_id=sim_tenant.tenant_id, mid=child, user_id=ada.id, full=True
    )

    assert result["state"] == "COMPLETE" and result["shared"] == "COMPLETE"
    ctx = child_ctx(sim_tenant, child, parent)
    assert await cache_de_truth(ctx, child) == sim_de_truth(sim, child)
    des = await cached_des(ctx)
    # From the child: its own DEs plus the parent's shared ones; nothing private of the parent.
    assert {n for n in des if n.startswith("ENT.")} == {
        "ENT.Shared Products",
        "ENT.Shared Suppression List",
    }
    assert {r["mid"] for n, r in des.items() if n.startswith("ENT.")} == {parent}
    parent_only = await cached(
        sim_tenant.ctx(parent), "SELECT name, is_shared FROM mce_data_extensions"
    )
    assert {r["name"] for r in parent_only} == {"Shared Products", "Shared Suppression List"}
    assert all(r["is_shared"] for r in parent_only)  # the shared sync wrote nothing private

    progress = await current(TenantContext(tenant_id=sim_tenant.tenant_id, mid=child), child)
    assert progress is not None and progress.state is SyncState.COMPLETE
    assert progress.shared is not None
    assert progress.shared.state is SyncState.COMPLETE and progress.shared.synced_at is not None


async def test_a_second_sync_with_nothing_changed_changes_nothing(
    sim: Simulator, sim_tenant: SimTenant, deps: SyncDeps, sign_in: SignIn
) -> None:
    ada = await sign_in("ada.admin")
    _, children = parent_and_children(sim)
    child = children[1]
    ctx = sim_tenant.ctx(child)
    await run_sync(deps, tenant_id=sim_tenant.tenant_id, mid=child, user_id=ada.id, full=True)
    snapshot = "SELECT id, customer_key, name, field_count FROM mce_data_extensions ORDER BY id"
    before = await cached(ctx, snapshot)
    fields_before = await cached(
        ctx, "SELECT count(*) AS n FROM mce_data_extension_fields WHERE mid = $1", child
    )

    again = await run_sync(
        deps, tenant_id=sim_tenant.tenant_id, mid=child, user_id=ada.id, full=True
    )
    incremental = await run_sync(
        deps, tenant_id=sim_tenant.tenant_id, mid=child, user_id=ada.id, full=False
    )

    assert again["state"] == incremental["state"] == "COMPLETE"
    assert incremental["full"] is False
    assert await cached(ctx, snapshot) == before  # same rows, same ids: idempotent
    assert (
        await cached(
            ctx, "SELECT count(*) AS n FROM mce_data_extension_fields WHERE mid = $1", child
        )
        == fields_before
    )


async def test_quarry_assets_and_other_tools_leftovers_are_flagged(
    sim: Simulator, sim_tenant: SimTenant, deps: SyncDeps, sign_in: SignIn
) -> None:
    ada = await sign_in("ada.admin")
    _, children = parent_and_children(sim)
    mid = children[0]
    root = sim.store.root_folder(mid, "dataextension")
    assert root is not None
    fields = [FieldSpec(name="Id", field_type="Number")]
    shell = quarry_asset_name(QuarryAssetKind.SHELL_DE, "run1")
    sim.store.create_de(mid=mid, name=shell, customer_key=shell, folder_id=root.id, fields=fields)
    sim.store.create_de(
        mid=mid, name="QueryStudioResults at 2024-05-01 10:00", customer_key="qs_1",
        folder_id=root.id, fields=fields,
    )  # fmt: skip

    await run_sync(deps, tenant_id=sim_tenant.tenant_id, mid=mid, user_id=ada.id, full=True)

    flags = {
        r["name"]: (r["is_quarry_asset"], r["is_foreign_leftover"])
        for r in (await cached_des(sim_tenant.ctx(mid))).values()
    }
    assert flags[shell] == (True, False)
    assert flags["QueryStudioResults at 2024-05-01 10:00"] == (False, True)
    assert flags["Orders"] == (False, False)
