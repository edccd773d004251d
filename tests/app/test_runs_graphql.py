"""Runs through GraphQL, as the SPA and integrations use them: startRun (findings with their
positions, INVALID_SQL, RUN_LIMIT, joining), run(id), runs, node(id), cancelRun; sessions and
API tokens alike (a READ token reads but does not start); other users', BUs' and tenants' run
ids answer null / NOT_FOUND. Start jobs go to R1's Redis db (5), never to shared queues."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from rq import Queue
from starlette.applications import Starlette

from services.job_queue import JobQueue
from tests.auth_helpers import bearer, https_client, new_api_token
from tests.factories import TenantFixture, make_tenant
from tests.fixtures import GraphQLClient, app_job_queue, browser_session

pytestmark = pytest.mark.usefixtures("db")

JOBS_REDIS_URL = "redis://127.0.0.1:6379/6"
RUN = "id status sql snippetId startedWithApiToken queuedAt startedAt completedAt rowCount"
COLUMNS = "columns { name fieldType length nullable }"
START = f"""mutation ($input: StartRunInput!) {{
  startRun(input: $input) {{
    run {{ {RUN} {COLUMNS} error {{ code message cause fix }} }}
    joined
    findings {{ code severity message range {{ start end line column }} }}
    userErrors {{ code field message }}
  }}
}}"""
CANCEL = """mutation ($id: ID!) {
  cancelRun(input: {id: $id}) { run { id status finishedAt } userErrors { code field } }
}"""
ONE = f"query ($id: ID!) {{ run(id: $id) {{ {RUN} {COLUMNS} }} }}"
NODE = "query ($id: ID!) { node(id: $id) { id ... on Run { status } } }"
LIST = """query ($first: Int!, $after: String) {
  runs(first: $first, after: $after) {
    edges { cursor node { id sql status } } pageInfo { hasNextPage endCursor }
  }
}"""
CLICKS = "SELECT c.LinkName, COUNT(*) AS Total FROM _Click c GROUP BY c.LinkName"


class Client(GraphQLClient):
    async def start(self, sql: str) -> dict[str, Any]:
        payload: dict[str, Any] = (await self.data(START, input={"sql": sql}))["startRun"]
        return payload


@pytest.fixture
def jobs(app: Starlette) -> Iterator[JobQueue]:
    """The app's queue, pointed at this module's own Redis db for the test."""
    with app_job_queue(app, JOBS_REDIS_URL) as queue:
        yield queue


@pytest_asyncio.fixture
async def tenant() -> TenantFixture:
    return await make_tenant("RunsUI")


@pytest_asyncio.fixture
async def http(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    async with https_client(app) as client:
        yield client


@pytest_asyncio.fixture
async def browser(app: Starlette, tenant: TenantFixture, http: httpx.AsyncClient) -> Client:
    return Client(http, await browser_session(app, tenant))


async def test_a_run_is_started_read_listed_and_canceled(browser: Client, jobs: JobQueue) -> None:
    started = await browser.start(CLICKS)
    assert started["userErrors"] == [] and started["joined"] is False
    run = started["run"]
    assert run["status"] == "QUEUED" and run["sql"] == CLICKS and run["snippetId"] is None
    assert run["startedWithApiToken"] is False and run["startedAt"] is None
    assert [(c["name"], c["fieldType"]) for c in run["columns"]] == [
        ("LinkName", "TEXT"),
        ("Total", "NUMBER"),
    ]
    assert Queue("high", connection=jobs.connection).count == 1
    again = await browser.start(CLICKS)
    assert again["joined"] is True and again["run"]["id"] == run["id"]
    assert Queue("high", connection=jobs.connection).count == 1

    assert (await browser.data(ONE, id=run["id"]))["run"]["id"] == run["id"]
    assert (await browser.data(NODE, id=run["id"]))["node"] == {"id": run["id"], "status": "QUEUED"}
    listed = (await browser.data(LIST, first=10))["runs"]
    assert [e["node"]["id"] for e in listed["edges"]] == [run["id"]]

    canceled = (await browser.data(CANCEL, id=run["id"]))["cancelRun"]
    assert canceled["userErrors"] == [] and canceled["run"]["status"] == "CANCELED"
    assert canceled["run"]["finishedAt"] is not None


async def test_sql_that_cannot_run_answers_findings_with_positions(browser: Client) -> None:
    sql = "SELECT LinkName\nFROM NoSuchTable"
    started = await browser.start(sql)
    assert started["run"] is None
    unknown = [f for f in started["findings"] if f["code"] == "UNKNOWN_TABLE"]
    assert unknown and unknown[0]["severity"] == "ERROR"
    assert unknown[0]["range"]["line"] == 2
    start, end = unknown[0]["range"]["start"], unknown[0]["range"]["end"]
    assert sql[start:end] == "NoSuchTable"
    assert {(e["code"], e["field"]) for e in started["userErrors"]} == {("INVALID_SQL", "sql")}
    empty = await browser.start("   ")
    assert [(e["code"], e["field"]) for e in empty["userErrors"]] == [("INVALID_INPUT", "sql")]


async def test_too_many_runs_in_progress_is_run_limit(browser: Client, jobs: JobQueue) -> None:
    for n in range(5):  # RunConfig's default per user
        assert (await browser.start(f"{CLICKS} -- {n}"))["userErrors"] == []
    refused = await browser.start(f"{CLICKS} -- 5")
    assert refused["run"] is None and [e["code"] for e in refused["userErrors"]] == ["RUN_LIMIT"]


async def test_api_tokens_start_and_read_runs_read_tokens_only_read(
    app: Starlette, tenant: TenantFixture, http: httpx.AsyncClient, jobs: JobQueue
) -> None:
    writer = Client(http, bearer((await new_api_token(tenant, scope="read_write")).secret))
    reader = Client(http, bearer((await new_api_token(tenant, scope="read")).secret))
    started = await writer.start(CLICKS)
    run = started["run"]
    assert run["startedWithApiToken"] is True
    assert (await reader.data(ONE, id=run["id"]))["run"]["status"] == "QUEUED"
    refused = await reader.graphql(START, input={"sql": CLICKS + " -- r"})
    assert refused.get("errors") and refused["data"] is None
    assert Queue("high", connection=jobs.connection).count == 1


async def test_other_users_bus_and_tenants_never_see_a_run(
    app: Starlette, tenant: TenantFixture, http: httpx.AsyncClient, browser: Client,
    jobs: JobQueue,
) -> None:  # fmt: skip
    run = (await browser.start(CLICKS))["run"]
    other_tenant = await make_tenant("RunsOther")
    stranger = Client(http, await browser_session(app, other_tenant))
    other_bu = Client(http, await browser_session(app, tenant, mid=tenant.child_mids[0]))
    for client in (stranger, other_bu):
        assert (await client.data(ONE, id=run["id"]))["run"] is None
        assert (await client.data(NODE, id=run["id"]))["node"] is None
        assert (await client.data(LIST, first=10))["runs"]["edges"] == []
        canceled = (await client.data(CANCEL, id=run["id"]))["cancelRun"]
        assert canceled == {"run": None, "userErrors": [{"code": "NOT_FOUND", "field": "id"}]}
    junk = (await browser.data(CANCEL, id="junk"))["cancelRun"]
    assert junk["userErrors"] == [{"code": "NOT_FOUND", "field": "id"}]
    assert (await browser.data(ONE, id=run["id"]))["run"]["status"] == "QUEUED"


async def test_a_run_from_a_snippet_uses_its_sql_and_names_it(
    browser: Client, tenant: TenantFixture, jobs: JobQueue
) -> None:
    from schema.global_ids import encode_global_id
    from services import snippets

    saved = await snippets.create_snippet(
        tenant.context(), owner_id=tenant.user.id, title="Clicks", sql=CLICKS
    )
    snippet_id = encode_global_id("Snippet", str(saved.id))
    started = (await browser.data(START, input={"snippetId": snippet_id}))["startRun"]
    assert started["userErrors"] == []
    assert started["run"]["sql"] == CLICKS and started["run"]["snippetId"] == snippet_id
    other = await make_tenant("RunsSnippetOther")
    theirs = await snippets.create_snippet(
        other.context(), owner_id=other.user.id, title="Theirs", sql=CLICKS
    )
    for foreign in (encode_global_id("Snippet", str(theirs.id)), "junk"):
        refused = (await browser.data(START, input={"snippetId": foreign}))["startRun"]
        assert refused["run"] is None
        assert [(e["code"], e["field"]) for e in refused["userErrors"]] == [
            ("NOT_FOUND", "snippetId")
        ]


async def test_a_failed_run_shows_mces_message_with_the_cause_and_fix(
    browser: Client, tenant: TenantFixture, jobs: JobQueue
) -> None:
    from uuid import UUID

    from models import TenantContext
    from models.runs import RunStatus
    from schema.global_ids import decode_global_id
    from services.runs.execute import failure_changes
    from services.runs.status import transition

    run = (await browser.start(CLICKS))["run"]
    decoded = decode_global_id(run["id"])
    assert decoded is not None
    message = "Conversion failed when converting the varchar value 'abc' to data type int."
    ctx = TenantContext(tenant_id=tenant.tenant_id, mid=tenant.parent_mid)
    failed = await transition(
        ctx, UUID(decoded[1]), to=RunStatus.FAILED, redis=None,
        changes=failure_changes("MCE_REFUSED", message),
    )  # fmt: skip
    assert failed is not None
    query = (
        "query ($id: ID!) { run(id: $id) { status finishedAt error { code message cause fix } } }"
    )
    shown = (await browser.data(query, id=run["id"]))["run"]
    assert shown["status"] == "FAILED" and shown["finishedAt"]
    assert shown["error"]["code"] == "CONVERSION_FAILED_VALUE"
    assert shown["error"]["message"] == message
    assert shown["error"]["cause"] and shown["error"]["fix"]
