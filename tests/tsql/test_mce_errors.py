"""The error catalogue against messages the simulator really produces, and its own rules.

Each case makes the simulator fail (in-process: a run into a target DE, the validator, the REST
``actions/validate`` endpoint, a query activity that outlives the time limit) and checks that
:func:`explain_mce_error` recognises the message with the right code and subject. Every entry of
the catalogue has at least one such case.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Literal

import httpx
import pytest
import pytest_asyncio

from simulator.app import create_app
from simulator.sql import QueryCatalog, SqlError, run_query, validate_query
from simulator.state import Simulator
from tests.simulator.conftest import make_sim
from tests.simulator.helpers import bearer, parent_mid
from tests.simulator.test_sql_support import catalog_for, de, module_sim, us_mid
from tsql.functions import UNSUPPORTED_FUNCTIONS
from tsql.mce_errors import MCE_ERRORS, explain_mce_error

sim = pytest.fixture(scope="module", name="sim")(module_sim)

STAGING = "Empty Staging"  # Id Number (primary key), Note Text(100)
ALL_TYPES = "All Types"  # one nullable field of each type, no primary key


@dataclass(frozen=True)
class Case:
    """Make the simulator fail with ``text``: ``how`` it runs, into which ``target``."""

    how: Literal["run", "validate", "rest"]
    text: str
    code: str
    subject: str | None
    target: str | None = None
    update_type: str = "Overwrite"


CASES = (
    # Runs into a target DE (the messages a failed query activity shows).
    Case("run", "SELECT 5 AS Id, 'x' AS Note UNION ALL SELECT 5, 'y'",
         "PRIMARY_KEY_VIOLATION", "5", STAGING),
    Case("run", "SELECT 6 AS Id, REPLICATE('x', 101) AS Note", "STRING_TRUNCATED", None, STAGING),
    Case("run", "SELECT CAST(NULL AS INT) AS Id, 'x' AS Note", "NULL_INTO_REQUIRED", "Id", STAGING),
    Case("run", "SELECT 'x' AS Note", "NULL_INTO_REQUIRED", "Id", STAGING),
    Case("run", "SELECT 'seven' AS Id", "CONVERSION_FAILED_VALUE", "seven", STAGING),
    Case("run", "SELECT 'maybe' AS BooleanCol", "CONVERSION_FAILED_VALUE", "maybe", ALL_TYPES),
    Case("run", "SELECT 'notadate' AS DateCol", "CONVERSION_FAILED_DATE", None, ALL_TYPES),
    Case("run", "SELECT 'abc' AS DecimalCol", "CONVERSION_FAILED_NUMERIC", None, ALL_TYPES),
    Case("run", "SELECT 12345678.12345 AS DecimalCol", "ARITHMETIC_OVERFLOW", "numeric",
         ALL_TYPES),
    Case("run", "SELECT 1/0 AS NumberCol", "DIVIDE_BY_ZERO", None, ALL_TYPES),
    Case("run", "SELECT 8 AS Id, 'x' AS Nope", "INVALID_COLUMN", "Nope", STAGING),
    Case("run", "SELECT 1 AS NumberCol", "UPDATE_NEEDS_PRIMARY_KEY", None, ALL_TYPES, "Update"),
    # The validator (create/patch/validate time).
    Case("validate", "SELECT 'x' AS Note", "REQUIRED_FIELD_MISSING", "Id", STAGING),
    Case("validate", "SELECT 1 AS Id", "UNKNOWN_UPDATE_TYPE", "Sideways", STAGING, "Sideways"),
    Case("validate", "SELECT a FROM Nope", "INVALID_OBJECT", "Nope"),
    Case("validate", "SELECT [O'Brien] AS x FROM Subscribers", "INVALID_COLUMN", "O'Brien"),
    Case("validate",
         "SELECT SubscriberKey FROM Subscribers s JOIN Orders o "
         "ON s.SubscriberKey = o.SubscriberKey",
         "AMBIGUOUS_COLUMN", "SubscriberKey"),
    Case("validate", "SELECT 1 FROM Subscribers", "UNNAMED_OUTPUT_COLUMN", "1"),
    Case("validate", "SELECT 1 AS a, 2 AS a", "DUPLICATE_OUTPUT_COLUMN", "a"),
    Case("validate", "SELECT DATEADD(fortnight, 1, GETDATE()) AS d", "INVALID_DATEPART",
         "FORTNIGHT"),
    Case("validate", "SELECT DATEADD(iso_week, 1, GETDATE()) AS d", "UNSUPPORTED_DATEPART",
         "iso_week"),
    Case("validate", "SELECT CONVERT(varchar, GETDATE(), 999) AS d", "INVALID_CONVERT_STYLE",
         "999"),
    Case("validate", "SELECT " + "(" * 300 + "1" + ")" * 300 + " AS a", "NESTED_TOO_DEEPLY", None),
    Case("validate", "SELECT 'abc AS a", "UNCLOSED_QUOTE", None),
    # The REST validate endpoint (syntax rejections), as the app sees them.
    Case("rest", "SELECT SubscriberKey FROM Subscribers;", "SEMICOLON", None),
    Case("rest", "SELECT SubscriberKey INTO #t FROM Subscribers", "SELECT_INTO", None),
    Case("rest", "DECLARE @x INT", "RESERVED_WORD", "declare"),
    Case("rest", "EXEC sp_who", "NOT_A_SELECT", None),
    Case("rest", "DELETE FROM Subscribers", "NOT_A_SELECT", None),
    Case("rest", "SELECT SubscriberKey FROM Subscribers ORDER BY SubscriberKey",
         "ORDER_BY_IN_DERIVED_TABLE", None),
    Case("rest", "WITH c AS (SELECT 1 AS a) SELECT a FROM c", "CTE_NOT_SUPPORTED", None),
    Case("rest", "SELECT SubscriberKey FROM Subscribers LIMIT 1", "LIMIT_NOT_SUPPORTED", None),
    Case("rest", "SELECT SubscriberKey, FROM Subscribers", "SYNTAX_ERROR", "FROM"),
    Case("rest", "SELECT @x AS a", "UNDECLARED_VARIABLE", "@x"),
    Case("rest", "SELECT TRY_CAST('1' AS INT) AS a", "UNKNOWN_FUNCTION", "TRY_CAST"),
    Case("rest", "SELECT 1 AS a FROM Subscribers", "TARGET_NOT_FOUND", "no_such_target",
         "no_such_target"),
)  # fmt: skip


def _ran(sim: Simulator, catalog: QueryCatalog, case: Case) -> str:
    mid = us_mid(sim)
    assert case.target is not None
    with pytest.raises(SqlError) as failure:
        run_query(
            catalog,
            mid=mid,
            text=case.text,
            target=de(sim, mid, case.target),
            update_type=case.update_type,
        )
    return failure.value.message


def _validated(sim: Simulator, catalog: QueryCatalog, case: Case) -> str:
    mid = us_mid(sim)
    target = de(sim, mid, case.target) if case.target else None
    errors = validate_query(
        catalog, mid=mid, text=case.text, target=target, update_type=case.update_type
    )
    assert errors, case.text
    return errors[0]


@pytest_asyncio.fixture(loop_scope="session")
async def rest(sim: Simulator) -> AsyncIterator[httpx.AsyncClient]:
    """The simulator's REST API in-process, with a server-to-server token for the US BU."""
    transport = httpx.ASGITransport(app=create_app(sim))
    async with httpx.AsyncClient(transport=transport, base_url="http://sim.test/") as client:
        package = sim.enhanced_package
        token = await client.post(
            "v2/token",
            json={
                "grant_type": "client_credentials",
                "client_id": package.client_id,
                "client_secret": package.client_secret,
                "account_id": us_mid(sim),
            },
        )
        assert token.status_code == 200, token.text
        client.headers.update(bearer(token.json()["access_token"]))
        yield client


