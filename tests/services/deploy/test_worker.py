"""A deployment through a real worker process (``python -m app.worker --burst``) on D's own
Redis db: two BUs deployed acting as the user with each BU's token, the job's arguments and
RQ's records holding ids only, never a token; the shared target of a child addressed through
the parent BU."""

from __future__ import annotations

import asyncio

import pytest
from redis import Redis as SyncRedis
from rq.job import Job, JobStatus

from app.settings import Settings
from models.deployments import DeploymentStatus, TargetStatus
from services.deploy.request import TargetSpec
from services.deploy.service import deploy_job_key
from services.deploy.store import deployment_by_id, targets_of
from services.job_queue import job_id_for
from services.wallet import KeyEncryptionKey
from simulator.state import Simulator
from tests.fixtures import run_burst_worker, worker_env
from tests.services.deploy.engine import DEPLOY_REDIS_URL, Deployer, children, only, sim_queries

pytestmark = [pytest.mark.usefixtures("db"), pytest.mark.slow]

SHARED_SQL = "SELECT SKU, ProductName FROM ENT.[Shared Products] WHERE Active = 1"


async def test_a_real_worker_deploys_two_bus_with_ids_only_in_redis(
    db: Settings, deployer: Deployer, sim: Simulator, kek_a: KeyEncryptionKey
) -> None:
    first, second = children(sim)[:2]
    outcome = await deployer.deploy(deployer.request(mids=(first, second)))
    assert outcome.deployment is not None
    env = worker_env(
        database_url=db.database_url, redis_url=DEPLOY_REDIS_URL, sim=sim,
        sim_url=deployer.sim_url, kek=kek_a, DEPLOY_BU_CONCURRENCY="2",
    )  # fmt: skip
    await asyncio.to_thread(run_burst_worker, env)

    connection = SyncRedis.from_url(DEPLOY_REDIS_URL)
    job_id = job_id_for(deploy_job_key(outcome.deployment))
    try:
        job = Job.fetch(job_id, connection=connection)
        assert job.get_status() is JobStatus.FINISHED, job.latest_result()
        assert job.args == (deployer.member.tenant_id, deployer.member.mid, outcome.deployment.id)
        assert job.return_value()["outcome"] == "SUCCEEDED"
        issued = [t.rsplit(".", 1)[-1] for t in [*sim.auth._access, *sim.auth._refresh]]
        stored = b" ".join(connection.dump(k) or b"" for k in connection.scan_iter(count=500))
        assert issued and [t for t in issued if t in stored.decode("latin-1")] == []
    finally:
        if Job.exists(job_id, connection=connection):
            Job(job_id, connection=connection).delete()
        connection.close()
    done = await deployment_by_id(deployer.ctx, outcome.deployment.id, user_id=None)
    assert done is not None and done.status is DeploymentStatus.SUCCEEDED
    targets = await targets_of(done)
    assert {mid: t.status for mid, t in targets.items()} == {
        first: TargetStatus.SUCCEEDED,
        second: TargetStatus.SUCCEEDED,
    }
    for mid in (first, second):
        query = only(sim_queries(sim, mid, "dep_opted_in"))
        assert targets[mid].activity_object_id == query.object_id


async def test_a_shared_target_is_found_through_the_parent(
    deployer: Deployer, sim: Simulator
) -> None:
    child = children(sim)[0]
    parent = sim.store.enterprise.eid
    request = deployer.request(
        key="dep_shared",
        sql=SHARED_SQL,
        target=TargetSpec(key="shared_products", shared=True),
        update_type=deployer.request().update_type,
        mids=(child,),
    )
    outcome = await deployer.deploy(request)
    assert outcome.deployment is not None, outcome
    stats_before = (await deployer.simctl.http.get("__sim/stats")).json()["by_mid"]
    result = await deployer.run(outcome)
    assert result["outcome"] == "SUCCEEDED", result
    query = only(sim_queries(sim, child, "dep_shared"))
    assert query.target_key == "shared_products"
    stats = (await deployer.simctl.http.get("__sim/stats")).json()["by_mid"]
    looked_up = stats.get(str(parent), {}).get("soap.Retrieve.DataExtension", 0) - stats_before.get(
        str(parent), {}
    ).get("soap.Retrieve.DataExtension", 0)
    assert looked_up == 1  # the target was looked up with the parent's token
