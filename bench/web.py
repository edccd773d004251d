"""The web app's figures, measured in a real browser (Debian's Chromium through Playwright)
against the whole stack (``python -m bench.web``; the last line is one JSON object).

- ``app_ready_ms``: navigation to an interactive editor (the app signed in, CodeMirror's
  content in the page), warm cache (the page reloaded after a first visit); median of 5.
- ``js_gzip_kb``: the initial JavaScript bundle (the one ``index.html`` loads), gzipped (-9).
- ``run_to_first_row_ms``: a click on Run to the first row painted (a MutationObserver, then
  the next animation frame), measured in the page; median over the runs.
  ``api_first_page_ms``: a script client's ``startRun`` of the same query to its first result
  page (``runEvents`` until COMPLETE, then ``runResults``), over HTTP and a websocket with an
  API token, alternating with the browser's runs; median. ``ui_overhead_ms`` is their difference.
- ``scroll_200k_dropped_frame_pct``: a 200,000-row result fully loaded, a script scrolls the
  grid from the first row to the last over 4 s; frames whose ``requestAnimationFrame``
  timestamps are more than 25 ms apart count as dropped.
- ``keystroke_to_diagnostic_ms_p95``: a keystroke that makes the SQL invalid to its inline
  diagnostic drawn (and one that fixes it to the diagnostic gone), 20 of each; the 95th
  percentile.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import re
import statistics
import tempfile
import time
import uuid
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import websockets
from playwright.sync_api import sync_playwright
from websockets.typing import Subprotocol

from app.migrate import migrate
from tests.conftest import drop_database, make_settings
from tests.e2e.web.conftest import build_web_app, running_web_stack
from tests.e2e.web.pages import framed_app, sign_in
from tests.e2e.web.test_editor import type_sql, wait_for_metadata
from tests.e2e.web.test_results import BIG, ROWS

ROOT = Path(__file__).resolve().parent.parent
DIST = ROOT / "web" / "app" / "dist"
RUN_SQL = "SELECT o.OrderID, o.SubscriberKey, o.OrderDate, o.Amount FROM Orders o"
RUNS = 5
KEYSTROKES = 20

# Timestamps the page records for the benchmark (an init script: it changes nothing in the app).
_PROBES = """
window.__bench = {clicks: [], firstRows: [], keys: [], lint: [], frames: []};
document.addEventListener("click", (e) => {
  if (e.target.closest && e.target.closest('[data-action="run"]')) {
    window.__bench.clicks.push(performance.now());
    const seen = () => {
      const cell = document.querySelector('[role=row][aria-rowindex="2"] [role=gridcell]');
      return cell && cell.getAttribute("aria-busy") !== "true";
    };
    const observer = new MutationObserver(() => {
      if (seen()) {
        observer.disconnect();
        requestAnimationFrame(() => window.__bench.firstRows.push(performance.now()));
      }
    });
    observer.observe(document.body, {childList: true, subtree: true});
  }
}, true);
document.addEventListener("keydown", () => window.__bench.keys.push(performance.now()), true);
new MutationObserver(() => {
  const count = document.querySelectorAll(".cm-lintRange-error").length;
  const last = window.__bench.lint[window.__bench.lint.length - 1];
  if (!last || last.count !== count) window.__bench.lint.push({count, at: performance.now()});
}).observe(document, {childList: true, subtree: true, attributes: true});
window.__bench.readyAt = null;
new MutationObserver((_, observer) => {
  if (!window.__bench.readyAt && document.querySelector(".cm-content")
      && document.getElementById("app")?.dataset.state === "signed-in") {
    window.__bench.readyAt = performance.now();
    observer.disconnect();
  }
}).observe(document, {childList: true, subtree: true, attributes: true});
"""

_SCROLL = """async (seconds) => {
  const grid = document.querySelector('[role=grid]');
  const max = grid.scrollHeight - grid.clientHeight;
  const stamps = [];
  await new Promise((done) => {
    let start = null;
    const step = (now) => {
      stamps.push(now);
      if (start === null) start = now;
      const t = Math.min(1, (now - start) / (seconds * 1000));
      grid.scrollTop = t * max;
      if (t < 1) requestAnimationFrame(step); else done();
    };
    requestAnimationFrame(step);
  });
  const gaps = stamps.slice(1).map((s, i) => s - stamps[i]);
  await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
  const last = document.querySelector('[role=row][aria-rowindex="%d"]');
  return {frames: gaps.length, dropped: gaps.filter((g) => g > 25).length,
          worst: Math.max(...gaps), lastShown: !!last};
}"""


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def js_gzip_kb() -> float:
    index = (DIST / "index.html").read_text()
    match = re.search(r'<script type="module" crossorigin src="/(assets/[^"]+\.js)"', index)
    assert match, "no module script in the built index.html"
    data = (DIST / match.group(1)).read_bytes()
    return round(len(gzip.compress(data, compresslevel=9)) / 1024, 1)


async def _api_first_page_ms(base: str, token: str, sql: str) -> float:
    """startRun over HTTP, then runEvents to COMPLETE and runResults' first page over a
    websocket (opened beforehand, as the app's is), with a bearer token."""
    url = base.replace("http", "ws") + "/api/graphql"
    async with websockets.connect(
        url, subprotocols=[Subprotocol("graphql-transport-ws")], max_size=2**24
    ) as ws:
        await ws.send(
            json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
        )
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        async with httpx.AsyncClient(base_url=base, timeout=60) as http:
            started = time.perf_counter()
            answer = await http.post(
                "/api/graphql",
                headers={"authorization": f"Bearer {token}"},
                json={
                    "query": "mutation ($sql: String!) { startRun(input: {sql: $sql})"
                    " { run { id } userErrors { message } } }",
                    "variables": {"sql": sql},
                },
            )
            run_id = answer.json()["data"]["startRun"]["run"]["id"]
            await ws.send(json.dumps({"id": "e", "type": "subscribe", "payload": {
                "query": "subscription ($id: ID!) { runEvents(runId: $id) { status } }",
                "variables": {"id": run_id}}}))  # fmt: skip
            while True:
                message = json.loads(await ws.recv())
                if (
                    message.get("id") == "e"
                    and message["type"] == "next"
                    and message["payload"]["data"]["runEvents"]["status"] == "COMPLETE"
                ):
                    break
            await ws.send(json.dumps({"id": "r", "type": "subscribe", "payload": {
                "query": "subscription ($id: ID!) { runResults(runId: $id, pageSize: 2500)"
                " { offset rows total last } }", "variables": {"id": run_id}}}))  # fmt: skip
            while True:
                message = json.loads(await ws.recv())
                if message.get("id") == "r" and message["type"] == "next":
                    return (time.perf_counter() - started) * 1000


def _in_thread(coroutine: Coroutine[Any, Any, float]) -> float:
    """Run ``coroutine`` on a loop of its own thread (Playwright's runs in this one)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def _create_token(frame: Any) -> str:
    token: str = frame.evaluate(
        """async () => {
          const s = await (await fetch('/api/auth/session')).json();
          const r = await fetch('/api/graphql', {method: 'POST', headers: {
            'content-type': 'application/json', 'x-csrf-token': s.csrfToken},
            body: JSON.stringify({query: 'mutation { createApiToken(input: {name: "bench",'
              + ' scope: READ_WRITE, expiresInDays: 1}) { token } }'})});
          return (await r.json()).data.createApiToken.token;
        }"""
    )
    return token


def measure(stack: Any) -> dict[str, float | bool]:
    figures: dict[str, float | bool] = {"js_gzip_kb": js_gzip_kb()}
    with sync_playwright() as playwright, framed_app(playwright, stack) as app_page:
        app_page.context.add_init_script(_PROBES)
        app_page.page.reload()
        sign_in(app_page)
        frame = app_page.frame
        wait_for_metadata(app_page)

        # Warm-cache readiness: reloads of the framed page.
        ready: list[float] = []
        for _ in range(RUNS):
            app_page.page.reload()
            app_page.frame.wait_for_function("() => window.__bench?.readyAt != null")
            ready.append(app_page.frame.evaluate("window.__bench.readyAt"))
        figures["app_ready_ms"] = round(statistics.median(ready), 1)
        frame = app_page.frame

        # Run to the first row painted, against the API's own first page.
        token = _create_token(frame)
        ui: list[float] = []
        api: list[float] = []
        for number in range(RUNS):
            sql = f"{RUN_SQL} WHERE o.OrderID > {number}"
            api.append(_in_thread(_api_first_page_ms(stack.app_url, token, sql + " AND 1 = 1")))
            type_sql(app_page, sql)
            before = frame.evaluate("window.__bench.firstRows.length")
            app_page.app.locator('[data-action="run"]').click()
            try:
                frame.wait_for_function(
                    f"() => window.__bench.firstRows.length > {before}", timeout=60_000
                )
            except Exception:
                status = app_page.app.locator('[data-field="run-status"]').inner_text()
                bench = frame.evaluate("JSON.stringify(window.__bench.clicks)")
                raise RuntimeError(f"no first row: status {status!r}, clicks {bench}") from None
            ui.append(frame.evaluate(
                "window.__bench.firstRows.at(-1) - window.__bench.clicks.at(-1)"))  # fmt: skip
        figures["run_to_first_row_ms"] = round(statistics.median(ui), 1)
        figures["api_first_page_ms"] = round(statistics.median(api), 1)
        figures["ui_overhead_ms"] = round(
            figures["run_to_first_row_ms"] - figures["api_first_page_ms"], 1
        )

        # Keystroke to diagnostic.
        type_sql(app_page, "SELECT o.OrderID FROM Orders o")
        app_page.page.wait_for_timeout(800)
        delays: list[float] = []
        for _ in range(KEYSTROKES):
            for key, want in (("x", 1), ("Backspace", 0)):
                before = frame.evaluate("window.__bench.keys.length")
                app_page.page.keyboard.press(key)
                frame.wait_for_function(
                    f"""() => {{ const l = window.__bench.lint.at(-1);
                        const k = window.__bench.keys[{before}];
                        return k !== undefined && l && l.count === {want} && l.at > k; }}""",
                    timeout=10_000,
                )
                delays.append(frame.evaluate(
                    f"window.__bench.lint.at(-1).at - window.__bench.keys[{before}]"))  # fmt: skip
        figures["keystroke_to_diagnostic_ms_p95"] = round(_percentile(delays, 0.95), 1)

        # Scrolling 200,000 rows.
        type_sql(app_page, BIG)
        app_page.app.locator('[data-action="run"]').click()
        app_page.app.locator('[data-field="row-count"]').filter(
            has_text=re.compile(rf"^{ROWS:,} rows$")
        ).wait_for(timeout=180_000)
        scroll = frame.evaluate(_SCROLL.replace("%d", str(ROWS + 1)), 4)
        figures["scroll_200k_frames"] = scroll["frames"]
        figures["scroll_200k_worst_frame_ms"] = round(scroll["worst"], 1)
        figures["scroll_200k_dropped_frame_pct"] = round(
            100 * scroll["dropped"] / scroll["frames"], 2
        )
        figures["scroll_200k_last_row_shown"] = bool(scroll["lastShown"])
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.web")
    parser.add_argument(
        "--no-build", action="store_true", help="measure web/app/dist as it is (no rebuild)"
    )
    if not parser.parse_args().no_build:
        build_web_app()
    name = f"quarry_bench_web_{uuid.uuid4().hex[:8]}"
    settings = make_settings(name)
    asyncio.run(migrate(settings))
    try:
        with (
            tempfile.TemporaryDirectory() as workdir,
            running_web_stack(settings, Path(workdir), seed=5_000_001) as stack,
        ):
            figures = measure(stack)
    finally:
        asyncio.run(drop_database(name))
    for key, value in figures.items():
        print(f"{key:34} {value}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
