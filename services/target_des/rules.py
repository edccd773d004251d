"""Every rule a target DE is checked against before MCE is called, over the whole input.

The names and keys (:mod:`services.target_des.naming`) and each field's type
(:mod:`services.target_des.field_types`), then what spans fields: at least one field, field
names unique case-insensitively (MCE maps a query's columns to fields by name, REFERENCE
§5.1), the sendable field being one of them (REFERENCE §2.4: ``SendableDataExtensionField``
names a field of the DE) and the retention period. Errors block; warnings travel with the
answer. Docs/deploy.md lists every code with its source.
"""

from __future__ import annotations

from services.target_des.bu_cache import BuNames
from services.target_des.field_types import check_field_type
from services.target_des.model import (
    FieldType,
    Issue,
    IssueSeverity,
    RetentionMode,
    RuleSource,
    SendableRelationship,
    TargetDeInput,
)
from services.target_des.naming import (
    check_customer_key,
    check_data_extension_name,
    check_field_name,
)

__all__ = ["MAX_FIELDS", "SENDABLE_TYPES", "check_input"]

#: A sanity bound on one request (MCE's own limit is not documented).
MAX_FIELDS = 4_000
#: Field types the simulator accepts as a sendable field [sim].
SENDABLE_TYPES = frozenset({FieldType.TEXT, FieldType.EMAIL_ADDRESS, FieldType.NUMBER})
#: The longest description Quarry sends (MCE's limit is not documented).
MAX_DESCRIPTION = 4_000


def check_input(spec: TargetDeInput, *, customer_key: str, taken: BuNames) -> list[Issue]:
    """All issues of ``spec`` (whose CustomerKey will be ``customer_key``) in a BU whose DEs
    use ``taken``'s names and keys; errors first, each naming its input field."""
    issues = check_data_extension_name(spec.name, taken=taken.names)
    issues += check_customer_key(customer_key, taken=taken.keys)
    if spec.description is not None and len(spec.description) > MAX_DESCRIPTION:
        issues.append(
            Issue(
                "DESCRIPTION_TOO_LONG", "description",
                f"A description has at most {MAX_DESCRIPTION} characters here.",
            )
        )  # fmt: skip
    issues += _fields(spec)
    issues += _sendable(spec)
    issues += _retention(spec)
    return sorted(issues, key=lambda issue: issue.severity is not IssueSeverity.ERROR)


def _fields(spec: TargetDeInput) -> list[Issue]:
    if not spec.fields:
        return [Issue("NO_FIELDS", "fields", "A data extension needs at least one field.")]
    if len(spec.fields) > MAX_FIELDS:
        return [Issue("TOO_MANY_FIELDS", "fields", f"At most {MAX_FIELDS} fields.")]
    issues: list[Issue] = []
    seen: dict[str, int] = {}
    for index, field in enumerate(spec.fields):
        path = f"fields.{index}"
        issues += check_field_name(field.name, field=f"{path}.name")
        issues += check_field_type(field, path=path)
        folded = field.name.strip().casefold()
        if folded and folded in seen:
            issues.append(
                Issue(
                    "DUPLICATE_FIELD",
                    f"{path}.name",
                    f"'{field.name}' is already field {seen[folded]}: names are compared"
                    " without case, as MCE maps a query's columns to fields by name.",
                    source=RuleSource.REFERENCE,
                )
            )
        seen.setdefault(folded, index)
    return issues


def _sendable(spec: TargetDeInput) -> list[Issue]:
    sendable = spec.sendable
    if sendable is None:
        return []
    wanted = sendable.field.casefold()
    field = next((f for f in spec.fields if f.name.casefold() == wanted), None)
    if field is None:
        return [
            Issue(
                "SENDABLE_FIELD_UNKNOWN",
                "sendable.field",
                f"'{sendable.field}' is not one of the fields: a sendable data extension is"
                " sent to the subscribers one of its fields names.",
                source=RuleSource.REFERENCE,
            )
        ]
    issues: list[Issue] = []
    if field.field_type not in SENDABLE_TYPES:
        issues.append(
            Issue(
                "SENDABLE_FIELD_TYPE",
                "sendable.field",
                f"The simulator relates only Text, EmailAddress or Number fields to"
                f" subscribers, not {field.field_type.value}; Marketing Cloud's rule is not"
                " documented.",
                severity=IssueSeverity.WARNING,
                source=RuleSource.SIMULATOR,
            )
        )
    if sendable.relationship is SendableRelationship.EMAIL_ADDRESS:
        issues.append(
            Issue(
                "SENDABLE_RELATIONSHIP",
                "sendable.relationship",
                "Marketing Cloud's create is recorded with the Subscriber Key relationship"
                " only; the simulator also accepts Email Address.",
                severity=IssueSeverity.WARNING,
                source=RuleSource.SIMULATOR,
            )
        )
    return issues


def _retention(spec: TargetDeInput) -> list[Issue]:
    retention = spec.retention
    if retention is None:
        return []
    issues: list[Issue] = []
    if retention.length < 1:
        issues.append(
            Issue("RETENTION_LENGTH_INVALID", "retention.length", "A period is at least 1.")
        )
    if retention.reset_on_import and retention.mode is RetentionMode.ROWS:
        issues.append(
            Issue(
                "RETENTION_RESET_IGNORED",
                "retention.resetOnImport",
                "With row-based retention each row's own age counts; resetting the period on"
                " import applies to the other modes only (as the simulator honours it).",
                severity=IssueSeverity.WARNING,
                source=RuleSource.SIMULATOR,
            )
        )
    return issues
