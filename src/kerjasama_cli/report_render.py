"""`ks report` written out: Markdown, self-contained HTML with charts, XLSX, JSON and CSV,
in Indonesian (the default) or English, whatever the interface's language: the texts come
from the gettext catalog (English msgids, marked with `N_` and translated by `Words`), the
dates from Babel ("11 Agustus 2022").

Titles, names and notes are data, never markup: Markdown gets them with HTML and link,
image and emphasis syntax escaped, HTML entity-escaped, CSV quoted against formulas, and
XLSX as string cells (never formulas). JSON gives them back exactly.
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
from kerjasama_cli.report import AGE_BUCKETS, CSV_COLUMNS, csv_rows

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


# --- a format-neutral view: titled sections of tables -------------------------------------


class Section(NamedTuple):
    """One section of the report, whatever the format."""

    sheet: str  # the short name: an xlsx sheet, an HTML anchor
    heading: str
    header: list[str]
    rows: list[list[str]]
    note: str  # after the table, or ""
    empty: str  # instead of the table when there are no rows


def sections(data: dict[str, Any], w: Words) -> list[Section]:
    """Every section of the report, in the report's language."""
    none = w(N_("None."))
    out: list[Section] = []
    out.append(
        Section(
            w(N_("Totals")),
            w(N_("Documents by status")),
            [w(N_("Status")), w(N_("Kind")), w(N_("Count"))],
            [[w.status(t["status"]), w.kind(t["kind"]), str(t["count"])] for t in data["totals"]],
            "",
            none,
        )
    )
    ages = [label for _, _, label in AGE_BUCKETS]
    out.append(
        Section(
            w(N_("Waiting")),
            w(N_("Documents waiting for signature, by the signing party's province")),
            [w(N_("Province")), w(N_("Count")), *ages, w(N_("Oldest"))],
            [
                [
                    w.province(g),
                    str(g["count"]),
                    *(str(g["ages"][a]) for a in ages),
                    _oldest(g["oldest"], w),
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
                    [w(N_("Date")), w(N_("Document")), w(column)],
                    [
                        [w.date(r["date"]), f"{r['agreement']} {r['title']}", cell(r)]
                        for r in c[name]
                    ],
                    "",
                    none,
                )
            )
    out.append(
        Section(
            w(N_("Expiring")),
            w(N_("Ending in the next {days} days"), days=data["expiring_days"]),
            [w(N_("Ends")), w(N_("Days left")), w(N_("Document")), w(N_("Status"))],
            [
                [
                    w.date(r["ends_on"]),
                    str(r["days_left"]),
                    f"{r['key']} {r['title']}",
                    w.status(r["status"]),
                ]
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
            [w(N_("Days idle")), w(N_("Last activity")), w(N_("Document"))],
            [
                [str(r["idle_days"]), w.date(r["last_activity"]), f"{r['key']} {r['title']}"]
                for r in idle["longest"]
            ],
            w(N_("And {more} more; the full list: `ks idle --days {days}`."), more=more, days=days)
            if more
            else "",
            none,
        )
    )
    return out


def _oldest(row: dict[str, Any], w: Words) -> str:
    return w(
        N_("{agreement}, {party}, {date} ({days} days)"),
        agreement=row["agreement"],
        party=row["party"],
        date=w.date(row["waiting_since"]),
        days=row["waiting_days"],
    )


def _footer(data: dict[str, Any], w: Words) -> str:
    return w(
        N_("As of {date}. Ledger: {entries} entries, head hash {head}. Generated by ks."),
        date=w.date(data["as_of"]),
        entries=data["ledger"]["entries"],
        head=data["ledger"]["head"],
    )


def _heading(data: dict[str, Any], w: Words) -> str:
    if data["province"]:
        return w(
            N_("Regional Cooperation Report — Province {province}"),
            province=data["province_name"],
        )
    return w(N_("Regional Cooperation Report"))


def _as_of(data: dict[str, Any], w: Words) -> str:
    return w(N_("As of {date}"), date=w.date(data["as_of"]))


# --- formats -------------------------------------------------------------------------------


def markdown(data: dict[str, Any], lang: str) -> str:
    w = Words(lang)
    lines = [f"# {_md(_heading(data, w))}", "", _as_of(data, w), ""]
    for _, heading, header, rows, note, empty in sections(data, w):
        lines += [f"## {_md(heading)}", ""]
        if not rows:
            lines += [empty, ""]
            continue
        lines.append("| " + " | ".join(_md(h) for h in header) + " |")
        lines.append("|" + "|".join("---" for _ in header) + "|")
        lines += ["| " + " | ".join(_md(cell) for cell in row) + " |" for row in rows]
        lines.append("")
        if note:
            lines += [note, ""]  # ours: numbers and a `ks idle` command in a code span
    lines += ["---", "", _md(_footer(data, w)), ""]
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


STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2733;
 margin:2rem auto;max-width:60rem;padding:0 1rem;line-height:1.4}
h1{font-size:1.6rem;border-bottom:3px solid #0b5394;padding-bottom:.3rem}
h2{font-size:1.15rem;color:#0b5394;margin-top:2rem;break-after:avoid}
table{border-collapse:collapse;width:100%;font-size:.9rem;margin:.5rem 0 1rem}
th,td{border:1px solid #c8d1dc;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#e8eef6;white-space:nowrap}
tr:nth-child(even) td{background:#f7f9fc}
td.n{text-align:right;font-variant-numeric:tabular-nums}
.charts{display:flex;flex-wrap:wrap;gap:2rem}
figure{margin:0;flex:1 1 24rem}
figcaption{font-weight:600;margin-bottom:.3rem}
footer{margin-top:2rem;font-size:.8rem;color:#5b6776;word-break:break-all}
p.more{font-size:.9rem;color:#5b6776}
@media print{body{margin:0;max-width:none}h2{break-after:avoid}tr{break-inside:avoid}
 .charts{break-inside:avoid}}
"""


def html_text(data: dict[str, Any], lang: str) -> str:
    w = Words(lang)
    e = html.escape
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{lang}"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(_heading(data, w))}</title><style>{STYLE}</style></head><body>",
        f"<h1>{e(_heading(data, w))}</h1>",
        f"<p>{e(_as_of(data, w))}</p>",
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
    for name, heading, header, rows, note, empty in sections(data, w):
        parts.append(f'<h2 id="{e(name.lower().replace(" ", "-"))}">{e(heading)}</h2>')
        if not rows:
            parts.append(f"<p>{e(empty)}</p>")
            continue
        parts.append(
            "<table><thead><tr>"
            + "".join(f"<th>{e(h)}</th>" for h in header)
            + "</tr></thead><tbody>"
        )
        for row in rows:
            parts.append(
                "<tr>"
                + "".join(
                    f'<td class="n">{e(c)}</td>' if c.isdigit() else f"<td>{e(c)}</td>" for c in row
                )
                + "</tr>"
            )
        parts.append("</tbody></table>")
        if note:
            parts.append(f'<p class="more">{_code(e(note))}</p>')
    parts.append(f"<footer>{e(_footer(data, w))}</footer></body></html>")
    return "\n".join(parts) + "\n"


def _code(text: str) -> str:
    """`command` in a note (already escaped) as <code>."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", text)


def _bar_chart(chart_id: str, caption: str, bars: list[tuple[str, int]]) -> str:
    """A horizontal bar chart as inline SVG: no script, no network, prints as drawn."""
    e = html.escape
    label_width, bar_width, row = 210, 260, 22
    top = max((n for _, n in bars), default=0) or 1
    height = max(row * len(bars), row)
    items = []
    for i, (label, n) in enumerate(bars):
        y = i * row
        width = round(bar_width * n / top)
        items.append(
            f'<text x="{label_width - 6}" y="{y + 15}" text-anchor="end" font-size="12">'
            f"{e(label if len(label) <= 30 else label[:29] + '…')}</text>"
            f'<rect class="bar" x="{label_width}" y="{y + 3}" width="{width}" height="{row - 6}"'
            f' fill="#0b5394"><title>{e(label)}: {n}</title></rect>'
            f'<text x="{label_width + width + 4}" y="{y + 15}" font-size="12">{n}</text>'
        )
    return (
        f'<figure id="{chart_id}"><figcaption>{e(caption)}</figcaption>'
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{e(caption)}" '
        f'width="{label_width + bar_width + 40}" height="{height}" '
        f'viewBox="0 0 {label_width + bar_width + 40} {height}">{"".join(items)}</svg></figure>'
    )


def xlsx_bytes(data: dict[str, Any], lang: str) -> bytes:
    """One sheet per section, with bold headers and sensible column widths."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    w = Words(lang)
    book = Workbook()
    book.remove(book.active)
    for name, heading, header, rows, note, _empty in sections(data, w):
        sheet = book.create_sheet(_sheet_name(name))
        _append(sheet, [heading])
        sheet["A1"].font = Font(bold=True, size=12)
        _append(sheet, header)
        for cell in sheet[2]:
            cell.font = Font(bold=True)
        for values in rows:
            _append(sheet, [int(c) if c.isascii() and c.isdigit() else c for c in values])
        if note:
            _append(sheet, [note.replace("`", "")])
        for column, title in enumerate(header, start=1):
            longest = max([len(title)] + [len(r[column - 1]) for r in rows])
            sheet.column_dimensions[sheet.cell(2, column).column_letter].width = min(
                60, longest + 2
            )
    sheet = book.create_sheet(_sheet_name(w(N_("Ledger"))))
    _append(sheet, [_footer(data, w)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _append(sheet: Any, values: list[Any]) -> None:
    """A row whose text is written as string cells: openpyxl would make `=...` a formula.

    Control characters are shown visibly (`\\x1b`): XML cannot hold most of them.
    """
    sheet.append([visible(v) if isinstance(v, str) else v for v in values])
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str):
            cell.data_type = "s"


def _sheet_name(name: str) -> str:
    for bad in "[]:*?/\\":
        name = name.replace(bad, " ")
    return name[:31]


FORMATS: dict[str, Callable[[dict[str, Any], str], str | bytes]] = {
    "md": markdown,
    "html": html_text,
    "json": json_text,
    "csv": csv_text,
    "xlsx": xlsx_bytes,
}
