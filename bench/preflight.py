"""How fast the static pre-flight check answers (``checkQueryTarget``, and each BU of a deploy).

In a throwaway database migrated from scratch (real Postgres; the check runs as the RLS-bound
app role, as in the API), a metadata cache a large BU would have: ``--des`` source DEs (5,000,
ten fields each, realistic types and lengths, a primary key and a required field), ``--targets``
target DEs (200), 500 query activities writing into the targets and 100 automations running
them, and ``--other-tenants`` (5) other tenants with as many DEs in the same tables. Then
``--checks`` (1,000) calls of :func:`services.preflight.static.check_query_target`, each with a
distinct SQL text (so tsql's parse cache never helps: the editor's repeated checks of one text
are faster), of five shapes: a plain select with a WHERE, a join of two DEs, an aggregate, a
data view joined to a DE, a UNION ALL in a derived table; their output columns aliased to the
target's fields (some too long, some nullable into required ones, one in ten not in the
target), with each update type.

Figures: ``preflight_static_p50_ms``, ``preflight_static_p95_ms`` (goal <= 50),
``preflight_static_p99_ms``, ``findings_per_check``.

Run:

    .venv/bin/python -m bench.preflight [--des 5000] [--targets 200] [--checks 1000]

The last line is one JSON object. Other benchmarks (bench.deploy) call
:func:`measure_static` (async) or :func:`measure_static_p95_ms`, which run this module in a
process of its own, so their own database and ORM state are never touched.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg

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
from services.preflight.report import UpdateType
from services.preflight.static import check_query_target
from tests.factories import make_tenant

GOAL_MS = 50.0
FIELDS_PER_DE = 10
#: Field vocabulary: name -> (MCE type, length or precision, scale).
_FIELDS: dict[str, tuple[str, int | None, int | None]] = {
    "SubscriberKey": ("Text", 254, None),
    "EmailAddress": ("EmailAddress", 254, None),
    "FirstName": ("Text", 100, None),
    "LastName": ("Text", 100, None),
    "Phone": ("Phone", 50, None),
    "Country": ("Text", 2, None),
    "City": ("Text", 100, None),
    "PostalCode": ("Text", 20, None),
    "Birthday": ("Date", None, None),
    "Locale": ("Locale", 5, None),
    "OrderID": ("Number", None, None),
    "OrderDate": ("Date", None, None),
    "Amount": ("Decimal", 18, 2),
    "Currency": ("Text", 3, None),
    "ProductSKU": ("Text", 50, None),
    "Quantity": ("Number", None, None),
    "Status": ("Text", 50, None),
    "Source": ("Text", 100, None),
    "Score": ("Decimal", 9, 4),
    "Tier": ("Text", 20, None),
    "Points": ("Number", None, None),
    "OptIn": ("Boolean", None, None),
    "LastOpen": ("Date", None, None),
    "LastClick": ("Date", None, None),
    "Region": ("Text", 50, None),
    "Segment": ("Text", 100, None),
    "Channel": ("Text", 20, None),
    "Notes": ("Text", 4000, None),
}
_OTHERS = [name for name in _FIELDS if name not in ("SubscriberKey", "EmailAddress")]
_WORDS = (
    "Newsletter", "Customer", "Orders", "Journey", "Loyalty", "Segment", "Audience", "Master",
    "Staging", "Daily", "Weekly", "Campaign", "Product", "Store", "Events", "Welcome", "Cart",
    "Winback", "Rewards", "Members", "Leads", "Contacts", "Returns", "Promo", "Holiday",
)  # fmt: skip


@dataclass(frozen=True)
class _De:
    name: str
    key: str
    fields: tuple[str, ...]


def _de_rows(
    rng: random.Random, *, tenant_id: int, mid: int, count: int, start: int, prefix: str
) -> tuple[list[_De], list[DataExtensionRow], list[FieldRow]]:
    des: list[_De] = []
    de_rows: list[DataExtensionRow] = []
    field_rows: list[FieldRow] = []
    for number in range(start, start + count):
        de_id = uuid.uuid4()
        name = f"{prefix} {' '.join(rng.sample(_WORDS, 2))} {number}"
        key = f"{prefix.lower()}_{mid}_{number}"
        names = ("SubscriberKey", "EmailAddress", *rng.sample(_OTHERS, FIELDS_PER_DE - 2))
        des.append(_De(name, key, names))
        de_rows.append(
            DataExtensionRow(tenant_id, mid, de_id, f"obj-{de_id}", key, name, len(names))
        )
        for ordinal, field in enumerate(names):
            kind, length, scale = _FIELDS[field]
            narrow = prefix == "Target" and kind == "Text" and rng.random() < 0.3
            field_rows.append(FieldRow(
                tenant_id, mid, uuid.uuid4(), de_id, field, kind,
                None if kind == "Decimal" else (max(2, (length or 50) // 4) if narrow else length),
                length if kind == "Decimal" else None, scale, ordinal == 0, ordinal <= 1,
                ordinal,
            ))  # fmt: skip
    return des, de_rows, field_rows


async def _load_activities(
    conn: asyncpg.Connection, rng: random.Random, *, tenant_id: int, mid: int,
    targets: Sequence[_De], activities: int, automations: int,
) -> None:  # fmt: skip
    object_ids = [f"qd-{uuid.uuid4()}" for _ in range(activities)]
    await conn.executemany(
        "INSERT INTO mce_query_activities (id, tenant_id, mid, is_shared, object_id,"
        " customer_key, name, description, query_text, target_key, update_type,"
        " is_quarry_asset, is_foreign_leftover, seen_generation, created_at, synced_at)"
        " VALUES ($1, $2, $3, false, $4, $5, $6, '', 'SELECT 1 AS X', $7, 'Overwrite', false,"
        " false, 0, now(), now())",
        [
            (
                uuid.uuid4(),
                tenant_id,
                mid,
                object_id,
                f"qa_{n}",
                f"Activity {n}",
                rng.choice(targets).key,
            )
            for n, object_id in enumerate(object_ids)
        ],
    )
    for n in range(automations):
        automation_id = uuid.uuid4()
        await conn.execute(
            "INSERT INTO mce_automations (id, tenant_id, mid, is_shared, automation_id,"
            " customer_key, name, description, status, seen_generation, created_at, synced_at)"
            " VALUES ($1, $2, $3, false, $4, $5, $6, '', 'Scheduled', 0, now(), now())",
            automation_id, tenant_id, mid, f"auto-{automation_id}", f"auto_{n}",
            f"Automation {n}",
        )  # fmt: skip
        await conn.executemany(
            "INSERT INTO mce_automation_activities (id, tenant_id, mid, is_shared,"
            " automation_id, query_object_id, activity_name, step, display_order, created_at)"
            " VALUES ($1, $2, $3, false, $4, $5, '', $6, 1, now())",
            [
                (uuid.uuid4(), tenant_id, mid, automation_id, object_id, step)
                for step, object_id in enumerate(rng.sample(object_ids, rng.randint(1, 3)), 1)
            ],
        )


def _bracket(name: str) -> str:
    return f"[{name}]"


def _select(rng: random.Random, source: _De, target: _De, alias: str) -> list[str]:
    """Select items from ``source`` named after ``target``'s fields (some not in it)."""
    items = [f"{alias}.SubscriberKey", f"{alias}.EmailAddress"]
    for field in target.fields[2:]:
        if field in source.fields and rng.random() < 0.8:
            items.append(f"{alias}.{field}")
        elif rng.random() < 0.3:
            items.append(f"CAST({alias}.{source.fields[-1]} AS VARCHAR(80)) AS {field}")
    if rng.random() < 0.1:
        items.append(f"{alias}.{source.fields[2]} AS Extra{rng.randint(1, 9)}")
    return items


