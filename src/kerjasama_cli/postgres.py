"""A ledger in a PostgreSQL database: connecting, telling a ks ledger, reads, writes, schema.

psycopg (3) is imported only here, and only for a URL: a ledger file never pays for it.
Reads run in one read-only REPEATABLE READ transaction (every query of a command sees the
same ledger). A write runs in one READ COMMITTED transaction that first takes the writer's
lock (`WRITE_LOCK`, a transaction-level advisory lock): writers queue, readers carry on, and
the ids (`max(id) + 1`), keys and chain head an operation reads are read under it. Every
entry records the server's `session_user` (`events.append`; a trigger holds it to that).
The schema is made and upgraded only by `ks db init` and `ks db upgrade` (Alembic, through
SQLAlchemy): on a shared database no write changes the schema on the side.

A ks ledger is told by the comment on its `entry` table (`LEDGER_COMMENT`, set by every
migration run here, as SQLite's ledgers carry their application id) together with a
revision of ours in `alembic_version`; an empty database is one without any table.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import TYPE_CHECKING, Any, TypeVar

from kerjasama_cli import db
from kerjasama_cli.errors import InvalidInput, KsError, LedgerError, LedgerUnavailable
from kerjasama_cli.i18n import _
from kerjasama_cli.location import ServerLedger

if TYPE_CHECKING:
    from kerjasama_cli.queries import Sql

T = TypeVar("T")
LEDGER_COMMENT = "ks ledger (kerjasama_cli): the hash-chained entries"
# Set unless the URL says otherwise: a name for pg_stat_activity, and a bounded wait for a
# server that does not answer (libpq would wait for ever).
CONNECTION_DEFAULTS = {"application_name": "ks", "connect_timeout": "10"}
# `ks db init` and `ks db upgrade` take this advisory lock (the SQLite application id), so
# that two of them at once never both build a schema.
SCHEMA_LOCK = db.APPLICATION_ID
EMPTY, OURS, FOREIGN = "empty", "ours", "foreign"
# What every write takes first: it queues writers (readers take no such lock and read on),
# so that each reads max(id), the next key and the chain's head with no other writer
# between. An advisory lock rather than `LOCK TABLE entry IN EXCLUSIVE MODE`, which
# PostgreSQL grants only to roles with UPDATE, DELETE or TRUNCATE on the table: a writer
# needs none of them (see the README's roles), and it is released with the transaction,
# also when a writer is killed. The pair (APPLICATION_ID, 1) is ours alone; lock_timeout
# bounds the wait. (A module constant so that the concurrency test can show what happens
# without it.)
WRITE_LOCK = f"SELECT pg_advisory_xact_lock({db.APPLICATION_ID}, 1)"

# What the catalog says about the current schema: how many relations it holds, and the
# comment on a table called entry (NULL if there is none).
_CATALOG = (
    "SELECT (SELECT count(*) FROM pg_catalog.pg_class c "
    "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
    "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v', 'm', 'f')), "
    "obj_description(to_regclass('entry'), 'pg_class')"
)


def _psycopg() -> Any:
    try:
        import psycopg
    except ImportError:
        raise LedgerError(
            _("a PostgreSQL ledger needs psycopg: pip install 'kerjasama_cli[postgresql]'")
        ) from None
    return psycopg


def connect(ledger: ServerLedger, *, read_only: bool = False) -> Any:
    """A psycopg connection to the ledger's database, outside autocommit."""
    psycopg = _psycopg()
    try:
        given = psycopg.conninfo.conninfo_to_dict(ledger.conninfo)
    except psycopg.ProgrammingError as exc:
        raise InvalidInput(
            _("{path} is not a PostgreSQL URL that can be used ({reason})").format(
                path=ledger, reason=_first_line(exc)
            )
        ) from None
    defaults = {k: v for k, v in CONNECTION_DEFAULTS.items() if k not in given}
    try:
        conn = psycopg.connect(ledger.conninfo, autocommit=False, **defaults)
    except psycopg.Error as exc:
        raise translate(exc, ledger, writing=not read_only) from None
    if read_only:
        conn.read_only = True
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
    return conn


def state(sql: Sql) -> str:
    """Whether the database is EMPTY (no tables), OURS (a ks ledger) or FOREIGN."""
    row = next(iter(sql(_CATALOG)))
    if row[1] == LEDGER_COMMENT:
        return OURS
    return EMPTY if int(row[0]) == 0 else FOREIGN


