"""``BusinessUnit`` (an ``Account`` subtype): Retrieve only (REFERENCE.md §2.6).

Without ``QueryAllAccounts`` a caller sees its own BU (or the ``ClientIDs`` it names); with it,
every BU the token can reach, which for an enterprise-scoped token is the whole hierarchy.
``AccountType`` is required by the WSDL and always written: ``ENTERPRISE_2`` for the parent BU,
``BUSINESS_UNIT`` for children. ``Account.IsActive`` is an ``xsd:int`` (1/0), not a boolean.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from simulator.model import BusinessUnit
from simulator.soap.filters import Filter
from simulator.soap.objects.base import ObjectHandler, register
from simulator.soap.objects.schema import Prop, api_object_header

if TYPE_CHECKING:
    from simulator.soap.context import CallContext

__all__ = ["BusinessUnitHandler", "BusinessUnitView"]


@dataclass(frozen=True, slots=True)
class BusinessUnitView:
    bu: BusinessUnit
    parent: BusinessUnit | None


class BusinessUnitHandler(ObjectHandler):
    object_type = "BusinessUnit"
    schema = (
        *api_object_header(
            client_id=lambda v: v.bu.mid,
            id_=lambda v: v.bu.mid,
            customer_key=lambda v: v.bu.customer_key,
        ),
        Prop(
            "AccountType",
            lambda v: "ENTERPRISE_2" if v.bu.parent_mid is None else "BUSINESS_UNIT",
            required=True,
        ),
        Prop("ParentID", lambda v: v.bu.parent_mid if v.bu.parent_mid is not None else 0),
        Prop("Name", lambda v: v.bu.name),
        Prop("IsActive", lambda v: 1 if v.bu.is_active else 0),
        Prop("ParentName", lambda v: v.parent.name if v.parent else None),
        Prop("Description", lambda v: v.bu.description),
    )

    def candidates(
        self, ctx: CallContext, mids: Sequence[int], flt: Filter | None = None
    ) -> Iterable[BusinessUnitView]:
        units = ctx.store.business_units
        for mid in mids:
            bu = units.get(mid)
            if bu is not None:
                parent = units.get(bu.parent_mid) if bu.parent_mid is not None else None
                yield BusinessUnitView(bu, parent)


register(BusinessUnitHandler)
