"""The domain layer without the CLI: Kaltim, Jatim, a KSB and its PKS."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from kerjasama_cli import db, ledger, lifecycle, queries
from kerjasama_cli.errors import InvalidInput, LedgerError, NotFound
from kerjasama_cli.ledger import Actor

TODAY = date(2022, 9, 10)


class Ledger:
    """A test ledger with the clock fixed at 10 September 2022."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def write(self, operation: Callable[..., Any], *args: Any, today: date = TODAY, **kw: Any):
        actor = Actor("tester", today)
        result = db.write(self.path, lambda sql: operation(sql, actor, *args, **kw))
        return result.key if isinstance(result, ledger.Added) else result

    def read(self, query: Callable[..., Any], *args: Any, **kw: Any):
        with db.reader(self.path) as conn:
            result = query(db.runner(conn), *args, **kw)
            return list(result) if not isinstance(result, dict) else result

    def rows(self, sql: str) -> list[tuple]:
        """The rows of one query, on either engine, with dates as ISO text (as SQLite has them)."""
        with db.reader(self.path) as conn:
            return [
                tuple(v.isoformat() if isinstance(v, date) else v for v in row)
                for row in conn.execute(sql).fetchall()
            ]


@pytest.fixture
def book(ledger: Path) -> Ledger:
    return Ledger(ledger)


@pytest.fixture
def kaltim_jatim(book: Ledger) -> Ledger:
    """Kominfo of both provinces registered; the KSB agreed in Samarinda on 28 July 2022."""
    book.write(
        ledger.add_party,
        "Dinas Kominfo Provinsi Kalimantan Timur",
        "kaltim",
        ["kominfo-kaltim"],
        "Kepala Dinas",
    )
    book.write(ledger.add_party, "Dinas Kominfo Provinsi Jawa Timur", "jatim", ["kominfo-jatim"])
    key = book.write(
        ledger.add_agreement,
        "ksb",
        "Kerja Sama Pembangunan Daerah",
        ["kaltim", "jatim"],
        agreed_on=date(2022, 7, 28),
        place="Samarinda",
    )
    assert key == "KSB-2022-0001"
    key = book.write(
        ledger.add_agreement,
        "pks",
        "Layanan E-Government",
        ["kominfo-kaltim", "kominfo-jatim"],
        parent="KSB-2022-0001",
        agreed_on=date(2022, 7, 28),
    )
    assert key == "PKS-2022-0001"
    return book


def test_keys_count_per_kind_and_year(kaltim_jatim: Ledger) -> None:
    second = kaltim_jatim.write(
        ledger.add_agreement,
        "ksb",
        "Kerja sama kedua",
        ["kaltim", "Kota Samarinda"],
        agreed_on=date(2022, 8, 1),
    )
    next_year = kaltim_jatim.write(
        ledger.add_agreement,
        "ksb",
        "Tahun depan",
        ["kaltim", "jatim"],
        agreed_on=date(2023, 1, 2),
        today=date(2023, 1, 2),
    )
    assert (second, next_year) == ("KSB-2022-0002", "KSB-2023-0001")


def test_a_region_government_becomes_a_party_when_first_used(kaltim_jatim: Ledger) -> None:
    governments = kaltim_jatim.rows(
        "SELECT name, region_code, signatory_title FROM party WHERE kind = 'government' ORDER BY id"
    )
    assert governments == [
        ("Pemerintah Provinsi Kalimantan Timur", "64", "Gubernur"),
        ("Pemerintah Provinsi Jawa Timur", "35", "Gubernur"),
    ]


