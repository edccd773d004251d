"""``/v2/userinfo`` shape, legacy SSO JWT and ``/v1/requestToken``."""

from __future__ import annotations

import httpx
import jwt

from simulator.auth_legacy import mint_legacy_jwt
from simulator.state import Simulator

from .conftest import TokenFor
from .helpers import bearer, bu_named


def test_userinfo_shape(
    http: httpx.Client, sim: Simulator, sim_url: str, token_for: TokenFor
) -> None:
    eu = bu_named(sim, "EU")
    token = token_for(http, user="mia.marketer", mid=eu.mid)["access_token"]
    body = http.get("v2/userinfo", headers=bearer(token)).json()
    assert list(body) == [
        "exp",
        "iss",
        "user",
        "organization",
        "rest",
        "application",
        "permissions",
    ]
    assert isinstance(body["exp"], int)
    assert body["iss"] == "https://mc.exacttarget.com"
    user = sim.store.find_user("mia.marketer")
    assert user is not None
    assert body["user"]["sub"] == str(user.id)  # a string
    assert body["user"]["name"] == "mia.marketer"
    assert body["user"]["email"] == user.email
    assert set(body["user"]["timezone"]) == {"longName", "shortName", "offset", "dst"}
    org = body["organization"]
    assert org["member_id"] == eu.mid and isinstance(org["member_id"], int)
    assert org["enterprise_id"] == sim.store.enterprise.eid
    assert {"enterprise_name", "account_type", "stack_key", "region", "locale", "zoneinfo"} <= set(
        org
    )
    assert body["rest"] == {
        "rest_instance_url": sim_url.rstrip("/"),
        "soap_instance_url": sim_url.rstrip("/"),
    }
    assert body["application"]["redirectUrl"] == sim.enhanced_package.redirect_uris
    assert body["application"]["appScopes"] == list(sim.enhanced_package.scopes)
    assert all(
        set(p) == {"objectTypeName", "operationName", "name", "id"} for p in body["permissions"]
    )


def test_userinfo_timezones_use_the_documented_form(
    http: httpx.Client, token_for: TokenFor
) -> None:
    # REFERENCE §1.2: offsets are JSON integers; zones with daylight saving end in " *".
    token = token_for(http, user="mia.marketer")["access_token"]
    body = http.get("v2/userinfo", headers=bearer(token)).json()
    for zone in (body["user"]["timezone"], body["organization"]["timezone"]):
        assert type(zone["offset"]) is int
        assert zone["longName"].endswith(" *") is zone["dst"]
    assert body["user"]["timezone"]["dst"] is True


def test_userinfo_oidc_view_sub(http: httpx.Client, sim: Simulator, token_for: TokenFor) -> None:
    token = token_for(http)["access_token"]
    body = http.get("v2/userinfo", params={"view": "oidc"}, headers=bearer(token)).json()
    assert body["user"]["sub"].startswith("https://mc.auth.marketingcloudapis.com/uid/")


def test_userinfo_without_or_with_bad_token_is_401(http: httpx.Client) -> None:
    for headers in ({}, bearer("garbage"), {"Authorization": "Basic abc"}):
        response = http.get("v2/userinfo", headers=headers)
        assert response.status_code == 401
        assert response.json()["message"] == "Not Authorized"
        assert response.json()["errorcode"] == 0


def test_legacy_jwt_claims_and_signature(sim: Simulator) -> None:
    user = sim.store.find_user("ada.admin")
    assert user is not None
    us = bu_named(sim, "US")
    token, claims = mint_legacy_jwt(sim, user=user, mid=us.mid, base_url="http://sim.test/")
    decoded = jwt.decode(
        token,
        sim.legacy_package.jwt_signing_secret,
        algorithms=["HS256"],
        options={"require": ["exp", "jti", "request"]},
    )
    assert decoded == claims
    request = decoded["request"]
    assert request["claimsVersion"] == 2
    assert request["rest"]["authEndpoint"] == "http://sim.test/v1/requestToken"
    assert request["rest"]["apiEndpointBase"] == "http://sim.test/"
    assert request["rest"]["refreshToken"]
    assert request["user"]["id"] == user.id and request["user"]["email"] == user.email
    assert request["organization"]["id"] == us.mid
    assert request["organization"]["enterpriseId"] == sim.store.enterprise.eid
    assert set(request["application"]) >= {
        "id",
        "package",
        "redirectUrl",
        "features",
        "userPermissions",
    }
    assert "oauthToken" not in request["user"]  # claimsVersion 1 only
    # REFERENCE §1.3's example writes the offset as a float (-6.0), without the DST marker.
    zone = request["user"]["timezone"]
    assert type(zone["offset"]) is float
    assert not zone["longName"].endswith("*")


def test_legacy_request_token_rotates(http: httpx.Client, sim: Simulator) -> None:
    minted = http.post("__sim/legacy-jwt", json={"user": "pat.parent"}).json()
    assert minted["form_field"] == "jwt"
    claims = jwt.decode(minted["jwt"], sim.legacy_package.jwt_signing_secret, algorithms=["HS256"])
    package = sim.legacy_package
    body = {
        "clientId": package.client_id,
        "clientSecret": package.client_secret,
        "refreshToken": claims["request"]["rest"]["refreshToken"],
        "accessType": "offline",
    }
    first = http.post("v1/requestToken", json=body)
    assert first.status_code == 200
    result = first.json()
    assert set(result) == {"accessToken", "expiresIn", "legacyToken", "refreshToken"}
    assert result["expiresIn"] == 1200
    info = sim.auth.validate_access_token(result["accessToken"])
    assert info.user is not None and info.user.username == "pat.parent"
    assert sim.auth.validate_access_token(result["legacyToken"]).mid == info.mid
    reused = http.post("v1/requestToken", json=body)
    assert reused.status_code == 401
    rotated = http.post("v1/requestToken", json={**body, "refreshToken": result["refreshToken"]})
    assert rotated.status_code == 200


def test_legacy_and_enhanced_clients_do_not_mix(http: httpx.Client, sim: Simulator) -> None:
    enhanced = sim.enhanced_package
    response = http.post(
        "v1/requestToken",
        json={
            "clientId": enhanced.client_id,
            "clientSecret": enhanced.client_secret,
            "refreshToken": "x",
        },
    )
    assert response.status_code == 401
    legacy = sim.legacy_package
    v2 = http.post(
        "v2/token",
        json={
            "grant_type": "client_credentials",
            "client_id": legacy.client_id,
            "client_secret": legacy.client_secret,
        },
    )
    assert v2.status_code == 401


def test_legacy_request_token_bad_json(http: httpx.Client) -> None:
    response = http.post(
        "v1/requestToken", content=b"{", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["errorcode"] == 10004


def test_unverified_flat_jwt_variant_is_opt_in(http: httpx.Client, sim: Simulator) -> None:
    default = http.post("__sim/legacy-jwt", json={"user": "pat.parent"}).json()
    assert default["claims"]["request"]["claimsVersion"] == 2
    flat = http.post("__sim/legacy-jwt", json={"user": "pat.parent", "variant": "flat"}).json()
    claims = jwt.decode(flat["jwt"], sim.legacy_package.jwt_signing_secret, algorithms=["HS256"])
    assert {"user_id", "enterprise_id", "member_id", "stack", "application_context"} <= set(claims)
    assert "request" not in claims
    bad = http.post("__sim/legacy-jwt", json={"user": "pat.parent", "variant": "v9"})
    assert bad.status_code == 400
