"""After signing: `ks terminate`, `ks renew`, `ks expiring`, `ks idle`, `ks evaluate`,
and `ks activity add|list`.

Confirmations go to stderr; stdout carries data only (renew prints the new key there).
"""

from collections.abc import Iterator, Sequence
from datetime import date
from enum import StrEnum
from typing import Annotated, Any

import typer

from kerjasama_cli.cli.app import (
    DATE_FORMATS,
    DATE_HELP,
    MAX_DAYS,
    AsOfOption,
    EndOption,
    Format,
    FormatOption,
    PlaceOption,
    ProvinceOption,
    StartOption,
    YearsOption,
    app,
    parse_date_option,
    reading,
    recorded_on,
    write,
)
from kerjasama_cli.cli.completion import complete_key, complete_party
from kerjasama_cli.i18n import N_, _, format_date, ngettext

KeyArgument = Annotated[
    str,
    typer.Argument(metavar="KEY", help="The agreement's key.", autocompletion=complete_key),
]
ReasonOption = Annotated[str, typer.Option("--reason", "-r", metavar="TEXT", help="Why.")]


def _required_date(label: str, value: str) -> date:
    day = parse_date_option(label, value)
    assert day is not None
    return day


def _province_code(province: str | None) -> str | None:
    from kerjasama_cli import regions

    return regions.load().resolve_province(province).code if province else None


@app.command("terminate")
def terminate_command(
    ctx: typer.Context,
    key: KeyArgument,
    on: Annotated[
        str, typer.Option("--date", "-d", metavar="DATE", help=f"When it ended: {DATE_FORMATS}.")
    ],
    reason: ReasonOption,
) -> None:
    """End an agreement early.

    Before its term runs out, or one without a term. Record it on the day it takes effect
    (not ahead of it): until then the agreement is still in force.

    Example:

    \b
        ks terminate PKS-2022-0006 --date 2024-03-31 --reason "diakhiri atas kesepakatan para pihak"
    """
    from kerjasama_cli import ledger, render

    day = _required_date("--date", on)
    done = write(ctx, lambda sql, actor: ledger.terminate(sql, actor, key, day, reason))
    render.message(_("{key} terminated on {day}").format(key=done, day=format_date(day)))


@app.command("renew")
def renew_command(
    ctx: typer.Context,
    key: KeyArgument,
    on: Annotated[
        str | None,
        typer.Option(
            "--date", "-d", metavar="DATE", help=f"Date the renewal was agreed: {DATE_HELP}."
        ),
    ] = None,
    title: Annotated[
        str | None,
        typer.Option("--title", "-t", metavar="TEXT", help="A new title [default: the old one]."),
    ] = None,
    place: PlaceOption = None,
    start: StartOption = None,
    end: EndOption = None,
    years: YearsOption = None,
) -> None:
    """Create an agreement's successor.

    Same kind, parent and parties; a new term.

    The new agreement waits for its own signatures; once it is in force, the old one is
    superseded. Prints the new key.

    Example:

    \b
        ks renew KSB-2022-0001 --date 2026-07-28 --years 5
    """
    from kerjasama_cli import ledger, render

    agreed_on = parse_date_option("--date", on)
    added = write(
        ctx,
        lambda sql, actor: ledger.renew(
            sql,
            actor,
            key,
            agreed_on,
            title,
            place,
            parse_date_option("--start", start),
            parse_date_option("--end", end),
            years,
        ),
    )
    render.say(added.key)
    agreed = recorded_on(agreed_on or date.today(), agreed_on is not None)
    if added.already:
        render.message(
            _("already recorded as {key}, agreed on {day}; nothing added").format(
                key=added.key, day=agreed
            )
        )
    else:
        render.message(
            _("recorded {key}, renewing {old}, agreed on {day}").format(
                key=added.key, old=key.upper(), day=agreed
            )
        )


EXPIRING_COLUMNS = [
    ("days_left", N_("Days left")),
    ("ends_on", N_("Ends")),
    ("key", N_("Agreement")),
    ("status", N_("Status")),
    ("title", N_("Title")),
]


