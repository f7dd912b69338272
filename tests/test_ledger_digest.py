"""The suite's proof that a refusal left the ledger as it was: `ledger_digest`, on either engine.

A refusal test compares the digest before and after. That proves something only if the digest
changes with anything a command could change: a row, the schema, the schema's version, even
on a ledger that ks itself refuses to open. Kaltim and Jatim's KSB of 28 July 2022 is the
ledger here, in a file or in a database as KS_TEST_ENGINE says.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from tests.conftest import RunKs, direct, ledger_digest
from tests.test_ledger import Ledger

from kerjasama_cli import ledger as operations

KSB = "KSB-2022-0001"


@pytest.fixture
def ksb(ledger_location: Path) -> Ledger:
    book = Ledger(ledger_location)
    book.write(
        operations.add_agreement,
        "ksb",
        "Kerja Sama Pembangunan Daerah",
        ["kaltim", "jatim"],
        agreed_on=date(2022, 7, 28),
        place="Samarinda",
    )
    return book


def test_reads_leave_the_digest_as_it_is(ksb: Ledger, run_ks: RunKs) -> None:
    before = ledger_digest(ksb.path)
    assert ksb.rows("SELECT key FROM agreement") == [(KSB,)]
    assert run_ks("show", KSB).returncode == 0
    assert ledger_digest(ksb.path) == before


@pytest.mark.parametrize(
    "change",
    [
        "UPDATE agreement SET place = 'Balikpapan'",
        "UPDATE alembic_version SET version_num = '9999'",  # a ledger ks then refuses
        "CREATE INDEX ix_agreement_place ON agreement (place)",
        "ALTER TABLE agreement ADD COLUMN catatan VARCHAR",
    ],
    ids=["a-row", "the-version", "an-index", "a-column"],
)
def test_any_change_changes_the_digest(ksb: Ledger, change: str) -> None:
    before = ledger_digest(ksb.path)
    with direct(ksb.path) as conn:
        conn.execute(change)
    assert ledger_digest(ksb.path) != before


def test_a_write_changes_the_digest(ksb: Ledger) -> None:
    before = ledger_digest(ksb.path)
    ksb.write(operations.sign, KSB, "kaltim", date(2022, 7, 28), "Samarinda")
    assert ledger_digest(ksb.path) != before


def test_a_ledger_ks_refuses_is_still_hashed_by_what_it_holds(ksb: Ledger) -> None:
    """A ledger of a newer ks is refused by every command: its digest cannot be the refusal."""
    with direct(ksb.path) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
        before = ledger_digest(ksb.path)
        conn.execute("UPDATE agreement SET place = 'Balikpapan'")
    assert ledger_digest(ksb.path) != before
