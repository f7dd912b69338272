"""Read-side queries: references, pending signatures, agreement details and lists.

Every query is plain SQL with `:name` parameters, run through a `Sql` callable, so the same
text serves the standard library's sqlite3 on the read path (fast start-up, no ORM objects),
a SQLAlchemy connection inside write transactions, and psycopg on PostgreSQL. Each statement
is written once, in SQL both engines accept; its filters are built in code (`where`), and the
few pieces the engines write differently come from `dialect.of(sql)`.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

from kerjasama_cli import dialect
from kerjasama_cli import regions as regions_mod
from kerjasama_cli.errors import Ambiguous, Damaged, InvalidInput, NotFound, either
from kerjasama_cli.i18n import N_, _, format_date

Row = Sequence[Any]
Sql = Callable[..., Iterable[Row]]  # sql(text, **params) -> rows; see dialect_of
SQLITE, POSTGRESQL = "sqlite", "postgresql"


def dialect_of(sql: Sql) -> str:
    """The engine a runner talks to: `sqlite` or `postgresql`. A runner made here says so
    in its `dialect` attribute; any other callable (a test's, the bench's recording
    wrapper around a sqlite3 connection) is taken to be SQLite's."""
    return str(getattr(sql, "dialect", SQLITE))


def sqlite_sql(conn: sqlite3.Connection) -> Sql:
    """Run queries on a standard-library sqlite3 connection."""

    def run(text: str, **params: Any) -> Iterable[Row]:
        return conn.execute(text, params)

    run.dialect = SQLITE  # type: ignore[attr-defined]
    return run


def sqlalchemy_sql(conn: Any) -> Sql:
    """Run queries on a SQLAlchemy connection (inside a write transaction)."""
    from sqlalchemy import text as sa_text

    def run(text: str, **params: Any) -> Iterable[Row]:
        return conn.execute(sa_text(text), params)

    run.dialect = conn.dialect.name  # type: ignore[attr-defined]
    return run


def psycopg_sql(conn: Any) -> Sql:
    """Run queries on a psycopg 3 connection: the `:name` parameters become `%(name)s`."""

    def run(text: str, **params: Any) -> Iterable[Row]:
        return conn.execute(pyformat(text), params)

    run.dialect = POSTGRESQL  # type: ignore[attr-defined]
    return run


_PARAMETER = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")


@cache
def pyformat(text: str) -> str:
    """`:name` parameters as psycopg's `%(name)s`, a literal `%` doubled; `::type` casts stay."""
    return _PARAMETER.sub(r"%(\1)s", text.replace("%", "%%"))


def first(rows: Iterable[Row]) -> Row | None:
    return next(iter(rows), None)


def where(*clauses: str | None) -> str:
    """A WHERE clause of the filters given (None for a filter not asked for), or nothing.

    Filters are chosen here rather than written `(:p IS NULL OR ...)`: PostgreSQL cannot
    type a parameter that is only compared with NULL, and a filter left out costs nothing.
    """
    given = [c for c in clauses if c is not None]
    return f"WHERE {' AND '.join(given)} " if given else ""


def normalize(reference: str) -> str:
    """How names, aliases and references compare: case-insensitive, spaces folded."""
    return " ".join(reference.casefold().split())


# A row counts unless a later entry voided the entry that recorded it: the one rule, for
# signatures, handovers, terminations, activities, evaluations, and agreements (an agreement
# whose `agreement.add` entry was voided is withdrawn: `ks void KEY`). Format it with the
# alias of the table: NOT_VOIDED.format("s").
NOT_VOIDED = "NOT EXISTS (SELECT 1 FROM void v WHERE v.target_seq = {}.entry_seq)"
VALID_SIGNATURE_OF_SIDE = (
    "SELECT 1 FROM signature s WHERE s.agreement_id = ap.agreement_id "
    "AND s.party_id = ap.party_id AND " + NOT_VOIDED.format("s")
)

# --- parties -----------------------------------------------------------------------------


@dataclass(frozen=True)
class PartyInfo:
    """A party as the domain sees it; `id` is None for a region's government not yet recorded."""

    id: int | None
    name: str
    kind: str
    region_code: str | None
    signatory_title: str | None

    @property
    def province(self) -> str | None:
        return regions_mod.province_of(self.region_code)


