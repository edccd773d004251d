"""The few HTML pages the sign-in routes answer with (no script, no inline style: the CSP
forbids both). Every dynamic value is escaped."""

from __future__ import annotations

import html

from starlette.responses import HTMLResponse

__all__ = ["refusal_page"]


def refusal_page(message: str, *, request_id: str, status: int = 400) -> HTMLResponse:
    """A sign-in was refused: say why, what to do, and the id to quote to support."""
    body = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        "<title>Quarry: sign-in refused</title><link rel='stylesheet' href='/app.css'></head>"
        "<body><main id='app' data-app='quarry' data-page='sign-in-refused'>"
        "<h1>Sign-in refused</h1>"
        f"<p class='message'>{html.escape(message)}</p>"
        "<p>Open Quarry again from Marketing Cloud's app switcher. If this keeps happening,"
        f" contact support and quote request <code>{html.escape(request_id)}</code>.</p>"
        "</main></body></html>"
    )
    return HTMLResponse(body, status_code=status, headers={"cache-control": "no-store"})
