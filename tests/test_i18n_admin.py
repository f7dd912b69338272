"""The Indonesian interface of the commands that keep the ledger: verify, check, db, terminate,
evaluate; run as a subprocess with KS_LANG=id on a copy of the reference story.

Kaltim and Jatim agreed on 28 July 2022 and Kaltim handed the documents over on 11 August
2022; messages for people say those dates in the interface language, while the JSON's keys,
kinds and figures stay the same in every language.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from tests.conftest import RunKs, direct, drop_trigger, ledger_digest

from kerjasama_cli.location import ServerLedger

ID = {"KS_LANG": "id"}
AS_OF = ("--as-of", "2022-09-10")
WAITING_AGENCIES = (
    (5, "Dinas Kebudayaan dan Pariwisata"),
    (6, "Dinas Perindustrian dan Perdagangan"),
    (7, "Dinas Penanaman Modal dan Pelayanan Terpadu Satu Pintu"),
)


def refusal(result: subprocess.CompletedProcess[str], code: int = 2) -> str:
    """The one line of a refusal, without its `ks: ...:` prefix (whose wording is the
    error prefix's, translated once for every command)."""
    output = result.stdout + result.stderr
    assert "Traceback" not in output, output
    assert result.returncode == code, output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    prefix, _, said = lines[0].partition(": ")
    assert prefix == "ks", lines[0]
    return said.partition(": ")[2]


def backdate_kaltims_ksb_signature(path: Path) -> int:
    """Rewrite the entry of Kaltim's signature of the KSB to 1 July 2022, as someone with the
    file (and no scruples) could; returns the entry's number."""
    with direct(path) as conn:
        conn.execute(drop_trigger("entry_no_update", "entry", path))
        seq, payload = conn.execute(
            "SELECT seq, payload FROM entry WHERE action = 'signature.add' "
            "AND agreement_key = 'KSB-2022-0001' ORDER BY seq LIMIT 1"
        ).fetchone()
        changed = payload.replace('"2022-07-28"', '"2022-07-01"')
        assert changed != payload
        conn.execute("UPDATE entry SET payload = ? WHERE seq = ?", (changed, seq))
    return int(seq)


def test_verify_reports_a_tampered_ledger_in_indonesian(story_copy: Path, run_ks: RunKs) -> None:
    seq = backdate_kaltims_ksb_signature(story_copy)

    shown = run_ks("verify", env=ID)

    assert shown.returncode == 1, shown.stderr
    assert shown.stdout.splitlines() == [
        "skema: trigger entry_no_update tidak ada",
        f"rantai: catatan {seq} diubah setelah dicatat",
    ]
    summary = shown.stderr.splitlines()
    assert len(summary) == 1, shown.stderr
    assert summary[0].startswith(f"{story_copy}: 2 masalah; skema 0005, 37 catatan, hash terakhir ")

    as_json = json.loads(run_ks("verify", "--format", "json", env=ID).stdout)
    # The problems are prose, in the interface language; every other field is for machines.
    assert as_json["problems"] == shown.stdout.splitlines()
    assert (as_json["ok"], as_json["schema"], as_json["entries"]) == (False, "0005", 37)


def test_verify_of_a_sound_ledger_says_so_in_indonesian(story_copy: Path, run_ks: RunKs) -> None:
    shown = run_ks("verify", env=ID)

    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith(f"{story_copy}: baik; skema 0005, 37 catatan, hash terakhir ")


def test_check_names_the_problems_in_indonesian_with_indonesian_dates(
    story_copy: Path, run_ks: RunKs
) -> None:
    late = run_ks("check", *AS_OF, "--max-wait", "40", env=ID)

    assert late.returncode == 1, late.stderr
    assert late.stdout.splitlines() == [
        f"menunggu: PKS-2022-000{n} untuk {agency} Provinsi Kalimantan Timur, "
        "44 hari sejak 28 Juli 2022"
        for n, agency in WAITING_AGENCIES
    ]
    as_json = json.loads(run_ks("check", *AS_OF, "--max-wait", "40", "-f", "json", env=ID).stdout)
    assert [(p["kind"], p["agreement"], p["days"]) for p in as_json["problems"]] == [
        ("waiting", f"PKS-2022-000{n}", 44) for n, _agency in WAITING_AGENCIES
    ]
    assert [p["message"] for p in as_json["problems"]] == late.stdout.splitlines()

    calm = run_ks("check", *AS_OF, "--max-wait", "60", env=ID)
    assert calm.returncode == 0, calm.stderr
    assert calm.stdout == "tidak ada masalah per 10 September 2022\n"


def test_check_reports_damage_to_the_ledger_in_indonesian(story_copy: Path, run_ks: RunKs) -> None:
    seq = backdate_kaltims_ksb_signature(story_copy)

    damaged = run_ks("check", *AS_OF, "--max-wait", "60", env=ID)

    assert damaged.returncode == 1
    assert damaged.stdout.splitlines() == [
        "register: skema: trigger entry_no_update tidak ada",
        f"register: rantai: catatan {seq} diubah setelah dicatat",
    ]


def test_an_evaluation_before_the_agreement_is_refused_in_indonesian(
    story_copy: Path, run_ks: RunKs
) -> None:
    """Needs the merged catalog: the refusal is raised by ledger.py, its prefix by the CLI."""
    before = ledger_digest(story_copy)

    refused = run_ks(
        "evaluate", "PKS-2022-0001", "--date", "2022-07-01", "--finding", "Belum berjalan",
        "--recommendation", "continue", env=ID,
    )  # fmt: skip

    said = refusal(refused)
    assert refused.stderr.startswith("ks: galat: ")
    assert "1 Juli 2022" in said and "28 Juli 2022" in said, said
    assert "PKS-2022-0001" in said
    assert ledger_digest(story_copy) == before


@pytest.mark.sqlite_only("an output refusing the ledger file")
def test_a_backup_onto_the_ledger_is_refused_in_indonesian(story_copy: Path, run_ks: RunKs) -> None:
    before = ledger_digest(story_copy)

    said = refusal(run_ks("db", "backup", str(story_copy), "--force", env=ID))

    assert said == (
        f"{story_copy} adalah berkas register ({story_copy}); menulis di sana akan merusaknya, "
        "jadi pilih berkas lain"
    )
    assert ledger_digest(story_copy) == before


def test_a_backup_is_confirmed_and_an_existing_copy_kept_in_indonesian(
    story_copy: Path, run_ks: RunKs, tmp_path: Path
) -> None:
    copy = tmp_path / "arsip.sqlite"

    made = run_ks("db", "backup", str(copy), env=ID)

    assert made.returncode == 0, made.stderr
    assert made.stdout.startswith(
        f"{copy}: salinan terverifikasi berisi 37 catatan, hash terakhir "
    )
    kept = copy.read_bytes()
    said = refusal(run_ks("db", "backup", str(copy), env=ID))
    assert said == f"{copy} sudah ada; berikan --force untuk menggantinya"
    assert copy.read_bytes() == kept


def test_db_status_labels_are_indonesian_and_its_json_keys_are_not(
    story_copy: Path, run_ks: RunKs
) -> None:
    on_server = isinstance(story_copy, ServerLedger)
    label, key = ("Basis data register", "database") if on_server else ("Berkas register", "path")
    text = run_ks("db", "status", env=ID)
    assert text.returncode == 0, text.stderr
    labels = [line.split("  ")[0] for line in text.stdout.splitlines()]
    assert labels[:3] == [label, "Ukuran (bita)", "Skema"]
    assert "Hash terakhir" in labels

    as_json = json.loads(run_ks("db", "status", "--format", "json", env=ID).stdout)
    assert {key, "bytes", "schema", "entries", "head"} <= set(as_json)


def test_a_termination_is_confirmed_with_an_indonesian_date(
    story_copy: Path, run_ks: RunKs
) -> None:
    done = run_ks(
        "terminate", "PKS-2022-0006", "--date", "2024-03-31",
        "--reason", "diakhiri atas kesepakatan para pihak", env=ID,
    )  # fmt: skip

    assert done.returncode == 0, done.stderr
    assert done.stderr == "PKS-2022-0006 diakhiri pada 31 Maret 2024\n"
    assert done.stdout == ""


def test_in_english_the_termination_date_is_written_out_too(
    story_copy: Path, run_ks: RunKs
) -> None:
    done = run_ks(
        "terminate", "PKS-2022-0006", "--date", "2024-03-31",
        "--reason", "diakhiri atas kesepakatan para pihak",
    )  # fmt: skip

    assert done.returncode == 0, done.stderr
    assert done.stderr == "PKS-2022-0006 terminated on 31 March 2024\n"
