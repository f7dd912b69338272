"""Shared fixtures: a ledger file under tmp_path, and ways to run `ks` against it."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import settings

# Property tests draw the same examples on every run (a CI result must not depend on the
# draw); with KS_HYPOTHESIS_EXAMPLES=N they explore N fresh random examples per test instead.
settings.register_profile("repeatable", derandomize=True, database=None)
settings.register_profile("explore", database=None)
settings.load_profile("explore" if os.environ.get("KS_HYPOTHESIS_EXAMPLES") else "repeatable")

# The suite expects English messages whatever the developer's locale; tests of the Indonesian
# interface set KS_LANG=id themselves.
os.environ["KS_LANG"] = "en"

REPO = Path(__file__).resolve().parent.parent
STORY = REPO / "examples" / "reference-story.sh"


def ks_executable() -> list[str]:
    """The installed console script next to this Python, else `python -m kerjasama_cli`."""
    script = Path(sys.executable).with_name("ks")
    if script.exists():
        return [str(script)]
    found = shutil.which("ks")
    return [found] if found else [sys.executable, "-m", "kerjasama_cli"]


@pytest.fixture
def ledger(tmp_path: Path) -> Path:
    """Where a test's ledger lives (not created: the first write creates it)."""
    return tmp_path / "ledger.sqlite"


RunKs = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def run_ks(ledger: Path) -> RunKs:
    """Run the installed `ks` as a subprocess against the test ledger, as cron and users do."""

    def run(*args: str, check: bool = False, **kwargs) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "KS_DB": str(ledger), "KS_BY": "tester", "NO_COLOR": "1"}
        env.pop("KS_DEBUG", None)
        env.update(kwargs.pop("env", {}))
        return subprocess.run(
            [*ks_executable(), *args],
            capture_output=True,
            text=True,
            env=env,
            check=check,
            timeout=120,
            **kwargs,
        )

    return run


def ledger_digest(path: Path) -> str:
    """A hash of the ledger's content after a checkpoint: equal digests, identical ledgers."""
    if not path.exists():
        return "absent"
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    digest = hashlib.sha256(path.read_bytes())
    wal = Path(f"{path}-wal")
    if wal.exists():
        digest.update(wal.read_bytes())
    return digest.hexdigest()


@pytest.fixture(scope="session")
def story_ledger(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The reference story (Kaltim and Jatim, July-August 2022) entered once, read by many tests."""
    path = tmp_path_factory.mktemp("story") / "story.sqlite"
    env = {**os.environ, "KS_DB": str(path), "KS_BY": "tester", "KS": " ".join(ks_executable())}
    done = subprocess.run(
        ["bash", str(STORY)], check=True, capture_output=True, text=True, env=env, timeout=600
    )
    # What staff saw on stderr, for tests that compare the story told in another language.
    path.with_suffix(".stderr").write_text(done.stderr, encoding="utf-8")
    return path


def assert_refused(
    result: subprocess.CompletedProcess[str],
    *words: str,
    code: int = 2,
    prefix: str = "ks: error: ",
) -> str:
    """A refusal: the exit code, one line on stderr naming the problem, no traceback;
    returns that line. `prefix` is the interface language's (`ks: galat: ` in Indonesian)."""
    output = result.stdout + result.stderr
    assert "Traceback" not in output, output
    assert result.returncode == code, output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(prefix), lines[0]
    for word in words:
        assert word.casefold() in lines[0].casefold(), (word, lines[0])
    assert result.stdout == ""
    return lines[0]
