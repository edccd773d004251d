"""Results in a real browser, inside the framed stand-in MCE page:

- a 200,000-row run streams into the grid; the socket is cut mid-stream and the rows complete
  without a gap or a duplicate (the grid's rows, copied as TSV, equal the CSV that clicking
  Export CSV downloads); the grid scrolls to its last row;
- an export the server refuses (401: the browser lost the session cookie) loads into the
  hidden frame, and the app, still there, shows that the session ended;
- a run canceled while Marketing Cloud runs it;
- six tabs running at once never hold more than 10 operations on the socket, each shows its
  rows, and the tabs are back after a reload.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from playwright.sync_api import Playwright, WebSocket
from playwright.sync_api import expect as expect_that

from tests.e2e.web.conftest import WebStack
from tests.e2e.web.pages import AppPage, framed_app, sign_in, signed_in_app
from tests.e2e.web.test_editor import type_sql, wait_for_metadata

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ROWS = 200_000
BIG = (  # the BU has fewer than 448 subscribers: a third, two-row factor reaches 200,000
    "SELECT TOP 200000 a.SubscriberKey AS A, b.SubscriberKey AS B FROM Subscribers a "
    "CROSS JOIN Subscribers b CROSS JOIN (SELECT TOP 2 SubscriberKey FROM Subscribers) c "
    "ORDER BY a.SubscriberKey, b.SubscriberKey, c.SubscriberKey"
)


def run_and_wait(app_page: AppPage, sql: str, status: str = "complete") -> None:
    type_sql(app_page, sql)
    app_page.app.locator('[data-action="run"]').click()
    expect_that(app_page.app.locator('[data-field="run-status"]')).to_have_text(
        status, timeout=90_000
    )


def test_200k_rows_stream_through_a_cut_socket_scroll_and_export(
    browser: Playwright, web_stack: WebStack
) -> None:
    with signed_in_app(browser, web_stack) as app_page:
        app = app_page.app
        wait_for_metadata(app_page)
        run_and_wait(app_page, BIG)
        row_count = app.locator('[data-field="row-count"]')
        expect_that(row_count).to_contain_text("loaded")  # streaming, page by page
        cut = web_stack.proxy.cut()  # the websocket (and any HTTP connection) drops
        assert cut >= 1
        expect_that(row_count).to_have_text(f"{ROWS:,} rows", timeout=120_000)

        # The last row, by keyboard.
        grid = app.locator('[role="grid"]')
        grid.focus()
        app_page.page.keyboard.press("Control+End")
        last = grid.locator(f'[role="row"][aria-rowindex="{ROWS + 1}"]')
        expect_that(last).to_be_visible()
        expect_that(last.locator('[role="rowheader"]')).to_have_text(str(ROWS))
        expect_that(last.locator('[role="gridcell"]').first).not_to_have_text("…")
        app_page.screenshot("results-200k-last-row")

        # Every row the grid holds, copied as TSV, equals the CSV export: nothing missing,
        # nothing twice, in order.
        app_page.page.keyboard.press("Control+a")
        app_page.page.keyboard.press("Control+c")
        copied: str = app_page.frame.evaluate("window.__copied")
        grid_rows = copied.split("\n")
        assert len(grid_rows) == ROWS
        # Export CSV, clicked: the browser downloads the file (the session cookie is
        # partitioned under the MCE page and the link's navigation carries it).
        export = app.locator('[data-action="export"]')
        href = export.get_attribute("href")
        assert href is not None and re.fullmatch(r"/api/runs/[^/]+/export\.csv", href)
        cookies = app_page.context.cookies(web_stack.app_url)
        session = [c for c in cookies if c["name"].startswith("__Host-")]
        assert session and all(c.get("partitionKey") for c in session)
        with app_page.page.expect_download(timeout=120_000) as started:
            export.click()
        download = started.value
        assert download.failure() is None
        assert re.fullmatch(r"[\w .()-]+\.csv", download.suggested_filename)
        with open(download.path(), encoding="utf-8", newline="") as exported_file:
            exported = list(csv.reader(exported_file))
        assert exported[0] == ["A", "B"]
        assert ["\t".join(row) for row in exported[1:]] == grid_rows
        expect_that(app.locator("#app")).to_have_attribute("data-state", "signed-in")
        expect_that(app.locator('[data-field="export-problem"]')).to_have_count(0)
        app_page.allowed_errors.append("net::ERR_")  # requests in flight when the line was cut
        app_page.assert_clean("the 200k-row results")


def test_a_refused_export_leaves_the_app_and_says_why(
    browser: Playwright, web_stack: WebStack
) -> None:
    """The link navigates a hidden frame of the app: a refusal loads there instead of
    replacing the app, which reads it. Here the browser no longer has the session cookie (its
    data cleared elsewhere), so the export answers 401 and the app shows that the session
    ended, with the way back in."""
    with signed_in_app(browser, web_stack) as app_page:
        app = app_page.app
        wait_for_metadata(app_page)
        run_and_wait(app_page, "SELECT TOP 5 SubscriberKey FROM Subscribers")
        expect_that(app.locator('[data-field="row-count"]')).to_have_text("5 rows")
        app_page.context.clear_cookies()
        export = app.locator('[data-action="export"]')
        export.click()
        root = app.locator("#app")
        expect_that(root).to_have_attribute("data-state", "session-ended")
        expect_that(root.get_by_role("alert")).to_have_text(
            "Your session has ended. Sign in again to continue (your tabs are kept)."
        )
        expect_that(app.locator("#sign-in-again")).to_be_visible()
        assert app_page.frame.url == web_stack.app_url + "/"  # the app was not navigated away
        app_page.allowed_errors.append("status of 401")
        app_page.assert_clean("a refused export")


def test_cancel_a_running_query(browser: Playwright, web_stack: WebStack) -> None:
    config = web_stack.sim.config
    previous = config.query_base_seconds
    config.query_base_seconds = 60.0  # Marketing Cloud takes its time with this one
    try:
        with signed_in_app(browser, web_stack) as app_page:
            app = app_page.app
            wait_for_metadata(app_page)
            run_and_wait(app_page, "SELECT o.OrderID, o.Amount FROM Orders o", status="running")
            app_page.screenshot("results-running")
            app.locator('[data-action="cancel"]').click()
            expect_that(app.locator('[data-field="run-status"]')).to_have_text("canceled")
            expect_that(app.locator('[data-action="run"]')).to_be_enabled()
            app_page.assert_clean("a canceled run")
    finally:
        config.query_base_seconds = previous


@contextmanager
def socket_operations(app_page: AppPage) -> Iterator[list[int]]:
    """The most operations the page's websockets held at once (subscribe .. complete/error)."""
    active: dict[int, set[str]] = {}
    peak = [0]

    def watch(ws: WebSocket) -> None:
        key = id(ws)
        active[key] = set()

        def sent(payload: str | bytes) -> None:
            message = json.loads(payload)
            if message.get("type") == "subscribe":
                active[key].add(message["id"])
            elif message.get("type") == "complete":
                active[key].discard(message["id"])
            peak[0] = max(peak[0], max(len(ids) for ids in active.values()))

        def received(payload: str | bytes) -> None:
            message = json.loads(payload)
            if message.get("type") in ("complete", "error"):
                active[key].discard(message.get("id", ""))

        ws.on("framesent", sent)
        ws.on("framereceived", received)
        ws.on("close", lambda _ws: active[key].clear())

    app_page.page.on("websocket", watch)
    yield peak


