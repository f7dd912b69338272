"""Shared fixtures: a test's ledger, the reference story, and ways to run `ks` against them.

The suite runs on one engine at a time, chosen by KS_TEST_ENGINE: `sqlite` (the default), where
a ledger is a file under tmp_path, or `postgresql`, where it is a fresh database on the server
that KS_POSTGRES_URL names (the URL of a database there, on a server where the tests may create
databases), made by `ks db init` (a copy of a template made once) and dropped after the test.
`ledger` is then a `ServerLedger`, which `db.reader`, `db.write` and `run_ks` take as they take
a path. Under PostgreSQL, a test about files (paths, power loss, side files, pragmas, modes) is
marked `sqlite_only` with its reason; a test of a command that does not run on PostgreSQL yet,
`postgresql_pending` with what is missing; both are skipped there with that reason. Tests that
take no ledger at all (none of LEDGER_FIXTURES) are the same on either engine, and
tests/test_postgres*.py choose their engine themselves: these run in the SQLite pass only.

To tamper with a ledger as its owner could, or make it look older or newer, `direct` gives a
connection round ks on either engine; `copy_ledger`, `story_copy` and `new_ledger` make more.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from uuid import uuid4

import pytest
from hypothesis import settings

from kerjasama_cli.location import Location, ServerLedger

# Property tests draw the same examples on every run (a CI result must not depend on the
# draw); with KS_HYPOTHESIS_EXAMPLES=N they explore N fresh random examples per test instead.
settings.register_profile("repeatable", derandomize=True, database=None)
settings.register_profile("explore", database=None)
settings.load_profile("explore" if os.environ.get("KS_HYPOTHESIS_EXAMPLES") else "repeatable")

# The suite expects English messages whatever the developer's locale; tests of the Indonesian
# interface set KS_LANG=id themselves.
os.environ["KS_LANG"] = "en"

REPO = Path(__file__).resolve().parent.parent
STORY = REPO / "examples" / "reference-story.sh"

ENGINES = ("sqlite", "postgresql")
ENGINE = os.environ.get("KS_TEST_ENGINE", "sqlite")
ON_POSTGRESQL = ENGINE == "postgresql"
SERVER = os.environ.get("KS_POSTGRES_URL")
# The fixtures that give a test a ledger: a test whose fixtures include none of them reads
# and writes no ledger of the engine's, and runs in the SQLite pass only.
LEDGER_FIXTURES = {"ledger", "story_ledger", "new_ledger"}
MARKERS = {
    "sqlite_only": "SQLite only",
    "postgresql_pending": "not on PostgreSQL yet",
}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "sqlite_only(reason): about files by nature; skipped on PostgreSQL"
    )
    config.addinivalue_line(
        "markers",
        "postgresql_pending(reason): the command does not run on PostgreSQL yet (the reason "
        "names what is missing); skipped on PostgreSQL",
    )
    if ENGINE not in ENGINES:
        raise pytest.UsageError(f"KS_TEST_ENGINE={ENGINE}: the engines are {', '.join(ENGINES)}")
    if ON_POSTGRESQL and not SERVER:
        raise pytest.UsageError(
            "KS_TEST_ENGINE=postgresql needs KS_POSTGRES_URL: the URL of a database on a server "
            "where the tests may create databases (scripts/test.sh starts one)"
        )
    if ON_POSTGRESQL and SERVER and ServerLedger(SERVER).shown != SERVER:
        # Tests pass str(ledger) as KS_DB and find it in messages: both need it whole.
        raise pytest.UsageError(
            "KS_TEST_ENGINE=postgresql: give KS_POSTGRES_URL without its password "
            "(put it in PGPASSWORD or ~/.pgpass): ks shows URLs without passwords"
        )


def pytest_report_header(config: pytest.Config) -> str:
    return f"ledger engine: {ENGINE} (KS_TEST_ENGINE)"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        for name in MARKERS:
            for mark in item.iter_markers(name):
                if len(mark.args) != 1 or not str(mark.args[0]).strip():
                    raise pytest.UsageError(f"{item.nodeid}: @pytest.mark.{name} needs a reason")
    if not ON_POSTGRESQL:
        return
    kept, same_everywhere = [], []
    for item in items:
        uses = set(getattr(item, "fixturenames", ()))
        # tests/test_postgres*.py choose their engine themselves (a server, or files).
        chooses = item.path.name.startswith("test_postgres")
        (kept if uses & LEDGER_FIXTURES and not chooses else same_everywhere).append(item)
        for name, said in MARKERS.items():
            mark = item.get_closest_marker(name)
            if mark is not None:
                item.add_marker(pytest.mark.skip(reason=f"{said}: {mark.args[0]}"))
    if same_everywhere:
        config.hook.pytest_deselected(items=same_everywhere)
        items[:] = kept


def ks_executable() -> list[str]:
    """The installed console script next to this Python, else `python -m kerjasama_cli`."""
    script = Path(sys.executable).with_name("ks")
    if script.exists():
        return [str(script)]
    found = shutil.which("ks")
    return [found] if found else [sys.executable, "-m", "kerjasama_cli"]


# --- a ledger on either engine ----------------------------------------------------------------


def _admin(statement: str) -> None:
    """Run one statement on the server's maintenance database (outside a transaction)."""
    import psycopg

    assert SERVER is not None
    with psycopg.connect(ServerLedger(SERVER).conninfo, autocommit=True) as conn:
        conn.execute(statement)


