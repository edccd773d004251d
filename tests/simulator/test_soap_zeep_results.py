"""Every object type and operation, success and error results, read by zeep with the real WSDL.

Requests are hand-built envelopes (some deliberately list elements out of WSDL order, as
hand-built clients do) posted over HTTP; each response is deserialised by zeep in strict mode
with the real WSDL's output message of the operation. A response passes when zeep reads it
without error *and* every element of the raw XML lands in the zeep field of the same name with
the same value, so nothing was dropped or shifted into another field.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import httpx
import pytest
from lxml import etree
from zeep import Client, Settings

from simulator.soap.objects import get_handler
from simulator.state import FieldSpec, Simulator
from tests.simulator.soap_helpers import (
    PARTNER,
    bu_mids,
    crud_body,
    envelope,
    issue_token,
    new_sim,
    obj,
    retrieve_body,
    serve,
    simple,
)
from tests.simulator.test_soap_zeep import WSDL, LocalFaultSchemaTransport, _require_wsdl

XSI_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"
XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"
SOAP_BODY = "{http://schemas.xmlsoap.org/soap/envelope/}Body"


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    simulator = new_sim()
    qa = bu_mids(simulator)["qa"]
    simulator.store.create_de(
        mid=qa,
        name="zr_existing",
        customer_key="zr_existing",
        fields=[
            FieldSpec("Key", "Text", max_length=50, is_primary_key=True),
            FieldSpec("Amount", "Decimal", precision=12, scale=3),
        ],
    )
    yield simulator
    simulator.close()


@pytest.fixture(scope="module")
def post(sim: Simulator) -> Iterator[Any]:
    token = issue_token(sim, "ada.admin", mid=bu_mids(sim)["qa"]).token
    with serve(sim) as base, httpx.Client(base_url=base, timeout=30) as http:

        def _post(operation: str, body: str) -> bytes:
            response = http.post(
                "/Service.asmx",
                content=envelope(body, token),
                headers={"SOAPAction": operation, "Content-Type": "text/xml"},
            )
            assert response.status_code == 200, response.text
            return response.content

        yield _post


@pytest.fixture(scope="module")
def binding() -> Any:
    _require_wsdl()
    client = Client(
        str(WSDL), transport=LocalFaultSchemaTransport(), settings=Settings(strict=True)
    )
    return client.wsdl.bindings[f"{{{PARTNER}}}SoapBinding"]


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat(timespec="milliseconds")
    return str(value)


def _same_datetime(raw: str, parsed: str) -> bool:
    return datetime.fromisoformat(raw) == datetime.fromisoformat(parsed)


def assert_same(parsed: Any, element: etree._Element, path: str) -> None:
    """Every child of ``element`` is in ``parsed`` under its name with the same value."""
    if element.get(XSI_TYPE):
        assert type(parsed).__name__ == element.get(XSI_TYPE).rsplit(":", 1)[-1], path
    seen: dict[str, int] = {}
    for child in element:
        name = etree.QName(child).localname
        index = seen.get(name, 0)
        seen[name] = index + 1
        value = parsed[name]
        if isinstance(value, list):
            value = value[index]
        where = f"{path}/{name}[{index}]"
        if len(child):
            assert value is not None, where
            assert_same(value, child, where)
        elif child.get(XSI_NIL) == "true":
            assert value is None, where
        elif isinstance(value, datetime):
            assert _same_datetime(child.text or "", _text(value) or ""), where
        elif not child.text:
            assert value in (None, ""), where  # zeep reads an empty string element as None
        else:
            assert _text(value) == child.text, where


def read(binding: Any, operation: str, content: bytes) -> Any:
    """zeep's reading of ``content``, checked field by field against the raw XML."""
    root = etree.fromstring(content)
    result = binding.get(operation).output.deserialize(root)
    body_element = root.find(SOAP_BODY)
    assert body_element is not None
    assert_same(result, body_element[0], operation)
    return result


# --- Retrieve ---------------------------------------------------------------------------------