async def _rest_validated(client: httpx.AsyncClient, case: Case) -> str:
    body = {"text": case.text}
    if case.target:
        body["targetKey"] = case.target
    response = await client.post("automation/v1/queries/actions/validate", json=body)
    assert response.status_code == 200, response.text
    verdict = response.json()
    assert verdict["queryValid"] is False
    message: str = verdict["errors"][0]["message"]
    return message


def test_every_catalogue_entry_has_a_simulator_case() -> None:
    covered = {case.code for case in CASES} | {"TIMEOUT"}  # TIMEOUT: its own test below
    assert covered == {entry.code for entry in MCE_ERRORS}
    assert len({entry.code for entry in MCE_ERRORS}) == len(MCE_ERRORS)


@pytest.mark.parametrize("case", [c for c in CASES if c.how != "rest"], ids=lambda c: c.text[:50])
def test_simulator_messages_are_explained(sim: Simulator, case: Case) -> None:
    catalog = catalog_for(sim)
    message = _ran(sim, catalog, case) if case.how == "run" else _validated(sim, catalog, case)
    explanation = explain_mce_error(message)
    assert explanation is not None, message
    assert (explanation.code, explanation.subject) == (case.code, case.subject), message
    assert explanation.cause and explanation.fix
    assert "{" not in explanation.cause + explanation.fix
    # Wrapped as MCE shows it in some places, it is still recognised.
    wrapped = explain_mce_error(
        f"An error occurred while checking the query syntax. Errors: {message}"
    )
    assert wrapped == explanation


