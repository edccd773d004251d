"""Where MCE calls may go: TSSD validation and the endpoint allow-list.

Security-sensitive: every MCE call carries a bearer token, so a URL that an attacker can
influence (a ``tssd`` query parameter on the OAuth callback, a token response, a
userinfo body) must never send that token elsewhere. A TSSD is accepted only in MCE's
fixed shape (REFERENCE §1.0: 28 characters starting with ``mc``, ASCII letters, digits
and ``-``), which leaves no room for dots, slashes, ``@``, ports or look-alike unicode.
Every URL we build or receive is then checked by an :class:`EndpointPolicy`: in
production only ``https://{tssd}.{auth|rest|soap}.marketingcloudapis.com`` is allowed;
in development and tests exactly one configured origin (the simulator's).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

from client.errors import UnsafeEndpoint

__all__ = ["EndpointKind", "EndpointPolicy", "MceEndpoints", "validate_tssd"]

EndpointKind = Literal["auth", "rest", "soap"]

_TSSD = re.compile(r"mc[0-9a-z-]{26}")
_MCE_HOST = re.compile(r"(mc[0-9a-z-]{26})\.(auth|rest|soap)\.marketingcloudapis\.com")
_SOAP_PATH = "/Service.asmx"


def validate_tssd(value: str) -> str:
    """Return the TSSD in canonical (lower-case) form or raise :class:`UnsafeEndpoint`.

    ASCII is checked before lower-casing: ``str.lower`` maps some non-ASCII letters
    (the Kelvin sign) onto ASCII ones.
    """
    if not isinstance(value, str) or not value.isascii():
        raise UnsafeEndpoint("The Marketing Cloud subdomain is not valid.")
    canonical = value.lower()
    if _TSSD.fullmatch(canonical) is None:
        raise UnsafeEndpoint("The Marketing Cloud subdomain is not valid.")
    return canonical


@dataclass(frozen=True, slots=True)
class MceEndpoints:
    """Base URLs of one tenant's stack: ``auth_base`` and ``rest_base`` end with ``/``."""

    auth_base: str
    rest_base: str
    soap_url: str

    def auth_url(self, path: str) -> str:
        return self.auth_base + path.lstrip("/")

    def rest_url(self, path: str) -> str:
        return self.rest_base + path.lstrip("/")

    @classmethod
    def from_tssd(cls, tssd: str, *, policy: EndpointPolicy) -> MceEndpoints:
        """The three endpoints of a TSSD (REFERENCE §1.0), as the policy maps them."""
        return policy.endpoints_for_tssd(tssd)

    @classmethod
    def from_token_response(
        cls, body: Mapping[str, Any], *, auth_base: str, policy: EndpointPolicy
    ) -> MceEndpoints:
        """From ``rest_instance_url``/``soap_instance_url`` (bare hosts or full URLs)."""
        return policy.endpoints_from_instance_urls(
            auth_base=auth_base,
            rest=body.get("rest_instance_url"),
            soap=body.get("soap_instance_url"),
        )

    @classmethod
    def from_userinfo(
        cls, body: Mapping[str, Any], *, auth_base: str, policy: EndpointPolicy
    ) -> MceEndpoints:
        """From userinfo's ``rest{}`` block (REFERENCE §1.2)."""
        rest = body.get("rest")
        if not isinstance(rest, Mapping):
            raise UnsafeEndpoint("Marketing Cloud did not return its API endpoints.")
        return cls.from_token_response(rest, auth_base=auth_base, policy=policy)