_PARTY_COLUMNS = "p.id, p.name, p.kind, p.region_code, p.signatory_title"


def _party(row: Row) -> PartyInfo:
    return PartyInfo(row[0], row[1], row[2], row[3], row[4])


def resolve_party(sql: Sql, reference: str) -> PartyInfo:
    """Find a party by alias, exact name, or (for a region's government) a region reference.

    Names are unique per region only: a name several regions use must be qualified with
    the region, as `qualified_name` writes it ("Dinas Sosial (Kota Samarinda)").
    """
    key = normalize(reference)
    if not key:
        raise InvalidInput(_("a party reference cannot be empty"))
    row = first(
        sql(
            f"SELECT {_PARTY_COLUMNS} FROM party_alias a JOIN party p ON p.id = a.party_id "
            "WHERE a.alias_key = :key",
            key=key,
        )
    )
    if row is not None:
        return _party(row)
    named = [
        _party(r)
        for r in sql(f"SELECT {_PARTY_COLUMNS} FROM party p WHERE p.name_key = :key", key=key)
    ]
    if len(named) == 1:
        return named[0]
    if len(named) > 1:
        choices = sorted(qualified_name(p) for p in named)
        raise Ambiguous(
            _("{reference!r} is the name of {count} parties; say which: {choices}").format(
                reference=reference, count=len(named), choices=either(choices)
            )
        )
    if (qualified := _qualified(sql, reference)) is not None:
        return qualified
    table = regions_mod.load()
    try:
        region = table.resolve(reference)
    except Ambiguous:
        raise
    except NotFound:
        raise NotFound(
            _("unknown party {reference!r}").format(reference=reference),
            suggest_parties(sql, reference),
        ) from None
    return government(sql, region)


def qualified_name(party: PartyInfo) -> str:
    """The party's name with its region, as `resolve_party` reads it back: a party of a
    region is "Name (Region)", one without a region is its name alone (no other party may
    have it)."""
    if party.region_code is None:
        return party.name
    table = regions_mod.load()
    region = table.by_code[party.region_code]
    # The region's name, unless another region has it too: then its code.
    where = region.name if table.matches(region.name) == (region,) else region.code
    return f"{party.name} ({where})"


def _qualified(sql: Sql, reference: str) -> PartyInfo | None:
    """The party a reference "Name (Region)" names, or None if it is not of that form.

    The region is any region reference (Kota Samarinda, samarinda, 64.72); a name with
    parentheses of its own was looked up whole before this.
    """
    name, opening, rest = reference.strip().rpartition("(")
    if not opening or not name.strip() or not rest.endswith(")"):
        return None
    try:
        region = regions_mod.load().resolve(rest[:-1])
    except InvalidInput:
        return None
    key = normalize(name)
    row = first(
        sql(
            f"SELECT {_PARTY_COLUMNS} FROM party p "
            "WHERE p.name_key = :key AND p.region_code = :code",
            key=key,
            code=region.code,
        )
    )
    if row is not None:
        return _party(row)
    # The government by its name, or a region as a suggestion shows it ("Jawa Timur (jatim)").
    if key == normalize(region.government_name) or regions_mod.load().matches(name) == (region,):
        return government(sql, region)
    elsewhere = [
        qualified_name(_party(r))
        for r in sql(f"SELECT {_PARTY_COLUMNS} FROM party p WHERE p.name_key = :key", key=key)
    ]
    if not elsewhere:
        return None
    raise NotFound(
        _("unknown party {reference!r}").format(reference=reference), sorted(elsewhere)[:3]
    )


def government(sql: Sql, region: regions_mod.Region) -> PartyInfo:
    """The party that is `region`'s government, recorded or not."""
    row = first(
        sql(
            f"SELECT {_PARTY_COLUMNS} FROM party p "
            "WHERE p.kind = 'government' AND p.region_code = :code",
            code=region.code,
        )
    )
    if row is not None:
        return _party(row)
    return PartyInfo(None, region.government_name, "government", region.code, region.head_title)


