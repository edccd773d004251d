"""``Run.page`` and ``runResults`` at the resolver: the viewer's run only, arguments checked,
pages from ``after`` to the last (real Postgres, the wallet's token, the simulator)."""

from __future__ import annotations

from uuid import uuid4

import pytest

from resolvers.run_results import run_page, run_results
from services.authn import Authentication
from services.errors import InvalidInput, NotFound
from services.identity import Principal
from services.metadata.preview import MceAccess
from services.wallet import TokenWallet
from simulator.state import Simulator
from tests.services.runs.test_reading import USER, access, completed_run, signed_in, user_mid
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


async def test_pages_resume_after_the_rows_a_client_has_and_arguments_are_checked(
    sim: Simulator,
    simctl: SimControl,
    sim_tenant: SimTenant,
    wallet: TokenWallet,
    access: MceAccess,
) -> None:
    mid = user_mid(simctl, USER)
    viewer = await signed_in(simctl, wallet, sim_tenant, USER, mid)
    run_id = await completed_run(sim, viewer)
    auth = Authentication(
        principal=Principal(tenant_id=sim_tenant.tenant_id, mid=mid, user_id=viewer.user_id)
    )
    full = [
        page
        async for page in run_results(
            auth, run_id=run_id, after=None, page_size=None, access=access
        )
    ]
    assert [(p.offset, len(p.rows), p.last) for p in full] == [(0, 120, True)]
    resumed = [
        page
        async for page in run_results(auth, run_id=run_id, after=100, page_size=15, access=access)
    ]
    assert [(p.offset, len(p.rows), p.last) for p in resumed] == [(100, 15, False), (115, 5, True)]
    assert [row for p in resumed for row in p.rows] == full[0].rows[100:]
    page = await run_page(auth, run_id=run_id, offset=10, limit=5, access=access)
    assert page.rows == full[0].rows[10:15]

    bad_arguments = [
        {"after": -1, "page_size": 10},
        {"after": 0, "page_size": 0},
        {"after": 0, "page_size": 2501},
    ]
    for arguments in bad_arguments:
        with pytest.raises(InvalidInput):
            async for _ in run_results(auth, run_id=run_id, access=access, **arguments):
                pass
    for offset, limit in ((-1, 10), (0, 0), (0, 2501)):
        with pytest.raises(InvalidInput):
            await run_page(auth, run_id=run_id, offset=offset, limit=limit, access=access)
    for unknown in (None, uuid4()):
        with pytest.raises(NotFound):
            await run_page(auth, run_id=unknown, offset=0, limit=5, access=access)
