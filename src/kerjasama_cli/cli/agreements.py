"""`ks add-agreement`, `ks sign`, `ks handover`, `ks list` and `ks show`.

stdout carries data only: the new key of add-agreement (so `KEY=$(ks add-agreement ...)`
works), lists and details. Every confirmation goes to stderr, and says the date it recorded.
"""

from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer

from kerjasama_cli.i18n import N_, _, format_date, ngettext

if TYPE_CHECKING:
    from kerjasama_cli.ledger import Actor
    from kerjasama_cli.queries import Sql

from kerjasama_cli.cli.app import (
    DATE_HELP,
    AsOfOption,
    EndOption,
    Format,
    FormatOption,
    Kind,
    KindOption,
    NumbersOption,
    PlaceOption,
    ProvinceOption,
    StartOption,
    Status,
    YearsOption,
    app,
    listed,
    parse_date_option,
    reading,
    recorded_on,
    write,
)
from kerjasama_cli.cli.completion import complete_key, complete_party


class CreatedFormat(StrEnum):
    text = "text"
    json = "json"


class DetailFormat(StrEnum):
    table = "table"
    json = "json"


@app.command("add-agreement")
def add_agreement(
    ctx: typer.Context,
    kind: Annotated[
        Kind,
        typer.Option(
            "--kind",
            "-k",
            help="ksb (Kesepakatan Bersama), pks (Perjanjian Kerja Sama) or addendum.",
            case_sensitive=False,
        ),
    ],
    title: Annotated[
        str, typer.Option("--title", "-t", metavar="TEXT", help="The agreement's title (perihal).")
    ],
    party: Annotated[
        list[str] | None,
        typer.Option(
            "--party",
            "-P",
            metavar="PARTY",
            help="A party (repeat for each; at least two; an addendum takes its parent's).",
            autocompletion=complete_party,
        ),
    ] = None,
    parent: Annotated[
        str | None,
        typer.Option(
            "--parent",
            metavar="KEY",
            help="For a PKS: the KSB it implements; for an addendum: the agreement it amends.",
            autocompletion=complete_key,
        ),
    ] = None,
    number: NumbersOption = None,
    on: Annotated[
        str | None, typer.Option("--date", "-d", metavar="DATE", help=f"Date agreed: {DATE_HELP}.")
    ] = None,
    place: PlaceOption = None,
    start: StartOption = None,
    end: EndOption = None,
    years: YearsOption = None,
    fmt: Annotated[
        CreatedFormat,
        typer.Option(
            "--format",
            "-f",
            help="text prints the new key; json the whole agreement.",
            case_sensitive=False,
        ),
    ] = CreatedFormat.text,
) -> None:
    """Record a new KSB or PKS and print its key.

    Keys look like KSB-2022-0001: the kind, the year agreed, a number.

    Parties are aliases, exact names, or regions (for a region's government).

    Examples:

    \b
        ks add-agreement --kind ksb --title "Kerja Sama Pembangunan Daerah" --party kaltim --party jatim --date "28 Juli 2022" --place Samarinda --number kaltim=120/4521/B.PEM-KS/2022
        ks add-agreement --kind pks --parent KSB-2022-0001 --title "Pengembangan E-Government" --party kominfo-kaltim --party kominfo-jatim --date 2022-07-28
    """
    from kerjasama_cli import ledger, lifecycle, render

    agreed_on = parse_date_option("--date", on)
    start_on = parse_date_option("--start", start)
    end_on = parse_date_option("--end", end)
    numbers = ledger.parse_numbers(number or [])

    def add(sql: "Sql", actor: "Actor") -> tuple[dict[str, Any], bool]:
        added = ledger.add_agreement(
            sql,
            actor,
            kind.value,
            title,
            party or [],
            parent,
            numbers,
            agreed_on,
            place,
            start_on,
            end_on,
            years,
        )
        return lifecycle.agreement_detail(sql, added.key, actor.today), added.already

    detail, already = write(ctx, add)
    key = detail["key"]
    if fmt is CreatedFormat.json:
        render.write_json(detail)
    else:
        render.say(key)
    facts = {
        "key": key,
        "title": detail["title"],
        "parties": listed([p["party"] for p in detail["parties"]]),
        "date": recorded_on(date.fromisoformat(detail["date"]), agreed_on is not None),
    }
    if already:
        render.message(
            _(
                "already recorded as {key}: {title} ({parties}), agreed on {date}; nothing added"
            ).format(**facts)
        )
    else:
        render.message(_("recorded {key}: {title} ({parties}), agreed on {date}").format(**facts))


