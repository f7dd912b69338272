"""The `ks` command line: parses options, calls the domain layer, renders the result.

Heavy libraries (SQLAlchemy, SQLModel, Alembic, Rich) are imported inside the commands
that need them, so `ks --help`, completion and the read commands start quickly.
"""

from __future__ import annotations

import os
import sqlite3
import sys

from kerjasama_cli.i18n import _


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: every refusal becomes one line on stderr and an exit code."""
    _survive_any_encoding()
    from kerjasama_cli import i18n

    i18n.setup()  # before anything is built, so that Click's own texts are translated too
    from typer import Abort, TyperException  # usage errors are TyperExceptions
    from typer.main import get_command

    from kerjasama_cli.cli.app import app
    from kerjasama_cli.errors import EXIT_LEDGER, KsError

    try:
        _refuse_undecodable(sys.argv[1:] if argv is None else argv)
        command = get_command(app)
        i18n.translate_help(command)
        code = command.main(args=argv, prog_name="ks", standalone_mode=False)
    except KsError as exc:
        _fail(str(exc), exc.exit_code)
    except TyperException as exc:
        # Only a usage error pays for the patterns that translate Click's English messages.
        from kerjasama_cli.cli import usage

        where = getattr(getattr(exc, "ctx", None), "command_path", "ks")
        _fail(
            _("{message} (see '{command} --help')").format(
                message=usage.translated(exc.format_message()), command=where
            ),
            exc.exit_code,
        )
    except (Abort, KeyboardInterrupt):
        _fail(_("interrupted; nothing was recorded by the interrupted command"), 130)
    except sqlite3.DatabaseError as exc:  # damage found while reading: not a bug of ours
        _fail(
            _("the ledger could not be read ({problem}); run ks verify").format(problem=exc),
            EXIT_LEDGER,
        )
    except BrokenPipeError:
        _reader_went_away()
    except SystemExit:
        # Click (inside Typer) meets a closed pipe by wrapping stdout and exiting 1.
        if type(sys.stdout).__name__ == "PacifyFlushWrapper":
            _reader_went_away()
        raise
    except Exception as exc:
        if os.environ.get("KS_DEBUG"):
            raise
        _fail(
            _("internal error: {error}: {problem} (set KS_DEBUG=1 for details)").format(
                error=type(exc).__name__, problem=exc
            ),
            70,
        )
    sys.exit(code if isinstance(code, int) else 0)


def _survive_any_encoding() -> None:
    """On a stream that cannot carry all of Unicode, write '?' for what it cannot carry.

    Under LANG=...ISO-8859-1 or PYTHONIOENCODING=latin-1 a "—" or a "…" would otherwise end
    a report or a table half-way. Files written by --out are UTF-8 and are not affected.
    """
    import codecs  # already loaded by the interpreter: costs nothing

    for stream in (sys.stdout, sys.stderr):
        encoding = getattr(stream, "encoding", None)
        if not encoding or getattr(stream, "errors", None) != "strict":
            continue  # a stream someone already made lenient keeps its choice
        if codecs.lookup(encoding).name != "utf-8" and hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="replace")


def _reader_went_away() -> None:
    """The reader (head, less) closed the pipe: what was asked is done, so exit quietly, 0."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    sys.exit(0)


def _refuse_undecodable(args: list[str]) -> None:
    """Arguments that are not valid text (bytes a shell passed through) are refused at once,
    and so is a NUL, which no program's arguments can hold (only a caller of `main` can pass
    one) and PostgreSQL's text cannot store."""
    from kerjasama_cli.errors import InvalidInput

    for number, arg in enumerate(args, start=1):
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError:
            shown = arg.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
            raise InvalidInput(
                _("argument {number} ({text!r}) is not valid UTF-8 text").format(
                    number=number, text=shown
                )
            ) from None
        if "\x00" in arg:
            raise InvalidInput(
                _("argument {number} ({text!r}) holds a NUL character").format(
                    number=number, text=arg
                )
            )


def _fail(text: str, code: int) -> None:
    import re

    from kerjasama_cli.render import visible

    # A refusal may quote ledger text (a party's name) or input: shown visibly, it can
    # neither steer the terminal nor forge a second line.
    first_line = visible(" ".join(text.split("\n")))
    # A 20,000-character argument quoted back would bury the message: show its start.
    first_line = re.sub(
        r"[^\s'\"]{201,}",
        lambda m: _("{start}… ({count} characters)").format(
            start=m.group()[:80], count=len(m.group())
        ),
        first_line,
    )
    print(_("ks: error: {message}").format(message=first_line), file=sys.stderr)
    sys.exit(code)
