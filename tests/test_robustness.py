"""Robustness: a full disk, damaged files, a read-only medium, and hostile input.

The first three run the installed `ks` as a subprocess on a copy of the reference story
(Kaltim and Jatim, July-August 2022). The disk and medium tests mount a small tmpfs, which
needs root (as here and in CI); they are skipped, saying why, only where mounting is not
permitted. The hostile-input properties run `ks` in-process on a fresh copy of the story per
example; KS_HYPOTHESIS_EXAMPLES raises the number of examples for a long run, and the number
that ran per command is printed at the end of the module.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from tests.conftest import (
    ON_POSTGRESQL,
    RunKs,
    assert_refused,
    copy_ledger,
    ks_executable,
    ledger_digest,
)

KSB = "KSB-2022-0001"
AS_OF = ("--as-of", "2022-09-10")
JSON = ("--format", "json")
SIGN = ("sign", "PKS-2022-0005", "--party", "dispar-jatim", "--date", "2022-09-01")
ADD_KSB = (
    *("add-agreement", "--kind", "ksb", "--title", "Kerja Sama Pariwisata"),
    *("--party", "kaltim", "--party", "jatim", "--date", "2022-09-01", "--place", "Balikpapan"),
)
PARTY_ADD = ("party", "add", "Biro Pemerintahan Provinsi Jawa Timur", "--region", "jatim")
STORY_ENTRIES = 37
NOBODY = 65534


# --- helpers ------------------------------------------------------------------------------


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def no_traceback(result: subprocess.CompletedProcess[str]) -> None:
    output = result.stdout + result.stderr
    assert "Traceback" not in output, output
    assert "internal error" not in output, output


def parsed(result: subprocess.CompletedProcess[str]) -> Any:
    no_traceback(result)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def fill_disk(path: Path) -> None:
    """Write `path` until the file system holding it has not one byte left."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        for chunk in (1 << 16, 1 << 12, 1):
            with contextlib.suppress(OSError):
                while True:
                    os.write(fd, b"\0" * chunk)
        with pytest.raises(OSError) as full:
            os.write(fd, b"\0")
        assert full.value.errno == errno.ENOSPC
    finally:
        os.close(fd)


@pytest.fixture
def tmpfs(tmp_path: Path) -> Iterator[Callable[..., Path]]:
    """Mount small tmpfs file systems under tmp_path; all are unmounted afterwards."""
    mounted: list[Path] = []

    def mount(size: str = "2m") -> Path:
        point = tmp_path / f"mnt{len(mounted)}"
        point.mkdir()
        try:
            result = subprocess.run(
                ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(point)],
                capture_output=True,
                text=True,
                timeout=30,
            )
        except FileNotFoundError:
            pytest.skip("no `mount` command here: cannot make a small or read-only file system")
        if result.returncode != 0:
            pytest.skip(
                "mounting a tmpfs is not permitted here (needs root or CAP_SYS_ADMIN): "
                + result.stderr.strip()
            )
        mounted.append(point)
        return point

    try:
        yield mount
    finally:
        for point in reversed(mounted):
            if subprocess.run(["umount", str(point)], capture_output=True).returncode != 0:
                subprocess.run(["umount", "-l", str(point)], capture_output=True)


def remount_readonly(point: Path) -> None:
    subprocess.run(["mount", "-o", "remount,ro", str(point)], check=True, capture_output=True)


# --- 1. a full disk -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "after_a_read",
    [
        # The usual state: the last writer closed the ledger and SQLite removed -wal and -shm.
        pytest.param(False, id="ledger-closed"),
        # A reader left -wal and -shm behind (readers cannot remove them).
        pytest.param(True, id="after-a-read"),
    ],
)
@pytest.mark.sqlite_only("a full disk under the ledger file (a tmpfs)")
def test_a_full_disk_refuses_writes_in_one_line_and_records_nothing(
    tmpfs, story_ledger: Path, run_ks: RunKs, after_a_read: bool
) -> None:
    disk = tmpfs("1m")
    ledger = copy_ledger(story_ledger, disk / "ledger.sqlite")
    env = {"KS_DB": str(ledger)}
    before = ledger_digest(ledger)
    if after_a_read:
        parsed(run_ks("db", "status", *JSON, env=env))
    filler = disk / "filler"
    fill_disk(filler)

    for write in (ADD_KSB, SIGN):
        assert_refused(run_ks(*write, env=env), "disk", "full", str(ledger), code=3)

    # Reading on a full disk either works or is refused just as clearly.
    while_full = run_ks("verify", *JSON, env=env)
    if while_full.returncode == 0:
        assert parsed(while_full)["entries"] == STORY_ENTRIES
    else:
        assert_refused(while_full, "full", code=3)

    filler.unlink()
    report = parsed(run_ks("verify", *JSON, env=env))
    assert (report["ok"], report["entries"], report["problems"]) == (True, STORY_ENTRIES, [])
    assert ledger_digest(ledger) == before

    signed = run_ks(*SIGN, env=env)
    no_traceback(signed)
    assert signed.returncode == 0, signed.stderr
    report = parsed(run_ks("verify", *JSON, env=env))
    assert (report["ok"], report["entries"]) == (True, STORY_ENTRIES + 1)


