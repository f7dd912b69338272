"""The entries table: the hash-chained record of every change, and how each entry becomes rows.

An entry is the truth; the other tables are its projection. Every write appends one entry
and applies it with `apply`, and `ks verify` replays all entries through the same `apply`
into an empty ledger to check that the tables say exactly what the entries say.
Payloads carry the ids of the rows they create, so a replay reproduces them exactly.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from kerjasama_cli.i18n import _
from kerjasama_cli.queries import POSTGRESQL, Sql, dialect_of, first, normalize

GENESIS_HASH = "0" * 64


def canonical(value: Any) -> str:
    """The one JSON text of a value that hashes the same everywhere."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def entry_hash(
    prev_hash: str,
    seq: int,
    at: str,
    by: str,
    action: str,
    key: str | None,
    payload: str,
    db_user: str | None = None,
) -> str:
    """SHA-256 over the previous hash and everything the entry says.

    `db_user` (the PostgreSQL role that wrote the entry) is hashed when there is one; an
    entry without it (every entry of a ledger file, and those written before schema 0005)
    hashes as it always has.
    """
    fields: list[Any] = [prev_hash, seq, at, by, action, key, payload]
    if db_user is not None:
        fields.append(db_user)
    body = canonical(fields)
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def timestamp(moment: datetime) -> str:
    """UTC, ISO 8601 with microseconds and a Z: how `recorded_at` is written."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def head(sql: Sql) -> tuple[int, str]:
    """The last entry's sequence number and hash ((0, GENESIS_HASH) for an empty ledger)."""
    row = first(sql("SELECT seq, hash FROM entry ORDER BY seq DESC LIMIT 1"))
    return (int(row[0]), str(row[1])) if row else (0, GENESIS_HASH)


def next_id(sql: Sql, table: str) -> int:
    """The id the next row of `table` gets (the caller holds the write lock)."""
    row = first(sql(f"SELECT COALESCE(max(id), 0) + 1 FROM {table}"))
    return int(row[0]) if row else 1


def append(
    sql: Sql,
    by: str,
    now: datetime,
    action: str,
    payload: dict[str, Any],
    agreement_key: str | None = None,
) -> int:
    """Add one entry to the chain and apply it; returns its sequence number."""
    seq, prev_hash = head(sql)
    seq += 1
    at = timestamp(now)
    text = canonical(payload)
    values = {
        "seq": seq,
        "at": at,
        "by": by,
        "action": action,
        "key": agreement_key,
        "payload": text,
        "prev": prev_hash,
    }
    if dialect_of(sql) == POSTGRESQL:
        # The role the server logged in, which its trigger holds every entry to; hashed.
        db_user = str(next(iter(sql("SELECT session_user")))[0])
        sql(
            "INSERT INTO entry (seq, recorded_at, recorded_by, action, agreement_key, payload, "
            "prev_hash, hash, db_user) "
            "VALUES (:seq, :at, :by, :action, :key, :payload, :prev, :hash, :db_user)",
            **values,
            db_user=db_user,
            hash=entry_hash(prev_hash, seq, at, by, action, agreement_key, text, db_user),
        )
    else:  # a file has no users: db_user stays NULL
        sql(
            "INSERT INTO entry (seq, recorded_at, recorded_by, action, agreement_key, payload, "
            "prev_hash, hash) VALUES (:seq, :at, :by, :action, :key, :payload, :prev, :hash)",
            **values,
            hash=entry_hash(prev_hash, seq, at, by, action, agreement_key, text),
        )
    apply(sql, seq, action, payload)
    return seq


# --- projection: one function per action ---------------------------------------------------


def _party_id(sql: Sql, payload: dict[str, Any], id_field: str, name_field: str) -> int:
    if payload.get(id_field) is not None:
        return int(payload[id_field])
    row = first(sql("SELECT id FROM party WHERE name_key = :k", k=normalize(payload[name_field])))
    if row is None:
        raise LookupError(
            _("entry names an unknown party {party!r}").format(party=payload[name_field])
        )
    return int(row[0])


