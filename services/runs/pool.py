"""The per-BU pool of shell DEs and QDs: leases, in Postgres (``mce_assets``).

A shell is a pair: a DE and the QD whose target it is (``pair_id`` links them both ways).
:func:`lease_shell` gives a run a pair whose DE fits its output (services/runs/shapes.py):

1. the pair already leased to this run (a retried start job reuses it);
2. a free pair of exactly the run's shape, else one whose fields cover it (fewest fields);
3. else a free pair it can adapt (no field of a needed name that cannot take it; the missing
   fields are added in MCE, up to ``max_fields_per_shell``);
4. else a new pair: its rows are written CREATING *before* anything is created in MCE, so an
   asset whose create answer is lost is still in the inventory and gets cleaned up.

"Free" is AVAILABLE, or LEASED/DRAINING with an expired lease (its holder died or its results
window ended). Leasing holds a per-BU advisory lock for its short transaction: two starts never
take the same pair. MCE is never called inside it (services/runs/assets.py makes the calls).

A lease lasts ``start_lease_seconds`` (MCE's 30-minute limit plus margin) while a run starts
and runs, then until the results window ends once the run is COMPLETE
(:func:`keep_for_results`); a failed run's pair is free at once (:func:`release_shell`); a
canceled run's pair drains (:func:`drain_after_cancel`) until MCE is done with it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID, uuid4

from models import TenantContext, TenantRepository
from models.runs import AssetKind, AssetState, RunStatus
from services.metadata.assets import QuarryAssetKind, quarry_asset_name
from services.runs.config import RunConfig
from services.runs.shapes import ShellField, conflicts, fits, missing_fields, shape_key
from services.runs.store import RunInfo

__all__ = [
    "ASSET_COLUMNS",
    "AssetInfo",
    "LeaseKind",
    "ShellLease",
    "asset_rows",
    "bu_scope",
    "drain_after_cancel",
    "keep_for_results",
    "lease_shell",
    "mark_adapted",
    "mark_broken",
    "mark_created",
    "release_shell",
]

ASSET_COLUMNS = (
    "id, tenant_id, mid, kind, name, customer_key, object_id, folder_id, pair_id, shape,"
    " shape_columns, state, created_by, created_at, last_used_at, use_count, lease_run_id,"
    " lease_expires_at, note, updated_at"
)

_LOCK_SQL = "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))"
_FREE = "(state = 'AVAILABLE' OR (state IN ('LEASED', 'DRAINING') AND lease_expires_at < now()))"


class LeaseKind(StrEnum):
    REUSED = "REUSED"  # an existing pair fits as it is
    ADAPT = "ADAPT"  # an existing pair, fields to add first
    CREATE = "CREATE"  # a new pair, to create in MCE


@dataclass(frozen=True, slots=True)
class AssetInfo:
    id: UUID
    mid: int
    kind: AssetKind
    name: str
    customer_key: str
    object_id: str | None
    folder_id: int | None
    pair_id: UUID | None
    shape: str
    fields: tuple[ShellField, ...]
    state: AssetState
    created_by: UUID | None
    created_at: datetime
    last_used_at: datetime | None
    use_count: int
    lease_run_id: UUID | None
    lease_expires_at: datetime | None
    note: str

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> AssetInfo:
        raw = row["shape_columns"]
        if isinstance(raw, str):
            raw = json.loads(raw)
        return cls(
            id=row["id"],
            mid=int(row["mid"]),
            kind=AssetKind(row["kind"]),
            name=row["name"],
            customer_key=row["customer_key"],
            object_id=row["object_id"],
            folder_id=row["folder_id"],
            pair_id=row["pair_id"],
            shape=row["shape"],
            fields=tuple(ShellField.from_json(item) for item in raw or ()),
            state=AssetState(row["state"]),
            created_by=row["created_by"],
            created_at=row["created_at"],
            last_used_at=row["last_used_at"],
            use_count=int(row["use_count"]),
            lease_run_id=row["lease_run_id"],
            lease_expires_at=row["lease_expires_at"],
            note=row["note"],
        )


@dataclass(frozen=True, slots=True)
class ShellLease:
    """A pair leased to a run; ``add_fields`` is what ADAPT must add to the DE first."""

    kind: LeaseKind
    de: AssetInfo
    qd: AssetInfo
    add_fields: tuple[ShellField, ...] = ()


def _json(fields: Sequence[ShellField]) -> str:
    return json.dumps([field.as_json() for field in fields])


def bu_scope(repo: TenantRepository, params: Sequence[Any]) -> tuple[str, list[Any]]:
    """``tenant_id = $n AND mid = $m`` for the repository's BU, after ``params``.

    RLS confines the app role to the BU; the system role (the CLI, cross-tenant work) sees
    every row, so every multi-row statement names the tenant and the BU itself.
    """
    n = len(params)
    return f"tenant_id = ${n + 1} AND mid = ${n + 2}", [*params, repo.ctx.tenant_id, repo.ctx.mid]


async def asset_rows(repo: TenantRepository, where: str, params: Sequence[Any]) -> list[AssetInfo]:
    """Assets of the repository's BU matching ``where`` (a constant clause of the caller's,
    without a top-level OR; it may end with ORDER BY)."""
    scope, values = bu_scope(repo, params)
    rows = await repo.fetch(
        f"SELECT {ASSET_COLUMNS} FROM mce_assets WHERE {scope} AND {where}",  # noqa: S608
        values,
    )
    return [AssetInfo.from_row(row) for row in rows]


async def lease_shell(
    ctx: TenantContext,
    run: RunInfo,
    *,
    needed: Sequence[ShellField],
    config: RunConfig,
) -> ShellLease:
    """A pair for ``run`` (see the module doc for the order), leased in Postgres."""
    repo = TenantRepository(ctx)
    seconds = config.start_lease_seconds
    async with repo.transaction():
        await repo.fetch(_LOCK_SQL, [f"pool:{ctx.tenant_id}:{ctx.mid}"])
        held = await asset_rows(
            repo, "lease_run_id = $1 AND kind IN ('DE', 'QD') ORDER BY kind", [run.id]
        )
        if len(held) == 2:
            de, qd = (held[0], held[1]) if held[0].kind is AssetKind.DE else (held[1], held[0])
            lease_kind = (
                LeaseKind.CREATE
                if de.object_id is None or qd.object_id is None
                else (LeaseKind.REUSED if fits(de.fields, needed) else LeaseKind.ADAPT)
            )
            return ShellLease(lease_kind, de, qd, missing_fields(de.fields, needed))
        free = await asset_rows(
            repo,
            f"kind = 'DE' AND {_FREE} AND object_id IS NOT NULL AND pair_id IS NOT NULL"
            " ORDER BY last_used_at DESC NULLS LAST, id",
            [],
        )
        choice, lease_kind = _choose(free, needed, max_fields=config.max_fields_per_shell)
        if choice is not None:
            taken_de, taken_qd = await _take(repo, choice, run=run, seconds=seconds)
            if taken_qd is not None:
                add = missing_fields(taken_de.fields, needed)
                return ShellLease(lease_kind, taken_de, taken_qd, add)
        new_de, new_qd = await _insert_pair(repo, ctx, run=run, needed=needed, seconds=seconds)
        return ShellLease(LeaseKind.CREATE, new_de, new_qd)


def _choose(
    free: Sequence[AssetInfo], needed: Sequence[ShellField], *, max_fields: int
) -> tuple[AssetInfo | None, LeaseKind]:
    key = shape_key(needed)
    exact = [de for de in free if de.shape == key]
    if exact:
        return exact[0], LeaseKind.REUSED
    fitting = sorted((de for de in free if fits(de.fields, needed)), key=lambda de: len(de.fields))
    if fitting:
        return fitting[0], LeaseKind.REUSED
    adaptable = sorted(
        (
            de
            for de in free
            if not conflicts(de.fields, needed)
            and len(de.fields) + len(missing_fields(de.fields, needed)) <= max_fields
        ),
        key=lambda de: (len(missing_fields(de.fields, needed)), len(de.fields)),
    )
    if adaptable:
        return adaptable[0], LeaseKind.ADAPT
    return None, LeaseKind.CREATE


_TAKE_SQL = (
    f"UPDATE mce_assets SET state = 'LEASED', lease_run_id = $2,"  # noqa: S608 - constants
    " lease_expires_at = now() + make_interval(secs => $3), last_used_at = now(),"
    " use_count = use_count + 1, updated_at = now()"
    f" WHERE id = ANY($1::uuid[]) AND {_FREE} RETURNING {ASSET_COLUMNS}"
)
_RUN_SHELLS_SQL = (
    "UPDATE runs SET shell_de_id = $2, shell_qd_id = $3, updated_at = now() WHERE id = $1"
)


async def _take(
    repo: TenantRepository, de: AssetInfo, *, run: RunInfo, seconds: int
) -> tuple[AssetInfo, AssetInfo | None]:
    rows = await repo.fetch(_TAKE_SQL, [[de.id, de.pair_id], run.id, seconds])
    taken = [AssetInfo.from_row(row) for row in rows]
    leased_de = next((a for a in taken if a.kind is AssetKind.DE), None)
    leased_qd = next((a for a in taken if a.kind is AssetKind.QD), None)
    if leased_de is None or leased_qd is None:
        # The QD is gone or busy (e.g. BROKEN): give the DE back, let the caller create.
        if leased_de is not None:
            await repo.fetch(
                "UPDATE mce_assets SET state = 'AVAILABLE', lease_run_id = NULL,"
                " lease_expires_at = NULL WHERE id = $1",
                [leased_de.id],
            )
        return de, None
    await repo.fetch(_RUN_SHELLS_SQL, [run.id, leased_de.id, leased_qd.id])
    return leased_de, leased_qd


_INSERT_SQL = (
    "INSERT INTO mce_assets (id, tenant_id, mid, is_shared, kind, name, customer_key, pair_id,"  # noqa: S608 - constants
    " shape, shape_columns, state, created_by, use_count, lease_run_id, lease_expires_at,"
    " last_used_at, note, created_at, updated_at)"
    " VALUES ($1, $2, $3, false, $4, $5, $5, $6, $7, $8::jsonb, 'CREATING', $9, 1, $10,"
    " now() + make_interval(secs => $11), now(), '', now(), now())"
    f" RETURNING {ASSET_COLUMNS}"
)


async def _insert_pair(
    repo: TenantRepository,
    ctx: TenantContext,
    *,
    run: RunInfo,
    needed: Sequence[ShellField],
    seconds: int,
) -> tuple[AssetInfo, AssetInfo]:
    de_id, qd_id = uuid4(), uuid4()
    token = uuid4().hex[:20]
    [de_row] = await repo.fetch(
        _INSERT_SQL,
        [
            de_id, ctx.tenant_id, ctx.mid, AssetKind.DE.value,
            quarry_asset_name(QuarryAssetKind.SHELL_DE, token), qd_id, shape_key(needed),
            _json(needed), run.user_id, run.id, seconds,
        ],
    )  # fmt: skip
    [qd_row] = await repo.fetch(
        _INSERT_SQL,
        [
            qd_id, ctx.tenant_id, ctx.mid, AssetKind.QD.value,
            quarry_asset_name(QuarryAssetKind.SHELL_QD, token), de_id, "", "[]", run.user_id,
            run.id, seconds,
        ],
    )  # fmt: skip
    await repo.fetch(_RUN_SHELLS_SQL, [run.id, de_id, qd_id])
    return AssetInfo.from_row(de_row), AssetInfo.from_row(qd_row)


async def mark_created(
    ctx: TenantContext, asset_id: UUID, *, object_id: str | None, folder_id: int | None
) -> None:
    """MCE holds the asset now: CREATING becomes LEASED (its lease was taken with it)."""
    await TenantRepository(ctx).fetch(
        "UPDATE mce_assets SET object_id = $2, folder_id = $3, updated_at = now(),"
        " state = CASE WHEN state = 'CREATING' AND lease_run_id IS NOT NULL THEN 'LEASED'"
        "              WHEN state = 'CREATING' THEN 'AVAILABLE' ELSE state END"
        " WHERE id = $1",
        [asset_id, object_id, folder_id],
    )


async def mark_adapted(ctx: TenantContext, de_id: UUID, *, fields: Sequence[ShellField]) -> None:
    """The DE now has ``fields`` (its old ones plus those added)."""
    await TenantRepository(ctx).fetch(
        "UPDATE mce_assets SET shape = $2, shape_columns = $3::jsonb, updated_at = now()"
        " WHERE id = $1",
        [de_id, shape_key(fields), _json(fields)],
    )


async def mark_broken(ctx: TenantContext, asset_ids: Sequence[UUID], *, note: str) -> None:
    """MCE refused these assets: never lease them again; the recycler deletes them."""
    await TenantRepository(ctx).fetch(
        "UPDATE mce_assets SET state = 'BROKEN', note = $2, lease_run_id = NULL,"
        " lease_expires_at = NULL, updated_at = now() WHERE id = ANY($1::uuid[])",
        [list(asset_ids), note[:1000]],
    )


async def release_shell(ctx: TenantContext, run_id: UUID) -> int:
    """The run's pair is free again (the run failed, or MCE finished a canceled run, or its
    results expired). Returns how many assets were released."""
    rows = await TenantRepository(ctx).fetch(
        "UPDATE mce_assets SET state = 'AVAILABLE', lease_run_id = NULL,"
        " lease_expires_at = NULL, updated_at = now()"
        " WHERE lease_run_id = $1 AND state IN ('LEASED', 'DRAINING') RETURNING id",
        [run_id],
    )
    return len(rows)


async def keep_for_results(ctx: TenantContext, run_id: UUID, *, until: datetime) -> None:
    """A complete run's pair stays leased while its rows can be read."""
    await TenantRepository(ctx).fetch(
        "UPDATE mce_assets SET lease_expires_at = $2, updated_at = now()"
        " WHERE lease_run_id = $1 AND state = 'LEASED'",
        [run_id, until],
    )


async def drain_after_cancel(ctx: TenantContext, run: RunInfo) -> None:
    """A canceled run's pair DRAINS: it is not free until whoever still uses it is done. MCE
    may still run it (the poller calls :func:`release_shell` once MCE is done), or its start
    job may still be preparing it (the job frees it when it sees the run canceled: freed any
    earlier, another run could take the QD while this job still writes its SQL into it). A
    lease that expires frees it too (its holder died)."""
    if run.status is not RunStatus.CANCELED:
        return
    await TenantRepository(ctx).fetch(
        "UPDATE mce_assets SET state = 'DRAINING', updated_at = now()"
        " WHERE lease_run_id = $1 AND state = 'LEASED'",
        [run.id],
    )
