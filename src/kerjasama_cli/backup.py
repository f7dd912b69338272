"""Consistent, verified copies of a ledger, taken while others may be writing: backups, and
copies of a whole ledger from one engine to another (a file into the shared database, the
database into a file to archive).

A file is backed up with SQLite's backup API, byte for byte. Any other copy is made from the
entries alone, replayed through `events.apply` as every write applies them, each entry kept
exactly as recorded (its time, who recorded it, its payload and its hash), so the copy's head
hash is the source's: into a new file, this is the replay `ks verify` makes of the source,
kept as a ledger file and verified in turn; into a database (or an empty ledger file), one
write transaction under the writer's lock that verifies what it wrote before it commits.
"""

from __future__ import annotations

import errno
import json
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from kerjasama_cli import db, events, outputs, queries, verify
from kerjasama_cli.errors import InvalidInput, KsError, LedgerError
from kerjasama_cli.i18n import _, ngettext
from kerjasama_cli.location import Location, ServerLedger
from kerjasama_cli.queries import Sql


def backup(source: Location, dest: Path, replace: bool = False) -> verify.Report:
    """Write a verified copy of the ledger `source` to the file `dest`, then move it in place.

    A ledger file is copied with SQLite's backup API in one step under a read transaction,
    so it holds exactly the writes committed before it began; writers carry on meanwhile
    (WAL). A database is copied into a new ledger file from its entries, read in one
    snapshot. `dest` obeys the rules of every output (`kerjasama_cli.outputs`): never the
    ledger itself or its -wal, -shm or -journal, and on any failure the file it would replace
    is left as it was.
    """
    if isinstance(source, ServerLedger):
        return _new_file(source, dest, replace)
    target = outputs.destination(dest, ledger=source)
    existed = target.exists()
    if existed and not replace:
        raise InvalidInput(_("{path} already exists; pass --force to replace it").format(path=dest))
    try:
        with outputs.replacing(target, dest) as partial:
            with db.reader(source) as conn:
                copy = sqlite3.connect(partial)
                try:
                    conn.backup(copy)
                finally:
                    copy.close()
            report = verify.verify(partial)
            if not report.ok:
                raise _not_kept(report)
    except sqlite3.OperationalError as exc:
        raise _cannot_copy(dest, exc, existed) from None
    report.path = str(dest)
    return report


def copy(source: Location, dest: Location) -> verify.Report:
    """Copy every entry of the ledger `source` into `dest`, of either engine, and verify it.

    `dest` is a file not there yet, an empty PostgreSQL database (given this release's
    schema first, as `ks db init` gives it), or a ledger without entries (as `ks db init`
    leaves one); anything else is refused before anything is written. `source` must verify
    (`ks verify`) first. Returns the copy's report: its entries and head hash, the source's.
    """
    if isinstance(source, Path) and not source.exists():
        raise LedgerError(_("no ledger at {path} to copy").format(path=source))
    with db.reader(source):  # not a ledger, or not one this release reads: refused first
        pass
    _refuse_same(source, dest)
    if isinstance(dest, Path) and not dest.exists():  # a link to no file yet: written through
        return _new_file(source, dest, replace=False)
    if isinstance(dest, Path):
        outputs.destination(dest, ledger=source if isinstance(source, Path) else None)
    fresh = isinstance(dest, ServerLedger) and db.revision_of(dest) is None
    if not fresh:
        with db.reader(dest) as conn:
            _refuse_entries(db.runner(conn), dest)
    checked = verify.verify(source)
    if not checked.ok:
        raise _does_not_verify(source, checked)
    if fresh:
        db.init(dest)
    return db.write(dest, lambda sql: _fill(sql, source, dest))


def _new_file(source: Location, dest: Path, replace: bool) -> verify.Report:
    """A new ledger file at `dest` made from `source`'s entries: the replay that verifying
    `source` makes, kept, and verified as a file before it is moved into place."""
    target = outputs.destination(dest, ledger=source if isinstance(source, Path) else None)
    existed = target.exists()
    if existed and not replace:
        raise InvalidInput(_("{path} already exists; pass --force to replace it").format(path=dest))
    try:
        with outputs.replacing(target, dest) as partial:
            checked = verify.verify(source, into=partial)
            if not checked.ok:
                raise _does_not_verify(source, checked)
            report = verify.verify(partial)
            if not report.ok:
                raise _not_kept(report)
    except sqlite3.OperationalError as exc:
        raise _cannot_copy(dest, exc, existed) from None
    report.path = str(dest)
    return report


