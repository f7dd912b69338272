"""Consistent, verified copies of a ledger, taken while others may be writing."""

from __future__ import annotations

import os
import sqlite3
from contextlib import suppress
from pathlib import Path

from kerjasama_cli import db, verify
from kerjasama_cli.errors import InvalidInput, LedgerError


def backup(source: Path, dest: Path, replace: bool = False) -> verify.Report:
    """Copy `source` to `dest` with SQLite's backup API, verify the copy, then move it in place.

    The copy is taken in one step under a read transaction, so it holds exactly the writes
    committed before it began; writers carry on meanwhile (WAL).
    """
    dest = dest.expanduser()
    if dest.exists() and not replace:
        raise InvalidInput(f"{dest} already exists; pass --force to replace it")
    if dest.exists() and dest.resolve() == source.resolve():
        raise InvalidInput("the backup cannot replace the ledger itself")
    if not dest.parent.is_dir():
        raise InvalidInput(f"the folder {dest.parent} does not exist")
    partial = dest.with_name(f".{dest.name}.{os.getpid()}.partial")
    try:
        with db.reader(source) as conn:
            target = sqlite3.connect(partial)
            try:
                conn.backup(target)
            finally:
                target.close()
        report = verify.verify(partial)
        if not report.ok:
            raise LedgerError(f"the copy did not verify, so it was not kept: {report.problems[0]}")
        os.replace(partial, dest)
        report.path = str(dest)
        return report
    except sqlite3.OperationalError as exc:
        raise LedgerError(f"cannot write {dest}: {exc}") from None
    finally:
        for suffix in ("", "-wal", "-shm", "-journal"):
            with suppress(FileNotFoundError):
                os.unlink(f"{partial}{suffix}")
