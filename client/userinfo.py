"""The typed ``/v2/userinfo`` answer (REFERENCE §1.2).

Parsed as nested JSON, as the docs ask. ``user.sub`` is a string in MCE's answer while
the organisation ids are numbers; both are normalised to ``int`` here (``?view=oidc``'s
URL form of ``sub`` keeps its trailing id). Client-credentials tokens have no user.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from client.endpoints import EndpointPolicy, MceEndpoints

__all__ = [
    "Organization",
    "Permission",
    "TimeZoneInfo",
    "UserInfo",
    "UserProfile",
    "parse_userinfo",
]


@dataclass(frozen=True, slots=True)
class TimeZoneInfo:
    long_name: str
    short_name: str
    offset: float
    dst: bool


@dataclass(frozen=True, slots=True)
class UserProfile:
    user_id: int
    username: str
    preferred_username: str
    email: str
    locale: str
    zoneinfo: str
    timezone: TimeZoneInfo | None


@dataclass(frozen=True, slots=True)
class Organization:
    member_id: int
    enterprise_id: int
    enterprise_name: str
    account_type: str
    stack_key: str
    region: str
    locale: str
    zoneinfo: str
    timezone: TimeZoneInfo | None


@dataclass(frozen=True, slots=True)
class Permission:
    id: int
    name: str
    object_type_name: str
    operation_name: str


@dataclass(frozen=True, slots=True)
class UserInfo:
    expires_at: datetime
    user: UserProfile | None
    organization: Organization
    endpoints: MceEndpoints
    application_id: str
    application_name: str
    scopes: frozenset[str]
    permissions: tuple[Permission, ...]


def parse_userinfo(body: Mapping[str, Any], *, auth_base: str, policy: EndpointPolicy) -> UserInfo:
    """Build :class:`UserInfo`; raises ``ValueError``/``KeyError``/``TypeError`` on bad shapes."""
    org = _mapping(body, "organization")
    user_block = body.get("user")
    application = body.get("application")
    application = application if isinstance(application, Mapping) else {}
    permissions = body.get("permissions")
    return UserInfo(
        expires_at=datetime.fromtimestamp(int(body["exp"]), tz=UTC),
        user=_user(user_block) if isinstance(user_block, Mapping) else None,
        organization=Organization(
            member_id=_int(org["member_id"]),
            enterprise_id=_int(org["enterprise_id"]),
            enterprise_name=_str(org.get("enterprise_name")),
            account_type=_str(org.get("account_type")),
            stack_key=_str(org.get("stack_key")),
            region=_str(org.get("region")),
            locale=_str(org.get("locale")),
            zoneinfo=_str(org.get("zoneinfo")),
            timezone=_timezone(org.get("timezone")),
        ),
        endpoints=MceEndpoints.from_userinfo(body, auth_base=auth_base, policy=policy),
        application_id=_str(application.get("id")),
        application_name=_str(application.get("name")),
        scopes=frozenset(s for s in application.get("appScopes") or () if isinstance(s, str)),
        permissions=tuple(
            Permission(
                id=_int(item.get("id")),
                name=_str(item.get("name")),
                object_type_name=_str(item.get("objectTypeName")),
                operation_name=_str(item.get("operationName")),
            )
            for item in (permissions if isinstance(permissions, list) else ())
            if isinstance(item, Mapping)
        ),
    )


def _user(block: Mapping[str, Any]) -> UserProfile:
    sub = _str(block.get("sub"))
    return UserProfile(
        user_id=_int(sub.rsplit("/", 1)[-1]),
        username=_str(block.get("name")),
        preferred_username=_str(block.get("preferred_username")),
        email=_str(block.get("email")),
        locale=_str(block.get("locale")),
        zoneinfo=_str(block.get("zoneinfo")),
        timezone=_timezone(block.get("timezone")),
    )


def _timezone(value: object) -> TimeZoneInfo | None:
    if not isinstance(value, Mapping):
        return None
    offset = value.get("offset")
    return TimeZoneInfo(
        long_name=_str(value.get("longName")),
        short_name=_str(value.get("shortName")),
        offset=float(offset) if isinstance(offset, int | float) else 0.0,
        dst=value.get("dst") is True,
    )


def _mapping(body: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = body[key]
    if not isinstance(value, Mapping):
        raise TypeError(f"{key} is not an object")
    return value


def _int(value: object) -> int:
    if isinstance(value, bool):
        raise TypeError("not an integer")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value)
    raise ValueError("not an integer")


def _str(value: object) -> str:
    return value if isinstance(value, str) else ""
