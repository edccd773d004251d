"""The target DE of one BU's deployment: found by key, or created where missing when asked.

The target is looked up by CustomerKey in the BU (one Retrieve). A shared target lives in the
parent BU (REFERENCE §2.6): it is looked up, and created, through the parent with the user's
token for the parent, in its "Shared Data Extensions" folders; the activity in the child
then writes into it by key, as MCE addresses shared DEs from children.

A DE the deployment creates is made by the target DE wizard's service
(:func:`services.target_des.create.create_target_data_extension`, helper W's): its naming,
type and key rules, creation as the user with ``create_or_find`` (a lost answer is found by
key, never sent blindly again), the metadata cache and the audit entry. The fields are the
wizard's proposal for each output column of the query (tsql's inference: type, length,
precision and scale), the request's key fields as the primary key. Its idempotency key is the
deployment's and the owning BU's, so a retried BU (or the other children of a deployment to a
shared target) get the same DE back, and the folders of its path are written to the cache
first (the wizard creates only in folders the cache knows).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

from client.bridge import MceBridge
from models import ActorType
from services.audit import Actor
from services.deploy.folders import (
    DATA_EXTENSION_FOLDERS,
    SHARED_DATA_EXTENSION_FOLDERS,
    FolderOutcome,
    resolve_folder,
)
from services.deploy.request import TargetSpec
from services.metadata.cache import new_generation, upsert_folders
from services.metadata.context import bu_scope
from services.metadata.preview import MceAccess
from services.metadata.rows import folder_row
from services.target_des.create import create_target_data_extension
from services.target_des.field_types import propose_field
from services.target_des.model import TargetDeInput
from tsql import Column

__all__ = [
    "TargetCreator",
    "TargetMissing",
    "TargetOutcome",
    "TargetRefused",
    "create_target",
    "find_target",
]

#: How long a BU waits for another BU of the deployment creating the same (shared) target.
_IN_PROGRESS_WAITS = 60
_IN_PROGRESS_SLEEP_S = 0.5


class TargetMissing(Exception):
    """No DE with the key in the BU, and the deployment does not create it."""

    def __init__(self, key: str, *, shared: bool) -> None:
        where = "the parent business unit's shared data extensions" if shared else "this BU"
        super().__init__(f"No data extension with the key {key!r} in {where}.")
        self.message = str(self)


@dataclass(frozen=True)
class TargetOutcome:
    object_id: str
    key: str
    name: str
    created: bool = False


async def find_target(owner: MceBridge, key: str) -> TargetOutcome | None:
    """The DE ``key`` in ``owner``'s BU, or None."""
    async for de in owner.soap.data_extensions(customer_key=key):
        if de.object_id:
            return TargetOutcome(
                object_id=de.object_id, key=de.customer_key or key, name=de.name or key
            )
    return None


class TargetRefused(Exception):
    """The wizard's rules or MCE refused the new target: its messages, safe to show."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class TargetCreator:
    """Who creates a target, as whom, and under which idempotency key."""

    tenant_id: int
    user_id: UUID
    access: MceAccess
    idempotency_key: str


async def _cache_folders(tenant_id: int, mid: int, folder: FolderOutcome) -> None:
    """The path's folders into the owning BU's cache (new ones included)."""
    scope = await bu_scope(tenant_id, mid)
    await upsert_folders(
        scope,
        [folder_row(f) for f in folder.chain],
        generation=new_generation(),
        children_loaded=False,
    )


async def create_target(
    owner: MceBridge,
    *,
    spec: TargetSpec,
    columns: Sequence[Column],
    create_folders: bool,
    creator: TargetCreator,
) -> TargetOutcome:
    """Create the target in ``owner``'s BU (its folder first) through the wizard's service
    (see the module doc); ``created`` is true (this deployment made it)."""
    kind = SHARED_DATA_EXTENSION_FOLDERS if spec.shared else DATA_EXTENSION_FOLDERS
    folder = await resolve_folder(owner, kind=kind, path=spec.folder_path, create=create_folders)
    mid = owner.target.mid
    await _cache_folders(creator.tenant_id, mid, folder)
    keys = {name.casefold() for name in spec.primary_key}
    request = TargetDeInput(
        name=spec.name or spec.key,
        fields=tuple(
            propose_field(column, primary_key=column.name.casefold() in keys).as_input()
            for column in columns
        ),
        customer_key=spec.key,
        description="Created by Quarry as the target of a query activity.",
        category_id=folder.folder_id,
    )
    for _ in range(_IN_PROGRESS_WAITS):
        outcome = await create_target_data_extension(
            creator.tenant_id, user_id=creator.user_id, mid=mid, spec=request,
            idempotency_key=creator.idempotency_key, access=creator.access,
            actor=Actor(ActorType.USER, str(creator.user_id)),
        )  # fmt: skip
        made = outcome.data_extension
        if made is not None and made.object_id:
            return TargetOutcome(
                object_id=made.object_id, key=made.customer_key, name=made.name, created=True
            )
        if not any(issue.code == "IN_PROGRESS" for issue in outcome.errors):
            messages = [
                f"{i.message} ({i.field})" if i.field else i.message for i in outcome.errors
            ]
            raise TargetRefused("; ".join(messages) or "The target could not be created.")
        await asyncio.sleep(_IN_PROGRESS_SLEEP_S)  # another BU of this deployment makes it
    raise TargetRefused("Another business unit of this deployment is still creating the target.")
