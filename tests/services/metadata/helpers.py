"""Reading the cache as the app role, and the simulator's truth to compare it with."""

from __future__ import annotations

from typing import Any

from models import TenantContext, TenantRepository
from simulator.state import Simulator
from tests.services.wallet.helpers import SimTenant

CACHED_FOLDER_TYPES = ("dataextension", "shared_data", "shared_dataextension", "queryactivity")


def parent_and_children(sim: Simulator) -> tuple[int, list[int]]:
    parent = sim.store.enterprise.eid
    return parent, sorted(m for m in sim.store.business_units if m != parent)


def child_ctx(tenant: SimTenant, mid: int, parent: int) -> TenantContext:
    return TenantContext(tenant_id=tenant.tenant_id, mid=mid, visible_mids=frozenset({mid, parent}))


async def cached(ctx: TenantContext, sql: str, *params: Any) -> list[dict[str, Any]]:
    return await TenantRepository(ctx).fetch(sql, list(params))


async def cached_des(ctx: TenantContext) -> dict[str, dict[str, Any]]:
    """Every DE the context can read, by (``ENT.`` for the parent's shared ones) name."""
    rows = await cached(
        ctx,
        "SELECT d.*, (d.mid <> $1) AS from_parent FROM mce_data_extensions d",
        ctx.mid,
    )
    return {("ENT." if r["from_parent"] else "") + r["name"]: r for r in rows}


async def cached_fields(ctx: TenantContext, de_id: Any) -> list[dict[str, Any]]:
    return await cached(
        ctx,
        "SELECT * FROM mce_data_extension_fields WHERE data_extension_id = $1 ORDER BY ordinal",
        de_id,
    )


def sim_de_truth(sim: Simulator, mid: int) -> dict[str, list[tuple[Any, ...]]]:
    """The simulator's DEs owned by ``mid``: name → [(field, type, length/precision, scale,
    pk, required, ordinal)] in ordinal order."""
    truth: dict[str, list[tuple[Any, ...]]] = {}
    for de in sim.store.list_des(mid):
        rows = []
        for f in sorted(de.fields, key=lambda f: f.ordinal):
            kind = str(getattr(f.field_type, "value", f.field_type))
            decimal = kind == "Decimal"
            rows.append(
                (f.name, kind, None if decimal else f.max_length, f.precision, f.is_primary_key)
            )
        truth[de.name] = rows
    return truth


async def cache_de_truth(ctx: TenantContext, mid: int) -> dict[str, list[tuple[Any, ...]]]:
    rows = await cached(
        ctx,
        "SELECT d.name, f.name AS field, f.field_type, f.max_length, f.precision,"
        " f.is_primary_key FROM mce_data_extensions d"
        " LEFT JOIN mce_data_extension_fields f ON f.data_extension_id = d.id"
        " WHERE d.mid = $1 AND d.fields_complete ORDER BY d.name, f.ordinal",
        mid,
    )
    truth: dict[str, list[tuple[Any, ...]]] = {}
    for r in rows:
        fields = truth.setdefault(r["name"], [])
        if r["field"] is not None:
            fields.append(
                (r["field"], r["field_type"], r["max_length"], r["precision"], r["is_primary_key"])
            )
    return truth
