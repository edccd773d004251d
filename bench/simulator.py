"""How much time the simulator's query execution takes, so later benchmarks can subtract it.

Prints, each against a baseline measured in the same run:

* a small query (``TOP 10`` opted-in subscribers into a DE): runs per second through the SQL
  engine in process, and whole runs per second over HTTP (SOAP Perform + one
  AsyncActivityStatus poll, timings at 0), against the same INSERT written by hand in DuckDB;
* a 1,000,000-row join (``_Sent`` x ``_Subscribers`` at ``--scale large``) into a target DE
  (Overwrite): seconds through the engine, against the hand-written DuckDB INSERT ... SELECT.

Run:

    .venv/bin/python -m bench.simulator [--small-rounds 200]

(as a module: run as a file, this script's folder would come first on ``sys.path`` and its
name would hide the ``simulator`` package.)
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import httpx

from simulator.app import create_app
from simulator.rows import ADDED_COLUMN, quote_ident
from simulator.sql import run_query
from simulator.state import FieldSpec, Simulator, SimulatorConfig
from tests.simulator.conftest import ServerThread

SMALL = "SELECT TOP 10 SubscriberKey, EmailAddress FROM Subscribers WHERE OptIn = 1"
JOIN = (
    "SELECT s.SubscriberKey, s.JobID, s.EventDate, sub.EmailAddress "
    "FROM _Sent s INNER JOIN _Subscribers sub ON sub.SubscriberID = s.SubscriberID"
)
PARTNER = "http://exacttarget.com/wsdl/partnerAPI"


def _rate(rounds: int, action: Callable[[], object]) -> float:
    """Calls per second over ``rounds`` calls (after one warm-up call)."""
    action()
    started = time.perf_counter()
    for _ in range(rounds):
        action()
    return rounds / (time.perf_counter() - started)


def _seconds(action: Callable[[], object], repeat: int = 3) -> float:
    """Median wall seconds of ``action``."""
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def _envelope(token: str, body: str) -> str:
    return (
        '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        f'<soap:Header><fueloauth xmlns="http://exacttarget.com">{token}</fueloauth></soap:Header>'
        f"<soap:Body>{body}</soap:Body></soap:Envelope>"
    )


def _between(text: str, tag: str) -> str:
    return text.split(f"<{tag}>", 1)[1].split("<", 1)[0]


def small_query(rounds: int) -> None:
    sim = Simulator(SimulatorConfig(seed=1))
    eid = sim.store.enterprise.eid
    target = sim.store.get_de(eid, customer_key="active_subscribers")
    source = sim.store.get_de(eid, customer_key="subscribers")
    assert target is not None and source is not None
    catalog = sim.queries.catalog

    def engine() -> None:
        run_query(catalog, mid=eid, text=SMALL, target=target, update_type="Overwrite")

    target_table = quote_ident(sim.rows.ensure_table(target))
    source_table = quote_ident(sim.rows.table_name(source))
    added = quote_ident(ADDED_COLUMN)
    raw_insert = (
        f'INSERT INTO {target_table} ("SubscriberKey", "EmailAddress", {added}) '  # noqa: S608
        f'SELECT "SubscriberKey", "EmailAddress", now() FROM {source_table} WHERE "OptIn" LIMIT 10'
    )

    def raw() -> None:
        with sim.rows.connection() as con:
            con.execute(f"DELETE FROM {target_table}")  # noqa: S608
            con.execute(raw_insert)

    engine_rate, raw_rate = _rate(rounds, engine), _rate(rounds, raw)

    query = sim.queries.create(
        mid=eid, name="bench small", query_text=SMALL, target_key="active_subscribers"
    )
    user = next(u for u in sim.store.users.values() if u.default_mid == eid)
    token = sim.auth.issue_access_token(
        package=sim.enhanced_package, user=user, mid=eid, scopes=sim.enhanced_package.scopes
    ).token
    perform = _envelope(
        token,
        f'<PerformRequestMsg xmlns="{PARTNER}"><Action>Start</Action><Definitions>'
        f'<Definition xsi:type="QueryDefinition"><ObjectID>{query.object_id}</ObjectID>'
        "</Definition></Definitions></PerformRequestMsg>",
    )
    headers = {"Content-Type": "text/xml; charset=utf-8"}
    with ServerThread(create_app(sim)) as server, httpx.Client(base_url=server.url) as http:

        def over_http() -> None:
            reply = http.post("Service.asmx", content=perform, headers=headers)
            task_id = reply.text.split("<Task>", 1)[1]
            task_id = _between(task_id, "ID")
            status = _envelope(
                token,
                f'<RetrieveRequestMsg xmlns="{PARTNER}"><RetrieveRequest>'
                "<ObjectType>AsyncActivityStatus</ObjectType><Properties>Status</Properties>"
                '<Filter xsi:type="SimpleFilterPart"><Property>TaskID</Property>'
                f"<SimpleOperator>equals</SimpleOperator><Value>{task_id}</Value></Filter>"
                "</RetrieveRequest></RetrieveRequestMsg>",
            )
            polled = http.post("Service.asmx", content=status, headers=headers)
            assert "<Value>Complete</Value>" in polled.text, polled.text[:500]

        http_rate = _rate(max(rounds // 4, 10), over_http)
    sim.close()
    print("small query (TOP 10 opted-in subscribers -> DE, Overwrite)")
    print(f"  baseline: hand-written DuckDB DELETE + INSERT  {raw_rate:8.0f} /s")
    print(
        f"  SQL engine in process                         {engine_rate:8.0f} /s"
        f"  ({raw_rate / engine_rate:.1f}x the baseline's time)"
    )
    print(
        f"  whole run over HTTP (Perform + one poll)      {http_rate:8.0f} /s"
        f"  ({raw_rate / http_rate:.1f}x)"
    )


def million_row_join() -> None:
    started = time.perf_counter()
    sim = Simulator(SimulatorConfig(seed=1, scale="large", with_rows=False))
    eid = sim.store.enterprise.eid
    sent_table = sim.dataviews.table(eid, "_Sent")
    subscribers_table = sim.dataviews.table(eid, "_Subscribers")
    built = time.perf_counter() - started
    sent_rows = sim.dataviews.row_count(eid, "_Sent")
    target = sim.store.create_de(
        mid=eid,
        name="bench join target",
        customer_key="bench_join_target",
        fields=[
            FieldSpec("SubscriberKey", "Text", max_length=254),
            FieldSpec("JobID", "Number"),
            FieldSpec("EventDate", "Date"),
            FieldSpec("EmailAddress", "EmailAddress"),
        ],
    )
    written = 0

    def engine() -> None:
        nonlocal written
        written = run_query(
            sim.queries.catalog, mid=eid, text=JOIN, target=target, update_type="Overwrite"
        )

    target_table = quote_ident(sim.rows.ensure_table(target))
    raw_sql = (
        f"INSERT INTO {target_table} SELECT s.SubscriberKey, s.JobID, s.EventDate, "  # noqa: S608
        f"sub.EmailAddress, now() FROM {quote_ident(sent_table)} s "
        f"JOIN {quote_ident(subscribers_table)} sub ON sub.SubscriberID = s.SubscriberID"
    )

    def raw() -> None:
        with sim.rows.connection() as con:
            con.execute(f"DELETE FROM {target_table}")  # noqa: S608
            con.execute(raw_sql)

    engine_seconds, raw_seconds = _seconds(engine), _seconds(raw)
    sim.close()
    print(f"1,000,000-row join (_Sent x _Subscribers, --scale large; _Sent has {sent_rows:,} rows)")
    print(f"  data views of the parent BU generated in     {built:8.2f} s (with the large seed)")
    print(f"  baseline: hand-written DuckDB INSERT ... JOIN {raw_seconds:8.2f} s")
    print(
        f"  SQL engine (checks, rewrite, typed insert)   {engine_seconds:8.2f} s"
        f"  ({engine_seconds / raw_seconds:.1f}x the baseline), {written:,} rows written"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small-rounds", type=int, default=200)
    args = parser.parse_args()
    small_query(args.small_rounds)
    million_row_join()


if __name__ == "__main__":
    main()
