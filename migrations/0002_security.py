"""Row-level security, composite foreign keys, grants, the append-only audit log and the
allow-listed SECURITY DEFINER lookups.

Why each piece exists (DESIGN.md, "Tenancy and security invariants"):
- Policies read the tenant context through ``quarry_current_*()`` helpers, which wrap
  ``NULLIF(current_setting(..., true), '')``: a pooled connection that once used the setting
  reads back ``''`` rather than NULL afterwards, and ``''::bigint`` would raise.
- RLS is ENABLED and FORCED, so even the owner of a table is subject to it.
- Foreign keys and unique constraints include ``tenant_id``: they are checked without
  policies, so a single-column key could be used to probe or reference another tenant's rows.
- Lookups that must run before a tenant is known are SECURITY DEFINER functions owned by
  ``quarry_lookup`` (NOLOGIN, SELECT-only, with a read-everything policy of its own) and with a
  pinned ``search_path``; the app role may only EXECUTE them.
- Roles are cluster-wide and are created by ``app.bootstrap`` before migrations run.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops

APP = "quarry_app"
SYSTEM = "quarry_system"
LOOKUP = "quarry_lookup"

TENANT_TABLES = ["tenants", "business_units", "users", "memberships", "api_tokens"]
BU_TABLES = ["mce_data_extensions"]

CONTEXT_FUNCTIONS = """
CREATE FUNCTION quarry_current_tenant() RETURNS bigint
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT NULLIF(current_setting('app.tenant_id', true), '')::bigint $$;
CREATE FUNCTION quarry_current_mid() RETURNS bigint
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT NULLIF(current_setting('app.mid', true), '')::bigint $$;
CREATE FUNCTION quarry_visible_mids() RETURNS bigint[]
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT COALESCE(
        string_to_array(NULLIF(current_setting('app.visible_mids', true), ''), ',')::bigint[],
        '{}'::bigint[]) $$;
"""

FOREIGN_KEYS = """
ALTER TABLE business_units ADD CONSTRAINT fk_business_units_tenant
    FOREIGN KEY (tenant_id) REFERENCES tenants (tenant_id) ON DELETE CASCADE;
ALTER TABLE users ADD CONSTRAINT fk_users_tenant
    FOREIGN KEY (tenant_id) REFERENCES tenants (tenant_id) ON DELETE CASCADE;
ALTER TABLE memberships ADD CONSTRAINT fk_memberships_user
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE;
ALTER TABLE memberships ADD CONSTRAINT fk_memberships_bu
    FOREIGN KEY (tenant_id, mid) REFERENCES business_units (tenant_id, mid) ON DELETE CASCADE;
ALTER TABLE api_tokens ADD CONSTRAINT fk_api_tokens_user
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE;
ALTER TABLE api_tokens ADD CONSTRAINT fk_api_tokens_bu
    FOREIGN KEY (tenant_id, mid) REFERENCES business_units (tenant_id, mid) ON DELETE CASCADE;
ALTER TABLE mce_data_extensions ADD CONSTRAINT fk_mce_data_extensions_bu
    FOREIGN KEY (tenant_id, mid) REFERENCES business_units (tenant_id, mid) ON DELETE CASCADE;
"""


def _tenant_policies(table: str) -> str:
    return f"""
ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;
ALTER TABLE {table} FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON {table} TO {APP}
    USING (tenant_id = quarry_current_tenant())
    WITH CHECK (tenant_id = quarry_current_tenant());
CREATE POLICY system_all ON {table} TO {SYSTEM} USING (true) WITH CHECK (true);
"""


def _bu_policies(table: str) -> str:
    return f"""
ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;
ALTER TABLE {table} FORCE ROW LEVEL SECURITY;
CREATE POLICY bu_isolation ON {table} TO {APP}
    USING (tenant_id = quarry_current_tenant()
           AND (mid = quarry_current_mid()
                OR (is_shared AND mid = ANY (quarry_visible_mids()))))
    WITH CHECK (tenant_id = quarry_current_tenant()
                AND (mid = quarry_current_mid() OR mid = ANY (quarry_visible_mids())));
CREATE POLICY system_all ON {table} TO {SYSTEM} USING (true) WITH CHECK (true);
"""


AUDIT = f"""
ALTER TABLE audit_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_events FORCE ROW LEVEL SECURITY;
CREATE POLICY audit_read ON audit_events FOR SELECT TO {APP}
    USING (tenant_id = quarry_current_tenant());
CREATE POLICY audit_insert ON audit_events FOR INSERT TO {APP}
    WITH CHECK (tenant_id IS NOT DISTINCT FROM quarry_current_tenant());