def test_six_tabs_running_then_a_reload(browser: Playwright, web_stack: WebStack) -> None:
    config = web_stack.sim.config
    previous = config.query_base_seconds
    config.query_base_seconds = 4.0  # all six are running at the same time
    try:
        with framed_app(browser, web_stack) as app_page:
            app = app_page.app
            with socket_operations(app_page) as peak:
                sign_in(app_page)  # the page's socket opens after the watch is on
                wait_for_metadata(app_page)
                for number in range(6):
                    if number:
                        app.locator('[data-action="new-tab"]').click()
                    type_sql(app_page, f"SELECT TOP {number + 1} o.OrderID FROM Orders o")  # noqa: S608
                    app.locator('[data-action="run"]').click()
                    expect_that(app.locator('[data-field="run-status"]')).to_have_text(
                        re.compile("queued|starting|running")
                    )
                tabs = app.locator('[role="tab"][aria-controls="editor-panel"]')
                expect_that(tabs).to_have_count(6)
                app_page.screenshot("tabs-six-running")
                for number in range(6):
                    tabs.nth(number).click()
                    expect_that(app.locator('[data-field="run-status"]')).to_have_text(
                        "complete", timeout=60_000
                    )
                    expect_that(app.locator('[data-field="row-count"]')).to_have_text(
                        f"{number + 1} rows"
                    )
            assert 1 <= peak[0] <= 10, peak[0]

            # A reload: the tabs, their SQL and their runs' rows come back.
            app_page.page.reload()
            expect_that(app.locator("#app")).to_have_attribute("data-state", "signed-in")
            expect_that(tabs).to_have_count(6)
            expect_that(
                app.locator('[role="tab"][aria-controls="editor-panel"][aria-selected="true"]')
            ).to_contain_text("Query 6")
            expect_that(app.locator(".cm-content")).to_contain_text("SELECT TOP 6")
            expect_that(app.locator('[data-field="row-count"]')).to_have_text("6 rows")
            tabs.nth(2).click()
            expect_that(app.locator(".cm-content")).to_contain_text("SELECT TOP 3")
            expect_that(app.locator('[data-field="row-count"]')).to_have_text("3 rows")
            app_page.assert_clean("six tabs and a reload")
    finally:
        config.query_base_seconds = previous
