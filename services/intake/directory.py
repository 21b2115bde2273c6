"""The organisation as HR exports it, once validated: departments, workplaces, employees and
organisation-wide contacts. People are identified by canonical personnummer (12 digits) here;
the import turns them into pseudonymous employee ids.
"""

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class DepartmentRecord:
    department_id: str
    name: str
    hr_specialist: str | None = None  # personnummer


@dataclass(frozen=True)
class WorkplaceRecord:
    workplace_id: str
    name: str
    department_id: str
    manager: str | None = None  # personnummer of the nearest manager
    deputy_manager: str | None = None
    scheduler: str | None = None  # resursplanerare


@dataclass(frozen=True)
class EmployeeRecord:
    personnummer: str
    name: str
    workplace_id: str
    email: str | None = None
    phone: str | None = None  # E.164
    employment_degree_percent: int = 100
    gender: str | None = None  # F, M or X
    birth_year: int | None = None
    employed_from: date | None = None
    employed_to: date | None = None


@dataclass(frozen=True)
class ContactRecord:
    """A role holder for the whole organisation (`scope` "*") or one department."""

    contact_id: str
    role: str  # rehab_coordinator, payroll, occupational_health
    name: str
    scope: str = "*"
    email: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class DirectoryImport:
    """A complete snapshot of the organisation: whoever is missing has left."""

    departments: list[DepartmentRecord] = field(default_factory=list)
    workplaces: list[WorkplaceRecord] = field(default_factory=list)
    employees: list[EmployeeRecord] = field(default_factory=list)
    contacts: list[ContactRecord] = field(default_factory=list)


@dataclass(frozen=True)
class ImportResult:
    """What an import changed; each counted change is one event on the directory topic."""

    departments_changed: int = 0
    workplaces_changed: int = 0
    employees_added: int = 0
    employees_changed: int = 0
    employees_moved: int = 0
    employees_left: int = 0
    contacts_changed: int = 0

    @property
    def events_published(self) -> int:
        return (
            self.departments_changed
            + self.workplaces_changed
            + self.employees_added
            + self.employees_changed
            + self.employees_left
            + self.contacts_changed
        )