def suggest_parties(sql: Sql, reference: str, limit: int = 3) -> list[str]:
    """What `reference` may have meant: first the aliases it begins ("dkp" for dkp-jatim and
    dkp-kaltim), then the closest aliases and names, then region references. A name that
    several regions use is offered as it must be typed, with its region."""
    key = normalize(reference)
    aliases: dict[str, str] = {
        alias_key: alias
        for alias_key, alias in sql("SELECT alias_key, alias FROM party_alias ORDER BY alias_key")
    }
    suggestions = [alias for alias_key, alias in aliases.items() if alias_key.startswith(key)]
    named: dict[str, list[PartyInfo]] = {}
    for row in sql(f"SELECT {_PARTY_COLUMNS}, p.name_key FROM party p"):
        named.setdefault(row[5], []).append(_party(row))
    known = {alias_key: [alias] for alias_key, alias in aliases.items()}
    for name_key, parties in named.items():
        shown = [parties[0].name] if len(parties) == 1 else [qualified_name(p) for p in parties]
        known.setdefault(name_key, sorted(shown))
    for close in regions_mod.close_matches(key, list(known), n=limit, cutoff=0.6):
        suggestions.extend(s for s in known[close] if s not in suggestions)
    for label in regions_mod.load().suggest(reference, limit):
        if len(suggestions) >= limit:
            break
        suggestions.append(label)
    return suggestions[:limit]


def list_parties(
    sql: Sql, region_code: str | None = None, province_code: str | None = None
) -> Iterator[dict[str, Any]]:
    """Recorded parties with their aliases, by region then name."""
    aliases: dict[int, list[str]] = {}
    for party_id, alias in sql("SELECT party_id, alias FROM party_alias ORDER BY alias_key"):
        aliases.setdefault(party_id, []).append(alias)
    rows = sql(
        "SELECT p.id, p.name, p.kind, p.region_code, p.signatory_title FROM party p "
        + where(
            None if region_code is None else "p.region_code = :region",
            None if province_code is None else "substr(p.region_code, 1, 2) = :province",
        )
        # NULLS FIRST: as SQLite sorts them; PostgreSQL would put the parties of no region last.
        + "ORDER BY p.region_code NULLS FIRST, p.kind, p.name_key",
        region=region_code,
        province=province_code,
    )
    for pid, name, kind, region, title in rows:
        yield {
            "id": pid,
            "name": name,
            "kind": kind,
            "region": region,
            "province": regions_mod.province_of(region),
            "aliases": aliases.get(pid, []),
            "signatory_title": title,
        }


# --- agreements --------------------------------------------------------------------------


@dataclass(frozen=True)
class Withdrawal:
    """The entry that withdrew an agreement recorded in error (voided its `agreement.add`)."""

    seq: int
    reason: str
    recorded_at: str
    recorded_by: str


@dataclass(frozen=True)
class AgreementInfo:
    id: int
    key: str
    kind: str
    title: str
    agreed_on: date
    place: str | None
    start_on: date | None
    end_on: date | None
    parent_id: int | None
    entry_seq: int | None = None  # the entry that added it
    withdrawal: Withdrawal | None = None


def _date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)


def find_agreement(sql: Sql, key: str, *, withdrawn: bool = False) -> AgreementInfo:
    """The agreement with this key (any case), or NotFound with the closest keys.

    A withdrawn agreement is refused (nothing more is recorded on it) unless `withdrawn`:
    `ks show` and `ks log` still find it, for the record.
    """
    wanted = key.strip().upper()
    row = first(
        sql(
            "SELECT a.id, a.key, a.kind, a.title, a.agreed_on, a.place, a.start_on, a.end_on, "
            "a.parent_id, a.entry_seq, v.entry_seq, v.reason, e.recorded_at, e.recorded_by "
            "FROM agreement a LEFT JOIN void v ON v.target_seq = a.entry_seq "
            "LEFT JOIN entry e ON e.seq = v.entry_seq WHERE a.key = :key",
            key=wanted,
        )
    )
    if row is None:
        raise NotFound(_("no agreement {key!r}").format(key=key), _suggest_keys(sql, wanted))
    withdrawal = Withdrawal(row[10], row[11], row[12], row[13]) if row[10] is not None else None
    if withdrawal is not None and not withdrawn:
        raise InvalidInput(
            _(
                "{key} was withdrawn (entry {entry}: {reason}); nothing more can be recorded on it"
            ).format(key=row[1], entry=withdrawal.seq, reason=withdrawal.reason)
        )
    return AgreementInfo(
        row[0],
        row[1],
        row[2],
        row[3],
        _date(row[4]),  # type: ignore[arg-type]
        row[5],
        _date(row[6]),
        _date(row[7]),
        row[8],
        row[9],
        withdrawal,
    )


