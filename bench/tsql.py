"""How fast tsql answers the editor: validation, completions and the cache, against sqlglot.

The editor validates at every pause in typing and asks for completions at every keystroke, so
each must answer well within a frame of human patience. Prints, with a baseline measured in the
same run (sqlglot's bare T-SQL parse of the same text) and the ratio to it:

* ``validate_p95_ms``: ``validate`` (``QUERY_ACTIVITY``) of every corpus query (tests/tsql/
  corpus.py), uncached, over a catalogue holding the corpus's DEs (goal ≤ 20 ms);
* ``validate_5k_p95_ms``: ``validate`` of one 5,000-character query over data views (goal
  ≤ 50 ms);
* ``complete_p95_ms``: ``complete`` at cursor positions of several kinds (after FROM, after an
  alias and a dot, in a select list, in WHERE) with a catalogue of 10,000 DEs (goal ≤ 30 ms);
* ``validate_cached_p95_ms``: ``validate_cached`` of texts seen before (the editor re-checking
  unchanged SQL);
* ``validate_limit_median_ms``: ``validate`` of a query at the size limit (100,000 characters),
  the worst case services.sql_toolkit keeps off the event loop.

Run:

    .venv/bin/python -m bench.tsql [--rounds 20]

The last line is one JSON object with every figure.
"""

# SQL texts are built here to be checked, never executed:
# ruff: noqa: S608

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import random
import time
from collections.abc import Awaitable, Callable, Sequence

import sqlglot
from sqlglot.errors import ParseError, TokenError

from tests.tsql.corpus import CORPUS, seed_catalog
from tsql.catalog import Catalog, MemoryCatalog
from tsql.complete import complete
from tsql.names import quote_identifier
from tsql.parse import DIALECT, MAX_SQL_CHARS
from tsql.types import Column, FieldType, Purpose, Table, TableKind
from tsql.validate import validate, validate_cached

GOALS_MS = {"validate_p95_ms": 20.0, "validate_5k_p95_ms": 50.0, "complete_p95_ms": 30.0}
DE_COUNT = 10_000
_WORDS = (
    "Customer", "Order", "Journey", "Email", "Sms", "Push", "Loyalty", "Segment", "Audience",
    "Master", "Stage", "Import", "Export", "Daily", "Weekly", "Campaign", "Product", "Store",
    "Event", "Preference",
)  # fmt: skip


def p95(samples: Sequence[float]) -> float:
    ordered = sorted(samples)
    return ordered[max(0, int(len(ordered) * 0.95) - 1)]