def test_the_ksb_is_in_force_when_both_governors_have_signed(kaltim_jatim: Ledger) -> None:
    first = kaltim_jatim.write(ledger.sign, "KSB-2022-0001", "kaltim", date(2022, 7, 28))
    assert not first.in_force
    second = kaltim_jatim.write(
        ledger.sign,
        "ksb-2022-0001",
        "Jawa Timur",
        date(2022, 9, 1),
        signatory="Gubernur Jawa Timur",
        number="120/77/013/2022",
    )
    assert second.in_force
    detail = kaltim_jatim.read(lifecycle.agreement_detail, "KSB-2022-0001", TODAY)
    assert detail["status"] == "in-force"
    assert [(p["party"], p["signed_on"], p["title"], p["number"]) for p in detail["parties"]] == [
        ("Pemerintah Provinsi Kalimantan Timur", "2022-07-28", "Gubernur", None),
        ("Pemerintah Provinsi Jawa Timur", "2022-09-01", "Gubernur", "120/77/013/2022"),
    ]
    assert detail["children"] == [
        {"key": "PKS-2022-0001", "kind": "pks", "title": "Layanan E-Government"}
    ]


def test_signing_a_pks_before_its_ksb_is_in_force_warns(kaltim_jatim: Ledger) -> None:
    signed = kaltim_jatim.write(ledger.sign, "PKS-2022-0001", "kominfo-kaltim", date(2022, 7, 28))
    assert signed.warnings == [
        "PKS-2022-0001 implements KSB-2022-0001, which is not yet in force (2 signatures missing)"
    ]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("KSB-2099-0001", "jatim"), "no agreement 'KSB-2099-0001'"),
        (("KSB-2022-0001", "kominfo-jatim"), "is not a party to KSB-2022-0001"),
        (("KSB-2022-0001", "Kota Surabaya"), "Pemerintah Kota Surabaya is not a party"),
        (("KSB-2022-0001", "jatim", date(2022, 9, 11)), "is in the future"),
        (("KSB-2022-0001", "jatim", date(2022, 7, 27)), "before KSB-2022-0001's date"),
        (("KSB-2022-0001", "kominfo"), "unknown party 'kominfo'"),
    ],
)
def test_signatures_that_cannot_be_right_are_refused(
    kaltim_jatim: Ledger, args: tuple, says: str
) -> None:
    before = kaltim_jatim.rows("SELECT count(*) FROM entry")
    with pytest.raises(InvalidInput, match=says):
        kaltim_jatim.write(ledger.sign, *args)
    assert kaltim_jatim.rows("SELECT count(*) FROM entry") == before
    assert kaltim_jatim.rows("SELECT count(*) FROM signature") == [(0,)]


def test_a_party_signs_once(kaltim_jatim: Ledger) -> None:
    kaltim_jatim.write(ledger.sign, "KSB-2022-0001", "kaltim", date(2022, 7, 28))
    with pytest.raises(InvalidInput, match="already signed KSB-2022-0001 on 28 July 2022"):
        kaltim_jatim.write(ledger.sign, "KSB-2022-0001", "kaltim", date(2022, 7, 29))


def test_a_number_given_at_creation_is_not_silently_replaced(book: Ledger) -> None:
    book.write(
        ledger.add_agreement,
        "ksb",
        "KSB",
        ["kaltim", "jatim"],
        numbers=[("kaltim", "120/1")],
        agreed_on=date(2022, 7, 28),
    )
    with pytest.raises(InvalidInput, match="already '120/1', not '120/2'"):
        book.write(ledger.sign, "KSB-2022-0001", "kaltim", number="120/2")
    book.write(ledger.sign, "KSB-2022-0001", "kaltim", number="120/1")
    detail = book.read(lifecycle.agreement_detail, "KSB-2022-0001", TODAY)
    assert detail["parties"][0]["number"] == "120/1"


