"""Command line: ``python -m app.cli COMMAND``; ``--help`` lists the commands.

``migrate``, ``export-schema`` and ``check-settings`` are built in; operator commands
(key rotation, purges, tokens) come from the modules in :data:`COMMAND_MODULES` and run
as the system role (:mod:`app.cli_support`).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import sys
from pathlib import Path

from app.settings import Settings, SettingsError

# Each exposes ``add_commands(subparsers)`` (see app/cli_support.py).
COMMAND_MODULES: tuple[str, ...] = ("app.cli_purge", "app.cli_tokens", "app.cli_wallet")

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "schema" / "schema.graphql"


def export_schema() -> str:
    from schema import schema

    return schema.as_str() + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app.cli", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="create roles and database, apply migrations")
    export = commands.add_parser("export-schema", help="print or write the GraphQL SDL")
    export.add_argument("--write", action="store_true", help=f"write {SCHEMA_FILE.name}")
    commands.add_parser("check-settings", help="validate the environment's settings")
    for module in COMMAND_MODULES:
        importlib.import_module(module).add_commands(commands)
    args = parser.parse_args(argv)

    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        sys.stderr.write(f"settings error: {exc}\n")
        return 2
    handler = getattr(args, "handler", None)
    if handler is not None:
        from app.cli_support import run_with_system_database

        return asyncio.run(run_with_system_database(handler, args, settings))
    if args.command == "migrate":
        from app.migrate import migrate

        asyncio.run(migrate(settings))
        sys.stdout.write("migrations applied\n")
    elif args.command == "export-schema":
        sdl = export_schema()
        if args.write:
            SCHEMA_FILE.write_text(sdl)
        else:
            sys.stdout.write(sdl)
    elif args.command == "check-settings":
        sys.stdout.write(f"settings ok ({settings.env.value})\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
