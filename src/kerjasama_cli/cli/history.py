"""`ks log`, `ks void`, `ks amend` and `ks verify`: the history, corrections, and proof."""

import json
import sys
from datetime import UTC, date, datetime, time
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from kerjasama_cli.cli.app import (
    DATE_FORMATS,
    EndOption,
    NumbersOption,
    PlaceOption,
    StartOption,
    YearsOption,
    app,
    parse_date_option,
    reading,
    settings,
    write,
)
from kerjasama_cli.cli.completion import complete_key, complete_party
from kerjasama_cli.i18n import N_, _, ngettext

if TYPE_CHECKING:
    from kerjasama_cli.verify import Report


class LogFormat(StrEnum):
    table = "table"
    json = "json"


LOG_COLUMNS = [
    ("seq", N_("Entry")),
    ("recorded_at", N_("Recorded ({zone})")),  # the local time zone's name: WIB, UTC
    ("recorded_by", N_("By")),
    ("summary", N_("What")),
]


@app.command("log")
def log_command(
    ctx: typer.Context,
    key: Annotated[
        str | None,
        typer.Argument(
            metavar="[KEY]", help="Only this agreement's entries.", autocompletion=complete_key
        ),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(
            "--since",
            metavar="DATE",
            help="Only entries recorded on or after DATE (a day in local time).",
        ),
    ] = None,
    fmt: Annotated[
        LogFormat,
        typer.Option(
            "--format", "-f", help="table (plain text in a pipe) or json.", case_sensitive=False
        ),
    ] = LogFormat.table,
) -> None:
    """Show the history of every change.

    Every change in order: when it was recorded (in local time, to the minute; --format
    json gives the exact time in UTC), by whom, and what it recorded. On a PostgreSQL
    ledger "by whom" is both the name given with --by and, after it, the login the
    database server knew (db_user in --format json).

    Voided entries stay and say which entry voided them.

    Examples:

    \b
        ks log KSB-2022-0001
        ks log --since 2022-09-01 --format json
    """
    from kerjasama_cli import queries, render

    day = parse_date_option("--since", since)
    with reading(ctx) as sql:
        rows = queries.log_entries(sql, key, _local_midnight(day) if day else None)
        if fmt is LogFormat.json:
            render.write_json_array(rows)
        else:
            # The header names the time zone, so it is translated here (write_table finds
            # no translation of the result and keeps it).
            zone = datetime.now().astimezone().tzname() or _("local time")
            columns = [(k, _(h).format(zone=zone)) for k, h in LOG_COLUMNS]
            render.write_table(
                (_for_people(r) for r in rows),
                columns,
                empty=_("no entries"),
                title=_("Ledger history"),
            )


def _local_midnight(day: date) -> datetime:
    """The start of `day` in local time, as the UTC time the ledger records (naive, so that
    its ISO form is a prefix of the ledger's `2026-12-02T13:39:53.085852Z` and compares as
    text). `--since` is a day as `ks log` shows days: local."""
    start = datetime.combine(day, time()).astimezone()
    return start.astimezone(UTC).replace(tzinfo=None)


def _for_people(row: dict[str, Any]) -> dict[str, Any]:
    """An entry as the table shows it: local time to the minute, who recorded it (with the
    PostgreSQL role that wrote it, on a shared ledger), and what voided it."""
    from kerjasama_cli.render import local_minute

    shown = {**row, "recorded_at": local_minute(row["recorded_at"])}
    if row["db_user"] is not None:
        # In the By column rather than a column of its own: a ledger file has no roles, and
        # the columns of a pipe's output stay the same on both engines.
        shown["recorded_by"] = _("{by} (login {db_user})").format(
            by=row["recorded_by"], db_user=row["db_user"]
        )
    if row["voided_by"] is not None:
        shown["summary"] = _("{summary} [voided by entry {seq}]").format(
            summary=row["summary"], seq=row["voided_by"]
        )
    return shown


@app.command("void")
def void_command(
    ctx: typer.Context,
    target: Annotated[
        str,
        typer.Argument(
            metavar="ENTRY|KEY",
            help="An entry number from ks log; or an agreement key: alone, to withdraw the "
            "agreement, or with --party for that party's signature.",
            autocompletion=complete_key,
        ),
    ],
    reason: Annotated[
        str, typer.Option("--reason", "-r", metavar="TEXT", help="Why it was a mistake.")
    ],
    party: Annotated[
        str | None,
        typer.Option(
            "--party",
            "-P",
            metavar="PARTY",
            help="With a KEY: whose signature to void.",
            autocompletion=complete_party,
        ),
    ] = None,
) -> None:
    """Reverse a mistaken entry, in the open.

    A KEY without --party withdraws the agreement recorded in error, with all its
    signatures and handovers: it leaves pending, lists and reports, ks show and ks log
    still show it, and its key is never given again. A KSB with PKS or addenda under it,
    or an agreement with a renewal, is withdrawn only after them.

    A KEY with --party voids that party's signature: the agreement waits for that party
    again. An ENTRY number voids that signature, handover, termination, activity or
    evaluation. The original entry and the reversal both stay in the history.

    Examples:

    \b
        ks void PKS-2022-0008 --reason "the same PKS was recorded twice"
        ks void KSB-2022-0001 --party jatim --reason "signed by the Wakil Gubernur, not the Gubernur"
        ks void 37 --reason "handed to the wrong office"
    """
    from kerjasama_cli import ledger, render

    done = write(ctx, lambda sql, actor: ledger.void(sql, actor, target, reason, party))
    if done.action == "agreement.add" and done.already:
        said = _("{key} was already withdrawn as entry {seq}; nothing added")
    elif done.action == "agreement.add":
        said = _(
            "withdrew {key} as entry {seq}: it no longer counts in pending, lists or reports; "
            "ks show and ks log keep it"
        )
    elif done.already:
        said = _("entry {target} was already voided as entry {seq}; nothing added")
    else:
        said = _("voided entry {target} ({what}) as entry {seq}")
    render.message(
        said.format(key=done.key, seq=done.seq, target=done.target, what=done.description)
    )


