"""Where a ledger is: a file (a `Path`), or a PostgreSQL database named by a URL.

Only a text that starts with one of `URL_SCHEMES` is a URL; anything else is a file path,
never parsed (a `?`, `%` or `#` in it stays part of the file's name). Imports nothing
beyond the standard library: every command locates its ledger first.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

ENV_VAR = "KS_DB"
# psycopg's own spelling (libpq's two) and SQLAlchemy's, so a URL copied from either works.
URL_SCHEMES = ("postgresql://", "postgres://", "postgresql+psycopg://")
HIDDEN = "***"
# A password given as a parameter (`?password=...`), however written in the query string.
_PASSWORD_PARAMETER = re.compile(r"([?&]password=)[^&#]*", re.IGNORECASE)


@dataclass(frozen=True)
class ServerLedger:
    """A ledger in a PostgreSQL database; `url` exactly as given.

    Shown (`str()`, so in every message) without its password.
    """

    url: str

    def __str__(self) -> str:
        return self.shown

    @property
    def shown(self) -> str:
        """The URL with any password replaced by `***`."""
        scheme, _sep, rest = self.url.partition("://")
        end = min((i for i in (rest.find("/"), rest.find("?")) if i >= 0), default=len(rest))
        authority, tail = rest[:end], rest[end:]
        if "@" in authority:
            userinfo, _at, hosts = authority.rpartition("@")
            user, colon, _password = userinfo.partition(":")
            if colon:
                authority = f"{user}:{HIDDEN}@{hosts}"
        tail = _PASSWORD_PARAMETER.sub(lambda m: m.group(1) + HIDDEN, tail)
        return f"{scheme}://{authority}{tail}"

    @property
    def conninfo(self) -> str:
        """The URL as libpq (psycopg) takes it: SQLAlchemy's `+psycopg` left out."""
        _scheme, _sep, rest = self.url.partition("://")
        return f"postgresql://{rest}"


# What `--db` and KS_DB name.
Location = Path | ServerLedger


def is_url(text: str) -> bool:
    """Whether `text` names a PostgreSQL database rather than a file."""
    return text.startswith(URL_SCHEMES)


def locate(given: str | os.PathLike[str] | None = None) -> Location:
    """The ledger: `--db`, else $KS_DB, else the file in the platform's user data directory."""
    text = given if given else os.environ.get(ENV_VAR)
    if isinstance(text, str) and is_url(text):
        return ServerLedger(text)
    if text:
        return Path(text).expanduser()
    from platformdirs import user_data_path

    return user_data_path("kerjasama", appauthor=False) / "ledger.sqlite"
