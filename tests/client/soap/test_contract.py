"""The contract with MCE's real WSDL (../shared/mce/ETFramework.wsdl, never copied here).

1. Every envelope :class:`SoapOperations` sends, built from our minimal ``partner.wsdl``,
   equals the one zeep builds from the real WSDL for the same call (XML compared after
   resolving ``xsi:type`` QNames; a ``wsa:MessageID`` would be ignored). The calls go through
   the real pipeline to the simulator, so each reply, a refusal or a next page, is MCE-shaped.
2. Real-WSDL-shaped responses (the simulator serves the real WSDL's shapes) read the same
   with our lxml parser as with zeep's object mapper on the real WSDL.

Mandatory when ``CI`` is set; otherwise skipped when the WSDL files are absent.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
from lxml import etree
from zeep.transports import Transport

from client.auth import TokenGrant
from client.endpoints import MceEndpoints
from client.errors import NotFound
from client.pipeline import MceCaller, RequestParts
from client.soap import (
    AsyncActivityStatus,
    BusinessUnit,
    DataExtension,
    DataExtensionChanges,
    DataExtensionField,
    DataFolder,
    FieldSpec,
    FolderChanges,
    NewDataExtension,
    NewFolder,
    NewQueryDefinition,
    PartnerSchema,
    QueryDefinition,
    QueryDefinitionChanges,
    Retention,
    Sendable,
    SoapOperations,
    load_schema,
    partner_schema,
)
from client.soap.names import PARTNER_NS, SOAP_ENV_NS, XSI_TYPE
from client.soap.parsing import parse_crud, parse_perform, parse_retrieve
from client.tokens import CallTarget
from simulator.state import FieldSpec as SimField
from simulator.state import Simulator
from tests.simulator.soap_helpers import bu_mids

SHARED_MCE = Path(__file__).resolve().parents[3] / ".." / "shared" / "mce"
WSDL = SHARED_MCE / "ETFramework.wsdl"
FAULT_XSD = SHARED_MCE / "ETFrameworkFault.xsd"
FAULT_XSD_URL = "https://webservice.exacttarget.com/ETFrameworkFault.xsd"
WSA_MESSAGE_ID = "{http://www.w3.org/2005/08/addressing}MessageID"
CONTINUE_REQUEST = f"{{{PARTNER_NS}}}ContinueRequest"
RECORDS: dict[str, Any] = {
    cls.OBJECT_TYPE: cls
    for cls in (
        DataFolder,
        DataExtension,
        DataExtensionField,
        QueryDefinition,
        BusinessUnit,
        AsyncActivityStatus,
    )
}


class LocalFaultSchemaTransport(Transport):
    """Serves the WSDL's absolute import of the fault schema from the local copy."""

    def load(self, url: str) -> bytes:
        if url == FAULT_XSD_URL:
            return FAULT_XSD.read_bytes()
        return cast(bytes, super().load(url))


@pytest.fixture(scope="module")
def real_schema() -> PartnerSchema:
    if not (WSDL.is_file() and FAULT_XSD.is_file()):
        if os.environ.get("CI"):
            pytest.fail(f"The real MCE WSDL is required in CI but missing: {WSDL}")
        pytest.skip(f"real MCE WSDL not present at {WSDL}")
    return load_schema(WSDL, transport=LocalFaultSchemaTransport())


# --- 1. envelopes -------------------------------------------------------------------------


class EnvelopeRecorder:
    """Passes each call to the real pipeline (the simulator answers, as MCE would) and records
    every envelope the pipeline sends: (operation, SOAPAction, body)."""

    def __init__(self, inner: MceCaller) -> None:
        self.inner = inner
        self.sent: list[tuple[str, str, bytes]] = []

    async def call(self, **kw: Any) -> httpx.Response:
        build: Callable[[str], RequestParts] = kw["build"]
        operation: str = kw["operation"]

        def recording_build(token: str) -> RequestParts:
            parts = build(token)
            self.sent.append((operation, parts.headers["SOAPAction"], parts.content))
            return parts

        return await self.inner.call(**{**kw, "build": recording_build})


