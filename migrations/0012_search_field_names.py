"""Search that stays bounded on big BUs: distinct field names per BU, and a staged ranking.

Why (docs/benchmarks.md, docs/decisions.md): in a BU of 50,000 DEs where ``EmailAddress`` is
a field of a quarter of them, 0010's function joined all ~12,000 matching fields to their DEs
and ranked every one to answer 20 (120-175 ms), and ranked every name, key and field match of
a query together before cutting the page (a name query 20-30 ms, a common prefix hundreds).

* ``mce_field_names``: each BU's distinct field names (``is_shared`` as their DEs are) with
  how many of its DEs have each (``de_count``). It is kept in step with
  ``mce_data_extension_fields`` by statement-level triggers (transition tables: one
  aggregate per INSERT/UPDATE/DELETE statement, in the writer's own transaction and RLS
  context), so every writer (the sync's batches, lazy loading, deletions, a BU's cascade)
  keeps it exact without knowing it exists. A field query matches this small table first.
* ``mce_name_words``: each BU's distinct words of DE names and keys (3 characters or more,
  with a letter; generated ``name_words``/``key_words`` arrays on the DEs, GIN-indexed), kept
  by a trigger on ``mce_data_extensions`` the same way. A typo (tier 4) is matched against
  these words with pg_trgm's ``<%``, then the DEs holding a close word are read through the
  array index: 0010 tested every name's trigrams (20-170 ms at 50,000 DEs).
* The search function ranks in stages, best first: for each tier (exact, prefix, word,
  substring, fuzzy) the name matches, then the customer keys, then the field names, each
  stage ordered (shorter DE names first, then by name, then id) and limited to what the page
  still needs, DEs already answered left out; it stops as soon as the page is full. A DE's
  first stage is its best match, so the ranking is exactly 0010's.
* A field stage's DEs: when the matching names are on few DEs (``de_count`` summed, at most
  :data:`DIRECT_FIELD_LIMIT`), those fields are read through the field name index and
  ranked; otherwise the BU's DEs are walked in ranking order (an index on ``(tenant_id,
  length(name), sort_name, id)``), each checked for one of the names through the field
  index, until the page is full: with many matching DEs, few are walked. Either way the work
  is bounded by the page, not by how common the field is.

Isolation is 0010's, unchanged: the function is ``SECURITY DEFINER``, owned by
``quarry_lookup`` (SELECT and a ``lookup_read`` policy on the three tables it reads, nothing
else), ``search_path = pg_catalog, pg_temp``, every object schema-qualified; it takes no
tenant, BU or user argument and reads them only from the transaction-local settings the
policies read, applying the ``bu_read`` rule to every table it reads (field names included).
``mce_field_names`` is a per-BU table with :func:`migrations._policies.bu_policies`, a
composite foreign key to ``business_units`` and the app's and system's grants.
"""

from __future__ import annotations

from tortoise import migrations
from tortoise.migrations import operations as ops

from migrations._policies import bu_policies

APP = "quarry_app"
SYSTEM = "quarry_system"
LOOKUP = "quarry_lookup"
TABLE = "mce_field_names"

FUZZY = 4
#: Above this many matching DEs a field stage walks the DEs in ranking order instead.
DIRECT_FIELD_LIMIT = 1_000

WORDS = "mce_name_words"


def _words(column: str) -> str:
    """The words of ``column``, lower-cased: split at anything not a letter or digit and at
    camelCase humps (the ranking's word rule); only words with a letter (typos in numbers
    mean nothing) of 3 characters or more (no trigram otherwise)."""
    return "public.quarry_search_words(" + column + ")"


WORDS_FUNCTION = """
CREATE OR REPLACE FUNCTION quarry_search_words(p_text text) RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $fn$
    SELECT coalesce(array_agg(DISTINCT w), '{}') FROM unnest(regexp_split_to_array(
        lower(regexp_replace(p_text, '([[:lower:][:digit:]])([[:upper:]])', '\\1 \\2', 'g')),
        '[^[:alnum:]]+')) AS w
     WHERE length(w) >= 3 AND w ~ '[[:alpha:]]'
$fn$;
"""