# --- 2. damaged files -----------------------------------------------------------------------


@dataclass(frozen=True)
class Flip:
    """Where in an entry's payload a byte is flipped, and how."""

    text: bytes  # a part of the payload; the flip lands on its first byte after `after`
    after: int
    mask: int


# Entry 20 adds PKS-2022-0002, agreed in Samarinda.
FLIPPED_ENTRY = 20
FLIPS = {
    # A letter changes case: still valid UTF-8 and JSON; only the hash chain can tell.
    "flipped-letter": Flip(b'"place":"Samarinda"', len(b'"place":"'), 0x20),
    # A letter gets its high bit: the payload is no longer valid UTF-8.
    "flipped-high-bit": Flip(b'"place":"Samarinda"', len(b'"place":"Sa'), 0x80),
    # A quote becomes '#': the payload is no longer valid JSON.
    "flipped-quote": Flip(b'"place":"Samarinda"', len(b'"place":'), 0x01),
}


def damage(ledger: Path, how: str) -> None:
    data = ledger.read_bytes()
    if how == "truncated-half":
        ledger.write_bytes(data[: len(data) // 2])
    elif how == "garbage-header":
        noise = bytes(b ^ 0x5A for b in hashlib.sha512(b"ks").digest())
        noise = (noise * 2)[:100]
        assert not noise.startswith(b"SQLite format 3")
        ledger.write_bytes(noise + data[100:])
    elif how == "zero-length":
        ledger.write_bytes(b"")
    else:
        flip = FLIPS[how]
        conn = sqlite3.connect(ledger)
        try:
            (payload,) = conn.execute(
                "SELECT CAST(payload AS BLOB) FROM entry WHERE seq = ?", (FLIPPED_ENTRY,)
            ).fetchone()
        finally:
            conn.close()
        assert data.count(payload) == 1, "the payload should be stored once, inline"
        where = data.index(payload) + payload.index(flip.text) + flip.after
        changed = bytearray(data)
        changed[where] ^= flip.mask
        ledger.write_bytes(bytes(changed))


READ_COMMANDS = [
    pytest.param(("pending", *AS_OF), id="pending"),
    pytest.param(("list", *AS_OF), id="list"),
    pytest.param(("show", KSB), id="show"),
    pytest.param(("log",), id="log"),
    pytest.param(("db", "status"), id="db-status"),
]
WRITE_COMMANDS = [
    pytest.param(SIGN, id="sign"),
    pytest.param(PARTY_ADD, id="party-add"),
]


@pytest.mark.sqlite_only("the ledger file's bytes damaged")
@pytest.mark.parametrize("how", ["truncated-half", "garbage-header", "zero-length"])
@pytest.mark.parametrize(
    "args", [*READ_COMMANDS, pytest.param(("verify",), id="verify"), *WRITE_COMMANDS]
)
def test_a_damaged_file_is_refused_in_one_line_and_left_alone(
    story_copy: Path, run_ks: RunKs, how: str, args: tuple[str, ...]
) -> None:
    damage(story_copy, how)
    content = sha256(story_copy)

    assert_refused(run_ks(*args), str(story_copy), "not a ks ledger", code=1)
    assert sha256(story_copy) == content
    for suffix in ("-wal", "-journal"):
        leftover = Path(f"{story_copy}{suffix}")
        assert not leftover.exists() or leftover.stat().st_size == 0, suffix


@pytest.mark.sqlite_only("a byte flipped in the ledger file")
@pytest.mark.parametrize("how", list(FLIPS))
def test_verify_reports_a_flipped_byte_in_an_entry_and_changes_nothing(
    story_copy: Path, run_ks: RunKs, how: str
) -> None:
    damage(story_copy, how)
    content = sha256(story_copy)

    result = run_ks("verify")

    no_traceback(result)
    assert result.returncode == 1, result.stdout + result.stderr
    problems = result.stdout.splitlines()
    assert problems, result.stderr
    assert all(p.split(":")[0] in {"integrity", "chain", "replay"} for p in problems), problems
    assert any(f"entry {FLIPPED_ENTRY}" in p for p in problems), problems
    summary = result.stderr.splitlines()
    assert len(summary) == 1 and "problem" in summary[0], result.stderr
    assert sha256(story_copy) == content


@pytest.mark.sqlite_only("a byte flipped in the ledger file")
@pytest.mark.parametrize("how", list(FLIPS))
@pytest.mark.parametrize("args", READ_COMMANDS)
def test_reading_a_ledger_with_a_flipped_byte_works_or_is_refused_in_one_line(
    story_copy: Path, run_ks: RunKs, how: str, args: tuple[str, ...]
) -> None:
    damage(story_copy, how)
    content = sha256(story_copy)

    result = run_ks(*args)

    no_traceback(result)
    if result.returncode != 0:
        # `log` streams: the entries before the damaged one are printed, then it stops.
        streamed = result.stdout if args[0] == "log" else ""
        assert_refused(_without_stdout(result, streamed), str(story_copy), code=1)
    assert sha256(story_copy) == content


def _without_stdout(
    result: subprocess.CompletedProcess[str], streamed: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.CompletedProcess(
        result.args, result.returncode, result.stdout[len(streamed) :], result.stderr
    )


# --- 3. a read-only medium and a read-only file ---------------------------------------------

READS = {
    "pending": ("pending", *AS_OF, *JSON),
    "list": ("list", *AS_OF, *JSON),
    "show": ("show", KSB, *AS_OF, *JSON),
    "log": ("log", *JSON),
    "db-status": ("db", "status", *JSON),
    "verify": ("verify", *JSON),
}
STATUS_COUNTS = ("parties", "agreements", "signatures", "handovers", "voided", "entries", "head")


@pytest.fixture(scope="module")
def story_reads(story_ledger: Path) -> dict[str, Any]:
    """What each read command says on the (writable) reference-story ledger."""
    env = {**os.environ, "KS_DB": str(story_ledger), "NO_COLOR": "1"}
    env.pop("KS_DEBUG", None)
    answers = {}
    for name, args in READS.items():
        result = subprocess.run(
            [*ks_executable(), *args], capture_output=True, text=True, env=env, timeout=120
        )
        answers[name] = parsed(result)
    return answers


def check_reads(run: Callable[..., subprocess.CompletedProcess[str]], expected: dict) -> None:
    """Every read command works and says what it says on the writable original."""
    for name, args in READS.items():
        answer = parsed(run(*args))
        if name == "db-status":
            assert {k: answer[k] for k in STATUS_COUNTS} == {
                k: expected[name][k] for k in STATUS_COUNTS
            }
            assert answer["entries"] == STORY_ENTRIES
        elif name == "verify":
            assert (answer["ok"], answer["entries"], answer["problems"]) == (
                True,
                STORY_ENTRIES,
                [],
            )
            assert answer["head"] == expected[name]["head"]
        else:
            assert answer == expected[name], name


def check_writes_refused(
    run: Callable[..., subprocess.CompletedProcess[str]], ledger: Path
) -> None:
    folder = ledger.parent
    content, names = sha256(ledger), sorted(p.name for p in folder.iterdir())
    for write in (SIGN, PARTY_ADD, ADD_KSB):
        assert_refused(run(*write), "read-only", str(ledger), code=1)
    assert sha256(ledger) == content
    assert sorted(p.name for p in folder.iterdir()) == names


@pytest.mark.sqlite_only("the ledger file on a read-only medium")
@pytest.mark.parametrize(
    "after_a_read", [pytest.param(False, id="ledger-only"), pytest.param(True, id="after-a-read")]
)
def test_a_ledger_on_a_read_only_medium_can_be_read_but_not_written(
    tmpfs, story_ledger: Path, run_ks: RunKs, story_reads: dict, after_a_read: bool
) -> None:
    medium = tmpfs("2m")
    ledger = copy_ledger(story_ledger, medium / "ledger.sqlite")
    env = {"KS_DB": str(ledger)}
    if after_a_read:  # leaves -wal and -shm on the medium, as a reader would
        parsed(run_ks("db", "status", *JSON, env=env))
    remount_readonly(medium)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return run_ks(*args, env=env)

    check_reads(run, story_reads)
    check_writes_refused(run, ledger)


PROBE = "import sys, kerjasama_cli.cli; open(sys.argv[1], 'rb').read(16)"


def as_nobody() -> list[str]:
    """The command prefix that runs a program as an unprivileged user (none if we are one)."""
    if os.getuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip(f"no setpriv here to drop privileges to uid {NOBODY}")
    return [setpriv, f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]


@pytest.mark.sqlite_only("file modes (a reader's role on PostgreSQL: tests/test_postgres.py)")
@pytest.mark.parametrize(
    "after_a_read", [pytest.param(False, id="ledger-only"), pytest.param(True, id="after-a-read")]
)
def test_a_user_without_write_permission_can_read_but_not_write(
    story_ledger: Path, run_ks: RunKs, story_reads: dict, after_a_read: bool
) -> None:
    # Not under tmp_path: pytest makes its base directory private to the user running it.
    folder = Path(tempfile.mkdtemp(prefix="ks-readonly-"))
    try:
        ledger = copy_ledger(story_ledger, folder / "ledger.sqlite")
        if after_a_read:
            parsed(run_ks("db", "status", *JSON, env={"KS_DB": str(ledger)}))
        for path in folder.iterdir():
            path.chmod(0o444)
        folder.chmod(0o555)
        env = {**os.environ, "KS_DB": str(ledger), "KS_BY": "tester", "NO_COLOR": "1"}
        env.pop("KS_DEBUG", None)
        nobody = as_nobody()

        def run(*args: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                [*nobody, *ks_executable(), *args],
                capture_output=True,
                text=True,
                env=env,
                cwd=folder,
                timeout=120,
            )

        # Can that user run this Python, import ks and read the ledger at all?
        probe = subprocess.run(
            [*nobody, sys.executable, "-c", PROBE, str(ledger)],
            capture_output=True,
            text=True,
            cwd=folder,
            timeout=60,
        )
        if probe.returncode != 0:
            pytest.skip(f"cannot run ks as uid {NOBODY} here: {probe.stderr.strip()[-200:]}")

        check_reads(run, story_reads)
        check_writes_refused(run, ledger)
    finally:
        folder.chmod(0o755)
        shutil.rmtree(folder, ignore_errors=True)


# --- 4. hostile input, property-based -------------------------------------------------------

EXAMPLES = int(os.environ.get("KS_HYPOTHESIS_EXAMPLES", "100"))
HOSTILE_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,  # nothing written into the work tree
    # Shrink a failure to a small example, but skip the slow "explain" phase.
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)
CASES: dict[str, Counter[str]] = {}

# What ks refuses in free text (titles, places, names, notes, reasons, numbers): C0 and C1
# controls and the Unicode line and paragraph separators, which break lines and terminals.
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# Invalid UTF-8 in argv reaches Python as lone surrogates (surrogateescape): such text
# cannot be stored, nor shown back, exactly.
SURROGATE = re.compile("[\ud800-\udfff]")
LONG = 20_000

SAMPLES = [
    "Kerja Sama Pembangunan Daerah",
    "اتفاقية التعاون بين المحافظتين",
    "שיתוף פעולה בין המחוזות",
    "\u202eKerja Sama\u202c \u200f\u200e",
    "Promosi Pariwisata 🏝️🤝🇮🇩 👩‍👩‍👧‍👦",
    "Pe\u0301mbangunan Z\u0335a\u0336l\u0337g\u0338o Cafe\u0301",
    "'; DROP TABLE entry; --",
    "Robert'); DELETE FROM signature; --",
    '" OR 1=1 --',
    "%_ LIKE '%' ESCAPE '\\'",
    "[bold red]Perjanjian[/] 100% {title} %s $HOME `id`",
    "a, b",
    "x=y=z",
    "jatim=120/4521/B.PEM",
    "",
    " ",
    "  spasi di tepi  ",
    "\u00a0\u3000",
    "-x",
    "--help",
    "\x00",
    "baris\nbaru",
    "tab\there",
    "\x1b[31mmerah\x1b[0m",
    "\x7f\x85\x9b",
    "\u2028",
    "Kerja \udcff Sama",
    "\udce9",
]


def _long(unit: str) -> str:
    unit = unit or "x"
    return (unit * (LONG // len(unit) + 1))[:LONG]


texts = st.one_of(
    st.sampled_from(SAMPLES),
    st.text(max_size=40),
    st.lists(st.sampled_from(SAMPLES) | st.text(max_size=8), min_size=2, max_size=5).map("".join),
    st.sampled_from(SAMPLES).map(_long),
    st.text(min_size=1, max_size=4).map(_long),
)


def _digits(text: str, zero: str) -> str:
    """`text` with its ASCII digits written in another script's digits."""
    return "".join(chr(ord(zero) + int(c)) if c.isdigit() else c for c in text)


MONTHS = [
    ("Januari", "Jan"),
    ("Februari", "Peb"),
    ("Maret", "Mar"),
    ("April", "Apr"),
    ("Mei", "Mei"),
    ("Juni", "Jun"),
    ("Juli", "Jul"),
    ("Agustus", "Agt"),
    ("September", "Sep"),
    ("Oktober", "Okt"),
    ("November", "Nop"),
    ("Desember", "Des"),
]
IMPOSSIBLE_DATES = [
    "31 Februari 2022",
    "29 Februari 2023",
    "2022-02-30",
    "31/04/2022",
    "31-06-2022",
    "32 Juli 2022",
    "2022-13-01",
    "11/13/2022",
    "00-08-2022",
    "2022-00-10",
    "0000-01-01",
]
ODD_DATES = [
    "kemarin",
    "11 Agustos 2022",
    "2022-08-11T09:00",
    "2022/08/11",
    "1 Agt. 2022",
    " 11  Agustus  2022 ",
    _digits("2022-08-11", "\uff10"),  # fullwidth
    _digits("2022-08-11", "\u0660"),  # Arabic-Indic
    "0001-01-01",
    "9999-12-31",
    "",
]


def _render(day: date, style: int) -> str:
    name, short = MONTHS[day.month - 1]
    return [
        day.isoformat(),
        f"{day:%d-%m-%Y}",
        f"{day:%d/%m/%Y}",
        f"{day.day} {name} {day.year}",
        f"{day.day} {short} {day.year}",
        f"{day.day} {name.upper()} {day.year}",
    ][style]


dates = st.one_of(
    st.builds(
        _render, st.dates(date(2022, 7, 28), date.today()), st.integers(0, 5)
    ),  # could be accepted
    st.builds(_render, st.dates(date(1900, 1, 1), date(2100, 12, 31)), st.integers(0, 5)),
    st.sampled_from(IMPOSSIBLE_DATES),
    st.sampled_from(ODD_DATES),
    texts,
)
KEYS = [
    "KSB-2022-0001",
    "ksb-2022-0001",
    "PKS-2022-0001",
    "PKS-2022-0005",
    " pks-2022-0007 ",
    "PKS-2022-0099",
    "KSB-2021-0001",
    "KSB-2022-0001'; DROP TABLE entry; --",
    "KSB-2022-%",
    "_SB-2022-0001",
]
PARTIES = [
    "kaltim",
    "jatim",
    "JATIM",
    "Jawa Timur",
    "35",
    "Kota Surabaya",
    "64.72",
    "samarinda",
    "jabar",
    "kominfo-kaltim",
    "kominfo-jatim",
    "dispar-kaltim",
    "dispar-jatim",
    "Dinas Kesehatan Provinsi Jawa Timur",
    "jatimm",
    "bandung",
    "Atlantis",
    "64.99",
    "99",
]
REGIONS = [
    "jatim",
    "kaltim",
    "35",
    "64.72",
    "Kota Surabaya",
    "Kabupaten Kutai Kartanegara",
    "jatimm",
    "bandung",
    "Atlantis",
    "99.99",
]
VOID_TARGETS = [
    "18",
    "#26",
    "30",
    "37",
    "1",
    "17",
    "0",
    "-1",
    "38",
    _digits("18", "\u0660"),
    "99999999999999999999999",
]

T = TypeVar("T")


def mostly(valid: st.SearchStrategy[T], hostile: st.SearchStrategy[T]) -> st.SearchStrategy[T]:
    """`valid` four times in five: most examples then get past the lookups to the text."""
    return st.integers(0, 4).flatmap(lambda n: hostile if n == 4 else valid)


STORY_KEYS = ["KSB-2022-0001", *(f"PKS-2022-{n:04d}" for n in range(1, 8))]
# (agreement, party) of the story that are still waiting for that party's signature.
UNSIGNED = [
    ("KSB-2022-0001", "jatim"),
    ("ksb-2022-0001", " Jawa  Timur "),
    ("PKS-2022-0001", "kominfo-jatim"),
    ("PKS-2022-0003", "Dinas Pendidikan Provinsi Jawa Timur"),
    ("PKS-2022-0005", "dispar-jatim"),
    ("PKS-2022-0005", "dispar-kaltim"),
    ("PKS-2022-0006", "disperindag-kaltim"),
    ("pks-2022-0007", "DPMPTSP-JATIM"),
]
SIGNED = [("KSB-2022-0001", "kaltim"), ("PKS-2022-0001", "kominfo-kaltim"), ("pks-2022-0004", "64")]
STORY_ENTRIES_TO_VOID = ["18", "#26", "27", "29", "30", "#31", "37"]  # signatures, handovers
BEFORE_THE_STORY = ["2022-07-01", "1 Juli 2022", "28/07/2022", "2022-07-28"]

any_keys = st.sampled_from(KEYS) | texts
any_parties = st.sampled_from(PARTIES) | texts
keys = mostly(st.sampled_from(STORY_KEYS), any_keys)
parties = mostly(st.sampled_from(PARTIES), texts)
regions = mostly(st.sampled_from(REGIONS[:5]), st.none() | st.sampled_from(REGIONS) | texts)
maybe_texts = st.none() | texts
# A date after the originals reached Jatim: signatures and handovers may carry it.
plausible_dates = st.builds(_render, st.dates(date(2022, 8, 11), date.today()), st.integers(0, 5))
signing_dates = mostly(st.none() | plausible_dates, dates)
rare_dates = mostly(st.none(), dates)
numbers = mostly(st.builds(lambda ref, number: f"{ref}={number}", parties, texts), texts)


@dataclass
class Outcome:
    code: int
    out: str
    err: str


def ks_in_process(*argv: str) -> Outcome:
    """Run `ks` through kerjasama_cli.cli.main, capturing its exit code and output."""
    from kerjasama_cli.cli import main

    out, err = io.StringIO(), io.StringIO()
    code: int
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(list(argv))
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 1
    return Outcome(code, out.getvalue(), err.getvalue())


@dataclass
class Template:
    """The reference story, once, and a work copy of it that each example starts from."""

    path: Path
    work: Path
    conn: Any  # a db.reader's connection to the story, for resolving references as ks does
    details: dict[str, dict[str, Any]]
    digest: str = ""

    def fresh(self) -> Path:
        if ON_POSTGRESQL:  # a database is made again only if the last example changed it
            if not self.digest or ledger_digest(self.work) != self.digest:
                copy_ledger(self.path, self.work)
                self.digest = self.digest or ledger_digest(self.work)
            return self.work
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{self.work}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(self.path, self.work)
        return self.work

    def ks(self, *argv: str) -> Outcome:
        return ks_in_process("--db", str(self.work), "--by", "penguji", *argv)

    def json(self, *argv: str) -> Any:
        outcome = self.ks(*argv, "--format", "json")
        assert outcome.code == 0, outcome.err
        return json.loads(outcome.out)

    def show(self, key: str) -> dict[str, Any]:
        outcome = self.ks("show", "--format", "json", "--", key)
        assert outcome.code == 0, outcome.err
        return json.loads(outcome.out)

    def party(self, reference: str) -> Any:
        """The party `reference` names in the story (a queries.PartyInfo), or None."""
        from kerjasama_cli import db, queries
        from kerjasama_cli.errors import KsError

        try:
            return queries.resolve_party(db.runner(self.conn), reference)
        except KsError:
            return None


@pytest.fixture(scope="module")
def template(
    story_ledger: Path,
    story_source: Path,
    new_ledger: Callable[[Path, str], Path],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Template]:
    from kerjasama_cli import db

    folder = tmp_path_factory.mktemp("hostile")
    path = copy_ledger(story_source, new_ledger(folder, "template.sqlite"))
    with pytest.MonkeyPatch.context() as patch, contextlib.ExitStack() as stack:
        patch.delenv("KS_DEBUG", raising=False)  # every failure must reach the user as a line
        if ON_POSTGRESQL:  # the story itself: the template is copied, so nobody may hold it
            conn = stack.enter_context(db.reader(story_ledger))
        else:
            conn = sqlite3.connect(db.readonly_uri(path, immutable=True), uri=True)
            stack.callback(conn.close)
        template = Template(path, new_ledger(folder, "work.sqlite"), conn, {})
        template.fresh()
        template.details = {key: template.show(key) for key in STORY_KEYS}
        yield template


@pytest.fixture(scope="module", autouse=True)
def report_cases(request: pytest.FixtureRequest) -> Iterator[None]:
    """At the end of the module, say how many hostile cases ran per command."""
    yield
    if not CASES:
        return
    lines = [f"hostile input: up to {EXAMPLES} examples per command (KS_HYPOTHESIS_EXAMPLES)"]
    for command, counts in CASES.items():
        outcomes = ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items()))
        lines.append(f"  {command:<14} {sum(counts.values()):>6} cases: {outcomes}")
    capture = request.config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():
        print("\n" + "\n".join(lines), file=sys.stderr)


# Expectations that mirror the documented rules, so that a success can be checked exactly.


def free(value: str | None) -> str | None:
    """Free text as stored: exactly as given, or nothing when blank."""
    return value if value is not None and value.strip() else None


def parse(value: str | None) -> str | None:
    from kerjasama_cli.dates import parse_date

    return parse_date(value).isoformat() if value is not None else None


def today() -> str:
    return date.today().isoformat()


@dataclass
class Case:
    """One hostile command: its arguments, what must refuse it, and how to check a success."""

    command: str
    argv: list[str]
    refuse_because: list[str]
    check: Callable[[Template, Outcome], None]


def _refusals(
    argv: list[str],
    free_texts: list[str | None] = (),  # type: ignore[assignment]
    required: list[str | None] = (),  # type: ignore[assignment]
    date_args: list[str | None] = (),  # type: ignore[assignment]
) -> list[str]:
    because = []
    if any(SURROGATE.search(a) for a in argv):
        because.append("text that is not valid UTF-8")
    if any(v is not None and v.strip() and CONTROL.search(v) for v in [*free_texts, *required]):
        because.append("a control character in free text")
    if any(v is None or not v.strip() for v in required):
        because.append("a required text left blank")
    if any(d in IMPOSSIBLE_DATES for d in date_args):
        because.append("an impossible date")
    return because


def _options(**values: str | None) -> list[str]:
    return [f"--{name.replace('_', '-')}={v}" for name, v in values.items() if v is not None]


ALIASES = ["biro-hukum", "biro, hukum", "Biro Hukum, Organisasi & Tata Laksana", "jatim"]


@st.composite
def party_add_cases(draw: st.DrawFn) -> Case:
    name, region, title = draw(texts), draw(regions), draw(maybe_texts)
    aliases = draw(st.lists(mostly(st.sampled_from(ALIASES), texts), max_size=2))
    third = draw(st.booleans())
    argv = ["party", "add", *_options(region=region, signatory_title=title)]
    argv += [f"--alias={a}" for a in aliases] + (["--third-party"] if third else []) + ["--", name]

    def check(t: Template, outcome: Outcome) -> None:
        from kerjasama_cli import regions as regions_mod

        rows = [r for r in t.json("party", "list") if r["name"] == name.strip()]
        assert len(rows) == 1, rows
        (row,) = rows
        assert sorted(row["aliases"]) == sorted(a.strip() for a in aliases)
        assert row["signatory_title"] == free(title)
        assert row["kind"] == ("third" if third else "agency")
        assert row["region"] == (regions_mod.load().resolve(region).code if region else None)

    required = [name.strip(), *(a.strip() for a in aliases)]
    return Case("party add", argv, _refusals(argv, free_texts=[title], required=required), check)


PAIRS = [
    ["kaltim", "jatim"],
    ["kominfo-kaltim", "kominfo-jatim"],
    ["Kota Samarinda", "Kota Surabaya"],
    ["64.72", "35", "dispar-jatim"],
]


@st.composite
def add_agreement_cases(draw: st.DrawFn) -> Case:
    kind = draw(mostly(st.sampled_from(["ksb", "pks"]), st.sampled_from(["KSB", "mou"]) | texts))
    title, place = draw(texts), draw(maybe_texts)
    refs = draw(mostly(st.sampled_from(PAIRS), st.lists(any_parties, max_size=3)))
    parent = draw(mostly(st.just(KSB if kind == "pks" else None), any_keys))
    number = draw(mostly(st.none(), numbers))
    on, start, end = draw(signing_dates), draw(rare_dates), draw(rare_dates)
    argv = ["add-agreement", *_options(kind=kind, title=title, parent=parent, number=number)]
    argv += [f"--party={p}" for p in refs] + _options(date=on, place=place, start=start, end=end)

    def check(t: Template, outcome: Outcome) -> None:
        key = outcome.out.strip()
        shown = t.show(key)
        assert (shown["key"], shown["kind"]) == (key, kind.lower())
        assert (shown["title"], shown["place"]) == (title, free(place))
        assert shown["date"] == (parse(on) or today())
        assert (shown["start"], shown["end"]) == (parse(start), parse(end))
        assert shown["parent"] == (parent.strip().upper() if parent is not None else None)
        assert [s["party"] for s in shown["parties"]] == [t.party(r).name for r in refs]
        if number is not None:
            ref, _, value = number.partition("=")
            side = next(s for s in shown["parties"] if s["party"] == t.party(ref.strip()).name)
            assert side["number"] == value.strip()

    number_text = number.partition("=")[2] if number else None
    because = _refusals(
        argv, free_texts=[place, number_text], required=[title], date_args=[on, start, end]
    )
    return Case("add-agreement", argv, because, check)


@st.composite
def sign_cases(draw: st.DrawFn) -> Case:
    key, party = draw(mostly(st.sampled_from(UNSIGNED + SIGNED), st.tuples(keys, any_parties)))
    on = draw(signing_dates)
    place, signatory, title, number = (draw(maybe_texts) for _ in range(4))
    argv = ["sign", *_options(party=party, date=on, place=place, signatory=signatory)]
    argv += [*_options(title=title, number=number), "--", key]

    def check(t: Template, outcome: Outcome) -> None:
        canonical = key.strip().upper()
        info = t.party(party)
        (side,) = [s for s in t.show(canonical)["parties"] if s["party"] == info.name]
        (before,) = [s for s in t.details[canonical]["parties"] if s["party"] == info.name]
        assert side["signed_on"] == (parse(on) or today())
        assert (side["place"], side["signatory"]) == (free(place), free(signatory))
        assert side["title"] == (free(title) or info.signatory_title)
        assert side["number"] == (free(number) or before["number"])

    because = _refusals(argv, free_texts=[place, signatory, title, number], date_args=[on])
    return Case("sign", argv, because, check)


@st.composite
def handover_cases(draw: st.DrawFn) -> Case:
    story = st.lists(st.sampled_from(STORY_KEYS), min_size=1, max_size=3, unique=True)
    chosen = draw(mostly(story, st.lists(keys, min_size=1, max_size=3)))
    to = draw(mostly(st.sampled_from(["jatim", "Jawa Timur", "35"]), any_parties))
    on, place, note = draw(signing_dates), draw(maybe_texts), draw(maybe_texts)
    argv = ["handover", *_options(to=to, date=on, place=place, note=note), "--", *chosen]

    def check(t: Template, outcome: Outcome) -> None:
        expected = {"date": parse(on) or today(), "to": t.party(to).name}
        expected |= {"place": free(place), "note": free(note)}
        for key in chosen:
            delivered = t.show(key.strip().upper())["handovers"]
            assert expected in [{k: h[k] for k in expected} for h in delivered], delivered

    because = _refusals(argv, free_texts=[place, note], date_args=[on])
    return Case("handover", argv, because, check)


@st.composite
def void_cases(draw: st.DrawFn) -> Case:
    reason = draw(texts)
    if draw(st.booleans()):
        target, party = draw(mostly(st.sampled_from(SIGNED), st.tuples(keys, any_parties)))
    else:
        party = None
        target = draw(
            mostly(st.sampled_from(STORY_ENTRIES_TO_VOID), st.sampled_from(VOID_TARGETS) | texts)
        )
    argv = ["void", *_options(reason=reason, party=party), "--", target]

    def check(t: Template, outcome: Outcome) -> None:
        entries = t.json("log")
        last = entries[-1]
        assert (last["action"], last["values"]["reason"]) == ("entry.void", reason)
        voided = next(e for e in entries if e["seq"] == last["values"]["target"])
        assert voided["voided_by"] == last["seq"]
        assert voided["action"] in {"signature.add", "handover.add"}

    return Case("void", argv, _refusals(argv, required=[reason]), check)


@st.composite
def amend_cases(draw: st.DrawFn) -> Case:
    key, reason = draw(keys), draw(texts)
    title, place = draw(maybe_texts), draw(maybe_texts)
    on = draw(mostly(st.none() | st.sampled_from(BEFORE_THE_STORY), dates))
    start, end = draw(rare_dates), draw(rare_dates)
    number = draw(mostly(st.none(), numbers))
    argv = ["amend", *_options(reason=reason, title=title, date=on, place=place)]
    argv += [*_options(start=start, end=end, number=number), "--", key]

    def check(t: Template, outcome: Outcome) -> None:
        canonical = key.strip().upper()
        before, shown = t.details[canonical], t.show(canonical)
        assert shown["title"] == (title if title is not None else before["title"])
        assert shown["place"] == (free(place) or before["place"])
        assert shown["date"] == (parse(on) or before["date"])
        assert shown["start"] == (parse(start) or before["start"])
        assert shown["end"] == (parse(end) or before["end"])
        if number is not None:
            ref, _, value = number.partition("=")
            side = next(s for s in shown["parties"] if s["party"] == t.party(ref.strip()).name)
            assert side["number"] == value.strip()
        assert t.json("log")[-1]["values"]["reason"] == reason

    number_text = number.partition("=")[2] if number else None
    required = [reason] + ([title] if title is not None else [])
    because = _refusals(
        argv, free_texts=[place, number_text], required=required, date_args=[on, start, end]
    )
    return Case("amend", argv, because, check)


HOSTILE_CASES = {
    "party add": party_add_cases(),
    "add-agreement": add_agreement_cases(),
    "sign": sign_cases(),
    "handover": handover_cases(),
    "void": void_cases(),
    "amend": amend_cases(),
}


@pytest.mark.parametrize("command", list(HOSTILE_CASES))
@HOSTILE_SETTINGS
@given(data=st.data())
def test_hostile_input_is_stored_exactly_or_refused_in_one_line(
    template: Template, command: str, data: st.DataObject
) -> None:
    case = data.draw(HOSTILE_CASES[command], label="case")
    template.fresh()
    before = ledger_digest(template.work)

    outcome = template.ks(*case.argv)

    counts = CASES.setdefault(command, Counter())
    counts["stored" if outcome.code == 0 else "refused"] += 1
    assert "Traceback" not in outcome.out + outcome.err, outcome.err
    if outcome.code == 0:
        assert not case.refuse_because, f"accepted despite {case.refuse_because}"
        case.check(template, outcome)
        return
    assert outcome.code == 2, outcome.err
    lines = outcome.err.splitlines()
    assert len(lines) == 1, outcome.err
    assert lines[0].startswith("ks: error: "), lines[0]
    assert outcome.out == ""
    assert ledger_digest(template.work) == before


@pytest.mark.parametrize(
    "argv",
    [
        ("handover", "--to=\x00", "--", KSB),
        ("party", "add", "--region=jatim", "--", "Dinas\x00Sosial"),
        ("sign", "--party=jatim", "--", "KSB-2022-0001\x00"),
        ("pending", "--party", "kominfo-jatim\x00"),
    ],
    ids=["handover-to", "party-name", "sign-key", "pending-party"],
)
def test_a_nul_in_an_argument_is_refused_in_one_line(template: Template, argv: list[str]) -> None:
    """No program's arguments hold a NUL, but a caller of `main` can pass one: refused before
    it reaches a query (PostgreSQL's text cannot hold it), on either engine alike."""
    template.fresh()
    before = ledger_digest(template.work)
    outcome = template.ks(*argv)
    assert (outcome.code, outcome.out) == (2, ""), outcome.err
    (line,) = outcome.err.splitlines()
    assert line.startswith("ks: error: argument ") and "holds a NUL character" in line, line
    assert ledger_digest(template.work) == before


# --- 5. hostile options to the read commands -------------------------------------------------

day_counts = st.one_of(
    st.integers(0, 400).map(str),
    st.sampled_from(["0", "36500", "36501", "99999999999", "-1"]),  # the edges and beyond
    st.integers(-(10**15), 10**15).map(str),
    texts,
)
as_of_dates = mostly(st.none() | plausible_dates, dates)
provinces = mostly(st.none() | st.sampled_from(REGIONS[:5]), st.sampled_from(REGIONS) | texts)
formats = mostly(st.sampled_from(["table", "json", "csv"]), texts)


@st.composite
def read_cases(draw: st.DrawFn) -> list[str]:
    """A read command with options drawn from valid, odd and absurd values."""
    command = draw(
        st.sampled_from(["list", "pending", "expiring", "idle", "report", "check", "show", "log"])
    )
    options: dict[str, str | None] = {"as_of": draw(as_of_dates)}
    if command in ("list", "pending", "expiring", "idle", "report"):
        options["province"] = draw(provinces)
    if command in ("list", "pending", "expiring", "idle"):
        options["format"] = draw(formats)
    if command == "pending":
        options["older_than"] = draw(st.none() | day_counts)
    elif command == "expiring":
        options["within"] = draw(st.none() | day_counts)
    elif command == "idle":
        options["days"] = draw(st.none() | day_counts)
    elif command == "check":
        options["max_wait"] = draw(st.none() | day_counts)
        options["expiring_within"] = draw(st.none() | day_counts)
    elif command == "report":
        options["since"] = draw(st.none() | dates)
        options["lang"] = draw(mostly(st.sampled_from(["id", "en"]), texts))
        options["format"] = draw(mostly(st.sampled_from(["md", "html", "json", "csv"]), texts))
    elif command == "log":
        options = {"since": draw(st.none() | dates)}
    argv = [command, *_options(**options)]
    if command == "show":
        argv += ["--", draw(keys)]
    return argv


@settings(HOSTILE_SETTINGS, max_examples=3 * EXAMPLES)  # a read costs a third of a write
@given(argv=read_cases())
def test_read_commands_answer_or_refuse_in_one_line_and_write_nothing(
    template: Template, argv: list[str]
) -> None:
    template.fresh()  # the story as recorded, whatever the write tests left behind
    before = ledger_digest(template.work)
    outcome = template.ks(*argv)
    counts = CASES.setdefault("read commands", Counter())
    counts["answered" if outcome.code in (0, 1) and not outcome.err.strip() else "refused"] += 1
    assert "Traceback" not in outcome.out + outcome.err, outcome.err
    assert outcome.code in (0, 1, 2), outcome.err  # 1: ks check found problems
    if outcome.code == 2:
        lines = outcome.err.splitlines()
        assert len(lines) == 1 and lines[0].startswith("ks: error: "), outcome.err
        assert outcome.out == ""
    assert ledger_digest(template.work) == before
