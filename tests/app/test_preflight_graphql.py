"""Pre-flight checks through GraphQL: ``checkQueryTarget`` (findings with their column and
range, the target as the BU sees it, who writes into it), ``probeQueryTarget`` (a probe run
queued, marked as a probe), and ``RunEvent.probe`` over a real websocket; bad input as
userErrors: an unknown target or another BU's or tenant's, a BU the viewer is not a member
of, SQL MCE would refuse; a READ token checks but does not probe."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import httpx
import pytest
import pytest_asyncio
from redis.asyncio import Redis
from rq import Queue
from starlette.applications import Starlette

from schema.global_ids import decode_global_id, encode_global_id
from services.job_queue import JobQueue
from services.preflight.probe_report import measured_result
from services.preflight.probe_sql import PROBE_COMMENT, Measure, MeasureKind
from services.preflight.probe_store import ProbeRecord, load_record, save_record, save_result
from services.preflight.report import UpdateType
from services.runs import events
from tests.app.test_websocket_auth import _init, _recv, _send, _serve, _socket
from tests.auth_helpers import bearer, browser_headers, https_client, new_api_token
from tests.factories import TenantFixture, make_member, make_tenant
from tests.fixtures import GraphQLClient, app_job_queue, browser_session
from tests.models.metadata_seed import add_automation, add_query_activity
from tests.services.preflight.cache_seed import F, add_target
from tsql import span_of_offsets

pytestmark = pytest.mark.usefixtures("db")

JOBS_REDIS_URL = "redis://127.0.0.1:6379/3"  # P's own: no other test's worker takes these
FINDING = "code severity message column suggestion mceMessage range { start end line column }"
REPORT = f"""mid sqlValid blocking needsAcknowledgement
  target {{ customerKey name sqlName shared fields {{ name fieldType maxLength isPrimaryKey }} }}
  findings {{ {FINDING} }} columns {{ name fieldType }}
  usedBy {{ activityKey activityName automations {{ name }} }}"""
CHECK = f"""query ($sql: String!, $key: String!, $type: UpdateType!, $mid: String) {{
  checkQueryTarget(sql: $sql, targetKey: $key, updateType: $type, mid: $mid) {{
    report {{ {REPORT} }} userErrors {{ code field message }}
  }}
}}"""
PROBE = """mutation ($input: ProbeQueryTargetInput!) {
  probeQueryTarget(input: $input) {
    run { id status sql } joined
    probe { targetKey targetName updateType status report { rowCount } }
    report { sqlValid findings { code column } }
    userErrors { code field message }
  }
}"""
SQL = "SELECT PersonKey AS ContactKey,\n  Email\nFROM [Source People]"


class Client(GraphQLClient):
    async def check(self, sql: str, key: str, type_: str = "OVERWRITE", **more: Any) -> Any:
        return (await self.data(CHECK, sql=sql, key=key, type=type_, **more))["checkQueryTarget"]

    async def probe(self, sql: str, key: str, type_: str = "APPEND", **more: Any) -> Any:
        variables = {"sql": sql, "targetKey": key, "updateType": type_, **more}
        return (await self.data(PROBE, input=variables))["probeQueryTarget"]


@pytest_asyncio.fixture
async def tenant() -> TenantFixture:
    tenant = await make_tenant("PreflightUI")
    child = tenant.context(tenant.child_mids[0])
    await add_target(
        child, name="Source People", key="source_people",
        fields=[F("PersonKey", "Text", 50, pk=True), F("Email", "Text", 300)],
    )  # fmt: skip
    contacts = [
        F("ContactKey", "Text", 20, pk=True),
        F("Email", "EmailAddress", 254, required=True),
    ]
    await add_target(child, name="Contacts", key="contacts", fields=contacts)
    await add_target(
        tenant.context(tenant.parent_mid), name="Parent Log", key="parent_log",
        fields=[F("Message", "Text", 100)],
    )  # fmt: skip
    await add_target(
        tenant.context(tenant.child_mids[1]), name="Sibling", key="sibling", fields=[F("X")]
    )
    _, activity = await add_query_activity(
        child, name="Nightly Contacts", key="nightly_contacts", target_key="contacts"
    )
    await add_automation(child, name="Every Night", query_object_ids=[activity])
    return tenant


@pytest_asyncio.fixture
async def http(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    async with https_client(app) as client:
        yield client


@pytest_asyncio.fixture
async def browser(app: Starlette, tenant: TenantFixture, http: httpx.AsyncClient) -> Client:
    return Client(http, await browser_session(app, tenant, mid=tenant.child_mids[0]))


@pytest.fixture
def jobs(app: Starlette) -> Iterator[JobQueue]:
    with app_job_queue(app, JOBS_REDIS_URL) as queue:
        yield queue


def _found(payload: Any) -> dict[tuple[str, str | None], Any]:
    return {(f["code"], f["column"]): f for f in payload["report"]["findings"]}


async def test_check_answers_findings_with_columns_and_ranges(browser: Client) -> None:
    checked = await browser.check(SQL, "contacts")
    assert checked["userErrors"] == []
    report = checked["report"]
    assert (report["sqlValid"], report["blocking"], report["needsAcknowledgement"]) == (
        True, False, True,
    )  # fmt: skip
    assert report["target"]["sqlName"] == "Contacts" and not report["target"]["shared"]
    assert report["target"]["fields"][0] == {
        "name": "ContactKey", "fieldType": "Text", "maxLength": 20, "isPrimaryKey": True,
    }  # fmt: skip
    found = _found(checked)
    truncated = found[("POSSIBLY_TRUNCATED", "ContactKey")]
    assert truncated["severity"] == "WARNING"
    assert truncated["range"] == {"start": 7, "end": 30, "line": 1, "column": 8}
    assert truncated["mceMessage"] == "String or binary data would be truncated."
    nullable = found[("NULLABLE_INTO_REQUIRED", "Email")]
    email = span_of_offsets(SQL, SQL.index("Email"), SQL.index("Email") + 5)
    assert nullable["range"] == {
        "start": email.start, "end": email.end, "line": 2, "column": 3,
    }  # fmt: skip
    used = found[("TARGET_USED_BY_AUTOMATIONS", None)]
    assert used["range"] is None and "'Every Night'" in used["message"]
    assert report["usedBy"] == [
        {
            "activityKey": "nightly_contacts",
            "activityName": "Nightly Contacts",
            "automations": [{"name": "Every Night"}],
        }
    ]
    assert [c["name"] for c in report["columns"]] == ["ContactKey", "Email"]


async def test_sql_mce_refuses_is_a_user_error_with_the_report(browser: Client) -> None:
    checked = await browser.check("SELECT Email FROM [Source People]; SELECT 1", "contacts")
    assert checked["report"]["sqlValid"] is False and checked["report"]["blocking"] is True
    assert {e["code"] for e in checked["userErrors"]} == {"INVALID_SQL"}
    assert all(e["field"] == "sql" for e in checked["userErrors"])
    semicolon = _found(checked)[("SEMICOLON", None)]
    assert semicolon["range"]["line"] == 1 and semicolon["range"]["column"] == 34
    empty = await browser.check("   ", "contacts")
    assert empty["report"] is None
    assert empty["userErrors"] == [
        {"code": "INVALID_INPUT", "field": "sql", "message": "Write the query activity's SQL."}
    ]


@pytest.mark.parametrize("key", ["nope", "sibling", "parent_log", "source_people\x00"])
async def test_a_target_the_bu_cannot_see_is_not_found(browser: Client, key: str) -> None:
    checked = await browser.check("SELECT 1 AS X", key)
    assert checked["report"] is None
    assert [(e["code"], e["field"]) for e in checked["userErrors"]] == [("NOT_FOUND", "targetKey")]


async def test_mid_names_a_bu_the_viewer_is_a_member_of(
    app: Starlette, browser: Client, tenant: TenantFixture, http: httpx.AsyncClient
) -> None:
    parent = str(tenant.parent_mid)
    there = await browser.check("SELECT 'x' AS Message", "parent_log", mid=parent)
    assert there["userErrors"] == [] and there["report"]["mid"] == parent
    assert (await browser.check(SQL, "contacts", mid=parent))["userErrors"][0]["field"] == (
        "targetKey"
    )
    other = await make_tenant("PreflightStranger")
    for mid, code in ((str(other.parent_mid), "NOT_FOUND"), ("12ab", "INVALID_INPUT"),
                      ("-5", "INVALID_INPUT")):  # fmt: skip
        refused = await browser.check(SQL, "contacts", mid=mid)
        assert refused["report"] is None
        assert [(e["code"], e["field"]) for e in refused["userErrors"]] == [(code, "mid")]
    # A user of the same tenant who is a member of the first child only.
    member = await make_member(tenant, mids=(tenant.child_mids[0],))
    session_id, session = await app.state.sessions.create(
        tenant_id=tenant.tenant_id, mid=tenant.child_mids[0], parent_mid=tenant.parent_mid,
        user_id=member.id, mce_user_id=member.mce_user_id, kind="enhanced",
    )  # fmt: skip
    limited = Client(http, browser_headers(session_id, session.csrf_token))
    assert (await limited.check(SQL, "contacts"))["userErrors"] == []
    for mid in (parent, str(tenant.child_mids[1])):
        refused = await limited.check("SELECT 'x' AS Message", "parent_log", mid=mid)
        assert [(e["code"], e["field"]) for e in refused["userErrors"]] == [("NOT_FOUND", "mid")]


async def test_a_read_token_checks_but_does_not_probe(
    tenant: TenantFixture, http: httpx.AsyncClient, jobs: JobQueue
) -> None:
    token = (await new_api_token(tenant, scope="read", mid=tenant.child_mids[0])).secret
    reader = Client(http, bearer(token))
    assert (await reader.check(SQL, "contacts"))["report"]["target"]["name"] == "Contacts"
    body = await reader.graphql(
        PROBE, input={"sql": SQL, "targetKey": "contacts", "updateType": "APPEND"}
    )
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert Queue("high", connection=jobs.connection).count == 0


async def test_a_probe_is_queued_as_a_run_marked_as_a_probe(
    browser: Client, tenant: TenantFixture, jobs: JobQueue, redis: Redis
) -> None:
    probed = await browser.probe(SQL, "contacts")
    assert probed["userErrors"] == [] and probed["joined"] is False
    run = probed["run"]
    assert run["status"] == "QUEUED" and run["sql"].startswith(PROBE_COMMENT)
    assert SQL in run["sql"]
    assert probed["probe"] == {
        "targetKey": "contacts", "targetName": "Contacts", "updateType": "APPEND",
        "status": "RUNNING", "report": None,
    }  # fmt: skip
    assert ("POSSIBLY_TRUNCATED", "ContactKey") in {
        (f["code"], f["column"]) for f in probed["report"]["findings"]
    }
    assert Queue("high", connection=jobs.connection).count == 1
    decoded = decode_global_id(run["id"])
    assert decoded is not None
    record = await load_record(redis, UUID(decoded[1]))
    assert record is not None and record.target_key == "contacts"
    assert (record.tenant_id, record.mid) == (tenant.tenant_id, tenant.child_mids[0])
    assert {m.kind for m in record.measures} >= {
        MeasureKind.ROWS, MeasureKind.NULLS, MeasureKind.TOO_LONG, MeasureKind.DUPLICATE_KEYS,
        MeasureKind.KEYS_IN_TARGET,
    }  # fmt: skip
    again = await browser.probe(SQL, "contacts")
    assert again["joined"] is True and again["run"]["id"] == run["id"]
    assert Queue("high", connection=jobs.connection).count == 1


async def test_probe_refusals_are_user_errors(
    browser: Client, tenant: TenantFixture, jobs: JobQueue
) -> None:
    cases = [
        ({"targetKey": "nope"}, ("NOT_FOUND", "targetKey")),
        ({"targetKey": "sibling"}, ("NOT_FOUND", "targetKey")),
        ({"mid": str(tenant.parent_mid)}, ("BU_NOT_CURRENT", "mid")),
        ({"mid": "999999999"}, ("NOT_FOUND", "mid")),
        ({"sql": ""}, ("INVALID_INPUT", "sql")),
    ]
    for change, expected in cases:
        variables = {"sql": SQL, "targetKey": "contacts", "updateType": "UPDATE", **change}
        probed = (await browser.graphql(PROBE, input=variables))["data"]["probeQueryTarget"]
        assert probed["run"] is None and probed["probe"] is None, change
        assert [(e["code"], e["field"]) for e in probed["userErrors"]] == [expected], change
    invalid = await browser.probe("SELECT Email FROM [Source People] ORDER BY Email", "contacts")
    assert invalid["run"] is None and invalid["report"]["sqlValid"] is False
    assert [(e["code"], e["field"]) for e in invalid["userErrors"]] == [("INVALID_SQL", "sql")]
    assert Queue("high", connection=jobs.connection).count == 0


# ---------------------------------------------------------------- RunEvent.probe over a websocket
EVENTS = (
    "subscription($id: ID!) { runEvents(runId: $id) { status probe { targetKey status message"
    " report { rowCount willFail duplicateKeyValues duplicateKeyRows keysInTarget"
    f" columns {{ column field nullRows longest limit tooLongRows }} findings {{ {FINDING} }} }}"
    " } } }"
)


@pytest_asyncio.fixture
async def url(app: Starlette) -> AsyncIterator[str]:
    async with _serve(app) as address:
        yield address


async def _run(admin: asyncpg.Connection, tenant: TenantFixture, mid: int) -> UUID:
    run_id = uuid4()
    await admin.execute(
        "INSERT INTO runs (tenant_id, mid, id, user_id, sql_text, sql_hash, run_sql, status,"
        " columns, shape, marker, marker_column, attempts)"
        " VALUES ($1, $2, $3, $4, 'SELECT 1 AS x', 'h', '', 'COMPLETE', '[]', '', 'm', '', 0)",
        tenant.tenant_id, mid, run_id, tenant.user.id,
    )  # fmt: skip
    return run_id


async def _events(url: str, token: str, run_id: UUID) -> list[dict[str, Any]]:
    got: list[dict[str, Any]] = []
    async with _socket(url, origin=None) as ws:
        assert (await _init(ws, bearer(token)))["type"] == "connection_ack"
        variables = {"id": encode_global_id("Run", str(run_id))}
        await _send(ws, {"id": "1", "type": "subscribe",
                         "payload": {"query": EVENTS, "variables": variables}})  # fmt: skip
        while (message := await _recv(ws))["type"] != "complete":
            assert message["type"] == "next" and "errors" not in message["payload"], message
            got.append(message["payload"]["data"]["runEvents"])
    return got


async def test_run_events_carry_the_probe_and_its_report(
    app: Starlette, url: str, admin_conn: asyncpg.Connection, redis: Redis,
    tenant: TenantFixture,
) -> None:  # fmt: skip
    mid = tenant.child_mids[0]
    run_id = await _run(admin_conn, tenant, mid)
    span = span_of_offsets(SQL, 7, 30)
    measures = (
        Measure("ProbeRows", MeasureKind.ROWS),
        Measure("ProbeNulls1", MeasureKind.NULLS, "Email", "Email"),
        Measure("ProbeLongest0", MeasureKind.LONGEST, "ContactKey", "ContactKey", 20, span),
        Measure("ProbeTooLong0", MeasureKind.TOO_LONG, "ContactKey", "ContactKey", 20, span),
        Measure("ProbeDuplicateKeys", MeasureKind.DUPLICATE_KEYS, "ContactKey", span=span),
        Measure("ProbeDuplicateRows", MeasureKind.DUPLICATE_ROWS, "ContactKey", span=span),
    )
    record = ProbeRecord(
        tenant_id=tenant.tenant_id, mid=mid, user_id=tenant.user.id, run_id=run_id,
        target_key="contacts", target_name="Contacts", update_type=UpdateType.UPDATE,
        measures=measures,
    )  # fmt: skip
    values = {"ProbeRows": 120, "ProbeNulls1": 3, "ProbeLongest0": 31, "ProbeTooLong0": 4,
              "ProbeDuplicateKeys": 2, "ProbeDuplicateRows": 5}  # fmt: skip
    # Measured already (as a first reader leaves it): no Marketing Cloud call is needed.
    await save_record(redis, record)
    await save_result(redis, record, measured_result(record, values))
    for status in ("QUEUED", "RUNNING", "COMPLETE"):
        await events.publish(redis, run_id, {"runId": str(run_id), "status": status})
    plain = await _run(admin_conn, tenant, mid)
    await events.publish(redis, plain, {"runId": str(plain), "status": "COMPLETE"})
    token = (await new_api_token(tenant, scope="read", mid=mid)).secret

    got = await _events(url, token, run_id)

    assert [(e["status"], e["probe"]["status"]) for e in got] == [
        ("QUEUED", "RUNNING"), ("RUNNING", "RUNNING"), ("COMPLETE", "MEASURED"),
    ]  # fmt: skip
    assert got[0]["probe"]["report"] is None
    report = got[-1]["probe"]["report"]
    assert (report["rowCount"], report["willFail"]) == (120, True)
    assert (report["duplicateKeyValues"], report["duplicateKeyRows"]) == (2, 5)
    assert report["keysInTarget"] is None
    assert {c["column"]: c for c in report["columns"]}["ContactKey"] == {
        "column": "ContactKey", "field": "ContactKey", "nullRows": None, "longest": 31,
        "limit": 20, "tooLongRows": 4,
    }  # fmt: skip
    found = {f["code"]: f for f in report["findings"]}
    assert found["PROBE_DUPLICATE_KEYS"]["message"].startswith("This will fail on 5 rows")
    assert found["PROBE_VALUE_TOO_LONG"]["range"] == {
        "start": 7, "end": 30, "line": 1, "column": 8,
    }  # fmt: skip
    assert found["PROBE_NULL_IN_REQUIRED"]["column"] == "Email"
    assert [e["probe"] for e in await _events(url, token, plain)] == [None]
    # Another user of the tenant sees no probe on a run id that is not theirs.
    stranger = await make_tenant("PreflightWsStranger")
    other_token = (await new_api_token(stranger, scope="read", mid=stranger.child_mids[0])).secret
    async with _socket(url, origin=None) as ws:
        assert (await _init(ws, bearer(other_token)))["type"] == "connection_ack"
        variables = {"id": encode_global_id("Run", str(run_id))}
        await _send(ws, {"id": "1", "type": "subscribe",
                         "payload": {"query": EVENTS, "variables": variables}})  # fmt: skip
        message = await _recv(ws)
    errors = message["payload"]["errors"] if message["type"] == "next" else message["payload"]
    assert errors[0]["extensions"]["code"] == "NOT_FOUND"
