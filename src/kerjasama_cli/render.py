"""Output: Rich tables on a terminal, plain tab-separated text in a pipe, JSON and CSV streamed.

Machine output (json, csv, piped tables) is written straight to stdout, never through Rich,
so it is never wrapped or coloured; Rich is imported only to draw a table on a terminal.

Text read back from a ledger is data, and a ledger may have been edited by hand: every text
output shows its control characters visibly (`visible`), and every CSV cell that a
spreadsheet would take for a formula is quoted as text (`csv_safe`). JSON keeps values exact.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import sys
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime
from itertools import islice
from pathlib import Path
from typing import Any, Literal, TextIO

from kerjasama_cli import i18n
from kerjasama_cli.i18n import _, ngettext

Column = tuple[str, str]  # (key in the row dict, header marked with N_, translated where drawn)
# A column that gives up width so that each row of a table stays one line, and where its
# text is cut: at the end ("Promosi Pariwisata dan…") or in the middle, which keeps the end
# of a party's name, where the region that tells two agencies apart is written
# ("Dinas Kebudaya…Kalimantan Timur" / "Dinas Kebudaya…nsi Jawa Timur").
Shortened = tuple[str, Literal["end", "middle"]]
_IDENTIFIERS = {
    "agreement",
    "key",
    "code",
    "date",
    "waiting_since",
    "signed_on",
    "number",
    "waiting_days",
    "signed_of",
    "status",
    "parent",
    "ends_on",
    "last_activity",
    "recorded_at",
}
# The columns that hold a day (an ISO date, or None): a table on a terminal writes it in the
# interface language, "11 Agu 2022"; plain text in a pipe keeps the ISO date, which sorts.
_DATES = {"date", "waiting_since", "signed_on", "ends_on", "last_activity", "start", "end"}


def on_terminal(stream: TextIO | None = None) -> bool:
    return (stream or sys.stdout).isatty()


def terminal_width() -> int:
    """The terminal's width in columns ($COLUMNS first, as Rich and Click read it)."""
    return shutil.get_terminal_size().columns


# --- text that came from a ledger ---------------------------------------------------------

# What must never reach a terminal raw: C0 controls (ESC sequences clear the screen or
# recolour it, CR and newlines forge lines, tabs break tab-separated rows), DEL, C1
# controls (\x9b is a one-byte CSI), the Unicode line and paragraph separators, the bidi
# embeddings, overrides and isolates (they reorder what is shown after them), and lone
# surrogates (which cannot even be encoded). Right-to-left marks, joiners and emoji are text.
_INVISIBLE = [
    *range(0x00, 0x20),
    *range(0x7F, 0xA0),
    0x2028,
    0x2029,
    *range(0x202A, 0x202F),
    *range(0x2066, 0x206A),
]
_VISIBLE: dict[int, str] | None = None


def visible(text: str) -> str:
    """`text` with every character that could steer a terminal written as an escape (`\\x1b`)."""
    global _VISIBLE
    if _VISIBLE is None:  # built on first use, so that `ks --help` does not pay for it
        _VISIBLE = {c: f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}" for c in _INVISIBLE}
        _VISIBLE.update({c: f"\\u{c:04x}" for c in range(0xD800, 0xE000)})
    return text.translate(_VISIBLE)


# OWASP's list of what makes a spreadsheet (Excel, LibreOffice, Google Sheets) read a cell as
# a formula, with NUL and LF, and the fullwidth = + - @ that some Excel locales treat alike.
_FORMULA_STARTS = tuple("=+-@\t\r\n\x00\uff1d\uff0b\uff0d\uff20")


def csv_safe(value: Any) -> Any:
    """A text value as a CSV cell that no spreadsheet takes for a formula (`'=1+1`).

    Only text is quoted: numbers written by ks (a count, a negative number of days) stay
    numbers. The leading `'` is how spreadsheets mark "text, not a formula".
    """
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def csv_cell(value: Any) -> Any:
    """A value as a CSV cell: text (and lists, joined) shown visibly and quoted against
    formulas; numbers stay numbers. CSV often lands on a terminal (`ks pending -f csv`) or in
    a spreadsheet; JSON is the output that keeps values exact."""
    if value is None or isinstance(value, int | float):
        return "" if value is None else value
    return csv_safe(visible(_cell(value)))


def write_json_array(rows: Iterable[dict[str, Any]], out: TextIO | None = None) -> int:
    """Stream rows as one JSON array, one object per line; returns the count."""
    out = out or sys.stdout
    encode = json.JSONEncoder(ensure_ascii=False).encode  # one encoder for every row
    count = 0
    out.write("[")
    for row in rows:
        out.write(",\n" if count else "\n")
        out.write(encode(row))
        count += 1
    out.write("\n]\n" if count else "]\n")
    return count


def write_json(value: Any, out: TextIO | None = None) -> None:
    (out or sys.stdout).write(json.dumps(value, ensure_ascii=False, indent=2) + "\n")


