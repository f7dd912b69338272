"""Reliability on a shared PostgreSQL ledger: concurrent writers, kill -9 and a long reader.

The PostgreSQL side of tests/test_reliability.py and tests/test_concurrency.py, with the same
shape and sizes (short by default; `KS_RELIABILITY=long` for the full ones, and
`KS_RELIABILITY_FIGURES=FILE` to collect the figures). Writers are `python -c` processes
using the library, one transaction per operation: an agreement between two provinces, the
first signature, a handover to the other province and its signature (four entries). A write
counts as acknowledged once the writer has printed and flushed its key after `db.write`
returned. Each test gets a fresh ledger (tests/test_postgres.py's fixtures); needs
KS_POSTGRES_URL.

What a ledger file has and these do not (yet): `ks db backup` during the writers, and
`ks verify`'s replay, which run on files only so far; the entries' chain and hashes are
checked here directly, and every entry against the rows it made.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from tests import test_postgres, test_reliability
from tests.conftest import RunKs, ks_executable
from tests.test_concurrency import (
    WORKERS,
    _setup_eight_ksb,
    _setup_one_pks_of_eight_agencies,
)
from tests.test_postgres import _on, _rows, assert_chain_unbroken
from tests.test_reliability import (
    KILL_WRITERS,
    KILLS,
    OPS_PER_WRITER,
    PAUSE_SECONDS,
    PROVINCES,
    READ_HOLD_SECONDS,
    WRITERS,
    Writers,
    half_recorded,
    ks,
    ks_agreements,
    locked,
    wait_until,
)

from kerjasama_cli import db, events
from kerjasama_cli.location import ServerLedger

# Fixtures of the other suites: a server with a fresh ledger per test; the figures' printer.
server = test_postgres.server
ledger_template = test_postgres.ledger_template
pg_ledger = test_postgres.pg_ledger
figures = test_reliability.figures

WRITER = textwrap.dedent(
    """
    import json, sys, time
    from datetime import date

    config = json.loads(sys.argv[1])
    import psycopg, sqlalchemy  # noqa: F401  (paid before the start signal)
    from pathlib import Path
    from kerjasama_cli import db, events, ledger, postgres
    from kerjasama_cli.location import locate

    if "lock" in config:  # the negative control: no writer's lock
        postgres.WRITE_LOCK = config["lock"]
    if config["pause"]:
        entry_hash = events.entry_hash

        def paused_entry_hash(*args):
            time.sleep(config["pause"])  # after reading the chain head, before the insert
            return entry_hash(*args)

        events.entry_hash = paused_entry_hash

    where = locate(config["ledger"])
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
        ledger.sign(sql, actor, key, ours, date(2022, 8, 1), "Samarinda")
        ledger.handover(sql, actor, [key], theirs, date(2022, 8, 2), "Surabaya")
        ledger.sign(sql, actor, key, theirs, date(2022, 8, 3), "Surabaya")
        return key

    n = 0
    while (not config["ops"] or n < config["ops"]) and not (stop and stop.exists()):
        try:
            key = db.write(where, lambda sql: operation(sql, n))
        except Exception as exc:
            cause = (str(exc.__context__ or "").splitlines() or [""])[0]  # one line each
            print(f"FAIL {type(exc).__name__}: {exc} | from: {cause}", file=sys.stderr,
                  flush=True)
        else:
            print(key, flush=True)  # acknowledged: db.write has returned
        n += 1
    """
)
ENTRIES_PER_OPERATION = 4


@dataclass
class PgWriters(Writers):
    """tests/test_reliability's writers, writing to a database (`ledger` is its URL)."""

    lock: str | None = None  # instead of the writer's lock, for the negative control

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
        if self.lock is not None:
            config["lock"] = self.lock
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


