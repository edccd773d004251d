"""/graphiql: our page and an allow-list of installed browser builds, or 404 when disabled.

The third-party files come from ``scripts/_browser.sh`` (``npm ci`` in web/graphiql), which
``scripts/test`` runs before pytest.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette

from app.graphiql import GRAPHIQL_CSP, GRAPHIQL_DIR, graphiql_routes
from app.settings import Settings
from tests.app.conftest import BASE_URL, client_for
from tests.app.html_parts import page_parts

pytestmark = pytest.mark.usefixtures("db")

THIRD_PARTY = ("react.production.min.js", "react-dom.production.min.js", "graphiql.min.js")


def _directives(csp: str) -> dict[str, str]:
    pairs = (d.strip().split(" ", 1) for d in csp.split(";") if d.strip())
    return {pair[0]: pair[1] if len(pair) > 1 else "" for pair in pairs}


async def test_page_is_html_without_inline_code_and_loads_only_our_assets(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/graphiql")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-store"
    parts = page_parts(response.text)
    assert parts.inline == []
    assert parts.script_srcs == [
        *(f"/graphiql/assets/{name}" for name in THIRD_PARTY),
        "/graphiql/assets/boot.js",  # ours, last: it needs the three before it
    ]
    assert parts.stylesheets == ["/graphiql/assets/graphiql.min.css", "/graphiql/assets/page.css"]
    for url in [*parts.script_srcs, *parts.stylesheets]:
        asset = await client.get(url)
        assert asset.status_code == 200, url
        kind = "text/javascript" if url.endswith(".js") else "text/css"
        assert asset.headers["content-type"].startswith(kind), url
        assert asset.headers["x-content-type-options"] == "nosniff"


async def test_page_csp_relaxes_only_fonts_and_one_style_hash(client: httpx.AsyncClient) -> None:
    """Everything else is the app's default policy; nothing may frame the console."""
    page = _directives((await client.get("/graphiql")).headers["content-security-policy"])
    default = _directives((await client.get("/")).headers["content-security-policy"])
    assert page == _directives(GRAPHIQL_CSP)
    assert page.pop("font-src") == "'self' data:"
    assert "font-src" not in default
    assert page.pop("frame-ancestors") == "'none'"
    assert default.pop("frame-ancestors").startswith("'self' https://")
    style, style_hash = page.pop("style-src").split(" ")
    app_style, app_nonce = default.pop("style-src").split(" ")
    assert style == app_style == "'self'"
    assert style_hash.startswith("'sha256-")
    assert app_nonce.startswith("'nonce-")  # the app's page: a nonce per response
    assert page == default
    assert "unsafe" not in GRAPHIQL_CSP and "*" not in GRAPHIQL_CSP


async def test_assets_are_the_installed_builds(client: httpx.AsyncClient) -> None:
    graphiql = await client.get("/graphiql/assets/graphiql.min.js")
    assert "window.GraphiQL" in graphiql.text
    react = await client.get("/graphiql/assets/react.production.min.js")
    assert "React" in react.text and len(react.content) > 5_000
    css = await client.get("/graphiql/assets/graphiql.min.css")
    assert ".graphiql-container" in css.text
    boot = await client.get("/graphiql/assets/boot.js")
    assert boot.text == (GRAPHIQL_DIR / "boot.js").read_text()


async def test_assets_are_revalidated_and_unchanged_ones_answer_304(
    client: httpx.AsyncClient,
) -> None:
    first = await client.get("/graphiql/assets/graphiql.min.js")
    assert first.headers["cache-control"] == "no-cache"
    etag = first.headers["etag"]
    again = await client.get(
        "/graphiql/assets/graphiql.min.js", headers={"if-none-match": f'W/{etag}, "other"'}
    )
    assert again.status_code == 304
    assert again.content == b""
    changed = await client.get(
        "/graphiql/assets/graphiql.min.js", headers={"if-none-match": '"stale"'}
    )
    assert changed.status_code == 200 and changed.content == first.content


@pytest.mark.parametrize(
    "path",
    [
        "/graphiql/assets/package.json",
        "/graphiql/assets/index.html",
        "/graphiql/assets/graphiql.min.js.map",
        "/graphiql/assets/..%2Fpackage.json",
        "/graphiql/assets/..%2F..%2F..%2Fpyproject.toml",
        "/graphiql/assets/",
        "/graphiql/node_modules/react/package.json",
        "/graphiql/boot.js",
        "/graphiql/",
    ],
)
async def test_nothing_outside_the_allow_list_is_served(
    client: httpx.AsyncClient, path: str
) -> None:
    response = await client.get(path)
    assert response.status_code == 404
    assert 'data-app="quarry"' not in response.text  # not the SPA's fallback either
    assert "[project]" not in response.text and '"name"' not in response.text


@pytest.mark.parametrize("path", ["/graphiql", "/graphiql/assets/graphiql.min.js"])
async def test_disabled_graphiql_is_404_not_the_spa(db: Settings, path: str) -> None:
    async with client_for(replace(db, graphiql_enabled=False)) as http:
        response = await http.get(path)
    assert response.status_code == 404
    assert 'data-app="quarry"' not in response.text
    assert "GraphiQL" not in response.text


async def test_missing_builds_answer_503_with_how_to_install(tmp_path: Path) -> None:
    """A server whose builds were never installed says so instead of a blank page."""
    (tmp_path / "index.html").write_text((GRAPHIQL_DIR / "index.html").read_text())
    app = Starlette(routes=graphiql_routes(enabled=True, directory=tmp_path))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as http:
        page = await http.get("/graphiql")
        asset = await http.get("/graphiql/assets/graphiql.min.js")
    assert page.status_code == 503
    assert "npm ci" in page.text
    assert asset.status_code == 404