def _refuse_unless_ours(sql: Sql, ledger: ServerLedger) -> None:
    found = state(sql)
    if found == EMPTY:
        raise LedgerError(
            _("{path} is an empty database, not a ks ledger yet: run ks db init first").format(
                path=ledger
            )
        )
    if found == FOREIGN:
        raise LedgerError(
            _(
                "{path} is not a ks ledger (another program's PostgreSQL database); "
                "ks db init needs an empty database"
            ).format(path=ledger)
        )


def _version(sql: Sql, ledger: ServerLedger) -> str:
    row = next(iter(sql("SELECT version_num FROM alembic_version")), None)
    if row is None:
        raise LedgerError(_("{path} is not a ks ledger (no schema version)").format(path=ledger))
    return str(row[0])


def revision(sql: Sql, ledger: ServerLedger) -> str | None:
    """The ledger's schema revision (None for an empty database); refuses any other database."""
    if state(sql) == EMPTY:
        return None
    _refuse_unless_ours(sql, ledger)
    return _version(sql, ledger)


def _at_head(revision: str, ledger: ServerLedger) -> None:
    """Refuse a newer schema (upgrade ks) or an older one (`ks db upgrade` first)."""
    db._check_revision(revision, ledger, writing=True)  # newer: the same refusal as SQLite's
    if revision != db.SCHEMA_HEAD:
        raise LedgerError(
            _(
                "{path} has schema {revision} and needs upgrading to {head}: "
                "run ks db upgrade (as the database's owner)"
            ).format(path=ledger, revision=revision, head=db.SCHEMA_HEAD)
        )


@contextmanager
def reader(ledger: ServerLedger) -> Iterator[Any]:
    """A read-only connection to a ks ledger at this release's schema."""
    from kerjasama_cli.queries import psycopg_sql

    psycopg = _psycopg()
    conn = connect(ledger, read_only=True)
    try:
        try:
            sql = psycopg_sql(conn)
            _refuse_unless_ours(sql, ledger)
            _at_head(_version(sql, ledger), ledger)
            yield conn
        except psycopg.Error as exc:
            raise translate(exc, ledger, writing=False) from None
    finally:
        conn.close()


def revision_of(ledger: ServerLedger) -> str | None:
    """The schema revision of the ledger in this database, whatever version it is."""
    from kerjasama_cli.queries import psycopg_sql

    psycopg = _psycopg()
    conn = connect(ledger, read_only=True)
    try:
        return revision(psycopg_sql(conn), ledger)
    except psycopg.Error as exc:
        raise translate(exc, ledger, writing=False) from None
    finally:
        conn.close()


def write(ledger: ServerLedger, operation: Callable[[Sql], T]) -> T:
    """Run `operation` in one transaction under the writer's lock; commit if it returns."""
    from kerjasama_cli.queries import psycopg_sql

    psycopg = _psycopg()
    conn = connect(ledger)
    try:
        try:
            sql = psycopg_sql(conn)
            _refuse_unless_ours(sql, ledger)  # before the lock: never lock another's table
            # READ COMMITTED: each statement after the lock sees every write committed
            # before it (a REPEATABLE READ snapshot would be taken before the lock).
            conn.execute(
                f"SET LOCAL lock_timeout = '{int(db.BUSY_TIMEOUT_SECONDS * 1000)}ms'; {WRITE_LOCK}"
            )
            _at_head(_version(sql, ledger), ledger)  # under the lock: no upgrade meanwhile
            result = operation(sql)
        except BaseException:
            with suppress(psycopg.Error):
                conn.rollback()
            raise
        try:
            conn.commit()
        except psycopg.OperationalError as exc:
            raise LedgerUnavailable(
                _(
                    "the connection to {path} was lost while committing ({reason}); "
                    "run the command again: a retry records nothing twice"
                ).format(path=ledger, reason=_reason(exc))
            ) from None
        return result
    except psycopg.Error as exc:
        raise translate(exc, ledger, writing=True) from None
    finally:
        conn.close()


