"""Deployments through the GraphQL schema, as the SPA and integrations use them: a three-BU
deployment where one BU fails (a fault rule for that BU), each BU's outcome apart, then a
retry that redoes only that BU; its progress replayed from a cursor; another tenant's or
BU's deployment, folder and DE ids refused; BUs the viewer is not a member of refused; a
READ token refused."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import pytest

from models import TenantContext, TenantRepository
from schema import schema
from schema.context import GraphQLContext
from schema.global_ids import encode_global_id
from services.identity import Principal
from simulator.state import Simulator
from tests.factories import make_data_extension, make_tenant
from tests.fixtures import execute
from tests.services.deploy.engine import OPTED_IN, Deployer, children, sim_queries

pytestmark = pytest.mark.usefixtures("db")

DEPLOY = """mutation ($input: DeployQueryActivityInput!) {
  deployQueryActivity(input: $input) {
    deployment { id status mids activityKey updateType sqlHash }
    replayed
    findings { mid code severity message column range { start end line column } }
    userErrors { code field message }
  }
}"""
DEPLOYMENT = """query ($id: ID!) {
  deployment(id: $id) {
    id status attempts
    businessUnits {
      mid status step attempts activityObjectId activityCreated targetKey
      error { code message } orphanedDataExtension { key }
    }
  }
}"""
RETRY = """mutation ($id: ID!) {
  retryDeployment(input: {id: $id}) { deployment { id status } userErrors { code field } }
}"""
LIST = """query ($mid: String, $status: DeploymentStatus, $key: String) {
  deployments(first: 10, mid: $mid, status: $status, activityKey: $key) {
    edges { node { id status } } pageInfo { hasNextPage }
  }
}"""
PROGRESS = """subscription ($id: ID!, $after: String) {
  deploymentProgress(id: $id, after: $after) {
    cursor kind mid step status code final message
  }
}"""
NODE = "query ($id: ID!) { node(id: $id) { id ... on Deployment { status } } }"


def deploy_input(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "name": "Opted-in subscribers",
        "key": "dep_opted_in",
        "sql": OPTED_IN,
        "target": {"key": "active_subscribers"},
        "updateType": "OVERWRITE",
        "folderPath": "Daily",
        "idempotencyKey": f"gql-{uuid4().hex}",
        "acknowledgeWarnings": True,
    }
    values.update(overrides)
    return values


async def test_three_bus_one_fails_alone_then_a_retry_redoes_only_it(
    deployer: Deployer, sim: Simulator
) -> None:
    first, second, third = children(sim)
    await deployer.sync(first, second, third)
    ctx = deployer.graphql_context()
    await deployer.simctl.control(
        "faults",
        {"operation": "rest.queries.create", "kind": "error", "mid": second, "times": 1},
    )
    answer = (
        await execute(ctx, DEPLOY, input=deploy_input(mids=[str(first), str(second), str(third)]))
    )["deployQueryActivity"]
    assert answer["userErrors"] == [], answer
    deployment = answer["deployment"]
    assert deployment["status"] == "PENDING"
    assert deployment["mids"] == [str(first), str(second), str(third)]
    pending = (await execute(ctx, DEPLOYMENT, id=deployment["id"]))["deployment"]
    assert [bu["status"] for bu in pending["businessUnits"]] == ["PENDING"] * 3

    outcome = await deployer.run(_outcome(deployer, deployment["id"]))
    assert outcome == {"outcome": "PARTIAL", "succeeded": 2, "failed": 1, "drifted": 0}
    shown = (await execute(ctx, DEPLOYMENT, id=deployment["id"]))["deployment"]
    assert shown["status"] == "PARTIAL"
    by_mid = {bu["mid"]: bu for bu in shown["businessUnits"]}
    assert (
        by_mid[str(first)]["status"] == "SUCCEEDED" and by_mid[str(third)]["status"] == "SUCCEEDED"
    )
    failed = by_mid[str(second)]
    assert failed["status"] == "FAILED" and failed["step"] == "ACTIVITY"
    assert failed["error"]["code"] == "MCE_UNAVAILABLE"
    assert failed["activityObjectId"] is None
    assert len(sim_queries(sim, second, "dep_opted_in")) == 0
    stats = (await deployer.simctl.http.get("__sim/stats")).json()["by_mid"]
    creates = {
        mid: stats.get(str(mid), {}).get("rest.queries.create", 0) for mid in (first, second, third)
    }
    assert creates == {first: 1, second: 1, third: 1}

    retried = (await execute(ctx, RETRY, id=deployment["id"]))["retryDeployment"]
    assert retried["userErrors"] == [] and retried["deployment"]["status"] == "PENDING"
    assert (await deployer.run(_outcome(deployer, deployment["id"])))["outcome"] == "SUCCEEDED"
    stats = (await deployer.simctl.http.get("__sim/stats")).json()["by_mid"]
    creates = {
        mid: stats.get(str(mid), {}).get("rest.queries.create", 0) for mid in (first, second, third)
    }
    assert creates == {first: 1, second: 2, third: 1}  # only the failed BU was redone
    for mid in (first, second, third):
        assert len(sim_queries(sim, mid, "dep_opted_in")) == 1
    final = (await execute(ctx, DEPLOYMENT, id=deployment["id"]))["deployment"]
    assert final["status"] == "SUCCEEDED" and final["attempts"] == 2
    attempts = {bu["mid"]: bu["attempts"] for bu in final["businessUnits"]}
    assert attempts == {str(first): 1, str(second): 2, str(third): 1}

    listed = (await execute(ctx, LIST, mid=str(second)))["deployments"]["edges"]
    assert [e["node"]["id"] for e in listed] == [deployment["id"]]
    assert (await execute(ctx, LIST, status="FAILED"))["deployments"]["edges"] == []
    assert len((await execute(ctx, LIST, key="DEP_OPTED_IN"))["deployments"]["edges"]) == 1
    node = (await execute(ctx, NODE, id=deployment["id"]))["node"]
    assert node == {"id": deployment["id"], "status": "SUCCEEDED"}

    # Progress: every step of every BU, both attempts, replayable from any cursor.
    events = await _progress(ctx, deployment["id"])
    kinds = [(e["kind"], e["mid"], e["step"], e["status"]) for e in events]
    assert ("BU", str(second), "DONE", "FAILED") in kinds
    assert ("BU", str(first), "DONE", "SKIPPED") in kinds  # the retry skipped it
    assert kinds[-1] == ("DEPLOYMENT", None, None, "SUCCEEDED") and events[-1]["final"]
    for mid in (first, third):
        steps = [e[2] for e in kinds if e[1] == str(mid) and e[3] == "SUCCEEDED"]
        assert steps[:5] == ["FOLDER", "TARGET", "VALIDATE", "ACTIVITY", "DONE"]
    middle = len(events) // 2
    resumed = await _progress(ctx, deployment["id"], after=events[middle]["cursor"])
    assert resumed == events[middle + 1 :]
    assert await _progress(ctx, deployment["id"], after=events[-1]["cursor"]) == []


def _outcome(deployer: Deployer, global_id: str) -> Any:
    from uuid import UUID

    from schema.global_ids import decode_global_id
    from services.deploy.service import DeployOutcome

    decoded = decode_global_id(global_id)
    assert decoded is not None

    class _Deployment:
        id = UUID(decoded[1])

    return DeployOutcome(deployment=_Deployment())  # type: ignore[arg-type]


async def _progress(
    ctx: GraphQLContext, global_id: str, after: str | None = None
) -> list[dict[str, Any]]:
    results = await schema.subscribe(
        PROGRESS, variable_values={"id": global_id, "after": after}, context_value=ctx
    )
    assert not isinstance(results, Exception) and hasattr(results, "__aiter__"), results
    events = []
    async for result in results:
        assert result.errors is None, result.errors
        events.append(result.data["deploymentProgress"])
    return events


async def test_other_tenants_and_bus_ids_are_refused(deployer: Deployer, sim: Simulator) -> None:
    member = deployer.member
    ctx = deployer.graphql_context()
    await deployer.sync(member.mid)
    made = (await execute(ctx, DEPLOY, input=deploy_input()))["deployQueryActivity"]
    deployment_id = made["deployment"]["id"]

    # The same user in a child BU, another user, another tenant: the deployment is not theirs.
    child = children(sim)[0]
    in_child = Principal(tenant_id=member.tenant_id, mid=child, user_id=member.user.id)
    other_user = deployer.member.user.id.__class__(int=member.user.id.int ^ 1)
    stranger = Principal(tenant_id=member.tenant_id, mid=member.mid, user_id=other_user)
    other_tenant = await make_tenant("Elsewhere")
    outsider = Principal(
        tenant_id=other_tenant.tenant_id, mid=other_tenant.parent_mid,
        user_id=other_tenant.user.id,
    )  # fmt: skip
    for principal in (in_child, stranger, outsider):
        seen = deployer.graphql_context(principal)
        assert (await execute(seen, DEPLOYMENT, id=deployment_id))["deployment"] is None
        assert (await execute(seen, NODE, id=deployment_id))["node"] is None
        refused = (await execute(seen, RETRY, id=deployment_id))["retryDeployment"]
        assert [(e["code"], e["field"]) for e in refused["userErrors"]] == [("NOT_FOUND", "id")]
    junk = (await execute(ctx, RETRY, id="junk"))["retryDeployment"]
    assert [(e["code"], e["field"]) for e in junk["userErrors"]] == [("NOT_FOUND", "id")]

    # A folder or DE of another BU or tenant, named by id: not found, nothing recorded.
    other_de = await make_data_extension(other_tenant, mid=other_tenant.parent_mid, name="Theirs")
    sibling = TenantContext(tenant_id=member.tenant_id, mid=child, visible_mids=frozenset({child}))
    await deployer.sync(child)
    repo = TenantRepository(sibling)
    [child_folder] = await repo.fetch(
        "SELECT id FROM mce_folders WHERE mid = $1 AND content_type = 'queryactivity'"
        " AND name = 'Daily'",
        [child],
    )
    [child_de] = await repo.fetch(
        "SELECT id FROM mce_data_extensions WHERE mid = $1 AND customer_key = 'active_subscribers'",
        [child],
    )
    for bad, field in (
        ({"target": {"dataExtensionId": encode_global_id("DataExtension", str(other_de.id))}},
         "target.dataExtensionId"),
        ({"target": {"dataExtensionId": encode_global_id("DataExtension", str(child_de["id"]))}},
         "target.dataExtensionId"),
        ({"folderPath": None, "folderId": encode_global_id("Folder", str(child_folder["id"]))},
         "folderId"),
        ({"mids": [str(other_tenant.parent_mid)]}, "mids"),
        ({"mids": ["not-a-mid"]}, "mids"),
    ):  # fmt: skip
        answer = (await execute(ctx, DEPLOY, input=deploy_input(**bad)))["deployQueryActivity"]
        assert answer["deployment"] is None, bad
        assert [e["field"] for e in answer["userErrors"]] == [field], answer
        assert answer["userErrors"][0]["code"] in ("NOT_FOUND", "INVALID_INPUT")


async def test_a_read_only_token_cannot_deploy(deployer: Deployer) -> None:
    result = await schema.execute(
        DEPLOY,
        variable_values={"input": deploy_input()},
        context_value=deployer.graphql_context(read_only=True),
    )
    assert result.errors and result.errors[0].extensions["code"] == "FORBIDDEN"


async def test_a_folder_and_target_named_by_their_ids(deployer: Deployer, sim: Simulator) -> None:
    member = deployer.member
    await deployer.sync(member.mid)
    repo = TenantRepository(deployer.ctx)
    [folder] = await repo.fetch(
        "SELECT id FROM mce_folders WHERE mid = $1 AND content_type = 'queryactivity'"
        " AND name = 'Daily'",
        [member.mid],
    )
    [de] = await repo.fetch(
        "SELECT id FROM mce_data_extensions WHERE mid = $1 AND customer_key = 'active_subscribers'",
        [member.mid],
    )
    given = deploy_input(
        key="dep_by_ids",
        folderPath=None,
        folderId=encode_global_id("Folder", str(folder["id"])),
        target={"dataExtensionId": encode_global_id("DataExtension", str(de["id"]))},
    )
    answer = (await execute(deployer.graphql_context(), DEPLOY, input=given))["deployQueryActivity"]
    assert answer["userErrors"] == [], answer
    assert (await deployer.run(_outcome(deployer, answer["deployment"]["id"])))[
        "outcome"
    ] == "SUCCEEDED"
    [query] = sim_queries(sim, member.mid, "dep_by_ids")
    daily = sim.store.get_folder(query.folder_id, mid=member.mid)
    assert daily is not None and daily.name == "Daily"
    assert query.target_key == "active_subscribers"
