"""What a new user meets in the first hour (part b): one name in two regions, suggestions that
help, choices in any case, the term's end and the numbers in `ks list --format csv`,
`ks --version` and where a new ledger was made, and the month abbreviations people type."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
from datetime import date
from importlib.metadata import version
from pathlib import Path

import pytest
import typer.main
from tests.conftest import REPO, RunKs, assert_refused, ledger_digest

from kerjasama_cli import db, ledger, queries
from kerjasama_cli.cli.app import app
from kerjasama_cli.dates import MONTH_BY_NAME, parse_date
from kerjasama_cli.errors import Ambiguous, InvalidInput, NotFound

ACTOR = ledger.Actor("tester", date(2023, 1, 31))
SAMARINDA = "Dinas Sosial (Kota Samarinda)"
SURABAYA = "Dinas Sosial (Kota Surabaya)"


def _two_dinas_sosial(run_ks: RunKs) -> None:
    """Kota Samarinda and Kota Surabaya each have a Dinas Sosial."""
    for region in ("Kota Samarinda", "Kota Surabaya"):
        run_ks("party", "add", "Dinas Sosial", "--region", region, check=True)


# --- 5. names are unique per region ---------------------------------------------------------


def test_samarinda_and_surabaya_each_register_their_dinas_sosial(run_ks: RunKs) -> None:
    _two_dinas_sosial(run_ks)
    parties = json.loads(run_ks("party", "list", "--format", "json", check=True).stdout)
    assert sorted((p["name"], p["region"]) for p in parties) == [
        ("Dinas Sosial", "35.78"),
        ("Dinas Sosial", "64.72"),
    ]


def test_a_second_dinas_sosial_in_the_same_city_is_refused(run_ks: RunKs, ledger: Path) -> None:
    _two_dinas_sosial(run_ks)
    before = ledger_digest(ledger)
    again = run_ks("party", "add", "dinas  sosial", "--region", "samarinda")
    assert_refused(again, "'dinas  sosial'", "already used by a party of Kota Samarinda")
    assert ledger_digest(ledger) == before


def test_a_third_party_without_a_region_keeps_a_name_of_its_own(
    run_ks: RunKs, ledger: Path
) -> None:
    """A body without a region is referred to by its bare name, so that name stays its own."""
    _two_dinas_sosial(run_ks)
    run_ks("party", "add", "Universitas Mulawarman", "--third-party", check=True)
    before = ledger_digest(ledger)
    assert_refused(
        run_ks("party", "add", "Dinas Sosial", "--third-party"), "already used by a party"
    )
    assert_refused(
        run_ks("party", "add", "Universitas Mulawarman", "--region", "Kota Samarinda"),
        "already used by a party",
    )
    assert ledger_digest(ledger) == before


def test_the_ambiguous_name_is_refused_with_the_choices_that_are_accepted(
    run_ks: RunKs, ledger: Path
) -> None:
    _two_dinas_sosial(run_ks)
    before = ledger_digest(ledger)
    refused = run_ks(
        "add-agreement", "--kind", "pks", "--title", "Rehabilitasi Sosial",
        "--party", "Dinas Sosial", "--party", "Kota Samarinda", "--date", "2022-10-03",
    )  # fmt: skip
    assert_refused(refused)
    assert refused.stderr == (
        "ks: error: 'Dinas Sosial' is the name of 2 parties; say which: "
        f"'{SAMARINDA}' or '{SURABAYA}'\n"
    )
    assert ledger_digest(ledger) == before
    # The choices are typed back exactly as offered: the two Dinas Sosial agree with each other.
    choices = re.findall(r"'([^']+ \([^']+\))'", refused.stderr)
    assert choices == [SAMARINDA, SURABAYA]
    added = run_ks(
        "add-agreement", "--kind", "pks", "--title", "Pertukaran Data Kesejahteraan Sosial",
        "--party", choices[0], "--party", choices[1], "--number", f"{choices[1]}=460/77/2022",
        "--date", "2022-10-03", check=True,
    )  # fmt: skip
    key = added.stdout.strip()
    run_ks("sign", key, "--party", "dinas sosial (samarinda)", "--date", "2022-10-04", check=True)
    shown = json.loads(run_ks("show", key, "--format", "json", check=True).stdout)
    assert [(p["party"], p["province"], p["number"], p["signed_on"]) for p in shown["parties"]] == [
        ("Dinas Sosial", "64", None, "2022-10-04"),
        ("Dinas Sosial", "35", "460/77/2022", None),
    ]
    assert_refused(run_ks("pending", "--party", "Dinas Sosial"), "say which", SURABAYA)


def ledger_add(sql: queries.Sql, name: str, region: str) -> queries.PartyInfo:
    return ledger.add_party(sql, ACTOR, name, region)


def test_a_region_qualified_reference_must_name_the_partys_own_region(ledger: Path) -> None:
    db.write(ledger, lambda sql: ledger_add(sql, "Dinas Sosial", "Kota Samarinda"))
    db.write(ledger, lambda sql: ledger_add(sql, "Badan Pendapatan Daerah (Bapenda)", "64.72"))
    with db.reader(ledger) as conn:
        sql = db.runner(conn)
        assert queries.resolve_party(sql, SAMARINDA).region_code == "64.72"
        assert queries.resolve_party(sql, "Dinas Sosial").region_code == "64.72"
        with pytest.raises(NotFound, match="unknown party") as unknown:
            queries.resolve_party(sql, SURABAYA)
        assert unknown.value.suggestions[0] == SAMARINDA
        # A name with parentheses of its own resolves as typed, and qualified.
        bapenda = queries.resolve_party(sql, "Badan Pendapatan Daerah (Bapenda)")
        assert bapenda == queries.resolve_party(
            sql, "badan pendapatan daerah (bapenda) (Kota Samarinda)"
        )
        assert queries.resolve_party(sql, "Kota Samarinda").kind == "government"


def test_the_domain_says_which_parties_an_ambiguous_name_could_be(ledger: Path) -> None:
    for region in ("Kota Surabaya", "Kota Samarinda"):
        db.write(ledger, lambda sql, region=region: ledger_add(sql, "Dinas Sosial", region))
    with db.reader(ledger) as conn, pytest.raises(Ambiguous) as ambiguous:
        queries.resolve_party(db.runner(conn), "DINAS SOSIAL")
    assert str(ambiguous.value).endswith(f"say which: '{SAMARINDA}' or '{SURABAYA}'")


def test_party_add_help_teaches_the_region_qualified_reference(run_ks: RunKs) -> None:
    shown = run_ks("party", "add", "--help", check=True).stdout
    assert '"Dinas Sosial (Kota Samarinda)"' in " ".join(shown.split())


# --- 6. suggestions ---------------------------------------------------------------------------


def test_a_typed_prefix_suggests_the_aliases_it_starts(run_ks: RunKs, ledger: Path) -> None:
    for province in ("Jawa Timur", "Kalimantan Timur"):
        alias = "dkp-jatim" if province == "Jawa Timur" else "dkp-kaltim"
        run_ks(
            "party", "add", f"Dinas Kelautan dan Perikanan Provinsi {province}",
            "--region", province, "--alias", alias, check=True,
        )  # fmt: skip
    before = ledger_digest(ledger)
    refused = run_ks(
        "add-agreement", "--kind", "pks", "--title", "Pengelolaan Perikanan Tangkap",
        "--party", "dkp", "--party", "jatim",
    )  # fmt: skip
    assert_refused(refused, "unknown party 'dkp'")
    assert "did you mean 'dkp-jatim', 'dkp-kaltim'" in refused.stderr
    assert ledger_digest(ledger) == before


def test_a_letter_o_in_a_key_suggests_the_key_with_a_zero(story_ledger: Path, run_ks) -> None:
    shown = run_ks("--db", str(story_ledger), "show", "KSB-2O22-0001")
    assert_refused(shown, "no agreement 'KSB-2O22-0001'; did you mean 'KSB-2022-0001'")
    padded = run_ks("--db", str(story_ledger), "show", "pks-2022-7")
    assert_refused(padded, "did you mean 'PKS-2022-0007'")


def _choice_options():
    """Every option that takes one of a list of words (Typer's own Choice type)."""

    def walk(command, path):
        for param in command.params:
            if hasattr(param.type, "choices"):
                yield " ".join(path), param
        for name, sub in getattr(command, "commands", {}).items():
            yield from walk(sub, (*path, name))

    return list(walk(typer.main.get_command(app), ("ks",)))


@pytest.mark.parametrize(
    ("command", "option"), _choice_options(), ids=lambda v: getattr(v, "name", v)
)
def test_every_choice_is_accepted_in_any_case(command: str, option) -> None:
    assert option.type.case_sensitive is False, f"{command} {option.opts[0]}"


def test_kind_pks_and_format_json_in_capitals(story_ledger: Path, run_ks: RunKs) -> None:
    listed = run_ks("--db", str(story_ledger), "list", "--kind", "PKS", "--format", "JSON")
    assert listed.returncode == 0, listed.stderr
    assert {row["kind"] for row in json.loads(listed.stdout)} == {"pks"}


# --- 12. numbers and the computed end in `ks list --format csv` ---------------------------------


def test_list_csv_carries_the_numbers_and_the_end_of_a_five_year_term(run_ks: RunKs) -> None:
    added = run_ks(
        "add-agreement", "--kind", "ksb", "--title", "Kerja Sama Pembangunan Daerah",
        "--party", "kaltim", "--party", "jatim", "--date", "28 Juli 2022", "--years", "5",
        "--number", "kaltim=120/4521/B.PEM-KS/2022", check=True,
    )  # fmt: skip
    key = added.stdout.strip()
    run_ks("sign", key, "--party", "kaltim", "--date", "2022-07-28", check=True)
    run_ks(
        "sign", key, "--party", "jatim", "--date", "2022-09-20", "--number", "120/45", check=True
    )
    rows = list(csv.DictReader(io.StringIO(run_ks("list", "--format", "csv", check=True).stdout)))
    as_json = json.loads(run_ks("list", "--format", "json", check=True).stdout)
    assert rows[0]["ends_on"] == as_json[0]["ends_on"] == "2027-09-19"
    assert rows[0]["end"] == ""  # no end date was given: the term sets it
    assert (
        rows[0]["parties"] == "Pemerintah Provinsi Kalimantan Timur; Pemerintah Provinsi Jawa Timur"
    )
    assert rows[0]["numbers"] == "120/4521/B.PEM-KS/2022; 120/45"


# --- 13. --version, and the ledger a first write creates ----------------------------------------


def test_version_names_the_release(run_ks: RunKs, ledger: Path) -> None:
    before = ledger_digest(ledger)  # on SQLite "absent": --version makes no ledger
    shown = run_ks("--version")
    assert (shown.returncode, shown.stdout, shown.stderr) == (
        0,
        f"ks {version('kerjasama_cli')}\n",
        "",
    )
    assert ledger_digest(ledger) == before


def test_version_is_printed_without_importing_a_heavy_library() -> None:
    probe = (
        "import sys\nfrom kerjasama_cli.cli import main\n"
        "try:\n    main(['--version'])\nexcept SystemExit:\n    pass\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & "
        "{'sqlalchemy', 'sqlmodel', 'alembic', 'rich', 'platformdirs'}))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.splitlines() == [f"ks {version('kerjasama_cli')}", "[]"]


@pytest.mark.sqlite_only("a first write creates the file (a database is made by ks db init)")
def test_the_first_write_says_where_it_created_the_ledger(run_ks: RunKs, ledger: Path) -> None:
    refused = run_ks("party", "add", "Dinas Sosial")  # no region: refused, nothing created
    assert_refused(refused, "needs --region")
    assert not ledger.exists()
    first = run_ks("party", "add", "Dinas Sosial", "--region", "Kota Samarinda", check=True)
    assert first.stderr.splitlines() == [
        f"ks: created a new ledger at {ledger}",
        "registered Dinas Sosial",
    ]
    second = run_ks("party", "add", "Dinas Sosial", "--region", "Kota Surabaya", check=True)
    assert second.stderr.splitlines() == ["registered Dinas Sosial"]


@pytest.mark.sqlite_only("a first write creates the file (a database is made by ks db init)")
def test_db_write_reports_only_the_ledger_it_created(ledger: Path) -> None:
    made: list[Path] = []
    db.write(ledger, lambda sql: None, created=made.append)
    db.write(ledger, lambda sql: None, created=made.append)
    assert made == [ledger]


# --- 14. month abbreviations ------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["11 Agust 2022", "11 Agu 2022", "11 agus 2022", "11 Agt 2022", "11 Ags 2022"]
)
def test_the_handover_in_surabaya_in_every_abbreviation(text: str) -> None:
    assert parse_date(text) == date(2022, 8, 11)


@pytest.mark.parametrize("text", ["20 Sept 2022", "20 Sept. 2022", "20 Sep 2022", "20 Septem 2022"])
def test_september_abbreviated(text: str) -> None:
    assert parse_date(text) == date(2022, 9, 20)


def test_every_start_of_a_month_name_of_three_letters_or_more_is_that_month() -> None:
    for name, month in MONTH_BY_NAME.items():
        for end in range(3, len(name) + 1):
            assert parse_date(f"1 {name[:end].title()} 2022") == date(2022, month, 1), name[:end]


@pytest.mark.parametrize("text", ["11 Ag 2022", "11 Agustuss 2022", "11 Ju 2022"])
def test_too_short_or_misspelt_months_are_still_refused(text: str) -> None:
    with pytest.raises(InvalidInput, match="unknown month"):
        parse_date(text)


# --- 15. files the project refers to ------------------------------------------------------------


def test_every_file_pyproject_mentions_exists() -> None:
    mentioned = re.findall(r"[\w./-]+\.md\b", (REPO / "pyproject.toml").read_text())
    assert mentioned, "pyproject.toml mentions README.md at least"
    assert [m for m in mentioned if not (REPO / m).exists()] == []
