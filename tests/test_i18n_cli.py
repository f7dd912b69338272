"""The everyday commands in Indonesian (KS_LANG=id): refusals, Click's usage errors, the table
of `ks pending` and the confirmation of `ks sign`, on a copy of the reference story.

These need the Indonesian catalog (`locale/id/LC_MESSAGES/kerjasama_cli.mo`) compiled with
the translations of the CLI's messages.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from tests.conftest import RunKs, assert_refused, ledger_digest
from tests.test_e2e import AS_OF, JATIM, KSB
from tests.test_terminal import on_terminal

INDONESIAN = {"KS_LANG": "id"}


def refused_in_indonesian(result: subprocess.CompletedProcess[str], *words: str) -> str:
    """A refusal as `assert_refused` knows it, with the Indonesian prefix: its one line,
    each word in it exactly as written."""
    line = assert_refused(result, prefix="ks: galat: ")
    for word in words:
        assert word in line, (word, line)
    return line


def test_an_unknown_province_is_refused_with_suggestions_in_indonesian(
    story_copy: Path, run_ks: RunKs
) -> None:
    before = ledger_digest(story_copy)
    line = refused_in_indonesian(
        run_ks("pending", "--province", "jatimm", env=INDONESIAN),
        "mungkin maksud Anda 'Jawa Timur (jatim)'",
        "'Kalimantan Timur (kaltim)' atau 'Kabupaten Pati (33.18)'?",
    )
    assert "did you mean" not in line
    assert ledger_digest(story_copy) == before


@pytest.mark.parametrize(
    ("args", "words"),
    [
        pytest.param(
            ("sign", KSB, "--date", "2022-07-28"),
            ("Opsi '--party' / '-P' wajib diberikan.", "(lihat 'ks sign --help')"),
            id="sign-without-party",
        ),
        pytest.param(
            ("list", "--kind", "xyz"),
            (
                "Nilai tidak sah untuk '--kind' / '-k': 'xyz' bukan salah satu dari "
                "'ksb', 'pks', 'addendum'.",
                "(lihat 'ks list --help')",
            ),
            id="unknown-kind",
        ),
        pytest.param(
            ("pending", "--older-than", "tiga puluh"),
            ("'tiga puluh' bukan bilangan bulat yang sah.",),
            id="days-not-a-number",
        ),
    ],
)
def test_click_usage_errors_are_in_indonesian(
    story_copy: Path, run_ks: RunKs, args: tuple[str, ...], words: tuple[str, ...]
) -> None:
    before = ledger_digest(story_copy)
    refused_in_indonesian(run_ks(*args, env=INDONESIAN), *words)
    assert ledger_digest(story_copy) == before


def test_signing_confirms_in_indonesian_with_the_date_in_words(
    story_copy: Path, run_ks: RunKs
) -> None:
    signed = run_ks("sign", KSB, "--party", "jatim", "--date", "2022-07-28", env=INDONESIAN)

    assert signed.returncode == 0, signed.stderr
    assert signed.stderr == (f"{KSB} ditandatangani oleh {JATIM} pada 28 Juli 2022; kini berlaku\n")
    again = run_ks("sign", KSB, "--party", "jatim", "--date", "2022-07-28", env=INDONESIAN)
    assert "sudah ditandatangani" in again.stderr and "28 Juli 2022" in again.stderr


def test_pending_piped_has_indonesian_headers_and_keeps_iso_dates(
    story_copy: Path, run_ks: RunKs
) -> None:
    """Plain text in a pipe is read by people and by scripts: the header is in the
    language, the dates stay ISO so that `sort` and `cut` keep working."""
    shown = run_ks("pending", "--province", "jatim", *AS_OF, env=INDONESIAN)

    assert shown.returncode == 0, shown.stderr
    header, first, *_ = shown.stdout.splitlines()
    assert header.split("\t") == ["Hari", "Sejak", "Kerja sama", "Menunggu", "Judul"]
    assert first.split("\t")[:3] == ["30", "2022-08-11", KSB]


def test_pending_on_a_terminal_draws_the_table_in_indonesian(
    story_copy: Path,
) -> None:
    env = {"KS_DB": str(story_copy), "NO_COLOR": "1", **INDONESIAN}
    table = on_terminal(["pending", "--province", "jatim", *AS_OF], columns=160, env=env)

    assert "Menunggu tanda tangan per 10 September 2022" in table
    header = next(line for line in table.splitlines() if "Sejak" in line)
    for word in ("Hari", "Sejak", "Kerja sama", "Menunggu", "Judul"):
        assert word in header, header
    row = next(line for line in table.splitlines() if KSB in line)
    assert "11 Agu 2022" in row and "2022-08-11" not in row

    english = on_terminal(
        ["pending", "--province", "jatim", *AS_OF], columns=160, env={**env, "KS_LANG": "en"}
    )
    assert "Waiting for signature as of 10 September 2022" in english
    assert "11 Aug 2022" in next(line for line in english.splitlines() if KSB in line)
