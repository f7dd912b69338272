"""Several staff recording at once: every write lands, and the hash chain stays unbroken."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from datetime import date
from pathlib import Path

import pytest
from tests.conftest import RunKs, ks_executable

from kerjasama_cli import db, ledger
from kerjasama_cli.queries import Sql

WORKERS = 8
PROVINCES = ["kaltim", "jatim", "jabar", "jateng", "bali", "ntb", "sulsel", "sumut"]
SETUP = ledger.Actor("setup", date.today())


def _setup_one_pks_of_eight_agencies(path: Path) -> list[tuple[str, str]]:
    """One PKS between the tourism agencies of eight provinces; each signs its own side."""

    def setup(sql: Sql) -> str:
        for province in PROVINCES:
            ledger.add_party(
                sql,
                SETUP,
                f"Dinas Pariwisata {province.upper()}",
                province,
                [f"dispar-{province}"],
                "Kepala Dinas",
            )
        return ledger.add_agreement(
            sql,
            SETUP,
            "pks",
            "Promosi Pariwisata Bersama Delapan Provinsi",
            [f"dispar-{p}" for p in PROVINCES],
            agreed_on=date(2022, 7, 28),
        ).key

    key = db.write(path, setup)
    return [(key, f"dispar-{p}") for p in PROVINCES]


def _setup_eight_ksb(path: Path) -> list[tuple[str, str]]:
    """Eight KSB, each between two neighbours in the list; worker i signs KSB i for province i."""

    def setup(sql: Sql) -> list[str]:
        return [
            ledger.add_agreement(
                sql,
                SETUP,
                "ksb",
                f"Kerja Sama Pembangunan Daerah {province}-{PROVINCES[(i + 1) % len(PROVINCES)]}",
                [province, PROVINCES[(i + 1) % len(PROVINCES)]],
                agreed_on=date(2022, 7, 28),
            ).key
            for i, province in enumerate(PROVINCES)
        ]

    return list(zip(db.write(path, setup), PROVINCES, strict=True))


def _entries(path: Path) -> list[tuple]:
    with db.reader(path) as conn:
        return conn.execute(
            "SELECT seq, recorded_at, recorded_by, action, agreement_key, payload, prev_hash, "
            "hash, db_user FROM entry ORDER BY seq"
        ).fetchall()


def assert_chain_unbroken(path: Path) -> list[tuple]:
    """Each entry follows the one before it: seq without gaps, prev_hash = previous hash."""
    entries = _entries(path)
    assert [e[0] for e in entries] == list(range(1, len(entries) + 1))
    previous = ledger.GENESIS_HASH
    for seq, at, by, action, key, payload, prev_hash, digest, db_user in entries:
        assert prev_hash == previous, f"entry {seq} does not follow entry {seq - 1}"
        assert digest == ledger.entry_hash(prev_hash, seq, at, by, action, key, payload, db_user)
        previous = digest
    return entries


def _env(path: Path, by: str) -> dict[str, str]:
    env = {**os.environ, "KS_DB": str(path), "KS_BY": by, "NO_COLOR": "1"}
    env.pop("KS_DEBUG", None)
    return env


def _start(path: Path, by: str, *args: str) -> subprocess.Popen[str]:
    """Start `ks` (or, with args starting "-c", this Python) without waiting for it."""
    program = [sys.executable] if args[0] == "-c" else ks_executable()
    return subprocess.Popen(
        [*program, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(path, by),
    )


def _wait_all(processes: list[subprocess.Popen[str]]) -> list[tuple[int, str, str]]:
    results = []
    for process in processes:
        out, err = process.communicate(timeout=120)
        results.append((process.returncode, out, err))
    return results


@pytest.mark.parametrize(
    "setup",
    [_setup_one_pks_of_eight_agencies, _setup_eight_ksb],
    ids=["one-pks-eight-agencies", "eight-ksb"],
)
def test_eight_signatures_at_once_all_land(ledger: Path, run_ks: RunKs, setup) -> None:
    sides = setup(ledger)
    entries_before = len(_entries(ledger))

    # Started together, waited for together: the writers contend for the lock.
    processes = [
        _start(
            ledger,
            f"worker-{i}",
            *("sign", key, "--party", party, "--date", f"2022-08-{i + 1:02d}"),
            *("--signatory", f"Penandatangan {i}", "--place", "Surabaya"),
        )
        for i, (key, party) in enumerate(sides)
    ]
    results = _wait_all(processes)

    for code, _, err in results:
        assert code == 0, err
        assert "locked" not in err.lower() and "busy" not in err.lower(), err
        assert "Traceback" not in err
    in_force = [err for _, _, err in results if "now in force" in err]  # confirmations: stderr
    if len({key for key, _ in sides}) == 1:
        assert len(in_force) == 1  # the last of the eight, whichever it was
    else:
        assert in_force == []  # each KSB still waits for its neighbour
    for i, (key, party) in enumerate(sides):
        detail = json.loads(run_ks("show", key, "--format", "json", check=True).stdout)
        signed = {
            (s["signed_on"], s["signatory"], s["place"])
            for s in detail["parties"]
            if s["signed_on"] is not None
        }
        assert (f"2022-08-{i + 1:02d}", f"Penandatangan {i}", "Surabaya") in signed, party
    entries = assert_chain_unbroken(ledger)
    new = entries[entries_before:]
    assert [e[3] for e in new] == ["signature.add"] * WORKERS
    assert sorted(e[2] for e in new) == [f"worker-{i}" for i in range(WORKERS)]


@pytest.mark.sqlite_only("racing to create the ledger file (a database is made by ks db init)")
def test_eight_first_writes_to_a_missing_ledger_all_land(ledger: Path, run_ks: RunKs) -> None:
    # Several staff starting on the same new ledger: whoever creates it, nobody is refused.
    processes = [
        _start(
            ledger,
            f"worker-{i}",
            *(
                "add-agreement",
                "--kind",
                "ksb",
                "--title",
                f"Kerja Sama {i}",
                "--date",
                "2022-07-28",
            ),
            *("--party", PROVINCES[i], "--party", PROVINCES[(i + 1) % WORKERS]),
        )
        for i in range(WORKERS)
    ]
    results = _wait_all(processes)

    for code, _, err in results:
        assert code == 0, err
        assert "Traceback" not in err
    keys = sorted(out.strip() for _, out, _ in results)
    assert keys == [f"KSB-2022-{n:04d}" for n in range(1, WORKERS + 1)]
    rows = json.loads(run_ks("list", "--format", "json", check=True).stdout)
    assert sorted(r["title"] for r in rows) == [f"Kerja Sama {i}" for i in range(WORKERS)]
    assert_chain_unbroken(ledger)


# Each worker registers an agency, agrees a PKS with Kaltim, signs it and hands it over to
# Kaltim, five times: 20 write transactions through the library, as `ks` makes them.
MIXED_WRITER = textwrap.dedent(
    """
    import json, sys
    from datetime import date
    from kerjasama_cli import db, ledger
    from kerjasama_cli.location import locate

    path, worker = locate(sys.argv[1]), int(sys.argv[2])
    keys = []

    def write(operation, *args):
        actor = ledger.Actor(f"worker-{worker}", date.today())
        return db.write(path, lambda sql: operation(sql, actor, *args))

    for round in range(5):
        alias = f"uji-{worker}-{round}"
        write(ledger.add_party, f"Dinas Uji {worker}.{round} Provinsi Jawa Timur", "jatim",
              [alias], "Kepala Dinas")
        key = write(ledger.add_agreement, "pks", f"Uji Coba {worker}.{round}", [alias, "kaltim"],
                    None, (), date(2022, 7, 28), "Samarinda").key
        write(ledger.sign, key, alias, date(2022, 8, 1), "Surabaya")
        write(ledger.handover, [key], "kaltim", date(2022, 8, 2), "Samarinda")
        keys.append(key)
    print(json.dumps(keys))
    """
)
ROUNDS = 5


def test_eight_writers_doing_twenty_mixed_writes_each_lose_nothing(
    ledger: Path, run_ks: RunKs
) -> None:
    db.write(ledger, lambda sql: None)  # the schema: workers race on writes, not creation

    processes = [
        _start(ledger, f"worker-{w}", "-c", MIXED_WRITER, str(ledger), str(w))
        for w in range(WORKERS)
    ]
    results = _wait_all(processes)

    for code, _, err in results:
        assert code == 0, err
        assert "locked" not in err.lower(), err
    keys = [key for _, out, _ in results for key in json.loads(out)]
    total = WORKERS * ROUNDS
    assert sorted(keys) == [f"PKS-2022-{n:04d}" for n in range(1, total + 1)]

    rows = json.loads(run_ks("list", "--format", "json", check=True).stdout)
    assert sorted(r["key"] for r in rows) == sorted(keys)
    assert all(r["signed"] == 1 and r["parties"][0]["signed_on"] == "2022-08-01" for r in rows)
    waiting = json.loads(
        run_ks(
            "pending",
            "--province",
            "kaltim",
            "--as-of",
            "2022-09-10",
            "--format",
            "json",
            check=True,
        ).stdout
    )
    assert sorted(r["agreement"] for r in waiting) == sorted(keys)
    assert {r["waiting_since"] for r in waiting} == {"2022-08-02"}
    parties = json.loads(run_ks("party", "list", "--format", "json", check=True).stdout)
    assert len(parties) == total + 1  # the agencies and Kaltim's government

    entries = assert_chain_unbroken(ledger)
    actions = [e[3] for e in entries]
    assert {a: actions.count(a) for a in set(actions)} == {
        "party.add": total + 1,
        "agreement.add": total,
        "signature.add": total,
        "handover.add": total,
    }
