"""Build ks's message catalogs with Babel: extract, update the Indonesian `.po`, compile `.mo`.

    python scripts/catalogs.py update    # after changing any user-facing text
    python scripts/catalogs.py compile   # after translating (the .mo is shipped)
    python scripts/catalogs.py check     # what CI checks: exit 1 if anything is missing

The template holds four kinds of text: the `_()`, `N_()` and `ngettext()` calls in
src/kerjasama_cli; every help text, summary and epilog of the command tree (taken from the
built Click commands, so exactly what `--help` shows); and the texts of Click and Typer
themselves that ks's users see (usage errors, "Options:").
"""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir, extract_from_file
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "kerjasama_cli"
LOCALE = PACKAGE / "locale"
TEMPLATE = LOCALE / "kerjasama_cli.pot"
LANGUAGES = ("id",)
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}
# The library modules whose texts reach ks's users (help layout and usage errors).
LIBRARY_MODULES = {
    "typer._click": (
        "core.py", "exceptions.py", "types.py", "formatting.py", "decorators.py", "parser.py",
    ),
    "typer": ("core.py", "main.py"),
}


def po_path(language: str) -> Path:
    return LOCALE / language / "LC_MESSAGES" / "kerjasama_cli.po"


def mo_path(language: str) -> Path:
    return po_path(language).with_suffix(".mo")


def source_messages() -> Iterator[tuple[str | tuple[str, str], str, int]]:
    """(message, file, line) of every marked string in the package's sources."""
    for filename, line, message, _comments, _context in extract_from_dir(
        PACKAGE, method_map=[("**.py", "python")], keywords=KEYWORDS
    ):
        yield message, f"src/kerjasama_cli/{filename}", line


def help_messages() -> Iterator[tuple[str, str, int]]:
    """Every help text of the command tree, built in English."""
    sys.path.insert(0, str(ROOT / "src"))
    from typer.main import get_command

    from kerjasama_cli import i18n
    from kerjasama_cli.cli.app import app

    i18n.setup("en")
    for number, (_holder, attribute) in enumerate(i18n.help_texts(get_command(app)), start=1):
        yield getattr(_holder, attribute), "help", number


def library_messages() -> Iterator[tuple[str | tuple[str, str], str, int]]:
    import importlib

    for package, files in LIBRARY_MODULES.items():
        folder = Path(importlib.import_module(package).__file__ or "").parent
        for name in files:
            for line, message, _comments, _context in extract_from_file(
                "python", folder / name, keywords=KEYWORDS
            ):
                yield message, f"{package}/{name}", line


def template() -> Catalog:
    catalog = Catalog(project="kerjasama_cli", charset="utf-8", fuzzy=False)
    for messages in (source_messages(), help_messages(), library_messages()):
        for message, filename, line in messages:
            catalog.add(message, locations=[(filename, line)])

    return catalog


def update() -> None:
    fresh = template()
    TEMPLATE.parent.mkdir(parents=True, exist_ok=True)
    _write_po(TEMPLATE, fresh)
    for language in LANGUAGES:
        path = po_path(language)
        if path.exists():
            with path.open("rb") as handle:
                catalog = read_po(handle, locale=language)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            catalog = Catalog(locale=language, project="kerjasama_cli", fuzzy=False)
        catalog.update(fresh, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        _write_po(path, catalog)
        todo = len(missing(catalog))
        print(f"{path.relative_to(ROOT)}: {len(catalog)} messages, {todo} to translate")


def _write_po(path: Path, catalog: Catalog) -> None:
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=100, omit_header=False, sort_by_file=False,
             include_lineno=False)  # fmt: skip
    path.write_bytes(buffer.getvalue())


def compiled(language: str) -> bytes:
    """The `.mo` that the `.po` of `language` compiles to."""
    with po_path(language).open("rb") as handle:
        catalog = read_po(handle, locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    return buffer.getvalue()


def compile_all() -> None:
    for language in LANGUAGES:
        mo_path(language).write_bytes(compiled(language))
        print(f"{mo_path(language).relative_to(ROOT)} written")


def missing(catalog: Catalog) -> list[str]:
    """The msgids with no usable translation (empty or fuzzy)."""
    found = []
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(strings):
            found.append(message.id if isinstance(message.id, str) else message.id[0])
    return found


def problems() -> list[str]:
    """What `check` reports: messages not in a catalog or not translated, stale `.mo` files."""
    found: list[str] = []
    wanted = template()
    for language in LANGUAGES:
        with po_path(language).open("rb") as handle:
            catalog = read_po(handle, locale=language)
        for message in wanted:
            if message.id and message.id not in catalog and not _library_only(message):
                found.append(f"{language}: not in the catalog: {message.id!r}")
        found.extend(f"{language}: not translated: {m!r}" for m in missing(catalog))
        if not mo_path(language).exists() or mo_path(language).read_bytes() != compiled(language):
            found.append(f"{language}: {mo_path(language).name} is stale: run compile")
    return found


def _library_only(message: object) -> bool:
    locations = getattr(message, "locations", [])
    return bool(locations) and all(f.startswith(("typer._click/", "typer/")) for f, _ in locations)


def main() -> int:
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command == "update":
        update()
    elif command == "compile":
        compile_all()
    elif command == "check":
        found = problems()
        for line in found:
            print(line)
        return 1 if found else 0
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
