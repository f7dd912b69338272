"""What state each agreement is in, computed from its events: status, term, expiry, activity.

Nothing here is stored. One SQL expression (STATE_SQL) turns signatures, the term,
terminations and renewals into an agreement's status as of a date, so that `ks list`,
`ks show`, `ks expiring`, `ks idle`, `ks check` and `ks report` always agree.

Statuses: awaiting-signatures, in-force, expiring (its end falls inside the warning
window), expired, terminated, superseded (a renewal is in force). An agreement withdrawn
as recorded in error (`ks void KEY`) is in none of the lists; `ks show` marks it withdrawn.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from functools import cache
from itertools import groupby
from typing import Any

from kerjasama_cli import dialect, regions
from kerjasama_cli.errors import InvalidInput
from kerjasama_cli.i18n import N_, _, format_date
from kerjasama_cli.queries import (
    NOT_VOIDED,
    Sql,
    find_agreement,
    first,
    handovers,
    sides,
    where,
)

STATUSES = ("awaiting-signatures", "in-force", "expiring", "expired", "terminated", "superseded")
WARNING_DAYS = 90  # the default window for "expiring"
WARNING_WINDOWS = (90, 60, 30, 7, 0)  # the usual reminders before the end
RECOMMENDATIONS = ("continue", "extend", "stop")
# The statuses as text for people shows them (`status_word`: `ks show`, `ks list` on a
# terminal); JSON, CSV and piped tables keep the values above, which scripts match.
STATUS_WORDS = {
    "awaiting-signatures": N_("awaiting signatures"),
    "in-force": N_("in force"),
    "expiring": N_("expiring"),
    "expired": N_("expired"),
    "terminated": N_("terminated"),
    "superseded": N_("superseded"),
    "not-yet-agreed": N_("not yet agreed"),
    "withdrawn": N_("withdrawn"),
}


def status_word(status: str) -> str:
    """A status as text shows it, in the interface language (an unknown one as it is)."""
    return _(STATUS_WORDS[status]) if status in STATUS_WORDS else status


# A side is signed as of :as_of by a signature dated then or earlier that was not voided.
_SIGNED_SIDE = (
    "EXISTS (SELECT 1 FROM signature s WHERE s.agreement_id = ap.agreement_id "
    "AND s.party_id = ap.party_id AND s.signed_on <= :as_of AND " + NOT_VOIDED.format("s") + ")"
)

# {where} filters `agreement a`; the parameters are :as_of and :warn_until. The first
# renewal's key is read {unindexed_key} (SQLite's +n.key) to keep SQLite on the renews_id
# index: with statistics it would otherwise walk the whole key index for every agreement.
# `base` is MATERIALIZED because SQLite would otherwise flatten it and copy each correlated
# subquery into every place the CASE expressions mention its column (ten times for
# `unsigned`): computed once per agreement, a report on a million agreements is 2-3x faster.
# The term's end: the end date if given, else N years from the start (or from the last
# signature) less a day, {term_end} as the engine writes it (see dialect.term_end).
# `state_sql` fills in the pieces for an engine.
STATE_SQL = f"""
WITH base AS MATERIALIZED (
  SELECT a.id, a.key, a.kind, a.year, a.seq, a.title, a.agreed_on, a.place,
    a.start_on, a.end_on, a.term_years,
    (SELECT p.key FROM agreement p WHERE p.id = a.parent_id) AS parent_key,
    (SELECT r.key FROM agreement r WHERE r.id = a.renews_id) AS renews_key,
    (SELECT count(*) FROM agreement_party ap
       WHERE ap.agreement_id = a.id AND NOT {_SIGNED_SIDE}) AS unsigned,
    (SELECT count(*) FROM agreement_party ap WHERE ap.agreement_id = a.id) AS sides,
    (SELECT max(s.signed_on) FROM signature s
       WHERE s.agreement_id = a.id AND s.signed_on <= :as_of
         AND {NOT_VOIDED.format("s")}) AS last_signed,
    (SELECT min(t.terminated_on) FROM termination t
       WHERE t.agreement_id = a.id AND t.terminated_on <= :as_of
         AND {NOT_VOIDED.format("t")}) AS terminated_on,
    (SELECT min({{unindexed_key}}) FROM agreement n
       WHERE n.renews_id = a.id AND n.agreed_on <= :as_of AND {NOT_VOIDED.format("n")}
         AND NOT EXISTS (SELECT 1 FROM agreement_party ap
                         WHERE ap.agreement_id = n.id AND NOT {_SIGNED_SIDE})
    ) AS superseded_by,
    (SELECT max(x.held_on) FROM activity x
       WHERE x.agreement_id = a.id AND x.held_on <= :as_of
         AND {NOT_VOIDED.format("x")}) AS last_activity
  FROM agreement a
  WHERE a.agreed_on <= :as_of AND {{where}}
), term AS (
  SELECT base.*,
    CASE
      WHEN end_on IS NOT NULL THEN end_on
      WHEN term_years IS NOT NULL AND unsigned = 0 THEN
        {{term_end}}
    END AS ends_on
  FROM base
)
SELECT term.*,
  CASE
    WHEN terminated_on IS NOT NULL THEN 'terminated'
    WHEN unsigned > 0 THEN 'awaiting-signatures'
    WHEN superseded_by IS NOT NULL THEN 'superseded'
    WHEN ends_on IS NOT NULL AND ends_on < :as_of THEN 'expired'
    WHEN ends_on IS NOT NULL AND ends_on <= :warn_until THEN 'expiring'
    ELSE 'in-force'
  END AS status
