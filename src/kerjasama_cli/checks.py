"""`ks check`: the problems a monitoring system should alert on, as data."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

from kerjasama_cli import db, lifecycle, queries, verify


def run(
    path: Path, as_of: date, max_wait: int, expiring_within: int, full: bool = False
) -> list[dict[str, Any]]:
    """Every problem found, each a dict with `kind` and a one-line `message`."""
    problems: list[dict[str, Any]] = []
    report = verify.verify(path, replay=full)
    problems += [{"kind": "ledger", "message": f"ledger: {p}"} for p in report.problems]
    with db.reader(path) as conn:
        sql = queries.sqlite_sql(conn)
        for row in queries.pending(sql, as_of, older_than=max_wait):
            problems.append(
                {
                    "kind": "waiting",
                    "agreement": row["agreement"],
                    "party": row["party"],
                    "days": row["waiting_days"],
                    "message": f"waiting: {row['agreement']} for {row['party']}, "
                    f"{row['waiting_days']} days since {row['waiting_since']}",
                }
            )
        for row in lifecycle.expiring(sql, as_of, expiring_within):
            problems.append(
                {
                    "kind": "expiring",
                    "agreement": row["key"],
                    "days": row["days_left"],
                    "message": f"expiring: {row['key']} ends on {row['ends_on']}, "
                    f"in {row['days_left']} days",
                }
            )
        for row in lifecycle.ended(sql, as_of, as_of - timedelta(365)):
            if not row["renewed"]:
                problems.append(
                    {
                        "kind": "lapsed",
                        "agreement": row["key"],
                        "message": f"lapsed: {row['key']} ended on {row['ends_on']} "
                        "and has not been renewed",
                    }
                )
    return problems
