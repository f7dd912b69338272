"""The xlsx report as an office works with it: date cells, filters, frozen headers, a print
setup one page wide, and the register of every agreement; printed to PDF by LibreOffice."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from tests.conftest import copy_ledger
from tests.test_ledger import Ledger

from kerjasama_cli import db, ledger, lifecycle, report, report_render, report_xlsx

AS_OF = date(2022, 9, 10)
SINCE = date(2022, 7, 1)


def workbook_of(path: Path, lang: str = "id", as_of: date = AS_OF) -> bytes:
    """The xlsx report of a ledger as `ks report --out laporan.xlsx` writes it."""
    with db.reader(path) as conn:
        sql = db.runner(conn)
        data = report.build(sql, as_of, SINCE)
        return report_render.xlsx_bytes(data, lang, report.register(sql, as_of))


@pytest.fixture(scope="module")
def registered(
    story_source: Path,
    new_ledger: Callable[[Path, str], Path],
    tmp_path_factory: pytest.TempPathFactory,
) -> Path:
    """The story, and by 10 September 2022: a PKS recorded in error and withdrawn; a PKS on
    waste management between Kaltim, Jatim and Kota Samarinda (three parties, two signed);
    and a KSB on the Mahakam river between six regions (six parties, Kaltim's signed)."""
    place = new_ledger(tmp_path_factory.mktemp("register"), "register.sqlite")
    path = copy_ledger(story_source, place)
    book = Ledger(path)
    wrong = book.write(
        ledger.add_agreement, "pks", "Salah catat", ["kominfo-kaltim", "kominfo-jatim"],
        agreed_on=date(2022, 8, 1),
    )  # fmt: skip
    book.write(ledger.void, wrong, "dicatat dua kali")
    three = book.write(
        ledger.add_agreement, "pks", "Pengelolaan Sampah Regional",
        ["kaltim", "jatim", "samarinda"],
        numbers=[("kaltim", "660/112/B.PEM/2022"), ("samarinda", "658/77/DLH/2022")],
        agreed_on=date(2022, 8, 2), place="Samarinda", start_on=date(2022, 9, 1), years=2,
    )  # fmt: skip
    book.write(ledger.sign, three, "kaltim", date(2022, 8, 3))
    book.write(ledger.sign, three, "samarinda", date(2022, 8, 4))
    regions = ["kaltim", "jatim", "samarinda", "balikpapan", "kutai kartanegara", "bontang"]
    six = book.write(
        ledger.add_agreement, "ksb", "Pengelolaan Daerah Aliran Sungai Mahakam", regions,
        numbers=[("bontang", "180/9/2022")], agreed_on=date(2022, 8, 20),
    )  # fmt: skip
    book.write(ledger.sign, six, "kaltim", date(2022, 8, 22))
    return path


def test_the_register_has_every_agreement_with_its_parties_numbers_and_signatures(
    registered: Path,
) -> None:
    book = load_workbook(io.BytesIO(workbook_of(registered, "id")))
    sheet = book["Daftar kerja sama"]
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=3)]
    header, body = rows[0], rows[1:]
    assert header[:10] == [
        "No.",
        "Kode",
        "Jenis",
        "Judul",
        "Naskah induk",
        "Tanggal",
        "Tempat",
        "Mulai berlaku",
        "Berakhir",
        "Status",
    ]
    assert header[10:13] == ["Pihak 1", "Nomor naskah pihak 1", "Tanggal tanda tangan pihak 1"]
    assert header[-4:] == [
        "Pihak 4",
        "Nomor naskah pihak 4",
        "Tanggal tanda tangan pihak 4",
        "Pihak lainnya",
    ]  # four parties with columns of their own; the fifth and sixth together
    listed = Ledger(registered).read(lifecycle.list_agreements, AS_OF)
    assert [r[1] for r in body] == [r["key"] for r in listed]  # as ks list: not the withdrawn
    assert "Salah catat" not in {r[3] for r in body} and len(body) == 10
    assert [r[0] for r in body] == list(range(1, 11))
    by_title = {r[3]: r for r in body}
    story_ksb = by_title["Kerja Sama Pembangunan Daerah"]
    assert story_ksb[10:16] == [
        "Pemerintah Provinsi Kalimantan Timur",
        "120/4521/B.PEM-KS/2022",
        datetime(2022, 7, 28),
        "Pemerintah Provinsi Jawa Timur",
        None,
        None,
    ]
    waste = by_title["Pengelolaan Sampah Regional"]
    assert waste[2:10] == [
        "Perjanjian Kerja Sama",
        "Pengelolaan Sampah Regional",
        None,
        datetime(2022, 8, 2),
        "Samarinda",
        datetime(2022, 9, 1),
        None,  # a term of years runs from the last signature: not all have signed
        "menunggu tanda tangan",
    ]
    assert waste[10:19] == [
        "Pemerintah Provinsi Kalimantan Timur",
        "660/112/B.PEM/2022",
        datetime(2022, 8, 3),
        "Pemerintah Provinsi Jawa Timur",
        None,
        None,
        "Pemerintah Kota Samarinda",
        "658/77/DLH/2022",
        datetime(2022, 8, 4),
    ]
    assert waste[19:] == [None] * 4  # no fourth party, none more
    mahakam = by_title["Pengelolaan Daerah Aliran Sungai Mahakam"]
    assert (
        mahakam[-1]
        == "Pemerintah Kabupaten Kutai Kartanegara; Pemerintah Kota Bontang (180/9/2022)"
    )
    pks = by_title["Pengembangan Layanan E-Government dan Pertukaran Data"]
    assert pks[4] == "KSB-2022-0001"
    dates = [c for row in sheet.iter_rows(min_row=4) for c in row if isinstance(c.value, datetime)]
    assert dates and {c.number_format for c in dates} == {"[$-421]d mmmm yyyy"}


