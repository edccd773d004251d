"""HTTP side of the auth server: ``/v2/authorize``, ``/v2/token``, ``/v2/userinfo``,
``/v1/requestToken`` (REFERENCE §1).

``/v2/authorize`` approves automatically when ``auto_approve`` is on: the user is the
one named by the ``sim_user`` query parameter (id or username) or the first seeded user.
With auto-approve off it renders a small page to pick a user and approve or deny.
"""

from __future__ import annotations

import base64
import html
import json
import secrets
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from simulator.auth import OAuthError, TokenGrant
from simulator.errors import TokenInvalid
from simulator.model import Package, User
from simulator.responses import BadJson, enter, read_json, rest_error, sim_of
from simulator.state import Simulator
from simulator.timezones import SERVER_ZONE, userinfo_timezone

__all__ = ["bearer_token", "routes", "token_info_or_401"]

_GRANTS = ("authorization_code", "refresh_token", "client_credentials")
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def routes() -> list[BaseRoute]:
    return [
        Route("/v2/authorize", authorize, methods=["GET"]),
        Route("/v2/authorize", approve, methods=["POST"]),
        Route("/v2/token", token, methods=["POST"]),
        Route("/v2/userinfo", userinfo, methods=["GET"]),
        Route("/v1/requestToken", request_token, methods=["POST"]),
    ]


# ------------------------------------------------------------------ helpers
def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def token_info_or_401(request: Request) -> Any:
    """The request's :class:`TokenInfo`, or a 401 ``Not Authorized`` response."""
    raw = bearer_token(request)
    if raw is None:
        return rest_error(401, "Not Authorized", 0)
    try:
        return sim_of(request).auth.validate_access_token(raw)
    except TokenInvalid:
        return rest_error(401, "Not Authorized", 0)


def _oauth_response(exc: OAuthError) -> JSONResponse:
    return JSONResponse(exc.body(), status_code=exc.status, headers=_NO_STORE)


def _with_query(url: str, params: dict[str, str]) -> str:
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True) + list(params.items())
    return urlunsplit(parts._replace(query=urlencode(query)))


def _error_redirect(redirect_uri: str, exc: OAuthError, state: str | None) -> RedirectResponse:
    params = {
        "error": exc.error,
        "error_description": exc.description,
        "error_uri": exc.body()["error_uri"],
    }
    if state is not None:
        params["state"] = state
    return RedirectResponse(_with_query(redirect_uri, params), status_code=302)


def _check_client(
    sim: Simulator, client_id: str | None, redirect_uri: str | None
) -> Package | Response:
    """Errors that must not redirect: unknown client, missing/unregistered redirect_uri."""
    package = sim.auth.package(client_id)
    if package is None or package.kind != "enhanced":
        return _oauth_response(
            OAuthError(
                401, "unauthorized_client", "The client_id is not a valid installed package."
            )
        )
    if not redirect_uri or redirect_uri not in package.redirect_uris:
        return _oauth_response(
            OAuthError(400, "invalid_request", "redirect_uri is not registered for this client.")
        )
    return package


def _complete(
    sim: Simulator, *, package: Package, user: User, params: dict[str, str]
) -> RedirectResponse:
    redirect_uri = params["redirect_uri"]
    state = params.get("state")
    try:
        if params.get("response_type") != "code":
            raise OAuthError(400, "unsupported_response_type", "response_type must be code.")
        account_id = sim.auth.parse_account_id(params.get("account_id"))
        mid = sim.auth.resolve_mid(package, user, account_id)
    except OAuthError as exc:
        return _error_redirect(redirect_uri, exc, state)
    scopes = sim.auth.narrow_scopes(package.scopes, params.get("scope"))
    code = sim.auth.issue_code(
        package=package, user=user, mid=mid, scopes=scopes, redirect_uri=redirect_uri
    )
    if sim.config.quirk_jwt_wrapped_code:
        code = wrap_code(code, eid=sim.store.enterprise.eid)
    out = {"code": code}
    if state is not None:
        out["state"] = state
    out["tssd"] = sim.store.enterprise.tssd
    return RedirectResponse(_with_query(redirect_uri, out), status_code=302)


