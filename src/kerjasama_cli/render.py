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
import sys
from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from itertools import islice
from pathlib import Path
from typing import Any, TextIO

from kerjasama_cli import i18n
from kerjasama_cli.i18n import _, ngettext

Column = tuple[str, str]  # (key in the row dict, header marked with N_, translated where drawn)
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
}
# The columns that hold a day (an ISO date, or None): a table on a terminal writes it in the
# interface language, "11 Agu 2022"; plain text in a pipe keeps the ISO date, which sorts.
_DATES = {"date", "waiting_since", "signed_on", "ends_on", "last_activity", "start", "end"}


def on_terminal(stream: TextIO | None = None) -> bool:
    return (stream or sys.stdout).isatty()


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
) -> int:
    """A Rich table of at most `limit` rows on a terminal, plain text otherwise.

    `title`, `empty` and `more_hint` come translated; the headers are translated here, and
    dates are written in the interface language. Rows past the limit are counted, not
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
    table = Table(title=title, title_justify="left", highlight=False)
    for key, header in columns:
        numeric = key.endswith("days") or key in {"signed", "count"}
        table.add_column(
            _(header),
            justify="right" if numeric else "left",
            overflow="fold",
            no_wrap=key in _IDENTIFIERS,  # keys and dates stay on one line
        )
    for row in shown:
        table.add_row(*(_escape(visible(_shown(key, row.get(key)))) for key, _header in columns))
    console.print(table)
    if rest:
        more = ngettext("… and {count} more", "… and {count} more", rest).format(count=rest)
        console.print(f"{more} {more_hint}".rstrip(), highlight=False)
    return len(shown) + rest


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
