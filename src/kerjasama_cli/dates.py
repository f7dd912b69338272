"""Parse the dates staff type: ISO, day-first (- or /) and Indonesian or English month names."""

from __future__ import annotations

import re
from datetime import date

from kerjasama_cli.errors import InvalidInput
from kerjasama_cli.i18n import N_, _

# Parsing needs the abbreviations people actually type ("Agt", "Nop", "Peb"),
# which no locale database lists, so this table is ours; output uses Babel. Besides these,
# the first three or more letters of a full name are read as that month ("Agust", "Sept").
_MONTHS = {
    1: ("januari", "jan", "january"),
    2: ("februari", "feb", "pebruari", "peb", "february"),
    3: ("maret", "mar", "march"),
    4: ("april", "apr"),
    5: ("mei", "may"),
    6: ("juni", "jun", "june"),
    7: ("juli", "jul", "july"),
    8: ("agustus", "agu", "agt", "ags", "agst", "aug", "august"),
    9: ("september", "sep", "sept"),
    10: ("oktober", "okt", "october", "oct"),
    11: ("november", "nov", "nopember", "nop"),
    12: ("desember", "des", "december", "dec"),
}
MONTH_BY_NAME = {name: number for number, names in _MONTHS.items() for name in names}
_SHORTEST_PREFIX = 3  # "ju" could be Juni or Juli; no two months share three first letters


def month_named(name: str) -> int | None:
    """The month that `name` (casefolded) names: a listed name or abbreviation, or the start
    of a full name, at least three letters long ("agust" for Agustus); None if none."""
    if name in MONTH_BY_NAME:
        return MONTH_BY_NAME[name]
    if len(name) < _SHORTEST_PREFIX:
        return None
    months = {number for full, number in MONTH_BY_NAME.items() if full.startswith(name)}
    return months.pop() if len(months) == 1 else None


_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_DAY_FIRST = re.compile(r"(\d{1,2})([-/.])(\d{1,2})\2(\d{4})")
_NAMED = re.compile(r"(\d{1,2})[\s-]+([^\W\d_]+)\.?[\s-]+(\d{4})")

EXAMPLES = N_("2022-08-11, 11-08-2022, 11/08/2022 or 11 Agustus 2022")
# The years a date of this ledger can fall in: anything outside is a typo ("0222", "2202"
# still passes), and the reports' date arithmetic stays far from date's own limits.
FIRST_YEAR, LAST_YEAR = 1900, 2199


def parse_date(text: str) -> date:
    """Return the calendar date that `text` names, or raise InvalidInput saying why not."""
    value = " ".join(text.split()).strip(",")
    if (m := _ISO.fullmatch(value)) is not None:
        year, month, day = (int(g) for g in m.groups())
    elif (m := _DAY_FIRST.fullmatch(value)) is not None:
        day, month, year = int(m.group(1)), int(m.group(3)), int(m.group(4))
    elif (m := _NAMED.fullmatch(value)) is not None:
        month_or_none = month_named(m.group(2).casefold())
        if month_or_none is None:
            raise InvalidInput(
                _("unknown month {month!r} in date {text!r}").format(month=m.group(2), text=text)
            )
        day, month, year = int(m.group(1)), month_or_none, int(m.group(3))
    else:
        raise InvalidInput(
            _("cannot read {text!r} as a date; use {examples}").format(
                text=text, examples=_(EXAMPLES)
            )
        )
    try:
        parsed = date(year, month, day)
    except ValueError:
        raise InvalidInput(_("{text!r} is not a real date").format(text=text)) from None
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise InvalidInput(
            _("{text!r} is outside the years {first} to {last}").format(
                text=text, first=FIRST_YEAR, last=LAST_YEAR
            )
        )
    return parsed