async def _send(request: Awaitable[Any] | AsyncIterator[Any]) -> None:
    """Send one request (draining a Retrieve). Made-up ids are refused as NotFound, which
    still records the envelope; any other refusal (a fault for a malformed envelope) fails."""
    with contextlib.suppress(NotFound):
        if isinstance(request, AsyncIterator):
            [_ async for _ in request]
        else:
            await request


FIELDS = (
    FieldSpec(name="Id", field_type="Number", is_primary_key=True, is_required=True, ordinal=0),
    FieldSpec(name="Email", field_type="EmailAddress", max_length=254, default_value="x@y.z"),
    FieldSpec(name="Amount", field_type="Decimal", precision=18, scale=2),
)


async def _every_operation(ops: SoapOperations, *, other_bu: int) -> None:
    """Each request shape SoapOperations can send, with and without another BU; the
    ``bulk`` DE has more fields than one Retrieve page, so a continuation is sent too."""
    for client_id in (None, other_bu):
        await _send(ops.folders(client_id=client_id))
        await _send(ops.folders(content_type="dataextension", client_id=client_id))
        await _send(ops.folders(content_type="queryactivity", parent_id=0))
        await _send(ops.folders(query_all_accounts=True))
        await _send(ops.data_extensions(client_id=client_id))
        await _send(ops.data_extensions(folder_id=12, customer_key="k", name="n"))
        await _send(ops.data_extensions(modified_since=datetime(2024, 5, 1, 8, 30)))
        await _send(ops.data_extension_fields(["bulk"], client_id=client_id))
        await _send(ops.data_extension_fields(["a", "b", "c"], keys_per_call=2))
        await _send(ops.data_extension_fields(None))
        await _send(ops.query_definitions(customer_key="q", client_id=client_id))
        await _send(ops.query_definitions(object_id="oid", folder_id=3))
        await _send(ops.business_units())
        await _send(ops.async_activity_status("42", client_id=client_id))
        spec = NewDataExtension(
            customer_key="de_key",
            name="DE <&> name",
            fields=FIELDS,
            category_id=99,
            description="made by the contract test",
            retention=Retention(length=2, period="Weeks"),
            is_testable=False,
        )
        await _send(ops.create_data_extension(spec, client_id=client_id))
        await _send(
            ops.create_data_extension(
                NewDataExtension(customer_key="k2", name="n2", fields=FIELDS[:1]),
                client_id=client_id,
            )
        )
        await _send(
            ops.create_data_extension(
                NewDataExtension(
                    customer_key="k3",
                    name="n3",
                    fields=FIELDS,
                    sendable=Sendable(field="Email", field_type="EmailAddress"),
                ),
                client_id=client_id,
            )
        )
        await _send(ops.delete_data_extension("k3", client_id=client_id))
        await _send(
            ops.update_data_extension(
                DataExtensionChanges(
                    customer_key="de_key",
                    name="renamed",
                    description="d",
                    category_id=5,
                    retention=Retention(length=1, row_based=True),
                    fields=FIELDS[1:],
                ),
                client_id=client_id,
            )
        )
        await _send(ops.delete_data_extension("de_key", client_id=client_id))
        await _send(ops.delete_data_extension("k2", client_id=client_id))  # the next run makes it
        await _send(ops.create_fields("de_key", FIELDS, client_id=client_id))
        await _send(ops.update_fields("de_key", FIELDS[1:], client_id=client_id))
        await _send(ops.delete_fields("de_key", ["Email", "Amount"], client_id=client_id))
        await _send(
            ops.create_folder(
                NewFolder(
                    name="F",
                    content_type="dataextension",
                    parent_id=10,
                    customer_key="f_key",
                    description="d",
                    allow_children=True,
                ),
                client_id=client_id,
            )
        )
        await _send(
            ops.create_folder(NewFolder(name="G", content_type="queryactivity", parent_id=11))
        )
        await _send(
            ops.update_folder(
                FolderChanges(id=12, name="F2", description="d2", parent_id=13), client_id=client_id
            )
        )
        await _send(ops.update_folder(FolderChanges(id=12, name="F3")))
        await _send(ops.delete_folder(12, client_id=client_id))
        await _send(
            ops.create_query_definition(
                NewQueryDefinition(
                    customer_key="q_key",
                    name="Q",
                    query_text="SELECT a FROM [b] WHERE c < 'd' & 1",
                    target_key="t_key",
                    target_name="T",
                    update_type="Append",
                    category_id=21,
                    description="d",
                ),
                client_id=client_id,
            )
        )
        await _send(
            ops.update_query_definition(
                QueryDefinitionChanges(
                    customer_key="q_key",
                    query_text="SELECT 1 AS x",
                    target_key="t2",
                    target_name="T2",
                    update_type="Update",
                ),
                client_id=client_id,
            )
        )
        await _send(ops.update_query_definition(QueryDefinitionChanges(object_id="oid", name="n")))
        await _send(ops.delete_query_definition("oid", client_id=client_id))
        await _send(ops.start_query("oid", client_id=client_id))


