"""Drift after an edit through MCE's SOAP API, then forced; rollback; idempotent retries (the
same key twice, a lost create answer); MCE failing between the DE and the activity (the
orphan reported, reused on retry, deletable); automation with a schedule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from client.soap.specs import QueryDefinitionChanges
from models.deployments import DeploymentStatus, TargetStatus
from services.deploy.request import AutomationSpec, ScheduleSpec, TargetSpec
from services.deploy.service import (
    DeployConflict,
    delete_orphaned_data_extension,
    retry_deployment,
    rollback_deployment,
)
from services.deploy.store import targets_of
from services.errors import InvalidInput
from simulator.state import Simulator
from tests.services.deploy.engine import OPTED_IN, Deployer, only, sim_des, sim_queries

pytestmark = pytest.mark.usefixtures("db")

ALL_OPTED = "SELECT SubscriberKey, EmailAddress FROM Subscribers WHERE OptIn = 1 OR OptIn = 0"
EDITED = "SELECT SubscriberKey, EmailAddress FROM Subscribers WHERE Country = 'US'"


async def _retry(deployer: Deployer, deployment_id: object, *, force: bool = False) -> None:
    await retry_deployment(
        deployer.ctx, user_id=deployer.member.user.id, deployment_id=deployment_id,  # type: ignore[arg-type]
        force=force, jobs=deployer.jobs, redis=deployer.redis,
    )  # fmt: skip


async def test_drift_stops_the_update_with_a_diff_until_forced(
    deployer: Deployer, sim: Simulator
) -> None:
    mid = deployer.member.mid
    first = await deployer.deploy(deployer.request())
    assert (await deployer.run(first))["outcome"] == "SUCCEEDED"
    query = only(sim_queries(sim, mid, "dep_opted_in"))

    # Someone edits the activity in MCE (through the SOAP API).
    bridge = await deployer.bridge(mid)
    await bridge.soap.update_query_definition(
        QueryDefinitionChanges(customer_key="dep_opted_in", query_text=EDITED)
    )
    second = await deployer.deploy(deployer.request(sql=ALL_OPTED, idempotency_key="idem-2"))
    result = await deployer.run(second)
    assert result["outcome"] == "FAILED" and result["drifted"] == 1
    assert second.deployment is not None
    [target] = (await targets_of(second.deployment)).values()
    assert target.status is TargetStatus.DRIFTED and target.error_code == "DRIFT"
    assert target.drift is not None and target.drift["changes"] == ["sql"]
    diff = target.drift["sqlDiff"]
    assert "--- deployed" in diff and "+++ in Marketing Cloud" in diff
    assert "-SELECT SubscriberKey, EmailAddress FROM Subscribers WHERE OptIn = 1" in diff
    assert f"+{EDITED}" in diff
    assert only(sim_queries(sim, mid, "dep_opted_in")).query_text == EDITED  # untouched

    await _retry(deployer, second.deployment.id, force=True)
    assert (await deployer.run(second))["outcome"] == "SUCCEEDED"
    after = only(sim_queries(sim, mid, "dep_opted_in"))
    assert after.object_id == query.object_id and after.query_text == ALL_OPTED


async def test_an_activity_quarry_never_deployed_is_not_overwritten_without_force(
    deployer: Deployer, sim: Simulator
) -> None:
    mid = deployer.member.mid
    request = deployer.request(key="refresh_active_subscribers", sql=ALL_OPTED)
    outcome = await deployer.deploy(request)
    assert (await deployer.run(outcome))["drifted"] == 1
    assert outcome.deployment is not None
    [target] = (await targets_of(outcome.deployment)).values()
    assert target.drift is not None and "unmanaged" in target.drift["changes"]
    seeded = only(sim_queries(sim, mid, "refresh_active_subscribers"))
    assert seeded.query_text == OPTED_IN


async def test_rollback_redeploys_the_earlier_sql_and_settings(
    deployer: Deployer, sim: Simulator
) -> None:
    mid = deployer.member.mid
    first = await deployer.deploy(deployer.request())
    await deployer.run(first)
    second = await deployer.deploy(deployer.request(sql=ALL_OPTED, idempotency_key="idem-2"))
    assert (await deployer.run(second))["outcome"] == "SUCCEEDED"
    assert only(sim_queries(sim, mid, "dep_opted_in")).query_text == ALL_OPTED
    assert first.deployment is not None
    rollback = await rollback_deployment(
        deployer.ctx, user_id=deployer.member.user.id, deployment_id=first.deployment.id,
        idempotency_key="rollback-1", acknowledge_warnings=True, force=False, jobs=deployer.jobs,
        redis=deployer.redis, access=deployer.access,
    )  # fmt: skip
    assert rollback.deployment is not None
    assert rollback.deployment.rollback_of == first.deployment.id
    assert (await deployer.run(rollback))["outcome"] == "SUCCEEDED"
    query = only(sim_queries(sim, mid, "dep_opted_in"))
    assert query.query_text == OPTED_IN and query.target_update_type == "Overwrite"


async def test_the_same_key_twice_deploys_once_and_another_request_under_it_is_refused(
    deployer: Deployer, sim: Simulator
) -> None:
    request = deployer.request()
    first = await deployer.deploy(request)
    again = await deployer.deploy(request)
    assert first.deployment is not None and again.deployment is not None
    assert again.replayed and again.deployment.id == first.deployment.id
    await deployer.run(first)
    assert (await deployer.run(again))["outcome"] == "already"
    assert len(sim_queries(sim, deployer.member.mid, "dep_opted_in")) == 1
    with pytest.raises(DeployConflict) as refused:
        await deployer.deploy(deployer.request(sql=ALL_OPTED))
    assert refused.value.code == "IDEMPOTENCY_KEY_REUSED"


async def test_a_lost_create_answer_is_confirmed_by_key_never_sent_blindly(
    deployer: Deployer, sim: Simulator
) -> None:
    mid = deployer.member.mid
    await deployer.simctl.control(
        "faults", {"operation": "rest.queries.create", "kind": "lose_answer", "times": 1}
    )
    outcome = await deployer.deploy(deployer.request())
    assert (await deployer.run(outcome))["outcome"] == "SUCCEEDED"
    assert len(sim_queries(sim, mid, "dep_opted_in")) == 1
    assert await deployer.simctl.count("rest.queries.create") == 1  # found, not sent again


async def test_mce_failing_between_the_de_and_the_activity_leaves_a_reported_orphan(
    deployer: Deployer, sim: Simulator
) -> None:
    mid = deployer.member.mid
    request = deployer.request(
        key="dep_new_target",
        target=TargetSpec(key="opted_in_copy", name="Opted In Copy", create=True),
    )
    await deployer.simctl.control(
        "faults", {"operation": "rest.queries.create", "kind": "error", "status": 400, "times": 1}
    )
    outcome = await deployer.deploy(request)
    assert (await deployer.run(outcome))["outcome"] == "FAILED"
    assert outcome.deployment is not None
    [target] = (await targets_of(outcome.deployment)).values()
    assert target.status is TargetStatus.FAILED and target.orphaned
    assert "Opted In Copy" in (target.error_message or "")
    assert "deleteOrphanedDataExtension" in (target.error_message or "")
    de = only(sim_des(sim, mid, "opted_in_copy"))

    await _retry(deployer, outcome.deployment.id)
    assert (await deployer.run(outcome))["outcome"] == "SUCCEEDED"
    assert only(sim_des(sim, mid, "opted_in_copy")).object_id == de.object_id  # reused
    [target] = (await targets_of(outcome.deployment)).values()
    assert target.target_created and not target.orphaned
    with pytest.raises(InvalidInput):  # an activity writes into it now: not an orphan
        await delete_orphaned_data_extension(
            deployer.ctx, user_id=deployer.member.user.id,
            deployment_id=outcome.deployment.id, mid=mid, access=deployer.access,
        )  # fmt: skip


async def test_an_orphan_is_deletable(deployer: Deployer, sim: Simulator) -> None:
    mid = deployer.member.mid
    request = deployer.request(
        key="dep_orphan", target=TargetSpec(key="orphan_target", create=True)
    )
    await deployer.simctl.control(
        "faults", {"operation": "rest.queries.validate", "kind": "error", "times": 5}
    )
    outcome = await deployer.deploy(request)
    assert (await deployer.run(outcome))["outcome"] == "FAILED"
    assert outcome.deployment is not None
    assert len(sim_des(sim, mid, "orphan_target")) == 1
    deleted = await delete_orphaned_data_extension(
        deployer.ctx, user_id=deployer.member.user.id, deployment_id=outcome.deployment.id,
        mid=mid, access=deployer.access,
    )  # fmt: skip
    assert deleted.target_deleted_at is not None and not deleted.orphaned
    assert sim_des(sim, mid, "orphan_target") == []


async def test_an_automation_holds_the_activity_with_its_schedule_kept_paused(
    deployer: Deployer, sim: Simulator
) -> None:
    schedule = ScheduleSpec(
        start=datetime.now(UTC) + timedelta(days=1),
        recurrence="FREQ=DAILY;INTERVAL=1",
        time_zone_id=5,
    )
    request = deployer.request(
        automation=AutomationSpec(name="Nightly opt-ins", key="nightly_opt_ins", schedule=schedule)
    )
    outcome = await deployer.deploy(request)
    assert (await deployer.run(outcome))["outcome"] == "SUCCEEDED"
    assert outcome.deployment is not None
    [target] = (await targets_of(outcome.deployment)).values()
    assert target.automation_id is not None
    automation = sim.automations.get(deployer.member.mid, object_id=target.automation_id)
    assert automation is not None and automation.customer_key == "nightly_opt_ins"
    assert automation.steps[0].activities[0].activity_object_id == target.activity_object_id
    assert automation.schedule is not None
    assert automation.schedule["icalRecur"] == "FREQ=DAILY;INTERVAL=1"
    assert target.automation_status_id == 4  # MCE keeps API-created schedules paused
    # Re-deploying keeps the automation (the activity's id does not change).
    again = await deployer.deploy(
        deployer.request(sql=ALL_OPTED, idempotency_key="idem-2", automation=request.automation)
    )
    assert (await deployer.run(again))["outcome"] == "SUCCEEDED"
    assert again.deployment is not None
    [second] = (await targets_of(again.deployment)).values()
    assert second.automation_id == target.automation_id


async def test_a_running_deployment_cannot_be_retried(deployer: Deployer) -> None:
    outcome = await deployer.deploy(deployer.request())
    assert outcome.deployment is not None
    from services.deploy.store import set_deployment_status

    await set_deployment_status(
        deployer.ctx, outcome.deployment.id, to=DeploymentStatus.RUNNING,
        expected=[DeploymentStatus.PENDING],
    )  # fmt: skip
    with pytest.raises(DeployConflict):
        await _retry(deployer, outcome.deployment.id)
