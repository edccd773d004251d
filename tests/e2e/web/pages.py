"""Opening the app the way people do: the stand-in MCE page frames it, sign-in runs in the
frame; every frame is watched for CSP violations, console errors and uncaught exceptions."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import (
    BrowserContext,
    ConsoleMessage,
    Frame,
    FrameLocator,
    Page,
    Playwright,
    ViewportSize,
)
from playwright.sync_api import expect as expect_that

from tests.e2e.web.conftest import CHROMIUM, SCREENSHOTS, WebStack

#: A person's Chromium profile: third-party cookies and storage allowed, as Chrome's own
#: default has them. (Chromium's default here blocks them, which private windows also do;
#: then the app keeps its tabs for the page only. The session cookie is partitioned either way.)
PROFILE_PREFERENCES = {"profile": {"cookie_controls_mode": 0, "block_third_party_cookies": False}}

TIMEOUT_MS = 20_000
VIEWPORT: ViewportSize = {"width": 1280, "height": 800}

# Records CSP violations as the browser reports them, in every frame, before any page script;
# and what the last copy put on the clipboard (the app sets it in the copy event).
_WATCH_CSP = """
window.__cspViolations = [];
window.__copied = null;
document.addEventListener("copy", (event) => {
  window.__copied = event.clipboardData ? event.clipboardData.getData("text/plain") : null;
});
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.effectiveDirective} blocked ${event.blockedURI}`);
});
"""


@dataclass
class AppPage:
    """The framing page, the app's frame, and what they reported."""

    context: BrowserContext
    page: Page
    stack: WebStack
    errors: list[str] = field(default_factory=list)
    allowed_errors: list[str] = field(default_factory=list)

    @property
    def app(self) -> FrameLocator:
        return self.page.frame_locator("#quarry")

    @property
    def frame(self) -> Frame:
        for frame in self.page.frames:
            if frame.url.startswith(self.stack.app_url):
                return frame
        raise AssertionError(f"no app frame among {[f.url for f in self.page.frames]}")

    def csp_violations(self) -> list[str]:
        recorded: list[str] = []
        for frame in self.page.frames:
            recorded += frame.evaluate("window.__cspViolations || []")
        return recorded + [e for e in self.errors if "Content Security Policy" in e]

    def assert_clean(self, where: str) -> None:
        assert self.csp_violations() == [], f"CSP violations on {where}"
        unexpected = [
            e for e in self.errors if not any(allowed in e for allowed in self.allowed_errors)
        ]
        assert unexpected == [], f"console errors on {where}: " + " | ".join(
            error[:600] for error in unexpected
        )

    def screenshot(self, name: str) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def _watch(page: Page, errors: list[str]) -> None:
    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(f"console: {message.text}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: errors.append(f"pageerror: {error}"))


@contextmanager
def framed_app(
    browser: Playwright, stack: WebStack, *, viewport: ViewportSize | None = None
) -> Iterator[AppPage]:
    """A fresh Chromium profile on the stand-in MCE page (signed out)."""
    with tempfile.TemporaryDirectory(prefix="quarry-chromium-") as profile:
        (Path(profile) / "Default").mkdir()
        (Path(profile) / "Default" / "Preferences").write_text(json.dumps(PROFILE_PREFERENCES))
        context = browser.chromium.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            headless=True,
            ignore_https_errors=True,
            viewport=viewport or VIEWPORT,
            accept_downloads=True,
        )
        with _opened(context, stack) as app_page:
            yield app_page


@contextmanager
def _opened(context: BrowserContext, stack: WebStack) -> Iterator[AppPage]:
    context.set_default_timeout(TIMEOUT_MS)
    context.add_init_script(_WATCH_CSP)
    try:
        page = context.pages[0] if context.pages else context.new_page()
        app_page = AppPage(context=context, page=page, stack=stack)
        _watch(page, app_page.errors)
        page.goto(stack.mce_url)
        yield app_page
    finally:
        context.close()


def sign_in(app_page: AppPage) -> None:
    """Through the development sign-in link, inside the frame; ends on the workbench."""
    root = app_page.app.locator("#app")
    expect_that(root).to_have_attribute("data-state", "signed-out", timeout=TIMEOUT_MS)
    app_page.app.locator("#sign-in").click()
    expect_that(root).to_have_attribute("data-state", "signed-in", timeout=TIMEOUT_MS)


@contextmanager
def signed_in_app(
    browser: Playwright, stack: WebStack, *, viewport: ViewportSize | None = None
) -> Iterator[AppPage]:
    with framed_app(browser, stack, viewport=viewport) as app_page:
        sign_in(app_page)
        yield app_page