def _normal(element: etree._Element) -> tuple[Any, ...]:
    """A comparable form of an element: tag, attributes (``xsi:type`` as a Clark QName),
    stripped text and children in order; ``wsa:MessageID`` dropped, a continuation's
    RequestID replaced by a placeholder."""
    attributes = []
    for name, value in sorted(element.attrib.items()):
        if name == XSI_TYPE:
            prefix, _, local = value.rpartition(":")
            value = f"{{{element.nsmap.get(prefix or None)}}}{local}"
        attributes.append((name, value))
    children = [
        _normal(child)
        for child in element
        if isinstance(child.tag, str) and child.tag != WSA_MESSAGE_ID
    ]
    text = (element.text or "").strip()
    if element.tag == CONTINUE_REQUEST and text:
        text = "<the RequestID of the page before>"  # the simulator's, new in each run
    return (element.tag, tuple(attributes), text, tuple(children))


async def _envelopes(
    recorder: EnvelopeRecorder,
    *,
    url: str,
    target: CallTarget,
    schema: PartnerSchema,
    other_bu: int,
) -> list[tuple[str, str, bytes]]:
    recorder.sent.clear()
    ops = SoapOperations(cast(MceCaller, recorder), url=url, target=target, schema=schema)
    await _every_operation(ops, other_bu=other_bu)
    return list(recorder.sent)


@pytest.fixture
def recorder(sim: Simulator, caller: MceCaller) -> EnvelopeRecorder:
    """The real caller against the simulator, whose parent BU holds ``bulk``: 2600 fields."""
    fields = [SimField(f"Col{i:04d}", "Text", max_length=40) for i in range(2600)]
    sim.store.create_de(mid=bu_mids(sim)["parent"], name="bulk", customer_key="bulk", fields=fields)
    return EnvelopeRecorder(caller)


async def test_envelopes_equal_real_wsdl(
    sim: Simulator,
    recorder: EnvelopeRecorder,
    endpoints: MceEndpoints,
    target: CallTarget,
    real_schema: PartnerSchema,
) -> None:
    where = {"url": endpoints.soap_url, "target": target, "other_bu": bu_mids(sim)["us"]}
    ours = await _envelopes(recorder, schema=partner_schema(), **where)
    real = await _envelopes(recorder, schema=real_schema, **where)
    assert len(ours) == len(real) > 50
    for (operation, action, our_xml), (_, real_action, real_xml) in zip(ours, real, strict=True):
        assert action == real_action
        assert _normal(etree.fromstring(our_xml)) == _normal(etree.fromstring(real_xml)), (
            f"{operation}:\nours: {our_xml.decode()}\nreal: {real_xml.decode()}"
        )
    # Every operation and object type we send was covered, and a Retrieve continuation too.
    assert {op for op, _, _ in ours} >= {
        f"soap.{action}.{kind}"
        for action in ("Create", "Update", "Delete")
        for kind in ("DataExtension", "DataExtensionField", "DataFolder", "QueryDefinition")
    } | {f"soap.Retrieve.{kind}" for kind in RECORDS} | {"soap.Perform.QueryDefinition"}
    assert any(b"ContinueRequest" in xml for _, _, xml in ours)


async def test_envelope_carries_token_in_fueloauth_header(
    sim: Simulator,
    recorder: EnvelopeRecorder,
    endpoints: MceEndpoints,
    target: CallTarget,
    grant: TokenGrant,
) -> None:
    sent = await _envelopes(
        recorder,
        url=endpoints.soap_url,
        target=target,
        schema=partner_schema(),
        other_bu=bu_mids(sim)["us"],
    )
    root = etree.fromstring(sent[0][2])
    header = root.find(f"{{{SOAP_ENV_NS}}}Header")
    assert header is not None
    assert [(child.tag, child.text) for child in header] == [
        ("{http://exacttarget.com}fueloauth", grant.access_token.reveal())
    ]


