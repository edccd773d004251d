"""``DataExtension``: Retrieve, Create (with ``Fields``), Update, Delete (REFERENCE.md §2.4).

A DE is addressed by ``CustomerKey`` (or ``ObjectID`` / ``Name``) for Update and Delete, like
MCDEV and QS Pro do. ``CategoryID`` is the folder; omitted, the BU's root "Data Extensions"
folder is used. Validation (name and key uniqueness, field names, types and lengths, folder,
sendable settings) is the store's, reported per result with its ``ErrorCode``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from simulator.errors import ErrorCode, MceValidationError
from simulator.model import DataExtension
from simulator.soap.filters import Filter, parse_mce_datetime
from simulator.soap.objects.base import ObjectHandler, ObjectResult, get_handler, register
from simulator.soap.objects.field_spec import read_field_spec
from simulator.soap.objects.results import error_result, ok_result
from simulator.soap.objects.schema import Prop, api_object_header

if TYPE_CHECKING:
    from simulator.soap.context import CallContext
    from simulator.soap.objects.reader import ObjectReader

__all__ = ["DataExtensionHandler", "us_datetime"]

_UNIT_BY_CODE = {3: "Days", 4: "Weeks", 5: "Months", 6: "Years"}


DeIdentity = tuple[str, str]  # (which property: CustomerKey | ObjectID | Name, its value)


def de_identity(obj: ObjectReader) -> DeIdentity | None:
    """How a request names a DE: CustomerKey first, then ObjectID, then Name (as MCE does)."""
    for prop in ("CustomerKey", "ObjectID", "Name"):
        value = obj.text(prop)
        if value:
            return prop, value
    return None


def lookup_de(ctx: CallContext, mid: int, identity: DeIdentity) -> DataExtension | None:
    """The BU's own DE so named (shared DEs of the parent are not addressable for writes)."""
    prop, value = identity
    if prop == "CustomerKey":
        return ctx.store.get_de(mid, customer_key=value, include_shared=False)
    if prop == "ObjectID":
        return ctx.store.get_de(mid, object_id=value, include_shared=False)
    return ctx.store.get_de(mid, name=value, include_shared=False)


def us_datetime(value: datetime | None) -> str | None:
    """MCE's ``RetainUntil`` text, e.g. ``5/9/2024 12:00:00 AM``."""
    if value is None:
        return None
    hour = value.hour % 12 or 12
    suffix = "AM" if value.hour < 12 else "PM"
    return (
        f"{value.month}/{value.day}/{value.year} "
        f"{hour}:{value.minute:02d}:{value.second:02d} {suffix}"
    )


def _fields_xml(de: DataExtension) -> str:
    """``<Fields>`` with every field, for create/update echoes (not retrievable on a DE)."""
    handler = get_handler("DataExtensionField")
    if handler is None:  # pragma: no cover - registered alongside this module
        return ""
    render = handler.renderer(handler.retrievable - {"Client.ID"}, element="Field")
    inner = "".join(render((de, f)) for f in sorted(de.fields, key=lambda f: f.ordinal))
    return f"<Fields>{inner}</Fields>"


def _sendable_field(de: DataExtension) -> Any:
    return de.sendable_field


