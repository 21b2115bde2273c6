"""Importing the HR snapshot into the directory: stable ids, moves with effective dates,
departures, and an event only for what changed."""

import uuid
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from schemas.directory import (
    ContactUpserted,
    DepartmentPeriod,
    DepartmentUpserted,
    WorkplaceUpserted,
)
from schemas.envelope import Channel, Source
from services.intake.adapters.sql_repo import SqlUnitOfWork
from services.intake.adapters.tables import (
    Contact,
    Department,
    Employee,
    Placement,
    Workplace,
    WorkplacePeriod,
)
from services.intake.directory import DirectoryImport, ImportResult
from services.intake.handlers import employee_upserted
from services.intake.ports import Clock

Row = TypeVar("Row", Department, Workplace, Employee, Contact)


def import_directory(
    *,
    uow: SqlUnitOfWork,
    clock: Clock,
    directory: DirectoryImport,
    effective_from: date,
    registered_by: str,
) -> ImportResult:
    """Bring the directory in line with a validated HR snapshot, effective from a date.

    Ids are stable: a known personnummer keeps its employee id, a workplace its id. A move
    closes the old placement (or department period) on `effective_from` and opens a new one,
    so history stays in the unit it happened in. Whoever is missing from the snapshot left on
    the day before `effective_from` and keeps their history. Only what changed is published:
    importing the same file twice publishes nothing. The caller commits.
    """
    sync = _Sync(uow, clock.now(), Source(channel=Channel.IMPORT, registered_by=registered_by))
    known = uow.all_employees_by_personnummer()
    ids = {
        r.personnummer: known[r.personnummer].employee_id if r.personnummer in known else None
        for r in directory.employees
    }
    ids = {p: employee_id or str(uuid.uuid4()) for p, employee_id in ids.items()}
    departments = sync.departments(directory, ids)
    workplaces = sync.workplaces(directory, ids, effective_from)
    uow.flush()
    added, changed, moved = sync.employees(directory, ids, known, effective_from)
    left = sync.departures(known, set(ids), effective_from)
    uow.flush()
    for employee in [*added, *changed, *left]:
        uow.record_event(
            employee_upserted(uow, employee, at=sync.now, source=sync.source), at=sync.now
        )
    contacts = sync.contacts(directory)
    return ImportResult(
        departments_changed=departments,
        workplaces_changed=workplaces,
        employees_added=len(added),
        employees_changed=len(changed),
        employees_moved=moved,
        employees_left=len(left),
        contacts_changed=contacts,
    )


def _changed(row: Row, fields: dict[str, Any]) -> bool:
    """Update `row` in place; True when anything differed."""
    differs = any(getattr(row, name) != value for name, value in fields.items())
    for name, value in fields.items():
        setattr(row, name, value)
    return differs


def _move(
    periods: list[Any], effective_from: date, field: str, value: str, new: Callable[[], Any]
) -> list[Any]:
    """Close the open period on `effective_from` and open a new one; an open period that
    starts on or after that day is re-pointed instead. Returns the rows to save."""
    current = next((p for p in periods if p.valid_to is None), None)
    if current is not None and current.valid_from >= effective_from:
        setattr(current, field, value)
        return [current]
    if current is None:
        return [new()]
    current.valid_to = effective_from
    return [current, new()]


