"""The token wallet: MCE refresh tokens encrypted at rest, and the app's token provider.

Key hierarchy: key-encryption keys (configuration; :mod:`.keys`) wrap per-tenant data keys
(``wallet_data_keys``; :mod:`.data_keys`), which seal refresh tokens (``wallet_entries``;
:mod:`.store`) and the access tokens shared in Redis (:mod:`.access_cache`). The provider
(:mod:`.provider`) refreshes single-flight with compare-and-swap; :mod:`.rotation` rotates
both key levels online. docs/auth-wallet.md describes the whole.
"""

from services.wallet.data_keys import DataKey, DataKeyring
from services.wallet.errors import (
    DataKeyRetired,
    DataKeyUnwrapFailed,
    TenantUnavailable,
    TenantUninstalled,
    WalletDecryptError,
    WalletError,
    WalletKeyError,
)
from services.wallet.keys import (
    KeyEncryptionKey,
    KeyProvider,
    StaticKeyProvider,
    key_provider_from_config,
    load_kek_file,
    parse_keks,
)
from services.wallet.provider import SIGN_IN_AGAIN, WalletTokenProvider
from services.wallet.rotation import (
    DataKeyRotation,
    KekRotation,
    rotate_data_keys,
    rotate_kek,
    verify_data_keys,
)
from services.wallet.store import EntrySummary, StoredToken, TokenWallet

__all__ = [
    "SIGN_IN_AGAIN",
    "DataKey",
    "DataKeyRetired",
    "DataKeyRotation",
    "DataKeyUnwrapFailed",
    "DataKeyring",
    "EntrySummary",
    "KekRotation",
    "KeyEncryptionKey",
    "KeyProvider",
    "StaticKeyProvider",
    "StoredToken",
    "TenantUnavailable",
    "TenantUninstalled",
    "TokenWallet",
    "WalletDecryptError",
    "WalletError",
    "WalletKeyError",
    "WalletTokenProvider",
    "key_provider_from_config",
    "load_kek_file",
    "parse_keks",
    "rotate_data_keys",
    "rotate_kek",
    "verify_data_keys",
]
