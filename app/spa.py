"""Serve the single-page app: real files when they exist, ``index.html`` for deep links."""

from __future__ import annotations

from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.staticfiles import StaticFiles

WEB_ROOT = Path(__file__).resolve().parent.parent / "web"


def spa_directory() -> Path:
    """The built app (``web/dist``) when present, else the placeholder (``web/public``)."""
    dist = WEB_ROOT / "dist"
    return dist if (dist / "index.html").exists() else WEB_ROOT / "public"


class SpaFiles(StaticFiles):
    """StaticFiles that falls back to ``index.html`` so client-side routes deep-link."""

    async def get_response(self, path: str, scope: dict) -> Response:  # type: ignore[override]
        try:
            return await super().get_response(path, scope)
        except HTTPException as exc:
            if exc.status_code != 404:
                raise
            return FileResponse(Path(str(self.directory)) / "index.html", media_type="text/html")


async def api_not_found(request: Request) -> Response:
    from starlette.responses import JSONResponse

    return JSONResponse(
        {"error": {"code": "NOT_FOUND", "message": f"No API route {request.url.path}"}},
        status_code=404,
    )
