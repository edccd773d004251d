"""Running queries into target DEs: Overwrite, Append, Update and their failures."""

from __future__ import annotations

import pytest

from simulator.sql import QueryCatalog, SqlError, run_query, validate_query
from simulator.state import Simulator
from tests.simulator.test_sql_support import NOW, catalog_for, de, module_sim, us_mid

sim = pytest.fixture(scope="module", name="sim")(module_sim)


@pytest.fixture
def catalog(sim: Simulator) -> QueryCatalog:
    return catalog_for(sim)


def _staging(sim: Simulator, catalog: QueryCatalog, rows: str = "") -> None:
    """Empty Staging (Id Number PK, Note Text(100)) emptied, then filled by ``rows``."""
    target = de(sim, us_mid(sim), "Empty Staging")
    sim.rows.truncate(target)
    if rows:
        run_query(catalog, mid=us_mid(sim), text=rows, target=target, update_type="Append")


def _staging_rows(sim: Simulator) -> list[tuple[object, ...]]:
    target = de(sim, us_mid(sim), "Empty Staging")
    return sorted(sim.rows.fetch(target), key=lambda r: int(str(r[0])))


def test_overwrite_replaces_rows_and_maps_columns_by_name(
    sim: Simulator, catalog: QueryCatalog
) -> None:
    mid = us_mid(sim)
    target = de(sim, mid, "Active Subscribers")
    text = "SELECT emailaddress, SUBSCRIBERKEY FROM Subscribers WHERE OptIn = 1"
    written = run_query(catalog, mid=mid, text=text, target=target, update_type="Overwrite")
    opted = sim.rows.count(de(sim, mid, "Subscribers"), where='"OptIn"')
    assert written == opted == sim.rows.count(target)
    again = run_query(catalog, mid=mid, text=text, target=target, update_type="Overwrite")
    assert again == sim.rows.count(target)
    key, email = sim.rows.fetch(target, limit=1)[0]
    assert str(key).startswith("SUB-") and "@" in str(email)


def test_rows_are_stamped_with_server_time(sim: Simulator, catalog: QueryCatalog) -> None:
    _staging(sim, catalog, "SELECT 1 AS Id, 'a' AS Note")
    target = de(sim, us_mid(sim), "Empty Staging")
    with sim.rows.connection() as con:
        sql = f'SELECT "_sim_added" FROM {sim.rows.table_name(target)}'  # noqa: S608
        stamp = con.execute(sql).fetchone()
    assert stamp == (NOW,)


def test_append_inserts_and_update_upserts(sim: Simulator, catalog: QueryCatalog) -> None:
    mid = us_mid(sim)
    target = de(sim, mid, "Empty Staging")
    _staging(sim, catalog, "SELECT 1 AS Id, 'one' AS Note UNION ALL SELECT 2, 'two'")
    text = "SELECT 2 AS Id, 'TWO' AS Note UNION ALL SELECT 3, 'three'"
    assert run_query(catalog, mid=mid, text=text, target=target, update_type="Update") == 2
    assert _staging_rows(sim) == [(1, "one"), (2, "TWO"), (3, "three")]
    only_ids = "SELECT 3 AS Id UNION ALL SELECT 4"
    assert run_query(catalog, mid=mid, text=only_ids, target=target, update_type="Update") == 2
    assert _staging_rows(sim) == [(1, "one"), (2, "TWO"), (3, "three"), (4, None)]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "SELECT 5 AS Id, 'x' AS Note UNION ALL SELECT 5, 'y'",
            "Violation of PRIMARY KEY constraint 'PK_empty_staging'. Cannot insert duplicate "
            "key in object 'C{mid}.Empty Staging'. The duplicate key value is (5).",
        ),
        (
            "SELECT CAST(NULL AS INT) AS Id, 'x' AS Note",
            "Cannot insert the value NULL into column 'Id', table 'C{mid}.Empty Staging'; "
            "column does not allow nulls. INSERT fails.",
        ),
        (
            "SELECT 6 AS Id, REPLICATE('x', 101) AS Note",
            "String or binary data would be truncated.",
        ),
        (
            "SELECT 'seven' AS Id",
            "Conversion failed when converting the varchar value 'seven' to data type int.",
        ),
        ("SELECT 8 AS Id, 'x' AS Nope", "Invalid column name 'Nope'."),
        (
            "SELECT 'x' AS Note",
            "Cannot insert the value NULL into column 'Id', table 'C{mid}.Empty Staging'; "
            "column does not allow nulls. INSERT fails.",
        ),
    ],
)
@pytest.mark.parametrize("update_type", ["Overwrite", "Update"])
def test_failures_leave_overwrite_and_update_targets_unchanged(
    sim: Simulator, catalog: QueryCatalog, text: str, message: str, update_type: str
) -> None:
    mid = us_mid(sim)
    _staging(sim, catalog, "SELECT 1 AS Id, 'keep' AS Note")
    target = de(sim, mid, "Empty Staging")
    with pytest.raises(SqlError) as failure:
        run_query(catalog, mid=mid, text=text, target=target, update_type=update_type)
    assert failure.value.message == message.format(mid=mid)
    assert str(failure.value) == failure.value.message
    assert _staging_rows(sim) == [(1, "keep")]


def test_failed_append_keeps_rows_before_the_first_bad_row(
    sim: Simulator, catalog: QueryCatalog
) -> None:
    mid = us_mid(sim)
    _staging(sim, catalog, "SELECT 1 AS Id, 'existing' AS Note")
    text = (
        "SELECT TOP 100 PERCENT Id, Note FROM (SELECT 10 AS Id, 'a' AS Note UNION ALL "
        "SELECT 12, 'd' UNION ALL SELECT 1, 'c' UNION ALL SELECT 11, 'b') x ORDER BY Note"
    )
    target = de(sim, mid, "Empty Staging")
    with pytest.raises(SqlError, match="The duplicate key value is \\(1\\)"):
        run_query(catalog, mid=mid, text=text, target=target, update_type="Append")
    assert _staging_rows(sim) == [(1, "existing"), (10, "a"), (11, "b")]


def test_update_needs_a_primary_key(sim: Simulator, catalog: QueryCatalog) -> None:
    mid = us_mid(sim)
    target = de(sim, mid, "All Types")
    with pytest.raises(SqlError, match="Primary Key"):
        run_query(
            catalog, mid=mid, text="SELECT 'a' AS TextCol", target=target, update_type="Update"
        )
    errors = validate_query(
        catalog, mid=mid, text="SELECT 'a' AS TextCol", target=target, update_type="Update"
    )
    assert errors == [
        "The Target Data Extension must have a Primary Key to use the Update data action."
    ]


def test_validate_reports_required_fields_and_unknown_columns(
    sim: Simulator, catalog: QueryCatalog
) -> None:
    mid = us_mid(sim)
    target = de(sim, mid, "Active Subscribers")
    text = "SELECT EmailAddress, FirstName FROM Subscribers"
    assert validate_query(catalog, mid=mid, text=text, target=target, update_type="Overwrite") == [
        "Invalid column name 'FirstName'.",
        "Field 'SubscriberKey' is required for the Target Data Extension",
    ]
    good = "SELECT SubscriberKey, EmailAddress FROM Subscribers"
    assert validate_query(catalog, mid=mid, text=good, target=target, update_type="Update") == []
    assert validate_query(catalog, mid=mid, text=good, target=None, update_type="Overwrite") == []