def _agreement_id(sql: Sql, payload: dict[str, Any]) -> int:
    if payload.get("agreement_id") is not None:
        return int(payload["agreement_id"])
    row = first(sql("SELECT id FROM agreement WHERE key = :key", key=payload["key"]))
    if row is None:
        raise LookupError(_("entry names an unknown agreement {key!r}").format(key=payload["key"]))
    return int(row[0])


def _party_add(sql: Sql, seq: int, p: dict[str, Any]) -> None:
    sql(
        "INSERT INTO party (id, name, name_key, kind, region_code, signatory_title, entry_seq) "
        "VALUES (:id, :name, :key, :kind, :region, :title, :seq)",
        id=p.get("id"),
        name=p["name"],
        key=normalize(p["name"]),
        kind=p["kind"],
        region=p.get("region"),
        title=p.get("signatory_title"),
        seq=seq,
    )
    party_id = _party_id(sql, p, "id", "name")
    for alias in p.get("aliases", []):
        sql(
            "INSERT INTO party_alias (alias_key, alias, party_id, entry_seq) "
            "VALUES (:key, :alias, :party, :seq)",
            key=normalize(alias),
            alias=alias,
            party=party_id,
            seq=seq,
        )


def _agreement_add(sql: Sql, seq: int, p: dict[str, Any]) -> None:
    kind, year, number = p["kind"], p.get("year"), p.get("seq")
    if year is None or number is None:  # entries written before ids were recorded
        _, year_text, number_text = p["key"].split("-")
        year, number = int(year_text), int(number_text)
    parent_id = None
    if p.get("parent"):
        parent_id = _agreement_id(sql, {"key": p["parent"], "agreement_id": p.get("parent_id")})
    sql(
        "INSERT INTO agreement (id, key, kind, year, seq, title, parent_id, agreed_on, place, "
        "start_on, end_on, entry_seq, term_years, renews_id) VALUES (:id, :key, :kind, :year, "
        ":number, :title, :parent, :date, :place, :start, :end, :seq, :years, :renews)",
        id=p.get("id"),
        key=p["key"],
        kind=kind,
        year=year,
        number=number,
        title=p["title"],
        parent=parent_id,
        date=p["date"],
        place=p.get("place"),
        start=p.get("start"),
        end=p.get("end"),
        seq=seq,
        years=p.get("term_years"),
        renews=(
            _agreement_id(sql, {"key": p["renews"], "agreement_id": p.get("renews_id")})
            if p.get("renews")
            else None
        ),
    )
    agreement_id = _agreement_id(sql, {"key": p["key"], "agreement_id": p.get("id")})
    for position, side in enumerate(p["parties"], start=1):
        sql(
            "INSERT INTO agreement_party (agreement_id, party_id, position, number) "
            "VALUES (:agreement, :party, :position, :number)",
            agreement=agreement_id,
            party=_party_id(sql, side, "party_id", "party"),
            position=position,
            number=side.get("number"),
        )


def _signature_add(sql: Sql, seq: int, p: dict[str, Any]) -> None:
    agreement_id = _agreement_id(sql, p)
    party_id = _party_id(sql, p, "party_id", "party")
    row = first(
        sql(
            "SELECT number FROM agreement_party WHERE agreement_id = :a AND party_id = :p",
            a=agreement_id,
            p=party_id,
        )
    )
    side_number = row[0] if row else None
    given = p.get("number")
    sql(
        "INSERT INTO signature (id, agreement_id, party_id, signed_on, place, signatory, title, "
        "number, entry_seq) VALUES (:id, :agreement, :party, :date, :place, :signatory, :title, "
        ":number, :seq)",
        id=p.get("id"),
        agreement=agreement_id,
        party=party_id,
        date=p["date"],
        place=p.get("place"),
        signatory=p.get("signatory"),
        title=p.get("title"),
        # The signature keeps a number only when it brought one the side did not have yet.
        number=given if side_number is None else None,
        seq=seq,
    )
    if given is not None and side_number is None:
        sql(
            "UPDATE agreement_party SET number = :number WHERE agreement_id = :a AND party_id = :p",
            number=given,
            a=agreement_id,
            p=party_id,
        )


