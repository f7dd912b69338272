"""The Indonesian interface: choosing the language, the catalogs, dates in each language."""

from __future__ import annotations

import importlib.util
import subprocess
from datetime import date
from pathlib import Path
from types import ModuleType

import pytest
from babel.dates import format_date as babel_format_date
from tests.conftest import REPO, RunKs

from kerjasama_cli import i18n


def catalogs() -> ModuleType:
    """scripts/catalogs.py, the tool that extracts, updates and compiles the catalogs."""
    spec = importlib.util.spec_from_file_location("catalogs", REPO / "scripts" / "catalogs.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, "en"),
        ({"KS_LANG": "id"}, "id"),
        ({"KS_LANG": "en", "LANG": "id_ID.UTF-8"}, "en"),
        ({"KS_LANG": "ID"}, "id"),
        ({"LANG": "id_ID.UTF-8"}, "id"),
        ({"LANG": "en_US.UTF-8"}, "en"),
        ({"LC_MESSAGES": "id_ID", "LANG": "en_US.UTF-8"}, "id"),
        ({"LC_ALL": "C.UTF-8", "LC_MESSAGES": "id_ID", "LANG": "id_ID"}, "en"),
        ({"LC_ALL": "id_ID.UTF-8", "LANG": "C"}, "id"),
        ({"LANG": "fr_FR.UTF-8"}, "en"),
    ],
)
def test_the_language_comes_from_ks_lang_then_the_locale(
    environ: dict[str, str], expected: str
) -> None:
    assert i18n.interface_language(environ) == expected


@pytest.mark.parametrize("language", ["id", "en"])
def test_dates_are_written_as_babel_writes_them(language: str) -> None:
    for month in range(1, 13):
        day = date(2022, month, 11)
        assert i18n.format_date(day, "long", language) == babel_format_date(
            day, "d MMMM y", locale=language
        )
        assert i18n.format_date(day, "medium", language) == babel_format_date(
            day, "d MMM y", locale=language
        )
    assert i18n.format_date(date(2022, 8, 11), "long", "id") == "11 Agustus 2022"


def test_every_user_facing_text_is_in_the_catalog_and_translated() -> None:
    """Every `_()` text of the sources, every help text of every command and the texts of
    Click that ks shows are in the Indonesian catalog, translated, and compiled."""
    problems = catalogs().problems()
    assert problems == [], "\n".join(problems[:40])


def test_translations_keep_their_placeholders() -> None:
    from babel.messages.pofile import read_po

    tool = catalogs()
    with tool.po_path("id").open("rb") as handle:
        catalog = read_po(handle, locale="id")
    import string

    def fields(text: str) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}

    wrong = []
    for message in catalog:
        if not message.id or not message.string:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        try:
            expected = fields(ids[-1])
        except ValueError:  # a text with literal braces (help examples): no fields
            continue
        if any(fields(s) != expected for s in strings):
            wrong.append(ids[0])
    assert wrong == []


def test_help_is_indonesian_with_ks_lang_id(run_ks: RunKs) -> None:
    shown = run_ks("--help", env={"KS_LANG": "id"})
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith("Penggunaan: ks ")
    assert "Opsi:" in shown.stdout and "Perintah:" in shown.stdout
    english = run_ks("--help", env={"KS_LANG": "en"})
    assert english.stdout.startswith("Usage: ks ")


def test_the_locale_chooses_indonesian_when_ks_lang_is_not_set(run_ks: RunKs) -> None:
    shown = run_ks("--help", env={"KS_LANG": "", "LC_ALL": "", "LANG": "id_ID.UTF-8"})
    assert shown.stdout.startswith("Penggunaan: ks "), shown.stdout[:200]


def test_the_shipped_catalog_is_in_the_installed_package() -> None:
    mo = Path(i18n.__file__).parent / "locale" / "id" / "LC_MESSAGES" / "kerjasama_cli.mo"
    assert mo.exists()
    listed = subprocess.run(
        ["git", "ls-files", "src/kerjasama_cli/locale"], cwd=REPO, capture_output=True, text=True
    ).stdout.split()
    assert "src/kerjasama_cli/locale/id/LC_MESSAGES/kerjasama_cli.po" in listed


@pytest.mark.parametrize("language", ["en", "id"])
@pytest.mark.parametrize("group", ["", "db", "party", "activity"])
def test_command_summaries_fit_an_80_column_terminal(
    run_ks: RunKs, language: str, group: str
) -> None:
    """Click cuts a summary that does not fit with '...': every command's first sentence must
    fit, in both languages."""
    shown = run_ks(
        *([group] if group else []), "--help", env={"KS_LANG": language, "COLUMNS": "80"}
    )
    assert shown.returncode == 0, shown.stderr
    listing = shown.stdout.split("\n\n")
    commands = next(block for block in listing if block.startswith(("Commands:", "Perintah:")))
    cut = [line for line in commands.splitlines() if line.endswith("...")]
    assert cut == []