class _Sync:
    def __init__(self, uow: SqlUnitOfWork, now: datetime, source: Source) -> None:
        self.uow, self.now, self.source = uow, now, source

    def departments(self, directory: DirectoryImport, ids: dict[str, str]) -> int:
        changed = 0
        existing = self.uow.all_departments()
        for record in directory.departments:
            fields = {"name": record.name, "hr_specialist_id": ids.get(record.hr_specialist or "")}
            row = existing.get(record.department_id)
            if row is None:
                self.uow.add(Department(department_id=record.department_id, **fields))
            elif not _changed(row, fields):
                continue
            else:
                self.uow.add(row)
            changed += 1
            self.uow.record_event(
                DepartmentUpserted(
                    event_id=uuid.uuid4(), occurred_at=self.now, source=self.source,
                    department_id=record.department_id, **fields,
                ),
                at=self.now,
            )  # fmt: skip
        return changed

    def workplaces(
        self, directory: DirectoryImport, ids: dict[str, str], effective_from: date
    ) -> int:
        changed = 0
        existing = self.uow.all_workplaces()
        for record in directory.workplaces:
            fields = {
                "name": record.name,
                "department_id": record.department_id,
                "manager_id": ids.get(record.manager or ""),
                "deputy_manager_id": ids.get(record.deputy_manager or ""),
                "scheduler_id": ids.get(record.scheduler or ""),
            }
            row = existing.get(record.workplace_id)

            def period(r: Any = record) -> WorkplacePeriod:
                return WorkplacePeriod(
                    workplace_id=r.workplace_id,
                    department_id=r.department_id,
                    valid_from=effective_from,
                )

            if row is None:
                self.uow.add(Workplace(workplace_id=record.workplace_id, **fields))
                self.uow.flush()
                self.uow.add(period())
            else:
                was_in = row.department_id
                if not _changed(row, fields):
                    continue
                self.uow.add(row)
                if was_in != record.department_id:
                    periods = self.uow.periods_of(record.workplace_id)
                    for saved in _move(
                        periods, effective_from, "department_id", record.department_id, period
                    ):
                        self.uow.add(saved)
            changed += 1
            self.uow.flush()
            history = [
                DepartmentPeriod(
                    department_id=p.department_id, valid_from=p.valid_from, valid_to=p.valid_to
                )
                for p in self.uow.periods_of(record.workplace_id)
            ]
            self.uow.record_event(
                WorkplaceUpserted(
                    event_id=uuid.uuid4(), occurred_at=self.now, source=self.source,
                    workplace_id=record.workplace_id, department_history=history, **fields,
                ),
                at=self.now,
            )  # fmt: skip
        return changed

    def employees(
        self,
        directory: DirectoryImport,
        ids: dict[str, str],
        known: dict[str, Employee],
        effective_from: date,
    ) -> tuple[list[Employee], list[Employee], int]:
        added: list[Employee] = []
        changed: list[Employee] = []
        moved = 0
        for record in directory.employees:
            fields = {
                "name": record.name,
                "email": record.email,
                "phone": record.phone,
                "workplace_id": record.workplace_id,
                "employment_degree_percent": record.employment_degree_percent,
                "gender": record.gender,
                "birth_year": record.birth_year,
                "employed_from": record.employed_from,
                "employed_to": record.employed_to,
            }
            row = known.get(record.personnummer)
            if row is None:
                employee = Employee(
                    employee_id=ids[record.personnummer], personnummer=record.personnummer, **fields
                )
                self.uow.add(employee)
                self.uow.flush()
                self.uow.add(
                    Placement(
                        employee_id=employee.employee_id,
                        workplace_id=record.workplace_id,
                        valid_from=record.employed_from or effective_from,
                    )
                )
                added.append(employee)
                continue
            was_at = row.workplace_id
            if not _changed(row, fields):
                continue
            self.uow.add(row)
            changed.append(row)
            if was_at != record.workplace_id:
                moved += 1

                def placement(r: Employee = row, to: str = record.workplace_id) -> Placement:
                    return Placement(
                        employee_id=r.employee_id, workplace_id=to, valid_from=effective_from
                    )

                periods = self.uow.placements_of(row.employee_id)
                for saved in _move(
                    periods, effective_from, "workplace_id", record.workplace_id, placement
                ):
                    self.uow.add(saved)
        return added, changed, moved

    def departures(
        self, known: dict[str, Employee], present: set[str], effective_from: date
    ) -> list[Employee]:
        """Employees missing from the snapshot left the day before it took effect."""
        last_day = effective_from - timedelta(days=1)
        left = []
        for employee in known.values():
            if employee.personnummer in present:
                continue
            if employee.employed_to is not None and employee.employed_to <= last_day:
                continue
            employee.employed_to = last_day
            self.uow.add(employee)
            for placement in self.uow.placements_of(employee.employee_id):
                if placement.valid_to is None:
                    placement.valid_to = effective_from
                    self.uow.add(placement)
            left.append(employee)
        return left

    def contacts(self, directory: DirectoryImport) -> int:
        changed = 0
        existing = self.uow.all_contacts()
        for record in directory.contacts:
            fields = {
                "role": record.role,
                "scope": record.scope,
                "name": record.name,
                "email": record.email,
                "phone": record.phone,
            }
            row = existing.get(record.contact_id)
            if row is None:
                self.uow.add(Contact(contact_id=record.contact_id, **fields))
            elif not _changed(row, fields):
                continue
            else:
                self.uow.add(row)
            changed += 1
            self.uow.record_event(
                ContactUpserted(
                    event_id=uuid.uuid4(), occurred_at=self.now, source=self.source,
                    contact_id=record.contact_id, **fields,
                ),
                at=self.now,
            )  # fmt: skip
        return changed