def wrap_code(code: str, *, eid: int) -> str:
    """The production quirk: a three-segment JWT-like string carrying the real code."""

    def b64(data: dict[str, object]) -> str:
        raw = json.dumps(data, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    signature = secrets.token_urlsafe(32)
    return (
        f"{b64({'alg': 'HS256', 'typ': 'JWT'})}.{b64({'auth_code': code, 'eid': eid})}.{signature}"
    )


# ---------------------------------------------------------------- authorize
async def authorize(request: Request) -> Response:
    if (early := await enter(request, "auth.authorize")) is not None:
        return early
    sim = sim_of(request)
    params = dict(request.query_params)
    checked = _check_client(sim, params.get("client_id"), params.get("redirect_uri"))
    if isinstance(checked, Response):
        return checked
    if not sim.config.auto_approve:
        return _approval_page(sim, params)
    wanted = params.get("sim_user")
    user = sim.store.find_user(wanted) if wanted else next(iter(sim.store.users.values()))
    if user is None:
        return _error_redirect(
            params["redirect_uri"],
            OAuthError(400, "access_denied", f"Unknown simulator user {wanted}."),
            params.get("state"),
        )
    return _complete(sim, package=checked, user=user, params=params)


_PARAM_NAMES = ("response_type", "client_id", "redirect_uri", "state", "scope", "account_id")


def _approval_page(sim: Simulator, params: dict[str, str]) -> HTMLResponse:
    hidden = "".join(
        f'<input type="hidden" name="{name}" value="{html.escape(params[name])}">'
        for name in _PARAM_NAMES
        if name in params
    )
    users = "".join(
        f'<label><input type="radio" name="sim_user" value="{u.id}"{" checked" if i == 0 else ""}>'
        f" {html.escape(u.name)} ({html.escape(u.username)})</label><br>"
        for i, u in enumerate(sim.store.users.values())
    )
    page = (
        "<!doctype html><html><head><meta charset='utf-8'><title>MCE simulator: sign in</title>"
        "</head><body><h1>Marketing Cloud (simulator)</h1>"
        f"<p>{html.escape(sim.store.enterprise.name)} asks to sign you in.</p>"
        f'<form method="post" action="/v2/authorize">{hidden}{users}'
        '<button type="submit" name="decision" value="approve">Approve</button> '
        '<button type="submit" name="decision" value="deny">Deny</button></form></body></html>'
    )
    return HTMLResponse(page, headers={"X-Frame-Options": "DENY"})


async def approve(request: Request) -> Response:
    if (early := await enter(request, "auth.authorize.approve")) is not None:
        return early
    sim = sim_of(request)
    form = await request.form()
    params = {k: str(v) for k, v in form.items()}
    checked = _check_client(sim, params.get("client_id"), params.get("redirect_uri"))
    if isinstance(checked, Response):
        return checked
    if params.get("decision") != "approve":
        return _error_redirect(
            params["redirect_uri"],
            OAuthError(400, "access_denied", "The user denied the request."),
            params.get("state"),
        )
    user = sim.store.find_user(params.get("sim_user", ""))
    if user is None:
        return _error_redirect(
            params["redirect_uri"],
            OAuthError(400, "access_denied", "No user was selected."),
            params.get("state"),
        )
    return _complete(sim, package=checked, user=user, params=params)


# -------------------------------------------------------------------- token
async def _token_params(request: Request) -> dict[str, Any]:
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype == "application/json":
        try:
            body = await read_json(request)
        except BadJson:
            raise OAuthError(
                400, "invalid_request", "The request body is not valid JSON."
            ) from None
        if not isinstance(body, dict):
            raise OAuthError(400, "invalid_request", "The request body must be a JSON object.")
        return body
    if ctype == "application/x-www-form-urlencoded":
        form = await request.form()
        return {k: str(v) for k, v in form.items()}
    raise OAuthError(
        400,
        "invalid_request",
        "Content-Type must be application/json or application/x-www-form-urlencoded.",
    )


def _str(params: dict[str, Any], name: str) -> str | None:
    value = params.get(name)
    if value is None:
        return None
    return value if isinstance(value, str) else str(value)


def _grant_body(sim: Simulator, request: Request, grant: TokenGrant) -> dict[str, Any]:
    base = sim.base_url(request)
    body: dict[str, Any] = {
        "access_token": grant.access.token,
        "token_type": "Bearer",
        "expires_in": grant.expires_in,
        "scope": " ".join(grant.access.scopes),
        "soap_instance_url": base,
        "rest_instance_url": base,
    }
    if grant.refresh_token is not None:
        body["refresh_token"] = grant.refresh_token
    return body


async def token(request: Request) -> Response:
    sim = sim_of(request)
    try:
        params = await _token_params(request)
    except OAuthError as exc:
        if (early := await enter(request, "auth.token")) is not None:
            return early
        return _oauth_response(exc)
    grant_type = _str(params, "grant_type")
    operation = f"auth.token.{grant_type}" if grant_type in _GRANTS else "auth.token"
    if (early := await enter(request, operation)) is not None:
        return early
    try:
        if not grant_type:
            raise OAuthError(400, "invalid_request", "grant_type is required.")
        if grant_type not in _GRANTS:
            raise OAuthError(
                400, "unsupported_grant_type", f"The grant type {grant_type} is not supported."
            )
        package = sim.auth.authenticate_client(
            _str(params, "client_id"), _str(params, "client_secret")
        )
        account_id = sim.auth.parse_account_id(params.get("account_id"))
        scope = _str(params, "scope")
        if grant_type == "authorization_code":
            redirect_uri = _str(params, "redirect_uri")
            if not redirect_uri:
                raise OAuthError(400, "invalid_request", "redirect_uri is required.")
            grant = sim.auth.grant_authorization_code(
                package=package,
                code=_str(params, "code"),
                redirect_uri=redirect_uri,
                scope=scope,
                account_id=account_id,
            )
        elif grant_type == "refresh_token":
            grant = sim.auth.grant_refresh_token(
                package=package,
                refresh_token=_str(params, "refresh_token"),
                scope=scope,
                account_id=account_id,
            )
        else:
            grant = sim.auth.grant_client_credentials(
                package=package, scope=scope, account_id=account_id
            )
    except OAuthError as exc:
        return _oauth_response(exc)
    return JSONResponse(_grant_body(sim, request, grant), headers=_NO_STORE)


# ----------------------------------------------------------------- userinfo
async def userinfo(request: Request) -> Response:
    if (early := await enter(request, "auth.userinfo")) is not None:
        return early
    info = token_info_or_401(request)
    if isinstance(info, Response):
        return info
    sim = sim_of(request)
    store = sim.store
    package = store.packages[info.client_id]
    base = sim.base_url(request).rstrip("/")
    body: dict[str, Any] = {"exp": int(info.expires_at), "iss": "https://mc.exacttarget.com"}
    if info.user is not None:
        user = info.user
        sub = str(user.id)
        if request.query_params.get("view") == "oidc":
            sub = f"https://mc.auth.marketingcloudapis.com/uid/{user.id}"
        body["user"] = {
            "sub": sub,
            "name": user.username,
            "preferred_username": str(user.id),
            "email": user.email,
            "locale": user.locale,
            "zoneinfo": user.time_zone,
            "timezone": userinfo_timezone(user.time_zone),
        }
    body["organization"] = {
        "member_id": info.mid,
        "enterprise_id": store.enterprise.eid,
        "enterprise_name": store.enterprise.name,
        "account_type": "enterprise" if info.mid == store.enterprise.eid else "business_unit",
        "stack_key": store.enterprise.stack_key,
        "region": store.enterprise.region,
        "locale": "en-US",
        "zoneinfo": "America/Chicago",
        "timezone": userinfo_timezone(SERVER_ZONE),
    }
    body["rest"] = {"rest_instance_url": base, "soap_instance_url": base}
    body["application"] = {
        "id": package.application_id,
        "name": package.name,
        "redirectUrl": list(package.redirect_uris),
        "appScopes": list(info.scopes),
    }
    body["permissions"] = [
        {"objectTypeName": "DataExtension", "operationName": op, "name": op, "id": 100 + n}
        for n, op in enumerate(("Retrieve", "Create", "Update", "Delete"))
    ]
    return JSONResponse(body)


# ----------------------------------------------------------- legacy exchange
async def request_token(request: Request) -> Response:
    if (early := await enter(request, "auth.requestToken")) is not None:
        return early
    sim = sim_of(request)
    try:
        body = await read_json(request)
    except BadJson:
        return rest_error(400, "Invalid Message Format", 10004)
    if not isinstance(body, dict):
        return rest_error(400, "Invalid Message Format", 10004)
    try:
        package = sim.auth.authenticate_client(
            _str(body, "clientId"), _str(body, "clientSecret"), kind="legacy"
        )
        result = sim.auth.legacy_exchange(package=package, refresh_token=_str(body, "refreshToken"))
    except OAuthError:
        return rest_error(401, "Not Authorized", 0)
    return JSONResponse(result, headers=_NO_STORE)
