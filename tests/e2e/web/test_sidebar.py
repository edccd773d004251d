"""The sidebar in a real browser: search a data extension with a typo, open its fields, insert
a field and the DE into the editor by clicking, preview its rows, open a query activity into a
tab, data views; then switch business unit."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Playwright
from playwright.sync_api import expect as expect_that

from tests.e2e.web.conftest import WebStack
from tests.e2e.web.pages import signed_in_app
from tests.e2e.web.test_editor import type_sql, wait_for_metadata

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_search_fields_insert_preview_and_switch_bu(
    browser: Playwright, web_stack: WebStack
) -> None:
    with signed_in_app(browser, web_stack) as app_page:
        app = app_page.app
        wait_for_metadata(app_page)
        type_sql(app_page, "SELECT  FROM ")

        # A typo still finds it; the hit is highlighted; arrow keys and Enter open it.
        search = app.get_by_test_id("de-search")
        search.fill("Ordrs")
        hits = app.locator("#search-hits [role=option]")
        expect_that(hits.first).to_contain_text("Orders")
        search.press("ArrowDown")
        search.press("ArrowUp")
        app_page.screenshot("sidebar-search")
        search.press("Enter")

        # Its fields with types, lengths and keys, and its row count.
        details = app.locator("section.details")
        expect_that(details.locator(".de-name")).to_have_text("Orders")
        field = details.locator('[data-field-name="OrderID"]')
        expect_that(field).to_contain_text("Number")
        expect_that(field.locator(".key")).to_have_text("PK")
        expect_that(details.locator('[data-field-name="Currency"]')).to_contain_text("Text(3)")
        expect_that(details.locator('[data-field="row-count"]')).to_contain_text(
            re.compile(r"\d rows")
        )

        # Click a field and the DE: each goes in at the cursor, bracketed.
        editor = app.locator(".cm-content")
        editor.click()
        app_page.page.keyboard.press("ControlOrMeta+Home")
        for _ in range(len("SELECT ")):
            app_page.page.keyboard.press("ArrowRight")
        field.click()
        app_page.page.keyboard.press("ControlOrMeta+End")
        details.locator(".de-name").click()
        expect_that(editor).to_have_text("SELECT [OrderID] FROM Orders")

        # A preview of its first rows.
        details.locator('[data-action="preview"]').click()
        preview = app.get_by_test_id("de-preview")
        expect_that(preview.locator("tbody tr").first).to_be_visible()
        expect_that(preview.locator("th").first).to_have_text("OrderID")
        app_page.screenshot("sidebar-fields")

        # Data views list their columns.
        app.get_by_role("tab", name="Data views").click()
        app.get_by_role("button", name="Show the columns of _Sent").click()
        expect_that(app.locator(".dataviews .field-name", has_text="JobID").first).to_be_visible()

        # The metadata sync's state is shown with a refresh button.
        expect_that(app.locator('[data-field="metadata-sync"]')).to_contain_text(
            re.compile("Synced|Syncing")
        )

        # Switch business unit: the workbench follows.
        select = app.locator("#business-unit-select")
        current = select.input_value()
        values = select.locator("option").evaluate_all("(os) => os.map((o) => o.value)")
        other = next(value for value in values if value != current)
        select.select_option(other)
        expect_that(app.locator('[data-field="business-unit"]')).to_have_attribute(
            "data-mid", other
        )
        expect_that(app.locator('[data-field="error"]')).to_have_text("")
        app_page.assert_clean("the sidebar")
