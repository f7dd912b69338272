"""`ks report` written out: Markdown, self-contained HTML with charts, JSON and CSV (XLSX in
report_xlsx.py, from the same sections), in Indonesian (the default) or English, whatever the
interface's language: the texts come from the gettext catalog (English msgids, marked with
`N_` and translated by `Words`), the dates from Babel ("11 Agustus 2022").

`sections` is the report as tables of typed cells (dates, counts, keys apart from titles);
each format writes them its own way. Titles, names, notes and the office are data, never
markup: Markdown gets them with HTML and link, image and emphasis syntax escaped, HTML
entity-escaped, CSV quoted against formulas, and XLSX as string cells (never formulas), all
with control characters shown visibly. JSON gives them back exactly.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
from collections.abc import Callable
from datetime import date
from typing import Any, NamedTuple

from kerjasama_cli.i18n import N_, translator
from kerjasama_cli.render import csv_cell, visible
from kerjasama_cli.report import AGE_BUCKETS, CSV_COLUMNS, Register, csv_rows

# The status, kind and recommendation words shown to people (JSON and CSV keep the values).
STATUSES = {
    "awaiting-signatures": N_("awaiting signatures"),
    "in-force": N_("in force"),
    "expiring": N_("expiring"),
    "expired": N_("expired"),
    "terminated": N_("terminated"),
    "superseded": N_("superseded"),
}
KINDS = {
    "ksb": N_("Memorandum of agreement (KSB)"),
    "pks": N_("Cooperation agreement (PKS)"),
    "addendum": N_("Addendum"),
}
RECOMMENDATIONS = {"continue": N_("continue"), "extend": N_("extend"), "stop": N_("stop")}


class Words:
    """The report's words and dates in its own language (`--lang`), not the interface's:
    the texts come from the gettext catalog, the dates from Babel."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self._gettext = translator(lang)

    def __call__(self, message: str, **values: Any) -> str:
        """`message` (an English msgid marked with N_) in the report's language, with
        `values` put into its named placeholders."""
        text = self._gettext(message)
        return text.format(**values) if values else text

    def date(self, value: str | date | None) -> str:
        if value is None:
            return self(N_("none yet"))
        from babel.dates import format_date

        day = value if isinstance(value, date) else date.fromisoformat(str(value))
        return str(format_date(day, format="long", locale=self.lang))

    def status(self, value: str) -> str:
        return self(STATUSES[value]) if value in STATUSES else value

    def kind(self, value: str) -> str:
        return self(KINDS[value]) if value in KINDS else value

    def recommendation(self, value: str) -> str:
        return self(RECOMMENDATIONS[value]) if value in RECOMMENDATIONS else value

    def province(self, group: dict[str, Any]) -> str:
        return group["province_name"] or self(N_("no province"))


# --- a format-neutral view: titled sections of tables of typed cells ----------------------

# What a column holds: each format writes it its own way (Markdown and HTML with the dates in
# words and numbers to the right, xlsx as real numbers and date cells).
TEXT, KEY, COUNT, DATE = "text", "key", "count", "date"
Cell = str | int | date | None  # a DATE column's None is "none yet"


class Column(NamedTuple):
    header: str
    kind: str = TEXT


class Section(NamedTuple):
    """One section of the report, whatever the format."""

    sheet: str  # the short name: an xlsx sheet, an HTML anchor
    heading: str
    columns: list[Column]
    rows: list[list[Cell]]
    note: str  # after the table, or ""
    empty: str  # instead of the table when there are no rows


