#!/usr/bin/env python3
"""Write src/kerjasama_cli/data/schema-postgresql.json: what `ks db init` builds on PostgreSQL.

    .venv/bin/python scripts/postgres_schema.py [URL]

URL (default: $KS_POSTGRES_URL) names a database on a server where a database may be created,
e.g. postgresql://postgres@/postgres?host=/tmp/pg; a scratch database is made there, given the
schema by `ks db init` (this release's migrations), described from its catalog, and dropped.
Run it after adding a migration, as verify.write_schema_file() for SQLite; a test fails until
then (tests/test_postgres_verify.py).
"""

from __future__ import annotations

import os
import sys
from urllib.parse import urlsplit, urlunsplit
from uuid import uuid4

import psycopg

from kerjasama_cli import db, postgres_schema
from kerjasama_cli.location import ServerLedger
from kerjasama_cli.queries import psycopg_sql


def main(argv: list[str]) -> int:
    url = argv[1] if len(argv) > 1 else os.environ.get("KS_POSTGRES_URL")
    if not url:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    name = f"ks_schema_{uuid4().hex[:12]}"
    scratch = urlunsplit(urlsplit(url)._replace(path=f"/{name}"))
    with psycopg.connect(ServerLedger(url).conninfo, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        db.init(ServerLedger(scratch))
        with db.reader(ServerLedger(scratch)) as conn:
            text = postgres_schema.snapshot_text(psycopg_sql(conn))
    finally:
        with psycopg.connect(ServerLedger(url).conninfo, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    postgres_schema.SNAPSHOT_FILE.write_text(text, encoding="utf-8")
    print(f"wrote {postgres_schema.SNAPSHOT_FILE} (schema {db.SCHEMA_HEAD})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
