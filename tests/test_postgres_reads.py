"""The read side on PostgreSQL: every query answers as it does on SQLite, for the same story.

Kaltim and Jatim's KSB and its seven PKS (the reference story), and what became of them:
the Governor of Jatim signs, a signature is voided, a title corrected, activities held, a
PKS evaluated, terminated, renewed; terms that start on 29 February and at a month's end;
a KSB recorded twice and withdrawn. The same ledger operations write it into a SQLite
ledger and into a fresh PostgreSQL database; every read is then run on both (through
`queries.psycopg_sql` on PostgreSQL, as the CLI reads) and the results must be equal.

Skipped unless KS_POSTGRES_URL names a database that may be used up (its public schema is
dropped and made again), e.g. `postgresql://postgres@/ks?host=/tmp/pg`; with CI=true a
missing URL fails the tests instead: CI must test the engine it ships for.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from kerjasama_cli import checks, db, dialect, ledger, lifecycle, queries
from kerjasama_cli.errors import KsError
from kerjasama_cli.ledger import Actor

URL = os.environ.get("KS_POSTGRES_URL")

KSB = "KSB-2022-0001"
WITHDRAWN = "KSB-2022-0002"  # the KSB recorded a second time by mistake, then withdrawn
DINSOS = "PKS-2022-0008"  # between the Dinas Sosial of Kota Samarinda and of Kota Surabaya
RENEWAL = "PKS-2023-0001"  # renews PKS-2022-0001 (E-Government), signed by both
LEAP_DAY = "PKS-2024-0001"  # a one-year term from 29 February 2024
LEAP_SIGNED = "PKS-2024-0002"  # a one-year term from its last signature, on 29 February 2024
MONTH_END = "PKS-2023-0002"  # a two-year term from 31 August 2023
YEAR_END = "PKS-2024-0003"  # ends on 31 December 2024
LEAP_RENEWAL = "PKS-2025-0001"  # renews LEAP_DAY, signed by one side only

AGENCIES = (
    ("kominfo", "Dinas Komunikasi dan Informatika"),
    ("dishub", "Dinas Perhubungan"),
    ("disdik", "Dinas Pendidikan"),
    ("dinkes", "Dinas Kesehatan"),
    ("dispar", "Dinas Kebudayaan dan Pariwisata"),
    ("disperindag", "Dinas Perindustrian dan Perdagangan"),
    ("dpmptsp", "Dinas Penanaman Modal dan Pelayanan Terpadu Satu Pintu"),
)
TITLES = (
    "Pengembangan Layanan E-Government dan Pertukaran Data",
    "Konektivitas Transportasi Laut dan Udara",
    "Peningkatan Mutu Pendidikan Vokasi",
    "Pelayanan Kesehatan Rujukan",
    "Promosi Pariwisata dan Kebudayaan Bersama",
    "Perdagangan Antar Daerah",
    "Promosi Investasi dan Perizinan Terpadu",
)
PKS = [f"PKS-2022-{n:04d}" for n in range(1, 8)]

# The days the story is read on: the reference story's, after each later chapter, around
# the leap-day term's end, and today (when signatures need no date check).
AS_OF = (
    date(2022, 7, 27),  # before anything was agreed
    date(2022, 9, 10),
    date(2022, 10, 31),
    date(2023, 6, 30),
    date(2024, 3, 15),
    date(2025, 1, 15),
    date(2025, 2, 27),
    date(2025, 2, 28),
    date(2025, 3, 1),
    date(2027, 12, 31),
    date.today(),
)
JATIM, KALTIM = "35", "64"

Write = Callable[..., Any]


def tell(write: Write) -> None:
    """The story, chapter by chapter; `write(operation, *args, today=..., **kw)` runs one
    ledger operation in its own transaction, with the clock at `today`."""
    # 10 September 2022: the reference story, the KSB with a five-year term from its last
    # signature; and the Dinas Sosial of two cities, whose originals went to Surabaya's
    # government (which covers its agencies).
    today = date(2022, 9, 10)
    for alias, name in AGENCIES:
        for province, region in (("Kalimantan Timur", "kaltim"), ("Jawa Timur", "jatim")):
            write(
                ledger.add_party,
                f"{name} Provinsi {province}",
                region,
                [f"{alias}-{region}"],
                "Kepala Dinas",
                today=today,
            )
    write(ledger.add_party, "Dinas Sosial", "samarinda", ["dinsos-samarinda"], today=today)
    write(ledger.add_party, "Dinas Sosial", "surabaya", ["dinsos-surabaya"], today=today)
    write(ledger.add_party, "Yayasan Pesisir Lestari", None, ["ypl"], third_party=True, today=today)
    added = write(
        ledger.add_agreement,
        "ksb",
        "Kerja Sama Pembangunan Daerah",
        ["kaltim", "jatim"],
        numbers=[("kaltim", "120/4521/B.PEM-KS/2022")],
        agreed_on=date(2022, 7, 28),
        place="Samarinda",
        years=5,
        today=today,
    )
    assert added == KSB
    write(
        ledger.sign,
        KSB,
        "kaltim",
        date(2022, 7, 28),
        place="Samarinda",
        signatory="Isran Noor",
        today=today,
    )
    for (alias, _name), title, key in zip(AGENCIES, TITLES, PKS, strict=True):
        added = write(
            ledger.add_agreement,
            "pks",
            title,
            [f"{alias}-kaltim", f"{alias}-jatim"],
            parent=KSB,
            agreed_on=date(2022, 7, 28),
            place="Samarinda",
            today=today,
        )
        assert added == key
    for i, (alias, _name) in enumerate(AGENCIES[:4]):
        write(
            ledger.sign,
            PKS[i],
            f"{alias}-kaltim",
            date(2022, 7, 28),
            place="Samarinda",
            number=f"555/{i + 101}/{alias.upper()}-KT/2022",
            today=today,
        )
    write(
        ledger.handover,
        [KSB, *PKS],
        "jatim",
        date(2022, 8, 11),
        place="Surabaya",
        note="Diterima Biro Pemerintahan dan Otonomi Daerah Setda Prov. Jatim",
        today=today,
    )
    added = write(
        ledger.add_agreement,
        "pks",
        "Rehabilitasi Sosial Lintas Daerah",
        ["dinsos-samarinda", "dinsos-surabaya"],
        agreed_on=date(2022, 8, 1),
        today=today,
    )
    assert added == DINSOS
    write(ledger.handover, [DINSOS], "surabaya", date(2022, 8, 15), today=today)
    added = write(
        ledger.add_agreement,
        "ksb",
        "Kerja Sama Pembangunan Daerah (dicatat ulang)",
        ["kaltim", "jatim"],
        agreed_on=date(2022, 7, 29),
        today=today,
    )
    assert added == WITHDRAWN
    write(ledger.void, WITHDRAWN, "dicatat dua kali", today=today)

    # 31 October 2022: the Governor of Jatim signs; a signature by the wrong official is
    # voided; a title is corrected; the first activity.
    today = date(2022, 10, 31)
    write(ledger.sign, KSB, "jatim", date(2022, 10, 3), signatory="Khofifah", today=today)
    write(ledger.sign, PKS[0], "kominfo-jatim", date(2022, 10, 5), today=today)
    write(ledger.sign, PKS[1], "dishub-jatim", date(2022, 10, 5), today=today)
    write(ledger.void, PKS[1], "ditandatangani pejabat yang salah", "dishub-jatim", today=today)
    write(
        ledger.amend,
        PKS[2],
        "salah ketik pada judul",
        title="Peningkatan Mutu Pendidikan Vokasi dan Politeknik",
        today=today,
    )
    write(
        ledger.add_activity,
        PKS[0],
        date(2022, 10, 20),
        "Rapat koordinasi pertukaran data",
        "kominfo-jatim",
        today=today,
    )

    # 30 June 2023: a termination, an evaluation, a renewal signed by both sides.
    today = date(2023, 6, 30)
    write(ledger.terminate, PKS[3], date(2023, 1, 10), "Digantikan program nasional", today=today)
    write(
        ledger.evaluate, PKS[0], date(2023, 3, 1), "Pertukaran data berjalan", "extend", today=today
    )
    added = write(ledger.renew, PKS[0], date(2023, 6, 1), years=3, today=today)
    assert added == RENEWAL
    write(ledger.sign, RENEWAL, "kominfo-kaltim", date(2023, 6, 5), today=today)
    write(ledger.sign, RENEWAL, "kominfo-jatim", date(2023, 6, 6), today=today)
    write(ledger.add_activity, RENEWAL, date(2023, 6, 20), "Bimbingan teknis", today=today)

    # 15 March 2024: terms from 29 February and from a month's end, and one with an end date.
    today = date(2024, 3, 15)
    added = write(
        ledger.add_agreement,
        "pks",
        "Pengelolaan Kawasan Pesisir",
        ["disdik-kaltim", "disdik-jatim"],
        parent=KSB,
        agreed_on=date(2023, 8, 1),
        start_on=date(2023, 8, 31),
        years=2,
        today=today,
    )
    assert added == MONTH_END
    added = write(
        ledger.add_agreement,
        "pks",
        "Pertukaran Data Kependudukan",
        ["kominfo-kaltim", "kominfo-jatim"],
        parent=KSB,
        agreed_on=date(2024, 2, 20),
        start_on=date(2024, 2, 29),
        years=1,
        today=today,
    )
    assert added == LEAP_DAY
    added = write(
        ledger.add_agreement,
        "pks",
        "Pengendalian Penyakit Menular",
        ["dinkes-kaltim", "dinkes-jatim"],
        parent=KSB,
        agreed_on=date(2024, 2, 1),
        years=1,
        today=today,
    )
    assert added == LEAP_SIGNED
    added = write(
        ledger.add_agreement,
        "pks",
        "Festival Budaya Nusantara",
        ["dispar-kaltim", "dispar-jatim"],
        parent=KSB,
        agreed_on=date(2024, 3, 1),
        end_on=date(2024, 12, 31),
        today=today,
    )
    assert added == YEAR_END
    for key, first, second, on in (
        (MONTH_END, "disdik-kaltim", "disdik-jatim", (date(2023, 8, 15), date(2023, 8, 16))),
        (LEAP_DAY, "kominfo-kaltim", "kominfo-jatim", (date(2024, 2, 22), date(2024, 2, 26))),
        (LEAP_SIGNED, "dinkes-kaltim", "dinkes-jatim", (date(2024, 2, 10), date(2024, 2, 29))),
        (YEAR_END, "dispar-kaltim", "dispar-jatim", (date(2024, 3, 4), date(2024, 3, 5))),
    ):
        write(ledger.sign, key, first, on[0], today=today)
        write(ledger.sign, key, second, on[1], today=today)
    write(ledger.add_activity, MONTH_END, date(2023, 9, 30), "Survei lokasi", today=today)

    # 10 February 2025: the leap-day PKS renewed, signed so far by Kaltim's side only.
    today = date(2025, 2, 10)
    added = write(ledger.renew, LEAP_DAY, date(2025, 2, 10), years=2, today=today)
    assert added == LEAP_RENEWAL
    write(ledger.sign, LEAP_RENEWAL, "kominfo-kaltim", date(2025, 2, 10), today=today)


def _writer(run: Callable[[Callable[[queries.Sql], Any]], Any]) -> Write:
    """`write` for `tell` over one engine; entries are stamped by a clock of their own (9:00
    UTC on the story's day, a second apart), so both engines record the same entries."""
    written = 0

    def write(operation: Callable[..., Any], *args: Any, today: date, **kw: Any) -> Any:
        nonlocal written
        written += 1
        now = datetime(today.year, today.month, today.day, 9, tzinfo=UTC)
        actor = Actor("siti.rahma", today, now + timedelta(seconds=written))
        result = run(lambda sql: operation(sql, actor, *args, **kw))
        return result.key if isinstance(result, ledger.Added) else result

    return write


class Both:
    """The story's two ledgers, read side by side."""

    def __init__(self, lite: Any, postgres: Any) -> None:
        self.lite, self.postgres = lite, postgres

    def read(self, query: Callable[..., Any], *args: Any, **kw: Any) -> Any:
        """What `query` gives on SQLite, having checked that PostgreSQL gives the same."""
        on_sqlite = _outcome(query, queries.sqlite_sql(self.lite), *args, **kw)
        on_postgres = _outcome(query, queries.psycopg_sql(self.postgres), *args, **kw)
        assert on_postgres == on_sqlite, (query.__name__, args, kw)
        return on_sqlite


def _outcome(query: Callable[..., Any], sql: queries.Sql, *args: Any, **kw: Any) -> Any:
    """A query's result as a value (streams read to the end), or the refusal it raised."""
    try:
        result = query(sql, *args, **kw)
        return list(result) if isinstance(result, Iterator) else result
    except KsError as exc:
        return type(exc).__name__, str(exc), exc.suggestions


def _postgres_url() -> str:
    if URL:
        return URL
    if os.environ.get("CI") == "true":
        pytest.fail("CI=true but KS_POSTGRES_URL is not set: the reads must be tested there")
    pytest.skip("set KS_POSTGRES_URL to test on PostgreSQL")


@pytest.fixture(scope="module")
def engine() -> Iterator[Any]:
    """A fresh schema on the server, made by the migrations, as `ks db init` makes it."""
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    url = make_url(_postgres_url()).set(drivername="postgresql+psycopg")
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
        config = Config()
        config.set_main_option("script_location", "kerjasama_cli:migrations")
        config.attributes["connection"] = conn
        command.upgrade(config, db.SCHEMA_HEAD)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def both(engine: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Both]:
    """The story told to a SQLite ledger and to the PostgreSQL database, opened for reading."""
    import psycopg

    path: Path = tmp_path_factory.mktemp("story") / "story.sqlite"
    tell(_writer(lambda operation: db.write(path, operation)))

    def on_postgres(operation: Callable[[queries.Sql], Any]) -> Any:
        with engine.begin() as conn:
            return operation(queries.sqlalchemy_sql(conn))

    tell(_writer(on_postgres))
    conninfo = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with db.reader(path) as lite, psycopg.connect(conninfo, autocommit=True) as postgres:
        yield Both(lite, postgres)


def _states(sql: queries.Sql, *args: Any) -> list[dict[str, Any]]:
    """`lifecycle.states` in key order (it streams them in no particular order)."""
    return sorted(lifecycle.states(sql, *args), key=lambda row: row["key"])


def test_a_term_of_years_ends_on_the_same_day_on_both_engines_29_february_included(
    engine: Any,
) -> None:
    """Every day of 2023-2025 and every 29 February from 1904 to 2196, for terms of 1 to 100
    years: PostgreSQL's expression gives the day SQLite's date() gives (`dialect.term_end`,
    held to SQLite in test_engines)."""
    from sqlalchemy import text

    expression = dialect.POSTGRESQL.term_end("d.start", "y.years")
    days = (
        "SELECT CAST(g AS date) AS start FROM generate_series("
        "CAST('2023-01-01' AS date), CAST('2025-12-31' AS date), interval '1 day') AS g "
        "UNION SELECT make_date(n, 2, 29) FROM generate_series(1904, 2196, 4) AS n "
        "WHERE n % 100 <> 0 OR n % 400 = 0"
    )
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                f"SELECT d.start, y.years, {expression}, "
                "CAST(d.start + make_interval(years => y.years) - interval '1 day' AS date) "
                f"FROM ({days}) AS d CROSS JOIN (VALUES (1), (2), (3), (4), (5), (10), (100)) "
                "AS y(years)"
            )
        ).all()
    assert len(rows) == (365 * 3 + 1 + 72) * 7  # 2024-02-29 is in both
    assert [r[2] for r in rows] == [dialect.term_end(r[0], r[1]) for r in rows]
    # PostgreSQL's own interval arithmetic is a day short on 29 February: hence the expression.
    leap = [r for r in rows if r[0] == date(2024, 2, 29) and r[1] == 1]
    assert leap == [(date(2024, 2, 29), 1, date(2025, 2, 28), date(2025, 2, 27))]


