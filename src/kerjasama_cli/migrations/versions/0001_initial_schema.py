"""Initial schema: entries (hash-chained), parties, agreements, their sides, signatures, handovers.

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-28

Migrations are frozen snapshots: never import the current models here.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "entry",
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.String(), nullable=False),
        sa.Column("recorded_by", sa.String(), nullable=False),
        sa.Column("action", sa.String(), nullable=False),
        sa.Column("agreement_key", sa.String(), nullable=True),
        sa.Column("payload", sa.String(), nullable=False),
        sa.Column("prev_hash", sa.String(), nullable=False),
        sa.Column("hash", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_entry")),
        sa.UniqueConstraint("hash", name=op.f("uq_entry_hash")),
        sa.UniqueConstraint("prev_hash", name=op.f("uq_entry_prev_hash")),
    )
    with op.batch_alter_table("entry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_entry_agreement_key"), ["agreement_key"], unique=False)

    op.create_table(
        "agreement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("agreed_on", sa.Date(), nullable=False),
        sa.Column("place", sa.String(), nullable=True),
        sa.Column("start_on", sa.Date(), nullable=True),
        sa.Column("end_on", sa.Date(), nullable=True),
        sa.Column("entry_seq", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_seq"], ["entry.seq"], name=op.f("fk_agreement_entry_seq_entry")
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["agreement.id"], name=op.f("fk_agreement_parent_id_agreement")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agreement")),
        sa.UniqueConstraint("key", name=op.f("uq_agreement_key")),
        sa.UniqueConstraint("kind", "year", "seq", name=op.f("uq_agreement_kind_year_seq")),
    )
    with op.batch_alter_table("agreement", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_agreement_parent_id"), ["parent_id"], unique=False)

    op.create_table(
        "party",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("name_key", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("region_code", sa.String(), nullable=True),
        sa.Column("signatory_title", sa.String(), nullable=True),
        sa.Column("entry_seq", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_seq"], ["entry.seq"], name=op.f("fk_party_entry_seq_entry")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_party")),
        sa.UniqueConstraint("name_key", name=op.f("uq_party_name_key")),
    )
    with op.batch_alter_table("party", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_party_region_code"), ["region_code"], unique=False)

    op.create_table(
        "agreement_party",
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("party_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(), nullable=True),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreement.id"],
            name=op.f("fk_agreement_party_agreement_id_agreement"),
        ),
        sa.ForeignKeyConstraint(
            ["party_id"], ["party.id"], name=op.f("fk_agreement_party_party_id_party")
        ),
        sa.PrimaryKeyConstraint("agreement_id", "party_id", name=op.f("pk_agreement_party")),
    )
    with op.batch_alter_table("agreement_party", schema=None) as batch_op:
        batch_op.create_index(
            "ix_agreement_party_party_id_agreement_id", ["party_id", "agreement_id"], unique=False
        )

    op.create_table(
        "handover",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("recipient_id", sa.Integer(), nullable=False),
        sa.Column("handed_on", sa.Date(), nullable=False),
        sa.Column("place", sa.String(), nullable=True),
        sa.Column("note", sa.String(), nullable=True),
        sa.Column("entry_seq", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agreement_id"], ["agreement.id"], name=op.f("fk_handover_agreement_id_agreement")
        ),
        sa.ForeignKeyConstraint(
            ["entry_seq"], ["entry.seq"], name=op.f("fk_handover_entry_seq_entry")
        ),
        sa.ForeignKeyConstraint(
            ["recipient_id"], ["party.id"], name=op.f("fk_handover_recipient_id_party")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handover")),
    )
    with op.batch_alter_table("handover", schema=None) as batch_op:
        batch_op.create_index(
            "ix_handover_agreement_id_handed_on", ["agreement_id", "handed_on"], unique=False
        )

    op.create_table(
        "party_alias",
        sa.Column("alias_key", sa.String(), nullable=False),
        sa.Column("alias", sa.String(), nullable=False),
        sa.Column("party_id", sa.Integer(), nullable=False),
        sa.Column("entry_seq", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_seq"], ["entry.seq"], name=op.f("fk_party_alias_entry_seq_entry")
        ),
        sa.ForeignKeyConstraint(
            ["party_id"], ["party.id"], name=op.f("fk_party_alias_party_id_party")
        ),
        sa.PrimaryKeyConstraint("alias_key", name=op.f("pk_party_alias")),
    )
    with op.batch_alter_table("party_alias", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_party_alias_party_id"), ["party_id"], unique=False)

    op.create_table(
        "signature",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("party_id", sa.Integer(), nullable=False),
        sa.Column("signed_on", sa.Date(), nullable=False),
        sa.Column("place", sa.String(), nullable=True),
        sa.Column("signatory", sa.String(), nullable=True),
        sa.Column("title", sa.String(), nullable=True),
        sa.Column("number", sa.String(), nullable=True),
        sa.Column("entry_seq", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agreement_id", "party_id"],
            ["agreement_party.agreement_id", "agreement_party.party_id"],
            name=op.f("fk_signature_agreement_id_party_id_agreement_party"),
        ),
        sa.ForeignKeyConstraint(
            ["entry_seq"], ["entry.seq"], name=op.f("fk_signature_entry_seq_entry")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signature")),
        sa.UniqueConstraint(
            "party_id", "agreement_id", name=op.f("uq_signature_party_id_agreement_id")
        ),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("signature")
    with op.batch_alter_table("party_alias", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_party_alias_party_id"))

    op.drop_table("party_alias")
    with op.batch_alter_table("handover", schema=None) as batch_op:
        batch_op.drop_index("ix_handover_agreement_id_handed_on")

    op.drop_table("handover")
    with op.batch_alter_table("agreement_party", schema=None) as batch_op:
        batch_op.drop_index("ix_agreement_party_party_id_agreement_id")

    op.drop_table("agreement_party")
    with op.batch_alter_table("party", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_party_region_code"))

    op.drop_table("party")
    with op.batch_alter_table("agreement", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agreement_parent_id"))

    op.drop_table("agreement")
    with op.batch_alter_table("entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_entry_agreement_key"))

    op.drop_table("entry")
