"""Query activities end to end over real HTTP (REST create/validate/start/isrunning/log, SOAP
status, the rowset endpoint): each construct MCE rejects, each target update type and each
failure it raises, the marketing corpus, and consistency of what lands in the target."""

from __future__ import annotations

import itertools
from typing import Any

import httpx
import pytest

from simulator.state import FieldSpec, Simulator
from tests.simulator.conftest import TokenFor
from tests.simulator.helpers import bearer, parent_mid
from tests.simulator.query_corpus import CORPUS, create_target

QUERIES = "automation/v1/queries"
_ORDER_BY = (
    "The ORDER BY clause is invalid in views, inline functions, derived tables, subqueries, "
    "and common table expressions, unless TOP, OFFSET or FOR XML is also specified."
)
_keys = itertools.count()


class Mce:
    """A REST caller for the parent BU with a fresh token (the clock never moves here)."""

    def __init__(self, sim: Simulator, http: httpx.Client, token: str) -> None:
        self.sim = sim
        self.http = http
        self.headers = bearer(token)
        self.mid = parent_mid(sim)
        root = sim.store.root_folder(self.mid, "queryactivity")
        assert root is not None
        self.folder = root.id

    def create(self, text: str, target: str, update_type: int = 0) -> httpx.Response:
        key = f"http_q_{next(_keys)}"
        body = {
            "name": key,
            "key": key,
            "queryText": text,
            "targetKey": target,
            "targetUpdateTypeId": update_type,
            "categoryId": self.folder,
        }
        return self.http.post(QUERIES, json=body, headers=self.headers)

    def validate(self, text: str, target: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"Text": text}
        if target:
            body["targetKey"] = target
        response = self.http.post(f"{QUERIES}/actions/validate", json=body, headers=self.headers)
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    def run(self, text: str, target: str, update_type: int = 0) -> tuple[str, str]:
        """Create, start and wait (the next request completes it); returns (id, log)."""
        created = self.create(text, target, update_type)
        assert created.status_code == 200, created.text
        query_id = created.json()["queryDefinitionId"]
        started = self.http.post(f"{QUERIES}/{query_id}/actions/start", headers=self.headers)
        assert (started.status_code, started.text) == (200, "OK")
        running = self.http.get(f"{QUERIES}/{query_id}/actions/isrunning", headers=self.headers)
        assert running.json() == {"queryDefinitionId": query_id, "isRunning": False}
        log = self.http.get(f"{QUERIES}/{query_id}/log", headers=self.headers)
        assert log.status_code == 200
        return query_id, log.text

    def rows(self, key: str) -> list[dict[str, str]]:
        """Every row of a DE through the rowset endpoint (keys and values merged)."""
        out: list[dict[str, str]] = []
        page = 1
        while True:
            response = self.http.get(
                f"data/v1/customobjectdata/key/{key}/rowset",
                params={"$page": str(page)},
                headers=self.headers,
            )
            assert response.status_code == 200, response.text
            body = response.json()
            out.extend({**item["keys"], **item["values"]} for item in body.get("items", []))
            if "next" not in body["links"]:
                return out
            page += 1


@pytest.fixture
def mce(sim: Simulator, http: httpx.Client, token_for: TokenFor) -> Mce:
    return Mce(sim, http, token_for(http)["access_token"])


def staging(mce: Mce, *rows: tuple[int, str]) -> None:
    """Fill the seeded ``Empty Staging`` DE (Id Number PK, Note Text(100)) with ``rows``."""
    de = mce.sim.store.get_de(mce.mid, customer_key="empty_staging")
    assert de is not None
    mce.sim.rows.truncate(de)
    mce.sim.rows.insert(de, [{"Id": i, "Note": n} for i, n in rows])


def staging_rows(mce: Mce) -> list[tuple[int, str]]:
    return sorted((int(r["id"]), r["note"]) for r in mce.rows("empty_staging"))


# ------------------------------------------------------------------ rejected constructs

