"""The CSV export of a run: RFC 4180, the same rows as the result pages, named after the
snippet or the run, refusals as JSON with the public code (real Postgres, wallet, simulator)."""

from __future__ import annotations

import csv
import io
import json
from uuid import uuid4

import pytest
from starlette.responses import Response, StreamingResponse

from app.run_export import export_response, parse_run_id
from models.runs import RunStatus
from schema.global_ids import encode_global_id
from services.authn import Authentication
from services.identity import Principal
from services.metadata.preview import MceAccess
from services.runs.reading import open_results
from services.snippets import create_snippet
from services.wallet import TokenWallet
from simulator.state import Simulator
from tests.services.runs.test_reading import (
    USER,
    access,
    completed_run,
    signed_in,
    user_mid,
)
from tests.services.wallet.conftest import (
    ahttp,
    kek_a,
    keys,
    provider,
    sim_tenant,
    simctl,
    wallet,
)
from tests.services.wallet.helpers import SimControl, SimTenant
from tests.simulator.conftest import _shared_server, http, sim, sim_app, sim_url

__all__ = [
    "_shared_server",
    "access",
    "ahttp",
    "http",
    "kek_a",
    "keys",
    "provider",
    "sim",
    "sim_app",
    "sim_tenant",
    "sim_url",
    "simctl",
    "wallet",
]

pytestmark = pytest.mark.usefixtures("db")


async def body_of(response: Response) -> str:
    assert isinstance(response, StreamingResponse)
    chunks = [
        chunk if isinstance(chunk, bytes) else str(chunk).encode()
        async for chunk in response.body_iterator
    ]
    return b"".join(chunks).decode("utf-8")


def principal_of(sim_tenant: SimTenant, mid: int, username: str) -> Authentication:
    user = sim_tenant.user(username)
    return Authentication(
        principal=Principal(tenant_id=sim_tenant.tenant_id, mid=mid, user_id=user.id)
    )


async def test_the_csv_has_a_header_and_every_row_of_the_result_in_order(
    sim: Simulator,
    simctl: SimControl,
    sim_tenant: SimTenant,
    wallet: TokenWallet,
    access: MceAccess,
) -> None:
    mid = user_mid(simctl, USER)
    viewer = await signed_in(simctl, wallet, sim_tenant, USER, mid)
    run_id = await completed_run(sim, viewer)
    auth = principal_of(sim_tenant, mid, USER)
    response = await export_response(auth, run_id=run_id, access=access, scope={})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv; charset=utf-8")
    disposition = response.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="quarry-run-')
    assert response.headers["cache-control"] == "no-store"
    assert "access-control-allow-origin" not in response.headers
    text = await body_of(response)
    assert text.endswith("\r\n") and "\r\n" in text.rstrip("\r\n")
    parsed = list(csv.reader(io.StringIO(text, newline="")))
    assert parsed[0] == ["SubscriberKey", "LifetimeValue"]
    opened = await open_results(viewer.ctx, run_id=run_id, access=access)
    rows = [row async for page in opened.reader.pages(page_size=500) for row in page.rows]
    assert parsed[1:] == [["" if v is None else str(v) for v in row] for row in rows]
    assert len(parsed) == 121


async def test_the_file_is_named_after_the_snippet(
    sim: Simulator,
    simctl: SimControl,
    sim_tenant: SimTenant,
    wallet: TokenWallet,
    access: MceAccess,
) -> None:
    mid = user_mid(simctl, USER)
    viewer = await signed_in(simctl, wallet, sim_tenant, USER, mid)
    snippet = await create_snippet(
        viewer.ctx, owner_id=viewer.user_id, title="Top customers", sql="SELECT 1 AS One"
    )
    run_id = await completed_run(sim, viewer, snippet_id=snippet.id)
    auth = principal_of(sim_tenant, mid, USER)
    response = await export_response(auth, run_id=run_id, access=access, scope={})
    assert response.headers["content-disposition"] == 'attachment; filename="Top customers.csv"'
    await body_of(response)
    accented = await create_snippet(
        viewer.ctx, owner_id=viewer.user_id, title="Clientes: año/mes", sql="SELECT 1 AS One"
    )
    run_id = await completed_run(sim, viewer, key="s_accented", snippet_id=accented.id)
    response = await export_response(auth, run_id=run_id, access=access, scope={})
    assert response.headers["content-disposition"] == (
        'attachment; filename="Clientes_ a_o_mes.csv";'
        " filename*=UTF-8''Clientes_%20a%C3%B1o_mes.csv"
    )
    await body_of(response)


async def test_refusals_are_json_with_the_public_code(
    sim: Simulator,
    simctl: SimControl,
    sim_tenant: SimTenant,
    wallet: TokenWallet,
    access: MceAccess,
) -> None:
    mid = user_mid(simctl, USER)
    viewer = await signed_in(simctl, wallet, sim_tenant, USER, mid)
    running = await completed_run(sim, viewer, key="s_running", status=RunStatus.RUNNING)
    expired = await completed_run(sim, viewer, key="s_expired", status=RunStatus.EXPIRED)
    mine = await completed_run(sim, viewer, key="s_mine")
    auth = principal_of(sim_tenant, mid, USER)
    other = principal_of(sim_tenant, mid, "ada.admin")
    cases = [
        (auth, running, 409, "RUN_NOT_COMPLETE"),
        (auth, expired, 410, "EXPIRED"),
        (auth, uuid4(), 404, "NOT_FOUND"),
        (auth, None, 404, "NOT_FOUND"),
        (other, mine, 404, "NOT_FOUND"),
        (Authentication(), mine, 401, "UNAUTHENTICATED"),
    ]
    for who, run_id, status, code in cases:
        response = await export_response(who, run_id=run_id, access=access, scope={})
        assert response.status_code == status, (run_id, status)
        assert json.loads(bytes(response.body))["error"]["code"] == code


async def test_rows_mce_no_longer_holds_are_a_json_410_not_a_broken_download(
    sim: Simulator,
    simctl: SimControl,
    sim_tenant: SimTenant,
    wallet: TokenWallet,
    access: MceAccess,
) -> None:
    """The shell DE is gone in MCE though Quarry still holds it leased (deleted by hand in
    Marketing Cloud): MCE's 404 on the first page is answered before any byte of CSV."""
    mid = user_mid(simctl, USER)
    viewer = await signed_in(simctl, wallet, sim_tenant, USER, mid)
    run_id = await completed_run(sim, viewer, key="s_gone")
    sim.store.delete_de(mid=mid, customer_key="s_gone")
    response = await export_response(
        principal_of(sim_tenant, mid, USER), run_id=run_id, access=access, scope={}
    )
    assert not isinstance(response, StreamingResponse)
    assert response.status_code == 410
    assert json.loads(bytes(response.body))["error"]["code"] == "EXPIRED"


def test_run_ids_are_the_graphql_id_or_the_uuid() -> None:
    run_id = uuid4()
    assert parse_run_id(encode_global_id("Run", str(run_id))) == run_id
    assert parse_run_id(str(run_id)) == run_id
    assert parse_run_id(encode_global_id("Snippet", str(run_id))) is None
    assert parse_run_id("junk") is None
