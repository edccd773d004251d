"""TSSD validation and the endpoint allow-list (REFERENCE §1.0)."""

from __future__ import annotations

import pytest

from client.endpoints import EndpointPolicy, MceEndpoints, validate_tssd
from client.errors import UnsafeEndpoint

TSSD = "mc563885gzs27c5t9-63k636ttgm"
PROD = EndpointPolicy()


def test_tssd_endpoints_in_production() -> None:
    endpoints = MceEndpoints.from_tssd(TSSD.upper(), policy=PROD)
    assert endpoints == MceEndpoints(
        auth_base=f"https://{TSSD}.auth.marketingcloudapis.com/",
        rest_base=f"https://{TSSD}.rest.marketingcloudapis.com/",
        soap_url=f"https://{TSSD}.soap.marketingcloudapis.com/Service.asmx",
    )


@pytest.mark.parametrize(
    "hostile",
    [
        "",
        "mc563885gzs27c5t9-63k636ttg",  # too short
        TSSD + "x",  # too long
        "xx563885gzs27c5t9-63k636ttgm",  # not mc...
        "mc563885gzs27c5t9.63k636ttgm",  # dot
        "mc563885gzs27c5t9/63k636ttgm",  # slash
        "mc563885gzs27c5t9@63k636ttgm",  # userinfo
        "mc563885gzs27c5t9-63k636t:443",  # port
        "mc563885gzs27c5t9-63k636ttg\u212a",  # Kelvin sign lower-cases to "k"
        "mc563885gzs27c5t9-63k636ttg\uff4d",  # fullwidth m
        "mc563885gzs27c5t9-63k636ttg\n",
        "evil.com#" + "a" * 19,
        "a" * 5000,
    ],
)
def test_hostile_tssds_are_refused(hostile: str) -> None:
    with pytest.raises(UnsafeEndpoint):
        validate_tssd(hostile)
    with pytest.raises(UnsafeEndpoint):
        MceEndpoints.from_tssd(hostile, policy=PROD)


@pytest.mark.parametrize(
    ("rest", "soap"),
    [
        (f"{TSSD}.rest.marketingcloudapis.com", f"{TSSD}.soap.marketingcloudapis.com"),
        (
            f"https://{TSSD}.rest.marketingcloudapis.com/",
            f"https://{TSSD}.soap.marketingcloudapis.com/",
        ),
        (
            f"https://{TSSD}.rest.marketingcloudapis.com",
            f"https://{TSSD}.soap.marketingcloudapis.com",
        ),
    ],
)
def test_token_response_bare_hosts_and_full_urls(rest: str, soap: str) -> None:
    endpoints = MceEndpoints.from_token_response(
        {"rest_instance_url": rest, "soap_instance_url": soap},
        auth_base=f"https://{TSSD}.auth.marketingcloudapis.com/",
        policy=PROD,
    )
    assert endpoints == MceEndpoints.from_tssd(TSSD, policy=PROD)


OTHER = "mc000000000000000-0000000000"


@pytest.mark.parametrize(
    "rest",
    [
        f"http://{TSSD}.rest.marketingcloudapis.com/",  # not https
        f"https://{TSSD}.rest.marketingcloudapis.com:8443/",  # port
        f"https://user@{TSSD}.rest.marketingcloudapis.com/",  # userinfo
        f"https://{TSSD}.rest.marketingcloudapis.com.evil.com/",  # suffix
        f"https://{TSSD}.rest.marketingcloudapis.com/x/",  # path
        f"https://{TSSD}.rest.marketingcloudapis.com/?a=b",  # query
        f"https://{TSSD}.soap.marketingcloudapis.com/",  # wrong kind
        f"https://{OTHER}.rest.marketingcloudapis.com/",  # another stack
        "https://evil.com/",
        "evil.com",
        "//evil.com",
        None,
        42,
    ],
)
def test_hostile_instance_urls_are_refused(rest: object) -> None:
    with pytest.raises(UnsafeEndpoint):
        MceEndpoints.from_token_response(
            {"rest_instance_url": rest, "soap_instance_url": f"{TSSD}.soap.marketingcloudapis.com"},
            auth_base=f"https://{TSSD}.auth.marketingcloudapis.com/",
            policy=PROD,
        )


def test_development_allows_only_its_origin() -> None:
    dev = EndpointPolicy(dev_origin="http://127.0.0.1:8900/")
    endpoints = MceEndpoints.from_tssd(TSSD, policy=dev)
    assert endpoints.rest_base == "http://127.0.0.1:8900/"
    assert endpoints.soap_url == "http://127.0.0.1:8900/Service.asmx"
    ok = MceEndpoints.from_userinfo(
        {
            "rest": {
                "rest_instance_url": "http://127.0.0.1:8900",
                "soap_instance_url": "http://127.0.0.1:8900/",
            }
        },
        auth_base="http://127.0.0.1:8900/",
        policy=dev,
    )
    assert ok == endpoints
    for hostile in (
        "http://127.0.0.1:8901/",
        "https://127.0.0.1:8900/",
        "http://localhost:8900/",
        f"https://{TSSD}.rest.marketingcloudapis.com/",
        "http://a@127.0.0.1:8900/",
    ):
        with pytest.raises(UnsafeEndpoint):
            dev.check_base(hostile, kind="rest")
    with pytest.raises(UnsafeEndpoint):
        MceEndpoints.from_tssd("../evil", policy=dev)
