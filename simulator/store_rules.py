"""Validation rules and limits shared by the store modules.

Limits that REFERENCE.md does not state (field-name rules, Phone/Locale lengths) are
simulator choices, listed in docs/simulator.md.
"""

from __future__ import annotations

from dataclasses import dataclass

from simulator.errors import ErrorCode, MceValidationError
from simulator.model import FieldType

__all__ = [
    "DE_FOLDER_TYPES",
    "FOLDER_FAMILIES",
    "LENGTH_RANGES",
    "MAX_DE_KEY",
    "MAX_NAME",
    "MAX_QUERY_KEY",
    "SUBSCRIBER_FIELD_ALIASES",
    "UPDATE_TYPES",
    "FieldSpec",
    "check_name",
    "err",
]

#: Folder content types a DE may live in; ``shared_*`` ones make the DE shared.
DE_FOLDER_TYPES = frozenset({"dataextension", "shared_data", "shared_dataextension"})
FOLDER_FAMILIES = (
    frozenset({"dataextension"}),
    frozenset({"shared_data", "shared_dataextension"}),
)
MAX_NAME = 128
MAX_DE_KEY = 200
MAX_QUERY_KEY = 36
TEXT_MAX = 4000
LENGTH_RANGES = {
    FieldType.TEXT: (1, TEXT_MAX, None),
    FieldType.EMAIL_ADDRESS: (1, 254, 254),
    FieldType.PHONE: (1, 50, 50),
    FieldType.LOCALE: (1, 5, 5),
}
UPDATE_TYPES = {"overwrite": "Overwrite", "append": "Append", "update": "Update"}
SUBSCRIBER_FIELD_ALIASES = {"subscriber key": "_SubscriberKey", "_subscriberkey": "_SubscriberKey"}


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


def err(code: ErrorCode, message: str) -> MceValidationError:
    return MceValidationError(code, message)


def check_name(kind: str, name: str | None) -> str:
    if name is None or not name.strip():
        raise err(ErrorCode.MISSING_PROPERTY, f"{kind} Name is required.")
    if len(name) > MAX_NAME:
        raise err(ErrorCode.INVALID_VALUE, f"{kind} Name must be {MAX_NAME} characters or less.")
    return name
