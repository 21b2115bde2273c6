"""A generated reports history in the order the topic holds it: an employer of BENCH_EMPLOYEES
(default 50,000) over BENCH_YEARS (default 5), about 1,000,000 sick and well reports.

Each employee has an own rate of sick occasions (gamma distributed, mean two a year: most are
seldom ill, a few often), spells mostly short with a long tail, and a placement in one of 2,000
workplaces. Events come out in event-time order from a heap of each employee's next report, so
the whole history never sits in memory.
"""

import heapq
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from schemas.envelope import Channel, OrgRef, Source
from schemas.reports import AbsenceType, ReasonVisibility, SickReported, WellReported

SOURCE = Source(channel=Channel.NURSE, registered_by="bench")
SPELL_DAYS = (1, 1, 2, 2, 3, 3, 3, 4, 5, 7, 7, 10, 14, 21, 35, 60)
REASONS = ("infection", "musculoskeletal", "mental_ill_health", "other")


@dataclass(frozen=True)
class Shape:
    employees: int = 50_000
    years: int = 5
    occasions_per_year: float = 2.0
    end: date = date(2026, 10, 31)

    @property
    def start(self) -> date:
        return self.end - timedelta(days=365 * self.years)


def org_of(n: int) -> OrgRef:
    workplace = n % 2000
    return OrgRef(workplace_id=f"w{workplace}", department_id=f"d{workplace % 12}")


def reports(shape: Shape, seed: int = 7) -> Iterator[tuple[str, bytes]]:
    """(employee id, encoded event) in event-time order."""
    rng = random.Random(seed)
    rates = [rng.gammavariate(1.2, shape.occasions_per_year / 1.2) for _ in range(shape.employees)]
    heap: list[tuple[date, int, int, str | None]] = []  # (day, employee, tiebreak, open spell)
    for n, rate in enumerate(rates):
        first = _next_sick(rng, shape.start, rate)
        if first <= shape.end:
            heap.append((first, n, rng.getrandbits(32), None))
    heapq.heapify(heap)
    while heap:
        day, n, _, open_spell = heapq.heappop(heap)
        employee_id = f"e{n}"
        at = datetime(day.year, day.month, day.day, 7, rng.randrange(60), tzinfo=UTC)
        common = {"source": SOURCE, "employee_id": employee_id, "org": org_of(n)}
        if open_spell is None:
            spell_id = uuid.UUID(int=rng.getrandbits(128)).hex
            shared = rng.random() < 0.6
            event: SickReported | WellReported = SickReported(
                event_id=uuid.UUID(int=rng.getrandbits(128)), occurred_at=at, spell_id=spell_id,
                absence_type=AbsenceType.SICK if rng.random() < 0.9 else AbsenceType.VAB,
                sick_from=day, degree_percent=100,
                reason_visibility=ReasonVisibility.SHARED if shared else ReasonVisibility.WITHHELD,
                reason_category=rng.choice(REASONS) if shared else None, **common,
            )  # fmt: skip
            well = day + timedelta(days=rng.choice(SPELL_DAYS))
            heapq.heappush(heap, (well, n, rng.getrandbits(32), spell_id))
        else:
            event = WellReported(
                event_id=uuid.UUID(int=rng.getrandbits(128)), occurred_at=at,
                spell_id=open_spell, well_from=day, **common,
            )  # fmt: skip
            following = _next_sick(rng, day, rates[n])
            if following <= shape.end:
                heapq.heappush(heap, (following, n, rng.getrandbits(32), None))
        yield employee_id, event.model_dump_json().encode()


def _next_sick(rng: random.Random, after: date, rate_per_year: float) -> date:
    gap = rng.expovariate(max(rate_per_year, 0.05) / 365.0)
    return after + timedelta(days=1 + int(gap))
