"""A real browser signs in through the simulated MCE, switches BU, uses GraphiQL, signs out.

Headless Chromium (Debian's, at ``QUARRY_CHROMIUM`` or /usr/bin/chromium; ``scripts/test``
installs it) driven by Playwright, against the app as a real uvicorn process on
``http://localhost`` (Chromium accepts Secure cookies there) and the simulator on 127.0.0.1 (a
different site, as MCE is). Nothing is stubbed: the redirects, cookies, CSP and CSRF checks are
the browser's and the server's own. Every page is watched for CSP violations and script errors.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Request,
    sync_playwright,
)
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect as expect_that

from app.graphiql import SCROLL_LOCK_STYLE_HASH
from app.settings import Settings
from simulator.app import create_app as create_sim_app
from simulator.state import Simulator
from tests.e2e.app_process import (
    NO_RATE_LIMITS,
    app_env,
    free_port,
    log_tail,
    running_app,
    simulator_env,
)
from tests.simulator.conftest import ServerThread, make_sim

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

CHROMIUM = os.environ.get("QUARRY_CHROMIUM", "/usr/bin/chromium")
SESSION_COOKIE = "__Host-quarry_session"
USER = "ada.admin"
TIMEOUT_MS = 15_000
# GraphiQL 3's editors (CodeMirror 5 inside these sections) and its run button.
QUERY_EDITOR = ".graphiql-query-editor"
HEADERS_EDITOR = "section.graphiql-editor-tool[aria-label='Headers'] .graphiql-editor:not(.hidden)"
RESPONSE = ".graphiql-response"
EXECUTE = ".graphiql-execute-button"
CREATE_TOKEN = (
    'mutation { createApiToken(input: {name: "browser test", scope: READ, expiresInDays: 1})'
    " { token userErrors { code message field } } }"
)

# Records CSP violations as the browser reports them, before any page script runs.
_WATCH_CSP = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.effectiveDirective} blocked ${event.blockedURI}`);
});
"""


@dataclass
class Stack:
    app_url: str
    sim: Simulator
    log: Path
    sim_url: str = ""

    def log_tail(self) -> str:
        return log_tail(self.log)