CREATE_TABLE = f"""
CREATE TABLE IF NOT EXISTS {TABLE} (
    tenant_id bigint NOT NULL,
    mid bigint NOT NULL,
    is_shared boolean NOT NULL DEFAULT false,
    name text NOT NULL,
    de_count integer NOT NULL,
    PRIMARY KEY (tenant_id, mid, is_shared, name),
    CONSTRAINT fk_{TABLE}_bu FOREIGN KEY (tenant_id, mid)
        REFERENCES business_units (tenant_id, mid) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS idx_{TABLE}_trgm ON {TABLE} USING gin (tenant_id, name public.gin_trgm_ops);
CREATE INDEX IF NOT EXISTS idx_{TABLE}_prefix ON {TABLE} (tenant_id, lower(name) text_pattern_ops);
CREATE TABLE IF NOT EXISTS {WORDS} (
    tenant_id bigint NOT NULL,
    mid bigint NOT NULL,
    is_shared boolean NOT NULL DEFAULT false,
    word text NOT NULL,
    de_count integer NOT NULL,
    PRIMARY KEY (tenant_id, mid, is_shared, word),
    CONSTRAINT fk_{WORDS}_bu FOREIGN KEY (tenant_id, mid)
        REFERENCES business_units (tenant_id, mid) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS idx_{WORDS}_trgm ON {WORDS} USING gin (tenant_id, word public.gin_trgm_ops);
ALTER TABLE mce_data_extensions ADD COLUMN IF NOT EXISTS name_words text[]
    GENERATED ALWAYS AS ({_words("name")}) STORED;
ALTER TABLE mce_data_extensions ADD COLUMN IF NOT EXISTS key_words text[]
    GENERATED ALWAYS AS ({_words("customer_key")}) STORED;
CREATE INDEX IF NOT EXISTS idx_mce_data_extensions_name_words
    ON mce_data_extensions USING gin (tenant_id, name_words);
CREATE INDEX IF NOT EXISTS idx_mce_data_extensions_key_words
    ON mce_data_extensions USING gin (tenant_id, key_words);
CREATE INDEX IF NOT EXISTS idx_mce_data_extensions_rank
    ON mce_data_extensions (tenant_id, length(name), sort_name, id);
CREATE INDEX IF NOT EXISTS idx_mce_data_extension_fields_de_name
    ON mce_data_extension_fields (tenant_id, data_extension_id, name);
"""

POLICIES = bu_policies(TABLE) + bu_policies(WORDS)

GRANTS = "".join(
    f"""
REVOKE ALL ON {table} FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO {APP};
GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO {SYSTEM};
CREATE POLICY lookup_read ON {table} FOR SELECT TO {LOOKUP} USING (true);
GRANT SELECT ON {table} TO {LOOKUP};
"""
    for table in (TABLE, WORDS)
)

