"""Rolling 12-month windows: calendar arithmetic at month ends and in leap years."""

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from services.triggers.windows import in_window, leaves_window_on, months_before, window_start

days = st.dates(min_value=date(2015, 1, 1), max_value=date(2035, 12, 31))


def test_months_before_clamps_to_the_end_of_a_shorter_month():
    assert months_before(date(2024, 3, 31), 1) == date(2024, 2, 29)
    assert months_before(date(2025, 3, 31), 1) == date(2025, 2, 28)
    assert months_before(date(2024, 2, 29), 12) == date(2023, 2, 28)
    assert months_before(date(2026, 1, 15), 12) == date(2025, 1, 15)
    assert months_before(date(2026, 1, 15), 13) == date(2024, 12, 15)


def test_the_window_ending_on_a_day_starts_the_day_after_the_same_date_a_year_before():
    assert window_start(date(2026, 11, 22), 12) == date(2025, 11, 23)
    assert in_window(date(2025, 11, 23), date(2026, 11, 22), 12)
    assert not in_window(date(2025, 11, 22), date(2026, 11, 22), 12)
    assert not in_window(date(2026, 11, 23), date(2026, 11, 22), 12)  # not yet started


def test_a_leap_day_spell_leaves_the_window_on_the_first_of_march():
    assert leaves_window_on(date(2024, 2, 29), 12) == date(2025, 3, 1)
    assert in_window(date(2024, 2, 29), date(2025, 2, 28), 12)


@given(first_day=days, months=st.integers(min_value=1, max_value=36))
def test_a_spell_counts_from_its_first_day_until_it_leaves_and_never_after(first_day, months):
    leaves = leaves_window_on(first_day, months)
    assert in_window(first_day, first_day, months)
    assert in_window(first_day, leaves - timedelta(days=1), months)
    assert not in_window(first_day, leaves, months)
    assert not in_window(first_day, leaves + timedelta(days=40), months)


@given(day=days, months=st.integers(min_value=1, max_value=36))
def test_the_window_is_between_28_and_31_days_per_month_long(day, months):
    length = (day - window_start(day, months)).days + 1
    assert 28 * months <= length <= 31 * months