def chain(url: str) -> dict[str, Any]:
    """The chain and what each entry made: forks, breaks (an entry not following the one
    before it, or whose hash is not its content's), entries without their rows."""
    rows = _rows(
        url,
        "SELECT seq, recorded_at, recorded_by, action, agreement_key, payload, prev_hash, hash, "
        "db_user FROM entry ORDER BY seq",
    )
    breaks, previous = 0, events.GENESIS_HASH
    for expected, (seq, at, by, action, key, payload, prev_hash, digest, db_user) in enumerate(
        rows, start=1
    ):
        breaks += (
            seq != expected
            or prev_hash != previous
            or digest != events.entry_hash(prev_hash, seq, at, by, action, key, payload, db_user)
        )
        previous = digest
    ((forks,),) = _rows(
        url,
        "SELECT count(*) FROM (SELECT prev_hash FROM entry GROUP BY prev_hash "
        "HAVING count(*) > 1) AS f",
    )
    actions = dict(_rows(url, "SELECT action, count(*) FROM entry GROUP BY action"))
    # An entry whose rows are missing: a half-written entry (each was one transaction).
    ((rowless,),) = _rows(
        url,
        "SELECT count(*) FROM entry e WHERE NOT EXISTS (SELECT 1 FROM agreement x "
        "WHERE x.entry_seq = e.seq UNION ALL SELECT 1 FROM signature x WHERE x.entry_seq = e.seq "
        "UNION ALL SELECT 1 FROM handover x WHERE x.entry_seq = e.seq "
        "UNION ALL SELECT 1 FROM party x WHERE x.entry_seq = e.seq)",
    )
    counts = {
        table: n
        for table in ("agreement", "signature", "handover")
        for ((n,),) in [_rows(url, f"SELECT count(*) FROM {table}")]
    }
    return {
        "entries": len(rows),
        "forks": forks,
        "chain_breaks": breaks,
        "entries_without_rows": rowless,
        "db_users": sorted({str(r[8]) for r in rows}),
        "party_entries": actions.get("party.add", 0),
        "agreement_entries": actions.get("agreement.add", 0),
        "signature_entries": actions.get("signature.add", 0),
        "handover_entries": actions.get("handover.add", 0),
        **{f"{table}_rows": n for table, n in counts.items()},
    }


def assert_sound(found: dict[str, Any], agreements: int) -> None:
    """No fork, no break, every entry with its rows, and four entries per agreement."""
    assert found["forks"] == 0 and found["chain_breaks"] == 0
    assert found["entries_without_rows"] == 0
    assert found["agreement_entries"] == found["agreement_rows"] == agreements
    assert found["signature_entries"] == found["signature_rows"] == 2 * agreements
    assert found["handover_entries"] == found["handover_rows"] == agreements


def verified(url: str) -> bool | None:
    """`ks verify`'s verdict on the ledger; None while verify runs on ledger files only."""
    result = ks(url, "verify", "--format", "json")
    if result.returncode == 1 and "does not run on a PostgreSQL ledger yet" in result.stderr:
        return None
    report = json.loads(result.stdout)
    assert report["ok"], report["problems"][:5]
    return True


