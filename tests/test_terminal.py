"""What `ks` looks like on an 80-column terminal, and that a pipe still gets plain lines.

The reference story (Kaltim and Jatim, July-August 2022) is drawn on a pseudo-terminal whose
window size is set as a terminal emulator sets it (no $COLUMNS), in English and Indonesian:
`ks show` wraps under a hanging indent, `ks pending` keeps each wait on one line, `ks log`
speaks local time, `ks party list` names regions, `--help` never cuts a summary, and
statuses are words.
"""

from __future__ import annotations

import csv
import fcntl
import io
import json
import os
import re
import select
import struct
import subprocess
import termios
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.conftest import RunKs, ks_executable

from kerjasama_cli.render import cell_width, wrap

KSB = "KSB-2022-0001"
AS_OF = ("--as-of", "2022-09-10")
ID = {"KS_LANG": "id"}
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
# Rows of a Rich table: the lines between its vertical rules (the header row uses ┃).
ROW = re.compile(r"^│.*│$")


def on_terminal(args: list[str], *, columns: int, env: dict[str, str] | None = None) -> str:
    """What `ks` writes on a pseudo-terminal `columns` wide, without its colours, as lines
    joined by newlines (a terminal turns them into CR LF)."""
    controller, terminal = os.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    environment = {**os.environ, "TERM": "xterm", "NO_COLOR": "1", **(env or {})}
    for name in ("COLUMNS", "LINES"):  # the window size must decide, as on a real terminal
        environment.pop(name, None)
    try:
        process = subprocess.Popen(
            [*ks_executable(), *args], stdout=terminal, stderr=subprocess.PIPE, env=environment
        )
        os.close(terminal)
        terminal = -1
        chunks = []
        while select.select([controller], [], [], 60)[0]:
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # the terminal's other end closed: ks is done
                break
            if not chunk:
                break
            chunks.append(chunk)
        process.wait(timeout=60)
        assert process.returncode == 0, process.stderr.read() if process.stderr else ""
    finally:
        os.close(controller)
        if terminal != -1:
            os.close(terminal)
    return ANSI.sub("", b"".join(chunks).decode("utf-8")).replace("\r\n", "\n")


@pytest.fixture
def story(story_ledger: Path) -> dict[str, str]:
    """The environment that points `ks` at the reference story (read-only here)."""
    return {"KS_DB": str(story_ledger)}


def widest(text: str) -> int:
    return max(cell_width(line.rstrip()) for line in text.splitlines())


# --- 1. ks show: wrapped under a hanging indent on a terminal, one line per item in a pipe -----


HANDOVER = (
    "  11 August 2022 to Pemerintah Provinsi Jawa Timur in Surabaya "
    "(Diterima Biro Pemerintahan dan Otonomi Daerah Setda Prov. Jatim)"
)


def test_show_wraps_the_handover_to_jatim_under_a_hanging_indent(story: dict[str, str]) -> None:
    shown = on_terminal(["show", KSB, *AS_OF], columns=80, env=story)

    assert widest(shown) <= 80, shown
    lines = shown.splitlines()
    at = lines.index(
        "  11 August 2022 to Pemerintah Provinsi Jawa Timur in Surabaya (Diterima Biro"
    )
    assert lines[at + 1] == "    Pemerintahan dan Otonomi Daerah Setda Prov. Jatim)"
    # Kaltim's signature, with its number, signatory and place, continues under its facts.
    at = lines.index(
        "     number 120/4521/B.PEM-KS/2022; signed 28 July 2022 in Samarinda by Isran"
    )
    assert lines[at + 1] == "       Noor, Gubernur"


def test_show_wraps_a_long_party_name_under_the_name_in_indonesian(
    story: dict[str, str],
) -> None:
    shown = on_terminal(["show", "PKS-2022-0007", *AS_OF], columns=80, env={**story, **ID})

    assert widest(shown) <= 80, shown
    lines = shown.splitlines()
    at = lines.index(
        "  1. Dinas Penanaman Modal dan Pelayanan Terpadu Satu Pintu Provinsi Kalimantan"
    )
    assert lines[at + 1 : at + 3] == ["     Timur", "     belum ditandatangani"]


def test_show_in_a_pipe_keeps_each_item_on_one_line(run_ks: RunKs, story: dict[str, str]) -> None:
    """A pipe has no width: grep must find a whole name or note on one line."""
    piped = run_ks("show", KSB, *AS_OF, env={**story, "COLUMNS": "40"})

    assert piped.returncode == 0, piped.stderr
    assert HANDOVER in piped.stdout.splitlines()


