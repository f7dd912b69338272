"""The 38 provinces and 514 regencies/cities (Kemendagri codes), and how users refer to them.

Data: Kepmendagri No 300.2.2-2138 Tahun 2025 as compiled in cahyadsn/wilayah (MIT,
copyright (c) 2017-2025 Cahya DSN); abbreviations are common usage. See NOTICE.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from kerjasama_cli.errors import Ambiguous, NotFound
from kerjasama_cli.i18n import N_, _

LEVELS = ("provinsi", "kabupaten", "kota")
_HEAD_TITLE = {"provinsi": "Gubernur", "kabupaten": "Bupati", "kota": "Wali Kota"}
# A region's level in a message: the Indonesian words are the names the level has in law.
LEVEL_WORDS = {"provinsi": N_("province"), "kabupaten": N_("regency"), "kota": N_("city")}


@dataclass(frozen=True)
class Region:
    """A province, regency (kabupaten) or city (kota)."""

    code: str
    name: str
    level: str
    province_code: str
    aliases: tuple[str, ...] = ()

    @property
    def government_name(self) -> str:
        """The name of the region's government as a party, e.g. 'Pemerintah Provinsi Jawa Timur'."""
        if self.level == "provinsi":
            return f"Pemerintah Provinsi {self.name}"
        return f"Pemerintah {self.name}"  # "Kabupaten X" / "Kota Y" already say what it is

    @property
    def head_title(self) -> str:
        """Who signs for the government: Gubernur, Bupati or Wali Kota."""
        return _HEAD_TITLE[self.level]

    @property
    def references(self) -> tuple[str, ...]:
        """Every way to name exactly this region: code, name, government name, abbreviations."""
        names = [self.code, self.name, self.government_name, *self.aliases]
        if self.level == "provinsi":
            names.append(f"Provinsi {self.name}")
        return tuple(names)

    @property
    def short_name(self) -> str | None:
        """A regency's or city's name without "Kabupaten"/"Kota", which may name several."""
        if self.level == "provinsi":
            return None
        for prefix in ("Kabupaten ", "Kota "):
            if self.name.startswith(prefix):
                return self.name[len(prefix) :]
        return self.name

    @property
    def label(self) -> str:
        """How to show the region in a suggestion: name, then the shortest way to type it."""
        short = self.aliases[0] if self.aliases else self.code
        return f"{self.name} ({short})"


def _key(text: str) -> str:
    return " ".join(text.casefold().split())


def _bare(name: str) -> str:
    for prefix in ("kabupaten ", "kota ", "provinsi "):
        if name.startswith(prefix):
            return name[len(prefix) :]
    return name


@dataclass(frozen=True)
class Regions:
    """All regions with the indexes that resolve references to them."""

    by_code: dict[str, Region]
    exact: dict[str, Region]  # code, alias, official name, "Provinsi X", government name
    bare: dict[str, tuple[Region, ...]]  # name without "Kabupaten"/"Kota": may be ambiguous

    def all(self) -> list[Region]:
        return list(self.by_code.values())

    def references(self) -> list[tuple[str, tuple[Region, ...]]]:
        """Every text the resolver takes as naming regions, as written, with what it names."""
        found: list[tuple[str, tuple[Region, ...]]] = []
        for region in self.by_code.values():
            found.extend((name, (region,)) for name in region.references)
        shown: set[str] = set()
        for region in self.by_code.values():
            short = region.short_name
            if short is not None and _key(short) not in shown:
                shown.add(_key(short))
                found.append((short, self.bare.get(_bare(_key(region.name)), (region,))))
        return found

    def in_province(self, province_code: str) -> list[Region]:
        return [r for r in self.by_code.values() if r.province_code == province_code]

    def matches(self, reference: str) -> tuple[Region, ...]:
        """Every region that `reference` could name: one, several (ambiguous) or none."""
        key = _key(reference)
        if key in self.exact:
            return (self.exact[key],)
        return self.bare.get(_bare(key), ())

    def resolve(self, reference: str) -> Region:
        """Find the region that `reference` names (code, abbreviation or name, any case)."""
        matches = self.matches(reference)
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise Ambiguous(
                _("{reference!r} names more than one region").format(reference=reference),
                [r.name for r in matches],
            )
        raise NotFound(
            _("unknown region {reference!r}").format(reference=reference), self.suggest(reference)
        )

    def resolve_province(self, reference: str) -> Region:
        """Like resolve, but the region must be a province."""
        region = self.resolve(reference)
        if region.level != "provinsi":
            province = self.by_code[region.province_code]
            raise NotFound(
                _("{region} is a {level}, not a province").format(
                    region=region.name, level=_(LEVEL_WORDS[region.level])
                ),
                [province.label],
            )
        return region

    def suggest(self, reference: str, limit: int = 3) -> list[str]:
        """Labels of the regions whose code, abbreviation or name is closest to `reference`."""
        key = _key(reference)
        names = list(self.exact) + list(self.bare)
        close = close_matches(key, names, n=limit * 3, cutoff=0.6)
        labels: list[str] = []
        for name in close:
            for region in (self.exact[name],) if name in self.exact else self.bare[name]:
                if region.label not in labels:
                    labels.append(region.label)
        return labels[:limit]


def _read(name: str) -> list[dict[str, str]]:
    text = (Path(__file__).parent / "data" / name).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


@cache
def load() -> Regions:
    """Read the shipped reference data once per process (about 1 ms)."""
    aliases: dict[str, tuple[str, ...]] = {
        row["code"]: tuple(a.strip() for a in row["aliases"].split(";") if a.strip())
        for row in _read("province_aliases.csv")
    }
    by_code: dict[str, Region] = {}
    exact: dict[str, Region] = {}
    bare: dict[str, list[Region]] = {}
    for row in _read("regions.csv"):
        region = Region(
            code=row["code"],
            name=row["name"],
            level=row["level"],
            province_code=row["province_code"],
            aliases=aliases.get(row["code"], ()),
        )
        by_code[region.code] = region
        for key in region.references:
            exact[_key(key)] = region
        if region.level != "provinsi":
            bare.setdefault(_bare(_key(region.name)), []).append(region)
    # A province name also used by a city ("Jambi", "Bengkulu") means the province.
    return Regions(by_code, exact, {k: tuple(v) for k, v in bare.items()})


def province_of(region_code: str | None) -> str | None:
    """The province code of a region code: Kemendagri codes start with it ("64.72" -> "64")."""
    return region_code.split(".", 1)[0] if region_code else None


def close_matches(word: str, possibilities: list[str], n: int, cutoff: float) -> list[str]:
    """The closest few of `possibilities` to `word` (difflib, imported only when suggesting)."""
    import difflib

    return difflib.get_close_matches(word, possibilities, n=n, cutoff=cutoff)
