"""Dates as staff type them: ISO, day-first, and Indonesian month names."""

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kerjasama_cli.dates import MONTH_BY_NAME, parse_date
from kerjasama_cli.errors import InvalidInput


@pytest.mark.parametrize(
    "text",
    [
        "2022-08-11",
        "11-08-2022",
        "11/08/2022",
        "11.08.2022",
        "11 Agustus 2022",
        "11 agustus 2022",
        "11 Agt 2022",
        "11 Agu 2022",
        "11 AGT. 2022",
        "  11   Agustus 2022 ",
        "11 August 2022",
    ],
)
def test_the_handover_in_surabaya_reads_the_same_every_way(text: str) -> None:
    assert parse_date(text) == date(2022, 8, 11)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("28 Juli 2022", date(2022, 7, 28)),
        ("1 Nopember 2023", date(2023, 11, 1)),
        ("29 Peb 2024", date(2024, 2, 29)),
        ("31 Des 2025", date(2025, 12, 31)),
        ("17 Mei 2022", date(2022, 5, 17)),
    ],
)
def test_indonesian_month_names_and_abbreviations(text: str, expected: date) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("31 Februari 2022", "not a real date"),
        ("2022-02-30", "not a real date"),
        ("29-02-2023", "not a real date"),
        ("11 Agustos 2022", "unknown month"),
        ("11/08/22", "cannot read"),
        ("08/11", "cannot read"),
        ("kemarin", "cannot read"),
        ("", "cannot read"),
        ("2022-13-01", "not a real date"),
        ("0222-08-11", "outside the years 1900 to 2199"),
        ("31 Desember 9999", "outside the years"),
    ],
)
def test_impossible_or_unreadable_dates_are_refused_with_a_reason(text: str, says: str) -> None:
    with pytest.raises(InvalidInput, match=says):
        parse_date(text)


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2199, 12, 31)))
def test_every_real_date_round_trips_in_each_format(day: date) -> None:
    assert parse_date(day.isoformat()) == day
    assert parse_date(day.strftime("%d-%m-%Y")) == day
    assert parse_date(day.strftime("%d/%m/%Y")) == day
    month = next(name for name, number in MONTH_BY_NAME.items() if number == day.month)
    assert parse_date(f"{day.day} {month.title()} {day.year:04d}") == day


@given(st.text(max_size=40))
def test_any_text_either_parses_or_raises_invalid_input(text: str) -> None:
    try:
        result = parse_date(text)
    except InvalidInput as exc:
        assert str(exc)
    else:
        assert isinstance(result, date)
