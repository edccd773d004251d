"""Serve the single-page app: real files when they exist, ``index.html`` for deep links.

The app is built by ``scripts/_web.sh`` into ``web/app/dist`` (never committed); until it is,
the placeholder in ``web/public`` is served. ``index.html`` is answered with a fresh CSP nonce
in every response: CodeMirror (and anything else that inserts ``<style>`` elements) needs one
under a policy without ``'unsafe-inline'``. The build marks every place for it with
``QUARRY_CSP_NONCE`` (Vite's ``html.cspNonce``); the response's own ``Content-Security-Policy``
adds that nonce to ``style-src`` only: scripts stay ``'self'``, with no nonce and no inline code.
Hashed files under ``/assets/`` never change, so browsers may keep them for a year.

``index.html`` carries ``<meta name="quarry-sign-in" content="mce">``: users open Quarry from
Marketing Cloud's app switcher, which starts the sign-in. Outside production there is no real
MCE to start it, so the page is served with ``content="development"`` and the app offers a
"Sign in" link to ``/api/auth/login`` (the simulator then approves). No other data is put into
the page: everything else the app learns from the API.

An OAuth answer that lands on the app root (``/?code=...&state=...``) is sent on to the
callback: REFERENCE §1.1 reports MCE redirecting there in some environments [3rd-party].
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from urllib.parse import parse_qs

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.staticfiles import PathLike, StaticFiles
from starlette.types import Scope

WEB_ROOT = Path(__file__).resolve().parent.parent / "web"
SIGN_IN_META = '<meta name="quarry-sign-in" content="mce">'
DEV_SIGN_IN_META = '<meta name="quarry-sign-in" content="development">'
NONCE_PLACEHOLDER = "QUARRY_CSP_NONCE"
STYLE_SRC = "style-src 'self'"
IMMUTABLE = "public, max-age=31536000, immutable"


def spa_directory() -> Path:
    """The built app (``web/app/dist``) when present, else the placeholder (``web/public``)."""
    dist = WEB_ROOT / "app" / "dist"
    return dist if (dist / "index.html").exists() else WEB_ROOT / "public"


def with_style_nonce(csp: str, nonce: str) -> str:
    """``csp`` whose ``style-src`` also admits elements carrying ``nonce``."""
    if STYLE_SRC not in csp:
        raise ValueError("the policy has no style-src 'self' to extend")
    return csp.replace(STYLE_SRC, f"{STYLE_SRC} 'nonce-{nonce}'", 1)


class SpaFiles(StaticFiles):
    """StaticFiles that falls back to ``index.html`` so client-side routes deep-link.

    ``dev_sign_in`` marks ``index.html`` so the app shows its development-only sign-in link;
    ``csp`` is the policy every response carries, extended per response with a style nonce.
    """

    def __init__(self, *, directory: Path, csp: str, dev_sign_in: bool = False) -> None:
        super().__init__(directory=directory, html=True)
        self.root = Path(directory).resolve()
        self.index = self.root / "index.html"
        self.assets = self.root / "assets"
        self.csp = csp
        self.dev_sign_in = dev_sign_in

    async def get_response(self, path: str, scope: Scope) -> Response:
        if path in ("", ".", "index.html"):
            query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
            if "state" in query and ("code" in query or "error" in query):
                target = "/api/auth/callback?" + scope["query_string"].decode("latin-1")
                return RedirectResponse(target, status_code=302)
        try:
            return await super().get_response(path, scope)
        except HTTPException as exc:
            if exc.status_code != 404:
                raise
            return self.index_response()

    def file_response(
        self,
        full_path: PathLike,
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        resolved = Path(full_path).resolve()
        if resolved == self.index:
            return self.index_response()
        response = super().file_response(full_path, stat_result, scope, status_code)
        if resolved.parent == self.assets:
            response.headers["cache-control"] = IMMUTABLE
        return response

    def index_response(self) -> Response:
        """``index.html`` with a fresh style nonce, marked for development sign-in when
        enabled; never cached (each copy's nonce is its own)."""
        page = self.index.read_text(encoding="utf-8")
        if self.dev_sign_in:
            page = page.replace(SIGN_IN_META, DEV_SIGN_IN_META, 1)
        nonce = secrets.token_urlsafe(18)
        page = page.replace(NONCE_PLACEHOLDER, nonce)
        return HTMLResponse(
            page,
            headers={
                "cache-control": "no-store",
                "content-security-policy": with_style_nonce(self.csp, nonce),
            },
        )


async def api_not_found(request: Request) -> Response:
    return JSONResponse(
        {"error": {"code": "NOT_FOUND", "message": f"No API route {request.url.path}"}},
        status_code=404,
    )