REJECTED = [
    ("SELECT SubscriberKey, EmailAddress FROM Subscribers;", "';' is a reserved word"),
    ("SELECT SubscriberKey, EmailAddress FROM Subscribers; SELECT 1", "';' is a reserved word"),
    ("DELETE FROM Subscribers", "Only SELECT queries are valid."),
    ("INSERT INTO Subscribers (SubscriberKey) VALUES ('x')", "Only SELECT queries are valid."),
    ("EXEC sp_who", "Only SELECT queries are valid."),
    (
        "WITH c AS (SELECT SubscriberKey, EmailAddress FROM Subscribers) SELECT * FROM c",
        "Incorrect syntax near the keyword 'WITH'.",
    ),
    ("DECLARE @x INT", "'declare' is a reserved word and may not be used."),
    (
        "SELECT SubscriberKey, EmailAddress INTO #t FROM Subscribers",
        "'into' is a reserved word and may not be used.",
    ),
    ("SELECT SubscriberKey, EmailAddress FROM Subscribers ORDER BY SubscriberKey", _ORDER_BY),
    (
        "SELECT SubscriberKey, EmailAddress FROM Subscribers LIMIT 10",
        "Incorrect syntax near 'LIMIT'.",
    ),
    ("SELECT SubscriberKey, EmailAddress FROM [No Such DE]", "Invalid object name 'No Such DE'."),
    ("SELECT SubscriberKey, Nope AS EmailAddress FROM Subscribers", "Invalid column name 'Nope'."),
    (
        "SELECT SubscriberKey, EmailAddress FROM Subscribers s "
        "JOIN Orders o ON o.SubscriberKey = s.SubscriberKey",
        "Ambiguous column name 'SubscriberKey'.",
    ),
    (
        "SELECT SubscriberKey, UPPER(EmailAddress) FROM Subscribers",
        "No column name was specified for column 2 of 'querydef'.",
    ),
    (
        "SELECT EmailAddress FROM Subscribers",
        "Field 'SubscriberKey' is required for the Target Data Extension",
    ),
]


@pytest.mark.parametrize(("text", "message"), REJECTED, ids=[m for _t, m in REJECTED])
def test_each_rejected_construct_over_rest(mce: Mce, text: str, message: str) -> None:
    verdict = mce.validate(text, "active_subscribers")
    assert verdict["queryValid"] is False
    assert any(message in e["message"] for e in verdict["errors"]), verdict
    created = mce.create(text, "active_subscribers")
    assert created.status_code == 400, created.text
    assert message in created.text
    assert not [q for q in mce.sim.store.list_queries(mce.mid) if q.name.startswith("http_q_")]


def test_validate_accepts_what_mce_accepts(mce: Mce) -> None:
    text = (
        "SELECT TOP 5 SubscriberKey, EmailAddress FROM Subscribers WITH (NOLOCK) "
        "WHERE OptIn = 1 ORDER BY SubscriberKey -- a comment; with a semicolon"
    )
    verdict = mce.validate(text, "active_subscribers")
    assert verdict == {"queryValid": True, "errors": [], "warnings": []}


# ------------------------------------------------------------ target update types


def test_overwrite_append_and_update(mce: Mce) -> None:
    staging(mce, (1, "one"), (2, "two"))
    mce.run("SELECT 3 AS Id, 'three' AS Note UNION ALL SELECT 4, 'four'", "empty_staging", 0)
    assert staging_rows(mce) == [(3, "three"), (4, "four")]
    mce.run("SELECT 5 AS Id, 'five' AS Note", "empty_staging", 2)  # Append
    assert staging_rows(mce) == [(3, "three"), (4, "four"), (5, "five")]
    mce.run("SELECT 4 AS Id, 'FOUR' AS Note UNION ALL SELECT 6, 'six'", "empty_staging", 1)
    assert staging_rows(mce) == [(3, "three"), (4, "FOUR"), (5, "five"), (6, "six")]


FAILURES = [
    ("SELECT 5 AS Id, 'x' AS Note UNION ALL SELECT 5, 'y'", "Violation of PRIMARY KEY constraint"),
    (
        "SELECT CAST(NULL AS INT) AS Id, 'x' AS Note",
        "Cannot insert the value NULL into column 'Id'",
    ),
    ("SELECT 6 AS Id, REPLICATE('x', 101) AS Note", "String or binary data would be truncated."),
    ("SELECT 'seven' AS Id, 'x' AS Note", "Conversion failed when converting the varchar value"),
]


@pytest.mark.parametrize(("text", "message"), FAILURES, ids=[m for _t, m in FAILURES])
@pytest.mark.parametrize("update_type", [0, 1], ids=["Overwrite", "Update"])
def test_failures_are_reported_and_leave_the_target(
    mce: Mce, text: str, message: str, update_type: int
) -> None:
    staging(mce, (1, "keep"))
    _query_id, log = mce.run(text, "empty_staging", update_type)
    assert message in log
    assert staging_rows(mce) == [(1, "keep")]


def test_a_failed_append_keeps_the_rows_before_the_bad_one(mce: Mce) -> None:
    staging(mce, (1, "existing"))
    text = (
        "SELECT TOP 100 PERCENT Id, Note FROM (SELECT 10 AS Id, 'a' AS Note UNION ALL "
        "SELECT 12, 'd' UNION ALL SELECT 1, 'c' UNION ALL SELECT 11, 'b') x ORDER BY Note"
    )
    _query_id, log = mce.run(text, "empty_staging", 2)
    assert "The duplicate key value is (1)." in log
    assert staging_rows(mce) == [(1, "existing"), (10, "a"), (11, "b")]


