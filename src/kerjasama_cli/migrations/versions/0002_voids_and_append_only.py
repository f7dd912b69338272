"""Voids, and a ledger that refuses to rewrite history.

- `void`: a signature or handover entry declared a mistake (it stops counting, and stays).
- `signature`: no longer unique per side (a voided signature may be followed by a new one);
  an index (party_id, agreement_id, entry_seq) answers "signed, and not voided?" alone.
- The side's register number lives on `agreement_party` (a number given when signing is
  copied there), so `ks amend` can correct it without touching a signature.
- Triggers make entries, signatures, handovers, voids, parties and aliases append-only, and
  agreements and their sides undeletable: the database refuses, not only the code.

Batch mode copies a table to alter it on SQLite, and the copy has no triggers: a later
migration that alters one of these tables must create its triggers again (see guards.py).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from kerjasama_cli.migrations.guards import (
    APPEND_ONLY,
    UNDELETABLE,
    create_guards,
    drop_guards,
)

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APPEND_ONLY_TABLES = ("entry", "signature", "handover", "void", "party", "party_alias")
UNDELETABLE_TABLES = ("agreement", "agreement_party")


def upgrade() -> None:
    op.create_table(
        "void",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("target_seq", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(), nullable=False),
        sa.Column("entry_seq", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["entry_seq"], ["entry.seq"], name=op.f("fk_void_entry_seq_entry")),
        sa.ForeignKeyConstraint(
            ["target_seq"], ["entry.seq"], name=op.f("fk_void_target_seq_entry")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_void")),
        sa.UniqueConstraint("target_seq", name=op.f("uq_void_target_seq")),
    )
    with op.batch_alter_table("signature", schema=None) as batch_op:
        batch_op.drop_constraint("uq_signature_party_id_agreement_id", type_="unique")
        batch_op.create_index(
            "ix_signature_party_id_agreement_id_entry_seq",
            ["party_id", "agreement_id", "entry_seq"],
            unique=False,
        )
    op.execute(
        "UPDATE agreement_party SET number = (SELECT s.number FROM signature s "
        "WHERE s.agreement_id = agreement_party.agreement_id "
        "AND s.party_id = agreement_party.party_id) "
        "WHERE number IS NULL"
    )
    create_guards(APPEND_ONLY_TABLES, APPEND_ONLY)
    create_guards(UNDELETABLE_TABLES, UNDELETABLE)


def downgrade() -> None:
    drop_guards(APPEND_ONLY_TABLES, APPEND_ONLY)
    drop_guards(UNDELETABLE_TABLES, UNDELETABLE)
    with op.batch_alter_table("signature", schema=None) as batch_op:
        batch_op.drop_index("ix_signature_party_id_agreement_id_entry_seq")
        batch_op.create_unique_constraint(
            "uq_signature_party_id_agreement_id", ["party_id", "agreement_id"]
        )
    op.drop_table("void")
