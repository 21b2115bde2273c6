"""The pilot's and SKR's figures (`services.stats.figures`), protected cell by cell before they
leave, and the parsing of the figure endpoints' months and trend factors. Pure: no I/O.

How each kind of cell is protected (README, Statistics):

- Counts (spells by length) like every count: `Suppression.cell`, and `protect` across the bands
  under the shown total.
- Shares of employees (repeated absence): withheld when the group is smaller than
  min_group_size or the employees counted are fewer than min_cell_count (a share times the
  group's size would give that small count away); the numerators of sibling groups under a
  shown "all" are protected with `protect`.
- Ratios and net days (net days, key figures, cost): withheld when the group they describe is
  smaller than min_group_size; sibling groups under a shown parent are protected by
  `protect_groups`, so that the parent less the shown siblings never describes a small group.
"""

import calendar
import math
import re
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from services.stats import figures
from services.stats.domain import Org, Suppression, protect
from services.stats.figures import EmployeeRow, SpellRow

MORE_THAN = 3  # the pilot's repeated absence: more than 3 occasions in 12 months (DESIGN §1)
WINDOW_MONTHS = 12
UNPLACED = "(unplaced)"  # days employed but in no workplace: a group of its own under "all"
MAX_TREND_FACTOR = 10.0
_MONTH = re.compile(r"^([0-9]{4})-([0-9]{2})$")
_TREND_KEY = re.compile(r"^([0-9]{4}-)?([0-9]{2})$")

Interval = tuple[date, date]


# --- parameters ----------------------------------------------------------------------------


def parse_month(value: str, name: str) -> str:
    """'YYYY-MM', or a ValueError that names the parameter."""
    match = _MONTH.match(value.strip())
    if match is None or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 1900:
        raise ValueError(f"'{name}' must be a month as YYYY-MM, e.g. 2026-03; got {value!r}")
    return value.strip()


def shift_month(key: str, months: int) -> str:
    index = int(key[:4]) * 12 + int(key[5:]) - 1 + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def month_first_day(key: str) -> date:
    return date(int(key[:4]), int(key[5:]), 1)


def month_last_day(key: str) -> date:
    year, month = int(key[:4]), int(key[5:])
    return date(year, month, calendar.monthrange(year, month)[1])


def parse_trend(text: str) -> dict[str, float]:
    """'01=0.98,02=0.97' (a calendar month) or '2026-01=0.98' (one month) -> factors."""
    factors: dict[str, float] = {}
    for part in text.split(","):
        key, sep, value = (s.strip() for s in part.partition("="))
        match = _TREND_KEY.match(key)
        if not sep or match is None or not 1 <= int(match.group(2)) <= 12:
            raise ValueError(
                f"'trend' is MM=factor or YYYY-MM=factor, comma-separated (e.g. 01=0.98,02=0.97);"
                f" got {part.strip()!r}"
            )
        try:
            factor = float(value)
        except ValueError:
            raise ValueError(f"'trend' factor for {key} is not a number: {value!r}") from None
        if not (math.isfinite(factor) and 0 < factor <= MAX_TREND_FACTOR):
            raise ValueError(f"'trend' factor for {key} must be above 0 and at most 10")
        if key in factors:
            raise ValueError(f"'trend' gives {key} twice")
        factors[key] = factor
    return factors


# --- protection ----------------------------------------------------------------------------


def protect_groups(sizes: Sequence[int], rule: Suppression) -> list[bool]:
    """Which sibling groups' ratios may be shown: each describes at least min_group_size
    employees and the hidden ones together do too (so the parent less
    the shown siblings describes no small group). Empty groups have nothing to give away."""
    by_size = Suppression(rule.min_group_size, rule.min_group_size)
    present = [i for i, size in enumerate(sizes) if size > 0]
    cells = protect([sizes[i] for i in present], [sizes[i] for i in present], by_size)
    shown = [False] * len(sizes)
    for i, cell in zip(present, cells, strict=True):
        shown[i] = cell is not None
    return shown


def _round(value: float | None, digits: int, shown: bool = True) -> float | None:
    return None if value is None or not shown else round(value, digits)


# --- repeated absence ----------------------------------------------------------------------


def series_days(first_month: str, last_month: str, today: date) -> list[date]:
    """The day each month's figure is taken on: its last day, or today in the current month."""
    return [min(month_last_day(m), today) for m in figures.months_between(first_month, last_month)]


def _group_order(group_by: str | None, groups: Iterable[str]) -> list[str]:
    rank = {g: n for n, g in enumerate(figures.AGE_GROUPS if group_by == "age_group" else ())}
    return sorted(groups, key=lambda g: (g == figures.UNKNOWN, rank.get(g, 0), g))


