"""A shared ledger on PostgreSQL: `--db postgresql://...`, against a real server.

The tests of locations (which text names a database, passwords never shown, psycopg
missing) need no server. The others need KS_POSTGRES_URL: the URL of a database on a
server where they may create databases, e.g. `postgresql://postgres@/postgres?host=DIR`;
each gets a database of its own (`ks_<random>`, dropped after). `scripts/test.sh` starts a
throwaway cluster for them when PostgreSQL is installed (`scripts/postgres.sh`); without
one they are skipped, but under CI they fail: CI must test the shared ledger.

What runs on PostgreSQL so far: `ks db init`, `ks db upgrade`, `ks db path`, the refusals
of another program's database and of a newer or older schema, and every write (under the
writer's lock: eight concurrent writers lose nothing and keep the chain). The reads are
the read queries' (queries.py, lifecycle.py): the story and `ks db status` need them.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from uuid import uuid4

import pytest
from tests.conftest import STORY, RunKs, assert_refused, ks_executable
from tests.test_cli import _IMPORTED

from kerjasama_cli import db, events, ledger, postgres
from kerjasama_cli.errors import LedgerUnavailable
from kerjasama_cli.location import ServerLedger, locate

URL = os.environ.get("KS_POSTGRES_URL")
WORKERS, ROUNDS = 8, 5

# --- where the ledger is: no server needed ---------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "postgresql://biro@db.kaltimprov.go.id/kerjasama",
        "postgres://biro@db.kaltimprov.go.id:5433/kerjasama",
        "postgresql+psycopg://biro@/kerjasama?host=/run/postgresql",
        "postgresql:///kerjasama?host=/run/postgresql",
    ],
)
def test_a_postgresql_url_names_a_database(text: str) -> None:
    assert locate(text) == ServerLedger(text)
    assert ServerLedger(text).conninfo.startswith("postgresql://")


@pytest.mark.parametrize(
    "text",
    [
        "ledger.sqlite",
        "notes?x.sqlite",
        "a%20b.sqlite",
        "a#b.sqlite",
        "postgresql:kerjasama.sqlite",  # no "//": a file name with a colon
        "postgres.sqlite",
        "POSTGRESQL://kerjasama",  # the schemes are lower-case, exactly
        "./postgresql://kerjasama",
        "mysql://biro@db/kerjasama",
        "file:kerjasama.sqlite",
    ],
)
def test_anything_else_is_a_file_path_taken_as_it_is(text: str) -> None:
    assert locate(text) == Path(text)


def test_ks_db_names_the_ledger_when_db_is_not_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KS_DB", "postgresql:///kerjasama")
    assert locate(None) == ServerLedger("postgresql:///kerjasama")
    assert locate("jatim.sqlite") == Path("jatim.sqlite")


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (
            "postgresql://biro:rahasia@db.kaltimprov.go.id/kerjasama",
            "postgresql://biro:***@db.kaltimprov.go.id/kerjasama",
        ),
        (  # a password may hold an "@" (percent-encoded or not): the host is after the last
            "postgresql://biro:ra@ha%40sia@db:5432/kerjasama?sslmode=require",
            "postgresql://biro:***@db:5432/kerjasama?sslmode=require",
        ),
        (
            "postgresql:///kerjasama?host=/run/postgresql&password=rahasia&user=biro",
            "postgresql:///kerjasama?host=/run/postgresql&password=***&user=biro",
        ),
        (
            "postgresql://biro@/kerjasama?host=/run/postgresql",
            "postgresql://biro@/kerjasama?host=/run/postgresql",
        ),
    ],
)
def test_a_url_is_shown_without_its_password(url: str, shown: str) -> None:
    assert str(ServerLedger(url)) == shown
    assert "rahasia" not in str(ServerLedger(url))


def test_db_path_prints_the_url_without_its_password(run_ks: RunKs) -> None:
    url = "postgresql://biro:rahasia@db.kaltimprov.go.id/kerjasama"
    result = run_ks("db", "path", env={"KS_DB": url})
    assert (result.returncode, result.stdout) == (
        0,
        "postgresql://biro:***@db.kaltimprov.go.id/kerjasama\n",
    )
    result = run_ks("--db", "notes?x.sqlite", "db", "path")
    assert result.stdout == "notes?x.sqlite\n"


def test_a_file_named_like_a_scheme_holds_the_ledger_there(tmp_path: Path, run_ks: RunKs) -> None:
    result = run_ks(
        "--db",
        "postgresql:kerjasama.sqlite",
        "party",
        "add",
        "Dinas Kominfo Provinsi Jawa Timur",
        "--region",
        "jatim",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert db.revision_of(tmp_path / "postgresql:kerjasama.sqlite") == db.SCHEMA_HEAD


# psycopg made unimportable, as where the [postgresql] extra was not installed.
WITHOUT_PSYCOPG = (
    "import sys; sys.modules['psycopg'] = None; from kerjasama_cli.cli import main; main()"
)


@pytest.mark.parametrize(
    "command",
    [("pending",), ("party", "add", "Dinas Kominfo Provinsi Jawa Timur", "--region", "jatim")],
    ids=["read", "write"],
)
def test_without_psycopg_a_url_is_refused_in_one_line(
    run_ks: RunKs, command: tuple[str, ...]
) -> None:
    result = subprocess.run(
        [sys.executable, "-c", WITHOUT_PSYCOPG, "--db", "postgresql:///kerjasama", *command],
        capture_output=True,
        text=True,
        env={**os.environ, "KS_BY": "tester"},
        timeout=60,
    )
    assert_refused(result, "psycopg", "kerjasama_cli[postgresql]", code=1)


@pytest.mark.parametrize(
    "args",
    [
        ("pending", "--province", "jatim", "--as-of", "2022-09-10"),
        ("sign", "PKS-2022-0002", "--party", "dishub-jatim", "--date", "2022-09-01"),
        ("db", "status"),
    ],
    ids=["pending", "sign", "db-status"],
)
def test_a_ledger_file_never_loads_psycopg(
    story_ledger: Path, tmp_path: Path, args: tuple[str, ...]
) -> None:
    ledger = tmp_path / "ledger.sqlite"
    ledger.write_bytes(story_ledger.read_bytes())
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            _IMPORTED.replace("HEAVY", "('psycopg',)"),
            "--db",
            str(ledger),
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.stdout.splitlines()[-1] == "imported: 0", done.stdout + done.stderr


def test_db_init_on_a_file_path_makes_an_empty_ledger_and_says_where(
    ledger: Path, run_ks: RunKs
) -> None:
    made = run_ks("db", "init")
    assert made.returncode == 0, made.stderr
    assert str(ledger) in made.stderr and made.stdout == ""
    assert db.revision_of(ledger) == db.SCHEMA_HEAD
    again = run_ks("db", "init")
    assert again.returncode == 0
    assert "already a ks ledger (schema 0005); nothing changed" in again.stderr
    assert json.loads(run_ks("db", "status", "--format", "json").stdout)["entries"] == 0


# --- a real server ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def server() -> str:
    """The URL of the server's maintenance database, where the tests create their own."""
    missing = None
    if not URL:
        missing = "set KS_POSTGRES_URL (scripts/test.sh does when PostgreSQL is installed)"
    else:
        try:
            import psycopg  # noqa: F401
        except ImportError:
            missing = "install psycopg: pip install -e '.[test,postgresql]'"
    if missing is not None:
        if os.environ.get("CI"):
            pytest.fail(f"CI must test the shared ledger on PostgreSQL: {missing}")
        pytest.skip(missing)
    assert URL is not None
    return URL


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def _admin(server: str, statement: str) -> None:
    import psycopg

    with psycopg.connect(ServerLedger(server).conninfo, autocommit=True) as conn:
        conn.execute(statement)