def test_a_register_longer_than_a_sheet_goes_on_to_the_next(
    registered: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Excel's last row is 1,048,576: past it, the register goes on to "Daftar kerja sama (2)"
    with the same headings, numbered on."""
    monkeypatch.setattr(report_xlsx, "EXCEL_ROWS", 7)  # four agreements a sheet
    book = load_workbook(io.BytesIO(workbook_of(registered)))
    parts = [n for n in book.sheetnames if n.startswith("Daftar kerja sama")]
    assert parts == ["Daftar kerja sama", "Daftar kerja sama (2)", "Daftar kerja sama (3)"]
    numbers = [r[0].value for n in parts for r in book[n].iter_rows(min_row=4)]
    assert numbers == list(range(1, 11))
    assert [book[n].max_row for n in parts] == [7, 7, 5]
    assert book[parts[2]].auto_filter.ref == "A3:W5"
    assert book[parts[2]]["A3"].value == "No." and book[parts[2]].freeze_panes == "A4"


@pytest.mark.parametrize(
    ("lang", "number_format"),
    [("id", "[$-421]d mmmm yyyy"), ("en", "[$-409]mmmm d, yyyy")],
)
def test_dates_are_date_cells_keys_and_titles_apart(
    story_ledger: Path, lang: str, number_format: str
) -> None:
    book = load_workbook(io.BytesIO(workbook_of(story_ledger, lang)))
    handed = book.worksheets[3]  # changes since 1 July: handed over
    first = next(handed.iter_rows(min_row=4, max_row=4))
    assert [c.value for c in first] == [
        datetime(2022, 8, 11),
        "KSB-2022-0001",
        "Kerja Sama Pembangunan Daerah",
        "Pemerintah Provinsi Jawa Timur",
    ]
    assert first[0].is_date and first[0].number_format == number_format
    waiting = next(book.worksheets[1].iter_rows(min_row=4, max_row=4))
    assert waiting[8].is_date and waiting[8].number_format == number_format
    assert isinstance(waiting[9].value, int)  # the days, a number


def test_every_table_has_a_frozen_header_a_filter_and_prints_one_page_wide(
    story_ledger: Path,
) -> None:
    book = load_workbook(io.BytesIO(workbook_of(story_ledger)))
    tables = book.worksheets[:-1]  # the last sheet is the ledger's head, not a table
    assert len(tables) == 9
    for sheet in book.worksheets:
        setup = sheet.page_setup
        assert (setup.orientation, setup.paperSize, setup.fitToWidth, setup.fitToHeight) == (
            "landscape",
            9,  # A4
            1,
            0,
        ), sheet.title
        assert sheet.sheet_properties.pageSetUpPr.fitToPage, sheet.title
        assert "&P" in sheet.oddFooter.right.text and "&N" in sheet.oddFooter.right.text
    for sheet in tables:
        assert sheet.freeze_panes == "A4", sheet.title
        assert sheet.print_title_rows == "$3:$3", sheet.title
        width = max(c.column for c in sheet[3] if c.value is not None)
        last = max(3, max(r[0].row for r in sheet.iter_rows(min_row=3) if r[0].value is not None))
        letter = sheet.cell(3, width).column_letter
        assert sheet.auto_filter.ref == f"A3:{letter}{last}", sheet.title
        assert all(c.font.b for c in sheet[3] if c.value is not None)
    ledger_sheet = book.worksheets[-1]
    assert ledger_sheet["A4"].value.startswith("Hash terakhir buku register: ")


# --- printed by LibreOffice ---------------------------------------------------------------


def _soffice() -> str:
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("CI must have LibreOffice Calc (.ci/run installs libreoffice-calc-nogui)")
        pytest.skip("no LibreOffice here (apt-get install libreoffice-calc-nogui)")
    return found


def _convert(soffice: str, source: Path, to: str, tmp_path: Path) -> Path:
    profile = (tmp_path / "lo-profile").as_uri()  # its own: a desktop session may hold one
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={profile}",
            "--headless",
            "--convert-to",
            to,
            "--outdir",
            str(source.parent),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return source.with_suffix("." + to.split(":")[0])


def _pages(pdf: bytes) -> list[tuple[float, float]]:
    """Each page's width and height in points, from its MediaBox (uncompressed in the page
    dictionaries LibreOffice writes)."""
    boxes = []
    for page in re.findall(rb"/Type\s*/Page(?![s\w]).*?>>", pdf, re.S):
        box = re.search(rb"/MediaBox\s*\[\s*([\d.\s-]+)\]", page)
        assert box, page
        x0, y0, x1, y1 = (float(v) for v in box.group(1).split())
        boxes.append((x1 - x0, y1 - y0))
    return boxes


def test_libreoffice_prints_each_sheet_on_one_landscape_page_width(
    registered: Path, tmp_path: Path
) -> None:
    """Printed to PDF, every sheet of the report (the register is 23 columns wide) is one
    A4 landscape page: no page carries only the columns that did not fit. And the dates
    show in Indonesian, as the cell format asks."""
    soffice = _soffice()
    path = tmp_path / "laporan.xlsx"
    path.write_bytes(workbook_of(registered))
    sheets = len(load_workbook(path).sheetnames)
    pages = _pages(_convert(soffice, path, "pdf", tmp_path).read_bytes())
    assert len(pages) == sheets, pages
    assert all(round(w) == 842 and round(h) == 595 for w, h in pages), pages  # A4 landscape
    shown = _convert(soffice, path, "html", tmp_path).read_text(encoding="utf-8", errors="replace")
    assert "11 Agustus 2022" in shown and "22 Agustus 2022" in shown
