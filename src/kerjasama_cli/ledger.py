"""Write operations: register a party, add, sign, hand over, void (or withdraw), amend.

Each function runs inside the one write transaction that `db.write` opens (`BEGIN IMMEDIATE`
on a file; on PostgreSQL one that first takes the writer's advisory lock, so ids, keys
and the chain's head are read under it), checks every rule before
writing anything, then appends one entry per change to the hash-chained entries table;
`events.apply` turns each entry into rows. Entries, signatures and handovers are never
updated or deleted (the database refuses it): a mistake is voided or amended by a new
entry, and both stay in the history. The SQL is one text for both engines.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from kerjasama_cli import events, queries, regions
from kerjasama_cli.errors import InvalidInput, NotFound
from kerjasama_cli.events import GENESIS_HASH, canonical, entry_hash  # noqa: F401 (re-exported)
from kerjasama_cli.i18n import N_, _, format_date, ngettext
from kerjasama_cli.queries import NOT_VOIDED, PartyInfo, Sql, first

AGREEMENT_KINDS = ("ksb", "pks", "addendum")
KEY_PREFIX = {"ksb": "KSB", "pks": "PKS", "addendum": "ADD"}
# C0 and C1 controls and the Unicode line/paragraph separators: they break lines and
# terminals. Right-to-left marks, joiners and emoji are text and are kept exactly.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# An agreement's kind in a message ("the parent PKS-2022-0001 is a PKS, not a KSB").
KIND_WORDS = {"ksb": N_("KSB"), "pks": N_("PKS"), "addendum": N_("addendum")}


@dataclass(frozen=True)
class Actor:
    """Who is recording, and the clock the rules use (fixed in tests)."""

    by: str
    today: date
    now: datetime = field(default_factory=lambda: datetime.now(UTC))


def record(
    sql: Sql, actor: Actor, action: str, payload: dict[str, Any], key: str | None = None
) -> int:
    """Append and apply one entry (the caller holds the write lock)."""
    return events.append(sql, actor.by, actor.now, action, payload, key)


# --- checks ------------------------------------------------------------------------------


def text_value(label: str, value: str | None, *, required: bool = False) -> str | None:
    """Accept free text exactly as given, but not blank where required, nor control characters.

    `label` is an option name (`--place`) or a phrase marked with N_ ("the title"), which is
    translated here, when the refusal is made."""
    if value is None or not value.strip():
        if required:
            raise InvalidInput(_("{label} cannot be empty").format(label=_(label)))
        return None
    if _CONTROL.search(value):
        raise InvalidInput(
            _("{label} contains a control character (a line break or tab?)").format(label=_(label))
        )
    return value


def not_future(label: str, value: date, actor: Actor) -> date:
    """Nothing is recorded as done on a day still to come; `label` is marked with N_."""
    if value > actor.today:
        raise InvalidInput(
            _("{label} {date} is in the future (today is {today})").format(
                label=_(label), date=format_date(value), today=format_date(actor.today)
            )
        )
    return value


def not_before(label: str, value: date, agreement: queries.AgreementInfo) -> date:
    """Nothing happens to an agreement before the day it was agreed."""
    if value < agreement.agreed_on:
        raise InvalidInput(
            _("{label} {date} is before {key}'s date {agreed}").format(
                label=_(label),
                date=format_date(value),
                key=agreement.key,
                agreed=format_date(agreement.agreed_on),
            )
        )
    return value


# --- parties -----------------------------------------------------------------------------


def ensure_party(sql: Sql, actor: Actor, party: PartyInfo) -> PartyInfo:
    """Record a region's government the first time it is used; other parties already exist."""
    if party.id is not None:
        return party
    party_id = events.next_id(sql, "party")
    record(
        sql,
        actor,
        "party.add",
        {
            "id": party_id,
            "name": party.name,
            "kind": party.kind,
            "region": party.region_code,
            "aliases": [],
            "signatory_title": party.signatory_title,
        },
    )
    return PartyInfo(party_id, party.name, party.kind, party.region_code, party.signatory_title)


def _refuse_taken_name(sql: Sql, name: str, region_code: str | None) -> None:
    """A new party's name must not be an alias or a region's, nor a name in its region.

    Names are unique per region: Kota Samarinda and Kota Surabaya may each have a Dinas
    Sosial. A party without a region is referred to by its bare name, so that name must be
    no other party's, and no party of a region may take it.
    """
    key = queries.normalize(name)
    if first(sql("SELECT 1 FROM party_alias WHERE alias_key = :k", k=key)):
        raise InvalidInput(
            _("name {name!r} is already used by a party (as its alias)").format(name=name)
        )
    for (code,) in sql("SELECT region_code FROM party WHERE name_key = :k", k=key):
        if code is None:
            raise InvalidInput(
                _("name {name!r} is already used by a party without a region").format(name=name)
            )
        if code == region_code or region_code is None:
            raise InvalidInput(
                _("name {name!r} is already used by a party of {region}").format(
                    name=name, region=regions.load().by_code[code].name
                )
            )
    if regions.load().matches(name):
        raise InvalidInput(_("name {name!r} already names a region").format(name=name))


