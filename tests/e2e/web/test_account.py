"""The account screen in a real browser, inside the framed stand-in MCE page, against the whole
stack: an API token created (its secret shown once, copied), used by a script over HTTP with
the bearer, revoked and then refused; the administrators' screens shown to the tenant's first
user and hidden from another (whose API calls are refused anyway), a user removed (their open
page is signed out), Quarry's MCE assets with the cleanup report and a purge, uninstall behind
the typed enterprise id, and signing out through the ``signOut`` mutation. Uninstalling is
carried out on a tenant of its own (a second stack: simulator, database, Redis database, API,
workers and poller), so the session's shared tenant keeps its data: everyone signed out, the
API token refused, Quarry's assets gone from the simulator, the outcome said, and signing in
again installs Quarry anew. No CSP violation, console error or serious axe violation on the
way."""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from playwright.sync_api import Locator, Playwright, Route, sync_playwright
from playwright.sync_api import expect as expect_that

from app.settings import Settings
from simulator.model import User
from tests.conftest import throwaway_database
from tests.e2e.web.conftest import SCREENSHOTS, WebStack, build_web_app, running_web_stack
from tests.e2e.web.pages import AppPage, framed_app, sign_in, signed_in_app
from tests.e2e.web.test_results import run_and_wait
from tests.e2e.web.test_session_a11y import axe_violations
from tests.e2e.web.test_snippets import graphql
from tests.services.runs.test_uninstall_assets import _ours  # Quarry's assets in the simulator

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

VIEWER = "{ viewer { user { name } businessUnit { mid } } }"
#: The uninstalled tenant's stack's own Redis database (its workers take only its jobs).
OWN_TENANT_REDIS_URL = "redis://127.0.0.1:6379/2"


def open_account(app_page: AppPage, section: str | None = None) -> Locator:
    app_page.app.locator('[data-action="account"]').click()
    account = app_page.app.locator('dialog[data-dialog="account"]')
    expect_that(account.locator('[data-field="account-name"]')).to_be_visible()
    if section:
        account.locator(f'[role="tab"][data-section="{section}"]').click()
    return account


def sign_in_as(app_page: AppPage, username: str) -> None:
    """Sign in through the simulator as ``username``: its authorize step signs in the user named
    by ``sim_user`` (simulator/auth_routes.py). The app's sign-in answers with a redirect there
    (routes see only the first request of a redirect chain), to which the test adds it."""

    def pick_user(route: Route) -> None:
        answer = route.fetch(max_redirects=0)
        location = answer.headers["location"]
        assert "/v2/authorize?" in location, location
        route.fulfill(
            response=answer,
            headers={**answer.headers, "location": f"{location}&sim_user={username}"},
        )

    app_page.context.route(re.compile(r".*/api/auth/login$"), pick_user)
    sign_in(app_page)


def test_an_api_token_works_from_a_script_until_it_is_revoked(
    browser: Playwright, web_stack: WebStack
) -> None:
    name = f"nightly export {secrets.token_hex(3)}"
    with signed_in_app(browser, web_stack) as app_page:
        app = app_page.app
        me = app.locator('[data-field="user-name"]').inner_text()
        app_page.page.keyboard.press("Alt+a")  # the shortcut opens the account screen
        account = app.locator('dialog[data-dialog="account"]')
        expect_that(account.locator('[data-field="account-role"]')).to_have_text("administrator")
        account.locator('[role="tab"][data-section="tokens"]').click()

        account.get_by_label("Name").fill(name)
        account.get_by_label("Scope").select_option("READ")
        account.get_by_label("Expires in (days)").fill("30")
        account.locator('[data-action="create-token"]').click()
        field = account.get_by_test_id("token-secret")
        expect_that(field).to_have_value(re.compile(r"^qry_[\w-]{43}$"))
        token = field.input_value()
        account.locator('[data-action="copy-token"]').click()
        expect_that(account.get_by_text("Copied to the clipboard.")).to_be_visible()
        assert app_page.frame.evaluate("window.__copied") == token
        row = account.locator(f'tr[data-token="{name}"]')
        expect_that(row).to_have_attribute("data-status", "Active")
        expect_that(row).to_contain_text("Read")
        assert axe_violations(app_page) == [], "the API tokens"
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)  # the secret masked in the picture
        app_page.page.screenshot(path=str(SCREENSHOTS / "account-tokens.png"), mask=[field])

        # A script uses it: the bearer alone, no cookie, no CSRF header.
        with httpx.Client(base_url=web_stack.app_url, timeout=10) as script:
            answer = script.post(
                "/api/graphql",
                json={"query": VIEWER},
                headers={"Authorization": f"Bearer {token}"},
            )
            assert answer.status_code == 200, answer.text
            assert answer.json()["data"]["viewer"]["user"]["name"] == me

            # Revoked from the screen (after a confirmation), then refused.
            row.get_by_role("button", name=f"Revoke {name}").click()
            confirm = app.locator('dialog[data-dialog="revoke-token"]')
            confirm.get_by_role("button", name="Revoke").click()
            expect_that(row).to_have_attribute("data-status", "Revoked")
            refused = script.post(
                "/api/graphql",
                json={"query": VIEWER},
                headers={"Authorization": f"Bearer {token}"},
            )
            assert refused.status_code == 401
            assert refused.json()["error"]["code"] == "UNAUTHENTICATED"
        app_page.assert_clean("API tokens")


