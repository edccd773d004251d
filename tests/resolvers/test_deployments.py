"""``Deployment.requestedBy``: the user who deployed, read under the viewer's tenant; a page
of deployments reads its requesters in one statement. The visibility rules stay those of
docs/deploy.md: a deployment is its user's alone, read in the BU it was made from, so another
user of the tenant (or another tenant) reads someone else's deployment as null.

Deployments are recorded through the deploy store (no job runs: these tests are about
reading them)."""

from __future__ import annotations

import logging
from typing import Any
from uuid import uuid4

import pytest

from models.deployments import UpdateType
from resolvers.deployments import load_requesters
from schema.global_ids import encode_global_id
from services.authn import Authentication
from services.deploy.request import TargetSpec
from services.deploy.store import DeploymentInfo, insert_deployment
from services.identity import Principal
from tests.factories import TenantFixture, make_member, make_tenant
from tests.fixtures import execute, graphql_context

pytestmark = pytest.mark.usefixtures("db")

LIST = """query ($first: Int!) {
  deployments(first: $first) {
    edges { node { id activityKey requestedBy { id name email } } }
  }
}"""
ONE = """query ($id: ID!) {
  deployment(id: $id) { id requestedBy { id name email } }
}"""
NODE = """query ($id: ID!) {
  node(id: $id) { ... on Deployment { requestedBy { id name } } }
}"""


def _principal(tenant: TenantFixture, user_id: Any, mid: int | None = None) -> Principal:
    return Principal(
        tenant_id=tenant.tenant_id,
        mid=tenant.parent_mid if mid is None else mid,
        user_id=user_id,
        parent_mid=tenant.parent_mid,
    )


async def _deploy(principal: Principal, key: str) -> DeploymentInfo:
    made, created = await insert_deployment(
        principal.tenant_context(),
        user_id=principal.user_id,
        api_token_id=None,
        idempotency_key=f"test-{uuid4().hex}",
        request_hash="hash",
        activity_key=key,
        activity_name=f"Activity {key}",
        description="",
        folder_path=("Daily",),
        sql="SELECT SubscriberKey FROM _Subscribers",
        sql_hash="0" * 64,
        update_type=UpdateType.OVERWRITE,
        target=TargetSpec(key="target"),
        automation=None,
        create_missing=False,
        force=False,
        findings=[],
        target_mids=(principal.mid,),
        rollback_of=None,
    )
    assert created
    return made


async def _execute(principal: Principal, query: str, **variables: Any) -> dict[str, Any]:
    return await execute(graphql_context(principal), query, **variables)


def _gid(deployment: DeploymentInfo) -> str:
    return encode_global_id("Deployment", str(deployment.id))


async def test_requested_by_is_the_user_who_deployed_whoever_of_the_tenant_reads() -> None:
    tenant = await make_tenant("Requesters")
    other = await make_member(tenant, mids=(tenant.parent_mid,), name="Second Deployer")
    owner, second = _principal(tenant, tenant.user.id), _principal(tenant, other.id)
    mine = await _deploy(owner, "mine")
    theirs = await _deploy(second, "theirs")

    listed = (await _execute(owner, LIST, first=10))["deployments"]["edges"]
    assert [e["node"]["requestedBy"] for e in listed] == [
        {"id": str(tenant.user.id), "name": "Requesters Ops", "email": "ops@requesters.example"}
    ]
    shown = (await _execute(second, ONE, id=_gid(theirs)))["deployment"]
    # make_member gives no email: Marketing Cloud never said, so null rather than "".
    assert shown["requestedBy"] == {"id": str(other.id), "name": "Second Deployer", "email": None}
    node = (await _execute(owner, NODE, id=_gid(mine)))["node"]
    assert node["requestedBy"] == {"id": str(tenant.user.id), "name": "Requesters Ops"}

    # The rules are unchanged: another user of the tenant, the same user in another BU and
    # another tenant's user read the deployment as null (so no requester is shown to them).
    elsewhere = await make_tenant("RequestersElsewhere")
    for reader in (
        second,
        _principal(tenant, tenant.user.id, mid=tenant.child_mids[0]),
        _principal(elsewhere, elsewhere.user.id),
    ):
        assert (await _execute(reader, ONE, id=_gid(mine)))["deployment"] is None
        assert (await _execute(reader, NODE, id=_gid(mine)))["node"] is None


async def test_another_tenants_user_is_never_read_as_a_requester() -> None:
    tenant, elsewhere = await make_tenant("ReqTenantA"), await make_tenant("ReqTenantB")
    viewer = Authentication(principal=_principal(tenant, tenant.user.id))
    found = await load_requesters(viewer, [elsewhere.user.id, tenant.user.id, elsewhere.user.id])
    assert found[0] is None and found[2] is None
    assert found[1] is not None and found[1].id == tenant.user.id
    assert await load_requesters(viewer, []) == []


async def _statements(
    caplog: pytest.LogCaptureFixture, principal: Principal, query: str
) -> tuple[int, list[dict[str, Any]]]:
    """How many statements ``query`` sent (tortoise logs one record per statement, the
    tenant context's ``set_config`` included), and its deployments."""
    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger="tortoise.db_client"):
        data = await _execute(principal, query, first=50)
    records = [r for r in caplog.records if r.name == "tortoise.db_client"]
    return len(records), data["deployments"]["edges"]


async def test_a_page_reads_its_requesters_in_one_statement(
    caplog: pytest.LogCaptureFixture,
) -> None:
    small, large = await make_tenant("ReqPageSmall"), await make_tenant("ReqPageLarge")
    one, twenty = _principal(small, small.user.id), _principal(large, large.user.id)
    await _deploy(one, "only")
    for number in range(20):
        await _deploy(twenty, f"many{number}")

    few, _ = await _statements(caplog, one, LIST)
    many, edges = await _statements(caplog, twenty, LIST)
    assert len(edges) == 20
    assert {e["node"]["requestedBy"]["id"] for e in edges} == {str(large.user.id)}
    assert many == few
    bare = "query ($first: Int!) { deployments(first: $first) { edges { node { id } } } }"
    without, _ = await _statements(caplog, twenty, bare)
    assert many == without + 2  # the requesters: their tenant context, then one SELECT
