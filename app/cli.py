"""Command line: ``python -m app.cli migrate | export-schema | check-settings``."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from app.settings import Settings, SettingsError

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
    args = parser.parse_args(argv)

    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        sys.stderr.write(f"settings error: {exc}\n")
        return 2
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