@given(
    words=st.lists(
        st.text(
            st.characters(codec="utf-8", exclude_categories=["Cc", "Cs", "Zs", "Zl", "Zp"]),
            min_size=1,
            max_size=12,
        ),
        min_size=1,
        max_size=40,
    ),
    indent=st.integers(0, 6),
    hang=st.integers(0, 12),
    width=st.integers(30, 160),
)
def test_wrapping_fits_the_width_and_keeps_every_word_in_order(
    words: list[str], indent: int, hang: int, width: int
) -> None:
    text = " " * indent + " ".join(words)
    lines = wrap(text, width, hang)

    assert all(cell_width(line) <= width for line in lines)
    assert " ".join(" ".join(lines).split()) == " ".join(words)  # no word cut, lost or moved
    assert lines[0].startswith(" " * indent)
    assert all(line.startswith(" " * hang) and line.strip() for line in lines[1:])


def test_a_word_longer_than_the_line_is_cut_where_the_line_ends() -> None:
    number = "120/4521/B.PEM-KS/2022/" * 5
    lines = wrap(f"     number {number}", 40, 7)

    assert all(cell_width(line) <= 40 for line in lines)
    assert "".join(line.strip() for line in lines[1:]) == number


# --- 2. ks pending: one line per wait at any width; the key and the days never cut ---------


@pytest.mark.parametrize("language", ["en", "id"])
@pytest.mark.parametrize("columns", [60, 72, 80, 100, 160])
def test_pending_keeps_each_wait_on_one_line(
    run_ks: RunKs, story: dict[str, str], columns: int, language: str
) -> None:
    env = {**story, "KS_LANG": language}
    waits = json.loads(run_ks("pending", *AS_OF, "--format", "json", env=env).stdout)
    drawn = on_terminal(["pending", *AS_OF], columns=columns, env=env)

    rows = [line for line in drawn.splitlines() if ROW.match(line)]
    assert widest(drawn) <= columns, drawn
    assert len(rows) == len(waits) == 11, drawn  # no row continues on a second line
    for row, wait in zip(rows, waits, strict=True):
        days, since, key, party, title = (cell.strip() for cell in row.strip("│").split("│"))
        assert (days, key) == (str(wait["waiting_days"]), wait["agreement"])
        assert since in ("11 Aug 2022", "11 Agu 2022", "28 Jul 2022")
        assert party.rstrip("…").split("…")[0] in wait["party"]
        assert wait["party"].endswith(party.split("…")[-1])
        assert title.rstrip("…") in wait["title"]


def test_pending_at_80_columns_still_tells_kaltims_and_jatims_agencies_apart(
    story: dict[str, str],
) -> None:
    """PKS-2022-0005 waits for both culture-and-tourism agencies: the region, at the end of
    the name, is what differs, so the name is cut in the middle."""
    drawn = on_terminal(["pending", *AS_OF], columns=80, env=story)

    parties = [row.split("│")[4].strip() for row in drawn.splitlines() if "PKS-2022-0005" in row]
    assert len(parties) == 2 and parties[0] != parties[1], drawn
    assert parties[0].startswith("Dinas Kebuda") and parties[0].endswith("antan Timur")
    assert parties[1].startswith("Dinas Kebuda") and parties[1].endswith("Jawa Timur")


def test_a_wider_terminal_shows_more_of_the_title_and_the_party(story: dict[str, str]) -> None:
    def cells(columns: int) -> list[str]:
        drawn = on_terminal(["pending", *AS_OF], columns=columns, env=story)
        row = next(line for line in drawn.splitlines() if ROW.match(line))
        return [cell.strip() for cell in row.strip("│").split("│")]

    narrow, wide = cells(80), cells(160)
    assert narrow[3].endswith("antan Timur") and "…" in narrow[4]
    assert wide[3] == "Dinas Kebudayaan dan Pariwisata Provinsi Kalimantan Timur"
    assert len(wide[4].rstrip("…")) > len(narrow[4].rstrip("…"))


# --- 3. ks log: local time to the minute; JSON keeps the exact UTC time ----------------------


@pytest.fixture
def jakarta_log(run_ks: RunKs, story: dict[str, str]) -> tuple[list[dict[str, str]], dict]:
    entries = json.loads(run_ks("log", KSB, "--format", "json", env=story).stdout)
    return entries, {**story, "TZ": "Asia/Jakarta"}


def _in_jakarta(recorded_at: str) -> str:
    moment = datetime.fromisoformat(recorded_at).astimezone(ZoneInfo("Asia/Jakarta"))
    return moment.strftime("%Y-%m-%d %H:%M")


