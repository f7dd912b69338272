"""Corrections in the open, retries that add nothing, and proof that nothing was rewritten."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from tests.conftest import direct, refused_by_the_database
from tests.test_ledger import TODAY, Ledger

from kerjasama_cli import backup, db, ledger, lifecycle, queries, verify
from kerjasama_cli.errors import InvalidInput


@pytest.fixture
def book(ledger_location: Path) -> Ledger:
    """The KSB between Kaltim and Jatim, signed by Kaltim's Governor, handed to Jatim."""
    book = Ledger(ledger_location)
    book.write(
        ledger.add_agreement,
        "ksb",
        "Kerja Sama Pembangunan Daerah",
        ["kaltim", "jatim"],
        agreed_on=date(2022, 7, 28),
        place="Samarinda",
    )
    book.write(ledger.sign, "KSB-2022-0001", "kaltim", date(2022, 7, 28), "Samarinda")
    book.write(ledger.handover, ["KSB-2022-0001"], "jatim", date(2022, 8, 11), "Surabaya")
    return book


def _pending(book: Ledger) -> list[tuple[str, str]]:
    return [(r["party"], r["waiting_since"]) for r in book.read(queries.pending, TODAY)]


def _actions(book: Ledger) -> list[str]:
    return [a for (a,) in book.rows("SELECT action FROM entry ORDER BY seq")]


def test_a_voided_signature_waits_again_and_both_entries_stay(book: Ledger) -> None:
    voided = book.write(ledger.void, "KSB-2022-0001", "tanggal salah", "kaltim")
    assert (voided.action, voided.target) == ("signature.add", 4)
    assert ("Pemerintah Provinsi Kalimantan Timur", "2022-07-28") in _pending(book)
    book.write(ledger.sign, "KSB-2022-0001", "kaltim", date(2022, 7, 29), "Samarinda")
    assert [p for p, _ in _pending(book)] == ["Pemerintah Provinsi Jawa Timur"]
    assert _actions(book)[-3:] == ["handover.add", "entry.void", "signature.add"]
    assert book.rows("SELECT count(*) FROM signature") == [(2,)]
    history = book.read(queries.log_entries, "KSB-2022-0001")
    assert [(e["seq"], e["voided_by"]) for e in history if e["action"] == "signature.add"] == [
        (4, 6),
        (7, None),
    ]


def test_a_voided_handover_no_longer_counts(book: Ledger) -> None:
    book.write(ledger.void, "#5", "diserahkan ke kantor yang salah")
    assert _pending(book) == [("Pemerintah Provinsi Jawa Timur", "2022-07-28")]


@pytest.mark.parametrize(
    ("target", "party", "says"),
    [
        ("1", None, "only agreements, signatures, handovers, terminations, activities"),
        ("99", None, "no entry 99"),
        ("KSB-2022-9999", None, r"neither an entry number \(from ks log\) nor an agreement key"),
        ("KSB-2022-0001", "jatim", "has not signed KSB-2022-0001"),
    ],
)
def test_what_cannot_be_voided(book: Ledger, target: str, party: str | None, says: str) -> None:
    before = _actions(book)
    with pytest.raises(InvalidInput, match=says):
        book.write(ledger.void, target, "alasan", party)
    assert _actions(book) == before


def test_an_entry_is_voided_once(book: Ledger) -> None:
    book.write(ledger.void, "4", "salah")
    with pytest.raises(InvalidInput, match="entry 4 is already void"):
        book.write(ledger.void, "4", "salah lagi")


def test_amend_corrects_the_title_and_number_and_keeps_the_old_values(book: Ledger) -> None:
    payload = book.write(
        ledger.amend,
        "KSB-2022-0001",
        "salah ketik",
        title="Kerja Sama Pembangunan Daerah Berkelanjutan",
        numbers=[("jatim", "120/77/013/2022")],
    )
    assert payload["changes"] == {
        "title": ["Kerja Sama Pembangunan Daerah", "Kerja Sama Pembangunan Daerah Berkelanjutan"]
    }
    assert payload["numbers"][0]["old"] is None
    detail = book.read(lifecycle.agreement_detail, "KSB-2022-0001", TODAY)
    assert detail["title"] == "Kerja Sama Pembangunan Daerah Berkelanjutan"
    assert detail["parties"][1]["number"] == "120/77/013/2022"
    assert "'Kerja Sama Pembangunan Daerah' -> " in book.read(queries.log_entries)[-1]["summary"]


