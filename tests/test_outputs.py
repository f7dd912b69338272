"""Where ks writes when told to: `ks report --out FILE` and `ks db backup DEST`.

Every such destination obeys one set of rules (kerjasama_cli.outputs): it is never the ledger
or a file SQLite keeps beside it, however it is spelled; a bad destination is refused in one
line with the previous file intact and nothing left behind; a new file gets the process
umask's mode and a replaced one keeps its own; the report's format follows the file's
extension. And whatever the locale, a report or a table on stdout is written to the end.

All run the installed `ks` as a subprocess on a copy of the reference story (Kaltim and Jatim,
July-August 2022). The full and read-only disks are small tmpfs mounts, as in
tests/test_robustness.py; those tests are skipped, saying why, where mounting is not permitted.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
import tests.test_robustness as robustness
from tests.conftest import RunKs, assert_refused, ks_executable, ledger_digest

AS_OF = ("--as-of", "2022-09-10")
REPORT = ("report", *AS_OF)
LAST_WEEK = "# Laporan minggu lalu\n"
# A party whose name holds a character Latin-1 has not got (an en dash).
BINA_MARGA = "Dinas Pekerjaan Umum \u2013 Bina Marga Provinsi Jawa Timur"
DERAWAN_BROMO = "Kerja Sama Pariwisata \u2014 Derawan dan Bromo"  # an em dash

tmpfs = robustness.tmpfs  # the small-file-system fixture, shared
# What these test is where outputs go and how they are written, whatever the ledger's engine.
pytestmark = pytest.mark.sqlite_only("output files and streams: the same on either engine")


def files_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def story(story_copy: Path) -> Path:
    """This test's own copy of the reference story, at the path `run_ks` uses as KS_DB."""
    return story_copy


@pytest.fixture
def place(tmp_path: Path) -> Path:
    """A folder for the files the tests write, apart from the ledger's."""
    folder = tmp_path / "laporan"
    folder.mkdir()
    return folder


# --- 1. the ledger is never a destination -----------------------------------------------------


def _the_ledger(ledger: Path, place: Path) -> Path:
    return ledger


def _its_wal(ledger: Path, place: Path) -> Path:
    return Path(f"{ledger}-wal")


def _its_shm(ledger: Path, place: Path) -> Path:
    return Path(f"{ledger}-shm")


def _its_journal(ledger: Path, place: Path) -> Path:
    return Path(f"{ledger}-journal")


def _a_roundabout_path(ledger: Path, place: Path) -> Path:
    return place / ".." / "." / ledger.name


def _a_symlink(ledger: Path, place: Path) -> Path:
    link = place / "laporan.md"
    link.symlink_to(ledger)
    return link


def _a_symlinked_folder(ledger: Path, place: Path) -> Path:
    (place / "arsip").symlink_to(ledger.parent, target_is_directory=True)
    return place / "arsip" / f"{ledger.name}-wal"


def _a_hard_link(ledger: Path, place: Path) -> Path:
    link = place / "ledger-copy.sqlite"
    os.link(ledger, link)
    return link


THE_LEDGER: dict[str, Callable[[Path, Path], Path]] = {
    "the-ledger": _the_ledger,
    "its-wal": _its_wal,
    "its-shm": _its_shm,
    "its-journal": _its_journal,
    "a-roundabout-path": _a_roundabout_path,
    "a-symlink": _a_symlink,
    "a-symlinked-folder-to-its-wal": _a_symlinked_folder,
    "a-hard-link": _a_hard_link,
}
WRITERS = {
    "report": lambda dest: (*REPORT, "--format", "md", "--out", str(dest)),
    "backup": lambda dest: ("db", "backup", str(dest), "--force"),
}
# What each writer's file is called in a folder of its own.
NAMES = {"report": "laporan.md", "backup": "arsip-2022-09-10.sqlite"}


@pytest.mark.parametrize("writer", WRITERS)
@pytest.mark.parametrize("spelling", THE_LEDGER)
def test_no_output_lands_on_the_ledger_however_it_is_named(
    story: Path, place: Path, run_ks: RunKs, writer: str, spelling: str
) -> None:
    before = ledger_digest(story)
    # Another reader holds the ledger open, so -wal and -shm are there, as in daily use.
    with contextlib.closing(sqlite3.connect(story)) as reader:
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM sqlite_master").fetchone()
        assert Path(f"{story}-wal").exists() and Path(f"{story}-shm").exists()
        dest = THE_LEDGER[spelling](story, place)
        folder_before = files_in(story.parent)

        assert_refused(run_ks(*WRITERS[writer](dest)), "ledger", "choose another file")

        assert files_in(story.parent) == folder_before
        reader.rollback()
    assert ledger_digest(story) == before


