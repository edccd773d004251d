"""From SQL to typed rows through the real engine: ``start_run`` records the run, the start job
(acting as the user, over HTTP) leases a shell and Performs the run form in the simulator,
the run completes as the poller completes it, and the result reader streams its rows. Every
corpus query that reads only data views (no metadata cache is needed for them) must come back
value by value as MCE's query API writes the same SQL into a DE of the corpus's own fields;
a second run of the same shape reuses the shell and still shows only its own rows."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest
from redis.asyncio import Redis

from client.values import FieldType, field_specs
from models.runs import RunStatus
from services.job_queue import JobQueue
from services.mce_bridges import bridge_for_user
from services.metadata.preview import MceAccess
from services.runs.execute import StartDeps, start_run_job
from services.runs.pool import keep_for_results, release_shell
from services.runs.reading import ResultsExpired, open_results
from services.runs.results import JsonValue, ResultColumn, encode_row
from services.runs.start import get_run, start_run
from services.runs.status import transition
from simulator.sql import QueryCatalog, run_query
from tests.services.runs.engine import (
    Member,
    _shared_server,
    ahttp,
    config,
    deps,
    http,
    jobs,
    kek_a,
    keys,
    member,
    provider,
    sim,
    sim_app,
    sim_tenant,
    sim_url,
    simctl,
    wallet,
)
from tests.services.wallet.helpers import SimControl
from tests.simulator.query_corpus import CORPUS, CorpusQuery
from tests.simulator.query_corpus import create_target as create_oracle_target
from tsql.dataviews import is_data_view_name

__all__ = [
    "_shared_server", "ahttp", "config", "deps", "http", "jobs", "kek_a", "keys", "member",
    "provider", "sim", "sim_app", "sim_tenant", "sim_url", "simctl", "wallet",
]  # fmt: skip

pytestmark = pytest.mark.usefixtures("db")

_DE_NAMES = ("Subscribers", "Orders", "[Web Events", "ENT.[Shared")
DATA_VIEW_ONLY = tuple(q for q in CORPUS if not any(name in q.text for name in _DE_NAMES))


def test_the_data_view_corpus_is_most_of_the_corpus() -> None:
    assert len(DATA_VIEW_ONLY) >= 10
    assert all("_" in q.text for q in DATA_VIEW_ONLY)
    assert is_data_view_name("_Open")


async def run_to_completion(
    member: Member, deps: StartDeps, jobs: JobQueue, redis: Redis, simctl: SimControl, sql: str
) -> UUID:
    """Start ``sql`` as ``member``, run the start job, wait for MCE, mark it COMPLETE with
    its shell kept for the results window (what the poller does); the run's id."""
    await simctl.http.post("__sim/tasks/plan", json={"seconds": [0.05]})
    outcome = await start_run(
        member.ctx, user_id=member.user.id, sql=sql, jobs=jobs, redis=redis, config=deps.config
    )
    assert outcome.run is not None, outcome.findings
    result = await start_run_job(
        deps, tenant_id=member.tenant_id, mid=member.mid, run_id=outcome.run.id
    )
    assert result.get("outcome") == "running", result
    run = await get_run(member.ctx, user_id=member.user.id, run_id=outcome.run.id)
    for _ in range(200):
        task = (await simctl.http.get(f"__sim/tasks/{run.task_id}")).json()
        if task["completed_at"] is not None:
            break
        await asyncio.sleep(0.05)
    assert task["status"] == "Complete", task
    until = datetime.now(UTC) + timedelta(seconds=600)
    done = await transition(
        member.ctx, run.id, to=RunStatus.COMPLETE, redis=redis,
        changes={"detected_at": datetime.now(UTC), "expires_at": until,
                 "row_count": task["rows_written"]},
    )  # fmt: skip
    assert done is not None
    await keep_for_results(member.ctx, run.id, until=until)
    return run.id


