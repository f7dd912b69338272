"""One set of queries for two engines: what tells them apart, tested without a server."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kerjasama_cli import checks, dialect, lifecycle, queries
from kerjasama_cli.errors import KsError


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


def test_each_runner_has_its_dialect() -> None:
    conn = sqlite3.connect(":memory:")
    try:
        assert dialect.of(queries.sqlite_sql(conn)) is dialect.SQLITE
    finally:
        conn.close()
    assert dialect.of(lambda text, **params: []) is dialect.SQLITE
    assert dialect.of(queries.psycopg_sql(object())) is dialect.POSTGRESQL


# --- a term of years -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "years", "last_day"),
    [
        (date(2022, 10, 3), 5, date(2027, 10, 2)),  # the KSB, from Jatim's signature
        (date(2024, 2, 29), 1, date(2025, 2, 28)),  # no 29 Feb in 2025: 1 March less a day
        (date(2024, 2, 29), 4, date(2028, 2, 28)),  # a leap year again: the 29th less a day
        (date(2024, 3, 1), 1, date(2025, 2, 28)),
        (date(2023, 8, 31), 2, date(2025, 8, 30)),
        (date(2023, 1, 31), 1, date(2024, 1, 30)),
        (date(2023, 12, 31), 1, date(2024, 12, 30)),
        (date(2024, 1, 1), 1, date(2024, 12, 31)),
        (date(2096, 2, 29), 4, date(2100, 2, 28)),  # 2100 is no leap year
    ],
)
def test_a_term_ends_as_sqlite_has_always_counted_it(
    start: date, years: int, last_day: date
) -> None:
    assert dialect.term_end(start, years) == last_day
    assert _sqlite_term_end(start, years) == last_day


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2199, 12, 31)), st.integers(1, 100))
def test_the_python_term_end_is_sqlite_s_on_any_day(start: date, years: int) -> None:
    assert dialect.term_end(start, years) == _sqlite_term_end(start, years)


def _sqlite_term_end(start: date, years: int) -> date:
    """The SQLite piece of the status expression, run by SQLite."""
    conn = sqlite3.connect(":memory:")
    try:
        expression = dialect.SQLITE.term_end(":start", ":years")
        (text,) = conn.execute(
            f"SELECT {expression}", {"start": start.isoformat(), "years": years}
        ).fetchone()
    finally:
        conn.close()
    return date.fromisoformat(text)


def test_the_sqlite_pieces_are_the_statements_text_before_postgresql() -> None:
    """The SQLite plans (and the benchmark's baselines) depend on these very words."""
    sqlite = dialect.SQLITE
    assert sqlite.term_end("COALESCE(start_on, last_signed)", "term_years") == (
        "date(COALESCE(start_on, last_signed), '+' || term_years || ' years', '-1 day')"
    )
    assert sqlite.unindexed("n.key") == "+n.key"
    assert sqlite.ordered_join == "CROSS JOIN"
    assert "min(+n.key)" in lifecycle.state_sql(sqlite, "a.id = :id")
    assert "min(n.key)" in lifecycle.state_sql(dialect.POSTGRESQL, "a.id = :id")


def test_postgresql_dates_come_back_as_the_iso_text_sqlite_stores() -> None:
    row = (1, "KSB-2022-0001", date(2022, 7, 28), None, True)
    assert dialect.POSTGRESQL.text_values(row) == (1, "KSB-2022-0001", "2022-07-28", None, True)
    assert dialect.SQLITE.text_values(row) is row


# --- every read statement, as PostgreSQL would be sent it ----------------------------------


class _NoRows:
    """An empty result, as a cursor (with no columns) gives it."""

    description = ()

    def __iter__(self) -> Iterator[Any]:
        return iter(())


def _recording(engine: str) -> tuple[queries.Sql, list[tuple[str, dict[str, Any]]]]:
    """A runner for `engine` that records each statement and its parameters, and finds
    nothing."""
    statements: list[tuple[str, dict[str, Any]]] = []

    def run(text: str, **params: Any) -> Any:
        statements.append((text, params))
        return _NoRows()

    run.dialect = engine  # type: ignore[attr-defined]
    return run, statements


def _every_read(sql: queries.Sql) -> None:
    """Each read function with each of its filters, on an empty ledger."""
    day = date(2022, 9, 10)
    reads: list[Callable[[], Any]] = [
        lambda: queries.resolve_party(sql, "kominfo-jatim"),
        lambda: queries.resolve_party(sql, "Dinas Sosial (Kota Samarinda)"),
        lambda: queries.suggest_parties(sql, "kominfo"),
        lambda: queries.find_agreement(sql, "KSB-2O22-0001"),
        lambda: queries.sides(sql, 1),
        lambda: queries.handovers(sql, 1),
        lambda: queries.ledger_status(sql),
        lambda: lifecycle.agreement_state(sql, 1, day),
        lambda: lifecycle.latest_evaluation(sql, 1, day),
    ]
    for region, province in ((None, None), ("64.72", None), (None, "35"), ("35.78", "35")):
        reads.append(lambda r=region, p=province: queries.list_parties(sql, r, p))
    for key_since in ((None, None), (None, day)):
        reads.append(lambda k=key_since: queries.log_entries(sql, *k))
    for as_of in (day, date.today() + timedelta(1)):
        for by in ({}, {"province_code": "35"}, {"party_id": 3}):
            for kind in (None, "pks"):
                for older_than in (None, 30):
                    reads.append(
                        lambda a=as_of, b=by, k=kind, o=older_than: queries.pending(
                            sql, a, kind=k, older_than=o, **b
                        )
                    )
    for province in (None, "35"):
        reads += [
            lambda p=province: lifecycle.states(sql, day, p),
            lambda p=province: lifecycle.expiring(sql, day, 90, p),
            lambda p=province: lifecycle.ended(sql, day, day - timedelta(365), p),
            lambda p=province: lifecycle.idle(sql, day, 60, p),
            lambda p=province: lifecycle.activities(sql, None, day, p),
            lambda p=province: lifecycle.activities(sql, 1, day, p),
        ]
        for kind in (None, "pks"):
            for status in (None, "in-force"):
                reads.append(
                    lambda p=province, k=kind, s=status: lifecycle.list_agreements(
                        sql, day, p, k, s
                    )
                )
    reads.append(lambda: checks.follow_up(sql, day, 30, 90))
    for read in reads:
        try:
            result = read()
            if isinstance(result, Iterator):
                list(result)
        except KsError:
            pass  # nothing is found in an empty ledger; the statements were sent


# What PostgreSQL refuses or reads otherwise: a parameter it cannot type, `+` on text,
# SQLite's date functions, CROSS JOIN with ON.
_SQLITE_ONLY = {
    "a parameter compared with NULL": re.compile(r":\w+\s+IS\s+(NOT\s+)?NULL", re.I),
    "a unary plus": re.compile(r"[(,\s]\+[A-Za-z_]"),
    "SQLite's date functions": re.compile(r"\b(date|datetime|julianday|strftime)\(", re.I),
    "CROSS JOIN ... ON": re.compile(r"CROSS\s+JOIN\s+\w+\s+\w+\s+ON\b", re.I),
    "a PRAGMA or sqlite_master": re.compile(r"PRAGMA|sqlite_master", re.I),
}


def test_every_read_statement_sent_to_postgresql_is_one_it_accepts() -> None:
    """Each statement of the read side, as built for PostgreSQL: no SQLite-only SQL, and
    every parameter it names has a value (psycopg sends None untyped: such a filter is
    left out instead)."""
    sql, statements = _recording("postgresql")
    _every_read(sql)
    assert len(statements) > 60
    for text, params in statements:
        for what, pattern in _SQLITE_ONLY.items():
            assert not pattern.search(text), (what, text)
        for name in re.findall(r"(?<![:\w]):([A-Za-z_]\w*)", text):
            assert params.get(name) is not None, (name, text)


def test_the_sqlite_statements_differ_from_postgresql_s_only_where_the_dialect_says() -> None:
    """The same statements, in the same order, on both engines; a SQLite statement becomes
    PostgreSQL's by the dialect's pieces alone."""
    lite, on_sqlite = _recording("sqlite")
    postgres, on_postgres = _recording("postgresql")
    _every_read(lite)
    _every_read(postgres)
    assert [params for _text, params in on_sqlite] == [params for _text, params in on_postgres]
    sqlite, pg = dialect.SQLITE, dialect.POSTGRESQL
    pieces = [
        (sqlite.term_end("COALESCE(start_on, last_signed)", "term_years"),
         pg.term_end("COALESCE(start_on, last_signed)", "term_years")),
        (sqlite.unindexed("n.key"), pg.unindexed("n.key")),
        (f" {sqlite.ordered_join} entry ", f" {pg.ordered_join} entry "),
        (f" {sqlite.ordered_join} agreement a ON", f" {pg.ordered_join} agreement a ON"),
        (f" {sqlite.ordered_join} signature x ON", f" {pg.ordered_join} signature x ON"),
        (f" {sqlite.ordered_join} handover x ON", f" {pg.ordered_join} handover x ON"),
    ]  # fmt: skip
    differ = 0
    for (lite_text, _), (pg_text, _) in zip(on_sqlite, on_postgres, strict=True):
        translated = lite_text
        for lite_piece, pg_piece in pieces:
            translated = translated.replace(lite_piece, pg_piece)
        assert translated == pg_text
        differ += lite_text != pg_text
    assert differ > 0
