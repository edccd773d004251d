"""Wallet test helpers: KEKs, a tenant mirroring the simulator's enterprise, sim tokens.

The simulator is seeded the same way for every test (same EID, MIDs and user ids), so the
tenant row gets a fresh EID of ours per test while its BUs and users carry the simulator's
MIDs and user ids: refreshes with ``account_id=<mid>`` and userinfo then mean something.
"""

from __future__ import annotations

import asyncio
import base64
import os
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from client.secret import Secret
from models import BusinessUnit, Membership, Tenant, TenantContext, TenantRepository
from models import User as UserRow
from services.mce_auth import MceAuthConfig, MceAuthFactory
from services.wallet import KeyEncryptionKey, StaticKeyProvider
from simulator.state import Simulator
from tests.factories import next_id


def random_kek(kek_id: str | None = None) -> KeyEncryptionKey:
    return KeyEncryptionKey(kek_id or f"kek-{os.urandom(4).hex()}", os.urandom(32))


def keks_text(*keks: KeyEncryptionKey) -> str:
    """The ``WALLET_KEKS`` form of ``keks`` (first active)."""
    return ",".join(f"{k.id}:{base64.b64encode(k.key).decode()}" for k in keks)


def provider_of(*keks: KeyEncryptionKey) -> StaticKeyProvider:
    return StaticKeyProvider(list(keks))


@dataclass
class SimTenant:
    """Our tenant row for the simulator's enterprise, with one user row per sim user."""

    tenant_id: int
    parent_mid: int
    mids: tuple[int, ...]
    users: dict[str, UserRow]  # by sim username

    def ctx(self, mid: int | None = None) -> TenantContext:
        return TenantContext(tenant_id=self.tenant_id, mid=mid or self.parent_mid)

    def user(self, username: str = "ada.admin") -> UserRow:
        return self.users[username]


async def make_sim_tenant(sim: Simulator, *, tssd: str | None = None) -> SimTenant:
    tenant_id = next_id()
    store = sim.store
    repo = TenantRepository(TenantContext(tenant_id=tenant_id))
    users: dict[str, UserRow] = {}
    async with repo.transaction():
        await repo.of(Tenant).create(name=store.enterprise.name, tssd=tssd or store.enterprise.tssd)
        for bu in store.business_units.values():
            await repo.of(BusinessUnit).create(mid=bu.mid, name=bu.name, parent_mid=bu.parent_mid)
        for sim_user in store.users.values():
            row = await repo.of(UserRow).create(
                mce_user_id=sim_user.id, email=sim_user.email, name=sim_user.name
            )
            users[sim_user.username] = row
            for mid in sim_user.reachable_mids:
                await repo.of(Membership).create(user_id=row.id, mid=mid)
    return SimTenant(
        tenant_id=tenant_id,
        parent_mid=store.enterprise.eid,
        mids=tuple(store.business_units),
        users=users,
    )


def sim_user_id(sim: Simulator, username: str = "ada.admin") -> int:
    return next(u.id for u in sim.store.users.values() if u.username == username)


class SimControl:
    """The simulator over HTTP, asynchronously (tests must not block the event loop while
    the code under test waits on the simulator): grants, userinfo, stats and control."""

    def __init__(self, sim: Simulator, http: httpx.AsyncClient) -> None:
        self.sim = sim
        self.http = http

    async def tokens(self, *, user: str = "ada.admin", mid: int | None = None) -> dict[str, Any]:
        """A fresh authorization-code grant (JSON with access and refresh tokens)."""
        package = self.sim.enhanced_package
        redirect = package.redirect_uris[0]
        params = {
            "response_type": "code",
            "client_id": package.client_id,
            "redirect_uri": redirect,
            "state": "s",
            "sim_user": user,
        }
        if mid is not None:
            params["account_id"] = str(mid)
        answer = await self.http.get("v2/authorize", params=params)
        assert answer.status_code == 302, answer.text
        code = parse_qs(urlsplit(answer.headers["location"]).query)["code"][0]
        response = await self.http.post(
            "v2/token",
            json={
                "grant_type": "authorization_code",
                "code": code,
                "client_id": package.client_id,
                "client_secret": package.client_secret,
                "redirect_uri": redirect,
            },
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def refresh(self, refresh_token: str) -> httpx.Response:
        """Spend ``refresh_token`` directly (as another party would)."""
        package = self.sim.enhanced_package
        return await self.http.post(
            "v2/token",
            json={
                "grant_type": "refresh_token",
                "refresh_token": refresh_token,
                "client_id": package.client_id,
                "client_secret": package.client_secret,
            },
        )

    async def userinfo(self, access_token: str) -> dict[str, Any]:
        response = await self.http.get(
            "v2/userinfo", headers={"Authorization": f"Bearer {access_token}"}
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def count(self, operation: str) -> int:
        operations: dict[str, int] = (await self.http.get("__sim/stats")).json()["operations"]
        return operations.get(operation, 0)

    async def wait_for_count(self, operation: str, count: int) -> None:
        """Poll the stats until ``operation`` was called ``count`` times (5 s at most)."""
        deadline = time.monotonic() + 5
        while await self.count(operation) < count:
            assert time.monotonic() < deadline, f"{operation} never reached {count} calls"
            await asyncio.sleep(0.01)

    async def control(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = await self.http.post(f"__sim/{path}", json=body)
        assert response.status_code in (200, 201), response.text
        result: dict[str, Any] = response.json()
        return result

    async def latency(self, ms: int, operation: str) -> None:
        await self.control("latency", {"ms": ms, "operation": operation})

    async def revoke(self, refresh_token: str) -> int:
        return int(
            (await self.control("tokens/revoke", {"refresh_token": refresh_token}))["revoked"]
        )


def auth_factory(sim: Simulator, sim_url: str, http: httpx.AsyncClient) -> MceAuthFactory:
    package, legacy = sim.enhanced_package, sim.legacy_package
    return MceAuthFactory(
        MceAuthConfig(
            client_id=package.client_id,
            client_secret=Secret(package.client_secret),
            legacy_client_id=legacy.client_id,
            legacy_client_secret=Secret(legacy.client_secret),
            dev_origin=sim_url,
        ),
        http=http,
    )


def legacy_refresh_token(sim: Simulator, *, user: str = "ada.admin", mid: int | None = None) -> str:
    """A legacy package refresh token, as the legacy sign-in would have obtained."""
    sim_user = next(u for u in sim.store.users.values() if u.username == user)
    return sim.auth.issue_legacy_refresh(
        package=sim.legacy_package, user=sim_user, mid=mid or sim_user.default_mid
    )


async def audit_actions(admin_conn: Any, tenant_id: int, action: str) -> list[dict[str, Any]]:
    rows = await admin_conn.fetch(
        "SELECT action, outcome, mid, target, details FROM audit_events"
        " WHERE tenant_id = $1 AND action = $2 ORDER BY id",
        tenant_id,
        action,
    )
    return [dict(r) for r in rows]


__all__ = [
    "SimControl",
    "SimTenant",
    "audit_actions",
    "auth_factory",
    "keks_text",
    "legacy_refresh_token",
    "make_sim_tenant",
    "provider_of",
    "random_kek",
    "sim_user_id",
]