def test_parties_are_found_listed_and_suggested_alike(both: Both) -> None:
    found = {
        reference: both.read(queries.resolve_party, reference)
        for reference in (
            "kominfo-jatim",
            "KOMINFO-JATIM",
            "Dinas Komunikasi dan Informatika Provinsi Jawa Timur",
            "jatim",
            "Jawa Timur",
            "35",
            "kota samarinda",  # a government never recorded
            "Dinas Sosial (Kota Samarinda)",
            "Dinas Sosial (surabaya)",
            "Dinas Sosial",
            "Dinas Sosial (Kota Malang)",
            "dkp-jatim",
            "ypl",
            "",
        )
    }
    assert found["kominfo-jatim"].name == "Dinas Komunikasi dan Informatika Provinsi Jawa Timur"
    assert found["jatim"].id is not None and found["kota samarinda"].id is None
    assert found["Dinas Sosial (surabaya)"].region_code == "35.78"
    assert found["Dinas Sosial"][0] == "Ambiguous"
    assert found["dkp-jatim"][0] == "NotFound" and found[""][0] == "InvalidInput"
    for reference in ("kominfo", "dinkes-jatm", "jawa", "sosial"):
        assert both.read(queries.suggest_parties, reference)
    everyone = both.read(queries.list_parties)
    # The agencies, two Dinas Sosial, the foundation and three governments (Kota Surabaya's
    # recorded when the originals were handed to it).
    assert len(everyone) == 2 * len(AGENCIES) + 6
    assert everyone[0]["name"] == "Yayasan Pesisir Lestari"  # no region: first on both
    assert both.read(queries.list_parties, province_code=JATIM)
    assert [p["name"] for p in both.read(queries.list_parties, region_code="64.72")] == [
        "Dinas Sosial"
    ]
    assert both.read(queries.list_parties, region_code="35.78", province_code=JATIM)
    assert both.read(queries.list_parties, region_code="35.78", province_code=KALTIM) == []