@contextmanager
def _database(server: str, template: str | None = None) -> Iterator[str]:
    """A new database on the server (a copy of `template`, if given), dropped after."""
    name = f"ks_{uuid4().hex[:12]}"
    _admin(server, f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    try:
        yield _with_database(server, name)
    finally:
        _admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def ledger_template(server: str) -> Iterator[str]:
    """A database that `ks db init` made a ledger of, once, for the tests to copy."""
    with _database(server) as url:
        db.init(ServerLedger(url))
        yield urlsplit(url).path.lstrip("/")


@pytest.fixture
def empty_database(server: str) -> Iterator[str]:
    with _database(server) as url:
        yield url


@pytest.fixture
def pg_ledger(server: str, ledger_template: str) -> Iterator[str]:
    """The URL of a fresh ks ledger without entries, as `ks db init` leaves it."""
    with _database(server, template=ledger_template) as url:
        yield url


def _rows(url: str, query: str) -> list[tuple[Any, ...]]:
    import psycopg

    with psycopg.connect(ServerLedger(url).conninfo) as conn:
        return conn.execute(query).fetchall()


def _tables(url: str) -> list[str]:
    return [
        t
        for (t,) in _rows(
            url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
        )
    ]


def _on(run_ks: RunKs, url: str) -> RunKs:
    def run(*args: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
        return run_ks(*args, env={"KS_DB": url, **kwargs.pop("env", {})}, **kwargs)

    return run


PARTY_ADD = (
    "party",
    "add",
    "Dinas Kominfo Provinsi Jawa Timur",
    "--region",
    "jatim",
    "--alias",
    "kominfo-jatim",
)
RECORD_THE_KSB = (
    "add-agreement",
    "--kind",
    "ksb",
    "--title",
    "Kerja Sama Pembangunan Daerah",
    "--party",
    "kaltim",
    "--party",
    "jatim",
    "--date",
    "28 Juli 2022",
)


def test_db_init_makes_an_empty_database_a_ledger_once(empty_database: str, run_ks: RunKs) -> None:
    ks = _on(run_ks, empty_database)
    made = ks("db", "init")
    assert made.returncode == 0, made.stderr
    assert made.stderr == f"{ServerLedger(empty_database)}: created a ks ledger, schema 0005\n"
    assert _rows(empty_database, "SELECT version_num FROM alembic_version") == [("0005",)]
    assert "entry" in _tables(empty_database) and "signature" in _tables(empty_database)
    assert _rows(empty_database, "SELECT count(*) FROM entry") == [(0,)]
    assert ks("db", "head").stdout.strip() == events.GENESIS_HASH
    tables = _tables(empty_database)

    again = ks("db", "init")
    assert again.returncode == 0, again.stderr
    assert "is already a ks ledger (schema 0005); nothing changed" in again.stderr
    assert _tables(empty_database) == tables
    assert ks(*PARTY_ADD).returncode == 0
    assert ks("db", "init").returncode == 0
    assert _rows(empty_database, "SELECT count(*) FROM entry") == [(1,)]


@pytest.mark.parametrize(
    "command",
    [PARTY_ADD, RECORD_THE_KSB, ("pending",), ("db", "head"), ("db", "upgrade")],
    ids=["party-add", "add-agreement", "pending", "db-head", "db-upgrade"],
)
def test_only_db_init_makes_the_schema(
    empty_database: str, run_ks: RunKs, command: tuple[str, ...]
) -> None:
    result = _on(run_ks, empty_database)(*command)
    assert_refused(result, "empty database", "ks db init", code=1)
    assert _tables(empty_database) == []


ANOTHER_PROGRAM = [
    "CREATE TABLE catatan (isi text); INSERT INTO catatan VALUES ('rapat dengan Biro Kerja Sama')",
    # A table of the same name as ours, without the ledger's mark.
    "CREATE TABLE entry (seq integer PRIMARY KEY, isi text); "
    "INSERT INTO entry VALUES (1, 'rapat dengan Biro Kerja Sama')",
]


@pytest.mark.parametrize("tables", ANOTHER_PROGRAM, ids=["other-tables", "a-table-called-entry"])
@pytest.mark.parametrize(
    "command",
    [("db", "init"), PARTY_ADD, ("pending",), ("db", "status"), ("db", "upgrade")],
    ids=["db-init", "party-add", "pending", "db-status", "db-upgrade"],
)
def test_another_programs_database_is_refused_and_left_alone(
    empty_database: str, run_ks: RunKs, tables: str, command: tuple[str, ...]
) -> None:
    import psycopg

    with psycopg.connect(ServerLedger(empty_database).conninfo) as conn:
        conn.execute(tables)
    table = tables.split()[2]

    def found() -> tuple[list[str], list[tuple[Any, ...]]]:
        return _tables(empty_database), _rows(empty_database, f"SELECT * FROM {table}")

    before = found()
    result = _on(run_ks, empty_database)(*command)
    assert_refused(result, "not a ks ledger", "another program's PostgreSQL database", code=1)
    assert found() == before


@pytest.mark.parametrize(
    "command",
    [PARTY_ADD, ("pending",), ("db", "head"), ("db", "upgrade"), ("db", "init")],
    ids=["party-add", "pending", "db-head", "db-upgrade", "db-init"],
)
def test_a_ledger_of_a_newer_ks_is_refused(
    pg_ledger: str, run_ks: RunKs, command: tuple[str, ...]
) -> None:
    _admin_in(pg_ledger, "UPDATE alembic_version SET version_num = '0099'")
    result = _on(run_ks, pg_ledger)(*command)
    assert_refused(result, "newer version of ks", "schema 0099", code=1)
    assert _rows(pg_ledger, "SELECT version_num FROM alembic_version") == [("0099",)]
    assert _rows(pg_ledger, "SELECT count(*) FROM entry") == [(0,)]


def _admin_in(url: str, statement: str) -> None:
    import psycopg

    with psycopg.connect(ServerLedger(url).conninfo, autocommit=True) as conn:
        conn.execute(statement)


def test_an_older_schema_is_upgraded_by_db_upgrade_alone(
    empty_database: str, run_ks: RunKs
) -> None:
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import create_engine

    # A ledger as an older ks would have made it: schema 0003, marked as a ks ledger.
    engine = create_engine(
        "postgresql+psycopg://", creator=lambda: postgres.connect(ServerLedger(empty_database))
    )
    with engine.begin() as conn:
        config = Config()
        config.set_main_option("script_location", "kerjasama_cli:migrations")
        config.attributes["connection"] = conn
        command.upgrade(config, "0003")
        conn.exec_driver_sql(f"COMMENT ON TABLE entry IS '{postgres.LEDGER_COMMENT}'")
    engine.dispose()
    ks = _on(run_ks, empty_database)

    for refused in (PARTY_ADD, ("pending",)):
        assert_refused(ks(*refused), "schema 0003", "run ks db upgrade", code=1)
    assert _rows(empty_database, "SELECT version_num FROM alembic_version") == [("0003",)]
    upgraded = ks("db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    assert upgraded.stdout == f"{ServerLedger(empty_database)}: schema 0003 upgraded to 0005\n"
    assert ks(*PARTY_ADD).returncode == 0
    assert ks("db", "upgrade").stdout.endswith("schema 0005 is current\n")


def test_writes_are_recorded_and_history_cannot_be_rewritten(pg_ledger: str) -> None:
    import psycopg

    where = ServerLedger(pg_ledger)
    actor = ledger.Actor("penguji", date(2022, 9, 10))

    def write(operation: Any, *args: Any, **kwargs: Any) -> Any:
        return db.write(where, lambda sql: operation(sql, actor, *args, **kwargs))

    added = write(
        ledger.add_agreement,
        "ksb",
        "Kerja Sama Pembangunan Daerah",
        ["kaltim", "jatim"],
        agreed_on=date(2022, 7, 28),
        years=5,
    )
    assert added == ledger.Added("KSB-2022-0001")
    again = write(
        ledger.add_agreement,
        "ksb",
        "Kerja Sama Pembangunan Daerah",
        ["kaltim", "jatim"],
        agreed_on=date(2022, 7, 28),
        years=5,
    )
    assert again == ledger.Added("KSB-2022-0001", already=True)
    assert not write(ledger.sign, "KSB-2022-0001", "kaltim", date(2022, 7, 28)).in_force
    write(ledger.handover, ["KSB-2022-0001"], "jatim", date(2022, 8, 11))
    assert write(ledger.sign, "KSB-2022-0001", "jatim", date(2022, 9, 1)).in_force
    write(ledger.void, "KSB-2022-0001", "ditandatangani ulang", "jatim")
    assert _rows(pg_ledger, "SELECT action FROM entry ORDER BY seq") == [
        ("party.add",),
        ("party.add",),
        ("agreement.add",),
        ("signature.add",),
        ("handover.add",),
        ("signature.add",),
        ("entry.void",),
    ]
    with (
        psycopg.connect(where.conninfo) as conn,
        pytest.raises(psycopg.Error, match="never updated"),
    ):
        conn.execute("UPDATE entry SET action = 'x'")
    with (
        psycopg.connect(where.conninfo) as conn,
        pytest.raises(psycopg.Error, match="never deleted"),
    ):
        conn.execute("DELETE FROM signature")


def test_a_reader_cannot_write_and_does_not_wait_for_a_writer(
    pg_ledger: str, run_ks: RunKs
) -> None:
    import psycopg

    where = ServerLedger(pg_ledger)
    with db.reader(where) as conn, pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
        conn.execute("INSERT INTO void (id, target_seq, reason, entry_seq) VALUES (1, 1, 'x', 1)")
    with psycopg.connect(where.conninfo) as writer:
        writer.execute(postgres.WRITE_LOCK)  # a writer at work
        started = time.monotonic()
        head = _on(run_ks, pg_ledger)("db", "head")
        assert (head.returncode, head.stdout.strip()) == (0, events.GENESIS_HASH)
        assert time.monotonic() - started < 20


def test_a_writer_waiting_too_long_for_the_lock_is_told_to_try_again(
    pg_ledger: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import psycopg

    monkeypatch.setattr(db, "BUSY_TIMEOUT_SECONDS", 0.5)
    where = ServerLedger(pg_ledger)
    actor = ledger.Actor("penguji", date(2022, 9, 10))
    with psycopg.connect(where.conninfo) as other:
        other.execute(postgres.WRITE_LOCK)
        with pytest.raises(LedgerUnavailable, match=r"busy .* try again"):
            db.write(
                where,
                lambda sql: ledger.add_party(
                    sql, actor, "Dinas Kominfo Provinsi Jawa Timur", "jatim"
                ),
            )
    assert _rows(pg_ledger, "SELECT count(*) FROM entry") == [(0,)]


def test_server_problems_are_one_line(server: str, pg_ledger: str, run_ks: RunKs) -> None:
    no_database = _with_database(server, f"ks_{uuid4().hex[:12]}")
    for command in (("pending",), PARTY_ADD):
        said = assert_refused(_on(run_ks, no_database)(*command), "does not exist", code=1)
        assert command == ("pending",) or said.endswith("nothing was recorded")
    nobody = urlsplit(pg_ledger)._replace(
        netloc="nobody@" + urlsplit(pg_ledger).netloc.split("@")[-1]
    )
    assert_refused(
        _on(run_ks, urlunsplit(nobody))("pending"), 'role "nobody" does not exist', code=1
    )
    down = "postgresql://postgres@/kerjasama?host=/nonexistent/socket/folder"
    assert_refused(_on(run_ks, down)("pending"), "cannot reach the PostgreSQL server", code=3)
    assert_refused(_on(run_ks, down)(*PARTY_ADD), "cannot reach", "nothing was recorded", code=3)
    parts = urlsplit(pg_ledger)
    bogus = urlunsplit(parts._replace(query="&".join(filter(None, [parts.query, "bogus=1"]))))
    assert_refused(_on(run_ks, bogus)("pending"), "not a PostgreSQL URL", code=2)


def test_a_role_without_rights_is_refused_in_one_line(pg_ledger: str, run_ks: RunKs) -> None:
    role = f"tamu_{uuid4().hex[:8]}"  # a guest: may log in, has no rights on the ledger
    try:
        _admin(pg_ledger, f'CREATE ROLE "{role}" LOGIN')
    except Exception as exc:  # the tests' user may not create roles: nothing to show then
        pytest.skip(f"cannot create a role here: {exc}")
    try:
        parts = urlsplit(pg_ledger)
        guest = urlunsplit(parts._replace(netloc=f"{role}@{parts.netloc.split('@')[-1]}"))
        ks = _on(run_ks, guest)
        assert_refused(ks("pending"), "permission denied", code=1)
        said = assert_refused(ks(*PARTY_ADD), "permission denied", code=1)
        assert said.endswith("nothing was recorded")
        assert _rows(pg_ledger, "SELECT count(*) FROM entry") == [(0,)]
    finally:
        _admin(pg_ledger, f'DROP ROLE "{role}"')


# --- the whole story, and many writers ---------------------------------------------------------


def _entries(url: str) -> list[tuple[Any, ...]]:
    return _rows(
        url,
        "SELECT seq, recorded_at, recorded_by, action, agreement_key, payload, prev_hash, hash, "
        "db_user FROM entry ORDER BY seq",
    )


def assert_chain_unbroken(url: str) -> list[tuple[Any, ...]]:
    """Each entry follows the one before it, and the head is the last entry's hash."""
    entries = _entries(url)
    assert [e[0] for e in entries] == list(range(1, len(entries) + 1))
    previous = events.GENESIS_HASH
    for seq, at, by, action, key, payload, prev_hash, digest, db_user in entries:
        assert prev_hash == previous, f"entry {seq} does not follow entry {seq - 1}"
        assert digest == events.entry_hash(prev_hash, seq, at, by, action, key, payload, db_user)
        previous = digest
    with db.reader(ServerLedger(url)) as conn:
        assert events.head(db.runner(conn)) == (len(entries), previous)
    return entries


def test_the_reference_story_on_postgresql_is_the_story_on_a_file(
    pg_ledger: str, story_ledger: Path, run_ks: RunKs
) -> None:
    env = {**os.environ, "KS_DB": pg_ledger, "KS_BY": "tester", "KS": " ".join(ks_executable())}
    told = subprocess.run(
        ["bash", str(STORY)], capture_output=True, text=True, env=env, timeout=600
    )
    assert told.returncode == 0, told.stderr
    on_file = sqlite3.connect(story_ledger)
    try:
        file_entries = on_file.execute(
            "SELECT seq, recorded_by, action, agreement_key, payload FROM entry ORDER BY seq"
        ).fetchall()
    finally:
        on_file.close()
    entries = assert_chain_unbroken(pg_ledger)
    assert [(e[0], e[2], e[3], e[4], e[5]) for e in entries] == file_entries
    ks, on_story = _on(run_ks, pg_ledger), _on(run_ks, str(story_ledger))
    for query in (
        ("pending", "--province", "jatim", "--as-of", "2022-09-10"),
        ("list", "--as-of", "2022-09-10"),
        ("show", "KSB-2022-0001"),
    ):
        shown = ks(*query, "--format", "json")
        assert shown.returncode == 0, shown.stderr
        assert json.loads(shown.stdout) == json.loads(on_story(*query, "--format", "json").stdout)


def test_db_status_on_postgresql(pg_ledger: str, run_ks: RunKs) -> None:
    ks = _on(run_ks, pg_ledger)
    for write in (PARTY_ADD, RECORD_THE_KSB):
        assert ks(*write).returncode == 0
    status = json.loads(ks("db", "status", "--format", "json").stdout)
    (size,) = _rows(pg_ledger, "SELECT pg_database_size(current_database())")[0]
    assert status["database"] == str(ServerLedger(pg_ledger)) and "path" not in status
    assert 0.5 * size < status["bytes"] < 2 * size
    assert (status["schema"], status["entries"], status["agreements"]) == ("0005", 4, 1)
    assert status["head"] == ks("db", "head").stdout.strip() == _entries(pg_ledger)[-1][7]
    text = ks("db", "status").stdout
    assert text.startswith("Ledger database") and "Ledger file" not in text


# Each worker registers an agency, agrees a PKS with Kaltim, signs it and hands it over to
# Kaltim, five times: 20 write transactions through the library, as `ks` makes them. With
# "unlocked" the writers skip the writer's lock: the negative control.
PG_WRITER = textwrap.dedent(
    """
    import json, sys
    from datetime import date
    from kerjasama_cli import db, ledger, postgres
    from kerjasama_cli.location import locate

    where, worker = locate(sys.argv[1]), int(sys.argv[2])
    if sys.argv[3] == "unlocked":
        postgres.WRITE_LOCK = "SELECT 1"
    keys, failed = [], []

    def write(operation, *args):
        actor = ledger.Actor(f"worker-{worker}", date.today())
        try:
            return db.write(where, lambda sql: operation(sql, actor, *args))
        except Exception as exc:
            failed.append(f"{type(exc).__name__}: {exc}")

    for round in range(ROUNDS):
        alias = f"uji-{worker}-{round}"
        write(ledger.add_party, f"Dinas Uji {worker}.{round} Provinsi Jawa Timur", "jatim",
              [alias], "Kepala Dinas")
        added = write(ledger.add_agreement, "pks", f"Uji Coba {worker}.{round}",
                      [alias, "kaltim"], None, (), date(2022, 7, 28), "Samarinda")
        if added is not None:
            write(ledger.sign, added.key, alias, date(2022, 8, 1), "Surabaya")
            write(ledger.handover, [added.key], "kaltim", date(2022, 8, 2), "Samarinda")
            keys.append(added.key)
    print(json.dumps({"keys": keys, "failed": failed}))
    """
).replace("ROUNDS", str(ROUNDS))


def _eight_writers(url: str, mode: str) -> tuple[list[str], list[str], float]:
    env = {**os.environ}
    env.pop("KS_DEBUG", None)
    started = time.monotonic()
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", PG_WRITER, url, str(w), mode],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for w in range(WORKERS)
    ]
    keys, failed = [], []
    for process in processes:
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err
        done = json.loads(out)
        keys += done["keys"]
        failed += done["failed"]
    return keys, failed, time.monotonic() - started


def test_eight_writers_doing_twenty_writes_each_lose_nothing(pg_ledger: str) -> None:
    keys, failed, seconds = _eight_writers(pg_ledger, "locked")

    assert failed == []
    total = WORKERS * ROUNDS
    assert sorted(keys) == [f"PKS-2022-{n:04d}" for n in range(1, total + 1)]
    entries = assert_chain_unbroken(pg_ledger)
    actions = [e[3] for e in entries]
    assert {a: actions.count(a) for a in set(actions)} == {
        "party.add": total + 1,  # the agencies and Kaltim's government
        "agreement.add": total,
        "signature.add": total,
        "handover.add": total,
    }
    assert _rows(pg_ledger, "SELECT count(*) FROM signature") == [(total,)]
    assert _rows(pg_ledger, "SELECT count(*) FROM handover") == [(total,)]
    print(f"8 writers on PostgreSQL: {4 * total} writes in {seconds:.1f} s")


def test_without_the_writers_lock_writes_fail_but_the_chain_never_forks(pg_ledger: str) -> None:
    # The negative control: ids, keys and the head read outside any lock collide. The
    # unique prev_hash still keeps the chain from forking: the losers fail, nothing is lost.
    _keys, failed, _seconds = _eight_writers(pg_ledger, "unlocked")

    assert failed, "eight writers without the lock all succeeded: the test proves nothing"
    assert any("duplicate key" in f or "UniqueViolation" in f for f in failed), failed[:3]
    assert_chain_unbroken(pg_ledger)
    assert len(_entries(pg_ledger)) < 4 * WORKERS * ROUNDS + 1