def test_pending_waits_from_the_agreement_date_then_from_the_handover(
    kaltim_jatim: Ledger,
) -> None:
    kaltim_jatim.write(ledger.sign, "KSB-2022-0001", "kaltim", date(2022, 7, 28))
    kaltim_jatim.write(ledger.sign, "PKS-2022-0001", "kominfo-kaltim", date(2022, 7, 28))
    before = kaltim_jatim.read(queries.pending, TODAY, "35")
    assert [(r["agreement"], r["waiting_since"], r["waiting_days"]) for r in before] == [
        ("KSB-2022-0001", "2022-07-28", 44),
        ("PKS-2022-0001", "2022-07-28", 44),
    ]
    # The Biro of Jatim receives both originals: the KSB for the Governor, the PKS for Kominfo.
    handed = kaltim_jatim.write(
        ledger.handover, ["KSB-2022-0001", "PKS-2022-0001"], "jatim", date(2022, 8, 11), "Surabaya"
    )
    assert [(h.key, h.waiting_at) for h in handed] == [
        ("KSB-2022-0001", ["Pemerintah Provinsi Jawa Timur"]),
        ("PKS-2022-0001", ["Dinas Kominfo Provinsi Jawa Timur"]),
    ]
    after = kaltim_jatim.read(queries.pending, TODAY, "35")
    assert [
        (r["agreement"], r["party"], r["province"], r["waiting_since"], r["waiting_days"])
        for r in after
    ] == [
        ("KSB-2022-0001", "Pemerintah Provinsi Jawa Timur", "35", "2022-08-11", 30),
        ("PKS-2022-0001", "Dinas Kominfo Provinsi Jawa Timur", "35", "2022-08-11", 30),
    ]
    assert kaltim_jatim.read(queries.pending, TODAY, "64") == []


def test_a_handover_to_a_province_does_not_count_for_its_cities(book: Ledger) -> None:
    book.write(
        ledger.add_agreement,
        "ksb",
        "Tiga pihak",
        ["kaltim", "jatim", "Kota Surabaya"],
        agreed_on=date(2022, 7, 28),
    )
    handed = book.write(ledger.handover, ["KSB-2022-0001"], "jatim", date(2022, 8, 11))
    assert handed[0].waiting_at == ["Pemerintah Provinsi Jawa Timur"]
    rows = book.read(queries.pending, TODAY, "35")
    assert [(r["party"], r["waiting_since"]) for r in rows] == [
        ("Pemerintah Kota Surabaya", "2022-07-28"),  # longest wait first
        ("Pemerintah Provinsi Jawa Timur", "2022-08-11"),
    ]


def test_pending_as_of_a_past_date_ignores_what_came_later(kaltim_jatim: Ledger) -> None:
    kaltim_jatim.write(ledger.handover, ["KSB-2022-0001"], "jatim", date(2022, 8, 11))
    kaltim_jatim.write(ledger.sign, "KSB-2022-0001", "jatim", date(2022, 9, 1))
    on_the_day = kaltim_jatim.read(queries.pending, date(2022, 8, 20), "35", kind="ksb")
    assert [(r["waiting_since"], r["waiting_days"]) for r in on_the_day] == [("2022-08-11", 9)]
    assert kaltim_jatim.read(queries.pending, TODAY, "35", kind="ksb") == []
    assert kaltim_jatim.read(queries.pending, date(2022, 7, 27)) == []


def test_older_than_keeps_only_the_long_waits(kaltim_jatim: Ledger) -> None:
    kaltim_jatim.write(ledger.handover, ["KSB-2022-0001"], "jatim", date(2022, 8, 11))
    waits = lambda days: {  # noqa: E731
        (r["agreement"], r["party"], r["waiting_days"])
        for r in kaltim_jatim.read(queries.pending, TODAY, older_than=days)
    }
    jatim_ksb = ("KSB-2022-0001", "Pemerintah Provinsi Jawa Timur", 30)
    assert jatim_ksb in waits(29)
    assert jatim_ksb not in waits(30)
    assert waits(44) == set()
    assert len(waits(43)) == 3  # Kaltim's Governor and both Kominfo heads since 28 July


