"""The pre-flight seed (simulator/seed_preflight.py): the QA BU's data breaks each rule a probe
measures exactly as many times as its constants say, running the query into the target fails
as MCE would, and the rest of the enterprise is unchanged by it."""

from __future__ import annotations

from collections import Counter

import pytest

from simulator import seed_preflight as seeded
from simulator.sql import QueryCatalog, SqlError, run_query
from simulator.state import Simulator
from tests.simulator.soap_helpers import bu_mids

WRITE = (
    "SELECT SignupKey AS MemberKey, Email, FullName, Country, 'Gold' AS Tier"
    " FROM [Preflight Signups]"
)


def test_the_signups_break_each_rule_as_counted(sim: Simulator) -> None:
    qa = bu_mids(sim)["qa"]
    signups = sim.store.get_de(qa, customer_key="preflight_signups")
    members = sim.store.get_de(qa, customer_key="preflight_members")
    assert signups is not None and members is not None
    rows = sim.rows.fetch(signups, columns=["SignupKey", "Email", "FullName"])
    assert len(rows) == seeded.SIGNUPS
    counts = Counter(key for key, _, _ in rows)
    repeated = {key: n for key, n in counts.items() if n > 1}
    assert (len(repeated), sum(repeated.values())) == (
        seeded.DUPLICATE_KEYS,
        seeded.DUPLICATE_ROWS,
    )
    assert sum(1 for _, email, _ in rows if email is None) == seeded.MISSING_EMAILS
    long_names = [len(name) for _, _, name in rows if len(name) > seeded.NAME_LIMIT]
    assert (len(long_names), max(long_names)) == (seeded.TOO_LONG_NAMES, seeded.LONGEST_NAME)
    member_keys = {key for (key,) in sim.rows.fetch(members, columns=["MemberKey"])}
    assert len(member_keys & set(counts)) == seeded.KEYS_IN_MEMBERS
    assert [f.name for f in members.primary_key] == ["MemberKey"]
    log = sim.store.get_de(qa, customer_key="preflight_log")
    assert log is not None and not log.primary_key


@pytest.mark.parametrize(
    ("update_type", "message"),
    [
        ("Append", "Violation of PRIMARY KEY constraint"),
        ("Overwrite", "String or binary data would be truncated."),
    ],
)
def test_writing_the_signups_into_the_members_fails_as_mce_would(
    sim: Simulator, update_type: str, message: str
) -> None:
    qa = bu_mids(sim)["qa"]
    members = sim.store.get_de(qa, customer_key="preflight_members")
    assert members is not None
    engine = QueryCatalog(
        store=sim.store, rows=sim.rows, views=sim.dataviews, now=sim.clock.server_now,
        utcnow=sim.clock.utcnow,
    )  # fmt: skip
    with pytest.raises(SqlError) as failed:
        run_query(engine, mid=qa, text=WRITE, target=members, update_type=update_type)
    assert message in failed.value.message


def test_the_automation_runs_the_activity_writing_into_the_members(sim: Simulator) -> None:
    qa = bu_mids(sim)["qa"]
    query = sim.store.get_query(qa, customer_key="preflight_refresh_members")
    assert query is not None and query.target_key == "preflight_members"
    [automation] = [a for a in sim.automations.automations.values() if a.mid == qa]
    assert automation.name == "Preflight Nightly"
    assert [a.activity_object_id for s in automation.steps for a in s.activities] == [
        query.object_id
    ]
    others = [mid for mid in sim.store.business_units if mid != qa]
    assert not any(sim.store.get_de(mid, customer_key="preflight_members") for mid in others)
