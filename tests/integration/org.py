"""A tiny organisation for integration tests, with valid personnummer."""

import random
from datetime import date

from halsosupport.demo import fake_personnummer
from services.intake.directory import (
    DepartmentRecord,
    DirectoryImport,
    EmployeeRecord,
    WorkplaceRecord,
)

_rng = random.Random(42)
MANAGER = fake_personnummer(_rng, date(1975, 4, 2), woman=True)
DEPUTY = fake_personnummer(_rng, date(1980, 6, 9), woman=False)
HR = fake_personnummer(_rng, date(1970, 1, 30), woman=True)
ANNA = fake_personnummer(_rng, date(1990, 5, 17), woman=True)
BERTIL = fake_personnummer(_rng, date(1985, 8, 3), woman=False)


ANNA_PHONE = "+46701234567"
BERTIL_PHONE = "+46701234568"
_PHONES = {ANNA: ANNA_PHONE, BERTIL: BERTIL_PHONE, MANAGER: "+46701234561", DEPUTY: "+46701234562"}


def person(pnr: str, name: str, workplace: str = "w-care", **kw) -> EmployeeRecord:
    fields = {
        "email": f"{name.split()[0].lower()}@example.org",
        "phone": _PHONES.get(pnr, "+46701234560"),
        "gender": "F",
        "birth_year": 1990,
        **kw,
    }
    return EmployeeRecord(personnummer=pnr, name=name, workplace_id=workplace, **fields)


def seed_directory(engine, directory: DirectoryImport | None = None, effective_from=None):
    """Import a directory and commit, as `halsosupport import-directory` would."""
    from halsosupport.clock import SystemClock
    from services.intake.adapters.sql_repo import SqlUnitOfWork
    from services.intake.directory_handlers import import_directory

    with SqlUnitOfWork(engine) as uow:
        result = import_directory(
            uow=uow,
            clock=SystemClock(),
            directory=directory or tiny_directory(),
            effective_from=effective_from or date(2026, 1, 1),
            registered_by="test",
        )
        uow.commit()
    return result


def tiny_directory(**employee_changes) -> DirectoryImport:
    return DirectoryImport(
        departments=[DepartmentRecord("d-welfare", "Välfärd", hr_specialist=HR)],
        workplaces=[
            WorkplaceRecord(
                "w-care", "Solbacken", "d-welfare", manager=MANAGER, deputy_manager=DEPUTY
            ),
            WorkplaceRecord("w-hr", "Personal", "d-welfare", manager=HR),
        ],
        employees=[
            person(MANAGER, "Maja Chef"),
            person(DEPUTY, "Dan Ställföreträdare"),
            person(HR, "Hanna Personal", workplace="w-hr"),
            person(ANNA, "Anna Andersson", **employee_changes),
            person(BERTIL, "Bertil Berg"),
        ],
    )
