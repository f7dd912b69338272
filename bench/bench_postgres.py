"""The PostgreSQL rows of the benchmark: the bench's SQLite ledgers loaded into a server.

Run by bench.py in child processes (the venv's Python: psycopg and kerjasama_cli), never
imported by the parent. `load` makes a database with `ks db init` (the migrations, so the
schema is exactly what a shared ledger has), then copies every table of the SQLite ledger
into it with COPY, triggers and foreign keys off for the copy (session_replication_role =
replica: the rows are already a ledger's, checked by `ks verify` on the file), then ANALYZE,
as any administrator of a database that size would. The database is named after the SQLite
ledger's size and stamp and kept for the next run.

`pending_sql` and `report_sql` record the statements `ks` sends to PostgreSQL (the runner
says `postgresql`, so the dialect's text is what is recorded), with every parameter written
as a literal, for `psql` to run as the baseline.
"""

from __future__ import annotations

import sqlite3
import subprocess
import time
from datetime import date
from typing import Any

from bench import literal_sql  # the parent's own, also used for the SQLite baselines

# Tables in the order their rows refer to each other (only for readability: the copy runs
# with foreign keys off).
TABLES = (
    "entry",
    "party",
    "party_alias",
    "agreement",
    "agreement_party",
    "signature",
    "handover",
    "void",
    "termination",
    "activity",
    "evaluation",
)


def libpq_url(url: str) -> str:
    """The URL as libpq (psql) takes it: without SQLAlchemy's `+psycopg`."""
    from kerjasama_cli.location import ServerLedger

    return ServerLedger(url).conninfo


def database_url(url: str, name: str) -> str:
    """`url` naming the database `name` instead (host, user and options kept)."""
    head, _, query = url.partition("?")
    scheme, _, rest = head.partition("://")
    authority = rest.split("/", 1)[0]
    return f"{scheme}://{authority}/{name}" + (f"?{query}" if query else "")


def load(maintenance_url: str, sqlite_path: str, n: int, stamp: str, ks: str) -> dict[str, Any]:
    """The bench ledger of `n` agreements in a PostgreSQL database of its own."""
    import psycopg

    name = f"ks_bench_{n}_{stamp}".lower()
    url = database_url(libpq_url(maintenance_url), name)
    started = time.perf_counter()
    with psycopg.connect(libpq_url(maintenance_url), autocommit=True) as admin:
        found = admin.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
            (name,),
        ).fetchone()
        if found and found[0] == "complete":
            return {"url": url, "cached": True, "seconds": 0.0, "rows": _counts(url)}
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    subprocess.run([ks, "--db", url, "db", "init"], check=True, capture_output=True)
    source = sqlite3.connect(f"file:{sqlite_path}?mode=ro", uri=True)
    try:
        with psycopg.connect(url) as conn:
            conn.execute("SET session_replication_role = replica")
            for table in TABLES:
                theirs = [r[1] for r in source.execute(f'PRAGMA table_info("{table}")')]
                ours = {
                    r[0]
                    for r in conn.execute(
                        "SELECT column_name FROM information_schema.columns "
                        "WHERE table_schema = current_schema() AND table_name = %s",
                        (table,),
                    )
                }
                columns = [c for c in theirs if c in ours]
                quoted = ", ".join(f'"{c}"' for c in columns)
                with conn.cursor().copy(f'COPY "{table}" ({quoted}) FROM STDIN') as copy:
                    for row in source.execute(f'SELECT {quoted} FROM "{table}"'):
                        copy.write_row(row)
            conn.execute("SET session_replication_role = origin")
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("ANALYZE")
        with psycopg.connect(libpq_url(maintenance_url), autocommit=True) as admin:
            admin.execute(f"COMMENT ON DATABASE \"{name}\" IS 'complete'")
    finally:
        source.close()
    return {
        "url": url,
        "cached": False,
        "seconds": round(time.perf_counter() - started, 1),
        "rows": _counts(url),
    }


def _counts(url: str) -> dict[str, int]:
    import psycopg

    counts = {}
    with psycopg.connect(url) as conn:
        for table in TABLES:
            (counts[table],) = conn.execute(f'SELECT count(*) FROM "{table}"').fetchall()[0]
    return counts


class Fetched:
    """A statement's rows, fetched, with the cursor's description (lifecycle names the
    columns from it)."""

    def __init__(self, rows: list[Any], description: Any) -> None:
        self.rows, self.description = rows, description

    def __iter__(self) -> Any:
        return iter(self.rows)


def pending_sql(url: str, province_ref: str) -> dict[str, Any]:
    """The statement `ks pending --province X` sends to PostgreSQL, as literals."""
    import psycopg

    from kerjasama_cli import queries, regions

    province = regions.load().resolve_province(province_ref).code
    captured: dict[str, Any] = {}

    def capture(text: str, **params: Any) -> list[Any]:
        captured.update(text=text, params=params)
        return []

    capture.dialect = queries.POSTGRESQL  # type: ignore[attr-defined]
    list(queries.pending(capture, date.today(), province))
    literal = literal_sql(captured["text"], captured["params"]).strip() + ";"
    with psycopg.connect(url) as conn:
        plan = [r[0] for r in conn.execute("EXPLAIN " + literal.rstrip(";"))]
    return {"province": province, "sql": literal, "plan": plan}


def report_sql(url: str, as_of_text: str, since_text: str) -> dict[str, Any]:
    """Every statement `ks report --as-of --since` sends to PostgreSQL, as literals, with
    the rows each gave and the time spent in the server."""
    import psycopg

    from kerjasama_cli import queries, report

    statements: list[dict[str, Any]] = []
    with psycopg.connect(url) as conn:
        run = queries.psycopg_sql(conn)

        def recording(text: str, **params: Any) -> Any:
            started = time.perf_counter()
            cursor = run(text, **params)
            rows = Fetched(list(cursor), getattr(cursor, "description", None))
            statements.append(
                {
                    "sql": literal_sql(text, params).strip() + ";",
                    "rows": len(rows.rows),
                    "server_seconds": round(time.perf_counter() - started, 3),
                }
            )
            return rows

        recording.dialect = queries.POSTGRESQL  # type: ignore[attr-defined]
        started = time.perf_counter()
        report.build(recording, date.fromisoformat(as_of_text), date.fromisoformat(since_text))
        build_seconds = round(time.perf_counter() - started, 3)
    return {
        "sql": "\n".join(s["sql"] for s in statements),
        "rows": sum(s["rows"] for s in statements),
        "build_seconds": build_seconds,
        "statements": statements,
    }
