"""`ks db path|init|status|head|backup|copy|upgrade`: where the ledger is, what it holds, safe
copies of it, and copies from one engine to another."""

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from kerjasama_cli.cli.app import app, reading, say_created, settings
from kerjasama_cli.i18n import N_, _, ngettext

db_app = typer.Typer(
    help="Where the ledger is, what it holds, and safe copies of it.", no_args_is_help=True
)
app.add_typer(db_app, name="db")


class StatusFormat(StrEnum):
    text = "text"
    json = "json"


# What `ks db status` calls each figure in text: the JSON keys stay as they are, for scripts.
STATUS_LABELS = {
    "path": N_("Ledger file"),
    "database": N_("Ledger database"),
    "bytes": N_("Size (bytes)"),
    "schema": N_("Schema"),
    "parties": N_("Parties"),
    "agreements": N_("Agreements"),
    "signatures": N_("Signatures"),
    "handovers": N_("Handovers"),
    "voided": N_("Voided entries"),
    "entries": N_("Entries"),
    "head": N_("Head hash"),
    "last_recorded_at": N_("Last recorded (UTC)"),
}


@db_app.command("path")
def path_command(ctx: typer.Context) -> None:
    """Print the ledger's path or URL; it need not exist yet.

    The path comes from --db, else $KS_DB, else the default. A URL is printed without its
    password.

    Example:

    \b
        ks db path
    """
    print(settings(ctx).location)


@db_app.command("init")
def init_command(ctx: typer.Context) -> None:
    """Make an empty ledger: the schema in an empty PostgreSQL database.

    A shared ledger on PostgreSQL starts here (create the database first, e.g. with
    createdb); no other command creates its tables. Given a file path, it makes an empty
    ledger file, as the first write would. A ledger already there is left as it is.

    Examples:

    \b
        ks db init
        createdb kerjasama && KS_DB=postgresql:///kerjasama ks db init
    """
    from kerjasama_cli import db

    location = settings(ctx).location
    found = db.init(location, created=say_created)
    if found is None:
        if not isinstance(location, Path):
            print(
                _("{location}: created a ks ledger, schema {revision}").format(
                    location=location, revision=db.SCHEMA_HEAD
                ),
                file=sys.stderr,
            )
    else:
        print(
            _("{location} is already a ks ledger (schema {revision}); nothing changed").format(
                location=location, revision=found
            ),
            file=sys.stderr,
        )


@db_app.command("status")
def status_command(
    ctx: typer.Context,
    fmt: Annotated[
        StatusFormat, typer.Option("--format", "-f", help="text or json.", case_sensitive=False)
    ] = StatusFormat.text,
) -> None:
    """Show the ledger's size, counts, schema version and head hash.

    On PostgreSQL the size is the whole database's, as the server counts it.

    Keep the head hash somewhere else (`ks db head` prints it alone): `ks verify --head HASH`
    later shows whether the ledger was rewritten since.

    Example:

    \b
        ks db status
    """
    from kerjasama_cli import db, queries, render

    location = settings(ctx).location
    with reading(ctx) as sql:
        if isinstance(location, Path):
            where = {"path": str(location), "bytes": location.stat().st_size}
        else:
            from kerjasama_cli import postgres

            where = {"database": str(location), "bytes": postgres.database_size(sql)}
        status = {**where, "schema": db.SCHEMA_HEAD, **queries.ledger_status(sql)}
    if fmt is StatusFormat.json:
        print(json.dumps(status, ensure_ascii=False, indent=2))
    else:
        labels = {name: _(STATUS_LABELS.get(name, name)) for name in status}
        width = max(len(label) for label in labels.values())
        for name, value in status.items():
            render.say(f"{labels[name]:<{width}}  {value if value is not None else '-'}")


@db_app.command("head")
def head_command(ctx: typer.Context) -> None:
    """Print the head hash alone, to keep elsewhere.

    The head hash is the hash of the last entry.

    A ledger rewritten after that no longer leads to it: `ks verify --head HASH` (or
    `--heads FILE`) then says so. A ledger without entries prints the chain's start, 64
    zeros. Keep the hashes where whoever could rewrite the ledger cannot: cron mails
    whatever a job prints.

    Example:

    \b
        ks db head >> ks-heads.txt
        ks verify --heads ks-heads.txt
    """
    from kerjasama_cli import events

    with reading(ctx) as sql:
        _seq, head = events.head(sql)
    print(head)


