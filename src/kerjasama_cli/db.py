"""Where the ledger lives, how it is opened for reading and writing, and its schema version.

A ledger is a file or a PostgreSQL database (`kerjasama_cli.location`); everything below is
about files, and each entry point hands a database to `kerjasama_cli.postgres`. For files,
reads use the standard library's sqlite3 (no SQLAlchemy import: start-up matters for
`ks pending`). Writes run in one `BEGIN IMMEDIATE` transaction each. A new ledger, or one
whose schema is older than this release's, is written through SQLAlchemy after Alembic has
brought the schema up to date; a ledger already at this release's schema is written through
the standard library's sqlite3 with the same pragmas. The domain code (ledger.py) sees the
same `Sql` callable either way.
"""

from __future__ import annotations

import errno
import os
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote
from uuid import uuid4

from kerjasama_cli.errors import InvalidInput, LedgerError, LedgerUnavailable
from kerjasama_cli.i18n import _
from kerjasama_cli.location import Location, ServerLedger, locate

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

    from kerjasama_cli.queries import Sql

# "KSLG" in the SQLite header tells our ledgers from any other SQLite file.
APPLICATION_ID = 0x4B534C47
# Alembic revisions in order; the last is what this release writes.
SCHEMA_REVISIONS = ("0001", "0002", "0003", "0004", "0005")
SCHEMA_HEAD = SCHEMA_REVISIONS[-1]
BUSY_TIMEOUT_SECONDS = 30.0
# Take the write lock first: a deferred transaction that reads and then writes fails at once
# with "database is locked" under concurrent writers, whatever the timeout. (A module
# constant so that the reliability tests can show exactly that, as a negative control.)
BEGIN_WRITE = "BEGIN IMMEDIATE"
# What SQLite puts beside a ledger called NAME: NAME-wal and NAME-shm (WAL), NAME-journal.
SIDE_FILES = ("-wal", "-shm", "-journal")
NAME_MAX = 255  # bytes in one file name, where the file system does not say
T = TypeVar("T")


def ledger_path(option: str | os.PathLike[str] | None = None) -> Path:
    """The ledger file: `--db`, else $KS_DB, else the platform's user data directory.

    A PostgreSQL URL there is refused: `locate` gives either."""
    found = locate(option)
    if isinstance(found, ServerLedger):
        raise LedgerError(
            _("{location} is a PostgreSQL database, not a ledger file").format(location=found)
        )
    return found


def runner(conn: object) -> Sql:
    """The `Sql` runner for a connection `reader` gave: sqlite3's or psycopg's."""
    from kerjasama_cli import queries

    if isinstance(conn, sqlite3.Connection):
        return queries.sqlite_sql(conn)
    return queries.psycopg_sql(conn)


def _sqlite_name(path: Path) -> str:
    """The name to hand SQLite: absolute, so that `file:...` is never taken for a URI."""
    return os.path.abspath(path)


def _uri(path: Path, params: str) -> str:
    # quote() leaves only "/" and unreserved characters: "?", "#", "%" and spaces in a file
    # name are escaped, so they stay part of the name and start no query string.
    return f"file:{quote(str(path.resolve()))}?{params}"


def readonly_uri(path: Path, immutable: bool = False) -> str:
    """An SQLite URI that opens `path` without any right to change it."""
    return _uri(path, "immutable=1" if immutable else "mode=ro")


def _connect_readonly(path: Path) -> sqlite3.Connection:
    """Open for reading only, and leave the folder exactly as it was found.

    A connection opened with mode=ro cannot remove the -wal and -shm files that SQLite
    creates beside a WAL ledger to read it, so each read used to leave them behind. On a
    quiet ledger (no -wal: the last writer checkpointed and closed it) that we may write,
    the file is therefore opened read-write with query_only on: no statement can change it,
    and when the last connection closes SQLite removes the files it made, as it does for
    writers, sharing them meanwhile with any writer that starts. Otherwise (a writer may be
    at work, or we may not write here) it is opened with mode=ro and finds its files
    there. On a read-only medium SQLite cannot create the shared-memory file, so there the
    file is opened as immutable: nobody can be writing to it.
    """
    real = Path(os.path.realpath(path))  # SQLite's own files go beside the file, not a link
    if _writable(real) and _quiet(real):
        conn = _connect_query_only(path)
        if conn is not None:
            return conn
    conn = sqlite3.connect(readonly_uri(path), uri=True, timeout=BUSY_TIMEOUT_SECONDS)
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.OperationalError as exc:
        conn.close()
        if _writable(path) or ("unable to open" not in str(exc) and "readonly" not in str(exc)):
            raise _translate(exc, path, writing=False) from None
        return sqlite3.connect(readonly_uri(path, immutable=True), uri=True)
    except sqlite3.DatabaseError:
        return conn  # not a database at all: schema_revision says so
    return conn


