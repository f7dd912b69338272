"""What `ks report` says, as data: totals, what waits where, what changed, what ends, what idles.

Built by streaming the same queries the other commands use, aggregating as rows go by, so
the memory it takes does not grow with the ledger. Rendering lives in report_render.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

from kerjasama_cli import events, lifecycle, queries, regions
from kerjasama_cli.queries import NOT_VOIDED, Sql

AGE_BUCKETS = ((0, 30, "0-30"), (31, 90, "31-90"), (91, 180, "91-180"), (181, None, ">180"))
EXPIRING_DAYS = 90
IDLE_DAYS = 180


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
) -> dict[str, Any]:
    """Every section of the report, JSON-ready."""
    seq, head = events.head(sql)
    return {
        "as_of": as_of.isoformat(),
        "since": since.isoformat() if since else None,
        "province": province_code,
        "totals": totals(sql, as_of, province_code),
        "waiting": waiting(sql, as_of, province_code),
        "changes": changes(sql, as_of, since, province_code) if since else None,
        "expiring": list(lifecycle.expiring(sql, as_of, expiring_days, province_code)),
        "idle": list(lifecycle.idle(sql, as_of, idle_days, province_code)),
        "idle_days": idle_days,
        "expiring_days": expiring_days,
        "ledger": {"entries": seq, "head": head},
    }


def totals(sql: Sql, as_of: date, province_code: str | None) -> list[dict[str, Any]]:
    """How many agreements of each kind are in each status."""
    where = "1 = 1" if province_code is None else lifecycle.IN_PROVINCE
    rows = sql(
        f"SELECT status, kind, count(*) FROM ({lifecycle.STATE_SQL.format(where=where)}) AS st "
        "GROUP BY status, kind",
        province=province_code,
        **lifecycle.state_params(as_of),
    )
    counts = {(status, kind): int(n) for status, kind, n in rows}
    return [
        {"status": status, "kind": kind, "count": counts.get((status, kind), 0)}
        for status in lifecycle.STATUSES
        for kind in ("ksb", "pks", "addendum")
        if counts.get((status, kind))
    ]


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
    sql: Sql, as_of: date, since: date, province_code: str | None
) -> dict[str, list[dict[str, Any]]]:
    """What was signed, handed over, ended or evaluated from `since` to `as_of`."""
    params = {"since": since.isoformat(), "as_of": as_of.isoformat(), "province": province_code}
    in_province = "(:province IS NULL OR " + lifecycle.IN_PROVINCE + ")"
    signed = _dicts(
        sql(
            "SELECT a.key, a.kind, a.title, p.name, s.signed_on FROM signature s "
            "JOIN agreement a ON a.id = s.agreement_id JOIN party p ON p.id = s.party_id "
            f"WHERE s.signed_on BETWEEN :since AND :as_of AND {NOT_VOIDED.format('s')} "
            f"AND {in_province} ORDER BY s.signed_on, a.key",
            **params,
        ),
        ("agreement", "kind", "title", "party", "date"),
    )
    handed = _dicts(
        sql(
            "SELECT a.key, a.kind, a.title, p.name, h.handed_on FROM handover h "
            "JOIN agreement a ON a.id = h.agreement_id JOIN party p ON p.id = h.recipient_id "
            f"WHERE h.handed_on BETWEEN :since AND :as_of AND {NOT_VOIDED.format('h')} "
            f"AND {in_province} ORDER BY h.handed_on, a.key",
            **params,
        ),
        ("agreement", "kind", "title", "to", "date"),
    )
    terminated = _dicts(
        sql(
            "SELECT a.key, a.kind, a.title, t.terminated_on, t.reason FROM termination t "
            "JOIN agreement a ON a.id = t.agreement_id "
            f"WHERE t.terminated_on BETWEEN :since AND :as_of AND {NOT_VOIDED.format('t')} "
            f"AND {in_province} ORDER BY t.terminated_on, a.key",
            **params,
        ),
        ("agreement", "kind", "title", "date", "reason"),
    )
    expired = [
        {
            "agreement": r["key"],
            "kind": r["kind"],
            "title": r["title"],
            "date": r["ends_on"],
            "reason": None,
        }
        for r in lifecycle.list_agreements(sql, as_of, province_code, None, "expired")
        if r["ends_on"] and r["ends_on"] >= since.isoformat()
    ]
    evaluated = _dicts(
        sql(
            "SELECT a.key, a.kind, a.title, e.evaluated_on, e.recommendation, e.finding "
            "FROM evaluation e JOIN agreement a ON a.id = e.agreement_id "
            f"WHERE e.evaluated_on BETWEEN :since AND :as_of AND {NOT_VOIDED.format('e')} "
            f"AND {in_province} ORDER BY e.evaluated_on, a.key",
            **params,
        ),
        ("agreement", "kind", "title", "date", "recommendation", "finding"),
    )
    ended = sorted(terminated + expired, key=lambda r: (r["date"], r["agreement"]))
    return {"signed": signed, "handed_over": handed, "ended": ended, "evaluated": evaluated}


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
    for item in data["idle"]:
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
