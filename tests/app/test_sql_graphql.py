"""``validateSql``, ``formatSql`` and ``sqlCompletions`` over HTTP: who may call them, what they
answer in the viewer's BU, and that no input, however hostile, gets anything but an answer."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from starlette.applications import Starlette

from app.settings import Settings
from models import TenantContext
from services.sessions import SessionStore
from services.sql_offload import MAX_PENDING_PER_OWNER as MAX_PENDING
from services.sql_offload import pending
from services.sql_toolkit import THREAD_SQL_CHARS, Analysis, Finding, Purpose, analyse_sql
from tests.auth_helpers import (
    bearer,
    browser_headers,
    eventually,
    https_client,
    new_api_token,
    new_session,
    new_support_token,
)
from tests.factories import TenantFixture, make_tenant
from tests.models.metadata_seed import add_de, bu_context
from tests.tsql.corpus import CORPUS
from tsql.parse import MAX_NESTING, MAX_SQL_CHARS

pytestmark = pytest.mark.usefixtures("db")

FINDING = (
    "code severity message mceMessage suggestion range { start end line column endLine endColumn }"
)
ANALYSIS_FRAGMENT = f"""
fragment Analysis on SqlAnalysis {{
  valid statementKind
  findings {{ {FINDING} }}
  columns {{ name fieldType maxLength precision scale nullable typeKnown note }}
}}"""
VALIDATE = f"""
query Validate($sql: String!, $purpose: SqlPurpose) {{
  validateSql(sql: $sql, purpose: $purpose) {{ ...Analysis }}
}}
{ANALYSIS_FRAGMENT}"""
FORMAT = f"""
query Format($sql: String!) {{ formatSql(sql: $sql) {{ sql changed findings {{ {FINDING} }} }} }}"""
COMPLETE = """
query Complete($sql: String!, $offset: Int!, $first: Int) {
  sqlCompletions(sql: $sql, offset: $offset, first: $first) {
    label kind detail insertText documentation
  }
}"""


@pytest_asyncio.fixture
async def http(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    async with https_client(app) as client:
        yield client


@pytest_asyncio.fixture
async def tenant() -> TenantFixture:
    return await make_tenant("SqlKit")


@pytest_asyncio.fixture
async def token(tenant: TenantFixture) -> str:
    """A READ token: every SQL toolkit query is read-only."""
    return (await new_api_token(tenant, scope="read")).secret


async def _post(
    http: httpx.AsyncClient, token: str | None, query: str, **variables: Any
) -> dict[str, Any]:
    headers = bearer(token) if token else {}
    response = await http.post(
        "/api/graphql", json={"query": query, "variables": variables}, headers=headers
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def _answer(http: httpx.AsyncClient, token: str, query: str, **variables: Any) -> Any:
    """The single field's data; fails on any GraphQL error."""
    body = await _post(http, token, query, **variables)
    assert "errors" not in body, body["errors"]
    (value,) = body["data"].values()
    return value


def _codes(body: dict[str, Any]) -> list[str | None]:
    return [e.get("extensions", {}).get("code") for e in body.get("errors", [])]


# ------------------------------------------------------------------ who may call
@pytest.mark.parametrize(
    ("query", "variables"),
    [
        (VALIDATE, {"sql": "SELECT 1 AS one"}),
        (FORMAT, {"sql": "SELECT 1 AS one"}),
        (COMPLETE, {"sql": "SELECT ", "offset": 7}),
    ],
)
async def test_signed_out_is_unauthenticated(
    http: httpx.AsyncClient, query: str, variables: dict[str, Any]
) -> None:
    body = await _post(http, None, query, **variables)
    assert _codes(body) == ["UNAUTHENTICATED"]
    assert body["data"] is None


async def test_a_support_token_is_forbidden(http: httpx.AsyncClient, db: Settings) -> None:
    body = await _post(http, await new_support_token(db), VALIDATE, sql="SELECT 1 AS one")
    assert _codes(body) == ["FORBIDDEN"]


