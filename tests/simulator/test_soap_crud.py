"""Create / Update / Delete contract tests over HTTP for DataFolder, DataExtension and
DataExtensionField: success shapes, every validation error, cross-BU ``Client/ID``."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest
from lxml import etree

from simulator.errors import ErrorCode
from simulator.soap.context import AUTHORIZATION_FAILURE
from simulator.state import Simulator
from tests.simulator.soap_helpers import (
    NS,
    SoapClient,
    SoapReply,
    bu_mids,
    client_for,
    crud_body,
    new_sim,
    obj,
    serve,
    simple,
)

_counter = itertools.count()


def unique(prefix: str) -> str:
    return f"{prefix}_{next(_counter)}"


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    simulator = new_sim()
    yield simulator
    simulator.close()


@pytest.fixture(scope="module")
def url(sim: Simulator) -> Iterator[str]:
    with serve(sim) as base:
        yield base


@pytest.fixture(scope="module")
def mids(sim: Simulator) -> dict[str, int]:
    return bu_mids(sim)


@pytest.fixture(scope="module")
def ada(sim: Simulator, url: str) -> Iterator[SoapClient]:
    with client_for(sim, url, "ada.admin") as client:
        yield client


@pytest.fixture(scope="module")
def mia(sim: Simulator, url: str) -> Iterator[SoapClient]:
    with client_for(sim, url, "mia.marketer") as client:
        yield client


def root_folder(sim: Simulator, mid: int, content_type: str = "dataextension") -> int:
    folder = sim.store.root_folder(mid, content_type)
    assert folder is not None
    return folder.id


def one(reply: SoapReply) -> etree._Element:
    assert reply.status == 200, reply.text
    assert len(reply.results) == 1
    return reply.results[0]


def status(result: etree._Element) -> tuple[str | None, str | None, str | None]:
    return (
        result.findtext("p:StatusCode", namespaces=NS),
        result.findtext("p:ErrorCode", namespaces=NS),
        result.findtext("p:StatusMessage", namespaces=NS),
    )


def assert_error(reply: SoapReply, code: int, fragment: str = "") -> None:
    result = one(reply)
    status_code, error_code, message = status(result)
    assert (status_code, error_code) == ("Error", str(code)), message
    assert fragment in (message or "")
    assert reply.overall_status == "Error"
    echoed = result.find("p:Object", NS)
    assert echoed is not None  # the request object is echoed back


def folder_xml(name: str, parent: int, content_type: str = "dataextension", extra: str = "") -> str:
    return obj(
        "DataFolder",
        f"{extra}<CustomerKey>{name}</CustomerKey><ParentFolder><ID>{parent}</ID></ParentFolder>"
        f"<Name>{name}</Name><Description>d</Description><ContentType>{content_type}</ContentType>",
    )


def field_xml(name: str, field_type: str = "Text", extra: str = "") -> str:
    return (
        f'<Field xsi:type="DataExtensionField"><Name>{name}</Name>{extra}'
        f"<FieldType>{field_type}</FieldType></Field>"
    )


def de_xml(key: str, *fields: str, name: str | None = None, extra: str = "") -> str:
    return obj(
        "DataExtension",
        f"<CustomerKey>{key}</CustomerKey><Name>{name or key}</Name>{extra}"
        f"<Fields>{''.join(fields)}</Fields>",
    )


A = field_xml("A")

# --- DataFolder -------------------------------------------------------------------------------


def test_create_update_delete_folder(sim: Simulator, ada: SoapClient, mids: dict[str, int]) -> None:
    name = unique("folder")
    created = ada.crud("Create", folder_xml(name, root_folder(sim, mids["parent"])))
    result = one(created)
    assert status(result)[:2] == ("OK", None)
    assert created.overall_status == "OK"
    new_id = int(result.findtext("p:NewID", namespaces=NS) or 0)
    assert new_id > 0
    assert result.findtext("p:NewObjectID", namespaces=NS)
    echoed = result.find("p:Object", NS)
    assert echoed is not None
    assert echoed.get(f"{{{NS['xsi']}}}type") == "DataFolder"
    assert echoed.findtext("p:Name", namespaces=NS) == name

    found = ada.retrieve(
        "DataFolder", ["ID", "Name"], filter_xml=simple("ID", "equals", str(new_id))
    )
    assert found.result_values("Name") == [name]

    renamed = ada.crud("Update", obj("DataFolder", f"<ID>{new_id}</ID><Name>{name}_x</Name>"))
    assert status(one(renamed))[0] == "OK"
    assert sim.store.folders[new_id].name == f"{name}_x"

    deleted = ada.crud("Delete", obj("DataFolder", f"<ID>{new_id}</ID>"))
    assert status(one(deleted))[0] == "OK"
    assert new_id not in sim.store.folders


@pytest.mark.parametrize(
    ("inner", "code", "fragment"),
    [
        ("<ParentFolder><ID>{root}</ID></ParentFolder><ContentType>dataextension</ContentType>",
         ErrorCode.MISSING_PROPERTY, "Name is required"),
        ("<ParentFolder><ID>{root}</ID></ParentFolder><Name>n</Name>",
         ErrorCode.MISSING_PROPERTY, "ContentType is required"),
        ("<Name>n</Name><ContentType>dataextension</ContentType>",
         ErrorCode.MISSING_PROPERTY, "ParentFolder.ID is required"),
        ("<ParentFolder><ID>999999</ID></ParentFolder><Name>n</Name>"
         "<ContentType>dataextension</ContentType>",
         ErrorCode.FOLDER_NOT_FOUND, "999999"),
        ("<ParentFolder><ID>{root}</ID></ParentFolder><Name>n</Name>"
         "<ContentType>queryactivity</ContentType>",
         ErrorCode.INVALID_VALUE, "does not match"),
        ("<ParentFolder><ID>{root}</ID></ParentFolder><Name>Customers</Name>"
         "<ContentType>dataextension</ContentType>",
         ErrorCode.DUPLICATE_FOLDER_NAME, "already exists"),
        ("<CustomerKey>dataextension_default</CustomerKey><ParentFolder><ID>{root}</ID>"
         "</ParentFolder><Name>n2</Name><ContentType>dataextension</ContentType>",
         ErrorCode.DUPLICATE_KEY, "CustomerKey"),
        ("<ParentFolder><ID>{root}</ID></ParentFolder><Name>" + "n" * 129 + "</Name>"
         "<ContentType>dataextension</ContentType>",
         ErrorCode.INVALID_VALUE, "128"),
    ],
)  # fmt: skip
def test_folder_create_validation(
    sim: Simulator, ada: SoapClient, mids: dict[str, int], inner: str, code: int, fragment: str
) -> None:
    root = root_folder(sim, mids["parent"])
    reply = ada.crud("Create", obj("DataFolder", inner.format(root=root)))
    assert_error(reply, code, fragment)


def test_folder_update_and_delete_validation(
    sim: Simulator, ada: SoapClient, mids: dict[str, int]
) -> None:
    root = root_folder(sim, mids["parent"])
    assert_error(
        ada.crud("Update", obj("DataFolder", f"<ID>{root}</ID><Name>x</Name>")),
        ErrorCode.FOLDER_NOT_EDITABLE,
    )
    assert_error(
        ada.crud("Update", obj("DataFolder", "<ID>424242</ID><Name>x</Name>")),
        ErrorCode.FOLDER_NOT_FOUND,
    )
    assert_error(
        ada.crud("Update", obj("DataFolder", "<Name>x</Name>")), ErrorCode.MISSING_PROPERTY
    )
    customers = next(f.id for f in sim.store.list_folders(mids["parent"]) if f.name == "Customers")
    assert_error(
        ada.crud("Delete", obj("DataFolder", f"<ID>{customers}</ID>")), ErrorCode.FOLDER_NOT_EMPTY
    )
    assert_error(
        ada.crud("Delete", obj("DataFolder", f"<ID>{root}</ID>")), ErrorCode.FOLDER_NOT_EDITABLE
    )
    name = unique("moving")
    new_id = int(
        one(ada.crud("Create", folder_xml(name, root))).findtext("p:NewID", namespaces=NS) or 0
    )
    assert_error(
        ada.crud(
            "Update",
            obj("DataFolder", f"<ID>{new_id}</ID><ParentFolder><ID>{new_id}</ID></ParentFolder>"),
        ),
        ErrorCode.INVALID_VALUE,
        "into itself",
    )
    # by CustomerKey, too
    deleted = ada.crud("Delete", obj("DataFolder", f"<CustomerKey>{name}</CustomerKey>"))
    assert status(one(deleted))[0] == "OK"


# --- DataExtension ----------------------------------------------------------------------------


def test_create_data_extension_with_fields(
    sim: Simulator, ada: SoapClient, mids: dict[str, int]
) -> None:
    key = unique("de")
    folder = next(f.id for f in sim.store.list_folders(mids["parent"]) if f.name == "Sales")
    reply = ada.crud(
        "Create",
        de_xml(
            key,
            field_xml(
                "Id", "Number", "<IsRequired>true</IsRequired><IsPrimaryKey>true</IsPrimaryKey>"
            ),
            field_xml("Email", "EmailAddress", "<MaxLength>254</MaxLength>"),
            field_xml("Amount", "Decimal", "<Precision>12</Precision><Scale>3</Scale>"),
            extra=(
                "<Description>made by SOAP</Description>"
                "<DataRetentionPeriodLength>1</DataRetentionPeriodLength>"
                "<RowBasedRetention>false</RowBasedRetention>"
                "<DeleteAtEndOfRetentionPeriod>true</DeleteAtEndOfRetentionPeriod>"
                f"<DataRetentionPeriod>Days</DataRetentionPeriod><CategoryID>{folder}</CategoryID>"
            ),
        ),
    )
    result = one(reply)
    assert status(result) == ("OK", None, "Data Extension created.")
    assert reply.overall_status == "OK"
    object_id = result.findtext("p:NewObjectID", namespaces=NS)
    assert result.findtext("p:NewID", namespaces=NS) == "0"
    echoed = result.find("p:Object", NS)
    assert echoed is not None
    assert [
        f.findtext("p:Name", namespaces=NS) for f in echoed.findall("p:Fields/p:Field", NS)
    ] == [
        "Id",
        "Email",
        "Amount",
    ]
    de = sim.store.get_de(mids["parent"], customer_key=key)
    assert de is not None
    assert de.object_id == object_id
    assert de.folder_id == folder
    assert de.delete_at_end_of_retention_period
    amount = de.field_named("Amount")
    assert amount is not None
    assert (amount.max_length, amount.scale) == (12, 3)

    retrieved = ada.retrieve(
        "DataExtension",
        [
            "CustomerKey",
            "Name",
            "CategoryID",
            "DataRetentionPeriod",
            "DataRetentionPeriodUnitOfMeasure",
        ],
        filter_xml=simple("CustomerKey", "equals", key),
    )
    assert retrieved.result_values("CategoryID") == [str(folder)]
    assert retrieved.result_values("DataRetentionPeriod") == ["Days"]
    assert retrieved.result_values("DataRetentionPeriodUnitOfMeasure") == ["3"]


def test_default_folder_and_shared_folder(
    sim: Simulator, ada: SoapClient, mids: dict[str, int]
) -> None:
    key = unique("de_root")
    assert status(one(ada.crud("Create", de_xml(key, field_xml("A")))))[0] == "OK"
    de = sim.store.get_de(mids["parent"], customer_key=key)
    assert de is not None
    assert de.folder_id == root_folder(sim, mids["parent"])
    shared_folder = next(
        f.id
        for f in sim.store.list_folders(mids["parent"])
        if f.content_type == "shared_dataextension"
    )
    shared = unique("de_shared")
    reply = ada.crud(
        "Create", de_xml(shared, field_xml("A"), extra=f"<CategoryID>{shared_folder}</CategoryID>")
    )
    assert status(one(reply))[0] == "OK"
    created = sim.store.get_de(mids["parent"], customer_key=shared)
    assert created is not None
    assert created.is_shared


@pytest.mark.parametrize(
    ("make", "code", "fragment"),
    [
        (lambda k: obj("DataExtension", f"<CustomerKey>{k}</CustomerKey><Fields>{A}</Fields>"),
         ErrorCode.MISSING_PROPERTY, "Name is required"),
        (lambda k: de_xml(k, field_xml("A"), name="Orders"), ErrorCode.DUPLICATE_NAME,
         "A data extension named Orders already exists."),
        (lambda k: de_xml("Orders", field_xml("A"), name=k), ErrorCode.DUPLICATE_KEY, "Orders"),
        (lambda k: de_xml("k" * 201, field_xml("A"), name=k), ErrorCode.INVALID_VALUE, "200"),
        (lambda k: de_xml(k, field_xml("A"), extra="<CategoryID>999999</CategoryID>"),
         ErrorCode.FOLDER_NOT_FOUND, "999999"),
        (lambda k: obj("DataExtension", f"<CustomerKey>{k}</CustomerKey><Name>{k}</Name>"),
         ErrorCode.MISSING_PROPERTY, "at least one field"),
        (lambda k: de_xml(k, field_xml("_bad")), ErrorCode.INVALID_FIELD_NAME, "_bad"),
        (lambda k: de_xml(k, field_xml("a[b]")), ErrorCode.INVALID_FIELD_NAME, "a[b]"),
        (lambda k: de_xml(k, field_xml("A", "Blob")), ErrorCode.INVALID_FIELD_TYPE, "Blob"),
        (lambda k: de_xml(k, field_xml("A", "Text", "<MaxLength>4001</MaxLength>")),
         ErrorCode.INVALID_LENGTH, "4000"),
        (lambda k: de_xml(k, field_xml("A", "Decimal", "<Precision>39</Precision>")),
         ErrorCode.INVALID_LENGTH, "38"),
        (lambda k: de_xml(k, field_xml("A", "Decimal", "<Precision>5</Precision><Scale>6</Scale>")),
         ErrorCode.INVALID_LENGTH, "Scale"),
        (lambda k: de_xml(k, field_xml("A"), field_xml("a")), ErrorCode.DUPLICATE_FIELD_NAME, "a"),
        (lambda k: de_xml(k, field_xml("B", "Boolean", "<IsPrimaryKey>true</IsPrimaryKey>")),
         ErrorCode.INVALID_VALUE, "primary key"),
        (lambda k: de_xml(k, field_xml("N", "Number", "<DefaultValue>abc</DefaultValue>")),
         ErrorCode.INVALID_VALUE, "DefaultValue"),
        (lambda k: de_xml(k, field_xml("A"), extra="<IsSendable>true</IsSendable>"),
         ErrorCode.INVALID_SENDABLE, "SendableDataExtensionField"),
        (lambda k: de_xml(k, A, extra="<DataRetentionPeriodLength>0</DataRetentionPeriodLength>"),
         ErrorCode.INVALID_VALUE, "DataRetentionPeriodLength"),
    ],
)  # fmt: skip
def test_data_extension_create_validation(
    ada: SoapClient, make: object, code: int, fragment: str
) -> None:
    reply = ada.crud("Create", make(unique("bad")))  # type: ignore[operator]
    assert_error(reply, code, fragment)


def test_sendable_data_extension(sim: Simulator, ada: SoapClient, mids: dict[str, int]) -> None:
    key = unique("sendable")
    reply = ada.crud(
        "Create",
        de_xml(
            key,
            field_xml("SubscriberKey", "Text", "<MaxLength>254</MaxLength>"),
            extra=(
                "<IsSendable>true</IsSendable><SendableDataExtensionField>"
                "<Name>SubscriberKey</Name></SendableDataExtensionField>"
                "<SendableSubscriberField><Name>Subscriber Key</Name></SendableSubscriberField>"
            ),
        ),
    )
    assert status(one(reply))[0] == "OK"
    retrieved = ada.retrieve(
        "DataExtension",
        ["IsSendable", "SendableDataExtensionField.Name", "SendableSubscriberField.Name"],
        filter_xml=simple("CustomerKey", "equals", key),
    )
    assert retrieved.result_values("IsSendable") == ["true"]
    assert retrieved.result_values("SendableDataExtensionField.Name") == ["SubscriberKey"]
    assert retrieved.result_values("SendableSubscriberField.Name") == ["_SubscriberKey"]


def test_update_and_delete_data_extension(
    sim: Simulator, ada: SoapClient, mids: dict[str, int]
) -> None:
    key = unique("upd")
    one(ada.crud("Create", de_xml(key, field_xml("A", "Text", "<MaxLength>20</MaxLength>"))))
    reply = ada.crud(
        "Update",
        obj(
            "DataExtension",
            f"<CustomerKey>{key}</CustomerKey><Name>{key} renamed</Name>"
            "<Description>new</Description>"
            f"<Fields>{field_xml('A', 'Text', '<MaxLength>40</MaxLength>')}"
            f"{field_xml('B', 'Number')}</Fields>",
        ),
    )
    assert status(one(reply)) == ("OK", None, "Data Extension updated.")
    de = sim.store.get_de(mids["parent"], customer_key=key)
    assert de is not None
    assert (de.name, de.description) == (f"{key} renamed", "new")
    assert [(f.name, f.max_length) for f in de.fields] == [("A", 40), ("B", None)]

    assert_error(
        ada.crud(
            "Update", obj("DataExtension", f"<CustomerKey>{key}</CustomerKey><Name>Orders</Name>")
        ),
        ErrorCode.DUPLICATE_NAME,
    )
    assert_error(
        ada.crud(
            "Update",
            obj(
                "DataExtension",
                f"<CustomerKey>{key}</CustomerKey><Fields>{field_xml('A', 'Number')}</Fields>",
            ),
        ),
        ErrorCode.INVALID_CHANGE,
        "cannot be changed",
    )
    assert_error(
        ada.crud(
            "Update",
            obj(
                "DataExtension",
                f"<CustomerKey>{key}</CustomerKey>"
                f"<Fields>{field_xml('A', 'Text', '<MaxLength>10</MaxLength>')}</Fields>",
            ),
        ),
        ErrorCode.INVALID_CHANGE,
        "cannot decrease",
    )
    assert_error(
        ada.crud(
            "Update",
            obj("DataExtension", "<CustomerKey>nope</CustomerKey><Description>x</Description>"),
        ),
        ErrorCode.NOT_FOUND,
    )
    assert_error(
        ada.crud("Delete", obj("DataExtension", "<CustomerKey>nope</CustomerKey>")),
        ErrorCode.NOT_FOUND,
    )
    assert_error(
        ada.crud("Delete", obj("DataExtension", "<Description>x</Description>")),
        ErrorCode.MISSING_PROPERTY,
    )

    deleted = ada.crud("Delete", obj("DataExtension", f"<CustomerKey>{key}</CustomerKey>"))
    assert status(one(deleted)) == ("OK", None, "Data Extension deleted.")
    assert sim.store.get_de(mids["parent"], customer_key=key) is None
    gone = ada.retrieve("DataExtension", ["Name"], filter_xml=simple("CustomerKey", "equals", key))
    assert gone.results == []


def test_delete_data_extension_by_object_id(
    sim: Simulator, ada: SoapClient, mids: dict[str, int]
) -> None:
    key = unique("by_oid")
    created = one(ada.crud("Create", de_xml(key, field_xml("A"))))
    object_id = created.findtext("p:NewObjectID", namespaces=NS)
    deleted = ada.crud("Delete", obj("DataExtension", f"<ObjectID>{object_id}</ObjectID>"))
    assert status(one(deleted))[0] == "OK"
    assert sim.store.get_de(mids["parent"], customer_key=key) is None


# --- DataExtensionField -----------------------------------------------------------------------


def field_obj(de_key: str, inner: str) -> str:
    return obj(
        "DataExtensionField",
        f"{inner}<DataExtension><CustomerKey>{de_key}</CustomerKey></DataExtension>",
    )


def test_field_create_update_delete(sim: Simulator, ada: SoapClient, mids: dict[str, int]) -> None:
    key = unique("fields")
    one(
        ada.crud(
            "Create",
            de_xml(
                key,
                field_xml("Id", "Number", "<IsPrimaryKey>true</IsPrimaryKey>"),
                field_xml("Name"),
            ),
        )
    )
    created = ada.crud(
        "Create",
        field_obj(key, "<Name>Extra</Name><MaxLength>30</MaxLength><FieldType>Text</FieldType>"),
    )
    result = one(created)
    assert status(result)[0] == "OK"
    assert result.findtext("p:Object/p:CustomerKey", namespaces=NS) == f"[{key}].[Extra]"
    fields = ada.retrieve(
        "DataExtensionField",
        ["Name", "Ordinal", "MaxLength"],
        filter_xml=simple("DataExtension.CustomerKey", "equals", key),
    )
    assert fields.result_values("Name") == ["Id", "Name", "Extra"]
    assert fields.result_values("Ordinal") == ["0", "1", "2"]

    grown = ada.crud("Update", field_obj(key, "<Name>Extra</Name><MaxLength>60</MaxLength>"))
    assert status(one(grown))[0] == "OK"
    de = sim.store.get_de(mids["parent"], customer_key=key)
    assert de is not None
    extra = de.field_named("Extra")
    assert extra is not None
    assert extra.max_length == 60

    assert_error(
        ada.crud("Update", field_obj(key, "<Name>Extra</Name><MaxLength>5</MaxLength>")),
        ErrorCode.INVALID_CHANGE,
    )
    assert_error(
        ada.crud("Update", field_obj(key, "<Name>Missing</Name><MaxLength>5</MaxLength>")),
        ErrorCode.FIELD_NOT_FOUND,
    )
    assert_error(
        ada.crud("Create", field_obj(key, "<Name>extra</Name><FieldType>Text</FieldType>")),
        ErrorCode.DUPLICATE_FIELD_NAME,
    )
    assert_error(
        ada.crud("Create", field_obj("no_such_de", "<Name>X</Name><FieldType>Text</FieldType>")),
        ErrorCode.NOT_FOUND,
    )
    assert_error(
        ada.crud("Create", obj("DataExtensionField", "<Name>X</Name><FieldType>Text</FieldType>")),
        ErrorCode.MISSING_PROPERTY,
        "DataExtension.CustomerKey",
    )
    assert_error(
        ada.crud("Delete", field_obj(key, "<Name>Id</Name>")),
        ErrorCode.INVALID_CHANGE,
        "Primary key",
    )

    field_oid = extra.object_id
    deleted = ada.crud("Delete", obj("DataExtensionField", f"<ObjectID>{field_oid}</ObjectID>"))
    assert status(one(deleted))[0] == "OK"
    assert de.field_named("Extra") is None


# --- several objects, unknown types -------------------------------------------------------------


def test_overall_status_has_errors_when_some_fail(
    sim: Simulator, ada: SoapClient, mids: dict[str, int]
) -> None:
    root = root_folder(sim, mids["parent"])
    good, dup = unique("mixed"), "Customers"
    reply = ada.crud("Create", folder_xml(good, root), folder_xml(dup, root))
    assert reply.overall_status == "Has Errors"
    ordinals = [r.findtext("p:OrdinalID", namespaces=NS) for r in reply.results]
    assert ordinals == ["0", "1"]
    assert [r.findtext("p:StatusCode", namespaces=NS) for r in reply.results] == ["OK", "Error"]


def test_object_without_type_and_unknown_types(ada: SoapClient) -> None:
    untyped = ada.crud("Create", obj(None, "<Name>x</Name>"))
    assert status(one(untyped))[::2] == ("Error", "Requested value 'APIObject' was not found.")
    unknown = ada.crud("Create", obj("DeliveryProfile", "<Name>x</Name>"))
    assert status(one(unknown))[2] == (
        "Unable to find a handler for object type: DeliveryProfile. "
        "Object types are case-sensitive, check spelling."
    )
    read_only = ada.crud("Delete", obj("BusinessUnit", "<ID>1</ID>"))
    assert status(one(read_only))[2] == "Delete is not supported for object type BusinessUnit."
    assert read_only.overall_status == "Error"


# --- cross-BU ---------------------------------------------------------------------------------


def test_client_id_addresses_a_reachable_bu(
    sim: Simulator, mia: SoapClient, mids: dict[str, int]
) -> None:
    name = unique("cross")
    eu_root = root_folder(sim, mids["eu"])
    reply = mia.crud(
        "Create", folder_xml(name, eu_root, extra=f"<Client><ID>{mids['eu']}</ID></Client>")
    )
    result = one(reply)
    assert status(result)[0] == "OK"
    assert result.findtext("p:Object/p:Client/p:ID", namespaces=NS) == str(mids["eu"])
    folder = sim.store.folders[int(result.findtext("p:NewID", namespaces=NS) or 0)]
    assert folder.mid == mids["eu"]
    # without Client/ID the same parent id is not found in the token's own BU
    assert_error(
        mia.crud("Create", folder_xml(unique("cross"), eu_root)), ErrorCode.FOLDER_NOT_FOUND
    )

    key = unique("cross_de")
    created = mia.crud(
        "Create",
        de_xml(key, field_xml("A"), extra="").replace(
            "<CustomerKey>", f"<Client><ID>{mids['eu']}</ID></Client><CustomerKey>", 1
        ),
    )
    assert status(one(created))[0] == "OK"
    assert sim.store.get_de(mids["eu"], customer_key=key) is not None
    deleted = mia.crud(
        "Delete",
        obj(
            "DataExtension",
            f"<Client><ID>{mids['eu']}</ID></Client><CustomerKey>{key}</CustomerKey>",
        ),
    )
    assert status(one(deleted))[0] == "OK"


def test_client_id_refuses_an_unreachable_bu(
    sim: Simulator, mia: SoapClient, mids: dict[str, int]
) -> None:
    parent_root = root_folder(sim, mids["parent"])
    refused = mia.crud(
        "Create",
        folder_xml(
            unique("nope"), parent_root, extra=f"<Client><ID>{mids['parent']}</ID></Client>"
        ),
    )
    assert_error(refused, AUTHORIZATION_FAILURE, f"business unit {mids['parent']}")
    delete = mia.crud(
        "Delete",
        obj(
            "DataExtension",
            f"<Client><ID>{mids['parent']}</ID></Client><CustomerKey>Orders</CustomerKey>",
        ),
    )
    assert_error(delete, AUTHORIZATION_FAILURE)
    assert sim.store.get_de(mids["parent"], customer_key="Orders") is not None


def test_options_client_sets_the_bu_of_every_object(
    sim: Simulator, mia: SoapClient, mids: dict[str, int]
) -> None:
    key = unique("opts")
    body = crud_body(
        "Create",
        de_xml(key, field_xml("A")),
        options=f"<Options><Client><ID>{mids['eu']}</ID></Client></Options>",
    )
    assert status(one(mia.call("Create", body)))[0] == "OK"
    assert sim.store.get_de(mids["eu"], customer_key=key) is not None
    refused = crud_body(
        "Create",
        de_xml(unique("opts"), field_xml("A")),
        options=f"<Options><Client><ID>{mids['parent']}</ID></Client></Options>",
    )
    assert_error(mia.call("Create", refused), AUTHORIZATION_FAILURE)


def test_decimal_update_resending_stored_precision_and_scale_is_no_change(
    sim: Simulator, ada: SoapClient, mids: dict[str, int]
) -> None:
    """A client round-tripping a retrieved Decimal field (precision in MaxLength, or Precision)
    changes nothing; a different precision or scale is refused (310011), never applied."""
    key = unique("decimal")
    one(
        ada.crud(
            "Create",
            de_xml(
                key, field_xml("Amount", "Decimal", "<Precision>12</Precision><Scale>3</Scale>")
            ),
        )
    )
    for same in (
        "<MaxLength>12</MaxLength><Scale>3</Scale>",
        "<Precision>12</Precision><Scale>3</Scale>",
    ):
        reply = ada.crud("Update", field_obj(key, f"<Name>Amount</Name>{same}"))
        assert status(one(reply))[0] == "OK", reply.text
    for changed in ("<MaxLength>20</MaxLength>", "<Precision>10</Precision>", "<Scale>2</Scale>"):
        assert_error(
            ada.crud("Update", field_obj(key, f"<Name>Amount</Name>{changed}")),
            ErrorCode.INVALID_CHANGE,
        )
    de = sim.store.get_de(mids["parent"], customer_key=key)
    assert de is not None
    amount = de.field_named("Amount")
    assert amount is not None
    assert (amount.max_length, amount.scale) == (12, 3)