def sections(data: dict[str, Any], w: Words) -> list[Section]:
    """Every section of the report, in the report's language."""
    none = w(N_("None."))
    key, title = Column(w(N_("Key")), KEY), Column(w(N_("Title")))
    out: list[Section] = []
    out.append(
        Section(
            w(N_("Totals")),
            w(N_("Documents by status")),
            [Column(w(N_("Status"))), Column(w(N_("Kind"))), Column(w(N_("Count")), COUNT)],
            [[w.status(t["status"]), w.kind(t["kind"]), t["count"]] for t in data["totals"]],
            "",
            none,
        )
    )
    ages = [label for _, _, label in AGE_BUCKETS]
    out.append(
        Section(
            w(N_("Waiting")),
            w(N_("Documents waiting for signature, by the signing party's province")),
            [
                Column(w(N_("Province"))),
                Column(w(N_("Count")), COUNT),
                *(Column(a, COUNT) for a in ages),
                Column(w(N_("Oldest")), KEY),
                Column(w(N_("Party"))),
                Column(w(N_("Waiting since")), DATE),
                Column(w(N_("Days")), COUNT),
            ],
            [
                [
                    w.province(g),
                    g["count"],
                    *(g["ages"][a] for a in ages),
                    g["oldest"]["agreement"],
                    g["oldest"]["party"],
                    _day(g["oldest"]["waiting_since"]),
                    g["oldest"]["waiting_days"],
                ]
                for g in data["waiting"]
            ],
            "",
            w(N_("No document is waiting for a signature.")),
        )
    )
    if data["changes"] is not None:
        since = w.date(data["since"])
        c = data["changes"]
        # Each change section: its sheet name, its heading, and a last column of its own.
        changed: dict[str, tuple[str, str, str, Callable[[dict[str, Any]], str]]] = {
            "signed": (
                N_("Signed"),
                N_("Changes since {date}: signed"),
                N_("Party"),
                lambda r: r["party"],
            ),
            "handed_over": (
                N_("Handed over"),
                N_("Changes since {date}: handed over"),
                N_("To"),
                lambda r: r["to"],
            ),
            "ended": (
                N_("Expired or terminated"),
                N_("Changes since {date}: expired or terminated"),
                N_("Note"),
                lambda r: r["reason"] or "",
            ),
            "evaluated": (
                N_("Evaluated"),
                N_("Changes since {date}: evaluated"),
                N_("Note"),
                lambda r: f"{w.recommendation(r['recommendation'])}: {r['finding']}",
            ),
        }
        for name, (sheet, heading, column, cell) in changed.items():
            out.append(
                Section(
                    w(sheet),
                    w(heading, date=since),
                    [Column(w(N_("Date")), DATE), key, title, Column(w(column))],
                    [[_day(r["date"]), r["agreement"], r["title"], cell(r)] for r in c[name]],
                    "",
                    none,
                )
            )
    out.append(
        Section(
            w(N_("Expiring")),
            w(N_("Ending in the next {days} days"), days=data["expiring_days"]),
            [
                Column(w(N_("Ends")), DATE),
                Column(w(N_("Days left")), COUNT),
                key,
                title,
                Column(w(N_("Status"))),
            ],
            [
                [_day(r["ends_on"]), r["days_left"], r["key"], r["title"], w.status(r["status"])]
                for r in data["expiring"]
            ],
            "",
            none,
        )
    )
    idle = data["idle"]
    more = idle["count"] - len(idle["longest"])
    days = data["idle_days"]
    out.append(
        Section(
            w(N_("Idle")),
            w(
                N_("In force with no activity in the last {days} days: {count}"),
                days=days,
                count=idle["count"],
            )
            if more
            else w(N_("In force with no activity in the last {days} days"), days=days),
            [
                Column(w(N_("Days idle")), COUNT),
                Column(w(N_("Last activity")), DATE),
                key,
                title,
            ],
            [
                [r["idle_days"], _day(r["last_activity"]), r["key"], r["title"]]
                for r in idle["longest"]
            ],
            w(N_("And {more} more; the full list: `ks idle --days {days}`."), more=more, days=days)
            if more
            else "",
            none,
        )
    )
    return out


def _day(value: str | None) -> date | None:
    """A day of the report's data (ISO text) as a date."""
    return None if value is None else date.fromisoformat(value)


def text_of(value: Cell, column: Column, w: Words) -> str:
    """A cell as text: dates in the report's words ("11 Agustus 2022"), None as nothing."""
    if column.kind == DATE:
        return w.date(value if isinstance(value, date) else None)
    return "" if value is None else str(value)


def ledger_lines(data: dict[str, Any], w: Words) -> tuple[str, str, str]:
    """The foot of the report: the as-of date and the ledger's size; the head hash, on a line
    of its own (`ks verify --heads` reads a line with one hash); and what the hash is for."""
    return (
        w(
            N_("As of {date}. Ledger: {entries} entries. Generated by ks."),
            date=w.date(data["as_of"]),
            entries=data["ledger"]["entries"],
        ),
        w(N_("Ledger head hash: {head}"), head=data["ledger"]["head"]),
        w(
            N_(
                "Keep this hash: later, ks verify --head with it shows whether the ledger "
                "still holds, unchanged, the entries this report was made from."
            )
        ),
    )


