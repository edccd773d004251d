"""Retrieve contract tests over HTTP: properties, every filter operator, complex filters,
cross-BU addressing, BusinessUnit, and MCE's error statuses."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest

from simulator.state import FieldSpec, Simulator
from tests.simulator.soap_helpers import (
    NS,
    SoapClient,
    bu_mids,
    client_for,
    complex_,
    issue_token,
    new_sim,
    retrieve_body,
    serve,
    simple,
)

PROBE = "probe_de"
PROBE_FIELDS = [
    FieldSpec("Alpha", "Text", max_length=10, is_primary_key=True),
    FieldSpec("alpha_two", "Text", max_length=20),
    FieldSpec("Beta Word", "Text", max_length=30),
    FieldSpec("Gamma", "Number"),
    FieldSpec("Delta", "Date"),
    FieldSpec("Email", "EmailAddress"),
    FieldSpec("Amount", "Decimal", precision=18, scale=2),
    FieldSpec("Flag", "Boolean"),
]
FIELD_PROPS = ["Name", "FieldType", "MaxLength", "Ordinal", "DataExtension.CustomerKey"]


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    sim = new_sim()
    parent = bu_mids(sim)["parent"]
    sim.store.create_de(mid=parent, name="Probe", customer_key=PROBE, fields=PROBE_FIELDS)
    for key, created in [
        ("anniv_a", datetime(2019, 3, 15, 10, 0)),
        ("anniv_b", datetime(2021, 7, 1, 9, 30)),
        ("anniv_c", datetime(2022, 1, 10, 8, 0)),
    ]:
        de = sim.store.create_de(mid=parent, name=key, customer_key=key, fields=[FieldSpec("X")])
        de.created_date = created
    yield sim
    sim.close()


@pytest.fixture(scope="module")
def url(sim: Simulator) -> Iterator[str]:
    with serve(sim) as base:
        yield base


@pytest.fixture(scope="module")
def ada(sim: Simulator, url: str) -> Iterator[SoapClient]:
    with client_for(sim, url, "ada.admin") as client:
        yield client


@pytest.fixture(scope="module")
def mia(sim: Simulator, url: str) -> Iterator[SoapClient]:
    with client_for(sim, url, "mia.marketer") as client:
        yield client


def probe_names(client: SoapClient, operand: str) -> list[str | None]:
    """Names of probe fields matching ``operand`` (a RightOperand), ANDed with the probe DE."""
    flt = complex_(
        simple("DataExtension.CustomerKey", "equals", PROBE, element="LeftOperand"),
        "AND",
        operand,
    )
    reply = client.retrieve("DataExtensionField", FIELD_PROPS, filter_xml=flt)
    assert reply.status == 200
    assert reply.overall_status == "OK", reply.overall_status
    return reply.result_values("Name")


def right(prop: str, op: str, *values: str) -> str:
    return simple(prop, op, *values, element="RightOperand")


# --- properties and shape ------------------------------------------------------------------


def test_retrieve_returns_requested_properties_in_wsdl_order(ada: SoapClient) -> None:
    reply = ada.retrieve(
        "DataFolder",
        ["Name", "ContentType", "ID", "ParentFolder.ID", "CustomerKey"],
        filter_xml=simple("ContentType", "equals", "queryactivity"),
    )
    assert reply.status == 200
    assert reply.overall_status == "OK"
    assert reply.request_id
    first = reply.results[0]
    assert first.get(f"{{{NS['xsi']}}}type") == "DataFolder"
    names = [child.tag.split("}")[1] for child in first]
    assert names == [
        "PartnerKey",
        "ID",
        "ObjectID",
        "CustomerKey",
        "ParentFolder",
        "Name",
        "ContentType",
    ]
    assert first.find("p:PartnerKey", NS).get(f"{{{NS['xsi']}}}nil") == "true"
    assert {v for v in reply.result_values("ContentType")} == {"queryactivity"}
    assert "Data Extensions" not in reply.result_values("Name")
    roots = [r for r in reply.results if r.findtext("p:ParentFolder/p:ID", namespaces=NS) == "0"]
    assert [r.findtext("p:Name", namespaces=NS) for r in roots] == ["Query"]


def test_field_retrieve_has_mce_quirks(ada: SoapClient) -> None:
    reply = ada.retrieve(
        "DataExtensionField",
        ["CustomerKey", "Name", "MaxLength", "Scale", "FieldType", "IsPrimaryKey", "IsRequired"],
        filter_xml=simple("DataExtension.CustomerKey", "equals", PROBE),
    )
    by_name = {r.findtext("p:Name", namespaces=NS): r for r in reply.results}
    assert len(by_name) == len(PROBE_FIELDS)
    amount = by_name["Amount"]
    assert amount.findtext("p:MaxLength", namespaces=NS) == "18"  # precision comes back here
    assert amount.findtext("p:Scale", namespaces=NS) == "2"
    assert by_name["Alpha"].findtext("p:CustomerKey", namespaces=NS) == f"[{PROBE}].[Alpha]"
    assert by_name["Alpha"].findtext("p:IsPrimaryKey", namespaces=NS) == "true"
    assert by_name["Alpha"].findtext("p:IsRequired", namespaces=NS) == "true"
    assert by_name["Gamma"].find("p:MaxLength", NS) is None  # Number fields have no length


def test_unknown_property_is_mce_error_status(ada: SoapClient) -> None:
    reply = ada.retrieve("DataExtension", ["Name", "RowCount", "Bogus"])
    assert reply.status == 200
    assert reply.overall_status == (
        "Error: The Request Property(s) RowCount, Bogus do not match with the fields of "
        "DataExtension retrieve"
    )
    assert reply.results == []


def test_unknown_object_type_is_mce_error_status(ada: SoapClient) -> None:
    reply = ada.retrieve("DeliveryProfile", ["Name"])
    assert reply.status == 200
    assert reply.overall_status == (
        "Error: Unable to find a handler for object type: DeliveryProfile. "
        "Object types are case-sensitive, check spelling."
    )
    # object types are case-sensitive, as in MCE
    assert ada.retrieve("dataextension", ["Name"]).overall_status.startswith("Error: Unable")  # type: ignore[union-attr]


def test_unknown_filter_property_is_an_error(ada: SoapClient) -> None:
    reply = ada.retrieve("DataExtension", ["Name"], filter_xml=simple("Nope", "equals", "x"))
    assert reply.overall_status is not None
    assert reply.overall_status.startswith("Error: The Filter Property(s) Nope")


def test_untyped_filter_operand_is_rejected_like_mce(ada: SoapClient) -> None:
    untyped = (
        '<Filter xsi:type="ComplexFilterPart"><LeftOperand><Property>Name</Property>'
        "<SimpleOperator>equals</SimpleOperator><Value>x</Value></LeftOperand>"
        "<LogicalOperator>OR</LogicalOperator>"
        + simple("Name", "equals", "y", element="RightOperand")
        + "</Filter>"
    )
    reply = ada.retrieve("DataExtension", ["Name"], filter_xml=untyped)
    assert reply.overall_status == "Error: Unknown filter of type FilterPart encountered"


# --- every simple operator ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("operand", "expected"),
    [
        (right("Name", "equals", "alpha"), {"Alpha"}),
        (
            right("Name", "notEquals", "Alpha"),
            {"alpha_two", "Beta Word", "Gamma", "Delta", "Email", "Amount", "Flag"},
        ),
        (right("MaxLength", "greaterThan", "20"), {"Beta Word", "Email"}),
        (right("MaxLength", "lessThan", "20"), {"Alpha", "Amount"}),
        (right("MaxLength", "greaterThanOrEqual", "20"), {"alpha_two", "Beta Word", "Email"}),
        (right("MaxLength", "lessThanOrEqual", "10"), {"Alpha"}),
        (right("MaxLength", "isNull"), {"Gamma", "Delta", "Flag"}),
        (
            right("MaxLength", "isNotNull"),
            {"Alpha", "alpha_two", "Beta Word", "Email", "Amount"},
        ),
        (right("Ordinal", "between", "2", "4"), {"Beta Word", "Gamma", "Delta"}),
        (right("Name", "IN", "Alpha", "GAMMA", "nope"), {"Alpha", "Gamma"}),
        # IN converts its values to each property's type: numbers, enums, booleans
        (right("MaxLength", "IN", "10", "18.0", "x"), {"Alpha", "Amount"}),
        (right("FieldType", "IN", "DECIMAL", "boolean"), {"Amount", "Flag"}),
        (right("IsPrimaryKey", "IN", "1", "maybe"), {"Alpha"}),
        (right("Name", "like", "alpha%"), {"Alpha", "alpha_two"}),
        (right("Name", "like", "_eta%"), {"Beta Word"}),
        (right("Name", "like", "[DG]%a"), {"Delta", "Gamma"}),
        (right("Name", "existsInString", "word"), {"Beta Word"}),
        (right("Name", "existsInStringAsAWord", "Word"), {"Beta Word"}),
        (right("Name", "existsInStringAsAWord", "Bet"), set()),
        (
            right("Name", "notExistsInString", "a_"),
            {"Alpha", "Beta Word", "Gamma", "Delta", "Email", "Amount", "Flag"},
        ),
        (right("Name", "beginsWith", "AL"), {"Alpha", "alpha_two"}),
        (right("Name", "endsWith", "ta"), {"Delta"}),
        (right("Name", "contains", "ph"), {"Alpha", "alpha_two"}),
        (
            right("Name", "notContains", "m"),
            {"Alpha", "alpha_two", "Beta Word", "Delta", "Flag"},
        ),
        (right("FieldType", "equals", "decimal"), {"Amount"}),
        (right("IsPrimaryKey", "equals", "true"), {"Alpha"}),
    ],
)
def test_simple_operator(ada: SoapClient, operand: str, expected: set[str]) -> None:
    assert set(probe_names(ada, operand)) == expected


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("[z-a]%", set()),  # a reversed range matches nothing (SQL Server)
        ("[]%", set()),  # an empty set matches nothing
        ("[^]%", {"Alpha", "alpha_two", "Beta Word", "Gamma", "Delta", "Email", "Amount", "Flag"}),
        ("[^a-f]%", {"Gamma"}),
        ("[a-]%", {"Alpha", "alpha_two", "Amount"}),
        ("[%", set()),  # an unclosed bracket is a literal
        ("F[\\]%", set()),
    ],
)
def test_like_bracket_patterns_never_fail(
    ada: SoapClient, pattern: str, expected: set[str]
) -> None:
    """Odd ``[...]`` sets answer like SQL Server instead of an unexpected-error fault."""
    assert set(probe_names(ada, right("Name", "like", pattern))) == expected


@pytest.mark.parametrize(
    ("operator", "expected"),
    [
        ("isAnniversary", {"anniv_a"}),
        ("isNotAnniversary", {"anniv_b", "anniv_c"}),
        ("greaterThanAnniversary", {"anniv_b"}),
        ("lessThanAnniversary", {"anniv_c"}),
    ],
)
def test_anniversary_operators(ada: SoapClient, operator: str, expected: set[str]) -> None:
    flt = complex_(
        simple("CustomerKey", "beginsWith", "anniv_", element="LeftOperand"),
        "AND",
        right("CreatedDate", operator, "2000-03-15T00:00:00"),
    )
    reply = ada.retrieve("DataExtension", ["CustomerKey"], filter_xml=flt)
    assert set(reply.result_values("CustomerKey")) == expected


def test_date_comparison_accepts_date_value_and_us_format(ada: SoapClient) -> None:
    date_value = (
        '<RightOperand xsi:type="SimpleFilterPart"><Property>CreatedDate</Property>'
        "<SimpleOperator>greaterThan</SimpleOperator>"
        "<DateValue>2021-01-01T00:00:00</DateValue></RightOperand>"
    )
    base = simple("CustomerKey", "beginsWith", "anniv_", element="LeftOperand")
    reply = ada.retrieve(
        "DataExtension", ["CustomerKey"], filter_xml=complex_(base, "AND", date_value)
    )
    assert set(reply.result_values("CustomerKey")) == {"anniv_b", "anniv_c"}
    us_format = right("CreatedDate", "lessThan", "7/1/2021 9:30:00 AM")
    reply = ada.retrieve(
        "DataExtension", ["CustomerKey"], filter_xml=complex_(base, "AND", us_format)
    )
    assert set(reply.result_values("CustomerKey")) == {"anniv_a"}


# --- complex filters --------------------------------------------------------------------------


def test_complex_or(ada: SoapClient) -> None:
    flt = complex_(
        simple("Name", "equals", "Alpha", element="LeftOperand"),
        "OR",
        right("Name", "equals", "Flag"),
    )
    inner = flt.replace("<Filter ", "<RightOperand ").replace("</Filter>", "</RightOperand>")
    assert set(probe_names(ada, inner)) == {"Alpha", "Flag"}


def test_nested_complex_and_or_with_additional_operands(ada: SoapClient) -> None:
    # probe AND (Name beginsWith 'a' OR FieldType = Boolean OR Ordinal = 3)
    either = complex_(
        simple("Name", "beginsWith", "a", element="LeftOperand"),
        "OR",
        simple("FieldType", "equals", "Boolean", element="RightOperand"),
        simple("Ordinal", "equals", "3", element="Operand"),
        element="RightOperand",
    )
    assert set(probe_names(ada, either)) == {"Alpha", "alpha_two", "Amount", "Flag", "Gamma"}


# --- cross-BU, QueryAllAccounts, BusinessUnit ---------------------------------------------------


def test_client_ids_address_a_reachable_bu(sim: Simulator, mia: SoapClient) -> None:
    mids = bu_mids(sim)
    reply = mia.retrieve(
        "DataExtension",
        ["CustomerKey", "Client.ID"],
        client_ids=[mids["eu"]],
        filter_xml=simple("CustomerKey", "equals", "Orders"),
    )
    assert reply.overall_status == "OK"
    assert reply.result_values("Client.ID") == [str(mids["eu"])]


def test_client_ids_refuse_an_unreachable_bu(sim: Simulator, mia: SoapClient) -> None:
    mids = bu_mids(sim)
    reply = mia.retrieve("DataExtension", ["CustomerKey"], client_ids=[mids["parent"]])
    assert reply.status == 200
    assert reply.overall_status == (
        f"Error: Insufficient privileges to access business unit {mids['parent']}."
    )
    assert reply.results == []


def test_query_all_accounts_spans_reachable_bus_and_says_which(
    sim: Simulator, mia: SoapClient
) -> None:
    mids = bu_mids(sim)
    flt = simple("CustomerKey", "equals", "Orders")
    own = mia.retrieve("DataExtension", ["CustomerKey"], filter_xml=flt)
    assert len(own.results) == 1
    everywhere = mia.retrieve("DataExtension", ["CustomerKey"], filter_xml=flt, query_all=True)
    assert sorted(everywhere.result_values("Client.ID")) == sorted(  # type: ignore[type-var]
        [str(mids["us"]), str(mids["eu"])]
    )


def test_query_all_accounts_returns_parent_shared_folders(sim: Simulator, ada: SoapClient) -> None:
    mids = bu_mids(sim)
    shared = ada.retrieve(
        "DataFolder",
        ["Name", "Client.ID"],
        filter_xml=simple("ContentType", "beginsWith", "shared"),
        query_all=True,
    )
    assert set(shared.result_values("Client.ID")) == {str(mids["parent"])}
    assert "Shared Data Extensions" in shared.result_values("Name")


def test_query_all_accounts_from_a_child_returns_parent_shared_folders(
    sim: Simulator, url: str
) -> None:
    """REFERENCE §2.4: a child's QueryAllAccounts retrieve returns the parent's shared folders
    (with the parent's Client/ID) even for a user who cannot log into the parent."""
    mids = bu_mids(sim)
    eve = SoapClient(url, issue_token(sim, "eve.europe").token)
    try:
        flt = simple("ContentType", "beginsWith", "shared")
        shared = eve.retrieve("DataFolder", ["Name", "ContentType"], filter_xml=flt, query_all=True)
        assert shared.overall_status == "OK"
        assert "Shared Data Extensions" in shared.result_values("Name")
        assert set(shared.result_values("Client.ID")) == {str(mids["parent"])}
        own = eve.retrieve("DataFolder", ["Name"], query_all=True)
        assert set(own.result_values("Client.ID")) == {str(mids["eu"]), str(mids["parent"])}
        without = eve.retrieve("DataFolder", ["Name"], filter_xml=flt)
        assert without.results == []  # only QueryAllAccounts reaches across
    finally:
        eve.close()


def test_business_unit_retrieve(sim: Simulator, ada: SoapClient, mia: SoapClient) -> None:
    mids = bu_mids(sim)
    props = ["ID", "Name", "ParentID", "CustomerKey", "IsActive"]
    own = ada.retrieve("BusinessUnit", props)
    assert own.result_values("ID") == [str(mids["parent"])]
    assert own.result_values("AccountType") == ["ENTERPRISE_2"]
    everything = ada.retrieve("BusinessUnit", props, query_all=True)
    assert sorted(everything.result_values("ID")) == sorted(str(m) for m in mids.values())  # type: ignore[type-var]
    children = [
        r
        for r in everything.results
        if r.findtext("p:AccountType", namespaces=NS) == "BUSINESS_UNIT"
    ]
    assert {r.findtext("p:ParentID", namespaces=NS) for r in children} == {str(mids["parent"])}
    assert set(everything.result_values("IsActive")) == {"1"}
    reachable = mia.retrieve("BusinessUnit", ["ID"], query_all=True)
    assert sorted(reachable.result_values("ID")) == sorted([str(mids["us"]), str(mids["eu"])])  # type: ignore[type-var]


def test_object_id_is_nil_unless_requested(ada: SoapClient) -> None:
    flt = simple("CustomerKey", "equals", PROBE)
    without = ada.retrieve("DataExtension", ["CustomerKey"], filter_xml=flt).results[0]
    object_id = without.find("p:ObjectID", NS)
    assert object_id is not None
    assert object_id.get(f"{{{NS['xsi']}}}nil") == "true"
    with_id = ada.retrieve("DataExtension", ["CustomerKey", "ObjectID"], filter_xml=flt)
    assert with_id.result_values("ObjectID")[0]


def test_options_client_addresses_a_bu(sim: Simulator, mia: SoapClient) -> None:
    mids = bu_mids(sim)
    body = retrieve_body("DataExtension", ["CustomerKey"]).replace(
        "</RetrieveRequest>",
        f"<Options><Client><ID>{mids['eu']}</ID></Client></Options></RetrieveRequest>",
    )
    reply = mia.call("Retrieve", body)
    assert reply.overall_status == "OK"
    assert set(reply.result_values("Client.ID")) == {None}  # one BU: no Client unless asked
    assert len(reply.results) == len(sim.store.list_des(mids["eu"]))


def test_non_sendable_data_extension_has_no_sendable_elements(ada: SoapClient) -> None:
    """MCE omits the null sendable objects; an empty element would read as a sendable field."""
    props = ["CustomerKey", "IsSendable", "SendableDataExtensionField.Name"]
    reply = ada.retrieve("DataExtension", [*props, "SendableSubscriberField.Name"], query_all=True)
    sendable = [r for r in reply.results if r.findtext("p:IsSendable", namespaces=NS) == "true"]
    plain = [r for r in reply.results if r.findtext("p:IsSendable", namespaces=NS) == "false"]
    assert sendable
    assert plain
    for result in sendable:
        assert result.findtext("p:SendableDataExtensionField/p:Name", namespaces=NS)
        assert result.findtext("p:SendableSubscriberField/p:Name", namespaces=NS)
    for result in plain:
        assert result.find("p:SendableDataExtensionField", NS) is None
        assert result.find("p:SendableSubscriberField", NS) is None
