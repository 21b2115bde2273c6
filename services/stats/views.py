"""The figures per unit, from the counts per workplace and day (`day_counts`) and the spells,
protected before they leave.

Every figure of a day is computed for the whole organisation at once (municipality,
departments, workplaces), so that the suppression of each cell knows its siblings: a cell is
never shown when subtracting shown siblings from a shown parent would give it away, whichever
endpoint or date range asked.
"""

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from schemas.reasons import reason_label
from services.stats.day_counts import COUNTED, NOT_GIVEN
from services.stats.domain import Org, Suppression, protect

MEASURES = ("new_sick", "new_vab", "back", "absent_sick", "absent_vab", "absent")

# measure -> unit (workplace or department) -> count, before any suppression
Counts = dict[str, dict[str, int]]


def counts_from_rows(rows: Iterable[tuple[str, Sequence[int]]]) -> Counts:
    """Counts from (unit, values in `day_counts.COUNTED` order) rows; "absent" is sick + VAB."""
    counts: Counts = {m: {} for m in MEASURES}
    for unit, values in rows:
        cell = dict(zip(COUNTED, values, strict=True))
        cell["absent"] = cell["absent_sick"] + cell["absent_vab"]
        for measure in MEASURES:
            counts[measure][unit] = counts[measure].get(unit, 0) + cell[measure]
    return counts


def _per_100(absent: int | None, headcount: int) -> float | None:
    if absent is None or headcount == 0:
        return None
    return round(100 * absent / headcount, 1)


def _known(counts: Counts, units: Mapping[str, Any]) -> Counts:
    """Only the units of the organisation (a spell of a workplace not yet in the directory
    counts nowhere until it is)."""
    return {m: {u: n for u, n in per_unit.items() if u in units} for m, per_unit in counts.items()}


def municipality_figures(counts: Counts, org: Org, rule: Suppression) -> dict[str, Any]:
    """The whole organisation only (no siblings to protect it against)."""
    counts = _known(counts, org.workplace_department)
    heads = sum(org.headcount.get(w, 0) for w in org.workplace_department)
    cell: dict[str, Any] = {"headcount": heads}
    for measure in MEASURES:
        cell[measure] = rule.cell(sum(counts[measure].values()), heads)
    cell["absent_per_100"] = _per_100(cell["absent"], heads)
    return cell


def day_figures(counts: Counts, org: Org, rule: Suppression) -> dict[str, Any]:
    """Municipality, departments and workplaces for one day (counts per workplace), every cell
    protected."""
    counts = _known(counts, org.workplace_department)
    dept_heads = org.department_headcount()
    departments = sorted(dept_heads)
    municipality = municipality_figures(counts, org, rule)
    dept_cells: dict[str, dict[str, Any]] = {d: {"headcount": dept_heads[d]} for d in departments}
    wp_cells: dict[str, dict[str, Any]] = {
        w: {"headcount": org.headcount.get(w, 0)} for w in org.workplace_department
    }
    members_of: dict[str, list[str]] = {d: [] for d in departments}
    for workplace_id in sorted(org.workplace_department):
        members_of.setdefault(org.workplace_department[workplace_id], []).append(workplace_id)
    for measure in MEASURES:
        per_dept: Counter[str] = Counter()
        for workplace_id, n in counts[measure].items():
            per_dept[org.workplace_department[workplace_id]] += n
        shown = protect(
            [per_dept[d] for d in departments],
            [dept_heads[d] for d in departments],
            rule,
        )
        for department_id, cell in zip(departments, shown, strict=True):
            dept_cells[department_id][measure] = cell
        for department_id in departments:
            members = members_of[department_id]
            cells = protect(
                [counts[measure].get(w, 0) for w in members],
                [org.headcount.get(w, 0) for w in members],
                rule,
            )
            if dept_cells[department_id][measure] is None:
                # Withheld to cover a small sibling, it must not be the sum of its workplaces.
                cells = [None] * len(members)
            for workplace_id, cell in zip(members, cells, strict=True):
                wp_cells[workplace_id][measure] = cell
    for unit in (*dept_cells.values(), *wp_cells.values()):
        unit["absent_per_100"] = _per_100(unit["absent"], unit["headcount"])
    return {
        "municipality": municipality,
        "departments": [
            {"department_id": d, "department_name": org.department_names.get(d, d), **dept_cells[d]}
            for d in departments
        ],
        "workplaces": [
            {
                "workplace_id": w,
                "workplace_name": org.workplace_names.get(w, w),
                "department_id": org.workplace_department[w],
                **wp_cells[w],
            }
            for w in sorted(wp_cells)
        ],
    }