def test_log_in_a_pipe_gives_local_time_to_the_minute(run_ks: RunKs, jakarta_log) -> None:
    entries, env = jakarta_log
    piped = run_ks("log", KSB, env=env)

    header, *lines = piped.stdout.splitlines()
    assert header.split("\t") == ["Entry", "Recorded (WIB)", "By", "What"]
    assert [line.split("\t")[1] for line in lines] == [
        _in_jakarta(e["recorded_at"]) for e in entries
    ]
    # JSON keeps the exact time, in UTC, as recorded.
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", e["recorded_at"])
               for e in entries)  # fmt: skip


def test_log_on_a_terminal_gives_local_time_to_the_minute(jakarta_log) -> None:
    entries, env = jakarta_log
    drawn = on_terminal(["log", KSB], columns=80, env=env)

    assert "Recorded (WIB)" in drawn
    times = [line.split("│")[2].strip() for line in drawn.splitlines() if ROW.match(line)]
    assert [t for t in times if t] == [_in_jakarta(e["recorded_at"]) for e in entries]
    assert widest(drawn) <= 80


def test_log_since_is_a_local_day(run_ks: RunKs, story: dict[str, str]) -> None:
    """A day in local time, as the table shows days: far east of UTC (UTC+14) the entries of
    the story fall on a later local day than far west (UTC-12), whatever the hour."""
    entries = json.loads(run_ks("log", "--format", "json", env=story).stdout)
    last = datetime.fromisoformat(entries[-1]["recorded_at"])
    for zone in ("Etc/GMT-14", "Etc/GMT+12"):  # POSIX signs: GMT-14 is UTC+14
        day: date = last.astimezone(ZoneInfo(zone)).date()
        env = {**story, "TZ": zone}
        on_the_day = json.loads(
            run_ks("log", "--since", day.isoformat(), "-f", "json", env=env).stdout
        )
        after = json.loads(
            run_ks(
                "log", "--since", (day + timedelta(days=1)).isoformat(), "-f", "json", env=env
            ).stdout
        )
        assert entries[-1] in on_the_day, zone
        assert after == [], zone


# --- 4. ks party list: the region's name; JSON and CSV keep the code ------------------------


@pytest.fixture
def surabaya(run_ks: RunKs) -> RunKs:
    """A ledger with Jatim's Kominfo and the Dinas Sosial of Kota Surabaya."""
    for name, region in (
        ("Dinas Komunikasi dan Informatika Provinsi Jawa Timur", "jatim"),
        ("Dinas Sosial", "Kota Surabaya"),
    ):
        added = run_ks("party", "add", name, "--region", region)
        assert added.returncode == 0, added.stderr
    return run_ks


def test_party_list_names_the_region_in_the_table_and_in_a_pipe(surabaya: RunKs) -> None:
    piped = surabaya("party", "list")
    header, *lines = piped.stdout.splitlines()
    assert header.split("\t")[2] == "Region"
    assert [line.split("\t")[2] for line in lines] == ["Provinsi Jawa Timur", "Kota Surabaya"]


def test_party_list_on_a_terminal_names_the_region(surabaya: RunKs, ledger: Path) -> None:
    drawn = on_terminal(["party", "list"], columns=120, env={"KS_DB": str(ledger)})
    regions = [line.split("│")[3].strip() for line in drawn.splitlines() if ROW.match(line)]
    assert regions == ["Provinsi Jawa Timur", "Kota Surabaya"], drawn


def test_party_list_json_and_csv_keep_the_code_and_add_the_name(surabaya: RunKs) -> None:
    parties = json.loads(surabaya("party", "list", "--format", "json").stdout)
    assert [(p["region"], p["province"], p["region_name"]) for p in parties] == [
        ("35", "35", "Provinsi Jawa Timur"),
        ("35.78", "35", "Kota Surabaya"),
    ]
    rows = list(csv.reader(io.StringIO(surabaya("party", "list", "--format", "csv").stdout)))
    assert rows[0] == ["id", "name", "kind", "region", "aliases", "signatory_title", "province",
                       "region_name"]  # fmt: skip
    assert [row[3] for row in rows[1:]] == ["35", "35.78"]
    assert [row[-1] for row in rows[1:]] == ["Provinsi Jawa Timur", "Kota Surabaya"]


# --- 5. --help: no summary cut, at any width, in both languages ------------------------------


