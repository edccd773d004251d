"""The session and accessibility in a real browser, inside the framed stand-in MCE page:

- a session ended elsewhere leads back into the sign-in, and the tabs are still there after it;
- a network failure is said plainly (no stack trace), and the app carries on once it is back;
- axe-core finds no serious or critical violation on the signed-out page, the workbench with
  results, or the sidebar's details; every control is reachable by keyboard.
"""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Playwright
from playwright.sync_api import expect as expect_that

from tests.e2e.app_process import ROOT
from tests.e2e.web.conftest import WebStack
from tests.e2e.web.pages import AppPage, framed_app, sign_in, signed_in_app
from tests.e2e.web.test_editor import type_sql, wait_for_metadata
from tests.e2e.web.test_results import run_and_wait

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

AXE = ROOT / "web" / "app" / "node_modules" / "axe-core" / "axe.min.js"


def axe_violations(app_page: AppPage) -> list[str]:
    """Serious and critical axe-core violations in the app's frame (WCAG 2.x A and AA)."""
    frame = app_page.frame
    frame.evaluate(AXE.read_text() + "\n;0")  # through the DevTools protocol: no CSP change
    results = frame.evaluate(
        """async () => (await axe.run(document, {runOnly: {type: 'tag',
            values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})).violations
            .filter((v) => v.impact === 'serious' || v.impact === 'critical')
            .map((v) => v.id + ': ' + v.help + ' ('
              + v.nodes.map((n) => n.target.join(' ')).join(', ') + ')')"""
    )
    return list(results)


def test_no_serious_accessibility_violations(browser: Playwright, web_stack: WebStack) -> None:
    with framed_app(browser, web_stack) as app_page:
        expect_that(app_page.app.locator("#app")).to_have_attribute("data-state", "signed-out")
        assert axe_violations(app_page) == [], "the signed-out page"
        app_page.screenshot("signed-out")
        sign_in(app_page)
        app = app_page.app
        wait_for_metadata(app_page)
        run_and_wait(app_page, "SELECT o.OrderID, o.OrderDate, o.Amount FROM Orders o")
        app.get_by_test_id("de-search").fill("Orders")
        expect_that(app.locator("#search-hits [role=option]").first).to_contain_text("Orders")
        app.get_by_test_id("de-search").press("Enter")
        expect_that(app.locator("section.details .de-name")).to_have_text("Orders")
        app.get_by_test_id("de-search").fill("")
        assert axe_violations(app_page) == [], "the workbench with results and details"
        app_page.screenshot("workbench")

        # Keyboard: Tab reaches the editor, the grid and the sidebar's search; focus shows.
        reached: set[str] = set()
        app.locator("#business-unit-select").focus()
        for _ in range(60):
            app_page.page.keyboard.press("Tab")
            reached.add(
                app_page.frame.evaluate(
                    """() => { const e = document.activeElement;
                    return e.getAttribute('data-testid') || e.getAttribute('role') ||
                      e.getAttribute('data-action') || e.tagName.toLowerCase(); }"""
                )
            )
        wanted = {"de-search", "treeitem", "sql-editor", "results-grid", "run", "separator"}
        assert wanted <= reached
        outline = app_page.frame.evaluate(
            """() => { const g = document.querySelector('[role=grid]'); g.focus();
              return getComputedStyle(g).outlineStyle; }"""
        )
        assert outline != "none"
        app_page.assert_clean("accessibility checks")


def test_an_ended_session_leads_back_into_sign_in_with_tabs_kept(
    browser: Playwright, web_stack: WebStack
) -> None:
    with signed_in_app(browser, web_stack) as app_page:
        app = app_page.app
        type_sql(app_page, "SELECT 1 AS KeepMe")
        app_page.page.wait_for_timeout(500)  # the tabs are saved (debounced)
        cookie = next(
            c
            for c in app_page.context.cookies(web_stack.app_url)
            if c["name"] == "__Host-quarry_session"
        )
        # Signed out elsewhere (as MCE's logout does): the server ends the session.
        httpx.get(
            f"{web_stack.app_url}/api/auth/logout",
            headers={"cookie": f"__Host-quarry_session={cookie['value']}"},
        )
        root = app.locator("#app")
        expect_that(root).to_have_attribute("data-state", "session-ended", timeout=45_000)
        expect_that(app.get_by_role("alert")).to_contain_text("Your session has ended")
        app_page.screenshot("session-ended")
        app.locator("#sign-in-again").click()
        expect_that(root).to_have_attribute("data-state", "signed-in")
        expect_that(app.locator(".cm-content")).to_contain_text("SELECT 1 AS KeepMe")
        app_page.assert_clean("an ended session")


def test_a_network_failure_is_said_plainly(browser: Playwright, web_stack: WebStack) -> None:
    with signed_in_app(browser, web_stack) as app_page:
        app = app_page.app
        web_stack.proxy.refusing = True
        web_stack.proxy.cut()
        try:
            app.get_by_test_id("de-search").fill("Orders")
            note = app.locator(".search .error")
            expect_that(note).to_have_text(
                "Quarry could not be reached. Check your connection; your work in the editor"
                " is kept."
            )
            assert "at " not in note.inner_text()  # no stack trace
        finally:
            web_stack.proxy.refusing = False
        app.get_by_test_id("de-search").fill("Order")
        expect_that(app.locator("#search-hits [role=option]").first).to_contain_text("Orders")
        app_page.allowed_errors += ["net::ERR_", "WebSocket connection"]
        app_page.assert_clean("a network failure")
