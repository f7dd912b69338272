"""`ks verify`, `ks check`, `ks report`, `ks db backup` and `ks db copy` on a PostgreSQL ledger.

The reference story (Kaltim and Jatim's KSB and its seven PKS, handed over in Surabaya on
11 August 2022) is told once into a database through `ks`, as staff would; each forgery is
then made on a copy of that database (CREATE DATABASE ... TEMPLATE), as someone who owns
the database could: an entry rewritten with the triggers disabled for a moment, a trigger
dropped, one added, Kaltim's signature backdated in the signature table, the whole history
rewritten with every hash recomputed. The story's file ledger (`story_ledger`) is copied
into databases and back with `ks db copy`, and every read must answer as on the file.

Needs KS_POSTGRES_URL, as tests/test_postgres.py (whose fixtures these are); skipped
without it, failed without it under CI.
"""

from __future__ import annotations

import io
import json
import os
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from openpyxl import load_workbook
from tests import test_postgres as pg
from tests.conftest import STORY, RunKs, assert_refused, ks_executable, ledger_digest
from tests.test_postgres import _admin, _admin_in, _database, _on, _rows, _tables

from kerjasama_cli import backup, db, events, postgres_schema, verify
from kerjasama_cli.errors import LedgerError
from kerjasama_cli.location import ServerLedger
from kerjasama_cli.queries import psycopg_sql

# The fixtures of tests/test_postgres.py (a server, a fresh ks db init per test), found here
# by their names.
server, ledger_template, empty_database, pg_ledger = (
    pg.server,
    pg.ledger_template,
    pg.empty_database,
    pg.pg_ledger,
)
KSB = "KSB-2022-0001"
READS = (
    ("list", "--as-of", "2022-09-10", "--format", "json"),
    ("pending", "--as-of", "2022-09-10", "--format", "json"),
    ("show", KSB, "--format", "json"),
    ("log", "--format", "json"),
    ("report", "--as-of", "2022-09-10", "--since", "2022-08-01", "--format", "json"),
)


def _name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


@pytest.fixture(scope="module")
def told(server: str, ledger_template: str) -> Iterator[str]:
    """A database in which the reference story was told through `ks`, as on a file."""
    with _database(server, template=ledger_template) as url:
        env = {**os.environ, "KS_DB": url, "KS_BY": "tester", "KS": " ".join(ks_executable())}
        env.pop("KS_DEBUG", None)
        done = subprocess.run(
            ["bash", str(STORY)], capture_output=True, text=True, env=env, timeout=600
        )
        assert done.returncode == 0, done.stderr
        yield url


@pytest.fixture
def forged(server: str, told: str) -> Iterator[str]:
    """A copy of the told story, for a test to forge."""
    with _database(server, template=_name(told)) as url:
        yield url


