"""`ks add-agreement`, `ks sign`, `ks handover`, `ks list` and `ks show`.

stdout carries data only: the new key of add-agreement (so `KEY=$(ks add-agreement ...)`
works), lists and details. Every confirmation goes to stderr, and says the date it recorded.
"""

from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer

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
        ks add-agreement --kind ksb --title "Kerja Sama Pembangunan Daerah" --party kaltim --party jatim --date "28 Juli 2022" --place Samarinda --number kaltim=120/4521/B.PEM
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
    names = " and ".join(p["party"] for p in detail["parties"])
    agreed = recorded_on(date.fromisoformat(detail["date"]), agreed_on is not None)
    if already:
        render.message(
            f"already recorded as {key}: {detail['title']} ({names}), agreed on {agreed}; "
            "nothing added"
        )
    else:
        render.message(f"recorded {key}: {detail['title']} ({names}), agreed on {agreed}")


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
        ks sign PKS-2022-0003 --party kominfo-jatim --date 2022-09-01
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
    state = "now in force" if result.in_force else "still awaiting signatures"
    on_day = recorded_on(result.signed_on, signed_on is not None)
    if result.already:
        render.message(
            f"{result.key} was already signed by {result.party} on {on_day}; "
            f"nothing added ({state})"
        )
    else:
        render.message(f"{result.key} signed by {result.party} on {on_day}; {state}")


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
        ks handover KSB-2022-0001 PKS-2022-0001 PKS-2022-0002 --to jatim --date "11 Agustus 2022" --place Surabaya
    """
    from kerjasama_cli import ledger, render

    handed_on = parse_date_option("--date", on)
    results = write(
        ctx,
        lambda sql, actor: ledger.handover(sql, actor, keys, to, handed_on, place, note),
    )
    for item in results:
        done = "was already recorded as handed over" if item.already else "handed over"
        on_day = recorded_on(item.handed_on, handed_on is not None)
        render.message(
            f"{item.key} {done} to {item.to} on {on_day}, waiting at {', '.join(item.waiting_at)}"
        )


LIST_COLUMNS = [
    ("key", "Key"),
    ("status", "Status"),
    ("signed_of", "Signed"),
    ("date", "Date"),
    ("title", "Title"),
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
            render.write_table((_flat(r) for r in rows), LIST_COLUMNS, empty="no agreements")


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
    """One agreement as indented text: it fits any terminal width and reads the same in a pipe.

    Each line is shown visibly: a value with a newline or an ESC sequence (a ledger edited by
    hand) stays on its own line and cannot steer the terminal.
    """
    from kerjasama_cli import render

    lines = [
        f"{detail['key']}  {detail['title']}",
        f"  status:  {detail['status']}",
        f"  agreed:  {detail['date']}" + (f" in {detail['place']}" if detail["place"] else ""),
    ]
    if detail.get("withdrawn"):
        w = detail["withdrawn"]
        lines.insert(
            2,
            f"  withdrawn: {w['reason']} (entry {w['entry']}, recorded {w['recorded_at'][:10]} "
            f"by {w['recorded_by']}); it counts nowhere",
        )
    if detail.get("in_force_since"):
        lines.append(f"  in force since {detail['in_force_since']}")
    term = _term(detail)
    if term:
        lines.append(f"  term:    {term}")
    if detail.get("terminated_on"):
        lines.append(f"  terminated on {detail['terminated_on']}")
    if detail["parent"]:
        lines.append(f"  parent:  {detail['parent']}")
    if detail.get("renews"):
        lines.append(f"  renews:  {detail['renews']}")
    if detail.get("renewed_by"):
        lines.append(f"  renewed by {', '.join(detail['renewed_by'])}")
    lines.append("parties:")
    for number, side in enumerate(detail["parties"], start=1):
        lines.append(f"  {number}. {side['party']}")
        facts = []
        if side["number"]:
            facts.append(f"number {side['number']}")
        if side["signed_on"]:
            signed = f"signed {side['signed_on']}"
            if side["place"]:
                signed += f" in {side['place']}"
            who = ", ".join(x for x in (side["signatory"], side["title"]) if x)
            facts.append(signed + (f" by {who}" if who else ""))
        else:
            facts.append("not signed")
        lines.append("     " + "; ".join(facts))
    if detail["handovers"]:
        lines.append("handovers:")
        for item in detail["handovers"]:
            where = f" in {item['place']}" if item["place"] else ""
            note = f" ({item['note']})" if item["note"] else ""
            lines.append(f"  {item['date']} to {item['to']}{where}{note}")
    if detail["children"]:
        lines.append("implemented or amended by:")
        lines.extend(f"  {c['key']}  {c['title']}" for c in detail["children"])
    if detail.get("activities"):
        lines.append("activities:")
        lines.extend(f"  {a['date']}  {a['description']}" for a in detail["activities"])
    if detail.get("evaluation"):
        e = detail["evaluation"]
        lines.append(f"latest evaluation ({e['date']}): {e['recommendation']}; {e['finding']}")
    print("\n".join(render.visible(line) for line in lines))


def _term(detail: dict[str, Any]) -> str:
    parts = []
    if detail.get("start"):
        parts.append(f"from {detail['start']}")
    if detail.get("term_years"):
        parts.append(f"{detail['term_years']} year(s)")
    if detail.get("ends_on"):
        parts.append(f"until {detail['ends_on']}")
    return " ".join(parts)