# --- 2. responses -------------------------------------------------------------------------


class TapCaller:
    """Passes calls to the real pipeline and keeps each successful response body."""

    def __init__(self, inner: MceCaller) -> None:
        self.inner = inner
        self.replies: list[tuple[str, bytes]] = []

    async def call(self, **kw: Any) -> httpx.Response:
        response = await self.inner.call(**kw)
        self.replies.append((kw["operation"], response.content))
        return response


def _zeep_reply(schema: PartnerSchema, action: str, content: bytes) -> Any:
    binding: Any = schema.service._binding
    return binding.get(action).process_reply(etree.fromstring(content))


def _from_zeep(record_type: Any, obj: Any) -> Any:
    """A record read from zeep's object through the record's own column table."""
    values: dict[str, Any] = {}
    if record_type is AsyncActivityStatus:
        pairs = {p.Name: p.Value or "" for p in obj.Properties.Property}
        by_path = {c.path: c.attr for c in record_type.COLUMNS}
        values = {by_path[name]: value for name, value in pairs.items() if name in by_path}
        return record_type(**values, properties=pairs)
    for column in record_type.COLUMNS:
        value: Any = obj
        for part in column.path.split("."):
            value = getattr(value, part, None) if value is not None else None
        if value is not None and column.kind == "int":
            value = int(value)
        elif value is not None and column.kind == "int_bool":
            value = int(value) != 0
        values[column.attr] = value
    return record_type(**values)


def _compare_retrieve(schema: PartnerSchema, object_type: str, content: bytes) -> int:
    record_type = RECORDS[object_type]
    ours = parse_retrieve(content, record_type)
    theirs = _zeep_reply(schema, "Retrieve", content)
    assert ours.overall_status == theirs.OverallStatus
    assert ours.request_id == theirs.RequestID
    assert ours.results == [_from_zeep(record_type, r) for r in theirs.Results]
    return len(ours.results)


def _compare_crud(schema: PartnerSchema, action: str, content: bytes) -> None:
    ours = parse_crud(content)
    theirs = _zeep_reply(schema, action, content)
    assert ours.overall_status == theirs.OverallStatus
    assert ours.request_id == theirs.RequestID
    expected = [
        (
            r.StatusCode,
            r.StatusMessage,
            r.ErrorCode,
            r.OrdinalID,
            getattr(r, "NewID", None),
            getattr(r, "NewObjectID", None) or None,
            type(r.Object).__name__ if r.Object is not None else None,
            r.Object.ObjectID if r.Object is not None else None,
            r.Object.CustomerKey if r.Object is not None else None,
        )
        for r in theirs.Results
    ]
    assert [
        (
            r.status_code,
            r.status_message,
            r.error_code,
            r.ordinal_id,
            r.new_id,
            r.new_object_id,
            r.object_type,
            r.object_id,
            r.customer_key,
        )
        for r in ours.results
    ] == expected


def _compare_perform(schema: PartnerSchema, content: bytes) -> None:
    ours = parse_perform(content)
    theirs = _zeep_reply(schema, "Perform", content)
    assert ours.overall_status == theirs.OverallStatus
    assert [
        (r.status_code, r.status_message, r.error_code, r.object_id, r.task_id)
        for r in ours.results
    ] == [
        (r.StatusCode, r.StatusMessage, r.ErrorCode, r.Object.ObjectID, r.Task.ID)
        for r in theirs.Results.Result
    ]


async def first(items: AsyncIterator[Any]) -> Any:
    async for item in items:
        return item
    raise AssertionError("nothing retrieved")


def _compare_all(schema: PartnerSchema, replies: list[tuple[str, bytes]]) -> dict[str, int]:
    """Compare every reply; returns the number of Retrieve results compared per call name."""
    compared: dict[str, int] = {}
    for operation, content in replies:
        _, action, object_type = operation.split(".")
        if action == "Retrieve":
            count = _compare_retrieve(schema, object_type, content)
            compared[operation] = compared.get(operation, 0) + count
        elif action == "Perform":
            _compare_perform(schema, content)
        else:
            _compare_crud(schema, action, content)
    return compared


