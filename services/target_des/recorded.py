"""The answer a finished request recorded, as JSON in its record (``target_de_requests``):
what a replay answers, identically, without calling MCE. Names, keys, ids, field
definitions and user errors only: nothing secret, no customer rows.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from services.target_des.model import (
    CreatedDataExtension,
    FieldInput,
    FieldType,
    Issue,
    IssueSeverity,
    RetentionInput,
    RetentionMode,
    RetentionUnit,
    RuleSource,
    SendableInput,
    SendableRelationship,
)

__all__ = ["created_from_json", "created_json", "issue_from_json", "issue_json", "issues_json"]


def issue_json(issue: Issue) -> dict[str, Any]:
    return {
        "code": issue.code,
        "field": issue.field,
        "message": issue.message,
        "severity": issue.severity.value,
        "source": issue.source.value,
    }


def issues_json(issues: tuple[Issue, ...]) -> list[dict[str, Any]]:
    return [issue_json(issue) for issue in issues]


def issue_from_json(data: dict[str, Any]) -> Issue:
    return Issue(
        code=str(data["code"]),
        field=data.get("field"),
        message=str(data["message"]),
        severity=IssueSeverity(data.get("severity", IssueSeverity.ERROR.value)),
        source=RuleSource(data.get("source", RuleSource.QUARRY.value)),
    )


def created_json(created: CreatedDataExtension, *, recovered: bool) -> dict[str, Any]:
    return {
        "created": {
            "mid": created.mid,
            "name": created.name,
            "customer_key": created.customer_key,
            "object_id": created.object_id,
            "category_id": created.category_id,
            "description": created.description,
            "is_shared": created.is_shared,
            "cache_id": str(created.cache_id) if created.cache_id else None,
            "folder_cache_id": str(created.folder_cache_id) if created.folder_cache_id else None,
            "fields": [
                {
                    "name": f.name,
                    "field_type": f.field_type.value,
                    "length": f.length,
                    "precision": f.precision,
                    "scale": f.scale,
                    "is_required": f.is_required,
                    "is_primary_key": f.is_primary_key,
                    "default_value": f.default_value,
                }
                for f in created.fields
            ],
            "sendable": None
            if created.sendable is None
            else {
                "field": created.sendable.field,
                "relationship": created.sendable.relationship.value,
            },
            "retention": None
            if created.retention is None
            else {
                "length": created.retention.length,
                "unit": created.retention.unit.value,
                "mode": created.retention.mode.value,
                "reset_on_import": created.retention.reset_on_import,
            },
        },
        "warnings": issues_json(created.warnings),
        "recovered": recovered,
    }


def created_from_json(
    data: dict[str, Any], *, warnings: tuple[Issue, ...], cache_id: UUID | None
) -> CreatedDataExtension:
    """The DE :func:`created_json` recorded (``cache_id``: its cache row now)."""
    sendable = data.get("sendable")
    retention = data.get("retention")
    return CreatedDataExtension(
        mid=int(data["mid"]),
        name=data["name"],
        customer_key=data["customer_key"],
        object_id=data.get("object_id"),
        category_id=data.get("category_id"),
        description=data.get("description") or "",
        fields=tuple(
            FieldInput(
                name=f["name"],
                field_type=FieldType(f["field_type"]),
                length=f.get("length"),
                precision=f.get("precision"),
                scale=f.get("scale"),
                is_required=f.get("is_required"),
                is_primary_key=bool(f.get("is_primary_key")),
                default_value=f.get("default_value"),
            )
            for f in data.get("fields", ())
        ),
        sendable=None
        if sendable is None
        else SendableInput(sendable["field"], SendableRelationship(sendable["relationship"])),
        retention=None
        if retention is None
        else RetentionInput(
            length=int(retention["length"]),
            unit=RetentionUnit(retention["unit"]),
            mode=RetentionMode(retention["mode"]),
            reset_on_import=bool(retention.get("reset_on_import")),
        ),
        is_shared=bool(data.get("is_shared")),
        cache_id=cache_id,
        folder_cache_id=UUID(data["folder_cache_id"]) if data.get("folder_cache_id") else None,
        warnings=warnings,
    )