def _sick_from(spell: SpellRow) -> date:
    return spell.sick_from


def repeated_absence_points(
    spells: list[SpellRow],
    employees: list[EmployeeRow],
    days: Iterable[date],
    group_by: str | None,
    org: Org,
    rule: Suppression,
) -> list[dict[str, Any]]:
    """Per day: the share of employees with more than 3 occasions in 12 months, for all and
    (with `group_by`) each group, the numerators protected against subtraction from "all"."""
    spells = sorted(spells, key=_sick_from)
    points = []
    for day in days:
        # Only the spells starting in the day's window: a series need not go over them all
        # for every month.
        after = bisect_right(spells, figures.months_before(day, WINDOW_MONTHS), key=_sick_from)
        through = bisect_right(spells, day, key=_sick_from)
        shares = figures.repeated_absence(
            spells[after:through], employees, day, group_by, MORE_THAN, WINDOW_MONTHS
        )
        numerator = sum(s.numerator for s in shares.values())
        denominator = sum(s.denominator for s in shares.values())
        top = rule.cell(numerator, denominator)
        names = _group_order(group_by, shares) if group_by else []
        cells = protect(
            [shares[g].numerator for g in names],
            [shares[g].denominator for g in names],
            rule,
        )
        points.append(
            {
                "date": day,
                "all": _share_cell(figures.ALL, "all", numerator, denominator, top),
                "groups": [
                    _share_cell(
                        g,
                        org.department_names.get(g, g) if group_by == "department" else g,
                        shares[g].numerator,
                        shares[g].denominator,
                        cell,
                    )
                    for g, cell in zip(names, cells, strict=True)
                ],
            }
        )
    return points


def _share_cell(
    group: str, name: str, numerator: int, denominator: int, shown: int | None
) -> dict[str, Any]:
    percent = None if shown is None or not denominator else 100 * numerator / denominator
    return {
        "group": group,
        "name": name,
        "employees": denominator,
        "repeated": shown,
        "percent": _round(percent, 1),
    }


def repeated_absence_rows(points: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"date": p["date"], **cell} for p in points for cell in (p["all"], *p["groups"])]


# --- length --------------------------------------------------------------------------------


def _overlap(a: Interval, b: Interval) -> Interval | None:
    first, last = max(a[0], b[0]), min(a[1], b[1])
    return (first, last) if first <= last else None


def length_figures(
    spells: list[SpellRow], employees: list[EmployeeRow], first: date, last: date, rule: Suppression
) -> dict[str, Any]:
    """Sick spells that started in [first, last] and their days, by length band; the group is
    everyone employed some day of the period. A band's days are withheld with its count."""
    known = {e.employee_id for e in employees}
    bands = figures.length_bands([s for s in spells if s.employee_id in known], first, last)
    heads = sum(1 for e in employees if _overlap(figures.employment(e), (first, last)))
    total = sum(b.spells for b in bands.values())
    top = rule.cell(total, heads)
    cells = protect(
        [b.spells for b in bands.values()],
        [heads] * len(bands),
        rule,
    )

    def band(name: str, spells: int | None, days: int) -> dict[str, Any]:
        return {"band": name, "spells": spells, "sick_days": None if spells is None else days}

    return {
        "employees": heads,
        "total": band("all", top, sum(b.sick_days for b in bands.values())),
        "bands": [
            band(name, cell, b.sick_days)
            for (name, b), cell in zip(bands.items(), cells, strict=True)
        ],
    }


# --- net days ------------------------------------------------------------------------------


@dataclass
class UnitHeads:
    """Heads per month (anyone employed, and placed there, on a day of the month) of the
    whole organisation, each department (UNPLACED for days in no workplace) and workplace."""

    municipality: Counter[str] = field(default_factory=Counter)
    departments: dict[str, Counter[str]] = field(default_factory=dict)
    workplaces: dict[str, Counter[str]] = field(default_factory=dict)


def _month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


