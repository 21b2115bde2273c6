"""Personnummer and samordningsnummer: check digit, real dates, century, both lengths."""

from datetime import date

import pytest

from services.intake.personnummer import InvalidPersonnummer, format_12, luhn_check_digit, parse

TODAY = date(2026, 11, 22)


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("19121212-1212", "191212121212"),
        ("191212121212", "191212121212"),
        ("121212-1212", "201212121212"),  # 10 digits with '-': the latest possible century
        ("121212+1212", "191212121212"),  # '+': 100 years or older
        ("811218-9876", "198112189876"),
        ("8112189876", "198112189876"),
        (" 19811218 9876 ", "198112189876"),
    ],
)
def test_valid_numbers_canonicalise_to_twelve_digits(text, canonical):
    assert parse(text, today=TODAY).canonical == canonical


def test_a_samordningsnummer_has_sixty_added_to_the_day():
    parsed = parse("701063-2391", today=TODAY)
    assert parsed.coordination and parsed.birth_date == date(1970, 10, 3)


def test_a_ten_digit_number_of_someone_born_today_is_of_this_century():
    number = f"261122-000{luhn_check_digit('261122000')}"
    assert parse(number, today=TODAY).birth_date == date(2026, 11, 22)
    older = f"261123-000{luhn_check_digit('261123000')}"  # tomorrow's date: a century ago
    assert parse(older, today=TODAY).birth_date == date(1926, 11, 23)


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("19121212-1213", "check digit"),
        ("19800230-1234", "no such date"),
        ("1912121212", "check digit"),  # 10 digits resolve to 2019-12-12 and fail the check
        ("abc", "expected 10 or 12 digits"),
        ("19121212+1212", "'\\+' belongs to the 10-digit form"),
        ("20301212-1212", "future"),
        ("12345", "expected 10 or 12 digits"),
    ],
)
def test_invalid_numbers_say_why(text, why):
    with pytest.raises(InvalidPersonnummer, match=why):
        parse(text, today=TODAY)


def test_the_readable_form_has_a_dash_before_the_last_four():
    assert format_12("191212121212") == "19121212-1212"
