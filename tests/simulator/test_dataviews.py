"""System data views: columns per REFERENCE §5.2, coherent tracking data, laziness, scale.

Coherence is checked the way a marketer would see it: with SQL over the generated tables.
The column lists are compared with REFERENCE itself (``../shared/mce``, beside the repository);
without it that test skips, unless ``CI`` is set.
"""

# ruff: noqa: S608 - the SQL is built from this module's constants and generated table names

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from simulator.clock import Clock
from simulator.dataviews import DataViews
from simulator.model import FieldType
from simulator.rows import duckdb_type
from simulator.state import Simulator
from tests.simulator.conftest import make_sim

REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "mce" / "REFERENCE.md"
TRACKING_DATES = {
    "_Sent": "EventDate",
    "_Open": "EventDate",
    "_Click": "EventDate",
    "_Bounce": "EventDate",
    "_Unsubscribe": "EventDate",
    "_Complaint": "EventDate",
    "_FTAF": "TransactionTime",
}
SEND_KEYS = ("JobID", "ListID", "BatchID", "SubscriberID", "SubscriberKey")
NOW = datetime(2025, 3, 14, 15, 0, 0)


class FixedClock(Clock):
    """A clock stopped at ``server_now() == NOW`` (CST), so generations compare exactly."""

    def time(self) -> float:
        return (NOW - datetime(1970, 1, 1) + timedelta(hours=6)).total_seconds()


def views_for(sim: Simulator, *, seed: int | None = None, scale: str = "small") -> DataViews:
    return DataViews(
        rows=sim.rows,
        store=sim.store,
        seed=sim.config.seed if seed is None else seed,
        scale=scale,
        clock=FixedClock(),
    )


class Views:
    """A simulator, its data views, and SQL with ``{_Sent}``-style table placeholders."""

    def __init__(self, sim: Simulator, views: DataViews, mid: int) -> None:
        self.sim, self.views, self.mid = sim, views, mid

    def sql(self, text: str, mid: int | None = None) -> list[tuple[Any, ...]]:
        target = self.mid if mid is None else mid
        tables = {name: self.views.table(target, name) for name in self.views.names()}
        with self.sim.rows.connection() as con:
            return con.execute(text.format(**tables)).fetchall()

    def scalar(self, text: str, mid: int | None = None) -> Any:
        return self.sql(text, mid)[0][0]


@pytest.fixture(scope="module")
def parent() -> Iterator[Views]:
    sim = make_sim()
    yield Views(sim, views_for(sim), sim.store.enterprise.eid)
    sim.close()


def _child_mids(sim: Simulator) -> list[int]:
    return [bu.mid for bu in sim.store.children_of(sim.store.enterprise.eid)]


def _dv_tables(sim: Simulator) -> list[str]:
    with sim.rows.connection() as con:
        rows = con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE table_name LIKE 'dv\\_%' ESCAPE '\\'"
        ).fetchall()
    return sorted(r[0] for r in rows)


# ------------------------------------------------------------------------ columns and types
def _reference_columns() -> dict[str, list[tuple[str, str]]]:
    """REFERENCE §5.2's table as ``{view: [(column, type code)]}``."""
    text = REFERENCE.read_text(encoding="utf-8")
    section = text.split("### 5.2", 1)[1].split("\n## ", 1)[0]
    raw = dict(re.findall(r"^\| `(_\w+)` \| (.+?) \|$", section, flags=re.MULTILINE))
    parsed: dict[str, list[tuple[str, str]]] = {}
    for view, cell in raw.items():
        base = re.match(r"(?:as|same columns as) (_\w+)", cell)
        columns: list[tuple[str, str]] = list(parsed[base.group(1)]) if base else []
        cell = re.sub(r"^(?:as|same columns as) _\w+ ?\+? ?|\(\+[^)]*\)", "", cell)
        for group in filter(None, (g.strip() for g in cell.split(";"))):
            items = [item.split() for item in group.split(",")]
            code = items[-1][1] if len(items[-1]) > 1 else ""
            columns += [(item[0], item[1] if len(item) > 1 else code) for item in items]
        parsed[view] = columns
    return parsed


