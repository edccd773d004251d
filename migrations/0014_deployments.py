"""Deployments of query activities to one BU or many (models/deployments.py, issue 15).

Both tables are per BU and take :func:`migrations._policies.bu_policies` (a context reads and
writes its own BU's rows; ``is_shared`` stays false: a deployment is never visible from a
child BU), composite foreign keys to ``business_units`` and ``users`` (a BU or a user going
takes their deployments with them), and grants to the app and system roles.

* ``deployments`` lives in the BU the request was made from. Its ``idempotency_key`` is unique
  per tenant, BU and user: a retried request finds the first one (``request_hash`` tells a
  reuse of the key for another request). ``target_mids`` lists the BUs it deploys to (the
  list filter reads it without opening every target's BU).
* ``deployment_targets`` lives in each target BU (``mid``) and points at its deployment by
  ``(tenant_id, deployment_id)``: foreign keys are checked without policies, so the row in
  the origin BU is found though the target's context cannot read it. One row per deployment
  and BU. The drift lookup (the newest succeeded row of an activity key in a BU) has its index.

The app role reads, inserts and updates, never deletes: the records are the history of what
was deployed where (a BU or user going cascades as the system does it).
"""

from __future__ import annotations

from tortoise import migrations
from tortoise.migrations import operations as ops

from migrations._policies import bu_policies

APP = "quarry_app"
SYSTEM = "quarry_system"
TABLES = ("deployments", "deployment_targets")

_DEPLOYMENT_STATUSES = "('PENDING', 'RUNNING', 'SUCCEEDED', 'PARTIAL', 'FAILED')"
_TARGET_STATUSES = "('PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'DRIFTED')"
_UPDATE_TYPES = "('Overwrite', 'Append', 'Update')"

CREATE_TABLES = f"""
CREATE TABLE IF NOT EXISTS deployments (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id bigint NOT NULL,
    mid bigint NOT NULL,
    is_shared boolean NOT NULL DEFAULT false,
    user_id uuid NOT NULL,
    api_token_id uuid,
    idempotency_key text NOT NULL,
    request_hash text NOT NULL,
    activity_key text NOT NULL,
    activity_name text NOT NULL,
    description text NOT NULL DEFAULT '',
    folder_path text NOT NULL DEFAULT '',
    sql_text text NOT NULL,
    sql_hash text NOT NULL,
    update_type text NOT NULL,
    target jsonb NOT NULL,
    automation jsonb,
    create_missing boolean NOT NULL DEFAULT false,
    force boolean NOT NULL DEFAULT false,
    findings jsonb NOT NULL DEFAULT '[]'::jsonb,
    target_mids bigint[] NOT NULL,
    status text NOT NULL DEFAULT 'PENDING',
    rollback_of uuid,
    attempts integer NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    CONSTRAINT fk_deployments_bu FOREIGN KEY (tenant_id, mid)
        REFERENCES business_units (tenant_id, mid) ON DELETE CASCADE,
    CONSTRAINT fk_deployments_user FOREIGN KEY (tenant_id, user_id)
        REFERENCES users (tenant_id, id) ON DELETE CASCADE,
    CONSTRAINT uid_deployments_tenant_id UNIQUE (tenant_id, id),
    CONSTRAINT uid_deployments_key UNIQUE (tenant_id, mid, user_id, idempotency_key),
    CONSTRAINT ck_deployments_status CHECK (status IN {_DEPLOYMENT_STATUSES}),
    CONSTRAINT ck_deployments_update_type CHECK (update_type IN {_UPDATE_TYPES}),
    CONSTRAINT ck_deployments_not_shared CHECK (NOT is_shared),
    CONSTRAINT ck_deployments_key_length CHECK (length(idempotency_key) BETWEEN 1 AND 200),
    CONSTRAINT ck_deployments_activity_key CHECK (length(activity_key) BETWEEN 1 AND 36),
    CONSTRAINT ck_deployments_targets CHECK (cardinality(target_mids) BETWEEN 1 AND 100),
    CONSTRAINT ck_deployments_attempts CHECK (attempts >= 0)
);
CREATE INDEX IF NOT EXISTS idx_deployments_history
    ON deployments (tenant_id, mid, user_id, created_at DESC, id DESC);

CREATE TABLE IF NOT EXISTS deployment_targets (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id bigint NOT NULL,
    mid bigint NOT NULL,
    is_shared boolean NOT NULL DEFAULT false,
    deployment_id uuid NOT NULL,
    origin_mid bigint NOT NULL,
    user_id uuid NOT NULL,
    status text NOT NULL DEFAULT 'PENDING',
    step text,
    activity_key text NOT NULL,
    activity_name text NOT NULL,
    sql_text text NOT NULL,
    sql_hash text NOT NULL,
    update_type text NOT NULL,
    target_key text NOT NULL,
    target_name text,
    target_shared boolean NOT NULL DEFAULT false,
    folder_id bigint,
    target_object_id text,
    target_created boolean NOT NULL DEFAULT false,
    target_create_sent_at timestamptz,
    target_deleted_at timestamptz,
    activity_object_id text,
    activity_created boolean NOT NULL DEFAULT false,
    activity_create_sent_at timestamptz,
    automation_id text,
    automation_key text,
    automation_status_id integer,
    automation_create_sent_at timestamptz,
    error_code text,
    error_message text,
    mce_warnings jsonb NOT NULL DEFAULT '[]'::jsonb,
    drift jsonb,
    attempts integer NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    started_at timestamptz,
    finished_at timestamptz,
    CONSTRAINT fk_deployment_targets_bu FOREIGN KEY (tenant_id, mid)
        REFERENCES business_units (tenant_id, mid) ON DELETE CASCADE,
    CONSTRAINT fk_deployment_targets_user FOREIGN KEY (tenant_id, user_id)
        REFERENCES users (tenant_id, id) ON DELETE CASCADE,
    CONSTRAINT fk_deployment_targets_deployment FOREIGN KEY (tenant_id, deployment_id)
        REFERENCES deployments (tenant_id, id) ON DELETE CASCADE,
    CONSTRAINT uid_deployment_targets_bu UNIQUE (tenant_id, deployment_id, mid),
    CONSTRAINT ck_deployment_targets_status CHECK (status IN {_TARGET_STATUSES}),
    CONSTRAINT ck_deployment_targets_update_type CHECK (update_type IN {_UPDATE_TYPES}),
    CONSTRAINT ck_deployment_targets_not_shared CHECK (NOT is_shared),
    CONSTRAINT ck_deployment_targets_attempts CHECK (attempts >= 0)
);
CREATE INDEX IF NOT EXISTS idx_deployment_targets_baseline
    ON deployment_targets (tenant_id, mid, lower(activity_key), finished_at DESC)
    WHERE status = 'SUCCEEDED';
"""

POLICIES = "".join(bu_policies(table) for table in TABLES)

GRANTS = f"""
REVOKE ALL ON {", ".join(TABLES)} FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE ON {", ".join(TABLES)} TO {APP};
GRANT SELECT, INSERT, UPDATE, DELETE ON {", ".join(TABLES)} TO {SYSTEM};
"""


class Migration(migrations.Migration):
    dependencies = [("models", "0013_target_de_requests")]

    initial = False

    operations = [
        ops.RunSQL(CREATE_TABLES),
        ops.RunSQL(POLICIES),
        ops.RunSQL(GRANTS),
    ]
