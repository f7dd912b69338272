"""`ks verify`: prove a ledger is sound without changing it.

The checks: SQLite's integrity_check; the ledger's identity (application_id and a schema
version this release knows); its schema objects (tables, indexes, triggers, views) against
those this release's migrations build; the hash chain from the first entry to the last, and
that it carries every head hash kept from before; and a replay of every entry into an empty
copy of this release's schema, which must reproduce every table exactly.

Nothing of the checked file's own schema is trusted: a trigger added to the file would
otherwise run during the replay too, and reproduce whatever it forged.

On PostgreSQL (`kerjasama_cli.postgres_schema`) the same checks read the server's catalog:
the ledger's identity as `postgres.reader` tells it, its objects against this release's
snapshot of what `ks db init` builds, every trigger enabled and every index valid; the chain
as on a file; and the replay into the same SQLite schema as a file's, whose tables are then
compared with the server's rows (dates as ISO text, as SQLite stores them). Replaying into
SQLite on both engines means one `apply`, one schema to trust and one comparison: what the
server holds must be what a ledger file replayed from the same entries holds.

The problems are sentences for people, in the interface language (also in `--format json`);
each starts with the check that found it (schema, chain, replay...), and every other field
of the report is for machines and never changes with the language.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import uuid4

from kerjasama_cli import db, dialect, events, queries
from kerjasama_cli.errors import InvalidInput
from kerjasama_cli.i18n import N_, _, ngettext
from kerjasama_cli.location import Location, ServerLedger
from kerjasama_cli.queries import Row, Sql

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
# The schema this release's migrations build, as SQL statements, so that verify need not
# import Alembic and SQLAlchemy and run every migration (about a second). A test checks that
# it is what the migrations build; if its revision is not this release's, it is rebuilt.
SCHEMA_FILE = Path(__file__).parent / "data" / "schema.sql"
SCHEMA_FILE_HEADER = "-- ks schema {revision}: what this release's migrations build; "
HEAD_HASH = re.compile(r"[0-9a-fA-F]{64}")
HEAD_HASH_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])[0-9a-fA-F]{64}(?![0-9A-Za-z])")


@dataclass
class Report:
    """What verify found; `problems` is empty when the ledger is sound."""

    path: str
    schema: str | None = None
    entries: int = 0
    head: str = events.GENESIS_HASH
    problems: list[str] = field(default_factory=list)
    heads_checked: list[str] = field(default_factory=list)

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
            "heads_checked": self.heads_checked,
            "problems": self.problems,
        }


def verify(
    location: Location,
    replay: bool = True,
    heads: Sequence[str] = (),
    into: Path | None = None,
) -> Report:
    """Check the ledger at `location` (a file or a database), opened read-only; raises
    LedgerError if it is not one.

    `heads` are head hashes kept from before (see `parse_head`): each must be carried by an
    entry of the chain. Without `replay`, everything but the replay: seconds, not minutes.
    With `into` (an empty file), the replay is kept there as a ledger file of its own
    (this release's schema and identity, in WAL mode): a copy made from the entries alone,
    which the caller verifies in turn before keeping it.
    """
    report = Report(str(location), heads_checked=list(dict.fromkeys(heads)))
    with db.reader(location) as conn:
        if isinstance(location, ServerLedger):
            report.schema = db.SCHEMA_HEAD  # postgres.reader refuses any other
            check(db.runner(conn), report, replay=replay, into=into)
        else:
            conn.text_factory = _lenient_text
            report.schema = db.schema_revision(conn, location)
            check(queries.sqlite_sql(conn), report, replay=replay, ledger_file=location, into=into)
    return report


def check(
    sql: Sql,
    report: Report,
    *,
    replay: bool = True,
    ledger_file: Path | None = None,
    into: Path | None = None,
) -> None:
    """Every check of `verify` on an open ledger, of either engine, adding to `report`.

    Reads only through `sql`, so it also checks a ledger inside the write transaction that
    filled it, before commit (`ks db copy`). `ledger_file` is the file `sql` reads, if it is
    one: the replay is then compared with it directly (ATTACH) rather than row by row.
    """
    server = queries.dialect_of(sql) == queries.POSTGRESQL
    if server:
        from kerjasama_cli import postgres_schema

        damaged: list[str] = []  # no integrity_check there: the server keeps its pages
        found = postgres_schema.objects(sql)
        _add(report, postgres_schema.differences(found))
        _add(report, postgres_schema.problems(sql))
    else:
        damaged = _integrity(sql)
        _add(report, damaged)
        found = schema_objects(sql)
        _add(report, schema_differences(found, expected_schema_objects()))
    not_carried = set(report.heads_checked) - {events.GENESIS_HASH}  # every chain's start
    columns = entry_columns()
    broken = _chain(sql, report, not_carried, found, columns)
    _add(report, broken)
    _add(report, [_head_problem(h) for h in report.heads_checked if h in not_carried])
    if replay and not damaged and not broken:  # replaying a damaged chain repeats it
        _replay(sql, report, found, columns, ledger_file, into)


def parse_head(text: str) -> str:
    """A head hash given on the command line: exactly 64 hexadecimal digits."""
    if not HEAD_HASH.fullmatch(text.strip()):
        raise InvalidInput(
            _(
                "{text!r} is not a head hash: a head hash is 64 hexadecimal digits, "
                "as ks db head prints"
            ).format(text=text)
        )
    return text.strip().lower()


def read_heads(path: Path) -> list[str]:
    """The head hashes kept in a file, one a line: blank lines and `#` comments are skipped,
    and a line may carry text around its hash (a line of `ks verify`, `ks db backup` or a
    report's footer), but not two hashes."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise InvalidInput(
            _("cannot read the heads file {path}: {reason}").format(path=path, reason=reason)
        ) from None
    heads = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        found = HEAD_HASH_IN_TEXT.findall(line)
        if len(found) != 1:
            said = (
                _(
                    "{path} line {number} has no head hash (64 hexadecimal digits); "
                    "put one hash on each line, or start the line with # to skip it"
                )
                if not found
                else _(
                    "{path} line {number} has more than one head hash (64 hexadecimal "
                    "digits); put one hash on each line, or start the line with # to skip it"
                )
            )
            raise InvalidInput(said.format(path=path, number=number))
        heads.append(found[0].lower())
    return heads


def _lenient_text(data: bytes) -> str:
    """Damaged bytes become U+FFFD, so the entry's hash no longer matches and is reported."""
    return data.decode("utf-8", errors="replace")


def _integrity(sql: Sql) -> list[str]:
    rows = [r[0] for r in sql("PRAGMA integrity_check")]
    found = [] if rows == ["ok"] else [_("integrity: {sqlite}").format(sqlite=r) for r in rows]
    for table, rowid, parent, _index in sql("PRAGMA foreign_key_check"):
        found.append(
            _("integrity: {table} row {rowid} points to a missing {parent}").format(
                table=table, rowid=rowid, parent=parent
            )
        )
    return found


# The columns of every release's entries, in the order events.entry_hash takes them (the
# hash itself eighth, in their place).
ENTRY_COLUMNS = "seq, recorded_at, recorded_by, action, agreement_key, payload, prev_hash, hash"


def entry_columns() -> tuple[str, ...]:
    """Every column of an entry in this release's schema: ENTRY_COLUMNS, then any column a
    later schema gave the entry table, in its order, which events.entry_hash takes after
    the payload. A copy carries them all; verify hashes them all."""
    base = tuple(ENTRY_COLUMNS.split(", "))
    entry = expected_schema_objects()[("table", "entry")]
    return base + tuple(column for column, _definition in entry.columns if column not in base)


def _chain(
    sql: Sql,
    report: Report,
    not_carried: set[str],
    found: dict[tuple[str, str], SchemaObject],
    columns: tuple[str, ...],
) -> list[str]:
    """The chain's problems; removes from `not_carried` each hash an entry carries."""
    expected_seq, previous = 1, events.GENESIS_HASH
    problems: list[str] = []
    entry = found.get(("table", "entry"))
    have = {column for column, _definition in entry.columns} if entry else set()
    lacking = [c for c in columns if c not in have]
    if lacking:  # the entry table itself altered (the schema check says how): unreadable
        report.head = previous
        return [
            _("chain: the entries cannot be read ({error})").format(
                error=_("the entry table has no column {column}").format(column=lacking[0])
            )
        ]
    try:
        rows = stream(sql, f"SELECT {', '.join(columns)} FROM entry ORDER BY seq")
        for seq, at, by, action, key, payload, prev_hash, digest, *later in rows:
            report.entries += 1
            if seq != expected_seq:
                problems.append(
                    _("chain: entry {seq} follows entry {before} (entries missing)").format(
                        seq=seq, before=expected_seq - 1
                    )
                )
            if prev_hash != previous:
                problems.append(
                    _("chain: entry {seq} does not follow the entry before it").format(seq=seq)
                )
            if digest != events.entry_hash(prev_hash, seq, at, by, action, key, payload, *later):
                problems.append(
                    _("chain: entry {seq} was changed after it was recorded").format(seq=seq)
                )
            not_carried.discard(digest)
            expected_seq, previous = seq + 1, digest
    except sqlite3.OperationalError as exc:  # a column of another type, say: see schema
        problems.append(_("chain: the entries cannot be read ({error})").format(error=exc))
    report.head = previous
    return problems


def _head_problem(head: str) -> str:
    return _(
        "head: no entry of the chain carries the kept head {head}: the ledger was rewritten "
        "after that hash was kept, or the hash is another ledger's"
    ).format(head=head)


def stream(sql: Sql, query: str) -> Iterable[Row]:
    """The rows of `query`, read as they are used. sqlite3 does so by itself; psycopg would
    fetch a whole result into memory first, so there a server-side cursor is declared, on
    the connection that the runner's cursors name."""
    if queries.dialect_of(sql) != queries.POSTGRESQL:
        return sql(query)
    conn = getattr(sql("SELECT 1"), "connection", None)
    return sql(query) if conn is None else _server_cursor(conn, query)


def _server_cursor(conn: Any, query: str) -> Iterator[Row]:
    with conn.cursor(name=f"ks_{uuid4().hex[:12]}") as cursor:
        cursor.itersize = 5000
        cursor.execute(query)
        yield from cursor


def _replay(
    sql: Sql,
    report: Report,
    found: dict[tuple[str, str], SchemaObject],
    columns: tuple[str, ...],
    ledger_file: Path | None,
    into: Path | None,
) -> None:
    """Apply every entry to an empty copy of this release's schema and compare the tables."""
    with tempfile.TemporaryDirectory(prefix="ks-verify-") as scratch:
        replica = sqlite3.connect(into or Path(scratch) / "replay.sqlite")
        try:
            entries = stream(sql, f"SELECT {', '.join(columns)} FROM entry ORDER BY seq")
            problem = replay_entries(replica, entries, columns)
            if problem is not None:
                report.problems.append(problem)
                return
            if ledger_file is not None:
                _attach(replica, ledger_file)
            else:
                _load(sql, replica, found, Path(scratch) / "ledger.sqlite")
            differences = []
            for table, order in PROJECTED.items():
                differences.extend(_differences(replica, table, order))
            _add(report, differences)
            replica.execute("DETACH DATABASE ledger")
            if into is not None:
                _make_ledger_file(replica)
        finally:
            replica.close()
    if into is not None:
        _sync(into)


def replay_entries(
    replica: sqlite3.Connection, entries: Iterable[Row], columns: tuple[str, ...]
) -> str | None:
    """Build this release's schema in the empty SQLite database `replica` and apply every
    entry (rows of `columns`, as `entry_columns` names them) to it, without a journal, in
    one transaction committed at the end; the first entry that cannot be applied is
    returned as a problem, and `replica` is then to be thrown away."""
    replica.execute("PRAGMA journal_mode = OFF")
    replica.execute("PRAGMA synchronous = OFF")
    replica.execute("PRAGMA cache_size = -262144")  # 256 MiB: replay is all inserts
    for statement in expected_statements():
        replica.execute(statement)
    sql = queries.sqlite_sql(replica)
    insert = f"INSERT INTO entry ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    for entry in entries:
        replica.execute(insert, entry)
        try:
            events.apply(sql, entry[0], entry[3], json.loads(entry[5]))
        except (LookupError, ValueError, KeyError, sqlite3.Error) as exc:
            return _("replay: entry {seq} cannot be applied: {error}").format(
                seq=entry[0], error=exc
            )
    replica.commit()
    return None


def _make_ledger_file(replica: sqlite3.Connection) -> None:
    """The replay made a ledger file as a first write makes one: its identity, the schema
    revision, WAL (the data written for good first: the replay ran without a journal)."""
    replica.execute("PRAGMA synchronous = FULL")
    replica.execute("INSERT INTO alembic_version (version_num) VALUES (?)", (db.SCHEMA_HEAD,))
    replica.execute(f"PRAGMA application_id = {db.APPLICATION_ID}")
    replica.commit()
    replica.execute("PRAGMA journal_mode = WAL")


def _sync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _attach(replica: sqlite3.Connection, path: Path) -> None:
    try:
        replica.execute("ATTACH DATABASE ? AS ledger", (db.readonly_uri(path),))
        replica.execute("SELECT count(*) FROM ledger.sqlite_master").fetchone()
    except sqlite3.OperationalError:  # a read-only medium: see db._connect_readonly
        with suppress(sqlite3.OperationalError):
            replica.execute("DETACH DATABASE ledger")
        replica.execute("ATTACH DATABASE ? AS ledger", (db.readonly_uri(path, immutable=True),))


def _load(
    sql: Sql,
    replica: sqlite3.Connection,
    found: dict[tuple[str, str], SchemaObject],
    scratch: Path,
) -> None:
    """The ledger's projected tables, read through `sql`, as a scratch SQLite database
    attached to `replica` as `ledger`: this release's columns with their SQLite types (so
    that values compare as a file's would) and no constraints (a forged row must load, to
    be named); dates as ISO text."""
    text_values = dialect.of(sql).text_values
    replica.execute("ATTACH DATABASE ? AS ledger", (str(scratch),))
    replica.execute("PRAGMA ledger.journal_mode = OFF")
    replica.execute("PRAGMA ledger.synchronous = OFF")
    for table in PROJECTED:
        declared = [(row[1], row[2]) for row in replica.execute(f"PRAGMA main.table_info({table})")]
        present = found.get(("table", table))
        have = {column for column, _definition in present.columns} if present else set()
        if not {column for column, _type in declared} <= have:
            continue  # a table or column missing: the schema check names it
        names = ", ".join(_quoted(column) for column, _type in declared)
        replica.execute(
            f"CREATE TABLE ledger.{table} ("
            + ", ".join(f"{_quoted(column)} {kind}" for column, kind in declared)
            + ")"
        )
        marks = ", ".join("?" for _column in declared)
        replica.executemany(
            f"INSERT INTO ledger.{table} ({names}) VALUES ({marks})",
            (text_values(tuple(row)) for row in stream(sql, f"SELECT {names} FROM {table}")),
        )
    replica.commit()


def _differences(replica: sqlite3.Connection, table: str, order: str) -> list[str]:
    expected = [row[1] for row in replica.execute(f"PRAGMA main.table_info({table})")]
    present = {row[1] for row in replica.execute(f"PRAGMA ledger.table_info({table})")}
    if not set(expected) <= present:
        return []  # a table or column missing from the file: the schema check names it
    # This release's columns, by name: an extra column in the file is the schema check's.
    columns = ", ".join(_quoted(c) for c in expected)
    found = []
    for said, left, right in (
        (N_("replay: {table} row {row} is not explained by any entry"), "ledger", "main"),
        (
            N_("replay: {table} row {row} is missing, though the entries record it"),
            "main",
            "ledger",
        ),
    ):
        rows = replica.execute(
            f"SELECT * FROM (SELECT {columns} FROM {left}.{table} "
            f"EXCEPT SELECT {columns} FROM {right}.{table}) ORDER BY {order}"
        ).fetchall()
        for row in rows[:MAX_LINES_PER_CHECK]:
            found.append(_(said).format(table=table, row=_row(row)))
        if len(rows) > MAX_LINES_PER_CHECK:
            more = len(rows) - MAX_LINES_PER_CHECK
            found.append(
                ngettext(
                    "replay: {table}: {count} more such row",
                    "replay: {table}: {count} more such rows",
                    more,
                ).format(table=table, count=more)
            )
    return found


def _quoted(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _row(row: tuple[object, ...]) -> str:
    text = json.dumps(list(row), ensure_ascii=False, default=str)
    return text if len(text) <= 200 else text[:197] + "..."


def _add(report: Report, found: list[str]) -> None:
    report.problems.extend(found[:MAX_LINES_PER_CHECK])
    if len(found) > MAX_LINES_PER_CHECK:
        more = len(found) - MAX_LINES_PER_CHECK
        report.problems.append(
            ngettext("... and {count} more problem", "... and {count} more problems", more).format(
                count=more
            )
        )


# The schema: this release's, and how a file's is compared with it.


def expected_statements() -> list[str]:
    """The SQL statements that build this release's schema, tables first."""
    with suppress(FileNotFoundError):
        text = SCHEMA_FILE.read_text(encoding="utf-8")
        if text.startswith(SCHEMA_FILE_HEADER.format(revision=db.SCHEMA_HEAD)):
            return _statements(text)
    return build_statements()  # a release whose file was not regenerated: slower, still right


def build_statements() -> list[str]:
    """Run this release's migrations into a scratch ledger, as a first write does, and read
    back what they built."""
    with tempfile.TemporaryDirectory(prefix="ks-schema-") as scratch:
        path = Path(scratch) / "schema.sqlite"
        db.write(path, lambda sql: None)
        conn = sqlite3.connect(path)
        try:
            return [
                sql
                for (sql,) in conn.execute(
                    "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL "
                    "AND name NOT LIKE 'sqlite_%' ORDER BY type = 'table' DESC, rowid"
                )
            ]
        finally:
            conn.close()


def write_schema_file() -> None:
    """Regenerate SCHEMA_FILE after adding a migration:
    python -c 'from kerjasama_cli import verify; verify.write_schema_file()'"""
    header = SCHEMA_FILE_HEADER.format(revision=db.SCHEMA_HEAD)
    body = "".join(f"{statement};\n\n" for statement in build_statements())
    SCHEMA_FILE.write_text(
        f"{header}written by verify.write_schema_file, checked by the tests.\n\n{body}",
        encoding="utf-8",
    )


def _statements(text: str) -> list[str]:
    statements, current = [], ""
    for line in text.splitlines(keepends=True):
        if not current and line.startswith("--"):
            continue
        current += line
        if sqlite3.complete_statement(current):
            statements.append(current.strip().removesuffix(";"))
            current = ""
    return statements


def _objects_of(statements: Iterable[str]) -> dict[tuple[str, str], SchemaObject]:
    conn = sqlite3.connect(":memory:")
    try:
        for statement in statements:
            conn.execute(statement)
        return schema_objects(conn)
    finally:
        conn.close()


def expected_schema_objects() -> dict[tuple[str, str], SchemaObject]:
    """This release's schema objects, by (type, name)."""
    return _objects_of(expected_statements())


@dataclass(frozen=True)
class SchemaObject:
    """A table, index, trigger or view, reduced to what it means: SQL in normalised tokens,
    and a table's columns (in order) and constraints (in any order, names ignored)."""

    kind: str
    name: str
    table: str
    tokens: tuple[str, ...] = ()
    columns: tuple[tuple[str, tuple[str, ...]], ...] = ()
    constraints: frozenset[tuple[str, ...]] = frozenset()


# SQLite's own bookkeeping: statistics that ANALYZE writes, AUTOINCREMENT's counters, and the
# indexes of UNIQUE and PRIMARY KEY constraints (no SQL: the table's constraints say them).
def schema_objects(source: sqlite3.Connection | Sql) -> dict[tuple[str, str], SchemaObject]:
    """The schema objects of a SQLite ledger's main database (a connection, or a runner on
    one), by (type, name)."""
    sql = queries.sqlite_sql(source) if isinstance(source, sqlite3.Connection) else source
    found = {}
    rows = sql(
        "SELECT type, name, tbl_name, sql FROM main.sqlite_master WHERE sql IS NOT NULL "
        "AND name NOT LIKE 'sqlite^_stat%' ESCAPE '^' AND name != 'sqlite_sequence'"
    )
    for kind, name, table, sql in rows:
        tokens = _tokens(sql)
        if kind == "table":
            found[(kind, name)] = _table(name, tokens)
        else:
            found[(kind, name)] = SchemaObject(kind, name, table, tokens)
    return found


_TOKEN = re.compile(
    r"""\s+|--[^\n]*|/\*.*?(?:\*/|$)
    |(?P<string>'(?:[^']|'')*')
    |"(?P<double>(?:[^"]|"")*)"|`(?P<back>(?:[^`]|``)*)`|\[(?P<bracket>[^\]]*)\]
    |(?P<word>[^\s'"`\[\]()<>=!|,;.+*/%&~-]+)
    |(?P<op>\|\||<=|>=|==|!=|<>|<<|>>|[^\s])""",
    re.VERBOSE | re.DOTALL,
)


def _tokens(sql: str) -> tuple[str, ...]:
    """SQL as tokens: keywords and identifiers in lower case and unquoted (SQLite compares
    them without regard to case or quotes), strings as written, whitespace and comments gone."""
    tokens = []
    for match in _TOKEN.finditer(sql):
        if match["string"] is not None:
            tokens.append(match["string"])
        elif match["double"] is not None:
            tokens.append(match["double"].replace('""', '"').lower())
        elif match["back"] is not None:
            tokens.append(match["back"].replace("``", "`").lower())
        elif match["bracket"] is not None:
            tokens.append(match["bracket"].lower())
        elif match["word"] is not None or match["op"] is not None:
            tokens.append(match.group().lower())
    return tuple(tokens)


TABLE_CONSTRAINTS = ("primary", "unique", "check", "foreign")


def _table(name: str, tokens: tuple[str, ...]) -> SchemaObject:
    """A CREATE TABLE split into its columns, its constraints, and what follows them."""
    if "(" not in tokens:  # CREATE TABLE ... AS SELECT: never ours
        return SchemaObject("table", name, name, tokens)
    start = tokens.index("(")
    items: list[list[str]] = [[]]
    depth, end = 0, len(tokens)
    for i in range(start + 1, len(tokens)):
        token = tokens[i]
        if token == ")" and depth == 0:
            end = i
            break
        depth += {"(": 1, ")": -1}.get(token, 0)
        if token == "," and depth == 0:
            items.append([])
        else:
            items[-1].append(token)
    columns, constraints = [], set()
    for item in items:
        unnamed = _without_constraint_names(item)
        if not unnamed:
            continue
        if unnamed[0] in TABLE_CONSTRAINTS:
            constraints.add(tuple(unnamed))
        else:
            columns.append((unnamed[0], tuple(unnamed[1:])))
    options = tokens[end + 1 :]  # WITHOUT ROWID, STRICT
    return SchemaObject("table", name, name, options, tuple(columns), frozenset(constraints))


def _without_constraint_names(item: list[str]) -> list[str]:
    """Constraint names say nothing about what is stored: Alembic's batch mode keeps them,
    but an honest rename would not change the ledger."""
    kept, skip = [], 0
    for token in item:
        if skip:
            skip -= 1
        elif token == "constraint":
            skip = 1
        else:
            kept.append(token)
    return kept


# SQLite's kinds, then the ones only PostgreSQL has (see postgres_schema).
KIND_ORDER = {
    "table": 0,
    "index": 1,
    "trigger": 2,
    "view": 3,
    "sequence": 4,
    "function": 5,
    "rule": 6,
    "policy": 7,
}
# The kinds of schema object, as the problems name them in the interface language.
KIND_NAMES = {
    "table": N_("table"),
    "index": N_("index"),
    "trigger": N_("trigger"),
    "view": N_("view"),
    "sequence": N_("sequence"),
    "function": N_("function"),
    "rule": N_("rule"),
    "policy": N_("policy"),
}
# The kinds that belong to a table, whose problems name it.
ON_TABLE = ("index", "trigger", "rule", "policy")


def schema_differences(
    found: dict[tuple[str, str], SchemaObject], expected: dict[tuple[str, str], SchemaObject]
) -> list[str]:
    """One line for each object missing, extra or altered in `found`. The keys are (kind,
    name), a name unique among its kind's (PostgreSQL's triggers, rules and policies are
    keyed by table and name); the lines name each object by its own name."""
    problems = []
    for key in sorted(found.keys() | expected.keys(), key=lambda k: (KIND_ORDER.get(k[0], 9), k)):
        kind = key[0]
        have, want = found.get(key), expected.get(key)
        either = have or want
        name = either.name if either is not None else key[1]
        shown = _(KIND_NAMES[kind]) if kind in KIND_NAMES else kind
        on_table = have is not None and kind in ON_TABLE
        if have is None:
            said = _("schema: {kind} {name} is missing")
        elif want is None:
            said = (
                _("schema: {kind} {name} on {table} is not part of this release's schema")
                if on_table
                else _("schema: {kind} {name} is not part of this release's schema")
            )
        elif kind == "table":
            problems.extend(_table_differences(have, want))
            continue
        elif have != want:
            said = (
                _("schema: {kind} {name} on {table} is altered")
                if on_table
                else _("schema: {kind} {name} is altered")
            )
        else:
            continue
        problems.append(said.format(kind=shown, name=name, table=have.table if have else ""))
    return problems


def _table_differences(have: SchemaObject, want: SchemaObject) -> list[str]:
    table, problems = have.name, []
    has, wants = dict(have.columns), dict(want.columns)
    for column, definition in want.columns:
        if column not in has:
            problems.append(
                _("schema: table {table} has no column {column}").format(table=table, column=column)
            )
        elif has[column] != definition:
            problems.append(
                _(
                    "schema: table {table}'s column {column} is altered ({found}; "
                    "this release: {expected})"
                ).format(
                    table=table, column=column, found=_sql(has[column]), expected=_sql(definition)
                )
            )
    for column, _definition in have.columns:
        if column not in wants:
            problems.append(
                _(
                    "schema: table {table} has a column {column} that is not part of this "
                    "release's schema"
                ).format(table=table, column=column)
            )
    shared = [c for c, _definition in have.columns if c in wants]
    if not problems and shared != [c for c, _definition in want.columns if c in has]:
        problems.append(
            _("schema: table {table}'s columns are not in this release's order").format(table=table)
        )
    for constraint in sorted(want.constraints - have.constraints):
        problems.append(
            _("schema: table {table} lacks the constraint {constraint}").format(
                table=table, constraint=_sql(constraint)
            )
        )
    for constraint in sorted(have.constraints - want.constraints):
        problems.append(
            _(
                "schema: table {table} has a constraint {constraint} that is not part of this "
                "release's schema"
            ).format(table=table, constraint=_sql(constraint))
        )
    if have.tokens != want.tokens:
        problems.append(
            _(
                "schema: table {table}'s options are altered ({found}; this release: {expected})"
            ).format(table=table, found=_options(have.tokens), expected=_options(want.tokens))
        )
    if not problems and have != want:
        problems.append(_("schema: table {table} is altered").format(table=table))
    return problems


def _options(tokens: Sequence[str]) -> str:
    return " ".join(tokens) or _("none")


def _sql(tokens: Sequence[str]) -> str:
    return " ".join(tokens) or _("no type")
