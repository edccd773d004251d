"""The marketing query corpus completes in process against the real data views."""

from __future__ import annotations

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


@pytest.mark.parametrize("query", CORPUS, ids=[q.name for q in CORPUS])
def test_corpus_query_completes(sim: Simulator, catalog: QueryCatalog, query: CorpusQuery) -> None:
    mid = us_mid(sim)
    key = "corpus_" + str(CORPUS.index(query))
    target = create_target(sim, mid=mid, key=key, query=query)
    assert (
        validate_query(catalog, mid=mid, text=query.text, target=target, update_type="Overwrite")
        == []
    )
    written = run_query(catalog, mid=mid, text=query.text, target=target, update_type="Overwrite")
    assert written == sim.rows.count(target)


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
