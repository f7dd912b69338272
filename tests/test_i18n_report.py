"""`ks report` in its own language (`--lang`, Indonesian by default) through the gettext catalog.

The Indonesian tests need the catalog built with the report's translations (i18n-work/t4.json
and i18n-work/report.json merged into the .po and compiled): without them the report falls
back to its English msgids, which is what `test_no_english_is_left_in_an_indonesian_report`
catches.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file
from babel.messages.mofile import read_mo
from openpyxl import load_workbook
from tests.conftest import RunKs, copy_ledger
from tests.test_ledger import Ledger

from kerjasama_cli import (
    db,
    events,
    i18n,
    ledger,
    lifecycle,
    report,
    report_render,
    report_xlsx,
)

AS_OF = ("--as-of", "2022-09-10", "--since", "2022-07-01")
PLACEHOLDER = re.compile(r"\{(\w+)\}")
DATA = Path(__file__).parent / "data"
IDLE_COMMAND = "ks idle --days"


def report_msgids() -> list[str]:
    """Every text of the report, as marked in report_render.py and report_xlsx.py."""
    return [
        message
        for module in (report_render, report_xlsx)
        for _line, message, _comments, _context in extract_from_file(
            "python", module.__file__, keywords={"N_": None}
        )
    ]


def indonesian_catalog() -> dict[str, str]:
    path = i18n.LOCALE_DIR / "id" / "LC_MESSAGES" / f"{i18n.DOMAIN}.mo"
    with path.open("rb") as handle:
        catalog = read_mo(handle)
    return {str(m.id): str(m.string) for m in catalog if m.id and m.string}


def test_every_report_text_has_an_indonesian_translation() -> None:
    msgids = report_msgids()
    assert len(msgids) >= 50  # headings, headers, statuses, kinds, the footer...
    assert tuple(report_render.STATUSES) == lifecycle.STATUSES  # each has its words
    translated = indonesian_catalog()
    assert [m for m in msgids if m not in translated] == []
    for message in msgids:  # a placeholder lost or renamed would break .format()
        assert set(PLACEHOLDER.findall(translated[message])) == set(PLACEHOLDER.findall(message)), (
            message
        )


@pytest.fixture(scope="module")
def busy(
    story_source: Path,
    new_ledger: Callable[[Path, str], Path],
    tmp_path_factory: pytest.TempPathFactory,
) -> Path:
    """The reference story, then what fills every section of the report by 10 September 2022:
    PKS-2022-0001 and -0002 signed by Jatim's agencies, -0002 terminated and -0001 evaluated,
    an addendum, a PKS with Universitas Mulawarman (a third party, no province) waiting since
    January, and two internship PKS in force since 2021, one of them ending in November."""
    path = copy_ledger(story_source, new_ledger(tmp_path_factory.mktemp("busy"), "busy.sqlite"))
    book = Ledger(path)
    book.write(ledger.sign, "PKS-2022-0001", "kominfo-jatim", date(2022, 8, 15))
    book.write(ledger.sign, "PKS-2022-0002", "dishub-jatim", date(2022, 8, 16))
    book.write(ledger.terminate, "PKS-2022-0002", date(2022, 8, 30), "Digabung ke PKS baru")
    book.write(ledger.evaluate, "PKS-2022-0001", date(2022, 9, 1), "Data berjalan", "extend")
    book.write(
        ledger.add_agreement, "addendum", "Adendum data", parent="PKS-2022-0001",
        agreed_on=date(2022, 9, 2),
    )  # fmt: skip
    book.write(ledger.add_party, "Universitas Mulawarman", None, ["unmul"], third_party=True)
    riset = book.write(
        ledger.add_agreement, "pks", "Riset bersama", ["kominfo-kaltim", "unmul"],
        agreed_on=date(2022, 1, 3), end_on=date(2022, 10, 30),
    )  # fmt: skip
    book.write(ledger.sign, riset, "kominfo-kaltim", date(2022, 1, 4))
    for title, agreed, end_on, years in (
        ("Magang", date(2021, 1, 3), date(2022, 11, 30), None),
        ("Magang kedua", date(2021, 2, 3), None, 3),
    ):
        key = book.write(
            ledger.add_agreement, "pks", title, ["kominfo-kaltim", "kominfo-jatim"],
            agreed_on=agreed, end_on=end_on, years=years,
        )  # fmt: skip
        for party in ("kominfo-kaltim", "kominfo-jatim"):
            book.write(ledger.sign, key, party, agreed)
    return path


def _busy_report(path: Path, monkeypatch: pytest.MonkeyPatch) -> dict:
    """Every section with rows, and the idle list cut short so that "And 1 more" shows."""
    monkeypatch.setattr(report, "IDLE_SHOWN", 1)
    with db.reader(path) as conn:
        data = report.build(db.runner(conn), date(2022, 9, 10), date(2022, 7, 1))
    assert all(data["changes"].values()) and data["expiring"] and data["idle"]["count"] == 2
    assert any(g["province"] is None for g in data["waiting"])
    return data


def _xlsx(path: Path, data: dict, lang: str) -> bytes:
    """The workbook of `data`, with the register of the ledger at `path`."""
    with db.reader(path) as conn:
        register = report.register(db.runner(conn), date(2022, 9, 10))
        return report_render.xlsx_bytes(data, lang, register)


def _texts(path: Path, data: dict, lang: str) -> str:
    """The report in md and html, and every sheet name and cell of the xlsx, as one text."""
    book = load_workbook(io.BytesIO(_xlsx(path, data, lang)))
    cells = [str(c.value) for sheet in book for row in sheet.iter_rows() for c in row if c.value]
    return "\n".join(
        [
            report_render.markdown(data, lang),
            report_render.html_text(data, lang),
            *book.sheetnames,
            *cells,
        ]
    )


def test_no_english_is_left_in_an_indonesian_report(
    busy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = _busy_report(busy, monkeypatch)
    # The command the report names is the same in every language.
    indonesian, english = _texts(busy, data, "id"), _texts(busy, data, "en")
    prose = {
        lang: text.replace(IDLE_COMMAND, "") for lang, text in (("id", indonesian), ("en", english))
    }
    translated = indonesian_catalog()
    # The English words of each text (the parts between its placeholders), where Indonesian
    # says it otherwise ("Status" is Indonesian too).
    words = {
        part.strip(" ,.:;()—`")
        for message in report_msgids()
        if translated.get(message) != message
        for part in PLACEHOLDER.split(message.replace(IDLE_COMMAND, ""))[::2]
    }
    words = {w for w in words if re.search(r"[A-Za-z]{2}", w) and w != "ks"}
    shown = [w for w in words if re.search(rf"(?<!\w){re.escape(w)}(?!\w)", prose["en"])]
    assert len(shown) >= 45  # the check looks at what the report really shows
    left = sorted(w for w in shown if re.search(rf"(?<!\w){re.escape(w)}(?!\w)", prose["id"]))
    assert left == []
    for text in (
        "## Perubahan sejak 1 Juli 2022: berakhir atau diakhiri",
        "| 1 September 2022 | PKS-2022-0001 | Pengembangan Layanan E-Government dan Pertukaran "
        "Data | diperpanjang: Data berjalan |",
        "| tanpa provinsi | 1 | 0 | 0 | 0 | 1 | PKS-2022-0008 | Universitas Mulawarman | "
        "3 Januari 2022 | 250 |",
        "| 30 November 2022 | 81 | PKS-2021-0001 | Magang | segera berakhir |",
        "## Berlaku tanpa kegiatan dalam 180 hari terakhir: 2",
        "Dan 1 lainnya; daftar lengkap: `ks idle --days 180`.",
        "| diakhiri | Perjanjian Kerja Sama | 1 |",
        "| menunggu tanda tangan | Adendum | 1 |",
    ):
        assert text in indonesian, text
    book = load_workbook(io.BytesIO(_xlsx(busy, data, "id")))
    assert book.sheetnames[-2:] == ["Daftar kerja sama", "Buku register"]
    assert "<figcaption>Menunggu tanda tangan per provinsi</figcaption>" in indonesian


def test_the_report_language_is_its_own_not_the_interface_language(
    story_ledger: Path, run_ks: RunKs
) -> None:
    """KS_LANG chooses the messages; --lang (Indonesian by default) chooses the report's."""
    env = {"KS_DB": str(story_ledger)}
    by_default = run_ks("report", *AS_OF, env=env).stdout
    assert by_default == run_ks("report", *AS_OF, env={**env, "KS_LANG": "id"}).stdout
    assert by_default.startswith("# Laporan Kerja Sama Daerah\n\nKeadaan per 10 September 2022\n")
    english = run_ks("report", "--lang", "en", *AS_OF, env={**env, "KS_LANG": "id"}).stdout
    assert english == run_ks("report", "--lang", "en", *AS_OF, env=env).stdout
    assert english.startswith("# Regional Cooperation Report\n\nAs of September 10, 2022\n")


