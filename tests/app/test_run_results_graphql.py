"""``runResults`` and ``Run.page`` through the GraphQL schema itself (the app's extensions and
error handling, not HTTP): a page is one JSON value of rows; resume with ``after``; an
expired run answers ``EXPIRED`` in ``extensions.code``; an id that is not a run's, not found.
Real Postgres, the wallet's token, the simulator over HTTP."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import httpx
import pytest

from client.endpoints import EndpointPolicy
from models.runs import RunStatus
from schema import schema
from schema.context import GraphQLContext
from schema.global_ids import encode_global_id
from schema.run_results import RUN_TYPE
from schema.runs import RUN_TYPE as RUNS_RUN_TYPE
from services.identity import Principal
from services.metadata.preview import MceAccess
from services.wallet import TokenWallet, WalletTokenProvider
from simulator.state import Simulator
from tests.fixtures import graphql_context
from tests.services.runs.test_reading import USER, completed_run, signed_in, user_mid
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

SUBSCRIBE = (
    "subscription ($id: ID!, $after: Int, $size: Int) {"
    " runResults(runId: $id, after: $after, pageSize: $size) { offset rows total last } }"
)
PAGE = "query ($id: ID!) { run(id: $id) { page(offset: 5, limit: 3) { offset rows total last } } }"


def context(
    ahttp: httpx.AsyncClient, provider: WalletTokenProvider, sim_url: str, principal: Principal
) -> GraphQLContext:
    """What app/graphql.py gives a resolver: the process's way to MCE (its HTTP pool, the
    wallet's token provider and the endpoint policy) and who is asking."""
    policy = EndpointPolicy(dev_origin=sim_url)
    return graphql_context(principal, mce=MceAccess(http=ahttp, tokens=provider, policy=policy))


async def subscribe(ctx: GraphQLContext, variables: dict[str, Any]) -> list[Any]:
    results = await schema.subscribe(SUBSCRIBE, variable_values=variables, context_value=ctx)
    assert not isinstance(results, Exception) and hasattr(results, "__aiter__"), results
    return [result async for result in results]


async def test_run_results_pages_resume_and_refusals(
    sim: Simulator,
    simctl: SimControl,
    sim_tenant: SimTenant,
    wallet: TokenWallet,
    ahttp: httpx.AsyncClient,
    provider: WalletTokenProvider,
    sim_url: str,
) -> None:
    assert RUN_TYPE == RUNS_RUN_TYPE
    mid = user_mid(simctl, USER)
    viewer = await signed_in(simctl, wallet, sim_tenant, USER, mid)
    run_id = await completed_run(sim, viewer)
    principal = Principal(tenant_id=sim_tenant.tenant_id, mid=mid, user_id=viewer.user_id)
    ctx = context(ahttp, provider, sim_url, principal)
    global_id = encode_global_id(RUN_TYPE, str(run_id))

    results = await subscribe(ctx, {"id": global_id, "after": 90, "size": 20})
    assert all(r.errors is None for r in results), [r.errors for r in results]
    pages = [r.data["runResults"] for r in results]
    assert [(p["offset"], len(p["rows"]), p["total"], p["last"]) for p in pages] == [
        (90, 20, 120, False),
        (110, 10, 120, True),
    ]
    row = pages[0]["rows"][0]
    assert isinstance(row, list) and len(row) == 2
    assert isinstance(row[0], str) and isinstance(row[1], str)  # Decimal as an exact string

    page = await schema.execute(PAGE, variable_values={"id": global_id}, context_value=ctx)
    assert page.errors is None, page.errors
    assert page.data is not None
    assert page.data["run"]["page"]["offset"] == 5
    assert len(page.data["run"]["page"]["rows"]) == 3

    expired = await completed_run(sim, viewer, key="s_gone", status=RunStatus.EXPIRED)
    refused = await subscribe(ctx, {"id": encode_global_id(RUN_TYPE, str(expired))})
    assert refused[0].errors and refused[0].errors[0].extensions["code"] == "EXPIRED"
    snippet_id = encode_global_id("Snippet", str(run_id))
    for junk in (snippet_id, "junk", str(UUID(int=1))):
        answer = await subscribe(ctx, {"id": junk})
        assert answer[0].errors and answer[0].errors[0].extensions["code"] == "NOT_FOUND"