# Counts move by statement: names added, then names whose count fell to zero removed. Rows
# are touched in name order, so two writers of one BU never deadlock on them.
MAINTENANCE = f"""
CREATE OR REPLACE FUNCTION quarry_field_names_maintain() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $fn$
BEGIN
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        UPDATE public.{TABLE} n SET de_count = n.de_count - o.cnt
          FROM (SELECT tenant_id, mid, is_shared, name, count(*)::integer AS cnt
                  FROM old_rows GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4) o
         WHERE n.tenant_id = o.tenant_id AND n.mid = o.mid AND n.is_shared = o.is_shared
           AND n.name = o.name;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO public.{TABLE} AS n (tenant_id, mid, is_shared, name, de_count)
        SELECT tenant_id, mid, is_shared, name, count(*)::integer
          FROM new_rows GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
        ON CONFLICT (tenant_id, mid, is_shared, name)
        DO UPDATE SET de_count = n.de_count + EXCLUDED.de_count;
    END IF;
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        DELETE FROM public.{TABLE} n USING (SELECT DISTINCT tenant_id, mid FROM old_rows) o
         WHERE n.tenant_id = o.tenant_id AND n.mid = o.mid AND n.de_count <= 0;
    END IF;
    RETURN NULL;
END
$fn$;
DROP TRIGGER IF EXISTS field_names_insert ON mce_data_extension_fields;
DROP TRIGGER IF EXISTS field_names_update ON mce_data_extension_fields;
DROP TRIGGER IF EXISTS field_names_delete ON mce_data_extension_fields;
CREATE TRIGGER field_names_insert AFTER INSERT ON mce_data_extension_fields
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION quarry_field_names_maintain();
CREATE TRIGGER field_names_update AFTER UPDATE ON mce_data_extension_fields
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION quarry_field_names_maintain();
CREATE TRIGGER field_names_delete AFTER DELETE ON mce_data_extension_fields
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION quarry_field_names_maintain();
"""

# The same for the words of DE names and keys; only rows whose name, key or sharing changed
# count (stamping a listing's generation costs one join and changes nothing).
WORDS_MAINTENANCE = f"""
CREATE OR REPLACE FUNCTION quarry_name_words_maintain() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    v_changed uuid[] := '{{}}';
BEGIN
    IF TG_OP = 'UPDATE' THEN
        SELECT coalesce(array_agg(n.id), '{{}}') INTO v_changed
          FROM new_rows n JOIN old_rows o ON o.id = n.id
         WHERE (o.name, o.customer_key, o.is_shared)
               IS DISTINCT FROM (n.name, n.customer_key, n.is_shared);
        IF cardinality(v_changed) = 0 THEN
            RETURN NULL;
        END IF;
    END IF;
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        UPDATE public.{WORDS} n SET de_count = n.de_count - o.cnt
          FROM (SELECT tenant_id, mid, is_shared, word, count(*)::integer AS cnt
                  FROM (SELECT DISTINCT r.id, r.tenant_id, r.mid, r.is_shared, w.word
                          FROM old_rows r, unnest(r.name_words || r.key_words) AS w(word)
                         WHERE r.id = ANY (v_changed) OR TG_OP = 'DELETE') x
                 GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4) o
         WHERE n.tenant_id = o.tenant_id AND n.mid = o.mid AND n.is_shared = o.is_shared
           AND n.word = o.word;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO public.{WORDS} AS n (tenant_id, mid, is_shared, word, de_count)
        SELECT tenant_id, mid, is_shared, word, count(*)::integer
          FROM (SELECT DISTINCT r.id, r.tenant_id, r.mid, r.is_shared, w.word
                  FROM new_rows r, unnest(r.name_words || r.key_words) AS w(word)
                 WHERE r.id = ANY (v_changed) OR TG_OP = 'INSERT') x
         GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
        ON CONFLICT (tenant_id, mid, is_shared, word)
        DO UPDATE SET de_count = n.de_count + EXCLUDED.de_count;
    END IF;
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        DELETE FROM public.{WORDS} n USING (SELECT DISTINCT tenant_id, mid FROM old_rows) o
         WHERE n.tenant_id = o.tenant_id AND n.mid = o.mid AND n.de_count <= 0;
    END IF;
    RETURN NULL;
END
$fn$;
DROP TRIGGER IF EXISTS name_words_insert ON mce_data_extensions;
DROP TRIGGER IF EXISTS name_words_update ON mce_data_extensions;
DROP TRIGGER IF EXISTS name_words_delete ON mce_data_extensions;
CREATE TRIGGER name_words_insert AFTER INSERT ON mce_data_extensions
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION quarry_name_words_maintain();
CREATE TRIGGER name_words_update AFTER UPDATE ON mce_data_extensions
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION quarry_name_words_maintain();
CREATE TRIGGER name_words_delete AFTER DELETE ON mce_data_extensions
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION quarry_name_words_maintain();
"""

