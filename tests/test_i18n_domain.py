"""The domain's messages in Indonesian: refusals, warnings and `ks log` on the reference story.

Kaltim and Jatim agreed on 28 July 2022 in Samarinda; on 11 August 2022 Kaltim handed Jatim
the KSB and seven PKS. Each test runs the installed `ks` with KS_LANG=id on its own copy of
that ledger, as a Biro's staff would, and checks the one line of a refusal, that the ledger
is left as it was, and the Indonesian words a staff member reads ("11 Agustus 2022").
A few domain rules are also checked in-process, with the interface set to Indonesian.

These need the Indonesian catalog compiled with the translations of the domain's messages
(i18n-work/t3.json, merged into the .po by the coordinator).
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from tests.conftest import RunKs, ledger_digest
from tests.test_ledger import Ledger

from kerjasama_cli import i18n, ledger, queries
from kerjasama_cli.errors import InvalidInput

KSB = "KSB-2022-0001"
INDONESIAN = {"KS_LANG": "id"}
# The Kominfo of Jatim as the reference story registers it.
KOMINFO_JATIM = "Dinas Komunikasi dan Informatika Provinsi Jawa Timur"
CYRILLIC_A = "\u0430"


@pytest.fixture
def ks_id(story_copy: Path, run_ks: RunKs) -> Callable[..., subprocess.CompletedProcess[str]]:
    """`ks` in Indonesian on this test's copy of the reference story."""

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return run_ks(*args, env=INDONESIAN)

    return run


def refusal(result: subprocess.CompletedProcess[str]) -> str:
    """The one line of a refusal (exit 2, nothing on stdout, no traceback), without the
    `ks: ...:` prefix (translated by the CLI, not by the domain)."""
    output = result.stdout + result.stderr
    assert "Traceback" not in output, output
    assert result.returncode == 2, output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    prefix, sep, message = lines[0].partition(": ")
    assert prefix == "ks" and sep, lines[0]
    return message.partition(": ")[2]


def test_an_unknown_party_is_refused_in_indonesian_with_suggestions(
    ks_id: Callable[..., subprocess.CompletedProcess[str]], story_copy: Path
) -> None:
    before = ledger_digest(story_copy)
    message = refusal(ks_id("sign", KSB, "--party", "jatimm"))
    assert message.startswith("pihak 'jatimm' tidak dikenal; ")
    assert "'Jawa Timur (jatim)'" in message  # the suggestion, first
    assert ledger_digest(story_copy) == before


def test_a_signature_dated_in_the_future_is_refused_with_the_date_in_indonesian(
    ks_id: Callable[..., subprocess.CompletedProcess[str]], story_copy: Path
) -> None:
    before = ledger_digest(story_copy)
    first_day = date.today()
    message = refusal(ks_id("sign", KSB, "--party", "jatim", "--date", "2099-08-11"))
    today = {first_day, date.today()}  # the command may have run just after midnight
    assert message in {
        "tanggal penandatanganan 11 Agustus 2099 adalah tanggal yang akan datang "
        f"(hari ini {i18n.format_date(day, language='id')})"
        for day in today
    }
    assert ledger_digest(story_copy) == before


def test_31_februari_is_refused_in_indonesian(
    ks_id: Callable[..., subprocess.CompletedProcess[str]], story_copy: Path
) -> None:
    before = ledger_digest(story_copy)
    message = refusal(ks_id("sign", KSB, "--party", "jatim", "--date", "31 Februari 2022"))
    assert message.endswith("'31 Februari 2022' bukan tanggal yang ada di kalender")
    assert ledger_digest(story_copy) == before


def test_a_look_alike_name_is_refused_in_indonesian_naming_the_character(
    ks_id: Callable[..., subprocess.CompletedProcess[str]], story_copy: Path
) -> None:
    """Jatim's Kominfo again, with a Cyrillic a in "Jawa": the character keeps its Unicode
    name (a name, the same in every language); the sentence around it is Indonesian."""
    before = ledger_digest(story_copy)
    imitation = KOMINFO_JATIM.replace("Jawa", f"J{CYRILLIC_A}wa")
    message = refusal(ks_id("party", "add", imitation, "--region", "jatim"))
    assert message == (
        f"nama {imitation!r} tampak seperti {KOMINFO_JATIM!r} (pihak yang terdaftar), tetapi "
        "memakai karakter lain (U+0430 CYRILLIC SMALL LETTER A); ditolak"
    )
    assert ledger_digest(story_copy) == before


def test_an_ambiguous_party_name_is_refused_in_indonesian(
    ks_id: Callable[..., subprocess.CompletedProcess[str]], story_copy: Path
) -> None:
    """Kota Samarinda and Kota Surabaya each have a Dinas Sosial: the bare name is refused."""
    for city in ("samarinda", "surabaya"):
        added = ks_id("party", "add", "Dinas Sosial", "--region", city)
        assert added.returncode == 0, added.stderr
    before = ledger_digest(story_copy)
    args = (
        "add-agreement", "--kind", "pks", "--parent", KSB, "--title", "Kerja Sama Sosial",
        "--party", "Dinas Sosial", "--party", "jatim",
    )  # fmt: skip
    message = refusal(ks_id(*args))
    assert message.startswith("'Dinas Sosial' adalah nama 2 pihak; sebutkan yang mana: ")
    assert "'Dinas Sosial (Kota Samarinda)'" in message
    assert "'Dinas Sosial (Kota Surabaya)'" in message
    assert ledger_digest(story_copy) == before


