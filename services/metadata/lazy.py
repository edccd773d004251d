"""Lazy loading: what the sidebar opens before a sync cached it is fetched from MCE at once.

- :func:`ensure_folder_children`: a folder whose children were never loaded (or the root,
  ``folder_id=0``) gets its subfolders and its DEs (with their fields) or query activities
  fetched and cached, then is marked loaded.
- :func:`ensure_data_extension`: a DE the cache does not hold (by key or name) is fetched with
  its fields and cached; returns its cache id.

Both act as the viewer (their token for the BU, services.mce_bridges) and write in the BU's
own context. A parent's shared DEs (``ENT.`` names, shared folders seen from a child) are not
fetched here: a child's token does not list them (REFERENCE §2.6); the shared sync does.
Rows are stamped with a fresh generation, so a sync running meanwhile keeps them.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

import httpx

from client.endpoints import EndpointPolicy
from client.tokens import TokenProvider
from models import TenantContext, TenantRepository
from services.mce_bridges import bridge_for_user
from services.metadata import cache
from services.metadata.context import bu_scope
from services.metadata.rows import CACHED_FOLDER_TYPES, QUERY_FOLDER_TYPES, folder_row
from services.metadata.state import QuietSink
from services.metadata.steps import SyncRun

__all__ = ["LazyDeps", "ensure_data_extension", "ensure_folder_children"]

ENT_PREFIX = "ent."


@dataclass(frozen=True)
class LazyDeps:
    """The viewer's MCE access: the process's HTTP client, token provider, endpoint policy."""

    http: httpx.AsyncClient
    tokens: TokenProvider
    policy: EndpointPolicy


_FOLDER_SQL = (
    "SELECT content_type, children_loaded, is_shared FROM mce_folders"
    " WHERE tenant_id = $1 AND mid = $2 AND folder_id = $3"
)
_SHARED_FOLDERS_SQL = (
    "SELECT folder_id FROM mce_folders WHERE tenant_id = $1 AND mid = $2 AND is_shared"
)
_DE_SQL = (
    "SELECT id FROM mce_data_extensions WHERE tenant_id = $1 AND fields_complete"
    " AND ((mid = $2 AND (lower(customer_key) = lower($3) OR lower(name) = lower($4)))"
    "  OR (mid = $5 AND is_shared AND lower(name) = lower($6)))"
    " ORDER BY (mid = $2) DESC LIMIT 1"
)


async def ensure_folder_children(
    ctx: TenantContext, *, mid: int, folder_id: int, user_id: UUID, deps: LazyDeps
) -> bool:
    """Make sure folder ``folder_id`` of BU ``mid`` (0: the BU's root) has its children
    cached; True when they were fetched now, False when they already were (or the folder is
    the parent's, cached by the shared sync). The caller checked the viewer may see ``mid``."""
    scope = await bu_scope(ctx.tenant_id, mid)
    repo = TenantRepository(scope.ctx)
    content_types: tuple[str, ...] = CACHED_FOLDER_TYPES
    if folder_id != 0:
        rows = await repo.fetch(_FOLDER_SQL, [scope.tenant_id, scope.mid, folder_id])
        if rows and rows[0]["children_loaded"]:
            return False
        if not rows:
            parent_rows = []
            if scope.parent_mid is not None:
                parent_rows = await TenantRepository(scope.ctx).fetch(
                    _FOLDER_SQL, [scope.tenant_id, scope.parent_mid, folder_id]
                )
            if parent_rows:
                return False
        else:
            content_types = (rows[0]["content_type"],)
    bridge = await bridge_for_user(
        scope.ctx, user_id=user_id, mid=scope.mid, http=deps.http, tokens=deps.tokens,
        policy=deps.policy,
    )  # fmt: skip
    generation = cache.new_generation()
    subfolders = [
        folder_row(folder)
        async for folder in bridge.soap.folders(parent_id=folder_id)
        if folder.id is not None and folder.content_type in CACHED_FOLDER_TYPES
    ]
    await cache.upsert_folders(scope, subfolders, generation=generation, children_loaded=False)
    if folder_id == 0:
        return True
    run = SyncRun(
        bridge=bridge,
        scope=scope,
        recorder=QuietSink(),
        generation=generation,
        since=None,
        heartbeat=_nothing,
    )
    if set(content_types) <= set(QUERY_FOLDER_TYPES):
        await run.write_queries(bridge.soap.query_definitions(folder_id=folder_id))
    else:
        shared = {
            int(r["folder_id"])
            for r in await repo.fetch(_SHARED_FOLDERS_SQL, [scope.tenant_id, scope.mid])
        }
        source = bridge.soap.data_extensions(folder_id=folder_id)
        await run.data_extensions(source, shared_folders=shared, all_shared=False)
    await cache.mark_children_loaded(scope, [folder_id])
    return True


async def ensure_data_extension(
    ctx: TenantContext,
    *,
    mid: int,
    user_id: UUID,
    deps: LazyDeps,
    key: str | None = None,
    name: str | None = None,
) -> UUID | None:
    """The cache id of the DE with CustomerKey ``key`` or name ``name`` (``ENT.`` for the
    parent's shared DEs) visible from BU ``mid``, fetched from MCE with its fields when the
    cache lacks it; None when MCE has no such DE either."""
    if (key is None) == (name is None):
        raise ValueError("give key or name, not both")
    scope = await bu_scope(ctx.tenant_id, mid)
    repo = TenantRepository(scope.ctx)
    shared_name = name[len(ENT_PREFIX) :] if name and name.lower().startswith(ENT_PREFIX) else None
    parent = scope.parent_mid if scope.parent_mid is not None else -1
    params = [scope.tenant_id, scope.mid, key or "", name or "", parent, shared_name or ""]
    rows = await repo.fetch(_DE_SQL, params)
    if rows:
        found: UUID = rows[0]["id"]
        return found
    if shared_name is not None:
        return None  # the parent's shared DEs come from the shared sync
    bridge = await bridge_for_user(
        scope.ctx, user_id=user_id, mid=scope.mid, http=deps.http, tokens=deps.tokens,
        policy=deps.policy,
    )  # fmt: skip
    shared = {
        int(r["folder_id"])
        for r in await repo.fetch(_SHARED_FOLDERS_SQL, [scope.tenant_id, scope.mid])
    }
    run = SyncRun(
        bridge=bridge,
        scope=scope,
        recorder=QuietSink(),
        generation=cache.new_generation(),
        since=None,
        heartbeat=_nothing,
    )
    source = bridge.soap.data_extensions(customer_key=key, name=name)
    await run.data_extensions(source, shared_folders=shared, all_shared=False)
    rows = await repo.fetch(_DE_SQL, params)
    return rows[0]["id"] if rows else None


async def _nothing() -> None:
    return None