def write_csv(
    rows: Iterable[dict[str, Any]], columns: Sequence[Column], out: TextIO | None = None
) -> int:
    """Stream rows as CSV with a header of the column keys."""
    writer = csv.writer(out or sys.stdout, lineterminator="\n")
    writer.writerow([key for key, _ in columns])
    count = 0
    for row in rows:
        writer.writerow([csv_cell(row.get(key)) for key, _ in columns])
        count += 1
    return count


def write_plain(
    rows: Iterable[dict[str, Any]], columns: Sequence[Column], out: TextIO | None = None
) -> int:
    """Tab-separated lines with a header: easy to read, grep, cut and sort in a pipe.

    A tab or newline inside a value is shown as `\\x09` or `\\x0a`: one row stays one line.
    """
    out = out or sys.stdout
    out.write("\t".join(_(header) for _key, header in columns) + "\n")
    count = 0
    for row in rows:
        out.write("\t".join(visible(_cell(row.get(key))) for key, _header in columns) + "\n")
        count += 1
    return count


def write_table(
    rows: Iterable[dict[str, Any]],
    columns: Sequence[Column],
    *,
    title: str | None = None,
    limit: int | None = None,
    empty: str | None = None,
    more_hint: str = "",
    words: Mapping[str, Callable[[Any], str]] | None = None,
    shorten: Sequence[Shortened] = (),
) -> int:
    """A Rich table of at most `limit` rows on a terminal, plain text otherwise.

    `title`, `empty` and `more_hint` come translated; the headers are translated here, and
    dates are written in the interface language. `words` says how a column's values are
    written on a terminal (a status as words); plain text keeps the values, for scripts.
    With `shorten`, every row stays one line: those columns, the first first, give up width
    and are cut with "…"; the others are never cut. Rows past the limit are counted, not
    drawn, and summarised in one line. Returns the number of rows seen.
    """
    if not on_terminal():
        return write_plain(rows, columns)
    iterator: Iterator[dict[str, Any]] = iter(rows)
    shown = list(islice(iterator, limit)) if limit is not None else list(iterator)
    rest = sum(1 for _row in iterator)
    from rich.console import Console
    from rich.table import Table

    console = Console()
    if not shown:
        console.print(_("nothing to show") if empty is None else empty, highlight=False)
        return 0
    words = words or {}
    cells = [
        [
            visible(
                words[key](row[key])
                if key in words and row.get(key) is not None
                else _shown(key, row.get(key))
            )
            for key, _header in columns
        ]
        for row in shown
    ]
    headers = [_(header) for _key, header in columns]
    widths = _one_line_widths(columns, headers, cells, shorten, console.width) if shorten else {}
    cut = dict(shorten)
    table = Table(title=title, title_justify="left", highlight=False)
    for (key, _header), header in zip(columns, headers, strict=True):
        numeric = key.endswith("days") or key in {"signed", "count"}
        table.add_column(
            header,
            justify="right" if numeric else "left",
            overflow="ellipsis" if key in cut else "fold",
            # Keys and dates stay on one line; words (a status in Indonesian) may wrap.
            no_wrap=(key in _IDENTIFIERS and key not in words) or key in cut,
            width=widths.get(key),
        )
    for line in cells:
        table.add_row(
            *(
                _escape(_cut(text, widths[key], cut[key]) if key in widths else text)
                for (key, _header), text in zip(columns, line, strict=True)
            )
        )
    console.print(table)
    if rest:
        more = ngettext("… and {count} more", "… and {count} more", rest).format(count=rest)
        console.print(f"{more} {more_hint}".rstrip(), highlight=False)
    return len(shown) + rest


_NARROWEST = 8  # a column cut with "…" keeps at least this many columns of text