def _expected(lang: str, story_ledger: Path) -> str:
    """tests/data/report-story.LANG.md: the report of the story as of 10 September 2022, with
    changes since 1 July: keys apart from titles, the oldest wait as its key, party, day and
    days, and the head hash on a line of its own with what it is for ({head}: the ledger's
    head hash, which changes with the time the story was entered)."""
    with db.reader(story_ledger) as conn:
        head = str(events.head(db.runner(conn))[1])
    text = (DATA / f"report-story.{lang}.md").read_text(encoding="utf-8")
    return text.replace("{head}", head)


def test_the_english_report_of_the_story(story_ledger: Path, run_ks: RunKs) -> None:
    """Word for word, with the Indonesian interface around it (the report keeps its own
    language)."""
    done = run_ks(
        "report", "--lang", "en", *AS_OF, env={"KS_DB": str(story_ledger), "KS_LANG": "id"}
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == _expected("en", story_ledger)


def test_the_indonesian_report_of_the_story(story_ledger: Path, run_ks: RunKs) -> None:
    """Word for word, in the words a Biro writes: the ledger is the "buku register" (not "buku
    besar"), and the waiting are grouped by the province of the signing party ("pihak
    penanda tangan"), not of the signatory."""
    done = run_ks("report", *AS_OF, env={"KS_DB": str(story_ledger)})
    assert done.returncode == 0, done.stderr
    assert done.stdout == _expected("id", story_ledger)
