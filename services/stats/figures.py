"""The pilot evaluation's and SKR's figures, computed from plain rows.

Pure functions, no I/O: the read model and the API fetch rows and suppress small cells
(`services.stats.domain.Suppression`); everything here returns raw numbers, so the same code
serves the dashboard, the CSV export and the yearly report, and can be checked by hand.

Choices that hold throughout (the sources leave them open):

- Working days are Monday to Friday. There is no holiday calendar: SKR's "ordinary working
  hours" would exclude public holidays, but a sick day on a holiday is then not counted either,
  so the ratio moves little, and a calendar is configuration we do not have yet.
- A spell's days run from `sick_from` up to, not including, `well_from`; an open spell runs to
  the last day of the period asked about (or `as_of` where a function takes one). A spell with
  no sick day at all (`well_from <= sick_from`) counts nowhere.
- Sick days count only while the employee is employed (`employed_from`..`employed_to`); spells
  of an employee not in the employee rows are left out, since neither their employment degree
  nor their unit is known.
- Each spell stands on its own: spells are not merged (the policy's `merge_gap_days` is 0 by
  default), and "days 1-14" are the spell's own first 14 calendar days, not the sick-pay period
  that återinsjuknande would continue.
- VAB (care of a sick child) never counts as sickness: it is reported beside sick leave where a
  figure has both, and left out of the SKR figures, the length bands and repeated absence.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

SICK = "sick"
VAB = "vab"
ABSENCE_TYPES = (SICK, VAB)
HOURS_PER_DAY = 8
SHORT_TERM_DAYS = 14
LONG_TERM_DAYS = 60
PRICE_PER_DAY = 1765
LENGTH_BANDS = ("1-14", "15-90", "91+")
AGE_GROUPS = ("<=29", "30-49", ">=50")
UNKNOWN = "unknown"
ALL = "all"

Interval = tuple[date, date]  # first and last day, both included
ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class SpellRow:
    spell_id: str
    employee_id: str
    absence_type: str  # "sick" | "vab"
    sick_from: date
    well_from: date | None  # first day back; None = still open
    degree_percent: int = 100  # part-time sick leave (25/50/75/100)
    reason_category: str | None = None


@dataclass(frozen=True)
class Placement:
    """Where the employee worked from valid_from up to (not including) valid_to."""

    workplace_id: str
    department_id: str
    valid_from: date
    valid_to: date | None = None


@dataclass(frozen=True)
class EmployeeRow:
    employee_id: str
    employment_degree_percent: int = 100
    gender: str | None = None  # "F" woman, "M" man, "X" other/unknown
    birth_year: int | None = None
    employed_from: date | None = None
    employed_to: date | None = None  # last day employed
    placements: tuple[Placement, ...] = ()


# --- calendar ------------------------------------------------------------------------------


def _weekdays_through(ordinal: int) -> int:
    """Weekdays from 0001-01-01 (a Monday, ordinal 1) to the day with this ordinal."""
    weeks, rest = divmod(ordinal, 7)
    return weeks * 5 + min(rest, 5)


def working_days(first: date, last: date) -> int:
    """Monday-Friday days in [first, last], in closed form so five-year ranges cost nothing."""
    if last < first:
        return 0
    return _weekdays_through(last.toordinal()) - _weekdays_through(first.toordinal() - 1)


def months_before(day: date, months: int) -> date:
    """The same day-of-month `months` earlier, clamped to the end of a shorter month.

    The same rule as `services.triggers.windows.months_before` (the test holds them equal):
    copied, not imported, because services share nothing at run time (DESIGN §2).
    """
    index = day.year * 12 + (day.month - 1) - months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def _month_key(value: str | date) -> str:
    if isinstance(value, date):
        return f"{value.year:04d}-{value.month:02d}"
    year, month = value.split("-")
    return f"{int(year):04d}-{int(month):02d}"


def _month_interval(key: str) -> Interval:
    year, month = (int(part) for part in key.split("-"))
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def months_between(first_month: str | date, last_month: str | date) -> list[str]:
    """Month keys ("YYYY-MM") from first to last, both included."""
    year, month = (int(p) for p in _month_key(first_month).split("-"))
    last = _month_key(last_month)
    keys: list[str] = []
    while (key := f"{year:04d}-{month:02d}") <= last:
        keys.append(key)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return keys


def _clip(a: Interval | None, b: Interval) -> Interval | None:
    if a is None:
        return None
    first, last = max(a[0], b[0]), min(a[1], b[1])
    return (first, last) if first <= last else None


def _clip_all(intervals: Iterable[Interval], b: Interval) -> list[Interval]:
    return [c for i in intervals if (c := _clip(i, b)) is not None]


def _split_by_month(interval: Interval) -> Iterator[tuple[str, Interval]]:
    first, last = interval
    while first <= last:
        month_last = date(first.year, first.month, calendar.monthrange(first.year, first.month)[1])
        yield _month_key(first), (first, min(last, month_last))
        first = month_last + ONE_DAY


# --- spells, employment and units ----------------------------------------------------------


def spell_days(spell: SpellRow, open_until: date) -> Interval | None:
    """The spell's sick days; an open spell is taken to last until `open_until`."""
    if spell.well_from is not None:
        last = spell.well_from - ONE_DAY
    else:
        last = open_until
    return (spell.sick_from, last) if spell.sick_from <= last else None


