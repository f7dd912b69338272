"""Paths are paths, and reading is only reading.

Any legal file name holds its ledger exactly there (`?`, `%`, `#`, spaces, `file:`, names
of 240 characters, non-ASCII ones), a symbolic link to a ledger not yet created gets it
created where it points, a folder or a link loop is refused in one line; and a read command
leaves the ledger's folder as it found it (no -wal or -shm left beside a quiet ledger). All
run the installed `ks` as a subprocess on Kaltim and Jatim's KSB of 28 July 2022, or on a
copy of the reference story.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import RunKs, assert_refused

from kerjasama_cli import db

# A database's reader is read-only too: tests/test_postgres.py.
pytestmark = pytest.mark.sqlite_only("file paths, and what a read leaves beside the file")

KSB = "KSB-2022-0001"
RECORD_THE_KSB = (
    *("add-agreement", "--kind", "ksb", "--title", "Kerja Sama Pembangunan Daerah"),
    *("--party", "kaltim", "--party", "jatim", "--date", "28 Juli 2022", "--place", "Samarinda"),
)
KALTIM_SIGNS = ("sign", KSB, "--party", "kaltim", "--date", "2022-07-28")
JSON = ("--format", "json")


def listing(folder: Path) -> list[str]:
    """Every name under `folder`, hidden ones too, relative to it."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def parsed(result: subprocess.CompletedProcess[str]) -> Any:
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return json.loads(result.stdout)


def another_programs_database(path: Path) -> str:
    """An SQLite file that is not ours (as `notes?x.sqlite` must never reach); its digest."""
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE catatan (isi TEXT)")
    conn.execute("INSERT INTO catatan VALUES ('rapat dengan Biro Kerja Sama')")
    conn.commit()
    conn.close()
    return hashlib.sha256(path.read_bytes()).hexdigest()


def record_and_read_back(run_ks: RunKs, db_option: str, **kwargs: Any) -> None:
    """Kaltim and Jatim's KSB recorded and signed by Kaltim, then read back and verified."""
    for write in (RECORD_THE_KSB, KALTIM_SIGNS):
        result = run_ks("--db", db_option, *write, **kwargs)
        assert result.returncode == 0, result.stderr
    shown = parsed(run_ks("--db", db_option, "show", KSB, *JSON, **kwargs))
    signed = {p["party"]: p["signed_on"] for p in shown["parties"]}
    assert signed == {
        "Pemerintah Provinsi Kalimantan Timur": "2022-07-28",
        "Pemerintah Provinsi Jawa Timur": None,
    }
    pending = parsed(run_ks("--db", db_option, "pending", "--province", "jatim", *JSON, **kwargs))
    assert [(p["agreement"], p["party"]) for p in pending] == [
        (KSB, "Pemerintah Provinsi Jawa Timur")
    ]
    verified = parsed(run_ks("--db", db_option, "verify", *JSON, **kwargs))
    assert (verified["ok"], verified["problems"]) == (True, [])


# --- any legal file name ----------------------------------------------------------------------

ODD_NAMES = [
    pytest.param("notes?x.sqlite", id="question-mark"),  # was: the schema went into .notes
    pytest.param("a%20b.sqlite", id="percent-20"),  # was: decoded to "a b", a stray ledger
    pytest.param("a#b.sqlite", id="hash"),
    pytest.param("with space.sqlite", id="space"),
    pytest.param("100%.sqlite", id="percent"),
    pytest.param("file:kerjasama.sqlite", id="file-colon"),  # was: taken for a URI
]


@pytest.mark.parametrize("name", ODD_NAMES)
def test_an_odd_file_name_holds_the_ledger_exactly_there(
    tmp_path: Path, run_ks: RunKs, name: str
) -> None:
    notes = another_programs_database(tmp_path / ".notes")
    record_and_read_back(run_ks, name, cwd=tmp_path)  # relative, as typed in that folder
    assert listing(tmp_path) == sorted([".notes", name])
    assert hashlib.sha256((tmp_path / ".notes").read_bytes()).hexdigest() == notes
    conn = sqlite3.connect(db.readonly_uri(tmp_path / name), uri=True)
    try:
        assert db.schema_revision(conn, tmp_path / name) == db.SCHEMA_HEAD
    finally:
        conn.close()


LONG_NAMES = [
    pytest.param("k" * 233 + ".sqlite", id="240-ascii"),
    # 240 characters, 250 bytes: the private name beside it must be cut by bytes, not
    # characters, and never through the middle of one.
    pytest.param("Kerja Sama Kaltim—Jatim " * 5 + "k" * 113 + ".sqlite", id="240-non-ascii"),
]


@pytest.mark.parametrize("name", LONG_NAMES)
def test_a_240_character_file_name_holds_the_ledger(
    tmp_path: Path, run_ks: RunKs, name: str
) -> None:
    assert len(name) == 240 and len(os.fsencode(name)) <= 251
    record_and_read_back(run_ks, str(tmp_path / name))
    assert listing(tmp_path) == [name]


def test_a_name_too_long_for_the_wal_beside_it_is_refused_in_one_line(
    tmp_path: Path, run_ks: RunKs
) -> None:
    name = "k" * 245 + ".sqlite"  # 252 bytes: legal, but NAME-wal would not be
    result = run_ks("--db", str(tmp_path / name), *RECORD_THE_KSB)
    assert_refused(result, "252 bytes", "at most 251")
    assert listing(tmp_path) == []