def heading(data: dict[str, Any], w: Words) -> str:
    if data["province"]:
        return w(
            N_("Regional Cooperation Report — Province {province}"),
            province=data["province_name"],
        )
    return w(N_("Regional Cooperation Report"))


def as_of_line(data: dict[str, Any], w: Words) -> str:
    return w(N_("As of {date}"), date=w.date(data["as_of"]))


def office(data: dict[str, Any]) -> str | None:
    """The office the report is issued under, as text that shows (control characters
    escaped), or None (reports from before the field, or none given)."""
    value = data.get("office")
    return visible(value) if value else None


# --- formats -------------------------------------------------------------------------------


def markdown(data: dict[str, Any], lang: str) -> str:
    w = Words(lang)
    lines = []
    if (issuer := office(data)) is not None:
        lines += [f"**{_md(issuer)}**", ""]  # our markup opens the line, never the value
    lines += [f"# {_md(heading(data, w))}", "", as_of_line(data, w), ""]
    for _, title, columns, rows, note, empty in sections(data, w):
        lines += [f"## {_md(title)}", ""]
        if not rows:
            lines += [empty, ""]
            continue
        lines.append("| " + " | ".join(_md(c.header) for c in columns) + " |")
        lines.append("|" + "|".join("--:" if c.kind == COUNT else "---" for c in columns) + "|")
        lines += [
            "| "
            + " | ".join(_md(text_of(v, c, w)) for v, c in zip(row, columns, strict=True))
            + " |"
            for row in rows
        ]
        lines.append("")
        if note:
            lines += [note, ""]  # ours: numbers and a `ks idle` command in a code span
    ledger, head, purpose = ledger_lines(data, w)
    lines += ["---", "", _md(ledger), "", _md(head), "", _md(purpose), ""]
    return "\n".join(lines)


# HTML as entities (no raw tag, comment or autolink `<http://...>` can open), and a backslash
# before each character of Markdown's inline syntax: links and images `[x](y)` `![x](y)`,
# emphasis, code spans, strikethrough, table cells, and a heading `#`. Values never start a
# line: `visible` shows their line breaks as `\\x0a`.
_MARKDOWN = {
    ord("&"): "&amp;",
    ord("<"): "&lt;",
    ord(">"): "&gt;",
    **{ord(c): "\\" + c for c in "\\`*_[]()!|#~"},
}


def _md(text: str) -> str:
    """Text from the ledger as Markdown that renders as exactly that text, never as markup."""
    return visible(text).translate(_MARKDOWN)


def json_text(data: dict[str, Any], lang: str) -> str:
    return json.dumps({**data, "lang": lang}, ensure_ascii=False, indent=2) + "\n"


def csv_text(data: dict[str, Any], lang: str) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in csv_rows(data):
        writer.writerow({key: csv_cell(value) for key, value in row.items()})
    return out.getvalue()


# Readable from a phone (400 px) to print: the body is at most 60rem wide; a table wider
# than the screen scrolls inside its own box (.scroll), never the page; dates and keys do not
# break; the bar charts are a grid of label, bar and number that narrows with the page.
STYLE = """
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2733;
 margin:2rem auto;max-width:60rem;padding:0 1rem;line-height:1.4}
header .office{font-weight:600;margin:0 0 .3rem;color:#3d4a59}
h1{font-size:1.6rem;border-bottom:3px solid #0b5394;padding-bottom:.3rem;margin-top:0}
h2{font-size:1.15rem;color:#0b5394;margin-top:2rem;break-after:avoid}
.scroll{overflow-x:auto;max-width:100%;margin:.5rem 0 1rem}
table{border-collapse:collapse;width:100%;font-size:.9rem}
th,td{border:1px solid #c8d1dc;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#e8eef6;white-space:nowrap}
tr:nth-child(even) td{background:#f7f9fc}
td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.d,td.k{white-space:nowrap}
td:not([class]){min-width:8rem}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,22rem),1fr));
 gap:1.5rem 2rem}
figure{margin:0;min-width:0}
figcaption{font-weight:600;margin-bottom:.4rem}
.bars{display:grid;grid-template-columns:fit-content(50%) minmax(3rem,1fr) auto;
 gap:.3rem .5rem;align-items:center;font-size:.85rem}
.bars .label{text-align:right;overflow-wrap:anywhere}
.bars svg{display:block;width:100%;height:.95rem}
.bars .v{font-variant-numeric:tabular-nums}
footer{margin-top:2rem;font-size:.8rem;color:#5b6776}
footer p{margin:.3rem 0}
footer .hash{font-size:.7rem;overflow-wrap:anywhere}
p.more{font-size:.9rem;color:#5b6776}
@media print{body{margin:0;max-width:none}h2{break-after:avoid}tr{break-inside:avoid}
 .charts{break-inside:avoid}.scroll{overflow:visible}}
"""


