"""`ks db path|status|backup|upgrade`: where the ledger is, what it holds, a safe copy."""

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from kerjasama_cli.cli.app import app, reading, settings

db_app = typer.Typer(
    help="Where the ledger is, what it holds, and safe copies of it.", no_args_is_help=True
)
app.add_typer(db_app, name="db")


class StatusFormat(StrEnum):
    text = "text"
    json = "json"


@db_app.command("path")
def path_command(ctx: typer.Context) -> None:
    """Print the ledger's path (from --db, $KS_DB or the default); it need not exist yet.

    Example:

    \b
        ks db path
    """
    print(settings(ctx).path)


@db_app.command("status")
def status_command(
    ctx: typer.Context,
    fmt: Annotated[
        StatusFormat, typer.Option("--format", "-f", help="text or json.")
    ] = StatusFormat.text,
) -> None:
    """Show the ledger's size, counts, schema version and head hash.

    Keep the head hash somewhere else: `ks verify` on a later copy proves nothing before it
    was rewritten.

    Example:

    \b
        ks db status
    """
    from kerjasama_cli import db, queries, render

    path = settings(ctx).path
    with reading(ctx) as sql:
        status = {
            "path": str(path),
            "bytes": path.stat().st_size,
            "schema": db.SCHEMA_HEAD,
            **queries.ledger_status(sql),
        }
    if fmt is StatusFormat.json:
        print(json.dumps(status, ensure_ascii=False, indent=2))
    else:
        width = max(len(k) for k in status)
        for name, value in status.items():
            render.say(f"{name:<{width}}  {value if value is not None else '-'}")


@db_app.command("backup")
def backup_command(
    ctx: typer.Context,
    dest: Annotated[Path, typer.Argument(metavar="DEST", help="Where to write the copy.")],
    force: Annotated[bool, typer.Option("--force", help="Replace DEST if it exists.")] = False,
) -> None:
    """Write a consistent copy of the ledger, even while others write, and verify it.

    Uses SQLite's backup API (never a file copy, which can catch a write half-done), then
    runs the checks of `ks verify` on the copy before putting it in place.

    Example:

    \b
        ks db backup /mnt/arsip/ledger-$(date +%F).sqlite
    """
    from kerjasama_cli import backup

    report = backup.backup(settings(ctx).path, dest, replace=force)
    print(f"{dest}: verified copy of {report.entries} entries, head {report.head}")


@db_app.command("upgrade")
def upgrade_command(ctx: typer.Context) -> None:
    """Bring an existing ledger to this version's schema (any write does it too).

    Example:

    \b
        ks db upgrade
    """
    from kerjasama_cli import db
    from kerjasama_cli.errors import LedgerError

    path = settings(ctx).path
    if not path.exists():
        raise LedgerError(f"no ledger at {path}; nothing to upgrade")
    before = db.revision_of(path)
    db.write(path, lambda sql: None)
    after = db.revision_of(path)
    if before == after:
        print(f"{path}: schema {after} is current")
    else:
        print(f"{path}: schema {before} upgraded to {after}")
