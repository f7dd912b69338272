"""Reliability under load: concurrent writers, kill -9, long reads and backups lose nothing.

Short by default (CI); `KS_RELIABILITY=long` (scripts/reliability.sh) gives the full sizes.
Writers are `python -c` processes using the library, one transaction per operation (an
agreement and both its signatures). A write counts as acknowledged once the writer has
printed and flushed its key after `db.write` returned.
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import ks_executable

from kerjasama_cli import db

LONG = os.environ.get("KS_RELIABILITY", "").lower() == "long"
MODE = "long" if LONG else "short"
WRITERS = 8
OPS_PER_WRITER = 200 if LONG else 15
KILL_WRITERS = 4
KILLS = 50 if LONG else 12
READ_HOLD_SECONDS = 10.0 if LONG else 3.0
# Widens the window between reading the chain head and inserting the entry (3 entries per
# operation), where a deferred transaction would lose its race.
PAUSE_SECONDS = 0.005
WAIT_SECONDS = 900 if LONG else 180
PROVINCES = ["kaltim", "jatim", "jabar", "jateng", "bali", "ntb", "sulsel", "sumut"]
KEY = re.compile(r"^KSB-\d{4}-\d{4,}$")

WRITER = textwrap.dedent(
    """
    import json, sys, time
    from datetime import date
    from pathlib import Path

    config = json.loads(sys.argv[1])
    import sqlalchemy  # noqa: F401  (paid before the start signal, as any running ks has)
    from kerjasama_cli import db, events, ledger

    if "begin" in config:  # the negative control: a deferred transaction
        db.BEGIN_WRITE = config["begin"]
    if config["pause"]:
        entry_hash = events.entry_hash

        def paused_entry_hash(*args):
            time.sleep(config["pause"])  # after reading the chain head, before the insert
            return entry_hash(*args)

        events.entry_hash = paused_entry_hash

    path = Path(config["ledger"])
    worker, generation, ours, theirs = (
        config["worker"], config["generation"], config["ours"], config["theirs"]
    )
    go = Path(config["go"]) if config["go"] else None
    stop = Path(config["stop"]) if config["stop"] else None
    Path(config["ready"]).touch()
    while go is not None and not go.exists():
        time.sleep(0.005)

    def operation(sql, n):
        actor = ledger.Actor(f"writer-{worker}", date.today())
        key = ledger.add_agreement(
            sql, actor, "ksb", f"Uji Keandalan {worker}.{generation}.{n}", [ours, theirs],
            agreed_on=date(2022, 7, 28), place="Samarinda",
        ).key
        for party in (ours, theirs):
            ledger.sign(sql, actor, key, party, date(2022, 8, 1), "Surabaya")
        return key

    n = 0
    while (not config["ops"] or n < config["ops"]) and not (stop and stop.exists()):
        try:
            key = db.write(path, lambda sql: operation(sql, n))
        except Exception as exc:
            cause = (str(exc.__context__ or "").splitlines() or [""])[0]  # one line each
            print(f"FAIL {type(exc).__name__}: {exc} | from: {cause}", file=sys.stderr,
                  flush=True)
        else:
            print(key, flush=True)  # acknowledged: db.write has returned
        n += 1
    """
)


# --- writers -------------------------------------------------------------------------------


@dataclass
class Writers:
    """Writer processes on one ledger; each appends its acknowledged keys to its own file."""

    ledger: Path
    workdir: Path
    ops: int = 0  # per incarnation; 0 loops until the stop file appears
    begin: str | None = None
    barrier: bool = True
    processes: dict[int, subprocess.Popen[bytes]] = field(default_factory=dict)
    generations: dict[int, int] = field(default_factory=dict)

    @property
    def go(self) -> Path:
        return self.workdir / "go"

    @property
    def stop_file(self) -> Path:
        return self.workdir / "stop"

    def out(self, worker: int) -> Path:
        return self.workdir / f"writer-{worker}.out"

    def err(self, worker: int) -> Path:
        return self.workdir / f"writer-{worker}.err"

    def ready_file(self, worker: int) -> Path:
        return self.workdir / f"ready-{worker}-{self.generations[worker]}"

    def start(self, worker: int) -> subprocess.Popen[bytes]:
        generation = self.generations.get(worker, -1) + 1
        self.generations[worker] = generation
        config: dict[str, Any] = {
            "ledger": str(self.ledger),
            "worker": worker,
            "generation": generation,
            "ours": PROVINCES[worker % len(PROVINCES)],
            "theirs": PROVINCES[(worker + 1) % len(PROVINCES)],
            "ops": self.ops,
            "pause": PAUSE_SECONDS,
            "ready": str(self.ready_file(worker)),
            "go": str(self.go) if self.barrier else None,
            "stop": str(self.stop_file),
        }
        if self.begin is not None:
            config["begin"] = self.begin
        env = {**os.environ, "NO_COLOR": "1"}
        env.pop("KS_DEBUG", None)
        with open(self.out(worker), "ab") as out, open(self.err(worker), "ab") as err:
            process = subprocess.Popen(
                [sys.executable, "-c", WRITER, json.dumps(config)],
                stdout=out,
                stderr=err,
                env=env,
            )
        self.processes[worker] = process
        return process

    def start_all(self, count: int) -> None:
        """Start `count` writers and, once all have imported, let them go together."""
        for worker in range(count):
            self.start(worker)
        wait_until(lambda: all(self.ready_file(w).exists() for w in range(count)), "writers ready")
        self.go.touch()

    def acknowledged(self, worker: int | None = None) -> list[str]:
        """Keys printed and flushed so far (complete lines only)."""
        keys = []
        for w in [worker] if worker is not None else sorted(self.generations):
            path = self.out(w)
            text = path.read_text(encoding="utf-8") if path.exists() else ""
            keys.extend(line for line in text.split("\n")[:-1] if KEY.match(line))
        return keys

    def stderr_lines(self) -> list[str]:
        lines = []
        for w in sorted(self.generations):
            path = self.err(w)
            if path.exists():
                lines.extend(path.read_text(encoding="utf-8").splitlines())
        return lines

    def failures(self) -> list[str]:
        return [line for line in self.stderr_lines() if line.startswith("FAIL ")]

    def wait(self) -> list[int]:
        """Wait for every writer to finish; their exit codes."""
        deadline = time.monotonic() + WAIT_SECONDS
        return [
            p.wait(timeout=max(1.0, deadline - time.monotonic())) for p in self.processes.values()
        ]

    def stop(self) -> list[int]:
        self.stop_file.touch()
        return self.wait()

    def kill_all(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                os.kill(process.pid, signal.SIGKILL)
                process.wait()


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


def locked(lines: list[str]) -> list[str]:
    """Failures that are SQLite's "database is locked" (or its translation, "busy")."""
    return [line for line in lines if "locked" in line.lower() or "busy" in line.lower()]


