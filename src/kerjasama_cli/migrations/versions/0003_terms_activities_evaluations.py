"""Terms, renewals, terminations, follow-up activities and evaluations.

- `agreement.term_years`: a term of N years from the last signature, when no end is given;
  `agreement.renews_id`: the agreement a renewal succeeds; an index on (kind, agreed_on) to
  recognise a retried `add-agreement` without scanning.
- `signature(agreement_id, signed_on)`: when an agreement came into force, by index.
- `termination`, `activity`, `evaluation`: events, append-only like the others.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from kerjasama_cli.migrations.guards import APPEND_ONLY, UNDELETABLE, create_guards, drop_guards

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NEW_TABLES = ("termination", "activity", "evaluation")


def upgrade() -> None:
    with op.batch_alter_table("agreement", schema=None) as batch_op:
        batch_op.add_column(sa.Column("term_years", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("renews_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_agreement_renews_id"), ["renews_id"], unique=False)
        batch_op.create_index("ix_agreement_kind_agreed_on", ["kind", "agreed_on"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_agreement_renews_id_agreement"), "agreement", ["renews_id"], ["id"]
        )
    create_guards(("agreement",), UNDELETABLE)  # the batch copy dropped it
    with op.batch_alter_table("signature", schema=None) as batch_op:
        batch_op.create_index(
            "ix_signature_agreement_id_signed_on", ["agreement_id", "signed_on"], unique=False
        )
    op.create_table(
        "termination",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("terminated_on", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(), nullable=False),
        sa.Column("entry_seq", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agreement_id"], ["agreement.id"], name=op.f("fk_termination_agreement_id_agreement")
        ),
        sa.ForeignKeyConstraint(
            ["entry_seq"], ["entry.seq"], name=op.f("fk_termination_entry_seq_entry")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_termination")),
    )
    op.create_index(
        op.f("ix_termination_agreement_id"), "termination", ["agreement_id"], unique=False
    )
    op.create_table(
        "activity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("party_id", sa.Integer(), nullable=True),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("description", sa.String(), nullable=False),
        sa.Column("entry_seq", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agreement_id"], ["agreement.id"], name=op.f("fk_activity_agreement_id_agreement")
        ),
        sa.ForeignKeyConstraint(
            ["entry_seq"], ["entry.seq"], name=op.f("fk_activity_entry_seq_entry")
        ),
        sa.ForeignKeyConstraint(
            ["party_id"], ["party.id"], name=op.f("fk_activity_party_id_party")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activity")),
    )
    op.create_index(
        "ix_activity_agreement_id_held_on", "activity", ["agreement_id", "held_on"], unique=False
    )
    op.create_table(
        "evaluation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("evaluated_on", sa.Date(), nullable=False),
        sa.Column("finding", sa.String(), nullable=False),
        sa.Column("recommendation", sa.String(), nullable=False),
        sa.Column("entry_seq", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agreement_id"], ["agreement.id"], name=op.f("fk_evaluation_agreement_id_agreement")
        ),
        sa.ForeignKeyConstraint(
            ["entry_seq"], ["entry.seq"], name=op.f("fk_evaluation_entry_seq_entry")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation")),
    )
    op.create_index(
        "ix_evaluation_agreement_id_evaluated_on",
        "evaluation",
        ["agreement_id", "evaluated_on"],
        unique=False,
    )
    create_guards(NEW_TABLES, APPEND_ONLY)


def downgrade() -> None:
    drop_guards(NEW_TABLES, APPEND_ONLY)
    for table in reversed(NEW_TABLES):
        op.drop_table(table)
    with op.batch_alter_table("signature", schema=None) as batch_op:
        batch_op.drop_index("ix_signature_agreement_id_signed_on")
    with op.batch_alter_table("agreement", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_agreement_renews_id_agreement"), type_="foreignkey")
        batch_op.drop_index("ix_agreement_kind_agreed_on")
        batch_op.drop_index(batch_op.f("ix_agreement_renews_id"))
        batch_op.drop_column("renews_id")
        batch_op.drop_column("term_years")
    create_guards(("agreement",), UNDELETABLE)
