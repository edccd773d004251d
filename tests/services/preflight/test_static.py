"""The static pre-flight check against the metadata cache: every finding with the column it
concerns and its place in the SQL; what the BU can see as a target (its own DEs, its parent's
shared ones, nothing else); who already writes into the target. No MCE call is involved."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from models import TenantContext
from services.errors import InvalidInput, NotFound
from services.preflight.codes import PREFLIGHT_CODES
from services.preflight.report import PreflightFinding, PreflightReport, UpdateType
from services.preflight.static import check_query_target
from tests.factories import TenantFixture, make_tenant
from tests.models.metadata_seed import add_automation, add_query_activity
from tests.services.preflight.cache_seed import F, add_target
from tsql import FINDING_CODES, Severity

pytestmark = pytest.mark.usefixtures("db")

SOURCE = [
    F("PersonKey", "Text", 50, pk=True),
    F("Email", "Text", 300),
    F("FirstName", "Text", 40),
    F("Points", "Number"),
    F("Joined", "Date"),
    F("Score", "Decimal", 12, 4),
    F("Note", "Text", 500),
    F("Blob", "Text"),
]
CONTACTS = [
    F("ContactKey", "Text", 20, pk=True),
    F("Email", "EmailAddress", 254, required=True),
    F("FirstName", "Text", 10),
    F("Points", "Number"),
    F("Score", "Decimal", 5, 2),
    F("Active", "Boolean", default="True"),
    F("Region", "Text", 2, required=True, default="US"),
    F("Notes", "Text", 100),
]


@dataclass
class World:
    tenant: TenantFixture
    child: TenantContext
    parent: TenantContext
    sibling: TenantContext


@pytest.fixture
async def world() -> World:
    tenant = await make_tenant("Preflight")
    child = tenant.context(tenant.child_mids[0])
    parent = tenant.context(tenant.parent_mid)
    sibling = tenant.context(tenant.child_mids[1])
    await add_target(child, name="Source People", key="source_people", fields=SOURCE)
    await add_target(child, name="Contacts", key="contacts", fields=CONTACTS)
    log = [F("Message", "Text", 200), F("At", "Date")]
    await add_target(child, name="Plain Log", key="plain_log", fields=log)
    await add_target(
        parent, name="Shared Codes", key="shared_codes", shared=True,
        fields=[F("Code", "Text", 10, pk=True), F("Label", "Text", 50)],
    )  # fmt: skip
    await add_target(parent, name="Parent Private", key="parent_private", fields=[F("X")])
    await add_target(sibling, name="Sibling Target", key="sibling_target", fields=[F("X")])
    return World(tenant=tenant, child=child, parent=parent, sibling=sibling)


def at(sql: str, finding: PreflightFinding) -> tuple[str, int, int] | None:
    """The text a finding points at, with its 1-based line and column."""
    span = finding.span
    if span is None:
        return None
    assert sql[span.start : span.end]
    return sql[span.start : span.end], span.line, span.column


def by_code(report: PreflightReport) -> dict[tuple[str, str | None], PreflightFinding]:
    found: dict[tuple[str, str | None], PreflightFinding] = {}
    for finding in report.findings:
        key = (finding.code, finding.column)
        assert key not in found, f"{key} reported twice"
        found[key] = finding
    return found


def assert_known_codes(report: PreflightReport) -> None:
    for finding in report.findings:
        assert finding.code in PREFLIGHT_CODES or finding.code in FINDING_CODES, finding.code
        if finding.code in PREFLIGHT_CODES:
            assert finding.severity is PREFLIGHT_CODES[finding.code][0]


MISMATCHED = """SELECT PersonKey AS ContactKey,
       Email,
       FirstName,
       Joined AS Points,
       Score,
       Note AS Active,
       Blob AS Notes,
       Points AS Nope
