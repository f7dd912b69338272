"""`ks verify`: prove a ledger is sound without changing it.

Four checks: SQLite's integrity_check; the ledger's identity (application_id and a schema
version this release knows); the hash chain from the first entry to the last; and a replay
of every entry into an empty copy of the schema, which must reproduce every table exactly.
"""

from __future__ import annotations

import json
import sqlite3
import tempfile
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

from kerjasama_cli import db, events, queries

# The tables that entries project into, with the columns that order their rows.
PROJECTED = {
    "party": "id",
    "party_alias": "alias_key",
    "agreement": "id",
    "agreement_party": "agreement_id, party_id",
    "signature": "id",
    "handover": "id",
    "void": "id",
    "termination": "id",
    "activity": "id",
    "evaluation": "id",
}
MAX_LINES_PER_CHECK = 20


@dataclass
class Report:
    """What verify found; `problems` is empty when the ledger is sound."""

    path: str
    schema: str | None = None
    entries: int = 0
    head: str = events.GENESIS_HASH
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_json(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "path": self.path,
            "schema": self.schema,
            "entries": self.entries,
            "head": self.head,
            "problems": self.problems,
        }


def verify(path: Path, replay: bool = True) -> Report:
    """Check the ledger at `path`, opened read-only; raises LedgerError if it is not one.

    Without `replay`, only integrity and the hash chain: seconds rather than minutes.
    """
    report = Report(str(path))
    with db.reader(path) as conn:
        conn.text_factory = _lenient_text
        report.schema = db.schema_revision(conn, path)
        _integrity(conn, report)
        _chain(conn, report)
        if replay and report.ok:  # replaying a damaged chain would only repeat its problems
            _replay(conn, path, report)
    return report


def _lenient_text(data: bytes) -> str:
    """Damaged bytes become U+FFFD, so the entry's hash no longer matches and is reported."""
    return data.decode("utf-8", errors="replace")


def _integrity(conn: sqlite3.Connection, report: Report) -> None:
    rows = [r[0] for r in conn.execute("PRAGMA integrity_check")]
    if rows != ["ok"]:
        report.problems.extend(f"integrity: {r}" for r in rows[:MAX_LINES_PER_CHECK])
    for table, rowid, parent, _ in conn.execute("PRAGMA foreign_key_check"):
        report.problems.append(f"integrity: {table} row {rowid} points to a missing {parent}")


def _chain(conn: sqlite3.Connection, report: Report) -> None:
    expected_seq, previous = 1, events.GENESIS_HASH
    found: list[str] = []
    rows = conn.execute(
        "SELECT seq, recorded_at, recorded_by, action, agreement_key, payload, prev_hash, hash "
        "FROM entry ORDER BY seq"
    )
    for seq, at, by, action, key, payload, prev_hash, digest in rows:
        report.entries += 1
        if seq != expected_seq:
            found.append(f"chain: entry {seq} follows entry {expected_seq - 1} (entries missing)")
        if prev_hash != previous:
            found.append(f"chain: entry {seq} does not follow the entry before it")
        if digest != events.entry_hash(prev_hash, seq, at, by, action, key, payload):
            found.append(f"chain: entry {seq} was changed after it was recorded")
        expected_seq, previous = seq + 1, digest
    report.head = previous
    _add(report, found)


def _replay(conn: sqlite3.Connection, path: Path, report: Report) -> None:
    """Apply every entry to an empty copy of the schema and compare the tables."""
    schema = [
        sql
        for (sql,) in conn.execute(
            "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' "
            "ORDER BY type = 'table' DESC, rowid"
        )
    ]
    with tempfile.TemporaryDirectory(prefix="ks-verify-") as scratch:
        replica = sqlite3.connect(Path(scratch) / "replay.sqlite", uri=True)
        try:
            replica.execute("PRAGMA journal_mode = OFF")
            replica.execute("PRAGMA synchronous = OFF")
            replica.execute("PRAGMA cache_size = -262144")  # 256 MiB: replay is all inserts
            for statement in schema:
                replica.execute(statement)
            sql = queries.sqlite_sql(replica)
            entries = conn.execute(
                "SELECT seq, recorded_at, recorded_by, action, agreement_key, payload, "
                "prev_hash, hash FROM entry ORDER BY seq"
            )
            for entry in entries:
                replica.execute("INSERT INTO entry VALUES (?, ?, ?, ?, ?, ?, ?, ?)", entry)
                try:
                    events.apply(sql, entry[0], entry[3], json.loads(entry[5]))
                except (LookupError, ValueError, KeyError, sqlite3.Error) as exc:
                    report.problems.append(f"replay: entry {entry[0]} cannot be applied: {exc}")
                    return
            replica.commit()
            _attach(replica, path)
            found = []
            for table, order in PROJECTED.items():
                found.extend(_differences(replica, table, order))
            _add(report, found)
        finally:
            replica.close()


def _attach(replica: sqlite3.Connection, path: Path) -> None:
    try:
        replica.execute("ATTACH DATABASE ? AS ledger", (db.readonly_uri(path),))
        replica.execute("SELECT count(*) FROM ledger.sqlite_master").fetchone()
    except sqlite3.OperationalError:  # a read-only medium: see db._connect_readonly
        with suppress(sqlite3.OperationalError):
            replica.execute("DETACH DATABASE ledger")
        replica.execute("ATTACH DATABASE ? AS ledger", (db.readonly_uri(path, immutable=True),))


def _differences(replica: sqlite3.Connection, table: str, order: str) -> list[str]:
    found = []
    for label, left, right in (
        ("not explained by any entry", "ledger", "main"),
        ("missing, though the entries record it", "main", "ledger"),
    ):
        rows = replica.execute(
            f"SELECT * FROM (SELECT * FROM {left}.{table} EXCEPT SELECT * FROM {right}.{table}) "
            f"ORDER BY {order}"
        ).fetchall()
        for row in rows[:MAX_LINES_PER_CHECK]:
            found.append(f"replay: {table} row {_row(row)} is {label}")
        if len(rows) > MAX_LINES_PER_CHECK:
            found.append(f"replay: {table}: {len(rows) - MAX_LINES_PER_CHECK} more such rows")
    return found


def _row(row: tuple[object, ...]) -> str:
    text = json.dumps(list(row), ensure_ascii=False, default=str)
    return text if len(text) <= 200 else text[:197] + "..."


def _add(report: Report, found: list[str]) -> None:
    report.problems.extend(found[:MAX_LINES_PER_CHECK])
    if len(found) > MAX_LINES_PER_CHECK:
        report.problems.append(f"... and {len(found) - MAX_LINES_PER_CHECK} more problems")
