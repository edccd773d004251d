"""The real MCE WSDL through zeep, against the simulator over HTTP.

zeep builds every request from the real schema and parses every response with it, so this is the
contract test that the simulator's XML is what a WSDL-driven MCE client expects: Retrieve with
``ContinueRequest`` paging (zeep's schema makes ``ObjectType`` required, so it is resent), then
Create, Update and Delete of a DataExtension.

The WSDL is reference data beside the repository (``../shared/mce``), never copied into it. Its
import of ``ETFrameworkFault.xsd`` by absolute URL is served from the local file by a transport
whose ``load()`` maps that URL (there is no internet here). Without the files the test skips,
unless ``CI`` is set, where a missing WSDL is a failure.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from lxml import etree
from zeep import Client
from zeep.transports import Transport

from simulator.state import FieldSpec, Simulator
from tests.simulator.soap_helpers import bu_mids, issue_token, new_sim

SHARED_MCE = Path(__file__).resolve().parents[3] / "shared" / "mce"
WSDL = SHARED_MCE / "ETFramework.wsdl"
FAULT_XSD = SHARED_MCE / "ETFrameworkFault.xsd"
FAULT_XSD_URL = "https://webservice.exacttarget.com/ETFrameworkFault.xsd"
PARTNER = "http://exacttarget.com/wsdl/partnerAPI"
BULK_FIELDS = 2600


class LocalFaultSchemaTransport(Transport):
    """Serves the WSDL's absolute import of the fault schema from the local copy."""

    def load(self, url: str) -> bytes:
        if url == FAULT_XSD_URL:
            return FAULT_XSD.read_bytes()
        return super().load(url)


def _require_wsdl() -> None:
    if WSDL.is_file() and FAULT_XSD.is_file():
        return
    if os.environ.get("CI"):
        pytest.fail(f"The real MCE WSDL is required in CI but missing: {WSDL}")
    pytest.skip(f"real MCE WSDL not present at {WSDL}")


@pytest.fixture
def sim() -> Iterator[Simulator]:
    simulator = new_sim()
    qa = bu_mids(simulator)["qa"]
    fields = [FieldSpec(f"Col{i:04d}", "Text", max_length=40) for i in range(BULK_FIELDS)]
    simulator.store.create_de(mid=qa, name="zeep_bulk", customer_key="zeep_bulk", fields=fields)
    yield simulator
    simulator.close()


@pytest.fixture
def zeep_client() -> Client:
    _require_wsdl()
    return Client(str(WSDL), transport=LocalFaultSchemaTransport())


def oauth_header(token: str) -> etree._Element:
    header = etree.Element(
        "{http://exacttarget.com}fueloauth", nsmap={None: "http://exacttarget.com"}
    )
    header.text = token
    return header


