#!/usr/bin/env python3
"""Benchmark of `ks` start-up, pending, db status, report, check and verify on synthetic ledgers.

    python3 bench/bench.py [--sizes 1000,1000000] [--repeat 5] [--out-dir bench/out]

Builds (or reuses) synthetic ledgers of N agreements, then times fresh processes side by side,
interleaved, against baselines measured in the same run, and prints medians, ratios, targets and
peak RSS. See bench/README.md for what is measured and how the data is shaped.

Peak RSS comes from GNU time (`/usr/bin/time -f %M`) wrapped around every measured process,
baselines included, so the wrapper's fork+exec (about 1 ms, reported) is in every figure alike.
Why not wait4 here: Linux reports a child spawned by this (vfork-based) posix_spawn with at least
this process's own peak RSS. This process imports only the standard library; the ledger build,
SQL extraction and JSON parsing run in child processes (the `_build`, `_sql`, `_report-sql` and
`_count-json` modes below, with the project's virtualenv Python).
"""

from __future__ import annotations

import argparse
import errno
import fcntl
import heapq
import json
import os
import platform
import re
import resource
import shlex
import sqlite3
import statistics
import struct
import subprocess
import sys
import termios
import time
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO / "bench" / "out"
DEFAULT_VENV = REPO / ".venv"
SQLITE_SHELL = Path("/usr/bin/sqlite3")
GNU_TIME = Path("/usr/bin/time")
PROVINCE = "jatim"
SMALL_LIMIT = 10_000  # ledgers up to this size are compared with baseline A, larger ones with B
TTY_SIZE = (50, 120)  # rows, columns of the pseudo-terminal

# Bump when the generated data changes shape: cached ledgers are keyed by it and the schema head.
GENERATOR_VERSION = 6
SEED = 2022_07_28

TARGETS = {
    "help": 8.0,  # ks --help, x A
    "pending_tty_small": 10.0,  # x A
    "pending_json_large": 2.0,  # x B
    "pending_tty_large": 3.0,  # x B
    "report_large": 3.0,  # ks report --format md / html, x C
    "complete": 2.0,  # shell completion (one Tab), x ks --help
    "help_id": 1.1,  # ks --help in Indonesian, x ks --help in English: start-up must not grow
    "pg_pending_large": 1.5,  # ks pending --format json on PostgreSQL, x D (psql)
    "pg_report_large": 2.0,  # ks report on PostgreSQL, x E (psql)
    "pg_cold_small": 10.0,  # cold ks pending on a small shared ledger, x A
}
PSQL = Path("/usr/bin/psql")
MD_ALIGNMENT_ROW = re.compile(r"^\|(:?-+:?\|)+\s*$")
CATALOG_TARGET_MS = 5.0  # loading the Indonesian catalog, in one process
CATALOG_ROUNDS = 200
# What the completion rows complete: `ks pending --province ja<Tab>`, `ks sign ksb-2022<Tab>`
# (a lower-case key prefix: matched in any case) and `ks sign KEY --party kom<Tab>`.
COMPLETE_PROVINCE = ("pending", "--province", "ja")
COMPLETE_KEY = ("sign", "ksb-2022")
COMPLETE_PARTY = ("sign", "KSB-2022-0001", "--party", "kom")
MAX_COMPLETIONS = 200  # kerjasama_cli.cli.completion.MAX_COMPLETIONS
RSS_TARGET_MIB = 200.0
REPORT_RSS_TARGET_MIB = 500.0  # ks report on large ledgers holds its sections in memory
REPORT_SINCE_DAYS = 7  # ks report --since: the week before the as-of date


# =============================================================================================
# Child mode: build a synthetic ledger (run with the venv's Python; imports the project)
# =============================================================================================

STAFF = ("siti.rahma", "budi.santoso", "dewi.lestari")
TOPICS = (
    "pengelolaan sampah regional",
    "pembangunan jalan penghubung antarwilayah",
    "pengembangan pariwisata terpadu",
    "penyediaan air minum",
    "pengendalian banjir daerah aliran sungai",
    "pertukaran data kependudukan",
    "peningkatan kapasitas aparatur",
    "transportasi umum antarkota",
    "ketahanan pangan dan distribusi beras",
    "pelayanan kesehatan rujukan",
    "pengembangan kawasan industri",
    "pendidikan vokasi",
    "penanggulangan bencana",
    "jaringan komunikasi pemerintah",
    "promosi investasi daerah",
    "pengelolaan perbatasan wilayah",
)
PROVINCE_AGENCIES = (  # (name prefix, alias prefix, signatory title)
    ("Dinas Komunikasi dan Informatika", "kominfo", "Kepala Dinas"),
    ("Badan Perencanaan Pembangunan Daerah", "bappeda", "Kepala Badan"),
    ("Dinas Pekerjaan Umum dan Penataan Ruang", "pupr", "Kepala Dinas"),
    ("Dinas Perhubungan", "dishub", "Kepala Dinas"),
)
REGENCY_AGENCIES = (  # for the first two regencies/cities of each province
    ("Dinas Pariwisata", "Kepala Dinas"),
    ("Dinas Lingkungan Hidup", "Kepala Dinas"),
)
FULLY_SIGNED = 0.60
HANDOVER_IF_PARTLY_SIGNED = 0.50
HANDOVER_IF_FULLY_SIGNED = 0.25
SIGN_WITHIN_DAYS = 120
HAND_OVER_WITHIN_DAYS = 180
VOID_SIGNATURE = 0.005  # voided some days later, then signed again (so the side stays signed)
VOID_HANDOVER = 0.01  # voided some days later; half of those (partly signed only) handed over again
HAND_OVER_AGAIN = 0.5
VOID_WITHIN_DAYS = 14
VOID_REASONS = (
    "salah tanggal penandatanganan",
    "dicatat pada pihak yang keliru",
    "naskah asli belum diterima",
    "salah penerima berkas",
)
# Terms (schema 0003): a term of years from the start (or the last signature), an explicit end
# date, or none. Agreements are dated over eight years, so on the measurement date some terms
# have ended, some end within 90 days and some run on.
TERM_YEARS = 0.35  # `term_years` 2-5
END_DATE = 0.35  # an end 1-5 years after the start (or the agreement date)
TERMINATE = 0.017  # of the fully signed agreements, i.e. about 1% of all
TERMINATE_WITHIN_DAYS = 900
TERMINATION_REASONS = (
    "kesepakatan para pihak",
    "tujuan kerja sama telah tercapai",
    "perubahan kebijakan daerah",
    "anggaran tidak tersedia",
)
ACTIVE = 0.30  # of the agreements in force on the measurement date: 1-3 activities each
ACTIVITY_WITHIN_DAYS = 730  # ... dated within the last two years
ACTIVITY_BY_PARTY = 0.5  # activities that name the side that carried them out
ACTIVITIES = (
    "rapat koordinasi teknis",
    "penyusunan rencana kerja bersama",
    "pelatihan bersama aparatur",
    "survei lokasi",
    "penyerahan data dan dokumen",
    "monitoring pelaksanaan di lapangan",
)
EVALUATED = 0.05  # of the agreements in force on the measurement date: one evaluation
EVALUATION_WITHIN_DAYS = 365
FINDINGS = (
    "pelaksanaan sesuai rencana kerja",
    "sebagian kegiatan tertunda karena anggaran",
    "manfaat dirasakan masyarakat kedua daerah",
    "koordinasi antarperangkat daerah perlu ditingkatkan",
)
RECOMMENDATIONS = ("continue", "extend", "stop")
RENEWABLE = 0.02  # of the fully signed agreements with a term: may be renewed later ...
RENEW = 0.006  # ... by this share of new agreements (`ks renew`: same kind, parent, parties)
RENEW_BEFORE_END_DAYS = 120
FLUSH_ROWS = 50_000

# Queued events, in the order they are recorded within one day.
(
    HANDOVER,
    SIGNATURE,
    VOID,
    SIGN_AGAIN,
    HAND_OVER_AGAIN_EVENT,
    TERMINATE_EVENT,
    ACTIVITY_EVENT,
    EVALUATION_EVENT,
) = range(8)

