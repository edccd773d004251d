"""The marketing query corpus completes in process against the real data views."""

from __future__ import annotations

import re

import pytest

from simulator.sql import QueryCatalog, run_query, validate_query
from simulator.state import FieldSpec, Simulator
from tests.simulator.query_corpus import CORPUS, CorpusQuery, create_target
from tests.simulator.test_sql_support import module_sim, us_mid

sim = pytest.fixture(scope="module", name="sim")(module_sim)


@pytest.fixture(scope="module")
def catalog(sim: Simulator) -> QueryCatalog:
    return QueryCatalog(
        store=sim.store,
        rows=sim.rows,
        views=sim.dataviews,
        now=sim.clock.server_now,
        utcnow=sim.clock.utcnow,
    )


# How many rows each corpus query must write, counted by hand-written DuckDB SQL straight over
# the tables behind the DEs and data views: an oracle independent of the simulator's T-SQL
# translation. `[[Name]]` is a DE or data view as the query names it (`ENT.` reaches the
# parent BU); `$now` is the simulator's GETDATE().
EXPECTED_ROWS: dict[str, str] = {
    "openers": "SELECT count(DISTINCT SubscriberKey) FROM [[_Open]]"
    " WHERE EventDate >= $now - INTERVAL 90 DAY",
    "non-openers of the last send": "SELECT count(DISTINCT s.SubscriberKey) FROM [[_Sent]] s"
    " WHERE s.JobID = (SELECT max(JobID) FROM [[_Sent]]) AND NOT EXISTS (SELECT 1 FROM"
    " [[_Open]] o WHERE o.JobID = s.JobID AND o.SubscriberKey = s.SubscriberKey)",
    "clicks per link": "SELECT count(*) FROM (SELECT LinkName FROM [[_Click]] GROUP BY 1)",
    "latest order per subscriber (ROW_NUMBER dedup)": "SELECT count(*) FROM"
    " (SELECT SubscriberKey FROM [[Orders]] GROUP BY 1)",
    "hard bounces": "SELECT count(*) FROM (SELECT SubscriberKey FROM [[_Bounce]]"
    " WHERE BounceCategory = 'Hard bounce' GROUP BY 1)",
    "bounce categories": "SELECT count(*) FROM (SELECT BounceCategory FROM [[_Bounce]] GROUP BY 1)",
    "journeys and their email activities": "SELECT count(*) FROM [[_Journey]] j"
    " JOIN [[_JourneyActivity]] a ON a.VersionID = j.VersionID",
    "subscribers with birthdays next month": "SELECT count(*) FROM [[Subscribers]]"
    " WHERE month(BirthDate) = month($now + INTERVAL 1 MONTH)",
    "days since last order": "SELECT count(*) FROM"
    " (SELECT SubscriberKey FROM [[Orders]] GROUP BY 1)",
    "active subscribers minus suppression (EXCEPT)": "SELECT count(*) FROM (SELECT lower("
    "EmailAddress) FROM [[Subscribers]] WHERE OptIn EXCEPT SELECT lower(EmailAddress)"
    " FROM [[ENT.Shared Suppression List]])",
    "senders and openers in one list (UNION)": "SELECT count(*) FROM (SELECT SubscriberKey,"
    " 'sent' FROM [[_Sent]] UNION SELECT SubscriberKey, 'opened' FROM [[_Open]])",
    "all events (UNION ALL)": "SELECT (SELECT count(*) FROM [[_Open]])"
    " + (SELECT count(*) FROM [[_Click]])",
    "big spenders (IN subquery)": "SELECT count(*) FROM [[Subscribers]] WHERE SubscriberKey IN"
    " (SELECT SubscriberKey FROM [[Orders]] GROUP BY 1 HAVING sum(Amount) > 500)",
    "unsubscribes with their email": "SELECT count(*) FROM [[_Unsubscribe]] u"
    " LEFT JOIN [[_Job]] j ON j.JobID = u.JobID",
    "open rate per job": "SELECT count(DISTINCT JobID) FROM [[_Sent]]",
    "top 100 customers by lifetime value": "SELECT least(100, count(*)) FROM [[Subscribers]]",
    "orders per month label": "SELECT count(*) FROM"
    " (SELECT strftime(OrderDate, '%Y-%m') FROM [[Orders]] GROUP BY 1)",
    "web events with spaces in names": "SELECT count(*) FROM"
    ' (SELECT "Event Type" FROM [[Web Events 2024]] GROUP BY 1)',
    "full name and segment (CASE, +)": "SELECT count(*) FROM [[Subscribers]]",
    "email domains": "SELECT count(*) FROM (SELECT lower(split_part(EmailAddress, '@', 2))"
    " FROM [[Subscribers]] GROUP BY 1)",
    "products bought (shared DE join)": "SELECT count(*) FROM [[ENT.Shared Products]]"
    " WHERE Active AND Price BETWEEN 10 AND 200",
    "subscriber status from the All Subscribers list": "SELECT count(*) FROM"
    " [[ENT._Subscribers]] WHERE lower(Status) IN ('active', 'held')",
}


def _table(sim: Simulator, *, mid: int, written: str) -> str:
    """The DuckDB table behind a DE or data view named as a query names it."""
    owner, name = mid, written
    if written.startswith("ENT."):
        owner, name = sim.store.parent_mid(mid) or mid, written.removeprefix("ENT.")
    de = sim.store.get_de(owner, name=name)
    if de is not None:
        return '"' + sim.rows.ensure_table(de) + '"'
    return '"' + sim.dataviews.table(owner, name) + '"'


def expected_rows(sim: Simulator, *, mid: int, query: CorpusQuery) -> int:
    sql = re.sub(
        r"\[\[([^\]]+)\]\]",
        lambda m: _table(sim, mid=mid, written=m.group(1)),
        EXPECTED_ROWS[query.name],
    )
    params = {"now": sim.clock.server_now()} if "$now" in sql else {}
    with sim.rows.connection() as con:
        row = con.execute(sql, params).fetchone()
    assert row is not None
    return int(row[0])


def test_every_corpus_query_has_an_expected_count() -> None:
    assert set(EXPECTED_ROWS) == {q.name for q in CORPUS}


@pytest.mark.parametrize("query", CORPUS, ids=[q.name for q in CORPUS])
def test_corpus_query_completes(sim: Simulator, catalog: QueryCatalog, query: CorpusQuery) -> None:
    mid = us_mid(sim)
    key = "corpus_" + str(CORPUS.index(query))
    target = create_target(sim, mid=mid, key=key, query=query)
    assert (
        validate_query(catalog, mid=mid, text=query.text, target=target, update_type="Overwrite")
        == []
    )
    expected = expected_rows(sim, mid=mid, query=query)
    assert expected > 0, "the seed should give every corpus query some rows"
    written = run_query(catalog, mid=mid, text=query.text, target=target, update_type="Overwrite")
    assert written == sim.rows.count(target) == expected


def test_group_counts_add_up_to_the_total(sim: Simulator, catalog: QueryCatalog) -> None:
    query = next(q for q in CORPUS if q.name == "bounce categories")
    mid = us_mid(sim)
    target = sim.store.create_de(
        mid=mid,
        name="bounce_check",
        fields=[
            FieldSpec(name="BounceCategory", max_length=50),
            FieldSpec(name="Total", field_type="Number"),
        ],
    )
    run_query(catalog, mid=mid, text=query.text, target=target, update_type="Overwrite")
    total = sum(int(str(row[0])) for row in sim.rows.fetch(target, columns=["Total"]))
    assert total == sim.dataviews.row_count(mid, "_Bounce") > 0