# Letters typed for the digits they look like: O for 0, I and L for 1 (keys are upper-cased).
_DIGIT_LOOKALIKES = str.maketrans("OIL", "011")


def _meant_key(wanted: str) -> str | None:
    """The key `wanted` spells with letters for digits or without the zeros
    (KSB-2O22-0001, PKS-2022-7), written as keys are; None if it is not that close."""
    kind, year, number = ([*wanted.split("-"), "", ""])[:3]
    year, number = year.translate(_DIGIT_LOOKALIKES), number.translate(_DIGIT_LOOKALIKES)
    if not (len(year) == 4 and year.isascii() and year.isdigit()):
        return None
    if not (0 < len(number) <= 6 and number.isascii() and number.isdigit()):
        return None
    return f"{kind}-{year}-{int(number):04d}"


def _suggest_keys(sql: Sql, wanted: str) -> list[str]:
    """The recorded keys closest to `wanted`: the one it spells with lookalike letters or
    missing zeros first, then keys of the same kind and year that read alike."""
    meant = _meant_key(wanted)
    suggestions = []
    if meant and first(sql("SELECT 1 FROM agreement WHERE key = :key", key=meant)):
        suggestions.append(meant)
    # Keys that start the same, found as a range of the key index: a LIKE pattern would
    # read % and _ in what was typed as wildcards, and refuse a very long one.
    prefix = (meant or wanted).rsplit("-", 1)[0]
    nearby = [
        k
        for (k,) in sql(
            "SELECT key FROM agreement WHERE key >= :low AND key < :high",
            low=prefix,
            high=prefix + "\U0010ffff",
        )
    ]
    close = regions_mod.close_matches(meant or wanted, nearby, n=3, cutoff=0.5)
    return [*suggestions, *(k for k in close if k not in suggestions)][:3]


@dataclass(frozen=True)
class Side:
    """A party's side of an agreement and its signature, if any."""

    party: PartyInfo
    position: int
    number: str | None
    signed_on: date | None
    signatory: str | None
    title: str | None
    place: str | None
    signature_seq: int | None  # the entry that recorded the signature


def sides(sql: Sql, agreement_id: int) -> list[Side]:
    """Each party of an agreement, in the order given, with its signature if signed."""
    rows = sql(
        f"SELECT {_PARTY_COLUMNS}, ap.position, ap.number, "
        "s.signed_on, s.signatory, s.title, s.place, s.entry_seq "
        "FROM agreement_party ap JOIN party p ON p.id = ap.party_id "
        "LEFT JOIN signature s ON s.agreement_id = ap.agreement_id AND s.party_id = ap.party_id "
        f"AND {NOT_VOIDED.format('s')} "
        "WHERE ap.agreement_id = :id ORDER BY ap.position",
        id=agreement_id,
    )
    return [Side(_party(r[:5]), r[5], r[6], _date(r[7]), r[8], r[9], r[10], r[11]) for r in rows]


@dataclass(frozen=True)
class HandoverInfo:
    seq: int
    recipient_id: int
    recipient: str
    handed_on: date
    place: str | None
    note: str | None


def handovers(sql: Sql, agreement_id: int) -> list[HandoverInfo]:
    """The handovers of an agreement that stand (not voided), oldest first."""
    rows = sql(
        "SELECT h.entry_seq, h.recipient_id, p.name, h.handed_on, h.place, h.note "
        "FROM handover h JOIN party p ON p.id = h.recipient_id "
        f"WHERE h.agreement_id = :id AND {NOT_VOIDED.format('h')} "
        "ORDER BY h.handed_on, h.id",
        id=agreement_id,
    )
    return [HandoverInfo(r[0], r[1], r[2], _date(r[3]), r[4], r[5]) for r in rows]  # type: ignore[arg-type]


