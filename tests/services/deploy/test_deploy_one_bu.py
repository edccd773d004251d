"""One BU: a target DE created then the activity; Overwrite, Append and Update checked by
running the deployed activity in MCE (SOAP Perform) and reading the target's rows; Update
without a key refused; re-deploying updates the same activity in place."""

from __future__ import annotations

import pytest

from models.deployments import DeploymentStatus, TargetStatus, UpdateType
from services.deploy.request import TargetSpec
from services.deploy.store import targets_of
from services.errors import InvalidInput
from services.metadata import queries
from simulator.state import Simulator
from tests.services.deploy.engine import (
    Deployer,
    children,
    finding_codes,
    only,
    sim_des,
    sim_queries,
)

pytestmark = pytest.mark.usefixtures("db")

TOP_ORDERS = (
    "SELECT TOP 5 OrderID, SubscriberKey, Amount FROM Orders WHERE Status = 'Shipped'"
    " ORDER BY OrderID"
)


async def test_a_new_target_then_its_activity_and_overwrite_runs_in_mce(
    deployer: Deployer, sim: Simulator
) -> None:
    mid = deployer.member.mid
    request = deployer.request(
        key="dep_top_orders",
        name="Top shipped orders",
        sql=TOP_ORDERS,
        target=TargetSpec(
            key="top_orders", name="Top Orders", create=True, primary_key=("OrderID",),
            folder_path=("Sales", "Deployed"),
        ),
        folder_path=("Daily", "Deployed"),
        create_missing=True,
    )  # fmt: skip
    outcome = await deployer.deploy(request)
    assert outcome.deployment is not None and outcome.code is None
    assert "TARGET_WILL_BE_CREATED" in finding_codes(outcome)[mid]
    assert outcome.deployment.status is DeploymentStatus.PENDING
    result = await deployer.run(outcome)
    assert result["outcome"] == "SUCCEEDED", result

    de = only(sim_des(sim, mid, "top_orders"))
    assert de.name == "Top Orders"
    assert [f.name for f in de.fields] == ["OrderID", "SubscriberKey", "Amount"]
    assert [f.is_primary_key for f in de.fields] == [True, False, False]
    folder = sim.store.get_folder(de.folder_id, mid=mid)
    assert folder is not None and folder.name == "Deployed"
    query = only(sim_queries(sim, mid, "dep_top_orders"))
    assert query.target_key == "top_orders" and query.target_update_type == "Overwrite"
    query_folder = sim.store.get_folder(query.folder_id, mid=mid)
    assert query_folder is not None and query_folder.name == "Deployed"

    [target] = (await targets_of(outcome.deployment)).values()
    assert target.status is TargetStatus.SUCCEEDED
    assert target.target_created and target.activity_created
    assert target.activity_object_id == query.object_id
    assert target.target_object_id == de.object_id

    cached = await queries.data_extension_by_key(deployer.ctx, "top_orders")
    assert cached is not None and cached.object_id == de.object_id  # the next check knows it

    await deployer.perform(mid, query.object_id)
    rows = await deployer.rows(mid, "top_orders")
    assert len(rows) == 5
    assert all(isinstance(row["OrderID"], int) for row in rows)
    await deployer.perform(mid, query.object_id)  # Overwrite: the same five, not ten
    assert len(await deployer.rows(mid, "top_orders")) == 5


async def test_append_adds_and_update_upserts_by_key(deployer: Deployer, sim: Simulator) -> None:
    mid = deployer.member.mid
    target = TargetSpec(key="order_totals", create=True, primary_key=("OrderID",))
    append = deployer.request(
        key="dep_totals", sql="SELECT TOP 3 OrderID, Amount FROM Orders ORDER BY OrderID",
        target=target, update_type=UpdateType.APPEND, idempotency_key="append-1",
    )  # fmt: skip
    first = await deployer.deploy(append)
    assert (await deployer.run(first))["outcome"] == "SUCCEEDED"
    query = only(sim_queries(sim, mid, "dep_totals"))
    assert query.target_update_type == "Append"
    await deployer.perform(mid, query.object_id)
    assert len(await deployer.rows(mid, "order_totals")) == 3

    wider = deployer.request(
        key="dep_totals",
        sql="SELECT TOP 5 OrderID, Amount * 2 AS Amount FROM Orders ORDER BY OrderID",
        target=TargetSpec(key="order_totals"), update_type=UpdateType.UPDATE,
        idempotency_key="update-1",
    )  # fmt: skip
    second = await deployer.deploy(wider)
    assert (await deployer.run(second))["outcome"] == "SUCCEEDED"
    same = only(sim_queries(sim, mid, "dep_totals"))
    assert same.object_id == query.object_id  # updated in place
    assert same.target_update_type == "Update"
    await deployer.perform(mid, query.object_id)
    rows = {row["OrderID"]: row["Amount"] for row in await deployer.rows(mid, "order_totals")}
    assert len(rows) == 5  # three updated, two inserted
    originals = {
        row["OrderID"]: row["Amount"] for row in await deployer.rows(mid, "Orders")
        if row["OrderID"] in rows
    }  # fmt: skip
    assert all(rows[k] == originals[k] * 2 for k in rows)


async def test_update_into_a_target_without_a_key_is_refused_before_anything(
    deployer: Deployer, sim: Simulator
) -> None:
    mid = deployer.member.mid
    before = len(sim.store.list_queries(mid))
    outcome = await deployer.deploy(
        deployer.request(
            sql="SELECT TextCol, NumberCol FROM [All Types]",
            target=TargetSpec(key="all_types"),
            update_type=UpdateType.UPDATE,
            idempotency_key="no-key",
        )
    )
    assert outcome.deployment is None and outcome.code == "PREFLIGHT_FAILED"
    assert "UPDATE_WITHOUT_PRIMARY_KEY" in finding_codes(outcome)[mid]
    assert len(sim.store.list_queries(mid)) == before
    with pytest.raises(InvalidInput) as refused:
        await deployer.deploy(
            deployer.request(
                update_type=UpdateType.UPDATE,
                idempotency_key="no-key-2",
                target=TargetSpec(key="new_one", create=True),
            )
        )
    assert refused.value.field == "target.primaryKey"


async def test_warnings_need_acknowledging(deployer: Deployer, sim: Simulator) -> None:
    child = children(sim)[0]
    request = deployer.request(
        sql="SELECT FirstName AS SubscriberKey, EmailAddress FROM Subscribers",
        mids=(child,), acknowledge_warnings=False, idempotency_key="warn-1",
        target=TargetSpec(key="active_subscribers"),
    )  # fmt: skip
    outcome = await deployer.deploy(request)
    if outcome.code is None:
        pytest.fail(f"expected warnings, got {finding_codes(outcome)}")
    assert outcome.code == "WARNINGS_NOT_ACKNOWLEDGED" and outcome.deployment is None
    acknowledged = await deployer.deploy(
        deployer.request(
            sql=request.sql,
            mids=(child,),
            idempotency_key="warn-1",
            target=request.target,
        )
    )
    assert acknowledged.deployment is not None