def spell_length(spell: SpellRow, open_until: date) -> int:
    """Calendar days of the whole spell (not clipped to any period)."""
    days = spell_days(spell, open_until)
    return 0 if days is None else (days[1] - days[0]).days + 1


def employment(employee: EmployeeRow) -> Interval:
    return (employee.employed_from or date.min, employee.employed_to or date.max)


def _placement_days(placement: Placement) -> Interval | None:
    last = date.max if placement.valid_to is None else placement.valid_to - ONE_DAY
    return (placement.valid_from, last) if placement.valid_from <= last else None


def placement_periods(employee: EmployeeRow) -> list[tuple[Interval, Placement]]:
    """The placement in force on each stretch of days, without overlaps.

    Reorganisations keep history, and a late-registered move may overlap the placement it ends:
    on a day covered by more than one placement, the one that started last is in force.
    """
    spans = [(d, p) for p in employee.placements if (d := _placement_days(p)) is not None]
    # Every placement starts or ends at one of these, so each stretch between two is either
    # wholly inside a placement or wholly outside it.
    starts = sorted(
        {d[0] for d, _ in spans} | {d[1] + ONE_DAY for d, _ in spans if d[1] < date.max}
    )
    periods: list[tuple[Interval, Placement]] = []
    for index, start in enumerate(starts):
        end = starts[index + 1] - ONE_DAY if index + 1 < len(starts) else date.max
        covering = [(d, p) for d, p in spans if d[0] <= start <= d[1]]
        if covering:
            periods.append(((start, end), max(covering, key=lambda dp: dp[0][0])[1]))
    return periods


def placement_on(employee: EmployeeRow, day: date) -> Placement | None:
    for (first, last), placement in placement_periods(employee):
        if first <= day <= last:
            return placement
    return None


def unit_days(employee: EmployeeRow, unit: str | None) -> list[Interval]:
    """Days the employee is employed and, when `unit` is given, placed in it.

    `unit` is a workplace id or a department id; an employee counts in a unit by the placement
    in force on each day, so a move mid-spell splits the spell between the two units.
    """
    employed = employment(employee)
    if unit is None:
        return [employed]
    in_unit = [
        days for days, p in placement_periods(employee) if unit in (p.workplace_id, p.department_id)
    ]
    return _clip_all(in_unit, employed)