async def test_responses_parse_like_zeep_on_real_wsdl(
    sim: Simulator,
    caller: MceCaller,
    endpoints: MceEndpoints,
    target: CallTarget,
    real_schema: PartnerSchema,
) -> None:
    mids = bu_mids(sim)
    fields = [SimField(f"Col{i:04d}", "Text", max_length=40) for i in range(2600)]
    sim.store.create_de(mid=mids["parent"], name="bulk", customer_key="bulk", fields=fields)
    tap = TapCaller(caller)
    ops = SoapOperations(cast(MceCaller, tap), url=endpoints.soap_url, target=target)

    folders = [f async for f in ops.folders()]
    [_ async for _ in ops.folders(query_all_accounts=True, client_id=mids["us"])]
    des = [d async for d in ops.data_extensions()]
    [_ async for _ in ops.data_extension_fields(None)]
    [_ async for _ in ops.data_extension_fields([d.customer_key or "" for d in des][:-1])]
    [_ async for _ in ops.business_units()]
    de_folder = next(f for f in folders if f.content_type == "dataextension")
    spec = NewDataExtension(
        customer_key="contract_de",
        name="Contract DE",
        fields=(*FIELDS, FieldSpec(name="Seen", field_type="Date")),
        category_id=de_folder.id,
        retention=Retention(length=3, period="Days"),
    )
    made = await ops.create_data_extension(spec)
    assert made.new_object_id
    await ops.update_data_extension(DataExtensionChanges(customer_key="contract_de", name="C2"))
    await ops.create_fields("contract_de", [FieldSpec(name="Note", field_type="Text")])
    await ops.update_fields("contract_de", [FieldSpec(name="Note", max_length=90)])
    await ops.delete_fields("contract_de", ["Note"])
    [_ async for _ in ops.data_extensions(customer_key="contract_de")]
    folder = await ops.create_folder(
        NewFolder(name="Contract", content_type="dataextension", parent_id=de_folder.id or 0)
    )
    await ops.update_folder(FolderChanges(id=folder.new_id or 0, name="Contract 2"))
    await ops.delete_folder(folder.new_id or 0)
    await ops.delete_data_extension("contract_de")
    with pytest.raises(NotFound):
        await ops.delete_data_extension("contract_de")

    compared = _compare_all(real_schema, tap.replies)
    assert compared["soap.Retrieve.DataExtensionField"] > 2500  # more than one page
    for object_type in ("DataFolder", "DataExtension", "BusinessUnit"):
        assert compared[f"soap.Retrieve.{object_type}"] > 0


async def test_query_responses_parse_like_zeep_on_real_wsdl(
    sim: Simulator,
    caller: MceCaller,
    endpoints: MceEndpoints,
    target: CallTarget,
    real_schema: PartnerSchema,
) -> None:
    tap = TapCaller(caller)
    ops = SoapOperations(cast(MceCaller, tap), url=endpoints.soap_url, target=target)
    [_ async for _ in ops.query_definitions()]
    query_folder = await first(ops.folders(content_type="queryactivity", parent_id=0))
    target_de = await first(ops.data_extensions(name="Active Subscribers"))
    query = await ops.create_query_definition(
        NewQueryDefinition(
            customer_key="contract_q",
            name="Contract Q",
            query_text="SELECT SubscriberKey, EmailAddress FROM Subscribers",
            target_key=target_de.customer_key or "",
            target_name=target_de.name or "",
            category_id=query_folder.id,
        )
    )
    assert query.new_object_id
    await ops.update_query_definition(
        QueryDefinitionChanges(customer_key="contract_q", description="changed")
    )
    [_ async for _ in ops.query_definitions(customer_key="contract_q")]
    task_id = await ops.start_query(query.new_object_id)
    assert await ops.async_activity_status(task_id) is not None
    await ops.delete_query_definition(query.new_object_id)

    compared = _compare_all(real_schema, tap.replies)
    assert compared["soap.Retrieve.QueryDefinition"] > 1
    assert compared["soap.Retrieve.AsyncActivityStatus"] == 1