@app.command("amend")
def amend_command(
    ctx: typer.Context,
    key: Annotated[
        str,
        typer.Argument(
            metavar="KEY", help="The agreement to correct.", autocompletion=complete_key
        ),
    ],
    reason: Annotated[str, typer.Option("--reason", "-r", metavar="TEXT", help="Why it changes.")],
    title: Annotated[
        str | None, typer.Option("--title", "-t", metavar="TEXT", help="The correct title.")
    ] = None,
    on: Annotated[
        str | None,
        typer.Option(
            "--date", "-d", metavar="DATE", help=f"The correct date agreed: {DATE_FORMATS}."
        ),
    ] = None,
    place: PlaceOption = None,
    start: StartOption = None,
    end: EndOption = None,
    years: YearsOption = None,
    number: NumbersOption = None,
) -> None:
    """Correct an agreement's details.

    Its title, date, place, term or the parties' register numbers.

    The correction is a new entry with its reason; the old values stay in the history.

    Examples:

    \b
        ks amend KSB-2022-0001 --title "Kerja Sama Pembangunan Daerah Berkelanjutan" --reason "typo in the title"
        ks amend PKS-2022-0003 --number disdik-jatim=421/55/101.1/2022 --reason "number was left out"
    """
    from kerjasama_cli import ledger, queries, render

    numbers = ledger.parse_numbers(number or [])
    payload = write(
        ctx,
        lambda sql, actor: ledger.amend(
            sql,
            actor,
            key,
            reason,
            title,
            parse_date_option("--date", on),
            place,
            parse_date_option("--start", start),
            parse_date_option("--end", end),
            numbers,
            years,
        ),
    )
    render.message(queries.describe("agreement.amend", payload))


class VerifyFormat(StrEnum):
    text = "text"
    json = "json"


@app.command("verify")
def verify_command(
    ctx: typer.Context,
    head: Annotated[
        list[str] | None,
        typer.Option(
            "--head",
            metavar="HASH",
            help="A head hash kept from before (ks db head): some entry must carry it. Repeatable.",
        ),
    ] = None,
    heads: Annotated[
        Path | None,
        typer.Option(
            "--heads",
            metavar="FILE",
            help="A file of kept head hashes, one a line (# comments and blank lines skipped).",
        ),
    ] = None,
    fmt: Annotated[
        VerifyFormat, typer.Option("--format", "-f", help="text or json.", case_sensitive=False)
    ] = VerifyFormat.text,
) -> None:
    """Check that the ledger is sound.

    Exits 1 with one line per problem if it is not.

    Checks that the ledger is a ks ledger of a known version; its integrity (SQLite's, for
    a file; on PostgreSQL, that every trigger is enabled and every index valid, and what
    amcheck finds where it is installed and may be run); that its tables, indexes,
    triggers and views (and on PostgreSQL its functions, sequences, rules and policies)
    are exactly this release's; the hash chain from the first entry to the last; and that
    replaying every entry into this release's schema reproduces every table exactly.
    Opens the ledger read-only and changes nothing.

    A ledger rewritten whole (entries changed and every hash recomputed) is consistent in
    itself: only a head hash kept elsewhere from before shows it. Each --head, and each hash
    in --heads FILE (a line may carry other text around its hash, such as a line that ks
    verify, ks db backup or a report printed), must be carried by an entry of the chain.

    Examples:

    \b
        ks verify
        ks db head >> ks-heads.txt
        ks verify --heads ks-heads.txt
        ks verify --head "$(ks db head)" --format json
    """
    from kerjasama_cli import render, verify

    kept = [verify.parse_head(h) for h in head or []]
    if heads is not None:
        kept += verify.read_heads(heads)
    report = verify.verify(settings(ctx).location, heads=kept)
    if fmt is VerifyFormat.json:
        print(json.dumps(report.as_json(), ensure_ascii=False, indent=2))
    else:
        for problem in report.problems:
            render.say(problem)
        print(render.visible(verify_summary(report)), file=sys.stdout if report.ok else sys.stderr)
    if not report.ok:
        raise typer.Exit(1)


def verify_summary(report: "Report") -> str:
    """The line that ends `ks verify`: the ledger, its state, schema, entries and head.

    Put together from clauses that each stand alone (a translator words each one whole), since
    a sentence for every combination of counts would not fit one plural form.
    """
    if report.ok:
        state = _("ok")
    else:
        count = len(report.problems)
        state = ngettext("{count} problem", "{count} problems", count).format(count=count)
    clauses = [
        state,
        ngettext(
            "schema {schema}, {count} entry, head {head}",
            "schema {schema}, {count} entries, head {head}",
            report.entries,
        ).format(schema=report.schema, count=report.entries, head=report.head),
    ]
    if report.heads_checked:
        count = len(report.heads_checked)
        clauses.append(
            ngettext("{count} kept head checked", "{count} kept heads checked", count).format(
                count=count
            )
        )
    return f"{report.path}: {'; '.join(clauses)}"
