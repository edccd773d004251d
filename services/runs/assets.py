"""The MCE side of Quarry's assets: the BU's two folders, shell pairs, adapting, deleting.

Every asset is named by :func:`services.metadata.assets.quarry_asset_name` (so the metadata
cache flags it and the explorer hides it) and is in the inventory (``mce_assets``) before it
is created in MCE: creates go through the client's ``create_or_find`` (a lost answer is
looked up by CustomerKey before anything is sent again), so a retried job never makes a
second copy.

The folders: ``QRY__Runs`` under the BU's root data-extension folder (the shell DEs) and
``QRY__Queries`` under its root query-activity folder (the shell QDs), created once per BU and
described so an MCE administrator knows what they are. Shell DEs carry MCE's shortest data
retention, one day per row (REFERENCE §2.4: QSPRO's temporary DEs use a one-day retention):
a backstop should Quarry lose track of one; nothing relies on it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID, uuid4

from client.bridge import MceBridge
from client.errors import MceValidationError
from client.errors import NotFound as MceNotFound
from client.soap.specs import (
    NewDataExtension,
    NewFolder,
    NewQueryDefinition,
    QueryDefinitionChanges,
    Retention,
)
from models import TenantContext, TenantRepository
from models.runs import AssetKind
from services.metadata.assets import QuarryAssetKind, quarry_asset_name
from services.runs.pool import AssetInfo, asset_rows, mark_adapted, mark_created
from services.runs.shapes import ShellField

__all__ = [
    "DE_DESCRIPTION",
    "QD_DESCRIPTION",
    "ShellFolders",
    "adapt_shell",
    "create_shell",
    "delete_asset",
    "ensure_folders",
    "point_query",
]

FOLDER_DESCRIPTION = (
    "Created by Quarry (SQL workbench) for ad-hoc query runs. Quarry reuses and deletes what"
    " is in here; uninstalling Quarry removes it."
)
DE_DESCRIPTION = "Quarry run results (temporary, reused; managed by Quarry)."
QD_DESCRIPTION = "Quarry ad-hoc run (reused; managed by Quarry)."
SHELL_RETENTION = Retention(length=1, period="Days", row_based=True, delete_at_end=False)


@dataclass(frozen=True, slots=True)
class ShellFolders:
    data_extensions: int
    queries: int


_FOLDER_INSERT_SQL = (
    "INSERT INTO mce_assets (id, tenant_id, mid, is_shared, kind, name, customer_key, shape,"
    " shape_columns, state, created_by, use_count, note, created_at, updated_at)"
    " VALUES ($1, $2, $3, false, 'FOLDER', $4, $4, '', '[]'::jsonb, 'CREATING', $5, 0, '',"
    " now(), now()) ON CONFLICT (tenant_id, mid, kind, customer_key) DO NOTHING"
)


async def ensure_folders(ctx: TenantContext, bridge: MceBridge, *, user_id: UUID) -> ShellFolders:
    """The BU's two Quarry folders, created (as ``user_id``) the first time."""
    de_folder = await _ensure_folder(
        ctx, bridge, kind=QuarryAssetKind.FOLDER, content_type="dataextension", user_id=user_id
    )
    qd_folder = await _ensure_folder(
        ctx, bridge, kind=QuarryAssetKind.QUERY_FOLDER, content_type="queryactivity",
        user_id=user_id,
    )  # fmt: skip
    return ShellFolders(data_extensions=de_folder, queries=qd_folder)


async def _ensure_folder(
    ctx: TenantContext,
    bridge: MceBridge,
    *,
    kind: QuarryAssetKind,
    content_type: str,
    user_id: UUID,
) -> int:
    name = quarry_asset_name(kind)
    repo = TenantRepository(ctx)
    known = await asset_rows(repo, "kind = 'FOLDER' AND customer_key = $1", [name])
    if known and known[0].folder_id is not None and known[0].state.value != "BROKEN":
        return known[0].folder_id
    # A folder never attempted before is created straight away (MCE refuses a second one of
    # the key, found then); one attempted before may be there already: looked for first.
    attempted = bool(known)
    if not known:
        await repo.fetch(_FOLDER_INSERT_SQL, [uuid4(), ctx.tenant_id, ctx.mid, name, user_id])
        known = await asset_rows(repo, "kind = 'FOLDER' AND customer_key = $1", [name])
    root = await _root_folder(bridge, content_type)
    found = await _folder_by_key(bridge, content_type, root, name) if attempted else None
    if found is not None:
        await mark_created(ctx, known[0].id, object_id=None, folder_id=found)
        return found
    spec = NewFolder(
        name=name,
        content_type=content_type,
        parent_id=root,
        customer_key=name,
        description=FOLDER_DESCRIPTION,
        allow_children=False,
    )
    try:
        created = await bridge.soap.create_or_find(spec)
        folder_id = created.id
    except MceValidationError:  # created meanwhile by another job: find it
        folder_id = await _folder_by_key(bridge, content_type, root, name)
        if folder_id is None:
            raise
    if folder_id is None:
        folder_id = await _folder_by_key(bridge, content_type, root, name)
    if folder_id is None:
        raise RuntimeError(f"Marketing Cloud created folder {name} but did not say its ID")
    await mark_created(ctx, known[0].id, object_id=None, folder_id=folder_id)
    return folder_id