def test_pending_by_province_takes_regencies_and_their_agencies(book: Ledger) -> None:
    book.write(ledger.add_party, "Dinas Perhubungan Kota Surabaya", "Kota Surabaya", ["dishub-sby"])
    book.write(
        ledger.add_agreement,
        "pks",
        "Angkutan",
        ["dishub-sby", "kaltim"],
        agreed_on=date(2022, 7, 28),
    )
    assert [r["party"] for r in book.read(queries.pending, TODAY, "35")] == [
        "Dinas Perhubungan Kota Surabaya"
    ]


def test_a_handover_with_nothing_to_sign_at_the_recipient_records_nothing(
    kaltim_jatim: Ledger,
) -> None:
    kaltim_jatim.write(ledger.sign, "KSB-2022-0001", "jatim", date(2022, 8, 1))
    before = kaltim_jatim.rows("SELECT count(*) FROM entry")
    with pytest.raises(InvalidInput, match="KSB-2022-0001 has nothing left to sign at Pemerintah"):
        kaltim_jatim.write(ledger.handover, ["PKS-2022-0001", "KSB-2022-0001"], "jatim")
    assert kaltim_jatim.rows("SELECT count(*) FROM entry") == before
    assert kaltim_jatim.rows("SELECT count(*) FROM handover") == [(0,)]


@pytest.mark.parametrize(
    ("kwargs", "says"),
    [
        ({"parties": ["kaltim"]}, "at least two distinct parties"),
        ({"parties": ["kaltim", "Kalimantan Timur"]}, "named twice"),
        (
            {"parties": ["kaltim", "jatim"], "kind": "ksb", "parent": "KSB-2022-0001"},
            "a KSB has no parent",
        ),
        ({"parties": ["kaltim", "jatim"], "parent": "PKS-2022-0001"}, "not a KSB"),
        ({"parties": ["kaltim", "jatim"], "parent": "KSB-2030-0001"}, "no agreement"),
        (
            {"parties": ["kaltim", "jatim"], "numbers": [("kominfo-jatim", "1")]},
            "not a party to this agreement",
        ),
        ({"parties": ["kaltim", "jatim"], "title": "  "}, "title cannot be empty"),
        ({"parties": ["kaltim", "jatim"], "title": "a\nb"}, "control character"),
        ({"parties": ["kaltim", "jatim"], "agreed_on": date(2022, 9, 11)}, "in the future"),
        (
            {
                "parties": ["kaltim", "jatim"],
                "start_on": date(2023, 1, 1),
                "end_on": date(2022, 12, 31),
            },
            "before the start",
        ),
        ({"parties": ["kaltim", "jatmi"]}, "did you mean 'Jawa Timur"),
    ],
)
def test_agreements_that_cannot_be_right_are_refused(
    kaltim_jatim: Ledger, kwargs: dict, says: str
) -> None:
    args = {"kind": "pks", "title": "Uji"} | kwargs
    before = kaltim_jatim.rows("SELECT count(*) FROM entry")
    with pytest.raises(InvalidInput, match=says):
        kaltim_jatim.write(
            ledger.add_agreement, args.pop("kind"), args.pop("title"), args.pop("parties"), **args
        )
    assert kaltim_jatim.rows("SELECT count(*) FROM entry") == before


def test_aliases_and_names_stay_unambiguous(kaltim_jatim: Ledger) -> None:
    with pytest.raises(InvalidInput, match="already used by a party"):
        kaltim_jatim.write(ledger.add_party, "Dinas Lain", "jatim", ["kominfo-jatim"])
    with pytest.raises(InvalidInput, match="already names a region"):
        kaltim_jatim.write(ledger.add_party, "Dinas Lain", "jatim", ["jabar"])
    with pytest.raises(InvalidInput, match="already used by a party"):
        kaltim_jatim.write(ledger.add_party, "DINAS KOMINFO PROVINSI JAWA TIMUR", "jatim")
    with pytest.raises(InvalidInput, match="needs --region"):
        kaltim_jatim.write(ledger.add_party, "Dinas Tanpa Daerah", None)