async def oracle_rows(
    simctl: SimControl, deps: StartDeps, member: Member, query: CorpusQuery, names: list[str]
) -> list[list[JsonValue]]:
    """What MCE's query API writes for ``query`` into a DE of the corpus's fields, read back."""
    sim = simctl.sim
    key = f"oracle_{CORPUS.index(query)}"
    target = create_oracle_target(sim, mid=member.mid, key=key, query=query)
    engine = QueryCatalog(
        store=sim.store, rows=sim.rows, views=sim.dataviews, now=sim.clock.server_now,
        utcnow=sim.clock.utcnow,
    )  # fmt: skip
    run_query(engine, mid=member.mid, text=query.text, target=target, update_type="Overwrite")
    bridge = await bridge_for_user(
        member.ctx, user_id=member.user.id, mid=member.mid, http=deps.http, tokens=deps.tokens,
        policy=deps.policy,
    )  # fmt: skip
    # These queries read data views only: their dates are MCE's system time (CST), which the
    # results carry as an offset (docs/api.md).
    fields = [
        replace(spec, system_generated=spec.field_type is FieldType.DATE)
        for spec in field_specs([(f.name, f.field_type) for f in query.fields])
    ]
    by_name = {f.name.casefold(): f.name for f in query.fields}
    # Encoding depends on the values' Python types (already typed by the client), not on this.
    columns = [ResultColumn(by_name[name.casefold()], FieldType.TEXT) for name in names]
    return [encode_row(row, columns) async for row in bridge.rows(key, fields)]


def canonical(rows: list[list[JsonValue]]) -> list[str]:
    return sorted(repr(row) for row in rows)


@pytest.mark.parametrize("query", DATA_VIEW_ONLY, ids=[q.name for q in DATA_VIEW_ONLY])
async def test_a_run_streams_what_the_query_api_writes(
    member: Member, deps: StartDeps, jobs: JobQueue, redis: Redis, simctl: SimControl,
    query: CorpusQuery,
) -> None:  # fmt: skip
    run_id = await run_to_completion(member, deps, jobs, redis, simctl, query.text)
    access = MceAccess(http=deps.http, tokens=deps.tokens, policy=deps.policy)
    opened = await open_results(member.ctx, run_id=run_id, access=access)
    names = [c.name for c in opened.reader.source.columns]
    assert [n.casefold() for n in names] == [f.name.casefold() for f in query.fields]
    got = [row async for page in opened.reader.pages(page_size=500) for row in page.rows]
    expected = await oracle_rows(simctl, deps, member, query, names)
    assert expected
    assert canonical(got) == canonical(expected)


async def test_a_reused_shell_shows_only_the_second_runs_rows_and_the_first_expires(
    member: Member, deps: StartDeps, jobs: JobQueue, redis: Redis, simctl: SimControl,
) -> None:  # fmt: skip
    first_sql = "SELECT TOP 7 SubscriberKey FROM _Sent ORDER BY SubscriberKey"
    second_sql = "SELECT TOP 3 SubscriberKey FROM _Sent ORDER BY SubscriberKey DESC"
    access = MceAccess(http=deps.http, tokens=deps.tokens, policy=deps.policy)
    first = await run_to_completion(member, deps, jobs, redis, simctl, first_sql)
    first_rows = await open_results(member.ctx, run_id=first, access=access)
    assert len((await first_rows.reader.page(offset=0, limit=100)).rows) == 7
    await release_shell(member.ctx, first)  # the results window is over: back to the pool
    second = await run_to_completion(member, deps, jobs, redis, simctl, second_sql)
    runs = [await get_run(member.ctx, user_id=member.user.id, run_id=r) for r in (first, second)]
    assert runs[0].shell_de_id == runs[1].shell_de_id  # the same shell, reused
    with pytest.raises(ResultsExpired):
        await open_results(member.ctx, run_id=first, access=access)
    opened = await open_results(member.ctx, run_id=second, access=access)
    page = await opened.reader.page(offset=0, limit=100)
    keys = [str(row[0]) for row in page.rows]
    assert len(keys) == 3 and page.total == 3 and page.last
    assert [k.casefold() for k in keys] == sorted((k.casefold() for k in keys), reverse=True)