def test_administrators_screens_are_for_administrators_only(
    browser: Playwright, web_stack: WebStack
) -> None:
    with signed_in_app(browser, web_stack) as admin:
        # Another user of the account, in a browser of their own: no administrators' screens,
        # and the API refuses them the administrators' queries anyway.
        with framed_app(browser, web_stack) as other:
            sign_in_as(other, "mia.marketer")
            expect_that(other.app.locator('[data-field="user-name"]')).to_have_text("mia.marketer")
            account = open_account(other)
            expect_that(account.locator('[data-field="account-role"]')).to_have_text("user")
            sections = account.locator('[role="tab"]')
            expect_that(sections).to_have_count(2)
            assert sections.all_inner_texts() == ["You", "API tokens"]
            forbidden = other.frame.evaluate(
                """async () => {
                  const s = await (await fetch('/api/auth/session')).json();
                  const r = await fetch('/api/graphql', {method: 'POST', headers: {
                    'content-type': 'application/json', 'x-csrf-token': s.csrfToken},
                    body: JSON.stringify({query: '{ tenantUsers { edges { node { id } } } }'})});
                  return (await r.json()).errors[0].extensions.code;
                }"""
            )
            assert forbidden == "FORBIDDEN"
            other.page.keyboard.press("Escape")

            # The administrator sees every section; the other user is listed and removed,
            # and their open page finds its session gone.
            account = open_account(admin)
            expect_that(account.locator('[data-field="account-role"]')).to_have_text(
                "administrator"
            )
            expect_that(account.locator("[data-testid=business-units] tbody tr")).to_have_count(
                len(web_stack.sim.store.reachable_mids(_user(web_stack, "ada.admin")))
            )
            assert axe_violations(admin) == [], "the account's first section"
            admin.screenshot("account-profile")
            expect_that(account.locator('[role="tab"]')).to_have_count(5)
            account.locator('[role="tab"][data-section="users"]').click()
            mia = account.locator('tr[data-user="mia.marketer"]')
            expect_that(mia).to_contain_text("user")
            expect_that(account.locator('tr[data-user="ada.admin"]')).to_contain_text("(you)")
            assert axe_violations(admin) == [], "the users"
            admin.screenshot("account-users")
            mia.get_by_role("button", name="Remove mia.marketer").click()
            admin.app.locator('dialog[data-dialog="remove-user"]').get_by_role(
                "button", name="Remove mia.marketer"
            ).click()
            expect_that(account.get_by_role("status")).to_contain_text(
                re.compile(r"mia\.marketer was removed: [1-9]\d* session\(s\) ended")
            )
            expect_that(mia).to_have_count(0)
            expect_that(other.app.locator("#app")).to_have_attribute(
                "data-state", "session-ended", timeout=45_000
            )
            other.assert_clean("another user's account screen")
        admin.page.keyboard.press("Escape")

        # Quarry's assets in MCE: a run makes some; the report counts them; a purge deletes them.
        run_and_wait(admin, "SELECT TOP 3 SubscriberKey, Status FROM _Subscribers")
        account = open_account(admin, "assets")
        total = account.locator('[data-field="asset-total"]')
        expect_that(total).not_to_have_text("0")
        expect_that(account.get_by_test_id("mce-assets")).to_contain_text("data extension")
        assert axe_violations(admin) == [], "the MCE assets"
        admin.screenshot("account-assets")
        account.locator('[data-action="purge-assets"]').click()
        admin.app.locator('dialog[data-dialog="purge-assets"]').get_by_role(
            "button", name="Delete them all"
        ).click()
        expect_that(account.locator('[data-field="purge-result"]')).to_have_text(
            re.compile(r"^Deleted [1-9]\d* asset\(s\); 0 run\(s\) canceled\.$")
        )
        expect_that(total).to_have_text("0")

        # Uninstall waits for the enterprise id, typed exactly (carried out on a tenant of its
        # own below: the session's other tests share this one).
        account.locator('[role="tab"][data-section="uninstall"]').click()
        uninstall = account.locator('[data-action="uninstall"]')
        expect_that(uninstall).to_be_disabled()
        confirm = account.get_by_test_id("uninstall-confirm")
        confirm.fill("12345")
        expect_that(uninstall).to_be_disabled()
        confirm.fill(str(web_stack.sim.store.enterprise.eid))
        expect_that(uninstall).to_be_enabled()
        assert axe_violations(admin) == [], "uninstall"
        admin.screenshot("account-uninstall")

        # Sign out (the signOut mutation): the signed-out screen, and the session is over.
        account.locator('[role="tab"][data-section="profile"]').click()
        account.locator('[data-action="account-sign-out"]').click()
        expect_that(admin.app.locator("#app")).to_have_attribute("data-state", "signed-out")
        session = admin.frame.evaluate("async () => (await fetch('/api/auth/session')).json()")
        assert session["signedIn"] is False
        admin.assert_clean("the administrators' screens and signing out")


