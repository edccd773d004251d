"""Request bodies for each SOAP operation, as zeep values of a :class:`PartnerSchema`.

Every function takes the schema it builds for, so the contract test can build the same
request over MCE's real WSDL. Another BU is addressed with ``ClientIDs`` on a Retrieve and
``Client/ID`` on each object of a Create/Update/Delete/Perform (REFERENCE §2.6).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from zeep.xsd import SkipValue

from client.soap.filters import Filter, filter_value
from client.soap.specs import (
    DataExtensionChanges,
    FieldSpec,
    FolderChanges,
    NewDataExtension,
    NewFolder,
    NewQueryDefinition,
    QueryDefinitionChanges,
    Retention,
    Sendable,
)
from client.soap.wsdl import PartnerSchema

__all__ = [
    "Body",
    "RetrieveQuery",
    "crud_body",
    "data_extension_changes",
    "field_objects",
    "folder_changes",
    "new_data_extension",
    "new_folder",
    "new_query_definition",
    "object_ref",
    "perform_body",
    "query_definition_changes",
    "retrieve_body",
]

Body = dict[str, Any]


@dataclass(frozen=True, slots=True)
class RetrieveQuery:
    """One logical Retrieve (all its pages)."""

    object_type: str
    properties: tuple[str, ...]
    filter: Filter | None = None
    client_id: int | None = None
    query_all_accounts: bool = False


def retrieve_body(
    schema: PartnerSchema, query: RetrieveQuery, *, continue_request: str | None = None
) -> Body:
    """A ``RetrieveRequestMsg``. A continuation resends ``ObjectType`` and ``Properties``
    (the WSDL requires ``ObjectType``; MCE accepts it, REFERENCE §0) with the RequestID."""
    request: dict[str, Any] = {}
    if query.client_id is not None and continue_request is None:
        request["ClientIDs"] = [{"ID": query.client_id}]
    request["ObjectType"] = query.object_type
    request["Properties"] = list(query.properties)
    if continue_request is not None:
        request["ContinueRequest"] = continue_request
        return {"RetrieveRequest": request}
    if query.filter is not None:
        request["Filter"] = filter_value(schema, query.filter)
    if query.query_all_accounts:
        request["QueryAllAccounts"] = True
    return {"RetrieveRequest": request}


def crud_body(objects: Sequence[Any]) -> Body:
    """A ``CreateRequest``/``UpdateRequest``/``DeleteRequest``: empty ``Options`` (required
    by the WSDL) and the objects."""
    return {"Options": {}, "Objects": list(objects)}


def perform_body(schema: PartnerSchema, *, object_id: str, client_id: int | None) -> Body:
    """``Perform`` ``Start`` of a QueryDefinition, which MCE addresses by ObjectID only."""
    definition = schema.new("QueryDefinition", **_header(client_id), ObjectID=object_id)
    return {"Action": "Start", "Definitions": {"Definition": [definition]}}


def _header(client_id: int | None) -> dict[str, Any]:
    return {"Client": {"ID": client_id}} if client_id is not None else {}


def _present(**values: Any) -> dict[str, Any]:
    return {name: value for name, value in values.items() if value is not None}


def object_ref(
    schema: PartnerSchema,
    object_type: str,
    *,
    client_id: int | None,
    **identity: Any,
) -> Any:
    """An object named only by its identity (``CustomerKey``, ``ID``, ``ObjectID``), as
    Delete and lookups send it."""
    return schema.new(object_type, **_header(client_id), **_present(**identity))


def _field(spec: FieldSpec) -> dict[str, Any]:
    return _present(
        Name=spec.name,
        Precision=spec.precision,
        Scale=spec.scale,
        DefaultValue=spec.default_value,
        MaxLength=spec.max_length,
        IsRequired=spec.is_required,
        Ordinal=spec.ordinal,
        IsPrimaryKey=spec.is_primary_key,
        FieldType=spec.field_type,
    )


def _retention(retention: Retention | None) -> dict[str, Any]:
    if retention is None:
        return {}
    return {
        "DataRetentionPeriodLength": retention.length,
        "RowBasedRetention": retention.row_based,
        "ResetRetentionPeriodOnImport": retention.reset_on_import,
        "DeleteAtEndOfRetentionPeriod": retention.delete_at_end,
        "DataRetentionPeriod": retention.period,
    }


def _fields(schema: PartnerSchema, fields: Sequence[FieldSpec]) -> dict[str, Any]:
    if not fields:
        return {}
    return {"Fields": {"Field": [schema.new("DataExtensionField", **_field(f)) for f in fields]}}


def _sendable(schema: PartnerSchema, sendable: Sendable | None) -> dict[str, Any]:
    """``IsSendable`` and, for a sendable DE, its field and subscriber relationship
    (``SendableSubscriberField`` is an ``Attribute``: its required ``Value`` is not sent)."""
    if sendable is None:
        return {"IsSendable": False}
    field = schema.new(
        "DataExtensionField", **_present(Name=sendable.field, FieldType=sendable.field_type)
    )
    return {
        "IsSendable": True,
        "SendableDataExtensionField": field,
        "SendableSubscriberField": {"Name": sendable.subscriber_field, "Value": SkipValue},
    }


def new_data_extension(
    schema: PartnerSchema, spec: NewDataExtension, *, client_id: int | None
) -> Any:
    return schema.new(
        "DataExtension",
        **_header(client_id),
        CustomerKey=spec.customer_key,
        Name=spec.name,
        **_present(Description=spec.description),
        **_sendable(schema, spec.sendable),
        **_present(IsTestable=spec.is_testable),
        **_retention(spec.retention),
        **_fields(schema, spec.fields),
        **_present(CategoryID=spec.category_id),
    )


def data_extension_changes(
    schema: PartnerSchema, changes: DataExtensionChanges, *, client_id: int | None
) -> Any:
    return schema.new(
        "DataExtension",
        **_header(client_id),
        CustomerKey=changes.customer_key,
        **_present(Name=changes.name, Description=changes.description),
        **_retention(changes.retention),
        **_fields(schema, changes.fields),
        **_present(CategoryID=changes.category_id),
    )


def field_objects(
    schema: PartnerSchema,
    *,
    data_extension_key: str,
    fields: Sequence[FieldSpec],
    client_id: int | None,
) -> list[Any]:
    """``DataExtensionField`` objects of one DE, for creating, changing or deleting fields
    one by one (the DE is named by its CustomerKey, each field by its Name)."""
    return [
        schema.new(
            "DataExtensionField",
            **_header(client_id),
            **_field(spec),
            DataExtension={"CustomerKey": data_extension_key},
        )
        for spec in fields
    ]


def new_folder(schema: PartnerSchema, spec: NewFolder, *, client_id: int | None) -> Any:
    return schema.new(
        "DataFolder",
        **_header(client_id),
        **_present(CustomerKey=spec.customer_key),
        ParentFolder={"ID": spec.parent_id},
        Name=spec.name,
        **_present(Description=spec.description),
        ContentType=spec.content_type,
        **_present(AllowChildren=spec.allow_children),
    )


def folder_changes(schema: PartnerSchema, changes: FolderChanges, *, client_id: int | None) -> Any:
    return schema.new(
        "DataFolder",
        **_header(client_id),
        ID=changes.id,
        **({"ParentFolder": {"ID": changes.parent_id}} if changes.parent_id is not None else {}),
        **_present(Name=changes.name, Description=changes.description),
    )


def _target(key: str | None, name: str | None) -> dict[str, Any]:
    if key is None and name is None:
        return {}
    return {"DataExtensionTarget": _present(CustomerKey=key, Name=name)}


def new_query_definition(
    schema: PartnerSchema, spec: NewQueryDefinition, *, client_id: int | None
) -> Any:
    return schema.new(
        "QueryDefinition",
        **_header(client_id),
        CustomerKey=spec.customer_key,
        Name=spec.name,
        **_present(Description=spec.description),
        QueryText=spec.query_text,
        TargetType="DE",
        **_target(spec.target_key, spec.target_name),
        TargetUpdateType=spec.update_type,
        **_present(CategoryID=spec.category_id),
    )


def query_definition_changes(
    schema: PartnerSchema, changes: QueryDefinitionChanges, *, client_id: int | None
) -> Any:
    if changes.customer_key is None and changes.object_id is None:
        raise ValueError("a query definition is changed by its CustomerKey or ObjectID")
    return schema.new(
        "QueryDefinition",
        **_header(client_id),
        **_present(ObjectID=changes.object_id, CustomerKey=changes.customer_key),
        **_present(
            Name=changes.name, Description=changes.description, QueryText=changes.query_text
        ),
        **_target(changes.target_key, changes.target_name),
        **_present(TargetUpdateType=changes.update_type, CategoryID=changes.category_id),
    )
