"""Write operations: register a party, add an agreement, sign, hand over.

Each function runs inside the one `BEGIN IMMEDIATE` transaction that `db.writer` opens,
checks every rule before writing, and records an entry in the hash-chained entries table
together with the rows it adds. Nothing is ever updated or deleted.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlmodel import Session, col, func, select

from kerjasama_cli import queries, regions
from kerjasama_cli.errors import InvalidInput
from kerjasama_cli.models import (
    AGREEMENT_KINDS,
    Agreement,
    AgreementParty,
    Entry,
    Handover,
    Party,
    PartyAlias,
    Signature,
)
from kerjasama_cli.queries import PartyInfo

GENESIS_HASH = "0" * 64
# C0 and C1 controls and the Unicode line/paragraph separators: they break lines and
# terminals. Right-to-left marks, joiners and emoji are text and are kept exactly.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


@dataclass(frozen=True)
class Actor:
    """Who is recording, and the clock the rules use (fixed in tests)."""

    by: str
    today: date
    now: datetime = field(default_factory=lambda: datetime.now(UTC))


# --- entries -----------------------------------------------------------------------------


def canonical(value: Any) -> str:
    """The one JSON text of a value that hashes the same everywhere."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def entry_hash(
    prev_hash: str, seq: int, at: str, by: str, action: str, key: str | None, payload: str
) -> str:
    """SHA-256 over the previous hash and everything the entry says."""
    body = canonical([prev_hash, seq, at, by, action, key, payload])
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def record(
    session: Session,
    actor: Actor,
    action: str,
    payload: dict[str, Any],
    agreement_key: str | None = None,
) -> Entry:
    """Append one entry to the chain (the caller holds the write lock)."""
    last = session.exec(select(Entry).order_by(col(Entry.seq).desc()).limit(1)).first()
    seq = (last.seq or 0) + 1 if last else 1
    prev_hash = last.hash if last else GENESIS_HASH
    at = actor.now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    text = canonical(payload)
    entry = Entry(
        seq=seq,
        recorded_at=at,
        recorded_by=actor.by,
        action=action,
        agreement_key=agreement_key,
        payload=text,
        prev_hash=prev_hash,
        hash=entry_hash(prev_hash, seq, at, actor.by, action, agreement_key, text),
    )
    session.add(entry)
    session.flush()
    return entry


# --- checks ------------------------------------------------------------------------------


def text_value(label: str, value: str | None, *, required: bool = False) -> str | None:
    """Accept free text exactly as given, but not blank where required, nor control characters."""
    if value is None or not value.strip():
        if required:
            raise InvalidInput(f"{label} cannot be empty")
        return None
    if _CONTROL.search(value):
        raise InvalidInput(f"{label} contains a control character (a line break or tab?)")
    return value


def not_future(label: str, value: date, actor: Actor) -> date:
    if value > actor.today:
        raise InvalidInput(f"{label} {value.isoformat()} is in the future (today is {actor.today})")
    return value


def _sql(session: Session) -> queries.Sql:
    return queries.sqlalchemy_sql(session.connection())


# --- parties -----------------------------------------------------------------------------


def ensure_party(session: Session, actor: Actor, party: PartyInfo) -> PartyInfo:
    """Record a region's government the first time it is used; other parties already exist."""
    if party.id is not None:
        return party
    entry = record(
        session,
        actor,
        "party.add",
        {
            "name": party.name,
            "kind": party.kind,
            "region": party.region_code,
            "aliases": [],
            "signatory_title": party.signatory_title,
        },
    )
    row = Party(
        name=party.name,
        name_key=queries.normalize(party.name),
        kind=party.kind,
        region_code=party.region_code,
        signatory_title=party.signatory_title,
        entry_seq=entry.seq,  # type: ignore[arg-type]
    )
    session.add(row)
    session.flush()
    return PartyInfo(row.id, row.name, row.kind, row.region_code, row.signatory_title)


def resolve(session: Session, actor: Actor, reference: str) -> PartyInfo:
    return ensure_party(session, actor, queries.resolve_party(_sql(session), reference))


