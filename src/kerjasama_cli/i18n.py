"""The interface language: which one, its gettext catalog, and dates written in it.

English is the source language (the msgids); Indonesian comes from the catalog
`locale/id/LC_MESSAGES/kerjasama_cli.mo`, compiled from the `.po` beside it by
`scripts/catalogs.py`. The language is `KS_LANG` (`id` or `en`), else the locale
(`LC_ALL`, `LC_MESSAGES`, `LANG`: `id_*` is Indonesian), else English.

`setup()` makes our catalog the process's gettext domain, so the strings of Click and Typer
(usage errors, "Options:", "Show this message and exit.") are translated by the same
catalog as ours. Nothing here imports Babel: `ks pending` writes dates in the language from
the month names in the catalog, which a test holds equal to Babel's.
"""

from __future__ import annotations

import gettext as _gettext
import os
from collections.abc import Callable
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

DOMAIN = "kerjasama_cli"
LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGES = ("id", "en")
ENV_VAR = "KS_LANG"

# Month names as CLDR (Babel's data) writes them in `d MMMM y` and `d MMM y`: a test holds
# `format_date` equal to Babel's output for every month, so `ks pending` need not import it.
MONTHS = {
    "en": (
        "January", "February", "March", "April", "May", "June", "July", "August",
        "September", "October", "November", "December",
    ),
    "id": (
        "Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
        "September", "Oktober", "November", "Desember",
    ),
}  # fmt: skip
MONTHS_ABBREVIATED = {
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
    "id": ("Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des"),
}


def N_(message: str) -> str:
    """Marks a string for the catalog where it is defined; it is translated where shown."""
    return message


def interface_language(environ: os._Environ[str] | dict[str, str] | None = None) -> str:
    """`id` or `en`: KS_LANG, else the first locale variable set, else English."""
    env = os.environ if environ is None else environ
    chosen = env.get(ENV_VAR, "").strip().lower()
    if chosen:
        return "id" if chosen.startswith("id") else "en"
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name, "")
        if value:  # the first one set decides, as for any POSIX program
            return "id" if value.lower().startswith("id") else "en"
    return "en"


_language = "en"


def setup(language: str | None = None) -> str:
    """Use `language` (default: the interface language) for every gettext lookup in ks,
    Click and Typer; returns it."""
    global _language
    _language = language or interface_language()
    # The global gettext functions (which Click and Typer call) choose the catalog from
    # LANGUAGE first; our choice, made from KS_LANG and the locale, is what counts.
    os.environ["LANGUAGE"] = _language
    _gettext.bindtextdomain(DOMAIN, str(LOCALE_DIR))
    _gettext.textdomain(DOMAIN)
    _gettext._translations.clear()  # type: ignore[attr-defined]  # a language set earlier
    return _language


def language() -> str:
    """The language chosen by `setup()` (English before it is called)."""
    return _language


def _(message: str) -> str:
    """The message in the interface language."""
    return _gettext.dgettext(DOMAIN, message) if _language != "en" else message


def ngettext(singular: str, plural: str, n: int) -> str:
    if _language == "en":
        return singular if n == 1 else plural
    return _gettext.dngettext(DOMAIN, singular, plural, n)


@cache
def translator(language: str) -> Callable[[str], str]:
    """The gettext function of one language, whatever the interface's (for `ks report --lang`)."""
    if language == "en":
        return str
    catalog = _gettext.translation(DOMAIN, str(LOCALE_DIR), languages=[language], fallback=True)
    return catalog.gettext


def format_date(day: date, style: str = "long", language: str | None = None) -> str:
    """`11 Agustus 2022` / `11 August 2022` (long) or `11 Agu 2022` / `11 Aug 2022` (medium):
    Babel's `format_date(day, "d MMMM y")` and `"d MMM y"`, without importing Babel."""
    names = (MONTHS if style == "long" else MONTHS_ABBREVIATED)[language or _language]
    return f"{day.day} {names[day.month - 1]} {day.year}"


def help_texts(command: Any) -> list[tuple[Any, str]]:
    """Every help text of a Click command tree, as (holder, attribute name) pairs in order:
    what `translate_help` translates and what the catalog must carry."""
    found: list[tuple[Any, str]] = []
    for attribute in ("help", "short_help", "epilog"):
        if getattr(command, attribute, None):
            found.append((command, attribute))
    help_option = command.get_help_option(command.context_class(command, **HELP_CONTEXT))
    for param in [*command.params, help_option]:
        if getattr(param, "help", None):
            found.append((param, "help"))
    for sub in getattr(command, "commands", {}).values():
        found.extend(help_texts(sub))
    return found


# Written by the vendored Click without gettext: translate_help puts it in.
USAGE = N_("Usage: ")
HELP_CONTEXT: dict[str, Any] = {"help_option_names": ["-h", "--help"]}


def translate_help(command: Any, language: str | None = None) -> None:
    """Translate, in place, the help texts of a Click command tree built from our sources,
    and the "Usage:" that Click writes above them."""
    gettext = translator(language or _language)
    if gettext is str:
        return
    for holder, attribute in help_texts(command):
        setattr(holder, attribute, gettext(getattr(holder, attribute)))
    _translate_usage(command, gettext(USAGE))


def _translate_usage(command: Any, prefix: str) -> None:
    base = command.context_class

    class Formatter(base.formatter_class):  # type: ignore[name-defined]
        def write_usage(self, prog: str, args: str = "", prefix_: str | None = None) -> None:
            super().write_usage(prog, args, prefix if prefix_ is None else prefix_)

    context = type("TranslatedContext", (base,), {"formatter_class": Formatter})
    stack = [command]
    while stack:
        current = stack.pop()
        current.context_class = context
        stack.extend(getattr(current, "commands", {}).values())
