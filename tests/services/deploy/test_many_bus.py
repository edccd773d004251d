"""Many BUs (the simulator's ``extra_child_bus`` seed option): a deployment to five BUs with a
tenant limit of two BUs at once never has more than two in progress, each BU acts with its own
token, and every step is audited as the deploying user."""

from __future__ import annotations

from collections.abc import Iterator

import asyncpg
import pytest

from services.deploy import progress
from services.deploy.config import DeployConfig
from simulator.state import Simulator
from tests.services.deploy.engine import Deployer, children, sim_queries
from tests.services.wallet.helpers import audit_actions
from tests.simulator.conftest import make_sim

pytestmark = pytest.mark.usefixtures("db")


@pytest.fixture
def sim() -> Iterator[Simulator]:
    simulator = make_sim(extra_child_bus=3)
    yield simulator
    simulator.close()


async def test_five_bus_two_at_a_time_each_with_its_own_token(
    deployer: Deployer, sim: Simulator, admin_conn: asyncpg.Connection
) -> None:
    mids = tuple(children(sim)[1:6])  # two seeded children and the three Region ones
    assert len(mids) == 5
    deployer.config = DeployConfig(bu_concurrency=2)
    outcome = await deployer.deploy(deployer.request(mids=mids))
    await deployer.simctl.latency(30, "*")  # the job's calls take time, so BUs would overlap
    before = (await deployer.simctl.http.get("__sim/stats")).json()["by_mid"]
    result = await deployer.run(outcome)
    await deployer.simctl.latency(0, "*")
    assert result == {"outcome": "SUCCEEDED", "succeeded": 5, "failed": 0, "drifted": 0}
    assert outcome.deployment is not None

    open_bus: set[int] = set()
    most = 0
    async for _cursor, event in progress.replay_and_follow(
        deployer.redis, outcome.deployment.id, after=None
    ):
        if event["kind"] != "BU":
            continue
        if event["step"] == "FOLDER" and event["status"] == "STARTED":
            open_bus.add(event["mid"])
        if event["step"] == "DONE":
            open_bus.discard(event["mid"])
        most = max(most, len(open_bus))
    assert most == 2  # in parallel, never beyond the tenant's limit

    after = (await deployer.simctl.http.get("__sim/stats")).json()["by_mid"]
    for mid in mids:
        was, now = before.get(str(mid), {}), after.get(str(mid), {})
        calls = {op: now[op] - was.get(op, 0) for op in now if now[op] > was.get(op, 0)}
        assert calls == {  # each BU's calls signed with that BU's token
            "soap.Retrieve.DataFolder": 1,
            "soap.Retrieve.DataExtension": 1,
            "rest.queries.validate": 1,
            "rest.queries.list": 1,
            "rest.queries.create": 1,
        }, (mid, calls)
        assert len(sim_queries(sim, mid, "dep_opted_in")) == 1

    tenant_id = deployer.member.tenant_id
    requested = await audit_actions(admin_conn, tenant_id, "deployment.requested")
    assert len(requested) == 1 and requested[0]["mid"] == deployer.member.mid
    per_bu = await audit_actions(admin_conn, tenant_id, "deployment.business_unit")
    assert sorted(row["mid"] for row in per_bu) == sorted(mids)
    assert {row["outcome"] for row in per_bu} == {"success"}
    details = [row["details"] for row in per_bu]
    assert all("acting_for" in str(d) and "token" not in str(d) for d in details)
    finished = await audit_actions(admin_conn, tenant_id, "deployment.finished")
    assert [row["outcome"] for row in finished] == ["success"]
