"""Legacy App Switcher SSO (REFERENCE §1.3): the JWT MCE form-POSTs to an app's login URL.

The token is HS256-signed with the legacy package's JWT signing secret and carries
claimsVersion 2 claims; its ``request.rest.refreshToken`` is a legacy refresh token
that ``POST /v1/requestToken`` exchanges (single use, rotating).
"""

from __future__ import annotations

import uuid
from typing import Any

import jwt

from simulator.model import User
from simulator.state import Simulator
from simulator.timezones import jwt_timezone

__all__ = ["LEGACY_JWT_TTL_SECONDS", "LEGACY_JWT_VARIANTS", "mint_legacy_jwt"]

LEGACY_JWT_TTL_SECONDS = 300
# "v2" is the documented claimsVersion 2 shape (REFERENCE §1.3, official). "flat" is the
# shape one third-party app reads (user_id, enterprise_id, member_id, stack,
# application_context.base_url): REFERENCE marks it [unverified], so it is opt-in only.
LEGACY_JWT_VARIANTS = ("v2", "flat")


def mint_legacy_jwt(
    sim: Simulator, *, user: User, mid: int, base_url: str, variant: str = "v2"
) -> tuple[str, dict[str, Any]]:
    """Encode the SSO JWT for ``user`` in BU ``mid``; returns ``(jwt, claims)``.

    ``dataContext`` is ``enterprise`` for the parent BU and ``core`` for children.
    """
    if variant not in LEGACY_JWT_VARIANTS:
        raise ValueError(f"unknown legacy JWT variant {variant!r}")
    package = sim.legacy_package
    store = sim.store
    now = int(sim.clock.time())
    if variant == "flat":
        flat: dict[str, Any] = {
            "exp": now + LEGACY_JWT_TTL_SECONDS,
            "jti": str(uuid.uuid4()),
            "user_id": str(user.id),
            "enterprise_id": str(store.enterprise.eid),
            "member_id": str(mid),
            "stack": store.enterprise.stack_key,
            "application_context": {"base_url": base_url},
        }
        return jwt.encode(flat, package.jwt_signing_secret, algorithm="HS256"), flat
    refresh = sim.auth.issue_legacy_refresh(package=package, user=user, mid=mid)
    claims: dict[str, Any] = {
        "exp": now + LEGACY_JWT_TTL_SECONDS,
        "jti": str(uuid.uuid4()),
        "request": {
            "claimsVersion": 2,
            "rest": {
                "authEndpoint": f"{base_url}v1/requestToken",
                "apiEndpointBase": base_url,
                "refreshToken": refresh,
            },
            "user": {
                "id": user.id,
                "email": user.email,
                "culture": user.locale,
                "timezone": jwt_timezone(user.time_zone),
            },
            "organization": {
                "id": mid,
                "enterpriseId": store.enterprise.eid,
                "dataContext": "enterprise" if mid == store.enterprise.eid else "core",
                "stackKey": store.enterprise.stack_key,
                "region": store.enterprise.region,
            },
            "application": {
                "id": package.application_id,
                "package": "sandbox.quarry_legacy_sso",
                "redirectUrl": package.login_url,
                "features": {},
                "userPermissions": [],
            },
        },
    }
    token = jwt.encode(claims, package.jwt_signing_secret, algorithm="HS256")
    return token, claims
