"""Quarry inside MCE's iframe: a real browser signs in within a third-party frame.

MCE's app switcher is an https page on MCE's own site that frames the app. Here a stand-in
"MCE" page is served over https (a certificate made for the test) on 127.0.0.1, listed in
``FRAME_ANCESTORS``; it frames the app on http://localhost, another site. The sign-in runs
entirely inside the frame (app → simulator's authorize → callback → the app), so every
cookie involved is a third-party one: it works only because they are ``SameSite=None;
Secure; Partitioned``. A page on a site that is not listed may not frame the app at all.
"""

from __future__ import annotations

import datetime
import html
import ipaddress
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from playwright.sync_api import Browser, sync_playwright
from playwright.sync_api import expect as expect_that
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from app.settings import Settings
from simulator.app import create_app as create_sim_app
from simulator.auth_legacy import mint_legacy_jwt
from simulator.state import Simulator
from tests.e2e.app_process import NO_RATE_LIMITS, app_env, free_port, running_app, simulator_env
from tests.simulator.conftest import ServerThread, make_sim

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

CHROMIUM = os.environ.get("QUARRY_CHROMIUM", "/usr/bin/chromium")
TIMEOUT_MS = 15_000


def _certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (the browser is told to accept it)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mce.test")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "mce.crt", directory / "mce.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


class _HttpsThread:
    """uvicorn serving ``app`` over TLS on a given port, in a thread."""

    def __init__(self, app: Starlette, *, port: int, cert: Path, key: Path) -> None:
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            log_level="critical",
            lifespan="off",
            ssl_certfile=str(cert),
            ssl_keyfile=str(key),
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> _HttpsThread:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the https server did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def _mce_page(app_url: str, legacy_jwts: list[str]) -> Starlette:
    """The stand-in app switcher: an https page that frames Quarry; ``/legacy`` is what MCE
    does for a legacy package: a page that form-posts the next JWT to the app's login URL."""

    async def page(request: Request) -> HTMLResponse:
        return HTMLResponse(
            "<!doctype html><title>Marketing Cloud</title>"
            f'<iframe id="quarry" src="{app_url}/" width="900" height="600"></iframe>'
        )

    async def legacy(request: Request) -> HTMLResponse:
        token = html.escape(legacy_jwts.pop(), quote=True)
        # Real MCE and Quarry are both https. Here the app is http://localhost, and a post
        # from https to http carries "Origin: null" under the default referrer policy; this
        # policy keeps the page's origin on it, as an https-to-https post has.
        return HTMLResponse(
            "<!doctype html><title>Marketing Cloud</title>"
            '<meta name="referrer" content="origin">'
            f'<form id="sso" method="post" action="{app_url}/api/auth/login">'
            f'<input type="hidden" name="jwt" value="{token}"></form>'
        )

    return Starlette(routes=[Route("/", page), Route("/legacy", legacy)])


@dataclass
class Stack:
    app_url: str
    mce_url: str  # a listed frame ancestor
    other_url: str  # not listed
    log: Path
    sim: Simulator
    sim_url: str
    legacy_jwts: list[str]  # the next JWT the stand-in's /legacy page posts


