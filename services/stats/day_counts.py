"""How many were reported sick or VAB, came back and were away, per workplace and day.

The today and daily figures read these counts instead of the spells, so a query costs about the
same at 50,000 employees and five years as at fifty. The counts are, by definition, the sum of
every spell's `contribution`; when a spell or an employee's placements change, the read model
adds the new contribution and subtracts the old one (`Tally`), so the sum stays exact without
recounting. An open spell counts as away up to `through` (the read model's today), which moves
forward one day at a time by adding each open spell's new days (`advance`).

Each day is counted in the workplace the employee was placed in on that day (a move mid-spell
splits it), so history stays where it happened; without a placement for the day, in the
workplace the spell was reported in.
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

COUNTED = ("new_sick", "new_vab", "back", "absent_sick", "absent_vab")
NOT_GIVEN = "not_given"
ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class SpellFacts:
    """What of a spell the counts depend on (a snapshot: the row itself changes in place)."""

    employee_id: str
    workplace_id: str
    absence_type: str
    sick_from: date
    well_from: date | None
    reported_on: date | None
    reason_category: str | None

    @classmethod
    def of(cls, spell: Any) -> "SpellFacts":
        return cls(
            employee_id=spell.employee_id,
            workplace_id=spell.workplace_id,
            absence_type=spell.absence_type,
            sick_from=spell.sick_from,
            well_from=spell.well_from,
            reported_on=spell.reported_on,
            reason_category=spell.reason_category,
        )


@dataclass(frozen=True)
class Placement:
    workplace_id: str
    valid_from: date
    valid_to: date | None  # first day no longer placed there


@dataclass(frozen=True)
class Placements:
    """Where an employee worked on each day. On a day covered by more than one placement (a
    move registered late), the one that started last is in force, as in `figures`."""

    latest_first: tuple[Placement, ...] = ()

    @classmethod
    def of(cls, placements: Iterable[Placement]) -> "Placements":
        order = sorted(placements, key=lambda p: (p.valid_from, p.workplace_id), reverse=True)
        return cls(tuple(order))

    @classmethod
    def from_json(cls, rows: Sequence[Mapping[str, Any]] | None) -> "Placements":
        return cls.of(
            Placement(
                workplace_id=r["workplace_id"],
                valid_from=_as_date(r["valid_from"]),
                valid_to=None if r.get("valid_to") is None else _as_date(r["valid_to"]),
            )
            for r in rows or ()
        )

    def workplace_on(self, day: date, default: str) -> str:
        for p in self.latest_first:
            if p.valid_from <= day and (p.valid_to is None or day < p.valid_to):
                return p.workplace_id
        return default

    def __bool__(self) -> bool:
        return bool(self.latest_first)


def _as_date(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


class Tally:
    """Changes to the counts: (workplace, day) -> one delta per COUNTED measure, and
    (day, reason) -> sick absence by reason (municipality-wide, for the causes table)."""

    def __init__(self) -> None:
        self.cells: defaultdict[tuple[str, date], list[int]] = defaultdict(
            lambda: [0] * len(COUNTED)
        )
        self.causes: defaultdict[tuple[date, str], int] = defaultdict(int)

    def bump(self, workplace_id: str, day: date, measure: int, delta: int) -> None:
        """`measure`: its index in COUNTED."""
        self.cells[(workplace_id, day)][measure] += delta

    def changed_cells(self) -> list[tuple[str, date, list[int]]]:
        return [(w, d, v) for (w, d), v in self.cells.items() if any(v)]

    def changed_causes(self) -> list[tuple[date, str, int]]:
        return [(d, r, n) for (d, r), n in self.causes.items() if n]

    def __bool__(self) -> bool:
        return bool(self.changed_cells() or self.changed_causes())


def contribution(
    spell: SpellFacts,
    placements: Placements,
    through: date,
    tally: Tally,
    sign: int = 1,
    days_after: date | None = None,
) -> None:
    """Add (sign 1) or remove (sign -1) one spell's part of the counts.

    New reports count on the day the line registered them, returns on the first day back,
    absence on every day from the first sick day up to the first day back, or up to and
    including `through` while the spell is open. `days_after` limits it to the absence after
    that day (what `advance` adds).
    """
    kind = "sick" if spell.absence_type == "sick" else "vab"
    absent = COUNTED.index(f"absent_{kind}")
    default = spell.workplace_id
    if days_after is None:
        if spell.reported_on is not None:
            day = spell.reported_on
            new = COUNTED.index(f"new_{kind}")
            tally.bump(placements.workplace_on(day, default), day, new, sign)
        if spell.well_from is not None:
            day = spell.well_from
            tally.bump(placements.workplace_on(day, default), day, COUNTED.index("back"), sign)
    end = spell.well_from if spell.well_from is not None else through + ONE_DAY
    day = spell.sick_from if days_after is None else max(spell.sick_from, days_after + ONE_DAY)
    cause = (spell.reason_category or NOT_GIVEN) if kind == "sick" else None
    cells, causes = tally.cells, tally.causes  # the hot loop of a rebuild: millions of days
    while day < end:
        workplace = placements.workplace_on(day, default) if placements else default
        cells[(workplace, day)][absent] += sign
        if cause is not None:
            causes[(day, cause)] += sign
        day += ONE_DAY


def advance(
    open_spells: Iterable[tuple[SpellFacts, Placements]], through: date, to: date, tally: Tally
) -> None:
    """Move `through` forward to `to`: every open spell is away on the new days too."""
    if to <= through:
        return
    for spell, placements in open_spells:
        if spell.well_from is None:
            contribution(spell, placements, to, tally, days_after=through)