def test_columns_and_types_follow_reference() -> None:
    if not REFERENCE.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{REFERENCE} is missing")
        pytest.skip("REFERENCE.md is not beside the repository")
    reference = _reference_columns()
    codes = {"N": FieldType.NUMBER, "D": FieldType.DATE, "B": FieldType.BOOLEAN,
             "E": FieldType.EMAIL_ADDRESS, "T": FieldType.TEXT}  # fmt: skip
    views = DataViews(rows=None, store=None, seed=1, scale="small", clock=Clock())  # type: ignore[arg-type]
    assert len(views.names()) >= 14
    for name in views.names():
        spec = views.spec(name)
        assert spec is not None
        expected = reference[name]
        assert [f.name for f in spec.fields] == [c for c, _ in expected], name
        for f, (_, code) in zip(spec.fields, expected, strict=True):
            letters, digits = code.rstrip("0123456789"), code.lstrip("TNDBE")
            assert f.field_type is codes[letters], (name, f.name)
            if digits:
                assert f.max_length == int(digits), (name, f.name)
            if f.field_type in (FieldType.TEXT, FieldType.EMAIL_ADDRESS):
                assert f.max_length is not None and 1 <= f.max_length <= 4000


def test_open_matches_the_official_type_example() -> None:
    spec = DataViews(rows=None, store=None, seed=1, scale="small", clock=Clock()).spec("_open")  # type: ignore[arg-type]
    assert spec is not None and spec.name == "_Open" and spec.tracking
    types = {f.name: (f.field_type, f.max_length) for f in spec.fields}
    assert types["SubscriberKey"] == (FieldType.TEXT, 254)
    assert types["EventDate"][0] is FieldType.DATE
    assert types["IsUnique"][0] is FieldType.BOOLEAN
    assert {types[c][0] for c in ("AccountID", "OYBAccountID", "JobID", "BatchID")} == {
        FieldType.NUMBER
    }


def test_lookup_is_case_insensitive_with_the_underscore(parent: Views) -> None:
    views = parent.views
    spec = views.spec("_SENT")
    assert spec is not None and spec.name == "_Sent"
    assert views.spec("_businessunitunsubscribes") is not None
    assert views.spec("Sent") is None and views.spec("_Nope") is None
    assert views.table(parent.mid, "_sent") == views.table(parent.mid, "_Sent")


def test_tables_have_the_duckdb_types_of_their_fields(parent: Views) -> None:
    for name in parent.views.names():
        spec = parent.views.spec(name)
        assert spec is not None
        table = parent.views.table(parent.mid, name)
        assert not table.startswith("de_")
        described = parent.sql(f'DESCRIBE "{table}"')
        assert [(r[0], r[1]) for r in described] == [(f.name, duckdb_type(f)) for f in spec.fields]


def test_unknown_view_or_business_unit_is_a_key_error(parent: Views) -> None:
    with pytest.raises(KeyError):
        parent.views.table(parent.mid, "_Nope")
    with pytest.raises(KeyError):
        parent.views.table(1, "_Sent")
    with pytest.raises(KeyError):
        parent.views.row_count(1, "_Sent")


# ------------------------------------------------------------------------------- laziness
def test_nothing_is_generated_until_a_table_is_asked_for() -> None:
    """Laziness observed in DuckDB's catalogue (how long generation takes is a benchmark:
    ``python -m bench.dataviews``)."""
    sim = make_sim()
    try:
        views = views_for(sim)
        assert views.names() and views.spec("_Sent") is not None
        assert _dv_tables(sim) == []  # making the views and reading their specs: nothing
        child, other = _child_mids(sim)[:2]
        table = views.table(child, "_Open")
        created = _dv_tables(sim)
        assert table in created
        # That BU's views only (not the parent's, not the other child's), no staging left.
        assert all(t.startswith(f"dv_{child}_") and "__" not in t for t in created)
        assert len(created) == len(views.names())
        assert not any(t.startswith(f"dv_{other}_") for t in created)
        # Generated once: emptied, the table stays empty when asked for again.
        with sim.rows.connection() as con:
            con.execute(f'DELETE FROM "{table}"')
        assert views.table(child, "_Open") == table
        assert views.table(child, "_Sent") in created
        assert _count(sim, table) == 0
        assert _dv_tables(sim) == created
        views.reset()
        assert _dv_tables(sim) == []
        assert views.row_count(child, "_Open") == _count(sim, table) > 0
    finally:
        sim.close()


