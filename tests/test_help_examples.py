"""Every example in every `--help` works when copied: run in order on the reference story.

The examples are taken from the built command tree (what `ks X --help` prints), in the order
`ks --help` lists the commands, and run by bash in a scratch folder with KS_DB naming a copy
of the reference-story ledger, exactly as a member of staff would paste them.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from pathlib import Path

import pytest
from tests.conftest import ks_executable

# Commands whose exit code 1 is an answer, not a failure: "problems found".
ANSWERS_WITH_1 = {"check", "verify"}


def help_examples() -> list[tuple[str, str]]:
    """(command path, example line) for every example line of every command's help."""
    from typer.main import get_command

    from kerjasama_cli.cli.app import app

    found: list[tuple[str, str]] = []

    def walk(command: object, path: str) -> None:
        text = "\n".join(
            filter(None, (getattr(command, "help", None), getattr(command, "epilog", None)))
        )
        for line in text.splitlines():
            stripped = line.strip()
            if stripped.startswith("ks ") and line.startswith(" "):
                found.append((path, stripped))
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, f"{path} {name}")

    walk(get_command(app), "ks")
    return found


def test_every_command_has_an_example() -> None:
    from typer.main import get_command

    from kerjasama_cli.cli.app import app

    with_examples = {path for path, _ in help_examples()}
    missing = []

    def walk(command: object, path: str) -> None:
        subs = getattr(command, "commands", None)
        if subs:
            for name, sub in subs.items():
                walk(sub, f"{path} {name}")
        elif path not in with_examples:
            missing.append(path)

    walk(get_command(app), "ks")
    assert missing == []


def test_every_help_example_works_on_the_reference_story(story_copy: Path, tmp_path: Path) -> None:
    ledger = story_copy
    work = tmp_path / "work"
    work.mkdir()
    bin_dir = Path(ks_executable()[0]).parent
    env = {
        **os.environ,
        "KS_DB": str(ledger),
        "KS_BY": "tester",
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "NO_COLOR": "1",
    }
    failed = []
    for path, example in help_examples():
        result = subprocess.run(
            ["bash", "-c", example], cwd=work, env=env, capture_output=True, text=True, timeout=120
        )
        words = shlex.split(example.split("#")[0])
        allowed = {0, 1} if set(words[1:3]) & ANSWERS_WITH_1 else {0}
        if result.returncode not in allowed or "Traceback" in result.stderr:
            failed.append(f"{path}: {example}\n    -> {result.returncode}: {result.stderr.strip()}")
    assert failed == [], "\n".join(failed)


@pytest.mark.parametrize("language", ["id", "en"])
def test_examples_are_the_same_in_both_languages(language: str) -> None:
    """A translated help keeps its examples byte for byte: they are commands, not prose."""
    from typer.main import get_command

    from kerjasama_cli import i18n
    from kerjasama_cli.cli.app import app

    english = help_examples()
    command = get_command(app)
    i18n.translate_help(command, language)
    translated: list[str] = []

    def walk(node: object) -> None:
        text = "\n".join(filter(None, (getattr(node, "help", None), getattr(node, "epilog", None))))
        translated.extend(
            line.strip()
            for line in text.splitlines()
            if line.strip().startswith("ks ") and line.startswith(" ")
        )
        for sub in getattr(node, "commands", {}).values():
            walk(sub)

    walk(command)
    assert translated == [example for _, example in english]
