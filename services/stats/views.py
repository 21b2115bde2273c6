"""The day's figures per unit, computed from the spells and protected before they leave.

Every figure of a day is computed for the whole organisation at once (municipality,
departments, workplaces), so that the suppression of each cell knows its siblings: a cell is
never shown when subtracting shown siblings from a shown parent would give it away, whichever
endpoint or date range asked.
"""

from collections import Counter
from datetime import date, timedelta
from typing import Any

from schemas.reasons import reason_label
from services.stats.adapters.tables import Spell
from services.stats.domain import Org, Suppression, protect

MEASURES = ("new_sick", "new_vab", "back", "absent_sick", "absent_vab", "absent")


def raw_counts(spells: list[Spell], day: date) -> dict[str, Counter[str]]:
    """measure -> workplace -> count, before any suppression."""
    counts: dict[str, Counter[str]] = {m: Counter() for m in MEASURES}
    for s in spells:
        kind = "sick" if s.absence_type == "sick" else "vab"
        if s.reported_on == day:
            counts[f"new_{kind}"][s.workplace_id] += 1
        if s.well_from == day:
            counts["back"][s.workplace_id] += 1
        if s.sick_from <= day and (s.well_from is None or s.well_from > day):
            counts[f"absent_{kind}"][s.workplace_id] += 1
            counts["absent"][s.workplace_id] += 1
    return counts


def _per_100(absent: int | None, headcount: int) -> float | None:
    if absent is None or headcount == 0:
        return None
    return round(100 * absent / headcount, 1)


def municipality_figures(
    spells: list[Spell], day: date, org: Org, rule: Suppression
) -> dict[str, Any]:
    """The whole organisation only (no siblings to protect it against)."""
    counts = raw_counts(spells, day)
    heads = sum(org.headcount.values())
    cell: dict[str, Any] = {"headcount": heads}
    for measure in MEASURES:
        cell[measure] = rule.cell(sum(counts[measure].values()), heads)
    cell["absent_per_100"] = _per_100(cell["absent"], heads)
    return cell


def day_figures(spells: list[Spell], day: date, org: Org, rule: Suppression) -> dict[str, Any]:
    """Municipality, departments and workplaces for one day, every cell protected."""
    counts = raw_counts(spells, day)
    dept_heads = org.department_headcount()
    departments = sorted(dept_heads)
    total_heads = sum(dept_heads.values())
    municipality: dict[str, Any] = {"headcount": total_heads}
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
            per_dept[org.workplace_department.get(workplace_id, "")] += n
        total = sum(counts[measure].values())
        municipality[measure] = rule.cell(total, total_heads)
        shown = protect(
            [per_dept[d] for d in departments],
            [dept_heads[d] for d in departments],
            rule,
            parent_shown=municipality[measure] is not None,
        )
        for department_id, cell in zip(departments, shown, strict=True):
            dept_cells[department_id][measure] = cell
        for department_id in departments:
            members = members_of[department_id]
            cells = protect(
                [counts[measure][w] for w in members],
                [org.headcount.get(w, 0) for w in members],
                rule,
                parent_shown=dept_cells[department_id][measure] is not None,
            )
            for workplace_id, cell in zip(members, cells, strict=True):
                wp_cells[workplace_id][measure] = cell
    for cell in (municipality, *dept_cells.values(), *wp_cells.values()):
        cell["absent_per_100"] = _per_100(cell["absent"], cell["headcount"])
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


def causes(spells: list[Spell], day: date, org: Org, rule: Suppression) -> list[dict[str, Any]]:
    """Sick absence on `day` by shared reason; withheld reasons count as 'not given'."""
    absent = [
        s
        for s in spells
        if s.absence_type == "sick"
        and s.sick_from <= day
        and (s.well_from is None or s.well_from > day)
    ]
    by_cause = Counter(s.reason_category or "not_given" for s in absent)
    names = sorted(by_cause)
    heads = sum(org.headcount.values())
    shown = protect(
        [by_cause[n] for n in names],
        [heads] * len(names),
        rule,
        parent_shown=rule.cell(len(absent), heads) is not None,
    )
    return [
        {
            "reason_category": n,
            "label": "Ej angiven" if n == "not_given" else reason_label(n),
            "absent_sick": cell,
        }
        for n, cell in zip(names, shown, strict=True)
    ]