@dataclass(frozen=True, slots=True)
class EndpointPolicy:
    """Which hosts MCE calls may go to.

    ``EndpointPolicy()`` is production: MCE's own hosts, https only, and the three
    endpoints of one stack must share one TSSD. ``EndpointPolicy(dev_origin="http://...")``
    allows that single origin (scheme, host and port) and nothing else: the simulator
    serves auth, REST and SOAP on one origin and ignores the TSSD.
    """

    dev_origin: str | None = None

    def __post_init__(self) -> None:
        if self.dev_origin is not None:
            parts = urlsplit(self.dev_origin)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValueError("dev_origin must be an http(s) origin")

    def endpoints_for_tssd(self, tssd: str) -> MceEndpoints:
        canonical = validate_tssd(tssd)
        if self.dev_origin is not None:
            base = self._dev_base()
            return MceEndpoints(auth_base=base, rest_base=base, soap_url=base + "Service.asmx")
        return MceEndpoints(
            auth_base=f"https://{canonical}.auth.marketingcloudapis.com/",
            rest_base=f"https://{canonical}.rest.marketingcloudapis.com/",
            soap_url=f"https://{canonical}.soap.marketingcloudapis.com{_SOAP_PATH}",
        )

    def check_base(self, url: object, *, kind: EndpointKind) -> str:
        """Normalise a base URL (bare host or full URL) and check it; returns ``https://h/``."""
        if not isinstance(url, str) or not url or not url.isascii():
            raise UnsafeEndpoint("Marketing Cloud returned an endpoint that is not allowed.")
        candidate = url if "://" in url else f"https://{url}"
        parts = urlsplit(candidate)
        if parts.query or parts.fragment or parts.path.strip("/"):
            raise UnsafeEndpoint("Marketing Cloud returned an endpoint that is not allowed.")
        if self.dev_origin is not None:
            if _origin(candidate) != _origin(self.dev_origin):
                raise UnsafeEndpoint("Marketing Cloud returned an endpoint that is not allowed.")
            return self._dev_base()
        self._mce_host(candidate, kind=kind)
        return f"https://{parts.hostname}/"

    def endpoints_from_instance_urls(
        self, *, auth_base: str, rest: object, soap: object
    ) -> MceEndpoints:
        auth = self.check_base(auth_base, kind="auth")
        rest_base = self.check_base(rest, kind="rest")
        soap_base = self.check_base(soap, kind="soap")
        if self.dev_origin is None:
            stacks = {
                self._mce_host(auth, kind="auth"),
                self._mce_host(rest_base, kind="rest"),
                self._mce_host(soap_base, kind="soap"),
            }
            if len(stacks) != 1:
                raise UnsafeEndpoint("Marketing Cloud returned endpoints of another stack.")
        return MceEndpoints(
            auth_base=auth, rest_base=rest_base, soap_url=soap_base + _SOAP_PATH.lstrip("/")
        )

    def _dev_base(self) -> str:
        assert self.dev_origin is not None
        return _origin(self.dev_origin) + "/"

    @staticmethod
    def _mce_host(url: str, *, kind: EndpointKind) -> str:
        """The TSSD of an allowed production URL, or :class:`UnsafeEndpoint`."""
        parts = urlsplit(url)
        try:
            port = parts.port
        except ValueError:
            port = -1
        host = parts.hostname or ""
        match = _MCE_HOST.fullmatch(host)
        if (
            parts.scheme != "https"
            or parts.username is not None
            or parts.password is not None
            or port is not None
            or match is None
            or match.group(2) != kind
            or parts.netloc != host
        ):
            raise UnsafeEndpoint("Marketing Cloud returned an endpoint that is not allowed.")
        return match.group(1)


def _origin(url: str) -> str:
    """``scheme://host[:port]`` with userinfo refused, for exact origin comparison."""
    parts = urlsplit(url)
    if parts.username is not None or parts.password is not None or not parts.hostname:
        raise UnsafeEndpoint("Marketing Cloud returned an endpoint that is not allowed.")
    try:
        port = parts.port
    except ValueError as exc:
        raise UnsafeEndpoint("Marketing Cloud returned an endpoint that is not allowed.") from exc
    default = {"http": 80, "https": 443}.get(parts.scheme)
    if default is None:
        raise UnsafeEndpoint("Marketing Cloud returned an endpoint that is not allowed.")
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    return f"{parts.scheme}://{host}:{port or default}"