def _count(sim: Simulator, table: str) -> int:
    with sim.rows.connection() as con:
        row = con.execute(f'SELECT count(*) FROM "{table}"').fetchone()
    assert row is not None
    return int(row[0])


# ------------------------------------------------------------------------------ coherence
def test_sizes_and_counts(parent: Views) -> None:
    counts = {name: parent.views.row_count(parent.mid, name) for name in parent.views.names()}
    for name, count in counts.items():
        assert parent.scalar(f"SELECT count(*) FROM {{{name}}}") == count
    assert counts["_Subscribers"] >= 1500
    assert 3_000 <= sum(counts.values()) <= 60_000
    assert counts["_Sent"] > counts["_Open"] > counts["_Click"] > counts["_Bounce"] > 0
    assert counts["_Unsubscribe"] > 0 and counts["_Journey"] > 0


def _without_earlier(views: Views, event: str, *, cause: str, where: str = "") -> int:
    """Rows of ``event`` with no row of ``cause`` for the same send at or before them."""
    keys = " AND ".join(f"c.{k} = e.{k}" for k in SEND_KEYS)
    return int(
        views.scalar(
            f"SELECT count(*) FROM {{{event}}} e WHERE NOT EXISTS (SELECT 1 FROM {{{cause}}} c "
            f"WHERE {keys} {where} AND c.EventDate <= e.{TRACKING_DATES[event]})"
        )
    )


def test_every_open_follows_its_send(parent: Views) -> None:
    assert _without_earlier(parent, "_Open", cause="_Sent") == 0


def test_exactly_one_unique_open_per_opened_send_and_it_is_the_first(parent: Views) -> None:
    rows = parent.sql(
        "SELECT count(*) FILTER (WHERE IsUnique) AS uniques, "
        "min(EventDate) = min(EventDate) FILTER (WHERE IsUnique) AS first "
        "FROM {_Open} GROUP BY JobID, SubscriberID"
    )
    assert rows and all(uniques == 1 and first for uniques, first in rows)
    assert parent.scalar("SELECT count(*) FROM {_Open} WHERE NOT IsUnique") > 0


def test_every_click_follows_an_open_of_its_send(parent: Views) -> None:
    assert _without_earlier(parent, "_Click", cause="_Open", where="AND c.IsUnique") == 0
    links = parent.sql("SELECT JobID, count(DISTINCT URL) FROM {_Click} GROUP BY JobID")
    assert links and all(1 <= n <= 5 for _, n in links)
    assert parent.scalar("SELECT count(*) FROM {_Click} WHERE LinkName IS NULL") == 0


@pytest.mark.parametrize("view", ["_Bounce", "_Unsubscribe", "_Complaint", "_FTAF"])
def test_bounces_unsubscribes_complaints_forwards_belong_to_sends(parent: Views, view: str) -> None:
    assert _without_earlier(parent, view, cause="_Sent") == 0
    assert parent.scalar(f"SELECT count(*) FROM {{{view}}} WHERE NOT IsUnique") == 0


def test_bounced_sends_are_never_opened(parent: Views) -> None:
    both = parent.scalar(
        "SELECT count(*) FROM {_Bounce} b JOIN {_Open} o "
        "ON o.JobID = b.JobID AND o.SubscriberID = b.SubscriberID"
    )
    assert both == 0


def test_dates_are_within_six_months_and_not_in_the_future(parent: Views) -> None:
    earliest = NOW - timedelta(days=182)
    for view, column in TRACKING_DATES.items():
        low, high = parent.sql(f"SELECT min({column}), max({column}) FROM {{{view}}}")[0]
        if low is not None:
            assert earliest <= low <= high <= NOW, view
    for column in ("SchedTime", "PickupTime", "DeliveredTime", "CreatedDate", "ModifiedDate"):
        low, high = parent.sql(f"SELECT min({column}), max({column}) FROM {{_Job}}")[0]
        assert earliest - timedelta(days=8) <= low <= high <= NOW, column
    late = parent.scalar(
        "SELECT count(*) FROM {_Sent} s JOIN {_Job} j USING (JobID) "
        "WHERE s.EventDate < j.PickupTime"
    )
    assert late == 0
    utc = parent.scalar("SELECT max(UnsubDateUTC) FROM {_BusinessUnitUnsubscribes}")
    assert utc <= NOW + timedelta(hours=6)