def test_append_duplicates_against_existing_rows_fail(mce: Mce) -> None:
    staging(mce, (1, "existing"))
    _query_id, log = mce.run("SELECT 1 AS Id, 'again' AS Note", "empty_staging", 2)
    assert "Violation of PRIMARY KEY constraint" in log
    assert staging_rows(mce) == [(1, "existing")]


def test_update_needs_a_primary_key(mce: Mce) -> None:
    created = mce.create("SELECT TextCol FROM [All Types]", "all_types", 1)
    assert created.status_code == 400
    assert "Primary Key" in created.text


# ------------------------------------------------------------------------- corpus


@pytest.mark.parametrize("index", range(len(CORPUS)), ids=[q.name for q in CORPUS])
def test_corpus_query_completes_over_http(mce: Mce, index: int) -> None:
    query = CORPUS[index]
    key = f"corpus_http_{index}"
    create_target(mce.sim, mid=mce.mid, key=key, query=query)
    assert mce.validate(query.text, key)["queryValid"] is True
    _query_id, log = mce.run(query.text, key)
    assert log == ""
    de = mce.sim.store.get_de(mce.mid, customer_key=key)
    assert de is not None
    assert len(mce.rows(key)) == mce.sim.rows.count(de)


def test_the_corpus_covers_the_marketing_cases() -> None:
    assert len(CORPUS) >= 20
    texts = " ".join(q.text.upper() for q in CORPUS)
    for construct in ("ROW_NUMBER()", "UNION", "NOT EXISTS", "DATEADD", "DATEDIFF", "_BOUNCE"):
        assert construct in texts, construct
    for view in ("_SENT", "_OPEN", "_CLICK", "_JOURNEY", "_JOB", "_UNSUBSCRIBE"):
        assert view in texts, view


# -------------------------------------------------------------------- consistency


def _totals(mce: Mce, text: str, fields: list[FieldSpec]) -> list[dict[str, str]]:
    key = f"totals_{next(_keys)}"
    mce.sim.store.create_de(mid=mce.mid, name=key, customer_key=key, fields=fields)
    _query_id, log = mce.run(text, key)
    assert log == ""
    return mce.rows(key)


def _group_fields(group: str) -> list[FieldSpec]:
    return [FieldSpec(group, "Text", max_length=200), FieldSpec("Total", "Number")]


@pytest.mark.parametrize(
    ("view", "group"),
    [("_Bounce", "BounceCategory"), ("_Click", "LinkName"), ("_Sent", "Domain")],
)
def test_per_group_counts_add_up_to_the_total(mce: Mce, view: str, group: str) -> None:
    rows = _totals(
        mce,
        f"SELECT {group}, COUNT(*) AS Total FROM {view} GROUP BY {group}",  # noqa: S608
        _group_fields(group),
    )
    count_all = f"SELECT COUNT(*) AS Total FROM {view}"  # noqa: S608 - a fixed view name
    (total,) = _totals(mce, count_all, [FieldSpec("Total", "Number")])
    assert len(rows) > 1
    assert sum(int(r["total"]) for r in rows) == int(total["total"]) > 0


def test_data_views_are_coherent_through_sql(mce: Mce) -> None:
    checks = {
        "opens without a send": (
            "SELECT COUNT(*) AS Total FROM _Open o WHERE NOT EXISTS (SELECT 1 FROM _Sent s "
            "WHERE s.JobID = o.JobID AND s.SubscriberID = o.SubscriberID "
            "AND s.EventDate <= o.EventDate)"
        ),
        "clicks without an open": (
            "SELECT COUNT(*) AS Total FROM _Click c WHERE NOT EXISTS (SELECT 1 FROM _Open o "
            "WHERE o.JobID = c.JobID AND o.SubscriberID = c.SubscriberID "
            "AND o.EventDate <= c.EventDate)"
        ),
        "bounces without a send": (
            "SELECT COUNT(*) AS Total FROM _Bounce b LEFT JOIN _Sent s ON s.JobID = b.JobID "
            "AND s.SubscriberID = b.SubscriberID WHERE s.JobID IS NULL"
        ),
        "unsubscribes without a send": (
            "SELECT COUNT(*) AS Total FROM _Unsubscribe u LEFT JOIN _Sent s ON s.JobID = u.JobID "
            "AND s.SubscriberID = u.SubscriberID WHERE s.JobID IS NULL"
        ),
        "events older than six months": (
            "SELECT COUNT(*) AS Total FROM _Sent WHERE EventDate < DATEADD(month, -6, GETDATE()) "
            "OR EventDate > GETDATE()"
        ),
    }
    found = {
        name: int(_totals(mce, text, [FieldSpec("Total", "Number")])[0]["total"])
        for name, text in checks.items()
    }
    assert found == dict.fromkeys(checks, 0)
