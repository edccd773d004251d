"""The metadata store: BUs, users, folders, DEs, fields, query definitions.

Every mutation validates like MCE and raises :class:`MceValidationError`; the SOAP
and REST layers only translate. All public methods take the acting BU's ``mid``
so cross-BU rules (own objects plus the parent's shared DEs) live in one place.
A re-entrant lock makes the store safe to use from the server thread and from
test threads at once.
"""

from __future__ import annotations

import random
import threading
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from simulator.clock import Clock
from simulator.errors import ErrorCode, MceValidationError
from simulator.model import (
    BusinessUnit,
    DataExtension,
    Enterprise,
    Field,
    FieldType,
    Folder,
    Package,
    QueryDefinition,
    RetentionUnit,
    User,
)
from simulator.rows import RowStore
from simulator.values import ValueProblem, coerce_value

__all__ = ["DE_FOLDER_TYPES", "FieldSpec", "Store"]

#: Folder content types a DE may live in; ``shared_*`` ones make the DE shared.
DE_FOLDER_TYPES = frozenset({"dataextension", "shared_data", "shared_dataextension"})
_FOLDER_FAMILIES = (
    frozenset({"dataextension"}),
    frozenset({"shared_data", "shared_dataextension"}),
)
_MAX_NAME = 128
_MAX_DE_KEY = 200
_MAX_QUERY_KEY = 36
_TEXT_MAX = 4000
_LENGTH_RANGES = {
    FieldType.TEXT: (1, _TEXT_MAX, None),
    FieldType.EMAIL_ADDRESS: (1, 254, 254),
    FieldType.PHONE: (1, 50, 50),
    FieldType.LOCALE: (1, 5, 5),
}
_UPDATE_TYPES = {"overwrite": "Overwrite", "append": "Append", "update": "Update"}
_SUBSCRIBER_FIELD_ALIASES = {"subscriber key": "_SubscriberKey", "_subscriberkey": "_SubscriberKey"}


@dataclass(slots=True)
class FieldSpec:
    """A field as a client describes it (SOAP ``DataExtensionField``), before validation.

    ``field_type`` is the raw string (``None`` means Text, MCE's default). For Decimal,
    ``precision`` wins over ``max_length`` (clients send Precision, MCE returns MaxLength).
    """

    name: str | None
    field_type: str | None = None
    max_length: int | None = None
    scale: int | None = None
    precision: int | None = None
    is_required: bool = False
    is_primary_key: bool = False
    default_value: str | None = None
    ordinal: int | None = None
    description: str = ""


def _err(code: ErrorCode, message: str) -> MceValidationError:
    return MceValidationError(code, message)


def _check_name(kind: str, name: str | None) -> str:
    if name is None or not name.strip():
        raise _err(ErrorCode.MISSING_PROPERTY, f"{kind} Name is required.")
    if len(name) > _MAX_NAME:
        raise _err(ErrorCode.INVALID_VALUE, f"{kind} Name must be {_MAX_NAME} characters or less.")
    return name