FROM term
"""


@cache
def state_sql(engine: dialect.Dialect, filters: str) -> str:
    """STATE_SQL for one engine, its agreements filtered by `filters` (on `agreement a`)."""
    return STATE_SQL.format(
        where=filters,
        unindexed_key=engine.unindexed("n.key"),
        term_end=engine.term_end("COALESCE(start_on, last_signed)", "term_years"),
    )


IN_PROVINCE = (
    "EXISTS (SELECT 1 FROM agreement_party ap2 JOIN party p2 ON p2.id = ap2.party_id "
    "WHERE ap2.agreement_id = a.id AND substr(p2.region_code, 1, 2) = :province)"
)


def state_params(as_of: date, warn_days: int = WARNING_DAYS) -> dict[str, str]:
    return {"as_of": as_of.isoformat(), "warn_until": (as_of + timedelta(warn_days)).isoformat()}


def _where(province_code: str | None, kind: str | None) -> str:
    """What every list of states filters on: agreements not withdrawn, in the province, of
    the kind."""
    clauses = [NOT_VOIDED.format("a")]
    if province_code is not None:
        clauses.append(IN_PROVINCE)
    if kind is not None:
        clauses.append("a.kind = :kind")
    return " AND ".join(clauses)


def _state_json(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "key": row["key"],
        "kind": row["kind"],
        "title": row["title"],
        "status": row["status"],
        "parent": row["parent_key"],
        "date": str(row["agreed_on"]),
        "place": row["place"],
        "start": _text(row["start_on"]),
        "end": _text(row["end_on"]),
        "term_years": row["term_years"],
        "ends_on": _text(row["ends_on"]),
        "in_force_since": _text(row["last_signed"]) if row["unsigned"] == 0 else None,
        "terminated_on": _text(row["terminated_on"]),
        "renews": row["renews_key"],
        "superseded_by": row["superseded_by"],
    }


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _rows(sql: Sql, text: str, **params: Any) -> Iterator[dict[str, Any]]:
    """Rows as dicts, from a sqlite3 or psycopg cursor or a SQLAlchemy result alike, with
    dates as ISO text on either engine (as SQLite stores them)."""
    cursor: Any = sql(text, **params)
    if hasattr(cursor, "keys"):
        names = list(cursor.keys())
    else:
        names = [column[0] for column in cursor.description]
    engine = dialect.of(sql)
    if engine.returns_dates:
        for row in cursor:
            yield dict(zip(names, engine.text_values(row), strict=True))
        return
    for row in cursor:
        yield dict(zip(names, row, strict=True))


class NotYetAgreed(InvalidInput):
    """An agreement's state asked for a day before it was agreed: it did not exist yet."""


def agreement_state(sql: Sql, agreement_id: int, as_of: date) -> dict[str, Any]:
    """One agreement's computed state (withdrawn or not: the caller chose it by its id)."""
    text = state_sql(dialect.of(sql), "a.id = :id")
    row = next(_rows(sql, text, id=agreement_id, **state_params(as_of)), None)
    if row is None:
        found = first(sql("SELECT key, agreed_on FROM agreement WHERE id = :id", id=agreement_id))
        if found is None:
            raise NotYetAgreed(
                _("agreement {number} is not in the ledger").format(number=agreement_id)
            )
        key, agreed_on = found
        raise NotYetAgreed(
            _("{key} was agreed on {agreed}, after {date}").format(
                key=key,
                agreed=format_date(date.fromisoformat(str(agreed_on))),
                date=format_date(as_of),
            )
        )
    return row


