"""The editor in a real browser, inside the framed stand-in MCE page: a completion from
sqlCompletions, an inline validation error that goes once fixed, Ctrl+Enter runs a corpus query
whose typed rows stream into the grid, and tabs that come back after a reload."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Playwright
from playwright.sync_api import expect as expect_that

from tests.e2e.web.conftest import WebStack
from tests.e2e.web.pages import AppPage, signed_in_app

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

CORPUS_QUERY = (
    "SELECT o.OrderID, o.SubscriberKey, o.OrderDate, o.Amount, o.IsGift "
    "FROM Orders o ORDER BY o.OrderID"
)


def type_sql(app_page: AppPage, text: str) -> None:
    editor = app_page.app.locator(".cm-content")
    editor.click()
    app_page.page.keyboard.press("ControlOrMeta+a")
    app_page.page.keyboard.press("Delete")
    app_page.page.keyboard.type(text, delay=5)


def wait_for_metadata(app_page: AppPage) -> None:
    """The sign-in's metadata sync must have landed for DE names to resolve."""
    app_page.frame.wait_for_function(
        """async () => {
          const s = await (await fetch('/api/auth/session')).json();
          const r = await fetch('/api/graphql', {method: 'POST', headers: {
            'content-type': 'application/json', 'x-csrf-token': s.csrfToken},
            body: JSON.stringify({query: '{ dataExtension(name: "Orders") { name } }'})});
          const body = await r.json();
          return !!(body.data && body.data.dataExtension);
        }""",
        timeout=60_000,
        polling=500,
    )


def test_completion_validation_and_a_typed_run(browser: Playwright, web_stack: WebStack) -> None:
    with signed_in_app(browser, web_stack) as app_page:
        app = app_page.app
        wait_for_metadata(app_page)

        # A completion: a DE after FROM.
        type_sql(app_page, "SELECT * FROM Ord")
        app_page.page.keyboard.press("Control+Space")
        option = app.locator(".cm-tooltip-autocomplete li", has_text="Orders").first
        expect_that(option).to_be_visible()
        app_page.screenshot("editor-completion")
        option.click()
        expect_that(app.locator(".cm-content")).to_contain_text("FROM Orders")

        # An inline validation error at its position, with the fix; it goes once fixed.
        type_sql(app_page, "SELECT o.Amout FROM Orders o")
        marked = app.locator(".cm-lintRange-error")
        expect_that(marked).to_have_count(1)
        expect_that(marked).to_have_text(re.compile("Amout"))
        marked.hover()
        expect_that(app.locator(".cm-tooltip-lint")).to_contain_text("Amout")
        app_page.screenshot("editor-validation")
        app.locator(".cm-content").click()
        app_page.page.keyboard.press("End")
        app_page.page.keyboard.press("Control+ArrowLeft")  # before "o" (the alias)
        type_sql(app_page, "SELECT o.Amount FROM Orders o")
        expect_that(marked).to_have_count(0)

        # Ctrl+Enter runs it; typed rows stream into the grid.
        type_sql(app_page, CORPUS_QUERY)
        app_page.page.keyboard.press("Control+Enter")
        status = app.locator('[data-field="run-status"]')
        expect_that(status).to_have_text("complete", timeout=90_000)
        grid = app.locator('[role="grid"]')
        expect_that(grid).to_be_visible()
        header = grid.locator('[role="columnheader"]')
        expect_that(header.nth(1)).to_contain_text("OrderID")
        first = grid.locator('[role="row"][aria-rowindex="2"] [role="gridcell"]')
        expect_that(first.nth(0)).to_have_class(re.compile(r"\bnum\b"))  # a number, right-aligned
        expect_that(first.nth(3)).to_have_class(re.compile(r"\bnum\b"))  # a decimal
        assert re.fullmatch(r"\d+\.\d{2}", first.nth(3).inner_text())
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", first.nth(2).inner_text())
        assert first.nth(4).inner_text() in ("true", "false")
        expect_that(app.locator('[data-field="row-count"]')).to_contain_text("rows")
        app_page.screenshot("results-typed")
        app_page.assert_clean("the editor and a run")