def test_agreements_their_sides_and_handovers_read_alike(both: Both) -> None:
    keys = [KSB, *PKS, DINSOS, RENEWAL, MONTH_END, LEAP_DAY, LEAP_SIGNED, YEAR_END, LEAP_RENEWAL]
    for key in keys:
        agreement = both.read(queries.find_agreement, key)
        assert agreement.key == key and isinstance(agreement.agreed_on, date)
        assert both.read(queries.sides, agreement.id)
        both.read(queries.handovers, agreement.id)
    ksb = both.read(queries.find_agreement, "ksb-2022-0001")
    assert [s.signed_on for s in both.read(queries.sides, ksb.id)] == [
        date(2022, 7, 28),
        date(2022, 10, 3),
    ]
    assert [h.handed_on for h in both.read(queries.handovers, ksb.id)] == [date(2022, 8, 11)]
    # A voided signature: the side reads unsigned again.
    dishub = both.read(queries.find_agreement, PKS[1])
    assert [s.signed_on for s in both.read(queries.sides, dishub.id)] == [date(2022, 7, 28), None]
    withdrawn = both.read(queries.find_agreement, WITHDRAWN, withdrawn=True)
    assert withdrawn.withdrawal is not None and withdrawn.withdrawal.reason == "dicatat dua kali"
    for typed in (WITHDRAWN, "KSB-2O22-0001", "PKS-2022-7", "PKS-2022-0099", "XYZ"):
        refused = both.read(queries.find_agreement, typed)
        assert refused[0] in ("NotFound", "InvalidInput"), refused
    assert both.read(queries.find_agreement, "KSB-2O22-0001")[2][0] == KSB