async def test_a_browser_session_may_validate(
    app: Starlette, http: httpx.AsyncClient, tenant: TenantFixture
) -> None:
    store: SessionStore = app.state.sessions
    session_id, session = await new_session(store, tenant, mid=tenant.child_mids[0])
    response = await http.post(
        "/api/graphql",
        json={"query": VALIDATE, "variables": {"sql": "SELECT SubscriberKey FROM _Subscribers"}},
        headers=browser_headers(session_id, session.csrf_token),
    )
    analysis = response.json()["data"]["validateSql"]
    assert analysis["valid"] is True
    assert [c["name"] for c in analysis["columns"]] == ["SubscriberKey"]


# ------------------------------------------------------------------ validateSql
async def test_a_data_view_query_is_valid_with_its_output_columns(
    http: httpx.AsyncClient, token: str
) -> None:
    sql = "SELECT SubscriberKey, EmailAddress, DateJoined FROM _Subscribers"
    analysis = await _answer(http, token, VALIDATE, sql=sql)
    assert analysis["valid"] is True
    assert analysis["statementKind"] == "SELECT"
    assert analysis["findings"] == []
    assert [(c["name"], c["fieldType"], c["maxLength"]) for c in analysis["columns"]] == [
        ("SubscriberKey", "TEXT", 254),
        ("EmailAddress", "EMAIL_ADDRESS", None),
        ("DateJoined", "DATE", None),
    ]
    assert all(c["typeKnown"] for c in analysis["columns"])


async def test_a_finding_says_where_and_what_mce_says(http: httpx.AsyncClient, token: str) -> None:
    sql = "SELECT SubscriberKey\nFROM _Subscribers;"
    analysis = await _answer(http, token, VALIDATE, sql=sql)
    assert analysis["valid"] is False
    (finding,) = analysis["findings"]
    assert finding["code"] == "SEMICOLON"
    assert finding["severity"] == "ERROR"
    assert finding["message"] and finding["mceMessage"]
    assert finding["range"] == {
        "start": len(sql) - 1,
        "end": len(sql),
        "line": 2,
        "column": 18,
        "endLine": 2,
        "endColumn": 19,
    }


async def test_the_purpose_decides_about_order_by_without_top(
    http: httpx.AsyncClient, token: str
) -> None:
    sql = "SELECT SubscriberKey FROM _Subscribers ORDER BY SubscriberKey"
    run = await _answer(http, token, VALIDATE, sql=sql)  # RUN by default
    deploy = await _answer(http, token, VALIDATE, sql=sql, purpose="QUERY_ACTIVITY")
    assert run["valid"] is True
    assert deploy["valid"] is False
    assert [f["code"] for f in deploy["findings"]] == ["ORDER_BY_WITHOUT_TOP"]


async def test_a_data_extension_the_bu_has_not_synced_is_unknown(
    http: httpx.AsyncClient, token: str
) -> None:
    analysis = await _answer(http, token, VALIDATE, sql="SELECT s.Name FROM Subscribers s")
    assert [f["code"] for f in analysis["findings"]] == ["UNKNOWN_TABLE"]
    assert analysis["findings"][0]["range"]["start"] == len("SELECT s.Name FROM ")


@pytest.mark.parametrize("padding", [0, THREAD_SQL_CHARS], ids=["inline", "in the tsql thread"])
async def test_the_viewers_bu_answers_from_its_metadata_cache(
    http: httpx.AsyncClient, tenant: TenantFixture, padding: int
) -> None:
    """The BU's own DEs and its parent's shared ones as ENT., and only those; for long SQL
    too, whose check runs in the tsql thread while the cache is read on the request's loop."""
    child = tenant.child_mids[0]
    await add_de(
        bu_context(tenant.tenant_id, child, tenant.parent_mid),
        name="Loyalty Members",
        fields=[("MemberKey", "Text"), ("Points", "Number")],
    )
    await add_de(
        bu_context(tenant.tenant_id, tenant.parent_mid),
        name="Tiers",
        shared=True,
        fields=[("Tier", "Text"), ("MinPoints", "Number")],
    )
    token = (await new_api_token(tenant, mid=child)).secret
    sql = (
        "SELECT m.MemberKey, m.Points, t.Tier FROM [Loyalty Members] m"  # noqa: S608 - a test text
        " JOIN ENT.Tiers t ON m.Points >= t.MinPoints" + " " * padding
    )
    analysis = await _answer(http, token, VALIDATE, sql=sql, purpose="QUERY_ACTIVITY")
    assert analysis["valid"] is True, analysis["findings"]
    assert [(c["name"], c["fieldType"]) for c in analysis["columns"]] == [
        ("MemberKey", "TEXT"),
        ("Points", "NUMBER"),
        ("Tier", "TEXT"),
    ]
    typing = "SELECT * FROM Loy" + " " * padding  # noqa: S608 - a test text
    completions = await _answer(http, token, COMPLETE, sql=typing, offset=len("SELECT * FROM Loy"))
    assert [c["insertText"] for c in completions if c["kind"] == "TABLE"] == ["[Loyalty Members]"]
    parent_token = (await new_api_token(tenant, mid=tenant.parent_mid)).secret
    elsewhere = await _answer(http, parent_token, VALIDATE, sql=sql)
    assert [f["code"] for f in elsewhere["findings"]] == ["UNKNOWN_TABLE"]