def median(samples: Sequence[float]) -> float:
    ordered = sorted(samples)
    return ordered[len(ordered) // 2]


async def timed_ms(rounds: int, calls: Sequence[Callable[[], Awaitable[object]]]) -> list[float]:
    """Wall milliseconds of every call, ``rounds`` times over (after one warm-up pass)."""
    for call in calls:
        await call()
    samples = []
    for _ in range(rounds):
        for call in calls:
            started = time.perf_counter()
            await call()
            samples.append((time.perf_counter() - started) * 1000)
    return samples


def report(label: str, samples: Sequence[float], *, baseline: float | None = None) -> float:
    figure = p95(samples)
    ratio = f"   {figure / baseline:5.1f}x baseline" if baseline else ""
    print(
        f"  {label:<52} median {median(samples):7.2f} ms   p95 {figure:7.2f} ms"
        f"   n={len(samples)}{ratio}"
    )
    return figure


async def _bare_parse(text: str) -> object:
    try:
        return sqlglot.parse(text, read=DIALECT)
    except (ParseError, TokenError) as error:  # rejected corpus texts: the error is the answer
        return error


def _parse_calls(texts: Sequence[str]) -> list[Callable[[], Awaitable[object]]]:
    return [functools.partial(_bare_parse, text) for text in texts]


def query_of_5k_chars() -> str:
    """A realistic 5,000-character query: sends, opens and clicks of one week per subscriber,
    with CASE buckets, string and date functions, over three data views."""
    head = "SELECT s.SubscriberKey, sub.EmailAddress, s.JobID, j.EmailName,\n"
    tail = (
        "\nFROM _Sent s\n"
        "INNER JOIN _Job j ON j.JobID = s.JobID\n"
        "INNER JOIN _Subscribers sub ON sub.SubscriberID = s.SubscriberID\n"
        "LEFT JOIN _Open o ON o.JobID = s.JobID AND o.SubscriberID = s.SubscriberID"
        " AND o.IsUnique = 1\n"
        "WHERE s.EventDate >= DATEADD(DAY, -7, GETDATE()) AND sub.Status = 'active'"
    )
    columns: list[str] = []
    index = 0
    while True:
        column = (
            f"  CASE WHEN DATEDIFF(HOUR, s.EventDate, o.EventDate) < {index + 1} THEN"
            f" 'within {index + 1} h' WHEN o.EventDate IS NULL THEN 'not opened'"
            f" ELSE UPPER(LEFT(ISNULL(j.EmailSubject, ''), {10 + index})) END AS bucket_{index}"
        )
        candidate = head + ",\n".join([*columns, column]) + tail
        if len(candidate) > 5_000:
            break
        columns.append(column)
        index += 1
    text = head + ",\n".join(columns) + tail
    return text + " " * (5_000 - len(text))


def query_at_the_size_limit() -> str:
    """The longest text tsql checks (MAX_SQL_CHARS): 6,000 computed columns of a data view.
    Why services.sql_toolkit checks long texts off the event loop."""
    head, tail = "SELECT ", " FROM _Sent s"
    items: list[str] = []
    length = len(head) + len(tail)
    while True:
        item = f"s.JobID + {len(items)} AS c{len(items)}"
        if length + len(item) + 2 > MAX_SQL_CHARS:
            break
        items.append(item)
        length += len(item) + 2
    return head + ", ".join(items) + tail


def ten_thousand_des(seed: int = 7) -> list[Table]:
    """10,000 DEs of 12 to 40 fields, named the way marketing teams name them."""
    chance = random.Random(seed)
    tables = []
    for number in range(DE_COUNT):
        name = " ".join(chance.sample(_WORDS, 3)) + f" {number}"
        columns = tuple(
            Column(
                name=f"{chance.choice(_WORDS)}_{field}", field_type=FieldType.TEXT, max_length=100
            )
            for field in range(chance.randint(12, 40))
        )
        shared = chance.random() < 0.1
        tables.append(
            Table(name=name, kind=TableKind.DATA_EXTENSION, columns=columns, shared=shared)
        )
    return tables


def completion_cases(tables: Sequence[Table], *, seed: int = 7) -> list[tuple[str, int]]:
    """(sql, cursor offset) pairs: one per kind of place the editor asks about, naming one of
    ``tables`` as a user would."""
    table = random.Random(seed).choice([table for table in tables if not table.shared])
    de, key = quote_identifier(table.name), quote_identifier(table.columns[0].name)
    words = table.name.split()
    word = words[0][:4]
    join = f"{de} c JOIN _Subscribers s ON s.SubscriberKey = c.{key}"
    cases = [
        (f"SELECT * FROM {word}", None),  # DEs and data views by prefix
        ("SELECT * FROM ", None),  # everything, shortest first
        ("SELECT * FROM _S", None),  # data views
        ("SELECT * FROM ENT.", None),  # shared DEs
        (f"SELECT c. FROM {de} c", "SELECT c."),  # columns after an alias and a dot
        (f"SELECT c.{key[:3]} FROM {join}", f"SELECT c.{key[:3]}"),
        (f"SELECT Em FROM {join}", "SELECT Em"),  # columns in scope, functions, keywords
        ("SELECT s.SubscriberKey FROM _Sent s WHERE s.", None),  # WHERE, after a dot
        ("SELECT s.SubscriberKey FROM _Sent s WHERE DATE", None),  # functions and keywords
        (f"SELECT * FROM {words[1][1:5].lower()}", None),  # inside names
        (f"SELECT * FROM {''.join(w[0] for w in words).lower()}", None),  # initials (fuzzy)
    ]
    return [(sql, len(sql) if cursor is None else len(cursor)) for sql, cursor in cases]


async def run(rounds: int) -> dict[str, float]:
    figures: dict[str, float] = {}
    catalogs = {bu: seed_catalog(bu) for bu in {case.bu for case in CORPUS}}
    checks = [(case.text, catalogs[case.bu]) for case in CORPUS]
    texts = [text for text, _catalog in checks]
    print(f"tsql for the editor ({len(texts)} corpus queries, {rounds} rounds)")

    corpus_parse = report(
        "baseline: sqlglot parse, corpus", await timed_ms(rounds, _parse_calls(texts))
    )
    figures["sqlglot_parse_p95_ms"] = corpus_parse
    figures["validate_p95_ms"] = report(
        "validate(QUERY_ACTIVITY), corpus",
        await timed_ms(rounds, _validate_calls(checks)),
        baseline=corpus_parse,
    )

    big = query_of_5k_chars()
    big_parse = report(
        f"baseline: sqlglot parse, {len(big):,}-char query",
        await timed_ms(rounds * 5, _parse_calls([big])),
    )
    figures["sqlglot_parse_5k_p95_ms"] = big_parse
    figures["validate_5k_p95_ms"] = report(
        f"validate, {len(big):,}-char query",
        await timed_ms(rounds * 5, _validate_calls([(big, catalogs["parent"])])),
        baseline=big_parse,
    )

    started = time.perf_counter()
    tables = ten_thousand_des()
    des = MemoryCatalog(tables)
    print(f"  ({DE_COUNT:,}-DE catalogue built in {time.perf_counter() - started:.2f} s)")
    cases = completion_cases(tables)
    complete_parse = report(
        "baseline: sqlglot parse, completion texts",
        await timed_ms(rounds, _parse_calls([sql for sql, _ in cases])),
    )
    figures["sqlglot_parse_complete_p95_ms"] = complete_parse
    figures["complete_p95_ms"] = report(
        f"complete, {DE_COUNT:,} DEs, {len(cases)} cursor kinds",
        await timed_ms(rounds, _complete_calls(cases, des)),
        baseline=complete_parse,
    )

    figures["validate_cached_p95_ms"] = report(
        "validate_cached, repeated corpus texts",
        await timed_ms(rounds, _validate_calls(checks, cached=True)),
        baseline=corpus_parse,
    )

    longest = query_at_the_size_limit()
    longest_parse = await timed_ms(3, _parse_calls([longest]))
    report(f"baseline: sqlglot parse, {len(longest):,}-char query", longest_parse)
    longest_validate = await timed_ms(3, _validate_calls([(longest, catalogs["parent"])]))
    report(
        f"validate, {len(longest):,}-char query (the size limit)",
        longest_validate,
        baseline=p95(longest_parse),
    )
    figures["sqlglot_parse_limit_median_ms"] = median(longest_parse)
    figures["validate_limit_median_ms"] = median(longest_validate)
    for name, goal in GOALS_MS.items():
        verdict = "met" if figures[name] <= goal else "MISSED"
        print(f"  goal {name} <= {goal:g} ms: {verdict}")
    return figures


def _validate_calls(
    checks: Sequence[tuple[str, Catalog]], *, cached: bool = False
) -> list[Callable[[], Awaitable[object]]]:
    check = validate_cached if cached else validate
    return [
        functools.partial(check, text, purpose=Purpose.QUERY_ACTIVITY, catalog=catalog)
        for text, catalog in checks
    ]


def _complete_calls(
    cases: Sequence[tuple[str, int]], catalog: Catalog
) -> list[Callable[[], Awaitable[object]]]:
    return [
        functools.partial(complete, sql, cursor, catalog=catalog, limit=50) for sql, cursor in cases
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    figures = asyncio.run(run(args.rounds))
    print(json.dumps({name: round(value, 3) for name, value in figures.items()}))


if __name__ == "__main__":
    main()
