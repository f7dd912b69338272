"""`ks report` and `ks check`: the reference story and a generated ledger, in every format."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import subprocess
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from openpyxl import load_workbook
from tests.conftest import REPO, RunKs, ks_executable
from tests.test_ledger import Ledger

from kerjasama_cli import db, events, ledger, lifecycle, queries, report, report_render
from kerjasama_cli.cli import main

AS_OF = date(2022, 9, 10)


@pytest.fixture(scope="module")
def story(story_ledger: Path) -> dict:
    """The report of the reference story as of 10 September 2022, changes since 1 July."""
    with db.reader(story_ledger) as conn:
        return report.build(queries.sqlite_sql(conn), AS_OF, date(2022, 7, 1))


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
        seq, head = events.head(queries.sqlite_sql(conn))
    assert story["ledger"] == {"entries": seq, "head": head}


@pytest.fixture
def generated(tmp_path: Path) -> Ledger:
    """Twelve PKS between Kominfo Jatim and Kaltim, three in each age bucket on 1 June 2024."""
    book = Ledger(tmp_path / "generated.sqlite")
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
        data = report.build(queries.sqlite_sql(conn), AS_OF, province_code="35")
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
def terms(tmp_path: Path) -> Ledger:
    """Thirty PKS between Kominfo Kaltim and Kominfo Jatim, signed in 2021 and 2022, with
    terms ending from 2022 to 2026 and activities on every third, to report on 1 June 2024."""
    book = Ledger(tmp_path / "terms.sqlite")
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
    assert story["ledger"]["head"] in text.splitlines()[-1]


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


def test_xlsx_has_one_sheet_per_section(story: dict, tmp_path: Path) -> None:
    path = tmp_path / "laporan.xlsx"
    path.write_bytes(report_render.xlsx_bytes(story, "id"))
    book = load_workbook(path)
    assert book.sheetnames == [
        "Jumlah",
        "Menunggu",
        "Tanda tangan",
        "Diserahkan",
        "Berakhir atau diakhiri",
        "Dievaluasi",
        "Segera berakhir",
        "Tanpa kegiatan",
        "Buku register",
    ]
    waiting = [[c.value for c in row] for row in book["Menunggu"].iter_rows(min_row=3)]
    assert waiting[0][:6] == ["Jawa Timur", 8, 8, 0, 0, 0]


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


def test_the_html_report_renders_in_a_browser(story: dict, tmp_path: Path) -> None:
    browser = _chromium()
    if browser is None:
        if os.environ.get("CI"):
            pytest.fail("CI must have Debian's chromium (.ci/run installs it)")
        pytest.skip("no chromium here (apt-get install chromium)")
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
    shot = tmp_path / "laporan.png"
    subprocess.run(
        [*common, "--window-size=1100,1400", f"--screenshot={shot}", page.as_uri()],
        capture_output=True,
        timeout=120,
        check=True,
    )
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000


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
