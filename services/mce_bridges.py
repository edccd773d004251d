"""A working :class:`~client.bridge.MceBridge` for any BU a user of the tenant belongs to.

Code that holds a tenant context and a user (a resolver acting for the viewer, a job acting
for the user :mod:`services.acting` chose) asks here instead of wiring endpoints, targets and
tokens itself. The bridge's calls are signed by that user's token for that BU, minted from
the user's lineage by the wallet's provider (services/wallet/provider.py): a BU the user is
not a member of fails on the first call with :class:`~client.errors.AccessDenied`, a lost
lineage with :class:`~client.errors.ReauthRequired`.
"""

from __future__ import annotations

from uuid import UUID

import httpx

from client.bridge import MceBridge
from client.endpoints import EndpointPolicy
from client.tokens import CallTarget, TokenProvider
from models import Tenant, TenantContext, TenantRepository, User
from services.errors import NotFound
from services.wallet.errors import TenantUnavailable

__all__ = ["bridge_for_user"]


async def bridge_for_user(
    ctx: TenantContext,
    *,
    user_id: UUID,
    mid: int,
    http: httpx.AsyncClient,
    tokens: TokenProvider,
    policy: EndpointPolicy,
) -> MceBridge:
    """The bridge acting as ``user_id`` in BU ``mid`` of ``ctx``'s tenant.

    Raises :class:`TenantUnavailable` when the tenant has no TSSD yet and
    :class:`~services.errors.NotFound` when the user is not the tenant's.
    """
    repo = TenantRepository(ctx)
    async with repo.transaction():
        tenant = await repo.of(Tenant).get_or_none(tenant_id=ctx.tenant_id)
        user = await repo.of(User).get_or_none(id=user_id)
    if tenant is None or not tenant.tssd:
        raise TenantUnavailable(f"tenant {ctx.tenant_id} has no TSSD: MCE cannot be reached")
    if user is None:
        raise NotFound("No such user in this account.")
    return MceBridge(
        http=http,
        tokens=tokens,
        endpoints=policy.endpoints_for_tssd(tenant.tssd),
        target=CallTarget(tenant_id=ctx.tenant_id, mid=mid, user_id=user.mce_user_id),
    )