def summaries(help_text: str) -> dict[str, str]:
    """The command list of a --help, each command's summary with its wrapped lines joined."""
    block = next(b for b in help_text.split("\n\n") if b.startswith(("Commands:", "Perintah:")))
    found: dict[str, str] = {}
    name = ""
    for line in block.splitlines()[1:]:
        match = re.match(r"  (\S+)\s+(.*)", line)
        if match:
            name = match.group(1)
            found[name] = match.group(2)
        else:
            found[name] += " " + line.strip()
    return found


def first_sentences(group: str, language: str) -> dict[str, str]:
    """Each command's first sentence, from the help texts as --help shows them."""
    from typer.main import get_command

    from kerjasama_cli import i18n
    from kerjasama_cli.cli.app import app

    tree = get_command(app)
    i18n.translate_help(tree, language)
    commands = tree.commands[group].commands if group else tree.commands  # type: ignore[attr-defined]
    found = {}
    for name, command in commands.items():
        paragraph = " ".join(command.help.split("\n\n")[0].split())
        end = paragraph.find(". ")
        found[name] = paragraph if end == -1 else paragraph[: end + 1]
    return found


@pytest.mark.parametrize("language", ["en", "id"])
@pytest.mark.parametrize("columns", ["60", "80"])
@pytest.mark.parametrize("group", ["", "db", "party", "activity"])
def test_every_command_summary_is_shown_whole(
    run_ks: RunKs, group: str, columns: str, language: str
) -> None:
    """Click would cut a summary with "..." to keep it on one line: the whole first sentence
    is listed, wrapped under itself, within the width."""
    shown = run_ks(
        *([group] if group else []), "--help", env={"KS_LANG": language, "COLUMNS": columns}
    )

    assert shown.returncode == 0, shown.stderr
    assert summaries(shown.stdout) == first_sentences(group, language)
    block = next(b for b in shown.stdout.split("\n\n") if b.startswith(("Commands:", "Perintah:")))
    assert max(len(line) for line in block.splitlines()) <= int(columns)


def test_the_pending_summary_is_whole_at_60_columns(run_ks: RunKs) -> None:
    listed = summaries(run_ks("--help", env={"COLUMNS": "60"}).stdout)
    assert listed["pending"] == "List the signatures still outstanding, longest wait first."


# --- 6. statuses as words for people, values for scripts ------------------------------------


@pytest.mark.parametrize(
    ("language", "word"), [("en", "awaiting signatures"), ("id", "menunggu tanda tangan")]
)
def test_list_on_a_terminal_shows_the_status_in_words(
    story: dict[str, str], language: str, word: str
) -> None:
    drawn = on_terminal(["list", *AS_OF], columns=160, env={**story, "KS_LANG": language})
    statuses = {line.split("│")[2].strip() for line in drawn.splitlines() if ROW.match(line)}
    assert statuses == {word}, drawn


def test_list_in_a_pipe_json_and_csv_keep_the_status_values(
    run_ks: RunKs, story: dict[str, str]
) -> None:
    for env in (story, {**story, **ID}):
        _header, *lines = run_ks("list", *AS_OF, env=env).stdout.splitlines()
        assert {line.split("\t")[1] for line in lines} == {"awaiting-signatures"}
        rows = json.loads(run_ks("list", *AS_OF, "--format", "json", env=env).stdout)
        assert {r["status"] for r in rows} == {"awaiting-signatures"}
        table = csv.DictReader(io.StringIO(run_ks("list", *AS_OF, "-f", "csv", env=env).stdout))
        assert {r["status"] for r in table} == {"awaiting-signatures"}


@pytest.mark.parametrize(
    ("language", "line"),
    [("en", "  status:  awaiting signatures"), ("id", "  status:  menunggu tanda tangan")],
)
def test_show_says_the_status_in_words_on_a_terminal_and_in_a_pipe(
    run_ks: RunKs, story: dict[str, str], language: str, line: str
) -> None:
    """`ks show` is text for people in a pipe too (its dates are written out there as well);
    `--format json` keeps the value."""
    env = {**story, "KS_LANG": language}
    assert line in on_terminal(["show", KSB, *AS_OF], columns=80, env=env).splitlines()
    assert line in run_ks("show", KSB, *AS_OF, env=env).stdout.splitlines()
    detail = json.loads(run_ks("show", KSB, *AS_OF, "--format", "json", env=env).stdout)
    assert detail["status"] == "awaiting-signatures"


def test_every_status_has_words() -> None:
    from kerjasama_cli import lifecycle

    assert set(lifecycle.STATUSES) <= set(lifecycle.STATUS_WORDS)
    assert lifecycle.status_word("in-force") == "in force"
    assert lifecycle.status_word("not-yet-agreed") == "not yet agreed"
