"""Power loss, simulated: a power cut takes what was not fsynced, never an acknowledged write.

kill -9 leaves the kernel's page cache in place, so it says nothing about a machine that
loses power. Here the writers are real `ks` commands (add-agreement, sign) running under
an LD_PRELOAD shim (scripts/powerloss/shim.c) that logs, before each write to a file in
the ledger's folder, the bytes it overwrites. When the power goes, every `ks` still running
is killed with SIGKILL and scripts/powerloss/recover.py takes back everything that had
not been fsynced, as a disk would after losing power: the bytes of each file since its last
fsync, and the names (created, linked, unlinked) since the folder's last fsync. "drop" takes
back all of it; "reorder" keeps a random half of the unsynced pages (a page cache written
back in any order, cut part way). Then the ledger is opened without the shim: every
acknowledged agreement and signature must be there, and `ks verify` must find nothing.

A write is acknowledged when its `ks` command exited 0 before the cut. The negative control
runs the same writers with PRAGMA synchronous=OFF (a sitecustomize module on the writers'
PYTHONPATH, nothing a user can set) and must lose acknowledged writes: otherwise the
simulation could not see a loss and the figures above it would mean nothing.

Short by default; `KS_RELIABILITY=long` (scripts/reliability.sh) gives the full sizes.
"""

from __future__ import annotations

import fcntl
import importlib.util
import json
import os
import random
import shutil
import signal
import struct
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from tests import test_reliability
from tests.conftest import ks_executable

from kerjasama_cli import db

LONG = os.environ.get("KS_RELIABILITY", "").lower() == "long"
CUTS = 25 if LONG else 2
CONTROL_CUTS = 5 if LONG else 1
WRITERS = 3
# How long the writers go on after the first command has returned; then the power goes.
WRITE_SECONDS = (0.0, 3.0 if LONG else 1.5)
POWERLOSS = Path(__file__).resolve().parents[1] / "scripts" / "powerloss"
PROVINCES = {"kaltim": "64", "jatim": "35"}  # region alias -> province code in `ks list`

EXT4_IOC_SHUTDOWN = 0x8004587D  # _IOR('X', 125, __u32)
EXT4_GOING_FLAGS_NOLOGFLUSH = 2  # stop now, without committing the journal
KERNEL = os.environ.get("KS_POWERLOSS_KERNEL") == "1"  # opt-in: mounts a file system

KEY = test_reliability.KEY
figures = test_reliability.figures  # the fixture: figures printed and collected alike

Ack = tuple[str, ...]  # ("agreement", key) or ("signature", key, province code)

UNSYNCED = textwrap.dedent(
    """
    # The negative control only: every writing connection with PRAGMA synchronous=OFF.
    from kerjasama_cli import db

    _pragmas = db._writing_pragmas

    def _unsynced(conn):
        _pragmas(conn)
        conn.execute("PRAGMA synchronous = OFF")

    db._writing_pragmas = _unsynced
    """
)


