"""The Typer application, its global options, and the options commands share."""

import getpass
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
from typer.core import TyperGroup

from kerjasama_cli.cli.completion import complete_province
from kerjasama_cli.i18n import _, format_date

if TYPE_CHECKING:
    from typer._click.core import Context as ClickContext
    from typer._click.formatting import HelpFormatter

    from kerjasama_cli.ledger import Actor
    from kerjasama_cli.location import Location
    from kerjasama_cli.queries import Sql

T = TypeVar("T")


class Group(TyperGroup):
    """A command group whose --help lists each command's whole first sentence.

    Click cuts a summary that does not fit beside the command's name on one line ("List
    the signatures still..."); here it is wrapped to the terminal's width instead, so no
    terminal width and no translation cuts it.
    """

    def format_commands(self, ctx: "ClickContext", formatter: "HelpFormatter") -> None:
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(limit=sys.maxsize)))
        if rows:
            with formatter.section(_("Commands")):
                formatter.write_dl(rows)


app = typer.Typer(
    name="ks",
    cls=Group,
    help=(
        "A ledger of cooperation agreements (Kesepakatan Bersama and Perjanjian Kerja Sama) "
        "between Indonesian regional governments: who has signed, what is still waiting, "
        "at whom, and since when."
    ),
    epilog=(
        "\b\nExamples:\n"
        "  ks add-agreement --kind ksb --title 'Kerja Sama Pembangunan Daerah' "
        "--party kaltim --party jatim --date '28 Juli 2022'\n"
        "  ks sign KSB-2022-0001 --party kaltim --date 28/07/2022 --place Samarinda --signatory 'Isran Noor'\n"
        "  ks handover KSB-2022-0001 --to jatim --date '11 Agustus 2022' --place Surabaya\n"
        "  ks pending --province jatim\n"
        "\nEach command has --help with examples."
    ),
    no_args_is_help=True,
    rich_markup_mode=None,  # plain help: Rich would add ~90 ms to every --help
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@dataclass
class Settings:
    """Global options, passed to every command through the Typer context."""

    db: str | None
    by: str | None

    @property
    def location(self) -> "Location":
        """The ledger: a file, or a PostgreSQL database."""
        from kerjasama_cli.location import locate

        return locate(self.db)

    def actor(self) -> "Actor":
        from kerjasama_cli.ledger import Actor, text_value

        by = text_value("--by", self.by) or _os_user()
        return Actor(by=by, today=date.today())


def _os_user() -> str:
    """The OS user's name as `recorded_by` stores it: control characters shown visibly.

    $LOGNAME and $USER are not checked like --by: refusing every write because of a strange
    name in the environment would lock the user out, so a name with an ESC sequence or a
    line break is recorded in its visible form (`\\x1b[2J`) instead; --by sets another name.
    """
    from kerjasama_cli.ledger import text_value
    from kerjasama_cli.render import visible

    try:
        name = getpass.getuser()
    except (KeyError, OSError):
        name = os.environ.get("USER") or ""
    return text_value("--by", visible(name)) or "unknown"


def _show_version(wanted: bool) -> None:
    if wanted:
        from importlib.metadata import version  # only here: it costs a few milliseconds

        print(f"ks {version('kerjasama_cli')}")
        raise typer.Exit()


@app.callback()
def global_options(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            envvar="KS_DB",
            metavar="PATH|URL",
            # A file path exactly as given, or a URL: kerjasama_cli.location tells them apart.
            click_type=typer.models.TyperPath(),  # what a Path gets (file completion), kept as text
            help=(
                "Ledger file, or a PostgreSQL database as a URL (postgresql://user@host/db) "
                "[default: a file in the platform's user data directory]."
            ),
            show_envvar=True,
        ),
    ] = None,
    by: Annotated[
        str | None,
        typer.Option(
            "--by", envvar="KS_BY", metavar="NAME", help="Who is recording [default: your OS user]."
        ),
    ] = None,
    show_version: Annotated[
        bool,
        typer.Option(
            "--version",
            is_eager=True,
            callback=_show_version,
            expose_value=False,
            help="Print the version of ks and exit.",
        ),
    ] = False,
) -> None:
    """Ledger of cooperation agreements between Indonesian regional governments."""
    ctx.obj = Settings(db=db, by=by)


def settings(ctx: typer.Context) -> Settings:
    obj = ctx.find_object(Settings)
    return obj if obj is not None else Settings(db=None, by=None)