def agreement_detail(sql: Sql, key: str, as_of: date) -> dict[str, Any]:
    """Everything `ks show` tells about one agreement, as JSON-ready values."""
    agreement = find_agreement(sql, key, withdrawn=True)
    try:
        state = _state_json(agreement_state(sql, agreement.id, as_of))
    except NotYetAgreed:
        state = {
            "key": agreement.key,
            "kind": agreement.kind,
            "title": agreement.title,
            "status": "not-yet-agreed",
        }
    withdrawal = agreement.withdrawal
    if withdrawal is not None:
        state["status"] = "withdrawn"
    children = [
        {"key": k, "kind": kind, "title": title}
        for k, kind, title in sql(
            "SELECT a.key, a.kind, a.title FROM agreement a "
            f"WHERE a.parent_id = :id AND {NOT_VOIDED.format('a')} ORDER BY a.id",
            id=agreement.id,
        )
    ]
    renewals = [
        k
        for (k,) in sql(
            f"SELECT a.key FROM agreement a WHERE a.renews_id = :id AND {NOT_VOIDED.format('a')} "
            "ORDER BY a.id",
            id=agreement.id,
        )
    ]
    delivered = [
        {
            "date": h.handed_on.isoformat(),
            "to": h.recipient,
            "place": h.place,
            "note": h.note,
            "entry": h.seq,
        }
        for h in handovers(sql, agreement.id)
    ]
    return {
        **state,
        "date": agreement.agreed_on.isoformat(),
        "place": agreement.place,
        "start": _iso(agreement.start_on),
        "end": _iso(agreement.end_on),
        "parent": state.get("parent"),
        "parties": [_side_json(s) for s in sides(sql, agreement.id)],
        "handovers": delivered,
        "children": children,
        "renewed_by": renewals,
        "activities": activities(sql, agreement.id, as_of),
        "evaluation": latest_evaluation(sql, agreement.id, as_of),
        "withdrawn": None
        if withdrawal is None
        else {
            "entry": withdrawal.seq,
            "reason": withdrawal.reason,
            "recorded_at": withdrawal.recorded_at,
            "recorded_by": withdrawal.recorded_by,
        },
    }


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _side_json(side: Any) -> dict[str, Any]:
    return {
        "party": side.party.name,
        "province": side.party.province,
        "number": side.number,
        "signed_on": _iso(side.signed_on),
        "signatory": side.signatory,
        "title": side.title,
        "place": side.place,
        "entry": side.signature_seq,
    }


def list_agreements(
    sql: Sql,
    as_of: date,
    province_code: str | None = None,
    kind: str | None = None,
    status_filter: str | None = None,
) -> Iterator[dict[str, Any]]:
    """Agreements in key order with their state and sides, streamed and grouped as read."""
    text = (
        "SELECT st.*, p.name AS party, p.region_code, ap.number, s.signed_on, s.signatory, "
        "s.title AS signatory_title, s.place AS signed_place "
        f"FROM ({state_sql(dialect.of(sql), _where(province_code, kind))}) AS st "
        "JOIN agreement_party ap ON ap.agreement_id = st.id "
        "JOIN party p ON p.id = ap.party_id "
        "LEFT JOIN signature s ON s.agreement_id = ap.agreement_id AND s.party_id = ap.party_id "
        f"AND s.signed_on <= :as_of AND {NOT_VOIDED.format('s')} "
        + where(None if status_filter is None else "st.status = :status")
        + "ORDER BY st.kind, st.year, st.seq, ap.position"
    )
    rows = _rows(
        sql, text, province=province_code, kind=kind, status=status_filter, **state_params(as_of)
    )
    for _id, group in groupby(rows, key=lambda r: r["id"]):
        members = list(group)
        head = members[0]
        yield {
            **_state_json(head),
            "signed": head["sides"] - head["unsigned"],
            "parties": [
                {
                    "party": r["party"],
                    "province": regions.province_of(r["region_code"]),
                    "number": r["number"],
                    "signed_on": _text(r["signed_on"]),
                    "signatory": r["signatory"],
                    "title": r["signatory_title"],
                    "place": r["signed_place"],
                }
                for r in members
            ],
        }


IN_FORCE = ("in-force", "expiring")
_WITH_A_TERM = " AND (a.end_on IS NOT NULL OR a.term_years IS NOT NULL)"  # only those can end


def states(
    sql: Sql, as_of: date, province_code: str | None = None, warn_days: int = WARNING_DAYS
) -> Iterator[dict[str, Any]]:
    """Every agreement's computed state as of `as_of`, streamed in no particular order.

    One pass over the ledger, for callers that need several views of it (`ks report`).
    """
    text = state_sql(dialect.of(sql), _where(province_code, None))
    return _rows(sql, text, province=province_code, **state_params(as_of, warn_days))


def expiring_item(row: dict[str, Any], as_of: date) -> dict[str, Any]:
    """A state row as `ks expiring` shows it: with the days left and the reminder window
    reached (None while the end is further away than the first reminder)."""
    days_left = (date.fromisoformat(str(row["ends_on"])) - as_of).days
    return {
        **_state_json(row),
        "days_left": days_left,
        "window": min((w for w in WARNING_WINDOWS if w >= days_left), default=None),
    }


