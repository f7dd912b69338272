"""The one family of exceptions the domain raises; the CLI turns each into one line on stderr."""

from __future__ import annotations

from collections.abc import Sequence

from kerjasama_cli.i18n import _

# Exit codes: 2 for input the user can fix (as Click does for usage errors),
# 1 for a ledger that cannot be used as it is, 3 for a busy or full ledger.
EXIT_INVALID = 2
EXIT_LEDGER = 1
EXIT_UNAVAILABLE = 3


class KsError(Exception):
    """A refusal with a message meant for the user."""

    exit_code = EXIT_INVALID

    def __init__(self, message: str, suggestions: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.suggestions = list(suggestions)

    def __str__(self) -> str:
        if not self.suggestions:
            return self.message
        return _("{message}; did you mean {choices}?").format(
            message=self.message, choices=either(self.suggestions)
        )


class InvalidInput(KsError):
    """Input that cannot be accepted as given (a bad date, an unknown region, a rule broken)."""


class NotFound(InvalidInput):
    """A reference (agreement key, party, region) that matches nothing."""


class Ambiguous(InvalidInput):
    """A reference that matches more than one thing."""


class LedgerError(KsError):
    """The ledger file is missing, not a ledger, or from a newer version of ks."""

    exit_code = EXIT_LEDGER


class Damaged(LedgerError):
    """Something stored in the ledger cannot be read back: it was damaged after writing."""


class LedgerUnavailable(KsError):
    """The ledger is busy beyond the timeout, or the disk is full."""

    exit_code = EXIT_UNAVAILABLE


def either(options: Sequence[str]) -> str:
    """'a', 'b' or 'c': choices as a message offers them."""
    quoted = [f"'{o}'" for o in options]
    if len(quoted) == 1:
        return quoted[0]
    return _("{choices} or {last}").format(choices=", ".join(quoted[:-1]), last=quoted[-1])