def _fill(sql: Sql, source: Location, dest: Location) -> verify.Report:
    """Inside `dest`'s write transaction: every entry of `source`, as recorded, each applied
    as it was when it was written; then `dest` verified before the transaction commits."""
    _refuse_entries(sql, dest)  # again, under the writer's lock
    columns = verify.entry_columns()  # each entry whole, as recorded: its hash still holds
    insert = (
        f"INSERT INTO entry ({', '.join(columns)}) "
        f"VALUES ({', '.join(f':{column}' for column in columns)})"
    )
    with db.reader(source) as conn, _pipelined(sql):
        entries = verify.stream(
            db.runner(conn), f"SELECT {', '.join(columns)} FROM entry ORDER BY seq"
        )
        for entry in entries:
            recorded = dict(zip(columns, entry, strict=True))
            sql(insert, **recorded)
            events.apply(sql, recorded["seq"], recorded["action"], json.loads(recorded["payload"]))
    report = verify.Report(str(dest), schema=db.SCHEMA_HEAD)
    verify.check(sql, report)
    if not report.ok:
        raise LedgerError(
            _("the copy did not verify, so {dest} was left without entries: {problem}").format(
                dest=dest, problem=report.problems[0]
            )
        )
    return report


@contextmanager
def _pipelined(sql: Sql) -> Iterator[None]:
    """On PostgreSQL, the statements sent on without waiting for each one's answer
    (psycopg's pipeline mode; a statement whose rows are read still waits for them): a
    copy's hundred thousand inserts would otherwise each wait a round trip."""
    conn = None
    if queries.dialect_of(sql) == queries.POSTGRESQL:
        conn = getattr(sql("SELECT 1"), "connection", None)
    if conn is None:
        yield
        return
    with conn.pipeline():
        yield


def _refuse_entries(sql: Sql, dest: Location) -> None:
    count, _head = events.head(sql)
    if count:
        raise InvalidInput(
            ngettext(
                "{dest} already holds {count} entry; ks db copy writes only into a new file, "
                "an empty database, or a ledger without entries (as ks db init makes one)",
                "{dest} already holds {count} entries; ks db copy writes only into a new file, "
                "an empty database, or a ledger without entries (as ks db init makes one)",
                count,
            ).format(dest=dest, count=count)
        )


def _refuse_same(source: Location, dest: Location) -> None:
    """Refuse a copy of a ledger onto itself, however it is named."""
    same = False
    if isinstance(source, Path) and isinstance(dest, Path):
        try:
            same = os.path.samefile(source, dest)
        except OSError:
            same = False
    elif isinstance(source, ServerLedger) and isinstance(dest, ServerLedger):
        same = _server_identity(source) == _server_identity(dest)
    if same:
        raise InvalidInput(
            _("{dest} is the ledger being copied ({source}); give another destination").format(
                dest=dest, source=source
            )
        )


def _server_identity(ledger: ServerLedger) -> tuple[Any, ...] | None:
    """Which server, database and schema a URL reaches: two URLs may spell one ledger."""
    from kerjasama_cli import postgres

    conn = postgres.connect(ledger, read_only=True)
    try:
        return tuple(
            conn.execute(
                "SELECT pg_postmaster_start_time(), current_database(), current_schema()"
            ).fetchone()
        )
    finally:
        conn.close()


def _does_not_verify(source: Location, report: verify.Report) -> KsError:
    return LedgerError(
        _(
            "{source} does not verify, so nothing was copied: {problem} "
            "(ks verify lists every problem)"
        ).format(source=source, problem=report.problems[0])
    )


def _not_kept(report: verify.Report) -> KsError:
    return LedgerError(
        _("the copy did not verify, so it was not kept: {problem}").format(
            problem=report.problems[0]
        )
    )


def _cannot_copy(dest: Path, exc: sqlite3.OperationalError, existed: bool) -> KsError:
    """SQLite's failure to write the copy, as the refusal any failed output gets."""
    if getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL or "full" in str(exc):
        return outputs.cannot_write(dest, OSError(errno.ENOSPC, os.strerror(errno.ENOSPC)), existed)
    return LedgerError(_("cannot write {path}: {reason}").format(path=dest, reason=exc))