def _refuse_taken(session: Session, label: str, value: str) -> None:
    """A new name or alias must not already name a party or a region."""
    key = queries.normalize(value)
    sql = _sql(session)
    if queries.first(sql("SELECT 1 FROM party WHERE name_key = :k", k=key)) or queries.first(
        sql("SELECT 1 FROM party_alias WHERE alias_key = :k", k=key)
    ):
        raise InvalidInput(f"{label} {value!r} is already used by a party")
    if regions.load().matches(value):  # even an ambiguous one ("bandung") names regions
        raise InvalidInput(f"{label} {value!r} already names a region")


def add_party(
    session: Session,
    actor: Actor,
    name: str,
    region: str | None,
    aliases: Sequence[str] = (),
    signatory_title: str | None = None,
    third_party: bool = False,
) -> PartyInfo:
    """Register an agency (perangkat daerah) of a region, or a third party."""
    clean_name = text_value("the party's name", name.strip(), required=True)
    assert clean_name is not None
    title = text_value("--signatory-title", signatory_title)
    if region is None and not third_party:
        raise InvalidInput("an agency needs --region (or use --third-party)")
    place = regions.load().resolve(region) if region is not None else None
    _refuse_taken(session, "name", clean_name)
    seen: set[str] = set()
    clean_aliases: list[str] = []
    for alias in aliases:
        value = text_value("--alias", alias.strip(), required=True)
        assert value is not None
        if queries.normalize(value) in seen or queries.normalize(value) == queries.normalize(
            clean_name
        ):
            raise InvalidInput(f"alias {value!r} is given twice")
        _refuse_taken(session, "alias", value)
        seen.add(queries.normalize(value))
        clean_aliases.append(value)
    kind = "third" if third_party else "agency"
    region_code = place.code if place else None
    entry = record(
        session,
        actor,
        "party.add",
        {
            "name": clean_name,
            "kind": kind,
            "region": region_code,
            "aliases": clean_aliases,
            "signatory_title": title,
        },
    )
    party = Party(
        name=clean_name,
        name_key=queries.normalize(clean_name),
        kind=kind,
        region_code=region_code,
        signatory_title=title,
        entry_seq=entry.seq,  # type: ignore[arg-type]
    )
    session.add(party)
    session.flush()
    for alias in clean_aliases:
        session.add(
            PartyAlias(
                alias_key=queries.normalize(alias),
                alias=alias,
                party_id=party.id,  # type: ignore[arg-type]
                entry_seq=entry.seq,  # type: ignore[arg-type]
            )
        )
    session.flush()
    return PartyInfo(party.id, party.name, kind, region_code, title)


# --- agreements --------------------------------------------------------------------------


def parse_numbers(values: Sequence[str]) -> list[tuple[str, str]]:
    """`--number PARTY=NUMBER` values as (party reference, number) pairs."""
    pairs = []
    for value in values:
        party, sep, number = value.partition("=")
        if not sep or not party.strip() or not number.strip():
            raise InvalidInput(
                f"--number {value!r} should look like PARTY=NUMBER, e.g. jatim=120/45"
            )
        text_value("--number", number, required=True)
        pairs.append((party.strip(), number.strip()))
    return pairs


