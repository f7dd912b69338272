"""The CLI in-process (CliRunner): help that teaches, options that parse, output contracts."""

import json

import pytest
import typer.main
from typer.testing import CliRunner

from kerjasama_cli.cli import main
from kerjasama_cli.cli.app import app

runner = CliRunner()


def _commands(group=None, prefix=()):
    group = group or typer.main.get_command(app)
    for name, command in group.commands.items():
        if hasattr(command, "commands"):
            yield from _commands(command, (*prefix, name))
        else:
            yield (*prefix, name), command


@pytest.mark.parametrize(
    ("path", "command"),
    list(_commands()),
    ids=lambda v: " ".join(v) if isinstance(v, tuple) else "",
)
def test_every_command_has_help_with_an_example(path, command) -> None:
    result = runner.invoke(app, [*path, "--help"])
    assert result.exit_code == 0
    assert command.help and command.help.strip()
    assert "Example" in result.output
    assert "ks " + " ".join(path) in result.output


def test_help_works_without_a_ledger(tmp_path) -> None:
    result = runner.invoke(app, ["--db", str(tmp_path / "none.sqlite"), "--help"])
    assert result.exit_code == 0
    assert "pending" in result.output
    assert not (tmp_path / "none.sqlite").exists()


def test_regions_json_contract() -> None:
    result = runner.invoke(app, ["regions", "--province", "kaltim", "--format", "json"])
    assert result.exit_code == 0
    rows = json.loads(result.output)
    assert rows[0] == {
        "code": "64",
        "name": "Kalimantan Timur",
        "level": "provinsi",
        "province_code": "64",
        "aliases": ["kaltim"],
    }
    assert {
        "code": "64.72",
        "name": "Kota Samarinda",
        "level": "kota",
        "province_code": "64",
        "aliases": [],
    } in rows
    assert all(set(r) >= {"code", "name", "level", "province_code"} for r in rows)


def test_region_levels_filter() -> None:
    result = runner.invoke(app, ["regions", "--level", "provinsi", "--format", "csv"])
    lines = result.output.strip().splitlines()
    assert lines[0].startswith("code,name,level,province_code")
    assert len(lines) == 1 + 38


def test_the_story_in_process(tmp_path) -> None:
    db = ["--db", str(tmp_path / "l.sqlite"), "--by", "biro-kaltim"]
    ok = lambda *args: runner.invoke(app, [*db, *args], catch_exceptions=False)  # noqa: E731
    assert (
        ok(
            "party",
            "add",
            "Dinas Kominfo Provinsi Jawa Timur",
            "--region",
            "jatim",
            "--alias",
            "kominfo-jatim",
        ).exit_code
        == 0
    )
    created = ok(
        "add-agreement",
        "--kind",
        "ksb",
        "--title",
        "Kerja Sama Pembangunan Daerah",
        "--party",
        "kaltim",
        "--party",
        "jatim",
        "--date",
        "28 Juli 2022",
        "--format",
        "json",
    )
    detail = json.loads(created.stdout)
    assert (detail["key"], detail["status"], detail["parent"]) == (
        "KSB-2022-0001",
        "awaiting-signatures",
        None,
    )
    assert ok("sign", "KSB-2022-0001", "--party", "kaltim", "--date", "28/07/2022").exit_code == 0
    assert ok("handover", "KSB-2022-0001", "--to", "jatim", "--date", "11 Agt 2022").exit_code == 0
    pending = json.loads(ok("pending", "--as-of", "2022-09-10", "--format", "json").stdout)
    assert pending == [
        {
            "agreement": "KSB-2022-0001",
            "kind": "ksb",
            "title": "Kerja Sama Pembangunan Daerah",
            "party": "Pemerintah Provinsi Jawa Timur",
            "province": "35",
            "waiting_since": "2022-08-11",
            "waiting_days": 30,
        }
    ]