@pytest.mark.parametrize("object_type", ["DataFolder", "DataExtension", "DataExtensionField"])
def test_retrieve_every_property(post: Any, binding: Any, object_type: str) -> None:
    handler = get_handler(object_type)
    assert handler is not None
    content = post("Retrieve", retrieve_body(object_type, sorted(handler.retrievable)))
    result = read(binding, "Retrieve", content)
    assert result.OverallStatus == "OK"
    assert result.Results


def test_retrieve_business_units_across_accounts(post: Any, binding: Any) -> None:
    handler = get_handler("BusinessUnit")
    assert handler is not None
    body = retrieve_body("BusinessUnit", sorted(handler.retrievable), query_all=True)
    result = read(binding, "Retrieve", post("Retrieve", body))
    assert {r.AccountType for r in result.Results} == {"ENTERPRISE_2", "BUSINESS_UNIT"}


@pytest.mark.parametrize(
    "body",
    [
        retrieve_body("DataExtension", ["RowCount"]),
        retrieve_body("Nope", ["Name"]),
        retrieve_body("DataExtension", ["Name"], filter_xml=simple("Nope", "equals", "x")),
        retrieve_body(None, continue_id="00000000-0000-0000-0000-000000000000"),
    ],
)
def test_retrieve_errors(post: Any, binding: Any, body: str) -> None:
    result = read(binding, "Retrieve", post("Retrieve", body))
    assert result.OverallStatus.startswith("Error: ")
    assert result.RequestID
    assert result.Results == []


# --- Create / Update / Delete -------------------------------------------------------------------

#: Field elements in the order hand-built clients (and REFERENCE's example) send them.
_FIELD_UNORDERED = (
    "<Field><Name>Email</Name><FieldType>EmailAddress</FieldType><MaxLength>254</MaxLength>"
    "<IsPrimaryKey>false</IsPrimaryKey><IsRequired>false</IsRequired></Field>"
    "<Field><Name>Amount</Name><FieldType>Decimal</FieldType><Precision>18</Precision>"
    "<Scale>2</Scale><IsPrimaryKey>false</IsPrimaryKey><IsRequired>false</IsRequired></Field>"
)

CASES: list[tuple[str, str, str, str]] = [
    # (id, operation, object, expected StatusCode)
    (
        "de-create",
        "Create",
        obj(
            "DataExtension",
            "<CustomerKey>zr_new</CustomerKey><Name>zr_new</Name><IsSendable>true</IsSendable>"
            f"<SendableDataExtensionField><Name>Email</Name></SendableDataExtensionField>"
            "<SendableSubscriberField><Name>Subscriber Key</Name></SendableSubscriberField>"
            f"<Fields>{_FIELD_UNORDERED}</Fields>",
        ),
        "OK",
    ),
    (
        "de-create-duplicate-unordered",
        "Create",
        obj(
            "DataExtension",
            f"<Fields>{_FIELD_UNORDERED}</Fields><Name>zr_existing</Name>"
            "<DataRetentionPeriod>Days</DataRetentionPeriod><DataRetentionPeriodLength>1"
            "</DataRetentionPeriodLength><CustomerKey>zr_dup</CustomerKey>",
        ),
        "Error",
    ),
    ("untyped", "Create", obj(None, "<Name>n</Name><CustomerKey>k</CustomerKey>"), "Error"),
    ("bu-create", "Create", obj("BusinessUnit", "<Name>B</Name>"), "Error"),
    (
        "folder-create-missing",
        "Create",
        obj("DataFolder", "<ContentType>dataextension</ContentType><Name>zr_f</Name>"),
        "Error",
    ),
    (
        "field-create",
        "Create",
        obj(
            "DataExtensionField",
            "<DataExtension><CustomerKey>zr_existing</CustomerKey></DataExtension>"
            "<FieldType>Text</FieldType><Name>Note</Name><MaxLength>20</MaxLength>",
        ),
        "OK",
    ),
    (
        "field-create-unknown-de",
        "Create",
        obj(
            "DataExtensionField",
            "<DataExtension><CustomerKey>nope</CustomerKey></DataExtension>"
            "<FieldType>Text</FieldType><Name>Note</Name>",
        ),
        "Error",
    ),
    (
        "de-update",
        "Update",
        obj("DataExtension", "<Description>changed</Description><CustomerKey>zr_new</CustomerKey>"),
        "OK",
    ),
    (
        "folder-update-unknown",
        "Update",
        obj("DataFolder", "<Name>renamed</Name><ID>999999</ID>"),
        "Error",
    ),
    (
        "field-update",
        "Update",
        obj(
            "DataExtensionField",
            "<Name>Note</Name><MaxLength>40</MaxLength>"
            "<DataExtension><CustomerKey>zr_existing</CustomerKey></DataExtension>",
        ),
        "OK",
    ),
    (
        "field-delete",
        "Delete",
        obj(
            "DataExtensionField",
            "<Name>Note</Name><DataExtension><CustomerKey>zr_existing</CustomerKey>"
            "</DataExtension>",
        ),
        "OK",
    ),
    ("de-delete", "Delete", obj("DataExtension", "<CustomerKey>zr_new</CustomerKey>"), "OK"),
    (
        "de-delete-unknown",
        "Delete",
        obj("DataExtension", "<CustomerKey>gone</CustomerKey>"),
        "Error",
    ),
    (
        "bu-delete",
        "Delete",
        obj("BusinessUnit", "<ID>1</ID><AccountType>BUSINESS_UNIT</AccountType>"),
        "Error",
    ),
]