# --- 2. a bad destination: one line, the previous file intact, nothing left behind -----------


@pytest.mark.parametrize("writer", WRITERS)
def test_a_missing_folder_is_refused_and_not_created(
    story: Path, place: Path, run_ks: RunKs, writer: str
) -> None:
    dest = place / "2022" / NAMES[writer]
    assert_refused(run_ks(*WRITERS[writer](dest)), str(place / "2022"), "does not exist")
    assert files_in(place) == []


@pytest.mark.parametrize("writer", WRITERS)
def test_a_folder_as_the_destination_is_refused_and_left_alone(
    story: Path, place: Path, run_ks: RunKs, writer: str
) -> None:
    (place / NAMES[writer]).write_text(LAST_WEEK, encoding="utf-8")
    assert_refused(run_ks(*WRITERS[writer](place)), str(place), "is a folder")
    assert files_in(place) == [NAMES[writer]]


@pytest.mark.parametrize("writer", WRITERS)
def test_a_pipe_or_device_is_refused_not_replaced(
    story: Path, place: Path, run_ks: RunKs, writer: str
) -> None:
    # A named pipe stands in for /dev/null, which a root user's write would have replaced with
    # a regular file, breaking the machine (not tested on /dev/null itself for that reason).
    fifo = place / "laporan.pipe"
    os.mkfifo(fifo)
    assert_refused(run_ks(*WRITERS[writer](fifo)), str(fifo), "not a regular file")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert files_in(place) == ["laporan.pipe"]


@pytest.mark.parametrize("writer", WRITERS)
def test_a_full_disk_exits_3_and_keeps_the_previous_file(
    tmpfs, story: Path, run_ks: RunKs, writer: str
) -> None:
    disk = tmpfs("1m")
    dest = disk / ("laporan.html" if writer == "report" else NAMES[writer])
    previous = b"the previous file, kept byte for byte\n"
    dest.write_bytes(previous)
    robustness.fill_disk(disk / "filler")
    before = ledger_digest(story)

    command = WRITERS[writer](dest)
    if writer == "report":  # html: the largest text report, sure not to fit
        command = (*REPORT, "--format", "html", "--out", str(dest))
    assert_refused(run_ks(*command), str(dest), "disk is full", "left as it was", code=3)

    assert dest.read_bytes() == previous
    assert files_in(disk) == sorted(["filler", dest.name])  # no temporary file left behind
    assert ledger_digest(story) == before
    (disk / "filler").unlink()
    done = run_ks(*command)
    assert done.returncode == 0, done.stderr
    assert dest.read_bytes() != previous


@pytest.mark.parametrize("writer", WRITERS)
def test_a_read_only_disk_is_refused_and_keeps_the_previous_file(
    tmpfs, story: Path, run_ks: RunKs, writer: str
) -> None:
    disk = tmpfs("2m")
    dest = disk / NAMES[writer]
    dest.write_text(LAST_WEEK, encoding="utf-8")
    robustness.remount_readonly(disk)
    assert_refused(run_ks(*WRITERS[writer](dest)), str(dest), "read-only")
    assert dest.read_text(encoding="utf-8") == LAST_WEEK
    assert files_in(disk) == [NAMES[writer]]


# --- 3. modes: the umask's for a new file, its own for a file replaced ---------------------


@pytest.mark.parametrize("writer", WRITERS)
@pytest.mark.parametrize(
    ("umask", "expected"), [(0o077, 0o600), (0o022, 0o644)], ids=["umask-077", "umask-022"]
)
def test_a_new_file_gets_the_mode_of_the_umask(
    story: Path, place: Path, run_ks: RunKs, writer: str, umask: int, expected: int
) -> None:
    dest = place / NAMES[writer]
    done = run_ks(*WRITERS[writer](dest), umask=umask)
    assert done.returncode == 0, done.stderr
    assert oct(mode_of(dest)) == oct(expected)  # what `open(dest, "w")` would have given
    assert files_in(place) == [NAMES[writer]]


@pytest.mark.parametrize("writer", WRITERS)
@pytest.mark.parametrize("mode", [0o600, 0o640], ids=["mode-0600", "mode-0640"])
def test_a_replaced_file_keeps_its_mode_whatever_the_umask(
    story: Path, place: Path, run_ks: RunKs, writer: str, mode: int
) -> None:
    dest = place / NAMES[writer]
    dest.write_text(LAST_WEEK, encoding="utf-8")
    dest.chmod(mode)
    done = run_ks(*WRITERS[writer](dest), umask=0o022)
    assert done.returncode == 0, done.stderr
    assert dest.read_bytes() != LAST_WEEK.encode()
    assert oct(mode_of(dest)) == oct(mode)  # a private report stays private


