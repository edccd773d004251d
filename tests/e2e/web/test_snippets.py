"""The snippet library in a real browser, inside the framed stand-in MCE page, against the whole
stack: save a tab as a snippet (Ctrl+S), edit and save it twice, compare two versions side by
side and restore one; folders made, moved into by drag and drop, refused deletion when not
empty; delete with undo, the trash with each item's purge date and a restore; a changed tab
asks before it closes; a save that lost a race says so and saves as a new snippet; the
shortcuts' help. No CSP violation, console error or serious axe violation on the way."""

from __future__ import annotations

import re
import secrets
from typing import Any

import pytest
from playwright.sync_api import Locator, Playwright
from playwright.sync_api import expect as expect_that

from tests.e2e.web.conftest import WebStack
from tests.e2e.web.pages import AppPage, signed_in_app
from tests.e2e.web.test_editor import type_sql as type_in_editor
from tests.e2e.web.test_session_a11y import axe_violations

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def graphql(app_page: AppPage, query: str, variables: dict[str, Any] | None = None) -> Any:
    """One GraphQL call from inside the app's frame, as the app makes it (cookie + CSRF)."""
    return app_page.frame.evaluate(
        """async ([query, variables]) => {
          const s = await (await fetch('/api/auth/session')).json();
          const r = await fetch('/api/graphql', {method: 'POST', headers: {
            'content-type': 'application/json', 'x-csrf-token': s.csrfToken},
            body: JSON.stringify({query, variables})});
          return (await r.json()).data;
        }""",
        [query, variables or {}],
    )


def snippet_id(app_page: AppPage, title: str) -> str:
    found = graphql(
        app_page,
        "query($s: String!) { snippets(search: $s) { edges { node { id title } } } }",
        {"s": title},
    )
    ids = [e["node"]["id"] for e in found["snippets"]["edges"] if e["node"]["title"] == title]
    assert len(ids) == 1, found
    return str(ids[0])


def type_sql(app_page: AppPage, text: str) -> None:
    """Replace the editor's text; the completion popup typing opened is closed."""
    type_in_editor(app_page, text)
    app_page.page.keyboard.press("Escape")


def dialog(app_page: AppPage, name: str) -> Locator:
    return app_page.app.locator(f'dialog[data-dialog="{name}"]')


def save_with_keys(app_page: AppPage) -> None:
    app_page.app.locator(".cm-content").click()
    app_page.page.keyboard.press("ControlOrMeta+s")


def editor_text(app_page: AppPage) -> str:
    return str(
        app_page.frame.evaluate(
            "() => Array.from(document.querySelectorAll('.cm-line')).map(l => l.textContent)"
            ".join('\\n')"
        )
    )