CREATE POLICY system_read ON audit_events FOR SELECT TO {SYSTEM} USING (true);
CREATE POLICY system_insert ON audit_events FOR INSERT TO {SYSTEM} WITH CHECK (true);
CREATE FUNCTION quarry_audit_is_append_only() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog
    AS $$ BEGIN
        RAISE EXCEPTION 'audit_events is append-only' USING ERRCODE = 'insufficient_privilege';
    END $$;
CREATE TRIGGER audit_events_no_update_delete BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION quarry_audit_is_append_only();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION quarry_audit_is_append_only();
"""

LOOKUPS = f"""
CREATE POLICY lookup_read ON tenants FOR SELECT TO {LOOKUP} USING (true);
CREATE POLICY lookup_read ON users FOR SELECT TO {LOOKUP} USING (true);
CREATE POLICY lookup_read ON api_tokens FOR SELECT TO {LOOKUP} USING (true);
GRANT SELECT ON tenants, users, api_tokens TO {LOOKUP};

CREATE FUNCTION quarry_lookup_tenant(p_tenant_id bigint)
    RETURNS TABLE (tenant_id bigint, name varchar, status varchar)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS $$ SELECT t.tenant_id, t.name, t.status FROM public.tenants t
          WHERE t.tenant_id = p_tenant_id $$;
CREATE FUNCTION quarry_lookup_user(p_tenant_id bigint, p_mce_user_id bigint)
    RETURNS TABLE (id uuid, tenant_id bigint)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS $$ SELECT u.id, u.tenant_id FROM public.users u
          WHERE u.tenant_id = p_tenant_id AND u.mce_user_id = p_mce_user_id $$;
CREATE FUNCTION quarry_lookup_api_token(p_token_hash varchar)
    RETURNS TABLE (id uuid, tenant_id bigint, user_id uuid, mid bigint, scope varchar,
                   expires_at timestamptz, revoked_at timestamptz)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS $$ SELECT a.id, a.tenant_id, a.user_id, a.mid, a.scope, a.expires_at, a.revoked_at
          FROM public.api_tokens a WHERE a.token_hash = p_token_hash $$;
"""

_LOOKUP_FUNCTIONS = [
    "quarry_lookup_tenant(bigint)",
    "quarry_lookup_user(bigint, bigint)",
    "quarry_lookup_api_token(varchar)",
]
# ALTER ... OWNER needs the new owner to hold CREATE on the schema at that moment only.
LOOKUP_OWNERSHIP = (
    f"GRANT CREATE ON SCHEMA public TO {LOOKUP};\n"
    + "\n".join(
        f"ALTER FUNCTION {fn} OWNER TO {LOOKUP};\n"
        f"REVOKE ALL ON FUNCTION {fn} FROM PUBLIC;\n"
        f"GRANT EXECUTE ON FUNCTION {fn} TO {APP};"
        for fn in _LOOKUP_FUNCTIONS
    )
    + f"\nREVOKE CREATE ON SCHEMA public FROM {LOOKUP};"
)

GRANTS = f"""
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO {APP}, {SYSTEM}, {LOOKUP};
GRANT SELECT, INSERT, UPDATE ON tenants TO {APP};
GRANT SELECT, INSERT, UPDATE, DELETE ON business_units, users, memberships, api_tokens,
    mce_data_extensions TO {APP};
GRANT SELECT, INSERT ON audit_events TO {APP};
GRANT USAGE ON SEQUENCE audit_events_id_seq TO {APP};
GRANT SELECT, INSERT, UPDATE, DELETE ON tenants, business_units, users, memberships,
    api_tokens, mce_data_extensions TO {SYSTEM};
GRANT SELECT, INSERT ON audit_events TO {SYSTEM};
GRANT USAGE ON SEQUENCE audit_events_id_seq TO {SYSTEM};
REVOKE ALL ON FUNCTION quarry_audit_is_append_only() FROM PUBLIC;
"""


class Migration(migrations.Migration):
    dependencies = [("models", "0001_initial")]

    operations = [
        ops.RunSQL(CONTEXT_FUNCTIONS),
        ops.RunSQL(FOREIGN_KEYS),
        *[ops.RunSQL(_tenant_policies(table)) for table in TENANT_TABLES],
        *[ops.RunSQL(_bu_policies(table)) for table in BU_TABLES],
        ops.RunSQL(AUDIT),
        ops.RunSQL(LOOKUPS),
        ops.RunSQL(LOOKUP_OWNERSHIP),
        ops.RunSQL(GRANTS),
    ]
