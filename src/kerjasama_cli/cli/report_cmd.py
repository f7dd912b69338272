"""`ks report` (for leaders, from cron) and `ks check` (for monitoring: exit 1 on problems)."""

import json
import sys
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from kerjasama_cli.cli.app import (
    MAX_DAYS,
    AsOfOption,
    ProvinceOption,
    app,
    parse_date_option,
    reading,
    settings,
)
from kerjasama_cli.i18n import _, format_date


class ReportFormat(StrEnum):
    md = "md"
    html = "html"
    json = "json"
    csv = "csv"
    xlsx = "xlsx"


class Language(StrEnum):
    id = "id"
    en = "en"


@app.command("report")
def report_command(
    ctx: typer.Context,
    as_of: AsOfOption = None,
    since: Annotated[
        str | None,
        typer.Option(
            "--since",
            metavar="DATE",
            help="Also list what was signed, handed over, ended or evaluated since DATE.",
        ),
    ] = None,
    province: ProvinceOption = None,
    lang: Annotated[
        Language,
        typer.Option("--lang", help="id (Bahasa Indonesia) or en.", case_sensitive=False),
    ] = Language.id,
    fmt: Annotated[
        ReportFormat | None,
        typer.Option(
            "--format",
            "-f",
            help="md (for e-mail), html (one self-contained file), xlsx, json or csv. "
            "Default: the one FILE's extension names (.md, .html, .xlsx, .json, .csv), else md.",
            show_default=False,
            case_sensitive=False,
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            metavar="FILE",
            help="Write to FILE atomically instead of stdout (xlsx needs it), as UTF-8; "
            "never onto the ledger; a FILE replaced keeps its permissions.",
        ),
    ] = None,
    office: Annotated[
        str | None,
        typer.Option(
            "--office",
            metavar="TEXT",
            envvar="KS_OFFICE",
            show_envvar=False,
            help="The office the report is issued by, shown above its title "
            "(md, html, xlsx; JSON's office field). Default: KS_OFFICE; empty for none.",
        ),
    ] = None,
) -> None:
    """Write the report for leaders.

    Totals, what waits where, what changed, what ends.

    Sections: totals by status and kind; documents waiting for signature by the signing
    party's province, in age buckets (0-30, 31-90, 91-180, over 180 days) with the oldest
    named; with --since, what was signed, handed over, ended or evaluated; agreements ending
    in the next 90 days; how many agreements in force have had no activity for 180 days, with
    the 50 idle longest named (ks idle lists them all); the ledger's head hash and the as-of
    date. The xlsx also has the register of every agreement (parties, numbers, signature
    dates, term, status), dates as date cells, filters, and a print setup one page wide.
    Deterministic for a given --as-of.

    With --out, the format is the one FILE's extension names unless --format says otherwise;
    a --format that contradicts the extension is refused. FILE is written as UTF-8, is never
    the ledger, and a FILE replaced keeps its permissions (a new one gets the umask's).

    Examples:

    \b
        ks report --since 2022-08-01 --as-of 2022-09-10
        ks report --out laporan-kerja-sama.html
        ks report --lang en --out report.xlsx
        ks report --office "Biro Pemerintahan Setda Prov. Kaltim" --out laporan.xlsx
    """
    from kerjasama_cli import outputs, regions, render, report, report_render
    from kerjasama_cli.errors import InvalidInput

    day = parse_date_option("--as-of", as_of) or date.today()
    since_day = parse_date_option("--since", since)
    if since_day and since_day > day:
        raise InvalidInput(
            _("--since {since} is after the report's date {day}").format(
                since=format_date(since_day), day=format_date(day)
            )
        )
    chosen = outputs.format_for(out, fmt.value if fmt else None, ReportFormat.md.value)
    if chosen == ReportFormat.xlsx and out is None and sys.stdout.isatty():
        raise InvalidInput(_("an xlsx report is a binary file: give --out FILE"))
    location = settings(ctx).location
    # A ledger file is never a destination; a database has no file to write over.
    ledger = location if isinstance(location, Path) else None
    if out is not None:  # refused before the work of building the report, not after
        outputs.destination(out, ledger)
    province_code = regions.load().resolve_province(province).code if province else None
    issuer = office.strip() if office else None
    content: str | bytes
    with reading(ctx) as sql:
        data = report.build(sql, day, since_day, province_code, office=issuer or None)
        if chosen == ReportFormat.xlsx:  # the register is read while the workbook is written
            register = report.register(sql, day, province_code)
            content = report_render.xlsx_bytes(data, lang.value, register)
        else:
            content = report_render.FORMATS[chosen](data, lang.value)
    if out is not None:
        render.write_atomically(out, content, ledger)
        render.message(_("wrote {file}").format(file=out))
    elif isinstance(content, bytes):
        sys.stdout.buffer.write(content)
    else:
        sys.stdout.write(content)


class CheckFormat(StrEnum):
    text = "text"
    json = "json"


@app.command("check")
def check_command(
    ctx: typer.Context,
    max_wait: Annotated[
        int,
        typer.Option(
            "--max-wait",
            min=0,
            max=MAX_DAYS,
            metavar="DAYS",
            help="A signature waiting longer than this is a problem.",
        ),
    ] = 90,
    expiring_within: Annotated[
        int,
        typer.Option(
            "--expiring-within",
            min=0,
            max=MAX_DAYS,
            metavar="DAYS",
            help="An agreement ending within this many days is a problem.",
        ),
    ] = 30,
    as_of: AsOfOption = None,
    full: Annotated[
        bool, typer.Option("--full", help="Also replay the whole ledger, as ks verify does.")
    ] = False,
    fmt: Annotated[
        CheckFormat, typer.Option("--format", "-f", help="text or json.", case_sensitive=False)
    ] = CheckFormat.text,
) -> None:
    """Print the problems to act on; exit 1 if any.

    For monitoring: exit 0 when there are none.

    Problems: signatures waiting longer than --max-wait days; agreements ending within
    --expiring-within days; agreements whose term has ended in the last year with no
    renewal; and any damage to the ledger (integrity and hash chain; --full adds the replay).

    Examples:

    \b
        ks check --max-wait 60 --expiring-within 30
        ks check --format json > check.json || echo "ada masalah: lihat check.json"
    """
    from kerjasama_cli import checks, render

    day = parse_date_option("--as-of", as_of) or date.today()
    problems = checks.run(settings(ctx).location, day, max_wait, expiring_within, full)
    if fmt is CheckFormat.json:
        print(
            json.dumps(
                {"as_of": day.isoformat(), "ok": not problems, "problems": problems},
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        for problem in problems:
            render.say(problem["message"])
        if not problems:
            print(_("no problems as of {day}").format(day=format_date(day)))
    if problems:
        raise typer.Exit(1)