def spell_hours(spell: SpellRow, employee: EmployeeRow, days: Interval) -> float:
    """Sick hours in `days`: working days × 8 × sick-leave degree × employment degree.

    Part-time sick leave of a part-time employee is both fractions: 50 % sick of a 75 % post
    is 8 × 0.5 × 0.75 = 3 hours a working day.
    """
    return (
        working_days(*days)
        * HOURS_PER_DAY
        * spell.degree_percent
        / 100
        * employee.employment_degree_percent
        / 100
    )


def ordinary_hours(employee: EmployeeRow, period: Interval) -> float:
    """Working hours the employee was employed for in `period`."""
    days = _clip(employment(employee), period)
    if days is None:
        return 0.0
    return working_days(*days) * HOURS_PER_DAY * employee.employment_degree_percent / 100


def _short_term(spell: SpellRow) -> Interval:
    return spell.sick_from, spell.sick_from + timedelta(days=SHORT_TERM_DAYS - 1)


def _by_id(employees: Iterable[EmployeeRow]) -> dict[str, EmployeeRow]:
    return {e.employee_id: e for e in employees}


# --- net days by month ---------------------------------------------------------------------


@dataclass(frozen=True)
class NetDays:
    """One absence type in one month; per-employee figures are None when nobody was employed."""

    net_days: float
    short_term_net_days: float
    net_days_per_employee: float | None
    short_term_net_days_per_employee: float | None


@dataclass(frozen=True)
class MonthFigures:
    month: str  # "YYYY-MM"
    employees: int  # heads employed (and in the unit) on at least one day of the month
    sick: NetDays
    vab: NetDays


def _per_head(value: float, heads: int) -> float | None:
    return value / heads if heads else None


def headcount_by_month(
    employees: Iterable[EmployeeRow], months: Sequence[str], unit: str | None = None
) -> dict[str, int]:
    """Heads per month: anyone employed (and in the unit) on at least one day of the month.

    A part-time employee is one head, as in the pilot's "per anställd". Someone who moves unit
    mid-month is a head in both units, so per-employee figures of units do not add up.
    """
    counts = dict.fromkeys(months, 0)
    if not months:
        return counts
    whole = (_month_interval(months[0])[0], _month_interval(months[-1])[1])
    for employee in employees:
        touched = {
            key
            for days in _clip_all(unit_days(employee, unit), whole)
            for key, _ in _split_by_month(days)
        }
        for key in touched:
            counts[key] += 1
    return counts


def _hours_by_month(
    spells: Iterable[SpellRow],
    by_id: Mapping[str, EmployeeRow],
    whole: Interval,
    open_until: date,
    unit: str | None,
) -> dict[tuple[str, str, bool], float]:
    """Sick hours keyed (absence type, month, short-term?); short-term hours are also in the
    all-days total."""
    hours: dict[tuple[str, str, bool], float] = {}
    for spell in spells:
        employee = by_id.get(spell.employee_id)
        days = _clip(spell_days(spell, open_until), whole)
        if employee is None or days is None:
            continue
        for counted in _clip_all(unit_days(employee, unit), days):
            for key, part in _split_by_month(counted):
                all_key = (spell.absence_type, key, False)
                hours[all_key] = hours.get(all_key, 0.0) + spell_hours(spell, employee, part)
                short = _clip(part, _short_term(spell))
                if short is not None:
                    short_key = (spell.absence_type, key, True)
                    hours[short_key] = hours.get(short_key, 0.0) + spell_hours(
                        spell, employee, short
                    )
    return hours


