"""What `ks report` says, as data: totals, what waits where, what changed, what ends, what idles.

Built by streaming rows and aggregating as they go by, so the memory it takes does not grow
with the ledger: every agreement's state is computed once (`follow_up`), for the totals, what
expires, what ended and what idles; the waiting documents come from `ks pending`'s query.
The full register of agreements (`register`), which only the xlsx report carries, is streamed
from `ks list`'s query while the workbook is written. Rendering lives in report_render.py and
report_xlsx.py.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from kerjasama_cli import events, lifecycle, queries, regions
from kerjasama_cli.queries import NOT_VOIDED, Sql

AGE_BUCKETS = ((0, 30, "0-30"), (31, 90, "31-90"), (91, 180, "91-180"), (181, None, ">180"))
EXPIRING_DAYS = 90
IDLE_DAYS = 180
IDLE_SHOWN = 50  # the longest idle named; the rest are counted (`ks idle` lists all)


def bucket(days: int) -> str:
    for low, high, label in AGE_BUCKETS:
        if days >= low and (high is None or days <= high):
            return label
    return AGE_BUCKETS[0][2]


def build(
    sql: Sql,
    as_of: date,
    since: date | None = None,
    province_code: str | None = None,
    expiring_days: int = EXPIRING_DAYS,
    idle_days: int = IDLE_DAYS,
    office: str | None = None,
) -> dict[str, Any]:
    """Every section of the report, JSON-ready; `office` is the heading it is issued under
    (the Biro's name), None for none."""
    seq, head = events.head(sql)
    states = follow_up(sql, as_of, since, province_code, expiring_days, idle_days)
    return {
        "as_of": as_of.isoformat(),
        "since": since.isoformat() if since else None,
        "province": province_code,
        "province_name": regions.load().by_code[province_code].name if province_code else None,
        "totals": states.totals(),
        "waiting": waiting(sql, as_of, province_code),
        "changes": changes(sql, as_of, since, province_code, states.ended) if since else None,
        "expiring": sorted(states.expiring, key=lambda r: (r["ends_on"], r["key"])),
        "idle": {
            "count": states.idle.count,
            "longest": [lifecycle.idle_item(row, as_of) for row in states.idle.items()],
        },
        "idle_days": idle_days,
        "expiring_days": expiring_days,
        "ledger": {"entries": seq, "head": head},
        "office": office,
    }


class Longest:
    """The `limit` items with the smallest sort keys of a stream, and how many there were.

    Memory stays at twice the limit however long the stream: a million idle agreements
    are counted, and only the longest idle are kept.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.count = 0
        self._kept: list[tuple[Any, dict[str, Any]]] = []

    def add(self, sort_key: Any, item: dict[str, Any]) -> None:
        self.count += 1
        self._kept.append((sort_key, item))
        if len(self._kept) >= 2 * self.limit:
            self._trim()

    def _trim(self) -> None:
        self._kept.sort(key=lambda kept: kept[0])
        del self._kept[self.limit :]

    def items(self) -> list[dict[str, Any]]:
        self._trim()
        return [item for _, item in self._kept]


@dataclass
class FollowUp:
    """What one pass over every agreement's state gives the report."""

    counts: Counter[tuple[str, str]] = field(default_factory=Counter)
    expiring: list[dict[str, Any]] = field(default_factory=list)
    ended: list[dict[str, Any]] = field(default_factory=list)
    idle: Longest = field(default_factory=lambda: Longest(IDLE_SHOWN))

    def totals(self) -> list[dict[str, Any]]:
        """How many agreements of each kind are in each status."""
        return [
            {"status": status, "kind": kind, "count": self.counts[status, kind]}
            for status in lifecycle.STATUSES
            for kind in ("ksb", "pks", "addendum")
            if self.counts[status, kind]
        ]


def follow_up(
    sql: Sql,
    as_of: date,
    since: date | None,
    province_code: str | None,
    expiring_days: int,
    idle_days: int,
) -> FollowUp:
    """Totals, expiring, ended since `since` and idle, from one pass over the states.

    The same rows as `ks list`, `ks expiring` and `ks idle` give (a test holds them to it),
    but the status expression is computed once per agreement instead of once per section.
    """
    found = FollowUp()
    today, until = as_of.isoformat(), (as_of + timedelta(expiring_days)).isoformat()
    idle_before = (as_of - timedelta(idle_days)).isoformat()
    since_text = since.isoformat() if since else None
    for row in lifecycle.states(sql, as_of, province_code, expiring_days):
        status, ends_on = row["status"], row["ends_on"]
        found.counts[status, row["kind"]] += 1
        if status in lifecycle.IN_FORCE:
            if ends_on is not None and today <= str(ends_on) <= until:
                found.expiring.append(lifecycle.expiring_item(row, as_of))
            idle_since = lifecycle.idle_since(row)
            if idle_since < idle_before:
                found.idle.add((idle_since, row["key"]), row)
        elif status == "expired" and since_text is not None and str(ends_on) >= since_text:
            found.ended.append(
                {
                    "agreement": row["key"],
                    "kind": row["kind"],
                    "title": row["title"],
                    "date": str(ends_on),
                    "reason": None,
                }
            )
    return found


@dataclass
class Register:
    """Every agreement not withdrawn as of a day, streamed in key order (`ks list`'s rows:
    parties with their numbers and signature dates, the term's end, the status), and the
    most parties any of them has (how many party columns a register needs)."""

    most_parties: int
    rows: Iterator[dict[str, Any]]


def register(sql: Sql, as_of: date, province_code: str | None = None) -> Register:
    """The register of agreements for the xlsx report: read while the workbook is written, so
    a million agreements are never held in memory at once."""
    found = queries.first(
        sql(
            "SELECT max(n) FROM (SELECT count(*) AS n FROM agreement a "
            "JOIN agreement_party ap ON ap.agreement_id = a.id "
            f"WHERE a.agreed_on <= :as_of AND {NOT_VOIDED.format('a')} "
            + _in_province(province_code)
            + "GROUP BY a.id) AS sides",  # PostgreSQL before 16 needs the alias
            as_of=as_of.isoformat(),
            province=province_code,
        )
    )
    most = int(found[0]) if found and found[0] is not None else 0
    return Register(most, lifecycle.list_agreements(sql, as_of, province_code))


def waiting(sql: Sql, as_of: date, province_code: str | None) -> list[dict[str, Any]]:
    """Documents waiting for signature, grouped by the province of the party that must sign."""
    table = regions.load()
    groups: dict[str | None, dict[str, Any]] = {}
    for row in queries.pending(sql, as_of, province_code):
        code = row["province"]
        group = groups.get(code)
        if group is None:
            name = table.by_code[code].name if code in table.by_code else None
            group = groups[code] = {
                "province": code,
                "province_name": name,
                "count": 0,
                "ages": {label: 0 for _, _, label in AGE_BUCKETS},
                "oldest": row,  # rows come longest wait first
            }
        group["count"] += 1
        group["ages"][bucket(row["waiting_days"])] += 1
    return sorted(groups.values(), key=lambda g: (-g["count"], g["province"] or "~"))


def changes(
    sql: Sql,
    as_of: date,
    since: date,
    province_code: str | None,
    expired: list[dict[str, Any]],
) -> dict[str, list[dict[str, Any]]]:
    """What was signed, handed over, ended or evaluated from `since` to `as_of`.

    `expired` are the agreements whose term ended in that time (found by `follow_up`).
    """
    params = {"since": since.isoformat(), "as_of": as_of.isoformat(), "province": province_code}

    def happened(
        source: str, on: str, columns: str, names: tuple[str, ...]
    ) -> list[dict[str, Any]]:
        """Rows of `source` (aliased x) dated `on` from :since to :as_of, not voided, of
        agreements not withdrawn."""
        rows = sql(
            f"SELECT a.key, a.kind, a.title, {columns} FROM {source} "
            "JOIN agreement a ON a.id = x.agreement_id "
            f"WHERE x.{on} BETWEEN :since AND :as_of AND {NOT_VOIDED.format('x')} "
            f"AND {NOT_VOIDED.format('a')} "
            + _in_province(province_code)
            + f"ORDER BY x.{on}, a.key",
            **params,
        )
        return _dicts(rows, ("agreement", "kind", "title", *names))

    signed = happened(
        "signature x JOIN party p ON p.id = x.party_id",
        "signed_on",
        "p.name, x.signed_on",
        ("party", "date"),
    )
    handed = happened(
        "handover x JOIN party p ON p.id = x.recipient_id",
        "handed_on",
        "p.name, x.handed_on",
        ("to", "date"),
    )
    terminated = happened(
        "termination x", "terminated_on", "x.terminated_on, x.reason", ("date", "reason")
    )
    evaluated = happened(
        "evaluation x",
        "evaluated_on",
        "x.evaluated_on, x.recommendation, x.finding",
        ("date", "recommendation", "finding"),
    )
    ended = sorted(terminated + expired, key=lambda r: (r["date"], r["agreement"]))
    return {"signed": signed, "handed_over": handed, "ended": ended, "evaluated": evaluated}


def _in_province(province_code: str | None) -> str:
    """The province filter, left out for all provinces (PostgreSQL cannot type a parameter
    only compared with NULL, and a filter that excludes nothing costs SQLite nothing)."""
    return "" if province_code is None else f"AND {lifecycle.IN_PROVINCE} "


def _dicts(rows: Any, names: tuple[str, ...]) -> list[dict[str, Any]]:
    return [
        {name: (str(v) if isinstance(v, date) else v) for name, v in zip(names, row, strict=True)}
        for row in rows
    ]


def csv_rows(data: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The report as one long table: one row per item, the section named in the first column."""
    for total in data["totals"]:
        yield {
            "section": "totals",
            "status": total["status"],
            "kind": total["kind"],
            "count": total["count"],
        }
    for group in data["waiting"]:
        for label, count in group["ages"].items():
            yield {
                "section": "waiting",
                "province": group["province"],
                "age": label,
                "count": count,
            }
        oldest = group["oldest"]
        yield {
            "section": "waiting-oldest",
            "province": group["province"],
            "agreement": oldest["agreement"],
            "kind": oldest["kind"],
            "title": oldest["title"],
            "party": oldest["party"],
            "date": oldest["waiting_since"],
            "days": oldest["waiting_days"],
        }
    for name, items in (data["changes"] or {}).items():
        for item in items:
            yield {"section": name.replace("_", "-"), **_common(item)}
    for item in data["expiring"]:
        yield {
            "section": "expiring",
            "agreement": item["key"],
            "kind": item["kind"],
            "title": item["title"],
            "status": item["status"],
            "date": item["ends_on"],
            "days": item["days_left"],
        }
    for item in data["idle"]["longest"]:
        yield {
            "section": "idle",
            "agreement": item["key"],
            "kind": item["kind"],
            "title": item["title"],
            "date": item["last_activity"],
            "days": item["idle_days"],
        }
    yield {
        "section": "ledger",
        "agreement": data["ledger"]["head"],
        "count": data["ledger"]["entries"],
        "date": data["as_of"],
    }


def _common(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "agreement": item.get("agreement"),
        "kind": item.get("kind"),
        "title": item.get("title"),
        "party": item.get("party") or item.get("to"),
        "date": item.get("date"),
        "status": item.get("recommendation"),
    }


CSV_COLUMNS = (
    "section",
    "province",
    "agreement",
    "kind",
    "title",
    "party",
    "status",
    "age",
    "date",
    "days",
    "count",
)