def add_agreement(
    session: Session,
    actor: Actor,
    kind: str,
    title: str,
    parties: Sequence[str],
    parent: str | None = None,
    numbers: Sequence[tuple[str, str]] = (),
    agreed_on: date | None = None,
    place: str | None = None,
    start_on: date | None = None,
    end_on: date | None = None,
) -> str:
    """Record a new KSB or PKS and return its key (KSB-2022-0001)."""
    kind = kind.lower()
    if kind not in AGREEMENT_KINDS:
        raise InvalidInput(f"unknown kind {kind!r}; use ksb or pks")
    clean_title = text_value("the title", title, required=True)
    clean_place = text_value("--place", place)
    agreed = not_future("the agreement date", agreed_on or actor.today, actor)
    if start_on and end_on and end_on < start_on:
        raise InvalidInput(f"the end {end_on} is before the start {start_on}")
    if end_on and end_on < agreed:
        raise InvalidInput(f"the end {end_on} is before the agreement date {agreed}")
    sql = _sql(session)
    parent_info = None
    if parent is not None:
        if kind != "pks":
            raise InvalidInput("only a PKS names a parent (the KSB it implements)")
        parent_info = queries.find_agreement(sql, parent)
        if parent_info.kind != "ksb":
            raise InvalidInput(f"the parent {parent_info.key} is a {parent_info.kind}, not a KSB")
    resolved = [queries.resolve_party(sql, ref) for ref in parties]
    names = [p.name for p in resolved]
    for name in names:
        if names.count(name) > 1:
            raise InvalidInput(f"{name} is named twice among the parties")
    if len(resolved) < 2:
        raise InvalidInput("an agreement needs at least two distinct parties (--party twice)")
    number_by_name: dict[str, str] = {}
    for ref, number in numbers:
        party = queries.resolve_party(sql, ref)
        if party.name not in names:
            raise InvalidInput(
                f"--number names {party.name}, which is not a party to this agreement"
            )
        if party.name in number_by_name:
            raise InvalidInput(f"--number for {party.name} is given twice")
        number_by_name[party.name] = number
    recorded = [ensure_party(session, actor, p) for p in resolved]

    year = agreed.year
    last_seq = session.exec(
        select(func.max(Agreement.seq)).where(Agreement.kind == kind, Agreement.year == year)
    ).one()
    seq = (last_seq or 0) + 1
    key = f"{kind.upper()}-{year}-{seq:04d}"
    entry = record(
        session,
        actor,
        "agreement.add",
        {
            "key": key,
            "kind": kind,
            "title": clean_title,
            "parent": parent_info.key if parent_info else None,
            "date": agreed.isoformat(),
            "place": clean_place,
            "start": start_on.isoformat() if start_on else None,
            "end": end_on.isoformat() if end_on else None,
            "parties": [{"party": p.name, "number": number_by_name.get(p.name)} for p in recorded],
        },
        agreement_key=key,
    )
    agreement = Agreement(
        key=key,
        kind=kind,
        year=year,
        seq=seq,
        title=clean_title,  # type: ignore[arg-type]
        parent_id=parent_info.id if parent_info else None,
        agreed_on=agreed,
        place=clean_place,
        start_on=start_on,
        end_on=end_on,
        entry_seq=entry.seq,  # type: ignore[arg-type]
    )
    session.add(agreement)
    session.flush()
    for position, party in enumerate(recorded, start=1):
        session.add(
            AgreementParty(
                agreement_id=agreement.id,  # type: ignore[arg-type]
                party_id=party.id,  # type: ignore[arg-type]
                position=position,
                number=number_by_name.get(party.name),
            )
        )
    session.flush()
    return key


# --- signatures --------------------------------------------------------------------------


@dataclass(frozen=True)
class Signed:
    """What `sign` did: the agreement, the party, whether it is now in force, any warnings."""

    key: str
    party: str
    signed_on: date
    in_force: bool
    warnings: list[str]


def _side_of(sides: list[queries.Side], party: PartyInfo, key: str) -> queries.Side:
    for side in sides:
        if side.party.id is not None and side.party.id == party.id:
            return side
    names = ", ".join(s.party.name for s in sides)
    raise InvalidInput(f"{party.name} is not a party to {key} (its parties: {names})")


