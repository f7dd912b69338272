"""Consistent, verified copies of a ledger, taken while others may be writing."""

from __future__ import annotations

import errno
import os
import sqlite3
from pathlib import Path

from kerjasama_cli import db, outputs, verify
from kerjasama_cli.errors import InvalidInput, KsError, LedgerError
from kerjasama_cli.i18n import _


def backup(source: Path, dest: Path, replace: bool = False) -> verify.Report:
    """Copy `source` to `dest` with SQLite's backup API, verify the copy, then move it in place.

    The copy is taken in one step under a read transaction, so it holds exactly the writes
    committed before it began; writers carry on meanwhile (WAL). `dest` obeys the rules of
    every output (`kerjasama_cli.outputs`): never the ledger itself or its -wal, -shm or
    -journal, and on any failure the file it would replace is left as it was.
    """
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
                raise LedgerError(
                    _("the copy did not verify, so it was not kept: {problem}").format(
                        problem=report.problems[0]
                    )
                )
    except sqlite3.OperationalError as exc:
        raise _cannot_copy(dest, exc, existed) from None
    report.path = str(dest)
    return report


def _cannot_copy(dest: Path, exc: sqlite3.OperationalError, existed: bool) -> KsError:
    """SQLite's failure to write the copy, as the refusal any failed output gets."""
    if getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL or "full" in str(exc):
        return outputs.cannot_write(dest, OSError(errno.ENOSPC, os.strerror(errno.ENOSPC)), existed)
    return LedgerError(_("cannot write {path}: {reason}").format(path=dest, reason=exc))
