"""`ks verify` cannot be fooled by the file it checks, and a head hash kept elsewhere is checked.

The story: Kaltim and Jatim agreed a KSB on 28 July 2022 in Samarinda, Kaltim's Governor signed
it that day, and Kaltim handed it to Jatim on 11 August 2022. Someone with write access to the
file then tries to make Kaltim's signature say another date.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from pathlib import Path

import pytest
from tests.conftest import Direct, RunKs, assert_refused, direct, drop_trigger, ledger_digest
from tests.test_ledger import Ledger
from tests.test_migrations import SNAPSHOT_0001

from kerjasama_cli import db, events, verify
from kerjasama_cli import ledger as operations
from kerjasama_cli.location import ServerLedger

APPEND_ONLY_TRIGGERS = [
    f"{table}_no_{event}"
    for table in ("entry", "signature", "handover", "void", "party", "party_alias")
    for event in ("update", "delete")
] + ["agreement_no_delete"]


@pytest.fixture
def book(ledger: Path) -> Ledger:
    """The KSB between Kaltim and Jatim, signed by Kaltim's Governor, handed to Jatim."""
    book = Ledger(ledger)
    book.write(
        operations.add_agreement,
        "ksb",
        "Kerja Sama Pembangunan Daerah",
        ["kaltim", "jatim"],
        agreed_on=date(2022, 7, 28),
        place="Samarinda",
    )
    book.write(operations.sign, "KSB-2022-0001", "kaltim", date(2022, 7, 28), "Samarinda")
    book.write(operations.handover, ["KSB-2022-0001"], "jatim", date(2022, 8, 11), "Surabaya")
    return book


def tamper(path: Path, *statements: str) -> None:
    with direct(path) as conn:
        for statement in statements:
            conn.execute(statement)


BACKDATE_KALTIM = (
    "DROP TRIGGER signature_no_update",
    "UPDATE signature SET signed_on = '2022-07-01'",
    # So that a replay into the file's own schema makes the same change again.
    "CREATE TRIGGER signature_backdated AFTER INSERT ON signature BEGIN "
    "UPDATE signature SET signed_on = '2022-07-01' WHERE id = NEW.id; END",
)


@pytest.mark.sqlite_only("a trigger written in SQLite's SQL")
def test_a_backdated_signature_replayed_by_its_own_trigger_is_caught(
    book: Ledger, run_ks: RunKs
) -> None:
    tamper(book.path, *BACKDATE_KALTIM)
    shown = run_ks("show", "KSB-2022-0001")
    assert "signed 1 July 2022" in shown.stdout  # the forgery is visible

    problems = verify.verify(book.path).problems
    assert "schema: trigger signature_no_update is missing" in problems
    assert (
        "schema: trigger signature_backdated on signature is not part of this release's schema"
        in problems
    )
    # Replayed into this release's schema, the entries say 28 July: the row is named.
    assert any(p.startswith("replay: signature row [1,") and "2022-07-01" in p for p in problems), (
        problems
    )

    result = run_ks("verify")
    assert result.returncode == 1
    assert "schema: trigger signature_no_update is missing" in result.stdout
    checked = run_ks("check", "--full", "--as-of", "2022-09-10", "--format", "json")
    assert checked.returncode == 1
    messages = [p["message"] for p in json.loads(checked.stdout)["problems"]]
    assert "ledger: schema: trigger signature_no_update is missing" in messages
    assert any(m.startswith("ledger: replay: signature row") for m in messages)


def test_dropping_every_append_only_trigger_is_caught(book: Ledger, run_ks: RunKs) -> None:
    tamper(
        book.path,
        *(drop_trigger(name, name.rsplit("_no_")[0], book.path) for name in APPEND_ONLY_TRIGGERS),
    )
    problems = verify.verify(book.path).problems
    assert sorted(problems) == sorted(
        f"schema: trigger {name} is missing" for name in APPEND_ONLY_TRIGGERS
    )
    # The quick check of `ks check` (no replay) compares the schema too.
    quick = run_ks("check", "--as-of", "2022-09-10", "--format", "json")
    assert quick.returncode == 1
    assert "ledger: schema: trigger handover_no_delete is missing" in quick.stdout


def test_an_extra_index_or_view_is_caught(book: Ledger) -> None:
    tamper(
        book.path,
        "CREATE INDEX ix_signature_signed_on ON signature (signed_on)",
        "CREATE VIEW kaltim_signatures AS SELECT * FROM signature WHERE party_id = 1",
    )
    assert verify.verify(book.path).problems == [
        "schema: index ix_signature_signed_on on signature is not part of this release's schema",
        "schema: view kaltim_signatures is not part of this release's schema",
    ]