def net_days_by_month(
    spells: Iterable[SpellRow],
    employees: Iterable[EmployeeRow],
    first_month: str | date,
    last_month: str | date,
    unit: str | None = None,
    as_of: date | None = None,
) -> dict[str, MonthFigures]:
    """The pilot's measure per month: net days (sick hours ÷ 8), per employee, and the
    short-term part (days 1-14 of each spell), sick and VAB apart.

    `unit` (a workplace or department id) counts each day of a spell in the unit the employee
    was placed in on that day. Open spells run to the end of `last_month`, or to `as_of` when
    it is given, so the current month does not count days that have not happened yet.
    """
    employees = list(employees)
    months = months_between(first_month, last_month)
    if not months:
        return {}
    whole = (_month_interval(months[0])[0], _month_interval(months[-1])[1])
    open_until = whole[1] if as_of is None else min(as_of, whole[1])
    hours = _hours_by_month(spells, _by_id(employees), whole, open_until, unit)
    heads = headcount_by_month(employees, months, unit)
    figures: dict[str, MonthFigures] = {}
    for key in months:
        by_type = {}
        for kind in ABSENCE_TYPES:
            net = hours.get((kind, key, False), 0.0) / HOURS_PER_DAY
            short = hours.get((kind, key, True), 0.0) / HOURS_PER_DAY
            by_type[kind] = NetDays(
                net, short, _per_head(net, heads[key]), _per_head(short, heads[key])
            )
        figures[key] = MonthFigures(key, heads[key], by_type[SICK], by_type[VAB])
    return figures


# --- length bands --------------------------------------------------------------------------


@dataclass(frozen=True)
class Band:
    spells: int
    sick_days: int  # calendar days of those spells, whole length


def length_band(days: int) -> str:
    if days <= SHORT_TERM_DAYS:
        return LENGTH_BANDS[0]
    if days <= 90:
        return LENGTH_BANDS[1]
    return LENGTH_BANDS[2]


def length_bands(spells: Iterable[SpellRow], first: date, last: date) -> dict[str, Band]:
    """Sick spells that started in [first, last], by their length in calendar days.

    A spell is banded by its whole length, so a closed spell that started in the period but
    ended after it is measured to its end (its sick days are its whole length, too); an open
    spell runs to `last`, so its band is provisional. Sick leave only: VAB is not absence by
    length in the pilot's sense.
    """
    counts = dict.fromkeys(LENGTH_BANDS, 0)
    days_in = dict.fromkeys(LENGTH_BANDS, 0)
    for spell in spells:
        if spell.absence_type != SICK or not first <= spell.sick_from <= last:
            continue
        days = spell_length(spell, last)
        if days == 0:
            continue
        band = length_band(days)
        counts[band] += 1
        days_in[band] += days
    return {band: Band(counts[band], days_in[band]) for band in LENGTH_BANDS}


# --- repeated short absence ----------------------------------------------------------------


@dataclass(frozen=True)
class Share:
    numerator: int
    denominator: int
    percent: float | None  # None when the denominator is 0


def _share(numerator: int, denominator: int) -> Share:
    return Share(numerator, denominator, 100 * numerator / denominator if denominator else None)


def age_group(age: int | None) -> str:
    if age is None:
        return UNKNOWN
    if age <= 29:
        return AGE_GROUPS[0]
    if age <= 49:
        return AGE_GROUPS[1]
    return AGE_GROUPS[2]


def _employed_on(employee: EmployeeRow, day: date) -> bool:
    first, last = employment(employee)
    return first <= day <= last


def _group_of(employee: EmployeeRow, on: date, group_by: str | None) -> str:
    if group_by is None:
        return ALL
    if group_by == "department":
        placement = placement_on(employee, on)
        return UNKNOWN if placement is None else placement.department_id
    if group_by == "gender":
        return employee.gender or UNKNOWN
    if group_by == "age_group":
        return age_group(None if employee.birth_year is None else on.year - employee.birth_year)
    raise ValueError(f"unknown group_by {group_by!r}")