def make_ledger(path: Path) -> None:
    db.write(path, lambda sql: None)  # the schema: writers race on writes, not on creation


# --- read-side checks ----------------------------------------------------------------------


def ks(path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KS_DB": str(path), "NO_COLOR": "1"}
    env.pop("KS_DEBUG", None)
    return subprocess.run(
        [*ks_executable(), *args], capture_output=True, text=True, env=env, timeout=600
    )


def ks_verify(path: Path) -> dict[str, Any]:
    result = ks(path, "verify", "--format", "json")
    assert result.stdout, result.stderr
    return json.loads(result.stdout)


def ks_agreements(path: Path) -> dict[str, dict[str, Any]]:
    result = ks(path, "list", "--format", "json")
    assert result.returncode == 0, result.stderr
    return {row["key"]: row for row in json.loads(result.stdout)}


def chain(path: Path) -> dict[str, int]:
    """Forks (two entries after one), breaks (an entry not following the one before it)."""
    conn = sqlite3.connect(db.readonly_uri(path), uri=True)
    try:
        rows = conn.execute("SELECT seq, prev_hash, hash FROM entry ORDER BY seq").fetchall()
        forks = conn.execute(
            "SELECT count(*) FROM (SELECT prev_hash FROM entry GROUP BY prev_hash "
            "HAVING count(*) > 1)"
        ).fetchone()[0]
        integrity = [r[0] for r in conn.execute("PRAGMA integrity_check")]
        actions = dict(conn.execute("SELECT action, count(*) FROM entry GROUP BY action"))
    finally:
        conn.close()
    breaks, previous = 0, "0" * 64
    for expected, (seq, prev_hash, digest) in enumerate(rows, start=1):
        breaks += seq != expected or prev_hash != previous
        previous = digest
    return {
        "entries": len(rows),
        "forks": forks,
        "chain_breaks": breaks,
        "integrity_ok": integrity == ["ok"],
        "party_entries": actions.get("party.add", 0),
        "agreement_entries": actions.get("agreement.add", 0),
        "signature_entries": actions.get("signature.add", 0),
    }


def half_recorded(agreements: dict[str, dict[str, Any]]) -> list[str]:
    """Agreements without both sides, or without both signatures (each was one transaction)."""
    return [
        key
        for key, row in agreements.items()
        if len(row["parties"]) != 2 or row["signed"] != 2 or row["status"] != "in-force"
    ]


@pytest.fixture
def figures(request: pytest.FixtureRequest, record_property: Callable[[str, object], None]):
    """Print a test's figures, record them, and append them to $KS_RELIABILITY_FIGURES."""

    def emit(**values: object) -> None:
        for name, value in values.items():
            record_property(name, value)
        line = ", ".join(f"{name}={value}" for name, value in values.items())
        print(f"\n[reliability:{MODE}] {request.node.name}: {line}")
        if dest := os.environ.get("KS_RELIABILITY_FIGURES"):
            with open(dest, "a", encoding="utf-8") as out:
                out.write(json.dumps({"test": request.node.name, "mode": MODE, **values}) + "\n")

    return emit


# --- concurrent writers, and a backup taken while they write -------------------------------


@dataclass
class Run:
    ledger: Path
    writers: Writers
    codes: list[int]
    seconds: float
    backup: Path
    backup_result: subprocess.CompletedProcess[str]
    acknowledged_before_backup: list[str]
    acknowledged_after_backup: int
    backup_seconds: float


@pytest.fixture(scope="module")
def concurrent_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    """8 writers x OPS_PER_WRITER operations at once; `ks db backup` taken a third of the way."""
    workdir = tmp_path_factory.mktemp("concurrent")
    path = workdir / "ledger.sqlite"
    make_ledger(path)
    writers = Writers(path, workdir, ops=OPS_PER_WRITER)
    total = WRITERS * OPS_PER_WRITER
    try:
        writers.start_all(WRITERS)
        started = time.monotonic()
        wait_until(lambda: len(writers.acknowledged()) >= total // 3, "a third of the writes")
        before = writers.acknowledged()
        backup_started = time.monotonic()
        backup = workdir / "backup.sqlite"
        backup_result = ks(path, "db", "backup", str(backup))
        backup_seconds = time.monotonic() - backup_started
        after = len(writers.acknowledged())
        codes = writers.wait()
        seconds = time.monotonic() - started
    finally:
        writers.kill_all()
    yield Run(path, writers, codes, seconds, backup, backup_result, before, after, backup_seconds)


def test_concurrent_writers_lose_nothing_and_never_see_locked(concurrent_run: Run, figures) -> None:
    run = concurrent_run
    acknowledged = run.writers.acknowledged()
    failures = run.writers.failures()
    agreements = ks_agreements(run.ledger)
    lost = sorted(set(acknowledged) - set(agreements))
    found = chain(run.ledger)
    report = ks_verify(run.ledger)
    figures(
        writers=WRITERS,
        ops_per_writer=OPS_PER_WRITER,
        pause_ms=PAUSE_SECONDS * 1000,
        acknowledged=len(acknowledged),
        lost=len(lost),
        failed=len(failures),
        locked=len(locked(failures)),
        forks=found["forks"],
        chain_breaks=found["chain_breaks"],
        entries=found["entries"],
        verify_ok=report["ok"],
        duration_s=round(run.seconds, 1),
        ops_per_s=round(len(acknowledged) / run.seconds, 1),
    )

    assert run.codes == [0] * WRITERS, run.writers.stderr_lines()[-5:]
    assert failures == [], failures[:5]
    assert len(acknowledged) == WRITERS * OPS_PER_WRITER
    assert len(set(acknowledged)) == len(acknowledged)  # no key handed out twice
    assert lost == []
    assert sorted(agreements) == sorted(acknowledged)  # nothing unacknowledged either
    assert half_recorded(agreements) == []
    assert found["forks"] == 0 and found["chain_breaks"] == 0 and found["integrity_ok"]
    assert found["agreement_entries"] == len(acknowledged)
    assert found["signature_entries"] == 2 * len(acknowledged)
    assert report["ok"], report["problems"]
    assert report["entries"] == found["entries"]


def test_backup_during_concurrent_writers_holds_every_earlier_write(
    concurrent_run: Run, figures
) -> None:
    run = concurrent_run
    total = WRITERS * OPS_PER_WRITER
    copied = ks_agreements(run.backup) if run.backup.exists() else {}
    missing = sorted(set(run.acknowledged_before_backup) - set(copied))
    report = ks_verify(run.backup) if run.backup.exists() else {"ok": False, "problems": []}
    found = chain(run.backup) if run.backup.exists() else {}
    figures(
        acknowledged_before_backup=len(run.acknowledged_before_backup),
        acknowledged_during_backup=run.acknowledged_after_backup
        - len(run.acknowledged_before_backup),
        in_backup=len(copied),
        missing_from_backup=len(missing),
        backup_verify_ok=report["ok"],
        backup_forks=found.get("forks"),
        backup_s=round(run.backup_seconds, 2),
    )

    assert run.backup_result.returncode == 0, run.backup_result.stderr
    assert "verified copy" in run.backup_result.stdout
    # Taken while the writers were still at work, not after them.
    assert len(run.acknowledged_before_backup) < total
    assert missing == []
    assert report["ok"], report["problems"]
    assert found["forks"] == 0 and found["chain_breaks"] == 0 and found["integrity_ok"]
    assert half_recorded(copied) == []
    # A consistent cut: the copy holds a prefix of the final ledger, entry for entry.
    final = ks_agreements(run.ledger)
    assert set(copied) <= set(final)
    assert all(copied[key] == final[key] for key in copied)


def test_negative_control_deferred_transactions_do_fail_with_locked(
    tmp_path: Path, figures
) -> None:
    # The same workload with a plain BEGIN: the read of the chain head and the insert are
    # not under one lock, so writers lose the race with "database is locked". If this
    # stopped failing, the test above would no longer prove anything.
    path = tmp_path / "ledger.sqlite"
    make_ledger(path)
    writers = Writers(path, tmp_path, ops=OPS_PER_WRITER, begin="BEGIN")
    started = time.monotonic()
    try:
        writers.start_all(WRITERS)
        codes = writers.wait()
    finally:
        writers.kill_all()
    seconds = time.monotonic() - started
    acknowledged = writers.acknowledged()
    failures = writers.failures()
    sqlite_locked = [line for line in failures if "database is locked" in line]
    agreements = ks_agreements(path)
    found = chain(path)
    figures(
        begin="BEGIN (deferred)",
        writers=WRITERS,
        ops_per_writer=OPS_PER_WRITER,
        acknowledged=len(acknowledged),
        failed=len(failures),
        locked=len(sqlite_locked),
        lost=len(set(acknowledged) - set(agreements)),
        forks=found["forks"],
        duration_s=round(seconds, 1),
    )

    assert codes == [0] * WRITERS
    assert sqlite_locked, "a deferred transaction no longer fails under concurrent writers"
    assert len(acknowledged) + len(failures) == WRITERS * OPS_PER_WRITER


# --- a long report while writers write -----------------------------------------------------


def test_long_read_transaction_does_not_fail_writers(tmp_path: Path, figures) -> None:
    path = tmp_path / "ledger.sqlite"
    make_ledger(path)
    writers = Writers(path, tmp_path, ops=0)
    try:
        writers.start_all(WRITERS)
        wait_until(lambda: len(writers.acknowledged()) >= WRITERS, "the writers under way")
        report = sqlite3.connect(path, isolation_level=None)
        try:
            report.execute("BEGIN")
            rows = report.execute("SELECT * FROM entry ORDER BY seq").fetchall()
            acknowledged_at_begin = len(writers.acknowledged())
            time.sleep(READ_HOLD_SECONDS)
            acknowledged_while_held = len(writers.acknowledged()) - acknowledged_at_begin
            still_seen = report.execute("SELECT count(*) FROM entry").fetchone()[0]
            report.execute("COMMIT")
        finally:
            report.close()
        time.sleep(0.5)  # and a few writes after the reader has gone
        codes = writers.stop()
    finally:
        writers.kill_all()
    acknowledged = writers.acknowledged()
    failures = writers.failures()
    agreements = ks_agreements(path)
    found = chain(path)
    verified = ks_verify(path)
    figures(
        writers=WRITERS,
        read_hold_s=READ_HOLD_SECONDS,
        acknowledged_while_read_held=acknowledged_while_held,
        acknowledged=len(acknowledged),
        failed=len(failures),
        locked=len(locked(failures)),
        lost=len(set(acknowledged) - set(agreements)),
        forks=found["forks"],
        verify_ok=verified["ok"],
    )

    assert codes == [0] * WRITERS, writers.stderr_lines()[-5:]
    assert failures == [], failures[:5]
    assert acknowledged_while_held > 0  # the writers did not wait for the report
    assert still_seen == len(rows)  # and the report kept one consistent snapshot
    assert set(acknowledged) <= set(agreements)
    assert half_recorded(agreements) == []
    assert found["forks"] == 0 and found["chain_breaks"] == 0 and found["integrity_ok"]
    assert verified["ok"], verified["problems"]


# --- kill -9 -------------------------------------------------------------------------------


def test_kill_9_loses_no_acknowledged_write(tmp_path: Path, figures) -> None:
    path = tmp_path / "ledger.sqlite"
    make_ledger(path)
    seed = int(os.environ.get("KS_RELIABILITY_SEED", time.time_ns() % 1_000_000))
    rng = random.Random(seed)
    writers = Writers(path, tmp_path, ops=0, barrier=False)
    kills = 0
    started = time.monotonic()
    try:
        for worker in range(KILL_WRITERS):
            writers.start(worker)
        since = {w: 0 for w in range(KILL_WRITERS)}  # acknowledged before each incarnation

        def writing() -> list[int]:
            return [w for w in range(KILL_WRITERS) if len(writers.acknowledged(w)) > since[w]]

        while kills < KILLS:
            # A writer whose incarnation is under way (has acknowledged a write), killed at a
            # random point of its cycle (about 4 operations of ~35 ms under the lock): mid-
            # transaction, mid-commit, between commit and acknowledgement, between operations.
            wait_until(lambda: bool(writing()), "a writer under way")
            victim = rng.choice(writing())
            time.sleep(rng.uniform(0.0, 0.25))
            process = writers.processes[victim]
            assert process.poll() is None, writers.stderr_lines()[-5:]
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
            kills += 1
            since[victim] = len(writers.acknowledged(victim))
            writers.start(victim)
        time.sleep(1.0)  # the restarted writers write on
        codes = writers.stop()
    finally:
        writers.kill_all()
    seconds = time.monotonic() - started
    acknowledged = writers.acknowledged()
    failures = writers.failures()
    agreements = ks_agreements(path)
    lost = sorted(set(acknowledged) - set(agreements))
    half = half_recorded(agreements)
    found = chain(path)
    verified = ks_verify(path)
    print(f"\n{len(lost)} lost of {len(acknowledged)} acknowledged across {kills} kills")
    figures(
        writers=KILL_WRITERS,
        kills=kills,
        seed=seed,
        acknowledged=len(acknowledged),
        lost=len(lost),
        committed_unacknowledged=len(set(agreements) - set(acknowledged)),
        half_recorded=len(half),
        failed=len(failures),
        locked=len(locked(failures)),
        integrity_ok=found["integrity_ok"],
        forks=found["forks"],
        chain_breaks=found["chain_breaks"],
        verify_ok=verified["ok"],
        duration_s=round(seconds, 1),
    )

    assert kills >= KILLS
    assert len(acknowledged) > kills  # every incarnation killed had written
    assert codes == [0] * KILL_WRITERS, writers.stderr_lines()[-5:]
    assert failures == [], failures[:5]
    assert not [line for line in writers.stderr_lines() if "Traceback" in line]
    assert lost == [], f"{len(lost)} lost of {len(acknowledged)} acknowledged: {lost[:5]}"
    assert half == [], half[:5]
    assert found["integrity_ok"]
    assert found["forks"] == 0 and found["chain_breaks"] == 0
    # Entries and rows agree: one agreement and two signature entries per agreement.
    assert found["agreement_entries"] == len(agreements)
    assert found["signature_entries"] == 2 * len(agreements)
    assert verified["ok"], verified["problems"]
