"""``mce_field_names`` (migrations/0012) follows the fields whatever writes them, stays per
BU under RLS, and the search's two field paths (few DEs: read and ranked; many: walked in
ranking order) answer the same ranking and nothing the context cannot see."""

from __future__ import annotations

import asyncpg
import pytest

from models import TenantContext, TenantRepository
from tests.factories import make_tenant
from tests.models.metadata_seed import add_de, bu_context

pytestmark = pytest.mark.usefixtures("db")

SEARCH = (
    "SELECT data_extension_id, matched_on, matched_text, tier, data_extension_name"
    " FROM quarry_search_data_extensions($1, $2, false, false)"
)


async def _names(ctx: TenantContext) -> dict[tuple[str, bool], int]:
    rows = await TenantRepository(ctx).fetch(
        "SELECT name, is_shared, de_count FROM mce_field_names", []
    )
    return {(row["name"], row["is_shared"]): row["de_count"] for row in rows}


async def test_counts_follow_inserts_updates_and_deletes() -> None:
    acme = await make_tenant("FieldNamesCounts")
    ctx = acme.context(acme.child_mids[0])
    first = await add_de(ctx, name="One", fields=[("EmailAddress", "EmailAddress"), ("Id", "Text")])
    await add_de(ctx, name="Two", fields=[("EmailAddress", "EmailAddress")])
    assert await _names(ctx) == {("EmailAddress", False): 2, ("Id", False): 1}
    repo = TenantRepository(ctx)
    await repo.fetch(
        "UPDATE mce_data_extension_fields SET name = 'Key' WHERE data_extension_id = $1"
        " AND name = 'Id'",
        [first],
    )
    assert await _names(ctx) == {("EmailAddress", False): 2, ("Key", False): 1}
    await repo.fetch("DELETE FROM mce_data_extension_fields WHERE data_extension_id = $1", [first])
    assert await _names(ctx) == {("EmailAddress", False): 1}


async def test_names_are_read_per_bu_like_the_fields() -> None:
    """A child reads its own names and its parent's shared ones; a sibling's, the parent's
    private ones and another tenant's never."""
    acme, other = await make_tenant("FieldNamesAcme"), await make_tenant("FieldNamesOther")
    child_a, child_b = acme.child_mids
    parent = bu_context(acme.tenant_id, acme.parent_mid)
    await add_de(parent, name="P", fields=[("ParentPrivate", "Text")])
    await add_de(parent, name="S", shared=True, fields=[("ParentShared", "Text")])
    await add_de(acme.context(child_b), name="B", fields=[("Sibling", "Text")])
    await add_de(other.context(other.child_mids[0]), name="F", fields=[("Foreign", "Text")])
    await add_de(acme.context(child_a), name="A", fields=[("Own", "Text")])
    assert await _names(acme.context(child_a)) == {("Own", False): 1, ("ParentShared", True): 1}


async def test_a_common_field_walks_des_in_ranking_order(
    admin_conn: asyncpg.Connection,
) -> None:
    """1,200 DEs with ``EmailAddress`` (over the direct path's limit) and 30 with ``Rare``:
    both paths answer the DEs with the field, shorter names first, then by name; another
    BU's and another tenant's DEs with the same field never."""
    acme, other = await make_tenant("FieldWalk"), await make_tenant("FieldWalkOther")
    mid = acme.child_mids[0]
    ctx = acme.context(mid)
    for tenant_id, bu, count in (
        (acme.tenant_id, mid, 1_200),
        (acme.tenant_id, acme.child_mids[1], 50),
        (other.tenant_id, other.child_mids[0], 50),
    ):
        # Seeded as the owner (1,200 DEs one by one would be slow); the trigger still runs.
        await admin_conn.execute(
            "INSERT INTO mce_data_extensions (id, tenant_id, mid, is_shared, object_id,"
            " customer_key, name, is_sendable, fields_complete, field_count, created_at,"
            " synced_at) SELECT gen_random_uuid(), $1, $2, false, 'o' || n, 'k' || n,"
            " 'Walk' || lpad(n::text, (n % 3) + 4, '0'), false, true, 1, now(), now()"
            " FROM generate_series(1, $3) n",
            tenant_id,
            bu,
            count,
        )
        await admin_conn.execute(
            "INSERT INTO mce_data_extension_fields (id, tenant_id, mid, is_shared,"
            " data_extension_id, name, field_type, ordinal, is_primary_key, is_required,"
            " created_at) SELECT gen_random_uuid(), tenant_id, mid, false, id,"
            " CASE WHEN customer_key IN ('k3', 'k7') OR right(customer_key, 2) = '00'"
            " THEN 'Rare' ELSE 'EmailAddress' END, 'Text', 0, false, false, now()"
            " FROM mce_data_extensions WHERE tenant_id = $1 AND mid = $2",
            tenant_id,
            bu,
        )
    await admin_conn.execute("ANALYZE mce_data_extensions")
    expected = await admin_conn.fetch(
        "SELECT d.id, d.name, f.name AS field FROM mce_data_extensions d"
        " JOIN mce_data_extension_fields f ON f.data_extension_id = d.id"
        " WHERE d.tenant_id = $1 AND d.mid = $2 ORDER BY length(d.name), lower(d.name), d.id",
        acme.tenant_id,
        mid,
    )
    repo = TenantRepository(ctx)
    for query, tier in (("EmailAddress", 0), ("Address", 2), ("Rare", 0)):
        field = "Rare" if query == "Rare" else "EmailAddress"
        wanted = [row["id"] for row in expected if row["field"] == field][:25]
        rows = await repo.fetch(SEARCH, [query, 25])
        assert [row["data_extension_id"] for row in rows] == wanted
        assert {(row["matched_on"], row["matched_text"], row["tier"]) for row in rows} == {
            ("FIELD", field, tier)
        }


async def _words(ctx: TenantContext) -> dict[str, int]:
    rows = await TenantRepository(ctx).fetch("SELECT word, de_count FROM mce_name_words", [])
    return {row["word"]: row["de_count"] for row in rows}


async def test_name_words_follow_renames_and_deletes_and_find_typos() -> None:
    """Words of names and keys (camelCase humps and separators split; numbers and words under
    3 characters left out) follow the DEs; a typo of a word finds the DEs with that word,
    a stamp of the sync's generation leaves the counts alone."""
    acme = await make_tenant("NameWords")
    ctx = acme.context(acme.child_mids[0])
    first = await add_de(ctx, name="NewsletterSubscribers_2024", key="nl-key")
    await add_de(ctx, name="Newsletter Opens", key="op-key")
    assert await _words(ctx) == {"newsletter": 2, "subscribers": 1, "opens": 1, "key": 2}
    repo = TenantRepository(ctx)
    found = await repo.fetch(SEARCH, ["Newsleter", 10])
    assert {(row["matched_on"], row["tier"]) for row in found} == {("NAME", 4)}
    assert len(found) == 2
    await repo.fetch("UPDATE mce_data_extensions SET seen_generation = 5 WHERE id = $1", [first])
    await repo.fetch("UPDATE mce_data_extensions SET name = 'Weekly Orders' WHERE id = $1", [first])
    assert await _words(ctx) == {"newsletter": 1, "weekly": 1, "orders": 1, "opens": 1, "key": 2}
    await repo.fetch("DELETE FROM mce_data_extensions WHERE id = $1", [first])
    assert await _words(ctx) == {"newsletter": 1, "opens": 1, "key": 1}
    assert [row["data_extension_name"] for row in await repo.fetch(SEARCH, ["Ordres", 10])] == []