def test_save_edit_twice_diff_restore_and_the_trash(
    browser: Playwright, web_stack: WebStack
) -> None:
    title = f"Openers by day {secrets.token_hex(3)}"
    with signed_in_app(browser, web_stack) as app_page:
        app = app_page.app
        badge = app.locator('[data-field="snippet-version"]')
        tab = app.locator(".tab.selected")

        # A new tab's SQL, saved with Ctrl+S: no snippet yet, so "save as" asks for a title.
        type_sql(app_page, "SELECT SubscriberKey FROM _Open")
        save_with_keys(app_page)
        save_as = dialog(app_page, "save-as")
        expect_that(save_as).to_be_visible()
        save_as.get_by_label("Title").fill(title)
        save_as.get_by_role("button", name="Save").click()
        expect_that(save_as).to_be_hidden()
        expect_that(tab).to_have_attribute("data-tab-title", title)
        expect_that(badge).to_have_text("snippet v1")
        expect_that(tab.locator('[data-field="dirty"]')).to_have_count(0)

        # Edited and saved twice: versions 2 and 3; the tab is marked changed in between.
        type_sql(app_page, "SELECT SubscriberKey, EventDate\nFROM _Open")
        expect_that(tab.locator('[data-field="dirty"]')).to_have_count(1)
        save_with_keys(app_page)
        expect_that(badge).to_have_text("snippet v2")
        expect_that(tab.locator('[data-field="dirty"]')).to_have_count(0)
        type_sql(app_page, "SELECT SubscriberKey, EventDate\nFROM _Open\nWHERE IsUnique = 1")
        save_with_keys(app_page)
        expect_that(badge).to_have_text("snippet v3")

        # History: two versions side by side; version 1 against 3, then restore version 1.
        app.locator('[data-action="snippet-history"]').click()
        history = dialog(app_page, "history")
        expect_that(history).to_be_visible()
        diff = history.get_by_test_id("snippet-diff")
        expect_that(history.locator('[data-field="diff-summary"]')).to_have_text(
            "0 lines removed, 1 added."
        )  # 2 → 3: the WHERE line
        history.get_by_label("Left").select_option("1")
        expect_that(history.locator('[data-field="diff-summary"]')).to_have_text(
            "1 line removed, 3 added."
        )
        changed = diff.locator("tr[data-kind=changed]")
        expect_that(changed).to_have_count(1)
        expect_that(changed.locator("td").nth(1)).to_contain_text("SELECT SubscriberKey FROM _Open")
        expect_that(changed.locator("td").nth(3)).to_contain_text("SELECT SubscriberKey, EventDate")
        expect_that(diff.locator("tr[data-kind=added]")).to_have_count(2)
        assert axe_violations(app_page) == [], "the history dialog"
        app_page.screenshot("snippets-history")
        history.locator('[data-action="restore-left"]').click()
        expect_that(history.get_by_role("status")).to_have_text("Version 1 restored as version 4.")
        app_page.page.keyboard.press("Escape")
        expect_that(history).to_be_hidden()
        expect_that(badge).to_have_text("snippet v4")
        assert editor_text(app_page) == "SELECT SubscriberKey FROM _Open"
        expect_that(tab.locator('[data-field="dirty"]')).to_have_count(0)

        # In the editor Alt+L is CodeMirror's "select line" (Windows and Linux), not the
        # library's; Alt+S opens the library from the editor too, its search focused. Then
        # delete with undo, and the trash.
        library = app.locator("#snippet-library")
        expect_that(library).to_have_count(0)
        app.locator(".cm-content").click()
        app_page.page.keyboard.press("Alt+l")
        assert app_page.frame.evaluate("() => document.getSelection().toString()") == (
            "SELECT SubscriberKey FROM _Open"
        )
        expect_that(library).to_have_count(0)
        app_page.page.keyboard.press("Alt+s")
        search = app.get_by_test_id("snippet-search")
        expect_that(search).to_be_focused()
        search.fill(title.split()[-1])
        result = app.locator(f'.lib-result[data-snippet="{title}"]')
        expect_that(result).to_have_count(1)
        search.fill("")
        item = app.locator(f'li[data-snippet="{title}"]')
        item.click()
        expect_that(item).to_have_attribute("aria-selected", "true")
        app.locator('#snippet-library [data-action="delete"]').click()
        toast = app.locator(".toast", has_text=f"Moved “{title}” to the trash.")
        expect_that(toast).to_be_visible()
        expect_that(item).to_have_count(0)
        toast.locator(".toast-action").click()
        expect_that(item).to_have_count(1)

        item.click()
        app_page.page.keyboard.press("Delete")  # the tree's own key
        expect_that(item).to_have_count(0)
        app.locator('#snippet-library [data-action="trash"]').click()
        in_trash = app.locator(f'li[data-trash="{title}"]')
        expect_that(in_trash).to_be_visible()
        expect_that(in_trash.locator('[data-field="purge-at"]')).to_have_text(
            re.compile(r"^Purged .+ \(in (29|30) days\)$")
        )
        assert axe_violations(app_page) == [], "the trash"
        app_page.screenshot("snippets-trash")
        in_trash.get_by_role("button", name=f"Restore {title}").click()
        expect_that(in_trash).to_have_count(0)
        app.locator("#snippet-library").get_by_role("button", name="Library", exact=True).click()
        expect_that(item).to_be_visible()
        expect_that(item).to_have_attribute("aria-selected", "true")
        app_page.assert_clean("saving, history, restore and the trash")


