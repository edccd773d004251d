"""API-token use-cases: who may create, list and revoke; revocations are announced."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from models import TokenScope
from resolvers.api_tokens import create_api_token, list_api_tokens, revoke_api_token
from services.api_tokens import IssuedToken
from services.audit import NO_REQUEST
from services.authn import ANONYMOUS, Authentication, AuthMethod, SupportPrincipal
from services.errors import InvalidInput, NotAuthenticated, PermissionDenied
from services.identity import Principal, PrincipalKind
from services.redis_keys import API_TOKEN_REVOKED_CHANNEL
from services.sessions import Session
from tests.auth_helpers import new_api_token, redis_client
from tests.factories import TenantFixture, make_tenant

pytestmark = pytest.mark.usefixtures("db")


def _session_auth(tenant: TenantFixture) -> Authentication:
    session = Session(
        id_hash=uuid.uuid4().hex,
        tenant_id=tenant.tenant_id,
        mid=tenant.parent_mid,
        parent_mid=None,
        user_id=tenant.user.id,
        mce_user_id=tenant.user.mce_user_id,
        kind="enhanced",
        csrf_token="csrf",
        created_at=0.0,
        last_seen_at=0.0,
    )
    return Authentication(method=AuthMethod.COOKIE, principal=session.principal(), session=session)


def _token_auth(tenant: TenantFixture, *, read_only: bool) -> Authentication:
    principal = Principal(
        tenant_id=tenant.tenant_id,
        mid=tenant.parent_mid,
        user_id=tenant.user.id,
        kind=PrincipalKind.API_TOKEN,
        read_only=read_only,
        api_token_id=uuid.uuid4(),
    )
    return Authentication(method=AuthMethod.BEARER, principal=principal)


SUPPORT = Authentication(
    method=AuthMethod.BEARER,
    support=SupportPrincipal(token_id=uuid.uuid4(), name="support", expires_at=None),
)


async def _create(
    auth: Authentication, *, expires_in_days: int | None = None, max_days: int = 365
) -> IssuedToken:
    return await create_api_token(
        auth,
        name="ci",
        scope=TokenScope.READ,
        expires_in_days=expires_in_days,
        max_days=max_days,
        meta=NO_REQUEST,
    )


async def test_a_session_creates_a_token_in_its_bu_for_90_days_by_default() -> None:
    tenant = await make_tenant("Creates")
    issued = await _create(_session_auth(tenant))
    assert issued.token.mid == tenant.parent_mid
    assert issued.token.expires_at is not None
    days = (issued.token.expires_at - issued.token.created_at).total_seconds() / 86400
    assert 89.99 < days < 90.01


async def test_the_default_lifetime_respects_a_lower_maximum() -> None:
    tenant = await make_tenant("LowMax")
    issued = await _create(_session_auth(tenant), max_days=30)
    assert issued.token.expires_at is not None
    days = (issued.token.expires_at - issued.token.created_at).total_seconds() / 86400
    assert 29.99 < days < 30.01
    with pytest.raises(InvalidInput):
        await _create(_session_auth(tenant), expires_in_days=31, max_days=30)


@pytest.mark.parametrize("read_only", [True, False])
async def test_a_token_cannot_mint_or_revoke_tokens(read_only: bool) -> None:
    tenant = await make_tenant("NoMint")
    auth = _token_auth(tenant, read_only=read_only)
    with pytest.raises(PermissionDenied):
        await _create(auth)
    issued = await new_api_token(tenant)
    with pytest.raises(PermissionDenied):
        await revoke_api_token(auth, token_id=str(issued.token.id), meta=NO_REQUEST, redis=None)


async def test_support_and_anonymous_get_nothing() -> None:
    with pytest.raises(PermissionDenied, match="Support"):
        await list_api_tokens(SUPPORT, first=5, after=None)
    with pytest.raises(PermissionDenied):
        await _create(SUPPORT)
    with pytest.raises(NotAuthenticated):
        await list_api_tokens(ANONYMOUS, first=5, after=None)
    with pytest.raises(NotAuthenticated):
        await _create(ANONYMOUS)


async def test_a_token_may_list_its_users_tokens() -> None:
    tenant = await make_tenant("Lists")
    issued = await new_api_token(tenant)
    page = await list_api_tokens(_token_auth(tenant, read_only=True), first=5, after=None)
    assert [t.id for t in page.tokens] == [issued.token.id]


@pytest.mark.parametrize("first", [0, -1, 101, 10_000])
async def test_page_size_is_bounded(first: int) -> None:
    tenant = await make_tenant("Bounds")
    with pytest.raises(InvalidInput) as caught:
        await list_api_tokens(_session_auth(tenant), first=first, after=None)
    assert caught.value.field == "first"


async def test_revoking_announces_it_once() -> None:
    tenant = await make_tenant("Announce")
    issued = await new_api_token(tenant)
    redis = redis_client()
    pubsub = redis.pubsub()
    await pubsub.subscribe(API_TOKEN_REVOKED_CHANNEL)
    try:
        auth = _session_auth(tenant)
        for _ in range(2):
            await revoke_api_token(
                auth, token_id=str(issued.token.id), meta=NO_REQUEST, redis=redis
            )
        announced: list[bytes] = []
        async with asyncio.timeout(5):
            while str(issued.token.id).encode() not in announced:
                message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1)
                if message:
                    announced.append(message["data"])
        # Drain briefly: the second (no-op) revocation published nothing.
        extra = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.2)
        assert extra is None or extra["data"] != str(issued.token.id).encode()
    finally:
        await pubsub.aclose()
        await redis.aclose()