def test_real_wsdl_client_round_trip(sim: Simulator, sim_url: str, zeep_client: Client) -> None:
    mids = bu_mids(sim)
    token = issue_token(sim, "ada.admin", mid=mids["qa"]).token
    service: Any = zeep_client.create_service(f"{{{PARTNER}}}SoapBinding", f"{sim_url}Service.asmx")
    headers = [oauth_header(token)]
    simple_filter = zeep_client.get_type(f"{{{PARTNER}}}SimpleFilterPart")
    data_extension = zeep_client.get_type(f"{{{PARTNER}}}DataExtension")
    field_type = zeep_client.get_type(f"{{{PARTNER}}}DataExtensionField")

    # Retrieve with ContinueRequest paging ------------------------------------------------------
    properties = ["ObjectID", "Name", "FieldType", "MaxLength", "DataExtension.CustomerKey"]
    by_de = simple_filter(
        Property="DataExtension.CustomerKey", SimpleOperator="equals", Value=["zeep_bulk"]
    )
    first = service.Retrieve(
        RetrieveRequest={
            "ObjectType": "DataExtensionField",
            "Properties": properties,
            "Filter": by_de,
        },
        _soapheaders=headers,
    )
    assert first.OverallStatus == "MoreDataAvailable"
    assert len(first.Results) == 2500
    assert first.Results[0].Name == "Col0000"
    assert first.Results[0].FieldType == "Text"
    assert first.Results[0].MaxLength == 40
    assert first.Results[0].DataExtension.CustomerKey == "zeep_bulk"
    second = service.Retrieve(
        RetrieveRequest={
            "ObjectType": "DataExtensionField",
            "Properties": properties,
            "ContinueRequest": first.RequestID,
        },
        _soapheaders=headers,
    )
    assert second.OverallStatus == "OK"
    names = [r.Name for r in first.Results] + [r.Name for r in second.Results]
    assert names == [f"Col{i:04d}" for i in range(BULK_FIELDS)]

    # Create ------------------------------------------------------------------------------------
    folder = sim.store.root_folder(mids["qa"], "dataextension")
    assert folder is not None
    new_de = data_extension(
        CustomerKey="zeep_made",
        Name="Zeep Made",
        IsSendable=False,
        Fields={
            "Field": [
                field_type(Name="Id", FieldType="Number", IsPrimaryKey=True, IsRequired=True),
                field_type(Name="Label", FieldType="Text", MaxLength=80),
            ]
        },
        CategoryID=folder.id,
    )
    created = service.Create(Options={}, Objects=[new_de], _soapheaders=headers)
    assert created.OverallStatus == "OK"
    result = created.Results[0]
    assert result.StatusCode == "OK"
    assert result.StatusMessage == "Data Extension created."
    assert result.NewObjectID
    assert type(result.Object).__name__ == "DataExtension"
    assert [f.Name for f in result.Object.Fields.Field] == ["Id", "Label"]

    duplicate = service.Create(Options={}, Objects=[new_de], _soapheaders=headers)
    assert duplicate.OverallStatus == "Error"
    assert duplicate.Results[0].StatusCode == "Error"
    assert duplicate.Results[0].ErrorCode == 310007

    # Update ------------------------------------------------------------------------------------
    updated = service.Update(
        Options={},
        Objects=[data_extension(CustomerKey="zeep_made", Description="updated by zeep")],
        _soapheaders=headers,
    )
    assert updated.OverallStatus == "OK"
    assert updated.Results[0].Object.Description == "updated by zeep"

    found = service.Retrieve(
        RetrieveRequest={
            "ObjectType": "DataExtension",
            "Properties": ["CustomerKey", "Description", "CategoryID", "CreatedDate"],
            "Filter": simple_filter(
                Property="CustomerKey", SimpleOperator="equals", Value=["zeep_made"]
            ),
        },
        _soapheaders=headers,
    )
    assert [r.Description for r in found.Results] == ["updated by zeep"]
    assert found.Results[0].CategoryID == folder.id
    assert found.Results[0].CreatedDate is not None

    # Delete ------------------------------------------------------------------------------------
    deleted = service.Delete(
        Options={}, Objects=[data_extension(CustomerKey="zeep_made")], _soapheaders=headers
    )
    assert deleted.OverallStatus == "OK"
    assert deleted.Results[0].StatusMessage == "Data Extension deleted."
    assert sim.store.get_de(mids["qa"], customer_key="zeep_made") is None


def test_real_wsdl_served_with_simulator_address(sim_url: str, zeep_client: Client) -> None:
    """``/etframework.wsdl`` serves the real document with ``soap:address`` rewritten."""
    body = httpx.get(f"{sim_url}etframework.wsdl").content
    tree = etree.fromstring(body)
    locations = tree.xpath(
        "//soap:address/@location", namespaces={"soap": "http://schemas.xmlsoap.org/wsdl/soap/"}
    )
    assert locations == [f"{sim_url}Service.asmx"]
    assert len(body) > 200_000  # the real WSDL, not the minimal one