@pytest.mark.parametrize(
    ("operation", "object_xml", "expected"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_crud_results(
    post: Any, binding: Any, operation: str, object_xml: str, expected: str
) -> None:
    """Cases run in order (module-scoped simulator): create, then update, then delete."""
    result = read(binding, operation, post(operation, crud_body(operation, object_xml)))
    assert [r.StatusCode for r in result.Results] == [expected]
    assert result.OverallStatus == expected
    assert result.Results[0].Object is not None


def test_folder_create_update_delete(post: Any, binding: Any, sim: Simulator) -> None:
    root = sim.store.root_folder(bu_mids(sim)["qa"], "dataextension")
    assert root is not None
    created = read(
        binding,
        "Create",
        post(
            "Create",
            crud_body(
                "Create",
                obj(
                    "DataFolder",
                    f"<ParentFolder><ID>{root.id}</ID></ParentFolder><Name>zr_folder</Name>"
                    "<ContentType>dataextension</ContentType><CustomerKey>zr_folder</CustomerKey>",
                ),
            ),
        ),
    )
    assert created.Results[0].StatusCode == "OK"
    folder_id = created.Results[0].NewID
    assert folder_id == created.Results[0].Object.ID
    assert root.id == created.Results[0].Object.ParentFolder.ID
    for operation, inner in (
        ("Update", f"<ID>{folder_id}</ID><Name>zr_folder2</Name>"),
        ("Delete", "<CustomerKey>zr_folder</CustomerKey>"),
    ):
        result = read(
            binding, operation, post(operation, crud_body(operation, obj("DataFolder", inner)))
        )
        assert result.Results[0].StatusCode == "OK"


def test_unordered_error_echo_keeps_every_value(post: Any, binding: Any) -> None:
    """A failed create echoes the request in WSDL order, so each value is in its field."""
    body = crud_body("Create", CASES[1][2])
    echoed = read(binding, "Create", post("Create", body)).Results[0].Object
    assert echoed.Name == "zr_existing"
    assert echoed.CustomerKey == "zr_dup"
    assert echoed.DataRetentionPeriodLength == 1
    assert echoed.DataRetentionPeriod == "Days"
    email, amount = echoed.Fields.Field
    assert (email.Name, email.FieldType, email.MaxLength) == ("Email", "EmailAddress", 254)
    assert (amount.Precision, amount.Scale, amount.IsRequired) == (18, 2, False)


def test_untyped_error_echo_is_an_api_object(post: Any, binding: Any) -> None:
    result = read(binding, "Create", post("Create", crud_body("Create", CASES[2][2])))
    assert result.Results[0].StatusMessage == "Requested value 'APIObject' was not found."
    assert result.Results[0].Object.CustomerKey == "k"
