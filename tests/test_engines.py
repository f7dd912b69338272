"""One set of queries for two engines: what tells them apart, tested without a server."""

from __future__ import annotations

import sqlite3

from kerjasama_cli import queries


def test_named_parameters_become_psycopg_placeholders_and_casts_and_percents_survive() -> None:
    text = (
        "SELECT a.key, a.agreed_on::text FROM agreement a "
        "WHERE a.agreed_on <= :as_of AND a.title LIKE '%Pariwisata%' AND a.kind = :kind"
    )
    assert queries.pyformat(text) == (
        "SELECT a.key, a.agreed_on::text FROM agreement a "
        "WHERE a.agreed_on <= %(as_of)s AND a.title LIKE '%%Pariwisata%%' AND a.kind = %(kind)s"
    )


def test_each_runner_names_its_engine_and_a_plain_callable_is_sqlite() -> None:
    conn = sqlite3.connect(":memory:")
    try:
        assert queries.dialect_of(queries.sqlite_sql(conn)) == "sqlite"
    finally:
        conn.close()
    assert queries.dialect_of(lambda text, **params: []) == "sqlite"
    assert queries.dialect_of(queries.psycopg_sql(object())) == "postgresql"