BACKFILL = f"""
INSERT INTO {TABLE} (tenant_id, mid, is_shared, name, de_count)
SELECT tenant_id, mid, is_shared, name, count(*) FROM mce_data_extension_fields
 GROUP BY 1, 2, 3, 4
ON CONFLICT (tenant_id, mid, is_shared, name) DO UPDATE SET de_count = EXCLUDED.de_count;
INSERT INTO {WORDS} (tenant_id, mid, is_shared, word, de_count)
SELECT tenant_id, mid, is_shared, word, count(*) FROM (
    SELECT DISTINCT d.id, d.tenant_id, d.mid, d.is_shared, w.word
      FROM mce_data_extensions d, unnest(d.name_words || d.key_words) AS w(word)) x
 GROUP BY 1, 2, 3, 4
ON CONFLICT (tenant_id, mid, is_shared, word) DO UPDATE SET de_count = EXCLUDED.de_count;
"""

# The bu_read rule for table alias ``t`` (0010's), with the ENT. restriction.
_VISIBLE = (
    "{t}.tenant_id = v_tenant"
    " AND ({t}.mid = v_mid OR ({t}.is_shared AND {t}.mid = ANY (v_mids)))"
    " AND (NOT p_shared_only OR {t}.is_shared)"
)
_SEARCHABLE = (
    "d.fields_complete AND NOT d.is_quarry_asset"
    " AND NOT (p_hide_leftovers AND d.is_foreign_leftover)"
)
_WORD = (
    "lower(regexp_replace({col}, '([[:lower:][:digit:]])([[:upper:]])', '\\1 \\2', 'g')) ~ v_word"
)
_SUBSTRING = "{col} ILIKE '%' || v_like || '%' AND NOT lower({col}) LIKE v_like || '%'"
#: What a text must meet to match at each tier (0010's ``_TIER``, one tier at a time).
TIER_CONDITIONS = {
    0: "lower({col}) = v_lower",
    1: "lower({col}) LIKE v_like || '%' AND lower({col}) <> v_lower",
    2: f"{_SUBSTRING} AND {_WORD}",
    3: f"{_SUBSTRING} AND NOT ({_WORD})",
    4: "p_query OPERATOR(public.<%) {col} AND NOT {col} ILIKE '%' || v_like || '%'",
}
_ORDER = "ORDER BY length(d.name), d.sort_name, d.id LIMIT p_limit - v_count"


def _emit(source: str, tier: int, query: str) -> str:
    """Run ``query`` (rows ``id``, ``txt``, ``de_name``), answer its rows; stop when full."""
    return f"""
    FOR r IN {query} LOOP
        data_extension_id := r.id; matched_on := '{source}'; matched_text := r.txt;
        tier := {tier}; data_extension_name := r.de_name;
        RETURN NEXT;
        v_ids := v_ids || r.id;
        v_count := v_count + 1;
    END LOOP;
    IF v_count >= p_limit THEN RETURN; END IF;"""


def _de_stage(column: str, source: str, tier: int) -> str:
    condition = TIER_CONDITIONS[tier].format(col=f"d.{column}")
    prelude = ""
    if tier == FUZZY:
        # A typo is within a word: the BU's words close to the query (a small table), then
        # the DEs having one of them (a GIN array index), not every name's trigrams.
        words = "name_words" if column == "name" else "key_words"
        condition = f"d.{words} && v_words AND NOT d.{column} ILIKE '%' || v_like || '%'"
        prelude = f"""
    SELECT coalesce(array_agg(w.word), '{{}}') INTO v_words FROM public.{WORDS} w
     WHERE {_VISIBLE.format(t="w")} AND v_lower OPERATOR(public.<%) w.word;
    IF cardinality(v_words) > 0 THEN"""
    stage = _emit(
        source,
        tier,
        f"""SELECT d.id, d.{column}::text AS txt, d.name::text AS de_name
            FROM public.mce_data_extensions d
           WHERE {_VISIBLE.format(t="d")} AND {_SEARCHABLE}
             AND NOT d.id = ANY (v_ids) AND {condition}
           {_ORDER}""",
    )
    return f"{prelude}{stage}\n    END IF;" if prelude else stage