async def test_an_unknown_purpose_is_a_graphql_error(http: httpx.AsyncClient, token: str) -> None:
    body = await _post(http, token, VALIDATE, sql="SELECT 1 AS one", purpose="DEPLOY")
    assert body["data"] is None
    assert "SqlPurpose" in body["errors"][0]["message"]


# ------------------------------------------------------------------ formatSql
async def test_format_keeps_comments_and_says_whether_it_changed(
    http: httpx.AsyncClient, token: str
) -> None:
    sql = "select SubscriberKey -- the key\nfrom _Subscribers where Status='active'"
    formatted = await _answer(http, token, FORMAT, sql=sql)
    assert formatted["changed"] is True
    assert formatted["findings"] == []
    assert "-- the key" in formatted["sql"]
    assert formatted["sql"].startswith("SELECT")
    again = await _answer(http, token, FORMAT, sql=formatted["sql"])
    assert again == {"sql": formatted["sql"], "changed": False, "findings": []}


async def test_unreadable_sql_comes_back_unchanged_with_why(
    http: httpx.AsyncClient, token: str
) -> None:
    sql = "SELECT 'unclosed FROM _Sent"
    formatted = await _answer(http, token, FORMAT, sql=sql)
    assert formatted["sql"] == sql
    assert formatted["changed"] is False
    assert formatted["findings"] and formatted["findings"][0]["severity"] == "ERROR"


# ------------------------------------------------------------------ sqlCompletions
async def test_completions_after_from_offer_data_views(http: httpx.AsyncClient, token: str) -> None:
    sql = "SELECT * FROM _Sub"
    completions = await _answer(http, token, COMPLETE, sql=sql, offset=len(sql))
    subscribers = next(c for c in completions if c["label"] == "_Subscribers")
    assert subscribers["kind"] == "DATA_VIEW"
    assert subscribers["insertText"] == "_Subscribers"
    assert subscribers["documentation"]
    assert {c["kind"] for c in completions} == {"DATA_VIEW"}


async def test_completions_after_an_alias_offer_its_columns(
    http: httpx.AsyncClient, token: str
) -> None:
    sql = "SELECT s. FROM _Sent s"
    completions = await _answer(http, token, COMPLETE, sql=sql, offset=len("SELECT s."))
    labels = {c["label"]: c for c in completions}
    assert {"SubscriberKey", "JobID", "EventDate"} <= set(labels)
    assert labels["JobID"]["kind"] == "COLUMN"


async def test_first_limits_the_list(http: httpx.AsyncClient, token: str) -> None:
    sql = "SELECT  FROM _Sent"
    cursor = len("SELECT ")
    everything = await _answer(http, token, COMPLETE, sql=sql, offset=cursor, first=100)
    three = await _answer(http, token, COMPLETE, sql=sql, offset=cursor, first=3)
    assert len(everything) > 3
    assert three == everything[:3]


@pytest.mark.parametrize(
    ("offset", "first", "field"),
    [(-1, 10, "offset"), (20, 10, "offset"), (2**31 - 1, 10, "offset"), (0, 0, "first"),
     (0, -5, "first"), (0, 101, "first")],
)  # fmt: skip
async def test_out_of_range_arguments_are_invalid_input(
    http: httpx.AsyncClient, token: str, offset: int, first: int, field: str
) -> None:
    sql = "SELECT * FROM _Sent"  # 19 characters: offsets 0 to 19 are places in it
    body = await _post(http, token, COMPLETE, sql=sql, offset=offset, first=first)
    assert _codes(body) == ["INVALID_INPUT"]
    assert f"'{field}'" in body["errors"][0]["message"]
    assert body["data"] is None