def _refuse_taken(sql: Sql, label: str, value: str) -> None:
    """A new alias must not already name a party or a region: aliases are country-wide.
    `label` is marked with N_."""
    key = queries.normalize(value)
    if first(sql("SELECT 1 FROM party WHERE name_key = :k", k=key)) or first(
        sql("SELECT 1 FROM party_alias WHERE alias_key = :k", k=key)
    ):
        raise InvalidInput(
            _("{label} {value!r} is already used by a party").format(label=_(label), value=value)
        )
    if regions.load().matches(value):  # even an ambiguous one ("bandung") names regions
        raise InvalidInput(
            _("{label} {value!r} already names a region").format(label=_(label), value=value)
        )


def _refuse_lookalikes(sql: Sql, values: Sequence[tuple[str, str]]) -> None:
    """A new name or alias must not read like an agreement key, or like another party's or a
    region's name without being it (other letters that look the same: see lookalike.py).
    Each label is marked with N_."""
    from kerjasama_cli import lookalike

    for label, value in values:
        if _shaped_like_key(value):
            raise InvalidInput(
                _(
                    "{label} {value!r} reads like an agreement key (such as KSB-2022-0001), "
                    "so references to it would be ambiguous; refused"
                ).format(label=_(label), value=value)
            )
    # What each known text is, as a region (the regions it names) or a party (its owner's
    # name for an alias, None for a name); described only for the one imitated.
    known: list[tuple[str, tuple[regions.Region, ...] | str | None]] = []
    known.extend(regions.load().references())
    for text, owner in sql(
        "SELECT name, NULL FROM party UNION ALL "
        "SELECT a.alias, p.name FROM party_alias a JOIN party p ON p.id = a.party_id"
    ):
        known.append((text, owner))
    by_skeleton = lookalike.index(known)
    for label, value in values:
        same = queries.normalize(value)
        for text, what in by_skeleton.get(lookalike.skeleton(value), ()):
            if queries.normalize(text) == same:
                continue  # the very same name: the rule for taken names decides
            raise InvalidInput(
                _(
                    "{label} {value!r} looks like {text!r} ({what}) but {difference}; refused"
                ).format(
                    label=_(label),
                    value=value,
                    text=text,
                    what=_what(text, what),
                    difference=lookalike.difference(value, text),
                )
            )


def _what(text: str, what: tuple[regions.Region, ...] | str | None) -> str:
    """What a name that a new one imitates is, for the refusal."""
    if what is None:
        return _("a registered party")
    if isinstance(what, str):
        return _("an alias of {party}").format(party=what)
    if text == what[0].government_name:
        return _("the government of {region}").format(region=what[0].name)
    return _("which names {regions}").format(regions=queries.listed([r.name for r in what]))


def _shaped_like_key(value: str) -> bool:
    """Whether `value` reads like an agreement key (`KEY_PREFIX`-year-number), in any letters."""
    from kerjasama_cli.lookalike import skeleton

    prefixes = "|".join(re.escape(skeleton(p)) for p in KEY_PREFIX.values())
    digit = "[" + re.escape("".join(sorted({skeleton(d) for d in "0123456789"}))) + "]"
    pattern = f"(?:{prefixes})[-/._]?{digit}{{4}}[-/._]?{digit}+"
    return re.fullmatch(pattern, skeleton(value)) is not None


def add_party(
    sql: Sql,
    actor: Actor,
    name: str,
    region: str | None,
    aliases: Sequence[str] = (),
    signatory_title: str | None = None,
    third_party: bool = False,
) -> PartyInfo:
    """Register an agency (perangkat daerah) of a region, or a third party."""
    clean_name = text_value(N_("the party's name"), name.strip(), required=True)
    assert clean_name is not None
    title = text_value("--signatory-title", signatory_title)
    if region is None and not third_party:
        raise InvalidInput(_("an agency needs --region (or use --third-party)"))
    place = regions.load().resolve(region) if region is not None else None
    _refuse_taken_name(sql, clean_name, place.code if place else None)
    seen = {queries.normalize(clean_name)}
    clean_aliases: list[str] = []
    for alias in aliases:
        value = text_value("--alias", alias.strip(), required=True)
        assert value is not None
        if queries.normalize(value) in seen:
            raise InvalidInput(_("alias {alias!r} is given twice").format(alias=value))
        _refuse_taken(sql, N_("alias"), value)
        seen.add(queries.normalize(value))
        clean_aliases.append(value)
    _refuse_lookalikes(sql, [(N_("name"), clean_name), *((N_("alias"), a) for a in clean_aliases)])
    kind = "third" if third_party else "agency"
    region_code = place.code if place else None
    party_id = events.next_id(sql, "party")
    record(
        sql,
        actor,
        "party.add",
        {
            "id": party_id,
            "name": clean_name,
            "kind": kind,
            "region": region_code,
            "aliases": clean_aliases,
            "signatory_title": title,
        },
    )
    return PartyInfo(party_id, clean_name, kind, region_code, title)