@pytest.mark.parametrize(
    ("kwargs", "says"),
    [
        ({}, "nothing to change"),
        ({"title": "Kerja Sama Pembangunan Daerah"}, "nothing to change"),
        ({"agreed_on": date(2022, 8, 1)}, "cannot be after that"),
        ({"agreed_on": date(2022, 9, 11)}, "in the future"),
        ({"end_on": date(2022, 1, 1)}, "before the agreement date"),
        ({"title": " "}, "title cannot be empty"),
        ({"numbers": [("kota surabaya", "1")]}, "not a party to this agreement"),
    ],
)
def test_amendments_that_cannot_be_right(book: Ledger, kwargs: dict, says: str) -> None:
    before = _actions(book)
    with pytest.raises(InvalidInput, match=says):
        book.write(ledger.amend, "KSB-2022-0001", "alasan", **kwargs)
    assert _actions(book) == before


def test_a_retried_signature_or_handover_adds_nothing(book: Ledger) -> None:
    before = _actions(book)
    again = book.write(ledger.sign, "KSB-2022-0001", "kaltim", date(2022, 7, 28), "Samarinda")
    assert again.already
    handed = book.write(ledger.handover, ["KSB-2022-0001"], "jatim", date(2022, 8, 11), "Surabaya")
    assert handed[0].already
    assert _actions(book) == before
    with pytest.raises(InvalidInput, match="already signed KSB-2022-0001 on 28 July 2022"):
        book.write(ledger.sign, "KSB-2022-0001", "kaltim", date(2022, 7, 30))


def test_a_retried_agreement_returns_its_key(book: Ledger) -> None:
    added = db.write(
        book.path,
        lambda sql: ledger.add_agreement(
            sql,
            ledger.Actor("tester", TODAY),
            "ksb",
            "Kerja Sama Pembangunan Daerah",
            ["kaltim", "jatim"],
            agreed_on=date(2022, 7, 28),
            place="Samarinda",
        ),
    )
    assert (added.key, added.already) == ("KSB-2022-0001", True)
    other = book.write(
        ledger.add_agreement,
        "ksb",
        "Kerja Sama Pembangunan Daerah",
        ["kaltim", "jatim"],
        agreed_on=date(2022, 7, 28),
    )
    assert other == "KSB-2022-0002"  # no place: a different document


def test_the_database_refuses_to_rewrite_history(book: Ledger) -> None:
    with direct(book.path) as conn:
        for statement in (
            "UPDATE entry SET recorded_by = 'someone else'",
            "DELETE FROM entry WHERE seq = 1",
            "UPDATE signature SET signed_on = '2022-07-01'",
            "DELETE FROM signature",
            "DELETE FROM handover",
            "UPDATE party SET name = 'Pemerintah Provinsi X'",
            "DELETE FROM agreement",
        ):
            refused = refused_by_the_database(book.path)
            with pytest.raises(refused, match=r"ks: \w+ rows are never"):
                conn.execute(statement)


def test_verify_passes_a_sound_ledger_and_names_what_was_changed(book: Ledger) -> None:
    report = verify.verify(book.path)
    assert (report.ok, report.schema, report.entries) == (True, db.SCHEMA_HEAD, 5)
    assert report.head == book.rows("SELECT hash FROM entry ORDER BY seq DESC LIMIT 1")[0][0]
    with direct(book.path) as conn:
        conn.execute("UPDATE agreement SET title = 'Diubah diam-diam'")
    problems = verify.verify(book.path).problems
    assert len(problems) == 2
    assert problems[0].startswith('replay: agreement row [1, "KSB-2022-0001"')
    assert problems[0].endswith("is not explained by any entry")
    assert problems[1].endswith("is missing, though the entries record it")


def test_a_backup_is_a_verified_copy(book: Ledger, tmp_path: Path) -> None:
    copy = tmp_path / "arsip" / "ledger-2022-09-10.sqlite"
    copy.parent.mkdir()
    report = backup.backup(book.path, copy)
    assert report.ok and report.entries == 5
    assert verify.verify(copy).head == verify.verify(book.path).head
    names = {p.name.removesuffix("-wal").removesuffix("-shm") for p in copy.parent.iterdir()}
    assert names == {"ledger-2022-09-10.sqlite"}  # no partial copy left behind
    with pytest.raises(InvalidInput, match="already exists; pass --force"):
        backup.backup(book.path, copy)