def database_name(location: ServerLedger) -> str:
    """The name of the database a URL names."""
    return urlsplit(location.url).path.lstrip("/")


def new_database(template: ServerLedger | None = None) -> ServerLedger:
    """A new database on the test server, a copy of `template` if given; `drop` it after."""
    assert SERVER is not None
    name = f"ks_test_{uuid4().hex[:12]}"
    copy = f' TEMPLATE "{database_name(template)}"' if template else ""
    _admin(f'CREATE DATABASE "{name}"{copy}')
    return ServerLedger(urlunsplit(urlsplit(SERVER)._replace(path=f"/{name}")))


def drop(location: ServerLedger) -> None:
    _admin(f'DROP DATABASE IF EXISTS "{database_name(location)}" WITH (FORCE)')


@contextmanager
def database(template: ServerLedger | None = None) -> Iterator[ServerLedger]:
    """A new database (a copy of `template`, if given), dropped after."""
    made = new_database(template)
    try:
        yield made
    finally:
        drop(made)


@pytest.fixture(scope="session")
def initialised_template() -> Iterator[ServerLedger]:
    """PostgreSQL: a database that `ks db init` made a ledger of, once, for tests to copy."""
    from kerjasama_cli import db

    with database() as made:
        db.init(made)
        yield made


@pytest.fixture
def ledger(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Path]:
    """The test's own ledger. On SQLite where its file goes (not created: the first write
    creates it); on PostgreSQL a fresh database as `ks db init` leaves it (a database is
    never created by a write), dropped after the test. Typed as a path: most tests see one."""
    if not ON_POSTGRESQL:
        yield tmp_path / "ledger.sqlite"
        return
    with database(request.getfixturevalue("initialised_template")) as made:
        yield made  # type: ignore[misc]


@pytest.fixture(scope="session")
def new_ledger(request: pytest.FixtureRequest) -> Iterator[Callable[[Path, str], Path]]:
    """Makes another ledger place, for fixtures of a wider scope than `ledger`'s: a file
    `name` in `folder` (not created), or a fresh database as `ks db init` leaves it (dropped
    at the end of the session)."""
    made: list[ServerLedger] = []

    def make(folder: Path, name: str) -> Path:
        if not ON_POSTGRESQL:
            return folder / name
        made.append(new_database(request.getfixturevalue("initialised_template")))
        return made[-1]  # type: ignore[return-value]

    try:
        yield make
    finally:
        for location in made:
            drop(location)


@pytest.fixture
def ledger_location(ledger: Path) -> Path:
    """The `ledger` fixture, for modules where `ledger` names kerjasama_cli.ledger."""
    return ledger


class Direct:
    """A connection that goes round ks (see `direct`); parameters are written `?` on both."""

    def __init__(self, conn: Any, server: bool) -> None:
        self.conn, self.server = conn, server

    def execute(self, statement: str, params: tuple[Any, ...] = ()) -> Any:
        if self.server and params:
            statement = statement.replace("?", "%s")
        return self.conn.execute(statement, params)


