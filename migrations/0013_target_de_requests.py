"""Requests to create a target data extension, kept so a retry never creates a second one.

``createTargetDataExtension`` takes a client-supplied ``idempotencyKey``. Its first request
writes a row here BEFORE calling MCE (state ``PENDING`` with a short lease), and the row ends
``CREATED`` (the DE's key, ObjectID and the answer given) or ``FAILED`` (MCE refused it, with
the user errors given). A retry with the same key reads the row: a finished one is answered
as the first was; a ``PENDING`` one whose lease ran out (the first request died, or its answer
from MCE was lost) is taken over, and MCE is asked for the DE by its CustomerKey before any
create, so exactly one DE exists whatever happened to the first answer.

Per BU (:func:`migrations._policies.bu_policies`: a context reads and writes its own BU's rows;
``is_shared`` stays false), a composite foreign key to ``business_units`` and one to ``users``
(a user going takes their requests with them). The key is unique per tenant and user across
BUs, so the same key sent for another BU is a reuse the service can detect (the insert
conflicts with a row the context cannot see). The app role may read, insert and update, never
delete: the record is the proof that the DE was created once.
"""

from __future__ import annotations

from tortoise import migrations
from tortoise.migrations import operations as ops

from migrations._policies import bu_policies

APP = "quarry_app"
SYSTEM = "quarry_system"
TABLE = "target_de_requests"

CREATE_TABLE = f"""
CREATE TABLE IF NOT EXISTS {TABLE} (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id bigint NOT NULL,
    mid bigint NOT NULL,
    is_shared boolean NOT NULL DEFAULT false,
    user_id uuid NOT NULL,
    idempotency_key text NOT NULL,
    input_hash text NOT NULL,
    state text NOT NULL DEFAULT 'PENDING',
    name text NOT NULL,
    customer_key text NOT NULL,
    folder_id bigint,
    object_id text,
    outcome jsonb NOT NULL DEFAULT '{{}}'::jsonb,
    attempts integer NOT NULL DEFAULT 1,
    lease_until timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    CONSTRAINT fk_{TABLE}_bu FOREIGN KEY (tenant_id, mid)
        REFERENCES business_units (tenant_id, mid) ON DELETE CASCADE,
    CONSTRAINT fk_{TABLE}_user FOREIGN KEY (tenant_id, user_id)
        REFERENCES users (tenant_id, id) ON DELETE CASCADE,
    CONSTRAINT uid_{TABLE}_key UNIQUE (tenant_id, user_id, idempotency_key),
    CONSTRAINT ck_{TABLE}_state CHECK (state IN ('PENDING', 'CREATED', 'FAILED')),
    CONSTRAINT ck_{TABLE}_not_shared CHECK (NOT is_shared),
    CONSTRAINT ck_{TABLE}_key_length CHECK (length(idempotency_key) BETWEEN 1 AND 200),
    CONSTRAINT ck_{TABLE}_lease CHECK (state <> 'PENDING' OR lease_until IS NOT NULL),
    CONSTRAINT ck_{TABLE}_attempts CHECK (attempts >= 1)
);
"""

POLICIES = bu_policies(TABLE)

GRANTS = f"""
REVOKE ALL ON {TABLE} FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE ON {TABLE} TO {APP};
GRANT SELECT, INSERT, UPDATE, DELETE ON {TABLE} TO {SYSTEM};
"""


class Migration(migrations.Migration):
    dependencies = [("models", "0012_search_field_names")]

    initial = False

    operations = [
        ops.RunSQL(CREATE_TABLE),
        ops.RunSQL(POLICIES),
        ops.RunSQL(GRANTS),
    ]
