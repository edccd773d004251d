"""Dates MCE generates (data views, ``GETDATE()``) reach the user with CST's offset, as
docs/api.md promises; other dates without a zone. Through the real engine: tsql marks the
columns ``system_generated`` at ``startRun``, the run records it, the start job runs the query
in the simulator over HTTP, and the result reader encodes the rows MCE sends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from redis.asyncio import Redis

from client.values import FieldType, field_specs
from services.job_queue import JobQueue
from services.mce_bridges import bridge_for_user
from services.metadata.preview import MceAccess
from services.runs.execute import StartDeps
from services.runs.reading import open_results
from services.runs.start import get_run
from simulator.sql import QueryCatalog, run_query
from simulator.store_rules import FieldSpec
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
from tests.services.runs.test_results_engine import run_to_completion
from tests.services.wallet.helpers import SimControl

__all__ = [
    "_shared_server", "ahttp", "config", "deps", "http", "jobs", "kek_a", "keys", "member",
    "provider", "sim", "sim_app", "sim_tenant", "sim_url", "simctl", "wallet",
]  # fmt: skip

pytestmark = pytest.mark.usefixtures("db")

SQL = (
    "SELECT TOP 5 s.SubscriberKey, s.EventDate, DATEADD(day, 1, s.EventDate) AS NextDay,"
    " GETDATE() AS Now, CAST('2024-07-01T12:00:00' AS DATETIME) AS Fixed"
    " FROM _Sent s ORDER BY s.EventDate, s.SubscriberKey"
)


async def _as_stored(simctl: SimControl, deps: StartDeps, member: Member) -> list[list[str]]:
    """What MCE's query API writes for the same SQL into an ordinary DE, read back as the
    client types it (naive: MCE keeps no zone in a DE)."""
    sim = simctl.sim
    names = ("SubscriberKey", "EventDate", "NextDay", "Now", "Fixed")
    target = sim.store.create_de(
        mid=member.mid, name="dates_oracle", customer_key="dates_oracle",
        fields=[FieldSpec(name="SubscriberKey", field_type="Text", max_length=254),
                *(FieldSpec(name=n, field_type="Date") for n in names[1:])],
    )  # fmt: skip
    engine = QueryCatalog(
        store=sim.store, rows=sim.rows, views=sim.dataviews, now=sim.clock.server_now,
        utcnow=sim.clock.utcnow,
    )  # fmt: skip
    run_query(engine, mid=member.mid, text=SQL, target=target, update_type="Overwrite")
    bridge = await bridge_for_user(
        member.ctx, user_id=member.user.id, mid=member.mid, http=deps.http, tokens=deps.tokens,
        policy=deps.policy,
    )  # fmt: skip
    specs = field_specs([("SubscriberKey", "Text"), *((n, "Date") for n in names[1:])])
    rows = [row async for row in bridge.rows("dates_oracle", specs)]
    return [
        [str(r["SubscriberKey"]), *(r[n].isoformat() for n in names[1:])]  # type: ignore[union-attr]
        for r in rows
    ]


async def test_system_dates_carry_cst_and_stored_dates_no_zone(
    member: Member, deps: StartDeps, jobs: JobQueue, redis: Redis, simctl: SimControl
) -> None:
    run_id = await run_to_completion(member, deps, jobs, redis, simctl, SQL)
    run = await get_run(member.ctx, user_id=member.user.id, run_id=run_id)
    assert [c.field_type for c in run.columns] == ["Text", "Date", "Date", "Date", "Date"]
    access = MceAccess(http=deps.http, tokens=deps.tokens, policy=deps.policy)
    opened = await open_results(member.ctx, run_id=run_id, access=access)
    assert [c.system_generated for c in opened.reader.source.columns] == [
        False, True, True, True, False,
    ]  # fmt: skip
    assert [c.field_type for c in opened.reader.source.columns][1] is FieldType.DATE
    got = (await opened.reader.page(offset=0, limit=10)).rows
    stored = sorted(await _as_stored(simctl, deps, member))
    assert len(got) == 5
    # The run's values are MCE's as stored, with CST's offset on the system dates only.
    expected = [
        [key, event + "-06:00", nxt + "-06:00", now, fixed]
        for key, event, nxt, now, fixed in stored
    ]
    assert sorted([row[0], row[1], row[2], row[4]] for row in got) == [
        [e[0], e[1], e[2], e[4]] for e in expected
    ]
    assert all(row[4] == "2024-07-01T12:00:00" for row in got)
    for row in got:
        assert isinstance(row[3], str) and row[3].endswith("-06:00")
        # GETDATE() is MCE's clock in CST: read with its offset, it is now.
        assert abs(datetime.fromisoformat(row[3]) - datetime.now(UTC)) < timedelta(minutes=2)