@contextmanager
def direct(location: Location) -> Iterator[Direct]:
    """A connection to the ledger that goes round ks, with its owner's rights (to tamper with
    it, or to make it look older or newer), through sqlite3 or psycopg; each statement is
    committed as it runs."""
    if isinstance(location, ServerLedger):
        import psycopg

        with psycopg.connect(location.conninfo, autocommit=True) as conn:
            yield Direct(conn, server=True)
        return
    conn = sqlite3.connect(location, isolation_level=None)
    try:
        yield Direct(conn, server=False)
    finally:
        conn.close()


def every_trigger(conn: Direct) -> list[tuple[str, str]]:
    """The name and table of every trigger in the ledger."""
    if conn.server:
        query = "SELECT tgname, tgrelid::regclass::text FROM pg_trigger WHERE NOT tgisinternal"
    else:
        query = "SELECT name, tbl_name FROM sqlite_master WHERE type = 'trigger'"
    return [(str(name), str(table)) for name, table in conn.execute(query).fetchall()]


def drop_trigger(name: str, table: str, location: Location) -> str:
    """The statement that drops a trigger, as the ledger's engine spells it."""
    on = f" ON {table}" if isinstance(location, ServerLedger) else ""
    return f"DROP TRIGGER {name}{on}"


def refused_by_the_database(location: Location, kind: str = "DatabaseError") -> type[Exception]:
    """The driver's exception (a DB-API name: DatabaseError, IntegrityError...) for a
    statement the database refuses, as sqlite3 or psycopg raises it."""
    if isinstance(location, ServerLedger):
        import psycopg

        return getattr(psycopg, kind)  # type: ignore[no-any-return]
    return getattr(sqlite3, kind)  # type: ignore[no-any-return]


def copy_ledger(source: Location, target: Location) -> Location:
    """A consistent copy of a ledger: a file through SQLite's backup API (a WAL ledger in one
    file); a database as a new database made from it, replacing `target`'s."""
    if isinstance(source, ServerLedger) or isinstance(target, ServerLedger):
        assert isinstance(source, ServerLedger) and isinstance(target, ServerLedger), (
            "a copy from one engine to the other is `ks db copy`"
        )
        drop(target)
        _admin(f'CREATE DATABASE "{database_name(target)}" TEMPLATE "{database_name(source)}"')
        return target
    src = sqlite3.connect(source)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()
    return target


RunKs = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def run_ks(ledger: Path) -> RunKs:
    """Run the installed `ks` as a subprocess against the test ledger, as cron and users do."""

    def run(*args: str, check: bool = False, **kwargs) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "KS_DB": str(ledger), "KS_BY": "tester", "NO_COLOR": "1"}
        env.pop("KS_DEBUG", None)
        env.update(kwargs.pop("env", {}))
        return subprocess.run(
            [*ks_executable(), *args],
            capture_output=True,
            text=True,
            env=env,
            check=check,
            timeout=120,
            **kwargs,
        )

    return run


def ledger_digest(path: Location) -> str:
    """A hash of the ledger's content: equal digests, identical ledgers. A file's bytes after
    a checkpoint; a database's schema and every table's rows in primary-key order."""
    if isinstance(path, ServerLedger):
        return _database_digest(path)
    if not path.exists():
        return "absent"
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    digest = hashlib.sha256(path.read_bytes())
    wal = Path(f"{path}-wal")
    if wal.exists():
        digest.update(wal.read_bytes())
    return digest.hexdigest()


# A database's schema as its catalog describes it: the columns of every table, constraints,
# indexes, triggers, functions and comments.
_SCHEMA = (
    "SELECT table_name, column_name, data_type, is_nullable, column_default "
    "FROM information_schema.columns WHERE table_schema = current_schema() "
    "ORDER BY table_name, ordinal_position",
    "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
    "WHERE connamespace = current_schema()::regnamespace ORDER BY 1, 2",
    "SELECT tablename, indexname, indexdef FROM pg_indexes "
    "WHERE schemaname = current_schema() ORDER BY 1, 2",
    "SELECT tgrelid::regclass::text, tgname, pg_get_triggerdef(oid) FROM pg_trigger "
    "WHERE NOT tgisinternal ORDER BY 1, 2",
    "SELECT proname, pg_get_functiondef(oid) FROM pg_proc "
    "WHERE pronamespace = current_schema()::regnamespace ORDER BY 1, 2",
    "SELECT relname, obj_description(oid, 'pg_class') FROM pg_class "
    "WHERE relnamespace = current_schema()::regnamespace ORDER BY 1",
)
# Each table with its primary key's columns, in the key's order ('' for none).
_PRIMARY_KEYS = (
    "SELECT c.relname, coalesce(string_agg(quote_ident(a.attname), ', ' "
    "ORDER BY array_position(k.conkey, a.attnum)), '') "
    "FROM pg_class c LEFT JOIN pg_constraint k ON k.conrelid = c.oid AND k.contype = 'p' "
    "LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = ANY (k.conkey) "
    "WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r' "
    "GROUP BY c.relname ORDER BY c.relname"
)


