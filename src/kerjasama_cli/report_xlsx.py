"""`ks report --format xlsx`: the report as a workbook an office works in.

One sheet per section, then the register of every agreement, then the ledger's head. Each
sheet has its heading, a line saying which report it is (the office, the title, the as-of
date), a frozen header row with an autofilter, and a print setup: A4 landscape, one page wide,
the header row repeated on every page, the office at the top and page numbers at the foot.
Dates are date cells shown in the report's language ("11 Agustus 2022": Excel's and
LibreOffice's locale codes, [$-421] Indonesian, [$-409] English), counts are numbers, and
every text is a string cell, never a formula, with control characters shown visibly.

Written in openpyxl's write-only mode: the register is written row by row as it is read, so a
ledger of a million agreements is never held in memory (its cost: bench/README.md).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import date
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES
from openpyxl.styles import Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from kerjasama_cli.i18n import N_
from kerjasama_cli.render import visible
from kerjasama_cli.report import Register
from kerjasama_cli.report_render import (
    COUNT,
    DATE,
    Cell,
    Column,
    Section,
    Words,
    as_of_line,
    heading,
    ledger_lines,
    office,
    sections,
    text_of,
)

# A date as the report's language writes it; the locale code makes Excel and LibreOffice use
# that language's month names whatever the reader's own settings.
DATE_FORMATS = {"id": "[$-421]d mmmm yyyy", "en": "[$-409]mmmm d, yyyy"}
EXCEL_ROWS = 1_048_576  # a sheet's last row: a longer register goes on to a second sheet
HEADER_ROW = 3  # the section's heading, the line naming the report, then the column headers
PARTY_COLUMNS = 4  # parties with columns of their own; any more share one column
HEADER_TEXT = 100  # characters of the office in the page header (Excel allows 255 in all)

_HEADING = Font(bold=True, size=12)
_CONTEXT = Font(italic=True, color="5B6776")
_HEADER = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="E8EEF6")
_HEADER_BORDER = Border(bottom=Side(style="thin", color="8A99AD"))


def workbook(data: dict[str, Any], lang: str, register: Register | None = None) -> bytes:
    """The report as xlsx bytes; with `register`, the full register of agreements too."""
    w = Words(lang)
    book = Workbook(write_only=True)
    context = " — ".join(x for x in (office(data), heading(data, w), as_of_line(data, w)) if x)
    for section in sections(data, w):
        _section_sheet(book, section, data, context, w)
    if register is not None:
        _register_sheets(book, register, data, context, w)
    _ledger_sheet(book, data, context, w)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _section_sheet(
    book: Workbook, section: Section, data: dict[str, Any], context: str, w: Words
) -> None:
    name, title, columns, rows, note, _empty = section
    widths = [
        max([len(c.header), *(len(text_of(r[i], c, w)) for r in rows)]) + 2
        for i, c in enumerate(columns)
    ]
    sheet = _sheet(book, name, title, context, data, w, [min(60, max(8, n)) for n in widths])
    sheet.append([_header(sheet, c.header) for c in columns])
    date_format = DATE_FORMATS[w.lang]
    for row in rows:
        sheet.append(
            [_cell(sheet, v, c, w, date_format) for v, c in zip(row, columns, strict=True)]
        )
    _filter(sheet, len(columns), len(rows))
    if note:
        sheet.append([_text(sheet, note.replace("`", ""))])


def _cell(sheet: Any, value: Cell, column: Column, w: Words, date_format: str) -> Any:
    if column.kind == DATE:
        if not isinstance(value, date):
            return _text(sheet, w.date(None))
        cell = WriteOnlyCell(sheet, value)
        cell.number_format = date_format
        return cell
    if column.kind == COUNT and isinstance(value, int):
        return value
    return None if value is None else _text(sheet, str(value))


def _register_sheets(
    book: Workbook, register: Register, data: dict[str, Any], context: str, w: Words
) -> None:
    """Every agreement, one row each: its key, kind, title, parent, date, place, start, end
    and status, then each party with its number and signature date (from the fifth party
    on, together in one column). Past a sheet's last row, on to the next sheet."""
    parties = min(register.most_parties, PARTY_COLUMNS)
    more = register.most_parties > PARTY_COLUMNS
    columns: list[tuple[str, int]] = [
        (w(N_("No.")), 7),
        (w(N_("Key")), 16),
        (w(N_("Kind")), 24),
        (w(N_("Title")), 50),
        (w(N_("Parent")), 16),
        (w(N_("Date")), 18),
        (w(N_("Place")), 14),
        (w(N_("Start")), 18),
        (w(N_("Ends")), 18),
        (w(N_("Status")), 22),
    ]
    for n in range(1, parties + 1):
        columns += [
            (w(N_("Party {n}"), n=n), 40),
            (w(N_("Number of party {n}"), n=n), 26),
            (w(N_("Party {n} signed on"), n=n), 18),
        ]
    if more:
        columns.append((w(N_("Other parties")), 60))
    name = w(N_("All agreements"))
    title = w(
        N_("Every agreement as of {date}: parties, numbers, signatures, term and status"),
        date=w.date(data["as_of"]),
    )
    widths = [width for _, width in columns]
    per_sheet = EXCEL_ROWS - HEADER_ROW
    part, written = 1, 0
    sheet = _sheet(book, name, title, context, data, w, widths)
    sheet.append([_header(sheet, header) for header, _ in columns])
    for row in _register_rows(sheet, register.rows, parties, more, w):
        if written == per_sheet:
            _filter(sheet, len(columns), written)
            part, written = part + 1, 0
            sheet = _sheet(book, f"{name} ({part})", title, context, data, w, widths)
            sheet.append([_header(sheet, header) for header, _ in columns])
        sheet.append(row)
        written += 1
    _filter(sheet, len(columns), written)


