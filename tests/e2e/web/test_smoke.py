"""The built app, served with a per-response style nonce, signs in inside the stand-in MCE
page and shows the workbench with no CSP violation and no console error."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import Playwright
from playwright.sync_api import expect as expect_that

from tests.e2e.web.conftest import WebStack
from tests.e2e.web.pages import framed_app, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_the_built_app_is_served_with_a_fresh_style_nonce(web_stack: WebStack) -> None:
    first = httpx.get(f"{web_stack.app_url}/")
    second = httpx.get(f"{web_stack.app_url}/")
    nonces = []
    for response in (first, second):
        policy = response.headers["content-security-policy"]
        match = re.search(r"style-src 'self' 'nonce-([\w-]+)';", policy)
        assert match, policy
        nonces.append(match.group(1))
        assert f'<meta property="csp-nonce" nonce="{match.group(1)}">' in response.text
        script = r'<script type="module" crossorigin src="/assets/[\w-]+\.js"'
        assert re.search(script, response.text)
        assert "unsafe" not in policy and "script-src 'self';" in policy
    assert nonces[0] != nonces[1]


def test_sign_in_inside_the_framed_page_opens_the_workbench(
    browser: Playwright, web_stack: WebStack
) -> None:
    with framed_app(browser, web_stack) as app_page:
        sign_in(app_page)
        app = app_page.app
        expect_that(app.locator('[data-field="user-name"]')).to_have_text("ada.admin")
        expect_that(app.locator("#business-unit-select")).to_be_visible()
        assert app_page.page.url.rstrip("/") == web_stack.mce_url  # the top page never moved
        app_page.assert_clean("the signed-in workbench")