def _database_digest(location: ServerLedger) -> str:
    # Straight through psycopg, not db.reader: a ledger that ks refuses (a newer schema, say)
    # must still be hashed by what it holds.
    import psycopg

    digest = hashlib.sha256()
    with psycopg.connect(location.conninfo) as conn:
        conn.read_only = True
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        for query in _SCHEMA:
            digest.update(repr(conn.execute(query).fetchall()).encode())
        for table, key in conn.execute(_PRIMARY_KEYS).fetchall():
            order = key or "1"  # no primary key (alembic_version): its one column
            rows = conn.execute(f'SELECT * FROM "{table}" ORDER BY {order}').fetchall()
            digest.update(repr((table, rows)).encode())
    return digest.hexdigest()


# What the session's story left: "stderr", what staff saw; on PostgreSQL "untouched", a copy
# of its database for story_copy to copy (a database cannot be copied while another session
# is connected to it, and tests read story_ledger).
_STORY: dict[str, Path | ServerLedger] = {}


@pytest.fixture(scope="session")
def story_ledger(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[Path]:
    """The reference story (Kaltim and Jatim, July-August 2022) entered once, read by many
    tests: a file, or a database made by `ks db init`."""
    folder = tmp_path_factory.mktemp("story")
    if not ON_POSTGRESQL:
        path = folder / "story.sqlite"
        _tell_the_story(path, folder)
        yield path
        return
    with database(request.getfixturevalue("initialised_template")) as told:
        _tell_the_story(told, folder)
        with database(told) as untouched:
            _STORY["untouched"] = untouched
            yield told  # type: ignore[misc]


def _tell_the_story(location: Location, folder: Path) -> None:
    env = {**os.environ, "KS_DB": str(location), "KS_BY": "tester", "KS": " ".join(ks_executable())}
    done = subprocess.run(
        ["bash", str(STORY)], check=True, capture_output=True, text=True, env=env, timeout=600
    )
    # What staff saw on stderr, for tests that compare the story told in another language.
    said = folder / "story.stderr"
    said.write_text(done.stderr, encoding="utf-8")
    _STORY["stderr"] = said


@pytest.fixture(scope="session")
def story_stderr(story_ledger: Path) -> str:
    """What staff saw on stderr while the reference story was entered (in English)."""
    told = _STORY["stderr"]
    assert isinstance(told, Path)
    return told.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def story_source(story_ledger: Path) -> Path:
    """What to copy the reference story from: its file, or on PostgreSQL an untouched copy of
    its database (one no session holds open, as CREATE DATABASE ... TEMPLATE needs)."""
    return _STORY["untouched"] if ON_POSTGRESQL else story_ledger  # type: ignore[return-value]


@pytest.fixture
def story_copy(story_source: Path, ledger: Path) -> Path:
    """This test's own copy of the reference story, at the `ledger` that `run_ks` uses."""
    return copy_ledger(story_source, ledger)  # type: ignore[return-value]


def assert_refused(
    result: subprocess.CompletedProcess[str],
    *words: str,
    code: int = 2,
    prefix: str = "ks: error: ",
) -> str:
    """A refusal: the exit code, one line on stderr naming the problem, no traceback;
    returns that line. `prefix` is the interface language's (`ks: galat: ` in Indonesian)."""
    output = result.stdout + result.stderr
    assert "Traceback" not in output, output
    assert result.returncode == code, output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(prefix), lines[0]
    for word in words:
        assert word.casefold() in lines[0].casefold(), (word, lines[0])
    assert result.stdout == ""
    return lines[0]