def test_subscribers_join_the_seeded_subscribers_de(parent: Views) -> None:
    de = parent.sim.store.get_de(parent.mid, customer_key="subscribers")
    assert de is not None
    de_table = parent.sim.rows.table_name(de)
    missing = parent.scalar(
        f'SELECT count(*) FROM "{de_table}" d LEFT JOIN {{_Subscribers}} s '
        "ON s.SubscriberKey = d.SubscriberKey WHERE s.SubscriberKey IS NULL"
    )
    assert missing == 0
    beyond = parent.scalar(
        "SELECT count(*) FROM {_Subscribers} s "
        f'WHERE s.SubscriberKey NOT IN (SELECT SubscriberKey FROM "{de_table}")'
    )
    assert beyond > 0
    keys = parent.sql("SELECT min(SubscriberKey), count(DISTINCT SubscriberID) FROM {_Subscribers}")
    assert keys[0][0] == "SUB-000000"
    assert keys[0][1] == parent.views.row_count(parent.mid, "_Subscribers")


def test_subscriber_ids_and_keys_agree_across_views(parent: Views) -> None:
    for view in ("_Sent", "_Open", "_Click", "_Bounce", "_ListSubscribers",
                 "_BusinessUnitUnsubscribes"):  # fmt: skip
        strays = parent.scalar(
            f"SELECT count(*) FROM {{{view}}} e LEFT JOIN {{_Subscribers}} s "
            "ON s.SubscriberID = e.SubscriberID AND s.SubscriberKey = e.SubscriberKey "
            "WHERE s.SubscriberID IS NULL"
        )
        assert strays == 0, view
    for view in ("_Sent", "_Open", "_Job", "_Bounce"):
        accounts = parent.sql(f"SELECT DISTINCT AccountID FROM {{{view}}}")
        assert accounts == [(parent.mid,)], view


def test_statuses_lists_and_unsubscribes_agree(parent: Views) -> None:
    unsubscribed = parent.sql(
        "SELECT SubscriberID, DateUnsubscribed FROM {_Subscribers} "
        "WHERE Status = 'unsubscribed' ORDER BY 1"
    )
    events = parent.sql("SELECT SubscriberID, EventDate FROM {_Unsubscribe} ORDER BY 1")
    bu = parent.sql(
        "SELECT SubscriberID, UnsubDateUTC - INTERVAL 6 HOUR FROM {_BusinessUnitUnsubscribes} "
        f"WHERE BusinessUnitID = {parent.mid} ORDER BY 1"
    )
    assert unsubscribed == events == bu and events
    after = parent.scalar(
        "SELECT count(*) FROM {_Sent} s JOIN {_Unsubscribe} u USING (SubscriberID) "
        "WHERE s.EventDate > u.EventDate"
    )
    assert after == 0
    mismatched = parent.scalar(
        "SELECT count(*) FROM {_Subscribers} s LEFT JOIN {_ListSubscribers} l "
        "ON l.SubscriberID = s.SubscriberID AND l.ListName = 'All Subscribers' "
        "WHERE l.Status IS DISTINCT FROM s.Status"
    )
    assert mismatched == 0
    bounced = parent.sql(
        "SELECT s.BounceCount, (SELECT count(*) FROM {_Bounce} b "
        "WHERE b.SubscriberID = s.SubscriberID) FROM {_Subscribers} s "
        "WHERE s.Status IN ('held', 'bounced')"
    )
    assert bounced and all(a == b > 0 for a, b in bounced)


