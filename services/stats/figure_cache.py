"""Answers of the evaluation figures, kept until something they were computed from changes.

The evaluation figures (net days, cost, key figures, repeated absence, length) read every spell
of their periods and take seconds at 50,000 employees, while what they describe is mostly past
and changes seldom. An answer is kept with the periods it read; a batch that changes a spell
drops the answers whose periods hold one of its days (before or after the change), the
directory changing drops them all, and each key holds the day asked on, so a new day starts
afresh. An answer computed while a change arrived is not kept, since it may have missed it.
"""

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Sequence
from datetime import date
from typing import Any, TypeVar

T = TypeVar("T")
Span = tuple[date, date | None]  # first and last day; None: still open


def overlaps(a: Span, b: Span) -> bool:
    return (a[1] is None or b[0] <= a[1]) and (b[1] is None or a[0] <= b[1])


class FigureCache:
    def __init__(self, max_entries: int = 256) -> None:
        self._entries: OrderedDict[Hashable, tuple[Any, tuple[Span, ...]]] = OrderedDict()
        self._changes = 0  # how many invalidations so far
        self._lock = threading.Lock()
        self.max_entries = max_entries

    def get_or_compute(self, key: Hashable, periods: Sequence[Span], compute: Callable[[], T]) -> T:
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                value: T = self._entries[key][0]
                return value
            changes_before = self._changes
        value = compute()
        with self._lock:
            if self._changes == changes_before:
                self._entries[key] = (value, tuple(periods))
                while len(self._entries) > self.max_entries:
                    self._entries.popitem(last=False)
        return value

    def spells_changed(self, spans: Iterable[Span]) -> None:
        spans = list(spans)
        if not spans:
            return
        with self._lock:
            self._changes += 1
            for key in [
                key
                for key, (_, periods) in self._entries.items()
                if any(overlaps(p, s) for p in periods for s in spans)
            ]:
                del self._entries[key]

    def clear(self) -> None:
        with self._lock:
            self._changes += 1
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
