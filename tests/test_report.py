"""`ks report` and `ks check`: the reference story and a generated ledger, in every format."""

from __future__ import annotations

import base64
import contextlib
import csv
import html
import io
import json
import os
import re
import select
import shutil
import struct
import subprocess
import time
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from openpyxl import load_workbook
from tests.conftest import REPO, RunKs, ks_executable
from tests.test_ledger import Ledger

from kerjasama_cli import db, events, ledger, lifecycle, render, report, report_render
from kerjasama_cli.cli import main

AS_OF = date(2022, 9, 10)


@pytest.fixture(scope="module")
def story(story_ledger: Path) -> dict:
    """The report of the reference story as of 10 September 2022, changes since 1 July."""
    with db.reader(story_ledger) as conn:
        return report.build(db.runner(conn), AS_OF, date(2022, 7, 1))


def test_the_story_report_counts_and_groups_what_waits(story: dict, story_ledger: Path) -> None:
    assert story["totals"] == [
        {"status": "awaiting-signatures", "kind": "ksb", "count": 1},
        {"status": "awaiting-signatures", "kind": "pks", "count": 7},
    ]
    jatim, kaltim = story["waiting"]
    assert (jatim["province"], jatim["province_name"], jatim["count"]) == ("35", "Jawa Timur", 8)
    assert jatim["ages"] == {"0-30": 8, "31-90": 0, "91-180": 0, ">180": 0}
    assert (jatim["oldest"]["agreement"], jatim["oldest"]["waiting_days"]) == ("KSB-2022-0001", 30)
    assert (kaltim["province"], kaltim["count"], kaltim["ages"]["31-90"]) == ("64", 3, 3)
    assert kaltim["oldest"]["waiting_days"] == 44
    changes = story["changes"]
    assert [(c["agreement"], c["date"]) for c in changes["signed"]][:1] == [
        ("KSB-2022-0001", "2022-07-28")
    ]
    assert len(changes["signed"]) == 5 and len(changes["handed_over"]) == 8
    assert changes["ended"] == [] and changes["evaluated"] == []
    with db.reader(story_ledger) as conn:
        seq, head = events.head(db.runner(conn))
    assert story["ledger"] == {"entries": seq, "head": head}


@pytest.fixture
def generated(ledger_location: Path) -> Ledger:
    """Twelve PKS between Kominfo Jatim and Kaltim, three in each age bucket on 1 June 2024."""
    book = Ledger(ledger_location)
    today = date(2024, 6, 1)
    book.write(
        ledger.add_party,
        "Dinas Kominfo Provinsi Jawa Timur",
        "jatim",
        ["kominfo-jatim"],
        today=today,
    )
    for n, age in enumerate((10, 30, 29, 31, 60, 90, 91, 120, 180, 181, 365, 1000)):
        book.write(
            ledger.add_agreement,
            "pks",
            f"Uji {n}",
            ["kominfo-jatim", "kaltim"],
            agreed_on=today - timedelta(age),
            today=today,
        )
    return book


def test_a_province_report_is_headed_with_its_name(story_ledger: Path) -> None:
    with db.reader(story_ledger) as conn:
        data = report.build(db.runner(conn), AS_OF, province_code="35")
    assert (data["province"], data["province_name"]) == ("35", "Jawa Timur")
    assert report_render.markdown(data, "id").startswith(
        "# Laporan Kerja Sama Daerah — Provinsi Jawa Timur\n"
    )
    assert [g["province"] for g in data["waiting"]] == ["35"]


def test_age_buckets_of_a_generated_ledger(generated: Ledger) -> None:
    data = generated.read(report.build, date(2024, 6, 1))
    ages = {g["province"]: g["ages"] for g in data["waiting"]}
    expected = {"0-30": 3, "31-90": 3, "91-180": 3, ">180": 3}
    assert ages == {"35": expected, "64": expected}
    assert data["waiting"][0]["oldest"]["waiting_days"] == 1000
    assert data["totals"] == [{"status": "awaiting-signatures", "kind": "pks", "count": 12}]