def test_journeys_join_activities_and_triggered_sends(parent: Views) -> None:
    orphans = parent.scalar(
        "SELECT count(*) FROM {_JourneyActivity} a LEFT JOIN {_Journey} j USING (VersionID) "
        "WHERE j.VersionID IS NULL"
    )
    assert orphans == 0
    per_journey = parent.sql(
        "SELECT JourneyID, count(*), count(DISTINCT VersionNumber), max(VersionNumber) "
        "FROM {_Journey} GROUP BY JourneyID"
    )
    assert all(n == distinct == top for _, n, distinct, top in per_journey)
    journey_sends = parent.sql(
        "SELECT count(*), count(a.ActivityID), count(DISTINCT j.JourneyName) "
        "FROM {_Sent} s LEFT JOIN {_JourneyActivity} a "
        "ON a.JourneyActivityObjectID = s.TriggererSendDefinitionObjectID "
        "AND a.ActivityType = 'EMAILV2' LEFT JOIN {_Journey} j ON j.VersionID = a.VersionID "
        "WHERE s.TriggererSendDefinitionObjectID IS NOT NULL"
    )
    total, matched, journeys = journey_sends[0]
    assert total > 0 and matched == total and journeys >= 1


def test_group_counts_add_up_to_totals(parent: Views) -> None:
    for view, group in (("_Sent", "JobID"), ("_Bounce", "BounceCategory"),
                        ("_Subscribers", "Status"), ("_Click", "LinkName"),
                        ("_ListSubscribers", "ListName"), ("_Open", "IsUnique")):  # fmt: skip
        total = parent.scalar(f"SELECT count(*) FROM {{{view}}}")
        grouped = parent.scalar(
            f"SELECT sum(n) FROM (SELECT {group}, count(*) AS n FROM {{{view}}} GROUP BY 1)"
        )
        assert grouped == total, view
    sent_jobs = parent.scalar(
        "SELECT count(DISTINCT s.JobID) FROM {_Sent} s LEFT JOIN {_Job} j USING (JobID) "
        "WHERE j.JobID IS NOT NULL"
    )
    assert sent_jobs == parent.scalar("SELECT count(DISTINCT JobID) FROM {_Sent}")


# --------------------------------------------------------------------- determinism and BUs
def _snapshot(views: DataViews, sim: Simulator, mid: int) -> dict[str, list[tuple[Any, ...]]]:
    with sim.rows.connection() as con:
        return {
            name: con.execute(f'SELECT * FROM "{views.table(mid, name)}"').fetchall()
            for name in ("_Job", "_Sent", "_Open", "_Click", "_Subscribers", "_Journey")
        }


def test_same_seed_same_rows_other_seed_other_rows() -> None:
    sims = [make_sim(), make_sim(), make_sim()]
    try:
        child = _child_mids(sims[0])[0]
        assert all(_child_mids(s)[0] == child for s in sims)
        seeds = (1, 1, 2)
        shots = [
            _snapshot(views_for(s, seed=seed), s, child)
            for s, seed in zip(sims, seeds, strict=True)
        ]
        assert shots[0] == shots[1]
        for name in ("_Job", "_Sent", "_Open", "_Click"):
            assert shots[0][name] != shots[2][name], name
    finally:
        for s in sims:
            s.close()


def test_business_units_get_different_rows(parent: Views) -> None:
    first, second = _child_mids(parent.sim)[:2]
    shots = [_snapshot(parent.views, parent.sim, mid) for mid in (first, second)]
    for name in ("_Sent", "_Open", "_Job"):
        assert shots[0][name] != shots[1][name], name
    jobs = parent.sql("SELECT JobID FROM {_Job}", first)
    assert not set(jobs) & set(parent.sql("SELECT JobID FROM {_Job}", second))
    # a person is the same in every BU of the enterprise (as in "All Subscribers")
    ids = "SELECT SubscriberKey, SubscriberID, EmailAddress FROM {_Subscribers} ORDER BY 1"
    in_child = parent.sql(ids, first)
    assert set(in_child) <= set(parent.sql(ids))


# ------------------------------------------------------------------------------- scale
@pytest.mark.slow
def test_large_scale_reaches_a_million_sends_in_the_parent() -> None:
    sim = make_sim(scale="large")
    try:
        views = views_for(sim, scale="large")
        sent = views.row_count(sim.store.enterprise.eid, "_Sent")  # timed in bench.dataviews
        assert sent >= 1_000_000
        assert views.row_count(sim.store.enterprise.eid, "_Open") > 200_000
    finally:
        sim.close()
    medium_sim = make_sim(scale="medium")
    try:
        medium = views_for(medium_sim, scale="medium")
        assert 30_000 < medium.row_count(medium_sim.store.enterprise.eid, "_Sent") < sent
    finally:
        medium_sim.close()