def days_between(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def daily_series(
    spells: list[Spell], first: date, last: date, org: Org, rule: Suppression
) -> dict[str, list[dict[str, Any]]]:
    """Day-by-day figures for the municipality and each department, by one sweep over the
    spells (a start adds one from its first day, a well report removes one), so five years
    cost little more than one day. Each day's department cells are protected together."""
    departments = sorted(org.department_headcount())
    index = {d: i for i, d in enumerate(departments)}
    n_days = (last - first).days + 1
    # measure -> day -> department -> count
    grid = {m: [[0] * len(departments) for _ in range(n_days + 1)] for m in MEASURES}

    def bump(measure: str, day: date, department: int, delta: int = 1) -> None:
        offset = (day - first).days
        if 0 <= offset < n_days:
            grid[measure][offset][department] += delta

    for s in spells:
        d = index.get(org.workplace_department.get(s.workplace_id, ""))
        if d is None:
            continue
        kind = "sick" if s.absence_type == "sick" else "vab"
        if s.reported_on is not None:
            bump(f"new_{kind}", s.reported_on, d)
        if s.well_from is not None:
            bump("back", s.well_from, d)
        start = max(s.sick_from, first)
        end = (
            last + timedelta(days=1)
            if s.well_from is None
            else min(s.well_from, last + timedelta(days=1))
        )
        if start < end:  # absent on [start, end): a running sum turns these into counts
            for measure in (f"absent_{kind}", "absent"):
                grid[measure][(start - first).days][d] += 1
                grid[measure][(end - first).days][d] -= 1
    for measure in (m for m in MEASURES if m.startswith("absent")):
        running = [0] * len(departments)
        for offset in range(n_days):
            running = [r + g for r, g in zip(running, grid[measure][offset], strict=True)]
            grid[measure][offset] = running
    heads = org.department_headcount()
    sizes = [heads[d] for d in departments]
    total_heads = sum(sizes)
    series: dict[str, list[dict[str, Any]]] = {"municipality": [], **{d: [] for d in departments}}
    for offset in range(n_days):
        day = first + timedelta(days=offset)
        top: dict[str, Any] = {"date": day, "headcount": total_heads}
        cells: dict[str, dict[str, Any]] = {
            d: {"date": day, "headcount": heads[d]} for d in departments
        }
        for measure in MEASURES:
            row = grid[measure][offset]
            top[measure] = rule.cell(sum(row), total_heads)
            shown = protect(list(row), sizes, rule, parent_shown=top[measure] is not None)
            for d, cell in zip(departments, shown, strict=True):
                cells[d][measure] = cell
        for cell in (top, *cells.values()):
            cell["absent_per_100"] = _per_100(cell["absent"], cell["headcount"])
        series["municipality"].append(top)
        for d in departments:
            series[d].append(cells[d])
    return series


def data_quality(spells: list[Any], day: date, org: Org, rule: Suppression) -> list[dict[str, Any]]:
    """Per department: open spells past their expected return with no well report (what made
    the pilot's managers distrust the figures), reports registered after their first day
    (backdated), and corrected spells — counts, protected like every other cell."""
    heads = org.department_headcount()
    counts: dict[str, Counter[str]] = {
        k: Counter() for k in ("overdue_well_reports", "backdated", "corrected")
    }
    for s in spells:
        department = org.workplace_department.get(s.workplace_id)
        if department is None:
            continue
        if s.well_from is None and s.expected_return is not None and s.expected_return < day:
            counts["overdue_well_reports"][department] += 1
        if s.reported_on is not None and s.reported_on > s.sick_from:
            counts["backdated"][department] += 1
        if s.corrected:
            counts["corrected"][department] += 1
    departments = sorted(heads)
    rows: list[dict[str, Any]] = [
        {
            "department_id": d,
            "department_name": org.department_names.get(d, d),
            "headcount": heads[d],
        }
        for d in departments
    ]
    for measure, per_department in counts.items():
        total = sum(per_department.values())
        shown = protect(
            [per_department[d] for d in departments],
            [heads[d] for d in departments],
            rule,
            parent_shown=rule.cell(total, sum(heads.values())) is not None,
        )
        for row, cell in zip(rows, shown, strict=True):
            row[measure] = cell
    return rows


def follow_up(triggers: list[Any], org: Org, rule: Suppression) -> list[dict[str, Any]]:
    """Triggers fired per rule, department and month, beside those marked handled (withdrawn
    ones do not count). A month's cell is withheld like any other small count."""
    heads = org.department_headcount()
    fired: Counter[tuple[str, str, str]] = Counter()
    handled: Counter[tuple[str, str, str]] = Counter()
    for t in triggers:
        if t.withdrawn:
            continue
        department = org.workplace_department.get(t.workplace_id, t.department_id)
        key = (t.fired_on.strftime("%Y-%m"), department, t.rule_id)
        fired[key] += 1
        if t.handled:
            handled[key] += 1
    return [
        {
            "month": month,
            "department_id": department,
            "rule_id": rule_id,
            "fired": rule.cell(fired[(month, department, rule_id)], heads.get(department, 0)),
            "handled": rule.cell(handled[(month, department, rule_id)], heads.get(department, 0)),
        }
        for month, department, rule_id in sorted(fired)
    ]