def html_text(data: dict[str, Any], lang: str) -> str:
    w = Words(lang)
    e = _html
    title = heading(data, w)
    issuer = office(data)
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{lang}"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(title)}</title><style>{STYLE}</style></head><body>",
        "<header>",
        *([f'<p class="office">{e(issuer)}</p>'] if issuer else []),
        f"<h1>{e(title)}</h1>",
        f"<p>{e(as_of_line(data, w))}</p>",
        "</header>",
        '<div class="charts">',
        _bar_chart(
            "chart-waiting",
            w(N_("Waiting for signature, by province")),
            [(w.province(g), g["count"]) for g in data["waiting"]],
        ),
        _bar_chart(
            "chart-ages",
            w(N_("Days waiting")),
            [
                (label, sum(g["ages"][label] for g in data["waiting"]))
                for _, _, label in AGE_BUCKETS
            ],
        ),
        "</div>",
    ]
    for name, section_title, columns, rows, note, empty in sections(data, w):
        parts.append(f'<h2 id="{e(name.lower().replace(" ", "-"))}">{e(section_title)}</h2>')
        if not rows:
            parts.append(f"<p>{e(empty)}</p>")
            continue
        parts.append(
            f'<div class="scroll" role="region" tabindex="0" aria-label="{e(section_title)}">'
            "<table><thead><tr>"
            + "".join(f"<th>{e(c.header)}</th>" for c in columns)
            + "</tr></thead><tbody>"
        )
        for row in rows:
            parts.append(
                "<tr>"
                + "".join(
                    f"<td{_CLASSES[c.kind]}>{e(text_of(v, c, w))}</td>"
                    for v, c in zip(row, columns, strict=True)
                )
                + "</tr>"
            )
        parts.append("</tbody></table></div>")
        if note:
            parts.append(f'<p class="more">{_code(e(note))}</p>')
    ledger, head, purpose = ledger_lines(data, w)
    parts.append(
        f"<footer><p>{e(ledger)}</p>"
        f'<p class="hash">{e(head)}</p>'
        f'<p class="hash">{e(purpose)}</p></footer></body></html>'
    )
    return "\n".join(parts) + "\n"


_CLASSES = {TEXT: "", KEY: ' class="k"', COUNT: ' class="n"', DATE: ' class="d"'}


def _html(text: str) -> str:
    """Text as HTML that shows exactly that text (control characters escaped visibly)."""
    return html.escape(visible(text))


def _code(text: str) -> str:
    """`command` in a note (already escaped) as <code>."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", text)


def _bar_chart(chart_id: str, caption: str, bars: list[tuple[str, int]]) -> str:
    """A horizontal bar chart: each label as text (it wraps on a narrow screen), its bar an
    inline SVG as wide as the column allows (no script, no network, printed as drawn)."""
    e = _html
    top = max((n for _, n in bars), default=0) or 1
    items = []
    for label, n in bars:
        width = round(100 * n / top, 1)
        items.append(
            f'<div class="label">{e(label)}</div>'
            '<svg viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true">'
            f'<rect class="bar" x="0" y="0" width="{width:g}" height="10" fill="#0b5394">'
            f"<title>{e(label)}: {n}</title></rect></svg>"
            f'<div class="v">{n}</div>'
        )
    return (
        f'<figure id="{chart_id}"><figcaption>{e(caption)}</figcaption>'
        f'<div class="bars" role="img" aria-label="{e(caption)}">{"".join(items)}</div></figure>'
    )


def xlsx_bytes(data: dict[str, Any], lang: str, register: Register | None = None) -> bytes:
    """The workbook (report_xlsx.py): one sheet per section, and with `register` the full
    register of agreements."""
    from kerjasama_cli import report_xlsx

    return report_xlsx.workbook(data, lang, register)


FORMATS: dict[str, Callable[[dict[str, Any], str], str | bytes]] = {
    "md": markdown,
    "html": html_text,
    "json": json_text,
    "csv": csv_text,
    "xlsx": xlsx_bytes,
}