def migrate(ledger: ServerLedger, *, create: bool) -> tuple[str | None, str]:
    """Bring the ledger's schema to SCHEMA_HEAD with Alembic, in one transaction.

    With `create`, an empty database gets this release's schema (`ks db init`); without
    it, an empty database is refused (`ks db upgrade`). Returns the revision before and
    after; an existing ledger is left as it is by `create`.
    """
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    from kerjasama_cli.queries import sqlalchemy_sql

    psycopg = _psycopg()
    engine = create_engine(
        "postgresql+psycopg://", creator=lambda: connect(ledger), poolclass=NullPool
    )
    try:
        with engine.begin() as conn:
            sql = sqlalchemy_sql(conn)
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({SCHEMA_LOCK})")
            before = revision(sql, ledger)
            if before is None and not create:
                _refuse_unless_ours(sql, ledger)  # says: run ks db init
            if before is not None:
                db._check_revision(before, ledger, writing=True)  # newer: refused
                if create or before == db.SCHEMA_HEAD:
                    return before, before
                conn.exec_driver_sql(WRITE_LOCK)  # writers wait for the upgrade
            config = Config()
            config.set_main_option("script_location", "kerjasama_cli:migrations")
            config.attributes["connection"] = conn
            command.upgrade(config, db.SCHEMA_HEAD)
            conn.exec_driver_sql(f"COMMENT ON TABLE entry IS '{LEDGER_COMMENT}'")
            return before, db.SCHEMA_HEAD
    except KsError:
        raise
    except Exception as exc:
        found = getattr(exc, "orig", exc)
        if isinstance(found, psycopg.Error):
            raise translate(found, ledger, writing=True) from None
        raise
    finally:
        engine.dispose()


def database_size(sql: Sql) -> int:
    """The size of the ledger's database in bytes, as the server counts it."""
    return int(next(iter(sql("SELECT pg_database_size(current_database())")))[0])


# --- errors ------------------------------------------------------------------------------

# libpq's words for a server that cannot be reached (as opposed to one that said no).
_UNREACHABLE = (
    "connection refused",
    "no such file or directory",
    "timeout expired",
    "could not translate host name",
    "server closed the connection",
    "terminating connection",
    "the database system is starting up",
    "the database system is shutting down",
    "consuming input failed",
    "connection is lost",
    "connection is closed",
)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return " ".join(text.splitlines()[0].split()) if text else type(exc).__name__


def _reason(exc: BaseException) -> str:
    """What the server or libpq said, without the socket path and FATAL: around it."""
    line = _first_line(exc)
    line = line.rsplit(" failed: ", 1)[-1]
    return re.sub(r"^(FATAL|ERROR):\s*", "", line)


def translate(exc: BaseException, ledger: ServerLedger, writing: bool) -> BaseException:
    """psycopg's errors as the one-line refusals users see (others are returned unchanged)."""
    import psycopg
    from psycopg import errors

    reason = _reason(exc)
    if isinstance(exc, errors.LockNotAvailable):
        return LedgerUnavailable(
            _("the ledger {path} is busy (locked by another writer); try again").format(path=ledger)
        )
    if isinstance(exc, errors.DiskFull):
        said = (
            _("the disk holding {path} is full; nothing was recorded")
            if writing
            else _("the disk holding {path} is full")
        )
        return LedgerUnavailable(said.format(path=ledger))
    if isinstance(exc, errors.InsufficientPrivilege):
        said = (
            _("{path}: permission denied ({reason}); nothing was recorded")
            if writing
            else _("{path}: permission denied ({reason})")
        )
        return LedgerError(said.format(path=ledger, reason=reason))
    if isinstance(exc, errors.ReadOnlySqlTransaction):
        return LedgerError(
            _("{path} takes no writes (a standby server?); nothing was recorded").format(
                path=ledger
            )
        )
    if isinstance(exc, psycopg.OperationalError) and any(
        words in reason.lower() for words in _UNREACHABLE
    ):
        said = (
            _("cannot reach the PostgreSQL server of {path} ({reason}); nothing was recorded")
            if writing
            else _("cannot reach the PostgreSQL server of {path} ({reason})")
        )
        return LedgerUnavailable(said.format(path=ledger, reason=reason))
    if isinstance(exc, psycopg.OperationalError):
        said = (
            _("cannot use {path}: {reason}; nothing was recorded")
            if writing
            else _("cannot use {path}: {reason}")
        )
        return LedgerError(said.format(path=ledger, reason=reason))
    if isinstance(exc, psycopg.DataError | psycopg.InternalError) and not writing:
        return LedgerError(
            _("{path} could not be read ({problem}); run ks verify").format(
                path=ledger, problem=reason
            )
        )
    return exc  # a statement of ours that the server refused: a bug, reported as one
