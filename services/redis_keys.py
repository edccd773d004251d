"""Every Redis key and channel the app uses, each built by one function.

Keys carry ids and hashes only: never a token, a session id or customer data. Secrets that
name a key (a session id, an OAuth state nonce) appear hashed, so reading Redis gives an
attacker nothing to replay.
"""

from __future__ import annotations

import hashlib
from uuid import UUID

PREFIX = "quarry"


def digest(secret: str) -> str:
    """The SHA-256 hex digest naming a secret in a key (never the secret itself)."""
    return hashlib.sha256(secret.encode()).hexdigest()


# ------------------------------------------------------------------ sessions
def session_key(id_hash: str) -> str:
    return f"{PREFIX}:session:{id_hash}"


def user_sessions_key(tenant_id: int, user_id: UUID) -> str:
    """The set of session id hashes of one user (purge, sign-out everywhere)."""
    return f"{PREFIX}:sessions:user:{tenant_id}:{user_id}"


def tenant_sessions_key(tenant_id: int) -> str:
    """The set of session id hashes in one tenant (uninstall)."""
    return f"{PREFIX}:sessions:tenant:{tenant_id}"


SESSION_ENDED_CHANNEL = f"{PREFIX}:events:session-ended"


# ------------------------------------------------------------------ API tokens
def api_token_used_key(token_id: UUID) -> str:
    """Set for a minute after a token's ``last_used_at`` is written (one write a minute)."""
    return f"{PREFIX}:api-token-used:{token_id}"


#: Carries the id of a revoked API token, so open websockets using it close at once.
API_TOKEN_REVOKED_CHANNEL = f"{PREFIX}:events:api-token-revoked"


# ------------------------------------------------------------------ sign-in
def oauth_state_key(nonce_hash: str) -> str:
    return f"{PREFIX}:oauth-state:{nonce_hash}"


def legacy_jti_key(jti_hash: str) -> str:
    return f"{PREFIX}:legacy-jti:{jti_hash}"


def oauth_code_key(code_hash: str) -> str:
    """A code already presented to the callback (MCE codes are single-use)."""
    return f"{PREFIX}:oauth-code:{code_hash}"


# ------------------------------------------------------------------ rate limits
def rate_limit_key(bucket: str, subject: str, window: int) -> str:
    return f"{PREFIX}:rate:{bucket}:{subject}:{window}"


# ------------------------------------------------------------------ token wallet
def access_token_key(tenant_id: int, mid: int, user_id: UUID) -> str:
    """An MCE access token, encrypted with the tenant's wallet key, with a TTL."""
    return f"{PREFIX}:wallet:access:{tenant_id}:{mid}:{user_id}"


def access_token_pattern(tenant_id: int, user_id: UUID | None = None) -> str:
    """SCAN pattern of :func:`access_token_key`: every BU's token of one user, or every
    token of the tenant (purge, uninstall)."""
    return f"{PREFIX}:wallet:access:{tenant_id}:*" + (f":{user_id}" if user_id is not None else "")


def refresh_lock_key(tenant_id: int, user_id: UUID, mid: int | None = None) -> str:
    """Single-flight refresh of one lineage across processes: per (tenant, user) for the
    enhanced lineage, per (tenant, user, BU) for a legacy entry (``mid`` given)."""
    if mid is None:
        return f"{PREFIX}:wallet:refresh-lock:{tenant_id}:{user_id}"
    return f"{PREFIX}:wallet:refresh-lock:{tenant_id}:{user_id}:legacy:{mid}"


# ------------------------------------------------------------------ metadata sync (issue 13)
def metadata_sync_lock_key(tenant_id: int, mid: int, scope: str) -> str:
    """Held while a sync of one BU's ``scope`` (own | shared) runs: a second request joins."""
    return f"{PREFIX}:metadata:lock:{tenant_id}:{mid}:{scope}"


def metadata_progress_key(tenant_id: int, mid: int) -> str:
    """A short stream of "this BU's sync state changed" notices (no state, nothing secret)."""
    return f"{PREFIX}:metadata:progress:{tenant_id}:{mid}"


#: Held by the one metadata scheduler of the deployment (services/metadata/scheduler.py).
METADATA_SCHEDULER_LOCK_KEY = f"{PREFIX}:metadata:scheduler"


# ------------------------------------------------------------------ runs (issue 14)
def run_events_key(run_id: UUID | str) -> str:
    """A run's event stream (status changes, counts, columns, errors: never rows or tokens)."""
    return f"{PREFIX}:run:events:{run_id}"


def event_hub_wake_key(hub_id: str) -> str:
    """One process's event hub's wake-up stream (services/streams.py): a new follower writes
    to it so the hub's blocking read returns and the next one includes its stream."""
    return f"{PREFIX}:run:events:hub:{hub_id}"


def preflight_probe_key(run_id: UUID | str) -> str:
    """A pre-flight probe's record, by its run: what it measures and, once read, its report
    (counts and lengths: never a row, the SQL or a token)."""
    return f"{PREFIX}:preflight:probe:{run_id}"


def deployment_events_key(deployment_id: UUID | str) -> str:
    """A deployment's progress stream (replayable from a cursor; no secret, no row)."""
    return f"{PREFIX}:deploy:events:{deployment_id}"


def deployment_slots_key(tenant_id: int) -> str:
    """A tenant's BUs being deployed at once, across workers (a sorted set of leases)."""
    return f"{PREFIX}:deploy:slots:{int(tenant_id)}"