def _query(rng: random.Random, number: int, sources: Sequence[_De], target: _De) -> str:
    a, b = rng.sample(list(sources), 2)
    shape = number % 5
    if shape == 0:
        items = _select(rng, a, target, "a")
        return (
            f"SELECT {', '.join(items)}\nFROM {_bracket(a.name)} a\n"
            f"WHERE a.EmailAddress IS NOT NULL AND a.SubscriberKey <> 'x{number}'"
        )
    if shape == 1:
        items = _select(rng, a, target, "a")
        return (
            f"SELECT {', '.join(items)}\nFROM {_bracket(a.name)} a\n"
            f"INNER JOIN {_bracket(b.name)} b ON b.SubscriberKey = a.SubscriberKey\n"
            f"WHERE b.EmailAddress LIKE '%{number}%'"
        )
    if shape == 2:
        return (
            "SELECT a.SubscriberKey, MAX(a.EmailAddress) AS EmailAddress, COUNT(*) AS Points\n"
            f"FROM {_bracket(a.name)} a\nWHERE a.SubscriberKey LIKE 'S{number}%'\n"
            "GROUP BY a.SubscriberKey HAVING COUNT(*) > 1"
        )
    if shape == 3:
        return (
            "SELECT s.SubscriberKey, a.EmailAddress, CONVERT(VARCHAR(30), MAX(s.EventDate), 126)"
            f" AS Notes\nFROM _Sent s\nINNER JOIN {_bracket(a.name)} a ON a.SubscriberKey ="
            f" s.SubscriberKey\nWHERE s.EventDate > DATEADD(day, -{number % 90 + 1}, GETDATE())\n"
            "GROUP BY s.SubscriberKey, a.EmailAddress"
        )
    # A benchmark's MCE SQL, checked by tsql and never run against our database.
    union = (
        "SELECT u.SubscriberKey, u.EmailAddress, LEFT(u.Src, 20) AS Source\nFROM (\n"  # noqa: S608
        f"  SELECT a.SubscriberKey, a.EmailAddress, 'A{number}' AS Src FROM {_bracket(a.name)} a\n"
        "  UNION ALL\n"
        f"  SELECT b.SubscriberKey, b.EmailAddress, 'B' AS Src FROM {_bracket(b.name)} b\n"
        ") u"
    )
    return union


