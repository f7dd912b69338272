"""End to end: the installed `ks` run as a subprocess, as staff, cron and scripts run it.

The reference story (examples/reference-story.sh) is entered once per session: on 28 July 2022
Kaltim signed a KSB with Jatim and the two provinces' agencies drew up seven PKS; on 11 August
2022 the originals reached Jatim. Tests that only read share that ledger; tests that write or
try to write work on their own copy of it.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shlex
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import RunKs, assert_refused, direct, ks_executable, ledger_digest

from kerjasama_cli import i18n

KSB = "KSB-2022-0001"
PKS = [f"PKS-2022-{n:04d}" for n in range(1, 8)]
AGENCIES = [
    "Dinas Komunikasi dan Informatika",
    "Dinas Perhubungan",
    "Dinas Pendidikan",
    "Dinas Kesehatan",
    "Dinas Kebudayaan dan Pariwisata",
    "Dinas Perindustrian dan Perdagangan",
    "Dinas Penanaman Modal dan Pelayanan Terpadu Satu Pintu",
]
JATIM = "Pemerintah Provinsi Jawa Timur"
KALTIM = "Pemerintah Provinsi Kalimantan Timur"
AS_OF = ("--as-of", "2022-09-10")
JSON = ("--format", "json")

PENDING_KEYS = {
    "agreement",
    "kind",
    "title",
    "party",
    "province",
    "waiting_since",
    "waiting_days",
}
AGREEMENT_KEYS = {"key", "kind", "title", "status", "parent", "parties"}
SIDE_KEYS = {"party", "province", "number", "signed_on", "signatory", "place"}

BOX_DRAWING = re.compile("[\u2500-\u257f]")
# A week ahead: "in the future" for ks whatever the hour the suite runs at.
FUTURE_DAY = date.today() + timedelta(days=7)
FUTURE = FUTURE_DAY.isoformat()


# --- helpers ------------------------------------------------------------------------------


def parsed(result: subprocess.CompletedProcess[str]) -> Any:
    """The JSON a successful command printed."""
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return json.loads(result.stdout)


def files_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# --- fixtures -----------------------------------------------------------------------------


@pytest.fixture
def story_ks(run_ks: RunKs, story_ledger: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """`ks` on the shared reference-story ledger: for commands that only read."""

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return run_ks(*args, env={"KS_DB": str(story_ledger)})

    return run


# --- the reference story --------------------------------------------------------------------


def test_jatim_waits_for_the_ksb_and_its_side_of_all_seven_pks(story_ks) -> None:
    rows = parsed(story_ks("pending", "--province", "jatim", *AS_OF, *JSON))

    assert all(set(row) == PENDING_KEYS for row in rows), rows
    assert sorted((r["agreement"], r["kind"], r["party"]) for r in rows) == [
        (KSB, "ksb", JATIM),
        *((key, "pks", f"{a} Provinsi Jawa Timur") for key, a in zip(PKS, AGENCIES, strict=True)),
    ]
    assert {(r["province"], r["waiting_since"], r["waiting_days"]) for r in rows} == {
        ("35", "2022-08-11", 30)
    }
    titles = {r["agreement"]: r["title"] for r in rows}
    assert titles[KSB] == "Kerja Sama Pembangunan Daerah"
    assert titles["PKS-2022-0007"] == "Promosi Investasi dan Perizinan Terpadu"


def test_kaltim_waits_only_where_its_agency_head_has_not_signed(story_ks) -> None:
    rows = parsed(story_ks("pending", "--province", "kaltim", *AS_OF, *JSON))

    assert all(set(row) == PENDING_KEYS for row in rows), rows
    assert sorted((r["agreement"], r["party"]) for r in rows) == [
        (key, f"{a} Provinsi Kalimantan Timur")
        for key, a in zip(PKS[4:], AGENCIES[4:], strict=True)
    ]
    assert {(r["province"], r["waiting_since"], r["waiting_days"]) for r in rows} == {
        ("64", "2022-07-28", 44)
    }


def test_pending_shows_the_longest_wait_first(story_ks) -> None:
    rows = parsed(story_ks("pending", *AS_OF, *JSON))

    days = [r["waiting_days"] for r in rows]
    assert days == sorted(days, reverse=True)
    assert len(rows) == 3 + 8
    assert {r["province"] for r in rows[:3]} == {"64"}


def test_show_tells_the_ksb_its_signatures_and_its_pks(story_ks) -> None:
    detail = parsed(story_ks("show", KSB, *AS_OF, *JSON))

    assert set(detail) >= AGREEMENT_KEYS
    assert all(set(side) >= SIDE_KEYS for side in detail["parties"])
    assert (detail["key"], detail["kind"], detail["status"], detail["parent"]) == (
        KSB,
        "ksb",
        "awaiting-signatures",
        None,
    )
    kaltim, jatim = detail["parties"]
    assert kaltim == kaltim | {
        "party": KALTIM,
        "province": "64",
        "number": "120/4521/B.PEM-KS/2022",
        "signed_on": "2022-07-28",
        "signatory": "Isran Noor",
        "place": "Samarinda",
    }
    assert jatim == jatim | {"party": JATIM, "province": "35", "signed_on": None}
    assert [child["key"] for child in detail["children"]] == PKS


def test_show_tells_a_pks_which_ksb_it_implements(story_ks) -> None:
    detail = parsed(story_ks("show", "pks-2022-0001", *AS_OF, *JSON))

    assert set(detail) >= AGREEMENT_KEYS
    assert (detail["key"], detail["kind"], detail["parent"]) == ("PKS-2022-0001", "pks", KSB)
    assert [(s["party"], s["number"], s["signed_on"]) for s in detail["parties"]] == [
        (
            "Dinas Komunikasi dan Informatika Provinsi Kalimantan Timur",
            "555/101/KOMINFO-KT/2022",
            "2022-07-28",
        ),
        ("Dinas Komunikasi dan Informatika Provinsi Jawa Timur", None, None),
    ]


def test_list_has_the_ksb_and_seven_pks_awaiting_signatures(story_ks) -> None:
    rows = parsed(story_ks("list", *AS_OF, *JSON))

    assert all(set(row) >= AGREEMENT_KEYS for row in rows), rows
    assert all(set(side) >= SIDE_KEYS for row in rows for side in row["parties"])
    assert sorted(r["key"] for r in rows) == [KSB, *PKS]
    assert {r["status"] for r in rows} == {"awaiting-signatures"}
    assert {r["key"]: r["parent"] for r in rows} == {KSB: None} | dict.fromkeys(PKS, KSB)
    signed = {r["key"]: [s["signed_on"] for s in r["parties"]] for r in rows}
    assert signed[KSB] == ["2022-07-28", None]
    assert signed["PKS-2022-0004"] == ["2022-07-28", None]
    assert signed["PKS-2022-0005"] == [None, None]


def test_signing_the_ksb_for_jatim_puts_it_in_force(story_copy: Path, run_ks: RunKs) -> None:
    result = run_ks(
        *shlex.split(
            f"sign {KSB} --party jatim --date '20 September 2022' --place Surabaya "
            "--signatory 'Khofifah Indar Parawansa' --number 120/789/013/2022"
        )
    )

    assert result.returncode == 0, result.stderr
    assert "now in force" in result.stderr  # a confirmation: stdout is for data
    detail = parsed(run_ks("show", KSB, "--as-of", "2022-09-21", *JSON))
    assert detail["status"] == "in-force"
    assert detail["parties"][1] == detail["parties"][1] | {
        "party": JATIM,
        "number": "120/789/013/2022",
        "signed_on": "2022-09-20",
        "signatory": "Khofifah Indar Parawansa",
        "place": "Surabaya",
    }
    after = parsed(run_ks("pending", "--province", "jatim", "--as-of", "2022-09-21", *JSON))
    assert sorted(r["agreement"] for r in after) == PKS
    before = parsed(run_ks("pending", "--province", "jatim", *AS_OF, *JSON))
    assert KSB in {r["agreement"] for r in before}
    in_force = parsed(run_ks("list", "--status", "in-force", "--as-of", "2022-09-21", *JSON))
    assert [r["key"] for r in in_force] == [KSB]


@pytest.mark.parametrize(
    ("args", "expected_rows"),
    [
        pytest.param(("pending", *AS_OF), 11, id="pending"),
        pytest.param(("pending", "--province", "jatim", *AS_OF), 8, id="pending-jatim"),
        pytest.param(("list", *AS_OF), 8, id="list"),
        pytest.param(("party", "list"), 16, id="party-list"),
    ],
)
def test_csv_output_parses_and_matches_the_json(story_ks, args, expected_rows) -> None:
    result = story_ks(*args, "--format", "csv")
    assert result.returncode == 0, result.stderr

    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == expected_rows
    as_json = parsed(story_ks(*args, *JSON))
    assert len(as_json) == expected_rows
    if args[0] == "pending":
        assert rows == [{k: str(v) for k, v in row.items()} for row in as_json]
    else:
        key = "key" if args[0] == "list" else "name"
        assert [r[key] for r in rows] == [r[key] for r in as_json]


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(("pending", *AS_OF), id="pending"),
        pytest.param(("pending", "--province", "kaltim", *AS_OF), id="pending-kaltim"),
        pytest.param(("list", *AS_OF), id="list"),
        pytest.param(("show", KSB, *AS_OF), id="show"),
        pytest.param(("party", "list"), id="party-list"),
    ],
)
def test_a_table_piped_to_another_program_is_plain_text(run_ks, story_ledger, args) -> None:
    # A colour-capable terminal type and a narrow width must not leak into a pipe.
    env = {"KS_DB": str(story_ledger), "NO_COLOR": "", "TERM": "xterm-256color", "COLUMNS": "40"}
    result = run_ks(*args, env=env)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()
    assert not BOX_DRAWING.search(result.stdout), result.stdout
    assert "\x1b" not in result.stdout + result.stderr
    if args[0] == "pending":
        header, *lines = result.stdout.splitlines()
        # Long titles stay on their row: every line has the header's columns.
        assert {line.count("\t") for line in lines} == {header.count("\t")}


def test_python_dash_m_kerjasama_cli_help_works() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "kerjasama_cli", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    assert "Usage" in result.stdout
    for command in ("add-agreement", "sign", "handover", "pending", "list", "show", "party"):
        assert command in result.stdout
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(("--as-of", "2022-07-27"), id="before-anything-was-agreed"),
        pytest.param(("--province", "aceh", *AS_OF), id="province-without-agreements"),
        pytest.param(("--older-than", "365", *AS_OF), id="nothing-that-old"),
        pytest.param(("--party", "kominfo-kaltim", *AS_OF), id="party-that-signed-all"),
    ],
)
def test_pending_json_is_a_valid_array_when_nothing_waits(story_ks, args) -> None:
    result = story_ks("pending", *args, *JSON)

    assert parsed(result) == []
    assert result.stdout.strip() == "[]"


# --- refusals -------------------------------------------------------------------------------

SIGN_DISPAR = ("sign", "PKS-2022-0005", "--party", "dispar-jatim")
NEW_KSB = tuple(
    shlex.split("add-agreement --kind ksb --title 'Kerja Sama Pariwisata' --date 2022-09-01")
)
NEW_AGENCY = ("party", "add", "Biro Pemerintahan dan Otonomi Daerah Provinsi Jawa Timur")

REFUSALS = [
    pytest.param(
        ("sign", "PKS-2022-0099", "--party", "dispar-jatim", "--date", "2022-09-01"),
        ("PKS-2022-0099",),
        id="unknown-agreement-key",
    ),
    pytest.param(("show", "KSB-2022-0042"), ("KSB-2022-0042",), id="show-unknown-key"),
    pytest.param(
        tuple(
            shlex.split(
                "add-agreement --kind pks --parent KSB-2022-0009 --title Uji --date 2022-09-01 "
                "--party kominfo-kaltim --party kominfo-jatim"
            )
        ),
        ("KSB-2022-0009",),
        id="pks-with-unknown-parent",
    ),
    pytest.param(
        ("sign", KSB, "--party", "dishub-jatim", "--date", "2022-09-01"),
        ("Dinas Perhubungan Provinsi Jawa Timur", "not a party", KSB),
        id="party-not-on-the-agreement",
    ),
    pytest.param(
        ("sign", KSB, "--party", "kaltim", "--date", "2022-09-01"),
        ("already signed", "on 28 July 2022"),
        id="already-signed",
    ),
    pytest.param(
        (*SIGN_DISPAR, "--date", FUTURE),
        ("future", i18n.format_date(FUTURE_DAY, language="en")),
        id="date-in-the-future",
    ),
    pytest.param(
        (*SIGN_DISPAR, "--date", "27 Juli 2022"),
        ("27 July 2022", "before", "28 July 2022"),
        id="signed-before-the-agreement-date",
    ),
    pytest.param(
        (*SIGN_DISPAR, "--date", "31 Februari 2022"), ("31 Februari 2022",), id="31-februari"
    ),
    pytest.param((*SIGN_DISPAR, "--date", "2022-02-30"), ("2022-02-30",), id="2022-02-30"),
    pytest.param((*SIGN_DISPAR, "--date", "11/13/2022"), ("11/13/2022",), id="month-13"),
    pytest.param((*SIGN_DISPAR, "--date", "kemarin"), ("kemarin", "date"), id="unparseable"),
    pytest.param(
        (*SIGN_DISPAR, "--date", "11 Agustos 2022"), ("Agustos",), id="unknown-month-name"
    ),
    pytest.param(
        ("pending", "--province", "jatimm"),
        ("jatimm", "did you mean", "Jawa Timur"),
        id="unknown-province",
    ),
    pytest.param(
        (*NEW_KSB, "--party", "kaltim", "--party", "jatimm"),
        ("jatimm", "did you mean", "Jawa Timur"),
        id="unknown-party-region",
    ),
    pytest.param(
        (*NEW_AGENCY, "--region", "jatimm"),
        ("jatimm", "did you mean", "Jawa Timur"),
        id="unknown-agency-region",
    ),
    pytest.param(
        (*NEW_KSB, "--party", "bandung", "--party", "jabar"),
        ("bandung", "Kabupaten Bandung", "Kota Bandung"),
        id="ambiguous-region",
    ),
    pytest.param(("pending", "--province", "bandung"), ("bandung",), id="ambiguous-province"),
    pytest.param(
        ("pending", "--province", "Kota Surabaya"),
        ("Kota Surabaya", "not a province", "Jawa Timur"),
        id="regency-given-to-province",
    ),
    pytest.param(
        ("list", "--province", "Kabupaten Kutai Kartanegara"),
        ("Kutai Kartanegara", "not a province", "Kalimantan Timur"),
        id="regency-given-to-list-province",
    ),
    pytest.param((*NEW_KSB, "--party", "kaltim"), ("two",), id="only-one-party"),
    pytest.param(
        (*NEW_KSB, "--party", "jatim", "--party", "Jawa Timur"),
        (JATIM, "twice"),
        id="same-party-twice",
    ),
    pytest.param(
        (*NEW_KSB, "--party", "jatim", "--party", "kaltim", "--parent", KSB),
        ("parent",),
        id="ksb-with-parent",
    ),
    pytest.param(
        (*NEW_KSB, "--party", "jatim", "--party", "kaltim", "--number", "jabar=120/1/2022"),
        ("Jawa Barat", "not a party"),
        id="number-for-party-not-on-agreement",
    ),
    pytest.param(
        ("handover", "PKS-2022-0005", "PKS-2022-0006", "PKS-2022-0099", "--to", "jatim"),
        ("PKS-2022-0099",),
        id="handover-with-one-unknown-key",
    ),
    pytest.param(
        ("handover", "PKS-2022-0005", "PKS-2022-0001", "--to", "kaltim", "--date", "2022-09-01"),
        ("PKS-2022-0001", "nothing left to sign", KALTIM),
        id="handover-with-one-key-signed-at-recipient",
    ),
    pytest.param(
        (*NEW_AGENCY, "--region", "jatim", "--alias", "kominfo-jatim"),
        ("kominfo-jatim", "already"),
        id="alias-already-taken",
    ),
    pytest.param(
        (*NEW_AGENCY, "--region", "jatim", "--alias", "jatim"),
        ("jatim", "region"),
        id="alias-names-a-province",
    ),
    pytest.param(
        (*NEW_AGENCY, "--region", "jatim", "--alias", "35"), ("35", "region"), id="alias-is-a-code"
    ),
    pytest.param(
        (*NEW_AGENCY, "--region", "jatim", "--alias", "surabaya"),
        ("surabaya", "region"),
        id="alias-names-a-city",
    ),
]


@pytest.mark.parametrize(("args", "words"), REFUSALS)
def test_a_refusal_is_one_line_and_leaves_the_ledger_unchanged(
    story_copy: Path, run_ks: RunKs, args, words
) -> None:
    before = ledger_digest(story_copy)

    assert_refused(run_ks(*args), *words)
    assert ledger_digest(story_copy) == before


def test_a_refused_handover_of_several_keys_records_none_of_them(
    story_copy: Path, run_ks: RunKs
) -> None:
    result = run_ks("handover", "PKS-2022-0005", "PKS-2022-0006", "PKS-2022-0099", "--to", "jatim")

    assert_refused(result, "PKS-2022-0099")
    for key in ("PKS-2022-0005", "PKS-2022-0006"):
        handovers = parsed(run_ks("show", key, *JSON))["handovers"]
        assert [h["date"] for h in handovers] == ["2022-08-11"]


def test_handing_the_ksb_to_jatim_after_jatim_signed_is_refused(
    story_copy: Path, run_ks: RunKs
) -> None:
    run_ks("sign", KSB, "--party", "jatim", "--date", "2022-09-20", check=True)
    before = ledger_digest(story_copy)

    result = run_ks("handover", KSB, "--to", "jatim", "--date", "2022-09-21")

    assert_refused(result, KSB, "nothing left to sign", JATIM)
    assert ledger_digest(story_copy) == before


READS = [
    pytest.param(("pending",), id="pending"),
    pytest.param(("pending", *JSON), id="pending-json"),
    pytest.param(("list",), id="list"),
    pytest.param(("show", KSB), id="show"),
    pytest.param(("party", "list"), id="party-list"),
]


@pytest.mark.sqlite_only("a missing ledger file (a database that does not exist: test_postgres.py)")
@pytest.mark.parametrize("args", READS)
def test_reading_a_missing_ledger_is_refused_and_creates_nothing(
    tmp_path: Path, run_ks: RunKs, args
) -> None:
    missing = tmp_path / "belum-ada" / "ledger.sqlite"

    assert_refused(run_ks(*args, env={"KS_DB": str(missing)}), str(missing), code=1)
    assert files_in(tmp_path) == []


@pytest.mark.parametrize(
    ("args", "words"),
    [
        pytest.param((*NEW_KSB, "--party", "kaltim"), ("two",), id="add-agreement-one-party"),
        pytest.param((*NEW_AGENCY, "--region", "jatimm"), ("jatimm",), id="party-add-bad-region"),
        pytest.param(("sign", KSB, "--party", "jatim"), (KSB,), id="sign-unknown-key"),
        pytest.param(("handover", KSB, "--to", "jatim"), (KSB,), id="handover-unknown-key"),
    ],
)
@pytest.mark.sqlite_only("a first write creates the file (a database is made by ks db init)")
def test_a_refused_first_write_leaves_no_ledger_behind(
    ledger: Path, run_ks: RunKs, args, words
) -> None:
    assert_refused(run_ks(*args), *words)
    assert not [name for name in files_in(ledger.parent) if name.startswith(ledger.name)]


def _text_file(path: Path) -> None:
    path.write_text("Daftar kerja sama 2022\nKSB-2022-0001 Kaltim-Jatim\n", encoding="utf-8")


def _other_sqlite(path: Path) -> None:
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("CREATE TABLE surat (nomor TEXT, perihal TEXT)")
        conn.execute("INSERT INTO surat VALUES ('120/4521', 'Undangan rapat')")
    conn.close()


def _empty_file(path: Path) -> None:
    path.write_bytes(b"")


@pytest.mark.parametrize("make", [_text_file, _other_sqlite, _empty_file], ids=lambda f: f.__name__)
@pytest.mark.parametrize(
    "args",
    [
        pytest.param(("pending",), id="read"),
        pytest.param((*NEW_AGENCY, "--region", "jatim"), id="party-add"),
        pytest.param((*NEW_KSB, "--party", "kaltim", "--party", "jatim"), id="add-agreement"),
    ],
)
@pytest.mark.sqlite_only("files (another program's database: tests/test_postgres.py)")
def test_a_file_that_is_not_a_ks_ledger_is_refused_and_left_alone(
    ledger: Path, run_ks: RunKs, make, args
) -> None:
    make(ledger)
    content, names = ledger.read_bytes(), files_in(ledger.parent)

    assert_refused(run_ks(*args), str(ledger), "not a ks ledger", code=1)
    assert ledger.read_bytes() == content
    assert files_in(ledger.parent) == names


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(("pending",), id="read"),
        pytest.param((*NEW_AGENCY, "--region", "jatim"), id="party-add"),
        pytest.param((*SIGN_DISPAR, "--date", "2022-09-01"), id="sign"),
    ],
)
def test_a_ledger_from_a_newer_ks_is_refused_before_anything_is_written(
    story_copy: Path, run_ks: RunKs, args
) -> None:
    with direct(story_copy) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
    before = ledger_digest(story_copy)

    assert_refused(run_ks(*args), str(story_copy), "newer", code=1)
    assert ledger_digest(story_copy) == before


# --- hostile text -----------------------------------------------------------------------------

LONG_TITLE = ("Kerja Sama Pembangunan Daerah Kalimantan Timur dan Jawa Timur " * 200)[:9_999] + "."

HOSTILE = [
    pytest.param('Kerja Sama "Jembatan" Antar-Pulau O\'Brien `x` \\ \\n', id="quotes"),
    pytest.param("'; DROP TABLE agreement; --", id="sql"),
    pytest.param(LONG_TITLE, id="10000-characters"),
    pytest.param("اتفاقية التعاون بين المحافظتين ושיתוף פעולה בין המחוזות", id="right-to-left"),
    pytest.param("Promosi Pariwisata 🏝️🤝🇮🇩 👩‍👩‍👧‍👦", id="emoji"),
    pytest.param(
        "Kerjasama Pe\u0301mbangunan Z\u0335a\u0336l\u0337g\u0338o Cafe\u0301", id="combining"
    ),
    pytest.param("[bold red]Perjanjian[/] 100% {title} %s $HOME", id="markup"),
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_is_stored_and_shown_back_exactly(run_ks: RunKs, text: str) -> None:
    result = run_ks(
        *("add-agreement", "--kind", "ksb", "--title", text, "--place", text),
        *("--party", "kaltim", "--party", "jatim", "--date", "2022-07-28"),
    )
    assert result.returncode == 0, result.stderr
    key = result.stdout.strip()

    detail = parsed(run_ks("show", key, *JSON))
    assert (detail["title"], detail["place"]) == (text, text)
    rows = parsed(run_ks("pending", *AS_OF, *JSON))
    assert [(r["agreement"], r["title"]) for r in rows] == [(key, text), (key, text)]


@pytest.mark.parametrize(
    "control",
    [
        pytest.param("\n", id="newline"),
        pytest.param("\r", id="carriage-return"),
        pytest.param("\t", id="tab"),
        pytest.param("\x1b[31m", id="ansi-escape"),
        pytest.param("\x07", id="bell"),
        pytest.param("\x7f", id="delete"),
        pytest.param("\x85", id="c1-next-line"),
        pytest.param("\x9b31m", id="c1-csi"),
    ],
)
def test_a_title_with_a_control_character_is_refused(
    story_copy: Path, run_ks: RunKs, control: str
) -> None:
    before = ledger_digest(story_copy)

    title = f"Kerja Sama{control}Pariwisata"
    result = run_ks(
        *("add-agreement", "--kind", "ksb", "--title", title, "--date", "2022-09-01"),
        *("--party", "kaltim", "--party", "jatim"),
    )

    assert_refused(result, "title", "control character")
    assert ledger_digest(story_copy) == before


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("expiring", "--within", "100000"), "--within"),
        (("idle", "--days", "99999999999"), "--days"),
        (("pending", "--older-than", "99999999999"), "--older-than"),
        (("check", "--max-wait", "36501"), "--max-wait"),
        (("report", "--as-of", "9999-12-31"), "outside the years 1900 to 2199"),
        (("list", "--as-of", "0001-01-01"), "outside the years 1900 to 2199"),
        (("expiring", "--as-of", "31 Desember 2200"), "outside the years"),
    ],
)
def test_absurd_spans_and_dates_are_refused_in_one_line(
    story_ks: Callable[..., subprocess.CompletedProcess[str]], args: tuple[str, ...], says: str
) -> None:
    assert_refused(story_ks(*args), says)


@pytest.mark.parametrize(
    "args",
    [
        ("expiring", "--as-of", "2199-12-31", "--within", "36500", "--format", "json"),
        ("idle", "--as-of", "1900-01-01", "--days", "36500", "--format", "json"),
        pytest.param(
            ("report", "--as-of", "2199-12-31", "--since", "1900-01-01", "--format", "json"),
        ),
    ],
    ids=lambda args: args[0],
)
def test_the_longest_spans_and_edge_years_still_answer(
    story_ks: Callable[..., subprocess.CompletedProcess[str]], args: tuple[str, ...]
) -> None:
    result = story_ks(*args)
    assert result.returncode == 0, result.stderr
    json.loads(result.stdout)


def test_a_20000_character_key_is_not_found_and_shown_short(
    story_ks: Callable[..., subprocess.CompletedProcess[str]],
) -> None:
    result = story_ks("show", "\u0800" * 20_000)  # 60,000 bytes: too long for a LIKE pattern
    assert_refused(result, "no agreement", "(20000 characters)")
    assert len(result.stderr) < 300


def test_wildcards_in_a_key_are_text_when_suggesting(
    story_ks: Callable[..., subprocess.CompletedProcess[str]],
) -> None:
    assert_refused(story_ks("show", "PKS-2022-%"), "did you mean 'PKS-2022-0007'")
    assert_refused(story_ks("show", "PKS_2022-0001"), "no agreement 'PKS_2022-0001'")


@pytest.mark.parametrize("command", [("list",), ("pending", "--province", "jatim"), ("log",)])
def test_a_reader_that_goes_away_is_no_error(story_ledger: Path, command: tuple[str, ...]) -> None:
    """`ks list | head -1`: the pipe closes before ks writes; it stops quietly, exit 0."""
    env = {**os.environ, "KS_DB": str(story_ledger)}
    env.pop("KS_DEBUG", None)
    ks = subprocess.Popen(
        [*ks_executable(), *command], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
    )
    assert ks.stdout is not None and ks.stderr is not None
    ks.stdout.close()  # the reader is gone before the first line
    assert ks.wait(timeout=60) == 0
    assert ks.stderr.read() == b""
