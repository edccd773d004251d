"""Search over the metadata cache: trigram indexes and one SECURITY DEFINER search function.

Why a definer function (../shared/LIBRARIES.md, "PostgreSQL row-level security and search"):
under RLS, operators that are not LEAKPROOF (``ILIKE``, pg_trgm's ``%`` and ``<%``) are never
used as index conditions ahead of a policy's qual, so a trigram index goes unused for the app
role (129 ms at 50,000 DEs against 4.8 ms through a definer function). So
``quarry_search_data_extensions`` runs as ``quarry_lookup`` (NOLOGIN, SELECT-only, a
``lookup_read`` policy of its own on the two tables it reads) and applies the per-BU read rule
itself, exactly as the ``bu_read`` policy states it (migrations/_policies.py):
``tenant_id = quarry_current_tenant() AND (mid = quarry_current_mid() OR (is_shared AND mid =
ANY (quarry_visible_mids())))``. It takes no tenant, BU or user argument: only the
transaction-local settings the policies read, so without a context it returns nothing, and a
caller cannot name another tenant. Its ``search_path`` is pinned (``pg_catalog, pg_temp``);
every object it uses is schema-qualified, pg_trgm's operators included.

What it answers: at most ``p_limit`` DEs (complete ones only, never Quarry's own assets),
each once with its best match, ranked by tier (0 exact, 1 prefix, 2 a word of the text
starts with the query, 3 substring, 4 fuzzy: pg_trgm word similarity of at least 0.5, so one typo in a five-letter word still
matches), then by what matched
(name before customer key before a field name: a field match ranks under a name match of the
same tier), then shorter names first, then by name. ``p_shared_only`` restricts the answer
to shared DEs (a query written ``ENT.name``). Queries under 3 characters have no trigram: they
match exact and prefix only, through the btree ``lower(...) text_pattern_ops`` indexes.
services/metadata/search.py holds the Python half (the same tiers for data views, highlight
ranges) and documents the rules; tests/models/test_metadata_search.py proves the isolation.

Extensions are created idempotently (both are trusted extensions: the database owner may).
"""

from __future__ import annotations

from tortoise import migrations
from tortoise.migrations import operations as ops

APP = "quarry_app"
LOOKUP = "quarry_lookup"

SEARCHED_TABLES = ["mce_data_extensions", "mce_data_extension_fields"]

EXTENSIONS = """
CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;
CREATE EXTENSION IF NOT EXISTS btree_gin WITH SCHEMA public;
"""

INDEXES = """
CREATE INDEX IF NOT EXISTS idx_mce_data_extensions_name_trgm
    ON mce_data_extensions USING gin (tenant_id, name public.gin_trgm_ops);
CREATE INDEX IF NOT EXISTS idx_mce_data_extensions_key_trgm
    ON mce_data_extensions USING gin (tenant_id, customer_key public.gin_trgm_ops);
CREATE INDEX IF NOT EXISTS idx_mce_data_extension_fields_name_trgm
    ON mce_data_extension_fields USING gin (tenant_id, name public.gin_trgm_ops);
CREATE INDEX IF NOT EXISTS idx_mce_data_extensions_name_prefix
    ON mce_data_extensions (tenant_id, lower(name) text_pattern_ops);
CREATE INDEX IF NOT EXISTS idx_mce_data_extensions_key_prefix
    ON mce_data_extensions (tenant_id, lower(customer_key) text_pattern_ops);
CREATE INDEX IF NOT EXISTS idx_mce_data_extension_fields_name_prefix
    ON mce_data_extension_fields (tenant_id, lower(name) text_pattern_ops);
CREATE INDEX IF NOT EXISTS idx_mce_data_extensions_sort_name
    ON mce_data_extensions (tenant_id, sort_name, id);
CREATE INDEX IF NOT EXISTS idx_mce_folders_sort_name
    ON mce_folders (tenant_id, sort_name, id);
CREATE INDEX IF NOT EXISTS idx_mce_query_activities_sort_name
    ON mce_query_activities (tenant_id, sort_name, id);
"""