@pytest_asyncio.fixture
async def own_tenant_settings() -> AsyncIterator[Settings]:
    async with throwaway_database("quarry_web_uninstall") as settings:
        yield settings


@pytest.fixture
def own_tenant(own_tenant_settings: Settings, tmp_path: Path) -> Iterator[WebStack]:
    """A second stack with an enterprise of its own, alive for one test."""
    build_web_app()
    with running_web_stack(
        own_tenant_settings,
        tmp_path,
        seed=4_100_000 + os.getpid() % 100_000,
        redis_url=OWN_TENANT_REDIS_URL,
    ) as stack:
        yield stack


@pytest.fixture
def own_browser(own_tenant: WebStack) -> Iterator[Playwright]:
    """Playwright started after ``own_tenant`` (the session's stack is not needed)."""
    expect_that.set_options(timeout=15_000)
    with sync_playwright() as playwright:
        yield playwright


def test_uninstall_signs_everyone_out_and_deletes_quarrys_mce_assets(
    own_tenant: WebStack, own_browser: Playwright
) -> None:
    stack = own_tenant
    enterprise = stack.sim.store.enterprise
    with signed_in_app(own_browser, stack) as admin:
        # What the uninstall must undo: Quarry's assets in MCE (a run makes them), an API
        # token, and another user's open page.
        run_and_wait(admin, "SELECT TOP 3 SubscriberKey, Status FROM _Subscribers")
        assert _ours(stack.sim) != []
        created = graphql(
            admin,
            "mutation($input: CreateApiTokenInput!) { createApiToken(input: $input) { token } }",
            {"input": {"name": "nightly export", "scope": "READ"}},
        )
        token = created["createApiToken"]["token"]
        with framed_app(own_browser, stack) as other:
            sign_in_as(other, "mia.marketer")
            expect_that(other.app.locator('[data-field="user-name"]')).to_have_text("mia.marketer")

            account = open_account(admin, "uninstall")
            uninstall = account.locator('[data-action="uninstall"]')
            account.get_by_test_id("uninstall-confirm").fill(str(enterprise.eid))
            uninstall.click()

            # The administrator's page says what happened, signed out.
            root = admin.app.locator("#app")
            expect_that(root).to_have_attribute("data-state", "signed-out", timeout=60_000)
            expect_that(admin.app.locator('[data-field="signed-out-note"]')).to_have_text(
                f"Quarry was uninstalled from {enterprise.name}: 2 session(s) ended, 1 API"
                " token(s) revoked. Opening it from Marketing Cloud again installs it anew."
            )
            assert axe_violations(admin) == [], "uninstalled"
            admin.screenshot("account-uninstalled")
            session = admin.frame.evaluate("async () => (await fetch('/api/auth/session')).json()")
            assert session["signedIn"] is False
            # Everyone else's page finds its session ended.
            expect_that(other.app.locator("#app")).to_have_attribute(
                "data-state", "session-ended", timeout=45_000
            )
            other.assert_clean("another user's page during the uninstall")

        # Quarry's assets are gone from every BU in MCE; the API token is refused.
        assert _ours(stack.sim) == []
        refused = httpx.post(
            f"{stack.app_url}/api/graphql",
            json={"query": VIEWER},
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
        assert refused.status_code == 401
        assert refused.json()["error"]["code"] == "UNAUTHENTICATED"

        # Signing in again installs Quarry anew: the workbench, and no token kept.
        admin.app.locator("#sign-in").click()
        expect_that(root).to_have_attribute("data-state", "signed-in")
        tokens = graphql(admin, "{ apiTokens { edges { node { id } } } }")
        assert tokens["apiTokens"]["edges"] == []
        admin.assert_clean("uninstalling")


def _user(stack: WebStack, username: str) -> User:
    return next(u for u in stack.sim.store.users.values() if u.username == username)