@pytest.fixture
def copied(server: str, story_ledger: Path) -> Iterator[str]:
    """An empty database into which `ks db copy` copied the story's file ledger."""
    with _database(server) as url:
        done = subprocess.run(
            [*ks_executable(), "db", "copy", str(story_ledger), url],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
        yield url


def _verify(run_ks: RunKs, url: str, *args: str) -> tuple[int, dict[str, Any]]:
    done = _on(run_ks, url)("verify", "--format", "json", *args)
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, json.loads(done.stdout)


# --- what ks db init builds, described -----------------------------------------------------


def test_the_snapshot_is_what_db_init_builds(pg_ledger: str) -> None:
    import psycopg

    with psycopg.connect(ServerLedger(pg_ledger).conninfo) as conn:
        built = postgres_schema.snapshot_text(psycopg_sql(conn))
    # If this fails after a migration: .venv/bin/python scripts/postgres_schema.py
    assert postgres_schema.SNAPSHOT_FILE.read_text(encoding="utf-8") == built
    expected = postgres_schema.expected()
    assert expected is not None
    kinds = {kind for kind, _name in expected}
    assert {"table", "index", "trigger", "function", "sequence"} <= kinds
    assert ("trigger", "signature.signature_no_update") in expected
    assert ("table", "entry") in expected and ("function", "ks_refuse_change()") in expected


def test_a_snapshot_of_another_schema_revision_is_not_compared(
    pg_ledger: str, run_ks: RunKs, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    old = tmp_path / "schema-postgresql.json"
    snapshot = json.loads(postgres_schema.SNAPSHOT_FILE.read_text(encoding="utf-8"))
    old.write_text(json.dumps({**snapshot, "revision": "0003"}), encoding="utf-8")
    monkeypatch.setattr(postgres_schema, "SNAPSHOT_FILE", old)
    report = verify.verify(ServerLedger(pg_ledger))
    assert report.problems == [
        f"schema: this release has no description of schema {db.SCHEMA_HEAD} on PostgreSQL "
        "to compare with (a faulty release)"
    ]


def test_a_ledger_in_a_schema_of_its_own_verifies(empty_database: str, run_ks: RunKs) -> None:
    _admin_in(empty_database, "CREATE SCHEMA biro_pemerintahan")
    url = f"{empty_database}&options=-csearch_path%3Dbiro_pemerintahan"
    ks = _on(run_ks, url)
    assert ks("db", "init").returncode == 0
    assert (
        ks("party", "add", "Dinas Kominfo Provinsi Jawa Timur", "--region", "jatim").returncode == 0
    )
    assert _rows(empty_database, "SELECT count(*) FROM biro_pemerintahan.entry") == [(1,)]
    code, report = _verify(run_ks, url)
    assert (code, report["problems"], report["entries"]) == (0, [], 1)


# --- ks verify ---------------------------------------------------------------------------------


def test_the_story_told_on_postgresql_verifies(
    told: str, story_ledger: Path, run_ks: RunKs
) -> None:
    started = time.monotonic()
    code, report = _verify(run_ks, told)
    seconds = time.monotonic() - started
    assert (code, report["ok"], report["problems"]) == (0, True, [])
    assert (report["schema"], report["entries"]) == (db.SCHEMA_HEAD, 37)
    assert report["path"] == str(ServerLedger(told))
    head = _on(run_ks, told)("db", "head").stdout.strip()
    assert report["head"] == head
    code, kept = _verify(run_ks, told, "--head", head)
    assert (code, kept["heads_checked"], kept["problems"]) == (0, [head], [])
    text = _on(run_ks, told)("verify")
    assert text.returncode == 0 and text.stdout.startswith(f"{ServerLedger(told)}: ok; schema")
    on_file = time.monotonic()
    assert run_ks("--db", str(story_ledger), "verify").returncode == 0
    print(
        f"ks verify of the story: {seconds:.2f} s on PostgreSQL, "
        f"{time.monotonic() - on_file:.2f} s on a file"
    )


def _backdated_entry(url: str) -> str:
    """Kaltim's signature entry with its date changed to 1 July 2022, and its seq."""
    ((seq, payload),) = _rows(
        url, "SELECT seq, payload FROM entry WHERE action = 'signature.add' ORDER BY seq LIMIT 1"
    )
    changed = events.canonical({**json.loads(payload), "date": "2022-07-01"})
    return f"UPDATE entry SET payload = '{changed}' WHERE seq = {seq}"


# Each forgery: statements the database's owner runs, and lines verify must print for it.
FORGERIES = {
    "entry-rewritten-with-the-triggers-off": (
        [
            "ALTER TABLE entry DISABLE TRIGGER ALL",
            "UPDATE entry SET recorded_by = 'penyusup' WHERE seq = 17",
            "ALTER TABLE entry ENABLE TRIGGER ALL",
        ],
        ["chain: entry 17 was changed after it was recorded"],
    ),
    "trigger-dropped": (
        ["DROP TRIGGER signature_no_update ON signature"],
        ["schema: trigger signature_no_update is missing"],
    ),
    "trigger-added": (
        [
            "CREATE FUNCTION backdate() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN NEW.signed_on := '2022-07-01'; RETURN NEW; END $$",
            "CREATE TRIGGER signature_backdated BEFORE INSERT ON signature "
            "FOR EACH ROW EXECUTE FUNCTION backdate()",
        ],
        [
            "schema: trigger signature_backdated on signature is not part of this release's schema",
            "schema: function backdate() is not part of this release's schema",
        ],
    ),
    "triggers-left-disabled": (
        ["ALTER TABLE handover DISABLE TRIGGER ALL"],
        [
            "schema: trigger handover_no_delete on handover is disabled",
            "schema: trigger handover_no_update on handover is disabled",
            "schema: the foreign keys of table handover are not enforced (its constraint "
            "triggers are disabled)",
        ],
    ),
    "column-retyped-and-a-policy": (
        [
            "ALTER TABLE entry ALTER COLUMN payload TYPE text",
            "ALTER TABLE signature ENABLE ROW LEVEL SECURITY",
            "CREATE POLICY only_kaltim ON signature USING (party_id = 1)",
        ],
        [
            "schema: table entry's column payload is altered (text NOT NULL; this release: "
            "character varying NOT NULL)",
            "schema: table signature's options are altered (row level security; this "
            "release: none)",
            "schema: policy only_kaltim on signature is not part of this release's schema",
        ],
    ),
}


@pytest.mark.parametrize("forgery", FORGERIES, ids=list(FORGERIES))
def test_a_forgery_by_the_databases_owner_is_caught(
    forged: str, run_ks: RunKs, forgery: str
) -> None:
    statements, said = FORGERIES[forgery]
    for statement in statements:
        _admin_in(forged, statement)
    code, report = _verify(run_ks, forged)
    assert code == 1 and not report["ok"]
    assert report["problems"] == said
    # The quick check of `ks check` sees them too: it replays nothing.
    check = _on(run_ks, forged)("check", "--as-of", "2022-09-10", "--format", "json")
    assert check.returncode == 1
    found = [p["message"] for p in json.loads(check.stdout)["problems"] if p["kind"] == "ledger"]
    assert found == [f"ledger: {line}" for line in said]


def test_a_signature_backdated_in_its_table_is_caught_by_the_replay(
    forged: str, run_ks: RunKs
) -> None:
    _admin_in(forged, "ALTER TABLE signature DISABLE TRIGGER ALL")
    _admin_in(forged, "UPDATE signature SET signed_on = '2022-07-01' WHERE id = 1")
    _admin_in(forged, "ALTER TABLE signature ENABLE TRIGGER ALL")
    shown = json.loads(_on(run_ks, forged)("show", KSB, "--format", "json").stdout)
    assert "2022-07-01" in json.dumps(shown)  # the forgery is what users see

    code, report = _verify(run_ks, forged)
    assert code == 1
    (unexplained, missing) = report["problems"]
    assert unexplained.startswith("replay: signature row [1,") and '"2022-07-01"' in unexplained
    assert unexplained.endswith("is not explained by any entry")
    assert missing.startswith("replay: signature row [1,") and '"2022-07-28"' in missing
    assert missing.endswith("is missing, though the entries record it")
    # Without the replay (ks check without --full) the tables are not compared.
    assert _on(run_ks, forged)("check", "--as-of", "2022-07-29").returncode == 0
    assert _on(run_ks, forged)("check", "--as-of", "2022-07-29", "--full").returncode == 1


def test_a_full_rewrite_is_caught_by_a_head_kept_from_before(
    forged: str, run_ks: RunKs, tmp_path: Path
) -> None:
    import psycopg

    kept = _on(run_ks, forged)("db", "head").stdout.strip()
    heads = tmp_path / "ks-heads.txt"
    heads.write_text(f"# kept by the Biro, 10 September 2022\n{kept}\n", encoding="utf-8")
    with psycopg.connect(ServerLedger(forged).conninfo) as conn:
        for table in ("entry", "signature"):
            conn.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        conn.execute(_backdated_entry(forged))
        conn.execute("UPDATE signature SET signed_on = '2022-07-01' WHERE id = 1")
        previous = events.GENESIS_HASH
        rows = conn.execute(
            f"SELECT {', '.join(verify.entry_columns())} FROM entry ORDER BY seq"
        ).fetchall()
        for seq, at, by, action, key, payload, _prev, _hash, *later in rows:
            digest = events.entry_hash(previous, seq, at, by, action, key, payload, *later)
            conn.execute(
                "UPDATE entry SET prev_hash = %s, hash = %s WHERE seq = %s", (previous, digest, seq)
            )
            previous = digest
        for table in ("entry", "signature"):
            conn.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
    code, report = _verify(run_ks, forged)
    assert (code, report["problems"]) == (0, [])  # consistent in itself
    assert report["head"] != kept
    said = verify._head_problem(kept)
    for option in (("--head", kept), ("--heads", str(heads))):
        code, report = _verify(run_ks, forged, *option)
        assert (code, report["problems"]) == (1, [said])


def test_amcheck_where_it_is_installed(forged: str, run_ks: RunKs) -> None:
    try:
        _admin_in(forged, "CREATE EXTENSION amcheck")
    except Exception as exc:  # the server's contrib modules are not installed
        pytest.skip(f"no amcheck here: {exc}")
    code, report = _verify(run_ks, forged)
    assert (code, report["problems"]) == (0, [])  # amcheck's functions are not the ledger's
    # An index on a function that lies about being immutable: its entries no longer match
    # the rows, which only amcheck (bt_index_check with heapallindexed) can see.
    _admin_in(
        forged, "CREATE FUNCTION kunci(x int) RETURNS int IMMUTABLE LANGUAGE sql AS 'SELECT x'"
    )
    _admin_in(forged, "CREATE INDEX ix_signature_kunci ON signature (kunci(id))")
    _admin_in(
        forged,
        "CREATE OR REPLACE FUNCTION kunci(x int) RETURNS int IMMUTABLE LANGUAGE sql AS 'SELECT -x'",
    )
    code, report = _verify(run_ks, forged)
    assert code == 1
    assert report["problems"][:2] == [
        "schema: index ix_signature_kunci on signature is not part of this release's schema",
        "schema: function kunci(x integer) is not part of this release's schema",
    ]
    (found,) = report["problems"][2:]
    assert found.startswith("integrity: index ix_signature_kunci: ") and "lacks matching" in found


def test_verify_by_a_role_that_may_only_read(forged: str, run_ks: RunKs) -> None:
    from uuid import uuid4

    role = f"pembaca_{uuid4().hex[:8]}"
    try:
        _admin(forged, f'CREATE ROLE "{role}" LOGIN')
    except Exception as exc:
        pytest.skip(f"cannot create a role here: {exc}")
    try:
        _admin_in(forged, f'GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{role}"')
        _admin_in(forged, "CREATE EXTENSION IF NOT EXISTS amcheck")  # not theirs to run
        parts = urlsplit(forged)
        reader = parts._replace(netloc=f"{role}@{parts.netloc.split('@')[-1]}").geturl()
        code, report = _verify(run_ks, reader)
        assert (code, report["problems"], report["entries"]) == (0, [], 37)
    finally:
        _admin_in(forged, f'DROP OWNED BY "{role}"')
        _admin(forged, f'DROP ROLE "{role}"')


# --- ks check and ks report ----------------------------------------------------------------


@pytest.mark.parametrize("full", [(), ("--full",)], ids=["quick", "full"])
def test_check_on_postgresql_is_check_on_the_file(
    told: str, story_ledger: Path, run_ks: RunKs, full: tuple[str, ...]
) -> None:
    args = ("check", "--as-of", "2022-12-01", "--max-wait", "60", "--format", "json", *full)
    on_server = _on(run_ks, told)(*args)
    on_file = run_ks("--db", str(story_ledger), *args)
    assert on_server.returncode == on_file.returncode == 1  # the PKS have waited too long
    assert json.loads(on_server.stdout) == json.loads(on_file.stdout)
    assert {p["kind"] for p in json.loads(on_server.stdout)["problems"]} == {"waiting"}


@pytest.mark.parametrize("fmt", ["json", "csv", "md", "html"])
def test_the_report_of_a_copied_ledger_is_the_files_byte_for_byte(
    copied: str, story_ledger: Path, run_ks: RunKs, fmt: str
) -> None:
    args = ("report", "--as-of", "2022-09-10", "--since", "2022-08-01", "--format", fmt)
    on_server = _on(run_ks, copied)(*args)
    assert on_server.returncode == 0, on_server.stderr
    assert on_server.stdout == run_ks("--db", str(story_ledger), *args).stdout


@pytest.mark.parametrize("fmt", ["json", "csv", "md"])
def test_the_story_told_on_postgresql_reports_as_on_a_file_but_for_its_head(
    told: str, story_ledger: Path, run_ks: RunKs, fmt: str
) -> None:
    args = ("report", "--as-of", "2022-09-10", "--since", "2022-08-01", "--format", fmt)
    on_server = _on(run_ks, told)(*args).stdout
    on_file = run_ks("--db", str(story_ledger), *args).stdout
    # Told again, the entries were recorded at other moments: only the head hash differs.
    server_head = _on(run_ks, told)("db", "head").stdout.strip()
    file_head = run_ks("--db", str(story_ledger), "db", "head").stdout.strip()
    assert server_head != file_head and server_head in on_server
    assert on_server.replace(server_head, file_head) == on_file


def _cells(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    book = load_workbook(io.BytesIO(path.read_bytes()))
    return {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in book.worksheets}


def test_the_xlsx_report_and_its_register_on_postgresql(
    copied: str, story_ledger: Path, run_ks: RunKs, tmp_path: Path
) -> None:
    on_server, on_file = tmp_path / "laporan-pg.xlsx", tmp_path / "laporan-berkas.xlsx"
    for url, out in ((copied, on_server), (str(story_ledger), on_file)):
        done = run_ks("--db", url, "report", "--as-of", "2022-09-10", "--out", str(out))
        assert done.returncode == 0, done.stderr
    cells = _cells(on_server)
    assert cells == _cells(on_file)
    # The register: the KSB agreed in Samarinda on 28 July 2022, its dates as date cells.
    (ksb,) = [row for row in cells["Daftar kerja sama"] if row[1] == KSB]
    assert ksb[5] == datetime(2022, 7, 28) and ksb[6] == "Samarinda"


# --- ks db backup ----------------------------------------------------------------------------


def test_db_backup_of_a_database_is_a_verified_ledger_file(
    told: str, run_ks: RunKs, tmp_path: Path
) -> None:
    archive = tmp_path / "arsip-2022-09-10.sqlite"
    done = _on(run_ks, told)("db", "backup", str(archive))
    assert done.returncode == 0, done.stderr
    head = _on(run_ks, told)("db", "head").stdout.strip()
    assert done.stdout == f"{archive}: verified copy of 37 entries, head {head}\n"
    assert verify.verify(archive).ok and db.revision_of(archive) == db.SCHEMA_HEAD
    for read in READS:
        assert run_ks("--db", str(archive), *read).stdout == _on(run_ks, told)(*read).stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == [archive.name]
    again = _on(run_ks, told)("db", "backup", str(archive))
    assert_refused(again, "already exists", "--force", code=2)
    assert _on(run_ks, told)("db", "backup", "--force", str(archive)).returncode == 0


def test_db_backup_of_a_database_that_does_not_verify_writes_nothing(
    forged: str, run_ks: RunKs, tmp_path: Path
) -> None:
    _admin_in(forged, "ALTER TABLE signature DISABLE TRIGGER ALL")
    _admin_in(forged, "UPDATE signature SET signed_on = '2022-07-01' WHERE id = 1")
    _admin_in(forged, "ALTER TABLE signature ENABLE TRIGGER ALL")
    previous = tmp_path / "arsip.sqlite"
    previous.write_bytes(b"the archive of last week")
    done = _on(run_ks, forged)("db", "backup", "--force", str(previous))
    assert_refused(done, "does not verify, so nothing was copied", "replay: signature row", code=1)
    assert previous.read_bytes() == b"the archive of last week"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["arsip.sqlite"]


# --- ks db copy ------------------------------------------------------------------------------


def _reads(run_ks: RunKs, where: str) -> list[Any]:
    found = []
    for read in READS:
        done = run_ks("--db", where, *read)
        assert done.returncode == 0, done.stderr
        found.append(json.loads(done.stdout))
    return found


def test_db_copy_moves_a_file_into_an_empty_database_and_back(
    story_ledger: Path,
    empty_database: str,
    run_ks: RunKs,
    tmp_path: Path,
) -> None:
    head = run_ks("--db", str(story_ledger), "db", "head").stdout.strip()
    started = time.monotonic()
    into = run_ks("db", "copy", str(story_ledger), empty_database)
    seconds = time.monotonic() - started
    assert into.returncode == 0, into.stderr
    assert into.stdout == f"{head}\n"
    assert into.stderr == (
        f"copied 37 entries from {story_ledger} to {ServerLedger(empty_database)}, verified\n"
    )
    assert _rows(empty_database, "SELECT version_num FROM alembic_version") == [(db.SCHEMA_HEAD,)]
    assert _reads(run_ks, empty_database) == _reads(run_ks, str(story_ledger))
    file_entries = (
        sqlite3.connect(story_ledger)
        .execute(f"SELECT {verify.ENTRY_COLUMNS} FROM entry ORDER BY seq")
        .fetchall()
    )
    assert _rows(empty_database, f"SELECT {verify.ENTRY_COLUMNS} FROM entry ORDER BY seq") == (
        file_entries
    )

    back = tmp_path / "kembali.sqlite"
    out = run_ks("db", "copy", empty_database, str(back))
    assert (out.returncode, out.stdout) == (0, f"{head}\n"), out.stderr
    assert verify.verify(back).ok
    assert _reads(run_ks, str(back)) == _reads(run_ks, str(story_ledger))
    assert sqlite3.connect(back).execute("PRAGMA application_id").fetchone() == (db.APPLICATION_ID,)
    print(f"ks db copy of the story into an empty database: {seconds:.2f} s")


def test_db_copy_into_ledgers_that_ks_db_init_made(
    story_ledger: Path,
    server: str,
    ledger_template: str,
    run_ks: RunKs,
    tmp_path: Path,
) -> None:
    head = run_ks("--db", str(story_ledger), "db", "head").stdout.strip()
    made = tmp_path / "baru.sqlite"
    assert run_ks("--db", str(made), "db", "init").returncode == 0
    with (
        _database(server, template=ledger_template) as first,
        _database(server, template=ledger_template) as second,
    ):
        for source, dest in ((story_ledger, first), (first, second), (second, made)):
            done = run_ks("db", "copy", str(source), str(dest))
            assert (done.returncode, done.stdout) == (0, f"{head}\n"), done.stderr
        assert _reads(run_ks, second) == _reads(run_ks, str(story_ledger))
    assert _reads(run_ks, str(made)) == _reads(run_ks, str(story_ledger))
    assert verify.verify(made).ok


def test_db_copy_refuses_a_destination_with_entries(
    story_ledger: Path, copied: str, run_ks: RunKs, tmp_path: Path
) -> None:
    entries = _rows(copied, "SELECT count(*) FROM entry")
    said = assert_refused(run_ks("db", "copy", str(story_ledger), copied), code=2)
    assert said == (
        f"ks: error: {ServerLedger(copied)} already holds 37 entries; ks db copy writes only "
        "into a new file, an empty database, or a ledger without entries (as ks db init "
        "makes one)"
    )
    assert _rows(copied, "SELECT count(*) FROM entry") == entries
    office = tmp_path / "kantor.sqlite"
    office.write_bytes(story_ledger.read_bytes())
    digest = ledger_digest(office)
    done = run_ks("db", "copy", copied, str(office))
    assert_refused(done, "already holds 37 entries", code=2)
    assert ledger_digest(office) == digest


def test_db_copy_refuses_a_ledger_onto_itself(
    story_ledger: Path, copied: str, run_ks: RunKs, tmp_path: Path
) -> None:
    office = tmp_path / "kantor.sqlite"
    office.write_bytes(story_ledger.read_bytes())
    (tmp_path / "tautan.sqlite").symlink_to(office)
    digest = ledger_digest(office)
    for dest in (tmp_path / "." / "kantor.sqlite", tmp_path / "tautan.sqlite"):
        done = run_ks("db", "copy", str(office), str(dest))
        assert_refused(done, "is the ledger being copied", code=2)
    assert ledger_digest(office) == digest
    # Another spelling of the same database (psycopg's scheme and SQLAlchemy's).
    other = copied.replace("postgresql://", "postgresql+psycopg://", 1)
    assert_refused(run_ks("db", "copy", copied, other), "is the ledger being copied", code=2)
    assert _rows(copied, "SELECT count(*) FROM entry") == [(37,)]


def test_db_copy_refuses_a_source_that_is_not_a_ledger(
    empty_database: str,
    server: str,
    run_ks: RunKs,
    tmp_path: Path,
) -> None:
    notes = tmp_path / "catatan.txt"
    notes.write_text("rapat dengan Biro Kerja Sama\n", encoding="utf-8")
    dest = tmp_path / "baru.sqlite"
    with _database(server) as foreign:
        _admin_in(foreign, "CREATE TABLE catatan (isi text)")
        for source, words in (
            (tmp_path / "tidak-ada.sqlite", ("no ledger at",)),
            (notes, ("not a ks ledger",)),
            (empty_database, ("empty database", "ks db init")),
            (foreign, ("not a ks ledger", "another program's")),
        ):
            for target in (str(dest), empty_database):
                if str(source) == target:
                    continue
                done = run_ks("db", "copy", str(source), target)
                assert_refused(done, *words, code=1)
    assert not dest.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["catatan.txt"]
    assert _tables(empty_database) == []


def test_db_copy_refuses_a_source_that_does_not_verify(
    forged: str,
    empty_database: str,
    run_ks: RunKs,
    tmp_path: Path,
) -> None:
    for statement in FORGERIES["entry-rewritten-with-the-triggers-off"][0]:
        _admin_in(forged, statement)
    for dest in (str(tmp_path / "baru.sqlite"), empty_database):
        done = run_ks("db", "copy", forged, dest)
        assert_refused(
            done, "does not verify, so nothing was copied", "chain: entry 17 was changed", code=1
        )
    assert list(tmp_path.iterdir()) == []
    assert _tables(empty_database) == []  # not even the schema


def test_a_copy_that_does_not_verify_commits_nothing(
    story_ledger: Path,
    pg_ledger: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    checked = verify.check

    def failing(sql: Any, report: verify.Report, **options: Any) -> None:
        checked(sql, report, **options)
        if report.path == str(ServerLedger(pg_ledger)):  # the copy, not its source
            assert report.ok and report.entries == 37  # it checked what the copy wrote
            report.problems.append("replay: a problem this test made up")

    monkeypatch.setattr(verify, "check", failing)
    with pytest.raises(LedgerError, match=r"the copy did not verify, so .* without entries"):
        backup.copy(story_ledger, ServerLedger(pg_ledger))
    assert _rows(pg_ledger, "SELECT count(*) FROM entry") == [(0,)]
    assert _rows(pg_ledger, "SELECT count(*) FROM signature") == [(0,)]
