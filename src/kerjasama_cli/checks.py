"""`ks check`: the problems a monitoring system should alert on, as data.

Each problem's `kind` and figures are for machines and never change; its `message` is for
people, in the interface language, with dates written in it.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from kerjasama_cli import db, lifecycle, queries, verify
from kerjasama_cli.i18n import _, format_date, ngettext
from kerjasama_cli.location import Location


def run(
    location: Location, as_of: date, max_wait: int, expiring_within: int, full: bool = False
) -> list[dict[str, Any]]:
    """Every problem found in the ledger (a file or a database), each a dict with `kind`
    and a one-line `message`: the ledger's own (`ks verify`), then what it records
    (`follow_up`)."""
    report = verify.verify(location, replay=full)
    problems = [
        {"kind": "ledger", "message": _("ledger: {problem}").format(problem=p)}
        for p in report.problems
    ]
    with db.reader(location) as conn:
        problems += follow_up(db.runner(conn), as_of, max_wait, expiring_within)
    return problems


def follow_up(
    sql: queries.Sql, as_of: date, max_wait: int, expiring_within: int
) -> list[dict[str, Any]]:
    """What the ledger records that needs following up, on either engine: sides waiting
    longer than `max_wait` days, terms ending within `expiring_within` days, and terms that
    ended in the last year without a renewal."""
    problems: list[dict[str, Any]] = []
    for row in queries.pending(sql, as_of, older_than=max_wait):
        problems.append(
            {
                "kind": "waiting",
                "agreement": row["agreement"],
                "party": row["party"],
                "days": row["waiting_days"],
                "message": ngettext(
                    "waiting: {key} for {party}, {days} day since {day}",
                    "waiting: {key} for {party}, {days} days since {day}",
                    row["waiting_days"],
                ).format(
                    key=row["agreement"],
                    party=row["party"],
                    days=row["waiting_days"],
                    day=_day(row["waiting_since"]),
                ),
            }
        )
    for row in lifecycle.expiring(sql, as_of, expiring_within):
        problems.append(
            {
                "kind": "expiring",
                "agreement": row["key"],
                "days": row["days_left"],
                "message": ngettext(
                    "expiring: {key} ends on {day}, in {days} day",
                    "expiring: {key} ends on {day}, in {days} days",
                    row["days_left"],
                ).format(key=row["key"], day=_day(row["ends_on"]), days=row["days_left"]),
            }
        )
    for row in lifecycle.ended(sql, as_of, as_of - timedelta(365)):
        if not row["renewed"]:
            problems.append(
                {
                    "kind": "lapsed",
                    "agreement": row["key"],
                    "message": _("lapsed: {key} ended on {day} and has not been renewed").format(
                        key=row["key"], day=_day(row["ends_on"])
                    ),
                }
            )
    return problems


def _day(iso: str) -> str:
    """A date from the ledger (ISO) as a message writes it."""
    return format_date(date.fromisoformat(iso))
