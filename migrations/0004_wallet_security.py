"""Security for the token wallet and support tokens (see 0002 for the reasons behind each kind
of statement): composite foreign keys, forced RLS with a tenant policy, grants, and the
allow-listed lookup of a support token by its hash.

``support_tokens`` carries no ``tenant_id``: the app role gets no grant on it at all and
reaches it only through ``quarry_lookup_support_token``.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops

APP = "quarry_app"
SYSTEM = "quarry_system"
LOOKUP = "quarry_lookup"

FOREIGN_KEYS = """
ALTER TABLE wallet_data_keys ADD CONSTRAINT fk_wallet_data_keys_tenant
    FOREIGN KEY (tenant_id) REFERENCES tenants (tenant_id) ON DELETE CASCADE;
ALTER TABLE wallet_entries ADD CONSTRAINT fk_wallet_entries_user
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE;
ALTER TABLE wallet_entries ADD CONSTRAINT fk_wallet_entries_bu
    FOREIGN KEY (tenant_id, mid) REFERENCES business_units (tenant_id, mid) ON DELETE CASCADE;
ALTER TABLE wallet_entries ADD CONSTRAINT fk_wallet_entries_data_key
    FOREIGN KEY (tenant_id, data_key_id) REFERENCES wallet_data_keys (tenant_id, id);
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


SUPPORT = f"""
ALTER TABLE support_tokens ENABLE ROW LEVEL SECURITY;
ALTER TABLE support_tokens FORCE ROW LEVEL SECURITY;
CREATE POLICY system_all ON support_tokens TO {SYSTEM} USING (true) WITH CHECK (true);
CREATE POLICY lookup_read ON support_tokens FOR SELECT TO {LOOKUP} USING (true);
GRANT SELECT ON support_tokens TO {LOOKUP};
GRANT CREATE ON SCHEMA public TO {LOOKUP};
CREATE FUNCTION quarry_lookup_support_token(p_token_hash varchar)
    RETURNS TABLE (id uuid, name varchar, expires_at timestamptz, revoked_at timestamptz)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    AS $$ SELECT s.id, s.name, s.expires_at, s.revoked_at FROM public.support_tokens s
          WHERE s.token_hash = p_token_hash $$;
ALTER FUNCTION quarry_lookup_support_token(varchar) OWNER TO {LOOKUP};
REVOKE ALL ON FUNCTION quarry_lookup_support_token(varchar) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION quarry_lookup_support_token(varchar) TO {APP};
REVOKE CREATE ON SCHEMA public FROM {LOOKUP};
"""

GRANTS = f"""
REVOKE ALL ON wallet_data_keys, wallet_entries, support_tokens FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE, DELETE ON wallet_data_keys, wallet_entries TO {APP};
GRANT SELECT, INSERT, UPDATE, DELETE ON wallet_data_keys, wallet_entries, support_tokens
    TO {SYSTEM};
"""


class Migration(migrations.Migration):
    dependencies = [("models", "0003_wallet_support")]

    operations = [
        ops.RunSQL(FOREIGN_KEYS),
        *[ops.RunSQL(_tenant_policies(t)) for t in ("wallet_data_keys", "wallet_entries")],
        ops.RunSQL(SUPPORT),
        ops.RunSQL(GRANTS),
    ]