# --- agreements --------------------------------------------------------------------------


def parse_numbers(values: Sequence[str]) -> list[tuple[str, str]]:
    """`--number PARTY=NUMBER` values as (party reference, number) pairs."""
    pairs = []
    for value in values:
        party, sep, number = value.partition("=")
        if not sep or not party.strip() or not number.strip():
            raise InvalidInput(
                _("--number {value!r} should look like PARTY=NUMBER, e.g. jatim=120/45").format(
                    value=value
                )
            )
        text_value("--number", number, required=True)
        pairs.append((party.strip(), number.strip()))
    return pairs


Who = tuple[str, str | None]


def _who(party: PartyInfo) -> Who:
    """A party's identity before and after it is recorded: its name within its region."""
    return (party.name, party.region_code)


def _numbers_by_party(
    sql: Sql, numbers: Sequence[tuple[str, str]], parties: Sequence[PartyInfo]
) -> dict[Who, str]:
    by_party: dict[Who, str] = {}
    for ref, number in numbers:
        party = queries.resolve_party(sql, ref)
        if _who(party) not in {_who(p) for p in parties}:
            raise InvalidInput(
                _("--number names {party}, which is not a party to this agreement").format(
                    party=party.name
                )
            )
        if _who(party) in by_party:
            raise InvalidInput(_("--number for {party} is given twice").format(party=party.name))
        by_party[_who(party)] = number
    return by_party


@dataclass(frozen=True)
class Added:
    """What `add_agreement` did: the key, and whether it was already recorded (a retry)."""

    key: str
    already: bool = False


def add_agreement(
    sql: Sql,
    actor: Actor,
    kind: str,
    title: str,
    parties: Sequence[str | PartyInfo] = (),
    parent: str | None = None,
    numbers: Sequence[tuple[str, str]] = (),
    agreed_on: date | None = None,
    place: str | None = None,
    start_on: date | None = None,
    end_on: date | None = None,
    years: int | None = None,
    renews: str | None = None,
) -> Added:
    """Record a new KSB, PKS or addendum; an identical one already recorded is reused.

    A PKS may name the KSB it implements (`parent`); an addendum must name the agreement it
    amends, and takes that agreement's parties when none are given. `years` sets a term of
    N years from the last signature; `renews` names the agreement this one succeeds.
    """
    kind = kind.lower()
    if kind not in AGREEMENT_KINDS:
        raise InvalidInput(_("unknown kind {kind!r}; use ksb, pks or addendum").format(kind=kind))
    clean_title = text_value(N_("the title"), title, required=True)
    clean_place = text_value("--place", place)
    agreed = not_future(N_("the agreement date"), agreed_on or actor.today, actor)
    _check_term(agreed, start_on, end_on, years)
    parent_info = _parent(sql, kind, parent)
    renewed = queries.find_agreement(sql, renews) if renews is not None else None
    if not parties and kind == "addendum" and parent_info is not None:
        parties = [s.party for s in queries.sides(sql, parent_info.id)]
    resolved = [
        ref if isinstance(ref, PartyInfo) else queries.resolve_party(sql, ref) for ref in parties
    ]
    identities = [_who(p) for p in resolved]
    for party in resolved:
        if identities.count(_who(party)) > 1:
            raise InvalidInput(
                _("{party} is named twice among the parties").format(party=party.name)
            )
    if len(resolved) < 2:
        raise InvalidInput(_("an agreement needs at least two distinct parties (--party twice)"))
    number_of = _numbers_by_party(sql, numbers, resolved)
    content = {
        "kind": kind,
        "title": clean_title,
        "parent": parent_info.key if parent_info else None,
        "date": agreed.isoformat(),
        "place": clean_place,
        "start": _iso(start_on),
        "end": _iso(end_on),
        "term_years": years,
        "renews": renewed.key if renewed else None,
    }
    sides = [
        {"party": p.name, "region": p.region_code, "number": number_of.get(_who(p))}
        for p in resolved
    ]
    if (existing := _same_agreement(sql, content, sides)) is not None:
        return Added(existing, already=True)
    recorded = [ensure_party(sql, actor, p) for p in resolved]
    year = agreed.year
    row = first(
        sql(
            "SELECT COALESCE(max(seq), 0) + 1 FROM agreement WHERE kind = :kind AND year = :year",
            kind=kind,
            year=year,
        )
    )
    number = int(row[0]) if row else 1
    key = f"{KEY_PREFIX[kind]}-{year}-{number:04d}"
    record(
        sql,
        actor,
        "agreement.add",
        {
            "id": events.next_id(sql, "agreement"),
            "key": key,
            "year": year,
            "seq": number,
            "parent_id": parent_info.id if parent_info else None,
            "renews_id": renewed.id if renewed else None,
            **content,
            "parties": [
                {"party": p.name, "party_id": p.id, "number": number_of.get(_who(p))}
                for p in recorded
            ],
        },
        key,
    )
    return Added(key)


