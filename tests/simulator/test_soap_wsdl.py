"""``/etframework.wsdl``: which document is served, and the hand-written minimal WSDL working
end to end with zeep (loaded from the simulator over HTTP)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from lxml import etree
from zeep import Client

from simulator.soap import wsdl
from simulator.state import Simulator
from tests.simulator.soap_helpers import bu_mids, issue_token, new_sim

PARTNER = "http://exacttarget.com/wsdl/partnerAPI"
SOAP_WSDL_NS = {"soap": "http://schemas.xmlsoap.org/wsdl/soap/"}


@pytest.fixture
def sim() -> Iterator[Simulator]:
    simulator = new_sim()
    yield simulator
    simulator.close()


def test_path_resolution_order(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("SIM_WSDL_PATH", raising=False)
    expected_default = (
        wsdl.REAL_WSDL_DEFAULT if wsdl.REAL_WSDL_DEFAULT.is_file() else wsdl.MINIMAL_WSDL
    )
    assert wsdl.wsdl_path(None) == expected_default
    custom = tmp_path / "custom.wsdl"
    monkeypatch.setenv("SIM_WSDL_PATH", str(custom))
    assert wsdl.wsdl_path(None) == custom

    class Config:
        wsdl_path = str(wsdl.MINIMAL_WSDL)

    assert wsdl.wsdl_path(Config()) == wsdl.MINIMAL_WSDL


def test_minimal_wsdl_is_served_and_usable_by_zeep(
    monkeypatch: pytest.MonkeyPatch, sim: Simulator, sim_url: str
) -> None:
    monkeypatch.setenv("SIM_WSDL_PATH", str(wsdl.MINIMAL_WSDL))
    response = httpx.get(f"{sim_url}ETFramework.wsdl")  # path is case-insensitive
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/xml")
    tree = etree.fromstring(response.content)
    assert tree.xpath("//soap:address/@location", namespaces=SOAP_WSDL_NS) == [
        f"{sim_url}Service.asmx"
    ]

    client = Client(f"{sim_url}etframework.wsdl")  # zeep fetches it over HTTP
    service: Any = client.service  # default binding address: the rewritten one
    token = issue_token(sim).token
    header = etree.Element("{http://exacttarget.com}fueloauth")
    header.text = token
    simple = client.get_type(f"{{{PARTNER}}}SimpleFilterPart")
    complex_ = client.get_type(f"{{{PARTNER}}}ComplexFilterPart")
    flt = complex_(
        LeftOperand=simple(
            Property="ContentType", SimpleOperator="equals", Value=["dataextension"]
        ),
        LogicalOperator="AND",
        RightOperand=simple(Property="ParentFolder.ID", SimpleOperator="equals", Value=["0"]),
    )
    reply = service.Retrieve(
        RetrieveRequest={
            "ObjectType": "DataFolder",
            "Properties": ["ID", "Name", "ParentFolder.ID", "Client.ID"],
            "Filter": flt,
            "QueryAllAccounts": True,
        },
        _soapheaders=[header],
    )
    assert reply.OverallStatus == "OK"
    assert {r.Name for r in reply.Results} == {"Data Extensions"}
    assert sorted(r.Client.ID for r in reply.Results) == sorted(bu_mids(sim).values())

    folder_type = client.get_type(f"{{{PARTNER}}}DataFolder")
    root = sim.store.root_folder(bu_mids(sim)["parent"], "dataextension")
    assert root is not None
    created = service.Create(
        Options={},
        Objects=[
            folder_type(
                Name="From minimal WSDL",
                ContentType="dataextension",
                ParentFolder=folder_type(ID=root.id),
            )
        ],
        _soapheaders=[header],
    )
    assert created.OverallStatus == "OK"
    assert created.Results[0].NewID > 0
    bus = service.Retrieve(
        RetrieveRequest={
            "ObjectType": "BusinessUnit",
            "Properties": ["ID", "Name"],
            "QueryAllAccounts": True,
        },
        _soapheaders=[header],
    )
    assert {type(r).__name__ for r in bus.Results} == {"BusinessUnit"}
    assert {r.AccountType for r in bus.Results} == {"ENTERPRISE_2", "BUSINESS_UNIT"}


def test_missing_configured_wsdl_is_a_plain_error(
    monkeypatch: pytest.MonkeyPatch, sim_url: str, tmp_path: Path
) -> None:
    monkeypatch.setenv("SIM_WSDL_PATH", str(tmp_path / "absent.wsdl"))
    response = httpx.get(f"{sim_url}etframework.wsdl")
    assert response.status_code == 500
    assert response.text == "WSDL not available."
