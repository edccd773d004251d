"""The account screen in a real browser, inside the framed stand-in MCE page, against the whole
stack: an API token created (its secret shown once, copied), used by a script over HTTP with
the bearer, revoked and then refused; the administrators' screens shown to the tenant's first
user and hidden from another (whose API calls are refused anyway), a user removed (their open
page is signed out), Quarry's MCE assets with the cleanup report and a purge, uninstall behind
the typed enterprise id, and signing out through the ``signOut`` mutation. No CSP violation,
console error or serious axe violation on the way."""

from __future__ import annotations

import re
import secrets

import httpx
import pytest
from playwright.sync_api import Locator, Playwright, Route
from playwright.sync_api import expect as expect_that

from simulator.model import User
from tests.e2e.web.conftest import SCREENSHOTS, WebStack
from tests.e2e.web.pages import AppPage, framed_app, sign_in, signed_in_app
from tests.e2e.web.test_results import run_and_wait
from tests.e2e.web.test_session_a11y import axe_violations

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

VIEWER = "{ viewer { user { name } businessUnit { mid } } }"


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

        # Uninstall waits for the enterprise id, typed exactly (not done here: the session's
        # other tests share the tenant).
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


def _user(stack: WebStack, username: str) -> User:
    return next(u for u in stack.sim.store.users.values() if u.username == username)
