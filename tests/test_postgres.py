"""A shared ledger on PostgreSQL: what already runs there, against a real server.

Skipped unless KS_POSTGRES_URL names an empty database that may be used up, e.g.
`postgresql+psycopg://postgres@/ks?host=/tmp/pg&port=55432`, and psycopg is installed
(`pip install 'psycopg[binary]'`). CI has no server: run it by hand before changing the
migrations or the write operations.

What runs: the migrations to this release's schema, the append-only triggers, and the
story's writes (a KSB, both signatures, the handover). What does not yet: the read queries
(untyped NULL parameters, `+text` and SQLite's date() in the status expression); they are
the next step for shared ledgers.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

URL = os.environ.get("KS_POSTGRES_URL")
pytestmark = pytest.mark.skipif(not URL, reason="set KS_POSTGRES_URL to test on PostgreSQL")


@pytest.fixture(scope="module")
def engine() -> Iterator[Any]:
    pytest.importorskip("psycopg")
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import create_engine, text

    from kerjasama_cli import db

    engine = create_engine(URL)  # type: ignore[arg-type]
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
        config = Config()
        config.set_main_option("script_location", "kerjasama_cli:migrations")
        config.attributes["connection"] = conn
        command.upgrade(config, db.SCHEMA_HEAD)
    yield engine
    engine.dispose()


def _write(engine: Any, operation: Any, *args: Any, **kwargs: Any) -> Any:
    from kerjasama_cli import queries
    from kerjasama_cli.ledger import Actor

    with engine.begin() as conn:
        actor = Actor("penguji", date(2022, 9, 10))
        return operation(queries.sqlalchemy_sql(conn), actor, *args, **kwargs)


def test_the_story_is_recorded_and_history_cannot_be_rewritten(engine: Any) -> None:
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    from kerjasama_cli import db, ledger

    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == (
            db.SCHEMA_HEAD
        )
    added = _write(
        engine,
        ledger.add_agreement,
        "ksb",
        "Kerja Sama Pembangunan Daerah",
        ["kaltim", "jatim"],
        agreed_on=date(2022, 7, 28),
        years=5,
    )
    assert added.key == "KSB-2022-0001"
    first = _write(engine, ledger.sign, "KSB-2022-0001", "kaltim", date(2022, 7, 28))
    assert not first.in_force
    _write(engine, ledger.handover, ["KSB-2022-0001"], "jatim", date(2022, 8, 11))
    second = _write(engine, ledger.sign, "KSB-2022-0001", "jatim", date(2022, 9, 1))
    assert second.in_force
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM entry")).scalar() >= 4
        with pytest.raises(DBAPIError, match="never updated"):
            conn.execute(text("UPDATE entry SET action = 'x'"))
