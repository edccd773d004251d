"""Incremental sync after MCE changed (through its SOAP API, as the user would), MCE failing
mid-sync for one BU and the sync after it, and two syncs of one BU at once."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import pytest

from client.bridge import MceBridge
from client.soap import FieldSpec, NewDataExtension, NewQueryDefinition, QueryDefinitionChanges
from services.mce_bridges import bridge_for_user
from services.metadata import steps
from services.metadata.progress import SyncState, current
from services.metadata.sync import SyncDeps, run_sync
from simulator.state import Simulator
from simulator.store_rules import FieldSpec as SimFieldSpec
from tests.services.metadata.conftest import SignIn
from tests.services.metadata.helpers import (
    cache_de_truth,
    cached,
    cached_des,
    parent_and_children,
    sim_de_truth,
)
from tests.services.wallet.helpers import SimControl, SimTenant

pytestmark = pytest.mark.usefixtures("db")

CHANGED_SQL = "SELECT SubscriberKey, EmailAddress FROM Subscribers WHERE OptIn = 0"


async def _bridge(sim_tenant: SimTenant, deps: SyncDeps, user_id: Any, mid: int) -> MceBridge:
    return await bridge_for_user(
        sim_tenant.ctx(mid), user_id=user_id, mid=mid, http=deps.http, tokens=deps.tokens,
        policy=deps.policy,
    )  # fmt: skip


async def _calls(simctl: SimControl, mid: int) -> dict[str, int]:
    by_mid: dict[str, dict[str, int]] = (await simctl.http.get("__sim/stats")).json()["by_mid"]
    return by_mid.get(str(mid), {})


async def _change_mce(bridge: MceBridge, sim: Simulator, mid: int) -> None:
    """Add a DE, add a field to one, delete one; add, change and delete query activities."""
    folder = sim.store.root_folder(mid, "dataextension")
    assert folder is not None
    await bridge.soap.create_data_extension(
        NewDataExtension(
            customer_key="new_de", name="New Arrivals", category_id=folder.id,
            fields=[FieldSpec(name="Id", field_type="Number", is_primary_key=True,
                              is_required=True),
                    FieldSpec(name="Amount", field_type="Decimal", precision=12, scale=2)],
        )
    )  # fmt: skip
    await bridge.soap.create_fields(
        "orders", [FieldSpec(name="Coupon", field_type="Text", max_length=20)]
    )
    await bridge.soap.delete_data_extension("web_events_2024")
    await bridge.soap.update_query_definition(
        QueryDefinitionChanges(customer_key="refresh_active_subscribers", query_text=CHANGED_SQL)
    )
    await bridge.soap.create_query_definition(
        NewQueryDefinition(
            customer_key="nightly_orders", name="Nightly Orders", query_text=CHANGED_SQL,
            target_key="active_subscribers", target_name="Active Subscribers",
        )
    )  # fmt: skip


async def test_incremental_sync_fetches_only_what_changed_and_removes_what_was_deleted(
    sim: Simulator, sim_tenant: SimTenant, deps: SyncDeps, sign_in: SignIn, simctl: SimControl
) -> None:
    ada = await sign_in("ada.admin")
    _, children = parent_and_children(sim)
    mid = children[0]
    ctx = sim_tenant.ctx(mid)
    await run_sync(deps, tenant_id=sim_tenant.tenant_id, mid=mid, user_id=ada.id, full=True)
    bridge = await _bridge(sim_tenant, deps, ada.id, mid)
    await _change_mce(bridge, sim, mid)
    gone = next(q for q in sim.store.list_queries(mid) if q.customer_key == "nightly_orders")
    await bridge.soap.delete_query_definition(gone.object_id)
    await simctl.http.delete("__sim/stats")

    result = await run_sync(
        deps, tenant_id=sim_tenant.tenant_id, mid=mid, user_id=ada.id, full=False
    )

    assert result["state"] == "COMPLETE" and result["full"] is False
    assert await cache_de_truth(ctx, mid) == sim_de_truth(sim, mid)
    des = await cached_des(ctx)
    assert "Web Events 2024" not in des and "New Arrivals" in des
    orphans = await cached(
        ctx,
        "SELECT count(*) AS n FROM mce_data_extension_fields f WHERE NOT EXISTS"
        " (SELECT 1 FROM mce_data_extensions d WHERE d.id = f.data_extension_id)",
    )
    assert orphans == [{"n": 0}]  # a deleted DE's fields went with it
    assert des["Orders"]["field_count"] == len(sim.store.get_de(mid, customer_key="orders").fields)  # type: ignore[union-attr]
    amount = await cached(ctx, "SELECT f.precision, f.scale, f.max_length"
                          " FROM mce_data_extension_fields f JOIN mce_data_extensions d"
                          " ON d.id = f.data_extension_id WHERE d.customer_key = 'new_de'"
                          " AND f.name = 'Amount'")  # fmt: skip
    assert amount == [{"precision": 12, "scale": 2, "max_length": None}]
    queries = {
        q["customer_key"]: q["query_text"]
        for q in await cached(ctx, "SELECT customer_key, query_text FROM mce_query_activities")
    }
    assert queries == {q.customer_key: q.query_text for q in sim.store.list_queries(mid)}
    assert queries["refresh_active_subscribers"] == CHANGED_SQL
    # Only the changed DEs came with their fields: 2 DEs (New Arrivals, Orders), one IN call.
    calls = await _calls(simctl, mid)
    assert calls["soap.Retrieve.DataExtensionField"] == 1
    assert calls["soap.Retrieve.DataExtension"] == 2  # modified since + the key listing
    assert result["data_extensions_done"] == 2
    assert sum(calls.values()) <= 8


async def test_mce_failing_mid_sync_deletes_nothing_unconfirmed_and_the_next_sync_completes(
    sim: Simulator, sim_tenant: SimTenant, deps: SyncDeps, sign_in: SignIn, simctl: SimControl
) -> None:
    ada = await sign_in("ada.admin")
    _, children = parent_and_children(sim)
    mid, other = children[0], children[1]
    ctx = sim_tenant.ctx(mid)
    await run_sync(deps, tenant_id=sim_tenant.tenant_id, mid=mid, user_id=ada.id, full=True)
    bridge = await _bridge(sim_tenant, deps, ada.id, mid)
    await _change_mce(bridge, sim, mid)
    # MCE fails every field retrieve of this BU (more times than the client retries).
    await simctl.control("faults", {"operation": "soap.Retrieve.DataExtensionField",
                                    "kind": "error", "mid": mid, "times": 20})  # fmt: skip

    failed = await run_sync(
        deps, tenant_id=sim_tenant.tenant_id, mid=mid, user_id=ada.id, full=False
    )
    other_bu = await run_sync(
        deps, tenant_id=sim_tenant.tenant_id, mid=other, user_id=ada.id, full=True
    )

    assert failed["state"] == "FAILED" and other_bu["state"] == "COMPLETE"  # only that BU failed
    progress = await current(ctx, mid)
    assert progress is not None and progress.state is SyncState.FAILED and progress.message
    des = await cached_des(ctx)
    assert "Web Events 2024" in des  # its deletion was never confirmed by a complete listing
    assert "New Arrivals" not in des  # never visible without its fields
    assert all(r["fields_complete"] for r in des.values())

    await simctl.http.delete("__sim/faults")
    done = await run_sync(deps, tenant_id=sim_tenant.tenant_id, mid=mid, user_id=ada.id, full=False)

    assert done["state"] == "COMPLETE" and done["full"] is False
    assert await cache_de_truth(ctx, mid) == sim_de_truth(sim, mid)
    progress = await current(ctx, mid)
    assert progress is not None and progress.state is SyncState.COMPLETE and progress.message == ""


async def test_a_first_full_sync_failing_on_query_activities_keeps_what_it_wrote_whole(
    sim: Simulator, sim_tenant: SimTenant, deps: SyncDeps, sign_in: SignIn, simctl: SimControl
) -> None:
    ada = await sign_in("ada.admin")
    _, children = parent_and_children(sim)
    mid = children[2]
    ctx = sim_tenant.ctx(mid)
    await simctl.control("faults", {"operation": "soap.Retrieve.QueryDefinition",
                                    "kind": "error", "mid": mid, "times": 20})  # fmt: skip

    failed = await run_sync(
        deps, tenant_id=sim_tenant.tenant_id, mid=mid, user_id=ada.id, full=False
    )

    assert failed["state"] == "FAILED"
    assert await cache_de_truth(ctx, mid) == sim_de_truth(sim, mid)  # DEs came before
    assert await cached(ctx, "SELECT id FROM mce_query_activities") == []
    await simctl.http.delete("__sim/faults")
    retried = await run_sync(
        deps, tenant_id=sim_tenant.tenant_id, mid=mid, user_id=ada.id, full=False
    )
    assert retried["state"] == "COMPLETE" and retried["full"] is True  # never completed: full
    assert len(await cached(ctx, "SELECT id FROM mce_query_activities")) == len(
        sim.store.list_queries(mid)
    )


async def test_two_syncs_of_one_bu_at_once_run_once(
    sim: Simulator, sim_tenant: SimTenant, deps: SyncDeps, sign_in: SignIn, simctl: SimControl
) -> None:
    ada = await sign_in("ada.admin")
    parent, _ = parent_and_children(sim)
    await simctl.latency(30, "soap.*")  # long enough for the two to overlap

    first, second = await asyncio.gather(
        run_sync(deps, tenant_id=sim_tenant.tenant_id, mid=parent, user_id=ada.id, full=True),
        run_sync(deps, tenant_id=sim_tenant.tenant_id, mid=parent, user_id=ada.id, full=True),
    )

    results = sorted([first, second], key=lambda r: "joined" in r)
    assert results[0]["state"] == "COMPLETE" and results[1] == {"mid": parent, "joined": True}
    calls = await _calls(simctl, parent)
    assert calls["soap.Retrieve.DataFolder"] == 1  # one sync's calls, not two
    assert await cache_de_truth(sim_tenant.ctx(parent), parent) == sim_de_truth(sim, parent)


async def test_des_missed_by_modified_dates_are_found_by_the_key_listing(
    sim: Simulator, sim_tenant: SimTenant, deps: SyncDeps, sign_in: SignIn,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """A DE whose ModifiedDate lies before the cursor (restored, moved in from elsewhere) is
    listed by key and fetched; beyond the one-by-one limit the next sync is full."""
    ada = await sign_in("ada.admin")
    _, children = parent_and_children(sim)
    mid = children[1]
    ctx = sim_tenant.ctx(mid)
    await run_sync(deps, tenant_id=sim_tenant.tenant_id, mid=mid, user_id=ada.id, full=True)
    root = sim.store.root_folder(mid, "dataextension")
    assert root is not None
    for key in ("old_one", "old_two"):
        de = sim.store.create_de(
            mid=mid, name=key.title(), customer_key=key, folder_id=root.id,
            fields=[SimFieldSpec(name="Id", field_type="Number")],
        )  # fmt: skip
        de.modified_date = datetime(2001, 1, 1)
    monkeypatch.setattr(steps, "MAX_MISSING", 1)

    first = await run_sync(
        deps, tenant_id=sim_tenant.tenant_id, mid=mid, user_id=ada.id, full=False
    )
    second = await run_sync(
        deps, tenant_id=sim_tenant.tenant_id, mid=mid, user_id=ada.id, full=False
    )

    assert first["full"] is False and first["data_extensions_done"] == 1  # one by one: 1
    assert second["full"] is True  # too many were missing: a full sync caught up
    assert {"Old_One", "Old_Two"} <= set(await cached_des(ctx))
    assert await cache_de_truth(ctx, mid) == sim_de_truth(sim, mid)
