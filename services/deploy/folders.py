"""Folders by path in one BU: where a deployed activity (or a created target DE) goes.

A deployment names folders by path under the BU's root folder of their kind (``Daily`` or
``Query/Daily`` under "Query"; ``Customers/2024`` under "Data Extensions"; under "Shared
Data Extensions" in the parent BU for a shared DE), because the same path means the same
place in every BU while folder ids differ from BU to BU. The BU's folders of that kind are
listed in one Retrieve, the path is walked by name (case-insensitively, as MCE compares
names), and missing folders are created when the deployment asks for it.

A created folder gets a CustomerKey derived from its BU, kind and path
(:func:`folder_key`): a create whose answer was lost is found by that key before it is sent
again (``create_or_find``), and two deployments creating the same path at once end with one
folder.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from client.bridge import MceBridge
from client.errors import MceValidationError
from client.soap.records import DataFolder
from client.soap.specs import NewFolder

__all__ = [
    "DATA_EXTENSION_FOLDERS",
    "QUERY_FOLDERS",
    "SHARED_DATA_EXTENSION_FOLDERS",
    "FolderKind",
    "FolderMissing",
    "FolderOutcome",
    "folder_key",
    "resolve_folder",
]


@dataclass(frozen=True)
class FolderKind:
    """A family of folders: the root's content type and the one its subfolders get."""

    root_type: str
    child_type: str
    label: str

    @property
    def content_types(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys((self.root_type, self.child_type)))


QUERY_FOLDERS = FolderKind("queryactivity", "queryactivity", "query")
DATA_EXTENSION_FOLDERS = FolderKind("dataextension", "dataextension", "data extension")
#: Shared DEs live in the parent BU under "Shared Data Extensions" (REFERENCE §2.4).
SHARED_DATA_EXTENSION_FOLDERS = FolderKind("shared_data", "shared_dataextension", "shared")


class FolderMissing(Exception):
    """A folder of the path does not exist and the deployment did not ask to create it."""

    def __init__(self, kind: FolderKind, path: Sequence[str], missing: str) -> None:
        shown = "/".join(path) or "(root)"
        super().__init__(
            f"The {kind.label} folder {missing!r} of the path {shown!r} does not exist in this"
            " business unit; create it, or deploy with createMissing."
        )
        self.message = str(self)


@dataclass(frozen=True)
class FolderOutcome:
    folder_id: int
    created: tuple[str, ...] = ()
    """Names of the folders this call created (outermost first)."""
    chain: tuple[DataFolder, ...] = ()
    """The root and every folder of the path, outermost first (for the metadata cache)."""


def folder_key(mid: int, kind: FolderKind, path: Sequence[str]) -> str:
    """The CustomerKey of a folder Quarry creates at ``path`` (36 characters)."""
    text = "\x1f".join([str(mid), kind.child_type, *(p.casefold() for p in path)])
    return "QRYF_" + hashlib.sha256(text.encode()).hexdigest()[:31]


def _child(folders: Sequence[DataFolder], parent_id: int, name: str) -> DataFolder | None:
    wanted = name.casefold()
    for folder in folders:
        if folder.parent_id == parent_id and (folder.name or "").casefold() == wanted:
            return folder
    return None


async def _listing(bridge: MceBridge, kind: FolderKind) -> list[DataFolder]:
    return [f async for f in bridge.soap.folders(content_types=kind.content_types)]


async def resolve_folder(
    bridge: MceBridge, *, kind: FolderKind, path: Sequence[str], create: bool
) -> FolderOutcome:
    """The id of the folder at ``path`` in ``bridge``'s BU (see the module doc).

    Raises :class:`FolderMissing` when a folder is missing and ``create`` is false, and
    the client's errors when MCE refuses (a sibling of the same name made meanwhile is
    found by a second listing).
    """
    folders = await _listing(bridge, kind)
    root = next(
        (f for f in folders if f.parent_id in (0, None) and f.content_type == kind.root_type),
        None,
    )
    if root is None or root.id is None:
        raise FolderMissing(kind, path, "(root)")
    parts = list(path)
    if parts and parts[0].casefold() == (root.name or "").casefold():
        parts = parts[1:]
    current = root.id
    created: list[str] = []
    chain: list[DataFolder] = [root]
    for depth, name in enumerate(parts, start=1):
        found = _child(folders, current, name)
        if found is not None and found.id is not None:
            current = found.id
            chain.append(found)
            continue
        if not create:
            raise FolderMissing(kind, parts, name)
        spec = NewFolder(
            name=name,
            content_type=kind.child_type,
            parent_id=current,
            customer_key=folder_key(bridge.target.mid, kind, parts[:depth]),
            description="Created by Quarry for a query activity deployment.",
        )
        try:
            made = await bridge.soap.create_or_find(spec)
        except MceValidationError:
            folders = await _listing(bridge, kind)  # someone made it meanwhile, by hand
            again = _child(folders, current, name)
            if again is None or again.id is None:
                raise
            current = again.id
            chain.append(again)
            continue
        if made.id is None:
            raise FolderMissing(kind, parts, name)
        chain.append(
            DataFolder(
                id=made.id,
                name=name,
                parent_id=current,
                content_type=kind.child_type,
                customer_key=spec.customer_key,
                description=spec.description,
            )
        )
        current = made.id
        created.append(name)
    return FolderOutcome(folder_id=current, created=tuple(created), chain=tuple(chain))