def test_main_turns_a_refusal_into_one_line(tmp_path, capsys) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--db", str(tmp_path / "l.sqlite"), "pending", "--province", "jatimm"])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err == (
        "ks: error: unknown region 'jatimm'; did you mean 'Jawa Timur (jatim)', "
        "'Kalimantan Timur (kaltim)' or 'Kabupaten Pati (33.18)'?\n"
    )


def test_main_turns_a_usage_error_into_one_line(capsys) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["sign", "KSB-2022-0001"])
    assert exited.value.code == 2
    assert capsys.readouterr().err == (
        "ks: error: Missing option '--party' / '-P'. (see 'ks sign --help')\n"
    )


def test_main_hides_internal_errors_behind_one_line(monkeypatch, capsys) -> None:
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("kerjasama_cli.regions.load", broken)
    monkeypatch.delenv("KS_DEBUG", raising=False)
    with pytest.raises(SystemExit) as exited:
        main(["regions"])
    assert exited.value.code == 70
    assert capsys.readouterr().err == (
        "ks: error: internal error: RuntimeError: boom (set KS_DEBUG=1 for details)\n"
    )


HEAVY = ("sqlalchemy", "sqlmodel", "alembic", "rich")
# Run `ks` in a fresh interpreter and list the heavy modules it imported.
_IMPORTED = """
import sys
from kerjasama_cli.cli import main
try:
    main(sys.argv[1:])
except SystemExit as done:
    code = done.code
print("imported:", *sorted({m.split(".")[0] for m in sys.modules} & set(HEAVY)), code)
"""


@pytest.mark.parametrize(
    ("args", "heavy"),
    [
        (("pending", "--province", "jatim"), set()),
        pytest.param(
            ("report", "--as-of", "2022-09-10"),
            set(),
        ),
        (("sign", "PKS-2022-0002", "--party", "dishub-jatim", "--date", "2022-09-01"), set()),
    ],
    ids=["pending", "report", "sign"],
)
def test_everyday_commands_import_no_heavy_library(
    story_copy, args: tuple[str, ...], heavy: set[str]
) -> None:
    """Start-up is most of what a command costs: reads and everyday writes on a ledger at
    this release's schema import neither SQLAlchemy, SQLModel, Alembic nor Rich (in a pipe)."""
    import subprocess
    import sys

    ledger = story_copy
    done = subprocess.run(
        [sys.executable, "-c", _IMPORTED.replace("HEAVY", repr(HEAVY)), "--db", str(ledger), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    *_, last = done.stdout.splitlines()
    words = last.split()
    assert words[0] == "imported:" and words[-1] in ("0", "None"), done.stdout + done.stderr
    assert set(words[1:-1]) == heavy


@pytest.mark.parametrize(
    "args",
    [
        ("--help",),
        ("pending", "--province", "jatim", "--as-of", "2022-09-10"),
        ("sign", "PKS-2022-0002", "--party", "dishub-jatim", "--date", "2022-09-01"),
        ("sign", "PKS-2022-0002"),  # a usage error, translated without Babel
    ],
    ids=["help", "pending", "sign", "sign-usage-error"],
)
def test_indonesian_starts_without_babel_or_a_heavy_library(
    story_copy, args: tuple[str, ...]
) -> None:
    """In Indonesian, `ks --help`, `ks pending` and `ks sign` write their texts and dates
    from the catalog: neither Babel nor any other heavy library is imported."""
    import os
    import subprocess
    import sys

    ledger = story_copy
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            _IMPORTED.replace("HEAVY", repr((*HEAVY, "babel"))),
            "--db",
            str(ledger),
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "KS_LANG": "id"},
    )
    *_, last = done.stdout.splitlines()
    words = last.split()
    assert words[0] == "imported:", done.stdout + done.stderr
    assert words[1:-1] == [], done.stdout + done.stderr
    if args[-1] == "PKS-2022-0002":
        assert "wajib diberikan" in done.stderr, done.stderr
    else:
        assert words[-1] in ("0", "None"), done.stdout + done.stderr