def test_a_report_through_a_symlink_replaces_its_target_and_keeps_the_link(
    story: Path, place: Path, run_ks: RunKs
) -> None:
    weekly = place / "2022-09-10.md"
    weekly.write_text(LAST_WEEK, encoding="utf-8")
    weekly.chmod(0o600)
    latest = place / "terbaru.md"
    latest.symlink_to(weekly.name)
    done = run_ks(*REPORT, "--out", str(latest))
    assert done.returncode == 0, done.stderr
    assert latest.is_symlink() and latest.resolve() == weekly
    assert weekly.read_text(encoding="utf-8").startswith("# Laporan Kerja Sama Daerah")
    assert mode_of(weekly) == 0o600


# --- 4. the format from the file's extension ----------------------------------------------


def _markdown(path: Path) -> bool:
    return path.read_text(encoding="utf-8").startswith("# Laporan Kerja Sama Daerah\n")


def _html(path: Path) -> bool:
    return path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def _json(path: Path) -> bool:
    return json.loads(path.read_text(encoding="utf-8"))["as_of"] == "2022-09-10"


def _csv(path: Path) -> bool:
    return path.read_text(encoding="utf-8").startswith("section,province,agreement,")


def _xlsx(path: Path) -> bool:
    return zipfile.is_zipfile(path) and "xl/workbook.xml" in zipfile.ZipFile(path).namelist()


@pytest.mark.parametrize(
    ("name", "holds"),
    [
        ("laporan.md", _markdown),
        ("laporan.markdown", _markdown),
        ("laporan.html", _html),
        ("LAPORAN.HTM", _html),
        ("laporan.json", _json),
        ("laporan.csv", _csv),
        ("laporan.xlsx", _xlsx),
        ("laporan.txt", _markdown),  # an extension that names no format: md, as before
    ],
)
def test_the_report_takes_its_format_from_the_file_name(
    story: Path, place: Path, run_ks: RunKs, name: str, holds: Callable[[Path], bool]
) -> None:
    done = run_ks(*REPORT, "--out", str(place / name))
    assert done.returncode == 0, done.stderr
    assert holds(place / name)


def test_a_format_given_wins_over_an_extension_that_names_none(
    story: Path, place: Path, run_ks: RunKs
) -> None:
    done = run_ks(*REPORT, "--format", "html", "--out", str(place / "laporan.txt"))
    assert done.returncode == 0, done.stderr
    assert _html(place / "laporan.txt")


@pytest.mark.parametrize(
    ("fmt", "name"), [("md", "laporan.xlsx"), ("xlsx", "laporan.md"), ("csv", "laporan.json")]
)
def test_a_format_contradicting_the_file_name_is_refused(
    story: Path, place: Path, run_ks: RunKs, fmt: str, name: str
) -> None:
    (place / name).write_text(LAST_WEEK, encoding="utf-8")
    refused = run_ks(*REPORT, "--format", fmt, "--out", str(place / name))
    assert_refused(refused, f"--format {fmt}", name, "does not match")
    assert (place / name).read_text(encoding="utf-8") == LAST_WEEK


# --- 5. any locale ------------------------------------------------------------------------


def ks(ledger: Path, *args: str, env: dict[str, str], **kwargs) -> subprocess.CompletedProcess[str]:
    """`ks` on `ledger` with `env` added, for module-wide fixtures (run_ks is per test)."""
    full = {**os.environ, "KS_DB": str(ledger), "KS_BY": "tester", "NO_COLOR": "1", **env}
    full.pop("KS_DEBUG", None)
    return subprocess.run(
        [*ks_executable(), *args], capture_output=True, text=True, env=full, timeout=120, **kwargs
    )