def _parent(sql: Sql, kind: str, parent: str | None) -> queries.AgreementInfo | None:
    if parent is None:
        if kind == "addendum":
            raise InvalidInput(_("an addendum names the agreement it amends (--parent KEY)"))
        return None
    if kind == "ksb":
        raise InvalidInput(_("a KSB has no parent; a PKS names its KSB, an addendum its agreement"))
    info = queries.find_agreement(sql, parent)
    if kind == "pks" and info.kind != "ksb":
        raise InvalidInput(
            _("the parent {key} is a {kind}, not a KSB").format(
                key=info.key, kind=_(KIND_WORDS[info.kind])
            )
        )
    if kind == "addendum" and info.kind == "addendum":
        raise InvalidInput(
            _("{key} is itself an addendum; amend the agreement it amends").format(key=info.key)
        )
    return info


def _check_term(
    agreed: date, start_on: date | None, end_on: date | None, years: int | None = None
) -> None:
    if start_on and end_on and end_on < start_on:
        raise InvalidInput(
            _("the end {end} is before the start {start}").format(
                end=format_date(end_on), start=format_date(start_on)
            )
        )
    if end_on and end_on < agreed:
        raise InvalidInput(
            _("the end {end} is before the agreement date {agreed}").format(
                end=format_date(end_on), agreed=format_date(agreed)
            )
        )
    if years is not None and end_on is not None:
        raise InvalidInput(_("give either --end or --years, not both"))
    if years is not None and not 1 <= years <= 100:
        raise InvalidInput(_("--years must be a whole number of years from 1 to 100"))


def _same_agreement(sql: Sql, content: dict[str, Any], sides: list[dict[str, Any]]) -> str | None:
    """The key of an agreement recorded with exactly this content, if any (a retried command)."""
    rows = sql(
        "SELECT a.id, a.key, a.kind, a.title, p.key, a.agreed_on, a.place, a.start_on, a.end_on, "
        "a.term_years, r.key FROM agreement a LEFT JOIN agreement p ON p.id = a.parent_id "
        "LEFT JOIN agreement r ON r.id = a.renews_id "
        "WHERE a.kind = :kind AND a.title = :title AND a.agreed_on = :date "
        f"AND {NOT_VOIDED.format('a')}",  # a withdrawn one is not what a retry meant
        kind=content["kind"],
        title=content["title"],
        date=content["date"],
    )
    fields = ("kind", "title", "parent", "date", "place", "start", "end", "term_years", "renews")
    for row in list(rows):
        recorded = dict(zip(fields, (_text(value) for value in row[2:]), strict=True))
        recorded_sides = [
            {"party": s.party.name, "region": s.party.region_code, "number": s.number}
            for s in queries.sides(sql, row[0])
        ]
        if recorded == content and recorded_sides == sides:
            return str(row[1])
    return None


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


# --- signatures --------------------------------------------------------------------------


@dataclass(frozen=True)
class Signed:
    """What `sign` did: the agreement, the party, whether it is now in force, any warnings."""

    key: str
    party: str
    signed_on: date
    in_force: bool
    warnings: list[str]
    already: bool = False  # the same signature was recorded before: nothing was added


def _side_of(sides: list[queries.Side], party: PartyInfo, key: str) -> queries.Side:
    for side in sides:
        if side.party.id is not None and side.party.id == party.id:
            return side
    names = ", ".join(s.party.name for s in sides)
    raise InvalidInput(
        _("{party} is not a party to {key} (its parties: {parties})").format(
            party=party.name, key=key, parties=names
        )
    )


