"""What truly differs between SQLite and PostgreSQL in the ledger's SQL, and nothing else.

Every statement is written once, in SQL both engines accept, with its filters built in code
(never `(:p IS NULL OR ...)`: PostgreSQL cannot type a bare parameter). A statement asks the
dialect of the runner it is given, `of(sql)`, for the few pieces that differ:

- `term_end`: the last day of a term of N years, as SQLite's date arithmetic has always
  counted it (29 February plus a year is 1 March, so the term ends on 28 February);
  PostgreSQL's intervals would end it a day earlier.
- `unindexed` and `ordered_join`: planner hints. SQLite plans without statistics unless the
  ledger was ANALYZEd and never reorders a CROSS JOIN, so a few statements steer it; on
  PostgreSQL the hints are not even valid (`+` on text, `CROSS JOIN ... ON`) and its planner
  needs none.
- `returns_dates`: DATE columns come back as `datetime.date` from PostgreSQL but as ISO text
  from SQLite (where they are stored as text); callers get ISO text from both.

The SQLite pieces are the text the statements had before PostgreSQL, byte for byte, so the
SQLite plans (and the benchmark's baselines) stay what they were.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any


@dataclass(frozen=True)
class Dialect:
    """The pieces of SQL one engine writes its own way."""

    name: str
    # A join SQLite must keep in the order written (it never reorders a CROSS JOIN, and
    # accepts ON with it); PostgreSQL takes no ON after CROSS JOIN and needs no hint.
    ordered_join: str
    # Whether DATE columns come back as datetime.date rather than ISO text.
    returns_dates: bool

    def unindexed(self, column: str) -> str:
        """`column`, kept from matching an index on SQLite (the unary plus), so that the
        planner takes the index the statement means; PostgreSQL has no `+` for text."""
        return f"+{column}" if self.name == "sqlite" else column

    def term_end(self, start: str, years: str) -> str:
        """The last day of a term of `years` years from `start` (both SQL expressions): the
        same day `years` later less a day, a 29 February becoming 1 March when the year it
        lands in has none (as `term_end` in Python counts it)."""
        if self.name == "sqlite":
            return f"date({start}, '+' || {years} || ' years', '-1 day')"
        # The first of the same month `years` later, plus the day of the month less two: a
        # day past the end of February rolls into March exactly as SQLite's date() does.
        return (
            f"(make_date(CAST(EXTRACT(YEAR FROM {start}) AS integer) + {years}, "
            f"CAST(EXTRACT(MONTH FROM {start}) AS integer), 1) "
            f"+ (CAST(EXTRACT(DAY FROM {start}) AS integer) - 2))"
        )

    def text_values(self, row: tuple[Any, ...]) -> tuple[Any, ...]:
        """A row's values as SQLite gives them: dates as ISO text."""
        if not self.returns_dates:
            return row
        return tuple(v.isoformat() if isinstance(v, date) else v for v in row)


SQLITE = Dialect("sqlite", ordered_join="CROSS JOIN", returns_dates=False)
POSTGRESQL = Dialect("postgresql", ordered_join="JOIN", returns_dates=True)
DIALECTS = {d.name: d for d in (SQLITE, POSTGRESQL)}


def of(sql: Any) -> Dialect:
    """The dialect of a runner (`queries.Sql`), by `queries.dialect_of`."""
    from kerjasama_cli.queries import dialect_of

    return DIALECTS[dialect_of(sql)]


def term_end(start: date, years: int) -> date:
    """The last day of a term of `years` years from `start`, as `Dialect.term_end` computes
    it on either engine: 2024-02-29 for one year ends on 2025-02-28 (the term's anniversary
    counts as 1 March), 2023-08-31 for one year on 2024-08-30."""
    return date(start.year + years, start.month, 1) + timedelta(days=start.day - 2)