@pytest.fixture
def terms(ledger_location: Path) -> Ledger:
    """Thirty PKS between Kominfo Kaltim and Kominfo Jatim, signed in 2021 and 2022, with
    terms ending from 2022 to 2026 and activities on every third, to report on 1 June 2024."""
    book = Ledger(ledger_location)
    today = date(2024, 6, 1)
    for name, province in (("Kalimantan Timur", "kaltim"), ("Jawa Timur", "jatim")):
        book.write(
            ledger.add_party,
            f"Dinas Kominfo Provinsi {name}",
            province,
            [f"kominfo-{province}"],
            today=today,
        )
    for n in range(30):
        agreed = date(2021, 1, 4) + timedelta(days=23 * n)
        key = book.write(
            ledger.add_agreement,
            "pks",
            f"Layanan data {n}",
            ["kominfo-kaltim", "kominfo-jatim"],
            agreed_on=agreed,
            end_on=date(2022, 6, 30) + timedelta(days=47 * n) if n % 4 else None,
            years=2 if n % 4 == 0 else None,
            today=today,
        )
        for party in ("kominfo-kaltim", "kominfo-jatim"):
            book.write(ledger.sign, key, party, agreed + timedelta(days=9), today=today)
        if n % 3 == 0:
            book.write(
                ledger.add_activity, key, agreed + timedelta(days=200), "Rapat teknis", today=today
            )
    # On the edges: ended on the --since day; ends on the 90th day; idle for 180 days, and 181.
    for end_on, active_on in (
        (date(2024, 1, 1), None),
        (date(2024, 8, 30), date(2024, 5, 1)),
        (date(2026, 12, 31), date(2023, 12, 4)),
        (date(2026, 12, 31), date(2023, 12, 3)),
    ):
        key = book.write(
            ledger.add_agreement,
            "pks",
            f"Batas {end_on} {active_on}",
            ["kominfo-kaltim", "kominfo-jatim"],
            agreed_on=date(2023, 1, 2),
            end_on=end_on,
            today=today,
        )
        for party in ("kominfo-kaltim", "kominfo-jatim"):
            book.write(ledger.sign, key, party, date(2023, 1, 9), today=today)
        if active_on:
            book.write(ledger.add_activity, key, active_on, "Rapat teknis", today=today)
    return book


