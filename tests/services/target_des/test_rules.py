# ruff: noqa: E501 - one rule per table line
"""Each naming and type rule of ``createTargetDataExtension``: errors (REFERENCE's rules and
Quarry's own) refuse the request before MCE is called and record nothing, naming the input
field; warnings (rules only the simulator enforces) travel with an answer. Folders of another
BU or tenant, and a BU the user is not a member of, are refused alike."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from models import TenantRepository
from services.metadata.preview import MceAccess
from services.target_des import (
    FieldInput,
    FieldType,
    Issue,
    RetentionInput,
    RetentionMode,
    RetentionUnit,
    SendableInput,
    SendableRelationship,
    TargetDeInput,
    create_target_data_extension,
)
from services.target_des.bu_cache import BuNames
from services.target_des.rules import check_input
from tests.factories import make_tenant
from tests.models.metadata_seed import add_folder
from tests.services.target_des.conftest import Synced
from tests.services.wallet.helpers import SimControl

pytestmark = pytest.mark.usefixtures("db")

CREATE = "soap.Create.DataExtension"

ID = FieldInput("Id", FieldType.NUMBER, is_primary_key=True)
BASE = TargetDeInput(name="Rule Target", fields=(ID, FieldInput("Label", FieldType.TEXT, 50)))


def _fields(*fields: FieldInput) -> dict[str, Any]:
    return {"fields": fields}


ERRORS: list[tuple[str, dict[str, Any], tuple[str, str]]] = [
    ("blank name", {"name": "  "}, ("NAME_REQUIRED", "name")),
    ("name taken (any case)", {"name": "orders"}, ("NAME_TAKEN", "name")),
    ("Quarry's prefix", {"name": "QRY__Mine"}, ("NAME_RESERVED", "name")),
    ("a data view's name", {"name": "_Sent"}, ("NAME_IS_DATA_VIEW", "name")),
    ("control characters", {"name": "Tab\tName"}, ("INVALID_INPUT", "name")),
    ("key over 200", {"customer_key": "k" * 201}, ("KEY_TOO_LONG", "customerKey")),
    ("key taken", {"customer_key": "ORDERS"}, ("KEY_TAKEN", "customerKey")),
    ("key with Quarry's prefix", {"customer_key": "QRY__k"}, ("KEY_RESERVED", "customerKey")),
    ("blank key", {"customer_key": " "}, ("KEY_REQUIRED", "customerKey")),
    ("long description", {"description": "d" * 4001}, ("DESCRIPTION_TOO_LONG", "description")),
    ("no fields", _fields(), ("NO_FIELDS", "fields")),
    ("blank field name", _fields(ID, FieldInput(" ", FieldType.TEXT)), ("FIELD_NAME_REQUIRED", "fields.1.name")),
    ("duplicate field", _fields(ID, FieldInput("id", FieldType.TEXT)), ("DUPLICATE_FIELD", "fields.1.name")),
    ("Number with a length", _fields(FieldInput("N", FieldType.NUMBER, length=5)), ("LENGTH_NOT_APPLICABLE", "fields.0.length")),
    ("Date with a length", _fields(FieldInput("D", FieldType.DATE, length=5)), ("LENGTH_NOT_APPLICABLE", "fields.0.length")),
    ("Decimal with a length", _fields(FieldInput("M", FieldType.DECIMAL, length=5)), ("LENGTH_NOT_APPLICABLE", "fields.0.length")),
    ("length 0", _fields(FieldInput("T", FieldType.TEXT, length=0)), ("LENGTH_INVALID", "fields.0.length")),
    ("Text with a precision", _fields(FieldInput("T", FieldType.TEXT, precision=5)), ("PRECISION_NOT_APPLICABLE", "fields.0.precision")),
    ("Number with a scale", _fields(FieldInput("N", FieldType.NUMBER, scale=1)), ("PRECISION_NOT_APPLICABLE", "fields.0.scale")),
    ("precision 39", _fields(FieldInput("M", FieldType.DECIMAL, precision=39)), ("PRECISION_INVALID", "fields.0.precision")),
    ("precision 0", _fields(FieldInput("M", FieldType.DECIMAL, precision=0)), ("PRECISION_INVALID", "fields.0.precision")),
    ("scale over precision", _fields(FieldInput("M", FieldType.DECIMAL, precision=4, scale=5)), ("SCALE_INVALID", "fields.0.scale")),
    ("negative scale", _fields(FieldInput("M", FieldType.DECIMAL, scale=-1)), ("SCALE_INVALID", "fields.0.scale")),
    ("key not required", _fields(FieldInput("K", FieldType.TEXT, 10, is_required=False, is_primary_key=True)), ("PRIMARY_KEY_REQUIRED", "fields.0.isRequired")),
    ("sendable on no field", {"sendable": SendableInput("Nope")}, ("SENDABLE_FIELD_UNKNOWN", "sendable.field")),
    ("retention of 0 days", {"retention": RetentionInput(0, RetentionUnit.DAYS, RetentionMode.ROWS)}, ("RETENTION_LENGTH_INVALID", "retention.length")),
]  # fmt: skip


async def test_each_error_is_refused_before_mce_and_recorded_nowhere(
    synced: Synced, access: MceAccess, simctl: SimControl
) -> None:
    """One BU synced once, every error rule in turn (a sync per rule would take minutes)."""
    calls = await simctl.count(CREATE)
    for case, changes, expected in ERRORS:
        spec = dataclasses.replace(BASE, **changes)
        outcome = await synced.create(access, spec, key=f"rule-{case}")
        assert outcome.data_extension is None, case
        assert expected in [(e.code, e.field) for e in outcome.errors], (case, outcome.issues)
    assert await simctl.count(CREATE) == calls
    records = await TenantRepository(synced.ctx()).fetch(
        "SELECT count(*) AS n FROM target_de_requests WHERE idempotency_key LIKE 'rule-%'"
    )
    assert records[0]["n"] == 0  # each key stays free for the corrected request
    fixed = await synced.create(access, BASE, key="rule-blank name")
    assert fixed.errors == () and fixed.data_extension is not None


WARNINGS: list[tuple[str, dict[str, Any], tuple[str, str]]] = [
    ("name over 128", {"name": "n" * 129}, ("NAME_TOO_LONG", "name")),
    ("name with end spaces", {"name": " Padded "}, ("NAME_SPACES", "name")),
    ("a leftover's name", {"name": "QueryStudioResults at noon"}, ("NAME_LOOKS_LIKE_LEFTOVER", "name")),
    ("key over 36", {"customer_key": "k" * 37}, ("KEY_LONG", "customerKey")),
    ("field name with _", _fields(FieldInput("_Hidden", FieldType.TEXT)), ("FIELD_NAME_REFUSED_BY_SIMULATOR", "fields.0.name")),
    ("field name with a bracket", _fields(FieldInput("a]b", FieldType.TEXT)), ("FIELD_NAME_REFUSED_BY_SIMULATOR", "fields.0.name")),
    ("field name over 128", _fields(FieldInput("f" * 129, FieldType.TEXT)), ("FIELD_NAME_REFUSED_BY_SIMULATOR", "fields.0.name")),
    ("Text over 4000", _fields(FieldInput("T", FieldType.TEXT, length=4001)), ("LENGTH_TOO_LONG", "fields.0.length")),
    ("EmailAddress over 254", _fields(FieldInput("E", FieldType.EMAIL_ADDRESS, length=255)), ("LENGTH_TOO_LONG", "fields.0.length")),
    ("Phone over 50", _fields(FieldInput("P", FieldType.PHONE, length=51)), ("LENGTH_TOO_LONG", "fields.0.length")),
    ("Locale over 5", _fields(FieldInput("L", FieldType.LOCALE, length=6)), ("LENGTH_TOO_LONG", "fields.0.length")),
    ("Boolean key", _fields(FieldInput("B", FieldType.BOOLEAN, is_primary_key=True)), ("BOOLEAN_PRIMARY_KEY", "fields.0.isPrimaryKey")),
    ("Number default", _fields(FieldInput("N", FieldType.NUMBER, default_value="ten")), ("DEFAULT_VALUE_INVALID", "fields.0.defaultValue")),
    ("Number default out of range", _fields(FieldInput("N", FieldType.NUMBER, default_value="3000000000")), ("DEFAULT_VALUE_INVALID", "fields.0.defaultValue")),
    ("Boolean default", _fields(FieldInput("B", FieldType.BOOLEAN, default_value="maybe")), ("DEFAULT_VALUE_INVALID", "fields.0.defaultValue")),
    ("Date default", _fields(FieldInput("D", FieldType.DATE, default_value="soon")), ("DEFAULT_VALUE_INVALID", "fields.0.defaultValue")),
    ("Decimal default", _fields(FieldInput("M", FieldType.DECIMAL, default_value="1,5")), ("DEFAULT_VALUE_INVALID", "fields.0.defaultValue")),
    ("Text default too long", _fields(FieldInput("T", FieldType.TEXT, length=2, default_value="abc")), ("DEFAULT_VALUE_INVALID", "fields.0.defaultValue")),
    ("sendable on a Date", {"fields": (ID, FieldInput("When", FieldType.DATE)), "sendable": SendableInput("When")}, ("SENDABLE_FIELD_TYPE", "sendable.field")),
    ("email relationship", {"fields": (ID, FieldInput("Email", FieldType.EMAIL_ADDRESS)), "sendable": SendableInput("Email", SendableRelationship.EMAIL_ADDRESS)}, ("SENDABLE_RELATIONSHIP", "sendable.relationship")),
    ("reset with row-based", {"retention": RetentionInput(3, RetentionUnit.DAYS, RetentionMode.ROWS, reset_on_import=True)}, ("RETENTION_RESET_IGNORED", "retention.resetOnImport")),
]  # fmt: skip


@pytest.mark.parametrize(("case", "changes", "expected"), WARNINGS, ids=[w[0] for w in WARNINGS])
def test_each_warning_is_only_a_warning(
    case: str, changes: dict[str, Any], expected: tuple[str, str]
) -> None:
    spec = dataclasses.replace(BASE, **changes)
    issues = check_input(
        spec,
        customer_key=spec.customer_key or "Rule_Target",
        taken=BuNames(names=frozenset({"orders"}), keys=frozenset({"orders"})),
    )
    assert [(i.code, i.field) for i in issues if i.blocking] == []
    warnings = [(i.code, i.field) for i in issues if not i.blocking]
    assert expected in warnings, issues


def test_good_values_raise_nothing() -> None:
    spec = TargetDeInput(
        name="Fine",
        customer_key="Fine",
        fields=(
            FieldInput("SubscriberKey", FieldType.TEXT, 254, is_primary_key=True),
            FieldInput("Amount", FieldType.DECIMAL, precision=38, scale=38, default_value="0.5"),
            FieldInput("Count", FieldType.NUMBER, default_value="-12"),
            FieldInput("Flag", FieldType.BOOLEAN, default_value="True"),
            FieldInput("When", FieldType.DATE, default_value="1/31/2024"),
            FieldInput("Email", FieldType.EMAIL_ADDRESS),
            FieldInput("Text", FieldType.TEXT, 4000),
            FieldInput("Loc", FieldType.LOCALE, 5),
        ),
        sendable=SendableInput("subscriberKEY"),
        retention=RetentionInput(6, RetentionUnit.MONTHS, RetentionMode.ALL_ROWS, True),
    )
    issues: list[Issue] = check_input(
        spec, customer_key="Fine", taken=BuNames(frozenset(), frozenset())
    )
    assert issues == []


async def test_a_folder_of_another_bu_or_tenant_is_refused(
    synced: Synced, access: MceAccess, simctl: SimControl
) -> None:
    calls = await simctl.count(CREATE)
    us_root = (
        await TenantRepository(synced.ctx(synced.us)).fetch(
            "SELECT id FROM mce_folders WHERE mid = $1 AND content_type ="
            " 'dataextension' AND parent_folder_id = 0",
            [synced.us],
        )
    )[0]
    shared = (
        await TenantRepository(synced.ctx(synced.us)).fetch(
            "SELECT id FROM mce_folders WHERE mid = $1 AND is_shared"
            " AND content_type = 'shared_dataextension'",
            [synced.parent],
        )
    )[0]
    other = await make_tenant("Elsewhere")
    theirs, _ = await add_folder(other.context(), name="Theirs")
    query_folder = await TenantRepository(synced.ctx()).fetch(
        "SELECT id FROM mce_folders WHERE content_type = 'queryactivity' AND mid = $1 LIMIT 1",
        [synced.parent],
    )
    cases: list[tuple[int, dict[str, Any]]] = [
        (synced.parent, {"folder_id": us_root["id"]}),  # a child BU's folder
        (synced.parent, {"category_id": 987_654_321}),  # an MCE id the BU has no folder of
        (synced.us, {"folder_id": shared["id"]}),  # the parent's, visible from the child
        (synced.parent, {"folder_id": theirs}),  # another tenant's
        (synced.parent, {"folder_id": query_folder[0]["id"]}),  # not a DE folder
    ]
    for index, (mid, changes) in enumerate(cases):
        spec = dataclasses.replace(BASE, **changes)
        outcome = await synced.create(access, spec, key=f"folder-{index}", mid=mid)
        assert [(e.code, e.field) for e in outcome.errors] == [("FOLDER_NOT_FOUND", "folderId")], (
            changes
        )
    assert await simctl.count(CREATE) == calls


async def test_a_bu_the_user_does_not_belong_to_and_a_bad_key_are_refused(
    synced: Synced, access: MceAccess, simctl: SimControl
) -> None:
    eve = synced.tenant.user("eve.europe")
    outcome = await create_target_data_extension(
        synced.tenant.tenant_id, user_id=eve.id, mid=synced.parent, spec=BASE,
        idempotency_key="eve", access=access,
    )  # fmt: skip
    assert [(e.code, e.field) for e in outcome.errors] == [("NOT_FOUND", "mid")]
    for key in ("", "k" * 201, "nul\x00"):
        bad = await synced.create(access, BASE, key=key)
        assert [(e.code, e.field) for e in bad.errors] == [("INVALID_INPUT", "idempotencyKey")]