def sign(
    sql: Sql,
    actor: Actor,
    key: str,
    party_ref: str,
    signed_on: date | None = None,
    place: str | None = None,
    signatory: str | None = None,
    title: str | None = None,
    number: str | None = None,
) -> Signed:
    """Record one party's signature on an agreement (a retry of the same one adds nothing)."""
    agreement = queries.find_agreement(sql, key)
    party = queries.resolve_party(sql, party_ref)
    agreement_sides = queries.sides(sql, agreement.id)
    side = _side_of(agreement_sides, party, agreement.key)
    on = not_future(N_("the signing date"), signed_on or actor.today, actor)
    clean_place = text_value("--place", place)
    clean_signatory = text_value("--signatory", signatory)
    clean_title = text_value("--title", title) or party.signatory_title
    clean_number = text_value("--number", number)
    in_force = all(s.signed_on is not None or s is side for s in agreement_sides)
    if side.signed_on is not None:
        same = (side.signed_on, side.place, side.signatory, side.title) == (
            on,
            clean_place,
            clean_signatory,
            clean_title,
        ) and clean_number in (None, side.number)
        if same:
            return Signed(agreement.key, party.name, on, in_force, [], already=True)
        raise InvalidInput(
            _(
                "{party} already signed {key} on {date} "
                "(entry {entry}; void it first to record a different signature)"
            ).format(
                party=party.name,
                key=agreement.key,
                date=format_date(side.signed_on),
                entry=side.signature_seq,
            )
        )
    not_before(N_("the signing date"), on, agreement)
    if clean_number is not None and side.number not in (None, clean_number):
        raise InvalidInput(
            _(
                "{party}'s number on {key} is already {number!r}, "
                "not {given!r} (correct it with ks amend)"
            ).format(party=party.name, key=agreement.key, number=side.number, given=clean_number)
        )
    warnings = []
    if agreement.parent_id is not None:
        parent_key, unsigned = first(
            sql(
                f"SELECT a.key, (SELECT count(*) FROM agreement_party ap WHERE "
                f"ap.agreement_id = a.id AND NOT EXISTS ({queries.VALID_SIGNATURE_OF_SIDE})) "
                "FROM agreement a WHERE a.id = :id",
                id=agreement.parent_id,
            )
        ) or (None, 0)
        if unsigned:
            warnings.append(
                ngettext(
                    "{key} implements {parent}, which is not yet in force "
                    "({count} signature missing)",
                    "{key} implements {parent}, which is not yet in force "
                    "({count} signatures missing)",
                    unsigned,
                ).format(key=agreement.key, parent=parent_key, count=unsigned)
            )
    record(
        sql,
        actor,
        "signature.add",
        {
            "id": events.next_id(sql, "signature"),
            "key": agreement.key,
            "agreement_id": agreement.id,
            "party": party.name,
            "party_id": party.id,
            "date": on.isoformat(),
            "place": clean_place,
            "signatory": clean_signatory,
            "title": clean_title,
            "number": clean_number,
        },
        agreement.key,
    )
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
    to: str
    handed_on: date
    already: bool = False  # the same handover was recorded before: nothing was added


def _nothing_to_sign(recipient: PartyInfo, key: str, sides: list[queries.Side]) -> str:
    """Why a handover to `recipient` would count for no one: not a party, or all signed."""
    names = ", ".join(s.party.name for s in sides)
    if any(s.party.id is not None and s.party.id == recipient.id for s in sides):
        return _("{key} has nothing left to sign at {party}, which has already signed it").format(
            key=key, party=recipient.name
        )
    if any(covers(recipient, s.party) for s in sides):
        return _(
            "{key} has nothing left to sign at {party}: it is not a party, and its "
            "agencies among the parties have signed (its parties: {parties})"
        ).format(key=key, party=recipient.name, parties=names)
    return _("{party} is not a party to {key} (its parties: {parties})").format(
        party=recipient.name, key=key, parties=names
    )


def handover(
    sql: Sql,
    actor: Actor,
    keys: Sequence[str],
    recipient_ref: str,
    handed_on: date | None = None,
    place: str | None = None,
    note: str | None = None,
) -> list[HandedOver]:
    """Record that the originals of `keys` were delivered to a party for signature."""
    if not keys:
        raise InvalidInput(_("name at least one agreement key"))
    on = not_future(N_("the handover date"), handed_on or actor.today, actor)
    clean_place = text_value("--place", place)
    clean_note = text_value("--note", note)
    recipient = queries.resolve_party(sql, recipient_ref)
    plan: list[tuple[queries.AgreementInfo, list[str], bool]] = []
    seen: set[str] = set()
    for key in keys:
        agreement = queries.find_agreement(sql, key)
        if agreement.key in seen:
            raise InvalidInput(_("{key} is named twice").format(key=agreement.key))
        seen.add(agreement.key)
        not_before(N_("the handover date"), on, agreement)
        agreement_sides = queries.sides(sql, agreement.id)
        waiting = [
            s.party.name
            for s in agreement_sides
            if s.signed_on is None and covers(recipient, s.party)
        ]
        if not waiting:
            raise InvalidInput(_nothing_to_sign(recipient, agreement.key, agreement_sides))
        already = recipient.id is not None and (on, clean_place, clean_note) in [
            (h.handed_on, h.place, h.note)
            for h in queries.handovers(sql, agreement.id)
            if h.recipient_id == recipient.id
        ]
        plan.append((agreement, waiting, already))
    recipient = ensure_party(sql, actor, recipient)
    results = []
    for agreement, waiting, already in plan:
        if not already:
            record(
                sql,
                actor,
                "handover.add",
                {
                    "id": events.next_id(sql, "handover"),
                    "key": agreement.key,
                    "agreement_id": agreement.id,
                    "to": recipient.name,
                    "to_id": recipient.id,
                    "date": on.isoformat(),
                    "place": clean_place,
                    "note": clean_note,
                },
                agreement.key,
            )
        results.append(HandedOver(agreement.key, waiting, recipient.name, on, already))
    return results


