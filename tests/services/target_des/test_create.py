"""Creating target DEs in the simulator over HTTP as the user, then reading them back from it:
the proposal created as it is (fields, key, folder, sendable, retention), recorded in the
cache as the user's own and audited; retries with the same key (answered, one DE), a lost
answer from MCE (a dropped connection, an attempt that died while MCE created it), a request
still in progress, another input under the same key; MCE's own refusal recorded once."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from datetime import timedelta
from typing import Any

import asyncpg
import pytest

from client.soap import DataExtension as SoapDataExtension
from client.soap import DataExtensionField as SoapField
from services.mce_bridges import bridge_for_user
from services.metadata.preview import MceAccess
from services.metadata.queries import data_extension_by_key, fields_by_data_extension
from services.target_des import (
    FieldInput,
    FieldType,
    RetentionInput,
    RetentionMode,
    RetentionUnit,
    SendableInput,
    TargetDeInput,
    bu_cache,
    requests,
)
from services.target_des.requests import RequestState
from simulator.state import Simulator
from simulator.store_rules import FieldSpec as SimField
from tests.services.target_des.conftest import Synced
from tests.services.wallet.helpers import SimControl, audit_actions

pytestmark = pytest.mark.usefixtures("db")

CREATE = "soap.Create.DataExtension"
SQL = (
    "SELECT o.OrderID, o.Amount, s.SubscriberKey, s.EmailAddress"
    " FROM Orders o JOIN Subscribers s ON s.SubscriberKey = o.SubscriberKey"
)


def simple(name: str = "Wizard Target", **changes: Any) -> TargetDeInput:
    fields = (
        FieldInput("Id", FieldType.NUMBER, is_primary_key=True),
        FieldInput("Label", FieldType.TEXT, length=50),
    )
    return dataclasses.replace(TargetDeInput(name=name, fields=fields), **changes)


async def read_back(
    synced: Synced, access: MceAccess, key: str, *, mid: int | None = None
) -> tuple[SoapDataExtension, list[SoapField]]:
    """The DE and its fields as MCE (the simulator) answers a Retrieve, over HTTP."""
    bridge = await bridge_for_user(
        synced.ctx(mid), user_id=synced.member.user.id, mid=mid or synced.parent,
        http=access.http, tokens=access.tokens, policy=access.policy,
    )  # fmt: skip
    found = [de async for de in bridge.soap.data_extensions(customer_key=key)]
    assert len(found) == 1, found
    fields = [f async for f in bridge.soap.data_extension_fields([key])]
    return found[0], sorted(fields, key=lambda f: f.ordinal or 0)


def _field_shape(field: SoapField) -> tuple[object, ...]:
    """Name, type, length (a Decimal's precision: MCE reports it as MaxLength), scale, key,
    required."""
    scale = field.scale if field.field_type == "Decimal" else None
    return (
        field.name, field.field_type, field.max_length, scale, bool(field.is_primary_key),
        bool(field.is_required),
    )  # fmt: skip


async def test_the_proposal_is_created_read_back_from_mce_cached_and_audited(
    synced: Synced, access: MceAccess, simctl: SimControl, admin_conn: asyncpg.Connection
) -> None:
    proposed = await synced.propose(SQL)
    assert proposed.proposal is not None
    retention = RetentionInput(30, RetentionUnit.DAYS, RetentionMode.ROWS)
    spec = proposed.proposal.as_input()
    spec = dataclasses.replace(spec, retention=retention, description="wizard")
    calls = await simctl.count(CREATE)

    outcome = await synced.create(access, spec, "first-create")

    assert outcome.errors == () and not outcome.replayed and not outcome.recovered
    assert await simctl.count(CREATE) == calls + 1
    created = outcome.data_extension
    assert created is not None and created.object_id
    assert (created.name, created.customer_key) == ("Orders Results", "Orders_Results")
    de, fields = await read_back(synced, access, "Orders_Results")
    assert (de.name, de.object_id, de.description) == (
        "Orders Results",
        created.object_id,
        "wizard",
    )
    assert de.category_id == proposed.proposal.folder.folder_id  # type: ignore[union-attr]
    assert de.is_sendable and de.sendable_field == "SubscriberKey"
    assert de.sendable_subscriber_field == "_SubscriberKey"  # REFERENCE §2.4: as retrieve says
    assert (de.retention_length, de.retention_period, de.row_based_retention) == (30, "Days", True)
    assert [_field_shape(f) for f in fields] == [
        ("OrderID", "Number", None, None, True, True),
        ("Amount", "Decimal", 12, 2, False, False),
        ("SubscriberKey", "Text", 254, None, False, True),
        ("EmailAddress", "EmailAddress", 254, None, False, True),
    ]

    cached = await data_extension_by_key(synced.ctx(), "Orders_Results")
    assert cached is not None and cached.id == created.cache_id  # shown: not a Quarry asset
    assert cached.object_id == created.object_id and cached.is_sendable
    cached_fields = (await fields_by_data_extension(synced.ctx(), [cached.id]))[cached.id]
    assert [(f.name, f.is_primary_key) for f in cached_fields][:1] == [("OrderID", True)]
    audited = await audit_actions(admin_conn, synced.tenant.tenant_id, "target_de.created")
    assert len(audited) == 1 and audited[0]["target"] == "de:Orders_Results"
    assert json.loads(audited[0]["details"])["mid"] == synced.parent


async def test_the_same_key_twice_creates_one_de_and_answers_the_same(
    synced: Synced, access: MceAccess, simctl: SimControl, sim: Simulator
) -> None:
    calls = await simctl.count(CREATE)
    first = await synced.create(access, simple(), "retry-me")
    second = await synced.create(access, simple(), "retry-me")
    assert first.data_extension is not None and second.data_extension is not None
    assert second.replayed and not first.replayed
    assert second.data_extension.object_id == first.data_extension.object_id
    assert second.data_extension.cache_id == first.data_extension.cache_id
    assert second.data_extension.fields == first.data_extension.fields
    assert await simctl.count(CREATE) == calls + 1
    assert [d.name for d in sim.store.list_des(synced.parent)].count("Wizard Target") == 1

    other_input = await synced.create(access, simple(description="changed"), "retry-me")
    assert [(e.code, e.field) for e in other_input.errors] == [
        ("IDEMPOTENCY_KEY_REUSED", "idempotencyKey")
    ]
    other_bu = await synced.create(access, simple(), "retry-me", mid=synced.us)
    assert [(e.code, e.field) for e in other_bu.errors] == [
        ("IDEMPOTENCY_KEY_REUSED", "idempotencyKey")
    ]
    assert await simctl.count(CREATE) == calls + 1


async def test_a_dropped_connection_is_looked_up_before_creating_again(
    synced: Synced, access: MceAccess, simctl: SimControl, sim: Simulator
) -> None:
    await simctl.control("faults", {"operation": CREATE, "kind": "reset", "times": 1})
    calls = await simctl.count(CREATE)
    outcome = await synced.create(access, simple("After Reset"), "reset-once")
    assert outcome.errors == () and outcome.data_extension is not None
    # The first create never reached the store; the client looked the key up, then created.
    assert await simctl.count(CREATE) == calls + 2
    assert [d.name for d in sim.store.list_des(synced.parent)].count("After Reset") == 1


async def test_an_attempt_that_died_after_mce_created_it_is_taken_over_without_a_second_create(
    synced: Synced, access: MceAccess, simctl: SimControl, sim: Simulator
) -> None:
    await simctl.control(
        "faults", {"operation": CREATE, "kind": "slow", "delay_ms": 1500, "times": 1}
    )
    calls = await simctl.count(CREATE)
    first = asyncio.create_task(synced.create(access, simple("Lost Answer"), "lost-answer"))
    await simctl.wait_for_count(CREATE, calls + 1)
    # Still in flight: the same key is refused until the attempt ends or its lease runs out.
    busy = await synced.create(access, simple("Lost Answer"), "lost-answer")
    assert [(e.code, e.field) for e in busy.errors] == [("IN_PROGRESS", "idempotencyKey")]
    first.cancel()  # the attempt dies (its answer is never read)
    with pytest.raises(asyncio.CancelledError):
        await first
    for _ in range(200):  # MCE carries on and creates it
        if sim.store.get_de(synced.parent, customer_key="Lost_Answer") is not None:
            break
        await asyncio.sleep(0.02)
    made = sim.store.get_de(synced.parent, customer_key="Lost_Answer")
    assert made is not None

    retried = await synced.create(access, simple("Lost Answer"), "lost-answer")

    assert retried.errors == () and retried.recovered and not retried.replayed
    assert retried.data_extension is not None
    assert retried.data_extension.object_id == made.object_id
    assert await simctl.count(CREATE) == calls + 1  # found by its key, never created again
    assert [d.name for d in sim.store.list_des(synced.parent)].count("Lost Answer") == 1
    again = await synced.create(access, simple("Lost Answer"), "lost-answer")
    assert again.replayed and again.recovered
    assert again.data_extension is not None and again.data_extension.object_id == made.object_id


async def test_a_lease_that_ran_out_is_taken_over_by_the_retry(
    synced: Synced, access: MceAccess, simctl: SimControl, sim: Simulator
) -> None:
    """A process that recorded the request and died before calling MCE (its lease never
    released): while the lease holds, retries are told to wait; once it runs out, the retry
    asks MCE by key first, then creates the DE that was never made, once."""
    spec = simple("Second Try")
    ctx = await bu_cache.bu_context(
        synced.tenant.tenant_id, synced.parent, user_id=synced.member.user.id
    )
    opened = await requests.open_request(
        ctx, user_id=synced.member.user.id, key="second-try",
        digest=requests.input_hash(synced.parent, spec), name="Second Try",
        customer_key="Second_Try", folder_id=None, lease=timedelta(seconds=0.5), outcome={},
    )  # fmt: skip
    assert opened is not None and opened.state is RequestState.PENDING
    waiting = await synced.create(access, spec, "second-try")
    assert [(e.code, e.field) for e in waiting.errors] == [("IN_PROGRESS", "idempotencyKey")]
    await asyncio.sleep(0.6)
    calls = await simctl.count(CREATE)
    retried = await synced.create(access, spec, "second-try")
    assert retried.errors == () and not retried.recovered
    assert await simctl.count(CREATE) == calls + 1
    assert sim.store.get_de(synced.parent, customer_key="Second_Try") is not None
    record = await requests.find(ctx, user_id=synced.member.user.id, key="second-try")
    assert record is not None and record.state is RequestState.CREATED and record.attempts == 2


async def test_mce_unreachable_leaves_the_request_for_the_retry(
    synced: Synced, access: MceAccess, simctl: SimControl, sim: Simulator
) -> None:
    await simctl.control("faults", {"operation": CREATE, "kind": "error", "times": 1})
    failed = await synced.create(access, simple("Flaky"), "flaky")
    assert [(e.code, e.field) for e in failed.errors] == [("MCE_UNAVAILABLE", None)]
    assert sim.store.get_de(synced.parent, customer_key="Flaky") is None
    retried = await synced.create(access, simple("Flaky"), "flaky")
    assert retried.errors == () and not retried.replayed
    assert sim.store.get_de(synced.parent, customer_key="Flaky") is not None


async def test_mce_refusing_is_recorded_once_and_answered_again(
    synced: Synced, access: MceAccess, simctl: SimControl, sim: Simulator
) -> None:
    # A DE made in MCE after the sync: the cache does not know the name, MCE does.
    sim.store.create_de(
        mid=synced.parent, name="Made Elsewhere", customer_key="elsewhere",
        fields=[SimField(name="X", field_type="Text", max_length=10)],
    )  # fmt: skip
    calls = await simctl.count(CREATE)
    refused = await synced.create(access, simple("Made Elsewhere"), "refused")
    assert [(e.code, e.field) for e in refused.errors] == [("NAME_TAKEN", "name")]
    assert "already exists" in refused.errors[0].message
    again = await synced.create(access, simple("Made Elsewhere"), "refused")
    assert again.replayed and [(e.code, e.field) for e in again.errors] == [("NAME_TAKEN", "name")]
    assert await simctl.count(CREATE) == calls + 1


async def test_a_warning_rule_lets_mce_answer_and_its_refusal_names_the_fields(
    synced: Synced, access: MceAccess, simctl: SimControl
) -> None:
    """Phone lengths over 50 are only the simulator's rule: a warning, then MCE's refusal."""
    spec = simple("Long Phone", fields=(FieldInput("Mobile", FieldType.PHONE, length=60),))
    calls = await simctl.count(CREATE)
    outcome = await synced.create(access, spec, "long-phone")
    assert [(w.code, w.field) for w in outcome.warnings] == [("LENGTH_TOO_LONG", "fields.0.length")]
    assert [(e.code, e.field) for e in outcome.errors] == [("MCE_REFUSED", "fields")]
    assert await simctl.count(CREATE) == calls + 1


async def test_a_sendable_de_in_a_child_bu_with_a_derived_key(
    synced: Synced, access: MceAccess, sim: Simulator
) -> None:
    spec = TargetDeInput(
        name="Child Sendable",
        fields=(
            FieldInput("SubscriberKey", FieldType.TEXT, length=254, is_primary_key=True),
            FieldInput("Score", FieldType.DECIMAL, precision=5, scale=1),
        ),
        sendable=SendableInput("subscriberkey"),
        retention=RetentionInput(1, RetentionUnit.WEEKS, RetentionMode.DATA_EXTENSION),
    )
    outcome = await synced.create(access, spec, "child", mid=synced.us)
    assert outcome.errors == () and outcome.data_extension is not None
    assert outcome.data_extension.customer_key == "Child_Sendable"
    de, fields = await read_back(synced, access, "Child_Sendable", mid=synced.us)
    assert de.is_sendable and de.sendable_field == "SubscriberKey"
    assert de.delete_at_end_of_retention and not de.row_based_retention
    assert [
        (f.name, f.precision if f.field_type == "Decimal" else f.max_length) for f in fields
    ] == [
        ("SubscriberKey", 254),
        ("Score", 5),
    ]
    assert (
        sim.store.get_de(synced.parent, customer_key="Child_Sendable", include_shared=False) is None
    )
    cached = await data_extension_by_key(synced.ctx(synced.us), "Child_Sendable")
    assert cached is not None and cached.mid == synced.us