def _load_recover() -> ModuleType:
    spec = importlib.util.spec_from_file_location("powerloss_recover", POWERLOSS / "recover.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


recover = _load_recover()


@pytest.fixture(scope="module")
def shim(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """scripts/powerloss/shim.c, built for this run."""
    if not sys.platform.startswith("linux"):
        pytest.skip("the power-loss shim needs Linux (LD_PRELOAD and /proc)")
    compiler = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        pytest.skip("no C compiler (cc or gcc) to build scripts/powerloss/shim.c")
    built = tmp_path_factory.mktemp("shim") / "shim.so"
    subprocess.run(
        [compiler, "-shared", "-fPIC", "-O2", "-o", str(built), str(POWERLOSS / "shim.c"), "-ldl"],
        check=True,
        capture_output=True,
    )
    return built


@dataclass
class Ext4:
    """An ext4 file system in a loop device, whose power can be cut: EXT4_IOC_SHUTDOWN with
    NOLOGFLUSH stops it at once and drops what its journal has not committed (xfstests'
    `godown`); mounting it again replays the journal, as booting after a power cut would."""

    image: Path
    mountpoint: Path

    def mount(self) -> None:
        subprocess.run(
            ["mount", "-o", "loop", str(self.image), str(self.mountpoint)],
            check=True,
            capture_output=True,
        )

    def unmount(self) -> None:
        subprocess.run(["umount", str(self.mountpoint)], check=True, capture_output=True)

    def cut(self) -> None:
        fd = os.open(self.mountpoint, os.O_RDONLY)
        try:
            fcntl.ioctl(fd, EXT4_IOC_SHUTDOWN, struct.pack("I", EXT4_GOING_FLAGS_NOLOGFLUSH))
        finally:
            os.close(fd)


@dataclass
class Machine:
    """A folder holding a ledger, and `ks` commands writing to it until the power goes:
    under the shim (mode "drop" or "reorder"), or on an ext4 disk of its own (`disk`)."""

    shim: Path | None
    workdir: Path
    mode: str = "drop"
    disk: Ext4 | None = None
    synchronous: str | None = None  # the negative control's PRAGMA
    seed: int = 0
    acknowledged: set[Ack] = field(default_factory=set)
    unsigned: list[tuple[str, str]] = field(default_factory=list)  # (key, region) to sign
    failures: list[str] = field(default_factory=list)
    cuts: int = 0
    killed: int = 0
    taken_back: dict[str, int] = field(default_factory=dict)
    titles: int = 0

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        for folder in (self.folder, self.grave, self.site):
            folder.mkdir(parents=True, exist_ok=True)
        if self.synchronous:
            (self.site / "sitecustomize.py").write_text(
                UNSYNCED.replace("OFF", self.synchronous), encoding="utf-8"
            )

    @property
    def folder(self) -> Path:
        return (self.disk.mountpoint if self.disk else self.workdir) / "folder"

    @property
    def ledger(self) -> Path:
        return self.folder / "ledger.sqlite"

    @property
    def grave(self) -> Path:
        return self.workdir / "grave"

    @property
    def site(self) -> Path:
        return self.workdir / "site"

    def logs(self) -> Path:
        return self.workdir / f"logs-{self.cuts}"

    def env(self, shimmed: bool) -> dict[str, str]:
        env = {**os.environ, "KS_DB": str(self.ledger), "NO_COLOR": "1"}
        for name in ("KS_DEBUG", "LD_PRELOAD", "PYTHONPATH"):
            env.pop(name, None)
        if shimmed and self.shim:
            env.update(
                LD_PRELOAD=str(self.shim),
                KS_POWERLOSS_DIR=str(self.folder),
                KS_POWERLOSS_LOG=str(self.logs()),
                KS_POWERLOSS_GRAVE=str(self.grave),
            )
        if shimmed and self.synchronous:
            env["PYTHONPATH"] = str(self.site)
        return env

    def next_command(self) -> tuple[list[str], Ack]:
        """Sign a side of an acknowledged agreement, or record a new one."""
        if self.unsigned and self.rng.random() < 0.6:
            key, region = self.unsigned.pop(self.rng.randrange(len(self.unsigned)))
            args = ["sign", key, "--party", region, "--date", "2022-08-11", "--place", "Surabaya"]
            return args, ("signature", key, PROVINCES[region])
        self.titles += 1
        title = f"Kerja Sama Uji Pemadaman {self.titles}"
        args = ["add-agreement", "--kind", "ksb", "--title", title, "--party", "kaltim"]
        args += ["--party", "jatim", "--date", "28 Juli 2022", "--place", "Samarinda"]
        return args, ("agreement",)

    def write_until_cut(self, seconds: float, writers: int = WRITERS) -> None:
        """`writers` commands at a time until `seconds` after the first one returned, then
        the power goes."""
        self.logs().mkdir()
        env = self.env(shimmed=True)
        running: list[tuple[subprocess.Popen[str], Ack]] = []

        def start() -> None:
            args, ack = self.next_command()
            process = subprocess.Popen(
                [*ks_executable(), *args],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=env,
            )
            running.append((process, ack))

        deadline = None  # counted from the first command to return: writers under way
        for _ in range(writers):
            start()
        while deadline is None or time.monotonic() < deadline:
            for item in [item for item in running if item[0].poll() is not None]:
                running.remove(item)
                self.settle(*item)
                start()
                deadline = deadline or time.monotonic() + seconds
            time.sleep(0.01)
        if self.disk:
            self.disk.cut()  # from here on nothing reaches the disk
        for process, _ in running:  # the cut: whatever has not returned never will
            if process.poll() is None:
                os.kill(process.pid, signal.SIGKILL)
        for item in running:
            self.settle(*item)
        if self.disk:
            self.disk.unmount()
            self.disk.mount()
        else:
            taken = recover.power_cut(
                self.folder, self.logs(), self.grave, self.mode, self.rng.randrange(2**32)
            )
            for name, count in taken.items():
                self.taken_back[name] = self.taken_back.get(name, 0) + count
        self.cuts += 1

    def settle(self, process: subprocess.Popen[str], ack: Ack) -> None:
        """Count a finished (or killed) command: acknowledged only if it exited 0 itself."""
        out, err = process.communicate()
        if process.returncode == -signal.SIGKILL:
            self.killed += 1
        elif process.returncode != 0:
            self.failures.append(err.strip())
        elif ack[0] == "agreement":
            key = out.strip().splitlines()[0]
            assert KEY.match(key), out
            self.acknowledged.add(("agreement", key))
            self.unsigned += [(key, region) for region in PROVINCES]
        else:
            self.acknowledged.add(ack)

    def found(self) -> tuple[set[Ack], dict[str, Any] | None]:
        """What the ledger holds now, opened normally; and `ks verify`'s report (None if
        there is no ledger at all)."""
        if not self.ledger.exists():
            return set(), None
        env = self.env(shimmed=False)
        listing, checking = (
            subprocess.Popen(
                [*ks_executable(), *args],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=env,
            )
            for args in (["list", "--format", "json"], ["verify", "--format", "json"])
        )
        rows, listing_err = listing.communicate(timeout=300)
        report, checking_err = checking.communicate(timeout=300)
        assert listing.returncode == 0, listing_err
        assert report, checking_err
        present: set[Ack] = set()
        for row in json.loads(rows):
            present.add(("agreement", row["key"]))
            present |= {
                ("signature", row["key"], side["province"])
                for side in row["parties"]
                if side["signed_on"]
            }
        return present, json.loads(report)


@dataclass
class Outcome:
    lost: set[Ack] = field(default_factory=set)
    verify_problems: list[str] = field(default_factory=list)
    ledger_gone: int = 0
    unacknowledged_present: int = 0


def cut_repeatedly(machine: Machine, cuts: int) -> Outcome:
    """Write, cut the power, look: `cuts` times on the same ledger (made beforehand,
    synced: a new ledger's first write has a test of its own)."""
    db.write(machine.ledger, lambda sql: None)
    outcome = Outcome()
    for _ in range(cuts):
        machine.write_until_cut(machine.rng.uniform(*WRITE_SECONDS))
        present, report = machine.found()
        outcome.lost |= machine.acknowledged - present
        # Sign only what is there (in the control, lost agreements cannot be signed).
        machine.unsigned = [s for s in machine.unsigned if ("agreement", s[0]) in present]
        outcome.unacknowledged_present = len(present - machine.acknowledged)
        if report is None:
            outcome.ledger_gone += 1
        else:
            outcome.verify_problems += report["problems"]
    return outcome


def seed() -> int:
    return int(os.environ.get("KS_RELIABILITY_SEED", time.time_ns() % 1_000_000))


def report_figures(emit: Any, machine: Machine, outcome: Outcome, started: float) -> None:
    emit(
        mode=machine.mode,
        synchronous=machine.synchronous or "FULL",
        cuts=machine.cuts,
        writers=WRITERS,
        killed_in_flight=machine.killed,
        acknowledged=len(machine.acknowledged),
        acknowledged_signatures=sum(ack[0] == "signature" for ack in machine.acknowledged),
        lost=len(outcome.lost),
        verify_problems=len(outcome.verify_problems),
        ledger_gone=outcome.ledger_gone,
        committed_unacknowledged=outcome.unacknowledged_present,
        failed=len(machine.failures),
        # What the shim's power cuts took back (the ext4 disk does not say).
        names_taken_back=machine.taken_back.get("names_undone", "-"),
        pages_taken_back=machine.taken_back.get("pages_changed", "-"),
        seed=machine.seed,
        duration_s=round(time.monotonic() - started, 1),
    )


@pytest.fixture
def ext4(tmp_path: Path) -> Iterator[Ext4]:
    """An ext4 disk of the test's own, mounted (opt-in: KS_POWERLOSS_KERNEL=1, as root)."""
    if not KERNEL:
        pytest.skip("mounts a file system: opt in with KS_POWERLOSS_KERNEL=1 (reliability.sh)")
    if os.geteuid() != 0 or not shutil.which("mkfs.ext4"):
        pytest.skip("an ext4 disk in a loop device needs root and mkfs.ext4")
    disk = Ext4(tmp_path / "disk.img", tmp_path / "disk")
    disk.mountpoint.mkdir()
    with open(disk.image, "wb") as image:
        image.truncate(256 * 1024 * 1024)
    subprocess.run(["mkfs.ext4", "-q", "-F", str(disk.image)], check=True, capture_output=True)
    try:
        disk.mount()
    except subprocess.CalledProcessError as exc:
        pytest.skip(f"cannot mount a loop device here: {exc.stderr.strip()}")
    try:
        yield disk
    finally:
        subprocess.run(["umount", str(disk.mountpoint)], capture_output=True)


def first_write_then_cut(machine: Machine) -> None:
    # Kaltim records the first agreement, the command says so, and the power goes at once.
    # The ledger was made in a private file and linked into place: unless the folder is
    # fsynced after the link, the name may not survive, and the acknowledged KSB with it.
    machine.logs().mkdir()
    args, _ = machine.next_command()
    result = subprocess.run(
        [*ks_executable(), *args], capture_output=True, text=True, env=machine.env(shimmed=True)
    )
    assert result.returncode == 0, result.stderr
    key = result.stdout.strip()
    if machine.disk:
        machine.disk.cut()
        machine.disk.unmount()
        machine.disk.mount()
    else:
        taken = recover.power_cut(machine.folder, machine.logs(), machine.grave, "drop")
        assert taken["records"] > 0  # the shim saw the ledger being written

    present, report = machine.found()
    assert ("agreement", key) in present, f"{key} was acknowledged, then lost with the power"
    assert report is not None and report["ok"], report


def test_a_new_ledger_survives_a_power_cut_right_after_its_first_write(
    shim: Path, tmp_path: Path
) -> None:
    first_write_then_cut(Machine(shim, tmp_path))


def test_ext4_a_new_ledger_survives_a_power_cut_right_after_its_first_write(
    ext4: Ext4, tmp_path: Path
) -> None:
    first_write_then_cut(Machine(None, tmp_path, mode="ext4", disk=ext4))


@pytest.mark.parametrize(
    "mode",
    [
        "drop",
        # With FULL there is rarely an unsynced page to reorder: long runs only.
        pytest.param("reorder", marks=pytest.mark.skipif(not LONG, reason="KS_RELIABILITY=long")),
    ],
)
def test_power_cuts_lose_no_acknowledged_write(
    shim: Path, tmp_path: Path, mode: str, figures: Any
) -> None:
    started = time.monotonic()
    machine = Machine(shim, tmp_path, mode=mode, seed=seed())
    outcome = cut_repeatedly(machine, CUTS)
    report_figures(figures, machine, outcome, started)

    assert machine.cuts == CUTS
    assert len(machine.acknowledged) >= CUTS  # the writers got work done between the cuts
    assert machine.killed > 0  # and some were cut off mid-command
    assert machine.taken_back["records"] > 0
    assert machine.failures == [], machine.failures[:3]
    assert outcome.lost == set(), f"{len(outcome.lost)} acknowledged writes lost"
    assert outcome.ledger_gone == 0
    assert outcome.verify_problems == [], outcome.verify_problems[:3]


def test_negative_control_synchronous_off_does_lose_acknowledged_writes(
    shim: Path, tmp_path: Path, figures: Any
) -> None:
    # The same writers without fsync: if this stopped losing acknowledged writes, the
    # simulation could no longer see a loss and the test above would prove nothing.
    started = time.monotonic()
    machine = Machine(shim, tmp_path, mode="drop", synchronous="OFF", seed=seed())
    outcome = cut_repeatedly(machine, CONTROL_CUTS)
    report_figures(figures, machine, outcome, started)

    assert len(machine.acknowledged) > 0
    assert outcome.lost, "synchronous=OFF lost nothing: the power cut is not being simulated"


def test_ext4_power_cuts_lose_no_acknowledged_write(
    ext4: Ext4, tmp_path: Path, figures: Any
) -> None:
    started = time.monotonic()
    machine = Machine(None, tmp_path, mode="ext4", disk=ext4, seed=seed())
    outcome = cut_repeatedly(machine, CUTS)
    report_figures(figures, machine, outcome, started)

    assert machine.cuts == CUTS
    assert len(machine.acknowledged) >= CUTS
    assert machine.killed > 0
    assert machine.failures == [], machine.failures[:3]
    assert outcome.lost == set(), f"{len(outcome.lost)} acknowledged writes lost"
    assert outcome.ledger_gone == 0
    assert outcome.verify_problems == [], outcome.verify_problems[:3]


def test_ext4_negative_control_synchronous_off_does_lose_acknowledged_writes(
    ext4: Ext4, tmp_path: Path, figures: Any
) -> None:
    started = time.monotonic()
    machine = Machine(None, tmp_path, mode="ext4", disk=ext4, synchronous="OFF", seed=seed())
    outcome = cut_repeatedly(machine, CONTROL_CUTS)
    report_figures(figures, machine, outcome, started)

    assert len(machine.acknowledged) > 0
    assert outcome.lost, "synchronous=OFF lost nothing: the power cut is not being simulated"