@pytest.fixture(scope="module")
def stack(test_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    workdir = tmp_path_factory.mktemp("iframe")
    cert, key = _certificate(workdir)
    app_port, mce_port, other_port = free_port(), free_port(), free_port()
    app_url = f"http://localhost:{app_port}"
    mce_url, other_url = f"https://127.0.0.1:{mce_port}", f"https://127.0.0.1:{other_port}"
    sim = make_sim(
        seed=3_000_000 + os.getpid() % 100_000, redirect_uris=[f"{app_url}/api/auth/callback"]
    )
    log = workdir / "uvicorn.log"
    legacy_jwts: list[str] = []
    with (
        ServerThread(create_sim_app(sim)) as sim_server,
        _HttpsThread(_mce_page(app_url, legacy_jwts), port=mce_port, cert=cert, key=key),
        _HttpsThread(_mce_page(app_url, legacy_jwts), port=other_port, cert=cert, key=key),
    ):
        env = app_env(
            test_settings,
            public_url=app_url,
            FRAME_ANCESTORS=mce_url,
            **simulator_env(sim, sim_server.url),
            **NO_RATE_LIMITS,
        )
        try:
            with running_app(port=app_port, env=env, log=log):
                yield Stack(
                    app_url=app_url,
                    mce_url=mce_url,
                    other_url=other_url,
                    log=log,
                    sim=sim,
                    sim_url=sim_server.url,
                    legacy_jwts=legacy_jwts,
                )
        finally:
            sim.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


def test_sign_in_inside_mces_iframe(browser: Browser, stack: Stack) -> None:
    context = browser.new_context(ignore_https_errors=True)
    context.set_default_timeout(TIMEOUT_MS)
    try:
        page = context.new_page()
        page.goto(stack.mce_url)
        frame = page.frame_locator("#quarry")
        app = frame.locator("#app")
        expect_that(app).to_have_attribute("data-state", "signed-out", timeout=TIMEOUT_MS)
        frame.locator("#sign-in").click()  # the whole OAuth round trip happens in the frame
        expect_that(app).to_have_attribute("data-state", "signed-in", timeout=TIMEOUT_MS)
        expect_that(frame.locator('[data-field="user-name"]')).to_have_text("ada.admin")
        assert page.url.rstrip("/") == stack.mce_url  # the top page never moved
        cookies = [c for c in context.cookies(stack.app_url) if c["name"].startswith("__Host-")]
        session = [c for c in cookies if c["name"] == "__Host-quarry_session"]
        assert len(session) == 1
        # Partitioned under the framing site: another top-level site does not get it.
        assert session[0].get("partitionKey") == "https://127.0.0.1"
        assert session[0]["sameSite"] == "None" and session[0]["secure"] is True
    finally:
        context.close()


def test_a_site_not_listed_cannot_frame_the_app(browser: Browser, stack: Stack) -> None:
    context = browser.new_context(ignore_https_errors=True)
    try:
        page = context.new_page()
        # Another port is another origin: frame-ancestors lists origins exactly.
        with page.expect_console_message(
            lambda message: "frame-ancestors" in message.text, timeout=TIMEOUT_MS
        ):
            page.goto(stack.other_url)
        assert page.frame_locator("#quarry").locator("#app").count() == 0
    finally:
        context.close()


def test_a_legacy_package_signs_in_by_form_posting_its_jwt(browser: Browser, stack: Stack) -> None:
    """What MCE does for a legacy package: its page auto-submits a form with the signed JWT to
    the app's login URL; the browser follows the 303 to the signed-in app. The post comes from
    MCE's origin, the only one the app accepts it from."""
    mia = stack.sim.store.find_user("mia.marketer")
    assert mia is not None
    token, _ = mint_legacy_jwt(stack.sim, user=mia, mid=mia.default_mid, base_url=stack.sim_url)
    stack.legacy_jwts.append(token)
    context = browser.new_context(ignore_https_errors=True)
    context.set_default_timeout(TIMEOUT_MS)
    try:
        page = context.new_page()
        page.goto(f"{stack.mce_url}/legacy")
        with page.expect_navigation(url=f"{stack.app_url}/"):
            page.locator("#sso").evaluate("(form) => form.submit()")
        app = page.locator("#app")
        expect_that(app).to_have_attribute("data-state", "signed-in", timeout=TIMEOUT_MS)
        expect_that(page.locator('[data-field="user-name"]')).to_have_text(mia.email)
        business_unit = page.locator('[data-field="business-unit"]')
        expect_that(business_unit).to_have_attribute("data-mid", str(mia.default_mid))
    finally:
        context.close()
