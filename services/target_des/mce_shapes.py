"""The shapes the creation sends and writes: the SOAP create of a target DE, its cache rows,
and what MCE's answers mean for the caller (an :class:`Issue` naming the input field).

REFERENCE §2.4: a Decimal is created with ``Precision`` and ``Scale`` (read back as
``MaxLength``), EmailAddress defaults to 254 characters, a sendable DE is created with the
"Subscriber Key" relationship and read back as ``_SubscriberKey``, and a duplicate name is
MCE's error 310007.
"""

from __future__ import annotations

from typing import Any

from client.errors import MceValidationError, ReauthRequired
from client.soap import FieldSpec, NewDataExtension, Retention, Sendable
from services.target_des.model import (
    FieldInput,
    FieldType,
    Issue,
    RetentionMode,
    RuleSource,
    SendableInput,
    SendableRelationship,
    TargetDeInput,
)
from services.wallet.errors import TenantUnavailable

__all__ = [
    "access_problem",
    "cache_field_row",
    "new_data_extension",
    "refusal",
    "subscriber_field",
]

_EMAIL_DEFAULT_LENGTH = 254  # REFERENCE §2.4


def access_problem(exc: Exception) -> Issue:
    if isinstance(exc, ReauthRequired):
        return Issue(
            "NEEDS_SIGN_IN",
            None,
            "Sign in to Marketing Cloud again: Quarry can no longer act for you there.",
        )
    if isinstance(exc, TenantUnavailable):
        return Issue("MCE_UNAVAILABLE", None, "Marketing Cloud cannot be reached for this account.")
    return Issue(
        "FORBIDDEN", None, "Marketing Cloud does not let you create data extensions there."
    )


#: MCE's (and the simulator's) error codes of a DE create that point at one input field.
_REFUSAL_FIELDS: dict[str, tuple[str, str]] = {
    "310007": ("NAME_TAKEN", "name"),  # REFERENCE §2.4
    "310006": ("KEY_TAKEN", "customerKey"),
    "310004": ("FOLDER_NOT_FOUND", "folderId"),
    "310009": ("MCE_REFUSED", "sendable"),
}


def refusal(exc: MceValidationError) -> Issue:
    code, field = _REFUSAL_FIELDS.get(str(exc.mce_code), ("MCE_REFUSED", "fields"))
    if code == "MCE_REFUSED" and field == "fields" and not _about_fields(exc.message):
        field = ""
    return Issue(
        code,
        field or None,
        f"Marketing Cloud refused it: {exc.message}",
        source=RuleSource.REFERENCE,
    )


def _about_fields(message: str) -> bool:
    lowered = message.casefold()
    return any(word in lowered for word in ("field", "maxlength", "precision", "scale"))


def subscriber_field(sendable: SendableInput | None) -> str | None:
    """As MCE reports it on retrieve (REFERENCE §2.4: "Subscriber Key" reads back as
    ``_SubscriberKey``)."""
    if sendable is None:
        return None
    if sendable.relationship is SendableRelationship.SUBSCRIBER_KEY:
        return "_SubscriberKey"
    return sendable.relationship.value


def cache_field_row(field: FieldInput, ordinal: int) -> dict[str, Any]:
    decimal = field.field_type is FieldType.DECIMAL
    length = field.length
    if length is None and field.field_type is FieldType.EMAIL_ADDRESS:
        length = _EMAIL_DEFAULT_LENGTH
    return {
        "name": field.name,
        "field_type": field.field_type.value,
        "max_length": None if decimal else length,
        "precision": (field.precision if field.precision is not None else 18) if decimal else None,
        "scale": (field.scale if field.scale is not None else 0) if decimal else None,
        "is_primary_key": field.is_primary_key,
        "is_required": field.required or field.is_primary_key,
        "default_value": field.default_value or None,
        "ordinal": ordinal,
    }


def new_data_extension(
    spec: TargetDeInput, *, name: str, customer_key: str, folder_id: int | None
) -> NewDataExtension:
    """The SOAP create of ``spec`` under the recorded name, key and folder."""
    fields = tuple(
        FieldSpec(
            name=field.name,
            field_type=field.field_type.value,
            max_length=None if field.field_type is FieldType.DECIMAL else field.length,
            precision=field.precision if field.field_type is FieldType.DECIMAL else None,
            scale=field.scale if field.field_type is FieldType.DECIMAL else None,
            is_primary_key=field.is_primary_key,
            is_required=field.required or field.is_primary_key,
            default_value=field.default_value,
            ordinal=ordinal,
        )
        for ordinal, field in enumerate(spec.fields)
    )
    sendable = None
    if spec.sendable is not None:
        wanted = spec.sendable.field.casefold()
        match = next(f for f in spec.fields if f.name.casefold() == wanted)
        sendable = Sendable(
            field=match.name,
            field_type=match.field_type.value,
            subscriber_field=spec.sendable.relationship.value,
        )
    retention = None
    if spec.retention is not None:
        retention = Retention(
            length=spec.retention.length,
            period=spec.retention.unit.value,
            row_based=spec.retention.mode is RetentionMode.ROWS,
            reset_on_import=spec.retention.reset_on_import,
            delete_at_end=spec.retention.mode is RetentionMode.DATA_EXTENSION,
        )
    return NewDataExtension(
        customer_key=customer_key,
        name=name,
        fields=fields,
        category_id=folder_id,
        description=spec.description,
        retention=retention,
        sendable=sendable,
    )
