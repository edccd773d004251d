"""Lazy loading of a folder and of a DE before any sync; the parent's shared DEs seen from a
child whose user cannot reach the parent (never synced, and why), then synced by someone who
can."""

from __future__ import annotations

import asyncpg
import pytest

from models import BackgroundState, BusinessUnit, TenantRepository, WaitingWork
from services.metadata.lazy import LazyDeps
from services.metadata.progress import SyncState, current
from services.metadata.sync import (
    JOB_SHARED,
    SyncDeps,
    ensure_data_extension,
    ensure_folder_children,
    run_shared_sync,
    run_sync,
)
from simulator.state import Simulator
from tests.services.metadata.conftest import SignIn
from tests.services.metadata.helpers import cached, cached_des, child_ctx, parent_and_children
from tests.services.wallet.helpers import SimControl, SimTenant

pytestmark = pytest.mark.usefixtures("db")


def _lazy(deps: SyncDeps) -> LazyDeps:
    return LazyDeps(http=deps.http, tokens=deps.tokens, policy=deps.policy)


async def _total_calls(simctl: SimControl) -> int:
    return int((await simctl.http.get("__sim/stats")).json()["total"])


async def test_an_unloaded_folder_is_fetched_on_demand_once(
    sim: Simulator, sim_tenant: SimTenant, deps: SyncDeps, sign_in: SignIn, simctl: SimControl
) -> None:
    ada = await sign_in("ada.admin")
    _, children = parent_and_children(sim)
    mid = children[0]
    ctx = sim_tenant.ctx(mid)
    customers = next(f for f in sim.store.list_folders(mid) if f.name == "Customers")

    assert await ensure_folder_children(ctx, mid=mid, folder_id=0, user_id=ada.id, deps=_lazy(deps))
    roots = await cached(ctx, "SELECT name, content_type, children_loaded FROM mce_folders")
    assert {r["name"] for r in roots} == {
        f.name for f in sim.store.list_folders(mid) if f.parent_id == 0
        and f.content_type in ("dataextension", "queryactivity")
    }  # fmt: skip
    assert not any(r["children_loaded"] for r in roots)
    de_root = sim.store.root_folder(mid, "dataextension")
    assert de_root is not None
    assert await ensure_folder_children(
        ctx, mid=mid, folder_id=de_root.id, user_id=ada.id, deps=_lazy(deps)
    )

    assert await ensure_folder_children(
        ctx, mid=mid, folder_id=customers.id, user_id=ada.id, deps=_lazy(deps)
    )
    des = await cached_des(ctx)
    expected = {
        d.name for d in sim.store.list_des(mid) if d.folder_id in (customers.id, de_root.id)
    }
    assert set(des) == expected and expected
    for name in expected:
        de = sim.store.get_de(mid, name=name)
        assert de is not None and des[name]["field_count"] == len(de.fields)
        assert des[name]["fields_complete"]
    [loaded] = await cached(
        ctx, "SELECT children_loaded FROM mce_folders WHERE folder_id = $1", customers.id
    )
    assert loaded["children_loaded"]

    before = await _total_calls(simctl)
    assert not await ensure_folder_children(
        ctx, mid=mid, folder_id=customers.id, user_id=ada.id, deps=_lazy(deps)
    )
    assert await _total_calls(simctl) == before  # loaded: no MCE call


async def test_an_uncached_de_is_fetched_with_its_fields(
    sim: Simulator, sim_tenant: SimTenant, deps: SyncDeps, sign_in: SignIn
) -> None:
    ada = await sign_in("ada.admin")
    _, children = parent_and_children(sim)
    mid = children[1]
    ctx = sim_tenant.ctx(mid)

    by_key = await ensure_data_extension(
        ctx, mid=mid, key="ORDERS", user_id=ada.id, deps=_lazy(deps)
    )
    by_name = await ensure_data_extension(
        ctx, mid=mid, name="orders", user_id=ada.id, deps=_lazy(deps)
    )
    missing = await ensure_data_extension(
        ctx, mid=mid, key="no_such_de", user_id=ada.id, deps=_lazy(deps)
    )
    shared = await ensure_data_extension(
        ctx, mid=mid, name="ENT.Shared Products", user_id=ada.id, deps=_lazy(deps)
    )

    assert by_key is not None and by_key == by_name
    assert missing is None
    assert shared is None  # a child's token does not list the parent's shared DEs
    fields = await cached(
        ctx,
        "SELECT name FROM mce_data_extension_fields WHERE data_extension_id = $1 ORDER BY ordinal",
        by_key,
    )
    orders = sim.store.get_de(mid, customer_key="orders")
    assert orders is not None
    assert [f["name"] for f in fields] == [
        f.name for f in sorted(orders.fields, key=lambda f: f.ordinal)
    ]