class DataExtensionHandler(ObjectHandler):
    object_type = "DataExtension"
    operations = frozenset({"Retrieve", "Create", "Update", "Delete"})
    schema = (
        *api_object_header(
            client_id=lambda de: de.mid,
            created=lambda de: de.created_date,
            modified=lambda de: de.modified_date,
            object_id=lambda de: de.object_id,
            customer_key=lambda de: de.customer_key,
        ),
        Prop("Name", lambda de: de.name),
        Prop("Description", lambda de: de.description),
        Prop("IsSendable", lambda de: de.is_sendable),
        Prop("IsTestable", lambda de: de.is_testable),
        Prop(
            "SendableDataExtensionField",
            children=(
                Prop("PartnerKey", lambda _de: None, always=True, filterable=False),
                Prop("ObjectID", lambda _de: None, always=True, filterable=False),
                Prop("Name", _sendable_field),
            ),
            present=lambda de: de.sendable_field is not None,
        ),
        Prop(
            "SendableSubscriberField",
            children=(Prop("Name", lambda de: de.sendable_subscriber_field),),
            present=lambda de: de.sendable_subscriber_field is not None,
        ),
        Prop("DataRetentionPeriodLength", lambda de: de.data_retention_period_length),
        Prop(
            "DataRetentionPeriodUnitOfMeasure",
            lambda de: de.data_retention_period.code if de.data_retention_period else None,
        ),
        Prop("RowBasedRetention", lambda de: de.row_based_retention),
        Prop("ResetRetentionPeriodOnImport", lambda de: de.reset_retention_period_on_import),
        Prop("DeleteAtEndOfRetentionPeriod", lambda de: de.delete_at_end_of_retention_period),
        Prop("RetainUntil", lambda de: us_datetime(de.retain_until)),
        Prop("Fields", retrievable=False, filterable=False, xml=_fields_xml),
        Prop(
            "DataRetentionPeriod",
            lambda de: de.data_retention_period.value if de.data_retention_period else None,
        ),
        Prop("CategoryID", lambda de: de.folder_id),
        Prop("Status", lambda de: de.status),
    )

    def candidates(
        self, ctx: CallContext, mids: Sequence[int], flt: Filter | None = None
    ) -> Iterable[DataExtension]:
        for mid in mids:
            yield from ctx.store.list_des(mid)

    @staticmethod
    def _find(ctx: CallContext, obj: ObjectReader, mid: int) -> DataExtension:
        identity = de_identity(obj)
        if identity is None:
            raise MceValidationError(
                ErrorCode.MISSING_PROPERTY, "Data extension CustomerKey is required."
            )
        de = lookup_de(ctx, mid, identity)
        if de is None:
            raise MceValidationError(
                ErrorCode.NOT_FOUND, f"Data extension with CustomerKey {identity[1]} not found."
            )
        return de

    @staticmethod
    def _retention_unit(obj: ObjectReader) -> str | None:
        unit = obj.text("DataRetentionPeriod")
        if unit:
            return unit
        code = obj.integer("DataRetentionPeriodUnitOfMeasure")
        if code is None:
            return None
        if code not in _UNIT_BY_CODE:
            raise MceValidationError(
                ErrorCode.INVALID_VALUE, f"DataRetentionPeriodUnitOfMeasure {code} is not valid."
            )
        return _UNIT_BY_CODE[code]

    @staticmethod
    def _retain_until(obj: ObjectReader) -> datetime | None:
        raw = obj.text("RetainUntil")
        if not raw:
            return None
        parsed = parse_mce_datetime(raw)
        if parsed is None:
            raise MceValidationError(ErrorCode.INVALID_VALUE, f"RetainUntil '{raw}' is not valid.")
        return parsed

    @staticmethod
    def _sendable(obj: ObjectReader) -> tuple[str | None, str | None]:
        field = obj.child("SendableDataExtensionField")
        subscriber = obj.child("SendableSubscriberField")
        return (
            field.text("Name") if field is not None else None,
            subscriber.text("Name") if subscriber is not None else None,
        )

    def create(self, ctx: CallContext, obj: ObjectReader) -> ObjectResult:
        try:
            mid = ctx.target_mid(obj.client_id())
            fields_el = obj.child("Fields")
            specs = [read_field_spec(f) for f in fields_el.children("Field")] if fields_el else []
            sendable_field, subscriber_field = self._sendable(obj)
            de = ctx.store.create_de(
                mid=mid,
                name=obj.text("Name"),
                fields=specs,
                customer_key=obj.text("CustomerKey") or None,
                folder_id=obj.integer("CategoryID", long=True),
                description=obj.text("Description") or "",
                is_sendable=bool(obj.boolean("IsSendable")),
                is_testable=bool(obj.boolean("IsTestable")),
                sendable_field=sendable_field,
                sendable_subscriber_field=subscriber_field,
                data_retention_period_length=obj.integer("DataRetentionPeriodLength"),
                data_retention_period=self._retention_unit(obj),
                row_based_retention=bool(obj.boolean("RowBasedRetention")),
                reset_retention_period_on_import=bool(obj.boolean("ResetRetentionPeriodOnImport")),
                delete_at_end_of_retention_period=bool(obj.boolean("DeleteAtEndOfRetentionPeriod")),
                retain_until=self._retain_until(obj),
            )
        except MceValidationError as exc:
            return error_result(exc, obj)
        return ok_result("Data Extension created.", self.echo(de), new_object_id=de.object_id)

    def update(self, ctx: CallContext, obj: ObjectReader) -> ObjectResult:
        try:
            mid = ctx.target_mid(obj.client_id())
            de = self._find(ctx, obj, mid)
            fields_el = obj.child("Fields")
            specs = []
            for f in fields_el.children("Field") if fields_el else []:
                existing = de.field_named(f.text("Name") or "")
                specs.append(read_field_spec(f, current=existing))
            sendable_field, subscriber_field = self._sendable(obj)
            # Name is an identifier here only when no CustomerKey/ObjectID was given.
            rename = obj.text("Name") if (obj.text("CustomerKey") or obj.text("ObjectID")) else None
            de = ctx.store.update_de(
                mid=mid,
                customer_key=de.customer_key,
                name=rename,
                description=obj.text("Description"),
                folder_id=obj.integer("CategoryID", long=True),
                is_sendable=obj.boolean("IsSendable"),
                sendable_field=sendable_field,
                sendable_subscriber_field=subscriber_field,
                data_retention_period_length=obj.integer("DataRetentionPeriodLength"),
                data_retention_period=self._retention_unit(obj),
                row_based_retention=obj.boolean("RowBasedRetention"),
                reset_retention_period_on_import=obj.boolean("ResetRetentionPeriodOnImport"),
                delete_at_end_of_retention_period=obj.boolean("DeleteAtEndOfRetentionPeriod"),
                fields=specs,
            )
        except MceValidationError as exc:
            return error_result(exc, obj)
        return ok_result("Data Extension updated.", self.echo(de))

    def delete(self, ctx: CallContext, obj: ObjectReader) -> ObjectResult:
        try:
            mid = ctx.target_mid(obj.client_id())
            de = self._find(ctx, obj, mid)
            echoed = self.echo(de)
            ctx.store.delete_de(mid=mid, customer_key=de.customer_key)
        except MceValidationError as exc:
            return error_result(exc, obj)
        return ok_result("Data Extension deleted.", echoed)


register(DataExtensionHandler)
