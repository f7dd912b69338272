"""Who may do what on a shared ledger: the README's reader and writer roles, on a real server.

The SQL is taken from the README's roles block as it stands (so the two never part) and run
on a fresh ledger, its role names made unique to the test (roles belong to the whole
server) and the database named. As the writer, Biro Kaltim records the reference story and
every entry carries its login; as the reader, Bappeda Jatim reads everything and writes
nothing. Neither can rewrite an entry or touch the schema; only the owner (who copies
ledgers in) may write another role's name into an entry. Needs KS_POSTGRES_URL, as
tests/test_postgres.py does.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit
from uuid import uuid4

import pytest
from tests import test_postgres
from tests.conftest import REPO, STORY, RunKs, assert_refused, ks_executable
from tests.test_postgres import (
    PARTY_ADD,
    RECORD_THE_KSB,
    _admin_in,
    _entries,
    _on,
    _rows,
    assert_chain_unbroken,
)

from kerjasama_cli import events
from kerjasama_cli.location import ServerLedger

# test_postgres's fixtures: a server, and fresh databases on it (empty, or a new ledger).
server = test_postgres.server
ledger_template = test_postgres.ledger_template
empty_database = test_postgres.empty_database
pg_ledger = test_postgres.pg_ledger
README = REPO / "README.md"


def readme_roles_sql() -> str:
    """The SQL block of the README's "Who may do what" section."""
    text = README.read_text(encoding="utf-8")
    section = text.split("### Who may do what", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sql\n(.*?)```", section, re.DOTALL)
    assert len(blocks) == 1, "the README's roles section has one SQL block"
    return blocks[0]


@dataclass
class Roles:
    """The README's roles on one ledger, by what they are in the README."""

    ledger: str  # the owner's URL (the tests' server user, who ran ks db init)
    names: dict[str, str]  # README name -> the name made here

    def url(self, readme_name: str) -> str:
        parts = urlsplit(self.ledger)
        host = parts.netloc.split("@")[-1]
        return urlunsplit(parts._replace(netloc=f"{self.names[readme_name]}@{host}"))

    @property
    def writer(self) -> str:
        return self.url("biro_kaltim")

    @property
    def reader(self) -> str:
        return self.url("bappeda_jatim")


@pytest.fixture
def roles(pg_ledger: str) -> Iterator[Roles]:
    sql = readme_roles_sql()
    names = {name: f"{name}_{uuid4().hex[:6]}" for name in re.findall(r"CREATE ROLE (\w+)", sql)}
    assert {"ks_reader", "ks_writer", "biro_kaltim", "bappeda_jatim"} <= names.keys()
    database = urlsplit(pg_ledger).path.lstrip("/")
    for old, new in names.items():
        sql = re.sub(rf"\b{old}\b", new, sql)
    sql = re.sub(r"\bDATABASE kerjasama\b", f'DATABASE "{database}"', sql)
    try:
        _admin_in(pg_ledger, sql)
    except Exception as exc:  # the tests' user may not create roles: nothing to show then
        pytest.skip(f"cannot create roles here: {exc}")
    try:
        yield Roles(pg_ledger, names)
    finally:
        logins_first = sorted(names.values(), key=lambda n: n.startswith("ks_"))
        for name in logins_first:
            _admin_in(pg_ledger, f'DROP OWNED BY "{name}"')
        for name in logins_first:
            _admin_in(pg_ledger, f'DROP ROLE "{name}"')


def _story(url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KS_DB": url, "KS_BY": "tester", "KS": " ".join(ks_executable())}
    env.pop("KS_DEBUG", None)
    return subprocess.run(
        ["bash", str(STORY)], capture_output=True, text=True, env=env, timeout=600
    )


def test_the_readme_grants_insert_on_every_table_of_the_ledger(pg_ledger: str) -> None:
    # A table that a later migration adds must join the writers' GRANT INSERT (and this).
    granted = re.search(r"GRANT INSERT ON (.*?) TO ks_writer", readme_roles_sql(), re.DOTALL)
    assert granted is not None
    tables = {name.strip() for name in granted[1].split(",")}
    ours = _rows(pg_ledger, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    assert tables == {t for (t,) in ours} - {"alembic_version"}


def test_the_writer_records_the_story_under_its_login_and_the_reader_only_reads(
    roles: Roles, run_ks: RunKs
) -> None:
    told = _story(roles.writer)
    assert told.returncode == 0, told.stderr
    entries = assert_chain_unbroken(roles.ledger)
    writer = roles.names["biro_kaltim"]
    assert len(entries) == 37
    assert {(e[2], e[8]) for e in entries} == {("tester", writer)}  # --by, and the login

    reader = _on(run_ks, roles.reader)
    listed = reader("list", "--as-of", "2022-09-10", "--format", "json")
    assert listed.returncode == 0, listed.stderr
    assert len(json.loads(listed.stdout)) == 8
    pending = reader("pending", "--province", "jatim", "--as-of", "2022-09-10", "-f", "json")
    assert pending.returncode == 0, pending.stderr
    assert len(json.loads(pending.stdout)) == 8
    logged = json.loads(reader("log", "--format", "json").stdout)
    assert [(e["recorded_by"], e["db_user"]) for e in logged] == [("tester", writer)] * 37
    assert [e["hash"] for e in logged] == [e[7] for e in entries]
    piped = reader("log", "KSB-2022-0001").stdout.splitlines()
    assert piped[0].split("\t")[2] == "By"
    assert {line.split("\t")[2] for line in piped[1:]} == {f"tester (login {writer})"}

    for write in (
        ("sign", "PKS-2022-0002", "--party", "dishub-jatim", "--date", "2022-09-01"),
        ("handover", "PKS-2022-0003", "--to", "jatim", "--date", "2022-09-02"),
        ("party", "add", "Dinas Sosial", "--region", "surabaya", "--alias", "dinsos-surabaya"),
    ):
        said = assert_refused(reader(*write), "permission denied", code=1)
        assert said.endswith("nothing was recorded")
    assert _entries(roles.ledger) == entries


def _refused(url: str, statement: str) -> str:
    """What the server said refusing `statement` (which must fail) in a transaction of its
    own."""
    import psycopg

    with psycopg.connect(ServerLedger(url).conninfo) as conn:
        try:
            conn.execute(statement)
        except psycopg.Error as exc:
            return str(exc).splitlines()[0]
    raise AssertionError(f"the server let it through: {statement}")


def _next_entry(url: str, db_user: str | None) -> str:
    """An INSERT of the entry that would come next, hashed right, naming `db_user`."""
    (seq, prev_hash) = _rows(url, "SELECT seq, hash FROM entry ORDER BY seq DESC LIMIT 1")[0]
    seq += 1
    at, by, action = "2022-09-10T02:00:00.000000Z", "tester", "entry.void"
    payload = events.canonical({"id": 1, "target": 1, "reason": "uji"})
    digest = events.entry_hash(prev_hash, seq, at, by, action, None, payload, db_user)
    shown = "NULL" if db_user is None else f"'{db_user}'"
    return (
        "INSERT INTO entry (seq, recorded_at, recorded_by, action, agreement_key, payload, "
        f"prev_hash, hash, db_user) VALUES ({seq}, '{at}', '{by}', '{action}', NULL, "
        f"'{payload}', '{prev_hash}', '{digest}', {shown})"
    )


# (statement, what the server says) for the writer; each would rewrite the past or the schema.
REWRITES = [
    ("UPDATE entry SET recorded_by = 'orang lain' WHERE seq = 1", "permission denied"),
    ("DELETE FROM entry WHERE seq = 4", "permission denied"),
    ("TRUNCATE entry, party CASCADE", "permission denied"),
    ("UPDATE signature SET signed_on = '2022-07-01'", "permission denied"),
    ("DELETE FROM signature", "permission denied"),
    ("UPDATE agreement SET key = 'KSB-2022-0099'", "permission denied"),
    ("DELETE FROM agreement_party", "permission denied"),
    ("UPDATE alembic_version SET version_num = '0099'", "permission denied"),
    ("INSERT INTO alembic_version VALUES ('0099')", "permission denied"),
    ("ALTER TABLE entry DISABLE TRIGGER entry_no_update", "must be owner"),
    ("ALTER TABLE entry DISABLE TRIGGER ALL", "must be owner"),
    ("DROP TRIGGER entry_db_user ON entry", "must be owner"),
    ("ALTER TABLE entry DROP COLUMN db_user", "must be owner"),
    ("ALTER TABLE signature ADD COLUMN catatan text", "must be owner"),
    ("DROP TABLE signature CASCADE", "must be owner"),
    (
        "CREATE OR REPLACE FUNCTION ks_refuse_change() RETURNS trigger AS $$ BEGIN "
        "RETURN NEW; END $$ LANGUAGE plpgsql",
        "permission denied for schema public",  # and it is not the function's owner
    ),
    ("CREATE TABLE catatan (isi text)", "permission denied for schema public"),
    ("SET session_replication_role = replica", "permission denied"),
]


def test_the_writer_can_neither_rewrite_an_entry_nor_touch_the_schema(
    roles: Roles, run_ks: RunKs
) -> None:
    writer = _on(run_ks, roles.writer)
    for write in (
        RECORD_THE_KSB,
        ("sign", "KSB-2022-0001", "--party", "kaltim", "--date", "2022-07-28"),
        # What ks amend may change, the writer may: its columns are granted one by one.
        ("amend", "KSB-2022-0001", "--title", "Kerja Sama Pembangunan Daerah Berkelanjutan"),
        ("amend", "KSB-2022-0001", "--number", "kaltim=120/4511/B.Kesra/2022"),
    ):
        done = writer(*write, "--reason", "salah ketik") if write[0] == "amend" else writer(*write)
        assert done.returncode == 0, done.stderr
    before = assert_chain_unbroken(roles.ledger)
    assert {e[8] for e in before} == {roles.names["biro_kaltim"]}
    tables = _rows(roles.ledger, "SELECT tablename FROM pg_tables ORDER BY tablename")

    for statement, says in REWRITES:
        assert says in _refused(roles.writer, statement), statement
    # An entry chained and hashed right, but naming a role other than the one writing it.
    for other in ("postgres", roles.names["bappeda_jatim"], None):
        assert "is being written by" in _refused(roles.writer, _next_entry(roles.ledger, other))

    assert _entries(roles.ledger) == before
    assert _rows(roles.ledger, "SELECT tablename FROM pg_tables ORDER BY tablename") == tables
    assert _rows(roles.ledger, "SELECT title FROM agreement") == [
        ("Kerja Sama Pembangunan Daerah Berkelanjutan",)
    ]


def test_only_the_owner_may_write_another_roles_name_into_an_entry(
    roles: Roles, run_ks: RunKs
) -> None:
    # ks db copy brings a ledger's entries in as they were written, each with its role (or
    # none, from a file): the owner, who runs it, may; a writer may not.
    assert _on(run_ks, roles.writer)(*PARTY_ADD).returncode == 0
    copied = _next_entry(roles.ledger, "biro_jatim_lama")
    assert "is being written by" in _refused(roles.writer, copied)
    _admin_in(roles.ledger, copied)
    from_a_file = _next_entry(roles.ledger, None)
    assert "is being written by" in _refused(roles.writer, from_a_file)
    _admin_in(roles.ledger, from_a_file)
    entries = assert_chain_unbroken(roles.ledger)
    assert [e[8] for e in entries] == [roles.names["biro_kaltim"], "biro_jatim_lama", None]


def test_entries_from_before_schema_0005_keep_no_role_and_their_hashes(
    empty_database: str, run_ks: RunKs
) -> None:
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import create_engine

    from kerjasama_cli import postgres

    # A ledger as ks at schema 0004 left it, with one entry: Kaltim's Kominfo registered.
    engine = create_engine(
        "postgresql+psycopg://", creator=lambda: postgres.connect(ServerLedger(empty_database))
    )
    at, by, action = "2022-07-27T01:00:00.000000Z", "tester", "party.add"
    payload = events.canonical({"id": 1, "name": "Dinas Kominfo", "kind": "agency"})
    old_hash = events.entry_hash(events.GENESIS_HASH, 1, at, by, action, None, payload)
    with engine.begin() as conn:
        config = Config()
        config.set_main_option("script_location", "kerjasama_cli:migrations")
        config.attributes["connection"] = conn
        command.upgrade(config, "0004")
        conn.exec_driver_sql(f"COMMENT ON TABLE entry IS '{postgres.LEDGER_COMMENT}'")
        conn.exec_driver_sql(
            "INSERT INTO entry (seq, recorded_at, recorded_by, action, payload, prev_hash, hash) "
            f"VALUES (1, '{at}', '{by}', '{action}', '{payload}', "
            f"'{events.GENESIS_HASH}', '{old_hash}')"
        )
        conn.exec_driver_sql(
            "INSERT INTO party (id, name, name_key, kind, entry_seq) "
            "VALUES (1, 'Dinas Kominfo', 'dinas kominfo', 'agency', 1)"
        )
    engine.dispose()
    ks = _on(run_ks, empty_database)
    assert ks("db", "upgrade").returncode == 0
    assert ks(*PARTY_ADD).returncode == 0

    entries = assert_chain_unbroken(empty_database)
    (server_user,) = _rows(empty_database, "SELECT session_user")[0]
    assert [(e[7], e[8]) for e in entries[:1]] == [(old_hash, None)]
    assert [e[8] for e in entries[1:]] == [server_user]