def _handover_add(sql: Sql, seq: int, p: dict[str, Any]) -> None:
    sql(
        "INSERT INTO handover (id, agreement_id, recipient_id, handed_on, place, note, entry_seq) "
        "VALUES (:id, :agreement, :recipient, :date, :place, :note, :seq)",
        id=p.get("id"),
        agreement=_agreement_id(sql, p),
        recipient=_party_id(sql, p, "to_id", "to"),
        date=p["date"],
        place=p.get("place"),
        note=p.get("note"),
        seq=seq,
    )


def _entry_void(sql: Sql, seq: int, p: dict[str, Any]) -> None:
    sql(
        "INSERT INTO void (id, target_seq, reason, entry_seq) VALUES (:id, :target, :reason, :seq)",
        id=p.get("id"),
        target=p["target"],
        reason=p["reason"],
        seq=seq,
    )


_AGREEMENT_FIELDS = {
    "title": "title",
    "date": "agreed_on",
    "place": "place",
    "start": "start_on",
    "end": "end_on",
    "term_years": "term_years",
}


def _agreement_amend(sql: Sql, seq: int, p: dict[str, Any]) -> None:
    agreement_id = _agreement_id(sql, p)
    for name, (_old, new) in sorted(p.get("changes", {}).items()):
        column = _AGREEMENT_FIELDS[name]  # a fixed column name, never user text
        sql(f"UPDATE agreement SET {column} = :value WHERE id = :id", value=new, id=agreement_id)
    for side in p.get("numbers", []):
        sql(
            "UPDATE agreement_party SET number = :number WHERE agreement_id = :a AND party_id = :p",
            number=side["new"],
            a=agreement_id,
            p=_party_id(sql, side, "party_id", "party"),
        )


def _agreement_terminate(sql: Sql, seq: int, p: dict[str, Any]) -> None:
    sql(
        "INSERT INTO termination (id, agreement_id, terminated_on, reason, entry_seq) "
        "VALUES (:id, :agreement, :date, :reason, :seq)",
        id=p.get("id"),
        agreement=_agreement_id(sql, p),
        date=p["date"],
        reason=p["reason"],
        seq=seq,
    )


def _activity_add(sql: Sql, seq: int, p: dict[str, Any]) -> None:
    sql(
        "INSERT INTO activity (id, agreement_id, party_id, held_on, description, entry_seq) "
        "VALUES (:id, :agreement, :party, :date, :description, :seq)",
        id=p.get("id"),
        agreement=_agreement_id(sql, p),
        party=_party_id(sql, p, "party_id", "party") if p.get("party") else None,
        date=p["date"],
        description=p["description"],
        seq=seq,
    )


def _evaluation_add(sql: Sql, seq: int, p: dict[str, Any]) -> None:
    sql(
        "INSERT INTO evaluation (id, agreement_id, evaluated_on, finding, recommendation, "
        "entry_seq) VALUES (:id, :agreement, :date, :finding, :recommendation, :seq)",
        id=p.get("id"),
        agreement=_agreement_id(sql, p),
        date=p["date"],
        finding=p["finding"],
        recommendation=p["recommendation"],
        seq=seq,
    )


APPLY: dict[str, Callable[[Sql, int, dict[str, Any]], None]] = {
    "party.add": _party_add,
    "agreement.add": _agreement_add,
    "signature.add": _signature_add,
    "handover.add": _handover_add,
    "entry.void": _entry_void,
    "agreement.amend": _agreement_amend,
    "agreement.terminate": _agreement_terminate,
    "activity.add": _activity_add,
    "evaluation.add": _evaluation_add,
}
# What `ks void` reverses. Voiding an agreement.add withdraws an agreement recorded in error:
# its row stays (so its key is never given again) and every query leaves it out.
VOIDABLE = (
    "agreement.add",
    "signature.add",
    "handover.add",
    "agreement.terminate",
    "activity.add",
    "evaluation.add",
)


def apply(sql: Sql, seq: int, action: str, payload: dict[str, Any]) -> None:
    """Make the rows that entry `seq` describes."""
    try:
        project = APPLY[action]
    except KeyError:
        raise LookupError(
            _("entry {number} has an unknown action {action!r}").format(number=seq, action=action)
        ) from None
    project(sql, seq, payload)