# --- corrections -------------------------------------------------------------------------


@dataclass(frozen=True)
class Voided:
    seq: int  # the voiding entry
    target: int  # the entry voided
    action: str
    key: str | None
    description: str
    already: bool = False  # voided before for the same reason (a retry): nothing was added


def void(
    sql: Sql,
    actor: Actor,
    target: str,
    reason: str,
    party_ref: str | None = None,
) -> Voided:
    """Reverse a mistaken entry in the open: both entries stay in the history.

    `target` is an entry number (`17`, `#17`); an agreement key with `party_ref` for that
    party's current signature; or an agreement key alone, to withdraw an agreement recorded
    in error (its `agreement.add` entry is voided: it leaves pending, lists and reports with
    its signatures and handovers, and its key is never given again). A KSB with PKS or
    addenda, or an agreement with a renewal, is withdrawn only after them.
    """
    clean_reason = text_value("--reason", reason, required=True)
    seq = _void_target(sql, target, party_ref)
    row = first(sql("SELECT action, agreement_key, payload FROM entry WHERE seq = :seq", seq=seq))
    if row is None:
        raise NotFound(_("no entry {number}").format(number=seq))
    action, key, payload_text = row
    if action not in events.VOIDABLE:
        raise InvalidInput(
            _(
                "entry {number} is a {action}; only agreements, signatures, handovers, "
                "terminations, activities and evaluations can be voided "
                "(use ks amend for an agreement's details)"
            ).format(number=seq, action=action)
        )
    description = queries.describe(action, json.loads(payload_text))
    earlier = first(
        sql(
            "SELECT v.entry_seq, v.reason FROM void v WHERE v.target_seq = :seq",
            seq=seq,
        )
    )
    if earlier is not None:
        if earlier[1] == clean_reason:  # a retry whose outcome was unknown
            return Voided(int(earlier[0]), seq, action, key, description, already=True)
        if action == "agreement.add":
            raise InvalidInput(
                _("{key} was already withdrawn (entry {entry}: {reason})").format(
                    key=key, entry=earlier[0], reason=earlier[1]
                )
            )
        raise InvalidInput(
            _("entry {number} is already void (entry {entry}: {reason})").format(
                number=seq, entry=earlier[0], reason=earlier[1]
            )
        )
    if action == "agreement.add":
        _refuse_withdrawing_before_dependants(sql, str(key))
    elif key is not None:
        queries.find_agreement(sql, key)  # what was withdrawn stays as it was withdrawn
    voiding = record(
        sql,
        actor,
        "entry.void",
        {
            "id": events.next_id(sql, "void"),
            "target": seq,
            "action": action,
            "reason": clean_reason,
            **({"key": key} if action == "agreement.add" else {}),
        },
        key,
    )
    return Voided(voiding, seq, action, key, description)


def _refuse_withdrawing_before_dependants(sql: Sql, key: str) -> None:
    """A PKS or addendum under an agreement, or its renewal, would point at nothing."""
    live = NOT_VOIDED.format("a")
    agreement = queries.find_agreement(sql, key, withdrawn=True)
    children = [
        k
        for (k,) in sql(
            f"SELECT a.key FROM agreement a WHERE a.parent_id = :id AND {live} ORDER BY a.id",
            id=agreement.id,
        )
    ]
    renewals = [
        k
        for (k,) in sql(
            f"SELECT a.key FROM agreement a WHERE a.renews_id = :id AND {live} ORDER BY a.id",
            id=agreement.id,
        )
    ]
    if not children and not renewals:
        return
    if children and renewals:
        message = _(
            "{key} has {children} under it and is renewed by {renewals}; "
            "withdraw them first (ks void KEY --reason)"
        )
    elif children:
        message = ngettext(
            "{key} has {children} under it; withdraw it first (ks void KEY --reason)",
            "{key} has {children} under it; withdraw them first (ks void KEY --reason)",
            len(children),
        )
    else:
        message = ngettext(
            "{key} is renewed by {renewals}; withdraw it first (ks void KEY --reason)",
            "{key} is renewed by {renewals}; withdraw them first (ks void KEY --reason)",
            len(renewals),
        )
    raise InvalidInput(
        message.format(
            key=agreement.key, children=queries.listed(children), renewals=queries.listed(renewals)
        )
    )


