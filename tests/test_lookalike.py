"""Look-alike parties: a name or alias that reads like another party's or a region's is refused.

Kaltim's and Jatim's Kominfo and Jatim's Dinas Sosial are registered; a party that spells
one of them, or a region's government, with other letters that look the same (a Cyrillic a, a
Greek omicron, a zero-width space, fullwidth letters) is refused, naming the one it imitates;
so is a name shaped like an agreement key. Characters are written as escapes on purpose.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.conftest import RunKs, assert_refused, ledger_digest
from tests.test_ledger import Ledger

from kerjasama_cli import ledger, lookalike, queries, regions
from kerjasama_cli.errors import InvalidInput

KOMINFO_JATIM = "Dinas Kominfo Provinsi Jawa Timur"


@pytest.fixture
def parties(ledger_location: Path) -> Ledger:
    """Kominfo of Kaltim and Jatim, and Jatim's Dinas Sosial."""
    book = Ledger(ledger_location)
    book.write(
        ledger.add_party,
        "Dinas Kominfo Provinsi Kalimantan Timur",
        "kaltim",
        ["kominfo-kaltim"],
        "Kepala Dinas",
    )
    book.write(ledger.add_party, KOMINFO_JATIM, "jatim", ["kominfo-jatim"])
    book.write(ledger.add_party, "Dinas Sosial", "jatim", ["dinsos-jatim"])
    return book


def refusal(book: Ledger, name: str, aliases: list[str] | None = None, **kw: object) -> str:
    """The message of a refused `party add`, after checking that the ledger did not change."""
    before = ledger_digest(book.path)
    with pytest.raises(InvalidInput) as refused:
        book.write(ledger.add_party, name, kw.pop("region", "jatim"), aliases or [], **kw)
    assert ledger_digest(book.path) == before
    return str(refused.value)


@pytest.mark.parametrize(
    ("name", "aliases", "imitated", "odd"),
    [
        pytest.param(
            "Pemerintah Provinsi Kalimant\u0430n Timur",
            ["k\u0430ltim"],
            "'Pemerintah Provinsi Kalimantan Timur' (the government of Kalimantan Timur)",
            "U+0430 CYRILLIC SMALL LETTER A",
            id="the issue: Kaltim's government with a Cyrillic a",
        ),
        pytest.param(
            "PEMERINTAH PROVINSI KALIMANT\u0410N TIMUR",
            [],
            "'Pemerintah Provinsi Kalimantan Timur' (the government of Kalimantan Timur)",
            "U+0410 CYRILLIC CAPITAL LETTER A",
            id="in capitals",
        ),
        pytest.param(
            "Pemerintah K\u043eta Samarinda",
            [],
            "'Pemerintah Kota Samarinda' (the government of Kota Samarinda)",
            "U+043E CYRILLIC SMALL LETTER O",
            id="a city's government",
        ),
        pytest.param(
            "Dinas Lain",
            ["k\u0430ltim"],
            "'kaltim' (which names Kalimantan Timur)",
            "U+0430 CYRILLIC SMALL LETTER A",
            id="a region's abbreviation",
        ),
        pytest.param(
            "Dinas Lain",
            ["\uff4a\uff41\uff54\uff49\uff4d"],
            "'jatim' (which names Jawa Timur)",
            "U+FF4A FULLWIDTH LATIN SMALL LETTER J",
            id="fullwidth jatim",
        ),
        pytest.param(
            "Dinas Lain",
            ["kominfo-j\u0430tim"],
            f"'kominfo-jatim' (an alias of {KOMINFO_JATIM})",
            "U+0430 CYRILLIC SMALL LETTER A",
            id="another party's alias",
        ),
        pytest.param(
            "Dinas Lain",
            ["kominfo\u2010jatim"],
            f"'kominfo-jatim' (an alias of {KOMINFO_JATIM})",
            "U+2010 HYPHEN",
            id="a hyphen that is not the hyphen-minus",
        ),
        pytest.param(
            "Dinas K\u03bfminfo Provinsi Jawa Timur",
            [],
            f"'{KOMINFO_JATIM}' (a registered party)",
            "U+03BF GREEK SMALL LETTER OMICRON",
            id="Greek omicron in Kominfo",
        ),
        pytest.param(
            "Dinas K0minfo Provinsi Jawa Timur",
            [],
            f"'{KOMINFO_JATIM}' (a registered party)",
            "U+0030 DIGIT ZERO",
            id="a zero for the o",
        ),
        pytest.param(
            "Dinas Lain",
            ["kominfo-ka\u0049tim"],
            "'kominfo-kaltim' (an alias of Dinas Kominfo Provinsi Kalimantan Timur)",
            "U+0049 LATIN CAPITAL LETTER I",
            id="a capital I for the l",
        ),
        pytest.param(
            "Dinas\u200bSosial",
            [],
            "'Dinas Sosial' (a registered party)",
            "U+200B ZERO WIDTH SPACE",
            id="a zero-width space for the space",
        ),
        pytest.param(
            "Dinas So\u00adsial",
            [],
            "'Dinas Sosial' (a registered party)",
            "U+00AD SOFT HYPHEN",
            id="a soft hyphen inside",
        ),
        pytest.param(
            "Dinas Sos\u00edal",
            [],
            "'Dinas Sosial' (a registered party)",
            "U+00ED LATIN SMALL LETTER I WITH ACUTE",
            id="an accent",
        ),
        pytest.param(
            "Dinas Lain",
            ["\u202edinsos-jatim"],
            "'dinsos-jatim' (an alias of Dinas Sosial)",
            "U+202E RIGHT-TO-LEFT OVERRIDE",
            id="a bidi control",
        ),
    ],
)
def test_a_look_alike_is_refused_naming_what_it_imitates(
    parties: Ledger, name: str, aliases: list[str], imitated: str, odd: str
) -> None:
    message = refusal(parties, name, aliases, third_party=True)
    assert f"looks like {imitated}" in message
    assert odd in message
    assert message.endswith("; refused")


