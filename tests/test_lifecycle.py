"""After signing: terms, expiry, renewal, addenda, termination, activities and evaluations."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from tests.test_ledger import Ledger

from kerjasama_cli import ledger, lifecycle
from kerjasama_cli.errors import InvalidInput


@pytest.fixture
def book(ledger_location: Path) -> Ledger:
    """The Kaltim-Jatim KSB for five years from its last signature, and one PKS under it."""
    book = Ledger(ledger_location)
    book.write(
        ledger.add_party, "Dinas Kominfo Provinsi Kalimantan Timur", "kaltim", ["kominfo-kaltim"]
    )
    book.write(ledger.add_party, "Dinas Kominfo Provinsi Jawa Timur", "jatim", ["kominfo-jatim"])
    book.write(
        ledger.add_agreement,
        "ksb",
        "Kerja Sama Pembangunan Daerah",
        ["kaltim", "jatim"],
        agreed_on=date(2022, 7, 28),
        years=5,
    )
    book.write(
        ledger.add_agreement,
        "pks",
        "Layanan E-Government",
        ["kominfo-kaltim", "kominfo-jatim"],
        parent="KSB-2022-0001",
        agreed_on=date(2022, 7, 28),
        end_on=date(2024, 12, 31),
    )
    for key, party, day in (
        ("KSB-2022-0001", "kaltim", date(2022, 7, 28)),
        ("KSB-2022-0001", "jatim", date(2022, 9, 20)),
        ("PKS-2022-0001", "kominfo-kaltim", date(2022, 7, 28)),
        ("PKS-2022-0001", "kominfo-jatim", date(2022, 9, 1)),
    ):
        book.write(ledger.sign, key, party, day, today=date(2022, 9, 30))
    return book


def _state(book: Ledger, key: str, day: date) -> dict:
    return book.read(lifecycle.agreement_detail, key, day)


def test_a_five_year_term_runs_from_the_last_signature(book: Ledger) -> None:
    ksb = _state(book, "KSB-2022-0001", date(2022, 10, 1))
    assert (ksb["status"], ksb["in_force_since"], ksb["ends_on"]) == (
        "in-force",
        "2022-09-20",
        "2027-09-19",
    )
    assert _state(book, "KSB-2022-0001", date(2027, 6, 21))["status"] == "expiring"
    assert _state(book, "KSB-2022-0001", date(2027, 9, 20))["status"] == "expired"


def test_expiring_lists_the_soonest_first_with_the_reminder_window(book: Ledger) -> None:
    rows = book.read(lifecycle.expiring, date(2024, 12, 1), 90)
    assert [(r["key"], r["days_left"], r["window"]) for r in rows] == [("PKS-2022-0001", 30, 30)]
    assert [r["key"] for r in book.read(lifecycle.expiring, date(2027, 9, 12), 7)] == [
        "KSB-2022-0001"
    ]
    assert book.read(lifecycle.expiring, date(2023, 1, 1), 90) == []
    # A year ahead: the PKS ends in 730 days, before any reminder.
    far = book.read(lifecycle.expiring, date(2023, 1, 1), 800)
    assert [(r["key"], r["days_left"], r["window"]) for r in far] == [("PKS-2022-0001", 730, None)]


def test_a_renewal_supersedes_once_in_force(book: Ledger) -> None:
    renewed = book.write(
        ledger.renew, "KSB-2022-0001", date(2027, 6, 1), years=5, today=date(2027, 6, 1)
    )
    assert renewed == "KSB-2027-0001"
    new = _state(book, "KSB-2027-0001", date(2027, 6, 2))
    assert (new["status"], new["renews"], new["term_years"]) == (
        "awaiting-signatures",
        "KSB-2022-0001",
        5,
    )
    assert [p["party"] for p in new["parties"]] == [
        "Pemerintah Provinsi Kalimantan Timur",
        "Pemerintah Provinsi Jawa Timur",
    ]
    for party in ("kaltim", "jatim"):
        book.write(ledger.sign, "KSB-2027-0001", party, date(2027, 7, 1), today=date(2027, 7, 1))
    old = _state(book, "KSB-2022-0001", date(2027, 7, 2))
    assert (old["status"], old["superseded_by"], old["renewed_by"]) == (
        "superseded",
        "KSB-2027-0001",
        ["KSB-2027-0001"],
    )
    with pytest.raises(InvalidInput, match="already renewed by KSB-2027-0001"):
        book.write(ledger.renew, "KSB-2022-0001", date(2027, 7, 2), today=date(2027, 7, 2))


def test_an_addendum_takes_its_parents_parties(book: Ledger) -> None:
    key = book.write(
        ledger.add_agreement,
        "addendum",
        "Perubahan ruang lingkup",
        [],
        parent="PKS-2022-0001",
        agreed_on=date(2023, 2, 1),
        today=date(2023, 2, 1),
    )
    addendum = _state(book, key, date(2023, 2, 2))
    assert (key, addendum["parent"], addendum["status"]) == (
        "ADD-2023-0001",
        "PKS-2022-0001",
        "awaiting-signatures",
    )
    assert [p["party"] for p in addendum["parties"]] == [
        "Dinas Kominfo Provinsi Kalimantan Timur",
        "Dinas Kominfo Provinsi Jawa Timur",
    ]
    with pytest.raises(InvalidInput, match="names the agreement it amends"):
        book.write(ledger.add_agreement, "addendum", "Tanpa induk", ["kaltim", "jatim"])


def test_a_terminated_agreement_no_longer_waits(book: Ledger) -> None:
    book.write(
        ledger.add_agreement,
        "pks",
        "Tidak jadi",
        ["kominfo-kaltim", "kominfo-jatim"],
        parent="KSB-2022-0001",
        agreed_on=date(2022, 8, 1),
    )
    from kerjasama_cli import queries

    assert len(book.read(queries.pending, date(2022, 9, 10), kind="pks")) == 2
    book.write(ledger.terminate, "PKS-2022-0002", date(2022, 9, 5), "dibatalkan para pihak")
    assert book.read(queries.pending, date(2022, 9, 10), kind="pks") == []
    assert _state(book, "PKS-2022-0002", date(2022, 9, 10))["status"] == "terminated"
    assert _state(book, "PKS-2022-0002", date(2022, 9, 4))["status"] == "awaiting-signatures"
    with pytest.raises(InvalidInput, match="already terminated"):
        book.write(ledger.terminate, "PKS-2022-0002", date(2022, 9, 6), "lagi")
    with pytest.raises(InvalidInput, match="termination date 1 October 2022 is in the future"):
        book.write(ledger.terminate, "PKS-2022-0001", date(2022, 10, 1), "belum terjadi")


def test_activities_keep_an_agreement_from_idling(book: Ledger) -> None:
    def idle(day: date, days: int) -> list[tuple[str, int]]:
        return [(r["key"], r["idle_days"]) for r in book.read(lifecycle.idle, day, days)]

    assert idle(date(2023, 9, 1), 180) == [("PKS-2022-0001", 365), ("KSB-2022-0001", 346)]
    book.write(
        ledger.add_activity,
        "PKS-2022-0001",
        date(2023, 3, 14),
        "Bimbingan teknis interoperabilitas data",
        "kominfo-jatim",
        today=date(2023, 9, 1),
    )
    assert idle(date(2023, 9, 1), 180) == [("KSB-2022-0001", 346)]
    listed = book.read(lifecycle.activities, None, date(2023, 9, 1))
    assert [(a["agreement"], a["date"], a["party"]) for a in listed] == [
        ("PKS-2022-0001", "2023-03-14", "Dinas Kominfo Provinsi Jawa Timur")
    ]
    with pytest.raises(InvalidInput, match="not a party to PKS-2022-0001"):
        book.write(
            ledger.add_activity,
            "PKS-2022-0001",
            date(2023, 3, 14),
            "x",
            "kaltim",
            today=date(2023, 9, 1),
        )


def test_the_latest_evaluation_is_shown(book: Ledger) -> None:
    for day, recommendation in ((date(2023, 6, 1), "continue"), (date(2023, 12, 1), "extend")):
        book.write(
            ledger.evaluate, "PKS-2022-0001", day, f"Temuan {day}", recommendation, today=day
        )
    shown = _state(book, "PKS-2022-0001", date(2024, 1, 1))["evaluation"]
    assert (shown["date"], shown["recommendation"]) == ("2023-12-01", "extend")
    with pytest.raises(InvalidInput, match="unknown recommendation 'maybe'"):
        book.write(
            ledger.evaluate,
            "PKS-2022-0001",
            date(2023, 12, 2),
            "x",
            "maybe",
            today=date(2023, 12, 2),
        )


def test_activities_terminations_and_evaluations_can_be_voided(book: Ledger) -> None:
    seq = book.write(
        ledger.add_activity,
        "PKS-2022-0001",
        date(2023, 3, 14),
        "Salah catat",
        today=date(2023, 9, 1),
    )
    book.write(ledger.void, str(seq), "bukan kegiatan PKS ini")
    assert book.read(lifecycle.activities, None, date(2023, 9, 1)) == []


def test_a_term_is_an_end_or_a_number_of_years(book: Ledger) -> None:
    with pytest.raises(InvalidInput, match="either --end or --years"):
        book.write(
            ledger.add_agreement,
            "ksb",
            "Dua-duanya",
            ["kaltim", "jabar"],
            end_on=date(2030, 1, 1),
            years=5,
        )
    with pytest.raises(InvalidInput, match="from 1 to 100"):
        book.write(ledger.add_agreement, "ksb", "Nol tahun", ["kaltim", "jabar"], years=0)