def repeated_absence(
    spells: Iterable[SpellRow],
    employees: Iterable[EmployeeRow],
    on: date,
    group_by: str | None = None,
    more_than: int = 3,
    window_months: int = 12,
) -> dict[str, Share]:
    """Share of the employees employed on `on` with more than 3 sick occasions in the window.

    An occasion is a sick spell whose first day lies in (on − 12 calendar months, on], the
    trigger rules' window (DESIGN §4), so this figure and the omtankesamtal triggers agree.
    The threshold and window are parameters because they are policy. Groups are "all", or by
    department (placement on `on`), gender ("F", "M", "X") or age group (age = on.year −
    birth year); an unknown value is the group "unknown". Age is by year of birth only,
    because that is all the directory holds.
    """
    start = months_before(on, window_months)
    occasions: dict[str, int] = {}
    for spell in spells:
        if spell.absence_type == SICK and start < spell.sick_from <= on:
            if spell.well_from is None or spell.well_from > spell.sick_from:
                occasions[spell.employee_id] = occasions.get(spell.employee_id, 0) + 1
    numerators: dict[str, int] = {}
    denominators: dict[str, int] = {}
    for employee in employees:
        if not _employed_on(employee, on):
            continue
        group = _group_of(employee, on, group_by)
        denominators[group] = denominators.get(group, 0) + 1
        repeated = occasions.get(employee.employee_id, 0) > more_than
        numerators[group] = numerators.get(group, 0) + int(repeated)
    return {g: _share(numerators[g], denominators[g]) for g in sorted(denominators)}


# --- SKR's key figures ---------------------------------------------------------------------


@dataclass(frozen=True)
class HoursRatio:
    sick_hours: float
    ordinary_hours: float
    employees: int  # employed on at least one day of the year
    percent: float | None  # sick hours ÷ ordinary hours × 100


@dataclass(frozen=True)
class LongTermShare:
    long_term_sick_hours: float  # in spells of 60 calendar days or more
    sick_hours: float
    percent: float | None


@dataclass(frozen=True)
class KeyFigures:
    year: int
    overall: HoursRatio
    women: HoursRatio
    men: HoursRatio
    age_up_to_29: HoursRatio
    age_30_to_49: HoursRatio
    age_50_and_over: HoursRatio
    long_term: LongTermShare


def _ratio(sick: float, ordinary: float, heads: int) -> HoursRatio:
    return HoursRatio(sick, ordinary, heads, 100 * sick / ordinary if ordinary else None)


def key_figures(
    spells: Iterable[SpellRow],
    employees: Iterable[EmployeeRow],
    year: int,
    as_of: date | None = None,
) -> KeyFigures:
    """SKR's mandatory figures for a calendar year: sick hours as a percentage of ordinary
    working hours, overall, for women, men and the age groups ≤29, 30-49, ≥50 (age = year −
    birth year), and the share of sick hours in spells of 60 calendar days or more.

    A spell's length is its whole length, also across the year boundary, but only its hours in
    the year count. An open spell runs to the year's end, or to `as_of`; with `as_of` in the
    year, the year is cut there for ordinary hours too, so a year to date is comparable.
    Employees of gender "X" or with unknown birth year are in the overall figure only. VAB is
    left out.
    """
    year_days: Interval = (date(year, 1, 1), date(year, 12, 31))
    if as_of is not None and as_of < year_days[1]:
        if as_of < year_days[0]:
            raise ValueError(f"{year} has not begun on {as_of}")
        year_days = (year_days[0], as_of)
    by_id = _by_id(employees)
    ordinary, heads = _ordinary_by_group(by_id.values(), year, year_days)
    sick, long_term = _sick_by_group(spells, by_id, year, year_days)

    def ratio(group: str) -> HoursRatio:
        return _ratio(sick.get(group, 0.0), ordinary.get(group, 0.0), heads.get(group, 0))

    total = sick.get(ALL, 0.0)
    return KeyFigures(
        year=year,
        overall=ratio(ALL),
        women=ratio("F"),
        men=ratio("M"),
        age_up_to_29=ratio(AGE_GROUPS[0]),
        age_30_to_49=ratio(AGE_GROUPS[1]),
        age_50_and_over=ratio(AGE_GROUPS[2]),
        long_term=LongTermShare(long_term, total, 100 * long_term / total if total else None),
    )