def _quiet(path: Path) -> bool:
    """No -wal (every write checkpointed and closed) and no rollback journal to recover."""
    return not any(os.path.lexists(f"{path}{suffix}") for suffix in ("-wal", "-journal"))


def _connect_query_only(path: Path) -> sqlite3.Connection | None:
    """Read-write, but refusing every statement that would write; None if it cannot be had."""
    try:  # mode=rw: never creates the file, should it have gone meanwhile
        conn = sqlite3.connect(_uri(path, "mode=rw"), uri=True, timeout=BUSY_TIMEOUT_SECONDS)
    except sqlite3.OperationalError:
        return None
    try:
        conn.execute("PRAGMA query_only = ON")
        # If a writer commits meanwhile, this connection may be the last to close and so
        # checkpoint its commit into the ledger: as durably as the writer would have.
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.OperationalError as exc:
        conn.close()
        if "locked" in str(exc) or "busy" in str(exc):  # mode=ro would wait as long again
            raise _translate(exc, path, writing=False) from None
        return None  # e.g. the -wal cannot be created here: mode=ro will say what is wrong
    except sqlite3.DatabaseError:
        return conn  # not a database at all: schema_revision says so
    return conn


def check_path(path: Path) -> None:
    """Refuse, in one line, a path that cannot name a ledger file: a folder or a link loop."""
    if path.is_dir():
        raise InvalidInput(
            _("{path} is a folder; give the ledger's file name, e.g. {example}").format(
                path=path, example=path / "ledger.sqlite"
            )
        )
    if not path.exists():
        _real_path(path)


def _real_path(path: Path) -> Path:
    """`path` with every symbolic link followed, also one to a file not yet created."""
    try:
        return path.resolve()
    except (RuntimeError, OSError) as exc:  # RuntimeError: a loop, until Python 3.13
        if isinstance(exc, OSError) and exc.errno != errno.ELOOP:
            raise LedgerError(
                _("cannot use {path}: {reason}").format(path=path, reason=exc.strerror)
            ) from None
        raise InvalidInput(
            _(
                "{path} is a symbolic link that leads back to itself; point it at the ledger's file"
            ).format(path=path)
        ) from None


def _writable(path: Path) -> bool:
    return os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)


def schema_revision(conn: sqlite3.Connection, path: Path) -> str | None:
    """Check that `conn` is a ks ledger and return its schema revision (None if still empty)."""
    try:
        (app_id,) = conn.execute("PRAGMA application_id").fetchone()
        if app_id == 0 and conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0:
            return None
        if app_id != APPLICATION_ID:
            raise LedgerError(
                _("{path} is not a ks ledger (another program's SQLite database)").format(path=path)
            )
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError as exc:
        if isinstance(exc, sqlite3.OperationalError):
            translated = _translate(exc, path, writing=False)
            if translated is not exc:
                raise translated from None
        raise LedgerError(
            _("{path} is not a ks ledger ({error})").format(path=path, error=exc)
        ) from None
    if row is None:
        raise LedgerError(_("{path} is not a ks ledger (no schema version)").format(path=path))
    return str(row[0])


def _check_revision(revision: str | None, path: Location, *, writing: bool) -> None:
    if revision is None or revision == SCHEMA_HEAD:
        return
    if revision not in SCHEMA_REVISIONS:
        raise LedgerError(
            _(
                "{path} was written by a newer version of ks (schema {revision}); "
                "upgrade ks to use it"
            ).format(path=path, revision=revision)
        )
    if not writing:
        raise LedgerError(
            _(
                "{path} has schema {revision} and needs upgrading to {head}: "
                "any command that writes upgrades it"
            ).format(path=path, revision=revision, head=SCHEMA_HEAD)
        )


