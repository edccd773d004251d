"""What the wizard reads from the metadata cache about one BU: names and keys already taken,
the folder a DE would go in, and the membership that lets a user act there.

Every read runs under the BU's own tenant context (:func:`bu_context`), so row-level security
decides what is visible: the BU's rows and its parent's shared ones. Names and keys are taken
only by the BU's own DEs (a parent's shared DE is read as ``ENT.``, so it never clashes),
Quarry's own assets included: MCE refuses a duplicate whoever made it. The cache may lag MCE
(a DE created a moment ago elsewhere); MCE's own refusal is then reported by the create.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

from models import Membership, TenantContext, TenantRepository
from services.errors import NotFound
from services.metadata.context import bu_scope
from services.metadata.queries import FolderInfo, folders_by_ids, folders_by_mce_id

__all__ = [
    "DE_FOLDER_TYPES",
    "BuNames",
    "bu_context",
    "default_folder",
    "folder_of_bu",
    "is_member",
    "source_folders",
    "taken_names",
]

#: Folder content types a DE may be created in (a ``shared_*`` one makes it shared).
DE_FOLDER_TYPES = ("dataextension", "shared_data", "shared_dataextension")


@dataclass(frozen=True, slots=True)
class BuNames:
    """Lower-cased names and customer keys of the BU's DEs, among those asked about."""

    names: frozenset[str]
    keys: frozenset[str]


async def bu_context(tenant_id: int, mid: int, *, user_id: UUID | None = None) -> TenantContext:
    """The context that reads and writes BU ``mid``'s rows (its parent's shared ones
    visible); :class:`NotFound` when the tenant has no such BU."""
    scope = await bu_scope(tenant_id, mid)
    ctx = scope.ctx
    return TenantContext(
        tenant_id=ctx.tenant_id, mid=ctx.mid, visible_mids=ctx.visible_mids, user_id=user_id
    )


async def is_member(tenant_id: int, *, user_id: UUID, mid: int) -> bool:
    """Whether the user belongs to BU ``mid`` (only then may they act there)."""
    repo = TenantRepository(TenantContext(tenant_id=tenant_id))
    return await repo.of(Membership).count(user_id=user_id, mid=mid) > 0


_TAKEN_SQL = (
    "SELECT lower(name) AS name, lower(customer_key) AS customer_key FROM mce_data_extensions"
    " WHERE tenant_id = $1 AND mid = $2"
    " AND (lower(name) = ANY($3::text[]) OR lower(customer_key) = ANY($4::text[]))"
)


async def taken_names(ctx: TenantContext, *, names: Sequence[str], keys: Sequence[str]) -> BuNames:
    """Which of ``names`` and ``keys`` the BU's own DEs already use (case-insensitively)."""
    assert ctx.mid is not None
    rows = await TenantRepository(ctx).fetch(
        _TAKEN_SQL,
        [ctx.tenant_id, ctx.mid, [n.lower() for n in names], [k.lower() for k in keys]],
    )
    wanted_names = {n.lower() for n in names}
    wanted_keys = {k.lower() for k in keys}
    return BuNames(
        names=frozenset(r["name"] for r in rows if r["name"] in wanted_names),
        keys=frozenset(r["customer_key"] for r in rows if r["customer_key"] in wanted_keys),
    )


_ROOT_SQL = (
    "SELECT id FROM mce_folders WHERE tenant_id = $1 AND mid = $2"
    " AND content_type = 'dataextension' AND coalesce(parent_folder_id, 0) = 0"
    " ORDER BY folder_id LIMIT 1"
)


async def default_folder(ctx: TenantContext) -> FolderInfo | None:
    """The BU's root "Data Extensions" folder, when the cache holds it."""
    assert ctx.mid is not None
    rows = await TenantRepository(ctx).fetch(_ROOT_SQL, [ctx.tenant_id, ctx.mid])
    if not rows:
        return None
    return (await folders_by_ids(ctx, [rows[0]["id"]])).get(rows[0]["id"])


_SOURCE_FOLDERS_SQL = (
    "SELECT lower(name) AS name, folder_id FROM mce_data_extensions"
    " WHERE tenant_id = $1 AND mid = $2 AND lower(name) = ANY($3::text[])"
    " AND folder_id IS NOT NULL AND NOT is_shared"
)


async def source_folders(ctx: TenantContext, names: Sequence[str]) -> list[FolderInfo]:
    """The folders of the BU's own DEs called ``names``, in the order of ``names``."""
    assert ctx.mid is not None
    if not names:
        return []
    rows = await TenantRepository(ctx).fetch(
        _SOURCE_FOLDERS_SQL, [ctx.tenant_id, ctx.mid, [n.lower() for n in names]]
    )
    by_name = {row["name"]: int(row["folder_id"]) for row in rows}
    wanted = [(ctx.mid, by_name[n.lower()]) for n in names if n.lower() in by_name]
    found = await folders_by_mce_id(ctx, wanted) if wanted else {}
    folders = [found[key] for key in wanted if key in found]
    return [f for f in folders if f.content_type == "dataextension"]


async def folder_of_bu(
    ctx: TenantContext, *, folder_id: UUID | None = None, category_id: int | None = None
) -> FolderInfo:
    """A DE folder of the BU itself, by its cache id or MCE's DataFolder ID.

    :class:`NotFound` for anything else alike: another tenant's folder (invisible), another
    BU's (a parent's shared folder is visible from a child, but a DE created there would be
    the parent's), a query-activity folder, or a folder the cache does not hold.
    """
    assert ctx.mid is not None
    found: FolderInfo | None = None
    if folder_id is not None:
        found = (await folders_by_ids(ctx, [folder_id])).get(folder_id)
    elif category_id is not None:
        found = (await folders_by_mce_id(ctx, [(ctx.mid, category_id)])).get((ctx.mid, category_id))
    if found is None or found.mid != ctx.mid or found.content_type not in DE_FOLDER_TYPES:
        raise NotFound("No such data extension folder in this business unit.", field="folderId")
    return found
