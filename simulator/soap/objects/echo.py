"""Echo a request object in an error result the way MCE does: re-serialised in WSDL order.

MCE deserialises each request object into its .NET type and writes that object back in the
``Object`` of a failed result, so the echo follows the type's WSDL sequence whatever order the
client used, and elements the type does not have are gone. A verbatim copy would break strict
WSDL clients (zeep reads sequences in order) whenever a hand-built request lists elements in
another order, as many do (``FieldType`` before ``IsRequired`` in a ``Field``).

Only the element *names* of each sequence are needed; they are listed here for the types the
simulator handles (and the complex types nested in them). An object without ``xsi:type`` is
echoed as a plain ``APIObject`` (its base elements only). A type the simulator has no sequence
for is echoed verbatim: the simulator cannot tell a WSDL type it does not model from a typo.
"""

from __future__ import annotations

import copy

from lxml import etree

from simulator.soap.filters import xsi_type_name
from simulator.soap.namespaces import PARTNER_NS, XSI_TYPE

__all__ = ["SEQUENCES", "echo_object"]

_P = f"{{{PARTNER_NS}}}"

#: One element of a sequence: its name and, for complex children to reorder too, their type.
Element = tuple[str, str | None]


def _names(names: str) -> tuple[Element, ...]:
    """Simple (or not reordered) elements, from a space-separated list."""
    return tuple((name, None) for name in names.split())


_API_OBJECT: tuple[Element, ...] = (
    ("Client", "ClientID"),
    *_names("PartnerKey PartnerProperties CreatedDate ModifiedDate ID ObjectID CustomerKey"),
    *_names("Owner CorrelationID ObjectState"),
)
_PROPERTY_DEFINITION = _names(
    "Name DataType ValueType PropertyType IsCreatable IsUpdatable IsRetrievable IsQueryable "
    "IsFilterable IsPartnerProperty IsAccountProperty PartnerMap AttributeMaps Markups Precision "
    "Scale Label Description DefaultValue MinLength MaxLength MinValue MaxValue IsRequired "
    "IsViewable IsEditable IsNillable IsRestrictedPicklist PicklistItems IsSendTime DisplayOrder "
    "References RelationshipName Status IsContextSpecific"
)
_ACCOUNT = _names(
    "AccountType ParentID BrandID PrivateLabelID ReportingParentID Name Email FromName "
    "BusinessName Phone Address Fax City State Zip Country IsActive IsTestAccount OrgID DBID "
    "ParentName CustomerID DeletedDate EditionID Children Subscription PrivateLabels "
    "BusinessRules AccountUsers InheritAddress IsTrialAccount Locale ParentAccount TimeZone Roles "
    "LanguageLocale"
)

#: WSDL sequences by type name (base type's elements first, as XML Schema extension orders them).
SEQUENCES: dict[str, tuple[Element, ...]] = {
    "APIObject": _API_OBJECT,
    "ClientID": _names(
        "ClientID ID PartnerClientKey UserID PartnerUserKey CreatedBy ModifiedBy EnterpriseID "
        "CustomerKey CustomerID"
    ),
    "Attribute": _names("Name Value Compression"),
    "DataFolder": (
        *_API_OBJECT,
        ("ParentFolder", "DataFolder"),
        *_names("Name Description ContentType IsActive IsEditable AllowChildren"),
    ),
    "DataExtension": (
        *_API_OBJECT,
        *_names("Name Description IsSendable IsTestable"),
        ("SendableDataExtensionField", "DataExtensionField"),
        ("SendableSubscriberField", "Attribute"),
        *_names("Template DataRetentionPeriodLength DataRetentionPeriodUnitOfMeasure"),
        *_names("RowBasedRetention ResetRetentionPeriodOnImport DeleteAtEndOfRetentionPeriod"),
        *_names("RetainUntil"),
        ("Fields", "DataExtension.Fields"),
        *_names("DataRetentionPeriod CategoryID Status"),
    ),
    "DataExtension.Fields": (("Field", "DataExtensionField"),),
    "DataExtensionField": (
        *_API_OBJECT,
        *_PROPERTY_DEFINITION,
        *_names("Ordinal IsPrimaryKey FieldType"),
        ("DataExtension", "DataExtension"),
        *_names("StorageType"),
    ),
    "Account": (*_API_OBJECT, *_ACCOUNT),
    "BusinessUnit": (
        *_API_OBJECT,
        *_ACCOUNT,
        *_names("Description DefaultSendClassification DefaultHomePage SubscriberFilter"),
        *_names("MasterUnsubscribeBehavior"),
    ),
}

#: Required (``minOccurs=1``) enum elements and the value .NET writes when a request left them
#: out: the enum's first member (an unset value type), so the echo stays schema-valid.
_REQUIRED_DEFAULTS: dict[str, dict[str, str]] = {
    "Account": {"AccountType": "None"},
    "BusinessUnit": {"AccountType": "None"},
}


def _reordered(element: etree._Element, type_name: str) -> etree._Element:
    """A copy of ``element`` with its children in ``type_name``'s sequence, others dropped.

    A child with its own ``xsi:type`` (a subtype) follows that type's sequence when known.
    """
    clone = etree.Element(element.tag, attrib=dict(element.attrib), nsmap=element.nsmap)
    clone.text = element.text
    by_name: dict[str, list[etree._Element]] = {}
    for child in element:
        if isinstance(child.tag, str) and child.tag.startswith(_P):
            by_name.setdefault(child.tag[len(_P) :], []).append(child)
    defaults = _REQUIRED_DEFAULTS.get(type_name, {})
    for name, child_type in SEQUENCES[type_name]:
        if name in defaults and name not in by_name:
            etree.SubElement(clone, f"{_P}{name}").text = defaults[name]
        for child in by_name.get(name, ()):
            own_type = xsi_type_name(child)
            kind = own_type if own_type in SEQUENCES else child_type
            clone.append(_reordered(child, kind) if kind is not None else copy.deepcopy(child))
    return clone


def echo_object(
    element: etree._Element, *, tag: str = "Object", xsi_type: str | None = None
) -> str:
    """``element`` (a request ``Objects``) written back as ``<tag xsi:type=...>`` for a result."""
    kind = xsi_type or xsi_type_name(element)
    if kind is None:
        echoed = _reordered(element, "APIObject")
    elif kind in SEQUENCES:
        echoed = _reordered(element, kind)
    else:
        echoed = copy.deepcopy(element)
    echoed.tag = f"{_P}{tag}"
    if kind is not None:
        echoed.set(XSI_TYPE, kind)
    # Namespace declarations are kept as they are: xsi:type values inside may use prefixes
    # that only appear in attribute content.
    return etree.tostring(echoed, encoding="unicode")