def unit_heads_by_month(
    employees: Iterable[EmployeeRow], first_month: str, last_month: str
) -> UnitHeads:
    """`figures.headcount_by_month` for every unit at once, in one pass over the employees."""
    months = figures.months_between(first_month, last_month)
    heads = UnitHeads(
        departments={m: Counter() for m in months}, workplaces={m: Counter() for m in months}
    )
    if not months:
        return heads
    whole = (month_first_day(months[0]), month_last_day(months[-1]))
    base = _month_index(whole[0])

    def touched(days: Interval) -> list[str]:
        return months[_month_index(days[0]) - base : _month_index(days[1]) - base + 1]

    for employee in employees:
        employed = _overlap(figures.employment(employee), whole)
        if employed is None:
            continue
        heads.municipality.update(touched(employed))
        departments: set[tuple[str, str]] = set()
        workplaces: set[tuple[str, str]] = set()
        unplaced_from = employed[0]  # the first day not known to be placed
        for days, placement in figures.placement_periods(employee):  # in order, no overlaps
            part = _overlap(days, employed)
            if part is None:
                continue
            if part[0] > unplaced_from:
                gap = (unplaced_from, part[0] - figures.ONE_DAY)
                departments.update((m, UNPLACED) for m in touched(gap))
            for month in touched(part):
                departments.add((month, placement.department_id))
                workplaces.add((month, placement.workplace_id))
            unplaced_from = part[1] + figures.ONE_DAY  # employed lies inside real months
        if unplaced_from <= employed[1]:
            departments.update((m, UNPLACED) for m in touched((unplaced_from, employed[1])))
        for month, department in departments:
            heads.departments[month][department] += 1
        for month, workplace in workplaces:
            heads.workplaces[month][workplace] += 1
    return heads


def net_days_shown(
    heads: UnitHeads,
    month: str,
    org: Org,
    rule: Suppression,
    department_id: str | None = None,
    workplace_id: str | None = None,
) -> bool:
    """Whether a unit's net days of a month may be shown: the municipality, a department among
    all departments (and the days in no unit), a workplace among those of its department.

    A workplace is shown only when its department is: a department withheld to cover a small
    sibling would otherwise be the sum of its shown workplaces, and the sibling the
    municipality less the departments.
    """
    if workplace_id is not None:
        department = org.workplace_department[workplace_id]
        if not net_days_shown(heads, month, org, rule, department_id=department):
            return False
        members = sorted(w for w, d in org.workplace_department.items() if d == department)
        per_workplace = heads.workplaces[month]
        shown = protect_groups([per_workplace[w] for w in members], rule)
        return shown[members.index(workplace_id)]
    top = heads.municipality[month] >= rule.min_group_size
    if department_id is None:
        return top
    per_department = heads.departments[month]
    names = sorted({*per_department, department_id})
    shown = protect_groups([per_department[d] for d in names], rule)
    return shown[names.index(department_id)]


def _net_days_cell(days: figures.NetDays, shown: bool) -> dict[str, float | None]:
    return {
        "net_days": _round(days.net_days, 2, shown),
        "short_term_net_days": _round(days.short_term_net_days, 2, shown),
        "net_days_per_employee": _round(days.net_days_per_employee, 3, shown),
        "short_term_net_days_per_employee": _round(days.short_term_net_days_per_employee, 3, shown),
    }


def net_days_figures(
    spells: list[SpellRow],
    employees: list[EmployeeRow],
    first_month: str,
    last_month: str,
    as_of: date,
    org: Org,
    rule: Suppression,
    department_id: str | None = None,
    workplace_id: str | None = None,
) -> list[dict[str, Any]]:
    """Net days per month (sick and VAB apart, short-term beside) of the municipality or one
    unit, each month withheld when the unit's group is too small or would give a sibling away."""
    unit = workplace_id or department_id
    by_month = figures.net_days_by_month(
        spells, employees, first_month, last_month, unit=unit, as_of=as_of
    )
    heads = UnitHeads(municipality=Counter({m: f.employees for m, f in by_month.items()}))
    if unit is not None:  # siblings to protect it against: count every unit's heads
        heads = unit_heads_by_month(employees, first_month, last_month)
    months = []
    for month, found in by_month.items():
        shown = net_days_shown(heads, month, org, rule, department_id, workplace_id)
        months.append(
            {
                "month": month,
                "employees": found.employees,
                "sick": _net_days_cell(found.sick, shown),
                "vab": _net_days_cell(found.vab, shown),
            }
        )
    return months


def net_days_rows(months: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "month": m["month"],
            "employees": m["employees"],
            **{f"{kind}_{k}": v for kind in ("sick", "vab") for k, v in m[kind].items()},
        }
        for m in months
    ]


# --- key figures ---------------------------------------------------------------------------


def long_term_employees(
    spells: Iterable[SpellRow], employees: Iterable[EmployeeRow], first: date, last: date
) -> int:
    """Employees with sick hours in [first, last] in a spell of 60 days or more: how many
    people the long-term share describes (the spells as `figures.key_figures` counts them)."""
    by_id = {e.employee_id: e for e in employees}
    found = set()
    for spell in spells:
        employee = by_id.get(spell.employee_id)
        if spell.absence_type != figures.SICK or employee is None:
            continue
        if figures.spell_length(spell, last) < figures.LONG_TERM_DAYS:
            continue
        days = figures.spell_days(spell, last)
        days = days and _overlap(days, figures.employment(employee))
        days = days and _overlap(days, (first, last))
        if days and figures.spell_hours(spell, employee, days) > 0:
            found.add(employee.employee_id)
    return len(found)


