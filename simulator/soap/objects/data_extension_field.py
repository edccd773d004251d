"""``DataExtensionField``: Retrieve, Create, Update, Delete (REFERENCE.md §2.4).

Retrieve is the bulk path metadata sync uses (thousands of fields, filtered by
``DataExtension.CustomerKey``), so candidates are narrowed by DE before the generic filter runs
when the filter pins DEs by key, name or ObjectID. Field quirks kept from MCE: ``CustomerKey`` is
``[DEKey].[FieldName]``, Decimal precision comes back in ``MaxLength``, ``Ordinal`` is 0-based.

Create/Update/Delete address the parent DE through ``DataExtension/CustomerKey`` (or its
``ObjectID`` / ``Name``) and the field by ``Name`` (or the field's own ``ObjectID``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from simulator.errors import ErrorCode, MceValidationError
from simulator.model import DataExtension, Field
from simulator.soap.filters import ComplexFilter, Filter, SimpleFilter
from simulator.soap.objects.base import ObjectHandler, ObjectResult, register
from simulator.soap.objects.data_extension import de_identity, lookup_de
from simulator.soap.objects.field_spec import read_field_spec
from simulator.soap.objects.results import error_result, ok_result
from simulator.soap.objects.schema import Prop, api_object_header

if TYPE_CHECKING:
    from simulator.soap.context import CallContext
    from simulator.soap.objects.reader import ObjectReader

__all__ = ["DataExtensionFieldHandler", "FieldView"]

#: A field together with the DE it belongs to (the model's Field has no back reference).
FieldView = tuple[DataExtension, Field]

_DE_KEYS = {
    "DataExtension.CustomerKey": "customer_key",
    "DataExtension.Name": "name",
    "DataExtension.ObjectID": "object_id",
}


def _decimal_scale(view: FieldView) -> int | None:
    return view[1].scale


class DataExtensionFieldHandler(ObjectHandler):
    object_type = "DataExtensionField"
    operations = frozenset({"Retrieve", "Create", "Update", "Delete"})
    schema = (
        *api_object_header(
            client_id=lambda v: v[0].mid,
            object_id=lambda v: v[1].object_id or None,
            customer_key=lambda v: f"[{v[0].customer_key}].[{v[1].name}]",
        ),
        Prop("Name", lambda v: v[1].name),
        Prop("Precision", lambda _v: None, filterable=False),
        Prop("Scale", _decimal_scale),
        Prop("Description", lambda v: v[1].description),
        Prop("DefaultValue", lambda v: v[1].default_value or ""),
        Prop("MaxLength", lambda v: v[1].max_length),
        Prop("IsRequired", lambda v: v[1].is_required),
        Prop("Ordinal", lambda v: v[1].ordinal),
        Prop("IsPrimaryKey", lambda v: v[1].is_primary_key),
        Prop("FieldType", lambda v: v[1].field_type.value),
        Prop(
            "DataExtension",
            children=(
                Prop("PartnerKey", lambda _v: None, always=True, filterable=False),
                Prop("ObjectID", lambda v: v[0].object_id, always=True),
                Prop("CustomerKey", lambda v: v[0].customer_key),
                Prop("Name", lambda v: v[0].name),
            ),
        ),
    )

    def candidates(
        self, ctx: CallContext, mids: Sequence[int], flt: Filter | None = None
    ) -> Iterable[FieldView]:
        for de in self._candidate_des(ctx, mids, flt):
            for f in sorted(de.fields, key=lambda x: x.ordinal):
                yield (de, f)

    def _candidate_des(
        self, ctx: CallContext, mids: Sequence[int], flt: Filter | None
    ) -> Iterable[DataExtension]:
        pinned = _pinned_des(flt)
        if pinned is not None:
            attr, values = pinned
            wanted = {v.casefold() for v in values}
            for mid in mids:
                for de in ctx.store.list_des(mid):
                    if str(getattr(de, attr)).casefold() in wanted:
                        yield de
            return
        for mid in mids:
            yield from ctx.store.list_des(mid)

    def _find_de(self, ctx: CallContext, obj: ObjectReader, mid: int) -> DataExtension:
        ref = obj.child("DataExtension")
        de: DataExtension | None = None
        identity = de_identity(ref) if ref is not None else None
        if identity is not None:
            de = lookup_de(ctx, mid, identity)
            if de is None:
                raise MceValidationError(
                    ErrorCode.NOT_FOUND, "The data extension of the field was not found."
                )
        if de is None:
            field_oid = obj.text("ObjectID")
            if field_oid:
                for candidate in ctx.store.list_des(mid):
                    if any(f.object_id.lower() == field_oid.lower() for f in candidate.fields):
                        return candidate
                raise MceValidationError(
                    ErrorCode.FIELD_NOT_FOUND, f"Field with ObjectID {field_oid} does not exist."
                )
            raise MceValidationError(
                ErrorCode.MISSING_PROPERTY, "DataExtension.CustomerKey is required."
            )
        return de

    @staticmethod
    def _find_field(de: DataExtension, obj: ObjectReader) -> Field:
        name = obj.text("Name")
        if name:
            found = de.field_named(name)
        else:
            oid = (obj.text("ObjectID") or "").lower()
            found = (
                next((f for f in de.fields if f.object_id.lower() == oid), None) if oid else None
            )
            if not oid:
                raise MceValidationError(
                    ErrorCode.MISSING_PROPERTY, "Field Name or ObjectID is required."
                )
        if found is None:
            raise MceValidationError(
                ErrorCode.FIELD_NOT_FOUND, f"Field {name or obj.text('ObjectID')} does not exist."
            )
        return found

    def create(self, ctx: CallContext, obj: ObjectReader) -> ObjectResult:
        try:
            mid = ctx.target_mid(obj.client_id())
            de = self._find_de(ctx, obj, mid)
            created = ctx.store.add_field(de, read_field_spec(obj))
        except MceValidationError as exc:
            return error_result(exc, obj)
        return ok_result(
            "DataExtensionField created.",
            self.echo((de, created)),
            new_object_id=created.object_id,
        )

    def update(self, ctx: CallContext, obj: ObjectReader) -> ObjectResult:
        try:
            mid = ctx.target_mid(obj.client_id())
            de = self._find_de(ctx, obj, mid)
            current = self._find_field(de, obj)
            spec = read_field_spec(obj, current=current)
            spec.name = current.name
            updated = ctx.store.update_field(de, current.name, spec)
        except MceValidationError as exc:
            return error_result(exc, obj)
        return ok_result("DataExtensionField updated.", self.echo((de, updated)))

    def delete(self, ctx: CallContext, obj: ObjectReader) -> ObjectResult:
        try:
            mid = ctx.target_mid(obj.client_id())
            de = self._find_de(ctx, obj, mid)
            current = self._find_field(de, obj)
            echoed = self.echo((de, current))
            ctx.store.delete_field(de, current.name)
        except MceValidationError as exc:
            return error_result(exc, obj)
        return ok_result("DataExtensionField deleted.", echoed)


def _pinned_des(flt: Filter | None) -> tuple[str, tuple[str, ...]] | None:
    """``(attribute, values)`` when the filter can only match fields of those DEs.

    True for ``DataExtension.CustomerKey|Name|ObjectID`` equals/IN, alone or as an operand of an
    AND; the full filter still runs afterwards, so this only skips DEs that cannot match.
    """
    if isinstance(flt, SimpleFilter):
        attr = _DE_KEYS.get(flt.property)
        if attr is not None and flt.operator in ("equals", "IN") and flt.values:
            values = flt.values if flt.operator == "IN" else flt.values[:1]
            return attr, values
        return None
    if isinstance(flt, ComplexFilter) and flt.operator == "AND":
        for operand in flt.operands:
            pinned = _pinned_des(operand)
            if pinned is not None:
                return pinned
    return None


register(DataExtensionFieldHandler)
