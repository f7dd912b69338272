"""The schema comes from ordered Alembic migrations, and ledgers from elsewhere are refused."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Column, create_engine
from tests.conftest import direct, ledger_digest

from kerjasama_cli import db, ledger
from kerjasama_cli.errors import LedgerError
from kerjasama_cli.models import SQLModel


def _scripts() -> ScriptDirectory:
    config = Config()
    config.set_main_option("script_location", "kerjasama_cli:migrations")
    return ScriptDirectory.from_config(config)


def _new_ledger(path: Path) -> None:
    actor = ledger.Actor("tester", date(2022, 9, 10))
    db.write(
        path,
        lambda sql: ledger.add_agreement(
            sql,
            actor,
            "ksb",
            "Kerja Sama Pembangunan Daerah",
            ["kaltim", "jatim"],
            agreed_on=date(2022, 7, 28),
        ),
    )


def test_the_release_knows_every_revision_in_order() -> None:
    revisions = [r.revision for r in reversed(list(_scripts().walk_revisions()))]
    assert tuple(revisions) == db.SCHEMA_REVISIONS
    assert _scripts().get_current_head() == db.SCHEMA_HEAD


# Alembic cannot compare expression-based indexes on SQLite: the test compares those itself.
@pytest.mark.sqlite_only("the schema as sqlite_master has it")
@pytest.mark.filterwarnings("ignore:.*expression-based index:UserWarning")
@pytest.mark.filterwarnings("ignore:.*expression-based index")
def test_migrations_build_exactly_the_models(ledger: Path) -> None:
    from sqlalchemy.schema import CreateIndex

    _new_ledger(ledger)
    engine = create_engine(f"sqlite:///{ledger}")
    with engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
        built = dict(
            conn.exec_driver_sql(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql LIKE '%(%(%'"
            ).fetchall()
        )
    modelled = {
        index.name: str(CreateIndex(index).compile(dialect=engine.dialect)).strip()
        for table in SQLModel.metadata.tables.values()
        for index in table.indexes
        if any(not isinstance(e, Column) for e in index.expressions)
    }
    engine.dispose()
    assert differences == []
    assert modelled.keys() == built.keys() == {"uq_party_name_key_region"}
    assert [" ".join(modelled[n].split()) for n in modelled] == [
        " ".join(built[n].split()).replace("COALESCE", "coalesce") for n in modelled
    ]


@pytest.mark.sqlite_only("SQLite's pragmas: the application id, WAL")
def test_a_new_ledger_carries_our_identity_and_version(ledger: Path) -> None:
    _new_ledger(ledger)
    conn = sqlite3.connect(ledger)
    try:
        assert conn.execute("PRAGMA application_id").fetchone()[0] == db.APPLICATION_ID
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [
            (db.SCHEMA_HEAD,)
        ]
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    finally:
        conn.close()


def test_a_ledger_from_a_newer_ks_is_refused_before_anything_is_written(ledger: Path) -> None:
    _new_ledger(ledger)
    with direct(ledger) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0999'")
    before = ledger_digest(ledger)
    with pytest.raises(LedgerError, match="written by a newer version of ks"):
        _new_ledger(ledger)
    with pytest.raises(LedgerError, match="newer version"), db.reader(ledger):
        pass
    assert ledger_digest(ledger) == before


@pytest.mark.sqlite_only("files that are not ledgers")
@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"", "is empty"),
        (b"Nomor;Judul\n1;Kerja sama\n", "not a ks ledger"),
        (b"SQLite format 3\x00" + b"\x00" * 50, "not a ks ledger"),
    ],
)
def test_files_that_are_not_ledgers_are_left_untouched(
    ledger: Path, content: bytes, says: str
) -> None:
    ledger.write_bytes(content)
    with pytest.raises(LedgerError, match=says):
        _new_ledger(ledger)
    with pytest.raises(LedgerError, match=says), db.reader(ledger):
        pass
    assert ledger.read_bytes() == content


@pytest.mark.sqlite_only("another program's SQLite file (a database's: test_postgres.py)")
def test_another_programs_sqlite_database_is_refused(ledger: Path) -> None:
    conn = sqlite3.connect(ledger)
    with conn:
        conn.execute("CREATE TABLE contacts (name TEXT)")
    conn.close()
    before = ledger.read_bytes()
    with pytest.raises(LedgerError, match="not a ks ledger"):
        _new_ledger(ledger)
    assert ledger.read_bytes() == before


SNAPSHOT_0001 = Path(__file__).parent / "data" / "story-0001.sqlite"


@pytest.fixture
def old_ledger(tmp_path: Path) -> Path:
    """The reference story as ks 0.1 (schema 0001) wrote it."""
    path = tmp_path / "story-0001.sqlite"
    path.write_bytes(SNAPSHOT_0001.read_bytes())
    return path


def test_an_old_ledger_is_read_only_after_upgrading(old_ledger: Path) -> None:
    before = ledger_digest(old_ledger)
    with (
        pytest.raises(LedgerError, match="has schema 0001 and needs upgrading to"),
        db.reader(old_ledger),
    ):
        pass
    assert ledger_digest(old_ledger) == before


def test_an_old_ledger_upgrades_in_place_and_keeps_its_story(old_ledger: Path) -> None:
    from kerjasama_cli import lifecycle, queries, verify

    db.write(old_ledger, lambda sql: None)
    assert db.revision_of(old_ledger) == db.SCHEMA_HEAD
    report = verify.verify(old_ledger)
    assert report.problems == []
    assert report.entries == 37
    with db.reader(old_ledger) as conn:
        sql = queries.sqlite_sql(conn)
        waiting = list(queries.pending(sql, date(2022, 9, 10), "35"))
        pks = lifecycle.agreement_detail(sql, "PKS-2022-0001", date(2022, 9, 10))
    assert len(waiting) == 8
    assert {(r["waiting_since"], r["waiting_days"]) for r in waiting} == {("2022-08-11", 30)}
    # A number given when signing now stands on the side itself.
    assert pks["parties"][0]["number"] == "555/101/KOMINFO-KT/2022"
    conn = sqlite3.connect(old_ledger)
    try:
        with pytest.raises(sqlite3.DatabaseError, match="entry rows are never updated"):
            conn.execute("UPDATE entry SET recorded_by = 'x'")
    finally:
        conn.close()


SNAPSHOT_0003 = Path(__file__).parent / "data" / "story-0003.sqlite"


@pytest.fixture
def ledger_0003(tmp_path: Path) -> Path:
    """The reference story as schema 0003 wrote it, with Kota Samarinda's Dinas Sosial, a
    third party, a five-year term on the KSB (signed by both), an activity and an evaluation."""
    path = tmp_path / "story-0003.sqlite"
    path.write_bytes(SNAPSHOT_0003.read_bytes())
    return path


def test_a_0003_ledger_upgrades_in_place_to_names_unique_per_region(ledger_0003: Path) -> None:
    from kerjasama_cli import lifecycle, queries, verify
    from kerjasama_cli.errors import Ambiguous

    assert db.revision_of(ledger_0003) == "0003"
    actor = ledger.Actor("tester", date(2023, 1, 31))
    # The first write upgrades, then registers Kota Surabaya's Dinas Sosial beside Samarinda's.
    db.write(ledger_0003, lambda sql: ledger.add_party(sql, actor, "Dinas Sosial", "surabaya"))
    assert db.revision_of(ledger_0003) == db.SCHEMA_HEAD
    report = verify.verify(ledger_0003)
    assert report.problems == []
    assert report.entries == 47
    with db.reader(ledger_0003) as conn:
        sql = queries.sqlite_sql(conn)
        ksb = lifecycle.agreement_detail(sql, "KSB-2022-0001", date(2023, 1, 31))
        waiting = list(queries.pending(sql, date(2022, 10, 1), "35"))
        with pytest.raises(Ambiguous, match="say which"):
            queries.resolve_party(sql, "Dinas Sosial")
        samarinda = queries.resolve_party(sql, "dinsos-samarinda")
        assert queries.resolve_party(sql, "Dinas Sosial (Kota Samarinda)") == samarinda
    assert (ksb["status"], ksb["ends_on"], ksb["evaluation"]["recommendation"]) == (
        "in-force",
        "2027-09-19",
        "continue",
    )
    assert len(waiting) == 7  # the seven PKS: Jatim signed the KSB on 20 September 2022
    conn = sqlite3.connect(ledger_0003)
    try:
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        # The database itself holds the rule: one name per region, one among the region-less.
        insert = (
            "INSERT INTO party (name, name_key, kind, region_code, entry_seq) "
            "VALUES ('x', :key, 'agency', :region, 1)"
        )
        for key, region in (("dinas sosial", "64.72"), ("pt telkom indonesia", None)):
            with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):
                conn.execute(insert, {"key": key, "region": region})
        # The append-only guards survived the copy of the party table.
        with pytest.raises(sqlite3.DatabaseError, match="party rows are never updated"):
            conn.execute("UPDATE party SET name = 'x'")
        with pytest.raises(sqlite3.DatabaseError, match="party rows are never deleted"):
            conn.execute("DELETE FROM party")
        with pytest.raises(sqlite3.DatabaseError, match="entry rows are never updated"):
            conn.execute("UPDATE entry SET recorded_by = 'x'")
    finally:
        conn.close()


def test_a_0003_ledger_is_read_only_until_a_write_upgrades_it(ledger_0003: Path) -> None:
    before = ledger_digest(ledger_0003)
    with (
        pytest.raises(LedgerError, match="has schema 0003 and needs upgrading to 0005"),
        db.reader(ledger_0003),
    ):
        pass
    assert ledger_digest(ledger_0003) == before


def _upgrade_to(path: Path, revision: str) -> None:
    """Run the migrations up to `revision` only, as a release of that schema would have."""
    from alembic import command

    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        config = Config()
        config.set_main_option("script_location", "kerjasama_cli:migrations")
        config.attributes["connection"] = conn
        command.upgrade(config, revision)
    engine.dispose()


def _entries(path: Path) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT * FROM entry ORDER BY seq").fetchall()
    finally:
        conn.close()


def test_a_0004_ledger_gains_db_user_in_place_and_keeps_every_hash(ledger_0003: Path) -> None:
    from kerjasama_cli import queries, verify

    _upgrade_to(ledger_0003, "0004")  # a ledger as schema 0004 left it
    assert db.revision_of(ledger_0003) == "0004"
    before = _entries(ledger_0003)
    actor = ledger.Actor("tester", date(2023, 1, 31))
    db.write(ledger_0003, lambda sql: ledger.add_party(sql, actor, "Dinas Sosial", "surabaya"))

    assert db.revision_of(ledger_0003) == "0005"
    after = _entries(ledger_0003)
    # The column comes last, empty: a file has no users, and the old entries are untouched.
    assert [row[:-1] for row in after[: len(before)]] == before
    assert {row[-1] for row in after} == {None}
    assert verify.verify(ledger_0003).problems == []
    with db.reader(ledger_0003) as conn:
        logged = list(queries.log_entries(queries.sqlite_sql(conn)))
    assert [e["hash"] for e in logged[: len(before)]] == [row[7] for row in before]
    assert {e["db_user"] for e in logged} == {None}
    conn = sqlite3.connect(ledger_0003)
    try:
        # Added in place, not by copying the table: its append-only triggers are still there.
        with pytest.raises(sqlite3.DatabaseError, match="entry rows are never updated"):
            conn.execute("UPDATE entry SET db_user = 'biro'")
        with pytest.raises(sqlite3.DatabaseError, match="entry rows are never deleted"):
            conn.execute("DELETE FROM entry")
    finally:
        conn.close()


def test_the_0005_migration_can_be_undone(ledger_0003: Path) -> None:
    from alembic import command

    db.write(ledger_0003, lambda sql: None)
    engine = create_engine(f"sqlite:///{ledger_0003}")
    with engine.begin() as conn:
        config = Config()
        config.set_main_option("script_location", "kerjasama_cli:migrations")
        config.attributes["connection"] = conn
        command.downgrade(config, "0004")
    engine.dispose()
    assert db.revision_of(ledger_0003) == "0004"
    conn = sqlite3.connect(ledger_0003)
    try:
        columns = [row[1] for row in conn.execute("PRAGMA table_info(entry)")]
        assert "db_user" not in columns and columns[-1] == "hash"
        with pytest.raises(sqlite3.DatabaseError, match="entry rows are never updated"):
            conn.execute("UPDATE entry SET recorded_by = 'x'")
    finally:
        conn.close()