@contextmanager
def reader(path: Location) -> Iterator[Any]:
    """A read-only connection to an existing ledger: sqlite3's for a file (which it leaves
    as it found it), psycopg's in a read-only transaction for a database; see `runner`."""
    if isinstance(path, ServerLedger):
        from kerjasama_cli import postgres

        with postgres.reader(path) as server:
            yield server
        return
    check_path(path)
    if not path.exists():
        raise LedgerError(
            _("no ledger at {path}; record something first, or pass --db or set KS_DB").format(
                path=path
            )
        )
    if path.stat().st_size == 0:
        raise LedgerError(_("{path} is empty, not a ks ledger").format(path=path))
    conn = _connect_readonly(path)
    try:
        revision = schema_revision(conn, path)
        if revision is None:
            raise LedgerError(_("{path} is not a ks ledger (no tables)").format(path=path))
        _check_revision(revision, path, writing=False)
        yield conn
    finally:
        conn.close()


def revision_of(path: Location) -> str | None:
    """The schema revision of the ledger at `path`, whatever version it is."""
    if isinstance(path, ServerLedger):
        from kerjasama_cli import postgres

        return postgres.revision_of(path)
    check_path(path)
    conn = _connect_readonly(path)
    try:
        return schema_revision(conn, path)
    finally:
        conn.close()


def _refuse_foreign_file(path: Path) -> None:
    """Before opening for writing, read-only: refuse anything that is not one of our ledgers.

    Ledgers appear complete (see `write`), so an empty file or one without tables is foreign.
    """
    if path.stat().st_size == 0:
        raise LedgerError(_("{path} is empty, not a ks ledger").format(path=path))
    conn = _connect_readonly(path)
    try:
        revision = schema_revision(conn, path)
        if revision is None:
            raise LedgerError(
                _("{path} is an SQLite file without tables, not a ks ledger").format(path=path)
            )
        _check_revision(revision, path, writing=True)
    finally:
        conn.close()


def _writing_pragmas(conn: sqlite3.Connection) -> None:
    """How every writing connection is set up, whichever way it was opened."""
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")  # a recorded signature survives power loss


def _engine(path: Path) -> Engine:
    from sqlalchemy import create_engine, event
    from sqlalchemy.engine import URL
    from sqlalchemy.pool import NullPool

    engine = create_engine(
        # Built, not written as "sqlite:///{path}": a "?", "#" or "%" in the name stays in it.
        URL.create("sqlite", database=_sqlite_name(path)),
        connect_args={"timeout": BUSY_TIMEOUT_SECONDS},
        poolclass=NullPool,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        # Let us issue BEGIN ourselves (pysqlite would start a deferred transaction).
        dbapi_connection.isolation_level = None
        _writing_pragmas(dbapi_connection)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql(BEGIN_WRITE)

    return engine


def _revision_in(conn: sqlite3.Connection) -> str | None:
    if not conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
    ).fetchone():
        return None
    row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    return str(row[0]) if row else None


def _migrate(conn: Connection) -> None:
    """Bring the schema to SCHEMA_HEAD in a transaction of its own, if it is not there yet.

    SQLite alters a table by copying it (Alembic's batch mode), which the foreign keys of
    the tables that refer to it would forbid, so they are off while the migration runs
    (they can only be switched outside a transaction) and checked in full before commit.
    """
    raw = conn.connection.driver_connection  # the sqlite3 connection, in autocommit mode
    assert isinstance(raw, sqlite3.Connection)
    if _revision_in(raw) == SCHEMA_HEAD:
        return
    from alembic import command
    from alembic.config import Config

    raw.execute("PRAGMA foreign_keys = OFF")
    try:
        with conn.begin():
            if _revision_in(raw) == SCHEMA_HEAD:  # another process upgraded it meanwhile
                return
            config = Config()
            config.set_main_option("script_location", "kerjasama_cli:migrations")
            config.attributes["connection"] = conn
            command.upgrade(config, SCHEMA_HEAD)
            broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise LedgerError(
                    _("upgrading the schema would break references: {rows}").format(rows=broken[:3])
                )
            conn.exec_driver_sql(f"PRAGMA application_id = {APPLICATION_ID}")
    finally:
        raw.execute("PRAGMA foreign_keys = ON")


