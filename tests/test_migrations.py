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
from sqlalchemy import create_engine
from tests.conftest import ledger_digest

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


def test_migrations_build_exactly_the_models(ledger: Path) -> None:
    _new_ledger(ledger)
    engine = create_engine(f"sqlite:///{ledger}")
    with engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    engine.dispose()
    assert differences == []


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
    conn = sqlite3.connect(ledger)
    with conn:
        conn.execute("UPDATE alembic_version SET version_num = '0999'")
    conn.close()
    before = ledger_digest(ledger)
    with pytest.raises(LedgerError, match="written by a newer version of ks"):
        _new_ledger(ledger)
    with pytest.raises(LedgerError, match="newer version"), db.reader(ledger):
        pass
    assert ledger_digest(ledger) == before


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