def test_pending_is_alike_for_every_filter_and_wait(both: Both) -> None:
    jatim_gov = both.read(queries.resolve_party, "jatim")
    dinsos = both.read(queries.resolve_party, "dinsos-surabaya")
    for as_of in AS_OF:
        for filters in (
            {},
            {"province_code": JATIM},
            {"province_code": KALTIM},
            {"province_code": "31"},  # DKI Jakarta: no parties there
            {"party_id": jatim_gov.id},
            {"party_id": dinsos.id},
            {"kind": "pks"},
            {"kind": "ksb", "province_code": JATIM},
        ):
            for older_than in (None, 0, 20, 30, 400):
                both.read(queries.pending, as_of, older_than=older_than, **filters)
    # The reference story's two lists, as examples/reference-story.sh prints them.
    in_jatim = both.read(queries.pending, date(2022, 9, 10), JATIM)
    waits = [(r["agreement"], r["waiting_since"], r["waiting_days"]) for r in in_jatim]
    assert len(waits) == 9  # the KSB, the seven PKS and the Dinas Sosial's
    assert waits[0] == (KSB, "2022-08-11", 30)
    # Handed to Surabaya's government, which covers its agencies.
    assert waits[-1] == (DINSOS, "2022-08-15", 26)
    assert len(both.read(queries.pending, date(2022, 9, 10), KALTIM)) == 4
    assert both.read(queries.pending, date(2022, 9, 10), older_than=-1)[0] == "InvalidInput"