def _translate(exc: Exception, path: Path, writing: bool = True) -> Exception:
    """SQLite's operational errors as the one-line refusals users see."""
    text = str(exc).lower()
    if "locked" in text or "busy" in text:
        return LedgerUnavailable(
            _("the ledger {path} is busy (locked by another writer); try again").format(path=path)
        )
    if "full" in text or ("disk i/o error" in text and _disk_full(path)):
        said = (
            _("the disk holding {path} is full; nothing was recorded")
            if writing
            else _("the disk holding {path} is full")
        )
        return LedgerUnavailable(said.format(path=path))
    if (
        "readonly" in text
        or "read-only" in text
        or ("unable to open" in text and path.exists() and not _writable(path))
    ):
        said = (
            _("the ledger {path} is on a read-only disk or not writable; nothing was recorded")
            if writing
            else _("the ledger {path} is on a read-only disk or not writable")
        )
        return LedgerError(said.format(path=path))
    if "disk i/o error" in text or "unable to open" in text:
        said = (
            _("cannot use {path}: {reason}; nothing was recorded")
            if writing
            else _("cannot use {path}: {reason}")
        )
        return LedgerError(said.format(path=path, reason=exc))
    return exc


def _disk_full(path: Path) -> bool:
    try:
        return shutil.disk_usage(path.parent).free < 256 * 1024
    except OSError:
        return False


def write(
    path: Location, operation: Callable[[Sql], T], created: Callable[[Path], None] | None = None
) -> T:
    """Run `operation` in one write transaction on the ledger; commit if it returns.

    A database is written by `postgres.write`, which never creates a schema: that is for
    `ks db init`. A file is written in a BEGIN IMMEDIATE transaction, and a missing one is
    built complete in a private file (schema, identity and the operation's own rows) and
    only then linked into place, so no process ever sees a half-made ledger, and a refused
    first write leaves nothing behind. If another process
    created the ledger meanwhile, the operation runs again on that one. A symbolic link to
    a ledger not yet created gets it created where it points. `created` is called with the
    path when this call made the ledger (so the CLI can say where).
    """
    if isinstance(path, ServerLedger):
        from kerjasama_cli import postgres

        return postgres.write(path, operation)
    check_path(path)
    if path.exists():
        return _write_existing(path, operation)
    target = _real_path(path)
    made_dirs = [p for p in (target.parent, *target.parent.parents) if not p.exists()]
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        found = next(p for p in target.parents if p.exists())  # "/" exists
        why = (
            _("{path} is a file, not a folder").format(path=found)
            if not found.is_dir()
            else exc.strerror
        )
        raise InvalidInput(
            _("cannot create the folder {folder}: {reason}").format(
                folder=target.parent, reason=why
            )
        ) from None
    fresh = None
    try:
        fresh = _private_name(target, shown_as=path)
        result = _transaction(fresh, operation, shown_as=path)
        try:
            os.link(fresh, target)  # atomic, and never replaces a ledger that appeared meanwhile
        except FileExistsError:
            return _write_existing(path, operation)
        for directory in (target.parent, *(made.parent for made in made_dirs)):
            _sync_directory(directory)  # the new names survive a power cut, as the rows do
        if created is not None:
            created(path)
        return result
    except BaseException:
        for directory in made_dirs:  # innermost first; only those still empty
            with suppress(OSError):
                directory.rmdir()
        raise
    finally:
        for suffix in ("", *SIDE_FILES) if fresh else ():
            with suppress(FileNotFoundError):
                os.unlink(f"{fresh}{suffix}")


def _sync_directory(directory: Path) -> None:
    """fsync a folder: only that makes a name just linked in it durable (SQLite does it for
    its own -wal file, not for a link of ours). Skipped where a folder cannot be fsynced
    (Windows; EINVAL on some file systems); any other error is reported, since the write
    might then not survive a power cut."""
    if os.name != "posix":
        return
    try:
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as exc:
        if exc.errno not in (errno.EINVAL, errno.ENOTSUP):
            raise LedgerError(
                _(
                    "the disk holding {folder} reported an error ({reason}); "
                    "the write may not survive a power cut"
                ).format(folder=directory, reason=exc.strerror)
            ) from None