async def test_the_end_of_the_text_is_a_valid_offset(http: httpx.AsyncClient, token: str) -> None:
    sql = "SELECT * FROM _Sent"
    for offset in (0, len(sql)):
        assert isinstance(await _answer(http, token, COMPLETE, sql=sql, offset=offset), list)


# ------------------------------------------------------------------ hostile input
def _junk(size: int, seed: int) -> str:
    chance = random.Random(seed)
    return "".join(chr(chance.randrange(0, 0x3000)) for _ in range(size))


HOSTILE = {
    "over the size limit": "SELECT 1 AS one -- " + "x" * MAX_SQL_CHARS,
    "ten thousand parentheses": "SELECT " + "(" * 10_000 + "1" + ")" * 10_000 + " AS one",
    "nesting just over the limit": "SELECT "
    + "(" * (MAX_NESTING + 1)
    + "1"
    + ")" * (MAX_NESTING + 1)
    + " AS one",
    "nesting at the limit": "SELECT " + "(" * MAX_NESTING + "1" + ")" * MAX_NESTING + " AS one",
    "nested subqueries": "SELECT a FROM " + "(SELECT a FROM " * 30 + "_Sent" + ") t" * 30,
    "a long CASE": "SELECT CASE "
    + " ".join(f"WHEN {i} = 1 THEN {i}" for i in range(2000))
    + " END AS c",
    "binary junk": _junk(5_000, 1),
    "NUL and control characters": "SELECT \x00\x01\x1b[31m AS x FROM [a\x00b]",
    "every byte": bytes(range(256)).decode("latin-1") * 4,
    "unclosed everything": "SELECT '[\"/* (",
    "only a comment": "-- nothing else",
    "empty": "",
    "whitespace": " \n\t ",
    "many statements": "SELECT 1 AS one; " * 2_000,
    "a thousand joins": "SELECT s.JobID FROM _Sent s "  # noqa: S608 - a test text
    + " ".join(f"JOIN _Open o{i} ON o{i}.JobID = s.JobID" for i in range(1_000)),
    "a wide union": " UNION ALL ".join(f"SELECT {i} AS n" for i in range(1_500)),
}


#: Big but well-formed: MCE would take these.
VALID_HOSTILE = {"nesting at the limit", "a long CASE", "a thousand joins"}


