"""Region references: codes, abbreviations and names, with suggestions when they miss."""

import pytest

from kerjasama_cli import regions
from kerjasama_cli.errors import Ambiguous, NotFound

TABLE = regions.load()


def test_the_shipped_data_has_every_province_and_regency() -> None:
    levels = [r.level for r in TABLE.all()]
    assert levels.count("provinsi") == 38
    assert levels.count("kabupaten") + levels.count("kota") == 514


@pytest.mark.parametrize(
    "reference",
    [
        "jatim",
        "JATIM",
        "35",
        "Jawa Timur",
        "jawa  timur",
        "Provinsi Jawa Timur",
        "Pemerintah Provinsi Jawa Timur",
    ],
)
def test_jatim_by_any_name(reference: str) -> None:
    assert TABLE.resolve(reference).code == "35"


@pytest.mark.parametrize("reference", ["64.72", "Kota Samarinda", "samarinda", "KOTA SAMARINDA"])
def test_samarinda_by_code_or_name(reference: str) -> None:
    region = TABLE.resolve(reference)
    assert (region.code, region.level, region.province_code) == ("64.72", "kota", "64")


def test_a_province_name_shared_with_its_capital_means_the_province() -> None:
    assert TABLE.resolve("Jambi").level == "provinsi"
    assert TABLE.resolve("Kota Jambi").level == "kota"


def test_an_ambiguous_name_lists_both_regions() -> None:
    with pytest.raises(Ambiguous) as caught:
        TABLE.resolve("Bandung")
    assert caught.value.suggestions == ["Kabupaten Bandung", "Kota Bandung"]


def test_a_typo_suggests_the_region_meant() -> None:
    with pytest.raises(NotFound) as caught:
        TABLE.resolve("jatimm")
    assert caught.value.suggestions[0] == "Jawa Timur (jatim)"
    assert "did you mean 'Jawa Timur (jatim)'" in str(caught.value)


def test_a_city_is_not_a_province() -> None:
    with pytest.raises(NotFound, match="Kota Samarinda is a city, not a province") as caught:
        TABLE.resolve_province("samarinda")
    assert caught.value.suggestions == ["Kalimantan Timur (kaltim)"]


def test_governments_are_named_and_signed_for_by_their_heads() -> None:
    assert TABLE.resolve("jatim").government_name == "Pemerintah Provinsi Jawa Timur"
    assert TABLE.resolve("jatim").head_title == "Gubernur"
    assert TABLE.resolve("Kota Samarinda").government_name == "Pemerintah Kota Samarinda"
    assert TABLE.resolve("Kota Samarinda").head_title == "Wali Kota"
    assert TABLE.resolve("Kabupaten Kutai Kartanegara").head_title == "Bupati"


def test_the_papua_provinces_carry_their_current_codes() -> None:
    assert TABLE.resolve("93").name == "Papua Selatan"
    assert TABLE.resolve("96").name == "Papua Barat Daya"


def test_province_of_a_region_code() -> None:
    assert regions.province_of("64.72") == "64"
    assert regions.province_of("35") == "35"
    assert regions.province_of(None) is None