@app.command("expiring")
def expiring_command(
    ctx: typer.Context,
    within: Annotated[
        int,
        typer.Option("--within", min=0, max=MAX_DAYS, metavar="DAYS", help="Days ahead to look."),
    ] = 90,
    province: ProvinceOption = None,
    as_of: AsOfOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """List agreements ending soon.

    Agreements in force whose term ends within the window, soonest first.

    The usual reminders are 90, 60, 30 and 7 days before the end, and the end day itself;
    `window` (in json and csv) says which one an agreement has reached, empty when its end is
    further away than 90 days.

    Examples:

    \b
        ks expiring --within 30
        ks expiring --province jatim --format json
    """
    from kerjasama_cli import lifecycle

    day = parse_date_option("--as-of", as_of) or date.today()
    with reading(ctx) as sql:
        rows = lifecycle.expiring(sql, day, within, _province_code(province))
        _output(
            rows,
            fmt,
            EXPIRING_COLUMNS,
            ngettext(
                "nothing ends within {days} day of {day}",
                "nothing ends within {days} days of {day}",
                within,
            ).format(days=within, day=format_date(day)),
            ("key", "kind", "title", "status", "ends_on", "days_left", "window"),
        )


IDLE_COLUMNS = [
    ("idle_days", N_("Idle days")),
    ("last_activity", N_("Last activity")),
    ("key", N_("Agreement")),
    ("title", N_("Title")),
]


@app.command("idle")
def idle_command(
    ctx: typer.Context,
    days: Annotated[
        int,
        typer.Option(
            "--days", min=0, max=MAX_DAYS, metavar="DAYS", help="Idle for more than this many days."
        ),
    ] = 180,
    province: ProvinceOption = None,
    as_of: AsOfOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """List agreements without recent activity.

    Agreements in force with no follow-up activity for more than DAYS days.

    The idle time runs from the latest activity, else from when the agreement came into
    force (its start, or its last signature).

    Examples:

    \b
        ks idle --days 180
        ks idle --days 90 --province kaltim --format csv
    """
    from kerjasama_cli import lifecycle

    day = parse_date_option("--as-of", as_of) or date.today()
    with reading(ctx) as sql:
        rows = lifecycle.idle(sql, day, days, _province_code(province))
        _output(
            rows,
            fmt,
            IDLE_COLUMNS,
            ngettext(
                "every agreement in force had an activity within {days} day",
                "every agreement in force had an activity within {days} days",
                days,
            ).format(days=days),
            ("key", "kind", "title", "status", "in_force_since", "last_activity", "idle_days"),
        )


class Recommendation(StrEnum):
    continue_ = "continue"
    extend = "extend"
    stop = "stop"


@app.command("evaluate")
def evaluate_command(
    ctx: typer.Context,
    key: KeyArgument,
    finding: Annotated[
        str, typer.Option("--finding", metavar="TEXT", help="What the evaluation found.")
    ],
    recommendation: Annotated[
        Recommendation,
        typer.Option("--recommendation", help="continue, extend or stop.", case_sensitive=False),
    ],
    on: Annotated[
        str | None,
        typer.Option("--date", "-d", metavar="DATE", help=f"Date of the evaluation: {DATE_HELP}."),
    ] = None,
) -> None:
    """Record an evaluation result.

    A monitoring-and-evaluation finding and its recommendation; `ks show` shows the latest.

    Example:

    \b
        ks evaluate PKS-2022-0003 --date 2023-12-15 --finding "Pertukaran guru vokasi berjalan" --recommendation continue
    """
    from kerjasama_cli import ledger, render

    given = parse_date_option("--date", on)
    day = given or date.today()
    seq = write(
        ctx,
        lambda sql, actor: ledger.evaluate(sql, actor, key, day, finding, recommendation.value),
    )
    render.message(
        _("evaluation of {key} on {day} recorded as entry {seq}").format(
            key=key.upper(), day=recorded_on(day, given is not None), seq=seq
        )
    )


activity_app = typer.Typer(
    help="Follow-up activities carried out under agreements.", no_args_is_help=True
)
app.add_typer(activity_app, name="activity")

ACTIVITY_COLUMNS = [
    ("date", N_("Date")),
    ("agreement", N_("Agreement")),
    ("party", N_("By")),
    ("description", N_("Activity")),
]


@activity_app.command("add")
def activity_add(
    ctx: typer.Context,
    key: KeyArgument,
    description: Annotated[
        str, typer.Option("--description", metavar="TEXT", help="What was done.")
    ],
    on: Annotated[
        str | None, typer.Option("--date", "-d", metavar="DATE", help=f"When: {DATE_HELP}.")
    ] = None,
    party: Annotated[
        str | None,
        typer.Option(
            "--party",
            "-P",
            metavar="PARTY",
            help="Which party carried it out.",
            autocompletion=complete_party,
        ),
    ] = None,
) -> None:
    """Record a technical activity carried out under an agreement.

    Example:

    \b
        ks activity add PKS-2022-0001 --date 2023-03-14 --description "Bimbingan teknis interoperabilitas data" --party kominfo-jatim
    """
    from kerjasama_cli import ledger, render

    given = parse_date_option("--date", on)
    day = given or date.today()
    seq = write(
        ctx, lambda sql, actor: ledger.add_activity(sql, actor, key, day, description, party)
    )
    render.message(
        _("activity under {key} on {day} recorded as entry {seq}").format(
            key=key.upper(), day=recorded_on(day, given is not None), seq=seq
        )
    )


@activity_app.command("list")
def activity_list(
    ctx: typer.Context,
    key: Annotated[
        str | None,
        typer.Argument(
            metavar="[KEY]",
            help="Only this agreement's activities.",
            autocompletion=complete_key,
        ),
    ] = None,
    province: ProvinceOption = None,
    as_of: AsOfOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """List follow-up activities, oldest first.

    Examples:

    \b
        ks activity list PKS-2022-0001
        ks activity list --province jatim --format csv
    """
    from kerjasama_cli import lifecycle, queries

    day = parse_date_option("--as-of", as_of) or date.today()
    with reading(ctx) as sql:
        agreement_id = queries.find_agreement(sql, key, withdrawn=True).id if key else None
        rows = lifecycle.activities(sql, agreement_id, day, _province_code(province))
        _output(iter(rows), fmt, ACTIVITY_COLUMNS, _("no activities recorded"))


def _output(
    rows: Iterator[dict[str, Any]],
    fmt: Format,
    columns: list[tuple[str, str]],
    empty: str,
    csv_keys: Sequence[str] = (),
) -> None:
    from kerjasama_cli import render

    if fmt is Format.json:
        render.write_json_array(rows)
    elif fmt is Format.csv:
        render.write_csv(rows, [(k, k) for k in csv_keys or [k for k, _header in columns]])
    else:
        render.write_table(rows, columns, empty=empty)