def _void_target(sql: Sql, target: str, party_ref: str | None) -> int:
    text = target.strip().lstrip("#")
    if party_ref is None:
        if text.isdigit() and len(text) > 18:  # more entries than any ledger will hold
            raise NotFound(
                _("no entry {number}").format(number=text[:20] + ("..." if len(text) > 20 else ""))
            )
        if text.isdigit():
            return int(text)
        try:
            agreement = queries.find_agreement(sql, target, withdrawn=True)
        except NotFound as exc:
            raise NotFound(
                _(
                    "{target!r} is neither an entry number (from ks log) nor an agreement key"
                ).format(target=target),
                exc.suggestions,
            ) from None
        assert agreement.entry_seq is not None
        return agreement.entry_seq
    agreement = queries.find_agreement(sql, target)
    party = queries.resolve_party(sql, party_ref)
    side = _side_of(queries.sides(sql, agreement.id), party, agreement.key)
    if side.signature_seq is None:
        raise InvalidInput(
            _("{party} has not signed {key}; nothing to void").format(
                party=party.name, key=agreement.key
            )
        )
    return side.signature_seq


def amend(
    sql: Sql,
    actor: Actor,
    key: str,
    reason: str,
    title: str | None = None,
    agreed_on: date | None = None,
    place: str | None = None,
    start_on: date | None = None,
    end_on: date | None = None,
    numbers: Sequence[tuple[str, str]] = (),
    years: int | None = None,
) -> dict[str, Any]:
    """Correct an agreement's title, date, place, term or numbers; returns what changed."""
    clean_reason = text_value("--reason", reason, required=True)
    agreement = queries.find_agreement(sql, key)
    changes: dict[str, list[str | None]] = {}

    def change(name: str, old: Any, new: Any) -> None:
        if new is not None and new != old:
            changes[name] = [_text(old), _text(new)]

    change("title", agreement.title, text_value(N_("the title"), title, required=title is not None))
    change("place", agreement.place, text_value("--place", place))
    change("start", agreement.start_on, start_on)
    change("end", agreement.end_on, end_on)
    if years is not None:
        _check_term(agreement.agreed_on, None, None, years)
        row = first(sql("SELECT term_years FROM agreement WHERE id = :id", id=agreement.id))
        change("term_years", row[0] if row else None, years)
    if agreed_on is not None:
        not_future(N_("the agreement date"), agreed_on, actor)
        earliest = _earliest_event(sql, agreement.id)
        if earliest is not None and agreed_on > earliest:
            raise InvalidInput(
                _(
                    "{key} has a signature or handover on {date}; its date cannot be after that"
                ).format(key=agreement.key, date=format_date(earliest))
            )
        change("date", agreement.agreed_on, agreed_on)
    _check_term(
        agreed_on or agreement.agreed_on, start_on or agreement.start_on, end_on or agreement.end_on
    )
    sides = queries.sides(sql, agreement.id)
    new_numbers = []
    for who, number in _numbers_by_party(sql, numbers, [s.party for s in sides]).items():
        side = next(s for s in sides if _who(s.party) == who)
        if number != side.number:
            new_numbers.append(
                {
                    "party": side.party.name,
                    "party_id": side.party.id,
                    "old": side.number,
                    "new": number,
                }
            )
    if not changes and not new_numbers:
        raise InvalidInput(
            _(
                "nothing to change: give the new --title, --date, --place, "
                "--start, --end or --number for {key}"
            ).format(key=agreement.key)
        )
    payload = {
        "key": agreement.key,
        "agreement_id": agreement.id,
        "reason": clean_reason,
        "changes": changes,
        "numbers": new_numbers,
    }
    record(sql, actor, "agreement.amend", payload, agreement.key)
    return payload


def _text(value: Any) -> str | None:
    return value.isoformat() if isinstance(value, date) else value


def _earliest_event(sql: Sql, agreement_id: int) -> date | None:
    row = first(
        sql(
            "SELECT min(d) FROM ("
            "SELECT min(signed_on) AS d FROM signature WHERE agreement_id = :id UNION ALL "
            "SELECT min(handed_on) FROM handover WHERE agreement_id = :id) AS events",
            id=agreement_id,
        )
    )
    return date.fromisoformat(str(row[0])) if row and row[0] else None