@pytest.mark.sqlite_only("a trigger written in SQLite's SQL")
def test_an_altered_trigger_or_table_is_caught(book: Ledger) -> None:
    tamper(
        book.path,
        "DROP TRIGGER handover_no_delete",
        # Same name, but it lets Kaltim's handover to Jatim be deleted.
        "CREATE TRIGGER handover_no_delete BEFORE DELETE ON handover WHEN 0 BEGIN "
        "SELECT RAISE(ABORT, 'ks: handover rows are never deleted'); END",
        "ALTER TABLE agreement ADD COLUMN secret VARCHAR",
    )
    problems = verify.verify(book.path).problems
    assert "schema: trigger handover_no_delete on handover is altered" in problems
    assert (
        "schema: table agreement has a column secret that is not part of this release's schema"
        in problems
    )


def _rewrite_history(path: Path, signed_on: str) -> None:
    """The full rewrite: the entry itself changed, every hash after it recomputed, the triggers
    put back exactly as they were (on PostgreSQL, the owner's session fires none). Only a head
    hash kept elsewhere can tell."""
    if isinstance(path, ServerLedger):
        with direct(path) as conn:
            conn.execute("SET session_replication_role = replica")
            _rewrite(conn, signed_on)
        return
    conn = sqlite3.connect(path)
    try:
        triggers = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
        triggers = triggers.fetchall()
        with conn:
            for name, _ in triggers:
                conn.execute(f"DROP TRIGGER {name}")
            _rewrite(Direct(conn, server=False), signed_on)
            for _, sql in triggers:
                conn.execute(sql)
    finally:
        conn.close()


def _rewrite(conn: Direct, signed_on: str) -> None:
    """The signature's entry and row changed, and every hash from there on recomputed."""
    (seq, payload) = conn.execute(
        "SELECT seq, payload FROM entry WHERE action = 'signature.add'"
    ).fetchone()
    changed = {**json.loads(payload), "date": signed_on}
    conn.execute("UPDATE entry SET payload = ? WHERE seq = ?", (events.canonical(changed), seq))
    conn.execute("UPDATE signature SET signed_on = ?", (signed_on,))
    previous = events.GENESIS_HASH
    rows = conn.execute(
        "SELECT seq, recorded_at, recorded_by, action, agreement_key, payload, db_user "
        "FROM entry ORDER BY seq"
    ).fetchall()
    for seq, at, by, action, key, payload, db_user in rows:  # the role too, where it is hashed
        digest = events.entry_hash(previous, seq, at, by, action, key, payload, db_user)
        conn.execute(
            "UPDATE entry SET prev_hash = ?, hash = ? WHERE seq = ?",
            (previous, digest, seq),
        )
        previous = digest


def test_a_full_rewrite_is_caught_by_a_head_kept_from_before(
    book: Ledger, run_ks: RunKs, tmp_path: Path
) -> None:
    kept = run_ks("db", "head").stdout.strip()
    _rewrite_history(book.path, "2022-07-01")
    assert verify.verify(book.path).ok  # on its own, the rewrite is consistent
    assert run_ks("db", "head").stdout.strip() != kept

    result = run_ks("verify", "--head", kept)
    assert result.returncode == 1
    assert f"head: no entry of the chain carries the kept head {kept}" in result.stdout

    # A file of heads kept over time, as cron appends them; comments and report lines allowed.
    heads = tmp_path / "ks-heads.txt"
    heads.write_text(
        "# heads of the Biro Pemerintahan's ledger\n"
        "\n"
        f"{kept}\n"
        f"Ledger: 5 entries, head hash {kept.upper()}. Generated by ks.\n",
        encoding="utf-8",
    )
    as_json = run_ks("verify", "--heads", str(heads), "--format", "json")
    assert as_json.returncode == 1
    report = json.loads(as_json.stdout)
    assert report["heads_checked"] == [kept]
    [problem] = report["problems"]  # the file names it twice: one problem
    assert problem.startswith(f"head: no entry of the chain carries the kept head {kept}: ")


def test_heads_kept_from_before_a_later_write_are_found(book: Ledger, run_ks: RunKs) -> None:
    first = run_ks("db", "head").stdout.strip()
    book.write(operations.sign, "KSB-2022-0001", "jatim", date(2022, 8, 15), "Surabaya")
    second = run_ks("db", "head").stdout.strip()
    result = run_ks("verify", "--head", first, "--head", second, "--format", "json")
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert (report["ok"], report["head"], report["heads_checked"]) == (
        True,
        second,
        [first, second],
    )
    assert set(report) >= {"ok", "path", "schema", "entries", "head", "problems"}


