"""Read-side questions the line asks: who is this caller, what is open."""

from dataclasses import dataclass
from datetime import date

import phonenumbers

from services.intake import personnummer
from services.intake.access import EmployeePlace
from services.intake.adapters.sql_repo import EmployeeQuery, SqlUnitOfWork
from services.intake.adapters.tables import Employee, Spell, Workplace


@dataclass(frozen=True)
class EmployeesFound:
    rows: list[tuple[Employee, Workplace]]
    total: int
    open_spells: dict[str, Spell]


def employee_query(text: str, *, today: date) -> EmployeeQuery:
    """Read a search as a name, a personnummer in any form, or phone digits."""
    canonical = None
    try:
        canonical = personnummer.parse(text, today=today).canonical
    except personnummer.InvalidPersonnummer:
        canonical = None
    digits = "".join(ch for ch in text if ch.isdigit())
    return EmployeeQuery(
        text=text if not digits else "", personnummer=canonical, phone_digits=digits or None
    )


def find_employees(
    uow: SqlUnitOfWork, text: str | None, *, limit: int, offset: int, today: date
) -> EmployeesFound:
    matching = None if not text or not text.strip() else employee_query(text.strip(), today=today)
    rows, total = uow.employees_page(limit=limit, offset=offset, matching=matching)
    open_spells = uow.open_spells([e.employee_id for e, _ in rows])
    return EmployeesFound(rows=rows, total=total, open_spells=open_spells)


def employee_by_phone(uow: SqlUnitOfWork, number: str, *, region: str = "SE") -> Employee | None:
    """The employee whose directory phone is `number` (any common form), or None."""
    try:
        parsed = phonenumbers.parse(number, region)
    except phonenumbers.NumberParseException:
        return None
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    return uow.employee_by_phone(e164)


def employee_place(uow: SqlUnitOfWork, employee_id: str) -> EmployeePlace | None:
    """The employee's workplace, department and managers now, or None for an unknown id."""
    employee = uow.employee(employee_id)
    workplace = None if employee is None else uow.workplace(employee.workplace_id)
    if workplace is None:
        return None
    managers = {workplace.manager_id, workplace.deputy_manager_id} - {None, ""}
    return EmployeePlace(
        workplace_id=workplace.workplace_id,
        department_id=workplace.department_id,
        managers=frozenset(m for m in managers if m is not None),
    )
