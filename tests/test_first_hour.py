"""What staff met in their first hour with `ks`: dates before an agreement, dates that
defaulted to today, an agreement recorded by mistake, confirmations on the wrong stream,
"None" in a correction, and a handover to a region that is not a party."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from tests.conftest import RunKs, assert_refused, direct, ledger_digest
from tests.test_ledger import Ledger

from kerjasama_cli import checks, i18n, ledger, lifecycle, queries, report, verify
from kerjasama_cli.errors import InvalidInput

KSB = "KSB-2022-0001"
MISTAKE = "KSB-2022-0002"  # the same KSB recorded a second time by mistake
MISTAKEN_PKS = "PKS-2022-0002"  # a PKS recorded under the mistaken KSB
LATER = date(2022, 9, 30)
TODAY_NOTE = "(today; pass --date for an older document)"


@pytest.fixture
def book(ledger_location: Path) -> Ledger:
    """Kaltim and Jatim's KSB and PKS, in force; the KSB recorded again by mistake, signed by
    both Governors and ending soon, with a PKS under it signed by Kaltim's Kominfo and handed
    to Jatim."""
    book = Ledger(ledger_location)
    book.write(
        ledger.add_party, "Dinas Kominfo Provinsi Kalimantan Timur", "kaltim", ["kominfo-kaltim"]
    )
    book.write(ledger.add_party, "Dinas Kominfo Provinsi Jawa Timur", "jatim", ["kominfo-jatim"])
    for title, end in (
        ("Kerja Sama Pembangunan Daerah", date(2027, 7, 27)),
        ("Kerja Sama Pembangunan Daerah (dicatat ulang)", date(2022, 12, 1)),
    ):
        key = book.write(
            ledger.add_agreement,
            "ksb",
            title,
            ["kaltim", "jatim"],
            agreed_on=date(2022, 7, 28),
            end_on=end,
        )
        book.write(
            ledger.add_agreement,
            "pks",
            "Layanan E-Government",
            ["kominfo-kaltim", "kominfo-jatim"],
            parent=key,
            agreed_on=date(2022, 7, 28),
        )
    signatures = [
        (KSB, "kaltim", date(2022, 7, 28)),
        (KSB, "jatim", date(2022, 9, 20)),
        ("PKS-2022-0001", "kominfo-kaltim", date(2022, 7, 28)),
        ("PKS-2022-0001", "kominfo-jatim", date(2022, 9, 1)),
        (MISTAKE, "kaltim", date(2022, 7, 28)),
        (MISTAKE, "jatim", date(2022, 9, 20)),
        (MISTAKEN_PKS, "kominfo-kaltim", date(2022, 7, 28)),
    ]
    for key, party, day in signatures:
        book.write(ledger.sign, key, party, day, today=LATER)
    book.write(ledger.handover, [MISTAKEN_PKS], "jatim", date(2022, 8, 11), today=LATER)
    return book


def _entries(book: Ledger) -> int:
    return int(book.rows("SELECT count(*) FROM entry")[0][0])


def _withdraw_both(book: Ledger) -> None:
    book.write(ledger.void, MISTAKEN_PKS, "dicatat di bawah KSB yang salah", today=LATER)
    book.write(ledger.void, MISTAKE, "KSB yang sama dicatat dua kali", today=LATER)


def _everything_it_shows(book: Ledger) -> dict[str, set[str]]:
    """The agreements each list, query and report section names, as of 30 September 2022."""
    data = book.read(report.build, LATER, date(2022, 7, 1))
    changes = data["changes"]
    problems = checks.run(book.path, LATER, max_wait=30, expiring_within=90)
    return {
        "pending": {r["agreement"] for r in book.read(queries.pending, LATER)},
        "list": {r["key"] for r in book.read(lifecycle.list_agreements, LATER)},
        "expiring": {r["key"] for r in book.read(lifecycle.expiring, LATER, 90)},
        "idle": {r["key"] for r in book.read(lifecycle.idle, LATER, 0)},
        "report waiting": {g["oldest"]["agreement"] for g in data["waiting"]},
        "report expiring": {r["key"] for r in data["expiring"]},
        "report signed": {r["agreement"] for r in changes["signed"]},
        "report handed over": {r["agreement"] for r in changes["handed_over"]},
        "check": {p["agreement"] for p in problems if "agreement" in p},
    }


# --- 1. a date before the agreement's --------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ("evaluate", KSB, "--date", "2022-07-01", "--finding", "x", "--recommendation", "stop"),
        ("renew", KSB, "--date", "2022-07-01", "--years", "5"),
    ],
    ids=["evaluate", "renew"],
)
def test_a_date_before_the_agreement_is_refused_in_one_line(
    story_copy: Path, run_ks: RunKs, args: tuple[str, ...]
) -> None:
    before = ledger_digest(story_copy)
    assert_refused(run_ks(*args), "1 July 2022", f"before {KSB}'s date 28 July 2022")
    assert ledger_digest(story_copy) == before


def test_an_agreement_not_yet_agreed_on_a_date_is_a_domain_refusal(book: Ledger) -> None:
    with pytest.raises(InvalidInput, match=f"{KSB} was agreed on 28 July 2022, after 1 July 2022"):
        book.read(lambda sql: lifecycle.agreement_state(sql, 1, date(2022, 7, 1)))


# --- 3. the date a record carries, always said -----------------------------------------------


def test_sign_and_add_agreement_say_the_date_they_record(ledger: Path, run_ks: RunKs) -> None:
    today = i18n.format_date(date.today(), language="en")  # "2 December 2026"
    added = run_ks(
        "add-agreement", "--kind", "ksb", "--title", "Kerja Sama", "--party", "kaltim",
        "--party", "jatim",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    key = added.stdout.strip()
    assert key == f"KSB-{date.today().year}-0001"
    assert f"agreed on {today} {TODAY_NOTE}" in added.stderr
    signed = run_ks("sign", key, "--party", "kaltim")
    assert signed.returncode == 0, signed.stderr
    assert f"on {today} {TODAY_NOTE}" in signed.stderr

    older = run_ks(
        "add-agreement", "--kind", "ksb", "--title", "Kerja Sama Lama", "--party", "kaltim",
        "--party", "jatim", "--date", "28 Juli 2022",
    )  # fmt: skip
    assert older.stdout.strip() == "KSB-2022-0001"
    assert "agreed on 28 July 2022" in older.stderr and "today" not in older.stderr
    signed = run_ks("sign", "KSB-2022-0001", "--party", "jatim", "--date", "2022-07-28")
    assert "on 28 July 2022" in signed.stderr and "today" not in signed.stderr


def test_a_handover_without_a_date_says_it_recorded_today(story_copy: Path, run_ks: RunKs) -> None:
    result = run_ks("handover", "PKS-2022-0005", "--to", "jatim")
    assert result.returncode == 0, result.stderr
    assert f"on {i18n.format_date(date.today(), language='en')} {TODAY_NOTE}" in result.stderr


# --- 4. an agreement recorded by mistake is withdrawn ----------------------------------------


def test_a_withdrawn_agreement_leaves_pending_lists_reports_and_checks(book: Ledger) -> None:
    shown = _everything_it_shows(book)
    for where in ("pending", "report waiting", "report signed", "report handed over", "check"):
        assert MISTAKEN_PKS in shown[where], where
    for where in ("list", "expiring", "idle", "report expiring", "report signed", "check"):
        assert MISTAKE in shown[where], where

    _withdraw_both(book)

    after = _everything_it_shows(book)
    assert {where: keys & {MISTAKE, MISTAKEN_PKS} for where, keys in after.items()} == {
        where: set() for where in after
    }
    assert after["list"] == {KSB, "PKS-2022-0001"}
    totals = book.read(report.build, LATER)["totals"]
    assert sum(t["count"] for t in totals) == 2
    status = book.read(queries.ledger_status)
    assert (status["agreements"], status["signatures"], status["handovers"]) == (2, 4, 0)


def test_a_ksb_with_a_live_pks_cannot_be_withdrawn_before_it(book: Ledger) -> None:
    before = _entries(book)
    with pytest.raises(InvalidInput, match=f"{MISTAKE} has {MISTAKEN_PKS} under it; withdraw"):
        book.write(ledger.void, MISTAKE, "dicatat dua kali", today=LATER)
    assert _entries(book) == before


def test_a_withdrawn_agreement_is_still_shown_for_the_record(book: Ledger) -> None:
    _withdraw_both(book)
    detail = book.read(lifecycle.agreement_detail, MISTAKE, LATER)
    assert detail["status"] == "withdrawn"
    assert detail["withdrawn"]["reason"] == "KSB yang sama dicatat dua kali"
    assert [p["signed_on"] for p in detail["parties"]] == ["2022-07-28", "2022-09-20"]
    assert book.read(lifecycle.agreement_detail, KSB, LATER)["withdrawn"] is None
    history = book.read(queries.log_entries, MISTAKE)
    added = next(e for e in history if e["action"] == "agreement.add")
    assert added["voided_by"] == history[-1]["seq"]
    assert history[-1]["summary"] == (
        f"withdrew {MISTAKE} (voided entry {added['seq']}): KSB yang sama dicatat dua kali"
    )
    pks_children = book.read(lifecycle.agreement_detail, KSB, LATER)["children"]
    assert [c["key"] for c in pks_children] == ["PKS-2022-0001"]


def test_a_withdrawn_key_is_never_reused(book: Ledger) -> None:
    _withdraw_both(book)
    again = book.write(
        ledger.add_agreement,
        "ksb",
        "Kerja Sama Pembangunan Daerah (dicatat ulang)",
        ["kaltim", "jatim"],
        agreed_on=date(2022, 7, 28),
        end_on=date(2022, 12, 1),
        today=LATER,
    )
    assert again == "KSB-2022-0003"  # a new key: not the withdrawn one, nor "already recorded"


def test_a_retried_withdrawal_adds_nothing_and_another_reason_is_refused(book: Ledger) -> None:
    _withdraw_both(book)
    before = _entries(book)
    retried = book.write(ledger.void, MISTAKE, "KSB yang sama dicatat dua kali", today=LATER)
    assert retried.already and retried.key == MISTAKE
    with pytest.raises(InvalidInput, match=f"{MISTAKE} was already withdrawn"):
        book.write(ledger.void, MISTAKE, "alasan lain", today=LATER)
    assert _entries(book) == before


def test_a_retried_void_of_an_entry_adds_nothing(book: Ledger) -> None:
    (seq,) = book.rows("SELECT entry_seq FROM handover")[0]
    first = book.write(ledger.void, str(seq), "diserahkan ke kantor yang salah", today=LATER)
    before = _entries(book)
    retried = book.write(ledger.void, str(seq), "diserahkan ke kantor yang salah", today=LATER)
    assert retried.already and retried.seq == first.seq
    assert _entries(book) == before


@pytest.mark.parametrize(
    ("operation", "args"),
    [
        (ledger.sign, (MISTAKE, "kaltim", date(2022, 9, 1))),
        (ledger.handover, ([MISTAKE], "jatim", date(2022, 9, 1))),
        (ledger.amend, (MISTAKE, "salah ketik", "Judul baru")),
        (ledger.terminate, (MISTAKE, date(2022, 9, 1), "diakhiri")),
        (ledger.evaluate, (MISTAKE, date(2022, 9, 25), "berjalan", "continue")),
        (ledger.add_activity, (MISTAKE, date(2022, 9, 25), "rapat")),
        (ledger.renew, (MISTAKE, date(2022, 9, 25))),
        (ledger.void, (MISTAKE, "tanda tangan salah", "kaltim")),
        (ledger.add_agreement, ("pks", "Baru", ["kaltim", "jatim"], MISTAKE)),
    ],
    ids=lambda value: getattr(value, "__name__", None),
)
def test_nothing_more_is_recorded_on_a_withdrawn_agreement(
    book: Ledger, operation: object, args: tuple[object, ...]
) -> None:
    _withdraw_both(book)
    before = _entries(book)
    with pytest.raises(InvalidInput, match=f"{MISTAKE} was withdrawn"):
        book.write(operation, *args, today=LATER)  # type: ignore[arg-type]
    assert _entries(book) == before


def test_an_agreement_is_withdrawn_by_its_entry_number_too(book: Ledger) -> None:
    (seq,) = book.rows(f"SELECT entry_seq FROM agreement WHERE key = '{MISTAKEN_PKS}'")[0]
    done = book.write(ledger.void, f"#{seq}", "dicatat di bawah KSB yang salah", today=LATER)
    assert (done.action, done.key, done.target) == ("agreement.add", MISTAKEN_PKS, seq)
    assert MISTAKEN_PKS not in {r["agreement"] for r in book.read(queries.pending, LATER)}


def test_verify_replays_a_withdrawal(book: Ledger) -> None:
    _withdraw_both(book)
    result = verify.verify(book.path)
    assert result.ok, result.problems
    assert result.entries == _entries(book)
    # A withdrawal slipped into the table without its entry is not explained by the replay.
    with direct(book.path) as conn:
        conn.execute(
            "INSERT INTO void (id, target_seq, reason, entry_seq) SELECT "
            "(SELECT max(id) + 1 FROM void), entry_seq, 'diam-diam', "
            f"entry_seq FROM agreement WHERE key = '{KSB}'"
        )
    problems = verify.verify(book.path).problems
    assert any("void row" in p and "not explained by any entry" in p for p in problems)


def test_a_withdrawn_renewal_no_longer_supersedes(book: Ledger) -> None:
    _withdraw_both(book)
    renewal = book.write(ledger.renew, KSB, date(2022, 9, 25), today=LATER)
    for party in ("kaltim", "jatim"):
        book.write(ledger.sign, renewal, party, date(2022, 9, 26), today=LATER)
    assert book.read(lifecycle.agreement_detail, KSB, LATER)["status"] == "superseded"
    with pytest.raises(
        InvalidInput, match=f"{KSB} has PKS-2022-0001 under it and is renewed by {renewal}"
    ):
        book.write(ledger.void, KSB, "salah", today=LATER)

    book.write(ledger.void, renewal, "perpanjangan dicatat terlalu dini", today=LATER)

    assert book.read(lifecycle.agreement_detail, KSB, LATER)["status"] == "in-force"
    assert book.write(ledger.renew, KSB, date(2022, 9, 27), today=LATER) == "KSB-2022-0004"


def test_ks_void_key_withdraws_an_agreement_on_the_story(story_copy: Path, run_ks: RunKs) -> None:
    added = run_ks(
        "add-agreement", "--kind", "pks", "--parent", KSB, "--title", "Dicatat dua kali",
        "--party", "kominfo-kaltim", "--party", "kominfo-jatim", "--date", "2022-07-28",
    )  # fmt: skip
    key = added.stdout.strip()
    assert key == "PKS-2022-0008"

    done = run_ks("void", key, "--reason", "PKS yang sama dicatat dua kali")

    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    assert f"withdrew {key}" in done.stderr
    assert key not in run_ks("pending", "--format", "json").stdout
    assert key not in run_ks("list", "--format", "json").stdout
    shown = run_ks("show", key)
    assert "withdrawn: PKS yang sama dicatat dua kali" in shown.stdout
    assert "withdrew" in run_ks("log", key).stdout
    checked = run_ks("verify")
    assert checked.returncode == 0, checked.stdout + checked.stderr

    before = ledger_digest(story_copy)
    again = run_ks("void", key, "--reason", "PKS yang sama dicatat dua kali")
    assert again.returncode == 0 and "already withdrawn" in again.stderr
    assert_refused(run_ks("void", KSB, "--reason", "salah"), f"{KSB} has PKS-2022-0001")
    assert ledger_digest(story_copy) == before


def test_void_help_explains_both_uses(run_ks: RunKs) -> None:
    text = " ".join(run_ks("void", "--help").stdout.split())
    assert "A KEY without --party withdraws the agreement recorded in error" in text
    assert "A KEY with --party voids that party's signature" in text


# --- 7. confirmations on stderr, data on stdout ----------------------------------------------


def test_write_commands_confirm_on_stderr(story_copy: Path, run_ks: RunKs) -> None:
    commands = [
        ("sign", KSB, "--party", "jatim", "--date", "2022-09-20"),
        ("handover", "PKS-2022-0005", "--to", "jatim", "--date", "2022-09-01"),
        ("amend", "PKS-2022-0003", "--number", "disdik-jatim=421/55/2022", "--reason", "lupa"),
        ("evaluate", KSB, "--date", "2022-09-25", "--finding", "baik", "--recommendation", "stop"),
        ("activity", "add", KSB, "--date", "2022-09-25", "--description", "rapat koordinasi"),
        ("terminate", "PKS-2022-0007", "--date", "2022-09-01", "--reason", "tidak dilanjutkan"),
        ("void", "PKS-2022-0001", "--party", "kominfo-kaltim", "--reason", "tanggal salah"),
        ("party", "add", "Biro Pemerintahan Setda Jatim", "--region", "jatim"),
    ]
    for args in commands:
        result = run_ks(*args)
        assert result.returncode == 0, (args, result.stderr)
        assert result.stdout == "", (args, result.stdout)
        assert result.stderr.strip(), args
    # What a script captures stays on stdout.
    renewed = run_ks("renew", KSB, "--date", "2022-09-26", "--years", "5")
    assert renewed.stdout == "KSB-2022-0002\n"


# --- 8. a value that was not there -----------------------------------------------------------


def test_a_number_added_by_amend_says_there_was_none(story_copy: Path, run_ks: RunKs) -> None:
    result = run_ks(
        "amend", "PKS-2022-0003", "--number", "disdik-jatim=421/55/101.1/2022", "--reason", "lupa"
    )
    assert result.returncode == 0, result.stderr
    assert "(none) -> '421/55/101.1/2022'" in result.stderr
    assert "None" not in result.stderr
    assert "(none) -> '421/55/101.1/2022'" in run_ks("log", "PKS-2022-0003").stdout


# --- 9. a handover to a region that is not a party -------------------------------------------


def test_a_handover_to_a_region_that_is_not_a_party_names_the_parties(
    story_copy: Path, run_ks: RunKs
) -> None:
    before = ledger_digest(story_copy)
    assert_refused(
        run_ks("handover", "PKS-2022-0004", "--to", "kota surabaya", "--date", "2022-09-01"),
        "Pemerintah Kota Surabaya is not a party to PKS-2022-0004",
        "its parties: Dinas Kesehatan Provinsi Kalimantan Timur, "
        "Dinas Kesehatan Provinsi Jawa Timur",
    )
    assert ledger_digest(story_copy) == before


def test_a_handover_to_a_government_whose_agencies_have_signed_says_so(
    story_copy: Path, run_ks: RunKs
) -> None:
    signed = run_ks("sign", "PKS-2022-0004", "--party", "dinkes-jatim", "--date", "2022-09-01")
    assert signed.returncode == 0, signed.stderr
    before = ledger_digest(story_copy)
    assert_refused(
        run_ks("handover", "PKS-2022-0004", "--to", "jatim", "--date", "2022-09-02"),
        "PKS-2022-0004 has nothing left to sign at Pemerintah Provinsi Jawa Timur",
        "it is not a party, and its agencies among the parties have signed",
        "its parties: Dinas Kesehatan Provinsi Kalimantan Timur",
    )
    assert_refused(
        run_ks("handover", KSB, "--to", "kaltim", "--date", "2022-09-02"),
        f"{KSB} has nothing left to sign at Pemerintah Provinsi Kalimantan Timur, "
        "which has already signed it",
    )
    assert ledger_digest(story_copy) == before
