"""The ledger's tables (SQLModel). Facts are rows added by events; state is computed by queries.

Dates of documents are calendar dates stored as ISO text; the time an entry was recorded is
UTC ISO text, so that values hash and compare the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKeyConstraint, Index, UniqueConstraint, func, literal_column
from sqlmodel import Field, SQLModel

PARTY_KINDS = ("government", "agency", "third")
AGREEMENT_KINDS = ("ksb", "pks", "addendum")

# Named constraints, so that Alembic's batch mode can alter them on SQLite later.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Entry(SQLModel, table=True):
    """One change to the ledger, in order, chained by hash; never updated or deleted."""

    seq: int | None = Field(default=None, primary_key=True)
    recorded_at: str  # UTC, ISO 8601 with "Z"
    recorded_by: str
    action: str  # party.add, agreement.add, signature.add, handover.add, ...
    agreement_key: str | None = Field(default=None, index=True)
    payload: str  # canonical JSON of the values written
    prev_hash: str = Field(unique=True)  # unique: two writers can never fork the chain
    hash: str = Field(unique=True)
    # PostgreSQL's session_user, set by ks and held by a trigger (migration 0005); NULL in
    # a ledger file, which has no users. Hashed with the rest when set.
    db_user: str | None = None


class Party(SQLModel, table=True):
    """A signing party: a region's government, one of its agencies, or a third party."""

    __table_args__ = (
        # Names are unique ignoring case within a region (Kota Samarinda and Kota Surabaya
        # each have a Dinas Sosial); the parties without a region count as one more region.
        # Name first, so that finding a party by name reads this index.
        Index(
            "uq_party_name_key_region",
            literal_column("name_key"),
            func.coalesce(literal_column("region_code"), literal_column("''")),
            unique=True,
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    name: str
    name_key: str  # casefolded name, spaces folded
    kind: str  # one of PARTY_KINDS
    region_code: str | None = Field(default=None, index=True)
    signatory_title: str | None = None
    entry_seq: int = Field(foreign_key="entry.seq")


class PartyAlias(SQLModel, table=True):
    """A short name staff type for a party ("kominfo-jatim")."""

    __tablename__ = "party_alias"

    alias_key: str = Field(primary_key=True)
    alias: str
    party_id: int = Field(foreign_key="party.id", index=True)
    entry_seq: int = Field(foreign_key="entry.seq")


class Agreement(SQLModel, table=True):
    """A KSB or PKS document, identified by its key (KSB-2022-0001)."""

    __table_args__ = (
        UniqueConstraint("kind", "year", "seq"),
        # Finding the same agreement again (a retried add-agreement) by kind and date.
        Index("ix_agreement_kind_agreed_on", "kind", "agreed_on"),
    )

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True)
    kind: str  # one of AGREEMENT_KINDS
    year: int
    seq: int
    title: str
    parent_id: int | None = Field(default=None, foreign_key="agreement.id", index=True)
    agreed_on: dt.date
    place: str | None = None
    start_on: dt.date | None = None
    end_on: dt.date | None = None
    entry_seq: int = Field(foreign_key="entry.seq")
    # A term of N years from the last signature, when no end date is given.
    term_years: int | None = None
    # The agreement this one renews (its predecessor), for `ks renew`.
    renews_id: int | None = Field(default=None, foreign_key="agreement.id", index=True)


class AgreementParty(SQLModel, table=True):
    """A party that must sign an agreement, with its own register number if known."""

    __tablename__ = "agreement_party"
    __table_args__ = (
        # The pending query walks a party's sides through this index.
        Index("ix_agreement_party_party_id_agreement_id", "party_id", "agreement_id"),
    )

    agreement_id: int = Field(foreign_key="agreement.id", primary_key=True)
    party_id: int = Field(foreign_key="party.id", primary_key=True)
    position: int
    number: str | None = None


class Signature(SQLModel, table=True):
    """A party's signature on an agreement. One stands per party: a mistaken one is voided
    (see Void), never deleted, and the party may then sign again."""

    __table_args__ = (
        # Party first, as the pending query reads them; with the entry, the index alone
        # answers "is there a signature that was not voided?".
        Index(
            "ix_signature_party_id_agreement_id_entry_seq", "party_id", "agreement_id", "entry_seq"
        ),
        # When an agreement came into force: its last signature.
        Index("ix_signature_agreement_id_signed_on", "agreement_id", "signed_on"),
        ForeignKeyConstraint(
            ["agreement_id", "party_id"],
            ["agreement_party.agreement_id", "agreement_party.party_id"],
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    agreement_id: int
    party_id: int
    signed_on: dt.date
    place: str | None = None
    signatory: str | None = None
    title: str | None = None
    number: str | None = None
    entry_seq: int = Field(foreign_key="entry.seq")


class Void(SQLModel, table=True):
    """A signature or handover entry declared a mistake: it stops counting, and stays."""

    id: int | None = Field(default=None, primary_key=True)
    target_seq: int = Field(foreign_key="entry.seq", unique=True)  # voided at most once
    reason: str
    entry_seq: int = Field(foreign_key="entry.seq")


class Handover(SQLModel, table=True):
    """Originals delivered to a party (or a region's government for its agencies) for signature."""

    __table_args__ = (Index("ix_handover_agreement_id_handed_on", "agreement_id", "handed_on"),)

    id: int | None = Field(default=None, primary_key=True)
    agreement_id: int = Field(foreign_key="agreement.id")
    recipient_id: int = Field(foreign_key="party.id")
    handed_on: dt.date
    place: str | None = None
    note: str | None = None
    entry_seq: int = Field(foreign_key="entry.seq")


class Termination(SQLModel, table=True):
    """An agreement ended before its term ran out (or with no term), with the reason."""

    id: int | None = Field(default=None, primary_key=True)
    agreement_id: int = Field(foreign_key="agreement.id", index=True)
    terminated_on: dt.date
    reason: str
    entry_seq: int = Field(foreign_key="entry.seq")


class Activity(SQLModel, table=True):
    """A technical activity carried out under an agreement (kegiatan teknis)."""

    __table_args__ = (Index("ix_activity_agreement_id_held_on", "agreement_id", "held_on"),)

    id: int | None = Field(default=None, primary_key=True)
    agreement_id: int = Field(foreign_key="agreement.id")
    party_id: int | None = Field(default=None, foreign_key="party.id")
    held_on: dt.date
    description: str
    entry_seq: int = Field(foreign_key="entry.seq")


class Evaluation(SQLModel, table=True):
    """A monitoring-and-evaluation result, with its recommendation."""

    __table_args__ = (
        Index("ix_evaluation_agreement_id_evaluated_on", "agreement_id", "evaluated_on"),
    )

    id: int | None = Field(default=None, primary_key=True)
    agreement_id: int = Field(foreign_key="agreement.id")
    evaluated_on: dt.date
    finding: str
    recommendation: str  # continue, extend or stop
    entry_seq: int = Field(foreign_key="entry.seq")
