"""GraphiQL for support staff, served from our own copies of its browser builds.

Why it is served this way:

* The CSP allows scripts and styles from our own origin only, with no inline code, and the
  machines Quarry runs on may have no internet: strawberry's built-in page loads GraphiQL from a
  CDN, so it is off (``graphql_ide=None``) and this module serves the page instead. The third-party
  files (GraphiQL, React, ReactDOM) are installed by ``scripts/_browser.sh`` from
  ``web/graphiql/package-lock.json`` into the gitignored ``web/graphiql/node_modules``; our own
  files (the page, its stylesheet and ``boot.js``, which builds the fetcher) sit beside it.
* Only an explicit allow-list of files is served, never a directory: ``node_modules`` holds much
  more than the four files the page needs (sources, maps, package metadata).
* The page's response (and only it) relaxes the CSP in two narrow ways. ``font-src 'self' data:``:
  GraphiQL's stylesheet embeds its fonts as ``data:`` URLs, which the default policy (fonts from
  ``'self'``) refuses with a console error per font; fonts cannot run code. And one style hash:
  GraphiQL's dialogs (settings, shortcuts) lock page scrolling by inserting a ``<style>`` element
  (react-remove-scroll-bar); its text is fixed on this page (no page scrollbar, no body margin,
  so every gap it computes is 0), so the hash admits exactly that stylesheet and no other inline
  style. The e2e browser test opens a dialog and checks the hash against the inserted text.
  The page also refuses every frame ancestor: support use it as a top-level page, and a console
  that runs mutations with the visitor's session must not be clickjackable.
* Off unless ``settings.graphiql_enabled`` (off in production by default): then every
  ``/graphiql`` path answers 404 instead of falling through to the SPA's ``index.html``.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

__all__ = ["GRAPHIQL_CSP", "GRAPHIQL_DIR", "SCROLL_LOCK_STYLE_HASH", "graphiql_routes"]

GRAPHIQL_DIR = Path(__file__).resolve().parent.parent / "web" / "graphiql"

# sha256 of the scroll-lock stylesheet GraphiQL's dialogs insert (see the module docstring).
SCROLL_LOCK_STYLE_HASH = "sha256-Y/huXlwoYkVyQlxwSVcCi1RCDGDCSVBzDt0hYP9qlTc="
# The default policy (app/middleware.py) plus data: fonts and that one stylesheet, with no
# frame ancestor at all.
GRAPHIQL_CSP = (
    "default-src 'self'; script-src 'self';"
    f" style-src 'self' '{SCROLL_LOCK_STYLE_HASH}'; img-src 'self' data:;"
    " font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none';"
    " form-action 'self'; frame-ancestors 'none'"
)

_JS = "text/javascript; charset=utf-8"
_CSS = "text/css; charset=utf-8"
_NOT_INSTALLED = (
    "GraphiQL's browser builds are not installed on this server. "
    "Run ./scripts/dev (or: cd web/graphiql && npm ci).\n"
)

logger = logging.getLogger("quarry.graphiql")


@dataclass(frozen=True, slots=True)
class _Asset:
    relative_path: str
    media_type: str
    third_party: bool


# URL name under /graphiql/assets/ -> file under the GraphiQL directory; index.html names these.
_ASSETS: dict[str, _Asset] = {
    "react.production.min.js": _Asset("node_modules/react/umd/react.production.min.js", _JS, True),
    "react-dom.production.min.js": _Asset(
        "node_modules/react-dom/umd/react-dom.production.min.js", _JS, True
    ),
    "graphiql.min.js": _Asset("node_modules/graphiql/graphiql.min.js", _JS, True),
    "graphiql.min.css": _Asset("node_modules/graphiql/graphiql.min.css", _CSS, True),
    "boot.js": _Asset("boot.js", _JS, False),
    "page.css": _Asset("page.css", _CSS, False),
}


class _GraphiQLFiles:
    """The page and its allow-listed assets, read from ``directory``."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def installed(self) -> bool:
        """Whether every third-party file the page loads is on disk."""
        return all(
            (self.directory / asset.relative_path).is_file()
            for asset in _ASSETS.values()
            if asset.third_party
        )

    async def page(self, request: Request) -> Response:
        if not self.installed():
            return PlainTextResponse(_NOT_INSTALLED, status_code=503)
        return FileResponse(
            self.directory / "index.html",
            media_type="text/html; charset=utf-8",
            headers={"content-security-policy": GRAPHIQL_CSP, "cache-control": "no-store"},
        )

    async def asset(self, request: Request) -> Response:
        asset = _ASSETS.get(request.path_params["name"])
        path = self.directory / asset.relative_path if asset else None
        if asset is None or path is None or not path.is_file():
            return _not_found_response()
        # Revalidated on every load (the files change when the lock does); 304 when unchanged.
        response = FileResponse(
            path,
            media_type=asset.media_type,
            stat_result=os.stat(path),
            headers={"cache-control": "no-cache"},
        )
        etag = response.headers["etag"]
        if etag in _if_none_match(request):
            return Response(status_code=304, headers={"etag": etag, "cache-control": "no-cache"})
        return response


def _if_none_match(request: Request) -> set[str]:
    header = request.headers.get("if-none-match", "")
    return {tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()}


def _not_found_response() -> Response:
    return PlainTextResponse("Not Found", status_code=404)


async def _not_found(request: Request) -> Response:
    return _not_found_response()


def graphiql_routes(*, enabled: bool, directory: Path = GRAPHIQL_DIR) -> list[BaseRoute]:
    """The ``/graphiql`` routes: the page and its assets, or 404s when disabled.

    Mount them before the SPA's catch-all, which would otherwise answer ``/graphiql``.
    ``directory`` holds ``index.html``, our files and ``node_modules``.
    """
    catch_all: list[BaseRoute] = [
        Route("/graphiql", _not_found, methods=["GET"]),
        Route("/graphiql/{rest:path}", _not_found, methods=["GET"]),
    ]
    if not enabled:
        return catch_all
    files = _GraphiQLFiles(directory)
    if not files.installed():
        logger.warning("GraphiQL is enabled but its browser builds are not installed")
    return [
        Route("/graphiql", files.page, methods=["GET"]),
        Route("/graphiql/assets/{name}", files.asset, methods=["GET"]),
        *catch_all[1:],
    ]