async def _seed(
    admin: asyncpg.Connection, args: argparse.Namespace
) -> tuple[TenantContext, list[_De], list[_De]]:
    rng = random.Random(args.seed)
    tenant = await make_tenant("BenchPreflight")
    mid = tenant.child_mids[0]
    sources, de_rows, field_rows = _de_rows(
        rng, tenant_id=tenant.tenant_id, mid=mid, count=args.des, start=0, prefix="Source"
    )
    targets, target_rows, target_fields = _de_rows(
        rng, tenant_id=tenant.tenant_id, mid=mid, count=args.targets, start=0, prefix="Target"
    )
    await load_data_extensions(admin, de_rows + target_rows, field_rows + target_fields)
    await _load_activities(
        admin, rng, tenant_id=tenant.tenant_id, mid=mid, targets=targets, activities=500,
        automations=100,
    )  # fmt: skip
    await load_other_tenants(
        admin, count=args.other_tenants, name="BenchPreflightOther",
        rows=lambda tenant_id, mid: _de_rows(
            rng, tenant_id=tenant_id, mid=mid, count=args.des, start=0, prefix="Source"
        )[1:],
    )  # fmt: skip
    await vacuum_analyze(
        admin, ("mce_data_extensions", "mce_data_extension_fields", "mce_query_activities")
    )
    ctx = TenantContext(
        tenant_id=tenant.tenant_id,
        mid=mid,
        visible_mids=frozenset({mid, tenant.parent_mid}),
        user_id=tenant.user.id,
    )
    return ctx, sources, targets


async def _measure(
    ctx: TenantContext, sources: Sequence[_De], targets: Sequence[_De], *, checks: int, seed: int
) -> dict[str, float]:
    rng = random.Random(seed + 1)
    types = list(UpdateType)
    cases = []
    for number in range(checks + 20):
        target = rng.choice(list(targets))
        cases.append((_query(rng, number, sources, target), target.key, types[number % 3]))
    for sql, key, update_type in cases[:20]:  # warm the pool and the plans
        await check_query_target(ctx, sql=sql, target_key=key, update_type=update_type)
    samples: list[float] = []
    findings = 0
    refused = 0
    for sql, key, update_type in cases[20:]:
        started = time.perf_counter()
        report = await check_query_target(ctx, sql=sql, target_key=key, update_type=update_type)
        samples.append((time.perf_counter() - started) * 1000)
        findings += len(report.findings)
        refused += not report.sql_valid
    if refused:
        raise RuntimeError(f"{refused} generated queries were not valid SQL: fix the generator")
    return {
        "preflight_static_p50_ms": round(statistics.median(samples), 2),
        "preflight_static_p95_ms": round(percentile(samples, 0.95), 2),
        "preflight_static_p99_ms": round(percentile(samples, 0.99), 2),
        "findings_per_check": round(findings / len(samples), 1),
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    figures: dict[str, Any] = {
        "des": args.des,
        "targets": args.targets,
        "other_tenants": args.other_tenants,
        "checks": args.checks,
    }
    async with bench_database("preflight") as settings:
        (ctx, sources, targets), figures["seed_s"] = await seed_as_owner(
            settings, lambda admin: _seed(admin, args)
        )
        figures.update(await _measure(ctx, sources, targets, checks=args.checks, seed=args.seed))
    return figures


async def measure_static(*extra: str) -> dict[str, Any]:
    """This benchmark's figures, measured in a process of its own (``extra``: its options)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.preflight", *extra,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    output, _ = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"bench.preflight failed with exit code {process.returncode}")
    figures: dict[str, Any] = json.loads(output.decode().strip().splitlines()[-1])
    return figures


def measure_static_p95_ms(*extra: str) -> float:
    """``preflight_static_p95_ms``, for callers without an event loop of their own."""
    return float(asyncio.run(measure_static(*extra))["preflight_static_p95_ms"])


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--des", type=int, default=5_000)
    parser.add_argument("--targets", type=int, default=200)
    parser.add_argument("--other-tenants", type=int, default=5)
    parser.add_argument("--checks", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=17)
    args = parser.parse_args(argv)
    figures = asyncio.run(run(args))
    print(f"preflight_static_p95_ms: {figures['preflight_static_p95_ms']} ms (goal <= {GOAL_MS})")
    for key in ("preflight_static_p50_ms", "preflight_static_p99_ms", "findings_per_check"):
        print(f"{key}: {figures[key]}")
    sys.stdout.flush()
    print(json.dumps(figures, sort_keys=True))


if __name__ == "__main__":
    main()
