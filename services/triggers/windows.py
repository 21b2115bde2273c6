"""Rolling windows over calendar months, in local dates.

The window at date t is (t − N calendar months, t]; a spell counts if its first day lies in
it. "N months before" clamps to the month's last day (31 March − 1 month = 28/29 February).
"""

import calendar
from datetime import date, timedelta


def months_before(day: date, months: int) -> date:
    """The same day-of-month `months` earlier, clamped to the end of a shorter month."""
    index = day.year * 12 + (day.month - 1) - months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def window_start(day: date, months: int) -> date:
    """The first day inside the window that ends on `day`."""
    return months_before(day, months) + timedelta(days=1)


def in_window(first_day: date, day: date, months: int) -> bool:
    """Whether a spell starting on `first_day` counts in the window ending on `day`."""
    return window_start(day, months) <= first_day <= day


def leaves_window_on(first_day: date, months: int) -> date:
    """The first date whose window no longer holds a spell that started on `first_day`.

    `months_before` is monotone, so the answer is one of two neighbouring candidates.
    """
    candidate = months_before(first_day, -months)
    while months_before(candidate, months) < first_day:
        candidate += timedelta(days=1)
    return candidate
