"""Data extensions and their fields: MCE's rules for creating and changing them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from simulator.errors import ErrorCode
from simulator.model import DataExtension, Field, FieldType, Folder, RetentionUnit
from simulator.store_base import StoreBase
from simulator.store_rules import (
    DE_FOLDER_TYPES,
    LENGTH_RANGES,
    MAX_DE_KEY,
    MAX_NAME,
    SUBSCRIBER_FIELD_ALIASES,
    FieldSpec,
    check_name,
    err,
)
from simulator.values import ValueProblem, coerce_value

__all__ = ["DataExtensionStore"]


class DataExtensionStore(StoreBase):
    """DE and field operations (see :class:`simulator.store.Store`)."""

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
            raise err(
                ErrorCode.NOT_FOUND, f"Data extension with CustomerKey {customer_key} not found."
            )
        return de

    def _build_field(self, spec: FieldSpec, *, ordinal: int) -> Field:
        name = spec.name
        if name is None or not name.strip():
            raise err(ErrorCode.MISSING_PROPERTY, "Field Name is required.")
        if (
            len(name) > MAX_NAME
            or name != name.strip()
            or name.startswith("_")
            or any(c in name for c in "[]\"'")
        ):
            raise err(
                ErrorCode.INVALID_FIELD_NAME,
                f"Field name '{name}' is invalid: at most {MAX_NAME} characters, no leading "
                "underscore, no leading/trailing spaces, no brackets or quotes.",
            )
        ftype = FieldType.TEXT if spec.field_type is None else FieldType.parse(spec.field_type)
        if ftype is None:
            raise err(
                ErrorCode.INVALID_FIELD_TYPE,
                f"The FieldType '{spec.field_type}' of field {name} is not valid.",
            )
        max_length: int | None = None
        scale: int | None = None
        if ftype in LENGTH_RANGES:
            low, high, default = LENGTH_RANGES[ftype]
            max_length = spec.max_length if spec.max_length is not None else default
            if max_length is not None and not low <= max_length <= high:
                raise err(
                    ErrorCode.INVALID_LENGTH,
                    f"MaxLength of field {name} must be between {low} and {high}.",
                )
        elif ftype is FieldType.DECIMAL:
            precision = spec.precision if spec.precision is not None else spec.max_length
            max_length = 18 if precision is None else precision
            scale = 0 if spec.scale is None else spec.scale
            if not 1 <= max_length <= 38:
                raise err(
                    ErrorCode.INVALID_LENGTH, f"Precision of field {name} must be between 1 and 38."
                )
            if not 0 <= scale <= max_length:
                raise err(
                    ErrorCode.INVALID_LENGTH,
                    f"Scale of field {name} must be between 0 and its precision {max_length}.",
                )
        is_pk = bool(spec.is_primary_key)
        if is_pk and ftype is FieldType.BOOLEAN:
            raise err(ErrorCode.INVALID_VALUE, f"Boolean field {name} cannot be a primary key.")
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
                raise err(ErrorCode.INVALID_VALUE, f"Invalid DefaultValue: {exc.message}") from None
        return built

    def _build_fields(self, specs: Sequence[FieldSpec]) -> list[Field]:
        if not specs:
            raise err(ErrorCode.MISSING_PROPERTY, "A data extension must have at least one field.")
        fields: list[Field] = []
        seen: set[str] = set()
        ordered = sorted(
            enumerate(specs), key=lambda p: p[1].ordinal if p[1].ordinal is not None else p[0]
        )
        for position, (_, spec) in enumerate(ordered):
            built = self._build_field(spec, ordinal=position)
            if built.name.lower() in seen:
                raise err(
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
                raise err(ErrorCode.FOLDER_NOT_FOUND, "The BU has no Data Extensions folder.")
            return root
        folder = self.get_folder(folder_id, mid=mid)
        if folder is None or folder.content_type not in DE_FOLDER_TYPES:
            raise err(ErrorCode.FOLDER_NOT_FOUND, f"The folder with ID {folder_id} was not found.")
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
            name = check_name("Data extension", name)
            key = customer_key if customer_key else None
            if key is not None and len(key) > MAX_DE_KEY:
                raise err(
                    ErrorCode.INVALID_VALUE,
                    f"CustomerKey must be {MAX_DE_KEY} characters or less.",
                )
            folder = self._resolve_de_folder(mid, folder_id)
            if (mid, name.lower()) in self._de_by_name:
                raise err(
                    ErrorCode.DUPLICATE_NAME, f"A data extension named {name} already exists."
                )
            oid = object_id or self.new_guid()
            key = key or oid.upper()
            if (mid, key.lower()) in self._de_by_key:
                raise err(
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
            raise err(ErrorCode.INVALID_VALUE, "DataRetentionPeriodLength must be at least 1.")
        parsed: RetentionUnit | None = None
        if unit is not None:
            matches = [u for u in RetentionUnit if u.value.lower() == unit.strip().lower()]
            if not matches:
                raise err(ErrorCode.INVALID_VALUE, f"DataRetentionPeriod '{unit}' is not valid.")
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
            raise err(
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
            raise err(
                ErrorCode.INVALID_SENDABLE,
                f"SendableDataExtensionField {field_name} must name a Text, EmailAddress or "
                "Number field of the data extension.",
            )
        normalised = SUBSCRIBER_FIELD_ALIASES.get(subscriber.strip().lower())
        if normalised is None and subscriber.strip().lower() in {"email address", "_emailaddress"}:
            normalised = "Email Address"
        if normalised is None:
            raise err(
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
                raise err(
                    ErrorCode.NOT_FOUND,
                    f"Data extension with CustomerKey {customer_key} not found.",
                )
            if name is not None and name.lower() != de.name.lower():
                check_name("Data extension", name)
                if (mid, name.lower()) in self._de_by_name:
                    raise err(
                        ErrorCode.DUPLICATE_NAME, f"A data extension named {name} already exists."
                    )
            if folder_id is not None:
                folder = self._resolve_de_folder(mid, folder_id)
                if folder.content_type.startswith("shared") != de.is_shared:
                    raise err(
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
                raise err(
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
                raise err(
                    ErrorCode.DUPLICATE_FIELD_NAME,
                    f"Field name {spec.name} is used more than once.",
                )
            built = self._build_field(spec, ordinal=len(de.fields))
            needs_value = built.is_primary_key or (
                built.is_required and built.default_value is None
            )
            if needs_value and self.rows.count(de) > 0:
                raise err(
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
                raise err(ErrorCode.FIELD_NOT_FOUND, f"Field {field_name} does not exist.")
            if spec.field_type is not None:
                ftype = FieldType.parse(spec.field_type)
                if ftype is None:
                    raise err(
                        ErrorCode.INVALID_FIELD_TYPE,
                        f"The FieldType '{spec.field_type}' of field {field_name} is not valid.",
                    )
                if ftype is not current.field_type:
                    raise err(
                        ErrorCode.INVALID_CHANGE,
                        f"The FieldType of field {field_name} cannot be changed.",
                    )
            if current.field_type is FieldType.DECIMAL:
                # Precision (sent as Precision, or MaxLength as retrieve returns it) and scale
                # cannot change; resending the stored values, as a round-tripping client does,
                # is no change.
                precision = spec.precision if spec.precision is not None else spec.max_length
                if precision not in (None, current.max_length) or spec.scale not in (
                    None,
                    current.scale,
                ):
                    raise err(
                        ErrorCode.INVALID_CHANGE,
                        f"Precision and scale of {field_name} cannot change.",
                    )
                candidate = current
            else:
                if spec.precision is not None or spec.scale is not None:
                    raise err(
                        ErrorCode.INVALID_CHANGE,
                        f"Precision and scale of {field_name} cannot change.",
                    )
                candidate = replace(
                    current,
                    max_length=(
                        spec.max_length if spec.max_length is not None else current.max_length
                    ),
                )
            if (
                candidate.max_length is not None
                and current.max_length is not None
                and candidate.max_length < current.max_length
            ):
                raise err(
                    ErrorCode.INVALID_CHANGE, f"MaxLength of field {field_name} cannot decrease."
                )
            if current.field_type in LENGTH_RANGES and candidate.max_length is not None:
                low, high, _ = LENGTH_RANGES[current.field_type]
                if not low <= candidate.max_length <= high:
                    raise err(
                        ErrorCode.INVALID_LENGTH,
                        f"MaxLength of field {field_name} must be between {low} and {high}.",
                    )
            if spec.is_primary_key and not current.is_primary_key:
                raise err(
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
                raise err(ErrorCode.FIELD_NOT_FOUND, f"Field {field_name} does not exist.")
            if current.is_primary_key:
                raise err(
                    ErrorCode.INVALID_CHANGE, f"Primary key field {field_name} cannot be deleted."
                )
            if de.sendable_field and de.sendable_field.lower() == field_name.lower():
                raise err(
                    ErrorCode.INVALID_CHANGE, f"Sendable field {field_name} cannot be deleted."
                )
            de.fields.remove(current)
            for position, f in enumerate(sorted(de.fields, key=lambda x: x.ordinal)):
                f.ordinal = position
            self.rows.drop_column(de, current.name)
            de.modified_date = self.now()

    # ----------------------------------------------------- query definitions