def _one_line_widths(
    columns: Sequence[Column],
    headers: Sequence[str],
    cells: Sequence[Sequence[str]],
    shorten: Sequence[Shortened],
    width: int,
) -> dict[str, int]:
    """The width of each column in `shorten` for a table of `width` whose rows are one line.

    The other columns keep their whole text. The room left is shared: the first column in
    `shorten` gives up width first, down to a third of the room (at least `_NARROWEST`),
    then the next; a wider terminal gives the room back in the reverse order. A terminal too
    narrow even for that (under ~56 columns for `ks pending`) leaves the rest to Rich.
    """
    from rich.cells import cell_len

    natural = {
        key: max([cell_len(header), *(cell_len(line[i]) for line in cells)])
        for i, ((key, _h), header) in enumerate(zip(columns, headers, strict=True))
    }
    cut = [key for key, _where in shorten]
    # Rich's default box: a rule at each edge and between columns, a space either side of a cell.
    room = width - (3 * len(columns) + 1) - sum(w for k, w in natural.items() if k not in cut)
    widths = {key: natural[key] for key in cut}
    excess = sum(widths.values()) - room
    for floor in (max(_NARROWEST, room // 3), _NARROWEST):
        for key in cut:
            give = min(max(excess, 0), max(widths[key] - floor, 0))
            widths[key] -= give
            excess -= give
    return widths


def _cut(text: str, width: int, where: Literal["end", "middle"]) -> str:
    """`text` in at most `width` terminal columns, what is left out marked by one "…"."""
    from rich.cells import cell_len

    if cell_len(text) <= width:
        return text
    if where == "end":
        return _take(text, width - 1) + "…"
    tail = _take(text[::-1], (width - 1) // 2)[::-1]
    return _take(text, width - 1 - cell_len(tail)) + "…" + tail


def _take(text: str, width: int) -> str:
    """The longest start of `text` that fits in `width` terminal columns."""
    from rich.cells import cell_len

    taken = 0
    for end, character in enumerate(text):
        taken += cell_len(character)
        if taken > width:
            return text[:end]
    return text


def _shown(key: str, value: Any) -> str:
    """A cell of a table on a terminal: a day in the interface language, "11 Agu 2022"."""
    if key in _DATES and value is not None:
        day = value if isinstance(value, date) else _iso_day(str(value))
        if day is not None:
            return i18n.format_date(day, style="medium")
    return _cell(value)


def _iso_day(text: str) -> date | None:
    if len(text) != 10:  # a timestamp or a word ("never") is shown as it is
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def local_minute(timestamp: str) -> str:
    """A UTC timestamp from the ledger as local time to the minute, "2026-12-02 14:38" ($TZ).

    A timestamp that cannot be read (a ledger edited by hand) is shown as it is.
    """
    moment = _moment(timestamp)
    return timestamp if moment is None else moment.astimezone().strftime("%Y-%m-%d %H:%M")


def local_day(timestamp: str) -> date | None:
    """The local day of a UTC timestamp from the ledger; None if it cannot be read."""
    moment = _moment(timestamp)
    return None if moment is None else moment.astimezone().date()


def _moment(timestamp: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(timestamp)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


Line = tuple[str, int]  # a line of text, and how far its continuation lines are indented


def write_lines(lines: Iterable[Line], out: TextIO | None = None) -> None:
    """Lines of text, ledger text in them shown visibly.

    On a terminal a line too long is wrapped at spaces to the terminal's width, its
    continuation indented by the line's hanging indent. In a pipe, each line is written
    whole: a pipe has no width, and `grep` must find a party's name on one line.
    """
    out = out or sys.stdout
    width = terminal_width() if on_terminal(out) else None
    for text, hang in lines:
        shown = visible(text)
        out.write("\n".join(wrap(shown, width, hang)) if width else shown)
        out.write("\n")


def wrap(text: str, width: int, hang: int) -> list[str]:
    """`text` cut at spaces into lines of at most `width` terminal columns, the lines after
    the first indented by `hang` spaces; a word longer than a line is cut where it ends."""
    hang = min(hang, width // 2)  # a narrow terminal still leaves room for the text
    start = len(text) - len(text.lstrip(" "))
    lines: list[str] = []
    line, used = text[:start], start
    for word in text[start:].split(" "):  # "" between two spaces keeps them both
        size = cell_width(word)
        if used > start:  # the line has a word already
            if used + 1 + size <= width:
                line, used = f"{line} {word}", used + 1 + size
                continue
            lines.append(line.rstrip(" "))
            line, used, start = " " * hang, hang, hang
        while used + size > width:  # a word longer than a line: cut, as a terminal would
            taken = _fitting(word, width - used) or 1
            lines.append(line + word[:taken])
            word, size = word[taken:], cell_width(word[taken:])
            line, used, start = " " * hang, hang, hang
        line, used = line + word, used + size
    lines.append(line)
    return lines


def _fitting(text: str, width: int) -> int:
    """How many characters from the start of `text` fit in `width` terminal columns."""
    used = 0
    for count, character in enumerate(text):
        used += cell_width(character)
        if used > width:
            return count
    return len(text)


def cell_width(text: str) -> int:
    """How many terminal columns `text` takes: East Asian wide characters two, marks none."""
    return sum(
        0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1
        for c in text
    )


def say(text: str) -> None:
    """One line of a command's result on stdout, ledger text in it shown visibly."""
    print(visible(text))


def message(text: str) -> None:
    """A note for the person at the terminal (stderr, so stdout stays clean for data)."""
    print(visible(text), file=sys.stderr)


def warning(text: str) -> None:
    print(_("ks: warning: {message}").format(message=visible(text)), file=sys.stderr)


def write_atomically(path: Path, content: str | bytes, ledger: Path | None = None) -> Path:
    """Write a file so that a reader sees the old one or the new one, never half of either.

    Text is written as UTF-8 whatever the locale. The destination rules (never the ledger,
    a folder or a device; the previous file intact on failure; the mode of the umask or of
    the file replaced) are those of `kerjasama_cli.outputs`. Returns the file written.
    """
    from kerjasama_cli import outputs

    data = content.encode("utf-8") if isinstance(content, str) else content
    target = outputs.destination(path, ledger)
    with outputs.replacing(target, path) as temporary, open(temporary, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    return target
