"""Shell completion of agreement keys, parties and provinces, for bash, zsh and fish.

Keys and party aliases come from the ledger through `db.reader` (the read-only path every
read command uses: the standard library's sqlite3 for a file, psycopg for a PostgreSQL URL),
so completing never imports SQLAlchemy, Alembic or Rich: a Tab costs about what `ks --help`
costs. The ledger is the one the command line being completed names (`ks --db FILE sign
<Tab>`), else $KS_DB, else the default. Completion is silent: a missing, busy, unreachable or
unreadable ledger offers nothing, never a message or a traceback, since whatever it printed
would land on the user's command line.

Candidates are returned spelt the way the typed prefix begins them (`pks-2022` gives
`pks-2022-0001`, `PKS-2022` gives `PKS-2022-0001`): Typer keeps only candidates that begin
with exactly what was typed (and zsh, by default, does the same), while `ks` reads keys,
aliases and provinces in any case.
"""

import os
import re
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from kerjasama_cli.location import ServerLedger

MAX_COMPLETIONS = 200  # enough to choose from; a shell would ask before listing more anyway
# A writer holds the ledger only for a moment; a Tab that waited the commands' 30 s would
# feel like a hung shell, so completion gives up after this and offers nothing.
BUSY_TIMEOUT_MS = 250
# A server that does not answer: libpq's shortest wait (the commands wait 10 s).
CONNECT_TIMEOUT_SECONDS = 2
_ABOVE_ANY_TEXT = "\U0010ffff"  # the upper end of a range of keys sharing a prefix


def complete_key(ctx: typer.Context, incomplete: str) -> list[str]:
    """Keys of the agreements in the ledger that begin with `incomplete`, in any case.

    Withdrawn agreements (their `agreement.add` voided) are left out: nothing more can be
    recorded on them.
    """
    from kerjasama_cli.queries import NOT_VOIDED

    # Keys are stored upper-case: a range of the key index, not LIKE, so that % and _
    # typed are not wildcards and a million agreements cost no more than eight.
    low = incomplete.upper()
    keys = _ledger_rows(
        ctx,
        "SELECT a.key FROM agreement a WHERE a.key >= :low AND a.key < :high "
        f"AND {NOT_VOIDED.format('a')} ORDER BY a.key LIMIT :limit",
        low=low,
        high=low + _ABOVE_ANY_TEXT,
        limit=MAX_COMPLETIONS,
    )
    return _spelt_as_typed(incomplete, keys)


def complete_party(ctx: typer.Context, incomplete: str) -> list[str]:
    """Party aliases in the ledger (kominfo-jatim), then province abbreviations (jatim),
    that begin with `incomplete`, in any case."""
    from kerjasama_cli.queries import normalize

    low = normalize(incomplete)  # as party_alias.alias_key is stored
    aliases = _ledger_rows(
        ctx,
        "SELECT alias FROM party_alias WHERE alias_key >= :low AND alias_key < :high "
        "ORDER BY alias_key LIMIT :limit",
        low=low,
        high=low + _ABOVE_ANY_TEXT,
        limit=MAX_COMPLETIONS,
    )
    words = _spelt_as_typed(incomplete, aliases)
    seen = {word.casefold() for word in words}
    words += [word for word in complete_province(incomplete) if word.casefold() not in seen]
    return words[:MAX_COMPLETIONS]


def complete_province(incomplete: str) -> list[str]:
    """Province abbreviations and codes that begin with `incomplete`, in any case, from the
    shipped region table only (no ledger)."""
    from kerjasama_cli import regions

    words: list[str] = []
    for region in regions.load().all():
        if region.level == "provinsi":
            words.extend(region.aliases or (region.code,))
    return _spelt_as_typed(incomplete, sorted(words))


def _spelt_as_typed(typed: str, words: list[str]) -> list[str]:
    """The words that begin with `typed` in any case, each beginning exactly as typed and
    going on in the case `typed` was written in (all lower, all upper), else as recorded.
    Words with spaces are left out."""
    found = []
    for word in words:
        if len(word.split()) != 1:
            continue  # bash would insert "bangka belitung" as two words: its alias is offered
        head, rest = word[: len(typed)], word[len(typed) :]
        if head.casefold() != typed.casefold():
            continue  # e.g. an alias whose spaces normalize() folded: not this prefix
        if typed.islower():
            rest = rest.lower()
        elif typed.isupper():
            rest = rest.upper()
        found.append(typed + rest)
    return found


def _ledger_rows(ctx: typer.Context, sql: str, **params: object) -> list[str]:
    """The first column of `sql` on the ledger the command line names; [] if it cannot be read."""
    import sqlite3

    from kerjasama_cli import db
    from kerjasama_cli.location import ServerLedger, locate

    # During completion no command runs, so the global options' callback has not stored
    # them: --db (or KS_DB, which Click resolves for it) is among the root's parsed params.
    option = ctx.find_root().params.get("db")
    try:
        location = locate(option)
        if isinstance(location, ServerLedger):
            location = _impatient(location)
            sql = _PREFIX_RANGE.sub(r"starts_with(\1, :low)", sql)
        with db.reader(location) as conn:
            if isinstance(conn, sqlite3.Connection):
                conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            else:
                conn.execute(f"SET LOCAL statement_timeout = {BUSY_TIMEOUT_MS}")
            return [str(row[0]) for row in db.runner(conn)(sql, **params)]
    except Exception:  # whatever went wrong, printing it would garble the command line
        if os.environ.get("KS_DEBUG"):
            raise
        return []


# On PostgreSQL a prefix is matched by starts_with(): how text above every character sorts
# depends on the database's collation, and in most it is not after every key.
_PREFIX_RANGE = re.compile(r"([\w.]+) >= :low AND \1 < :high")


def _impatient(location: "ServerLedger") -> "ServerLedger":
    """The URL with a short connect_timeout, unless it gives one."""
    from kerjasama_cli.location import ServerLedger

    url = location.url
    if "connect_timeout=" in url:
        return location
    return ServerLedger(
        f"{url}{'&' if '?' in url else '?'}connect_timeout={CONNECT_TIMEOUT_SECONDS}"
    )