async def _root_folder(bridge: MceBridge, content_type: str) -> int:
    async for folder in bridge.soap.folders(content_type=content_type, parent_id=0):
        if folder.id is not None:
            return folder.id
    raise RuntimeError(f"this business unit has no root {content_type} folder")


async def _folder_by_key(bridge: MceBridge, content_type: str, parent: int, key: str) -> int | None:
    async for folder in bridge.soap.folders(content_type=content_type, parent_id=parent):
        if folder.customer_key == key or folder.name == key:
            return folder.id
    return None


async def create_shell(
    ctx: TenantContext,
    bridge: MceBridge,
    *,
    de: AssetInfo,
    qd: AssetInfo,
    folders: ShellFolders,
    query_text: str,
) -> tuple[str, str]:
    """Create the pair in MCE (the DE, then the QD writing into it, Overwrite): the two
    ObjectIDs. Each row becomes LEASED once MCE has the asset."""
    de_object = de.object_id
    if de_object is None:
        created = await bridge.soap.create_or_find(
            NewDataExtension(
                customer_key=de.customer_key,
                name=de.name,
                fields=[field.field_spec(i + 1) for i, field in enumerate(de.fields)],
                category_id=folders.data_extensions,
                description=DE_DESCRIPTION,
                retention=SHELL_RETENTION,
            )
        )
        de_object = created.object_id or ""
        await mark_created(ctx, de.id, object_id=de_object, folder_id=folders.data_extensions)
    qd_object = qd.object_id
    if qd_object is None:
        created = await bridge.soap.create_or_find(
            NewQueryDefinition(
                customer_key=qd.customer_key,
                name=qd.name,
                query_text=query_text,
                target_key=de.customer_key,
                target_name=de.name,
                update_type="Overwrite",
                category_id=folders.queries,
                description=QD_DESCRIPTION,
            )
        )
        qd_object = created.object_id or ""
        await mark_created(ctx, qd.id, object_id=qd_object, folder_id=folders.queries)
    else:
        await point_query(bridge, qd=qd, query_text=query_text)
    return de_object, qd_object


async def adapt_shell(
    ctx: TenantContext, bridge: MceBridge, *, de: AssetInfo, add: Sequence[ShellField]
) -> None:
    """Add the fields ``add`` to the pooled DE (all nullable, after its own)."""
    if not add:
        return
    start = len(de.fields)
    await bridge.soap.create_fields(
        de.customer_key, [field.field_spec(start + i + 1) for i, field in enumerate(add)]
    )
    await mark_adapted(ctx, de.id, fields=(*de.fields, *add))


async def point_query(bridge: MceBridge, *, qd: AssetInfo, query_text: str) -> None:
    """Give the pooled QD this run's SQL (its target, the paired DE, never changes)."""
    await bridge.soap.update_query_definition(
        QueryDefinitionChanges(
            customer_key=None if qd.object_id else qd.customer_key,
            object_id=qd.object_id,
            query_text=query_text,
        )
    )


async def delete_asset(bridge: MceBridge, asset: AssetInfo) -> None:
    """Delete one asset in MCE; one already gone counts as deleted."""
    try:
        if asset.kind is AssetKind.DE:
            await bridge.soap.delete_data_extension(asset.customer_key, missing_ok=True)
        elif asset.kind is AssetKind.QD:
            object_id = asset.object_id or await _query_object_id(bridge, asset.customer_key)
            if object_id:
                await bridge.soap.delete_query_definition(object_id, missing_ok=True)
        elif asset.folder_id is not None:
            await bridge.soap.delete_folder(asset.folder_id, missing_ok=True)
    except MceNotFound:
        return


async def _query_object_id(bridge: MceBridge, key: str) -> str | None:
    async for query in bridge.soap.query_definitions(customer_key=key):
        return query.object_id
    return None
