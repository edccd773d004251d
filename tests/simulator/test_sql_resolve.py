"""Name resolution per BU, ENT., brackets, case, data views; estimates; the MCE wrapper."""

from __future__ import annotations

import pytest

from simulator.sql import (
    QueryCatalog,
    SqlError,
    estimate_rows,
    run_query,
    validate_query,
    validated_query_text,
)
from simulator.sql.transpile import compile_query
from simulator.state import FieldSpec, Simulator
from tests.simulator.helpers import parent_mid
from tests.simulator.test_sql_support import catalog_for, de, module_sim, us_mid

sim = pytest.fixture(scope="module", name="sim")(module_sim)


@pytest.fixture(scope="module")
def catalog(sim: Simulator) -> QueryCatalog:
    return catalog_for(sim)


def _errors(sim: Simulator, catalog: QueryCatalog, text: str, mid: int | None = None) -> list[str]:
    return validate_query(
        catalog, mid=mid or us_mid(sim), text=text, target=None, update_type="Overwrite"
    )


@pytest.mark.parametrize(
    "text",
    [
        "SELECT OrderID FROM Orders",
        "SELECT orderid FROM ORDERS o WITH (NOLOCK)",
        "SELECT [Event Type] AS EventType FROM [Web Events 2024] w",
        "SELECT [Web Events 2024].[Page URL] AS Url FROM [Web Events 2024]",
        "SELECT SKU FROM ENT.[Shared Products]",
        "SELECT SKU FROM [Shared Products]",
        "SELECT EmailAddress FROM ENT.[Shared Suppression List]",
        "SELECT SubscriberKey FROM _Sent",
        "SELECT s.SubscriberKey FROM ENT._Sent s",
        "SELECT s.SubscriberKey FROM _sent s JOIN _Open o ON o.SubscriberKey = s.SubscriberKey",
        "SELECT GETDATE() AS Now",
    ],
)
def test_names_that_resolve(sim: Simulator, catalog: QueryCatalog, text: str) -> None:
    assert _errors(sim, catalog, text) == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("SELECT a FROM Nope", "Invalid object name 'Nope'."),
        ("SELECT a FROM ENT.Orders", "Invalid object name 'ENT.Orders'."),
        ("SELECT a FROM dbo.Orders", "Invalid object name 'dbo.Orders'."),
        ("SELECT a FROM _NoSuchView", "Invalid object name '_NoSuchView'."),
        ("SELECT Nope FROM Orders", "Invalid column name 'Nope'."),
        ("SELECT o.Nope FROM Orders o", "Invalid column name 'Nope'."),
        ("SELECT _sim_added FROM Orders", "Invalid column name '_sim_added'."),
        (
            "SELECT SubscriberKey FROM Orders o JOIN Subscribers s "
            "ON o.SubscriberKey = s.SubscriberKey",
            "Ambiguous column name 'SubscriberKey'.",
        ),
        ("SELECT OrderID + 1 FROM Orders", "No column name was specified for column 1 of "
         "'querydef'."),
        (
            "SELECT * FROM Orders o JOIN Subscribers s ON o.SubscriberKey = s.SubscriberKey",
            "The column 'SubscriberKey' was specified multiple times for 'querydef'.",
        ),
    ],
)  # fmt: skip
def test_names_that_fail(sim: Simulator, catalog: QueryCatalog, text: str, message: str) -> None:
    assert _errors(sim, catalog, text) == [message]


def test_each_bu_reads_its_own_rows(sim: Simulator, catalog: QueryCatalog) -> None:
    parent, child = parent_mid(sim), us_mid(sim)
    assert estimate_rows(catalog, mid=parent, text="SELECT OrderID FROM Orders") == 6000
    assert estimate_rows(catalog, mid=child, text="SELECT OrderID FROM Orders") == 1500
    joined = (
        "SELECT o.OrderID FROM Orders o JOIN Subscribers s ON o.SubscriberKey = s.SubscriberKey"
    )
    assert estimate_rows(catalog, mid=child, text=joined) == 1500 + 375
    assert estimate_rows(catalog, mid=child, text="SELECT 1 AS a FROM _Sent") == 4
    assert estimate_rows(catalog, mid=child, text="SELECT nonsense") == 0