FROM [Source People]"""


async def test_each_column_finding_names_its_column_and_place(world: World) -> None:
    report = await check_query_target(
        world.child, sql=MISMATCHED, target_key="contacts", update_type=UpdateType.OVERWRITE
    )
    assert_known_codes(report)
    found = by_code(report)
    sql = MISMATCHED
    expected = {
        ("POSSIBLY_TRUNCATED", "ContactKey"): ("PersonKey AS ContactKey", 1, 8),
        ("NULLABLE_INTO_REQUIRED", "Email"): ("Email", 2, 8),
        ("POSSIBLY_TRUNCATED", "Email"): ("Email", 2, 8),
        ("POSSIBLY_TRUNCATED", "FirstName"): ("FirstName", 3, 8),
        ("TYPE_INCOMPATIBLE", "Points"): ("Joined AS Points", 4, 8),
        ("PRECISION_OVERFLOW", "Score"): ("Score", 5, 8),
        ("TYPE_CONVERSION", "Active"): ("Note AS Active", 6, 8),
        ("POSSIBLY_TRUNCATED", "Notes"): ("Blob AS Notes", 7, 8),
        ("OUTPUT_COLUMN_NOT_IN_TARGET", "Nope"): ("Points AS Nope", 8, 8),
    }
    for key, place in expected.items():
        assert key in found, (key, sorted(found))
        assert at(sql, found[key]) == place, key
    select_list = at(sql, found[("REQUIRED_COLUMN_NOT_FILLED", "Region")])
    assert select_list is not None and select_list[1:] == (1, 8)
    assert select_list[0].startswith("PersonKey AS ContactKey") and select_list[0].endswith("Nope")
    assert set(found) == set(expected) | {("REQUIRED_COLUMN_NOT_FILLED", "Region")}
    assert report.blocking and report.needs_acknowledgement
    assert [f.severity for f in report.findings] == sorted(
        (f.severity for f in report.findings),
        key=[Severity.ERROR, Severity.WARNING, Severity.INFO].index,
    )
    not_in_target = found[("OUTPUT_COLUMN_NOT_IN_TARGET", "Nope")]
    assert not_in_target.mce_message == "Invalid column name 'Nope'."
    assert "holds 10" in found[("POSSIBLY_TRUNCATED", "FirstName")].message
    assert [c.name for c in report.columns][:2] == ["ContactKey", "Email"]


async def test_keys_nulls_and_fields_left_out(world: World) -> None:
    sql = "SELECT NULL AS ContactKey,\n  p.Email AS Email\nFROM [Source People] p"
    report = await check_query_target(
        world.child, sql=sql, target_key="contacts", update_type=UpdateType.APPEND
    )
    found = by_code(report)
    assert at(sql, found[("NULL_INTO_REQUIRED", "ContactKey")]) == ("NULL AS ContactKey", 1, 8)
    filled_by = "NULL AS ContactKey,\n  p.Email AS Email"
    assert at(sql, found[("TARGET_COLUMN_NOT_FILLED", "FirstName")]) == (filled_by, 1, 8)
    active = found[("TARGET_COLUMN_NOT_FILLED", "Active")]
    assert "default value ('True')" in active.message and active.severity is Severity.INFO
    assert ("REQUIRED_COLUMN_NOT_FILLED", "Region") in found

    no_key = "SELECT Email,\n  Email AS Region\nFROM [Source People]"
    report = await check_query_target(
        world.child, sql=no_key, target_key="contacts", update_type=UpdateType.UPDATE
    )
    found = by_code(report)
    missing_key = found[("PRIMARY_KEY_NOT_SELECTED", "ContactKey")]
    assert at(no_key, missing_key) == ("Email,\n  Email AS Region", 1, 8)
    assert missing_key.mce_message == (
        "Field 'ContactKey' is required for the Target Data Extension"
    )

    outer = (
        "SELECT o.PersonKey AS ContactKey, p.Email\n"
        "FROM [Source People] p LEFT JOIN [Source People] o ON o.PersonKey = p.Email"
    )
    report = await check_query_target(
        world.child, sql=outer, target_key="contacts", update_type=UpdateType.OVERWRITE
    )
    found = by_code(report)
    assert at(outer, found[("NULLABLE_INTO_PRIMARY_KEY", "ContactKey")]) == (
        "o.PersonKey AS ContactKey",
        1,
        8,
    )


async def test_update_needs_a_key_and_unknown_types_are_said(world: World) -> None:
    sql = "SELECT CAST(Points AS SQL_VARIANT) AS Message FROM [Source People]"
    update = await check_query_target(
        world.child, sql=sql, target_key="plain_log", update_type=UpdateType.UPDATE
    )
    found = by_code(update)
    assert found[("UPDATE_WITHOUT_PRIMARY_KEY", None)].span is None
    assert found[("UPDATE_WITHOUT_PRIMARY_KEY", None)].severity is Severity.ERROR
    unknown = found[("TYPE_UNKNOWN", "Message")]
    assert at(sql, unknown) == ("CAST(Points AS SQL_VARIANT) AS Message", 1, 8)
    assert "SQL_VARIANT" in unknown.message
    overwrite = await check_query_target(
        world.child, sql=sql, target_key="plain_log", update_type=UpdateType.OVERWRITE
    )
    assert ("UPDATE_WITHOUT_PRIMARY_KEY", None) not in by_code(overwrite)


async def test_a_query_that_fits_has_nothing_to_say(world: World) -> None:
    sql = (
        "SELECT LEFT(PersonKey, 20) AS ContactKey, LEFT(ISNULL(Email, 'n/a'), 254) AS Email,"
        " 'US' AS Region, Points FROM [Source People]"
    )
    report = await check_query_target(
        world.child, sql=sql, target_key="CONTACTS", update_type=UpdateType.UPDATE
    )
    assert {f.code for f in report.findings} == {"TARGET_COLUMN_NOT_FILLED"}
    assert not report.blocking and not report.needs_acknowledgement
    assert report.target.customer_key == "contacts" and report.target.sql_name == "Contacts"


async def test_the_activities_and_automations_writing_into_the_target(world: World) -> None:
    _, nightly = await add_query_activity(
        world.child, name="Nightly Contacts", key="nightly_contacts", target_key="contacts"
    )
    await add_query_activity(
        world.child, name="Ad hoc Contacts", key="adhoc_contacts", target_key="Contacts"
    )
    await add_query_activity(world.child, name="Elsewhere", key="elsewhere", target_key="plain_log")
    await add_automation(world.child, name="Every Night", query_object_ids=[nightly])
    await add_automation(world.child, name="Weekly Rebuild", query_object_ids=[nightly])
    _, sibling_activity = await add_query_activity(
        world.sibling, name="Sibling Contacts", key="sibling_contacts", target_key="contacts"
    )
    await add_automation(world.sibling, name="Sibling Nightly", query_object_ids=[sibling_activity])
    sql = "SELECT PersonKey AS ContactKey, Email, 'US' AS Region FROM [Source People]"

    report = await check_query_target(
        world.child, sql=sql, target_key="contacts", update_type=UpdateType.OVERWRITE
    )

    assert [(u.activity_key, [a.name for a in u.automations]) for u in report.usages] == [
        ("adhoc_contacts", []),
        ("nightly_contacts", ["Every Night", "Weekly Rebuild"]),
    ]
    found = by_code(report)
    used = found[("TARGET_USED_BY_AUTOMATIONS", None)]
    assert used.severity is Severity.WARNING and used.span is None
    assert "'Nightly Contacts'" in used.message
    assert "'Every Night', 'Weekly Rebuild'" in used.message
    assert "Sibling" not in used.message
    assert "'Ad hoc Contacts'" in found[("TARGET_WRITTEN_BY_ACTIVITIES", None)].message

    mine = await check_query_target(
        world.child, sql=sql, target_key="contacts", update_type=UpdateType.OVERWRITE,
        activity_key="NIGHTLY_CONTACTS",
    )  # fmt: skip
    assert by_code(mine)[("TARGET_USED_BY_AUTOMATIONS", None)].message.startswith(
        "This query activity already writes into 'Contacts'"
    )


async def test_a_parents_shared_de_is_a_target_through_ent(world: World) -> None:
    sql = "SELECT LEFT(PersonKey, 10) AS Code FROM [Source People]"
    report = await check_query_target(
        world.child, sql=sql, target_key="shared_codes", update_type=UpdateType.UPDATE
    )
    assert report.target.shared and report.target.sql_name == "ENT.[Shared Codes]"
    assert report.target.mid == world.tenant.parent_mid
    assert {f.code for f in report.findings} == {"TARGET_COLUMN_NOT_FILLED"}


@pytest.mark.parametrize("key", ["parent_private", "sibling_target", "nope", "x" * 201, "a\x00b"])
async def test_a_target_the_bu_cannot_see_is_not_found(world: World, key: str) -> None:
    with pytest.raises(NotFound) as raised:
        await check_query_target(
            world.child, sql="SELECT 1 AS X", target_key=key, update_type=UpdateType.APPEND
        )
    assert raised.value.field == "targetKey"


async def test_another_tenants_target_is_not_found(world: World) -> None:
    other = await make_tenant("Elsewhere")
    with pytest.raises(NotFound):
        await check_query_target(
            other.context(other.child_mids[0]), sql="SELECT 1 AS X", target_key="contacts",
            update_type=UpdateType.APPEND,
        )  # fmt: skip


async def test_sql_mce_refuses_is_reported_with_positions(world: World) -> None:
    sql = "SELECT Email FROM [Source People] ORDER BY Email"
    report = await check_query_target(
        world.child, sql=sql, target_key="plain_log", update_type=UpdateType.UPDATE
    )
    assert not report.sql_valid and report.blocking
    assert_known_codes(report)
    codes = report.codes()
    assert "ORDER_BY_WITHOUT_TOP" in codes and "UPDATE_WITHOUT_PRIMARY_KEY" in codes
    order = next(f for f in report.findings if f.code == "ORDER_BY_WITHOUT_TOP")
    assert order.span is not None and sql[order.span.start :].startswith("ORDER BY")
    assert "OUTPUT_COLUMN_NOT_IN_TARGET" not in codes  # not compared: MCE refuses it first
    broken = await check_query_target(
        world.child, sql="SELEC Email FROM", target_key="plain_log", update_type=UpdateType.APPEND
    )
    assert broken.codes() == ("SYNTAX_ERROR",) and broken.columns == ()
    with pytest.raises(InvalidInput):
        await check_query_target(
            world.child, sql="  ", target_key="plain_log", update_type=UpdateType.APPEND
        )