def _register_rows(
    sheet: Any, agreements: Iterator[dict[str, Any]], parties: int, more: bool, w: Words
) -> Iterator[list[Any]]:
    """The register's rows as cell values, numbered from 1.

    Speed matters here (a million rows): texts go in as plain values unless a spreadsheet
    would read them as a formula or an error, and the date cells are made once per column
    and given each row's value (write-only mode writes a row before the next is made).
    """
    date_format = DATE_FORMATS[w.lang]
    dates = [WriteOnlyCell(sheet) for _ in range(3 + parties)]
    for cell in dates:
        cell.number_format = date_format
    statuses: dict[str, str] = {}
    kinds: dict[str, str] = {}

    def day(n: int, value: Any) -> Any:
        parsed = _date(value)
        if not isinstance(parsed, date):
            return _plain(sheet, parsed)
        cell = dates[n]
        cell.value = parsed
        return cell

    for number, row in enumerate(agreements, start=1):
        status, kind = row["status"], row["kind"]
        if status not in statuses:
            statuses[status] = w.status(status)
        if kind not in kinds:
            kinds[kind] = w.kind(kind)
        values = [
            number,
            _plain(sheet, row["key"]),
            kinds[kind],
            _plain(sheet, row["title"]),
            _plain(sheet, row["parent"]),
            day(0, row["date"]),
            _plain(sheet, row["place"]),
            day(1, row["start"]),
            day(2, row["ends_on"]),
            statuses[status],
        ]
        sides = row["parties"]
        for n, side in enumerate(sides[:parties]):
            values += [
                _plain(sheet, side["party"]),
                _plain(sheet, side["number"]),
                day(3 + n, side["signed_on"]),
            ]
        if more:
            values += [None, None, None] * (parties - len(sides))
            values.append(_plain(sheet, "; ".join(_side(s, w) for s in sides[parties:])) or None)
        yield values


def _side(side: dict[str, Any], w: Words) -> str:
    """A party beyond the fourth, in one text: its name (number, signature date)."""
    facts = [side["number"], w.date(side["signed_on"]) if side["signed_on"] else None]
    details = ", ".join(f for f in facts if f)
    return f"{side['party']} ({details})" if details else side["party"]


def _date(value: Any) -> date | str | None:
    """A day from the ledger as a date, or as the text it is if it is not one (a ledger
    edited by hand)."""
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return str(value)


def _ledger_sheet(book: Workbook, data: dict[str, Any], context: str, w: Words) -> None:
    ledger, head, purpose = ledger_lines(data, w)
    sheet = _sheet(book, w(N_("Ledger")), w(N_("Ledger")), context, data, w, [100], table=False)
    for line in (ledger, head, purpose):
        sheet.append([_text(sheet, line)])


def _sheet(
    book: Workbook,
    name: str,
    title: str,
    context: str,
    data: dict[str, Any],
    w: Words,
    widths: list[int],
    table: bool = True,
) -> Any:
    """A new sheet with its heading and the line naming the report, set up to print and
    (with a `table`) to scroll and filter below a frozen header row."""
    sheet = book.create_sheet(_sheet_name(name))
    for n, width in enumerate(widths, start=1):  # write-only: before the first row
        sheet.column_dimensions[get_column_letter(n)].width = width
    if table:
        sheet.freeze_panes = f"A{HEADER_ROW + 1}"
        sheet.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    setup = sheet.page_setup
    setup.orientation = "landscape"
    setup.paperSize = "9"  # A4
    setup.fitToWidth, setup.fitToHeight = 1, 0  # one page wide, as many pages tall as it takes
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    issuer = office(data)
    if issuer:
        shown = issuer if len(issuer) <= HEADER_TEXT else issuer[: HEADER_TEXT - 1] + "…"
        sheet.oddHeader.center.text = _header_text(shown)
    sheet.oddFooter.left.text = _header_text(f"{heading(data, w)} — {as_of_line(data, w)}")
    sheet.oddFooter.right.text = _header_text(w(N_("Page {page} of {pages}"))).format(
        page="&P", pages="&N"
    )
    first = _text(sheet, title)
    first.font = _HEADING
    line = _text(sheet, context)
    line.font = _CONTEXT
    sheet.append([first])
    sheet.append([line])
    return sheet


def _header_text(text: str) -> str:
    """Text for a page header or footer, where `&` starts a code (&P is the page number)."""
    return visible(text).replace("&", "&&")


def _header(sheet: Any, text: str) -> WriteOnlyCell:
    cell = _text(sheet, text)
    cell.font, cell.fill, cell.border = _HEADER, _HEADER_FILL, _HEADER_BORDER
    return cell


def _filter(sheet: Any, columns: int, rows: int) -> None:
    """An autofilter over the header row and the `rows` below it."""
    sheet.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(columns)}{HEADER_ROW + max(rows, 0)}"


def _text(sheet: Any, value: str) -> WriteOnlyCell:
    """A string cell: openpyxl would make `=...` a formula and `#N/A` an error.

    Control characters are shown visibly (`\\x1b`): XML cannot hold most of them.
    """
    cell = WriteOnlyCell(sheet, visible(value))
    cell.data_type = "s"
    return cell


def _plain(sheet: Any, value: str | None) -> Any:
    """A text as a plain value where openpyxl keeps it a string, else as a string cell."""
    if value is None:
        return None
    shown = visible(value)
    if shown.startswith("=") or shown in ERROR_CODES:
        return _text(sheet, shown)
    return shown


def _sheet_name(name: str) -> str:
    for bad in "[]:*?/\\":
        name = name.replace(bad, " ")
    return name[:31]