def causes(by_cause: Mapping[str, int], org: Org, rule: Suppression) -> list[dict[str, Any]]:
    """Sick absence on a day by shared reason; withheld reasons count as 'not given'."""
    names = sorted(n for n, count in by_cause.items() if count)
    heads = sum(org.headcount.values())
    shown = protect(
        [by_cause[n] for n in names],
        [heads] * len(names),
        rule,
    )
    return [
        {
            "reason_category": n,
            "label": "Ej angiven" if n == NOT_GIVEN else reason_label(n),
            "absent_sick": cell,
        }
        for n, cell in zip(names, shown, strict=True)
    ]


def days_between(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def daily_series(
    per_day: Mapping[date, Counts], first: date, last: date, org: Org, rule: Suppression
) -> dict[str, list[dict[str, Any]]]:
    """Day-by-day figures for the municipality and each department, from counts per department
    and day. Each day's department cells are protected together, as on the day's own page."""
    heads = org.department_headcount()
    departments = sorted(heads)
    sizes = [heads[d] for d in departments]
    total_heads = sum(sizes)
    empty: Counts = {m: {} for m in MEASURES}
    series: dict[str, list[dict[str, Any]]] = {"municipality": [], **{d: [] for d in departments}}
    for day in days_between(first, last):
        counts = per_day.get(day, empty)
        top: dict[str, Any] = {"date": day, "headcount": total_heads}
        cells: dict[str, dict[str, Any]] = {
            d: {"date": day, "headcount": heads[d]} for d in departments
        }
        for measure in MEASURES:
            row = [counts[measure].get(d, 0) for d in departments]
            top[measure] = rule.cell(sum(row), total_heads)
            shown = protect(row, sizes, rule)
            for d, cell in zip(departments, shown, strict=True):
                cells[d][measure] = cell
        for unit in (top, *cells.values()):
            unit["absent_per_100"] = _per_100(unit["absent"], unit["headcount"])
        series["municipality"].append(top)
        for d in departments:
            series[d].append(cells[d])
    return series


QUALITY_MEASURES = ("overdue_well_reports", "backdated", "corrected")


def data_quality(per_workplace: Counts, org: Org, rule: Suppression) -> list[dict[str, Any]]:
    """Per department, from counts per workplace: open spells past their expected return with
    no well report (what made the pilot's managers distrust the figures), reports registered
    after their first day (backdated), and corrected spells — protected like every other cell."""
    heads = org.department_headcount()
    departments = sorted(heads)
    rows: list[dict[str, Any]] = [
        {
            "department_id": d,
            "department_name": org.department_names.get(d, d),
            "headcount": heads[d],
        }
        for d in departments
    ]
    for measure in QUALITY_MEASURES:
        per_department: Counter[str] = Counter()
        for workplace_id, n in per_workplace.get(measure, {}).items():
            if workplace_id in org.workplace_department:
                per_department[org.workplace_department[workplace_id]] += n
        shown = protect(
            [per_department[d] for d in departments],
            [heads[d] for d in departments],
            rule,
        )
        for row, cell in zip(rows, shown, strict=True):
            row[measure] = cell
    return rows


def follow_up(
    triggers: list[Any], org: Org, rule: Suppression, cases: Mapping[str, Any] | None = None
) -> list[dict[str, Any]]:
    """Triggers fired per rule, department and month, beside those marked handled, those whose
    case had its conversation held and those whose case closed (by the month the trigger
    fired; withdrawn triggers do not count). `cases`: the cases service's records by trigger.
    A month's cell is withheld like any other small count."""
    heads = org.department_headcount()
    cases = cases or {}
    counts: dict[str, Counter[tuple[str, str, str]]] = {
        name: Counter() for name in ("fired", "handled", "conversations_held", "plans_closed")
    }
    for t in triggers:
        if t.withdrawn:
            continue
        department = org.workplace_department.get(t.workplace_id, t.department_id)
        key = (t.fired_on.strftime("%Y-%m"), department, t.rule_id)
        case = cases.get(t.trigger_id)
        counts["fired"][key] += 1
        counts["handled"][key] += bool(t.handled)
        counts["conversations_held"][key] += bool(case is not None and case.held_on)
        counts["plans_closed"][key] += bool(case is not None and case.closed_on)
    return [
        {
            "month": month,
            "department_id": department,
            "rule_id": rule_id,
            **{
                name: rule.cell(counted[(month, department, rule_id)], heads.get(department, 0))
                for name, counted in counts.items()
            },
        }
        for month, department, rule_id in sorted(counts["fired"])
    ]
