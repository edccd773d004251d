"""Websocket authentication against a real uvicorn, in the test's own event loop.

The server runs in this loop (not a thread) so the app shares the test's database pool; the
client is the ``websockets`` package, as a browser-like or a script-like client.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

import pytest
import pytest_asyncio
import uvicorn
import websockets
from redis.asyncio import Redis
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed, InvalidStatus

from app.graphql import MAX_WEBSOCKET_FRAME_BYTES, QuarryGraphQL
from app.settings import Settings
from models import ApiToken, TenantRepository
from services.redis_keys import session_key
from services.sessions import Session, SessionStore
from tests.auth_helpers import (
    ORIGIN,
    Clock,
    bearer,
    browser_headers,
    eventually,
    https_client,
    new_api_token,
    new_session,
    running_app,
    session_cookie,
    unique_loopback,
)
from tests.factories import TenantFixture, make_tenant

pytestmark = pytest.mark.usefixtures("db")

PROTOCOL = "graphql-transport-ws"
REVOKE = 'mutation { revokeApiToken(input: {id: "TOKEN_ID"}) { apiToken { revokedAt } } }'
STATUS = "subscription { sessionStatus { active idleExpiresAt absoluteExpiresAt } }"


@asynccontextmanager
async def _serve(app: Starlette) -> AsyncIterator[str]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app,
        lifespan="off",
        log_level="critical",
        access_log=False,
        ws="websockets-sansio",
        ws_max_size=MAX_WEBSOCKET_FRAME_BYTES,  # as every command serving the API sets it
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        await eventually(lambda: _started(server))
        yield f"ws://127.0.0.1:{port}/api/graphql"
    finally:
        server.should_exit = True
        await task
        sock.close()


async def _started(server: uvicorn.Server) -> bool:
    return server.started


@pytest_asyncio.fixture
async def url(app: Starlette) -> AsyncIterator[str]:
    async with _serve(app) as address:
        yield address


@pytest_asyncio.fixture
async def tenant() -> TenantFixture:
    return await make_tenant("Sockets")


def _view(app: Starlette) -> QuarryGraphQL:
    route = next(r for r in app.routes if isinstance(r, WebSocketRoute))
    view = route.endpoint
    assert isinstance(view, QuarryGraphQL)
    return view


def _store(app: Starlette) -> SessionStore:
    store: SessionStore = app.state.sessions
    return store


@asynccontextmanager
async def _socket(
    url: str, *, origin: str | None = ORIGIN, headers: dict[str, str] | None = None
) -> AsyncIterator[ClientConnection]:
    """A client socket from a loopback address of its own (per-IP limits stay per test)."""
    async with websockets.connect(
        url,
        subprotocols=[PROTOCOL],  # type: ignore[list-item]
        origin=origin,  # type: ignore[arg-type]
        additional_headers=headers or {},
        open_timeout=5,
        local_addr=(unique_loopback(), 0),
    ) as ws:
        yield ws


async def _send(ws: ClientConnection, message: dict[str, Any]) -> None:
    await ws.send(json.dumps(message))


async def _recv(ws: ClientConnection) -> dict[str, Any]:
    async with asyncio.timeout(5):
        message: dict[str, Any] = json.loads(await ws.recv())
    return message


async def _init(ws: ClientConnection, payload: dict[str, Any] | None = None) -> dict[str, Any]:
    await _send(ws, {"type": "connection_init", "payload": payload or {}})
    return await _recv(ws)


def _csrf(session: Session) -> dict[str, str]:
    """What a page of ours sends in ``connection_init`` to use its session cookie."""
    return {"csrfToken": session.csrf_token}


async def _subscribe(ws: ClientConnection, op_id: str, query: str) -> None:
    await _send(ws, {"id": op_id, "type": "subscribe", "payload": {"query": query}})


async def _closed_with(ws: ClientConnection) -> int | None:
    """Read until the server closes; the close code."""
    try:
        async with asyncio.timeout(5):
            while True:
                await ws.recv()
    except ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd else None


# ------------------------------------------------------------------ the handshake
async def test_cookie_in_connection_init(app: Starlette, url: str, tenant: TenantFixture) -> None:
    session_id, session = await new_session(_store(app), tenant)
    async with _socket(url, headers=session_cookie(session_id)) as ws:
        assert ws.subprotocol == PROTOCOL
        assert (await _init(ws, _csrf(session)))["type"] == "connection_ack"
        await _subscribe(ws, "1", "{ viewer { user { id } } }")
        message = await _recv(ws)
        assert message["payload"]["data"]["viewer"]["user"]["id"] == str(tenant.user.id)


CREATE_TOKEN = (
    'mutation { createApiToken(input: {name: "over-a-socket", scope: READ_WRITE}) '
    "{ token userErrors { code } } }"
)


async def _tokens_named(tenant: TenantFixture, name: str) -> int:
    return await TenantRepository(tenant.context()).of(ApiToken).count(name=name)


#: connection_init payloads that do not prove the page knows the session's CSRF token.
WITHOUT_CSRF: dict[str, Callable[[Session], dict[str, Any]]] = {
    "nothing": lambda session: {},
    "empty": lambda session: {"csrfToken": ""},
    "wrong": lambda session: {"csrfToken": "wrong"},
    "number": lambda session: {"csrfToken": 42},
    "null": lambda session: {"csrfToken": None},
    "list": lambda session: {"csrfToken": [session.csrf_token]},
    "other key case": lambda session: {"csrftoken": session.csrf_token},
    "long": lambda session: {"csrfToken": "A" * 5000},
    "non-ascii": lambda session: {"csrfToken": "é" * 43},
    "prefix": lambda session: {"csrfToken": session.csrf_token[:-1]},
}


@pytest.mark.parametrize("case", list(WITHOUT_CSRF))
async def test_a_session_cookie_without_its_csrf_token_is_closed(
    app: Starlette, url: str, tenant: TenantFixture, db: Settings, case: str
) -> None:
    """The Origin check alone is not enough: every MCE host is a trusted origin, and any page
    there could open a socket carrying the ambient cookie and mint a READ_WRITE token."""
    session_id, session = await new_session(_store(app), tenant)
    mce = db.frame_ancestors[0]
    async with _socket(url, origin=mce, headers=session_cookie(session_id)) as ws:
        # The mutation right behind connection_init, as an attacker would pipeline it.
        await _send(ws, {"type": "connection_init", "payload": WITHOUT_CSRF[case](session)})
        await _subscribe(ws, "1", CREATE_TOKEN)
        assert await _closed_with(ws) == 4403
    assert await _tokens_named(tenant, "over-a-socket") == 0


async def test_the_csrf_token_of_another_session_is_refused(
    app: Starlette, url: str, tenant: TenantFixture
) -> None:
    session_id, _ = await new_session(_store(app), tenant)
    _, other = await new_session(_store(app), tenant)
    async with _socket(url, headers=session_cookie(session_id)) as ws:
        await _send(ws, {"type": "connection_init", "payload": _csrf(other)})
        assert await _closed_with(ws) == 4403


async def test_a_page_of_ours_in_an_mce_frame_may_mutate_with_its_csrf_token(
    app: Starlette, url: str, tenant: TenantFixture, db: Settings
) -> None:
    session_id, session = await new_session(_store(app), tenant)
    mce = db.frame_ancestors[0]
    async with _socket(url, origin=mce, headers=session_cookie(session_id)) as ws:
        assert (await _init(ws, _csrf(session)))["type"] == "connection_ack"
        await _subscribe(ws, "1", CREATE_TOKEN)
        created = (await _recv(ws))["payload"]["data"]["createApiToken"]
    assert created["userErrors"] == [] and created["token"].startswith("qry_")
    assert await _tokens_named(tenant, "over-a-socket") == 1


async def test_a_bearer_socket_needs_no_csrf_token_even_with_a_cookie(
    app: Starlette, url: str, tenant: TenantFixture
) -> None:
    issued = await new_api_token(tenant)
    session_id, _ = await new_session(_store(app), tenant)
    async with _socket(url, headers=session_cookie(session_id)) as ws:
        ack = await _init(ws, {"authorization": f"Bearer {issued.secret}"})
        assert ack["type"] == "connection_ack"
        await _subscribe(ws, "1", "{ viewer { user { id } } }")
        message = await _recv(ws)
        assert message["payload"]["data"]["viewer"]["user"]["id"] == str(tenant.user.id)


async def test_a_dead_cookie_without_a_csrf_token_is_just_anonymous(url: str) -> None:
    async with _socket(url, headers=session_cookie("no-such-session-id")) as ws:
        assert (await _init(ws))["type"] == "connection_ack"
        await _subscribe(ws, "1", "{ viewer { user { id } } }")
        assert (await _recv(ws))["payload"]["data"] == {"viewer": None}


async def test_bearer_in_connection_init_without_origin(url: str, tenant: TenantFixture) -> None:
    issued = await new_api_token(tenant)
    async with _socket(url, origin=None) as ws:
        ack = await _init(ws, {"authorization": f"Bearer {issued.secret}"})
        assert ack["type"] == "connection_ack"
        await _subscribe(ws, "1", "{ viewer { user { id } } }")
        message = await _recv(ws)
        assert message["payload"]["data"]["viewer"]["user"]["id"] == str(tenant.user.id)


async def test_the_payload_key_may_be_capitalised(url: str, tenant: TenantFixture) -> None:
    issued = await new_api_token(tenant)
    async with _socket(url, origin=None) as ws:
        ack = await _init(ws, {"Authorization": f"Bearer {issued.secret}"})
        assert ack["type"] == "connection_ack"


async def test_two_authorization_keys_are_refused(url: str, tenant: TenantFixture) -> None:
    issued = await new_api_token(tenant)
    payload = {"authorization": f"Bearer {issued.secret}", "AUTHORIZATION": "Bearer other"}
    async with _socket(url, origin=None) as ws:
        await _send(ws, {"type": "connection_init", "payload": payload})
        assert await _closed_with(ws) == 4403


async def test_missing_origin_with_a_cookie_is_refused(
    app: Starlette, url: str, tenant: TenantFixture
) -> None:
    session_id, _ = await new_session(_store(app), tenant)
    async with _socket(url, origin=None, headers=session_cookie(session_id)) as ws:
        await _send(ws, {"type": "connection_init", "payload": {}})
        assert await _closed_with(ws) == 4403


@pytest.mark.parametrize(
    "origin", ["https://evil.example", "null", "http://quarry.test", "https://quarry.test.evil"]
)
async def test_foreign_origin_is_refused_at_the_upgrade(
    app: Starlette, url: str, tenant: TenantFixture, origin: str
) -> None:
    session_id, _ = await new_session(_store(app), tenant)
    with pytest.raises(InvalidStatus) as refused:
        async with _socket(url, origin=origin, headers=session_cookie(session_id)):
            pass
    assert refused.value.response.status_code == 403


async def test_legacy_protocol_is_refused(url: str) -> None:
    with pytest.raises(InvalidStatus) as refused:
        async with websockets.connect(
            url,
            subprotocols=["graphql-ws"],  # type: ignore[list-item]
            origin=ORIGIN,  # type: ignore[arg-type]
        ):
            pass
    assert refused.value.response.status_code == 403


@pytest.mark.parametrize(
    "payload",
    [
        {"authorization": "Bearer qry_" + "Z" * 43},  # unknown
        {"authorization": "Basic abc"},
        {"authorization": 42},
        {"authorization": ["Bearer x"]},
        {"authorization": "Bearer " + "x" * 5000},
    ],
)
async def test_a_refused_bearer_closes_with_4403(url: str, payload: dict[str, Any]) -> None:
    async with _socket(url, origin=None) as ws:
        await _send(ws, {"type": "connection_init", "payload": payload})
        assert await _closed_with(ws) == 4403


async def test_no_credentials_and_no_origin_is_refused(url: str) -> None:
    async with _socket(url, origin=None) as ws:
        await _send(ws, {"type": "connection_init", "payload": {}})
        assert await _closed_with(ws) == 4403


async def test_anonymous_browser_socket_sees_no_tenant_data(url: str) -> None:
    async with _socket(url) as ws:
        assert (await _init(ws))["type"] == "connection_ack"
        await _subscribe(ws, "1", "{ apiTokens { edges { cursor } } }")
        message = await _recv(ws)
        assert message["payload"]["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        assert message["payload"]["data"] is None
        assert (await _recv(ws)) == {"id": "1", "type": "complete"}
        await _subscribe(ws, "2", STATUS)
        status = await _recv(ws)
        assert status["payload"]["data"]["sessionStatus"] == {
            "active": False,
            "idleExpiresAt": None,
            "absoluteExpiresAt": None,
        }
        assert (await _recv(ws)) == {"id": "2", "type": "complete"}


async def test_the_handshake_response_is_not_cacheable(url: str) -> None:
    async with _socket(url) as ws:
        assert ws.response is not None
        assert ws.response.headers["cache-control"] == "no-store"
        assert ws.response.headers["x-content-type-options"] == "nosniff"


async def test_a_read_token_cannot_mutate_over_a_socket(url: str, tenant: TenantFixture) -> None:
    issued = await new_api_token(tenant, scope="read")
    async with _socket(url, origin=None) as ws:
        await _init(ws, {"authorization": f"Bearer {issued.secret}"})
        mutation = 'mutation { revokeApiToken(input: {id: "%s"}) { userErrors { code } } }'
        await _subscribe(ws, "1", mutation % issued.token.id)
        message = await _recv(ws)
        errors = message["payload"]["errors"] if message["type"] == "next" else message["payload"]
        assert errors[0]["extensions"]["code"] == "FORBIDDEN"


# ------------------------------------------------------------------ sessionStatus
async def test_session_status_reports_the_expiries(
    app: Starlette, url: str, tenant: TenantFixture
) -> None:
    session_id, session = await new_session(_store(app), tenant)
    async with _socket(url, headers=session_cookie(session_id)) as ws:
        await _init(ws, _csrf(session))
        await _subscribe(ws, "s", STATUS)
        status = (await _recv(ws))["payload"]["data"]["sessionStatus"]
    assert status["active"] is True
    assert status["idleExpiresAt"] and status["absoluteExpiresAt"]
    assert status["idleExpiresAt"] <= status["absoluteExpiresAt"]


async def test_session_status_follows_activity(
    app: Starlette, url: str, tenant: TenantFixture
) -> None:
    _view(app).recheck_seconds = 0.1
    session_id, session = await new_session(_store(app), tenant)
    async with _socket(url, headers=session_cookie(session_id)) as ws:
        await _init(ws, _csrf(session))
        await _subscribe(ws, "s", STATUS)
        first = (await _recv(ws))["payload"]["data"]["sessionStatus"]
        await asyncio.sleep(0.05)  # so the next touch is measurably later
        async with https_client(app) as http:  # activity elsewhere pushes the idle expiry
            await http.post(
                "/api/graphql",
                json={"query": "{ viewer { user { id } } }"},
                headers=browser_headers(session_id, session.csrf_token),
            )
        later = first
        while later["idleExpiresAt"] == first["idleExpiresAt"]:
            later = (await _recv(ws))["payload"]["data"]["sessionStatus"]
    assert later["active"] is True and later["idleExpiresAt"] > first["idleExpiresAt"]
    assert later["absoluteExpiresAt"] == first["absoluteExpiresAt"]


async def test_token_status_has_its_expiry(url: str, tenant: TenantFixture) -> None:
    issued = await new_api_token(tenant, days=3)
    async with _socket(url, origin=None) as ws:
        await _init(ws, {"authorization": f"Bearer {issued.secret}"})
        await _subscribe(ws, "s", STATUS)
        status = (await _recv(ws))["payload"]["data"]["sessionStatus"]
    assert status["active"] is True and status["idleExpiresAt"] is None
    assert status["absoluteExpiresAt"].startswith(issued.token.expires_at.isoformat()[:16])  # type: ignore[union-attr]


# ------------------------------------------------------------------ ending credentials
async def test_ending_the_session_closes_its_socket(
    app: Starlette, url: str, tenant: TenantFixture
) -> None:
    session_id, session = await new_session(_store(app), tenant)
    bystander_id, bystander = await new_session(_store(app), tenant)
    async with (
        _socket(url, headers=session_cookie(session_id)) as ws,
        _socket(url, headers=session_cookie(bystander_id)) as other,
    ):
        await _init(ws, _csrf(session))
        await _init(other, _csrf(bystander))
        await _subscribe(ws, "s", STATUS)
        assert (await _recv(ws))["payload"]["data"]["sessionStatus"]["active"] is True
        await _store(app).end(session_id)  # sign-out elsewhere: announced on the feed
        assert await _closed_with(ws) == 4403
        await other.ping()  # the other session's socket is untouched
        await _send(other, {"type": "ping"})
        assert (await _recv(other)) == {"type": "pong"}


async def test_revoking_a_token_closes_its_socket(
    app: Starlette, url: str, tenant: TenantFixture
) -> None:
    issued = await new_api_token(tenant)
    session_id, session = await new_session(_store(app), tenant)
    async with _socket(url, origin=None) as ws:
        await _init(ws, {"authorization": f"Bearer {issued.secret}"})
        async with https_client(app) as http:
            response = await http.post(
                "/api/graphql",
                json={"query": REVOKE.replace("TOKEN_ID", str(issued.token.id))},
                headers=browser_headers(session_id, session.csrf_token),
            )
        assert response.json()["data"]["revokeApiToken"]["apiToken"]["revokedAt"]
        assert await _closed_with(ws) == 4403


async def test_the_backstop_recheck_notices_a_silent_expiry(
    app: Starlette, url: str, tenant: TenantFixture, redis: Redis
) -> None:
    """An idle session lapses by TTL, which announces nothing: the timer finds it."""
    _view(app).recheck_seconds = 0.1
    session_id, session = await new_session(_store(app), tenant)
    async with _socket(url, headers=session_cookie(session_id)) as ws:
        await _init(ws, _csrf(session))
        await redis.delete(session_key(session.id_hash))  # what a TTL expiry does
        assert await _closed_with(ws) == 4403


async def test_every_subscribe_rechecks(
    app: Starlette, url: str, tenant: TenantFixture, redis: Redis
) -> None:
    session_id, session = await new_session(_store(app), tenant)
    async with _socket(url, headers=session_cookie(session_id)) as ws:
        await _init(ws, _csrf(session))
        await redis.delete(session_key(session.id_hash))  # silently, the timer is 30 s away
        await _subscribe(ws, "1", "{ viewer { user { id } } }")
        assert await _closed_with(ws) == 4403


# ------------------------------------------------------------------ flooding
async def test_a_subscription_flood_is_capped_and_the_socket_survives(
    app: Starlette, url: str, tenant: TenantFixture
) -> None:
    session_id, session = await new_session(_store(app), tenant)
    async with _socket(url, headers=session_cookie(session_id)) as ws:
        await _init(ws, _csrf(session))
        for n in range(10):
            await _subscribe(ws, f"s{n}", STATUS)
        firsts = [await _recv(ws) for _ in range(10)]
        assert {m["id"] for m in firsts} == {f"s{n}" for n in range(10)}
        assert all(m["type"] == "next" for m in firsts)
        for n in range(10, 15):
            await _subscribe(ws, f"s{n}", STATUS)
            refused = await _recv(ws)
            assert refused["id"] == f"s{n}" and refused["type"] == "error"
            assert "limit" in refused["payload"][0]["message"].lower()
        await _send(ws, {"type": "ping"})
        assert (await _recv(ws)) == {"type": "pong"}
        await _send(ws, {"id": "s0", "type": "complete"})
        await _subscribe(ws, "again", STATUS)  # a freed slot can be used again
        message = await _recv(ws)
        assert message["id"] == "again" and message["type"] == "next"


async def test_subscribes_count_against_the_rate_limit(db: Settings, tenant: TenantFixture) -> None:
    async with running_app(replace(db, rate_limit_graphql_per_minute=3)) as app:
        session_id, session = await new_session(_store(app), tenant)
        async with (
            _serve(app) as address,
            _socket(address, headers=session_cookie(session_id)) as ws,
        ):
            # The upgrade counts once for the address; the third subscribe is one too many.
            await _init(ws, _csrf(session))
            await _subscribe(ws, "a", "{ health { status } }")
            assert (await _recv(ws))["type"] == "next"
            await _recv(ws)  # complete
            await _subscribe(ws, "b", "{ health { status } }")
            assert (await _recv(ws))["type"] == "next"
            await _recv(ws)
            await _subscribe(ws, "c", "{ health { status } }")
            refused = await _recv(ws)
            assert refused["type"] == "error"
            assert refused["payload"][0]["extensions"]["code"] == "RATE_LIMITED"


async def test_bearer_header_on_the_upgrade_is_not_needed(
    url: str, tenant: TenantFixture, app: Starlette
) -> None:
    """Browsers cannot set headers on websockets: connection_init is the way; an
    ``Authorization`` header on the upgrade alone authenticates nothing."""
    issued = await new_api_token(tenant)
    async with _socket(url, origin=None, headers=bearer(issued.secret)) as ws:
        await _send(ws, {"type": "connection_init", "payload": {}})
        assert await _closed_with(ws) == 4403


# ------------------------------------------------------------------ activity
async def _last_seen(app: Starlette, session: Session) -> float:
    current = await _store(app).get_by_hash(session.id_hash, touch=False)
    assert current is not None
    return current.last_seen_at


async def test_only_a_subscribe_that_passed_the_checks_extends_the_session(
    app: Starlette, url: str, tenant: TenantFixture
) -> None:
    clock = Clock()
    _store(app).clock = clock  # the app's own store, on a clock the test moves
    session_id, session = await new_session(_store(app), tenant)
    clock.advance(60)
    async with _socket(url, headers=session_cookie(session_id)) as refused:
        await _send(refused, {"type": "connection_init", "payload": {}})  # no CSRF token
        assert await _closed_with(refused) == 4403
    async with _socket(url, headers=session_cookie(session_id)) as ws:
        await _init(ws, _csrf(session))  # opening a socket is not yet activity
        assert await _last_seen(app, session) == session.last_seen_at
        await _subscribe(ws, "1", "{ health { status } }")
        assert (await _recv(ws))["type"] == "next"
    assert await _last_seen(app, session) == session.last_seen_at + 60


async def test_a_rate_limited_subscribe_does_not_extend_the_session(
    db: Settings, tenant: TenantFixture
) -> None:
    async with running_app(replace(db, rate_limit_graphql_per_minute=2)) as app:
        clock = Clock()
        _store(app).clock = clock
        session_id, session = await new_session(_store(app), tenant)
        async with (
            _serve(app) as address,
            _socket(address, headers=session_cookie(session_id)) as ws,
        ):
            await _init(ws, _csrf(session))  # the upgrade counted once for the address
            clock.advance(60)
            await _subscribe(ws, "a", "{ health { status } }")
            assert (await _recv(ws))["type"] == "next"
            await _recv(ws)  # complete
            assert await _last_seen(app, session) == session.last_seen_at + 60
            clock.advance(60)
            await _subscribe(ws, "b", "{ health { status } }")
            assert (await _recv(ws))["payload"][0]["extensions"]["code"] == "RATE_LIMITED"
            assert await _last_seen(app, session) == session.last_seen_at + 60


# ------------------------------------------------------------------ malformed frames
NOT_JSON: dict[str, str | bytes] = {
    "nesting bomb": "[" * 100_000 + "]" * 100_000,
    "huge number": "9" * 5_000,
    "truncated": '{"type": "connection_init"',
    "binary": b'{"type": "connection_init"}',
}


@pytest.mark.parametrize("frame", list(NOT_JSON))
@pytest.mark.parametrize("acknowledged", [False, True], ids=["before init", "after ack"])
async def test_a_frame_that_is_not_json_closes_with_4400(
    url: str, frame: str, acknowledged: bool
) -> None:
    async with _socket(url) as ws:
        if acknowledged:
            assert (await _init(ws))["type"] == "connection_ack"
        await ws.send(NOT_JSON[frame])
        assert await _closed_with(ws) == 4400


async def test_a_text_frame_that_is_not_utf8_is_refused(url: str) -> None:
    async with _socket(url) as ws:
        await _init(ws)
        await ws.send(b'{"type": "ping", "x": "\xff\xfe"}', text=True)
        assert await _closed_with(ws) == 1007  # uvicorn's websocket layer, before JSON


async def test_a_frame_over_the_size_limit_closes_with_1009(url: str) -> None:
    async with _socket(url) as ws:
        await _init(ws)
        padded = "{ health { status } }" + " " * (MAX_WEBSOCKET_FRAME_BYTES - 1000)
        await _subscribe(ws, "fits", padded)  # just under the limit: served
        assert (await _recv(ws))["payload"]["data"] == {"health": {"status": "ok"}}
        await _recv(ws)  # complete
        await _subscribe(ws, "too-big", padded + " " * 1000)
        assert await _closed_with(ws) == 1009