class Store:
    """All metadata of one enterprise. Rows live in :class:`RowStore`."""

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
            raise _err(ErrorCode.BUSINESS_UNIT_NOT_FOUND, f"Business unit {mid} does not exist.")
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
            name = _check_name("Folder", name)
            if not content_type:
                raise _err(ErrorCode.MISSING_PROPERTY, "Folder ContentType is required.")
            ct = content_type.strip().lower()
            if parent_id is None:
                raise _err(ErrorCode.MISSING_PROPERTY, "Folder ParentFolder.ID is required.")
            if parent_id != 0:
                parent = self.get_folder(parent_id, mid=mid)
                if parent is None:
                    raise _err(
                        ErrorCode.FOLDER_NOT_FOUND, f"Parent folder {parent_id} does not exist."
                    )
                if not parent.allow_children:
                    raise _err(
                        ErrorCode.INVALID_VALUE, f"Folder {parent_id} does not allow subfolders."
                    )
                if not self._same_family(parent.content_type, ct):
                    raise _err(
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
                    raise _err(
                        ErrorCode.DUPLICATE_FOLDER_NAME,
                        f"A folder named {name} already exists in this folder.",
                    )
            key = customer_key or self.new_guid()
            for other in self.folders.values():
                if other.mid == mid and other.customer_key.lower() == key.lower():
                    raise _err(
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
        return any(parent_ct in fam and child_ct in fam for fam in _FOLDER_FAMILIES)

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
                raise _err(ErrorCode.FOLDER_NOT_FOUND, f"Folder {folder_id} does not exist.")
            if not folder.is_editable:
                raise _err(ErrorCode.FOLDER_NOT_EDITABLE, f"Folder {folder_id} is not editable.")
            if parent_id is not None and parent_id != folder.parent_id:
                parent = self.get_folder(parent_id, mid=mid)
                if parent is None or not self._same_family(
                    parent.content_type, folder.content_type
                ):
                    raise _err(ErrorCode.FOLDER_NOT_FOUND, f"Folder {parent_id} does not exist.")
                if parent_id == folder.id or folder.id in self._ancestors(parent):
                    raise _err(ErrorCode.INVALID_VALUE, "A folder cannot be moved into itself.")
                folder.parent_id = parent_id
            if name is not None:
                folder.name = _check_name("Folder", name)
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
                raise _err(ErrorCode.FOLDER_NOT_FOUND, f"Folder {folder_id} does not exist.")
            if not folder.is_editable:
                raise _err(ErrorCode.FOLDER_NOT_EDITABLE, f"Folder {folder_id} is not editable.")
            has_children = any(f.parent_id == folder_id for f in self.folders.values())
            has_des = any(d.folder_id == folder_id for d in self._des_by_mid.get(mid, {}).values())
            has_queries = any(q.folder_id == folder_id for q in self.query_definitions.values())
            if has_children or has_des or has_queries:
                raise _err(ErrorCode.FOLDER_NOT_EMPTY, f"Folder {folder_id} is not empty.")
            del self.folders[folder_id]

    # ------------------------------------------------------------------ DEs
    def list_des(self, mid: int) -> list[DataExtension]:
        """DEs owned by ``mid`` (shared ones included when ``mid`` is the parent)."""
        return list(self._des_by_mid.get(mid, {}).values())

    def visible_des(self, mid: int) -> list[DataExtension]:
        """What a token for ``mid`` can see: its own DEs plus the parent's shared DEs."""
        own = self.list_des(mid)
        parent = self.parent_mid(mid)
        if parent is None:
            return own
        return own + [d for d in self.list_des(parent) if d.is_shared]

    def get_de(
        self,
        mid: int,
        *,
        customer_key: str | None = None,
        name: str | None = None,
        object_id: str | None = None,
        include_shared: bool = True,
    ) -> DataExtension | None:
        """Find a DE visible from ``mid`` by key, name or ObjectID (case-insensitive)."""
        mids = [mid]
        parent = self.parent_mid(mid)
        if include_shared and parent is not None:
            mids.append(parent)
        for owner in mids:
            de: DataExtension | None = None
            if customer_key is not None:
                de = self._de_by_key.get((owner, customer_key.lower()))
            elif name is not None:
                de = self._de_by_name.get((owner, name.lower()))
            elif object_id is not None:
                found = self._de_by_id.get(object_id.lower())
                de = found if found is not None and found.mid == owner else None
            if de is not None and (owner == mid or de.is_shared):
                return de
        return None

    def require_de(self, mid: int, *, customer_key: str) -> DataExtension:
        de = self.get_de(mid, customer_key=customer_key)
        if de is None:
            raise _err(
                ErrorCode.NOT_FOUND, f"Data extension with CustomerKey {customer_key} not found."
            )
        return de

    def _build_field(self, spec: FieldSpec, *, ordinal: int) -> Field:
        name = spec.name
        if name is None or not name.strip():
            raise _err(ErrorCode.MISSING_PROPERTY, "Field Name is required.")
        if (
            len(name) > _MAX_NAME
            or name != name.strip()
            or name.startswith("_")
            or any(c in name for c in "[]\"'")
        ):
            raise _err(
                ErrorCode.INVALID_FIELD_NAME,
                f"Field name '{name}' is invalid: at most {_MAX_NAME} characters, no leading "
                "underscore, no leading/trailing spaces, no brackets or quotes.",
            )
        ftype = FieldType.TEXT if spec.field_type is None else FieldType.parse(spec.field_type)
        if ftype is None:
            raise _err(
                ErrorCode.INVALID_FIELD_TYPE,
                f"The FieldType '{spec.field_type}' of field {name} is not valid.",
            )
        max_length: int | None = None
        scale: int | None = None
        if ftype in _LENGTH_RANGES:
            low, high, default = _LENGTH_RANGES[ftype]
            max_length = spec.max_length if spec.max_length is not None else default
            if max_length is not None and not low <= max_length <= high:
                raise _err(
                    ErrorCode.INVALID_LENGTH,
                    f"MaxLength of field {name} must be between {low} and {high}.",
                )
        elif ftype is FieldType.DECIMAL:
            precision = spec.precision if spec.precision is not None else spec.max_length
            max_length = 18 if precision is None else precision
            scale = 0 if spec.scale is None else spec.scale
            if not 1 <= max_length <= 38:
                raise _err(
                    ErrorCode.INVALID_LENGTH, f"Precision of field {name} must be between 1 and 38."
                )
            if not 0 <= scale <= max_length:
                raise _err(
                    ErrorCode.INVALID_LENGTH,
                    f"Scale of field {name} must be between 0 and its precision {max_length}.",
                )
        is_pk = bool(spec.is_primary_key)
        if is_pk and ftype is FieldType.BOOLEAN:
            raise _err(ErrorCode.INVALID_VALUE, f"Boolean field {name} cannot be a primary key.")
        built = Field(
            object_id=self.new_guid(),
            name=name,
            field_type=ftype,
            max_length=max_length,
            scale=scale,
            is_required=bool(spec.is_required) or is_pk,
            is_primary_key=is_pk,
            default_value=spec.default_value if spec.default_value != "" else None,
            ordinal=ordinal,
            description=spec.description,
        )
        if built.default_value is not None:
            try:
                coerce_value(built, built.default_value)
            except ValueProblem as exc:
                raise _err(
                    ErrorCode.INVALID_VALUE, f"Invalid DefaultValue: {exc.message}"
                ) from None
        return built

    def _build_fields(self, specs: Sequence[FieldSpec]) -> list[Field]:
        if not specs:
            raise _err(ErrorCode.MISSING_PROPERTY, "A data extension must have at least one field.")
        fields: list[Field] = []
        seen: set[str] = set()
        ordered = sorted(
            enumerate(specs), key=lambda p: p[1].ordinal if p[1].ordinal is not None else p[0]
        )
        for position, (_, spec) in enumerate(ordered):
            built = self._build_field(spec, ordinal=position)
            if built.name.lower() in seen:
                raise _err(
                    ErrorCode.DUPLICATE_FIELD_NAME,
                    f"Field name {built.name} is used more than once.",
                )
            seen.add(built.name.lower())
            fields.append(built)
        return fields

    def _resolve_de_folder(self, mid: int, folder_id: int | None) -> Folder:
        if folder_id is None or folder_id == 0:
            root = self.root_folder(mid, "dataextension")
            if root is None:
                raise _err(ErrorCode.FOLDER_NOT_FOUND, "The BU has no Data Extensions folder.")
            return root
        folder = self.get_folder(folder_id, mid=mid)
        if folder is None or folder.content_type not in DE_FOLDER_TYPES:
            raise _err(ErrorCode.FOLDER_NOT_FOUND, f"The folder with ID {folder_id} was not found.")
        return folder

    def create_de(
        self,
        *,
        mid: int,
        name: str | None,
        fields: Sequence[FieldSpec],
        customer_key: str | None = None,
        folder_id: int | None = None,
        description: str = "",
        is_sendable: bool = False,
        is_testable: bool = False,
        sendable_field: str | None = None,
        sendable_subscriber_field: str | None = None,
        data_retention_period_length: int | None = None,
        data_retention_period: str | None = None,
        row_based_retention: bool = False,
        reset_retention_period_on_import: bool = False,
        delete_at_end_of_retention_period: bool = False,
        retain_until: datetime | None = None,
        object_id: str | None = None,
    ) -> DataExtension:
        """Create a DE in ``mid``; shared when its folder is a ``shared_*`` folder."""
        with self._lock:
            self.require_business_unit(mid)
            name = _check_name("Data extension", name)
            key = customer_key if customer_key else None
            if key is not None and len(key) > _MAX_DE_KEY:
                raise _err(
                    ErrorCode.INVALID_VALUE,
                    f"CustomerKey must be {_MAX_DE_KEY} characters or less.",
                )
            folder = self._resolve_de_folder(mid, folder_id)
            if (mid, name.lower()) in self._de_by_name:
                raise _err(
                    ErrorCode.DUPLICATE_NAME, f"A data extension named {name} already exists."
                )
            oid = object_id or self.new_guid()
            key = key or oid.upper()
            if (mid, key.lower()) in self._de_by_key:
                raise _err(
                    ErrorCode.DUPLICATE_KEY,
                    f"A data extension with CustomerKey {key} already exists.",
                )
            built = self._build_fields(fields)
            now = self.now()
            de = DataExtension(
                object_id=oid,
                customer_key=key,
                name=name,
                mid=mid,
                folder_id=folder.id,
                fields=built,
                description=description,
                is_testable=is_testable,
                is_shared=folder.content_type.startswith("shared"),
                created_date=now,
                modified_date=now,
                row_based_retention=row_based_retention,
                reset_retention_period_on_import=reset_retention_period_on_import,
                delete_at_end_of_retention_period=delete_at_end_of_retention_period,
                retain_until=retain_until,
            )
            self._apply_retention(de, data_retention_period_length, data_retention_period)
            self._apply_sendable(de, is_sendable, sendable_field, sendable_subscriber_field)
            self._index_de(de)
            return de

    def _index_de(self, de: DataExtension) -> None:
        self._des_by_mid.setdefault(de.mid, {})[de.object_id] = de
        self._de_by_key[(de.mid, de.customer_key.lower())] = de
        self._de_by_name[(de.mid, de.name.lower())] = de
        self._de_by_id[de.object_id.lower()] = de

    def _unindex_de(self, de: DataExtension) -> None:
        self._des_by_mid.get(de.mid, {}).pop(de.object_id, None)
        self._de_by_key.pop((de.mid, de.customer_key.lower()), None)
        self._de_by_name.pop((de.mid, de.name.lower()), None)
        self._de_by_id.pop(de.object_id.lower(), None)

    @staticmethod
    def _apply_retention(de: DataExtension, length: int | None, unit: str | None) -> None:
        if length is None and unit is None:
            return
        if length is not None and length < 1:
            raise _err(ErrorCode.INVALID_VALUE, "DataRetentionPeriodLength must be at least 1.")
        parsed: RetentionUnit | None = None
        if unit is not None:
            matches = [u for u in RetentionUnit if u.value.lower() == unit.strip().lower()]
            if not matches:
                raise _err(ErrorCode.INVALID_VALUE, f"DataRetentionPeriod '{unit}' is not valid.")
            parsed = matches[0]
        de.data_retention_period_length = length
        de.data_retention_period = parsed or RetentionUnit.DAYS

    @staticmethod
    def _apply_sendable(
        de: DataExtension, is_sendable: bool, field_name: str | None, subscriber: str | None
    ) -> None:
        if not is_sendable:
            de.is_sendable = False
            de.sendable_field = None
            de.sendable_subscriber_field = None
            return
        if not field_name or not subscriber:
            raise _err(
                ErrorCode.INVALID_SENDABLE,
                "A sendable data extension needs SendableDataExtensionField and "
                "SendableSubscriberField.",
            )
        target = de.field_named(field_name)
        if target is None or target.field_type not in (
            FieldType.TEXT,
            FieldType.EMAIL_ADDRESS,
            FieldType.NUMBER,
        ):
            raise _err(
                ErrorCode.INVALID_SENDABLE,
                f"SendableDataExtensionField {field_name} must name a Text, EmailAddress or "
                "Number field of the data extension.",
            )
        normalised = _SUBSCRIBER_FIELD_ALIASES.get(subscriber.strip().lower())
        if normalised is None and subscriber.strip().lower() in {"email address", "_emailaddress"}:
            normalised = "Email Address"
        if normalised is None:
            raise _err(
                ErrorCode.INVALID_SENDABLE, f"SendableSubscriberField {subscriber} is not valid."
            )
        de.is_sendable = True
        de.sendable_field = target.name
        de.sendable_subscriber_field = normalised

    def update_de(
        self,
        *,
        mid: int,
        customer_key: str,
        name: str | None = None,
        description: str | None = None,
        folder_id: int | None = None,
        is_sendable: bool | None = None,
        sendable_field: str | None = None,
        sendable_subscriber_field: str | None = None,
        data_retention_period_length: int | None = None,
        data_retention_period: str | None = None,
        row_based_retention: bool | None = None,
        reset_retention_period_on_import: bool | None = None,
        delete_at_end_of_retention_period: bool | None = None,
        fields: Sequence[FieldSpec] = (),
    ) -> DataExtension:
        """Change DE properties; ``fields`` adds new fields or updates existing ones by name."""
        with self._lock:
            de = self.get_de(mid, customer_key=customer_key, include_shared=False)
            if de is None:
                raise _err(
                    ErrorCode.NOT_FOUND,
                    f"Data extension with CustomerKey {customer_key} not found.",
                )
            if name is not None and name.lower() != de.name.lower():
                _check_name("Data extension", name)
                if (mid, name.lower()) in self._de_by_name:
                    raise _err(
                        ErrorCode.DUPLICATE_NAME, f"A data extension named {name} already exists."
                    )
            if folder_id is not None:
                folder = self._resolve_de_folder(mid, folder_id)
                if folder.content_type.startswith("shared") != de.is_shared:
                    raise _err(
                        ErrorCode.INVALID_CHANGE, "A DE cannot move between shared and own folders."
                    )
            for spec in fields:
                existing = de.field_named(spec.name or "")
                if existing is None:
                    self.add_field(de, spec)
                else:
                    self.update_field(de, existing.name, spec)
            self._unindex_de(de)
            if name is not None:
                de.name = name
            if description is not None:
                de.description = description
            if folder_id is not None:
                de.folder_id = self._resolve_de_folder(mid, folder_id).id
            if data_retention_period_length is not None or data_retention_period is not None:
                self._apply_retention(de, data_retention_period_length, data_retention_period)
            if row_based_retention is not None:
                de.row_based_retention = row_based_retention
            if reset_retention_period_on_import is not None:
                de.reset_retention_period_on_import = reset_retention_period_on_import
            if delete_at_end_of_retention_period is not None:
                de.delete_at_end_of_retention_period = delete_at_end_of_retention_period
            try:
                if is_sendable is not None or sendable_field is not None:
                    self._apply_sendable(
                        de,
                        de.is_sendable if is_sendable is None else is_sendable,
                        sendable_field or de.sendable_field,
                        sendable_subscriber_field or de.sendable_subscriber_field,
                    )
            finally:
                self._index_de(de)
            de.modified_date = self.now()
            return de

    def delete_de(self, *, mid: int, customer_key: str) -> DataExtension:
        with self._lock:
            de = self.get_de(mid, customer_key=customer_key, include_shared=False)
            if de is None:
                raise _err(
                    ErrorCode.NOT_FOUND,
                    f"Data extension with CustomerKey {customer_key} not found.",
                )
            self._unindex_de(de)
            self.rows.drop_table(de)
            return de

    # --------------------------------------------------------------- fields
    def list_fields(self, de: DataExtension) -> list[Field]:
        return sorted(de.fields, key=lambda f: f.ordinal)

    def add_field(self, de: DataExtension, spec: FieldSpec) -> Field:
        with self._lock:
            if spec.name and de.field_named(spec.name) is not None:
                raise _err(
                    ErrorCode.DUPLICATE_FIELD_NAME,
                    f"Field name {spec.name} is used more than once.",
                )
            built = self._build_field(spec, ordinal=len(de.fields))
            needs_value = built.is_primary_key or (
                built.is_required and built.default_value is None
            )
            if needs_value and self.rows.count(de) > 0:
                    raise _err(
                        ErrorCode.INVALID_CHANGE,
                        f"Field {built.name} cannot be added as required or primary key to a "
                        "data extension that has rows.",
                    )
            de.fields.append(built)
            self.rows.add_column(de, built)
            de.modified_date = self.now()
            return built

    def update_field(self, de: DataExtension, field_name: str, spec: FieldSpec) -> Field:
        """Update description, default, required-ness, or grow MaxLength; types never change."""
        with self._lock:
            current = de.field_named(field_name)
            if current is None:
                raise _err(ErrorCode.FIELD_NOT_FOUND, f"Field {field_name} does not exist.")
            if spec.field_type is not None:
                ftype = FieldType.parse(spec.field_type)
                if ftype is None:
                    raise _err(
                        ErrorCode.INVALID_FIELD_TYPE,
                        f"The FieldType '{spec.field_type}' of field {field_name} is not valid.",
                    )
                if ftype is not current.field_type:
                    raise _err(
                        ErrorCode.INVALID_CHANGE,
                        f"The FieldType of field {field_name} cannot be changed.",
                    )
            candidate = replace(
                current,
                max_length=spec.max_length if spec.max_length is not None else current.max_length,
            )
            if spec.precision is not None or spec.scale is not None:
                raise _err(
                    ErrorCode.INVALID_CHANGE, f"Precision and scale of {field_name} cannot change."
                )
            if (
                candidate.max_length is not None
                and current.max_length is not None
                and candidate.max_length < current.max_length
            ):
                raise _err(
                    ErrorCode.INVALID_CHANGE, f"MaxLength of field {field_name} cannot decrease."
                )
            if current.field_type in _LENGTH_RANGES and candidate.max_length is not None:
                low, high, _ = _LENGTH_RANGES[current.field_type]
                if not low <= candidate.max_length <= high:
                    raise _err(
                        ErrorCode.INVALID_LENGTH,
                        f"MaxLength of field {field_name} must be between {low} and {high}.",
                    )
            if spec.is_primary_key and not current.is_primary_key:
                raise _err(
                    ErrorCode.INVALID_CHANGE, f"Field {field_name} cannot become a primary key."
                )
            current.max_length = candidate.max_length
            if spec.description:
                current.description = spec.description
            if spec.default_value is not None:
                current.default_value = spec.default_value or None
            if not current.is_primary_key:
                current.is_required = bool(spec.is_required)
            de.modified_date = self.now()
            return current

    def delete_field(self, de: DataExtension, field_name: str) -> None:
        with self._lock:
            current = de.field_named(field_name)
            if current is None:
                raise _err(ErrorCode.FIELD_NOT_FOUND, f"Field {field_name} does not exist.")
            if current.is_primary_key:
                raise _err(
                    ErrorCode.INVALID_CHANGE, f"Primary key field {field_name} cannot be deleted."
                )
            if de.sendable_field and de.sendable_field.lower() == field_name.lower():
                raise _err(
                    ErrorCode.INVALID_CHANGE, f"Sendable field {field_name} cannot be deleted."
                )
            de.fields.remove(current)
            for position, f in enumerate(sorted(de.fields, key=lambda x: x.ordinal)):
                f.ordinal = position
            self.rows.drop_column(de, current.name)
            de.modified_date = self.now()

    # ----------------------------------------------------- query definitions
    def list_queries(self, mid: int) -> list[QueryDefinition]:
        return [q for q in self.query_definitions.values() if q.mid == mid]

    def get_query(
        self, mid: int, *, customer_key: str | None = None, object_id: str | None = None
    ) -> QueryDefinition | None:
        for q in self.query_definitions.values():
            if q.mid != mid:
                continue
            if customer_key is not None and q.customer_key.lower() == customer_key.lower():
                return q
            if object_id is not None and q.object_id.lower() == object_id.lower():
                return q
        return None

    def create_query(
        self,
        *,
        mid: int,
        name: str | None,
        query_text: str | None,
        target_key: str | None,
        customer_key: str | None = None,
        target_update_type: str = "Overwrite",
        folder_id: int | None = None,
        description: str = "",
    ) -> QueryDefinition:
        """Create a QueryDefinition (Query Activity) whose target is a DE visible from mid."""
        with self._lock:
            self.require_business_unit(mid)
            name = _check_name("Query", name)
            if not query_text or not query_text.strip():
                raise _err(ErrorCode.MISSING_PROPERTY, "QueryText is required.")
            if not target_key:
                raise _err(ErrorCode.MISSING_PROPERTY, "DataExtensionTarget is required.")
            if self.get_de(mid, customer_key=target_key) is None:
                raise _err(
                    ErrorCode.NOT_FOUND, f"Target data extension {target_key} was not found."
                )
            update_type = _UPDATE_TYPES.get(target_update_type.strip().lower())
            if update_type is None:
                raise _err(
                    ErrorCode.INVALID_VALUE, f"TargetUpdateType {target_update_type} is not valid."
                )
            if folder_id in (None, 0):
                root = self.root_folder(mid, "queryactivity")
                if root is None:
                    raise _err(ErrorCode.FOLDER_NOT_FOUND, "The BU has no Query folder.")
                folder_id = root.id
            folder = self.get_folder(folder_id, mid=mid)
            if folder is None or folder.content_type != "queryactivity":
                raise _err(
                    ErrorCode.FOLDER_NOT_FOUND, f"The folder with ID {folder_id} was not found."
                )
            oid = self.new_guid()
            key = customer_key or oid.upper()
            if len(key) > _MAX_QUERY_KEY:
                raise _err(
                    ErrorCode.INVALID_VALUE,
                    f"CustomerKey must be {_MAX_QUERY_KEY} characters or less.",
                )
            for q in self.list_queries(mid):
                if q.customer_key.lower() == key.lower():
                    raise _err(
                        ErrorCode.DUPLICATE_KEY, f"A query with CustomerKey {key} already exists."
                    )
                if q.name.lower() == name.lower():
                    raise _err(ErrorCode.DUPLICATE_NAME, f"A query named {name} already exists.")
            now = self.now()
            query = QueryDefinition(
                object_id=oid,
                customer_key=key,
                name=name,
                mid=mid,
                folder_id=folder.id,
                query_text=query_text,
                target_key=target_key,
                target_update_type=update_type,
                description=description,
                created_date=now,
                modified_date=now,
            )
            self.query_definitions[oid] = query
            return query

    def delete_query(self, *, mid: int, object_id: str) -> None:
        with self._lock:
            query = self.get_query(mid, object_id=object_id)
            if query is None:
                raise _err(ErrorCode.NOT_FOUND, f"Query definition {object_id} was not found.")
            del self.query_definitions[query.object_id]

    # ------------------------------------------------------------ counters
    def counts(self, mids: Iterable[int] | None = None) -> dict[str, int]:
        """Totals for ``describe`` and tests."""
        chosen = set(mids) if mids is not None else set(self.business_units)
        des = [d for m in chosen for d in self.list_des(m)]
        return {
            "folders": sum(1 for f in self.folders.values() if f.mid in chosen),
            "data_extensions": len(des),
            "fields": sum(len(d.fields) for d in des),
            "queries": sum(1 for q in self.query_definitions.values() if q.mid in chosen),
        }