# --- pending -----------------------------------------------------------------------------

# One row per side not signed as of :as_of. The wait runs from the latest handover that counts
# for the party (to the party itself, or to its region's government when the party is one of
# that government's agencies), else from the agreement's date. CROSS JOIN fixes SQLite's join
# order (parties first, then their sides by index) whether or not the ledger was ANALYZEd.
PENDING_SQL = f"""
SELECT key, kind, title, party, region_code, since FROM (
  SELECT a.key AS key, a.kind AS kind, a.title AS title, p.name AS party,
         p.region_code AS region_code, ap.position AS position,
         COALESCE((
           SELECT max(h.handed_on) FROM handover h JOIN party r ON r.id = h.recipient_id
           WHERE h.agreement_id = ap.agreement_id AND h.handed_on <= :as_of
             AND {NOT_VOIDED.format("h")}
             AND (h.recipient_id = ap.party_id
                  OR (r.kind = 'government' AND p.kind = 'agency'
                      AND r.region_code = p.region_code))
         ), a.agreed_on) AS since
  FROM party p
  CROSS JOIN agreement_party ap
  CROSS JOIN agreement a
  WHERE ap.party_id = p.id AND a.id = ap.agreement_id
    AND {{party_filter}}
    AND a.agreed_on <= :as_of{{kind_filter}}
    AND {NOT_VOIDED.format("a")}
    AND NOT EXISTS (
      SELECT 1 FROM termination t WHERE t.agreement_id = a.id AND t.terminated_on <= :as_of
        AND {NOT_VOIDED.format("t")})
    AND NOT EXISTS (
      SELECT 1 FROM signature s
      WHERE s.agreement_id = ap.agreement_id AND s.party_id = ap.party_id{{signed_by_then}}
        AND {NOT_VOIDED.format("s")})
) AS waiting{{wait_filter}}
ORDER BY since, key, position
"""

_PARTY_FILTERS = {
    "province": "substr(p.region_code, 1, 2) = :province",
    "party": "p.id = :party_id",
    "all": "1 = 1",
}


def pending_sql(
    as_of: date,
    by: str,
    older_than: int | None,
    today: date | None = None,
    *,
    kind: bool = False,
) -> str:
    """The pending query for one filter, without the terms that cannot exclude anything.

    No signature is dated after the day it was recorded, so for an as-of date of today or
    later the date check on signatures is dropped: the index alone then answers NOT EXISTS.
    Without --older-than the wait filter is dropped too (it would run the handover
    subquery a second time per row); without --kind, the kind filter. The text is the same
    on both engines: CROSS JOIN with the join terms in WHERE is standard SQL, which
    PostgreSQL's planner reorders freely and SQLite keeps in the order written.
    """
    as_of_is_past = as_of < (today or date.today())
    return PENDING_SQL.format(
        party_filter=_PARTY_FILTERS[by],
        kind_filter="\n    AND a.kind = :kind" if kind else "",
        signed_by_then="\n        AND s.signed_on <= :as_of" if as_of_is_past else "",
        wait_filter="\nWHERE since <= :cutoff" if older_than is not None else "",
    )


def pending(
    sql: Sql,
    as_of: date,
    province_code: str | None = None,
    party_id: int | None = None,
    kind: str | None = None,
    older_than: int | None = None,
) -> Iterator[dict[str, Any]]:
    """Sides not yet signed, longest wait first, streamed as JSON-ready dicts."""
    if older_than is not None and older_than < 0:
        raise InvalidInput(_("--older-than must be zero or more days"))
    by = "party" if party_id is not None else "province" if province_code is not None else "all"
    cutoff = as_of.toordinal() - (older_than + 1 if older_than is not None else 0)
    rows = sql(
        pending_sql(as_of, by, older_than, kind=kind is not None),
        as_of=as_of.isoformat(),
        kind=kind,
        province=province_code,
        party_id=party_id,
        cutoff=date.fromordinal(cutoff).isoformat(),
    )
    as_of_ordinal = as_of.toordinal()
    fromisoformat = date.fromisoformat
    for key, agreement_kind, title, party, region_code, since in rows:
        since_text = str(since)
        yield {
            "agreement": key,
            "kind": agreement_kind,
            "title": title,
            "party": party,
            "province": region_code[:2] if region_code else None,
            "waiting_since": since_text,
            "waiting_days": as_of_ordinal - fromisoformat(since_text).toordinal(),
        }