@pytest.mark.parametrize("case", [c for c in CASES if c.how == "rest"], ids=lambda c: c.text[:50])
async def test_rest_validate_messages_are_explained(rest: httpx.AsyncClient, case: Case) -> None:
    message = await _rest_validated(rest, case)
    explanation = explain_mce_error(message)
    assert explanation is not None, message
    assert (explanation.code, explanation.subject) == (case.code, case.subject), message


@pytest.fixture(scope="module")
def slow_sim() -> Iterator[Simulator]:
    """Queries here take ten seconds per row read: any real query outlives 30 minutes."""
    simulator = make_sim(query_seconds_per_million_rows=10_000_000)
    yield simulator
    simulator.close()


def test_a_query_activity_stopped_by_the_time_limit_is_explained(slow_sim: Simulator) -> None:
    mid = parent_mid(slow_sim)
    query = slow_sim.queries.create(
        mid=mid,
        name="Slow one",
        query_text="SELECT SubscriberKey, EmailAddress FROM Subscribers",
        target_key="active_subscribers",
    )
    task = slow_sim.queries.start(query)
    slow_sim.clock.advance(task.timeout_at - slow_sim.clock.time() + 1)
    slow_sim.queries.tick()
    assert task.status == "Error"
    explanation = explain_mce_error(task.error_message)
    assert explanation is not None, task.error_message
    assert (explanation.code, explanation.subject) == ("TIMEOUT", "30")
    assert explanation.source == "REFERENCE"


# ------------------------------------------------------------------ the catalogue's own rules


@pytest.mark.parametrize(
    ("message", "code", "subject"),
    [
        # SQL Server's newer truncation message names the column (REFERENCE's short form above).
        (
            "String or binary data would be truncated in table 'C123.Staging', column 'Note'. "
            "Truncated value: 'abc'.",
            "STRING_TRUNCATED",
            "Note",
        ),
        # MCE's runtime form ends with SQL Server's "The statement has been terminated."
        (
            "Violation of PRIMARY KEY constraint 'PK_x'. Cannot insert duplicate key in object "
            "'C1.DE'. The duplicate key value is (a, 1). The statement has been terminated.",
            "PRIMARY_KEY_VIOLATION",
            "a, 1",
        ),
        ("Field 'Email Address' is required for the Target Data Extension",
         "REQUIRED_FIELD_MISSING", "Email Address"),
        ("Timeout error", "TIMEOUT", None),
        ("The query activity timed out.", "TIMEOUT", None),
        # A quoted name containing "timeout" is not a timeout.
        ("Invalid column name 'timeout'.", "INVALID_COLUMN", "timeout"),
        ("Invalid column name 'a'. Invalid column name 'b'.", "INVALID_COLUMN", "a"),
        ("invalid object name 'ENT.[Shared DE]'.", "INVALID_OBJECT", "ENT.[Shared DE]"),
        ("Incorrect syntax near ')'.", "SYNTAX_ERROR", ")"),
        ("Unclosed quotation mark after the character string 'abc'.", "UNCLOSED_QUOTE", "abc"),
    ],
)  # fmt: skip
def test_message_variants(message: str, code: str, subject: str | None) -> None:
    explanation = explain_mce_error(message)
    assert explanation is not None
    assert (explanation.code, explanation.subject) == (code, subject)


@pytest.mark.parametrize("message", ["", "   ", "Everything went fine.", "Error: something else"])
def test_unknown_messages_are_not_explained(message: str) -> None:
    assert explain_mce_error(message) is None


def test_reference_wording_is_marked_reference() -> None:
    reference = {entry.code for entry in MCE_ERRORS if entry.source == "REFERENCE"}
    assert reference == {
        "PRIMARY_KEY_VIOLATION", "STRING_TRUNCATED", "REQUIRED_FIELD_MISSING", "SEMICOLON",
        "SELECT_INTO", "RESERVED_WORD", "NOT_A_SELECT", "TIMEOUT",
    }  # fmt: skip


def test_explanations_name_the_subject() -> None:
    explanation = explain_mce_error("Invalid column name 'EmailAdress'.")
    assert explanation is not None
    assert "EmailAdress" in explanation.cause
    required = explain_mce_error("Field 'SubscriberKey' is required for the Target Data Extension")
    assert required is not None
    assert "[SubscriberKey]" in required.fix


@pytest.mark.parametrize("function", ["STRING_SPLIT", "TRY_CONVERT", "OPENJSON"])
def test_unknown_function_fix_says_what_to_write_instead(function: str) -> None:
    explanation = explain_mce_error(f"'{function}' is not a recognized built-in function name.")
    assert explanation is not None
    assert explanation.fix == UNSUPPORTED_FUNCTIONS[function]
    other = explain_mce_error("'FOO' is not a recognized built-in function name.")
    assert other is not None and "FOO" in other.fix