# The sidebar's lists are keyset-paged on (lower(name), id). Under RLS a condition is an index
# condition only when every function in it is LEAKPROOF: ``lower()`` and row comparisons are
# not, so ``(lower(name), id) > (...)`` was evaluated after the policy, scanning the BU's names
# from the start (50 ms at page 50 of 50,000 DEs). A stored lower-cased copy compared with
# ``text_ge``/``text_gt`` (LEAKPROOF) makes every page one index range scan.
SORT_NAMES = "".join(
    f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS sort_name text"
    " GENERATED ALWAYS AS (lower(name)) STORED;\n"
    for table in ("mce_folders", "mce_data_extensions", "mce_query_activities")
)

LOOKUP_ACCESS = "".join(
    f"CREATE POLICY lookup_read ON {table} FOR SELECT TO {LOOKUP} USING (true);\n"
    f"GRANT SELECT ON {table} TO {LOOKUP};\n"
    for table in SEARCHED_TABLES
)

# The visibility rule of the bu_read policy, for table alias ``t``.
_VISIBLE = (
    "{t}.tenant_id = v_tenant"
    " AND ({t}.mid = v_mid OR ({t}.is_shared AND {t}.mid = ANY (v_mids)))"
    " AND (NOT p_shared_only OR {t}.is_shared)"
)
# Which DEs a search may answer at all: complete ones (never a partial field list), never
# Quarry's own assets, other tools' leftovers only when asked for.
_SEARCHABLE = "d.fields_complete AND NOT d.is_quarry_asset AND NOT (p_hide_leftovers AND d.is_foreign_leftover)"

_TIER = """CASE
            WHEN lower(h.txt) = v_lower THEN 0
            WHEN lower(h.txt) LIKE v_like || '%' THEN 1
            WHEN lower(h.txt) LIKE '%' || v_like || '%' THEN
                CASE WHEN lower(regexp_replace(h.txt, '([[:lower:][:digit:]])([[:upper:]])',
                                               '\\1 \\2', 'g')) ~ v_word
                     THEN 2 ELSE 3 END
            ELSE 4 END"""

_RANKED_TEMPLATE = f"""
        SELECT b.id, b.src, b.txt, b.tier, b.de_name FROM (
            SELECT DISTINCT ON (s.id) s.id, s.src, s.txt, s.tier, s.src_rank, s.de_name
            FROM (
                SELECT h.id, h.src, h.txt, h.de_name,
                       CASE h.src WHEN 'NAME' THEN 0 WHEN 'CUSTOMER_KEY' THEN 1 ELSE 2 END
                           AS src_rank,
                       {_TIER} AS tier
                FROM hits h
            ) s
            ORDER BY s.id, s.tier, s.src_rank, length(s.txt), lower(s.txt)
        ) b
        ORDER BY b.tier, b.src_rank, length(b.de_name), lower(b.de_name), b.id
        LIMIT {{limit}}"""


def _ranked(limit: str) -> str:
    return _RANKED_TEMPLATE.replace("{limit}", limit)


def _hits(*, name: str, key: str, field: str, extra: str = "") -> str:
    """The candidate rows: DEs whose name, key or a field's name meets the condition (each
    written for the column ``{col}``), visible and searchable."""
    return f"""
        WITH hits AS (
            SELECT d.id, 'NAME'::text AS src, d.name::text AS txt, d.name::text AS de_name
            FROM public.mce_data_extensions d
            WHERE {_VISIBLE.format(t="d")}
              AND {_SEARCHABLE} {extra}
              AND {name.format(col="d.name")}
            UNION ALL
            SELECT d.id, 'CUSTOMER_KEY', d.customer_key::text, d.name::text
            FROM public.mce_data_extensions d
            WHERE {_VISIBLE.format(t="d")}
              AND {_SEARCHABLE} {extra}
              AND {key.format(col="d.customer_key")}
            UNION ALL
            SELECT d.id, 'FIELD', f.name::text, d.name::text
            FROM public.mce_data_extension_fields f
            JOIN public.mce_data_extensions d
              ON d.tenant_id = f.tenant_id AND d.mid = f.mid AND d.id = f.data_extension_id
            WHERE {_VISIBLE.format(t="f")} AND {_VISIBLE.format(t="d")}
              AND {_SEARCHABLE} {extra}
              AND {field.format(col="f.name")}
        )"""


