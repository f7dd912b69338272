"""Who wrote each entry, as the database server knows it: `entry.db_user`.

On a shared PostgreSQL ledger `--by` is what the writer says it is. `db_user` is the
server's `session_user` (the role that logged in), written by ks in every entry and held by
a BEFORE INSERT trigger: an entry whose `db_user` is not the session's is refused, unless
the role inserting it is (a member of) the owner of the entry table, who may already do
anything to the ledger and is the one copying another ledger's entries in (`ks db copy`
keeps who wrote each). The column is part of the entry's hash when it is set (see
`events.entry_hash`), so a head hash kept elsewhere also vouches for who wrote what.

A ledger file has no users: there the column stays NULL and the hash is what it was. The
column is added in place (SQLite's ADD COLUMN, so the table is not copied and keeps its
triggers); entries recorded before stay as they were, with no `db_user`.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from kerjasama_cli.migrations.guards import APPEND_ONLY, create_guards, drop_guards

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TRIGGER = "entry_db_user"
FUNCTION = "ks_check_db_user"

# The role that owns the entry table, and every role that is a member of it, may write any
# db_user; everybody else only their own.
CHECK_DB_USER = f"""
CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger AS $$ BEGIN
    IF NEW.db_user IS DISTINCT FROM session_user AND NOT pg_catalog.pg_has_role(
        session_user,
        (SELECT c.relowner FROM pg_catalog.pg_class c WHERE c.oid = TG_RELID),
        'MEMBER'
    ) THEN
        RAISE EXCEPTION 'ks: entry % gives db_user %, but it is being written by %',
            NEW.seq, coalesce(NEW.db_user, 'NULL'), session_user
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END $$ LANGUAGE plpgsql
"""


def upgrade() -> None:
    with op.batch_alter_table("entry", schema=None) as batch_op:
        batch_op.add_column(sa.Column("db_user", sa.String(), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.execute(CHECK_DB_USER)
        op.execute(
            f"CREATE TRIGGER {TRIGGER} BEFORE INSERT ON entry "
            f"FOR EACH ROW EXECUTE FUNCTION {FUNCTION}()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS {TRIGGER} ON entry")
        op.execute(f"DROP FUNCTION IF EXISTS {FUNCTION}()")
    drop_guards(("entry",), APPEND_ONLY)  # SQLite drops a column by copying the table
    with op.batch_alter_table("entry", schema=None) as batch_op:
        batch_op.drop_column("db_user")
    create_guards(("entry",), APPEND_ONLY)
