"""The SPA shell: index.html marked for development sign-in, and scripts that keep the CSP.

What the shell does in a browser (sign in, switch BU, sign out) is tested by
tests/e2e/test_browser_signin.py.
"""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount

from app.spa import DEV_SIGN_IN_META, SIGN_IN_META, SpaFiles, spa_directory
from tests.app.conftest import BASE_URL
from tests.app.html_parts import page_parts

pytestmark = pytest.mark.usefixtures("db")

WEB = Path(__file__).resolve().parents[2] / "web"


def _spa_client(*, dev_sign_in: bool) -> httpx.AsyncClient:
    app = Starlette(
        routes=[Mount("/", SpaFiles(directory=spa_directory(), dev_sign_in=dev_sign_in))]
    )
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL)


@pytest.mark.parametrize("path", ["/", "/index.html", "/runs/123/results"])
async def test_outside_production_index_offers_development_sign_in(
    client: httpx.AsyncClient, path: str
) -> None:
    response = await client.get(path)
    assert response.status_code == 200
    assert DEV_SIGN_IN_META in response.text
    assert SIGN_IN_META not in response.text
    assert response.headers["cache-control"] == "no-cache"


@pytest.mark.parametrize("path", ["/", "/index.html", "/runs/123/results"])
async def test_production_index_keeps_the_mce_marker(path: str) -> None:
    async with _spa_client(dev_sign_in=False) as http:
        response = await http.get(path)
    assert response.status_code == 200
    assert SIGN_IN_META in response.text
    assert DEV_SIGN_IN_META not in response.text


async def test_index_has_no_inline_code_and_loads_app_js_as_a_module(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/")
    parts = page_parts(response.text)
    assert parts.inline == []
    assert parts.script_srcs == ["/app.js"]
    assert '<script type="module" src="/app.js">' in response.text
    script = await client.get("/app.js")
    assert script.status_code == 200
    assert "javascript" in script.headers["content-type"]
    assert script.text == (WEB / "public" / "app.js").read_text()


async def test_other_files_are_served_unchanged(client: httpx.AsyncClient) -> None:
    response = await client.get("/app.css")
    assert response.text == (WEB / "public" / "app.css").read_text()


async def test_non_get_is_refused_not_answered_with_the_page(client: httpx.AsyncClient) -> None:
    response = await client.post("/runs/1")
    assert response.status_code == 405
    assert "quarry-sign-in" not in response.text


# Sinks that parse strings as HTML or code: our scripts put API data into the page as text only.
_UNSAFE_SINKS = re.compile(
    r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function|"
    r"setTimeout\(\s*['\"`]|\.setAttribute\(\s*['\"](?:on|style)"
)


@pytest.mark.parametrize("script", ["public/app.js", "graphiql/boot.js"])
def test_our_scripts_never_write_html_or_evaluate_strings(script: str) -> None:
    source = (WEB / script).read_text()
    assert _UNSAFE_SINKS.findall(source) == []
