"""Party names unique per region, not across the country.

Kota Samarinda's "Dinas Sosial" and Kota Surabaya's are two parties. `party.name_key` was
UNIQUE; now the pair (name_key, region) is, through a unique index over
(name_key, COALESCE(region_code, '')), name first so that finding a party by name still
reads an index: the parties without a region (third parties) count as
one more region, so their names stay unique among themselves (a plain unique pair would let
any number of them share a name, NULLs being distinct). ks itself asks more: a region-less
party's name is used by no other party, so that a bare name can always refer to it.

SQLite drops a UNIQUE column constraint only by copying the table (batch mode), and the copy
loses party's append-only triggers, so they are made again.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from kerjasama_cli.migrations.guards import APPEND_ONLY, create_guards

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "uq_party_name_key_region"


def upgrade() -> None:
    with op.batch_alter_table("party", schema=None) as batch_op:
        batch_op.drop_constraint("uq_party_name_key", type_="unique")
    op.create_index(
        INDEX,
        "party",
        [sa.text("name_key"), sa.text("COALESCE(region_code, '')")],
        unique=True,
    )
    create_guards(("party",), APPEND_ONLY)  # the batch copy dropped them


def downgrade() -> None:
    op.drop_index(INDEX, table_name="party")
    with op.batch_alter_table("party", schema=None) as batch_op:
        batch_op.create_unique_constraint("uq_party_name_key", ["name_key"])
    create_guards(("party",), APPEND_ONLY)