@app.command("sign")
def sign(
    ctx: typer.Context,
    key: Annotated[
        str,
        typer.Argument(
            metavar="KEY",
            help="The agreement's key, e.g. KSB-2022-0001.",
            autocompletion=complete_key,
        ),
    ],
    party: Annotated[
        str,
        typer.Option(
            "--party",
            "-P",
            metavar="PARTY",
            help="The party that signed.",
            autocompletion=complete_party,
        ),
    ],
    on: Annotated[
        str | None, typer.Option("--date", "-d", metavar="DATE", help=f"Date signed: {DATE_HELP}.")
    ] = None,
    place: Annotated[
        str | None, typer.Option("--place", metavar="PLACE", help="Where it was signed.")
    ] = None,
    signatory: Annotated[
        str | None,
        typer.Option("--signatory", metavar="NAME", help="Name of the person who signed."),
    ] = None,
    title: Annotated[
        str | None,
        typer.Option(
            "--title", metavar="TITLE", help="The signatory's title, e.g. Gubernur Jawa Timur."
        ),
    ] = None,
    number: Annotated[
        str | None,
        typer.Option("--number", "-n", metavar="NUMBER", help="The party's own register number."),
    ] = None,
) -> None:
    """Record one party's signature.

    When every party has signed, the agreement is in force.

    Examples:

    \b
        ks sign KSB-2022-0001 --party jatim --date "20 September 2022" --signatory "Khofifah Indar Parawansa" --number 120/789/013/2022
        ks sign PKS-2022-0003 --party disdik-jatim --date 2022-09-01
    """
    from kerjasama_cli import ledger, render

    signed_on = parse_date_option("--date", on)
    result = write(
        ctx,
        lambda sql, actor: ledger.sign(
            sql, actor, key, party, signed_on, place, signatory, title, number
        ),
    )
    for text in result.warnings:
        render.warning(text)
    facts = {
        "key": result.key,
        "party": result.party,
        "date": recorded_on(result.signed_on, signed_on is not None),
    }
    # Four whole sentences, not one glued from pieces: translations need the whole.
    if result.already and result.in_force:
        text = _("{key} was already signed by {party} on {date}; nothing added (now in force)")
    elif result.already:
        text = _(
            "{key} was already signed by {party} on {date}; "
            "nothing added (still awaiting signatures)"
        )
    elif result.in_force:
        text = _("{key} signed by {party} on {date}; now in force")
    else:
        text = _("{key} signed by {party} on {date}; still awaiting signatures")
    render.message(text.format(**facts))


@app.command("handover")
def handover(
    ctx: typer.Context,
    keys: Annotated[
        list[str],
        typer.Argument(
            metavar="KEY...",
            help="The agreements whose originals were delivered.",
            autocompletion=complete_key,
        ),
    ],
    to: Annotated[
        str,
        typer.Option(
            "--to",
            help="Who received them: a party, or a region's government for its agencies.",
            autocompletion=complete_party,
        ),
    ],
    on: Annotated[
        str | None,
        typer.Option("--date", "-d", metavar="DATE", help=f"Date delivered: {DATE_HELP}."),
    ] = None,
    place: Annotated[
        str | None, typer.Option("--place", metavar="PLACE", help="Where they were delivered.")
    ] = None,
    note: Annotated[
        str | None,
        typer.Option(
            "--note", metavar="TEXT", help="Anything worth keeping (receipt number, who received)."
        ),
    ] = None,
) -> None:
    """Record that originals were delivered for signature.

    All the keys are recorded, or none.

    The wait shown by `ks pending` then runs from this date for every unsigned party
    that is the recipient or one of the recipient government's agencies.

    Example:

    \b
        ks handover PKS-2022-0005 PKS-2022-0006 PKS-2022-0007 --to kaltim --date "15 September 2022" --place Samarinda
    """
    from kerjasama_cli import ledger, render

    handed_on = parse_date_option("--date", on)
    results = write(
        ctx,
        lambda sql, actor: ledger.handover(sql, actor, keys, to, handed_on, place, note),
    )
    for item in results:
        text = (
            _("{key} was already recorded as handed over to {to} on {date}, waiting at {waiting}")
            if item.already
            else _("{key} handed over to {to} on {date}, waiting at {waiting}")
        )
        render.message(
            text.format(
                key=item.key,
                to=item.to,
                date=recorded_on(item.handed_on, handed_on is not None),
                waiting=", ".join(item.waiting_at),
            )
        )


