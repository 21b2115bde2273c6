"""The read model's rows as the plain rows of `services.stats.figures`, and the narrow reads the
figure endpoints need (each takes a session, so it runs inside the caller's unit of work).

A placement's department is the one its workplace belongs to now (the organisation's
workplace → department map); the read model keeps no department history of workplaces. An
employee with no placements is placed in their current workplace from `employed_from` (or
always, when that is unknown), which is what the directory means by an empty history.
"""

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col

from services.stats.adapters.tables import Employee, Spell
from services.stats.figures import UNKNOWN, EmployeeRow, Placement, SpellRow

# Plain rows, not ORM objects: a five-year history holds hundreds of thousands of spells, and
# building ORM objects for them was most of a request's time (see sql_repo.spells_touching).
_SPELL_COLUMNS = (
    col(Spell.spell_id),
    col(Spell.employee_id),
    col(Spell.absence_type),
    col(Spell.sick_from),
    col(Spell.well_from),
    col(Spell.degree_percent),
    col(Spell.reason_category),
)
_EMPLOYEE_COLUMNS = (
    col(Employee.employee_id),
    col(Employee.workplace_id),
    col(Employee.employment_degree_percent),
    col(Employee.gender),
    col(Employee.birth_year),
    col(Employee.employed_from),
    col(Employee.employed_to),
    col(Employee.placements),
)


def _day(value: date | str | None) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)


def placements(
    workplace_id: str,
    employed_from: date | None,
    history: Sequence[Mapping[str, Any]],
    workplace_department: Mapping[str, str],
) -> tuple[Placement, ...]:
    """The figures' placements of one employee, each with its workplace's department."""
    if not history:
        department = workplace_department.get(workplace_id, UNKNOWN)
        return (Placement(workplace_id, department, employed_from or date.min),)
    found = []
    for entry in history:
        valid_from = _day(entry["valid_from"])
        if valid_from is None:  # the contract requires it; a row without one says nothing
            continue
        workplace = entry["workplace_id"]
        department = workplace_department.get(workplace, UNKNOWN)
        found.append(Placement(workplace, department, valid_from, _day(entry.get("valid_to"))))
    return tuple(found)


def employee_row(row: Any, workplace_department: Mapping[str, str]) -> EmployeeRow:
    """One row of the employee table (an ORM object or a plain row) as the figures' row."""
    return EmployeeRow(
        employee_id=row.employee_id,
        employment_degree_percent=row.employment_degree_percent,
        gender=row.gender,
        birth_year=row.birth_year,
        employed_from=row.employed_from,
        employed_to=row.employed_to,
        placements=placements(
            row.workplace_id, row.employed_from, row.placements or [], workplace_department
        ),
    )


def spell_row(row: Any) -> SpellRow:
    """One row of the spell table as the figures' row."""
    return SpellRow(
        spell_id=row.spell_id,
        employee_id=row.employee_id,
        absence_type=row.absence_type,
        sick_from=row.sick_from,
        well_from=row.well_from,
        degree_percent=row.degree_percent,
        reason_category=row.reason_category,
    )


def employees(session: Session, workplace_department: Mapping[str, str]) -> list[EmployeeRow]:
    """Every employee in the directory, past ones too (their history still counts)."""
    rows = session.connection().execute(sa.select(*_EMPLOYEE_COLUMNS))
    return [employee_row(row, workplace_department) for row in rows]


def spells_touching(session: Session, first: date, last: date) -> list[SpellRow]:
    """Spells with a day in [first, last] (a spell runs up to, not including, `well_from`)."""
    # Open and closed spells apart: each query then searches the well_from index, where one
    # with an OR searched sick_from's, nearly the whole table for a recent period (3x slower
    # in SQLite at 750,000 spells).
    rows: list[SpellRow] = []
    for ends in (col(Spell.well_from).is_(None), col(Spell.well_from) > first):
        query = sa.select(*_SPELL_COLUMNS).where(ends, col(Spell.sick_from) <= last)
        rows.extend(spell_row(row) for row in session.connection().execute(query))
    return rows


def spells_starting(session: Session, first: date, last: date) -> list[SpellRow]:
    """Spells whose first day lies in [first, last]."""
    query = sa.select(*_SPELL_COLUMNS).where(
        col(Spell.sick_from) >= first, col(Spell.sick_from) <= last
    )
    return [spell_row(row) for row in session.connection().execute(query)]