# --- after signing -----------------------------------------------------------------------


def _in_force(sql: Sql, agreement: queries.AgreementInfo, as_of: date) -> dict[str, Any]:
    from kerjasama_cli import lifecycle

    state = lifecycle.agreement_state(sql, agreement.id, as_of)
    if state["status"] == "awaiting-signatures":
        raise InvalidInput(
            _("{key} is not in force yet: it still awaits signatures").format(key=agreement.key)
        )
    return state


def terminate(sql: Sql, actor: Actor, key: str, on: date, reason: str) -> str:
    """End an agreement before (or without) the end of its term."""
    clean_reason = text_value("--reason", reason, required=True)
    agreement = queries.find_agreement(sql, key)
    not_future(N_("the termination date"), on, actor)
    not_before(N_("the termination date"), on, agreement)
    if first(sql(f"SELECT 1 FROM termination t WHERE t.agreement_id = :id AND "
                 f"{queries.NOT_VOIDED.format('t')}", id=agreement.id)):  # fmt: skip
        raise InvalidInput(_("{key} is already terminated").format(key=agreement.key))
    record(
        sql,
        actor,
        "agreement.terminate",
        {
            "id": events.next_id(sql, "termination"),
            "key": agreement.key,
            "agreement_id": agreement.id,
            "date": on.isoformat(),
            "reason": clean_reason,
        },
        agreement.key,
    )
    return agreement.key


def renew(
    sql: Sql,
    actor: Actor,
    key: str,
    agreed_on: date | None = None,
    title: str | None = None,
    place: str | None = None,
    start_on: date | None = None,
    end_on: date | None = None,
    years: int | None = None,
) -> Added:
    """Create the successor of an agreement: same kind, parent and parties, a new term."""
    old = queries.find_agreement(sql, key)
    successor = first(
        sql(
            f"SELECT a.key FROM agreement a WHERE a.renews_id = :id AND {NOT_VOIDED.format('a')}",
            id=old.id,
        )
    )
    if successor is not None:
        raise InvalidInput(
            _("{key} is already renewed by {successor}").format(key=old.key, successor=successor[0])
        )
    on = agreed_on or actor.today
    not_before(N_("the renewal date"), on, old)
    _in_force(sql, old, on)
    parent = first(sql("SELECT key FROM agreement WHERE id = :id", id=old.parent_id))
    return add_agreement(
        sql,
        actor,
        old.kind,
        title or old.title,
        [s.party for s in queries.sides(sql, old.id)],
        parent=parent[0] if parent else None,
        agreed_on=agreed_on,
        place=place,
        start_on=start_on,
        end_on=end_on,
        years=years,
        renews=old.key,
    )


def add_activity(
    sql: Sql, actor: Actor, key: str, on: date, description: str, party_ref: str | None = None
) -> int:
    """Record a technical activity carried out under an agreement."""
    clean = text_value("--description", description, required=True)
    agreement = queries.find_agreement(sql, key)
    not_future(N_("the activity date"), on, actor)
    not_before(N_("the activity date"), on, agreement)
    party = None
    if party_ref is not None:
        party = queries.resolve_party(sql, party_ref)
        _side_of(queries.sides(sql, agreement.id), party, agreement.key)
    return record(
        sql,
        actor,
        "activity.add",
        {
            "id": events.next_id(sql, "activity"),
            "key": agreement.key,
            "agreement_id": agreement.id,
            "date": on.isoformat(),
            "description": clean,
            "party": party.name if party else None,
            "party_id": party.id if party else None,
        },
        agreement.key,
    )


def evaluate(sql: Sql, actor: Actor, key: str, on: date, finding: str, recommendation: str) -> int:
    """Record a monitoring-and-evaluation result and its recommendation."""
    from kerjasama_cli.lifecycle import RECOMMENDATIONS

    clean = text_value("--finding", finding, required=True)
    if recommendation not in RECOMMENDATIONS:
        raise InvalidInput(
            _("unknown recommendation {recommendation!r}; use {choices}").format(
                recommendation=recommendation, choices=", ".join(RECOMMENDATIONS)
            )
        )
    agreement = queries.find_agreement(sql, key)
    not_future(N_("the evaluation date"), on, actor)
    not_before(N_("the evaluation date"), on, agreement)
    _in_force(sql, agreement, on)
    return record(
        sql,
        actor,
        "evaluation.add",
        {
            "id": events.next_id(sql, "evaluation"),
            "key": agreement.key,
            "agreement_id": agreement.id,
            "date": on.isoformat(),
            "finding": clean,
            "recommendation": recommendation,
        },
        agreement.key,
    )