@pytest.mark.parametrize(
    "given",
    [
        pytest.param("abc123", id="too short"),
        pytest.param("g" * 64, id="not hexadecimal"),
        pytest.param("a" * 63, id="63 digits"),
        pytest.param("a" * 65, id="65 digits"),
        pytest.param("head " + "a" * 64, id="text around it"),
    ],
)
def test_a_malformed_head_is_refused(book: Ledger, run_ks: RunKs, given: str) -> None:
    before = ledger_digest(book.path)
    assert_refused(run_ks("verify", "--head", given), "is not a head hash", "64")
    assert ledger_digest(book.path) == before


def test_a_heads_file_that_cannot_be_used_is_refused(
    book: Ledger, run_ks: RunKs, tmp_path: Path
) -> None:
    heads = tmp_path / "heads.txt"
    heads.write_text("# kept\nnot a hash\n", encoding="utf-8")
    assert_refused(run_ks("verify", "--heads", str(heads)), "line 2", "no head hash")
    assert_refused(run_ks("verify", "--heads", str(tmp_path / "missing.txt")), "cannot read")


def test_a_ledger_from_ks_0_1_verifies_clean_once_upgraded_and_is_guarded(tmp_path: Path) -> None:
    old = tmp_path / "story-0001.sqlite"
    old.write_bytes(SNAPSHOT_0001.read_bytes())
    db.write(old, lambda sql: None)  # the upgrade through Alembic's batch mode
    assert verify.verify(old).problems == []
    tamper(old, "DROP TRIGGER signature_no_update")
    assert verify.verify(old).problems == ["schema: trigger signature_no_update is missing"]


def test_the_packaged_schema_is_what_the_migrations_build(tmp_path: Path) -> None:
    fresh = tmp_path / "fresh.sqlite"
    db.write(fresh, lambda sql: None)
    conn = sqlite3.connect(fresh)
    try:
        built = verify.schema_objects(conn)
    finally:
        conn.close()
    assert verify.expected_schema_objects() == built


def test_db_head_is_the_head_db_status_shows(book: Ledger, run_ks: RunKs) -> None:
    head = run_ks("db", "head")
    assert head.returncode == 0
    status = json.loads(run_ks("db", "status", "--format", "json").stdout)
    assert head.stdout == f"{status['head']}\n"
    assert verify.verify(book.path).head == status["head"]


def test_db_head_of_a_ledger_without_entries_is_the_genesis_hash(
    ledger: Path, run_ks: RunKs
) -> None:
    db.write(ledger, lambda sql: None)
    assert run_ks("db", "head").stdout == f"{events.GENESIS_HASH}\n"
    assert run_ks("verify", "--head", events.GENESIS_HASH).returncode == 0


@pytest.mark.sqlite_only("no ledger file yet (a database is made by ks db init)")
def test_db_head_without_a_ledger_is_refused(ledger: Path, run_ks: RunKs) -> None:
    assert_refused(run_ks("db", "head"), "no ledger", code=1)


@pytest.mark.sqlite_only("SQLite's migrations (an older schema on PostgreSQL: test_postgres.py)")
@pytest.mark.parametrize("created_at", ["0001", "0002"])
def test_a_ledger_created_at_an_older_schema_verifies_clean_once_upgraded(
    ledger: Path, created_at: str
) -> None:
    from alembic import command
    from alembic.config import Config

    book = Ledger(ledger)
    engine = db._engine(book.path)
    try:
        with engine.connect() as conn, conn.begin():
            config = Config()
            config.set_main_option("script_location", "kerjasama_cli:migrations")
            config.attributes["connection"] = conn
            command.upgrade(config, created_at)
            conn.exec_driver_sql(f"PRAGMA application_id = {db.APPLICATION_ID}")
    finally:
        engine.dispose()
    assert db.revision_of(book.path) == created_at
    book.write(
        operations.add_agreement,
        "ksb",
        "Kerja Sama Pembangunan Daerah",
        ["kaltim", "jatim"],
        agreed_on=date(2022, 7, 28),
    )
    assert db.revision_of(book.path) == db.SCHEMA_HEAD
    assert verify.verify(book.path).problems == []


def test_a_schema_file_of_another_revision_is_not_trusted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stale = tmp_path / "schema.sql"
    stale.write_text(
        verify.SCHEMA_FILE_HEADER.format(revision="0002") + "\n\nCREATE TABLE entry (seq);\n",
        encoding="utf-8",
    )
    expected = verify.expected_schema_objects()
    monkeypatch.setattr(verify, "SCHEMA_FILE", stale)
    assert verify.expected_schema_objects() == expected  # rebuilt from the migrations
