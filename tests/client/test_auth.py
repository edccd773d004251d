"""Auth calls against the simulator over HTTP (REFERENCE §1.1 to §1.3)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from client.auth import AuthClient, ClientCredentials, TokenGrant
from client.endpoints import EndpointPolicy, MceEndpoints
from client.errors import AccessDenied, InvalidClient, ReauthRequired
from client.observe import CallEvent
from client.secret import Secret
from client.simple_tokens import RefreshingTokenProvider
from client.tokens import CallTarget
from simulator.state import Simulator
from tests.client.conftest import Control
from tests.simulator.conftest import authorize_code


def user_id(sim: Simulator, username: str) -> int:
    return next(u.id for u in sim.store.users.values() if u.username == username)


def child_mids(sim: Simulator) -> list[int]:
    eid = sim.store.enterprise.eid
    return sorted(mid for mid in sim.store.business_units if mid != eid)


async def test_code_exchange_gives_a_typed_grant(
    grant: TokenGrant, endpoints: MceEndpoints
) -> None:
    assert grant.refresh_token is not None
    assert grant.endpoints == endpoints
    assert "data_extensions_read" in grant.scopes
    assert grant.expires_at > datetime.now(UTC) + timedelta(minutes=15)


async def test_refresh_rotates_and_switches_bu(
    sim: Simulator, auth: AuthClient, grant: TokenGrant
) -> None:
    assert grant.refresh_token is not None
    child = child_mids(sim)[0]
    switched = await auth.refresh(refresh_token=grant.refresh_token, account_id=child)
    assert switched.refresh_token is not None and switched.refresh_token != grant.refresh_token
    info = await auth.userinfo(access_token=switched.access_token)
    assert info.organization.member_id == child
    # refresh grace is 0 in tests: the used refresh token is gone
    with pytest.raises(ReauthRequired) as caught:
        await auth.refresh(refresh_token=grant.refresh_token)
    assert caught.value.mce_code == "invalid_grant"


async def test_revoked_refresh_token_is_reauth(
    auth: AuthClient, grant: TokenGrant, control: Control
) -> None:
    assert grant.refresh_token is not None
    control("tokens/revoke", {"refresh_token": grant.refresh_token.reveal()})
    with pytest.raises(ReauthRequired):
        await auth.refresh(refresh_token=grant.refresh_token)


async def test_userinfo_maps_reference_shape(
    sim: Simulator, auth: AuthClient, grant: TokenGrant, endpoints: MceEndpoints
) -> None:
    info = await auth.userinfo(access_token=grant.access_token)
    assert info.user is not None
    assert info.user.user_id == user_id(sim, "ada.admin")
    assert info.user.username == "ada.admin"
    assert info.user.timezone is not None
    assert info.organization.enterprise_id == sim.store.enterprise.eid
    assert info.organization.member_id == sim.store.enterprise.eid
    assert info.endpoints == endpoints
    assert info.scopes == grant.scopes
    assert info.permissions and info.expires_at > datetime.now(UTC)


async def test_access_denied_for_an_unreachable_bu(
    sim: Simulator, http: httpx.Client, auth: AuthClient
) -> None:
    code, redirect = authorize_code(http, sim, user="eve.europe")
    grant = await auth.exchange_code(code=code, redirect_uri=redirect)
    assert grant.refresh_token is not None
    with pytest.raises(AccessDenied):
        await auth.refresh(refresh_token=grant.refresh_token, account_id=sim.store.enterprise.eid)


async def test_client_credentials_and_bad_secret(
    sim: Simulator,
    auth: AuthClient,
    ahttp: httpx.AsyncClient,
    endpoints: MceEndpoints,
    policy: EndpointPolicy,
) -> None:
    grant = await auth.client_credentials()
    assert grant.refresh_token is None
    info = await auth.userinfo(access_token=grant.access_token)
    assert info.user is None
    wrong = AuthClient(
        http=ahttp,
        auth_base=endpoints.auth_base,
        policy=policy,
        credentials=ClientCredentials(
            client_id=sim.enhanced_package.client_id, client_secret=Secret("wrong")
        ),
    )
    with pytest.raises(InvalidClient) as caught:
        await wrong.client_credentials()
    assert caught.value.mce_code == "invalid_client"


async def test_legacy_request_token_rotates(
    sim: Simulator,
    ahttp: httpx.AsyncClient,
    endpoints: MceEndpoints,
    policy: EndpointPolicy,
    control: Control,
) -> None:
    minted = control("legacy-jwt", {"user": "ada.admin"})
    first = Secret(minted["claims"]["request"]["rest"]["refreshToken"])
    package = sim.legacy_package
    legacy = AuthClient(
        http=ahttp,
        auth_base=endpoints.auth_base,
        policy=policy,
        credentials=ClientCredentials(
            client_id=package.client_id, client_secret=Secret(package.client_secret)
        ),
    )
    grant = await legacy.legacy_request_token(refresh_token=first)
    assert grant.refresh_token != first
    assert grant.legacy_token.reveal() and grant.access_token.reveal()
    again = await legacy.legacy_request_token(refresh_token=grant.refresh_token)
    assert again.expires_at > datetime.now(UTC)
    control("tokens/revoke", {"refresh_token": again.refresh_token.reveal()})
    with pytest.raises(ReauthRequired):
        await legacy.legacy_request_token(refresh_token=again.refresh_token)


class _BrokenObserver:
    def call_finished(self, event: object) -> None:
        raise RuntimeError("metrics backend down")


async def test_a_failing_observer_never_loses_a_rotated_refresh_token(
    ahttp: httpx.AsyncClient,
    endpoints: MceEndpoints,
    policy: EndpointPolicy,
    credentials: ClientCredentials,
    grant: TokenGrant,
) -> None:
    auth = AuthClient(
        http=ahttp,
        auth_base=endpoints.auth_base,
        policy=policy,
        credentials=credentials,
        observer=_BrokenObserver(),
    )
    assert grant.refresh_token is not None
    fresh = await auth.refresh(refresh_token=grant.refresh_token)
    assert fresh.refresh_token is not None
    assert fresh.refresh_token != grant.refresh_token


class _RecordingObserver:
    def __init__(self) -> None:
        self.events: list[CallEvent] = []

    def call_finished(self, event: CallEvent) -> None:
        self.events.append(event)


async def test_auth_calls_are_attributed_to_their_tenant_in_metrics(
    ahttp: httpx.AsyncClient,
    endpoints: MceEndpoints,
    policy: EndpointPolicy,
    credentials: ClientCredentials,
    grant: TokenGrant,
    sim: Simulator,
) -> None:
    observer = _RecordingObserver()
    auth = AuthClient(
        http=ahttp,
        auth_base=endpoints.auth_base,
        policy=policy,
        credentials=credentials,
        observer=observer,
    )
    assert grant.refresh_token is not None
    target = CallTarget(tenant_id=sim.store.enterprise.eid, mid=sim.store.enterprise.eid)
    provider = RefreshingTokenProvider(auth=auth, refresh_token=grant.refresh_token)
    await provider.access_token(target)  # nothing cached yet: one refresh for this target
    await auth.client_credentials()  # no target given: not attributed
    refresh, s2s = observer.events
    assert (refresh.operation, refresh.outcome) == ("auth.token.refresh_token", "ok")
    assert (refresh.tenant_id, refresh.mid) == (target.tenant_id, target.mid)
    assert (s2s.tenant_id, s2s.mid) == (None, None)
