"""Click's usage errors in the interface language.

The Click that Typer vendors writes its messages in English without gettext. Each message
it can give a ks user is listed here as an English template (in the catalog like any other
text); a message that matches a template is rewritten with the template's translation, the
values it carried kept as they were. Anything else is shown as Click wrote it.
"""

from __future__ import annotations

import re
from functools import cache

from kerjasama_cli.i18n import N_, _

TEMPLATES = (
    N_("Invalid value for {option}: {problem}"),
    N_("Invalid value: {problem}"),
    N_("Missing option {option}."),
    N_("Missing argument {argument}."),
    N_("Missing parameter: {name}"),
    N_("No such option: {option} (Possible options: {choices})"),
    N_("No such option: {option}"),
    N_("No such command {name}."),
    N_("Got unexpected extra argument ({arguments})"),
    N_("Got unexpected extra arguments ({arguments})"),
    N_("Option {option} requires an argument."),
    N_("Option {option} requires {count} arguments."),
    N_("Option {option} does not take a value."),
    N_("{value} is not one of {choices}."),
    N_("{value} is not in the range {range}."),
    # Click names the number type it wanted: "'x' is not a valid int range." (--older-than)
    N_("{value} is not a valid int."),
    N_("{value} is not a valid int range."),
    N_("{value} is not a valid boolean. Recognized values: {choices}"),
    N_("{value} does not match the formats {formats}."),
)


@cache
def _patterns() -> list[tuple[re.Pattern[str], str]]:
    patterns = []
    for template in TEMPLATES:
        pieces = re.split(r"\{(\w+)\}", template)
        regex = "".join(
            f"(?P<{piece}>.+?)" if number % 2 else re.escape(piece)
            for number, piece in enumerate(pieces)
        )
        patterns.append((re.compile(f"^{regex}$", re.DOTALL), template))
    return patterns


def translated(message: str) -> str:
    """`message` from Click, in the interface language (the values inside it unchanged)."""
    for pattern, template in _patterns():
        match = pattern.match(message)
        if match:
            values = {name: translated(value) for name, value in match.groupdict().items()}
            return _(template).format(**values)
    return message
