"""The power cut itself: put a directory back to what a disk would hold after losing power.

Run after every process that wrote under shim.so has been killed (SIGKILL: no atexit, no
close). Reads the shim's undo logs and, for the tracked directory:

- names (created, linked, renamed, unlinked) not followed by an fsync of their directory
  are taken back, newest first;
- bytes and sizes not followed by an fsync/fdatasync of their file are taken back
  ("drop": all of them, a page cache that vanished), or each unsynced 4 KiB page is
  independently either kept at its newest content or taken back, and the size either
  kept or taken back ("reorder": a page cache written back in any order, cut part way);
  "keep" takes nothing back (what kill -9 alone leaves).

Synced bytes and names are never touched. Usage (the test suite imports `power_cut`):

    python recover.py DIR LOGS GRAVE [drop|reorder|keep] [SEED]
"""

from __future__ import annotations

import json
import os
import random
import struct
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

HEADER = struct.Struct("<4sc3xQQQqqQ")  # struct record in shim.c
PAGE = 4096
MODES = ("drop", "reorder", "keep")


@dataclass
class Record:
    type: str
    t: int
    dev: int
    ino: int
    off: int
    old_size: int
    payload: bytes

    @property
    def paths(self) -> list[str]:
        return [p.decode() for p in self.payload.split(b"\0")[:-1]]


def read_logs(logs: Path) -> list[Record]:
    """Every complete record of every process, in time order (a killed process may have
    left a short last record: its write had not happened yet, so it is dropped)."""
    records = []
    for log in sorted(logs.glob("*.log")):
        data = log.read_bytes()
        at = 0
        while at + HEADER.size <= len(data):
            magic, kind, t, dev, ino, off, old_size, length = HEADER.unpack_from(data, at)
            if magic != b"PLR1":
                raise ValueError(f"{log}: not a shim record at byte {at}")
            end = at + HEADER.size + length
            if end > len(data):
                break
            payload = data[at + HEADER.size : end]
            records.append(Record(kind.decode(), t, dev, ino, off, old_size, payload))
            at = end
    records.sort(key=lambda r: r.t)
    return records


def _durable_name(record: Record, dir_synced: dict[str, int]) -> bool:
    """A name change is durable once every directory it changed has been fsynced since."""
    paths = record.paths
    changed = {"C": paths[:1], "L": paths[1:2], "U": paths[:1], "R": paths[:2]}[record.type]
    return all(dir_synced.get(os.path.dirname(p), -1) > record.t for p in changed)


def _undo_name(record: Record) -> None:
    paths = record.paths
    if record.type == "C":  # a file created: it was never there
        _remove(paths[0])
    elif record.type == "L":  # src linked as dst: dst was never there
        _remove(paths[1])
    elif record.type == "U":  # unlinked: back from the grave, if it was kept
        path, kept = paths[0], paths[1]
        if kept and not os.path.lexists(path):
            os.link(kept, path)
    elif record.type == "R":  # src renamed over dst: src again, and dst's old file back
        src, dst, kept = paths[0], paths[1], paths[2]
        if os.path.lexists(dst):
            os.rename(dst, src)
        if kept:
            os.link(kept, dst)


def _remove(path: str) -> None:
    if os.path.lexists(path):
        os.unlink(path)


def _synced_content(current: bytes, pending: list[Record]) -> bytearray:
    """The file as of its last fsync: its pending pre-images applied newest first, so the
    oldest one of each byte wins, then cut to the size it had before the first of them."""
    content = bytearray(current)
    for record in reversed(pending):
        end = record.off + len(record.payload)
        if len(content) < end:
            content.extend(b"\0" * (end - len(content)))
        content[record.off : end] = record.payload
    del content[pending[0].old_size :]
    if len(content) < pending[0].old_size:
        content.extend(b"\0" * (pending[0].old_size - len(content)))
    return content


def _reordered(synced: bytearray, current: bytes, rng: random.Random) -> bytes:
    """Each page from either the synced or the current file; the size from either."""
    size = rng.choice([len(synced), len(current)])
    pages = []
    for start in range(0, size, PAGE):
        source = synced if rng.random() < 0.5 else current
        page = bytes(source[start : start + PAGE])
        pages.append(page + b"\0" * (min(PAGE, size - start) - len(page)))
    return b"".join(pages)


def power_cut(
    directory: Path, logs: Path, grave: Path, mode: str = "drop", seed: int = 0
) -> dict[str, int]:
    """Take back what was not synced; how many names, files and pages were taken back."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}")
    rng = random.Random(seed)
    records = read_logs(logs)
    taken = {"records": len(records), "names_undone": 0, "files_rewound": 0, "pages_changed": 0}
    if mode == "keep":
        return taken

    dir_synced: dict[str, int] = {}
    file_synced: dict[tuple[int, int], int] = {}
    for record in records:
        if record.type == "D":
            dir_synced[record.paths[0]] = record.t
        elif record.type == "S":
            file_synced[(record.dev, record.ino)] = record.t

    for record in reversed([r for r in records if r.type in "CLUR"]):
        if not _durable_name(record, dir_synced):
            _undo_name(record)
            taken["names_undone"] += 1

    pending: dict[tuple[int, int], list[Record]] = defaultdict(list)
    for record in records:
        inode = (record.dev, record.ino)
        if record.type in "WT" and record.t > file_synced.get(inode, -1):
            pending[inode].append(record)
    where: dict[tuple[int, int], Path] = {}
    for found in directory.rglob("*"):
        if found.is_file() and not found.is_symlink():
            st = found.stat()
            where[(st.st_dev, st.st_ino)] = found
    for inode, changes in pending.items():
        if inode not in where:  # gone for good (its unlink was synced), or never had a name
            continue
        path = where[inode]
        current = path.read_bytes()
        synced = _synced_content(current, changes)
        result = bytes(synced) if mode == "drop" else _reordered(synced, current, rng)
        if result != current:
            with open(path, "r+b") as out:
                out.write(result)
                out.truncate(len(result))
            taken["files_rewound"] += 1
            taken["pages_changed"] += sum(
                result[at : at + PAGE] != current[at : at + PAGE]
                for at in range(0, max(len(result), len(current)), PAGE)
            )
    return taken


if __name__ == "__main__":
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    mode = sys.argv[4] if len(sys.argv) > 4 else "drop"
    seed = int(sys.argv[5]) if len(sys.argv) > 5 else 0
    print(
        json.dumps(power_cut(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), mode, seed))
    )
