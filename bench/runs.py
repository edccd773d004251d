"""What reading a run's results costs: ``python -m bench.runs`` (issue 14's result figures).

The simulator (seed 1, scale small) runs in this process, served over HTTP, answering every
call after ``--latency-ms`` (100). Two run results are written into shell DEs with tsql's run
form (the run marker and the row-number column of an ORDER BY), each after another run's rows
(which must never be read): 200,000 rows and 1,000 rows. Every measurement is made by a child
process of its own (``--child``), reading over HTTP with a client-credentials token, so its
time and peak RSS are the reader's alone:

* ``rowset_limit_rows_per_s``: the best of 1, 2, 4 and 8 concurrent raw rowset readers
  (client.rest.rowsets, no conversion beyond the client's, no encoding) over the 200k result,
  each measured just before and just after the stream below (the best of both);
* ``reader_rows_per_s``: services.runs.results.ResultReader streaming the same result (typed,
  JSON-encoded pages of 1,000 rows, default prefetch); ``reader_ratio`` = that / the limit;
  ``reader_rows_per_s_by_prefetch``: the same with 2, 4 and 8 MCE pages read ahead;
* ``reader_peak_rss_mb_1k`` / ``reader_peak_rss_mb_200k``: the reader's process streaming the
  1k and the 200k result (flat when nothing is buffered);
* ``csv_export_rows_per_s``: services.runs.results.csv_chunks over the 200k result.

* ``stream_rows_per_s``, ``stream_ratio`` (= that / ``rowset_limit_rows_per_s``),
  ``api_peak_rss_mb_1k`` / ``api_peak_rss_mb_200k``: the same results streamed by the real
  API process over ``runResults`` to a websocket client (bench/runs_stream.py).

* ``calls_per_run``, ``baseline_calls_per_run``, ``calls_ratio``, ``first_page_median_s``,
  ``baseline_first_page_median_s``, ``first_page_ratio``, ``detect_median_s``,
  ``detect_p95_s``, ``status_calls_per_s_per_bu``: the real start job and poller against
  create-per-run (bench/runs_engine.py).

The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from typing import Any

from bench.runs_engine import measure_engine
from bench.runs_stream import measure_stream
from services.runs.results import DEFAULT_PREFETCH

#: Runs' SQL: ORDER BY kept as a row number; the cross join makes any size from the seed.
BIG_SQL = (
    "SELECT TOP {rows} a.SubscriberKey, b.EmailAddress, a.LifetimeValue, a.BirthDate "
    "FROM Subscribers a CROSS JOIN Subscribers b ORDER BY a.SubscriberKey, b.SubscriberKey"
)
PAGE_SIZE = 1000
RAW_READERS = (1, 2, 4, 8)
PREFETCH = (2, 4, 8)
#: What ``--only`` can pick (each adds its figures; ratios need ``readers`` in the same run).
PARTS = frozenset(("readers", "engine", "stream"))


@dataclass(frozen=True)
class Shell:
    """What a child needs to read one result."""

    sim_url: str
    tssd: str
    client_id: str
    client_secret: str
    eid: int
    key: str
    marker: str
    marker_column: str
    order_column: str | None
    columns: list[tuple[str, str, int | None]]
    rows: int


# ------------------------------------------------------------------ parent: the simulator
async def _write_shell(sim: Any, *, rows: int, key: str, marker: str) -> dict[str, Any]:
    from simulator.sql import QueryCatalog, run_query
    from tests.tsql.test_oracle_targets import catalog_for, create_target
    from tsql import prepare_run

    mid = sim.store.enterprise.eid
    sql = BIG_SQL.format(rows=rows)
    catalog = catalog_for(sim, mid)
    rewrite = await prepare_run(sql, catalog=catalog, marker=marker)
    stale = await prepare_run(sql, catalog=catalog, marker="0" + marker[1:])
    assert rewrite.sql is not None and stale.sql is not None, rewrite.findings
    create_target(sim, mid=mid, key=key, columns=rewrite.columns)
    shell = sim.store.get_de(mid, customer_key=key)
    engine = QueryCatalog(
        store=sim.store,
        rows=sim.rows,
        views=sim.dataviews,
        now=sim.clock.server_now,
        utcnow=sim.clock.utcnow,
    )
    run_query(engine, mid=mid, text=stale.sql, target=shell, update_type="Append")
    written = run_query(engine, mid=mid, text=rewrite.sql, target=shell, update_type="Append")
    assert written == rows
    helpers = {rewrite.marker_column, rewrite.order_column}
    return {
        "key": key,
        "marker": marker,
        "marker_column": rewrite.marker_column,
        "order_column": rewrite.order_column,
        "columns": [
            (c.name, c.field_type.value, c.scale) for c in rewrite.columns if c.name not in helpers
        ],
        "rows": rows,
    }


def _child(mode: str, shell: Shell, *extra: str) -> dict[str, Any]:
    command = [sys.executable, "-m", "bench.runs", "--child", mode, json.dumps(asdict(shell))]
    done = subprocess.run([*command, *extra], capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise RuntimeError(f"child {mode} failed: {done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


async def measure(
    *, latency_ms: int, big_rows: int, parts: frozenset[str] | set[str] = PARTS
) -> dict[str, Any]:
    from simulator.app import create_app
    from simulator.state import Simulator, SimulatorConfig
    from tests.simulator.conftest import ServerThread

    sim = Simulator(SimulatorConfig(seed=1, scale="small", refresh_grace_seconds=0, control=True))
    big = await _write_shell(sim, rows=big_rows, key="bench_big", marker="run-big-0001")
    small = await _write_shell(sim, rows=1000, key="bench_small", marker="run-small-001")
    sim.faults.set_latency(latency_ms)
    package = sim.enhanced_package
    with ServerThread(create_app(sim)) as server:
        common: dict[str, Any] = {
            "sim_url": server.url,
            "tssd": sim.store.enterprise.tssd,
            "client_id": package.client_id,
            "client_secret": package.client_secret,
            "eid": sim.store.enterprise.eid,
        }
        big_shell = Shell(**common, **big)
        small_shell = Shell(**common, **small)
        figures: dict[str, Any] = {"latency_ms": latency_ms, "rows": big_rows}
        raw: dict[int, list[float]] = {n: [] for n in RAW_READERS}

        def read_raw() -> None:
            for n in RAW_READERS:
                raw[n].append(_child("raw", big_shell, str(n))["rows_per_s"])

        if "readers" in parts:
            read_raw()
        if "stream" in parts:
            # Right after the raw readers and before them again: the ratio compares rates
            # measured minutes apart otherwise, on a machine whose load moves.
            sim.faults.set_latency(0)
            figures.update(
                await measure_stream(
                    sim=sim,
                    sim_url=server.url,
                    big_sql=BIG_SQL.format(rows=big_rows),
                    big_rows=big_rows,
                    latency_ms=latency_ms,
                )
            )
            sim.faults.set_latency(latency_ms)
        if "readers" in parts:
            read_raw()
            by_prefetch = {n: _child("stream", big_shell, str(n)) for n in PREFETCH}
            reader = by_prefetch[DEFAULT_PREFETCH]
            reader_small = _child("stream", small_shell, str(DEFAULT_PREFETCH))
            export = _child("csv", big_shell)
            limit = max(max(rates) for rates in raw.values())
            figures.update(
                {
                    "rowset_rows_per_s_by_readers": {
                        str(n): round(max(rates)) for n, rates in raw.items()
                    },
                    "rowset_limit_rows_per_s": round(limit),
                    "reader_rows_per_s_by_prefetch": {
                        str(n): round(r["rows_per_s"]) for n, r in by_prefetch.items()
                    },
                    "reader_rows_per_s": round(reader["rows_per_s"]),
                    "reader_ratio": round(reader["rows_per_s"] / limit, 3),
                    "reader_peak_rss_mb_1k": round(reader_small["peak_rss_mb"], 1),
                    "reader_peak_rss_mb_200k": round(reader["peak_rss_mb"], 1),
                    "csv_export_rows_per_s": round(export["rows_per_s"]),
                }
            )
            if "stream_rows_per_s" in figures:
                figures["stream_ratio"] = round(figures["stream_rows_per_s"] / limit, 3)
        sim.faults.set_latency(0)
        if "engine" in parts:
            figures.update(await measure_engine(sim=sim, sim_url=server.url, latency_ms=latency_ms))
    sim.close()
    return figures


# ------------------------------------------------------------------ child: one reader
def _peak_rss_kb() -> int:
    """This process's peak RSS since its exec (``VmHWM``; ``ru_maxrss`` would include the
    forked parent's pages, the simulator's among them)."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc/self/status")


