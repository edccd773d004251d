"""Factories for test data: tenants with a parent BU and two children, users, memberships.

They go through the tenant-aware repository, like the app does, so they exercise RLS too.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from models import (
    BusinessUnit,
    CachedDataExtension,
    DataKeyStatus,
    GrantKind,
    Membership,
    Role,
    Tenant,
    TenantContext,
    TenantRepository,
    User,
    WalletDataKey,
    WalletEntry,
    WalletStatus,
)

_ids = itertools.count(random.randint(10_000, 90_000) * 1000)


def next_id() -> int:
    return next(_ids)


@dataclass
class TenantFixture:
    tenant_id: int
    parent_mid: int
    child_mids: tuple[int, int]
    user: User

    def context(self, mid: int | None = None) -> TenantContext:
        """The context of ``mid`` (default the parent), seeing the parent's shared rows."""
        mid = self.parent_mid if mid is None else mid
        return TenantContext(
            tenant_id=self.tenant_id, mid=mid, visible_mids=frozenset({mid, self.parent_mid})
        )


async def make_tenant(name: str = "Acme") -> TenantFixture:
    tenant_id = next_id()
    parent, child_a, child_b = next_id(), next_id(), next_id()
    repo = TenantRepository(TenantContext(tenant_id=tenant_id))
    async with repo.transaction():
        await repo.of(Tenant).create(name=name)
        await repo.of(BusinessUnit).create(mid=parent, name=f"{name} Enterprise")
        for mid, suffix in ((child_a, "A"), (child_b, "B")):
            await repo.of(BusinessUnit).create(mid=mid, name=f"{name} {suffix}", parent_mid=parent)
        user = await repo.of(User).create(
            mce_user_id=next_id(), email=f"ops@{name.lower()}.example", name=f"{name} Ops"
        )
        for mid in (parent, child_a, child_b):
            await repo.of(Membership).create(user_id=user.id, mid=mid, role=Role.USER)
    return TenantFixture(tenant_id, parent, (child_a, child_b), user)


async def make_data_extension(
    tenant: TenantFixture, *, mid: int, name: str, shared: bool = False
) -> CachedDataExtension:
    repo = TenantRepository(tenant.context(mid))
    return await repo.of(CachedDataExtension).create(
        mid=mid,
        object_id=f"obj-{next_id()}",
        customer_key=f"key-{name}-{next_id()}",
        name=name,
        is_shared=shared,
    )


async def make_member(
    tenant: TenantFixture,
    *,
    mids: tuple[int, ...],
    last_login_at: datetime | None = None,
    role: Role = Role.USER,
    name: str = "Member",
) -> User:
    """Another user of ``tenant``, a member of ``mids``, last signed in at ``last_login_at``."""
    repo = TenantRepository(TenantContext(tenant_id=tenant.tenant_id))
    async with repo.transaction():
        user = await repo.of(User).create(
            mce_user_id=next_id(), name=name, last_login_at=last_login_at
        )
        for mid in mids:
            await repo.of(Membership).create(user_id=user.id, mid=mid, role=role)
    return user


async def make_wallet_entry(
    tenant: TenantFixture,
    *,
    user_id: UUID,
    mid: int,
    kind: GrantKind = GrantKind.ENHANCED,
    status: WalletStatus = WalletStatus.ACTIVE,
) -> WalletEntry:
    """A wallet entry whose kind and status are real and whose ciphertext is filler.

    For code that asks only whether a user holds a usable entry (who acts for background
    work); tests that open entries use the wallet itself (tests/services/wallet).
    """
    repo = TenantRepository(TenantContext(tenant_id=tenant.tenant_id))
    async with repo.transaction():
        key = await repo.of(WalletDataKey).get_or_none(status=DataKeyStatus.ACTIVE)
        if key is None:
            key = await repo.of(WalletDataKey).create(
                wrapped_key=b"filler: no key", kek_id="test-filler"
            )
        return await repo.of(WalletEntry).create(
            user_id=user_id,
            mid=mid,
            kind=kind,
            status=status,
            data_key_id=key.id,
            ciphertext=b"filler: no token",
        )