def sign(
    session: Session,
    actor: Actor,
    key: str,
    party_ref: str,
    signed_on: date | None = None,
    place: str | None = None,
    signatory: str | None = None,
    title: str | None = None,
    number: str | None = None,
) -> Signed:
    """Record one party's signature on an agreement."""
    sql = _sql(session)
    agreement = queries.find_agreement(sql, key)
    party = queries.resolve_party(sql, party_ref)
    agreement_sides = queries.sides(sql, agreement.id)
    side = _side_of(agreement_sides, party, agreement.key)
    if side.signed_on is not None:
        raise InvalidInput(
            f"{party.name} already signed {agreement.key} on {side.signed_on.isoformat()}"
        )
    on = not_future("the signing date", signed_on or actor.today, actor)
    if on < agreement.agreed_on:
        raise InvalidInput(
            f"the signing date {on} is before {agreement.key}'s date {agreement.agreed_on}"
        )
    clean_number = text_value("--number", number)
    if clean_number is not None and side.number not in (None, clean_number):
        raise InvalidInput(
            f"{party.name}'s number on {agreement.key} is already {side.number!r}, "
            f"not {clean_number!r}"
        )
    clean_place = text_value("--place", place)
    clean_signatory = text_value("--signatory", signatory)
    clean_title = text_value("--title", title) or party.signatory_title
    warnings = []
    if agreement.parent_id is not None:
        parent_key, unsigned = queries.first(
            sql(
                "SELECT a.key, (SELECT count(*) FROM agreement_party ap WHERE "
                "ap.agreement_id = a.id AND NOT EXISTS (SELECT 1 FROM signature s WHERE "
                "s.agreement_id = ap.agreement_id AND s.party_id = ap.party_id)) "
                "FROM agreement a WHERE a.id = :id",
                id=agreement.parent_id,
            )
        ) or (None, 0)
        if unsigned:
            warnings.append(
                f"{agreement.key} implements {parent_key}, which is not yet in force "
                f"({unsigned} signature(s) missing)"
            )
    entry = record(
        session,
        actor,
        "signature.add",
        {
            "key": agreement.key,
            "party": party.name,
            "date": on.isoformat(),
            "place": clean_place,
            "signatory": clean_signatory,
            "title": clean_title,
            "number": clean_number,
        },
        agreement_key=agreement.key,
    )
    session.add(
        Signature(
            agreement_id=agreement.id,
            party_id=party.id,  # type: ignore[arg-type]
            signed_on=on,
            place=clean_place,
            signatory=clean_signatory,
            title=clean_title,
            number=clean_number if side.number is None else None,
            entry_seq=entry.seq,  # type: ignore[arg-type]
        )
    )
    session.flush()
    in_force = all(s.signed_on is not None or s is side for s in agreement_sides)
    return Signed(agreement.key, party.name, on, in_force, warnings)


# --- handovers ---------------------------------------------------------------------------


def covers(recipient: PartyInfo, party: PartyInfo) -> bool:
    """Whether originals delivered to `recipient` count as waiting at `party`."""
    if recipient.id is not None and recipient.id == party.id:
        return True
    return (
        recipient.kind == "government"
        and party.kind == "agency"
        and recipient.region_code == party.region_code
    )


@dataclass(frozen=True)
class HandedOver:
    key: str
    waiting_at: list[str]  # the unsigned parties the handover counts for


def handover(
    session: Session,
    actor: Actor,
    keys: Sequence[str],
    recipient_ref: str,
    handed_on: date | None = None,
    place: str | None = None,
    note: str | None = None,
) -> list[HandedOver]:
    """Record that the originals of `keys` were delivered to a party for signature."""
    if not keys:
        raise InvalidInput("name at least one agreement key")
    sql = _sql(session)
    on = not_future("the handover date", handed_on or actor.today, actor)
    clean_place = text_value("--place", place)
    clean_note = text_value("--note", note)
    recipient = queries.resolve_party(sql, recipient_ref)
    plan: list[tuple[queries.AgreementInfo, list[str]]] = []
    seen: set[str] = set()
    for key in keys:
        agreement = queries.find_agreement(sql, key)
        if agreement.key in seen:
            raise InvalidInput(f"{agreement.key} is named twice")
        seen.add(agreement.key)
        if on < agreement.agreed_on:
            raise InvalidInput(
                f"the handover date {on} is before {agreement.key}'s date {agreement.agreed_on}"
            )
        waiting = [
            s.party.name
            for s in queries.sides(sql, agreement.id)
            if s.signed_on is None and covers(recipient, s.party)
        ]
        if not waiting:
            raise InvalidInput(f"{agreement.key} has nothing left to sign at {recipient.name}")
        plan.append((agreement, waiting))
    recipient = ensure_party(session, actor, recipient)
    results = []
    for agreement, waiting in plan:
        entry = record(
            session,
            actor,
            "handover.add",
            {
                "key": agreement.key,
                "to": recipient.name,
                "date": on.isoformat(),
                "place": clean_place,
                "note": clean_note,
            },
            agreement_key=agreement.key,
        )
        session.add(
            Handover(
                agreement_id=agreement.id,
                recipient_id=recipient.id,  # type: ignore[arg-type]
                handed_on=on,
                place=clean_place,
                note=clean_note,
                entry_seq=entry.seq,  # type: ignore[arg-type]
            )
        )
        results.append(HandedOver(agreement.key, waiting))
    session.flush()
    return results
