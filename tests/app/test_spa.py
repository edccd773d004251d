"""The SPA shell: index.html with a fresh CSP style nonce per response, marked for development
sign-in, hashed assets cached for good, and sources that keep the CSP.

A built-app-shaped directory is made per test (an ``index.html`` as Vite writes it with
``html.cspNonce``), so these tests do not depend on whether ``web/app`` was built; what the
real app does in a browser is tested by tests/e2e/web/.
"""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount

from app.spa import (
    DEV_SIGN_IN_META,
    NONCE_PLACEHOLDER,
    SIGN_IN_META,
    SpaFiles,
    with_style_nonce,
)
from tests.app.conftest import BASE_URL
from tests.app.html_parts import page_parts

pytestmark = pytest.mark.usefixtures("db")

WEB = Path(__file__).resolve().parents[2] / "web"
BASE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
    " connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self';"
    " frame-ancestors 'self' https://mc.example"
)
BUILT_INDEX = f"""<!doctype html>
<html lang="en"><head>
  {SIGN_IN_META}
  <meta property="csp-nonce" nonce="{NONCE_PLACEHOLDER}">
  <script type="module" crossorigin src="/assets/index-abc.js" nonce="{NONCE_PLACEHOLDER}"></script>
  <link rel="stylesheet" crossorigin href="/assets/index-abc.css" nonce="{NONCE_PLACEHOLDER}">
</head><body><div id="app" data-app="quarry"></div></body></html>
"""


@pytest.fixture
def built(tmp_path: Path) -> Path:
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text(BUILT_INDEX)
    (tmp_path / "assets" / "index-abc.js").write_text("export {};\n")
    (tmp_path / "assets" / "index-abc.css").write_text("body{}\n")
    (tmp_path / "robots.txt").write_text("User-agent: *\n")
    return tmp_path


def _spa_client(directory: Path, *, dev_sign_in: bool) -> httpx.AsyncClient:
    files = SpaFiles(directory=directory, csp=BASE_CSP, dev_sign_in=dev_sign_in)
    app = Starlette(routes=[Mount("/", files)])
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL)


def _nonce(response: httpx.Response) -> str:
    match = re.search(r"style-src 'self' 'nonce-([A-Za-z0-9_-]+)';", response.headers["csp"])
    assert match, response.headers["csp"]
    return match.group(1)


@pytest.mark.parametrize("path", ["/", "/index.html", "/runs/123/results"])
async def test_every_index_response_has_its_own_style_nonce(built: Path, path: str) -> None:
    async with _spa_client(built, dev_sign_in=False) as http:
        first, second = await http.get(path), await http.get(path)
    for response in (first, second):
        assert response.status_code == 200
        response.headers["csp"] = response.headers["content-security-policy"]
        nonce = _nonce(response)
        assert len(nonce) >= 22
        assert NONCE_PLACEHOLDER not in response.text
        assert response.text.count(f'nonce="{nonce}"') == 3
        assert response.headers["cache-control"] == "no-store"
        # Scripts stay our own files only: no nonce, no inline code, no eval.
        policy = response.headers["csp"]
        assert "script-src 'self';" in policy
        assert "unsafe" not in policy
        assert "frame-ancestors 'self' https://mc.example" in policy
    first.headers["csp"] = first.headers["content-security-policy"]
    second.headers["csp"] = second.headers["content-security-policy"]
    assert _nonce(first) != _nonce(second)


async def test_development_marks_index_for_its_sign_in_link(built: Path) -> None:
    async with _spa_client(built, dev_sign_in=True) as http:
        response = await http.get("/deep/link")
    assert DEV_SIGN_IN_META in response.text
    assert SIGN_IN_META not in response.text
    async with _spa_client(built, dev_sign_in=False) as http:
        response = await http.get("/")
    assert SIGN_IN_META in response.text


async def test_hashed_assets_are_cached_for_good_other_files_revalidated(built: Path) -> None:
    async with _spa_client(built, dev_sign_in=False) as http:
        script = await http.get("/assets/index-abc.js")
        robots = await http.get("/robots.txt")
    assert script.status_code == 200
    assert "javascript" in script.headers["content-type"]
    assert script.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert robots.text == "User-agent: *\n"
    assert "immutable" not in robots.headers.get("cache-control", "")


def test_the_nonce_is_added_to_style_src_only() -> None:
    assert with_style_nonce(BASE_CSP, "n0nce") == BASE_CSP.replace(
        "style-src 'self';", "style-src 'self' 'nonce-n0nce';"
    )
    with pytest.raises(ValueError, match="style-src"):
        with_style_nonce("default-src 'self'", "n0nce")


async def test_the_served_index_comes_with_the_apps_policy(client: httpx.AsyncClient) -> None:
    """Through the real app (built or placeholder): the page's CSP is the app's, plus a nonce."""
    response = await client.get("/")
    policy = response.headers["content-security-policy"]
    assert re.search(r"style-src 'self' 'nonce-[A-Za-z0-9_-]+';", policy)
    assert "script-src 'self';" in policy and "unsafe" not in policy


async def test_non_get_is_refused_not_answered_with_the_page(client: httpx.AsyncClient) -> None:
    response = await client.post("/runs/1")
    assert response.status_code == 405
    assert "quarry-sign-in" not in response.text


def test_the_app_source_page_has_no_inline_code() -> None:
    parts = page_parts((WEB / "app" / "index.html").read_text())
    assert parts.inline == []
    assert parts.script_srcs == ["/src/main.tsx"]


# Sinks that parse strings as HTML or code: our scripts put API data into the page as text only.
_UNSAFE_SINKS = re.compile(
    r"innerHTML|outerHTML|insertAdjacentHTML|dangerouslySetInnerHTML|document\.write|\beval\(|"
    r"new Function|setTimeout\(\s*['\"`]|\.setAttribute\(\s*['\"](?:on|style)"
)
_SOURCES = sorted(
    [
        *(WEB / "app" / "src").rglob("*.ts"),
        *(WEB / "app" / "src").rglob("*.tsx"),
        WEB / "public" / "app.js",
        WEB / "graphiql" / "boot.js",
    ]
)


@pytest.mark.parametrize(
    "script",
    [p for p in _SOURCES if "gql" not in p.relative_to(WEB).parts],
    ids=lambda p: str(p.relative_to(WEB)),
)
def test_our_scripts_never_write_html_or_evaluate_strings(script: Path) -> None:
    assert _UNSAFE_SINKS.findall(script.read_text()) == []
