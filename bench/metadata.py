"""How fast the metadata cache answers the sidebar, and how fast it is filled.

In one run, in a throwaway database migrated from scratch (real Postgres, queries as the
RLS-bound app role):

* search: 1,000 mixed queries (exact names, prefixes, names with a typo, field names; a
  quarter each) through ``services.metadata.search.search_data_extensions`` (the SECURITY
  DEFINER function, data views and highlights included), first page of 20, with
  ``--des`` DEs (50,000) in the searched BU and ``--other-tenants`` (20) other tenants'
  metadata (``--other-des`` DEs each) in the same tables: ``search_p50_ms``,
  ``search_p95_ms`` (goal ≤ 15, stretch 5), ``search_p99_ms``;
* ``de_page_p95_ms``: GraphQL ``dataExtensions(first: 100) { ... fields { ... } }`` over
  HTTP (uvicorn on loopback, an API token), walking the BU's pages (goal ≤ 100);
* then M1's sync figures (bench/metadata_sync.py ``measure_sync``: the simulator's
  ``--scale large`` BU at 50 ms per MCE call) merged into the same JSON line
  (``--no-sync`` leaves them out).

Run:

    .venv/bin/python -m bench.metadata [--des 50000] [--other-tenants 20] [--queries 1000]

The last line is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import random
import statistics
import sys
import time
import uuid
from collections.abc import Sequence
from typing import Any

import asyncpg
import httpx
import uvicorn

from app.main import create_app
from bench._seed_cache import (
    DataExtensionRow,
    FieldRow,
    bench_database,
    load_data_extensions,
    load_other_tenants,
    percentile,
    seed_as_owner,
    vacuum_analyze,
)
from models import TenantContext
from services.metadata.search import search_data_extensions
from tests.auth_helpers import new_api_token
from tests.factories import TenantFixture, make_tenant

GOALS_MS = {"search_p95_ms": 15.0, "de_page_p95_ms": 100.0}
FIELDS_PER_DE = 10
_WORDS = (
    "Newsletter", "Subscribers", "Customer", "Orders", "Journey", "Email", "Sms", "Push",
    "Loyalty", "Segment", "Audience", "Master", "Staging", "Import", "Export", "Daily",
    "Weekly", "Monthly", "Campaign", "Product", "Store", "Events", "Preferences", "Welcome",
    "Abandoned", "Cart", "Browse", "Winback", "Survey", "Rewards", "Members", "Leads",
    "Contacts", "Accounts", "Invoices", "Returns", "Shipping", "Catalog", "Inventory",
    "Promo", "Coupons", "Spring", "Summer", "Autumn", "Winter", "Holiday", "BlackFriday",
    "Retention", "Churn", "Scores", "Sends", "Opens", "Clicks", "Bounces", "Unsubs",
    "Region", "Europe", "America", "Asia", "Partners", "Vendors", "Webinar", "Trial",
)  # fmt: skip
_FIELD_NAMES = (
    "SubscriberKey", "EmailAddress", "FirstName", "LastName", "Phone", "Mobile", "Country",
    "City", "PostalCode", "Birthday", "Gender", "Locale", "OrderID", "OrderDate", "Amount",
    "Currency", "ProductSKU", "Quantity", "Status", "CreatedDate", "ModifiedDate", "Source",
    "CampaignID", "JourneyID", "Score", "Tier", "Points", "OptIn", "OptInDate", "LastOpen",
    "LastClick", "LastPurchase", "StoreID", "Region", "Segment", "ContactID", "AccountID",
    "LeadSource", "Channel", "DeviceType",
)  # fmt: skip
_FIELD_TYPES = ("Text", "Text", "Text", "EmailAddress", "Number", "Date", "Decimal", "Boolean")
PAGE = """
query Page($after: String) {
  dataExtensions(first: 100, after: $after) {
    edges { node { id name sqlName customerKey
      fields { name fieldType maxLength isPrimaryKey isRequired } } }
    pageInfo { hasNextPage endCursor }
  }
}"""


def _name(rng: random.Random, number: int) -> str:
    words = rng.sample(_WORDS, rng.randint(2, 4))
    separator = rng.choice(("_", " ", ""))
    suffix = rng.choice(("", f"_{2019 + number % 7}", f"_{number % 12 + 1:02d}", ""))
    return f"{separator.join(words)}{suffix}_{number}"


def _typo(rng: random.Random, word: str) -> str:
    if len(word) < 5:
        return word
    position = rng.randrange(1, len(word) - 1)
    if rng.random() < 0.5:
        return word[:position] + word[position + 1 :]  # a letter dropped
    return word[:position] + word[position + 1] + word[position] + word[position + 2 :]


def _copy_rows(
    rng: random.Random, *, tenant_id: int, mid: int, count: int, start: int
) -> tuple[list[DataExtensionRow], list[FieldRow], list[str]]:
    """``count`` DEs of ``FIELDS_PER_DE`` fields each, the first one the key (and required)."""
    des: list[DataExtensionRow] = []
    fields: list[FieldRow] = []
    names: list[str] = []
    for number in range(start, start + count):
        de_id = uuid.uuid4()
        name = _name(rng, number)
        names.append(name)
        des.append(
            DataExtensionRow(
                tenant_id, mid, de_id, f"obj-{de_id}", f"key-{mid}-{number}", name, FIELDS_PER_DE
            )
        )
        for ordinal, field in enumerate(rng.sample(_FIELD_NAMES, FIELDS_PER_DE)):
            field_type = rng.choice(_FIELD_TYPES)
            fields.append(FieldRow(
                tenant_id, mid, uuid.uuid4(), de_id, field, field_type, None, None, None,
                ordinal == 0, ordinal == 0, ordinal,
            ))  # fmt: skip
    return des, fields, names


async def _seed(
    admin: asyncpg.Connection, *, des: int, other_tenants: int, other_des: int, seed: int
) -> tuple[TenantFixture, list[str], list[str]]:
    """The searched tenant (its first child BU holds ``des`` DEs) and the others."""
    rng = random.Random(seed)
    searched = await make_tenant("BenchSearched")
    mid = searched.child_mids[0]
    rows, fields, names = _copy_rows(rng, tenant_id=searched.tenant_id, mid=mid, count=des, start=0)
    await load_data_extensions(admin, rows, fields)
    await load_other_tenants(
        admin,
        count=other_tenants,
        name="BenchOther",
        rows=lambda tenant_id, mid: _copy_rows(
            rng, tenant_id=tenant_id, mid=mid, count=other_des, start=des
        )[:2],
    )
    await vacuum_analyze(
        admin,
        ("mce_data_extensions", "mce_data_extension_fields", "mce_field_names", "mce_name_words"),
    )
    return searched, names, list(_FIELD_NAMES)


def _queries(
    rng: random.Random, names: Sequence[str], field_names: Sequence[str], count: int
) -> list[str]:
    queries: list[str] = []
    for index in range(count):
        kind = index % 4
        name = rng.choice(names)
        if kind == 0:
            queries.append(name)
        elif kind == 1:
            queries.append(name[: rng.randint(3, 8)])
        elif kind == 2:
            word = rng.choice([w for w in name.replace("_", " ").split() if w.isalpha()] or [name])
            queries.append(_typo(rng, word))
        else:
            field = rng.choice(field_names)
            queries.append(field if rng.random() < 0.5 else field[: rng.randint(4, len(field))])
    rng.shuffle(queries)
    return queries


async def _measure_search(ctx: TenantContext, queries: Sequence[str]) -> dict[str, float]:
    for query in queries[:20]:  # warm the plan caches and the pool
        await search_data_extensions(ctx, text=query, first=20, after=None)
    samples: list[float] = []
    for query in queries:
        started = time.perf_counter()
        await search_data_extensions(ctx, text=query, first=20, after=None)
        samples.append((time.perf_counter() - started) * 1000)
    return {
        "search_p50_ms": round(statistics.median(samples), 2),
        "search_p95_ms": round(percentile(samples, 0.95), 2),
        "search_p99_ms": round(percentile(samples, 0.99), 2),
    }


async def _measure_pages(settings: Any, token: str, *, pages: int) -> dict[str, float]:
    # The server runs in this process, which also holds the seed's data (50,000 names, the
    # queries): without this every full collection walks it (a 75 ms pause about every 8th
    # page). An API process holds none of it; freezing what exists now leaves the
    # collector only the objects the requests make.
    gc.collect()
    gc.freeze()
    app = create_app(settings, manage_orm=False)
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="critical", lifespan="on")
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn offers a flag, not an event
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    samples: list[float] = []
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
            headers = {"Authorization": f"Bearer {token}"}
            after: str | None = None
            for _ in range(pages + 5):
                started = time.perf_counter()
                response = await http.post(
                    "/api/graphql",
                    json={"query": PAGE, "variables": {"after": after}},
                    headers=headers,
                )
                samples.append((time.perf_counter() - started) * 1000)
                body = response.json()
                if response.status_code != 200 or "errors" in body:
                    raise RuntimeError(f"page failed: {response.status_code} {body}")
                connection = body["data"]["dataExtensions"]
                assert len(connection["edges"]) == 100
                after = connection["pageInfo"]["endCursor"]
    finally:
        server.should_exit = True
        await serving
        gc.unfreeze()
    return {"de_page_p95_ms": round(percentile(samples[5:], 0.95), 2)}


async def run(args: argparse.Namespace) -> dict[str, Any]:
    figures: dict[str, Any] = {
        "des": args.des,
        "other_tenants": args.other_tenants,
        "other_des": args.other_des,
        "queries": args.queries,
    }
    async with bench_database("metadata") as settings:
        (searched, names, field_names), figures["seed_s"] = await seed_as_owner(
            settings,
            lambda admin: _seed(
                admin,
                des=args.des,
                other_tenants=args.other_tenants,
                other_des=args.other_des,
                seed=args.seed,
            ),
        )
        mid = searched.child_mids[0]
        ctx = searched.context(mid)
        queries = _queries(random.Random(args.seed), names, field_names, args.queries)
        figures.update(await _measure_search(ctx, queries))
        token = (await new_api_token(searched, scope="read", mid=mid)).secret
        figures.update(await _measure_pages(settings, token, pages=args.pages))
    return figures


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--des", type=int, default=50_000)
    parser.add_argument("--other-tenants", type=int, default=20)
    parser.add_argument("--other-des", type=int, default=5_000)
    parser.add_argument("--queries", type=int, default=1_000)
    parser.add_argument("--pages", type=int, default=50)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--no-sync", action="store_true", help="skip M1's sync figures")
    args = parser.parse_args(argv)
    figures = asyncio.run(run(args))
    for key, goal in GOALS_MS.items():
        print(f"{key}: {figures[key]} ms (goal <= {goal})")
    for key in ("search_p50_ms", "search_p99_ms", "seed_s"):
        print(f"{key}: {figures[key]}")
    if not args.no_sync:
        from bench.metadata_sync import measure_sync

        figures.update(measure_sync())
    sys.stdout.flush()
    print(json.dumps(figures, sort_keys=True))


if __name__ == "__main__":
    main()