def idle_since(row: dict[str, Any]) -> str:
    """Since when an agreement in force has been idle: its last activity, else its start."""
    return str(row["last_activity"] or row["start_on"] or row["last_signed"])


def idle_item(row: dict[str, Any], as_of: date) -> dict[str, Any]:
    """A state row as `ks idle` shows it: with the last activity and the days idle."""
    return {
        **_state_json(row),
        "last_activity": _text(row["last_activity"]),
        "idle_days": (as_of - date.fromisoformat(idle_since(row))).days,
    }


def expiring(
    sql: Sql, as_of: date, within: int = WARNING_DAYS, province_code: str | None = None
) -> Iterator[dict[str, Any]]:
    """In-force agreements whose term ends within `within` days of `as_of`, soonest first."""
    terms = _where(province_code, None) + _WITH_A_TERM
    text = (
        f"SELECT * FROM ({state_sql(dialect.of(sql), terms)}) AS st "
        "WHERE st.status IN ('in-force', 'expiring') AND st.ends_on >= :as_of "
        "AND st.ends_on <= :until ORDER BY st.ends_on, st.key"
    )
    until = (as_of + timedelta(within)).isoformat()
    for row in _rows(sql, text, province=province_code, until=until, **state_params(as_of)):
        yield expiring_item(row, as_of)


def ended(
    sql: Sql, as_of: date, since: date, province_code: str | None = None
) -> Iterator[dict[str, Any]]:
    """Agreements whose term ended from `since` to `as_of` (status expired), by end date.

    Each carries `renewed`: whether any agreement renews it (signed or not).
    """
    terms = _where(province_code, None) + _WITH_A_TERM
    text = (
        "SELECT st.*, EXISTS (SELECT 1 FROM agreement r WHERE r.renews_id = st.id "
        f"AND {NOT_VOIDED.format('r')}) AS renewed "
        f"FROM ({state_sql(dialect.of(sql), terms)}) AS st "
        "WHERE st.status = 'expired' AND st.ends_on >= :since ORDER BY st.ends_on, st.key"
    )
    params = state_params(as_of)
    for row in _rows(sql, text, province=province_code, since=since.isoformat(), **params):
        yield {**_state_json(row), "renewed": bool(row["renewed"])}


def idle(
    sql: Sql, as_of: date, days: int, province_code: str | None = None
) -> Iterator[dict[str, Any]]:
    """Agreements in force with no activity in the last `days` days, longest idle first."""
    text = (
        "SELECT * FROM (SELECT st.*, "
        "COALESCE(st.last_activity, st.start_on, st.last_signed) AS idle_since "
        f"FROM ({state_sql(dialect.of(sql), _where(province_code, None))}) AS st "
        "WHERE st.status IN ('in-force', 'expiring')) AS i "
        "WHERE i.idle_since < :cutoff ORDER BY i.idle_since, i.key"
    )
    cutoff = (as_of - timedelta(days)).isoformat()
    for row in _rows(sql, text, province=province_code, cutoff=cutoff, **state_params(as_of)):
        yield idle_item(row, as_of)


def activities(
    sql: Sql, agreement_id: int | None, as_of: date, province_code: str | None = None
) -> list[dict[str, Any]]:
    """Activities carried out under one agreement (or all, of agreements not withdrawn),
    oldest first."""
    rows = sql(
        "SELECT x.entry_seq, a.key, x.held_on, x.description, p.name FROM activity x "
        "JOIN agreement a ON a.id = x.agreement_id LEFT JOIN party p ON p.id = x.party_id "
        + where(
            "x.held_on <= :as_of",
            NOT_VOIDED.format("x"),
            NOT_VOIDED.format("a") if agreement_id is None else "x.agreement_id = :id",
            None if province_code is None else IN_PROVINCE,
        )
        + "ORDER BY x.held_on, x.id",
        id=agreement_id,
        province=province_code,
        as_of=as_of.isoformat(),
    )
    return [
        {"entry": seq, "agreement": key, "date": str(on), "description": text, "party": party}
        for seq, key, on, text, party in rows
    ]


def latest_evaluation(sql: Sql, agreement_id: int, as_of: date) -> dict[str, Any] | None:
    row = first(
        sql(
            "SELECT e.entry_seq, e.evaluated_on, e.finding, e.recommendation FROM evaluation e "
            f"WHERE e.agreement_id = :id AND e.evaluated_on <= :as_of AND {NOT_VOIDED.format('e')} "
            "ORDER BY e.evaluated_on DESC, e.id DESC LIMIT 1",
            id=agreement_id,
            as_of=as_of.isoformat(),
        )
    )
    if row is None:
        return None
    return {"entry": row[0], "date": str(row[1]), "finding": row[2], "recommendation": row[3]}