# --- history and status ------------------------------------------------------------------


def log_entries(
    sql: Sql, key: str | None = None, since: date | None = None
) -> Iterator[dict[str, Any]]:
    """Entries in order, of the whole ledger or of one agreement, with what voided them.

    `recorded_by` is who the writer said it was (`--by`); `db_user` the PostgreSQL role that
    wrote the entry, as the server knows it (None in a ledger file)."""
    wanted = find_agreement(sql, key, withdrawn=True).key if key else None
    rows = sql(
        "SELECT e.seq, e.recorded_at, e.recorded_by, e.action, e.agreement_key, e.payload, "
        "e.hash, (SELECT v.entry_seq FROM void v WHERE v.target_seq = e.seq), e.db_user "
        "FROM entry e "
        + where(
            None if wanted is None else "e.agreement_key = :key",
            None if since is None else "e.recorded_at >= :since",
        )
        + "ORDER BY e.seq",
        key=wanted,
        since=since.isoformat() if since else None,
    )
    for seq, at, by, action, agreement, payload, digest, voided_by, db_user in rows:
        try:
            values = json.loads(payload)
        except ValueError:  # includes text that is not UTF-8
            raise Damaged(
                _("entry {number} is damaged and cannot be read").format(number=seq)
            ) from None
        yield {
            "seq": seq,
            "recorded_at": at,
            "recorded_by": by,
            "db_user": db_user,
            "action": action,
            "agreement": agreement,
            "summary": describe(action, values),
            "voided_by": voided_by,
            "values": values,
            "hash": digest,
        }


def describe(action: str, p: dict[str, Any]) -> str:
    """One line saying what an entry recorded, for people, in the interface language.

    The values come from the entry as recorded (names, titles, reasons stay as written);
    dates are written out in the language ("11 August 2022" / "11 Agustus 2022").
    """
    if action == "party.add":
        return _("registered {party}").format(party=p["name"])
    if action == "agreement.add":
        return _("added {key} ({date}): {title} between {parties}").format(
            key=p["key"],
            date=_day(p["date"]),
            title=p["title"],
            parties=listed([side["party"] for side in p["parties"]]),
        )
    if action == "signature.add":
        return _("{party} signed {key} on {date}").format(
            party=p["party"], key=p["key"], date=_day(p["date"])
        )
    if action == "handover.add":
        return _("{key} handed over to {party} on {date}").format(
            key=p["key"], party=p["to"], date=_day(p["date"])
        )
    if action == "entry.void" and p.get("action") == "agreement.add":
        return _("withdrew {key} (voided entry {entry}): {reason}").format(
            key=p["key"], entry=p["target"], reason=p["reason"]
        )
    if action == "entry.void":
        return _("voided entry {entry}: {reason}").format(entry=p["target"], reason=p["reason"])
    if action == "agreement.terminate":
        return _("terminated {key} on {date}: {reason}").format(
            key=p["key"], date=_day(p["date"]), reason=p["reason"]
        )
    if action == "activity.add":
        if p.get("party"):
            return _("activity under {key} on {date} ({party}): {description}").format(
                key=p["key"], date=_day(p["date"]), party=p["party"], description=p["description"]
            )
        return _("activity under {key} on {date}: {description}").format(
            key=p["key"], date=_day(p["date"]), description=p["description"]
        )
    if action == "evaluation.add":
        return _("evaluated {key} on {date}: {recommendation}; {finding}").format(
            key=p["key"],
            date=_day(p["date"]),
            recommendation=_(RECOMMENDATION_WORDS.get(p["recommendation"], p["recommendation"])),
            finding=p["finding"],
        )
    if action == "agreement.amend":
        changed = [
            _(AMENDED_FIELDS[name]).format(old=_was(old, name), new=_was(new, name))
            if name in AMENDED_FIELDS
            else f"{name} {_was(old)} -> {_was(new)}"  # a field this version does not know
            for name, (old, new) in p["changes"].items()
        ]
        changed += [
            _("number of {party} {old} -> {new}").format(
                party=n["party"], old=_was(n["old"]), new=_was(n["new"])
            )
            for n in p["numbers"]
        ]
        return _("amended {key}: {changes} ({reason})").format(
            key=p["key"], changes="; ".join(changed), reason=p["reason"]
        )
    return action