@pytest.fixture(scope="module")
def stack(test_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The simulator in a thread, then the app as a uvicorn process pointed at it."""
    port = free_port()
    app_url = f"http://localhost:{port}"
    sim = make_sim(
        seed=2_000_000 + os.getpid() % 100_000,
        redirect_uris=[f"{app_url}/api/auth/callback"],
    )
    log = tmp_path_factory.mktemp("browser") / "uvicorn.log"
    with ServerThread(create_sim_app(sim)) as sim_server:
        env = app_env(
            test_settings,
            public_url=app_url,
            GRAPHIQL_ENABLED="true",
            **simulator_env(sim, sim_server.url),
            **NO_RATE_LIMITS,
        )
        try:
            with running_app(port=port, env=env, log=log):
                yield Stack(app_url=app_url, sim=sim, log=log, sim_url=sim_server.url)
        finally:
            sim.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    expect_that.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


@dataclass
class Watched:
    """A page and what it reported: console errors and uncaught script errors."""

    page: Page
    errors: list[str] = field(default_factory=list)

    def csp_violations(self) -> list[str]:
        recorded: list[str] = self.page.evaluate("window.__cspViolations || []")
        reported = [e for e in self.errors if "Content Security Policy" in e]
        return recorded + reported

    def assert_clean(self, where: str) -> None:
        assert self.csp_violations() == [], f"CSP violations on {where}"
        assert self.errors == [], f"errors on {where}"


@pytest.fixture
def context(browser: Browser, stack: Stack) -> Iterator[BrowserContext]:
    context = browser.new_context(base_url=stack.app_url)
    context.set_default_timeout(TIMEOUT_MS)
    context.add_init_script(_WATCH_CSP)
    try:
        yield context
    finally:
        context.close()


@pytest.fixture
def watched(context: BrowserContext) -> Watched:
    page = context.new_page()
    watched = Watched(page)

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            watched.errors.append(f"console: {message.text}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: watched.errors.append(f"pageerror: {error}"))
    return watched


def _wait_for_url(page: Page, url: str, stack: Stack) -> None:
    """Wait for navigation to ``url``; on timeout, say where the browser is and what was logged."""
    try:
        page.wait_for_url(url)
    except PlaywrightTimeoutError:
        text = page.locator("body").inner_text(timeout=1_000)[:500]
        pytest.fail(f"expected {url}, still at {page.url}:\n{text}\napp log:\n{stack.log_tail()}")


def _session_cookie(context: BrowserContext, stack: Stack) -> dict[str, Any] | None:
    cookies = [c for c in context.cookies(stack.app_url) if c.get("name") == SESSION_COOKIE]
    assert len(cookies) <= 1, cookies
    return dict(cookies[0]) if cookies else None


def _session_json(page: Page) -> dict[str, Any]:
    """GET /api/auth/session from the page itself (same origin, its cookies, under its CSP)."""
    body: dict[str, Any] = page.evaluate(
        "fetch('/api/auth/session', {cache: 'no-store'}).then((r) => r.json())"
    )
    return body


def _editor_value(page: Page, selector: str) -> str:
    value: str = page.locator(f"{selector} .CodeMirror").first.evaluate(
        "(element) => element.CodeMirror.getValue()"
    )
    return value


def _set_editor(page: Page, selector: str, text: str) -> None:
    """Replace a GraphiQL editor's text as typing would (CodeMirror fires its change events)."""
    page.locator(f"{selector} .CodeMirror").first.evaluate(
        "(element, text) => element.CodeMirror.setValue(text)", text
    )


def _set_query(page: Page, text: str) -> None:
    """Replace the query and wait until GraphiQL has parsed it (debounced), as a person would
    before pressing run: whether a run is a subscription (websocket) comes from that parse."""
    _set_editor(page, QUERY_EDITOR, text)
    page.wait_for_function(
        """([selector, text]) => document.querySelector(selector)
            .CodeMirror.documentAST?.loc?.source?.body === text""",
        arg=[f"{QUERY_EDITOR} .CodeMirror", text],
    )


def _viewer_post(request: Request) -> bool:
    return (
        request.method == "POST"
        and request.url.endswith("/api/graphql")
        and "viewer" in (request.post_data or "")
    )


def _sha256_source(text: str) -> str:
    digest = hashlib.sha256(text.encode()).digest()
    return "sha256-" + base64.b64encode(digest).decode()


@dataclass(frozen=True)
class SignedIn:
    user: Any
    cookie: dict[str, Any]


def _sign_in(page: Page, context: BrowserContext, stack: Stack) -> SignedIn:
    """From the signed-out SPA, through the development sign-in link; back on / signed in."""
    ada = stack.sim.store.find_user(USER)
    assert ada is not None
    app = page.locator("#app")
    page.goto("/")
    expect_that(app).to_have_attribute("data-state", "signed-out")
    # app -> simulator's /v2/authorize (auto-approve) -> our callback -> /
    page.click("#sign-in")
    _wait_for_url(page, f"{stack.app_url}/", stack)
    expect_that(app).to_have_attribute("data-state", "signed-in")
    cookie = _session_cookie(context, stack)
    assert cookie is not None
    return SignedIn(user=ada, cookie=cookie)


def test_sign_in_switch_business_unit_and_sign_out(
    stack: Stack, context: BrowserContext, watched: Watched
) -> None:
    page = watched.page
    app = page.locator("#app")
    units = {bu.mid: bu.name for bu in stack.sim.store.business_units.values()}

    # Signed out: the page says where to open Quarry from and offers the development sign-in.
    page.goto("/")
    expect_that(app).to_have_attribute("data-state", "signed-out")
    expect_that(app).to_contain_text("Open Quarry from Marketing Cloud's app switcher")
    expect_that(page.locator("#sign-in")).to_have_attribute("href", "/api/auth/login")
    assert _session_cookie(context, stack) is None

    signed_in = _sign_in(page, context, stack)
    ada = signed_in.user
    expect_that(page.locator('[data-field="user-name"]')).to_have_text(ada.username)
    expect_that(page.locator('[data-field="tenant"]')).to_contain_text(
        f"{stack.sim.store.enterprise.name} (EID {stack.sim.store.enterprise.eid})"
    )
    business_unit = page.locator('[data-field="business-unit"]')
    expect_that(business_unit).to_have_attribute("data-mid", str(ada.default_mid))
    expect_that(business_unit).to_have_text(f"{units[ada.default_mid]} (MID {ada.default_mid})")

    cookie = signed_in.cookie
    assert cookie["secure"] is True
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "None"
    assert cookie["path"] == "/"
    assert cookie["domain"] == "localhost"  # host-only, as the __Host- prefix demands
    assert cookie.get("partitionKey") == "http://localhost"  # CHIPS, keyed by the top site
    assert page.evaluate("document.cookie") == ""  # HttpOnly: scripts cannot read it
    watched.assert_clean("the signed-in SPA")

    # Switch BU with the select: the mutation goes out with the CSRF header; the page re-renders.
    reachable = [mid for mid in stack.sim.store.reachable_mids(ada) if mid != ada.default_mid]
    assert reachable, "the seeded user must reach a second BU for the switch"
    target = reachable[0]
    options = page.locator("#business-unit-select option")
    expect_that(options).to_have_count(len(stack.sim.store.reachable_mids(ada)))
    page.select_option("#business-unit-select", str(target))
    expect_that(business_unit).to_have_attribute("data-mid", str(target))
    expect_that(business_unit).to_have_text(f"{units[target]} (MID {target})")
    expect_that(page.locator("#business-unit-select")).to_have_value(str(target))
    expect_that(page.locator('[data-field="error"]')).to_have_text("")
    page.reload()  # the switch is the session's, not only the page's
    expect_that(business_unit).to_have_attribute("data-mid", str(target))
    watched.assert_clean("the SPA after the BU switch")

    # Sign out: back on / signed out; the server ended the session, not only the cookie.
    page.click("#sign-out")
    _wait_for_url(page, f"{stack.app_url}/", stack)
    expect_that(app).to_have_attribute("data-state", "signed-out")
    assert _session_cookie(context, stack) is None
    session = _session_json(page)
    assert session["signedIn"] is False
    assert session.get("csrfToken") is None
    with httpx.Client(base_url=stack.app_url) as replay:
        # A copy of the old cookie, replayed by hand, no longer signs anyone in.
        stale = replay.get(
            "/api/auth/session", headers={"cookie": f"{SESSION_COOKIE}={cookie['value']}"}
        )
        assert stale.json()["signedIn"] is False
    watched.assert_clean("the signed-out SPA")


def test_graphiql_with_the_session_and_with_a_pasted_token(
    stack: Stack, context: BrowserContext, watched: Watched
) -> None:
    page = watched.page
    ada = _sign_in(page, context, stack).user

    # GraphiQL, served from our own assets, runs a query with the session (and its CSRF token).
    page.goto("/graphiql")
    expect_that(page.locator(".graphiql-container")).to_be_visible()
    _set_query(page, "{ viewer { user { name } } }")
    page.click(EXECUTE)
    expect_that(page.locator(RESPONSE)).to_contain_text(ada.username)
    result = json.loads(_editor_value(page, RESPONSE))
    assert result == {"data": {"viewer": {"user": {"name": ada.username}}}}

    # A subscription over graphql-transport-ws on the same path: the upgrade carries the cookie
    # and our Origin. Running it again stops it.
    _set_query(page, "subscription { sessionStatus { active } }")
    with page.expect_websocket() as opened:
        page.click(EXECUTE)
    assert opened.value.url == stack.app_url.replace("http", "ws", 1) + "/api/graphql"
    expect_that(page.locator(RESPONSE)).to_contain_text('"active": true')
    assert json.loads(_editor_value(page, RESPONSE)) == {
        "data": {"sessionStatus": {"active": True}}
    }
    page.click(EXECUTE)

    # A mutation through GraphiQL (boot.js adds the CSRF token): an API token for support.
    _set_query(page, CREATE_TOKEN)
    page.click(EXECUTE)
    expect_that(page.locator(RESPONSE)).to_contain_text("createApiToken")
    created = json.loads(_editor_value(page, RESPONSE))["data"]["createApiToken"]
    assert created["userErrors"] == []
    token = created["token"]
    assert isinstance(token, str) and token

    # Support's way in: a bearer token pasted into the headers editor goes alone, without the
    # session cookie or CSRF token, and GraphiQL does not keep it in storage.
    _set_query(page, "{ viewer { user { name } } }")
    page.get_by_role("button", name="Headers", exact=True).click()
    _set_editor(page, HEADERS_EDITOR, json.dumps({"Authorization": f"Bearer {token}"}))
    with page.expect_request(_viewer_post) as sent:
        page.click(EXECUTE)
    headers = sent.value.all_headers()
    assert headers.get("authorization") == f"Bearer {token}"
    assert "cookie" not in headers
    assert "x-csrf-token" not in headers
    expect_that(page.locator(RESPONSE)).to_contain_text(ada.username)
    stored: str = page.evaluate("JSON.stringify([localStorage, sessionStorage])")
    assert token not in stored

    # Its dialogs insert a scroll-lock stylesheet: the page's CSP admits exactly that one.
    page.click("button[aria-label='Open settings dialog']")
    expect_that(page.get_by_role("dialog")).to_be_visible()
    styles: list[str] = page.evaluate(
        "Array.from(document.querySelectorAll('style')).map((s) => s.textContent)"
    )
    assert [_sha256_source(s) for s in styles] == [SCROLL_LOCK_STYLE_HASH]
    page.keyboard.press("Escape")
    expect_that(page.get_by_role("dialog")).to_have_count(0)
    watched.assert_clean("GraphiQL")


def test_graphiql_when_signed_out_answers_viewer_null_without_errors(
    context: BrowserContext, watched: Watched
) -> None:
    page = watched.page
    page.goto("/graphiql")
    expect_that(page.locator(".graphiql-container")).to_be_visible()
    _set_query(page, "{ viewer { user { name } } }")
    page.click(EXECUTE)
    expect_that(page.locator(RESPONSE)).to_contain_text('"viewer": null')
    assert json.loads(_editor_value(page, RESPONSE)) == {"data": {"viewer": None}}
    watched.assert_clean("GraphiQL signed out")


def test_names_from_mce_are_shown_as_text_never_as_markup(
    stack: Stack, context: BrowserContext, watched: Watched
) -> None:
    """A BU named like markup (MCE admins name BUs) shows as those characters, inert."""
    page = watched.page
    ada = stack.sim.store.find_user(USER)
    assert ada is not None
    hostile = '<img src="/x" onerror="window.__pwned=1">Sales & <b>EU</b>'
    unit = stack.sim.store.business_units[ada.default_mid]
    original, unit.name = unit.name, hostile
    try:
        _sign_in(page, context, stack)  # sign-in reads the BU names from MCE again
        business_unit = page.locator('[data-field="business-unit"]')
        expect_that(business_unit).to_have_text(f"{hostile} (MID {ada.default_mid})")
        selected = page.locator("#business-unit-select option:checked")
        expect_that(selected).to_have_text(f"{hostile} (MID {ada.default_mid})")
        # (CodeMirror's own empty cursor-placement images, cm-widgetBuffer, aside.)
        assert page.locator("#app img:not(.cm-widgetBuffer), #app b").count() == 0
        assert page.evaluate("window.__pwned") is None
        watched.assert_clean("the SPA with a hostile BU name")
    finally:
        unit.name = original