def test_only_the_spacing_differs(parties: Ledger) -> None:
    message = refusal(parties, "DinasSosial")
    assert message == (
        "name 'DinasSosial' looks like 'Dinas Sosial' (a registered party) "
        "but is spaced differently; refused"
    )


def test_a_name_with_more_odd_characters_lists_three(parties: Ledger) -> None:
    message = refusal(parties, "\uff24\uff49\uff4e\uff41\uff53 Sosial")
    assert "FULLWIDTH LATIN SMALL LETTER N and 2 more)" in message


def test_an_ambiguous_region_name_is_imitated_too(parties: Ledger) -> None:
    message = refusal(parties, "Dinas Lain", ["B\u0430ndung"])
    assert "looks like 'Bandung' (which names Kabupaten Bandung and Kota Bandung)" in message


@pytest.mark.parametrize(
    "key",
    [
        "KSB-2022-0001",
        "pks-2023-12",
        "ADD-2024-0003",
        "KSB 2022 0001",
        "PKS/2022/7",
        "PKS-2O22-OOO1",  # letters O
        "\u041a\u0405\u0412-2022-0001",  # Cyrillic capitals
        "\uff30\uff2b\uff33-\uff12\uff10\uff12\uff12-\uff10\uff10\uff10\uff11",  # fullwidth
    ],
)
def test_a_name_or_alias_shaped_like_an_agreement_key_is_refused(parties: Ledger, key: str) -> None:
    for name, aliases in ((key, []), ("Dinas Lain", [key])):
        message = refusal(parties, name, aliases)
        assert "reads like an agreement key (such as KSB-2022-0001)" in message


@pytest.mark.parametrize(
    ("name", "region", "aliases"),
    [
        ("Universitas Mulawarman", "Kota Samarinda", ["unmul"]),
        ("PT Bank Pembangunan Daerah Jawa Timur Tbk", None, ["bank-jatim"]),
        ("Dinas Sosial Kota Samarinda", "Kota Samarinda", ["dinsos-smd"]),
        ("Dinas Kominfo Kota Surabaya", "Kota Surabaya", ["kominfo-sby"]),
        ("Yayasan 1000 Guru", None, ["1000-guru"]),
        ("KSB Konsultan", None, ["pks-2023"]),  # a prefix and a year are no key
        ("Universit\u00e4t Hamburg", None, []),  # diacritics are fine when nothing is imitated
    ],
)
def test_legitimate_names_still_pass(
    parties: Ledger, name: str, region: str | None, aliases: list[str]
) -> None:
    party = parties.write(ledger.add_party, name, region, aliases, third_party=region is None)
    assert party.name == name


def test_the_exact_same_name_keeps_the_rule_for_taken_names(parties: Ledger) -> None:
    assert "is already used by a party of Jawa Timur" in refusal(parties, KOMINFO_JATIM.upper())
    assert refusal(parties, "Dinas Lain", ["KALTIM"]).endswith("already names a region")