class Format(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


class Kind(StrEnum):
    ksb = "ksb"
    pks = "pks"
    addendum = "addendum"


class Status(StrEnum):
    awaiting = "awaiting-signatures"
    in_force = "in-force"
    expiring = "expiring"
    expired = "expired"
    terminated = "terminated"
    superseded = "superseded"


def parse_date_option(label: str, value: str | None) -> date | None:
    from kerjasama_cli.dates import parse_date
    from kerjasama_cli.errors import InvalidInput

    if value is None:
        return None
    try:
        return parse_date(value)
    except InvalidInput as exc:
        raise InvalidInput(f"{label}: {exc}") from None


FormatOption = Annotated[
    Format,
    typer.Option(
        "--format",
        "-f",
        help="table on a terminal (plain text in a pipe), json or csv.",
        case_sensitive=False,  # every choice is accepted in any case: --format JSON
    ),
]
KindOption = Annotated[
    Kind | None,
    typer.Option("--kind", "-k", help="Only KSB or only PKS.", case_sensitive=False),
]
ProvinceOption = Annotated[
    str | None,
    typer.Option(
        "--province",
        "-p",
        metavar="REGION",
        help="A province: code (35), abbreviation (jatim) or name (Jawa Timur).",
        autocompletion=complete_province,
    ),
]
AsOfOption = Annotated[
    str | None,
    typer.Option(
        "--as-of", metavar="DATE", help="Compute status and ages as on this date [default: today]."
    ),
]
DATE_FORMATS = "2022-08-11, 11-08-2022, 11/08/2022 or 11 Agustus 2022"
DATE_HELP = f"{DATE_FORMATS} [default: today]"


def recorded_on(day: date, given: bool) -> str:
    """A recorded date as confirmations say it; one left to default says so, since staff
    entering an old document would otherwise not notice it was recorded as of today."""
    if given:
        return format_date(day)
    return _("{date} (today; pass --date for an older document)").format(date=format_date(day))


def listed(names: list[str]) -> str:
    """'A', 'A and B' or 'A, B and C': names as a sentence lists them."""
    if len(names) < 2:
        return "".join(names)
    return _("{names} and {last}").format(names=", ".join(names[:-1]), last=names[-1])


# The details of an agreement, as add-agreement, amend and renew take them.
PlaceOption = Annotated[
    str | None, typer.Option("--place", metavar="PLACE", help="Where it was agreed.")
]
MAX_DAYS = 36_500  # the longest span in days any option takes: a hundred years

StartOption = Annotated[
    str | None, typer.Option("--start", metavar="DATE", help="Start of the term.")
]
EndOption = Annotated[str | None, typer.Option("--end", metavar="DATE", help="End of the term.")]
YearsOption = Annotated[
    int | None,
    typer.Option(
        "--years", metavar="N", help="A term of N years from the last signature (instead of --end)."
    ),
]
NumbersOption = Annotated[
    list[str] | None,
    typer.Option(
        "--number", "-n", metavar="PARTY=NUMBER", help="A party's own register number (repeatable)."
    ),
]


@contextmanager
def reading(ctx: typer.Context) -> Iterator["Sql"]:
    """Run queries on the existing ledger, read-only."""
    import sqlite3

    from kerjasama_cli import db
    from kerjasama_cli.errors import Damaged, LedgerError

    path = settings(ctx).location
    with db.reader(path) as conn:
        try:
            yield db.runner(conn)
        except sqlite3.DatabaseError as exc:
            raise LedgerError(
                _("{path} could not be read ({problem}); run ks verify").format(
                    path=path, problem=exc
                )
            ) from None
        except Damaged as exc:
            raise LedgerError(
                _("{path}: {problem}; run ks verify").format(path=path, problem=exc)
            ) from None


def write(ctx: typer.Context, operation: "Callable[[Sql, Actor], T]") -> T:
    """Run one write operation in its own transaction on the ledger (a file is created if
    missing; a PostgreSQL database needs `ks db init` first)."""
    from kerjasama_cli import db

    options = settings(ctx)
    actor = options.actor()
    return db.write(options.location, lambda sql: operation(sql, actor), created=say_created)


def say_created(path: Path) -> None:
    """A first write made a ledger: say where, since a default path is easily not the
    one meant (stderr, so stdout keeps only what the command prints)."""
    print(_("ks: created a new ledger at {path}").format(path=path.absolute()), file=sys.stderr)


# Register the commands, in the order --help lists them (each module imports only typer
# and the standard library at the top).
for _module in ("agreements", "pending", "lifecycle_cmd", "history", "report_cmd", "parties",
                "regions_cmd", "db_cmd"):  # fmt: skip
    import_module(f"kerjasama_cli.cli.{_module}")
for _group in app.registered_groups:  # ks db, ks party, ks activity: listed the same way
    _group.cls = Group