def test_folders_drag_and_drop_unsaved_close_conflict_and_shortcuts(
    browser: Playwright, web_stack: WebStack
) -> None:
    suffix = secrets.token_hex(3)
    title = f"Bounces {suffix}"
    folder = f"Reports {suffix}"
    with signed_in_app(browser, web_stack) as app_page:
        app = app_page.app
        library = app.locator("#snippet-library")

        type_sql(app_page, "SELECT SubscriberKey FROM _Bounce")
        app.locator('[data-action="save-as"]').click()
        dialog(app_page, "save-as").get_by_label("Title").fill(title)
        dialog(app_page, "save-as").get_by_role("button", name="Save").click()
        expect_that(app.locator('[data-field="snippet-version"]')).to_have_text("snippet v1")

        # A folder, and the snippet dragged into it.
        app.locator('[data-action="snippets"]').click()
        expect_that(library).to_be_visible()
        library.locator('[data-action="new-folder"]').click()
        dialog(app_page, "new-folder").get_by_label("Folder name").fill(folder)
        dialog(app_page, "new-folder").get_by_role("button", name="Create").click()
        folder_item = library.locator(f'li[data-folder="{folder}"]')
        expect_that(folder_item).to_be_visible()
        item = library.locator(f'li[data-snippet="{title}"]')
        item.drag_to(folder_item)
        expect_that(folder_item).to_have_attribute("aria-expanded", "true")
        expect_that(item).to_have_attribute("aria-level", "2")  # now inside the folder
        assert axe_violations(app_page) == [], "the library panel"
        app_page.screenshot("snippets-library")

        # Duplicated beside the original; the copy renamed from the keyboard (F2).
        item.focus()
        library.locator('[data-action="duplicate"]').click()
        copy = library.locator(f'li[data-snippet="{title} (copy)"]')
        expect_that(copy).to_have_attribute("aria-level", "2")
        copy.focus()
        app_page.page.keyboard.press("F2")
        rename = dialog(app_page, "rename")
        rename.get_by_label("Title").fill(f"{title} weekly")
        rename.get_by_role("button", name="Rename").click()
        renamed = library.locator(f'li[data-snippet="{title} weekly"]')
        expect_that(renamed).to_contain_text("v2")  # a new title is a new version
        expect_that(copy).to_have_count(0)

        # A folder with something in it is not deleted, and the panel says why.
        folder_item.focus()  # selects it (a click would also close it)
        library.locator('[data-action="delete"]').click()
        expect_that(library.locator('[data-field="library-notice"]')).to_contain_text(
            "Only an empty folder can be deleted"
        )
        expect_that(folder_item).to_be_visible()

        # A changed tab asks before it closes; saving from the question saves a version.
        type_sql(app_page, "SELECT SubscriberKey, BounceCategory FROM _Bounce")
        app_page.page.keyboard.press("Alt+w")
        unsaved = dialog(app_page, "unsaved")
        expect_that(unsaved).to_contain_text(f"“{title}” has changes that are not saved")
        unsaved.get_by_role("button", name="Cancel").click()
        expect_that(app.locator(f'.tab[data-tab-title="{title}"]')).to_have_count(1)
        app_page.page.keyboard.press("Alt+w")
        dialog(app_page, "unsaved").get_by_role("button", name="Save and close").click()
        expect_that(app.locator(f'.tab[data-tab-title="{title}"]')).to_have_count(0)

        # Opened again from the tree (Enter): the saved SQL, version 2.
        item.focus()
        app_page.page.keyboard.press("Enter")
        expect_that(app.locator(".tab.selected")).to_have_attribute("data-tab-title", title)
        expect_that(app.locator('[data-field="snippet-version"]')).to_have_text("snippet v2")
        assert editor_text(app_page) == "SELECT SubscriberKey, BounceCategory FROM _Bounce"

        # Saved elsewhere meanwhile (another window, through the API): this save is refused
        # with the conflict, and the SQL goes into a new snippet instead.
        moved_on = graphql(
            app_page,
            'mutation($id: ID!) { updateSnippet(input: {id: $id, sql: "SELECT 1",'
            " expectedVersion: 2}) { snippet { version } userErrors { code } } }",
            {"id": snippet_id(app_page, title)},
        )
        assert moved_on["updateSnippet"] == {"snippet": {"version": 3}, "userErrors": []}
        type_sql(app_page, "SELECT SubscriberKey FROM _Bounce WHERE BounceCategory = 'Hard'")
        app_page.page.keyboard.press("ControlOrMeta+s")
        conflict = dialog(app_page, "save-conflict")
        expect_that(conflict).to_contain_text("was changed elsewhere")
        conflict.get_by_role("button", name="Save as a new snippet").click()
        save_as = dialog(app_page, "save-as")
        expect_that(save_as).to_contain_text("changed since you opened it")
        save_as.get_by_label("Title").fill(f"{title} (hard)")
        save_as.get_by_role("button", name="Save").click()
        expect_that(app.locator(".tab.selected")).to_have_attribute(
            "data-tab-title", f"{title} (hard)"
        )
        assert graphql(
            app_page,
            "query($id: ID!) { snippet(id: $id) { sql version } }",
            {"id": snippet_id(app_page, title)},
        )["snippet"] == {"sql": "SELECT 1", "version": 3}  # the other save was kept

        # "?" opens the shortcuts when focus is not in a text field; in the editor it types.
        app.locator('[data-action="run"]').focus()
        app_page.page.keyboard.press("?")
        help_dialog = dialog(app_page, "shortcuts")
        expect_that(help_dialog).to_be_visible()
        expect_that(help_dialog.locator('[data-shortcut="save"]')).to_contain_text("Ctrl+S")
        expect_that(help_dialog.locator('[data-shortcut="run"]')).to_contain_text("Ctrl+Enter")
        expect_that(help_dialog.locator('[data-shortcut="openSnippets"]')).to_contain_text("Alt+S")
        assert axe_violations(app_page) == [], "the shortcuts help"
        app_page.screenshot("shortcuts-help")
        app_page.page.keyboard.press("Escape")
        expect_that(help_dialog).to_be_hidden()
        app.locator(".cm-content").click()
        app_page.page.keyboard.press("End")
        app_page.page.keyboard.press("?")
        expect_that(help_dialog).to_be_hidden()
        assert editor_text(app_page).endswith("'Hard'?")

        # Alt+N opens a tab, Alt+[ goes back to the previous one.
        tabs = app.locator('[role="tab"]')
        before = tabs.count()
        app_page.page.keyboard.press("Alt+n")
        expect_that(tabs).to_have_count(before + 1)
        app_page.page.keyboard.press("Alt+BracketLeft")
        expect_that(app.locator(".tab.selected")).to_have_attribute(
            "data-tab-title", f"{title} (hard)"
        )
        app_page.assert_clean("folders, closing, a conflict and the shortcuts")