def _ordinary_by_group(
    employees: Iterable[EmployeeRow], year: int, year_days: Interval
) -> tuple[dict[str, float], dict[str, int]]:
    ordinary: dict[str, float] = {}
    heads: dict[str, int] = {}
    for employee in employees:
        if _clip(employment(employee), year_days) is None:
            continue
        for group in _key_groups(employee, year):
            ordinary[group] = ordinary.get(group, 0.0) + ordinary_hours(employee, year_days)
            heads[group] = heads.get(group, 0) + 1
    return ordinary, heads


def _sick_by_group(
    spells: Iterable[SpellRow], by_id: Mapping[str, EmployeeRow], year: int, year_days: Interval
) -> tuple[dict[str, float], float]:
    """Sick hours in the year per group, and the hours of them in long spells."""
    sick: dict[str, float] = {}
    long_term = 0.0
    for spell in spells:
        employee = by_id.get(spell.employee_id)
        if spell.absence_type != SICK or employee is None:
            continue
        days = _clip(_clip(spell_days(spell, year_days[1]), employment(employee)), year_days)
        if days is None:
            continue
        hours = spell_hours(spell, employee, days)
        for group in _key_groups(employee, year):
            sick[group] = sick.get(group, 0.0) + hours
        if spell_length(spell, year_days[1]) >= LONG_TERM_DAYS:
            long_term += hours
    return sick, long_term


def _key_groups(employee: EmployeeRow, year: int) -> list[str]:
    groups = [ALL]
    if employee.gender in ("F", "M"):
        groups.append(employee.gender)
    if employee.birth_year is not None:
        groups.append(age_group(year - employee.birth_year))
    return groups


# --- economic evaluation -------------------------------------------------------------------


@dataclass(frozen=True)
class CostMonth:
    month: str
    reference_month: str
    employees: int
    reference_employees: int
    net_days: float
    reference_net_days: float
    per_employee: float | None
    reference_per_employee: float
    trend_factor: float
    adjusted_per_employee: float | None  # per_employee × trend_factor
    saved_days: float  # (reference − adjusted) per employee × employees; negative = lost
    value: float  # saved_days × price_per_day, in kronor


@dataclass(frozen=True)
class CostEvaluation:
    months: tuple[CostMonth, ...]
    saved_days: float
    value: float
    price_per_day: float


def _reference_months(reference: tuple[str | date, str | date]) -> dict[str, str]:
    keys = months_between(*reference)
    by_calendar_month = {key[5:]: key for key in keys}
    if len(by_calendar_month) != len(keys):
        raise ValueError("the reference period holds a calendar month twice")
    return by_calendar_month


def _trend_factor(trend: Mapping[str, float] | None, key: str) -> float:
    if trend is None:
        return 1.0
    for candidate in (key, key[5:]):
        if candidate in trend:
            return trend[candidate]
    raise ValueError(f"no trend factor for {key}")


def cost_evaluation(
    spells: Iterable[SpellRow],
    employees: Iterable[EmployeeRow],
    period: tuple[str | date, str | date],
    reference: tuple[str | date, str | date],
    price_per_day: float = PRICE_PER_DAY,
    trend: Mapping[str, float] | None = None,
    short_term_only: bool = True,
    unit: str | None = None,
) -> CostEvaluation:
    """The Örnsköldsvik evaluation: each month's net sick days per employee against the same
    calendar month of the reference period, the difference valued at 1,765 kr a day
    (Försäkringskassan's model).

    Sick leave per employee varies over the year, hence month against same month; a period
    longer than the reference (36 months against 12) reuses the reference months. The trend
    factor adjusts the period's value per employee (the pilot adjusted its outcome up by the
    national sickness rate's fall); its key is "MM", or "YYYY-MM" to give a month of its own,
    and a missing month is an error rather than a silent 1.0. The pilot's measure was
    short-term absence (days 1-14), hence `short_term_only` defaults to True; pass False for
    all net days. VAB is never counted.
    """
    spells = list(spells)
    employees = list(employees)
    reference_of = _reference_months(reference)
    period_keys = months_between(*period)
    missing = sorted({key[5:] for key in period_keys} - set(reference_of))
    if missing:
        raise ValueError(f"the reference period lacks the calendar months {missing}")
    now = net_days_by_month(spells, employees, *period, unit=unit)
    before = net_days_by_month(spells, employees, *reference, unit=unit)
    months: list[CostMonth] = []
    for key in period_keys:
        ref_key = reference_of[key[5:]]
        months.append(
            _cost_month(
                now[key], before[ref_key], _trend_factor(trend, key), price_per_day, short_term_only
            )
        )
    return CostEvaluation(
        months=tuple(months),
        saved_days=sum(m.saved_days for m in months),
        value=sum(m.value for m in months),
        price_per_day=price_per_day,
    )