async def _bridge(shell: Shell) -> Any:
    import httpx

    from client.auth import AuthClient, ClientCredentials
    from client.bridge import MceBridge
    from client.endpoints import EndpointPolicy, MceEndpoints
    from client.secret import Secret
    from client.simple_tokens import ClientCredentialsTokenProvider
    from client.tokens import CallTarget

    http = httpx.AsyncClient(timeout=60)
    policy = EndpointPolicy(dev_origin=shell.sim_url)
    endpoints = MceEndpoints.from_tssd(shell.tssd, policy=policy)
    auth = AuthClient(
        http=http,
        auth_base=endpoints.auth_base,
        policy=policy,
        credentials=ClientCredentials(
            client_id=shell.client_id, client_secret=Secret(shell.client_secret)
        ),
    )
    return MceBridge(
        http=http,
        tokens=ClientCredentialsTokenProvider(auth=auth),
        endpoints=endpoints,
        target=CallTarget(tenant_id=shell.eid, mid=shell.eid, user_id=None),
    )


def _source(shell: Shell) -> Any:
    from client.values import FieldType
    from services.runs.results import ResultColumn, ResultSource

    return ResultSource(
        key=shell.key,
        columns=tuple(ResultColumn(n, FieldType(t), scale=s) for n, t, s in shell.columns),
        marker_column=shell.marker_column,
        marker=shell.marker,
        order_column=shell.order_column,
    )


