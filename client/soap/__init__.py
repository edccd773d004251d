"""MCE's SOAP API: zeep-built requests, lxml-read responses, typed records and errors.

``SoapOperations`` is the entry point; the rest is what its methods take and return.
"""

from __future__ import annotations

from client.soap.faults import classify
from client.soap.filters import Complex, Filter, Simple, all_of, any_of, equals, one_of
from client.soap.operations import Created, NewObject, SoapOperations
from client.soap.parsing import ObjectResult, PerformResult, RetrievePage, parse_retrieve
from client.soap.records import (
    AsyncActivityStatus,
    BusinessUnit,
    DataExtension,
    DataExtensionField,
    DataExtensionKey,
    DataFolder,
    QueryDefinition,
    QueryDefinitionKey,
)
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
from client.soap.wsdl import PartnerSchema, load_schema, partner_schema

__all__ = [
    "AsyncActivityStatus",
    "BusinessUnit",
    "Complex",
    "Created",
    "DataExtension",
    "DataExtensionChanges",
    "DataExtensionField",
    "DataExtensionKey",
    "DataFolder",
    "FieldSpec",
    "Filter",
    "FolderChanges",
    "NewDataExtension",
    "NewFolder",
    "NewObject",
    "NewQueryDefinition",
    "ObjectResult",
    "PartnerSchema",
    "PerformResult",
    "QueryDefinition",
    "QueryDefinitionChanges",
    "QueryDefinitionKey",
    "Retention",
    "RetrievePage",
    "Sendable",
    "Simple",
    "SoapOperations",
    "all_of",
    "any_of",
    "classify",
    "equals",
    "load_schema",
    "one_of",
    "parse_retrieve",
    "partner_schema",
]
