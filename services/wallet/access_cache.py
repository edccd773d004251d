"""MCE access tokens shared between processes: in Redis, encrypted, with a TTL.

Why: every API process and every RQ work-horse needs the same user's access token, and
fetching a new one spends the refresh token, so tokens are shared through Redis rather than
kept per process. A Redis dump must not hand out bearer tokens, so each value is sealed with
the tenant's active data key (AES-GCM; associated data naming purpose, tenant, BU, user and
key), and its TTL ends a safety margin before the token does. The value names its data key;
a value under a retired key, or one that does not open, is treated as absent and deleted.

Value: ``0x01 | data key id (16 bytes) | sealed JSON {"t": token, "e": expiry epoch}``.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta
from uuid import UUID

from redis.asyncio import Redis

from client.secret import Secret
from client.tokens import AccessToken
from models import TenantRepository
from services.redis_keys import access_token_key, access_token_pattern
from services.wallet.crypto import Purpose, associated_data, open_sealed, seal
from services.wallet.data_keys import DataKey, DataKeyring
from services.wallet.errors import WalletDecryptError, WalletKeyError

__all__ = ["AccessTokenCache", "CachedAccessToken", "delete_access_tokens"]

_VERSION = b"\x01"
_HEADER = 1 + 16

# Delete the key only if it still holds the value we judged stale (another process may
# have stored a fresh token meanwhile).
_DELETE_IF_SAME = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class CachedAccessToken:
    """A cached token and the raw value it was read from (for compare-and-delete)."""

    __slots__ = ("raw", "token")

    def __init__(self, token: AccessToken, raw: bytes) -> None:
        self.token = token
        self.raw = raw


class AccessTokenCache:
    """Encrypted access tokens in Redis, keyed by (tenant, BU, user)."""

    def __init__(self, *, redis: Redis, keyring: DataKeyring, safety_margin: timedelta) -> None:
        self.redis = redis
        self.keyring = keyring
        self.safety_margin = safety_margin

    def usable(self, token: AccessToken) -> bool:
        return token.expires_at - self.safety_margin > datetime.now(UTC)

    async def get(
        self, repo: TenantRepository, *, mid: int, user_id: UUID
    ) -> CachedAccessToken | None:
        """The cached token if present, readable and not about to expire."""
        name = access_token_key(repo.ctx.tenant_id, mid, user_id)
        raw = await self.redis.get(name)
        if raw is None:
            return None
        raw = bytes(raw)
        token = await self._open(repo, raw, mid=mid, user_id=user_id)
        if token is None or not self.usable(token):
            await self._delete_if_same(name, raw)
            return None
        return CachedAccessToken(token, raw)

    async def put(
        self, repo: TenantRepository, *, mid: int, user_id: UUID, token: AccessToken
    ) -> bool:
        """Cache ``token`` until the safety margin before it expires; False if too short-lived."""
        ttl = math.floor(
            (token.expires_at - self.safety_margin - datetime.now(UTC)).total_seconds()
        )
        if ttl < 1:
            return False
        async with repo.transaction():
            key = await self.keyring.active_for_write(repo)
        payload = json.dumps(
            {"t": token.value.reveal(), "e": token.expires_at.timestamp()}, separators=(",", ":")
        ).encode()
        ad = _ad(key, tenant_id=repo.ctx.tenant_id, mid=mid, user_id=user_id)
        value = _VERSION + key.id.bytes + seal(key.key, payload, ad=ad)
        await self.redis.set(access_token_key(repo.ctx.tenant_id, mid, user_id), value, ex=ttl)
        return True

    async def drop(
        self,
        repo: TenantRepository,
        *,
        mid: int,
        user_id: UUID,
        only: AccessToken | None = None,
    ) -> None:
        """Forget the cached token; with ``only``, only if it is still that token."""
        name = access_token_key(repo.ctx.tenant_id, mid, user_id)
        if only is None:
            await self.redis.delete(name)
            return
        raw = await self.redis.get(name)
        if raw is None:
            return
        raw = bytes(raw)
        current = await self._open(repo, raw, mid=mid, user_id=user_id)
        if current is None or current.value == only.value:
            await self._delete_if_same(name, raw)

    async def drop_user(self, tenant_id: int, user_id: UUID) -> int:
        """Forget the user's cached tokens in every BU (their lineage is gone)."""
        return await delete_access_tokens(self.redis, tenant_id=tenant_id, user_id=user_id)

    async def _open(
        self, repo: TenantRepository, raw: bytes, *, mid: int, user_id: UUID
    ) -> AccessToken | None:
        if len(raw) <= _HEADER or raw[:1] != _VERSION:
            return None
        key_id = UUID(bytes=raw[1:_HEADER])
        try:
            key = await self.keyring.by_id(repo, key_id)
            ad = _ad(key, tenant_id=repo.ctx.tenant_id, mid=mid, user_id=user_id)
            data = json.loads(open_sealed(key.key, raw[_HEADER:], ad=ad))
            return AccessToken(
                value=Secret(str(data["t"])),
                expires_at=datetime.fromtimestamp(float(data["e"]), UTC),
            )
        except (WalletDecryptError, WalletKeyError, ValueError, KeyError, TypeError):
            # Unreadable (retired key, KEK gone, tampered): a miss, never an error.
            return None

    async def _delete_if_same(self, name: str, raw: bytes) -> None:
        await self.redis.eval(_DELETE_IF_SAME, 1, name, raw)


async def delete_access_tokens(redis: Redis, *, tenant_id: int, user_id: UUID | None = None) -> int:
    """Delete every cached access token of a user (all BUs) or of the whole tenant.

    For purge and uninstall: the provider would refuse these tokens anyway (it checks the
    user and the entry on every call), but a removed user's bearer tokens should not stay
    in Redis until their TTL. SCAN, never KEYS, so a large Redis is not blocked. Returns how
    many were deleted.
    """
    deleted = 0
    batch: list[bytes] = []
    async for name in redis.scan_iter(match=access_token_pattern(tenant_id, user_id), count=500):
        batch.append(name)
        if len(batch) >= 500:
            deleted += await redis.delete(*batch)
            batch.clear()
    if batch:
        deleted += await redis.delete(*batch)
    return deleted


def _ad(key: DataKey, *, tenant_id: int, mid: int, user_id: UUID) -> bytes:
    return associated_data(
        purpose=Purpose.ACCESS_TOKEN, tenant_id=tenant_id, mid=mid, user_id=user_id, key_id=key.id
    )
