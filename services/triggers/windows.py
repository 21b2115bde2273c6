"""Rolling windows over calendar months, in local dates.

The window at date t is (t − N calendar months, t]; a spell counts if its first day lies in
it. "N months before" clamps to the month's last day (31 March − 1 month = 28/29 February).
"""

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cached_property, lru_cache

ONE_DAY = timedelta(days=1)  # made once: building a timedelta costs as much as the date sum


@lru_cache(maxsize=65536)  # hot in every sweep; dates repeat across employees
def months_before(day: date, months: int) -> date:
    """The same day-of-month `months` earlier, clamped to the end of a shorter month."""
    index = day.year * 12 + (day.month - 1) - months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


@lru_cache(maxsize=65536)  # every day of every count rule's series asks
def window_start(day: date, months: int) -> date:
    """The first day inside the window that ends on `day`."""
    return months_before(day, months) + ONE_DAY


def in_window(first_day: date, day: date, months: int) -> bool:
    """Whether a spell starting on `first_day` counts in the window ending on `day`."""
    return window_start(day, months) <= first_day <= day


@lru_cache(maxsize=65536)
def leaves_window_on(first_day: date, months: int) -> date:
    """The first date whose window no longer holds a spell that started on `first_day`.

    `months_before` is monotone, so the answer is one of two neighbouring candidates.
    """
    candidate = months_before(first_day, -months)
    while months_before(candidate, months) < first_day:
        candidate += ONE_DAY
    return candidate


@dataclass(frozen=True)
class Window:
    """A rolling window of N calendar months or of N days, ending on (and including) a day."""

    months: int = 0
    days: int = 0

    def __post_init__(self) -> None:
        if (self.months > 0) == (self.days > 0):
            raise ValueError("a window is either months or days, and longer than zero")

    def start(self, day: date) -> date:
        """The first day inside the window that ends on `day`."""
        if self.months:
            return window_start(day, self.months)
        return day - self._back_to_start

    @cached_property
    def _length(self) -> timedelta:
        return timedelta(days=self.days)

    @cached_property
    def _back_to_start(self) -> timedelta:
        return timedelta(days=self.days - 1)

    def contains(self, first_day: date, day: date) -> bool:
        return self.start(day) <= first_day <= day

    def leaves_on(self, first_day: date) -> date:
        """The first day whose window no longer holds `first_day`."""
        if self.months:
            return leaves_window_on(first_day, self.months)
        return first_day + self._length

    @property
    def months_at_most(self) -> int:
        """A whole number of months at least as long, for pruning history."""
        return self.months or -(-self.days // 28)

    def describe(self) -> str:
        return f"{self.months} months" if self.months else f"{self.days} days"
