"""A full sync of the simulator's ``--scale large`` BU (10,008 DEs, 150,043 fields), then an
incremental one after 50 DEs changed: everything cached, in few calls."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from client.soap import DataExtensionChanges
from services.mce_bridges import bridge_for_user
from services.metadata.sync import SyncDeps, run_sync
from simulator.state import Simulator
from tests.services.metadata.conftest import SignIn
from tests.services.metadata.helpers import cached
from tests.services.wallet.helpers import SimControl, SimTenant
from tests.simulator.conftest import make_sim

pytestmark = [pytest.mark.usefixtures("db"), pytest.mark.slow]


@pytest.fixture
def sim() -> Iterator[Simulator]:
    simulator = make_sim(scale="large", with_rows=False)
    yield simulator
    simulator.close()


async def test_a_large_bu_syncs_fully_then_incrementally(
    sim: Simulator, sim_tenant: SimTenant, deps: SyncDeps, sign_in: SignIn, simctl: SimControl
) -> None:
    ada = await sign_in("ada.admin")
    parent = sim.store.enterprise.eid
    ctx = sim_tenant.ctx(parent)
    des = sim.store.list_des(parent)
    assert (len(des), sum(len(d.fields) for d in des)) == (10_008, 150_043)

    full = await run_sync(
        deps, tenant_id=sim_tenant.tenant_id, mid=parent, user_id=ada.id, full=False
    )

    assert full["state"] == "COMPLETE"
    [counts] = await cached(
        ctx,
        "SELECT (SELECT count(*) FROM mce_data_extensions WHERE fields_complete) AS des,"
        " (SELECT count(*) FROM mce_data_extension_fields) AS fields,"
        " (SELECT count(*) FROM mce_folders) AS folders",
    )
    assert (counts["des"], counts["fields"]) == (10_008, 150_043)
    assert counts["folders"] >= 100

    bridge = await bridge_for_user(
        ctx, user_id=ada.id, mid=parent, http=deps.http, tokens=deps.tokens, policy=deps.policy
    )
    for n in range(50):
        await bridge.soap.update_data_extension(
            DataExtensionChanges(customer_key=f"bulk_{n:05d}", description=f"changed {n}")
        )
    await simctl.http.delete("__sim/stats")

    incremental = await run_sync(
        deps, tenant_id=sim_tenant.tenant_id, mid=parent, user_id=ada.id, full=False
    )

    assert incremental["state"] == "COMPLETE" and incremental["full"] is False
    assert incremental["data_extensions_done"] == 50
    calls = (await simctl.http.get("__sim/stats")).json()["by_mid"][str(parent)]
    assert sum(calls.values()) <= 15, calls
    changed = await cached(
        ctx, "SELECT count(*) AS n FROM mce_data_extensions WHERE description LIKE 'changed %'"
    )
    assert changed == [{"n": 50}]