@pytest.mark.parametrize("name", sorted(HOSTILE))
async def test_hostile_sql_gets_answers_never_errors(
    http: httpx.AsyncClient, token: str, name: str
) -> None:
    sql = HOSTILE[name]
    for purpose in ("RUN", "QUERY_ACTIVITY"):
        analysis = await _answer(http, token, VALIDATE, sql=sql, purpose=purpose)
        assert analysis["valid"] is (name in VALID_HOSTILE), analysis["findings"][:3]
        for finding in analysis["findings"]:
            span = finding["range"]
            assert span is None or 0 <= span["start"] <= span["end"] <= len(sql)
    formatted = await _answer(http, token, FORMAT, sql=sql)
    assert formatted["changed"] or formatted["sql"] == sql
    for offset in {0, len(sql) // 2, len(sql)}:
        completions = await _answer(http, token, COMPLETE, sql=sql, offset=offset, first=100)
        assert len(completions) <= 100


async def test_a_lone_surrogate_is_answered(http: httpx.AsyncClient, token: str) -> None:
    """JSON may carry half a UTF-16 pair; reading it and echoing it back must not fail."""
    document = (
        "query($s: String!) { formatSql(sql: $s) { sql }"
        " validateSql(sql: $s) { valid findings { code } } }"
    )
    variables = '{"s": "SELECT \\ud800 AS x"}'  # JSON's escape, kept as written
    body = f'{{"query": "{document}", "variables": {variables}}}'
    response = await http.post(
        "/api/graphql",
        content=body.encode(),
        headers={**bearer(token), "content-type": "application/json"},
    )
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert "\ud800" in data["formatSql"]["sql"]
    assert data["validateSql"]["valid"] is False


async def test_many_long_checks_in_one_document_get_a_fair_share(
    http: httpx.AsyncClient, token: str, tenant: TenantFixture
) -> None:
    """Aliases cannot make one request hold the tsql thread: past the user's share of long
    checks, fields are RATE_LIMITED (the fields are non-null, so the document gets no data)."""
    sql = "SELECT " + ", ".join(f"{n} AS c{n}" for n in range(6_000))  # ~60,000 characters

    def document(count: int) -> str:
        fields = " ".join(f"f{n}: formatSql(sql: $sql) {{ changed }}" for n in range(count))
        return f"query($sql: String!) {{ {fields} }}"

    greedy = await _post(http, token, document(MAX_PENDING + 3), sql=sql)
    assert greedy["data"] is None
    assert set(_codes(greedy)) == {"RATE_LIMITED"}

    async def share_free() -> bool:  # the accepted checks finish in the thread regardless
        return pending((tenant.tenant_id, tenant.user.id)) == 0

    await eventually(share_free, within=30)
    fair = await _post(http, token, document(MAX_PENDING), sql=sql)
    assert "errors" not in fair
    assert list(fair["data"].values()) == [{"changed": True}] * MAX_PENDING


@pytest.mark.parametrize("offset", [2**31, -(2**31) - 1, 7.5, "7"])
async def test_offsets_graphql_cannot_represent_are_its_own_errors(
    http: httpx.AsyncClient, token: str, offset: object
) -> None:
    body = await _post(http, token, COMPLETE, sql="SELECT ", offset=offset)
    assert body["data"] is None
    (error,) = body["errors"]
    assert "$offset" in error["message"]  # GraphQL's own coercion error, not masked


def _expected(analysis: Analysis) -> dict[str, Any]:
    """``analysis`` as validateSql must render it."""

    def span(finding: Finding) -> dict[str, int] | None:
        s = finding.span
        if s is None:
            return None
        return {
            "start": s.start,
            "end": s.end,
            "line": s.line,
            "column": s.column,
            "endLine": s.end_line,
            "endColumn": s.end_column,
        }

    return {
        "valid": analysis.valid,
        "statementKind": analysis.statement_kind,
        "findings": [
            {
                "code": f.code,
                "severity": f.severity.value,
                "message": f.message,
                "mceMessage": f.mce_message,
                "suggestion": f.suggestion,
                "range": span(f),
            }
            for f in analysis.findings
        ],
        "columns": [
            {
                "name": c.name,
                "fieldType": c.field_type.name,
                "maxLength": c.max_length,
                "precision": c.precision,
                "scale": c.scale,
                "nullable": c.nullable,
                "typeKnown": c.type_known,
                "note": c.note,
            }
            for c in analysis.columns
        ],
    }


@pytest.mark.parametrize("purpose", ["RUN", "QUERY_ACTIVITY"])
async def test_every_corpus_query_is_rendered_as_the_library_answers_it(
    http: httpx.AsyncClient, token: str, tenant: TenantFixture, purpose: str
) -> None:
    """Field by field, for every shape of answer the corpus produces (in the viewer's BU,
    whose metadata cache is empty: the data views are known, the seed's DEs are not)."""
    context = TenantContext(tenant_id=tenant.tenant_id, mid=tenant.parent_mid)
    texts = [case.text for case in CORPUS]
    for batch in range(0, len(texts), 25):
        chunk = texts[batch : batch + 25]
        variables = ", ".join(f"$s{n}: String!" for n in range(len(chunk)))
        fields = " ".join(
            f"q{n}: validateSql(sql: $s{n}, purpose: {purpose}) {{ ...Analysis }}"
            for n in range(len(chunk))
        )
        document = f"query({variables}) {{ {fields} }} {ANALYSIS_FRAGMENT}"
        body = await _post(http, token, document, **{f"s{n}": t for n, t in enumerate(chunk)})
        assert "errors" not in body, body["errors"]
        for n, text in enumerate(chunk):
            analysis = await analyse_sql(context, sql=text, purpose=Purpose(purpose))
            assert body["data"][f"q{n}"] == _expected(analysis), text