def test_star_never_shows_the_hidden_column(sim: Simulator, catalog: QueryCatalog) -> None:
    compiled = compile_query(catalog, mid=us_mid(sim), text="SELECT * FROM [Empty Staging]")
    assert compiled.columns == ("Id", "Note")


def test_data_views_are_per_bu(sim: Simulator, catalog: QueryCatalog) -> None:
    a = compile_query(catalog, mid=us_mid(sim), text="SELECT JobID FROM _Sent")
    b = compile_query(catalog, mid=us_mid(sim), text="SELECT JobID FROM ENT._Sent")
    assert f"dv_test_{us_mid(sim)}_sent" in a.sql
    assert f"dv_test_{parent_mid(sim)}_sent" in b.sql


def test_data_views_are_read_only_targets_must_be_des(sim: Simulator) -> None:
    """Targets are DataExtension objects by type; a view has no DE to write into."""
    assert sim.store.get_de(us_mid(sim), name="_Sent") is None


def test_validated_query_text_wraps_like_mce(sim: Simulator) -> None:
    mid = us_mid(sim)
    target = de(sim, mid, "Active Subscribers")
    text = "SELECT SubscriberKey as subscriberkey FROM _Subscribers "
    assert validated_query_text(mid=mid, text=text, target=target) == (
        "SET NOCOUNT ON; SET TRANSACTION ISOLATION LEVEL READ UNCOMMITTED;\n"  # noqa: S608
        f"INSERT INTO C{mid}.[Active Subscribers] ([SubscriberKey])\n"
        "SELECT querydef.[SubscriberKey]\n"
        f"FROM (SELECT SubscriberKey as subscriberkey FROM C{mid}._Subscribers ) AS querydef\n"
        "SELECT @rcInsert = @@ROWCOUNT;;"
    )


def test_a_six_thousand_row_join_runs_and_a_failed_append_keeps_the_target(
    sim: Simulator, catalog: QueryCatalog
) -> None:
    mid = parent_mid(sim)
    target = sim.store.create_de(
        mid=mid,
        name="Order Report",
        customer_key="order_report",
        fields=[
            FieldSpec(name="OrderID", field_type="Number", is_primary_key=True),
            FieldSpec(name="Email", field_type="EmailAddress"),
            FieldSpec(name="Amount", field_type="Decimal", precision=12, scale=2),
            FieldSpec(name="OrderDay", field_type="Text", max_length=10),
        ],
    )
    text = (
        "SELECT o.OrderID, s.EmailAddress AS Email, o.Amount, "
        "CONVERT(VARCHAR(10), o.OrderDate, 120) AS OrderDay "
        "FROM Orders o INNER JOIN Subscribers s ON s.SubscriberKey = o.SubscriberKey"
    )
    written = run_query(catalog, mid=mid, text=text, target=target, update_type="Overwrite")
    assert written == 6000 == sim.rows.count(target)
    with pytest.raises(SqlError, match="duplicate key"):
        run_query(catalog, mid=mid, text=text, target=target, update_type="Append")
    assert sim.rows.count(target) == 6000


def test_very_large_predicates_validate_and_run(sim: Simulator, catalog: QueryCatalog) -> None:
    """3,000 ORs: past the size where type annotation is skipped, the query still checks,
    resolves and runs (names are still validated by DuckDB's binder)."""
    mid = parent_mid(sim)
    keys = " OR ".join(f"SubscriberKey = 'SUB-{i:06d}'" for i in range(3000))
    text = f"SELECT SubscriberKey, EmailAddress FROM Subscribers WHERE {keys}"  # noqa: S608
    target = de(sim, mid, "Active Subscribers")
    assert validate_query(catalog, mid=mid, text=text, target=target, update_type="Overwrite") == []
    assert run_query(catalog, mid=mid, text=text, target=target, update_type="Overwrite") == 1500
    bad = text.replace("EmailAddress FROM", "Nope AS EmailAddress FROM")
    errors = validate_query(catalog, mid=mid, text=bad, target=target, update_type="Overwrite")
    assert errors == ["Invalid column name 'Nope'."]