async def test_a_child_user_without_parent_access_sees_why_shared_des_are_missing(
    sim: Simulator, sim_tenant: SimTenant, deps: SyncDeps, sign_in: SignIn,
    admin_conn: asyncpg.Connection,
) -> None:  # fmt: skip
    mia = await sign_in("mia.marketer")  # reaches the US and EU BUs, not the parent
    parent, _ = parent_and_children(sim)
    us = next(m for m, bu in sim.store.business_units.items() if bu.name.endswith("Marketing US"))
    ctx = child_ctx(sim_tenant, us, parent)

    result = await run_sync(
        deps, tenant_id=sim_tenant.tenant_id, mid=us, user_id=mia.id, full=False
    )

    assert result["state"] == "COMPLETE" and result["shared"] == "NEEDS_SIGN_IN"
    progress = await current(ctx, us)
    assert progress is not None and progress.state is SyncState.COMPLETE
    assert progress.shared is not None
    assert (progress.shared.state, progress.shared.reason) == (
        SyncState.NEEDS_SIGN_IN,
        "no_usable_member",
    )
    assert "sign in" in progress.shared.message.lower()
    assert progress.shared.synced_at is None
    assert not [n for n in await cached_des(ctx) if n.startswith("ENT.")]
    repo = TenantRepository(sim_tenant.ctx(parent))
    bu = await repo.of(BusinessUnit).get_or_none(mid=parent)
    assert bu is not None and bu.background_state is BackgroundState.NEEDS_SIGN_IN
    [waiting] = await repo.of(WaitingWork).list()
    assert (waiting.job, waiting.args) == (JOB_SHARED, [sim_tenant.tenant_id, parent])

    # Someone who can reach the parent signs in; the waiting shared sync runs as them.
    ada = await sign_in("ada.admin")
    shared = await run_shared_sync(
        deps, tenant_id=sim_tenant.tenant_id, parent_mid=parent, user_id=None
    )

    assert shared["state"] == "COMPLETE"
    assert {n for n in await cached_des(ctx) if n.startswith("ENT.")} == {
        "ENT.Shared Products", "ENT.Shared Suppression List",
    }  # fmt: skip
    progress = await current(ctx, us)
    assert progress is not None and progress.shared is not None
    assert progress.shared.state is SyncState.COMPLETE and progress.shared.synced_at is not None
    actors = await admin_conn.fetch(
        "SELECT actor_id, mid, details::jsonb ->> 'scope' AS scope FROM audit_events"
        " WHERE tenant_id = $1 AND action = 'metadata.synced' AND outcome = 'success' ORDER BY id",
        sim_tenant.tenant_id,
    )
    assert [(r["actor_id"], r["mid"], r["scope"]) for r in actors] == [
        (str(mia.id), us, "own"),
        (str(ada.id), parent, "shared"),
    ]


async def test_a_child_sync_acts_for_the_parent_as_someone_who_can_reach_it(
    sim: Simulator, sim_tenant: SimTenant, deps: SyncDeps, sign_in: SignIn,
    admin_conn: asyncpg.Connection,
) -> None:  # fmt: skip
    ada = await sign_in("ada.admin")
    mia = await sign_in("mia.marketer")
    parent, _ = parent_and_children(sim)
    eu = next(m for m, bu in sim.store.business_units.items() if bu.name.endswith("Marketing EU"))

    result = await run_sync(
        deps, tenant_id=sim_tenant.tenant_id, mid=eu, user_id=mia.id, full=False
    )

    assert result["shared"] == "COMPLETE"
    rows = await admin_conn.fetch(
        "SELECT actor_id, mid FROM audit_events WHERE tenant_id = $1"
        " AND action = 'metadata.synced' ORDER BY id", sim_tenant.tenant_id,
    )  # fmt: skip
    assert [(r["actor_id"], r["mid"]) for r in rows] == [(str(mia.id), eu), (str(ada.id), parent)]
