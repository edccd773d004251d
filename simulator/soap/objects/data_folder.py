"""``DataFolder``: Retrieve, Create, Update, Delete (REFERENCE.md §2.4).

Folders are identified by ``ID`` (or ``CustomerKey``) for Update and Delete; a new folder needs
``Name``, ``ContentType`` and ``ParentFolder/ID``. The store enforces MCE's rules (parent exists
in the same BU and content-type family, unique name among siblings, unique key, root folders not
editable, only empty folders deleted).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from simulator.errors import ErrorCode, MceValidationError
from simulator.model import Folder
from simulator.soap.filters import Filter
from simulator.soap.objects.base import ObjectHandler, ObjectResult, register
from simulator.soap.objects.results import error_result, ok_result
from simulator.soap.objects.schema import Prop, api_object_header

if TYPE_CHECKING:
    from simulator.soap.context import CallContext
    from simulator.soap.objects.reader import ObjectReader

__all__ = ["DataFolderHandler", "FolderView"]


@dataclass(frozen=True, slots=True)
class FolderView:
    """A folder with its parent resolved, so getters need no store access."""

    folder: Folder
    parent: Folder | None


#: Folder content types that live in the parent BU and are shared with its children.
_SHARED_TYPES = frozenset({"synchronizeddataextension", "asset-shared"})


def _is_shared(content_type: str) -> bool:
    return content_type.startswith("shared_") or content_type in _SHARED_TYPES


class DataFolderHandler(ObjectHandler):
    object_type = "DataFolder"
    operations = frozenset({"Retrieve", "Create", "Update", "Delete"})
    schema = (
        *api_object_header(
            client_id=lambda v: v.folder.mid,
            created=lambda v: v.folder.created_date,
            modified=lambda v: v.folder.modified_date,
            id_=lambda v: v.folder.id,
            object_id=lambda v: v.folder.object_id or None,
            customer_key=lambda v: v.folder.customer_key,
        ),
        Prop(
            "ParentFolder",
            children=(
                Prop("PartnerKey", lambda _v: None, always=True, filterable=False),
                Prop("ID", lambda v: v.folder.parent_id),
                Prop("ObjectID", lambda v: v.parent.object_id if v.parent else None, always=True),
                Prop("CustomerKey", lambda v: v.parent.customer_key if v.parent else None),
                Prop("Name", lambda v: v.parent.name if v.parent else None),
            ),
        ),
        Prop("Name", lambda v: v.folder.name),
        Prop("Description", lambda v: v.folder.description),
        Prop("ContentType", lambda v: v.folder.content_type),
        Prop("IsActive", lambda v: v.folder.is_active),
        Prop("IsEditable", lambda v: v.folder.is_editable),
        Prop("AllowChildren", lambda v: v.folder.allow_children),
    )

    def view(self, ctx: CallContext, folder: Folder) -> FolderView:
        parent = ctx.store.folders.get(folder.parent_id) if folder.parent_id else None
        return FolderView(folder, parent)

    def candidates(
        self, ctx: CallContext, mids: Sequence[int], flt: Filter | None = None
    ) -> Iterable[FolderView]:
        folders = ctx.store.folders
        wanted = set(mids)
        for folder in list(folders.values()):
            if folder.mid in wanted:
                parent = folders.get(folder.parent_id) if folder.parent_id else None
                yield FolderView(folder, parent)

    def shared_candidates(self, ctx: CallContext, mids: Sequence[int]) -> Iterable[FolderView]:
        """The parent BU's shared folders, which a child's ``QueryAllAccounts`` retrieve returns
        with the parent's ``Client/ID`` even when the caller cannot address the parent itself
        (REFERENCE.md §2.4)."""
        folders = ctx.store.folders
        parents = {ctx.store.parent_mid(mid) for mid in mids} - {None, *mids}
        for folder in list(folders.values()):
            if folder.mid in parents and _is_shared(folder.content_type):
                parent = folders.get(folder.parent_id) if folder.parent_id else None
                yield FolderView(folder, parent)

    def _find(self, ctx: CallContext, obj: ObjectReader, mid: int) -> Folder:
        folder_id = obj.integer("ID")
        if folder_id is not None:
            found = ctx.store.get_folder(folder_id, mid=mid)
            if found is None:
                raise MceValidationError(
                    ErrorCode.FOLDER_NOT_FOUND, f"Folder {folder_id} does not exist."
                )
            return found
        key = obj.text("CustomerKey")
        if key:
            for folder in ctx.store.list_folders(mid):
                if folder.customer_key.lower() == key.lower():
                    return folder
            raise MceValidationError(
                ErrorCode.FOLDER_NOT_FOUND, f"Folder with CustomerKey {key} does not exist."
            )
        raise MceValidationError(
            ErrorCode.MISSING_PROPERTY, "Folder ID or CustomerKey is required."
        )

    def create(self, ctx: CallContext, obj: ObjectReader) -> ObjectResult:
        try:
            mid = ctx.target_mid(obj.client_id())
            parent = obj.child("ParentFolder")
            folder = ctx.store.create_folder(
                mid=mid,
                name=obj.text("Name"),
                content_type=obj.text("ContentType"),
                parent_id=parent.integer("ID") if parent is not None else None,
                customer_key=obj.text("CustomerKey") or None,
                description=obj.text("Description") or "",
                allow_children=obj.boolean("AllowChildren") is not False,
            )
        except MceValidationError as exc:
            return error_result(exc, obj)
        return ok_result(
            "Folder created successfully.",
            self.echo(self.view(ctx, folder)),
            new_id=folder.id,
            new_object_id=folder.object_id or None,
        )

    def update(self, ctx: CallContext, obj: ObjectReader) -> ObjectResult:
        try:
            mid = ctx.target_mid(obj.client_id())
            folder = self._find(ctx, obj, mid)
            parent = obj.child("ParentFolder")
            folder = ctx.store.update_folder(
                folder.id,
                mid=mid,
                name=obj.text("Name"),
                description=obj.text("Description"),
                parent_id=parent.integer("ID") if parent is not None else None,
            )
        except MceValidationError as exc:
            return error_result(exc, obj)
        return ok_result("Folder updated successfully.", self.echo(self.view(ctx, folder)))

    def delete(self, ctx: CallContext, obj: ObjectReader) -> ObjectResult:
        try:
            mid = ctx.target_mid(obj.client_id())
            folder = self._find(ctx, obj, mid)
            view = self.view(ctx, folder)
            ctx.store.delete_folder(folder.id, mid=mid)
        except MceValidationError as exc:
            return error_result(exc, obj)
        return ok_result("Folder deleted successfully.", self.echo(view))


register(DataFolderHandler)