def _private_name(target: Path, shown_as: Path) -> Path:
    """Where a new ledger is built: beside `target` (so that os.link is atomic), hidden and
    unique, its name cut so that it and its side files stay legal names (NAME_MAX bytes)."""
    name_max = _name_max(target.parent)
    size = len(os.fsencode(target.name))
    if size > name_max - len("-wal"):  # a WAL ledger never has a -journal
        raise InvalidInput(
            _(
                "the file name of {path} is {size} bytes long; a ledger's name can have at "
                "most {most} bytes, so that SQLite's -wal file fits beside it"
            ).format(path=shown_as, size=size, most=name_max - len("-wal"))
        )
    tail = f".{os.getpid()}.{uuid4().hex[:8]}.new"
    room = name_max - len(f".{tail}-journal")  # the private file starts out with a journal
    stem = target.name  # cut by whole characters: a non-ASCII one takes several bytes
    while len(os.fsencode(stem)) > room:
        stem = stem[:-1]
    return target.with_name(f".{stem}{tail}")


def _name_max(folder: Path) -> int:
    try:
        return os.pathconf(folder, "PC_NAME_MAX")
    except (OSError, ValueError):
        return NAME_MAX


def _write_existing(path: Path, operation: Callable[[Sql], T]) -> T:
    _refuse_foreign_file(path)
    done = _transaction_at_head(path, operation)
    if done is _NEEDS_UPGRADE:
        return _transaction(path, operation, shown_as=path)
    return done  # type: ignore[return-value]


_NEEDS_UPGRADE = object()


def _transaction_at_head(path: Path, operation: Callable[[Sql], T]) -> T | object:
    """The everyday write, on a ledger whose schema is already at SCHEMA_HEAD: one
    BEGIN IMMEDIATE transaction on a standard-library connection, with the same pragmas as
    the SQLAlchemy engine's, so that recording a signature does not pay for importing
    SQLAlchemy (a quarter of a second). Returns _NEEDS_UPGRADE, having changed nothing, if
    the schema is older: the SQLAlchemy path then upgrades it with Alembic and writes.
    """
    from kerjasama_cli.queries import sqlite_sql

    conn = None
    try:
        conn = sqlite3.connect(
            _sqlite_name(path), timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None
        )
        _writing_pragmas(conn)
        conn.execute(BEGIN_WRITE)
        try:
            if _revision_in(conn) != SCHEMA_HEAD:
                conn.execute("ROLLBACK")
                return _NEEDS_UPGRADE
            result = operation(sqlite_sql(conn))
            conn.execute("COMMIT")
            return result
        except BaseException:
            if conn.in_transaction:
                with suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
            raise
    except sqlite3.OperationalError as exc:
        raise _translate(exc, path) from None
    finally:
        if conn is not None:
            conn.close()


def _transaction(path: Path, operation: Callable[[Sql], T], shown_as: Path) -> T:
    from sqlalchemy.exc import OperationalError

    from kerjasama_cli.queries import sqlalchemy_sql

    engine = _engine(path)
    try:
        with engine.connect() as conn:
            _migrate(conn)
            with conn.begin():
                return operation(sqlalchemy_sql(conn))
    except OperationalError as exc:
        raise _translate(exc.orig or exc, shown_as) from None
    except sqlite3.OperationalError as exc:  # raised by the connection's own set-up
        raise _translate(exc, shown_as) from None
    finally:
        engine.dispose()


def init(location: Location, created: Callable[[Path], None] | None = None) -> str | None:
    """Make an empty ledger: this release's schema in an empty PostgreSQL database, or a new
    ledger file (`created` is called with its path). A ledger already there is left as it
    is and its revision returned; None means this call made the ledger."""
    if isinstance(location, ServerLedger):
        from kerjasama_cli import postgres

        before, _after = postgres.migrate(location, create=True)
        return before
    check_path(location)
    made: list[Path] = []

    def note(path: Path) -> None:
        made.append(path)
        if created is not None:
            created(path)

    if not location.exists():
        write(location, lambda sql: None, created=note)
    if made:
        return None
    _refuse_foreign_file(location)
    return revision_of(location)


def upgrade(location: Location) -> tuple[str | None, str | None]:
    """Bring the ledger to this release's schema; its revision before and after."""
    if isinstance(location, ServerLedger):
        from kerjasama_cli import postgres

        return postgres.migrate(location, create=False)
    if not location.exists():
        raise LedgerError(_("no ledger at {path}; nothing to upgrade").format(path=location))
    before = revision_of(location)
    write(location, lambda sql: None)
    return before, revision_of(location)