LIST_COLUMNS = [
    ("key", N_("Key")),
    ("status", N_("Status")),
    ("signed_of", N_("Signed")),
    ("date", N_("Date")),
    ("title", N_("Title")),
]


@app.command("list")
def list_command(
    ctx: typer.Context,
    province: ProvinceOption = None,
    kind: KindOption = None,
    state: Annotated[
        Status | None,
        typer.Option("--status", "-s", help="Only agreements in this state.", case_sensitive=False),
    ] = None,
    as_of: AsOfOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """List agreements, their status and signatures.

    Examples:

    \b
        ks list --province jatim --status awaiting-signatures
        ks list --kind pks --format json
    """
    from kerjasama_cli import lifecycle, regions, render

    province_code = regions.load().resolve_province(province).code if province else None
    day = parse_date_option("--as-of", as_of) or date.today()
    with reading(ctx) as sql:
        rows = lifecycle.list_agreements(
            sql, day, province_code, kind.value if kind else None, state.value if state else None
        )
        if fmt is Format.json:
            render.write_json_array(rows)
        elif fmt is Format.csv:
            render.write_csv(
                (_flat(r) for r in rows),
                [
                    ("key", ""),
                    ("kind", ""),
                    ("title", ""),
                    ("status", ""),
                    ("parent", ""),
                    ("date", ""),
                    ("start", ""),
                    ("end", ""),
                    ("ends_on", ""),  # the end the term gives (--end, or --years counted)
                    ("signed", ""),
                    ("parties", ""),
                    ("numbers", ""),
                ],
            )
        else:
            render.write_table(
                (_flat(r) for r in rows),
                LIST_COLUMNS,
                empty=_("no agreements"),
                words={"status": lifecycle.status_word},
            )


def _flat(row: dict[str, Any]) -> dict[str, Any]:
    """One agreement as one line: its parties, and their numbers in the same order (empty
    where a party has none yet), each joined by "; "."""
    parties = row["parties"]
    return {
        **row,
        "parties": "; ".join(p["party"] for p in parties),
        "numbers": "; ".join(p["number"] or "" for p in parties),
        "signed_of": f"{row['signed']}/{len(parties)}",
    }


@app.command("show")
def show(
    ctx: typer.Context,
    key: Annotated[
        str,
        typer.Argument(
            metavar="KEY",
            help="The agreement's key, e.g. KSB-2022-0001.",
            autocompletion=complete_key,
        ),
    ],
    as_of: AsOfOption = None,
    fmt: Annotated[
        DetailFormat,
        typer.Option(
            "--format", "-f", help="table (plain text in a pipe) or json.", case_sensitive=False
        ),
    ] = DetailFormat.table,
) -> None:
    """Show one agreement in full.

    Parties, their numbers and signatures, handovers, the parent KSB and its PKS.

    An agreement withdrawn as recorded in error (ks void KEY) is still shown, for the
    record, with status withdrawn and the reason.

    Example:

    \b
        ks show KSB-2022-0001
    """
    from kerjasama_cli import lifecycle, render

    day = parse_date_option("--as-of", as_of) or date.today()
    with reading(ctx) as sql:
        detail = lifecycle.agreement_detail(sql, key, day)
    if fmt is DetailFormat.table:
        _print_detail(detail)
    else:
        render.write_json(detail)


def _print_detail(detail: dict[str, Any]) -> None:
    """One agreement as indented text, in the interface language (`--format json` is for
    programs): labels, dates and the status in words.

    On a terminal a long line (a party's name, a handover's note) is wrapped at spaces to
    the terminal's width with a hanging indent; in a pipe each item stays one line, for
    grep. Each line is shown visibly: a value with a newline or an ESC sequence (a ledger
    edited by hand) stays on its own line and cannot steer the terminal.
    """
    from kerjasama_cli import lifecycle, render

    agreed = (
        _("agreed:  {date} in {place}").format(date=_day(detail["date"]), place=detail["place"])
        if detail["place"]
        else _("agreed:  {date}").format(date=_day(detail["date"]))
    )
    # (text, hanging indent): a fact's continuation is indented two more than the fact,
    # a title's and a party's start under the title or the name.
    lines: list[tuple[str, int]] = [
        (f"{detail['key']}  {detail['title']}", len(detail["key"]) + 2),
        (
            "  " + _("status:  {status}").format(status=lifecycle.status_word(detail["status"])),
            4,
        ),
        ("  " + agreed, 4),
    ]
    if detail.get("withdrawn"):
        w = detail["withdrawn"]
        recorded = render.local_day(w["recorded_at"])
        lines.insert(
            2,
            (
                "  "
                + _(
                    "withdrawn: {reason} (entry {entry}, recorded {date} by {who}); "
                    "it counts nowhere"
                ).format(
                    reason=w["reason"],
                    entry=w["entry"],
                    date=format_date(recorded) if recorded else w["recorded_at"],
                    who=w["recorded_by"],
                ),
                4,
            ),
        )
    if detail.get("in_force_since"):
        lines.append(
            ("  " + _("in force since {date}").format(date=_day(detail["in_force_since"])), 4)
        )
    term = _term(detail)
    if term:
        lines.append(("  " + _("term:    {term}").format(term=term), 4))
    if detail.get("terminated_on"):
        lines.append(
            ("  " + _("terminated on {date}").format(date=_day(detail["terminated_on"])), 4)
        )
    if detail["parent"]:
        lines.append(("  " + _("parent:  {key}").format(key=detail["parent"]), 4))
    if detail.get("renews"):
        lines.append(("  " + _("renews:  {key}").format(key=detail["renews"]), 4))
    if detail.get("renewed_by"):
        renewed = ", ".join(detail["renewed_by"])
        lines.append(("  " + _("renewed by {keys}").format(keys=renewed), 4))
    lines.append((_("parties:"), 2))
    for number, side in enumerate(detail["parties"], start=1):
        numbered = f"  {number}. "
        lines.append((numbered + side["party"], len(numbered)))
        facts = []
        if side["number"]:
            facts.append(_("number {number}").format(number=side["number"]))
        facts.append(_signed(side))
        lines.append(("     " + "; ".join(facts), 7))
    if detail["handovers"]:
        lines.append((_("handovers:"), 2))
        for item in detail["handovers"]:
            handed = (
                _("{date} to {to} in {place}") if item["place"] else _("{date} to {to}")
            ).format(date=_day(item["date"]), to=item["to"], place=item["place"])
            note = f" ({item['note']})" if item["note"] else ""
            lines.append((f"  {handed}{note}", 4))
    if detail["children"]:
        lines.append((_("implemented or amended by:"), 2))
        lines.extend((f"  {c['key']}  {c['title']}", len(c["key"]) + 4) for c in detail["children"])
    if detail.get("activities"):
        lines.append((_("activities:"), 2))
        for a in detail["activities"]:
            day = _day(a["date"])
            lines.append((f"  {day}  {a['description']}", len(day) + 4))
    if detail.get("evaluation"):
        e = detail["evaluation"]
        lines.append(
            (
                _("latest evaluation ({date}): {recommendation}; {finding}").format(
                    date=_day(e["date"]), recommendation=e["recommendation"], finding=e["finding"]
                ),
                2,
            )
        )
    render.write_lines(lines)


def _signed(side: dict[str, Any]) -> str:
    """One party's signature as `ks show` tells it: when, where, by whom."""
    if not side["signed_on"]:
        return _("not signed")
    who = ", ".join(x for x in (side["signatory"], side["title"]) if x)
    facts = {"date": _day(side["signed_on"]), "place": side["place"], "who": who}
    if side["place"] and who:
        return _("signed {date} in {place} by {who}").format(**facts)
    if side["place"]:
        return _("signed {date} in {place}").format(**facts)
    if who:
        return _("signed {date} by {who}").format(**facts)
    return _("signed {date}").format(**facts)


def _day(value: Any) -> str:
    """A day from the ledger (ISO) as people read it: "28 July 2022" / "28 Juli 2022"."""
    try:
        return format_date(date.fromisoformat(str(value)))
    except ValueError:  # not a plain day (a ledger edited by hand): shown as it is
        return str(value)


def _term(detail: dict[str, Any]) -> str:
    parts = []
    if detail.get("start"):
        parts.append(_("from {date}").format(date=_day(detail["start"])))
    if detail.get("term_years"):
        years = detail["term_years"]
        parts.append(ngettext("{count} year", "{count} years", years).format(count=years))
    if detail.get("ends_on"):
        parts.append(_("until {date}").format(date=_day(detail["ends_on"])))
    return " ".join(parts)
