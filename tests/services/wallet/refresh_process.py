"""One OS process asking the wallet for a user's access token (the two-process test).

Run as ``python -m tests.services.wallet.refresh_process`` with ``WALLET_PROCESS_CONFIG``
(JSON) in the environment. It connects to Postgres as the app role (as an RQ work-horse
would) and to Redis with clients of its own, prints ``ready``, waits for a line on stdin
(so two processes start together), asks for the token of ``mid`` (or, with ``mids``, of each
of those BUs at once) and prints one JSON line: ``{"token": ..., "tokens": {mid: ...}}`` or
``{"error": <type>, "message": ...}``.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from typing import Any

from redis.asyncio import Redis

from client.http import create_http_client
from client.secret import Secret
from client.tokens import CallTarget
from models.database import open_database
from services.mce_auth import MceAuthConfig, MceAuthFactory
from services.wallet import TokenWallet, WalletTokenProvider, parse_keks


async def main(config: dict[str, Any]) -> dict[str, Any]:
    redis = Redis.from_url(config["redis_url"])
    try:
        async with open_database(config["db_url"]), create_http_client(timeout=10.0) as http:
            auth = MceAuthFactory(
                MceAuthConfig(
                    client_id=config["client_id"],
                    client_secret=Secret(config["client_secret"]),
                    dev_origin=config["sim_url"],
                ),
                http=http,
            )
            provider = WalletTokenProvider(
                wallet=TokenWallet.from_keys(parse_keks(config["keks"])), auth=auth, redis=redis
            )
            mids: list[int] = config.get("mids") or [config["mid"]]
            targets = [
                CallTarget(tenant_id=config["tenant_id"], mid=mid, user_id=config["mce_user_id"])
                for mid in mids
            ]
            sys.stdout.write("ready\n")
            sys.stdout.flush()
            await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
            try:
                tokens = await asyncio.gather(*(provider.access_token(t) for t in targets))
            except Exception as exc:
                return {"error": type(exc).__name__, "message": str(exc)}
            revealed = {str(mid): t.value.reveal() for mid, t in zip(mids, tokens, strict=True)}
            return {"token": revealed[str(mids[0])], "tokens": revealed}
    finally:
        await redis.aclose()


if __name__ == "__main__":
    result = asyncio.run(main(json.loads(os.environ["WALLET_PROCESS_CONFIG"])))
    sys.stdout.write(json.dumps(result) + "\n")
