"""The SQL toolkit's catalogue reads the metadata cache: validateSql and sqlCompletions know
the BU's DEs and, as ``ENT.``, its parent's shared ones, and nothing a BU cannot see."""

from __future__ import annotations

import pytest

from resolvers.sql import sql_completions, validate_sql
from services.authn import Authentication
from services.identity import Principal
from services.sql_toolkit import FieldType, Purpose, catalog_for
from tests.factories import TenantFixture, make_tenant
from tests.models.metadata_seed import add_de, bu_context
from tsql.types import TableName

pytestmark = pytest.mark.usefixtures("db")

FIELDS = [("SubscriberKey", "Text"), ("EmailAddress", "EmailAddress"), ("Spend", "Decimal")]


async def _tenant() -> TenantFixture:
    tenant = await make_tenant("Catalogue")
    child_a, child_b = tenant.child_mids
    a = bu_context(tenant.tenant_id, child_a, tenant.parent_mid)
    parent = bu_context(tenant.tenant_id, tenant.parent_mid)
    await add_de(a, name="Customers", fields=FIELDS)
    await add_de(a, name="Customer Orders", fields=[("OrderID", "Number")])
    await add_de(a, name="Half Synced", fields=FIELDS, complete=False)
    await add_de(parent, name="Products", shared=True, fields=[("SKU", "Text")])
    await add_de(parent, name="Parent Only", fields=[("Secret", "Text")])
    await add_de(bu_context(tenant.tenant_id, child_b, tenant.parent_mid), name="Sibling")
    return tenant


def _auth(tenant: TenantFixture) -> Authentication:
    principal = Principal(
        tenant_id=tenant.tenant_id,
        mid=tenant.child_mids[0],
        user_id=tenant.user.id,
        parent_mid=tenant.parent_mid,
    )
    return Authentication(principal=principal)


async def test_lookup_reads_the_bus_des_with_their_columns() -> None:
    tenant = await _tenant()
    catalog = catalog_for(tenant.context(tenant.child_mids[0]))
    table = await catalog.lookup(TableName("customers"))
    assert table is not None and table.name == "Customers" and not table.shared
    assert [(c.name, c.field_type) for c in table.columns] == [
        ("SubscriberKey", FieldType.TEXT),
        ("EmailAddress", FieldType.EMAIL_ADDRESS),
        ("Spend", FieldType.DECIMAL),
    ]
    shared = await catalog.lookup(TableName("Products", shared=True))
    assert shared is not None and shared.shared and [c.name for c in shared.columns] == ["SKU"]
    for hidden in (
        TableName("Products"),
        TableName("Parent Only"),
        TableName("Parent Only", shared=True),
        TableName("Sibling"),
        TableName("Half Synced"),
    ):
        assert await catalog.lookup(hidden) is None, hidden


async def test_validation_knows_cached_des_and_their_columns() -> None:
    tenant = await _tenant()
    auth = _auth(tenant)
    good = await validate_sql(
        auth,
        sql="SELECT c.EmailAddress, p.SKU FROM Customers c JOIN ENT.Products p"
        " ON p.SKU = c.SubscriberKey",
        purpose=Purpose.QUERY_ACTIVITY,
    )
    assert good.valid, good.findings
    assert [(c.name, c.field_type) for c in good.columns] == [
        ("EmailAddress", FieldType.EMAIL_ADDRESS),
        ("SKU", FieldType.TEXT),
    ]
    column = await validate_sql(auth, sql="SELECT Nope FROM Customers", purpose=Purpose.RUN)
    assert [f.code for f in column.findings] == ["UNKNOWN_COLUMN"]
    for sql in ("SELECT Secret FROM [Parent Only]", "SELECT x FROM Sibling"):
        hidden = await validate_sql(auth, sql=sql, purpose=Purpose.RUN)
        assert "UNKNOWN_TABLE" in [f.code for f in hidden.findings], sql


async def test_completions_offer_cached_names() -> None:
    tenant = await _tenant()
    auth = _auth(tenant)
    sql = "SELECT * FROM Cust"
    completions = await sql_completions(auth, sql=sql, offset=len(sql), first=20)
    offered = {c.label: c.insert_text for c in completions}
    assert offered["Customers"] == "Customers"
    assert offered["Customer Orders"] == "[Customer Orders]"
    assert not {"Sibling", "Parent Only", "Half Synced"} & set(offered)
    columns_sql = "SELECT c. FROM Customers c"
    columns = await sql_completions(auth, sql=columns_sql, offset=len("SELECT c."), first=20)
    assert {"SubscriberKey", "EmailAddress", "Spend"} <= {c.label for c in columns}


async def test_search_for_completions_lists_and_finds_shared_names() -> None:
    tenant = await _tenant()
    catalog = catalog_for(tenant.context(tenant.child_mids[0]))
    listed = await catalog.search("", limit=10)
    assert [t.name for t in listed] == ["Customer Orders", "Customers", "Products"]
    assert [t.name for t in await catalog.search("prod", limit=10)] == ["Products"]
    assert (await catalog.search("prod", limit=10))[0].shared
    assert await catalog.search("Secret", limit=10) == []
