"""Query activities through zeep on the real MCE WSDL, against the simulator over HTTP.

zeep builds the QueryDefinition create, the Perform and the AsyncActivityStatus retrieve from the
real schema and parses every reply with it (strict), so the simulator's XML for these is what a
WSDL-driven MCE client reads. Same rules as ``test_soap_zeep``: the WSDL stays beside the
repository; without it the test skips, unless ``CI`` is set.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from zeep import Client

from simulator.state import Simulator
from tests.simulator.conftest import make_sim
from tests.simulator.soap_helpers import issue_token
from tests.simulator.test_soap_zeep import (
    PARTNER,
    WSDL,
    LocalFaultSchemaTransport,
    _require_wsdl,
    oauth_header,
)


@pytest.fixture
def sim() -> Iterator[Simulator]:
    simulator = make_sim()
    yield simulator
    simulator.close()


@pytest.fixture
def zeep_client() -> Client:
    _require_wsdl()
    return Client(str(WSDL), transport=LocalFaultSchemaTransport())


def test_query_activity_through_the_real_wsdl(
    sim: Simulator, sim_url: str, zeep_client: Client
) -> None:
    token = issue_token(sim, "ada.admin").token
    service: Any = zeep_client.create_service(f"{{{PARTNER}}}SoapBinding", f"{sim_url}Service.asmx")
    headers = [oauth_header(token)]
    query_type = zeep_client.get_type(f"{{{PARTNER}}}QueryDefinition")
    target_type = zeep_client.get_type(f"{{{PARTNER}}}InteractionBaseObject")
    simple_filter = zeep_client.get_type(f"{{{PARTNER}}}SimpleFilterPart")
    eid = sim.store.enterprise.eid
    folder = sim.store.root_folder(eid, "queryactivity")
    assert folder is not None

    # Create ----------------------------------------------------------------------------------
    query = query_type(
        CustomerKey="zeep_query",
        Name="Zeep Query",
        Description="made by zeep",
        QueryText="SELECT SubscriberKey, EmailAddress FROM Subscribers WHERE OptIn = 1",
        TargetType="DE",
        DataExtensionTarget=target_type(
            CustomerKey="active_subscribers", Name="Active Subscribers"
        ),
        TargetUpdateType="Overwrite",
        CategoryID=folder.id,
    )
    created = service.Create(Options={}, Objects=[query], _soapheaders=headers)
    assert created.OverallStatus == "OK"
    result = created.Results[0]
    assert result.StatusCode == "OK"
    object_id = result.NewObjectID
    assert object_id
    assert type(result.Object).__name__ == "QueryDefinition"
    assert result.Object.DataExtensionTarget.CustomerKey == "active_subscribers"

    refused = service.Create(
        Options={},
        Objects=[
            query_type(
                CustomerKey="zeep_bad",
                Name="Zeep Bad",
                QueryText="SELECT SubscriberKey FROM Subscribers; SELECT 1",
                TargetType="DE",
                DataExtensionTarget=target_type(CustomerKey="active_subscribers"),
                TargetUpdateType="Overwrite",
            )
        ],
        _soapheaders=headers,
    )
    assert refused.OverallStatus == "Error"
    assert "';'" in refused.Results[0].StatusMessage

    # Retrieve --------------------------------------------------------------------------------
    found = service.Retrieve(
        RetrieveRequest={
            "ObjectType": "QueryDefinition",
            "Properties": [
                "ObjectID",
                "CustomerKey",
                "Name",
                "QueryText",
                "TargetUpdateType",
                "DataExtensionTarget.Name",
                "CategoryID",
                "Status",
            ],
            "Filter": simple_filter(
                Property="CustomerKey", SimpleOperator="equals", Value=["zeep_query"]
            ),
        },
        _soapheaders=headers,
    )
    assert found.OverallStatus == "OK"
    (retrieved,) = found.Results
    assert retrieved.ObjectID == object_id
    assert retrieved.DataExtensionTarget.Name == "Active Subscribers"
    assert retrieved.CategoryID == folder.id
    assert retrieved.Status == "Active"

    # Perform ---------------------------------------------------------------------------------
    performed = service.Perform(
        Action="Start",
        Definitions={"Definition": [query_type(ObjectID=object_id)]},
        _soapheaders=headers,
    )
    assert performed.OverallStatus == "OK"
    perform_result = performed.Results.Result[0]
    assert perform_result.StatusMessage == "QueryDefinition perform called successfully"
    task_id = perform_result.Task.ID
    assert task_id
    assert perform_result.Task.InteractionObjectID == object_id

    # AsyncActivityStatus ---------------------------------------------------------------------
    status = service.Retrieve(
        RetrieveRequest={
            "ObjectType": "AsyncActivityStatus",
            "Properties": ["Status", "ErrorMsg", "CompletedDate", "TaskID"],
            "Filter": simple_filter(Property="TaskID", SimpleOperator="equals", Value=[task_id]),
        },
        _soapheaders=headers,
    )
    assert status.OverallStatus == "OK"
    (row,) = status.Results
    assert type(row).__name__ == "ObjectExtension"
    assert row.Type == "AsyncActivityStatus"
    values = {p.Name: p.Value for p in row.Properties.Property}
    assert values["Status"] == "Complete"
    assert values["TaskID"] == task_id
    assert values["CompletedDate"]
    target = sim.store.get_de(eid, customer_key="active_subscribers")
    assert target is not None and sim.rows.count(target) > 0