def _cost_month(
    now: MonthFigures, before: MonthFigures, factor: float, price: float, short_term_only: bool
) -> CostMonth:
    def days(figures: MonthFigures) -> float:
        return figures.sick.short_term_net_days if short_term_only else figures.sick.net_days

    if before.employees == 0:
        raise ValueError(f"nobody was employed in the reference month {before.month}")
    reference_per_employee = days(before) / before.employees
    per_employee = _per_head(days(now), now.employees)
    adjusted = None if per_employee is None else per_employee * factor
    saved = 0.0 if adjusted is None else (reference_per_employee - adjusted) * now.employees
    return CostMonth(
        month=now.month,
        reference_month=before.month,
        employees=now.employees,
        reference_employees=before.employees,
        net_days=days(now),
        reference_net_days=days(before),
        per_employee=per_employee,
        reference_per_employee=reference_per_employee,
        trend_factor=factor,
        adjusted_per_employee=adjusted,
        saved_days=saved,
        value=saved * price,
    )


# --- data quality --------------------------------------------------------------------------


@dataclass(frozen=True)
class DataQuality:
    """Spell ids behind each kind of doubt about the figures, sorted."""

    open_past_expected_return: tuple[str, ...]
    backdated: tuple[str, ...]
    corrected: tuple[str, ...]

    def counts(self) -> dict[str, int]:
        return {
            "open_past_expected_return": len(self.open_past_expected_return),
            "backdated": len(self.backdated),
            "corrected": len(self.corrected),
        }


def data_quality(
    spells: Iterable[SpellRow],
    on: date,
    expected_return: Mapping[str, date],
    reported_on: Mapping[str, date],
    corrected: set[str] | frozenset[str],
) -> dict[str, DataQuality]:
    """Why managers may distrust the figures on `on`, per absence type ("sick", "vab").

    A forgotten well report is the pilot's most common error: an open spell counts once `on`
    is after its expected return day (on that day itself the employee may still report). A
    report is backdated when its first sick day is before the day it was reported; reports
    made after `on` and spells that start after `on` are not known yet and are left out.
    """
    found: dict[str, dict[str, list[str]]] = {
        kind: {"open": [], "backdated": [], "corrected": []} for kind in ABSENCE_TYPES
    }
    for spell in spells:
        if spell.sick_from > on or spell.absence_type not in found:
            continue
        lists = found[spell.absence_type]
        expected = expected_return.get(spell.spell_id)
        if spell.well_from is None and expected is not None and expected < on:
            lists["open"].append(spell.spell_id)
        reported = reported_on.get(spell.spell_id)
        if reported is not None and spell.sick_from < reported <= on:
            lists["backdated"].append(spell.spell_id)
        if spell.spell_id in corrected:
            lists["corrected"].append(spell.spell_id)
    return {
        kind: DataQuality(
            tuple(sorted(lists["open"])),
            tuple(sorted(lists["backdated"])),
            tuple(sorted(lists["corrected"])),
        )
        for kind, lists in found.items()
    }
