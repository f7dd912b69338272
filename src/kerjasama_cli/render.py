"""Output: Rich tables on a terminal, plain tab-separated text in a pipe, JSON and CSV streamed.

Machine output (json, csv, piped tables) is written straight to stdout, never through Rich,
so it is never wrapped or coloured; Rich is imported only to draw a table on a terminal.
"""

from __future__ import annotations

import csv
import json
import os
import sys
from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from pathlib import Path
from typing import Any, TextIO

Column = tuple[str, str]  # (key in the row dict, header)
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
}


def on_terminal(stream: TextIO | None = None) -> bool:
    return (stream or sys.stdout).isatty()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


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
        writer.writerow([_cell(row.get(key)) for key, _ in columns])
        count += 1
    return count


def write_plain(
    rows: Iterable[dict[str, Any]], columns: Sequence[Column], out: TextIO | None = None
) -> int:
    """Tab-separated lines with a header: easy to read, grep, cut and sort in a pipe."""
    out = out or sys.stdout
    out.write("\t".join(header for _, header in columns) + "\n")
    count = 0
    for row in rows:
        out.write("\t".join(_cell(row.get(key)).replace("\t", " ") for key, _ in columns) + "\n")
        count += 1
    return count


def write_table(
    rows: Iterable[dict[str, Any]],
    columns: Sequence[Column],
    *,
    title: str | None = None,
    limit: int | None = None,
    empty: str = "nothing to show",
    more_hint: str = "",
) -> int:
    """A Rich table of at most `limit` rows on a terminal, plain text otherwise.

    Rows past the limit are counted, not drawn, and summarised in one line.
    Returns the number of rows seen.
    """
    if not on_terminal():
        return write_plain(rows, columns)
    iterator: Iterator[dict[str, Any]] = iter(rows)
    shown = list(islice(iterator, limit)) if limit is not None else list(iterator)
    rest = sum(1 for _ in iterator)
    from rich.console import Console
    from rich.table import Table

    console = Console()
    if not shown:
        console.print(empty, highlight=False)
        return 0
    table = Table(title=title, title_justify="left", highlight=False)
    for key, header in columns:
        numeric = key.endswith("days") or key in {"signed", "count"}
        table.add_column(
            header,
            justify="right" if numeric else "left",
            overflow="fold",
            no_wrap=key in _IDENTIFIERS,  # keys and dates stay on one line
        )
    for row in shown:
        table.add_row(*(_escape(_cell(row.get(key))) for key, _ in columns))
    console.print(table)
    if rest:
        console.print(f"… and {rest} more {more_hint}".rstrip(), highlight=False)
    return len(shown) + rest


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def message(text: str) -> None:
    """A note for the person at the terminal (stderr, so stdout stays clean for data)."""
    print(text, file=sys.stderr)


def warning(text: str) -> None:
    print(f"ks: warning: {text}", file=sys.stderr)


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