INSERTS = {
    "entry": "INSERT INTO entry (seq, recorded_at, recorded_by, action, agreement_key, payload, "
    "prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    "party": "INSERT INTO party (id, name, name_key, kind, region_code, signatory_title, "
    "entry_seq) VALUES (?, ?, ?, ?, ?, ?, ?)",
    "party_alias": "INSERT INTO party_alias (alias_key, alias, party_id, entry_seq) "
    "VALUES (?, ?, ?, ?)",
    "agreement": "INSERT INTO agreement (id, key, kind, year, seq, title, parent_id, agreed_on, "
    "place, start_on, end_on, entry_seq, term_years, renews_id) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    "agreement_party": "INSERT INTO agreement_party (agreement_id, party_id, position, number) "
    "VALUES (?, ?, ?, ?)",
    "signature": "INSERT INTO signature (id, agreement_id, party_id, signed_on, place, "
    "signatory, title, number, entry_seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    "handover": "INSERT INTO handover (id, agreement_id, recipient_id, handed_on, place, note, "
    "entry_seq) VALUES (?, ?, ?, ?, ?, ?, ?)",
    "void": "INSERT INTO void (id, target_seq, reason, entry_seq) VALUES (?, ?, ?, ?)",
    "termination": "INSERT INTO termination (id, agreement_id, terminated_on, reason, entry_seq) "
    "VALUES (?, ?, ?, ?, ?)",
    "activity": "INSERT INTO activity (id, agreement_id, party_id, held_on, description, "
    "entry_seq) VALUES (?, ?, ?, ?, ?, ?)",
    "evaluation": "INSERT INTO evaluation (id, agreement_id, evaluated_on, finding, "
    "recommendation, entry_seq) VALUES (?, ?, ?, ?, ?, ?)",
}


def ledger_stamp() -> str:
    from kerjasama_cli import db

    return f"s{db.SCHEMA_HEAD}-g{GENERATOR_VERSION}"


class LedgerBuilder:
    """Generates entries in ledger order, with the rows `events.apply` makes of them.

    Entries are what kerjasama_cli.ledger writes (the same payload keys and ids), serialized
    with events.canonical and chained with events.entry_hash; the rows are their projection
    (schema 0003), loaded in chunks (one transaction overall). Agencies are registered first;
    a region's government is recorded when first used, just before the agreement or handover
    that names it (as ledger.ensure_party does). Signatures, handovers, voids, terminations,
    activities and evaluations are queued by date and recorded when the calendar reaches them,
    so entries interleave across agreements as in a ledger kept day by day, and recorded_at
    never goes backwards.
    """

    def __init__(self, conn: sqlite3.Connection, n: int, today: date) -> None:
        import random

        from kerjasama_cli import events, queries

        self.canonical = events.canonical
        self.entry_hash = events.entry_hash
        self.normalize = queries.normalize
        self.conn = conn
        self.n = n
        self.rng = random.Random(SEED)
        self.today = today.toordinal()
        # The last day anything is recorded: yesterday, so that no recorded_at is in the future
        # (ks stamps entries with the clock). Events drawn after it have not happened yet.
        self.last = self.today - 1
        self.first = date(2019, 1, 1).toordinal()
        self.rows: dict[str, list[tuple[Any, ...]]] = {table: [] for table in INSERTS}
        self.counts = dict.fromkeys(INSERTS, 0)
        self.seq = 0
        self.prev_hash = events.GENESIS_HASH
        self.clock_day = -1
        self.clock_tick = 0
        self.clock_prefix = ""
        self.clock_us = -1
        per_day = 4.0 * n / max(1, self.today - self.first) + 1
        self.tick_us = int(min(20e6, 15 * 3600e6 / per_day))
        self.iso: dict[int, str] = {}
        self.events: list[tuple[Any, ...]] = []
        self.event_counter = 0
        self.ids = dict.fromkeys(
            ("party", "signature", "handover", "void", "termination", "activity", "evaluation"), 0
        )
        self.pending_by_province: dict[str, int] = {}
        self.insert_seconds = 0.0

    # --- helpers --------------------------------------------------------------------------

    def day_iso(self, ordinal: int) -> str:
        text = self.iso.get(ordinal)
        if text is None:
            text = self.iso[ordinal] = date.fromordinal(ordinal).isoformat()
        return text

    def add(self, table: str, row: tuple[Any, ...]) -> None:
        self.rows[table].append(row)

    def next_id(self, table: str) -> int:
        """As events.next_id: max(id) + 1, ids being given in recording order."""
        self.ids[table] += 1
        return self.ids[table]

    def record(self, day: int, action: str, payload: dict[str, Any], key: str | None) -> int:
        """Append one entry (as events.append does) and return its seq."""
        if day != self.clock_day:
            self.clock_day, self.clock_tick, self.clock_prefix = day, 0, self.day_iso(day)
            self.clock_us = -1
        us = 8 * 3600_000_000 + self.clock_tick * self.tick_us
        if us >= 86_400_000_000 - 1_000_000:  # a crowded day: 1 µs apart in its last second
            us = max(self.clock_us + 1, 86_400_000_000 - 1_000_000)
            if us >= 86_400_000_000:
                raise RuntimeError(f"more entries on {self.clock_prefix} than fit in a day")
        self.clock_us = us
        self.clock_tick += 1
        secs, micro = divmod(us, 1_000_000)
        hh, rest = divmod(secs, 3600)
        mm, ss = divmod(rest, 60)
        at = f"{self.clock_prefix}T{hh:02d}:{mm:02d}:{ss:02d}.{micro:06d}Z"
        by = STAFF[self.seq % len(STAFF)]
        self.seq += 1
        text = self.canonical(payload)
        digest = self.entry_hash(self.prev_hash, self.seq, at, by, action, key, text)
        self.add("entry", (self.seq, at, by, action, key, text, self.prev_hash, digest))
        self.prev_hash = digest
        return self.seq

    def flush(self) -> None:
        started = time.perf_counter()
        for table, rows in self.rows.items():
            if rows:
                self.conn.executemany(INSERTS[table], rows)
                self.counts[table] += len(rows)
                rows.clear()
        self.insert_seconds += time.perf_counter() - started

    # --- parties ----------------------------------------------------------------------------

    def parties(self) -> None:
        """All parties that may take part; agencies are registered now, governments on use."""
        from kerjasama_cli import regions

        table = regions.load()
        self.party_name: list[str] = []
        self.party_kind: list[str] = []
        self.party_region: list[str] = []
        self.party_title: list[str] = []
        self.party_aliases: list[list[str]] = []
        self.party_place: list[str] = []
        self.party_gov: list[int] = []  # index of the government of the party's region
        self.party_id: list[int | None] = []  # None until its party.add entry is recorded
        gov_index: dict[str, int] = {}

        def add_party(name: str, kind: str, region: Any, title: str, aliases: list[str]) -> None:
            index = len(self.party_name)
            self.party_name.append(name)
            self.party_kind.append(kind)
            self.party_region.append(region.code)
            self.party_title.append(title)
            self.party_aliases.append(aliases)
            self.party_place.append(region.name.removeprefix("Kabupaten ").removeprefix("Kota "))
            self.party_id.append(None)
            if kind == "government":
                gov_index[region.code] = index
            self.party_gov.append(gov_index[region.code])

        everything = sorted(table.all(), key=lambda r: r.code)
        for region in everything:
            add_party(region.government_name, "government", region, region.head_title, [])
        for province in (r for r in everything if r.level == "provinsi"):
            short = province.aliases[0] if province.aliases else province.code
            for prefix, alias, title in PROVINCE_AGENCIES:
                name = f"{prefix} Provinsi {province.name}"
                add_party(name, "agency", province, title, [f"{alias}-{short}"])
            regencies = sorted(table.in_province(province.code), key=lambda r: r.code)
            for regency in [r for r in regencies if r.level != "provinsi"][:2]:
                for prefix, title in REGENCY_AGENCIES:
                    add_party(f"{prefix} {regency.name}", "agency", regency, title, [])
        self.party_province = [code.split(".", 1)[0] for code in self.party_region]
        for index, kind in enumerate(self.party_kind):  # `ks party add`, before any agreement
            if kind == "agency":
                self.ensure_party(index, self.first - 1)

    def ensure_party(self, index: int, day: int) -> int:
        """The party's id, recording its party.add entry first if it has none yet."""
        party_id = self.party_id[index]
        if party_id is not None:
            return party_id
        party_id = self.party_id[index] = self.next_id("party")
        name, title = self.party_name[index], self.party_title[index]
        payload = {
            "id": party_id,
            "name": name,
            "kind": self.party_kind[index],
            "region": self.party_region[index],
            "aliases": self.party_aliases[index],
            "signatory_title": title,
        }
        seq = self.record(day, "party.add", payload, None)
        region = self.party_region[index]
        self.add(
            "party",
            (party_id, name, self.normalize(name), self.party_kind[index], region, title, seq),
        )
        for alias in self.party_aliases[index]:
            self.add("party_alias", (self.normalize(alias), alias, party_id, seq))
        return party_id

    # --- signatures, handovers, voids ---------------------------------------------------------

    def push(self, day: int, order: int, *event: Any) -> None:
        self.event_counter += 1
        heapq.heappush(self.events, (day, order, self.event_counter, *event))

    def sign(
        self,
        day: int,
        agreement_id: int,
        key: str,
        party: int,
        on: int,
        number: str | None,
        side_number: str | None,
        signatory: str | None,
    ) -> int:
        """Record a signature on `day`, dated `on`; `side_number` is the side's number before."""
        signature_id = self.next_id("signature")
        place = self.party_place[party] if on % 2 else None
        title = self.party_title[party]
        party_id = self.party_id[party]
        payload = {
            "id": signature_id,
            "key": key,
            "agreement_id": agreement_id,
            "party": self.party_name[party],
            "party_id": party_id,
            "date": self.day_iso(on),
            "place": place,
            "signatory": signatory,
            "title": title,
            "number": number,
        }
        seq = self.record(day, "signature.add", payload, key)
        kept = number if side_number is None else None  # as events._signature_add
        self.add(
            "signature",
            (
                signature_id,
                agreement_id,
                party_id,
                self.day_iso(on),
                place,
                signatory,
                title,
                kept,
                seq,
            ),
        )
        return seq

    def hand_over(self, day: int, agreement_id: int, key: str, party: int, note: str | None) -> int:
        recipient_id = self.ensure_party(party, day)
        handover_id = self.next_id("handover")
        place = self.party_place[party] if day % 2 else None
        payload = {
            "id": handover_id,
            "key": key,
            "agreement_id": agreement_id,
            "to": self.party_name[party],
            "to_id": recipient_id,
            "date": self.day_iso(day),
            "place": place,
            "note": note,
        }
        seq = self.record(day, "handover.add", payload, key)
        self.add(
            "handover",
            (handover_id, agreement_id, recipient_id, self.day_iso(day), place, note, seq),
        )
        return seq

    def void(self, day: int, key: str, target: int, action: str, reason: str) -> None:
        void_id = self.next_id("void")
        payload = {"id": void_id, "target": target, "action": action, "reason": reason}
        seq = self.record(day, "entry.void", payload, key)
        self.add("void", (void_id, target, reason, seq))

    def terminate(self, day: int, agreement_id: int, key: str, reason: str) -> None:
        """`ks terminate KEY --date DAY` (ledger.terminate), recorded on that day."""
        termination_id = self.next_id("termination")
        on = self.day_iso(day)
        payload = {
            "id": termination_id,
            "key": key,
            "agreement_id": agreement_id,
            "date": on,
            "reason": reason,
        }
        seq = self.record(day, "agreement.terminate", payload, key)
        self.add("termination", (termination_id, agreement_id, on, reason, seq))

    def activity(
        self, day: int, agreement_id: int, key: str, party: int | None, description: str
    ) -> None:
        """`ks activity add` (ledger.add_activity), recorded on the day it was held."""
        activity_id = self.next_id("activity")
        on = self.day_iso(day)
        party_id = self.party_id[party] if party is not None else None
        payload = {
            "id": activity_id,
            "key": key,
            "agreement_id": agreement_id,
            "date": on,
            "description": description,
            "party": self.party_name[party] if party is not None else None,
            "party_id": party_id,
        }
        seq = self.record(day, "activity.add", payload, key)
        self.add("activity", (activity_id, agreement_id, party_id, on, description, seq))

    def evaluation(
        self, day: int, agreement_id: int, key: str, finding: str, recommendation: str
    ) -> None:
        """`ks evaluate` (ledger.evaluate), recorded on the day of the evaluation."""
        evaluation_id = self.next_id("evaluation")
        on = self.day_iso(day)
        payload = {
            "id": evaluation_id,
            "key": key,
            "agreement_id": agreement_id,
            "date": on,
            "finding": finding,
            "recommendation": recommendation,
        }
        seq = self.record(day, "evaluation.add", payload, key)
        self.add("evaluation", (evaluation_id, agreement_id, on, finding, recommendation, seq))

    def void_day(self, on: int) -> int:
        return min(on + 1 + int(self.rng.random() * VOID_WITHIN_DAYS), self.last)

    def record_events_before(self, day: int) -> None:
        """Record the queued events dated before `day`, in date order."""
        events = self.events
        rand = self.rng.random
        while events and events[0][0] < day:
            on, order, _, *event = heapq.heappop(events)
            if order == SIGNATURE:
                agreement_id, key, party, number, side_number, agreed, voided = event
                seq = self.sign(on, agreement_id, key, party, on, number, side_number, None)
                if voided:  # recorded by mistake: voided, then recorded again, earlier
                    later = self.void_day(on)
                    reason = VOID_REASONS[int(rand() * 2)]
                    self.push(later, VOID, key, seq, "signature.add", reason)
                    again_on = max(agreed, on - int(rand() * 7))
                    now_number = number if side_number is None else side_number
                    # The same number may be given again; the signature then keeps none.
                    again_number = now_number if now_number and rand() < 0.5 else None
                    self.push(
                        later,
                        SIGN_AGAIN,
                        agreement_id,
                        key,
                        party,
                        again_on,
                        again_number,
                        now_number,
                    )
            elif order in (HANDOVER, HAND_OVER_AGAIN_EVENT):
                agreement_id, key, party, voided, again = event
                note = "diserahkan langsung" if on % 3 == 0 else None
                seq = self.hand_over(on, agreement_id, key, party, note)
                if voided:
                    later = self.void_day(on)
                    reason = VOID_REASONS[2 + int(rand() * 2)]
                    self.push(later, VOID, key, seq, "handover.add", reason)
                    if again:
                        self.push(
                            later, HAND_OVER_AGAIN_EVENT, agreement_id, key, party, False, False
                        )
            elif order == VOID:
                key, target, action, reason = event
                self.void(on, key, target, action, reason)
            elif order == SIGN_AGAIN:
                agreement_id, key, party, signed_on, number, side_number = event
                signatory = f"a.n. {self.party_title[party]}"
                self.sign(on, agreement_id, key, party, signed_on, number, side_number, signatory)
            elif order == TERMINATE_EVENT:
                self.terminate(on, *event)
            elif order == ACTIVITY_EVENT:
                self.activity(on, *event)
            elif order == EVALUATION_EVENT:
                self.evaluation(on, *event)

    # --- agreements -------------------------------------------------------------------------

    def agreements(self) -> None:
        rng = self.rng
        rand = rng.random  # int(rand() * n) rather than randint(): this loop runs 1M times

        def serial(year: int) -> str:
            return f"{100 + int(rand() * 900)}/{1 + int(rand() * 9999)}/{year}"

        add_agreement = self.rows["agreement"].append
        add_side = self.rows["agreement_party"].append
        entries = self.rows["entry"]
        day_iso = self.day_iso
        party_name = self.party_name
        party_id = self.party_id
        ensure_party = self.ensure_party
        push = self.push
        n_parties = len(party_name)
        span = self.today - self.first  # agreement dates: 2019-01-01 .. yesterday
        seqs: dict[tuple[str, int], int] = {}
        recent_ksb: list[tuple[int, str]] = []
        pending = self.pending_by_province
        # Agreements that may be renewed: (first day a renewal may be dated, id, key, kind,
        # parent id, parent key, title, sides), made ready in date order.
        renewable: list[tuple[Any, ...]] = []
        ready: list[tuple[Any, ...]] = []
        self.renewed = 0
        for i in range(self.n):
            agreement_id = i + 1
            day = self.first + (i * span) // self.n
            self.record_events_before(day)
            while renewable and renewable[0][0] <= day:
                ready.append(heapq.heappop(renewable))
            renews = None
            if ready and rand() < RENEW:  # `ks renew OLD`: same kind, parent, parties, title
                renews = ready.pop(int(rand() * len(ready)))
                _, renews_id, renews_key, kind, parent_id, parent_key, title, sides = renews
                k = len(sides)
                numbers: list[str | None] = [None] * k
                self.renewed += 1
            else:
                renews_id = renews_key = None
                kind = "ksb" if rand() < 0.35 else "pks"
                r = rand()
                k = 2 if r < 0.5 else 3 if r < 0.8 else 4
                sides = rng.sample(range(n_parties), k)
                parent_id = parent_key = None
                if kind == "pks" and recent_ksb and rand() < 0.4:
                    parent_id, parent_key = recent_ksb[int(rand() * len(recent_ksb))]
                topic = TOPICS[int(rand() * len(TOPICS))]
                doc = "Kesepakatan Bersama" if kind == "ksb" else "Perjanjian Kerja Sama"
                title = f"{doc} tentang {topic}"
            iso = day_iso(day)
            year = int(iso[:4])
            seq = seqs[(kind, year)] = seqs.get((kind, year), 0) + 1
            key = f"{kind.upper()}-{year}-{seq:04d}"
            place = self.party_place[sides[0]] if rand() < 0.7 else None
            start = day if rand() < 0.6 else None
            end = term_years = None
            r = rand()
            if r < TERM_YEARS:
                term_years = 2 + int(rand() * 4)
            elif r < TERM_YEARS + END_DATE:
                end = (start or day) + int(365.25 * (1 + int(rand() * 5))) - 1
            if renews is None:
                numbers = [serial(year) if rand() < 0.4 else None for _ in sides]
            start_iso = day_iso(start) if start else None
            end_iso = day_iso(end) if end else None
            for p in sides:  # a region's government is recorded when first named
                if party_id[p] is None:
                    ensure_party(p, day)
            payload = {  # as ledger.add_agreement writes it
                "id": agreement_id,
                "key": key,
                "year": year,
                "seq": seq,
                "parent_id": parent_id,
                "renews_id": renews_id,
                "kind": kind,
                "title": title,
                "parent": parent_key,
                "date": iso,
                "place": place,
                "start": start_iso,
                "end": end_iso,
                "term_years": term_years,
                "renews": renews_key,
                "parties": [
                    {"party": party_name[p], "party_id": party_id[p], "number": numbers[pos]}
                    for pos, p in enumerate(sides)
                ],
            }
            entry_seq = self.record(day, "agreement.add", payload, key)
            add_agreement(
                (
                    agreement_id,
                    key,
                    kind,
                    year,
                    seq,
                    title,
                    parent_id,
                    iso,
                    place,
                    start_iso,
                    end_iso,
                    entry_seq,
                    term_years,
                    renews_id,
                )
            )
            if kind == "ksb":
                recent_ksb.append((agreement_id, key))
                if len(recent_ksb) > 200:
                    del recent_ksb[:100]

            if rand() < FULLY_SIGNED:
                unsigned: set[int] = set()
            else:
                unsigned = set(rng.sample(range(k), 1 + int(rand() * (k - 1))))
            signed_on = {}
            for pos, p in enumerate(sides):
                side_number = numbers[pos]
                if pos not in unsigned:
                    on = day + int(rand() * (SIGN_WITHIN_DAYS + 1))
                    if on > self.last:  # not yet: recent agreements still wait
                        unsigned.add(pos)
                if pos in unsigned:
                    province = self.party_province[p]
                    pending[province] = pending.get(province, 0) + 1
                else:
                    signed_on[pos] = on
                    # A side without a number may get one when it signs (copied to the side).
                    number = serial(year) if side_number is None and rand() < 0.3 else None
                    voided = rand() < VOID_SIGNATURE
                    push(on, SIGNATURE, agreement_id, key, p, number, side_number, day, voided)
                    if number is not None:
                        side_number = number
                add_side((agreement_id, party_id[p], pos + 1, side_number))
            # Handovers go to a region's government: for an agency side, that counts for it.
            if unsigned and rand() < HANDOVER_IF_PARTLY_SIGNED:
                pos = min(unsigned)
                on = day + int(rand() * (HAND_OVER_WITHIN_DAYS + 1))
                voided = rand() < VOID_HANDOVER
                again = voided and rand() < HAND_OVER_AGAIN
                if on <= self.last:
                    push(on, HANDOVER, agreement_id, key, self.party_gov[sides[pos]], voided, again)
            elif not unsigned and rand() < HANDOVER_IF_FULLY_SIGNED:
                pos = int(rand() * k)
                on = day + int(rand() * (signed_on[pos] - day + 1))
                voided = rand() < VOID_HANDOVER
                push(on, HANDOVER, agreement_id, key, self.party_gov[sides[pos]], voided, False)
            if not unsigned:  # in force from its last signature (all recorded by yesterday)
                self.after_signing(
                    agreement_id, key, kind, parent_id, parent_key, title, sides,
                    max(signed_on.values()), start, end, term_years, renewable,
                )  # fmt: skip
            if len(entries) >= FLUSH_ROWS:
                self.flush()
        self.record_events_before(self.last + 1)
        self.flush()

    def after_signing(
        self,
        agreement_id: int,
        key: str,
        kind: str,
        parent_id: int | None,
        parent_key: str | None,
        title: str,
        sides: list[int],
        signed: int,
        start: int | None,
        end: int | None,
        term_years: int | None,
        renewable: list[tuple[Any, ...]],
    ) -> None:
        """Termination, activities, an evaluation, a later renewal, for a fully signed agreement.

        `signed` is the day of its last signature (a voided one is signed again, no later).
        Whether it is in force on the measurement date is judged here from the term as the
        generator drew it (a renewal recorded later may still supersede it).
        """
        rand = self.rng.random
        # As lifecycle.STATE_SQL: N years from the start (or the last signature), less a day.
        ends = end if term_years is None else (start or signed) + int(365.25 * term_years) - 1
        if rand() < TERMINATE:
            on = signed + 1 + int(rand() * TERMINATE_WITHIN_DAYS)
            if ends is not None:
                on = min(on, ends)
            if on <= self.last:
                reason = TERMINATION_REASONS[int(rand() * len(TERMINATION_REASONS))]
                self.push(on, TERMINATE_EVENT, agreement_id, key, reason)
                return
        if ends is not None and rand() < RENEWABLE:
            first_day = max(signed + 1, ends - RENEW_BEFORE_END_DAYS)
            heapq.heappush(
                renewable, (first_day, agreement_id, key, kind, parent_id, parent_key, title, sides)
            )
        if ends is not None and ends < self.today:
            return  # ended before the measurement date: no longer in force
        if rand() < ACTIVE:
            low = max(signed, self.today - ACTIVITY_WITHIN_DAYS)
            for _ in range(1 + int(rand() * 3)):
                on = low + int(rand() * (self.last - low + 1))
                party = sides[int(rand() * len(sides))] if rand() < ACTIVITY_BY_PARTY else None
                text = ACTIVITIES[int(rand() * len(ACTIVITIES))]
                self.push(on, ACTIVITY_EVENT, agreement_id, key, party, text)
        if rand() < EVALUATED:
            low = max(signed, self.today - EVALUATION_WITHIN_DAYS)
            on = low + int(rand() * (self.last - low + 1))
            finding = FINDINGS[int(rand() * len(FINDINGS))]
            recommendation = RECOMMENDATIONS[int(rand() * len(RECOMMENDATIONS))]
            self.push(on, EVALUATION_EVENT, agreement_id, key, finding, recommendation)


def create_schema(path: Path) -> None:
    """Let the project create an empty ledger: its migrations, its pragmas, its application_id."""
    from kerjasama_cli import db

    db.write(path, lambda sql: None)  # one transaction; a new ledger is built, then linked


def build(n: int, out_dir: Path) -> dict[str, Any]:
    """Build the ledger of `n` agreements unless a matching one is cached; return its metadata."""
    stamp = ledger_stamp()
    out_dir = out_dir.resolve()
    path = out_dir / f"ledger-{n}-{stamp}.sqlite"
    meta_path = out_dir / f"ledger-{n}-{stamp}.json"
    if path.exists() and meta_path.exists():
        meta = json.loads(meta_path.read_text())
        meta["path"] = str(path)
        meta["cached"] = True
        return meta
    out_dir.mkdir(parents=True, exist_ok=True)
    tmp = out_dir / f"ledger-{n}-{stamp}.building.sqlite"
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{tmp}{suffix}").unlink(missing_ok=True)

    started = time.perf_counter()
    today = date.today()
    create_schema(tmp)
    schema_seconds = time.perf_counter() - started

    conn = sqlite3.connect(tmp, isolation_level=None)
    conn.execute("PRAGMA journal_mode = OFF")
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("PRAGMA locking_mode = EXCLUSIVE")
    conn.execute("PRAGMA cache_size = -131072")  # 128 MiB
    indexes = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
    ).fetchall()
    conn.execute("BEGIN")
    for name, _ in indexes:
        conn.execute(f'DROP INDEX "{name}"')
    builder = LedgerBuilder(conn, n, today)
    builder.parties()
    builder.agreements()
    load_seconds = time.perf_counter() - started - schema_seconds
    for _, sql in indexes:
        conn.execute(sql)
    conn.execute("COMMIT")
    index_seconds = time.perf_counter() - started - schema_seconds - load_seconds
    # No ANALYZE: ks never runs it, so its ledgers have no sqlite_stat1 and the planner uses its
    # defaults. (With statistics, lifecycle.STATE_SQL's `superseded_by` subquery scans the
    # whole key index for each agreement: see README.)
    conn.execute("PRAGMA locking_mode = NORMAL")
    conn.execute("PRAGMA journal_mode = WAL")  # as ks leaves its ledgers
    conn.close()
    total = time.perf_counter() - started
    os.replace(tmp, path)
    meta = {
        "size": n,
        "path": str(path),
        "stamp": stamp,
        "built_on": today.isoformat(),
        "seed": SEED,
        "rows": builder.counts,
        "renewals": builder.renewed,
        "expected_pending_by_province": dict(sorted(builder.pending_by_province.items())),
        "build_seconds": round(total, 1),
        "build_phases_seconds": {
            "schema_via_ks": round(schema_seconds, 2),
            "generate_and_load": round(load_seconds, 1),
            "of_which_sqlite_inserts": round(builder.insert_seconds, 1),
            "indexes": round(index_seconds, 1),
            "finish": round(total - schema_seconds - load_seconds - index_seconds, 1),
        },
        "build_peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "file_mib": round(path.stat().st_size / 2**20, 1),
    }
    meta_path.write_text(json.dumps(meta, indent=2) + "\n")
    meta["cached"] = False
    return meta


# =============================================================================================
# Child modes: the exact pending and report SQL, their query plans, counting JSON rows
# =============================================================================================


def sql_literal(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool | int | float):
        return str(int(value) if isinstance(value, bool) else value)
    return "'" + str(value).replace("'", "''") + "'"


def pending_sql(province_ref: str, db_path: str | None) -> dict[str, Any]:
    """PENDING_SQL with the parameters queries.pending binds, as literals; and its plan."""
    from kerjasama_cli import queries, regions

    province = regions.load().resolve_province(province_ref).code
    today = date.today()
    captured: dict[str, Any] = {}

    def capture(text: str, **params: Any) -> list[Any]:
        captured.update(text=text, params=params)
        return []

    list(queries.pending(capture, today, province))  # the same call `ks pending -p X` makes
    text, params = captured["text"], captured["params"]
    literal = re.sub(r":(\w+)", lambda m: sql_literal(params[m.group(1)]), text)
    result = {
        "province": province,
        "as_of": today.isoformat(),
        "params": params,
        "sql": literal.strip() + ";",
    }
    if db_path:
        conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
        depth: dict[int, int] = {0: -1}
        plan = []
        for node, parent, _, detail in conn.execute("EXPLAIN QUERY PLAN " + text, params):
            depth[node] = depth.get(parent, -1) + 1
            plan.append("  " * depth[node] + detail)
        result["plan"] = plan
        conn.close()
    return result


def literal_sql(text: str, params: dict[str, Any]) -> str:
    """`text` with each :name outside string literals replaced by its value as an SQL literal."""
    parts = re.split(r"('(?:[^']|'')*')", text)
    for i in range(0, len(parts), 2):  # even parts are outside quotes

        def value(m: re.Match[str]) -> str:
            if m.group(1) not in params:
                raise BenchError(f"parameter :{m.group(1)} has no value")
            return sql_literal(params[m.group(1)])

        parts[i] = re.sub(r"(?<![:\w]):([A-Za-z_]\w*)", value, parts[i])  # not `::type`
    return "".join(parts)


class RecordedCursor:
    """A cursor that counts its rows and the time spent fetching them (in SQLite)."""

    def __init__(self, cursor: Any, stat: dict[str, Any]) -> None:
        self.cursor, self.stat = cursor, stat

    @property
    def description(self) -> Any:
        return self.cursor.description

    def __iter__(self) -> Any:
        stat, clock, rows = self.stat, time.perf_counter, iter(self.cursor)
        while True:
            started = clock()
            try:
                row = next(rows)
            except StopIteration:
                stat["sqlite_seconds"] += clock() - started
                return
            stat["sqlite_seconds"] += clock() - started
            stat["rows"] += 1
            yield row


def report_sql(db_path: str, as_of_text: str, since_text: str) -> dict[str, Any]:
    """Every statement `report.build` runs (as `ks report --as-of --since` does), as literals.

    The statements run through a recording wrapper around queries.sqlite_sql on the connection
    ks opens (db.reader), so they are exactly those of the report; each is kept with its
    parameters, the rows it gave, the time spent in SQLite (execute and fetching) and its
    query plan (with the parameters bound, as ks runs it). The report is then rendered as
    Markdown and HTML to time the Python side too.
    """
    from kerjasama_cli import db, queries, report, report_render

    as_of, since = date.fromisoformat(as_of_text), date.fromisoformat(since_text)
    statements: list[dict[str, Any]] = []
    with db.reader(Path(db_path)) as conn:
        run = queries.sqlite_sql(conn)

        def recording(text: str, **params: Any) -> Any:
            stat: dict[str, Any] = {"text": text, "params": params, "rows": 0}
            stat["sqlite_seconds"] = 0.0
            statements.append(stat)
            started = time.perf_counter()
            cursor = run(text, **params)
            stat["sqlite_seconds"] += time.perf_counter() - started
            return RecordedCursor(cursor, stat)

        started = time.perf_counter()
        data = report.build(recording, as_of, since)
        build_seconds = time.perf_counter() - started
        for stat in statements:
            depth: dict[int, int] = {0: -1}
            plan = []
            used = {k: v for k, v in stat["params"].items() if f":{k}" in stat["text"]}
            for node, parent, _, detail in conn.execute("EXPLAIN QUERY PLAN " + stat["text"], used):
                depth[node] = depth.get(parent, -1) + 1
                plan.append("  " * depth[node] + detail)
            stat["plan"] = plan
            stat["sql"] = literal_sql(stat["text"], stat["params"]).strip() + ";"
            stat["sqlite_seconds"] = round(stat["sqlite_seconds"], 3)
    render = {}
    for fmt in ("md", "html"):
        started = time.perf_counter()
        content = report_render.FORMATS[fmt](data, "id")
        render[fmt] = {"seconds": round(time.perf_counter() - started, 3), "chars": len(content)}
    sqlite_seconds = sum(s["sqlite_seconds"] for s in statements)
    return {
        "as_of": as_of_text,
        "since": since_text,
        "sql": "\n".join(s["sql"] for s in statements),
        "rows": sum(s["rows"] for s in statements),
        "build_seconds": round(build_seconds, 3),
        "build_sqlite_seconds": round(sqlite_seconds, 3),
        "build_python_seconds": round(build_seconds - sqlite_seconds, 3),
        "render": render,
        "sections": report_sections(data),
        "statements": [
            {k: s[k] for k in ("sql", "rows", "sqlite_seconds", "plan")} for s in statements
        ],
    }


def report_sections(data: dict[str, Any]) -> dict[str, Any]:
    """How many items each section of a report holds."""
    changes = data["changes"] or {}
    return {
        "totals": {f"{t['status']} {t['kind']}": t["count"] for t in data["totals"]},
        "waiting": sum(g["count"] for g in data["waiting"]),
        "waiting_provinces": len(data["waiting"]),
        **{f"changes_{name}": len(items) for name, items in changes.items()},
        "expiring": len(data["expiring"]),
        "idle": data["idle"]["count"],
        "idle_shown": len(data["idle"]["longest"]),
        "entries": data["ledger"]["entries"],
    }


def count_json(path: str) -> dict[str, Any]:
    with open(path, encoding="utf-8") as f:
        rows = json.load(f)
    keys = sorted(rows[0]) if rows else []
    return {"rows": len(rows), "keys": keys}


def catalog_load() -> dict[str, Any]:
    """What loading the Indonesian catalog costs: `i18n.setup("id")` and the first lookup
    (gettext opens and parses the .mo then), the cache emptied before every round."""
    import gettext

    from kerjasama_cli import i18n

    seconds = []
    for _ in range(CATALOG_ROUNDS):
        start = time.perf_counter()
        i18n.setup("id")
        translated = gettext.gettext("Options")
        seconds.append(time.perf_counter() - start)
    assert translated == "Opsi", translated  # the catalog was really loaded
    mo = i18n.LOCALE_DIR / "id" / "LC_MESSAGES" / f"{i18n.DOMAIN}.mo"
    with mo.open("rb") as f:
        count = len(gettext.GNUTranslations(f)._catalog)  # type: ignore[attr-defined]
    return {
        "median_ms": round(statistics.median(seconds) * 1000, 3),
        "max_ms": round(max(seconds) * 1000, 3),
        "rounds": CATALOG_ROUNDS,
        "mo_bytes": mo.stat().st_size,
        "messages": count,
        "target_ms": CATALOG_TARGET_MS,
        "pass": statistics.median(seconds) * 1000 < CATALOG_TARGET_MS,
    }


def child_main(argv: list[str]) -> int:
    mode = argv[0]
    if mode == "_build":
        out_dir, size = Path(argv[1]), int(argv[2])
        print(json.dumps(build(size, out_dir)))
    elif mode == "_sql":
        print(json.dumps(pending_sql(argv[1], argv[2] if len(argv) > 2 else None)))
    elif mode == "_count-json":
        print(json.dumps(count_json(argv[1])))
    elif mode == "_report-sql":
        print(json.dumps(report_sql(argv[1], argv[2], argv[3])))
    elif mode.startswith("_pg-"):
        import bench_postgres  # beside this script; imports psycopg and kerjasama_cli

        if mode == "_pg-load":
            found = bench_postgres.load(argv[1], argv[2], int(argv[3]), argv[4], argv[5])
        elif mode == "_pg-sql":
            found = bench_postgres.pending_sql(argv[1], argv[2])
        else:
            found = bench_postgres.report_sql(argv[1], argv[2], argv[3])
        print(json.dumps(found))
    elif mode == "_catalog":
        print(json.dumps(catalog_load()))
    elif mode == "_report-json":
        with open(argv[1], encoding="utf-8") as f:
            print(json.dumps(report_sections(json.load(f))))
    else:
        raise SystemExit(f"unknown mode {mode}")
    return 0


# =============================================================================================
# Parent: run processes and measure them
# =============================================================================================


class BenchError(Exception):
    pass


def run_process(
    command: list[str],
    env: dict[str, str],
    *,
    tty: bool,
    stdout: str = os.devnull,
    errfile: str,
    ok_codes: tuple[int, ...] = (0,),
) -> tuple[float, float, bytes]:
    """Run one fresh process; return (wall seconds, peak RSS MiB, captured tty output).

    Without a tty, stdout goes to `stdout` (default /dev/null) and stderr to `errfile`. With a
    tty, stdin/stdout/stderr are a new pseudo-terminal of TTY_SIZE, drained as the process writes.
    The process runs under GNU time, which writes its peak RSS (KiB) to a file; without GNU
    time, wait4's figure is used (never below this process's own peak).
    """
    out = b""
    rss_file = errfile + ".rss"
    argv = [str(GNU_TIME), "-f", "%M", "-o", rss_file, *command] if GNU_TIME.exists() else command
    if tty:
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", *TTY_SIZE, 0, 0))
        actions: list[tuple[Any, ...]] = [(os.POSIX_SPAWN_DUP2, slave, fd) for fd in (0, 1, 2)]
        chunks = []
        started = time.perf_counter()
        pid = os.posix_spawn(argv[0], argv, env, file_actions=actions, setsid=True)
        os.close(slave)
        while True:
            try:
                data = os.read(master, 65536)
            except OSError as exc:  # EIO: every copy of the slave side is closed
                if exc.errno != errno.EIO:
                    raise
                break
            if not data:
                break
            chunks.append(data)
        _, status, usage = os.wait4(pid, 0)
        elapsed = time.perf_counter() - started
        os.close(master)
        out = b"".join(chunks)
    else:
        actions = [
            (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
            (os.POSIX_SPAWN_OPEN, 1, stdout, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644),
            (os.POSIX_SPAWN_OPEN, 2, errfile, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644),
        ]
        started = time.perf_counter()
        pid = os.posix_spawn(argv[0], argv, env, file_actions=actions)
        _, status, usage = os.wait4(pid, 0)
        elapsed = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    if code not in ok_codes:
        detail = out.decode(errors="replace") if tty else Path(errfile).read_text(errors="replace")
        raise BenchError(f"{' '.join(command)} exited {code}: {detail.strip()[-2000:]}")
    peak_kib = usage.ru_maxrss
    if argv is not command:
        peak_kib = int(Path(rss_file).read_text().split()[-1])
    return elapsed, peak_kib / 1024, out


def ks_verify(ks: str, db: str, env: dict[str, str], out: Path, errfile: str) -> dict[str, Any]:
    """Run `ks verify --format json` on a ledger: it must pass (exit 0, no problems)."""
    command = [ks, "--db", db, "verify", "--format", "json"]
    try:
        seconds, rss, _ = run_process(command, env, tty=False, stdout=str(out), errfile=errfile)
    except BenchError as exc:
        found = out.read_text(errors="replace")[-4000:] if out.exists() else ""
        raise BenchError(f"the generated ledger {db} fails ks verify: {exc}\n{found}") from None
    report = json.loads(out.read_text())
    if not report["ok"]:
        raise BenchError(f"the generated ledger {db} fails ks verify: {report['problems']}")
    return {
        "ok": True,
        "entries": report["entries"],
        "schema": report["schema"],
        "seconds": round(seconds, 2),
        "peak_rss_mib": round(rss, 1),
    }


def run_child(python: str, *args: str) -> dict[str, Any]:
    done = subprocess.run(
        [python, str(Path(__file__).resolve()), *args],
        stdout=subprocess.PIPE,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise BenchError(f"bench child {args[0]} failed (exit {done.returncode})")
    return json.loads(done.stdout)


def postgres_ledgers(
    args: argparse.Namespace,
    python: str,
    ks: str,
    ledgers: dict[int, dict[str, Any]],
    as_of: date,
    since: date,
    env: dict[str, str],
    errfile: str,
) -> dict[int, dict[str, Any]]:
    """Each SQLite ledger loaded into a PostgreSQL database of its own (--postgres), with the
    statements `ks pending` and `ks report` send there; {} without --postgres."""
    if not args.postgres:
        print("PostgreSQL rows: none (give --postgres URL)", file=sys.stderr)
        return {}
    if not PSQL.exists():
        raise BenchError(f"no {PSQL}: install it with `apt-get install postgresql-client`")
    found: dict[int, dict[str, Any]] = {}
    for n, meta in ledgers.items():
        print(f"PostgreSQL ledger of {n:,} agreements ...", file=sys.stderr, flush=True)
        stamp = meta.get("stamp") or Path(meta["path"]).stem.split("-", 2)[-1]
        pg = run_child(python, "_pg-load", args.postgres, meta["path"], str(n), stamp, ks)
        if pg["rows"]["agreement"] != meta["rows"]["agreement"]:
            raise BenchError(f"the PostgreSQL copy of the ledger of {n:,} lost rows: {pg}")
        state = "cached" if pg["cached"] else f"loaded in {pg['seconds']} s"
        print(f"  {pg['url']} ({state})", file=sys.stderr)
        pg["pending"] = run_child(python, "_pg-sql", pg["url"], PROVINCE)
        probe = [ks, "--db", pg["url"], "report", "--as-of", as_of.isoformat(), "--format", "md"]
        try:
            run_process(probe, env, tty=False, errfile=errfile)
        except BenchError as exc:  # a ks without the report on PostgreSQL: say so, go on
            print(f"  no report rows: {exc}", file=sys.stderr)
        else:
            pg["report"] = run_child(
                python, "_pg-report-sql", pg["url"], as_of.isoformat(), since.isoformat()
            )
        found[n] = pg
    return found


def postgres_measures(
    pg: dict[int, dict[str, Any]],
    ks: str,
    python: str,
    env: dict[str, str],
    as_of: date,
    since: date,
) -> list[Measure]:
    """D [N] (psql, the pending statement) and ks pending --format json on the database
    (against A on small ledgers: the cold start), E [N] (psql, the report's statements) and
    ks report."""
    measures: list[Measure] = []
    for n, meta in pg.items():
        small = n <= SMALL_LIMIT
        psql = [str(PSQL), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", meta["url"]]
        pending = [ks, "--db", meta["url"], "pending", "--province", PROVINCE]
        measures += [
            Measure(
                f"D{n}",
                f"D: psql, pending SQL [{n:,}]",
                [*psql, "-c", meta["pending"]["sql"]],
                tty=False,
            ),
            Measure(  # a fresh process: the cold start (import psycopg, connect) in every run
                f"pgjson{n}",
                f"ks pending --format json, PostgreSQL [{n:,}]",
                [*pending, "--format", "json"],
                tty=False,
                baseline="A" if small else f"D{n}",
                target=TARGETS["pg_cold_small" if small else "pg_pending_large"],
                ks=True,
            ),
        ]
        if "report" in meta:
            report = [ks, "--db", meta["url"], "report", "--as-of", as_of.isoformat()]
            measures += [
                Measure(f"E{n}", f"E: psql, report SQL [{n:,}]",
                        [*psql, "-c", meta["report"]["sql"]], tty=False),
                Measure(
                    f"pgreport{n}",
                    f"ks report --format md, PostgreSQL [{n:,}]",
                    [*report, "--since", since.isoformat(), "--format", "md"],
                    tty=False,
                    baseline=f"E{n}",
                    target=None if small else TARGETS["pg_report_large"],
                    ks=True,
                    rss_target=REPORT_RSS_TARGET_MIB,
                ),
            ]  # fmt: skip
    return measures


class Measure:
    """One command measured in every round."""

    def __init__(
        self,
        ident: str,
        label: str,
        argv: list[str],
        *,
        tty: bool,
        baseline: str | None = None,
        target: float | None = None,
        ks: bool = False,
        rss_target: float = RSS_TARGET_MIB,
        ok_codes: tuple[int, ...] = (0,),
        env: dict[str, str] | None = None,
    ) -> None:
        self.ident, self.label, self.argv, self.tty = ident, label, argv, tty
        self.baseline, self.target, self.ks = baseline, target, ks
        self.rss_target, self.ok_codes = rss_target, ok_codes
        self.env = env  # None: the run's environment
        self.seconds: list[float] = []
        self.rss: list[float] = []

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


def completion_env(env: dict[str, str], words: list[str]) -> dict[str, str]:
    """The environment bash's completion function (`ks --install-completion`) gives `ks` for
    a Tab after `words` (`ks` first, the word being completed last)."""
    return {
        **env,
        "_KS_COMPLETE": "complete_bash",
        "COMP_WORDS": shlex.join(words),
        "COMP_CWORD": str(len(words) - 1),
    }


def expected_offer(db: str, what: str, prefix: str) -> list[str]:
    """What `ks` should offer for a lower-case `prefix` (its own SQL, written again here so
    that a wrong query in ks is caught): keys not withdrawn, in key order, or party aliases
    in alias order (no province abbreviation begins with the prefix measured); at most 200,
    spelt in lower case as typed."""
    if what == "key":
        query = (
            "SELECT key FROM agreement a WHERE upper(key) LIKE ? || '%' AND NOT EXISTS "
            "(SELECT 1 FROM void v WHERE v.target_seq = a.entry_seq) ORDER BY key LIMIT ?"
        )
    else:
        query = "SELECT alias FROM party_alias WHERE alias_key LIKE ? || '%' ORDER BY alias_key "
        query += "LIMIT ?"
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        rows = conn.execute(query, (prefix.upper() if what == "key" else prefix, MAX_COMPLETIONS))
        return [word.lower() for (word,) in rows]
    finally:
        conn.close()


def tty_rows(output: bytes) -> dict[str, Any]:
    """Rows drawn in a Rich table (lines whose first cell is a number) and the '… and N more'."""
    text = output.decode("utf-8", errors="replace")
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text)
    shown = len(re.findall(r"^[│┃|]\s*\d+\s*[│┃|]", text, flags=re.M))
    more = re.search(r"and (\d+) more", text)
    rest = int(more.group(1)) if more else 0
    return {"shown": shown, "more": rest, "total": shown + rest}


def resolve_python(venv: Path) -> tuple[str, str]:
    """The venv's python as `ks` runs it (its shebang), and the real interpreter behind it."""
    python = venv / "bin" / "python3"
    if not python.exists():
        raise BenchError(f"no {python}: create the venv (scripts/test.sh) or pass --venv")
    real = os.path.realpath(python)
    with open(real, "rb") as f:
        if f.read(4) != b"\x7fELF":
            raise BenchError(f"{real} is not an interpreter binary (a pyenv shim?)")
    return str(python), real


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,1000000", help="ledger sizes (agreements)")
    parser.add_argument("--repeat", type=int, default=5, help="timed rounds (default 5)")
    parser.add_argument("--out-dir", type=Path, default=DEFAULT_OUT, help="cache and results")
    parser.add_argument("--venv", type=Path, default=DEFAULT_VENV, help="the project's venv")
    parser.add_argument(
        "--postgres",
        metavar="URL",
        default=os.environ.get("KS_BENCH_POSTGRES_URL"),
        help="a PostgreSQL database the bench may create its own databases from (e.g. "
        "postgresql://postgres@/postgres?host=/tmp/pg); adds the PostgreSQL rows "
        "(also $KS_BENCH_POSTGRES_URL)",
    )
    parser.add_argument(
        "--verify",
        action="store_true",
        help=f"also run `ks verify` on ledgers over {SMALL_LIMIT:,} agreements (slow)",
    )
    args = parser.parse_args(argv)
    try:
        sizes = sorted({int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()})
    except ValueError:
        parser.error(f"--sizes takes integers separated by commas, not {args.sizes!r}")
    if not sizes or min(sizes) < 10 or args.repeat < 1:
        parser.error("sizes must be at least 10 and --repeat at least 1")
    try:
        return run(args, sizes)
    except BenchError as exc:
        print(f"bench: error: {exc}", file=sys.stderr)
        return 1


def run(args: argparse.Namespace, sizes: list[int]) -> int:
    out_dir: Path = args.out_dir.resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    python, python_real = resolve_python(args.venv.resolve())
    ks = str(args.venv.resolve() / "bin" / "ks")
    if not Path(ks).exists():
        raise BenchError(f"no {ks}: install the project into the venv (pip install -e .)")
    if not SQLITE_SHELL.exists():
        raise BenchError(f"no {SQLITE_SHELL}: install it with `apt-get install sqlite3`")
    shell_version = subprocess.run(
        [str(SQLITE_SHELL), "--version"], capture_output=True, text=True, check=True
    ).stdout.split()[0]

    env = {k: v for k, v in os.environ.items() if not k.startswith("KS_")}
    env.pop("COLUMNS", None)
    env.pop("LINES", None)
    # An installed ks runs from bytecode: with this set, every process measured would compile
    # the project's modules again (some 25 ms for those a Tab loads), as no user's ks does.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.setdefault("TERM", "xterm-256color")
    errfile = str(out_dir / "stderr.txt")

    # 1. Ledgers (built in a child process, so this one stays small: see the module docstring),
    # checked by `ks verify` (integrity, chain, and the replay of every entry).
    ledgers = {}
    for n in sizes:
        print(f"ledger of {n:,} agreements ...", file=sys.stderr, flush=True)
        meta = run_child(python, "_build", str(out_dir), str(n))
        state = "cached" if meta["cached"] else f"built in {meta['build_seconds']} s"
        print(f"  {meta['path']} ({meta['file_mib']} MiB, {state})", file=sys.stderr)
        if n <= SMALL_LIMIT or args.verify:
            meta["verify"] = ks_verify(ks, meta["path"], env, out_dir / f"verify-{n}.json", errfile)
            print(f"  ks verify: {meta['verify']}", file=sys.stderr)
        ledgers[n] = meta

    # 2. The commands. The report's statements are recorded by running report.build once.
    sql = {n: run_child(python, "_sql", PROVINCE, ledgers[n]["path"]) for n in sizes}
    as_of = date.today()  # the as-of date of `ks pending` (implicit) and `ks report` (explicit)
    since = date.fromordinal(as_of.toordinal() - REPORT_SINCE_DAYS)
    reports = {}
    for n in sizes:
        print(f"report SQL [{n:,}] ...", file=sys.stderr, flush=True)
        reports[n] = run_child(
            python, "_report-sql", ledgers[n]["path"], as_of.isoformat(), since.isoformat()
        )
        print(
            f"  {len(reports[n]['statements'])} statements, {reports[n]['rows']:,} rows; "
            f"report.build {reports[n]['build_seconds']} s, of which SQLite "
            f"{reports[n]['build_sqlite_seconds']} s; render {reports[n]['render']}",
            file=sys.stderr,
        )
    catalog = run_child(python, "_catalog")
    pg = postgres_ledgers(args, python, ks, ledgers, as_of, since, env, errfile)
    measures = [
        Measure("harness", "harness: /usr/bin/time /bin/true", ["/bin/true"], tty=False),
        Measure("A", 'A: python -c "import sqlite3"', [python, "-c", "import sqlite3"], tty=False),
        Measure(
            "help",
            "ks --help (tty)",
            [ks, "--help"],
            tty=True,
            baseline="A",
            target=TARGETS["help"],
            ks=True,
            env={**env, "KS_LANG": "en"},
        ),
        Measure(
            "help_id",
            "KS_LANG=id ks --help (tty)",
            [ks, "--help"],
            tty=True,
            baseline="help",
            target=TARGETS["help_id"],
            ks=True,
            env={**env, "KS_LANG": "id"},
        ),
    ]
    # One Tab: completion from the shipped region table, then from the ledger (a key, a party).
    measures.append(
        Measure(
            "complete_province",
            "complete --province ja",
            [ks],
            tty=False,
            baseline="help",
            target=TARGETS["complete"],
            ks=True,
            env=completion_env(env, ["ks", *COMPLETE_PROVINCE]),
        )
    )
    for n in sizes:
        words = ["ks", "--db", ledgers[n]["path"]]
        measures += [
            Measure(
                f"complete_{what}{n}",
                f"complete {label} [{n:,}]",
                [ks],
                tty=False,
                baseline="help",
                target=TARGETS["complete"],
                ks=True,
                env=completion_env(env, [*words, *typed]),
            )
            for what, label, typed in (
                ("key", "ks sign ksb-2022", COMPLETE_KEY),
                ("party", "--party kom", COMPLETE_PARTY),
            )
        ]
    for n in sizes:
        db = ledgers[n]["path"]
        small = n <= SMALL_LIMIT
        pending = [ks, "--db", db, "pending", "--province", PROVINCE]
        if small:  # time only: a replay of every entry, linear in the ledger's size
            measures.append(
                Measure(
                    f"verify{n}",
                    f"ks verify [{n:,}]",
                    [ks, "--db", db, "verify"],
                    tty=False,
                    ks=True,
                )
            )
        measures.append(  # time only: counts and the head of the chain
            Measure(
                f"status{n}",
                f"ks db status [{n:,}]",
                [ks, "--db", db, "db", "status"],
                tty=False,
                ks=True,
            )
        )
        measures += [
            Measure(
                f"B{n}",
                f"B: sqlite3 shell, pending SQL [{n:,}]",
                [str(SQLITE_SHELL), "-batch", "-init", os.devnull, "-readonly", db, sql[n]["sql"]],
                tty=False,
            ),
            Measure(
                f"json{n}",
                f"ks pending --format json [{n:,}]",
                [*pending, "--format", "json"],
                tty=False,
                baseline=f"B{n}",
                target=None if small else TARGETS["pending_json_large"],
                ks=True,
            ),
            Measure(
                f"tty{n}",
                f"ks pending (tty) [{n:,}]",
                pending,
                tty=True,
                baseline="A" if small else f"B{n}",
                target=TARGETS["pending_tty_small" if small else "pending_tty_large"],
                ks=True,
            ),
        ]
        report = [ks, "--db", db, "report", "--as-of", as_of.isoformat()]
        report += ["--since", since.isoformat()]
        if small:
            measures += [
                Measure(  # time only; exits 1 when it finds problems (it does: long waits)
                    f"check{n}",
                    f"ks check [{n:,}]",
                    [ks, "--db", db, "check", "--as-of", as_of.isoformat()],
                    tty=False,
                    ks=True,
                    ok_codes=(0, 1),
                ),
                Measure(
                    f"reportmd{n}",
                    f"ks report --format md [{n:,}]",
                    [*report, "--format", "md"],
                    tty=False,
                    baseline="A",
                    ks=True,
                ),
            ]
        else:
            measures += [
                Measure(
                    f"C{n}",
                    f"C: sqlite3 shell, report SQL [{n:,}]",
                    [
                        str(SQLITE_SHELL),
                        "-batch",
                        "-init",
                        os.devnull,
                        "-readonly",
                        db,
                        reports[n]["sql"],
                    ],
                    tty=False,
                ),
                *(
                    Measure(
                        f"report{fmt}{n}",
                        f"ks report --format {fmt} [{n:,}]",
                        [*report, "--format", fmt],
                        tty=False,
                        baseline=f"C{n}",
                        target=TARGETS["report_large"],
                        ks=True,
                        rss_target=REPORT_RSS_TARGET_MIB,
                    )
                    for fmt in ("md", "html")
                ),
            ]
    measures += postgres_measures(pg, ks, python, env, as_of, since)
    by_id = {m.ident: m for m in measures}

    # 3. Check that every path returns the same rows (untimed; also warms the page cache).
    checks: dict[int, dict[str, Any]] = {}
    for n in sizes:
        shell_out = str(out_dir / f"pending-{n}.txt")
        json_out = str(out_dir / f"pending-{n}.json")
        run_process(by_id[f"B{n}"].argv, env, tty=False, stdout=shell_out, errfile=errfile)
        with open(shell_out, "rb") as f:
            shell_rows = sum(1 for _ in f)
        run_process(by_id[f"json{n}"].argv, env, tty=False, stdout=json_out, errfile=errfile)
        parsed = run_child(python, "_count-json", json_out)
        _, _, screen = run_process(by_id[f"tty{n}"].argv, env, tty=True, errfile=errfile)
        (out_dir / f"pending-{n}.tty.txt").write_bytes(screen)
        table = tty_rows(screen)
        expected = ledgers[n]["expected_pending_by_province"].get(sql[n]["province"], 0)
        same = shell_rows == parsed["rows"] == expected and (
            table["total"] == expected or (table["more"] == 0 and table["shown"] == expected)
        )
        checks[n] = {
            "expected_from_generator": expected,
            "sqlite3_shell_rows": shell_rows,
            "json_rows": parsed["rows"],
            "json_keys": parsed["keys"],
            "tty_rows_shown": table["shown"],
            "tty_rows_more": table["more"],
            "same_rows": same,
        }
        print(f"rows [{n:,}]: {checks[n]}", file=sys.stderr)
        if shell_rows != parsed["rows"]:
            raise BenchError(
                f"ks pending --format json gave {parsed['rows']} rows, the sqlite3 shell "
                f"{shell_rows}, on the ledger of {n:,}"
            )
    for n in pg:  # the database answers what the file answers
        json_out = str(out_dir / f"pending-{n}.postgresql.json")
        run_process(by_id[f"pgjson{n}"].argv, env, tty=False, stdout=json_out, errfile=errfile)
        pg[n]["json_rows"] = run_child(python, "_count-json", json_out)["rows"]
        if pg[n]["json_rows"] != checks[n]["json_rows"]:
            raise BenchError(
                f"ks pending on PostgreSQL gave {pg[n]['json_rows']} rows, on the file "
                f"{checks[n]['json_rows']}, for the ledger of {n:,}"
            )
    # The report: the shell gives as many rows as report.build fetched, and the Markdown and
    # HTML hold as many table rows as its sections have items.
    report_checks: dict[int, dict[str, Any]] = {}
    for n in sizes:
        expected = reports[n]["sections"]
        found: dict[str, Any] = {
            "report_build_rows": reports[n]["rows"],
            "table_rows_expected": report_table_rows(expected),
            "waiting_expected_from_generator": sum(
                ledgers[n]["expected_pending_by_province"].values()
            ),
            "waiting_in_report": expected["waiting"],
        }
        if f"C{n}" in by_id:
            report_out = str(out_dir / f"report-{n}.sql.txt")
            run_process(by_id[f"C{n}"].argv, env, tty=False, stdout=report_out, errfile=errfile)
            with open(report_out, "rb") as f:
                found["sqlite3_shell_rows"] = sum(1 for _ in f)
        for fmt in ("md", "html"):
            m = by_id.get(f"report{fmt}{n}")
            if m is not None:
                output = out_dir / f"report-{n}.{fmt}"
                run_process(m.argv, env, tty=False, stdout=str(output), errfile=errfile)
                found[f"{fmt}_table_rows"] = count_table_rows(output, fmt)
        same = found["waiting_in_report"] == found["waiting_expected_from_generator"]
        same &= found.get("sqlite3_shell_rows", found["report_build_rows"]) == reports[n]["rows"]
        for fmt in ("md", "html"):
            drawn = found.get(f"{fmt}_table_rows", found["table_rows_expected"])
            same &= drawn == found["table_rows_expected"]
        found["same_rows"] = same
        report_checks[n] = found
        print(f"report rows [{n:,}]: {found}", file=sys.stderr)
        if not same:
            raise BenchError(f"the report paths disagree on the ledger of {n:,}: {found}")
    # Completion: what one Tab offers (the candidates bash gets) must be what is expected.
    completion_checks: dict[str, Any] = {}
    for m in measures:
        if not m.ident.startswith("complete_"):
            continue
        offered_file = str(out_dir / f"{m.ident}.txt")
        run_process(m.argv, m.env or env, tty=False, stdout=offered_file, errfile=errfile)
        offered = Path(offered_file).read_text().split()
        if m.ident == "complete_province":
            expected = ["jabar", "jakarta", "jambi", "jateng", "jatim"]
        else:
            what = "key" if m.ident.startswith("complete_key") else "party"
            typed = (COMPLETE_KEY if what == "key" else COMPLETE_PARTY)[-1]
            db = shlex.split((m.env or env)["COMP_WORDS"])[2]
            expected = expected_offer(db, what, typed)
        completion_checks[m.ident] = {"offered": len(offered), "same": offered == expected}
        print(f"{m.label}: {len(offered)} candidates", file=sys.stderr)
        if offered != expected:
            raise BenchError(f"{m.label} offered {offered[:5]}..., expected {expected[:5]}...")
    for m in measures:  # warm-up for the commands not run above
        if not m.ident.startswith(("B", "json", "tty", "C", "report", "complete")):
            run_process(m.argv, env, tty=m.tty, errfile=errfile, ok_codes=m.ok_codes)

    # 4. Timed rounds: every command once per round, rotating the order between rounds.
    load_before = os.getloadavg()
    for r in range(args.repeat):
        print(f"round {r + 1}/{args.repeat}", file=sys.stderr, flush=True)
        shift = r % len(measures)
        for m in measures[shift:] + measures[:shift]:
            seconds, rss, _ = run_process(
                m.argv, m.env or env, tty=m.tty, errfile=errfile, ok_codes=m.ok_codes
            )
            m.seconds.append(seconds)
            m.rss.append(rss)
    load_after = os.getloadavg()
    floor_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    # 5. Report.
    rows = []
    for m in measures:
        base = by_id[m.baseline] if m.baseline else None
        ratio = m.median / base.median if base else None
        checks_pass = []
        if m.target is not None and ratio is not None:
            checks_pass.append(ratio < m.target)
        peak = max(m.rss)
        if m.ks:
            checks_pass.append(peak < m.rss_target)
        rows.append(
            {
                "id": m.ident,
                "what": m.label,
                "argv": m.argv,
                "tty": m.tty,
                "seconds": [round(s, 4) for s in m.seconds],
                "median_seconds": round(m.median, 4),
                "baseline": m.baseline,
                "ratio": round(ratio, 2) if ratio is not None else None,
                "target_ratio": m.target,
                "peak_rss_mib": round(peak, 1),
                "target_rss_mib": m.rss_target if m.ks else None,
                "pass": all(checks_pass) if checks_pass else None,
            }
        )
    print_table(rows, checks, sql, ledgers, floor_mib, reports, report_checks, catalog)
    results = {
        "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),  # noqa: UP017
        "repeat": args.repeat,
        "machine": {
            "cpus": os.cpu_count(),
            "loadavg_before": load_before,
            "loadavg_after": load_after,
            "platform": platform.platform(),
        },
        "python": python,
        "python_real": python_real,
        "python_version": platform.python_version(),
        "sqlite3_shell": f"{SQLITE_SHELL} {shell_version}",
        "sqlite3_library": sqlite3.sqlite_version,
        "tty_rows_cols": list(TTY_SIZE),
        "rss_method": f"{GNU_TIME} -f %M around every process"
        if GNU_TIME.exists()
        else "os.wait4 (never below this harness's own peak, rss_floor_mib)",
        "rss_floor_mib": None if GNU_TIME.exists() else round(floor_mib, 1),
        "ledgers": ledgers,
        "pending_sql": sql,
        "row_checks": checks,
        "completion_checks": completion_checks,
        "catalog": catalog,
        "postgres": pg,
        "report": {
            "as_of": as_of.isoformat(),
            "since": since.isoformat(),
            "sql": {n: reports[n] for n in sizes},
            "row_checks": report_checks,
        },
        "results": rows,
    }
    (out_dir / "results.json").write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(f"\nwritten {out_dir / 'results.json'}")
    return 0


def report_table_rows(sections: dict[str, Any]) -> int:
    """The table rows a Markdown or HTML report with these sections holds."""
    changes = sum(v for k, v in sections.items() if k.startswith("changes_"))
    return (
        len(sections["totals"])
        + sections["waiting_provinces"]
        + changes
        + sections["expiring"]
        + sections["idle_shown"]
    )


def count_table_rows(path: Path, fmt: str) -> int:
    """Body rows of the tables in a report written as Markdown or HTML (read line by line)."""
    rows = separators = 0
    with open(path, encoding="utf-8") as f:
        for line in f:
            if fmt == "md":  # a table's header, then its alignment row (|---|--:|), then rows
                rows += line.startswith("|")
                separators += bool(MD_ALIGNMENT_ROW.match(line))
            else:
                rows += line.startswith("<tr>")
    return rows - 2 * separators


def print_table(
    rows: list[dict[str, Any]],
    checks: dict[int, dict[str, Any]],
    sql: dict[int, dict[str, Any]],
    ledgers: dict[int, dict[str, Any]],
    floor_mib: float,
    reports: dict[int, dict[str, Any]],
    report_checks: dict[int, dict[str, Any]],
    catalog: dict[str, Any],
) -> None:
    width = max(len(r["what"]) for r in rows)
    print(
        f"\n{'what':<{width}}  {'median s':>9}  {'ratio':>11}  {'target':>9}  {'result':>6}  "
        f"{'peak MiB':>8}"
    )
    print("-" * (width + 54))
    for r in rows:
        base = r["baseline"] if r["baseline"] == "help" else (r["baseline"] or "")[:1]
        if r["ratio"] is not None:
            ratio = f"{r['ratio']:.2f}x {base}"
        else:
            ratio = "(baseline)" if r["id"][0] in "ABC" else "-"
        target = f"< {r['target_ratio']:g}x {base}" if r["target_ratio"] else "-"
        result = {True: "pass", False: "FAIL", None: "-"}[r["pass"]]
        if r["target_ratio"] is None and r["pass"] is not None:  # only the RSS target applies
            result = "rss ok" if r["pass"] else "RSS!"
        print(
            f"{r['what']:<{width}}  {r['median_seconds']:>9.3f}  {ratio:>11}  {target:>9}  "
            f"{result:>6}  {r['peak_rss_mib']:>8.1f}"
        )
    note = "" if GNU_TIME.exists() else f"; RSS is never below this harness's {floor_mib:.1f} MiB"
    print(
        f"\npass = ratio under target and (ks only) peak RSS under {RSS_TARGET_MIB:g} MiB "
        f"({REPORT_RSS_TARGET_MIB:g} MiB for ks report on ledgers over {SMALL_LIMIT:,} "
        f"agreements); every time includes the harness row{note}"
    )
    print(
        f"catalog: loading the Indonesian catalog ({catalog['messages']} messages, "
        f"{catalog['mo_bytes']:,} bytes) takes {catalog['median_ms']} ms, median of "
        f"{catalog['rounds']} loads in one process (target < {catalog['target_ms']:g} ms): "
        f"{'pass' if catalog['pass'] else 'FAIL'}"
    )
    for n, meta in ledgers.items():
        how = "cached, " if meta["cached"] else ""
        print(
            f"ledger [{n:,}]: {meta['rows']['agreement']:,} agreements, "
            f"{sum(meta['rows'].values()):,} rows, {meta['file_mib']:,} MiB; "
            f"{how}built in {meta['build_seconds']} s (peak {meta['build_peak_rss_mib']} MiB)"
        )
    for n, c in checks.items():
        tty = f"{c['tty_rows_shown']} shown + {c['tty_rows_more']} more"
        print(
            f"rows [{n:,}] province {sql[n]['province']} as of {sql[n]['as_of']}: "
            f"sqlite3 {c['sqlite3_shell_rows']}, json {c['json_rows']}, tty {tty}, "
            f"generator {c['expected_from_generator']} -> "
            f"{'same' if c['same_rows'] else 'MISMATCH'}"
        )
    for n, rep in reports.items():
        sec = rep["sections"]
        c = report_checks[n]
        print(
            f"report [{n:,}] as of {rep['as_of']} since {rep['since']}: "
            f"{len(rep['statements'])} statements, {rep['rows']:,} rows"
            + (f" (shell {c['sqlite3_shell_rows']:,})" if "sqlite3_shell_rows" in c else "")
            + f"; waiting {sec['waiting']:,} (generator {c['waiting_expected_from_generator']:,}), "
            f"signed {sec.get('changes_signed', 0):,}, handed over "
            f"{sec.get('changes_handed_over', 0):,}, ended {sec.get('changes_ended', 0):,}, "
            f"evaluated {sec.get('changes_evaluated', 0):,}, expiring {sec['expiring']:,}, "
            f"idle {sec['idle']:,}; table rows {c['table_rows_expected']:,} -> "
            f"{'same' if c['same_rows'] else 'MISMATCH'}"
        )
        print(
            f"  in one process: report.build {rep['build_seconds']} s (SQLite "
            f"{rep['build_sqlite_seconds']} s, Python {rep['build_python_seconds']} s), "
            f"render md {rep['render']['md']['seconds']} s, "
            f"html {rep['render']['html']['seconds']} s"
        )
        slowest = sorted(rep["statements"], key=lambda s: -s["sqlite_seconds"])[:3]
        for st in slowest:
            head = " ".join(st["sql"].split())[:70]
            print(f"    {st['sqlite_seconds']:>8.3f} s {st['rows']:>9,} rows  {head}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1].startswith("_"):
        sys.exit(child_main(sys.argv[1:]))
    sys.exit(main())
