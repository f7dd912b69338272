"""`ks pending`: every side of an agreement still waiting for a signature, longest wait first."""

from datetime import date
from typing import Annotated, Literal

import typer

from kerjasama_cli.cli.app import (
    MAX_DAYS,
    AsOfOption,
    Format,
    FormatOption,
    KindOption,
    ProvinceOption,
    app,
    parse_date_option,
    reading,
)
from kerjasama_cli.cli.completion import complete_party
from kerjasama_cli.i18n import N_, _, format_date

COLUMNS = [
    ("waiting_days", N_("Days")),
    ("waiting_since", N_("Since")),
    ("agreement", N_("Agreement")),
    ("party", N_("Waiting for")),
    ("title", N_("Title")),
]
CSV_COLUMNS = [
    (key, key)
    for key in ("agreement", "kind", "title", "party", "province", "waiting_since", "waiting_days")
]
TERMINAL_ROWS = 50
# On a terminal each wait is one line: the title gives up width first, then the party, whose
# name is cut in the middle so that its region (at the end) still shows. Never the key or
# the days.
SHORTENED: list[tuple[str, Literal["end", "middle"]]] = [("title", "end"), ("party", "middle")]


@app.command("pending")
def pending_command(
    ctx: typer.Context,
    province: ProvinceOption = None,
    party: Annotated[
        str | None,
        typer.Option(
            "--party",
            "-P",
            metavar="PARTY",
            help="Only this party's signatures.",
            autocompletion=complete_party,
        ),
    ] = None,
    kind: KindOption = None,
    older_than: Annotated[
        int | None,
        typer.Option(
            "--older-than",
            min=0,
            max=MAX_DAYS,
            metavar="DAYS",
            help="Only those waiting more than DAYS days.",
        ),
    ] = None,
    as_of: AsOfOption = None,
    show_all: Annotated[
        bool,
        typer.Option(
            "--all",
            "-a",
            help=f"On a terminal, show every row (default: the {TERMINAL_ROWS} longest waits).",
        ),
    ] = False,
    fmt: FormatOption = Format.table,
) -> None:
    """List the signatures still outstanding, longest wait first.

    One row per party that has not signed: which document, waiting for whom, since when.

    The wait runs from the latest handover of the originals to that party (or to its
    region's government), else from the agreement's date. --province takes every party
    located in the province: its government, agencies, regencies/cities and theirs.

    Examples:

    \b
        ks pending --province jatim
        ks pending --province kaltim --older-than 30
        ks pending --as-of 2022-09-10 --format json
    """
    from kerjasama_cli import queries, regions, render

    day = parse_date_option("--as-of", as_of) or date.today()
    province_code = regions.load().resolve_province(province).code if province else None
    with reading(ctx) as sql:
        party_id = None
        if party is not None:
            party_id = queries.resolve_party(sql, party).id
            if party_id is None:  # a region's government never used: nothing can wait for it
                party_id = -1
        rows = queries.pending(
            sql, day, province_code, party_id, kind.value if kind else None, older_than
        )
        if fmt is Format.json:
            render.write_json_array(rows)
        elif fmt is Format.csv:
            render.write_csv(rows, CSV_COLUMNS)
        else:
            render.write_table(
                rows,
                COLUMNS,
                limit=None if show_all else TERMINAL_ROWS,
                title=_("Waiting for signature as of {date}").format(date=format_date(day)),
                empty=_("nothing is waiting for a signature"),
                more_hint=_("(--all shows every row)"),
                shorten=SHORTENED,
            )
