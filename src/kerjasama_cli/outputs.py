"""Files ks writes where it is told to (`ks report --out`, `ks db backup DEST`): one set of rules.

A destination is refused in one line when it is the ledger or one of SQLite's files beside it
(by any path, symlink or hard link), a folder, a device, a read-only file, or lies in a folder
that is missing or cannot be written. The new file is written beside the destination and moved
onto it only when complete, so on any failure (a full disk included) the previous file is left
as it was and no temporary file is left behind. A symlink is written through, as a shell's `>`
would. The result has the mode `open(path, "w")` would give it under the process umask, or the
mode (and, where permitted, the owner) of the file it replaces.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from kerjasama_cli.errors import InvalidInput, KsError, LedgerUnavailable
from kerjasama_cli.i18n import N_, _

# The ledger and the files SQLite keeps beside it, which writing over would destroy it,
# with the refusal of each as a whole sentence.
LEDGER_FILES = {
    "": N_("{path} is the ledger ({file}); writing there would destroy it, so choose another file"),
    "-wal": N_(
        "{path} is the ledger's write-ahead log ({file}); writing there would destroy it, "
        "so choose another file"
    ),
    "-shm": N_(
        "{path} is the ledger's shared-memory index ({file}); writing there would destroy it, "
        "so choose another file"
    ),
    "-journal": N_(
        "{path} is the ledger's rollback journal ({file}); writing there would destroy it, "
        "so choose another file"
    ),
}

# The format a file's extension names, for commands that write several formats.
FORMAT_BY_EXTENSION = {
    ".md": "md",
    ".markdown": "md",
    ".html": "html",
    ".htm": "html",
    ".json": "json",
    ".csv": "csv",
    ".xlsx": "xlsx",
}

_FULL = (errno.ENOSPC, errno.EDQUOT)
_NOT_PERMITTED = (errno.EACCES, errno.EPERM, errno.EROFS)


def format_for(path: Path | None, given: str | None, default: str) -> str:
    """The format to write: `given`, else the one `path`'s extension names, else `default`.

    A format given that contradicts the extension (`--format md --out x.xlsx`) is refused:
    the file would lie about what it holds.
    """
    named = FORMAT_BY_EXTENSION.get(path.suffix.lower()) if path is not None else None
    if given is None:
        return named or default
    if named is not None and named != given:
        raise InvalidInput(
            _(
                "--format {given} does not match the file name {path}, which says {named}; "
                "leave out --format, or give a file name ending in .{given}"
            ).format(given=given, path=path, named=named)
        )
    return given


def destination(path: Path, ledger: Path | None = None) -> Path:
    """The real file to write for `path`, or a one-line refusal; nothing is written here.

    Symlinks are followed, so the file returned is the one that will be replaced or created.
    """
    path = path.expanduser()
    if path.name in ("", ".", ".."):
        raise InvalidInput(_("{path} is a folder; give a file name").format(path=path))
    real = Path(os.path.realpath(path))
    found = _stat(path, real)
    if ledger is not None:
        _refuse_ledger(path, real, found, ledger)
    if found is not None:
        if stat.S_ISDIR(found.st_mode):
            raise InvalidInput(
                _("{path} is a folder; give a file name inside it").format(path=path)
            )
        if not stat.S_ISREG(found.st_mode):
            raise InvalidInput(
                _("{path} is not a regular file (a device, pipe or socket)").format(path=path)
            )
        if not os.access(real, os.W_OK):
            raise InvalidInput(
                _("cannot write {path}: the file is read-only for you").format(path=path)
            )
    folder = real.parent
    if not folder.is_dir():
        said = (
            _("cannot write {path}: the folder {folder} is not a folder")
            if folder.exists()
            else _("cannot write {path}: the folder {folder} does not exist")
        )
        raise InvalidInput(said.format(path=path, folder=folder))
    if not os.access(folder, os.W_OK):
        raise InvalidInput(
            _(
                "cannot write {path}: the folder {folder} is read-only or not writable for you"
            ).format(path=path, folder=folder)
        )
    return real


@contextmanager
def replacing(path: Path, shown: Path | None = None) -> Iterator[Path]:
    """A new, empty file beside `path` for the block to fill; moved onto `path` if it succeeds.

    `path` is what `destination` returned; `shown` is the name the user gave, for messages.
    On any failure, the new file (and any SQLite journal of it) is removed and `path` is left
    as it was; an OSError becomes a refusal.
    """
    shown = shown or path
    try:
        previous: os.stat_result | None = os.stat(path)
    except FileNotFoundError:
        previous = None
    try:
        temporary = _create_beside(path, previous)
    except OSError as exc:
        raise cannot_write(shown, exc, previous is not None) from None
    try:
        yield temporary
        os.replace(temporary, path)
        _sync_folder(path.parent)
    except OSError as exc:
        raise cannot_write(shown, exc, previous is not None) from None
    finally:
        for suffix in LEDGER_FILES:
            with suppress(FileNotFoundError):
                os.unlink(f"{temporary}{suffix}")


def cannot_write(path: Path, exc: OSError, existed: bool) -> KsError:
    """A failed write as a refusal: exit 3 for a full disk, 2 for a path the user can change."""
    if exc.errno in _FULL:
        said = (
            _("cannot write {path}: the disk is full; the previous file is left as it was")
            if existed
            else _("cannot write {path}: the disk is full; nothing was written")
        )
        return LedgerUnavailable(said.format(path=path))
    if exc.errno in _NOT_PERMITTED:
        said = (
            _(
                "cannot write {path}: the disk is read-only or not writable; "
                "the previous file is left as it was"
            )
            if existed
            else _(
                "cannot write {path}: the disk is read-only or not writable; nothing was written"
            )
        )
        return InvalidInput(said.format(path=path))
    said = (
        _("cannot write {path}: {reason}; the previous file is left as it was")
        if existed
        else _("cannot write {path}: {reason}; nothing was written")
    )
    return InvalidInput(said.format(path=path, reason=exc.strerror or exc))


def _stat(path: Path, real: Path) -> os.stat_result | None:
    try:
        return os.stat(real)
    except FileNotFoundError:
        return None
    except OSError as exc:  # a loop of symlinks, a file used as a folder, no permission
        raise InvalidInput(
            _("cannot write {path}: {reason}").format(path=path, reason=exc.strerror)
        ) from None


def _refuse_ledger(path: Path, real: Path, found: os.stat_result | None, ledger: Path) -> None:
    """Refuse `path` if it is the ledger or a file SQLite keeps beside it, by name or by inode."""
    # SQLite names its -wal, -shm and -journal after the ledger's real path; compare with
    # both that and the path as given, since either may be a symlink.
    ledger = ledger.expanduser()
    for suffix, refusal in LEDGER_FILES.items():
        names = {os.path.realpath(f"{ledger}{suffix}"), f"{os.path.realpath(ledger)}{suffix}"}
        same = str(real) in names
        if not same and found is not None:  # a hard link, a bind mount, another spelling
            for name in names:
                with suppress(OSError):
                    other = os.stat(name)
                    same = same or (other.st_dev, other.st_ino) == (found.st_dev, found.st_ino)
        if same:
            raise InvalidInput(_(refusal).format(path=path, file=f"{ledger}{suffix}"))


def _create_beside(path: Path, previous: os.stat_result | None) -> Path:
    """An empty file in `path`'s folder with the mode the finished file must have."""
    stem = path.name  # cut by whole characters to 100 bytes: room for the suffix in NAME_MAX
    while len(os.fsencode(stem)) > 100:
        stem = stem[:-1]
    while True:
        temporary = path.with_name(f".{stem}.{os.urandom(6).hex()}.tmp")
        try:
            # 0o666: the kernel applies the umask (and any default ACL), as open(path, "w").
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
        except FileExistsError:
            continue
        try:
            if previous is not None:
                if (previous.st_uid, previous.st_gid) != (os.geteuid(), os.getegid()):
                    with suppress(OSError):  # only root, or a group of one's own, may
                        os.fchown(fd, previous.st_uid, previous.st_gid)
                os.fchmod(fd, stat.S_IMODE(previous.st_mode))  # after chown, which clears setuid
        except OSError:
            os.close(fd)
            os.unlink(temporary)
            raise
        os.close(fd)
        return temporary


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable; some file systems cannot open a folder, which is fine."""
    with suppress(OSError):
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
