"""Triggers that make the database refuse to rewrite history, shared by the migrations.

Batch mode copies a table to alter it on SQLite, and the copy has no triggers: a migration
that alters a guarded table must create its guards again. PostgreSQL alters in place and
keeps them, so there they are replaced.
"""

from collections.abc import Sequence

from alembic import op

APPEND_ONLY = ("UPDATE", "DELETE")
UNDELETABLE = ("DELETE",)


def create_guards(tables: Sequence[str], events: Sequence[str]) -> None:
    """Triggers that abort the given events on the given tables."""
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute(
            "CREATE OR REPLACE FUNCTION ks_refuse_change() RETURNS trigger AS $$ BEGIN "
            "RAISE EXCEPTION 'ks: % rows are never %d', TG_TABLE_NAME, lower(TG_OP); "
            "END $$ LANGUAGE plpgsql"
        )
    for table in tables:
        for event in events:
            name = f"{table}_no_{event.lower()}"
            if dialect == "postgresql":  # altering a table keeps its triggers here
                op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
                op.execute(
                    f"CREATE TRIGGER {name} BEFORE {event} ON {table} "
                    "FOR EACH ROW EXECUTE FUNCTION ks_refuse_change()"
                )
            else:
                op.execute(
                    f"CREATE TRIGGER {name} BEFORE {event} ON {table} BEGIN "
                    f"SELECT RAISE(ABORT, 'ks: {table} rows are never {event.lower()}d'); END"
                )


def drop_guards(tables: Sequence[str], events: Sequence[str]) -> None:
    for table in tables:
        for event in events:
            on = f" ON {table}" if op.get_bind().dialect.name == "postgresql" else ""
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{event.lower()}{on}")
