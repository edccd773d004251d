"""The store's core: ids, clock, business units, users, packages and folders."""

from __future__ import annotations

import random
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from simulator.clock import Clock
from simulator.errors import ErrorCode
from simulator.model import (
    BusinessUnit,
    DataExtension,
    Enterprise,
    Folder,
    Package,
    QueryDefinition,
    User,
)
from simulator.rows import RowStore
from simulator.store_rules import FOLDER_FAMILIES, check_name, err

__all__ = ["StoreBase"]


class StoreBase:
    """Ids, BUs, users, packages and folders; DE and query operations build on it."""

    def __init__(self, *, clock: Clock, rows: RowStore, seed: int) -> None:
        self.clock = clock
        self.rows = rows
        self._rng = random.Random(f"store-{seed}")
        self._lock = threading.RLock()
        self.enterprise = Enterprise(eid=0, name="", tssd="")
        self.business_units: dict[int, BusinessUnit] = {}
        self.users: dict[int, User] = {}
        self.packages: dict[str, Package] = {}
        self.folders: dict[int, Folder] = {}
        self._next_folder_id = 1000
        self._des_by_mid: dict[int, dict[str, DataExtension]] = {}
        self._de_by_key: dict[tuple[int, str], DataExtension] = {}
        self._de_by_name: dict[tuple[int, str], DataExtension] = {}
        self._de_by_id: dict[str, DataExtension] = {}
        self.query_definitions: dict[str, QueryDefinition] = {}

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the store's lock: no metadata changes meanwhile (a query run holds it)."""
        with self._lock:
            yield

    # ------------------------------------------------------------------ ids
    def new_guid(self) -> str:
        """A lower-case GUID, deterministic for the seed (MCE ObjectIDs look like this)."""
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def now(self) -> datetime:
        return self.clock.server_now()

    # ------------------------------------------------------- BUs and users
    def add_business_unit(self, bu: BusinessUnit) -> BusinessUnit:
        with self._lock:
            self.business_units[bu.mid] = bu
            self._des_by_mid.setdefault(bu.mid, {})
        return bu

    def get_business_unit(self, mid: int) -> BusinessUnit | None:
        return self.business_units.get(mid)

    def require_business_unit(self, mid: int) -> BusinessUnit:
        bu = self.business_units.get(mid)
        if bu is None:
            raise err(ErrorCode.BUSINESS_UNIT_NOT_FOUND, f"Business unit {mid} does not exist.")
        return bu

    def children_of(self, mid: int) -> list[BusinessUnit]:
        return [bu for bu in self.business_units.values() if bu.parent_mid == mid]

    def parent_mid(self, mid: int) -> int | None:
        bu = self.business_units.get(mid)
        return bu.parent_mid if bu else None

    def add_user(self, user: User) -> User:
        with self._lock:
            self.users[user.id] = user
        return user

    def find_user(self, ident: str | int) -> User | None:
        """A user by numeric id or (case-insensitive) username."""
        text = str(ident).strip()
        if text.isdigit() and int(text) in self.users:
            return self.users[int(text)]
        for user in self.users.values():
            if user.username.lower() == text.lower():
                return user
        return None

    def reachable_mids(self, user: User) -> list[int]:
        """MIDs the user can log into (active BUs only), in the user's order."""
        return [
            m
            for m in user.reachable_mids
            if m in self.business_units and self.business_units[m].is_active
        ]

    def add_package(self, package: Package) -> Package:
        with self._lock:
            self.packages[package.client_id] = package
        return package

    # --------------------------------------------------------------- folders
    def list_folders(self, mid: int, *, content_type: str | None = None) -> list[Folder]:
        """Folders owned by ``mid`` (optionally of one content type), by id."""
        ct = content_type.lower() if content_type else None
        return [
            f
            for f in self.folders.values()
            if f.mid == mid and (ct is None or f.content_type == ct)
        ]

    def get_folder(self, folder_id: int, *, mid: int | None = None) -> Folder | None:
        folder = self.folders.get(folder_id)
        if folder is None or (mid is not None and folder.mid != mid):
            return None
        return folder

    def root_folder(self, mid: int, content_type: str) -> Folder | None:
        for f in self.folders.values():
            if f.mid == mid and f.parent_id == 0 and f.content_type == content_type:
                return f
        return None

    def create_folder(
        self,
        *,
        mid: int,
        name: str | None,
        content_type: str | None,
        parent_id: int | None,
        customer_key: str | None = None,
        description: str = "",
        is_editable: bool = True,
        allow_children: bool = True,
    ) -> Folder:
        """Create a DataFolder. ``parent_id == 0`` creates a root (the seeder only)."""
        with self._lock:
            self.require_business_unit(mid)
            name = check_name("Folder", name)
            if not content_type:
                raise err(ErrorCode.MISSING_PROPERTY, "Folder ContentType is required.")
            ct = content_type.strip().lower()
            if parent_id is None:
                raise err(ErrorCode.MISSING_PROPERTY, "Folder ParentFolder.ID is required.")
            if parent_id != 0:
                parent = self.get_folder(parent_id, mid=mid)
                if parent is None:
                    raise err(
                        ErrorCode.FOLDER_NOT_FOUND, f"Parent folder {parent_id} does not exist."
                    )
                if not parent.allow_children:
                    raise err(
                        ErrorCode.INVALID_VALUE, f"Folder {parent_id} does not allow subfolders."
                    )
                if not self._same_family(parent.content_type, ct):
                    raise err(
                        ErrorCode.INVALID_VALUE,
                        f"ContentType {ct} does not match the parent folder's "
                        f"ContentType {parent.content_type}.",
                    )
            for sibling in self.folders.values():
                if (
                    sibling.mid == mid
                    and sibling.parent_id == parent_id
                    and sibling.content_type == ct
                    and sibling.name.lower() == name.lower()
                ):
                    raise err(
                        ErrorCode.DUPLICATE_FOLDER_NAME,
                        f"A folder named {name} already exists in this folder.",
                    )
            key = customer_key or self.new_guid()
            for other in self.folders.values():
                if other.mid == mid and other.customer_key.lower() == key.lower():
                    raise err(
                        ErrorCode.DUPLICATE_KEY, f"A folder with CustomerKey {key} already exists."
                    )
            now = self.now()
            folder = Folder(
                id=self._next_folder_id,
                name=name,
                content_type=ct,
                parent_id=parent_id,
                customer_key=key,
                mid=mid,
                is_editable=is_editable,
                allow_children=allow_children,
                description=description,
                object_id=self.new_guid(),
                created_date=now,
                modified_date=now,
            )
            self._next_folder_id += 1
            self.folders[folder.id] = folder
            return folder

    @staticmethod
    def _same_family(parent_ct: str, child_ct: str) -> bool:
        if parent_ct == child_ct:
            return True
        return any(parent_ct in fam and child_ct in fam for fam in FOLDER_FAMILIES)

    def update_folder(
        self,
        folder_id: int,
        *,
        mid: int,
        name: str | None = None,
        description: str | None = None,
        parent_id: int | None = None,
    ) -> Folder:
        with self._lock:
            folder = self.get_folder(folder_id, mid=mid)
            if folder is None:
                raise err(ErrorCode.FOLDER_NOT_FOUND, f"Folder {folder_id} does not exist.")
            if not folder.is_editable:
                raise err(ErrorCode.FOLDER_NOT_EDITABLE, f"Folder {folder_id} is not editable.")
            if parent_id is not None and parent_id != folder.parent_id:
                parent = self.get_folder(parent_id, mid=mid)
                if parent is None or not self._same_family(
                    parent.content_type, folder.content_type
                ):
                    raise err(ErrorCode.FOLDER_NOT_FOUND, f"Folder {parent_id} does not exist.")
                if parent_id == folder.id or folder.id in self._ancestors(parent):
                    raise err(ErrorCode.INVALID_VALUE, "A folder cannot be moved into itself.")
                folder.parent_id = parent_id
            if name is not None:
                folder.name = check_name("Folder", name)
            if description is not None:
                folder.description = description
            folder.modified_date = self.now()
            return folder

    def _ancestors(self, folder: Folder) -> list[int]:
        seen: list[int] = []
        current: Folder | None = folder
        while current is not None and current.parent_id:
            seen.append(current.parent_id)
            current = self.folders.get(current.parent_id)
        return seen

    def delete_folder(self, folder_id: int, *, mid: int) -> None:
        with self._lock:
            folder = self.get_folder(folder_id, mid=mid)
            if folder is None:
                raise err(ErrorCode.FOLDER_NOT_FOUND, f"Folder {folder_id} does not exist.")
            if not folder.is_editable:
                raise err(ErrorCode.FOLDER_NOT_EDITABLE, f"Folder {folder_id} is not editable.")
            has_children = any(f.parent_id == folder_id for f in self.folders.values())
            has_des = any(d.folder_id == folder_id for d in self._des_by_mid.get(mid, {}).values())
            has_queries = any(q.folder_id == folder_id for q in self.query_definitions.values())
            if has_children or has_des or has_queries:
                raise err(ErrorCode.FOLDER_NOT_EMPTY, f"Folder {folder_id} is not empty.")
            del self.folders[folder_id]