@db_app.command("backup")
def backup_command(
    ctx: typer.Context,
    dest: Annotated[Path, typer.Argument(metavar="DEST", help="Where to write the copy.")],
    force: Annotated[bool, typer.Option("--force", help="Replace DEST if it exists.")] = False,
) -> None:
    """Write a verified copy of the ledger.

    The copy is consistent even while others write.

    A ledger file is copied with SQLite's backup API (never a file copy, which can catch a
    write half-done); a PostgreSQL ledger becomes a ledger file made from its entries, once
    the database verifies. The checks of `ks verify` then run on the copy before it is put
    in place. DEST is never the ledger or its -wal, -shm or -journal; a DEST replaced with
    --force keeps its permissions, and is left as it was if the copy fails (a full disk
    exits 3).

    Examples:

    \b
        ks db backup ledger-$(date +%F).sqlite
        ks --db ledger-$(date +%F).sqlite verify
        KS_DB=postgresql:///kerjasama ks db backup arsip-$(date +%F).sqlite
    """
    from kerjasama_cli import backup

    report = backup.backup(settings(ctx).location, dest, replace=force)
    print(
        ngettext(
            "{dest}: verified copy of {count} entry, head {head}",
            "{dest}: verified copy of {count} entries, head {head}",
            report.entries,
        ).format(dest=dest, count=report.entries, head=report.head)
    )


@db_app.command("copy")
def copy_command(
    source: Annotated[
        str,
        typer.Argument(
            metavar="SOURCE",
            help="The ledger to copy: a file, or a PostgreSQL database as a URL.",
        ),
    ],
    dest: Annotated[
        str,
        typer.Argument(
            metavar="DEST",
            help="A new file, an empty database, or a ledger without entries (ks db init).",
        ),
    ],
) -> None:
    """Copy a whole ledger, file or database, into a new one.

    This is how an office moves its ledger file into the shared database, or a database
    is taken offline as a file. Every entry is copied as it was recorded (when, by whom,
    what, and its hash) and applied as a write applies it, so the copy has the same head
    hash; SOURCE must verify first, and the copy is verified before it is kept.

    DEST is a file not there yet, an empty PostgreSQL database (given the schema first, as
    ks db init does), or a ledger without entries; a DEST that holds entries, SOURCE
    itself, or a SOURCE that is not a ledger is refused and nothing is written. --db is
    not used. Prints the head hash on stdout (keep it: ks verify --head).

    Examples:

    \b
        ks db copy "$KS_DB" salinan-$(date +%F).sqlite
        createdb kerjasama && ks db copy kantor.sqlite postgresql:///kerjasama
    """
    from kerjasama_cli import backup
    from kerjasama_cli.errors import InvalidInput
    from kerjasama_cli.location import locate

    for label, text in (("SOURCE", source), ("DEST", dest)):
        if not text.strip():
            raise InvalidInput(_("{label} is empty; give a file or a URL").format(label=label))
    source_at, dest_at = locate(source), locate(dest)
    report = backup.copy(source_at, dest_at)
    print(report.head)
    print(
        ngettext(
            "copied {count} entry from {source} to {dest}, verified",
            "copied {count} entries from {source} to {dest}, verified",
            report.entries,
        ).format(count=report.entries, source=source_at, dest=dest_at),
        file=sys.stderr,
    )


@db_app.command("upgrade")
def upgrade_command(ctx: typer.Context) -> None:
    """Bring the ledger to this version's schema.

    On a ledger file any command that writes does it too; a PostgreSQL ledger is upgraded
    only by this command, run by the database's owner.

    Example:

    \b
        ks db upgrade
    """
    from kerjasama_cli import db

    path = settings(ctx).location
    before, after = db.upgrade(path)
    if before == after:
        print(_("{path}: schema {revision} is current").format(path=path, revision=after))
    else:
        print(
            _("{path}: schema {before} upgraded to {after}").format(
                path=path, before=before, after=after
            )
        )