def test_the_report_agrees_with_expiring_idle_and_list(
    terms: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One pass gives the report what ks list, ks expiring and ks idle give one by one."""
    monkeypatch.setattr(report, "IDLE_SHOWN", 4)
    as_of, since = date(2024, 6, 1), date(2024, 1, 1)
    data = terms.read(report.build, as_of, since)
    listed = terms.read(lifecycle.list_agreements, as_of)
    statuses = Counter((r["status"], r["kind"]) for r in listed)
    assert {(t["status"], t["kind"]): t["count"] for t in data["totals"]} == statuses
    assert {status for status, _ in statuses} == {"expired", "expiring", "in-force"}
    assert data["expiring"] == terms.read(lifecycle.expiring, as_of, 90)
    assert data["expiring"][-1]["ends_on"] == "2024-08-30"  # the 90th day is in
    idle = terms.read(lifecycle.idle, as_of, 180)
    assert data["idle"] == {"count": len(idle), "longest": idle[:4]} and len(idle) > 4
    ended = terms.read(lifecycle.ended, as_of, since)
    assert [(e["agreement"], e["date"]) for e in data["changes"]["ended"]] == [
        (e["key"], e["ends_on"]) for e in ended
    ]
    assert ended and all(since.isoformat() <= e["ends_on"] < as_of.isoformat() for e in ended)
    assert ended[0]["ends_on"] == "2024-01-01"
    idle_titles = {r["title"]: r["idle_days"] for r in idle}
    assert idle_titles["Batas 2026-12-31 2023-12-03"] == 181
    assert "Batas 2026-12-31 2023-12-04" not in idle_titles
    text = report_render.markdown(data, "en")
    assert f"And {len(idle) - 4} more; the full list: `ks idle --days 180`." in text
    page = report_render.html_text(data, "en")
    assert f'<p class="more">And {len(idle) - 4} more; the full list: <code>ks idle' in page


@given(st.lists(st.tuples(st.integers(0, 50), st.text(max_size=3))), st.integers(1, 6))
def test_longest_keeps_the_smallest_keys_and_counts_them_all(
    items: list[tuple[int, str]], limit: int
) -> None:
    longest = report.Longest(limit)
    for n, (days, key) in enumerate(items):
        longest.add((days, key, n), {"n": n})
    expected = sorted((days, key, n) for n, (days, key) in enumerate(items))[:limit]
    assert [item["n"] for item in longest.items()] == [n for *_, n in expected]
    assert longest.count == len(items)


@pytest.mark.parametrize("lang", ["id", "en"])
def test_markdown_renders_with_every_section(story: dict, lang: str) -> None:
    text = report_render.markdown(story, lang)
    rendered = MarkdownIt("commonmark").enable("table").render(text)
    assert rendered.count("<table>") == 4  # totals, waiting, signed, handed over
    assert rendered.count("<h2>") == 8
    if lang == "id":
        assert "Laporan Kerja Sama Daerah" in text and "11 Agustus 2022" in text
        assert "menunggu tanda tangan" in text
    else:
        assert "Regional Cooperation Report" in text and "August 11, 2022" in text
    head_line = next(line for line in text.splitlines() if story["ledger"]["head"] in line)
    assert text.splitlines().index(head_line) > text.splitlines().index("---")


def test_sections_carry_typed_cells(story: dict) -> None:
    """Dates as dates, counts as numbers, and the key apart from the title (the oldest wait
    as its key, party, day and days): each format writes them its own way."""
    found = {s.sheet: s for s in report_render.sections(story, report_render.Words("en"))}
    waiting = found["Waiting"]
    assert [c.header for c in waiting.columns][-4:] == ["Oldest", "Party", "Waiting since", "Days"]
    assert waiting.rows[0][-4:] == [
        "KSB-2022-0001",
        "Pemerintah Provinsi Jawa Timur",
        date(2022, 8, 11),
        30,
    ]
    assert waiting.rows[0][:3] == ["Jawa Timur", 8, 8]
    signed = found["Signed"]
    assert [c.header for c in signed.columns] == ["Date", "Key", "Title", "Party"]
    assert signed.rows[0][:3] == [
        date(2022, 7, 28),
        "KSB-2022-0001",
        "Kerja Sama Pembangunan Daerah",
    ]
    kinds = {c.header: c.kind for s in found.values() for c in s.columns}
    assert kinds["Key"] == report_render.KEY and kinds["Date"] == report_render.DATE
    page = report_render.html_text(story, "en")
    assert (
        '<td class="k">KSB-2022-0001</td><td>Pemerintah Provinsi Jawa Timur</td>'
        '<td class="d">August 11, 2022</td><td class="n">30</td>'
    ) in page


def test_csv_and_json_parse_back(story: dict) -> None:
    rows = list(csv.DictReader(io.StringIO(report_render.csv_text(story, "id"))))
    sections = {r["section"] for r in rows}
    assert {"totals", "waiting", "waiting-oldest", "signed", "handed-over", "ledger"} <= sections
    oldest = [r for r in rows if r["section"] == "waiting-oldest"]
    assert [(r["province"], r["agreement"], r["days"]) for r in oldest] == [
        ("35", "KSB-2022-0001", "30"),
        ("64", "PKS-2022-0005", "44"),
    ]
    assert json.loads(report_render.json_text(story, "en"))["waiting"][0]["count"] == 8


def story_xlsx(story_ledger: Path, lang: str = "id", office: str | None = None) -> bytes:
    """The xlsx report of the story as `ks report --out laporan.xlsx` writes it: the register
    is read while the workbook is written."""
    with db.reader(story_ledger) as conn:
        sql = db.runner(conn)
        data = report.build(sql, AS_OF, date(2022, 7, 1), office=office)
        return report_render.xlsx_bytes(data, lang, report.register(sql, AS_OF))


def test_xlsx_has_one_sheet_per_section_and_the_register(story_ledger: Path) -> None:
    book = load_workbook(io.BytesIO(story_xlsx(story_ledger)))
    assert book.sheetnames == [
        "Jumlah",
        "Menunggu",
        "Tanda tangan",
        "Diserahkan",
        "Berakhir atau diakhiri",
        "Dievaluasi",
        "Segera berakhir",
        "Tanpa kegiatan",
        "Daftar kerja sama",
        "Buku register",
    ]
    waiting = [[c.value for c in row] for row in book["Menunggu"].iter_rows(min_row=4)]
    assert waiting[0][:6] == ["Jawa Timur", 8, 8, 0, 0, 0]
    assert waiting[0][6:] == [
        "KSB-2022-0001",
        "Pemerintah Provinsi Jawa Timur",
        datetime(2022, 8, 11),
        30,
    ]


# --- the office the report is issued by ---------------------------------------------------

BIRO = "Biro Pemerintahan dan Otonomi Daerah Setda Provinsi Kalimantan Timur"


def test_the_office_heads_every_format(story_ledger: Path, run_ks: RunKs, tmp_path: Path) -> None:
    """--office, else KS_OFFICE, above the title in md, html and xlsx, and in JSON's office
    field (null without one); an empty --office overrides KS_OFFICE with none."""
    env = {"KS_DB": str(story_ledger)}
    args = ("report", "--as-of", "2022-09-10")

    def out(*extra: str, **more: str) -> str:
        done = run_ks(*args, *extra, env={**env, **more})
        assert done.returncode == 0, done.stderr
        return done.stdout

    text = out("--office", BIRO)
    assert text.startswith(f"**{BIRO}**\n\n# Laporan Kerja Sama Daerah\n")
    assert out(KS_OFFICE=BIRO) == text
    assert out("--office", "", KS_OFFICE=BIRO).startswith("# Laporan Kerja Sama Daerah\n")
    assert out(KS_OFFICE="").startswith("# Laporan Kerja Sama Daerah\n")
    page = out("--format", "html", KS_OFFICE=BIRO)
    assert f'<header>\n<p class="office">{BIRO}</p>\n<h1>Laporan Kerja Sama Daerah</h1>' in page
    assert '<p class="office">' not in out("--format", "html")
    assert json.loads(out("--format", "json", "--office", f"  {BIRO} "))["office"] == BIRO
    assert json.loads(out("--format", "json"))["office"] is None
    path = tmp_path / "laporan.xlsx"
    assert run_ks(*args, "--out", str(path), env={**env, "KS_OFFICE": BIRO}).returncode == 0
    book = load_workbook(path)
    for sheet in book.worksheets:
        assert sheet["A2"].value.startswith(f"{BIRO} — Laporan Kerja Sama Daerah — Keadaan per")
        assert sheet.oddHeader.center.text == BIRO  # on every printed page
    assert path.stat().st_size < 50_000


HOSTILE_OFFICE = "- <script>alert(1)</script> [Klik](http://evil.example) *x* & =1+1 \x1b[2J #"


def test_a_hostile_office_is_shown_as_text(story: dict, story_ledger: Path) -> None:
    data = {**story, "office": HOSTILE_OFFICE}
    shown = render.visible(HOSTILE_OFFICE)
    text = report_render.markdown(data, "en")
    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    inline = [t for t in tokens if t.type == "inline"]
    children = [c for c in inline[0].children if c.content or c.type != "text"]
    assert [c.type for c in children] == ["strong_open", "text", "strong_close"]
    assert children[1].content == shown
    assert tokens[0].type == "paragraph_open"  # not a list item, whatever the office starts with
    page = report_render.html_text(data, "en")
    assert f'<p class="office">{html.escape(shown)}</p>' in page
    assert "<script>" not in page and "\x1b" not in page
    book = load_workbook(io.BytesIO(story_xlsx(story_ledger, "en", HOSTILE_OFFICE)))
    sheet = book.worksheets[0]
    assert sheet["A2"].value.startswith(shown) and sheet["A2"].data_type == "s"
    assert sheet.oddHeader.center.text == shown.replace("&", "&&")  # & starts a code there


# --- the foot: the head hash, small, and what it is for -----------------------------------


def test_the_foot_names_the_head_hash_on_its_own_line_and_what_it_is_for(
    story: dict, story_ledger: Path, run_ks: RunKs, tmp_path: Path
) -> None:
    head = story["ledger"]["head"]
    page = report_render.html_text(story, "en")
    foot = page[page.index("<footer>") :]
    assert f'<p class="hash">Ledger head hash: {head}</p>' in foot
    assert '<p class="hash">Keep this hash: later, ks verify --head with it shows whether' in foot
    assert re.search(r"footer \.hash\{font-size:\.7rem", page)  # small
    text = report_render.markdown(story, "en").splitlines()
    assert text[-3:] == [
        f"Ledger head hash: {head}",
        "",
        "Keep this hash: later, ks verify --head with it shows whether the ledger still holds, "
        "unchanged, the entries this report was made from.",
    ]
    # The line with the hash, kept as it is (grep), is a line ks verify --heads reads.
    kept = tmp_path / "ks-heads.txt"
    lines = [
        line
        for fmt in ("md", "html")
        for line in str(report_render.FORMATS[fmt](story, "id")).splitlines()
        if head in line
    ]
    assert len(lines) == 2
    kept.write_text("\n".join(lines) + "\n", encoding="utf-8")
    checked = run_ks("verify", "--heads", str(kept), env={"KS_DB": str(story_ledger)})
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_only_the_xlsx_reads_the_register(
    story_ledger: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A million agreements' register costs time: md, html, json and csv never read it."""

    def refused(*args: object, **kwargs: object) -> None:
        raise AssertionError("the register was read")

    monkeypatch.setattr(report, "register", refused)
    for fmt in ("md", "html", "json", "csv"):
        out = tmp_path / f"laporan.{fmt}"
        with pytest.raises(SystemExit) as done:
            main(["--db", str(story_ledger), "report", "--as-of", "2022-09-10", "--out", str(out)])
        assert done.value.code == 0 and out.stat().st_size > 500


# --- in a browser, on a desktop and on a phone ------------------------------------------------


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _browser_or_skip() -> str:
    browser = _chromium()
    if browser is None:
        if os.environ.get("CI"):
            pytest.fail("CI must have Debian's chromium (.ci/run installs it)")
        pytest.skip("no chromium here (apt-get install chromium)")
    return browser


def test_the_html_report_renders_in_a_browser(story: dict, tmp_path: Path) -> None:
    browser = _browser_or_skip()
    page = tmp_path / "laporan.html"
    page.write_text(report_render.html_text(story, "id"), encoding="utf-8")
    common = [browser, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run(
        [*common, "--dump-dom", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    assert "<h1>Laporan Kerja Sama Daerah</h1>" in dom
    waiting_chart = re.search(r'<figure id="chart-waiting">(.*?)</figure>', dom, re.S)
    assert waiting_chart and waiting_chart.group(1).count('class="bar"') == 2
    assert dom.count("<table>") == 4


class DevTools:
    """Headless Chromium driven over the DevTools protocol on a pipe (--remote-debugging-pipe:
    commands on fd 3, answers and events on fd 4, each JSON message ended by a NUL), which
    lets a page be laid out exactly as a phone of a given width would, with no extra package."""

    def __init__(self, browser: str, profile: Path) -> None:
        commands_in, self._commands = os.pipe()  # what the browser reads, what we write
        self._answers, answers_out = os.pipe()  # what we read, what the browser writes
        command = [
            # bash, not sh: dash cannot redirect from a descriptor above 9
            *("bash", "-c", f'exec "$0" "$@" 3<&{commands_in} 4>&{answers_out}', browser),
            *(*CHROMIUM_FLAGS, "--remote-debugging-pipe", f"--user-data-dir={profile}"),
            "about:blank",
        ]
        self.proc = subprocess.Popen(
            command,
            pass_fds=(commands_in, answers_out),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(commands_in)
        os.close(answers_out)
        self._buffer = b""
        self._sent = 0
        self._events: list[dict] = []
        try:
            targets = self.send("Target.getTargets")["targetInfos"]
            page = next(t["targetId"] for t in targets if t["type"] == "page")
            self.session = self.send("Target.attachToTarget", targetId=page, flatten=True)[
                "sessionId"
            ]
            self.send("Page.enable", self.session)
        except BaseException:
            self.close()
            raise

    def send(self, method: str, session: str | None = None, **params: object) -> dict:
        self._sent += 1
        message: dict = {"id": self._sent, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        os.write(self._commands, json.dumps(message).encode() + b"\0")
        while True:
            answer = self._next()
            if answer.get("id") == self._sent:
                assert "error" not in answer, (method, answer["error"])
                return answer["result"]
            self._events.append(answer)

    def open(self, url: str, width: int, height: int = 900) -> None:
        """Load `url` in a viewport `width` CSS pixels wide (a phone's below 600)."""
        self.send(
            "Emulation.setDeviceMetricsOverride",
            self.session,
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=width < 600,
        )
        self._events.clear()
        self.send("Page.navigate", self.session, url=url)
        while not any(e.get("method") == "Page.loadEventFired" for e in self._events):
            self._events.append(self._next())

    def evaluate(self, expression: str) -> object:
        done = self.send(
            "Runtime.evaluate", self.session, expression=expression, returnByValue=True
        )
        return done["result"]["value"]

    def screenshot(self) -> bytes:
        shot = self.send("Page.captureScreenshot", self.session, captureBeyondViewport=True)
        return base64.b64decode(shot["data"])

    def _next(self, timeout: float = 60) -> dict:
        deadline = time.monotonic() + timeout
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            assert left > 0 and select.select([self._answers], [], [], left)[0], "no answer"
            chunk = os.read(self._answers, 1 << 20)
            assert chunk, "chromium closed its pipe"
            self._buffer += chunk
        message, _, self._buffer = self._buffer.partition(b"\0")
        return json.loads(message)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.send("Browser.close")
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._commands)
        os.close(self._answers)


# What a reader would see go wrong: anything reaching past the viewport (a table too wide
# for the screen must scroll inside its own box: the box is measured, not what it holds),
# and a cell holding a date ("11 Agustus 2022", "August 11, 2022"), a key or a number broken
# over two lines (found by what the cell says, whatever the page's classes).
LAYOUT_CHECK = """(() => {
  const width = document.documentElement.clientWidth;
  const found = {width, page: document.documentElement.scrollWidth, wide: [], broken: [],
                 unbroken: 0, scrolling: 0};
  for (const el of document.body.querySelectorAll("*")) {
    if (el.parentElement.closest(".scroll")) continue;
    const box = el.getBoundingClientRect();
    if (box.width > 0 && (box.left < -0.5 || box.right > width + 0.5)) {
      const where = `${Math.round(box.left)}-${Math.round(box.right)}`;
      found.wide.push(`${el.tagName.toLowerCase()}.${el.getAttribute("class")} ${where}`);
    }
  }
  const whole = /^(\\d{1,2} \\p{L}+ \\d{4}|\\p{L}+ \\d{1,2}, \\d{4}|[A-Z]+-\\d{4}-\\d+|\\d+)$/u;
  for (const cell of document.querySelectorAll("td")) {
    if (!whole.test(cell.textContent.trim())) continue;
    const text = document.createRange();
    text.selectNodeContents(cell);
    const lines = new Set([...text.getClientRects()].map((r) => Math.round(r.top)));
    if (lines.size > 1) found.broken.push(cell.textContent);
    found.unbroken += 1;
  }
  for (const box of document.querySelectorAll(".scroll")) {
    if (box.scrollWidth > box.clientWidth) found.scrolling += 1;
  }
  return found;
})()"""


def test_the_html_report_fits_a_desktop_and_a_phone(story_copy: Path, tmp_path: Path) -> None:
    """At 1280 and at 400 CSS pixels (a phone), with the office heading and every section
    filled: nothing is wider than the screen, tables too wide scroll inside their box, and no
    date, key or number breaks. The screenshots are kept beside the page (tmp_path)."""
    browser = _browser_or_skip()
    book = Ledger(story_copy)
    for n in range(3):  # an agreement in force, ending soon, and idle for long
        key = book.write(
            ledger.add_agreement, "pks", f"Pengelolaan Sampah Regional Terpadu Tahap {n + 1}",
            ["kominfo-kaltim", "kominfo-jatim"], agreed_on=date(2021, 1, 4),
            end_on=date(2022, 10, 30),
        )  # fmt: skip
        for party in ("kominfo-kaltim", "kominfo-jatim"):
            book.write(ledger.sign, key, party, date(2021, 1, 5))
    data = book.read(report.build, AS_OF, date(2022, 7, 1), office=BIRO)
    assert all(s.rows for s in report_render.sections(data, report_render.Words("id"))[:4])
    page = tmp_path / "laporan.html"
    page.write_text(report_render.html_text(data, "id"), encoding="utf-8")
    chromium = DevTools(browser, tmp_path / "profile")
    try:
        for width in (1280, 400):
            chromium.open(page.as_uri(), width)
            found = chromium.evaluate(LAYOUT_CHECK)
            shot = chromium.screenshot()
            (tmp_path / f"laporan-{width}.png").write_bytes(shot)
            assert isinstance(found, dict)
            assert found["wide"] == [] and found["page"] <= found["width"], (width, found)
            assert found["broken"] == [] and found["unbroken"] > 50, (width, found)
            assert shot[:8] == b"\x89PNG\r\n\x1a\n"
            assert struct.unpack(">I", shot[16:20])[0] == found["width"]  # the PNG's width
            if width == 400:
                assert found["width"] == 400
                assert found["scrolling"] >= 1  # the waiting table scrolls in its box
            else:
                assert found["scrolling"] == 0
    finally:
        chromium.close()


def test_out_is_atomic_a_failed_render_leaves_the_old_report(
    story_ledger: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    out = tmp_path / "laporan.md"
    out.write_text("laporan minggu lalu\n", encoding="utf-8")

    def broken(data: dict, lang: str) -> str:
        raise RuntimeError("render failed")

    monkeypatch.setitem(report_render.FORMATS, "md", broken)
    with pytest.raises(SystemExit):
        main(["--db", str(story_ledger), "report", "--out", str(out)])
    assert out.read_text(encoding="utf-8") == "laporan minggu lalu\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["laporan.md"]
    monkeypatch.undo()
    with pytest.raises(SystemExit) as done:
        main(["--db", str(story_ledger), "report", "--as-of", "2022-09-10", "--out", str(out)])
    assert done.value.code == 0
    assert out.read_text(encoding="utf-8").startswith("# Laporan Kerja Sama Daerah")


def test_check_exits_1_on_problems_and_0_without(story_ledger: Path, run_ks: RunKs) -> None:
    env = {"KS_DB": str(story_ledger)}
    late = run_ks("check", "--as-of", "2022-09-10", "--max-wait", "40", env=env)
    assert late.returncode == 1
    assert late.stdout.splitlines() == [
        f"waiting: PKS-2022-000{n} for {name} Provinsi Kalimantan Timur, 44 days since 28 July 2022"
        for n, name in (
            (5, "Dinas Kebudayaan dan Pariwisata"),
            (6, "Dinas Perindustrian dan Perdagangan"),
            (7, "Dinas Penanaman Modal dan Pelayanan Terpadu Satu Pintu"),
        )
    ]
    calm = run_ks("check", "--as-of", "2022-09-10", "--max-wait", "60", "--format", "json", env=env)
    assert calm.returncode == 0, calm.stderr
    assert json.loads(calm.stdout) == {"as_of": "2022-09-10", "ok": True, "problems": []}


def _crontab_lines() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```crontab\n(.*?)```", text, re.S)
    assert block, "the README has a crontab example"
    return [
        line
        for line in block.group(1).splitlines()
        if line and not line.startswith("#") and not re.match(r"\w+=", line)
    ]


def test_the_readme_crontab_works(story_ledger: Path, tmp_path: Path) -> None:
    """Each crontab line's command, run as cron would: sh, a bare environment, no terminal."""
    ks = Path(ks_executable()[0])
    for line in _crontab_lines():
        command = " ".join(line.split()[5:])  # drop the five schedule fields
        env = {
            "PATH": f"{ks.parent}:/usr/bin:/bin",
            "HOME": str(tmp_path),
            "KS_DB": str(story_ledger),
            "LAPORAN": str(tmp_path),
        }
        env.update({k: v for k, v in os.environ.items() if k == "PYTHONPATH"})
        done = subprocess.run(
            ["sh", "-c", command],
            env=env,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=120,
        )
        assert done.returncode in (0, 1), done.stderr  # ks check exits 1 when it finds problems
        assert "Traceback" not in done.stderr
    reports = sorted(p.name for p in tmp_path.iterdir() if p.suffix in (".md", ".html"))
    assert reports and all((tmp_path / name).stat().st_size > 1000 for name in reports)


def test_the_same_as_of_gives_the_same_report(story_ledger: Path, run_ks: RunKs) -> None:
    args = ("report", "--as-of", "2022-09-10", "--since", "2022-07-01")
    env = {"KS_DB": str(story_ledger)}
    for fmt in ("md", "html", "json", "csv"):
        first, second = (run_ks(*args, "--format", fmt, env=env) for _ in range(2))
        assert first.returncode == 0, first.stderr
        assert first.stdout == second.stdout
        assert "\x1b[" not in first.stdout  # no colour codes in a pipe or a cron mail