def _ratio_cell(ratio: figures.HoursRatio, shown: bool) -> dict[str, Any]:
    return {
        "employees": ratio.employees,
        "ordinary_hours": round(ratio.ordinary_hours, 1),
        "sick_hours": _round(ratio.sick_hours, 1, shown),
        "percent": _round(ratio.percent, 2, shown),
    }


KEY_GENDERS = ("women", "men")
KEY_AGES = ("age_up_to_29", "age_30_to_49", "age_50_and_over")


def key_figure_cells(
    spells: list[SpellRow],
    employees: list[EmployeeRow],
    year: int,
    through: date,
    rule: Suppression,
) -> dict[str, Any]:
    """SKR's key figures for `year` up to `through`; women and men are protected against the
    overall figure together with the rest (gender other or unknown, never shown), and so are
    the age groups with those of unknown age."""
    as_of = through if through < date(year, 12, 31) else None
    found = figures.key_figures(spells, employees, year, as_of=as_of)
    overall = found.overall
    top = overall.employees >= rule.min_group_size
    cells: dict[str, Any] = {"overall": _ratio_cell(overall, top)}
    for names in (KEY_GENDERS, KEY_AGES):
        ratios = [getattr(found, n) for n in names]
        rest = overall.employees - sum(r.employees for r in ratios)
        shown = protect_groups([*(r.employees for r in ratios), rest], rule)[:-1]
        for name, ratio, ok in zip(names, ratios, shown, strict=True):
            cells[name] = _ratio_cell(ratio, ok)
    people = long_term_employees(spells, employees, date(year, 1, 1), through)
    ok = top and people >= rule.min_cell_count
    cells["long_term"] = {
        "long_term_sick_hours": _round(found.long_term.long_term_sick_hours, 1, ok),
        "sick_hours": _round(found.long_term.sick_hours, 1, top),
        "percent": _round(found.long_term.percent, 2, ok),
    }
    return cells


def key_figure_rows(cells: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One row per figure: hours of hours, as a percentage."""
    rows = [
        {
            "figure": name,
            "employees": cells[name]["employees"],
            "hours": cells[name]["sick_hours"],
            "of_hours": cells[name]["ordinary_hours"],
            "percent": cells[name]["percent"],
        }
        for name in ("overall", *KEY_GENDERS, *KEY_AGES)
    ]
    long_term = cells["long_term"]
    rows.append(
        {
            "figure": "long_term_share",
            "employees": cells["overall"]["employees"],
            "hours": long_term["long_term_sick_hours"],
            "of_hours": long_term["sick_hours"],
            "percent": long_term["percent"],
        }
    )
    return rows


# --- cost and evaluation -------------------------------------------------------------------


def cost_figures(evaluation: figures.CostEvaluation, rule: Suppression) -> dict[str, Any]:
    """Each month withheld when it or its reference month describes a small group, and months
    protected against the totals (the total less the shown months gives the hidden ones)."""
    sizes = [min(m.employees, m.reference_employees) for m in evaluation.months]
    top = max(sizes, default=0) >= rule.min_group_size
    shown = protect_groups(sizes, rule)
    months = []
    for m, ok in zip(evaluation.months, shown, strict=True):
        months.append(
            {
                "month": m.month,
                "reference_month": m.reference_month,
                "employees": m.employees,
                "reference_employees": m.reference_employees,
                "net_days": _round(m.net_days, 2, ok),
                "reference_net_days": _round(m.reference_net_days, 2, ok),
                "per_employee": _round(m.per_employee, 3, ok),
                "reference_per_employee": _round(m.reference_per_employee, 3, ok),
                "trend_factor": m.trend_factor,
                "adjusted_per_employee": _round(m.adjusted_per_employee, 3, ok),
                "saved_days": _round(m.saved_days, 2, ok),
                "value": _round(m.value, 0, ok),
            }
        )
    return {
        "months": months,
        "saved_days": _round(evaluation.saved_days, 2, top),
        "value": _round(evaluation.value, 0, top),
    }


def cost_rows(cost: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The months, then a total row (its blank cells do not apply; '<5' marks withheld ones)."""
    rows: list[dict[str, Any]] = list(cost["months"])
    if rows:
        total = dict.fromkeys(rows[0], "")
        rows.append(
            {**total, "month": "total", "saved_days": cost["saved_days"], "value": cost["value"]}
        )
    return rows