def _as_in_a_file(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Entries written on PostgreSQL as a ledger file holds them: without the server's role
    (db_user), and so with the chain hashed as it is without one."""
    from kerjasama_cli import events

    kept, previous = [], events.GENESIS_HASH
    for entry in entries:
        previous = events.entry_hash(
            previous,
            entry["seq"],
            entry["recorded_at"],
            entry["recorded_by"],
            entry["action"],
            entry["agreement"],
            events.canonical(entry["values"]),
        )
        kept.append({**entry, "db_user": None, "hash": previous})
    return kept


def test_history_and_status_are_alike_to_the_hash_but_for_the_servers_role(both: Both) -> None:
    lite, server = queries.sqlite_sql(both.lite), queries.psycopg_sql(both.postgres)
    (role,) = next(iter(server("SELECT session_user")))
    for args, kw in (
        ((), {}),
        ((KSB,), {}),
        ((WITHDRAWN,), {}),
        ((), {"since": date(2024, 1, 1)}),
        ((PKS[0],), {"since": date(2023, 1, 1)}),
    ):
        on_file = list(queries.log_entries(lite, *args, **kw))
        on_server = list(queries.log_entries(server, *args, **kw))
        assert on_file and {e["db_user"] for e in on_file} == {None}
        assert {e["db_user"] for e in on_server} == {role}  # every entry, set by the server
        # Hashed with its role: a head kept from the server vouches for who wrote what.
        assert not {e["hash"] for e in on_server} & {e["hash"] for e in on_file}
        if not args and not kw:  # the whole chain: without the roles, the file's hashes
            assert _as_in_a_file(on_server) == on_file
        else:
            assert [{**e, "db_user": None, "hash": None} for e in on_server] == [
                {**e, "hash": None} for e in on_file
            ]
    entries = list(queries.log_entries(lite))
    assert len(entries) > 60 and entries[-1]["seq"] == len(entries)
    assert list(queries.log_entries(lite, WITHDRAWN))[-1]["summary"].startswith("withdrew")
    since = list(queries.log_entries(lite, since=date(2024, 1, 1)))
    assert since and all(e["recorded_at"] >= "2024-01-01" for e in since)
    assert both.read(queries.log_entries, "PKS-2022-0099")[0] == "NotFound"
    status = queries.ledger_status(lite)
    on_server_status = queries.ledger_status(server)
    assert status["entries"] == len(entries) and status["head"] == entries[-1]["hash"]
    assert on_server_status["head"] == list(queries.log_entries(server))[-1]["hash"]
    assert {**on_server_status, "head": None} == {**status, "head": None}
    assert (status["agreements"], status["voided"]) == (15, 2)


def test_states_lists_and_details_are_alike_on_every_day(both: Both) -> None:
    for as_of in AS_OF:
        for province in (None, JATIM, KALTIM):
            rows = both.read(_states, as_of, province)
            both.read(_states, as_of, province, 30)
            assert all(isinstance(r["agreed_on"], str) for r in rows)
            for kind in (None, "pks"):
                for status in (None, "in-force", "expired", "awaiting-signatures"):
                    both.read(lifecycle.list_agreements, as_of, province, kind, status)
            both.read(lifecycle.expiring, as_of, 90, province)
            both.read(lifecycle.ended, as_of, as_of - timedelta(365), province)
            both.read(lifecycle.idle, as_of, 60, province)
            both.read(lifecycle.activities, None, as_of, province)
        for key in (KSB, PKS[0], PKS[1], PKS[3], RENEWAL, LEAP_DAY, LEAP_SIGNED, WITHDRAWN):
            detail = both.read(lifecycle.agreement_detail, key, as_of)
            agreement = both.read(queries.find_agreement, key, withdrawn=True)
            both.read(lifecycle.agreement_state, agreement.id, as_of)
            both.read(lifecycle.activities, agreement.id, as_of)
            both.read(lifecycle.latest_evaluation, agreement.id, as_of)
            assert detail["key"] == key

    def status(key: str, as_of: date) -> str:
        return both.read(lifecycle.agreement_detail, key, as_of)["status"]

    # Each path of the status expression, as both engines compute it.
    assert status(KSB, date(2022, 9, 10)) == "awaiting-signatures"
    assert both.read(lifecycle.agreement_detail, KSB, date(2023, 1, 1))["ends_on"] == "2027-10-02"
    assert status(PKS[0], date(2023, 6, 30)) == "superseded"
    assert status(PKS[3], date(2023, 6, 30)) == "terminated"
    assert status(WITHDRAWN, date(2023, 6, 30)) == "withdrawn"
    assert status(KSB, date(2022, 7, 27)) == "not-yet-agreed"
    # A year from 29 February 2024 ends on 28 February 2025 (PostgreSQL's intervals: the 27th).
    for key in (LEAP_DAY, LEAP_SIGNED):
        assert both.read(lifecycle.agreement_detail, key, date(2024, 3, 15))["ends_on"] == (
            "2025-02-28"
        )
        assert status(key, date(2025, 2, 27)) == "expiring"
        assert status(key, date(2025, 2, 28)) == "expiring"
        assert status(key, date(2025, 3, 1)) == "expired"
    assert both.read(lifecycle.agreement_detail, MONTH_END, date(2024, 3, 15))["ends_on"] == (
        "2025-08-30"
    )
    expiring = both.read(lifecycle.expiring, date(2025, 2, 28), 0)
    assert [(r["key"], r["days_left"]) for r in expiring] == [(LEAP_DAY, 0), (LEAP_SIGNED, 0)]
    ended = both.read(lifecycle.ended, date(2025, 3, 1), date(2024, 12, 1))
    assert [(r["key"], r["renewed"]) for r in ended] == [
        (YEAR_END, False),
        (LEAP_DAY, True),
        (LEAP_SIGNED, False),
    ]
    idle = both.read(lifecycle.idle, date(2025, 1, 15), 60)
    assert {r["key"] for r in idle} >= {KSB, RENEWAL, MONTH_END}
    activities = both.read(lifecycle.activities, None, date(2025, 1, 1))
    assert [a["date"] for a in activities] == ["2022-10-20", "2023-06-20", "2023-09-30"]
    evaluation = both.read(lifecycle.latest_evaluation, 2, date(2023, 6, 30))
    assert evaluation is not None and evaluation["recommendation"] == "extend"


def test_what_ks_check_follows_up_is_alike(both: Both) -> None:
    for as_of in AS_OF:
        for max_wait, within in ((30, 90), (0, 0), (400, 365)):
            both.read(checks.follow_up, as_of, max_wait, within)
    problems = both.read(checks.follow_up, date(2025, 3, 1), 30, 90)
    assert {p["kind"] for p in problems} == {"waiting", "lapsed"}
    assert [p["agreement"] for p in problems if p["kind"] == "lapsed"] == [YEAR_END, LEAP_SIGNED]