def test_no_two_regions_look_alike() -> None:
    """The skeleton does not fold distinct regions together: a party named after one region's
    government is never taken for another's."""
    table = regions.load()
    seen: dict[str, set[str]] = {}
    for region in table.all():
        for text in region.references:
            seen.setdefault(lookalike.skeleton(text), set()).add(region.code)
    assert [codes for codes in seen.values() if len(codes) > 1] == []


def test_the_ascii_shortcut_agrees_with_the_full_skeleton() -> None:
    text = "".join(chr(c) for c in range(128))
    assert lookalike.skeleton(text) == lookalike._skeleton(text)


def test_the_skeleton_of_a_skeleton_is_itself() -> None:
    for char, _ in lookalike.lookalikes().items():
        once = lookalike.skeleton(char)
        assert lookalike.skeleton(once) == once, lookalike.describe(char)


# --- the property ------------------------------------------------------------------------

WORDS = [
    "Dinas",
    "Badan",
    "Kantor",
    "Balai",
    "Pendidikan",
    "Kesehatan",
    "Perhubungan",
    "Pariwisata",
    "Lingkungan",
    "Hidup",
    "Pertanian",
    "Kelautan",
    "Perikanan",
    "Sosial",
    "Kominfo",
    "Arsip",
    "Perpustakaan",
    "Koperasi",
    "Usaha",
    "Mikro",
    "Penanaman",
    "Modal",
    "Daerah",
    "Kota",
    "Kabupaten",
    "Provinsi",
    "Samarinda",
    "Balikpapan",
    "Malang",
    "Madiun",
    "Kediri",
]
GOVERNMENTS = [r.government_name for r in regions.load().all()]


def _substitutes() -> dict[str, list[str]]:
    """For each plain character, the table's characters that read as it and are accepted as
    text (not line separators), whose case-folded form differs from it."""
    by_skeleton: dict[str, list[str]] = {}
    for char in lookalike.lookalikes():
        if not ledger._CONTROL.search(char) and not char.isspace():
            by_skeleton.setdefault(lookalike.skeleton(char), []).append(char)
    found: dict[str, list[str]] = {}
    for code in range(33, 127):
        plain = chr(code)
        options = [c for c in by_skeleton.get(lookalike.skeleton(plain), []) if c != plain]
        options = [c for c in options if c.casefold() != plain.casefold()]
        if options:
            found[plain] = sorted(options)
    return found


SUBSTITUTES = _substitutes()
EXAMPLES = int(os.environ.get("KS_HYPOTHESIS_EXAMPLES", "40"))


@st.composite
def impostors(draw: st.DrawFn) -> tuple[str, str, bool]:
    """A name (a region's government, or a new agency to register first) and a copy of it
    with one to three characters replaced by look-alikes."""
    if draw(st.booleans()):
        original, register = draw(st.sampled_from(GOVERNMENTS)), False
    else:
        words = draw(st.lists(st.sampled_from(WORDS), min_size=2, max_size=4, unique=True))
        original, register = " ".join(words), True
    positions = [i for i, c in enumerate(original) if c in SUBSTITUTES]
    chosen = draw(st.lists(st.sampled_from(positions), min_size=1, max_size=3, unique=True))
    chars = list(original)
    for i in chosen:
        chars[i] = draw(st.sampled_from(SUBSTITUTES[original[i]]))
    return original, "".join(chars), register


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=impostors())
def test_any_confusable_substitution_is_refused_naming_the_original(
    parties: Ledger, case: tuple[str, str, bool]
) -> None:
    original, impostor, register = case
    if register:
        try:
            parties.write(ledger.add_party, original, "jatim")
        except InvalidInput as taken:  # drawn before, or a region's name: still registered
            assert "already" in str(taken)
    assert queries.normalize(impostor) != queries.normalize(original)
    message = refusal(parties, impostor)
    assert f"looks like {original!r}" in message, message


# --- the command -------------------------------------------------------------------------


def test_ks_party_add_refuses_the_issues_example_in_one_line(run_ks: RunKs, ledger: Path) -> None:
    run_ks("party", "add", KOMINFO_JATIM, "--region", "jatim", check=True)
    before = ledger_digest(ledger)
    result = run_ks(
        "party",
        "add",
        "Pemerintah Provinsi Kalimant\u0430n Timur",
        "--third-party",
        "--alias",
        "k\u0430ltim",
        "--signatory-title",
        "Gubernur",
    )
    assert_refused(
        result,
        "looks like 'Pemerintah Provinsi Kalimantan Timur' (the government of Kalimantan Timur)",
        "U+0430 CYRILLIC SMALL LETTER A",
    )
    assert ledger_digest(ledger) == before
