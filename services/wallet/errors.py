"""The wallet's errors.

Key and ciphertext problems are operator problems, not user problems: their messages name key
ids and rows (never key material or tokens) and are not :class:`QuarryError`, so the API masks
them. What a user can act on is :class:`client.errors.ReauthRequired` (sign in again), raised
by the provider.
"""

from __future__ import annotations

__all__ = [
    "DataKeyRetired",
    "DataKeyUnwrapFailed",
    "TenantUnavailable",
    "TenantUninstalled",
    "WalletDecryptError",
    "WalletError",
    "WalletKeyError",
]


class WalletError(Exception):
    """Base of the wallet's internal errors."""


class WalletKeyError(WalletError):
    """The key-encryption key configuration is malformed, or lacks a key the data needs."""


class WalletDecryptError(WalletError):
    """A ciphertext did not open: wrong key, tampered, or moved to another row or purpose."""


class DataKeyUnwrapFailed(WalletKeyError, WalletDecryptError):
    """A wrapped data key does not open with the KEK its row names: wrong key material under
    that KEK id (configuration), or the wrapped key was altered or moved from another row."""


class DataKeyRetired(WalletDecryptError):
    """The ciphertext names a data key that rotation retired and wiped: it opens nothing."""


class TenantUninstalled(WalletError):
    """The tenant is uninstalled (or has no row): the wallet creates no data key and stores
    no token for it. A write that was in flight when the uninstall committed ends here
    instead of bringing back a readable token; signing in again reinstalls the tenant first."""


class TenantUnavailable(WalletError):
    """The tenant's row or its TSSD is missing, so its tokens cannot be refreshed.

    Our own inconsistency, not the user's sign-in ending: nothing is marked, and the entry
    works again once the row is right.
    """
