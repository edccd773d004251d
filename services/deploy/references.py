"""A folder or DE named by its metadata cache id (what GraphQL's ``Folder.id`` and
``DataExtension.id`` carry) turned into what a deployment names in every BU: a path, a key.

Both are read under the viewer's context, so row-level security decides: an id of another
tenant's or BU's folder or DE (or of a Quarry asset, or junk) is NOT_FOUND exactly like an id
that never existed, and nothing is deployed on its strength.
"""

from __future__ import annotations

from uuid import UUID

from models import TenantContext
from services.deploy.request import TargetSpec
from services.errors import InvalidInput, NotFound
from services.metadata import queries

__all__ = ["NO_SUCH_DATA_EXTENSION", "NO_SUCH_FOLDER", "folder_path_of", "target_of"]

NO_SUCH_FOLDER = "No such query folder."
NO_SUCH_DATA_EXTENSION = "No such data extension."
_MAX_DEPTH = 20


async def folder_path_of(
    ctx: TenantContext, folder_id: UUID | None, *, field: str
) -> tuple[str, ...]:
    """The path under the root query folder of the cached folder ``folder_id``."""
    found = (
        None
        if folder_id is None
        else (await queries.folders_by_ids(ctx, [folder_id])).get(folder_id)
    )
    if found is None or found.content_type != "queryactivity" or found.mid != ctx.mid:
        raise NotFound(NO_SUCH_FOLDER, field=field)
    names: list[str] = []
    current = found
    for _ in range(_MAX_DEPTH):
        parent_id = current.parent_folder_id
        if parent_id in (None, 0):
            return tuple(reversed(names))
        names.append(current.name)
        parents = await queries.folders_by_mce_id(ctx, [(current.mid, int(parent_id))])
        parent = parents.get((current.mid, int(parent_id)))
        if parent is None:
            break
        current = parent
    raise InvalidInput(
        "The folder's place is not fully known yet: refresh the metadata, or name it by path.",
        field=field,
    )


async def target_of(
    ctx: TenantContext, data_extension_id: UUID | None, base: TargetSpec, *, field: str
) -> TargetSpec:
    """``base`` aimed at the cached DE ``data_extension_id``: its key, and shared when it is a
    shared DE (addressed through the parent BU)."""
    found = None
    if data_extension_id is not None:
        found = (await queries.data_extensions_by_ids(ctx, [data_extension_id])).get(
            data_extension_id
        )
    if found is None:
        raise NotFound(NO_SUCH_DATA_EXTENSION, field=field)
    return TargetSpec(
        key=found.customer_key,
        name=base.name or found.name,
        folder_path=base.folder_path,
        shared=found.is_shared,
        create=False,
        primary_key=base.primary_key,
    )
