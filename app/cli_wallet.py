"""Operator commands for the token wallet's keys (docs/auth-wallet.md, "Rotation").

``rotate-kek``: re-wrap every data key under the active (first) key-encryption key.
``rotate-data-keys``: give tenants a new data key, re-encrypt their rows, retire the old key.

Both are online, idempotent and resumable. Before changing anything they check that the
configured KEKs open every data key they will touch, so a wrong ``WALLET_KEKS`` changes
nothing. Exit codes: 0 done, 1 rows left for another run, 2 configuration error.
"""

from __future__ import annotations

import argparse
import sys

from app.settings import Settings
from models import Tenant, WalletDataKey
from services.wallet import (
    DataKeyring,
    TokenWallet,
    WalletKeyError,
    key_provider_from_config,
    rotate_data_keys,
    rotate_kek,
    verify_data_keys,
)


def add_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    kek = subparsers.add_parser(
        "rotate-kek", help="re-wrap wallet data keys under the active key-encryption key"
    )
    kek.add_argument("--tenant", type=_positive_int, metavar="EID", help="only this tenant")
    kek.set_defaults(handler=rotate_kek_command)

    data = subparsers.add_parser(
        "rotate-data-keys", help="re-encrypt wallet rows under new data keys, retire the old"
    )
    data.add_argument("--tenant", type=_positive_int, metavar="EID", help="only this tenant")
    data.add_argument(
        "--batch", type=_positive_int, default=200, metavar="N", help="rows per transaction"
    )
    data.set_defaults(handler=rotate_data_keys_command)


async def rotate_kek_command(args: argparse.Namespace, settings: Settings) -> int:
    prepared = await _prepare(args, settings)
    if prepared is None:
        return 2
    keyring, tenants = prepared
    active = keyring.keys.active().id
    for tenant_id in tenants:
        result = await rotate_kek(keyring, tenant_id=tenant_id)
        _say(f"tenant {tenant_id}: re-wrapped {result.rewrapped} data key(s) under KEK {active!r}")
    _say(f"rotate-kek done: {len(tenants)} tenant(s)")
    return 0


async def rotate_data_keys_command(args: argparse.Namespace, settings: Settings) -> int:
    prepared = await _prepare(args, settings)
    if prepared is None:
        return 2
    keyring, tenants = prepared
    wallet = TokenWallet(keyring)
    incomplete = 0
    for tenant_id in tenants:
        result = await rotate_data_keys(wallet, tenant_id=tenant_id, batch_size=args.batch)
        if result.active_key_id is None:
            continue
        _say(
            f"tenant {tenant_id}: active data key {result.active_key_id}, "
            f"re-encrypted {result.reencrypted} row(s), retired {len(result.retired_key_ids)} "
            f"key(s), {result.left} row(s) left"
        )
        incomplete += not result.complete
    _say(f"rotate-data-keys done: {len(tenants)} tenant(s), {incomplete} incomplete")
    return 1 if incomplete else 0


async def _prepare(
    args: argparse.Namespace, settings: Settings
) -> tuple[DataKeyring, list[int]] | None:
    """The keyring and the tenants to rotate, or None (reported) on a configuration error."""
    try:
        keys = key_provider_from_config(
            keks=settings.wallet_keks, kek_file=settings.wallet_kek_file
        )
    except WalletKeyError as exc:
        _fail(f"wallet key configuration error: {exc}")
        return None
    keyring = DataKeyring(keys)
    if args.tenant is not None:
        if not await Tenant.exists(tenant_id=args.tenant):
            _fail(f"no tenant with EID {args.tenant}")
            return None
        tenants = [args.tenant]
    else:
        found = await WalletDataKey.all().distinct().values_list("tenant_id", flat=True)
        tenants = sorted({int(t) for t in found})  # type: ignore[call-overload]
    try:
        for tenant_id in tenants:
            await verify_data_keys(keyring, tenant_id=tenant_id)
    except WalletKeyError as exc:
        _fail(f"wallet key configuration error, nothing changed: {exc}")
        return None
    return keyring, tenants


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _say(line: str) -> None:
    sys.stdout.write(line + "\n")


def _fail(line: str) -> None:
    sys.stderr.write(line + "\n")