# What an amendment changed, by the field's name in the entry: one phrase each, so that a
# translation can put the field's name where its language wants it.
AMENDED_FIELDS = {
    "title": N_("title {old} -> {new}"),
    "date": N_("date {old} -> {new}"),
    "place": N_("place {old} -> {new}"),
    "start": N_("start {old} -> {new}"),
    "end": N_("end {old} -> {new}"),
    "term_years": N_("term in years {old} -> {new}"),
}
_DATE_FIELDS = ("date", "start", "end")
# A recommendation of an evaluation (`ks evaluate --recommendation`), as shown to people.
RECOMMENDATION_WORDS = {"continue": N_("continue"), "extend": N_("extend"), "stop": N_("stop")}


def listed(items: Sequence[str]) -> str:
    """'a', 'a and b', 'a, b and c': names or keys in a message, in the interface language."""
    if len(items) <= 1:
        return "".join(items)
    return _("{items} and {last}").format(items=", ".join(items[:-1]), last=items[-1])


def _day(value: Any) -> str:
    """A date recorded in an entry (ISO text), written out in the interface language."""
    try:
        return format_date(date.fromisoformat(str(value)))
    except ValueError:  # not a date as ks writes them: shown as recorded
        return str(value)


def _was(value: Any, field: str = "") -> str:
    """A value in a correction: quoted (a date written out), or "(none)" where there was none."""
    if value is None:
        return _("(none)")
    if field in _DATE_FIELDS:
        return _day(value)
    return repr(value)


def ledger_status(sql: Sql) -> dict[str, Any]:
    """Counts and the head of the chain: what `ks db status` shows."""
    join = dialect.of(sql).ordered_join

    def count(query: str, **params: Any) -> int:
        row = first(sql(query, **params))
        return int(row[0]) if row else 0

    def voided(action: str) -> int:
        return count(
            # An ordered join: from the few voids to their entries, whatever SQLite's
            # statistics say.
            f"SELECT count(*) FROM void v {join} entry e ON e.seq = v.target_seq "
            "WHERE e.action = :action",
            action=action,
        )

    def of_withdrawn(table: str) -> int:
        """Rows of a withdrawn agreement not voided one by one (they went with it)."""
        return count(
            f"SELECT count(*) FROM void v {join} entry e ON e.seq = v.target_seq "
            f"{join} agreement a ON a.key = e.agreement_key "
            f"{join} {table} x ON x.agreement_id = a.id "
            f"WHERE e.action = 'agreement.add' AND {NOT_VOIDED.format('x')}"
        )

    head = first(sql("SELECT seq, hash, recorded_at FROM entry ORDER BY seq DESC LIMIT 1"))
    return {
        "parties": count("SELECT count(*) FROM party"),
        "agreements": count("SELECT count(*) FROM agreement") - voided("agreement.add"),
        # All rows less the voided ones: no per-row probe of the void index (1M agreements: 40 ms).
        "signatures": count("SELECT count(*) FROM signature")
        - voided("signature.add")
        - of_withdrawn("signature"),
        "handovers": count("SELECT count(*) FROM handover")
        - voided("handover.add")
        - of_withdrawn("handover"),
        "voided": count("SELECT count(*) FROM void"),
        "entries": head[0] if head else 0,
        "head": head[1] if head else None,
        "last_recorded_at": head[2] if head else None,
    }
