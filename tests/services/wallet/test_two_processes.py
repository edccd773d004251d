"""Two OS processes refresh one user's token at once: exactly one refresh reaches MCE.

Each process has its own Postgres pool (as the app role), Redis client and HTTP client;
the simulator (refresh grace 0, so a second use of the refresh token would fail) is served
over real HTTP. The refresh is held at the simulator long enough for the other process to
find the lock taken, so the test does not depend on scheduling luck.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from app.settings import Settings
from client.secret import Secret
from models import GrantKind
from services.wallet import KeyEncryptionKey, TokenWallet
from simulator.state import Simulator
from tests.conftest import REDIS_URL
from tests.services.wallet.helpers import SimControl, SimTenant, keks_text, sim_user_id

ROOT = Path(__file__).resolve().parents[3]
REFRESH = "auth.token.refresh_token"


async def _start(config: dict[str, object]) -> asyncio.subprocess.Process:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.services.wallet.refresh_process",
        cwd=ROOT,
        env={"WALLET_PROCESS_CONFIG": json.dumps(config), "PATH": "/usr/bin:/bin"},
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    line = await asyncio.wait_for(process.stdout.readline(), timeout=30)
    assert line == b"ready\n", line
    return process


async def _result(process: asyncio.subprocess.Process) -> dict[str, Any]:
    assert process.stdin is not None
    output, _ = await asyncio.wait_for(process.communicate(b"go\n"), timeout=60)
    assert process.returncode == 0
    result: dict[str, Any] = json.loads(output.decode().strip().splitlines()[-1])
    return result


async def test_two_processes_refresh_once(
    db: Settings,
    sim: Simulator,
    sim_url: str,
    simctl: SimControl,
    sim_tenant: SimTenant,
    wallet: TokenWallet,
    kek_a: KeyEncryptionKey,
) -> None:
    original = (await simctl.tokens())["refresh_token"]
    await wallet.put_refresh_token(
        sim_tenant.ctx(),
        user_id=sim_tenant.user().id,
        mid=sim_tenant.parent_mid,
        kind=GrantKind.ENHANCED,
        token=Secret(original),
    )
    package = sim.enhanced_package
    config: dict[str, object] = {
        "db_url": db.app_database_url,
        "redis_url": REDIS_URL,
        "sim_url": sim_url,
        "client_id": package.client_id,
        "client_secret": package.client_secret,
        "keks": keks_text(kek_a),
        "tenant_id": sim_tenant.tenant_id,
        "mid": sim_tenant.parent_mid,
        "mce_user_id": sim_user_id(sim),
    }
    processes = [await _start(config), await _start(config)]
    await simctl.latency(500, REFRESH)
    try:
        results = await asyncio.gather(*(_result(p) for p in processes))
    finally:
        for process in processes:
            if process.returncode is None:
                process.kill()
                await process.wait()

    assert all("token" in r for r in results), results
    assert await simctl.count(REFRESH) == 1
    assert results[0]["token"] == results[1]["token"]
    for result in results:
        info = await simctl.userinfo(result["token"])
        assert info["organization"]["member_id"] == sim_tenant.parent_mid
    stored = await wallet.read(
        sim_tenant.ctx(), user_id=sim_tenant.user().id, mid=sim_tenant.parent_mid
    )
    assert stored is not None and stored.version == 2 and stored.token != Secret(original)


async def test_two_processes_mint_three_other_bus_once_each(
    db: Settings,
    sim: Simulator,
    sim_url: str,
    simctl: SimControl,
    sim_tenant: SimTenant,
    wallet: TokenWallet,
    kek_a: KeyEncryptionKey,
) -> None:
    """One sign-in, then tokens for three other member BUs wanted at the same time by two
    worker processes: the refreshes serialize on the lineage, exactly one per BU reaches
    MCE, every caller gets its BU's token and the lineage survives."""
    original = (await simctl.tokens())["refresh_token"]
    await wallet.put_refresh_token(
        sim_tenant.ctx(),
        user_id=sim_tenant.user().id,
        mid=sim_tenant.parent_mid,
        kind=GrantKind.ENHANCED,
        token=Secret(original),
    )
    others = [m for m in sim_tenant.mids if m != sim_tenant.parent_mid]
    package = sim.enhanced_package
    config: dict[str, object] = {
        "db_url": db.app_database_url,
        "redis_url": REDIS_URL,
        "sim_url": sim_url,
        "client_id": package.client_id,
        "client_secret": package.client_secret,
        "keks": keks_text(kek_a),
        "tenant_id": sim_tenant.tenant_id,
        "mids": others,
        "mce_user_id": sim_user_id(sim),
    }
    processes = [await _start(config), await _start(config)]
    await simctl.latency(200, REFRESH)
    try:
        results = await asyncio.gather(*(_result(p) for p in processes))
    finally:
        for process in processes:
            if process.returncode is None:
                process.kill()
                await process.wait()

    assert all("tokens" in r for r in results), results
    assert await simctl.count(REFRESH) == len(others)
    for mid in others:
        first, second = (r["tokens"][str(mid)] for r in results)
        assert first == second
        assert (await simctl.userinfo(first))["organization"]["member_id"] == mid
    stored = await wallet.read(
        sim_tenant.ctx(), user_id=sim_tenant.user().id, mid=sim_tenant.parent_mid
    )
    assert stored is not None and stored.active and stored.version == 1 + len(others)
    assert (await simctl.refresh(stored.token.reveal())).status_code == 200
