"""The reference story told in Indonesian: a Biro whose locale is `id_ID` runs the same commands.

Kaltim and Jatim's KSB and seven PKS are entered again with KS_LANG=id. Every confirmation and
warning staff see on the way must be Indonesian, with dates in Indonesian words, and the ledger
that results must hold exactly what the English run recorded: the language of the interface
never reaches the data or the machine output.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from tests.conftest import ON_POSTGRESQL, STORY, RunKs, ks_executable

INDONESIAN = {"KS_LANG": "id"}
AS_OF = ("--as-of", "2022-09-10")
ENGLISH_MONTHS = re.compile(r"\b(January|February|March|May|June|July|August|October|December)\b")
ENGLISH_WORDS = re.compile(r"\b(registered|recorded|signed|handed|waiting|agreed|still)\b")


@pytest.fixture(scope="module")
def story_id(
    tmp_path_factory: pytest.TempPathFactory, new_ledger: Callable[[Path, str], Path]
) -> tuple[Path, str]:
    """The story entered with KS_LANG=id: the ledger and what stderr said."""
    path = new_ledger(tmp_path_factory.mktemp("story-id"), "cerita.sqlite")
    env = {
        **os.environ,
        "KS_DB": str(path),
        "KS_BY": "tester",
        "KS": " ".join(ks_executable()),
        "KS_LANG": "id",
    }
    done = subprocess.run(
        ["bash", str(STORY)], capture_output=True, text=True, env=env, timeout=600
    )
    assert done.returncode == 0, done.stderr
    return path, done.stderr


def test_every_line_staff_saw_is_indonesian(story_id: tuple[Path, str], story_stderr: str) -> None:
    _, said = story_id
    english = story_stderr.splitlines()
    indonesian = said.splitlines()

    assert len(indonesian) == len(english) > 30
    for en, id_ in zip(english, indonesian, strict=True):
        assert en != id_, f"not translated: {en}"
        assert not ENGLISH_WORDS.search(id_), id_
        assert not ENGLISH_MONTHS.search(id_), id_
    if not ON_POSTGRESQL:  # a database was made by ks db init, before the story
        assert indonesian[0].startswith("ks: buku register baru dibuat di ")
    assert any("28 Juli 2022" in line for line in indonesian)
    assert any(line.startswith("ks: peringatan: ") for line in indonesian)


@pytest.mark.parametrize(
    "command",
    [
        ("list", "--format", "json"),
        ("pending", *AS_OF, "--format", "json"),
        ("pending", *AS_OF, "--format", "csv"),
        ("show", "KSB-2022-0001", "--format", "json"),
        pytest.param(
            ("report", *AS_OF, "--format", "json"),
        ),
        pytest.param(
            ("check", *AS_OF, "--max-wait", "40", "--format", "json"),
        ),
    ],
    ids=lambda c: " ".join(c[:2]),
)
def test_the_ledger_holds_what_the_english_run_recorded(
    story_id: tuple[Path, str], story_ledger: Path, run_ks: RunKs, command: tuple[str, ...]
) -> None:
    path, _ = story_id
    told_in_id = run_ks(*command, env={"KS_DB": str(path), "KS_LANG": "id"})
    told_in_en = run_ks(*command, env={"KS_DB": str(story_ledger)})

    assert told_in_id.returncode == told_in_en.returncode, told_in_id.stderr
    if command[0] == "report":  # the head hash and entry times differ; the content may not
        id_data, en_data = json.loads(told_in_id.stdout), json.loads(told_in_en.stdout)
        id_data.pop("ledger"), en_data.pop("ledger")
        assert id_data == en_data
    elif command[0] == "check":  # each problem's "message" is for the reader, in the language
        id_data, en_data = json.loads(told_in_id.stdout), json.loads(told_in_en.stdout)
        assert all(p.pop("message") for p in id_data["problems"] + en_data["problems"])
        assert id_data == en_data
    else:
        assert told_in_id.stdout == told_in_en.stdout


def test_reads_and_verify_answer_in_indonesian(story_id: tuple[Path, str], run_ks: RunKs) -> None:
    path, _ = story_id
    env = {"KS_DB": str(path), **INDONESIAN}

    pending = run_ks("pending", "--province", "jatim", *AS_OF, env=env)
    assert pending.returncode == 0, pending.stderr
    assert pending.stdout.splitlines()[0].split("\t") == [
        "Hari", "Sejak", "Kerja sama", "Menunggu", "Judul",
    ]  # fmt: skip
    shown = run_ks("show", "PKS-2022-0007", env=env)
    assert shown.returncode == 0, shown.stderr
    assert "11 Agustus 2022" in shown.stdout and not ENGLISH_MONTHS.search(shown.stdout)
    verified = run_ks("verify", env=env)
    assert verified.returncode == 0, verified.stderr
    assert not ENGLISH_WORDS.search(verified.stdout + verified.stderr)
    late = run_ks("check", *AS_OF, "--max-wait", "40", env=env)
    assert late.returncode == 1
    assert late.stdout.splitlines()[0].startswith("menunggu: PKS-2022-0005 ")
