"""Verifying the legacy App Switcher JWT (REFERENCE §1.3).

Legacy packages (created before August 2019) sign users in by form-POSTing an HS256 JWT,
signed with the package's JWT signing secret, to the app's login URL. The checks, and why:
- the algorithm is pinned to HS256: ``alg: none`` and RS/HS confusion (an RS256 header
  verified with the shared secret read as a public key) are refused by PyJWT's allow-list;
- ``exp`` is required, with a small leeway for clock skew; an ``iat`` or ``nbf`` in the
  future beyond the leeway is refused too;
- ``jti`` is required and remembered in Redis until the token expires: a captured form
  post cannot be replayed;
- the token's size is capped before parsing, and every claim we use is type-checked.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import jwt
from redis.asyncio import Redis

from services.redis_keys import digest, legacy_jti_key

__all__ = ["LEEWAY_SECONDS", "MAX_JWT_BYTES", "LegacyClaims", "LegacyJwtRejected", "verify"]

LEEWAY_SECONDS = 30
MAX_JWT_BYTES = 8192


class LegacyJwtRejected(Exception):
    """The JWT is not acceptable; ``reason`` is a short code for the audit trail."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class LegacyClaims:
    """What the app uses from a claimsVersion 2 JWT."""

    jti: str
    expires_at: int
    mce_user_id: int
    email: str
    culture: str
    time_zone: str
    mid: int
    enterprise_id: int
    stack_key: str
    auth_endpoint: str
    refresh_token: str


async def verify(
    token: str,
    *,
    secret: str,
    redis: Redis,
    clock: Callable[[], float] = time.time,
) -> LegacyClaims:
    """Verify ``token``, remember its ``jti``, and return its claims."""
    if not token or len(token.encode()) > MAX_JWT_BYTES:
        raise LegacyJwtRejected("jwt_size")
    now = clock()
    try:
        payload = jwt.decode(
            token,
            secret,
            algorithms=["HS256"],
            leeway=LEEWAY_SECONDS,
            options={"require": ["exp", "jti"], "verify_aud": False, "verify_iss": False},
            # PyJWT checks exp/nbf/iat against the real clock; we check ours below too.
        )
    except jwt.ExpiredSignatureError:
        raise LegacyJwtRejected("jwt_expired") from None
    except jwt.ImmatureSignatureError:
        raise LegacyJwtRejected("jwt_not_yet_valid") from None
    except jwt.MissingRequiredClaimError:
        raise LegacyJwtRejected("jwt_missing_claim") from None
    except jwt.InvalidAlgorithmError:
        raise LegacyJwtRejected("jwt_algorithm") from None
    except jwt.InvalidSignatureError:
        raise LegacyJwtRejected("jwt_signature") from None
    except jwt.InvalidTokenError:
        raise LegacyJwtRejected("jwt_malformed") from None
    claims = _claims(payload)
    if claims.expires_at + LEEWAY_SECONDS <= now:
        raise LegacyJwtRejected("jwt_expired")
    issued = payload.get("iat")
    if isinstance(issued, int | float) and issued - LEEWAY_SECONDS > now:
        raise LegacyJwtRejected("jwt_not_yet_valid")
    ttl = max(1, int(claims.expires_at + LEEWAY_SECONDS - now) + 1)
    first = await redis.set(legacy_jti_key(digest(claims.jti)), "1", ex=ttl, nx=True)
    if not first:
        raise LegacyJwtRejected("jwt_replayed")
    return claims


def _claims(payload: Mapping[str, Any]) -> LegacyClaims:
    try:
        request = _map(payload, "request")
        rest = _map(request, "rest")
        user = _map(request, "user")
        org = _map(request, "organization")
        timezone = user.get("timezone")
        short_name = timezone.get("shortName") if isinstance(timezone, Mapping) else None
        jti = payload["jti"]
        exp = payload["exp"]
        if not isinstance(jti, str) or not jti or len(jti) > 200:
            raise ValueError("jti")
        if isinstance(exp, bool) or not isinstance(exp, int):
            raise ValueError("exp")
        return LegacyClaims(
            jti=jti,
            expires_at=exp,
            mce_user_id=_id(user.get("id")),
            email=_text(user.get("email"), 320),
            culture=_text(user.get("culture"), 20),
            time_zone=_text(short_name, 64),
            mid=_id(org.get("id")),
            enterprise_id=_id(org.get("enterpriseId")),
            stack_key=_text(org.get("stackKey"), 20),
            auth_endpoint=_required_text(rest.get("authEndpoint"), 300),
            refresh_token=_required_text(rest.get("refreshToken"), 2048),
        )
    except (KeyError, TypeError, ValueError):
        raise LegacyJwtRejected("jwt_claims") from None


def _map(parent: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = parent[key]
    if not isinstance(value, Mapping):
        raise TypeError(key)
    return value


def _id(value: object) -> int:
    if isinstance(value, bool):
        raise TypeError("id")
    if isinstance(value, int) and value > 0:
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 19:
        return int(value)
    raise ValueError("id")


def _text(value: object, limit: int) -> str:
    return value[:limit] if isinstance(value, str) else ""


def _required_text(value: object, limit: int) -> str:
    if not isinstance(value, str) or not value or len(value) > limit:
        raise ValueError("text")
    return value