@pytest.fixture(scope="module")
def story_beyond_latin1(story_ledger: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The story, plus a Jatim agency and a KSB whose names hold characters Latin-1 has not."""
    path = robustness.copy_ledger(story_ledger, tmp_path_factory.mktemp("beyond") / "story.sqlite")
    for write in (
        ("party", "add", BINA_MARGA, "--region", "jatim"),
        (
            *("add-agreement", "--kind", "ksb", "--title", DERAWAN_BROMO, "--party", "kaltim"),
            *("--party", "jatim", "--date", "2022-09-01", "--place", "Balikpapan"),
        ),
    ):
        done = ks(path, *write, env={})
        assert done.returncode == 0, done.stderr
    return path


@pytest.fixture(scope="module")
def in_utf8(story_beyond_latin1: Path) -> Callable[[str], str]:
    """What each read command prints to a UTF-8 stream, computed once."""
    seen: dict[str, str] = {}

    def output(command: str) -> str:
        if command not in seen:
            done = ks(story_beyond_latin1, *READS[command], env={"PYTHONIOENCODING": "utf-8"})
            assert done.returncode == 0, done.stderr
            seen[command] = done.stdout
        return seen[command]

    return output


@pytest.fixture(scope="session")
def latin1_locale(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """LANG=en_US.ISO-8859-1, compiled for the test if the system lacks it (LOCPATH)."""
    env = {"LANG": "en_US.ISO-8859-1", "LC_ALL": "en_US.ISO-8859-1"}
    probe = "import sys; print(sys.stdout.encoding)"

    def encoding(extra: dict[str, str]) -> str:
        clean = {k: v for k, v in os.environ.items() if k != "PYTHONIOENCODING"}
        return subprocess.run(
            [sys.executable, "-c", probe], env={**clean, **extra}, capture_output=True, text=True
        ).stdout.strip()

    if encoding(env) == "iso8859-1":
        return env
    localedef = shutil.which("localedef")
    if localedef is None:
        pytest.skip("no en_US.ISO-8859-1 locale here and no localedef to build one")
    folder = tmp_path_factory.mktemp("locale")
    built = subprocess.run(
        [localedef, "-i", "en_US", "-f", "ISO-8859-1", str(folder / "en_US.ISO-8859-1")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    env["LOCPATH"] = str(folder)
    if built.returncode != 0 or encoding(env) != "iso8859-1":
        pytest.skip(f"cannot build the en_US.ISO-8859-1 locale here: {built.stderr.strip()}")
    return env


LOCALES = ["PYTHONIOENCODING=latin-1", "LANG=en_US.ISO-8859-1"]
READS = {
    "report-jatim": (*REPORT, "--province", "jatim"),
    "list": ("list",),
    "party-list": ("party", "list"),
    "pending": ("pending", *AS_OF),
    "pending-json": ("pending", *AS_OF, "--format", "json"),
}


def _locale_env(name: str, request: pytest.FixtureRequest) -> dict[str, str]:
    if name.startswith("PYTHONIOENCODING"):
        return {"PYTHONIOENCODING": "latin-1"}
    return request.getfixturevalue("latin1_locale")


@pytest.mark.parametrize("command", READS)
@pytest.mark.parametrize("locale", LOCALES)
def test_output_to_a_latin1_stream_is_written_to_the_end(
    story_beyond_latin1: Path,
    in_utf8: Callable[[str], str],
    request: pytest.FixtureRequest,
    locale: str,
    command: str,
) -> None:
    expected = in_utf8(command)
    assert expected != expected.encode("latin-1", "replace").decode("latin-1")  # it has some

    latin1 = ks(
        story_beyond_latin1, *READS[command], env=_locale_env(locale, request), encoding="latin-1"
    )

    assert "Traceback" not in latin1.stderr and "internal error" not in latin1.stderr
    assert latin1.returncode == 0, latin1.stderr
    # Every line there, with '?' only for what Latin-1 cannot carry (dashes, "…").
    assert latin1.stdout == expected.encode("latin-1", "replace").decode("latin-1")


@pytest.mark.parametrize("locale", LOCALES)
def test_a_report_written_with_out_is_utf8_whatever_the_locale(
    story_beyond_latin1: Path,
    in_utf8: Callable[[str], str],
    tmp_path: Path,
    request: pytest.FixtureRequest,
    locale: str,
) -> None:
    out = tmp_path / "laporan-jatim.md"
    done = ks(
        story_beyond_latin1,
        *READS["report-jatim"],
        "--out",
        str(out),
        env=_locale_env(locale, request),
    )
    assert done.returncode == 0, done.stderr
    assert out.read_text(encoding="utf-8") == in_utf8("report-jatim")


def test_a_long_non_ascii_report_name_is_written(run_ks: RunKs, story: Path) -> None:
    """The temporary name beside a 200-byte destination stays within NAME_MAX, however many
    bytes each character of the name takes."""
    out = story.parent / ("Laporan-Kerja-Sama-Daerah-2022-" + "€" * 69 + ".md")
    assert len(os.fsencode(out.name)) == 241  # a legal name: at most 255 bytes
    result = run_ks("report", "--as-of", "2022-09-10", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert out.read_text(encoding="utf-8").startswith("#")
