"""``create-api-token`` and ``create-support-token``: the real parser and handlers, run as the
system role against the test database; bad arguments exit 2 with a message naming them."""

from __future__ import annotations

import argparse

import asyncpg
import pytest

from app.cli import main
from app.cli_support import run_with_system_database
from app.cli_tokens import add_commands
from app.settings import Settings
from models import AuditEvent, TenantRepository
from models.lookups import find_api_token
from services.api_tokens import hash_token, token_principal
from tests.factories import TenantFixture, make_tenant, next_id

pytestmark = pytest.mark.usefixtures("db")


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="test")
    add_commands(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(argv)


async def _run(settings: Settings, argv: list[str]) -> int:
    args = _parse(argv)
    return await run_with_system_database(args.handler, args, settings)


def _api_argv(tenant: TenantFixture, *extra: str, mid: int | None = None) -> list[str]:
    return [
        "create-api-token",
        "--tenant", str(tenant.tenant_id),
        "--user", str(tenant.user.mce_user_id),
        "--mid", str(tenant.parent_mid if mid is None else mid),
        "--name", "warehouse sync",
        *extra,
    ]  # fmt: skip


async def test_create_api_token_prints_it_once_and_audits(
    db: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    tenant = await make_tenant("CliApi")
    code = await _run(db, _api_argv(tenant, "--scope", "read_write", "--days", "30"))
    out, err = capsys.readouterr()
    assert code == 0
    secret = out.strip()
    assert out == secret + "\n" and secret.startswith("qry_")
    assert secret not in err and "shown once" in err
    record = await find_api_token(hash_token(secret))
    assert record is not None and record.mid == tenant.parent_mid
    principal = await token_principal(record)
    assert principal is not None and not principal.read_only
    events = (
        await TenantRepository(tenant.context()).of(AuditEvent).list(action="api_token.created")
    )
    assert [(e.actor_type.value, e.actor_id) for e in events] == [("system", "cli")]
    assert secret not in str(events[0].details)


async def test_create_support_token(
    db: Settings, capsys: pytest.CaptureFixture[str], admin_conn: asyncpg.Connection
) -> None:
    code = await _run(db, ["create-support-token", "--name", "Ada (support)", "--days", "3"])
    out, err = capsys.readouterr()
    assert code == 0 and out.strip().startswith("qrs_")
    assert "no tenant data" in err
    row = await admin_conn.fetchrow(
        "SELECT id, name FROM support_tokens WHERE token_hash = $1", hash_token(out.strip())
    )
    assert row is not None and row["name"] == "Ada (support)"
    audited = await admin_conn.fetchval(
        "SELECT count(*) FROM audit_events WHERE action = 'support_token.created'"
        " AND target = $1 AND tenant_id IS NULL",
        f"support_token:{row['id']}",
    )
    assert audited == 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"--tenant": "unknown"}, "no active tenant"),
        ({"--user": "unknown"}, "no user with MCE user id"),
        ({"--mid": "unknown"}, "--mid:"),
        ({"--name": "   "}, "--name:"),
        ({"--name": "x" * 101}, "--name:"),
        ({"--days": "100000"}, "--days:"),
    ],
)
async def test_bad_values_exit_2_naming_the_problem(
    db: Settings, capsys: pytest.CaptureFixture[str], change: dict[str, str], message: str
) -> None:
    tenant = await make_tenant("CliBad")
    argv = _api_argv(tenant)
    for option, value in change.items():
        replacement = str(next_id()) if value == "unknown" else value
        if option in argv:
            argv[argv.index(option) + 1] = replacement
        else:
            argv += [option, replacement]
    code = await _run(db, argv)
    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""  # no token printed
    assert message in err


async def test_support_token_lifetime_is_capped(
    db: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    code = await _run(db, ["create-support-token", "--name", "too long", "--days", "31"])
    out, err = capsys.readouterr()
    assert code == 2 and out == "" and "--days:" in err


@pytest.mark.parametrize(
    "argv",
    [
        ["create-api-token", "--tenant", "1", "--user", "2", "--mid", "3"],  # no --name
        ["create-api-token", "--tenant", "x", "--user", "2", "--mid", "3", "--name", "n"],
        ["create-api-token", "--tenant", "-1", "--user", "2", "--mid", "3", "--name", "n"],
        ["create-api-token", "--tenant", "1", "--user", "2", "--mid", "3", "--name", "n",
         "--scope", "admin"],
        ["create-support-token"],
        ["create-support-token", "--name", "n", "--days", "0"],
    ],
)  # fmt: skip
def test_malformed_arguments_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "error:" in err and "Traceback" not in err


async def test_revoke_support_token_ends_it_and_is_audited(
    db: Settings, capsys: pytest.CaptureFixture[str], admin_conn: asyncpg.Connection
) -> None:
    from models.lookups import find_support_token

    assert await _run(db, ["create-support-token", "--name", "Temp support"]) == 0
    secret = capsys.readouterr().out.strip()
    record = await find_support_token(hash_token(secret))
    assert record is not None and record.revoked_at is None
    assert await _run(db, ["revoke-support-token", "--id", str(record.id)]) == 0
    revoked = await find_support_token(hash_token(secret))
    assert revoked is not None and revoked.revoked_at is not None
    assert (
        await admin_conn.fetchval(
            "SELECT count(*) FROM audit_events WHERE action = 'support_token.revoked'"
            " AND target = $1",
            f"support_token:{record.id}",
        )
        == 1
    )
    # Again, or an unknown id: exit 2 naming it.
    assert await _run(db, ["revoke-support-token", "--id", str(record.id)]) == 2
    assert f"no live support token {record.id}" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        _parse(["revoke-support-token", "--id", "not-a-uuid"])
