# ruff: noqa: F811 - fixtures are imported, then requested by name
"""The wizard through the GraphQL schema itself (its extensions, types and error handling):
a proposal's folder id and fields fed back into ``createTargetDataExtension``, the created DE
readable as a node, the same key answered again, user errors naming input fields, bad SQL as
findings, a junk or foreign ``mid`` or ``folderId``, a READ token refused. Real Postgres,
Redis, the wallet and the simulator over HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from schema import schema
from schema.context import GraphQLContext
from schema.global_ids import encode_global_id
from services.identity import Principal
from services.metadata.preview import MceAccess
from simulator.state import Simulator
from tests.fixtures import execute, graphql_context
from tests.services.target_des.conftest import (  # noqa: F401
    Synced,
    _shared_server,
    access,
    ahttp,
    http,
    kek_a,
    keys,
    member,
    provider,
    sim,
    sim_app,
    sim_tenant,
    sim_url,
    simctl,
    synced,
    wallet,
)
from tests.services.wallet.helpers import SimControl

pytestmark = pytest.mark.usefixtures("db")

PROPOSE = """query ($sql: String!, $name: String, $mid: String) {
  proposeTargetDataExtension(sql: $sql, name: $name, mid: $mid) {
    proposal {
      mid name nameReason customerKey customerKeyReason folderReason
      folder { id name }
      fields { name fieldType length precision scale nullable isPrimaryKey reason }
      primaryKey { fields reason }
      sendable { enabled field relationship reason }
      retention { suggested { length } reason options { setting { length unit mode } reason } }
      warnings { code field message }
    }
    findings { code severity range { start end } }
    userErrors { code field message }
  }
}"""
CREATE = """mutation ($input: CreateTargetDataExtensionInput!) {
  createTargetDataExtension(input: $input) {
    dataExtension {
      id mid name customerKey objectId folderId shared isSendable sendableField
      sendableRelationship retention { length unit mode resetOnImport }
      fields { name fieldType length precision scale isRequired isPrimaryKey }
    }
    replayed recovered
    warnings { code field }
    userErrors { code field message }
  }
}"""
NODE = "query ($id: ID!) { node(id: $id) { ... on DataExtension { name customerKey fieldCount } } }"
SQL = (
    "SELECT SubscriberKey, COUNT(*) AS OrderCount, SUM(Amount) AS Total"
    " FROM Orders GROUP BY SubscriberKey"
)


def context(synced: Synced, access: MceAccess, *, read_only: bool = False) -> GraphQLContext:
    principal = Principal(
        tenant_id=synced.tenant.tenant_id,
        mid=synced.parent,
        user_id=synced.member.user.id,
        read_only=read_only,
    )
    return graphql_context(principal, mce=access)


def _input(proposal: dict[str, Any], key: str, **changes: Any) -> dict[str, Any]:
    fields = [
        {
            "name": f["name"],
            "fieldType": f["fieldType"],
            "length": f["length"],
            "precision": f["precision"],
            "scale": f["scale"],
            "isRequired": not f["nullable"],
            "isPrimaryKey": f["isPrimaryKey"],
        }
        for f in proposal["fields"]
    ]
    sendable = proposal["sendable"]
    return {
        "idempotencyKey": key,
        "name": proposal["name"],
        "customerKey": proposal["customerKey"],
        "folderId": proposal["folder"]["id"],
        "fields": fields,
        "sendable": {"field": sendable["field"], "relationship": sendable["relationship"]}
        if sendable["enabled"]
        else None,
        **changes,
    }


async def test_propose_then_create_then_read_the_node(
    synced: Synced, access: MceAccess, sim: Simulator, simctl: SimControl
) -> None:
    ctx = context(synced, access)
    proposed = (await execute(ctx, PROPOSE, sql=SQL))["proposeTargetDataExtension"]
    assert proposed["userErrors"] == [] and proposed["findings"] == []
    proposal = proposed["proposal"]
    assert proposal["mid"] == str(synced.parent) and proposal["name"] == "Orders Summary"
    assert proposal["primaryKey"] == {
        "fields": ["SubscriberKey"],
        "reason": "One row per GROUP BY group.",
    }
    assert [(f["name"], f["fieldType"], f["isPrimaryKey"]) for f in proposal["fields"]] == [
        ("SubscriberKey", "TEXT", True),
        ("OrderCount", "NUMBER", False),
        ("Total", "DECIMAL", False),
    ]
    assert proposal["folder"]["name"] == "Sales"
    assert proposal["sendable"]["relationship"] == "SUBSCRIBER_KEY"
    assert len(proposal["retention"]["options"]) == 4

    retention = {"length": 2, "unit": "WEEKS", "mode": "ALL_ROWS", "resetOnImport": True}
    payload = (await execute(ctx, CREATE, input=_input(proposal, "gql-1", retention=retention)))[
        "createTargetDataExtension"
    ]
    assert payload["userErrors"] == [] and payload["warnings"] == []
    created = payload["dataExtension"]
    assert (created["name"], created["customerKey"]) == ("Orders Summary", "Orders_Summary")
    assert created["folderId"] == proposal["folder"]["id"] and created["isSendable"]
    assert created["retention"] == retention and created["sendableRelationship"] == "SUBSCRIBER_KEY"
    assert [f["isRequired"] for f in created["fields"]] == [True, True, False]
    de = sim.store.get_de(synced.parent, customer_key="Orders_Summary")
    assert de is not None and de.object_id == created["objectId"]
    node = (await execute(ctx, NODE, id=created["id"]))["node"]
    assert node == {"name": "Orders Summary", "customerKey": "Orders_Summary", "fieldCount": 3}

    calls = await simctl.count("soap.Create.DataExtension")
    again = (await execute(ctx, CREATE, input=_input(proposal, "gql-1", retention=retention)))[
        "createTargetDataExtension"
    ]
    assert again["replayed"] and again["dataExtension"] == created
    assert await simctl.count("soap.Create.DataExtension") == calls


async def test_user_errors_name_the_input_field(synced: Synced, access: MceAccess) -> None:
    ctx = context(synced, access)
    base = {
        "idempotencyKey": "gql-errors",
        "name": "Field Errors",
        "fields": [
            {"name": "Id", "fieldType": "NUMBER", "isPrimaryKey": True},
            {"name": "Note", "fieldType": "TEXT", "length": 0},
            {"name": "Amount", "fieldType": "DECIMAL", "precision": 5, "scale": 6},
            {"name": "Hidden", "fieldType": "TEXT", "length": 5000},
        ],
    }
    payload = (await execute(ctx, CREATE, input=base))["createTargetDataExtension"]
    assert payload["dataExtension"] is None
    assert {(e["code"], e["field"]) for e in payload["userErrors"]} == {
        ("LENGTH_INVALID", "fields.1.length"),
        ("SCALE_INVALID", "fields.2.scale"),
    }
    assert payload["warnings"] == [{"code": "LENGTH_TOO_LONG", "field": "fields.3.length"}]
    for changes, expected in (
        ({"folderId": "junk"}, ("FOLDER_NOT_FOUND", "folderId")),
        ({"folderId": encode_global_id("Snippet", "x")}, ("FOLDER_NOT_FOUND", "folderId")),
        ({"mid": "not-a-mid"}, ("INVALID_INPUT", "mid")),
        ({"mid": "999999999"}, ("NOT_FOUND", "mid")),
        ({"idempotencyKey": ""}, ("INVALID_INPUT", "idempotencyKey")),
    ):
        refused = await execute(
            ctx, CREATE, input={**base, **changes, "fields": base["fields"][:1]}
        )
        errors = refused["createTargetDataExtension"]["userErrors"]
        assert [(e["code"], e["field"]) for e in errors] == [expected], changes


async def test_bad_sql_and_bad_arguments_are_answered_not_raised(
    synced: Synced, access: MceAccess
) -> None:
    ctx = context(synced, access)
    bad = (await execute(ctx, PROPOSE, sql="SELECT Nope FROM Orders"))["proposeTargetDataExtension"]
    assert bad["proposal"] is None
    assert [(e["code"], e["field"]) for e in bad["userErrors"]] == [("INVALID_SQL", "sql")]
    assert bad["findings"][0]["code"] == "UNKNOWN_COLUMN"
    assert bad["findings"][0]["range"] == {"start": 7, "end": 11}
    for variables, expected in (
        ({"mid": "abc"}, ("INVALID_INPUT", "mid")),
        ({"mid": str(synced.parent + 1)}, ("NOT_FOUND", "mid")),
        ({"name": "n" * 1001}, ("INVALID_INPUT", "name")),
    ):
        answer = (await execute(ctx, PROPOSE, sql="SELECT 1 AS x", **variables))[
            "proposeTargetDataExtension"
        ]
        assert [(e["code"], e["field"]) for e in answer["userErrors"]] == [expected], variables
    child = await execute(ctx, PROPOSE, sql="SELECT OrderID FROM Orders", mid=str(synced.us))
    assert child["proposeTargetDataExtension"]["proposal"]["mid"] == str(synced.us)


async def test_a_read_only_token_cannot_create(synced: Synced, access: MceAccess) -> None:
    ctx = context(synced, access, read_only=True)
    result = await schema.execute(
        CREATE,
        variable_values={
            "input": {
                "idempotencyKey": "ro",
                "name": "Read Only",
                "fields": [{"name": "Id", "fieldType": "NUMBER"}],
            }
        },
        context_value=ctx,
    )
    assert result.errors and result.errors[0].extensions
    assert result.errors[0].extensions["code"] == "FORBIDDEN"
    proposal = await execute(ctx, PROPOSE, sql="SELECT OrderID FROM Orders")
    assert proposal["proposeTargetDataExtension"]["proposal"] is not None