def test_a_third_party_needs_no_region(book: Ledger) -> None:
    party = book.write(
        ledger.add_party, "Universitas Mulawarman", None, ["unmul"], third_party=True
    )
    assert (party.kind, party.region_code, party.province) == ("third", None, None)
    key = book.write(
        ledger.add_agreement, "pks", "Riset", ["kaltim", "unmul"], agreed_on=date(2022, 7, 28)
    )
    assert [r["province"] for r in book.read(queries.pending, TODAY)] == ["64", None]
    assert key == "PKS-2022-0001"


def test_every_change_is_an_entry_in_one_unbroken_chain(kaltim_jatim: Ledger) -> None:
    kaltim_jatim.write(ledger.sign, "KSB-2022-0001", "kaltim", date(2022, 7, 28))
    kaltim_jatim.write(ledger.handover, ["KSB-2022-0001"], "jatim", date(2022, 8, 11))
    entries = kaltim_jatim.rows(
        "SELECT seq, recorded_at, recorded_by, action, agreement_key, payload, prev_hash, hash, "
        "db_user "
        "FROM entry ORDER BY seq"
    )
    assert [e[3] for e in entries] == [
        "party.add",
        "party.add",
        "party.add",
        "party.add",
        "agreement.add",
        "agreement.add",
        "signature.add",
        "handover.add",
    ]
    previous = ledger.GENESIS_HASH
    for seq, at, by, action, key, payload, prev_hash, digest, db_user in entries:
        assert prev_hash == previous
        assert digest == ledger.entry_hash(prev_hash, seq, at, by, action, key, payload, db_user)
        assert at.endswith("Z") and by == "tester"
        previous = digest


def test_in_force_then_expiring_then_expired(book: Ledger) -> None:
    book.write(
        ledger.add_agreement,
        "ksb",
        "Satu tahun",
        ["kaltim", "jatim"],
        agreed_on=date(2022, 7, 28),
        start_on=date(2022, 8, 1),
        end_on=date(2023, 7, 31),
    )
    book.write(ledger.sign, "KSB-2022-0001", "kaltim", date(2022, 7, 28))
    book.write(ledger.sign, "KSB-2022-0001", "jatim", date(2022, 7, 29))
    states = [
        book.read(lifecycle.agreement_detail, "KSB-2022-0001", day)["status"]
        for day in (
            date(2022, 7, 28),
            date(2022, 9, 10),
            date(2023, 5, 2),
            date(2023, 7, 31),
            date(2023, 8, 1),
        )
    ]
    assert states == ["awaiting-signatures", "in-force", "expiring", "expiring", "expired"]


def test_list_filters_by_province_kind_and_status(kaltim_jatim: Ledger) -> None:
    kaltim_jatim.write(
        ledger.add_agreement,
        "ksb",
        "Kota",
        ["Kota Samarinda", "Kota Balikpapan"],
        agreed_on=date(2022, 8, 1),
    )
    keys = lambda **kw: [  # noqa: E731
        a["key"] for a in kaltim_jatim.read(lifecycle.list_agreements, TODAY, **kw)
    ]
    assert keys() == ["KSB-2022-0001", "KSB-2022-0002", "PKS-2022-0001"]
    assert keys(province_code="35") == ["KSB-2022-0001", "PKS-2022-0001"]
    assert keys(kind="pks") == ["PKS-2022-0001"]
    assert keys(status_filter="in-force") == []


@pytest.mark.sqlite_only("no ledger file yet (a database is made by ks db init)")
def test_a_missing_ledger_is_not_created_by_reading(ledger: Path) -> None:
    with pytest.raises(LedgerError, match=f"no ledger at {ledger}"), db.reader(ledger):
        pass
    assert not ledger.exists()


@pytest.mark.sqlite_only("a first write creates the file (a database is made by ks db init)")
def test_a_refused_first_write_leaves_no_file(book: Ledger) -> None:
    with pytest.raises(NotFound):
        book.write(ledger.sign, "KSB-2022-0001", "jatim")
    assert not book.path.exists()
    assert list(book.path.parent.iterdir()) == []