# --- symbolic links and folders -----------------------------------------------------------


@pytest.mark.parametrize(
    "target", [pytest.param("ledger.sqlite", id="beside"), pytest.param("arsip/2022.sqlite")]
)
def test_a_link_to_a_ledger_not_yet_created_gets_it_created_where_it_points(
    tmp_path: Path, run_ks: RunKs, target: str
) -> None:
    link = tmp_path / "ks.sqlite"
    link.symlink_to(target)  # relative, and dangling: nothing there yet
    record_and_read_back(run_ks, str(link))
    assert link.is_symlink() and os.readlink(link) == target
    assert (tmp_path / target).is_file() and not (tmp_path / target).is_symlink()
    expected = ["ks.sqlite", target, *(["arsip"] if "/" in target else [])]
    assert listing(tmp_path) == sorted(expected)


def test_a_link_loop_is_refused_in_one_line(tmp_path: Path, run_ks: RunKs) -> None:
    (tmp_path / "a.sqlite").symlink_to("b.sqlite")
    (tmp_path / "b.sqlite").symlink_to("a.sqlite")
    for command in (RECORD_THE_KSB, ("pending", "--province", "jatim")):
        assert_refused(run_ks("--db", str(tmp_path / "a.sqlite"), *command), "symbolic link")
    assert listing(tmp_path) == ["a.sqlite", "b.sqlite"]


def test_a_folder_given_as_the_ledger_is_refused_in_one_line(tmp_path: Path, run_ks: RunKs) -> None:
    folder = tmp_path / "kerjasama"
    folder.mkdir()
    for command in (RECORD_THE_KSB, ("pending", "--province", "jatim"), ("verify",)):
        result = run_ks("--db", str(folder), *command)
        assert_refused(result, f"{folder} is a folder", str(folder / "ledger.sqlite"))
    assert listing(tmp_path) == ["kerjasama"]


# --- reading leaves the folder as it was ----------------------------------------------------

READS = {
    "pending": ("pending", "--province", "jatim", *JSON),
    "list": ("list", *JSON),
    "show": ("show", KSB, *JSON),
    "log": ("log", *JSON),
    "db-status": ("db", "status", *JSON),
    "verify": ("verify", *JSON),
    "check": ("check",),
}


@pytest.fixture
def quiet_story(tmp_path: Path, story_ledger: Path) -> Path:
    """A copy of the reference story as the last writer leaves it: one file, no -wal."""
    copy = tmp_path / "arsip" / "story.sqlite"
    copy.parent.mkdir()
    source, target = sqlite3.connect(story_ledger), sqlite3.connect(copy)
    try:
        source.backup(target)
    finally:
        target.close()
        source.close()
    assert listing(copy.parent) == ["story.sqlite"]
    return copy


@pytest.mark.parametrize("command", READS.values(), ids=READS.keys())
def test_a_read_leaves_a_quiet_ledgers_folder_as_it_found_it(
    quiet_story: Path, run_ks: RunKs, command: tuple[str, ...]
) -> None:
    before = quiet_story.stat()
    content = quiet_story.read_bytes()
    result = run_ks("--db", str(quiet_story), *command)
    assert result.returncode in (0, 1) and "Traceback" not in result.stderr, result.stderr
    assert listing(quiet_story.parent) == ["story.sqlite"]
    after = quiet_story.stat()
    assert (after.st_mtime_ns, after.st_size) == (before.st_mtime_ns, before.st_size)
    assert quiet_story.read_bytes() == content


def test_a_reader_refuses_every_statement_that_would_write(quiet_story: Path) -> None:
    content = quiet_story.read_bytes()
    with db.reader(quiet_story) as conn:
        for statement in (
            "INSERT INTO party (name, kind) VALUES ('Biro Kerja Sama', 'agency')",
            "PRAGMA user_version = 7",
            "CREATE TABLE catatan (isi TEXT)",
        ):
            with pytest.raises(sqlite3.OperationalError, match="readonly"):
                conn.execute(statement)
    assert quiet_story.read_bytes() == content
    assert listing(quiet_story.parent) == ["story.sqlite"]


def test_a_reader_open_while_jatim_signs_keeps_the_signature_and_leaves_no_files(
    quiet_story: Path, run_ks: RunKs
) -> None:
    # The writer commits while the reader is open, so the reader is the last to close: it
    # checkpoints the signature into the ledger and removes the -wal and -shm it shares.
    sign = ("sign", "PKS-2022-0005", "--party", "dispar-jatim", "--date", "2022-09-01")
    with db.reader(quiet_story) as conn:
        before = conn.execute("SELECT count(*) FROM signature").fetchone()[0]
        result = run_ks("--db", str(quiet_story), *sign)
        assert result.returncode == 0, result.stderr
        assert "-wal" in " ".join(listing(quiet_story.parent))  # the writer's commit, kept
    assert listing(quiet_story.parent) == ["story.sqlite"]
    conn = sqlite3.connect(db.readonly_uri(quiet_story, immutable=True), uri=True)
    try:  # immutable: reads the ledger file alone, without any -wal
        assert conn.execute("SELECT count(*) FROM signature").fetchone()[0] == before + 1
    finally:
        conn.close()
    verified = parsed(run_ks("--db", str(quiet_story), "verify", *JSON))
    assert (verified["ok"], verified["problems"]) == (True, [])