def advisory_locks(url: str) -> int:
    """Advisory locks held on the server: the writer's lock of a killed writer, if any."""
    return int(_rows(url, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")[0][0])


# --- concurrent writers ------------------------------------------------------------------


def test_concurrent_writers_lose_nothing_and_are_never_refused(
    pg_ledger: str, tmp_path: Path, figures
) -> None:
    writers = PgWriters(pg_ledger, tmp_path, ops=OPS_PER_WRITER)
    try:
        writers.start_all(WRITERS)
        started = time.monotonic()
        codes = writers.wait()
        seconds = time.monotonic() - started
    finally:
        writers.kill_all()
    acknowledged = writers.acknowledged()
    failures = writers.failures()
    agreements = ks_agreements(pg_ledger)
    lost = sorted(set(acknowledged) - set(agreements))
    found = chain(pg_ledger)
    figures(
        engine="postgresql",
        writers=WRITERS,
        ops_per_writer=OPS_PER_WRITER,
        entries_per_op=ENTRIES_PER_OPERATION,
        pause_ms=PAUSE_SECONDS * 1000,
        acknowledged=len(acknowledged),
        lost=len(lost),
        failed=len(failures),
        busy=len(locked(failures)),
        forks=found["forks"],
        chain_breaks=found["chain_breaks"],
        entries=found["entries"],
        duration_s=round(seconds, 1),
        ops_per_s=round(len(acknowledged) / seconds, 1),
        entries_per_s=round(found["entries"] / seconds, 1),
    )

    assert codes == [0] * WRITERS, writers.stderr_lines()[-5:]
    assert failures == [], failures[:5]
    assert len(acknowledged) == WRITERS * OPS_PER_WRITER
    assert len(set(acknowledged)) == len(acknowledged)  # no key handed out twice
    assert lost == []
    assert sorted(agreements) == sorted(acknowledged)  # nothing unacknowledged either
    assert half_recorded(agreements) == []
    assert_sound(found, len(acknowledged))
    assert found["entries"] == ENTRIES_PER_OPERATION * len(acknowledged) + len(PROVINCES)
    assert verified(pg_ledger) in (None, True)


def test_negative_control_without_the_writers_lock_writes_fail(
    pg_ledger: str, tmp_path: Path, figures
) -> None:
    # The same workload without the writer's lock: ids, keys and the chain head are read
    # outside any lock, so writers collide on them. If this stopped failing, the test above
    # would no longer prove anything. The unique previous hash keeps the chain whole.
    writers = PgWriters(pg_ledger, tmp_path, ops=OPS_PER_WRITER, lock="SELECT 1")
    started = time.monotonic()
    try:
        writers.start_all(WRITERS)
        codes = writers.wait()
    finally:
        writers.kill_all()
    seconds = time.monotonic() - started
    acknowledged = writers.acknowledged()
    failures = writers.failures()
    collided = [line for line in failures if "duplicate key" in line or "Unique" in line]
    agreements = ks_agreements(pg_ledger)
    found = chain(pg_ledger)
    figures(
        engine="postgresql",
        lock="none",
        writers=WRITERS,
        ops_per_writer=OPS_PER_WRITER,
        acknowledged=len(acknowledged),
        failed=len(failures),
        collided=len(collided),
        lost=len(set(acknowledged) - set(agreements)),
        forks=found["forks"],
        duration_s=round(seconds, 1),
    )

    assert codes == [0] * WRITERS
    assert collided, "writers without the lock no longer collide: the test proves nothing"
    assert len(acknowledged) + len(failures) == WRITERS * OPS_PER_WRITER
    assert set(acknowledged) <= set(agreements)
    assert found["forks"] == 0 and found["chain_breaks"] == 0
    assert found["entries_without_rows"] == 0  # a failed operation left nothing behind


# --- a long reader while writers write -----------------------------------------------------


def _snapshot(sql: Any) -> dict[str, int]:
    """What a reader sees: counts, and agreements not signed by both (never, if each
    operation is seen whole)."""

    def one(query: str) -> int:
        return int(next(iter(sql(query)))[0])

    return {
        "entries": one("SELECT count(*) FROM entry"),
        "agreements": one("SELECT count(*) FROM agreement"),
        "signatures": one("SELECT count(*) FROM signature"),
        "half_signed": one(
            "SELECT count(*) FROM agreement a WHERE (SELECT count(*) FROM signature s "
            "WHERE s.agreement_id = a.id) <> 2"
        ),
    }


def test_a_long_read_sees_one_snapshot_and_holds_up_no_writer(
    pg_ledger: str, tmp_path: Path, figures
) -> None:
    writers = PgWriters(pg_ledger, tmp_path, ops=0)
    try:
        writers.start_all(WRITERS)
        wait_until(lambda: len(writers.acknowledged()) >= WRITERS, "the writers under way")
        # A reader as every ks read command opens one: read-only, REPEATABLE READ.
        with db.reader(ServerLedger(pg_ledger)) as conn:
            sql = db.runner(conn)
            first = _snapshot(sql)
            rows = list(sql("SELECT seq, hash FROM entry ORDER BY seq"))
            acknowledged_at_begin = len(writers.acknowledged())
            meanwhile = ks(pg_ledger, "list", "--format", "json")
            time.sleep(READ_HOLD_SECONDS)
            acknowledged_while_held = len(writers.acknowledged()) - acknowledged_at_begin
            still = _snapshot(sql)
            rows_still = list(sql("SELECT seq, hash FROM entry ORDER BY seq"))
        time.sleep(0.5)  # and a few writes after the reader has gone
        codes = writers.stop()
    finally:
        writers.kill_all()
    acknowledged = writers.acknowledged()
    failures = writers.failures()
    agreements = ks_agreements(pg_ledger)
    found = chain(pg_ledger)
    figures(
        engine="postgresql",
        writers=WRITERS,
        read_hold_s=READ_HOLD_SECONDS,
        acknowledged_while_read_held=acknowledged_while_held,
        entries_seen_by_reader=first["entries"],
        entries_at_end=found["entries"],
        acknowledged=len(acknowledged),
        failed=len(failures),
        busy=len(locked(failures)),
        lost=len(set(acknowledged) - set(agreements)),
        forks=found["forks"],
    )

    assert codes == [0] * WRITERS, writers.stderr_lines()[-5:]
    assert failures == [], failures[:5]
    assert acknowledged_while_held > 0  # the writers did not wait for the reader
    assert still == first and rows_still == rows  # and the reader kept one snapshot,
    assert first["half_signed"] == 0  # in which every operation is whole
    assert found["entries"] > first["entries"]
    assert meanwhile.returncode == 0, meanwhile.stderr  # a ks read amid the writes
    assert half_recorded({r["key"]: r for r in json.loads(meanwhile.stdout)}) == []
    assert set(acknowledged) <= set(agreements)
    assert half_recorded(agreements) == []
    assert_sound(found, len(agreements))


# --- kill -9 -------------------------------------------------------------------------------


def test_kill_9_loses_no_acknowledged_write(pg_ledger: str, tmp_path: Path, figures) -> None:
    seed = int(os.environ.get("KS_RELIABILITY_SEED", time.time_ns() % 1_000_000))
    rng = random.Random(seed)
    writers = PgWriters(pg_ledger, tmp_path, ops=0, barrier=False)
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
            # random point of its cycle: holding the lock mid-transaction, mid-commit, between
            # the commit and its acknowledgement, or between operations.
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
    agreements = ks_agreements(pg_ledger)
    lost = sorted(set(acknowledged) - set(agreements))
    half = half_recorded(agreements)
    found = chain(pg_ledger)
    print(f"\n{len(lost)} lost of {len(acknowledged)} acknowledged across {kills} kills")
    figures(
        engine="postgresql",
        writers=KILL_WRITERS,
        kills=kills,
        seed=seed,
        acknowledged=len(acknowledged),
        lost=len(lost),
        committed_unacknowledged=len(set(agreements) - set(acknowledged)),
        half_recorded=len(half),
        entries_without_rows=found["entries_without_rows"],
        failed=len(failures),
        busy=len(locked(failures)),
        forks=found["forks"],
        chain_breaks=found["chain_breaks"],
        duration_s=round(seconds, 1),
        ops_per_s=round(len(agreements) / seconds, 1),
    )

    assert kills >= KILLS
    assert len(acknowledged) > kills  # every incarnation killed had written
    assert codes == [0] * KILL_WRITERS, writers.stderr_lines()[-5:]
    assert failures == [], failures[:5]
    assert not [line for line in writers.stderr_lines() if "Traceback" in line]
    assert lost == [], f"{len(lost)} lost of {len(acknowledged)} acknowledged: {lost[:5]}"
    assert half == [], half[:5]
    assert_sound(found, len(agreements))
    assert advisory_locks(pg_ledger) == 0  # a killed writer's lock went with its session
    assert verified(pg_ledger) in (None, True)


# --- several staff signing at once (tests/test_concurrency.py) -------------------------------


@pytest.mark.parametrize(
    "setup",
    [_setup_one_pks_of_eight_agencies, _setup_eight_ksb],
    ids=["one-pks-eight-agencies", "eight-ksb"],
)
def test_eight_signatures_at_once_all_land(pg_ledger: str, run_ks: RunKs, setup) -> None:
    sides = setup(ServerLedger(pg_ledger))
    entries_before = len(assert_chain_unbroken(pg_ledger))
    env = {**os.environ, "KS_DB": pg_ledger, "NO_COLOR": "1"}
    env.pop("KS_DEBUG", None)

    processes = [
        subprocess.Popen(
            [
                *ks_executable(),
                *("sign", key, "--party", party, "--date", f"2022-08-{i + 1:02d}"),
                *("--signatory", f"Penandatangan {i}", "--place", "Surabaya"),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**env, "KS_BY": f"worker-{i}"},
        )
        for i, (key, party) in enumerate(sides)
    ]
    outputs = [p.communicate(timeout=120) for p in processes]
    results = [(p.returncode, out, err) for p, (out, err) in zip(processes, outputs, strict=True)]

    for code, _out, err in results:
        assert code == 0, err
        assert "busy" not in err.lower() and "Traceback" not in err, err
    in_force = [err for _code, _out, err in results if "now in force" in err]
    assert len(in_force) == (1 if len({key for key, _ in sides}) == 1 else 0)
    ks_on = _on(run_ks, pg_ledger)
    for i, (key, party) in enumerate(sides):
        detail = json.loads(ks_on("show", key, "--format", "json", check=True).stdout)
        signed = {
            (s["signed_on"], s["signatory"], s["place"])
            for s in detail["parties"]
            if s["signed_on"] is not None
        }
        assert (f"2022-08-{i + 1:02d}", f"Penandatangan {i}", "Surabaya") in signed, party
    new = assert_chain_unbroken(pg_ledger)[entries_before:]
    assert [e[3] for e in new] == ["signature.add"] * WORKERS
    assert sorted(e[2] for e in new) == [f"worker-{i}" for i in range(WORKERS)]
