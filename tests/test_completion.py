"""Shell completion on the reference story: agreement keys and party aliases come from the
ledger (the one the command line names), in any case, silently, without heavy imports."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from tests.conftest import ON_POSTGRESQL, SERVER, RunKs, copy_ledger, ks_executable
from tests.test_cli import _IMPORTED, HEAVY

from kerjasama_cli.location import ServerLedger

KSB = "KSB-2022-0001"
STORY_PKS = [f"PKS-2022-{n:04d}" for n in range(1, 8)]  # one per agency, Kominfo to DPMPTSP
PROVINCES_JA = ["jabar", "jakarta", "jambi", "jateng", "jatim"]


def complete(run_ks: RunKs, *words: str, shell: str = "bash", **env: str) -> list[str]:
    """What `ks` offers for the last of `words` (the word under the cursor), as the script
    Typer generates for `shell` asks it; completion must exit 0 and print nothing else."""
    line = shlex.join(["ks", *words[:-1]]) + " " + shlex.quote(words[-1]) * bool(words[-1])
    if shell == "bash":
        env |= {"COMP_WORDS": line, "COMP_CWORD": str(len(words))}
    else:
        env |= {"_TYPER_COMPLETE_ARGS": line, "_TYPER_COMPLETE_FISH_ACTION": "get-args"}
    done = run_ks(env={"_KS_COMPLETE": f"complete_{shell}", **env})
    assert (done.returncode, done.stderr) == (0, ""), done.stdout + done.stderr
    if shell == "zsh":  # _arguments '*: :(("A" "B"))', or _files when nothing is offered
        return [] if done.stdout == "_files\n" else done.stdout.split('"')[1::2]
    return done.stdout.splitlines() if done.stdout != "\n" else []  # bash: one empty line


def test_keys_of_the_story_are_completed(story_copy: Path, run_ks: RunKs) -> None:
    assert complete(run_ks, "sign", "PKS-2022") == STORY_PKS
    assert complete(run_ks, "show", "") == [KSB, *STORY_PKS]
    assert complete(run_ks, "handover", KSB, "PKS-2022-0001", "PKS-2022-000") == STORY_PKS
    for command in ("terminate", "renew", "evaluate", "amend", "void", "log"):
        assert complete(run_ks, command, "KSB") == [KSB], command
    assert complete(run_ks, "activity", "add", "PKS-2022-0007") == ["PKS-2022-0007"]
    assert complete(run_ks, "activity", "list", "K") == [KSB]
    assert complete(run_ks, "add-agreement", "--kind", "pks", "--parent", "KS") == [KSB]


def test_a_key_prefix_is_matched_in_any_case(story_copy: Path, run_ks: RunKs) -> None:
    """Candidates begin exactly as typed (shells and Typer keep only those), and ks reads a
    key in any case, so what completion writes on the command line works as it stands."""
    assert complete(run_ks, "sign", "pks-2022") == [key.lower() for key in STORY_PKS]
    assert complete(run_ks, "show", "ksb") == ["ksb-2022-0001"]
    assert complete(run_ks, "show", "Ksb-2022-000") == ["Ksb-2022-0001"]
    shown = run_ks("show", "ksb-2022-0001", "--format", "json")
    assert shown.returncode == 0 and KSB in shown.stdout, shown.stderr


def test_a_withdrawn_agreement_is_not_offered(story_copy: Path, run_ks: RunKs) -> None:
    added = run_ks(
        "add-agreement", "--kind", "pks", "--parent", KSB, "--title", "Dicatat dua kali",
        "--party", "kominfo-kaltim", "--party", "kominfo-jatim", "--date", "2022-07-28",
        check=True,
    )  # fmt: skip
    twice = added.stdout.strip()
    assert complete(run_ks, "sign", "PKS-2022-000") == [*STORY_PKS, twice]

    run_ks("void", twice, "--reason", "PKS yang sama dicatat dua kali", check=True)

    assert complete(run_ks, "sign", "PKS-2022-000") == STORY_PKS


@pytest.mark.parametrize(
    "words",
    [
        ("sign", KSB, "--party"),
        ("sign", KSB, "-P"),
        ("handover", KSB, "--to"),
        ("pending", "--party"),
        ("void", KSB, "--reason", "salah", "--party"),
        ("activity", "add", KSB, "--description", "Rapat", "--party"),
        ("add-agreement", "--kind", "ksb", "--party"),
    ],
    ids=lambda words: " ".join(words[:-1]) + " " + words[-1],
)
def test_party_aliases_are_completed(story_copy: Path, run_ks: RunKs, words: tuple[str]) -> None:
    assert complete(run_ks, *words, "kominfo") == ["kominfo-jatim", "kominfo-kaltim"]
    assert complete(run_ks, *words, "KOMINFO-J") == ["KOMINFO-JATIM"]


def test_party_aliases_come_before_province_abbreviations(story_copy: Path, run_ks: RunKs) -> None:
    offered = complete(run_ks, "handover", KSB, "--to", "d")
    agencies = ("dinkes", "disdik", "dishub", "dispar", "disperindag", "dpmptsp")
    aliases = [f"{agency}-{province}" for agency in agencies for province in ("jatim", "kaltim")]
    assert offered == [*aliases, "diy", "dki", "dkj"]
    assert complete(run_ks, "pending", "--party", "ja") == PROVINCES_JA


def test_province_abbreviations_in_any_case(run_ks: RunKs) -> None:
    assert complete(run_ks, "pending", "--province", "ja") == PROVINCES_JA
    assert complete(run_ks, "pending", "--province", "JA") == [p.upper() for p in PROVINCES_JA]


def test_the_db_option_being_completed_names_the_ledger(
    story_source: Path, new_ledger: Callable[[Path, str], Path], tmp_path: Path, run_ks: RunKs
) -> None:
    """`ks --db FILE sign <Tab>` completes from FILE, whatever KS_DB says."""
    elsewhere = copy_ledger(story_source, new_ledger(tmp_path, "kaltim lama.sqlite"))
    assert complete(run_ks, "sign", "") == []  # where KS_DB points: nothing there
    assert complete(run_ks, "--db", str(elsewhere), "sign", "KSB") == [KSB]
    assert complete(run_ks, f"--db={elsewhere}", "show", "KSB") == [KSB]
    assert complete(run_ks, "--db", str(elsewhere), "sign", KSB, "--party", "dpm") == [
        "dpmptsp-jatim",
        "dpmptsp-kaltim",
    ]
    assert complete(run_ks, "sign", "KSB") == []


@pytest.mark.sqlite_only("states of the ledger file")
@pytest.mark.parametrize("state", ["absent", "empty", "garbage", "folder"])
def test_no_readable_ledger_offers_nothing_silently(
    ledger: Path, run_ks: RunKs, state: str
) -> None:
    if state == "empty":
        ledger.touch()
    elif state == "garbage":
        ledger.write_bytes(b"SQLite format 3\x00" + b"\xff" * 4000)
    elif state == "folder":
        ledger.mkdir()
    before = sorted(os.listdir(ledger.parent))

    assert complete(run_ks, "sign", "") == []  # complete() also holds: exit 0, no stderr
    assert complete(run_ks, "sign", KSB, "--party", "kom") == []
    assert complete(run_ks, "sign", KSB, "--party", "kalti") == ["kaltim"]  # shipped data
    assert complete(run_ks, "sign", "", shell="zsh") == []
    assert sorted(os.listdir(ledger.parent)) == before


@pytest.mark.skipif(not ON_POSTGRESQL, reason="a database: the PostgreSQL pass")
@pytest.mark.parametrize("state", ["no-database", "not-a-ledger", "no-server"])
def test_no_readable_database_offers_nothing_silently(
    ledger: Path, run_ks: RunKs, state: str
) -> None:
    assert isinstance(ledger, ServerLedger)
    parts = urlsplit(ledger.url)
    if state == "no-database":
        url = urlunsplit(parts._replace(path=parts.path + "_belum_ada"))
    elif state == "not-a-ledger":
        url = SERVER  # the server's maintenance database: no ks tables
    else:
        url = "postgresql://postgres@/kerjasama?host=/nonexistent/socket/folder"
    started = time.monotonic()

    assert complete(run_ks, "sign", "", KS_DB=url) == []
    assert complete(run_ks, "sign", KSB, "--party", "kalti", KS_DB=url) == ["kaltim"]
    assert complete(run_ks, "--db", url, "sign", "", KS_DB=str(ledger)) == []
    assert time.monotonic() - started < 30


@pytest.mark.parametrize("shell", ["zsh", "fish"])
def test_zsh_and_fish_get_the_same_candidates(story_copy: Path, run_ks: RunKs, shell) -> None:
    assert complete(run_ks, "sign", "pks-2022", shell=shell) == [k.lower() for k in STORY_PKS]
    assert complete(run_ks, "sign", KSB, "--party", "kominfo", shell=shell) == [
        "kominfo-jatim",
        "kominfo-kaltim",
    ]


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_bash_completes_through_the_script_ks_installs(story_copy: Path) -> None:
    """The function `ks --install-completion` puts in ~/.bashrc, called as bash calls it."""
    script = f"""
        eval "$(_KS_COMPLETE=source_bash {shlex.join(ks_executable())})"
        COMP_WORDS=(ks --db {shlex.quote(str(story_copy))} sign pks-2022-000)
        COMP_CWORD=4
        _ks_completion {shlex.quote(ks_executable()[0])}
        printf '%s\\n' "${{COMPREPLY[@]}}"
    """
    env = {**os.environ, "KS_DB": "/nonexistent/ledger.sqlite"}
    done = subprocess.run(
        ["bash", "--norc", "-c", script], capture_output=True, text=True, env=env, timeout=120
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.splitlines() == [key.lower() for key in STORY_PKS]


@pytest.mark.parametrize(
    ("words", "offered"),
    [(("sign", "PKS-2022-000"), STORY_PKS), (("sign", KSB, "--party", "kominfo-"),
      ["kominfo-jatim", "kominfo-kaltim"])],
    ids=["key", "party"],
)  # fmt: skip
def test_completion_imports_no_heavy_library(
    story_copy: Path, words: tuple[str, ...], offered: list[str]
) -> None:
    """A Tab costs what `ks --help` costs: neither SQLAlchemy, SQLModel, Alembic, Rich nor
    Babel is imported to read keys and aliases from the ledger."""
    heavy = (*HEAVY, "babel")
    line = shlex.join(["ks", "--db", str(story_copy), *words])
    env = {**os.environ, "_KS_COMPLETE": "complete_bash", "COMP_WORDS": line}
    env["COMP_CWORD"] = str(len(words) + 2)
    done = subprocess.run(
        [sys.executable, "-c", _IMPORTED.replace("HEAVY", repr(heavy))],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=True,
    )
    *candidates, last = done.stdout.splitlines()
    assert candidates == offered, done.stdout + done.stderr
    assert last.split() == ["imported:", "0"]