_CONTAINS = "{col} ILIKE '%' || v_like || '%'"
_FUZZY = "(p_query OPERATOR(public.<%) {col} AND NOT {col} ILIKE '%' || v_like || '%')"
_STARTS = "lower({col}) LIKE v_like || '%'"
_PHASE_ONE = _hits(name=_CONTAINS, key=_CONTAINS, field=_CONTAINS) + _ranked("p_limit")
_PHASE_TWO = _hits(
    name=_FUZZY, key=_FUZZY, field=_FUZZY, extra="AND NOT d.id = ANY (v_ids)"
) + _ranked("p_limit - v_count")
_SHORT = _hits(name=_STARTS, key=_STARTS, field=_STARTS) + _ranked("p_limit")

SEARCH_FUNCTION = f"""
CREATE OR REPLACE FUNCTION quarry_search_data_extensions(
    p_query text, p_limit integer, p_shared_only boolean DEFAULT false,
    p_hide_leftovers boolean DEFAULT false)
    RETURNS TABLE (data_extension_id uuid, matched_on text, matched_text text, tier integer,
                   data_extension_name text)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    SET pg_trgm.word_similarity_threshold = 0.5
    SET plan_cache_mode = force_custom_plan
    AS $fn$
#variable_conflict use_column
DECLARE
    v_tenant bigint := public.quarry_current_tenant();
    v_mid bigint := public.quarry_current_mid();
    v_mids bigint[] := public.quarry_visible_mids();
    v_lower text := lower(p_query);
    v_like text := replace(replace(replace(lower(p_query), '\\', '\\\\'), '%', '\\%'), '_', '\\_');
    v_word text;
    v_ids uuid[] := '{{}}';
    v_count integer;
    r record;
BEGIN
    IF v_tenant IS NULL OR v_mid IS NULL OR p_query IS NULL OR length(p_query) = 0
            OR length(p_query) > 200 OR p_limit IS NULL OR p_limit < 1 THEN
        RETURN;
    END IF;
    p_limit := least(p_limit, 5000);
    p_shared_only := coalesce(p_shared_only, false);
    p_hide_leftovers := coalesce(p_hide_leftovers, false);
    -- A word starts after a character that is not a letter or digit, or at a camelCase hump
    -- (marked with a space first); the query's letters may straddle such humps.
    SELECT '(^|[^[:alnum:]])' || string_agg(
               CASE WHEN c ~ '[[:alnum:]]' THEN c ELSE '\\' || c END, ' ?' ORDER BY n)
      INTO v_word
      FROM regexp_split_to_table(v_lower, '') WITH ORDINALITY AS t(c, n);

    IF length(p_query) < 3 THEN
        RETURN QUERY {_SHORT};
        RETURN;
    END IF;
    -- Exact to substring first (trigram indexes, cheap); fuzzy matches rank after every one
    -- of those, so they are looked for only when those do not fill the answer.
    FOR r IN {_PHASE_ONE} LOOP
        data_extension_id := r.id;
        matched_on := r.src;
        matched_text := r.txt;
        tier := r.tier;
        data_extension_name := r.de_name;
        RETURN NEXT;
        v_ids := v_ids || r.id;
    END LOOP;
    v_count := coalesce(array_length(v_ids, 1), 0);
    IF v_count < p_limit THEN
        RETURN QUERY {_PHASE_TWO};
    END IF;
END
$fn$;
"""

_FUNCTION = "quarry_search_data_extensions(text, integer, boolean, boolean)"
# ALTER ... OWNER needs the new owner to hold CREATE on the schema at that moment only (0002).
OWNERSHIP = f"""
GRANT CREATE ON SCHEMA public TO {LOOKUP};
ALTER FUNCTION {_FUNCTION} OWNER TO {LOOKUP};
REVOKE CREATE ON SCHEMA public FROM {LOOKUP};
REVOKE ALL ON FUNCTION {_FUNCTION} FROM PUBLIC;
GRANT EXECUTE ON FUNCTION {_FUNCTION} TO {APP};
"""


class Migration(migrations.Migration):
    dependencies = [("models", "0009_metadata_cache")]

    initial = False

    operations = [
        ops.RunSQL(EXTENSIONS),
        ops.RunSQL(SORT_NAMES),
        ops.RunSQL(INDEXES),
        ops.RunSQL(LOOKUP_ACCESS),
        ops.RunSQL(SEARCH_FUNCTION),
        ops.RunSQL(OWNERSHIP),
    ]