def test_the_log_of_the_ksb_says_what_happened_in_indonesian(
    ks_id: Callable[..., subprocess.CompletedProcess[str]],
) -> None:
    """The descriptions follow the language; the keys and machine fields of JSON do not."""
    result = ks_id("log", KSB, "--format", "json")
    assert result.returncode == 0, result.stderr
    entries = json.loads(result.stdout)
    assert [e["action"] for e in entries] == ["agreement.add", "signature.add", "handover.add"]
    assert [e["summary"] for e in entries] == [
        f"{KSB} dicatat (28 Juli 2022): Kerja Sama Pembangunan Daerah antara "
        "Pemerintah Provinsi Kalimantan Timur dan Pemerintah Provinsi Jawa Timur",
        f"Pemerintah Provinsi Kalimantan Timur menandatangani {KSB} pada 28 Juli 2022",
        f"{KSB} diserahkan kepada Pemerintah Provinsi Jawa Timur pada 11 Agustus 2022",
    ]
    assert entries[2]["values"]["date"] == "2022-08-11"  # machine values stay ISO
    table = ks_id("log", KSB)
    assert table.returncode == 0, table.stderr
    assert f"{KSB} diserahkan kepada Pemerintah Provinsi Jawa Timur pada 11 Agustus 2022" in (
        table.stdout
    )


def test_signing_a_pks_before_its_ksb_is_in_force_warns_in_indonesian(
    ks_id: Callable[..., subprocess.CompletedProcess[str]],
) -> None:
    """Jatim's Kominfo signs PKS-2022-0001 while the KSB still waits for Jatim's Governor."""
    signed = ks_id("sign", "PKS-2022-0001", "--party", "kominfo-jatim", "--date", "2022-08-12")
    assert signed.returncode == 0, signed.stderr
    assert (
        "PKS-2022-0001 melaksanakan KSB-2022-0001, yang belum berlaku (kurang 1 tanda tangan)"
        in signed.stderr
    )


# --- in-process: the domain's functions with the interface in Indonesian ------------------


@pytest.fixture
def indonesian() -> Iterator[None]:
    """The interface in Indonesian for one test, English again after it."""
    i18n.setup("id")
    try:
        yield
    finally:
        i18n.setup("en")


@pytest.fixture
def kaltim_jatim(ledger_location: Path) -> Ledger:
    """The Kaltim-Jatim KSB agreed on 28 July 2022 and a PKS of both Kominfo under it."""
    book = Ledger(ledger_location)
    book.write(ledger.add_party, "Dinas Kominfo Provinsi Kalimantan Timur", "kaltim", ["kk"])
    book.write(ledger.add_party, "Dinas Kominfo Provinsi Jawa Timur", "jatim", ["kj"])
    book.write(
        ledger.add_agreement, "ksb", "Kerja Sama Pembangunan Daerah", ["kaltim", "jatim"],
        agreed_on=date(2022, 7, 28), place="Samarinda",
    )  # fmt: skip
    book.write(
        ledger.add_agreement, "pks", "Kerja Sama Infrastruktur TIK", ["kk", "kj"],
        parent=KSB, agreed_on=date(2022, 7, 28),
    )  # fmt: skip
    return book


def test_a_handover_before_the_agreement_is_refused_with_both_dates_in_indonesian(
    kaltim_jatim: Ledger, indonesian: None
) -> None:
    with pytest.raises(InvalidInput) as refused:
        kaltim_jatim.write(ledger.handover, [KSB], "jatim", date(2022, 7, 1))
    assert str(refused.value) == (
        f"tanggal penyerahan 1 Juli 2022 lebih awal daripada tanggal {KSB}, yaitu 28 Juli 2022"
    )


def test_withdrawing_a_ksb_before_its_pks_is_refused_in_indonesian(
    kaltim_jatim: Ledger, indonesian: None
) -> None:
    with pytest.raises(InvalidInput) as refused:
        kaltim_jatim.write(ledger.void, KSB, "dicatat dua kali")
    assert str(refused.value) == (
        f"{KSB} menjadi induk PKS-2022-0001, yang harus ditarik terlebih dahulu "
        "(ks void KEY --reason)"
    )


def test_an_amendment_is_described_in_indonesian_with_its_dates_written_out(
    kaltim_jatim: Ledger, indonesian: None
) -> None:
    kaltim_jatim.write(
        ledger.amend, KSB, "salah ketik", agreed_on=date(2022, 7, 27), title="Kerja Sama Daerah"
    )
    last = kaltim_jatim.read(queries.log_entries, KSB)[-1]
    assert last["summary"] == (
        f"{KSB} dikoreksi: tanggal 28 Juli 2022 -> 27 Juli 2022; "
        "judul 'Kerja Sama Pembangunan Daerah' -> 'Kerja Sama Daerah' (salah ketik)"
    )
    assert last["values"]["changes"]["date"] == ["2022-07-28", "2022-07-27"]


def test_in_english_the_dates_of_a_refusal_are_written_out_too(kaltim_jatim: Ledger) -> None:
    with pytest.raises(
        InvalidInput, match=r"^the end 1 July 2022 is before the agreement date 28 July 2022$"
    ):
        kaltim_jatim.write(
            ledger.add_agreement, "ksb", "Kerja Sama Lain", ["kaltim", "jatim"],
            agreed_on=date(2022, 7, 28), end_on=date(2022, 7, 28) - timedelta(27),
        )  # fmt: skip