async def _child_main(mode: str, shell: Shell, extra: list[str]) -> dict[str, Any]:
    from client.rest.rowsets import MAX_PAGE_SIZE
    from client.values import field_specs
    from services.runs.results import ResultReader, csv_chunks

    bridge = await _bridge(shell)
    source = _source(shell)
    await bridge.rowsets(shell.key, (), page_size=1).page(1)  # the token, outside the timing
    rows = 0
    started = time.perf_counter()
    if mode == "raw":
        readers = int(extra[0])
        fields = field_specs([(n, t) for n, t, _ in shell.columns])
        reader = bridge.rowsets(shell.key, fields, order_by=source.order_by, filter=source.filter)
        pages = -(-shell.rows // MAX_PAGE_SIZE)

        async def read(first: int) -> int:
            got = 0
            for number in range(first, pages + 1, readers):
                got += len((await reader.page(number)).rows)
            return got

        rows = sum(await asyncio.gather(*(read(n) for n in range(1, readers + 1))))
    elif mode == "stream":
        result = ResultReader(rest=bridge.rest, source=source, prefetch=int(extra[0]))
        async for page in result.pages(page_size=PAGE_SIZE):
            rows += len(json.dumps(page.as_json())) and len(page.rows)
    elif mode == "csv":
        result = ResultReader(rest=bridge.rest, source=source)
        async for chunk in csv_chunks(result):
            rows += chunk.count(b"\r\n")
        rows -= 1  # the header
    elapsed = time.perf_counter() - started
    if rows != shell.rows:
        raise RuntimeError(f"{mode} read {rows} rows, expected {shell.rows}")
    peak_kb = _peak_rss_kb()
    return {
        "rows": rows,
        "seconds": elapsed,
        "rows_per_s": rows / elapsed,
        "peak_rss_mb": peak_kb / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--latency-ms", type=int, default=100)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument(
        "--only",
        action="append",
        choices=sorted(PARTS),
        help="measure only these parts (repeatable; default: all, as the figures are recorded)",
    )
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        mode, raw, *extra = args.child
        shell = Shell(**json.loads(raw))
        print(json.dumps(asyncio.run(_child_main(mode, shell, extra))))
        return
    parts = set(args.only) if args.only else set(PARTS)
    figures = asyncio.run(measure(latency_ms=args.latency_ms, big_rows=args.rows, parts=parts))
    for name, value in figures.items():
        print(f"{name}: {value}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