def _field_stage(tier: int) -> str:
    condition = TIER_CONDITIONS[tier].format(col="n.name")
    best_field = """SELECT f.name::text AS name FROM public.mce_data_extension_fields f
                 WHERE f.tenant_id = d.tenant_id AND f.data_extension_id = d.id
                   AND f.mid = d.mid AND f.name = ANY (v_names)
                 ORDER BY length(f.name), lower(f.name) LIMIT 1"""
    direct = f"""SELECT d.id, b.name AS txt, d.name::text AS de_name
            FROM (SELECT DISTINCT f.data_extension_id AS id, f.mid
                    FROM public.mce_data_extension_fields f
                   WHERE {_VISIBLE.format(t="f")}
                     AND lower(f.name) = ANY (v_lowers) AND f.name = ANY (v_names)) m
            JOIN public.mce_data_extensions d
              ON d.tenant_id = v_tenant AND d.mid = m.mid AND d.id = m.id
            CROSS JOIN LATERAL ({best_field}) b
           WHERE {_VISIBLE.format(t="d")} AND {_SEARCHABLE} AND NOT d.id = ANY (v_ids)
           {_ORDER}"""
    walk = f"""SELECT d.id, b.name AS txt, d.name::text AS de_name
            FROM public.mce_data_extensions d
            CROSS JOIN LATERAL ({best_field}) b
           WHERE {_VISIBLE.format(t="d")} AND {_SEARCHABLE} AND NOT d.id = ANY (v_ids)
           {_ORDER}"""
    return f"""
    SELECT coalesce(array_agg(n.name), '{{}}'), coalesce(array_agg(DISTINCT lower(n.name)), '{{}}'),
           coalesce(sum(n.de_count), 0)
      INTO v_names, v_lowers, v_total
      FROM public.{TABLE} n
     WHERE {_VISIBLE.format(t="n")} AND {condition};
    IF v_total > 0 THEN
        IF v_total <= {DIRECT_FIELD_LIMIT} THEN{_emit("FIELD", tier, direct)}
        ELSE{_emit("FIELD", tier, walk)}
        END IF;
    END IF;"""


def _stages(tiers: range) -> str:
    return "".join(
        _de_stage("name", "NAME", tier)
        + _de_stage("customer_key", "CUSTOMER_KEY", tier)
        + _field_stage(tier)
        for tier in tiers
    )


SEARCH_FUNCTION = f"""
DROP FUNCTION IF EXISTS quarry_search_data_extensions(text, integer, boolean, boolean);
CREATE FUNCTION quarry_search_data_extensions(
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
    v_count integer := 0;
    v_names text[];
    v_lowers text[];
    v_total bigint;
    v_words text[];
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
    -- Exact and prefix matches (btree indexes); under 3 characters nothing else (no trigram).
    {_stages(range(2))}
    IF length(p_query) < 3 THEN
        RETURN;
    END IF;
    -- Word, substring, then fuzzy matches (trigram indexes), each only if still needed.
    {_stages(range(2, 5))}
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
    dependencies = [("models", "0011_runs")]

    initial = False

    operations = [
        ops.RunSQL(WORDS_FUNCTION),
        ops.RunSQL(CREATE_TABLE),
        ops.RunSQL(POLICIES),
        ops.RunSQL(GRANTS),
        ops.RunSQL(MAINTENANCE),
        ops.RunSQL(WORDS_MAINTENANCE),
        ops.RunSQL(BACKFILL),
        ops.RunSQL(SEARCH_FUNCTION),
        ops.RunSQL(OWNERSHIP),
    ]
