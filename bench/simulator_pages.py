"""Rowset page speed of the MCE simulator over real HTTP (prints figures, asserts nothing).

Usage: ``.venv/bin/python -m bench.simulator_pages [--rounds N] [--page-size N]``

Serves a fresh seed-1 simulator with uvicorn on a free port, takes a
client_credentials token, then reads the 6,000-row ``Orders`` DE page by page
(first page by key, the rest through the request token) and prints milliseconds
per page. Also times building the ``large`` seed (10,000 DEs, 150,000 fields).
"""

from __future__ import annotations

import argparse
import socket
import statistics
import threading
import time

import httpx
import uvicorn

from simulator.app import create_app
from simulator.state import Simulator, SimulatorConfig


def _serve(sim: Simulator) -> tuple[uvicorn.Server, threading.Thread, str]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    url = f"http://127.0.0.1:{sock.getsockname()[1]}/"
    server = uvicorn.Server(uvicorn.Config(create_app(sim), log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    return server, thread, url


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--page-size", type=int, default=2500)
    args = parser.parse_args()

    sim = Simulator(SimulatorConfig(seed=1))
    server, thread, url = _serve(sim)
    package = sim.enhanced_package
    first_ms: list[float] = []
    next_ms: list[float] = []
    baseline_ms: list[float] = []
    rows = 0
    with httpx.Client(base_url=url, timeout=30) as client:
        token = client.post(
            "v2/token",
            json={
                "grant_type": "client_credentials",
                "client_id": package.client_id,
                "client_secret": package.client_secret,
            },
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        for _ in range(args.rounds * 2):  # baseline: the smallest authenticated REST call
            started = time.perf_counter()
            client.get("platform/v1/endpoints/soap", headers=headers).raise_for_status()
            baseline_ms.append((time.perf_counter() - started) * 1000)
        for _ in range(args.rounds):
            started = time.perf_counter()
            page = client.get(
                "data/v1/customobjectdata/key/Orders/rowset",
                params={"$pageSize": args.page_size},
                headers=headers,
            ).json()
            first_ms.append((time.perf_counter() - started) * 1000)
            rows = len(page["items"])
            while "next" in page["links"]:
                started = time.perf_counter()
                page = client.get("data" + page["links"]["next"], headers=headers).json()
                next_ms.append((time.perf_counter() - started) * 1000)
    server.should_exit = True
    thread.join()

    def show(label: str, values: list[float]) -> None:
        ordered = sorted(values)
        p95 = ordered[max(int(len(ordered) * 0.95) - 1, 0)]
        print(
            f"{label:<28} n={len(values):<4} median={statistics.median(values):7.1f} ms  "
            f"p95={p95:7.1f} ms  max={ordered[-1]:7.1f} ms"
        )

    print(f"rowset pages of {args.page_size} rows ({rows} rows in the first page), over HTTP:")
    show("first page (by key)", first_ms)
    show("next pages (by token)", next_ms)
    show("baseline (tiny REST call)", baseline_ms)
    ratio = statistics.median(next_ms) / statistics.median(baseline_ms)
    print(
        f"page / baseline: {ratio:.1f}x; page median vs the 100 ms budget: "
        f"{statistics.median(next_ms) / 100:.2f} of budget"
    )

    started = time.perf_counter()
    large = Simulator(SimulatorConfig(scale="large"))
    built = time.perf_counter() - started
    counts = large.store.counts([large.store.enterprise.eid])
    print(
        f"large seed: {counts['data_extensions']} DEs, {counts['fields']} fields "
        f"in the parent BU, built in {built:.2f} s"
    )


if __name__ == "__main__":
    main()
