"""Alembic migrations of the ledger schema, run by kerjasama_cli.db (never by hand)."""
