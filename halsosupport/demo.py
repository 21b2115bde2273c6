"""A small demo municipality for `make run` and the end-to-end tests: departments, workplaces,
managers and employees with valid (but made-up) personnummer. Deterministic for a given seed.
"""

import random
from dataclasses import replace
from datetime import date

from services.intake.directory import (
    DepartmentRecord,
    DirectoryImport,
    EmployeeRecord,
    WorkplaceRecord,
)
from services.intake.personnummer import luhn_check_digit

WOMEN = [
    "Anna",
    "Eva",
    "Maria",
    "Karin",
    "Sara",
    "Lena",
    "Emma",
    "Kerstin",
    "Ingrid",
    "Linnéa",
    "Elin",
    "Sofia",
    "Hanna",
    "Marie",
    "Johanna",
    "Malin",
    "Ida",
    "Birgitta",
    "Åsa",
    "Frida",
]
MEN = [
    "Lars",
    "Erik",
    "Anders",
    "Johan",
    "Per",
    "Karl",
    "Mikael",
    "Nils",
    "Jonas",
    "Björn",
    "Oskar",
    "Fredrik",
]
SURNAMES = [
    "Andersson",
    "Johansson",
    "Karlsson",
    "Nilsson",
    "Eriksson",
    "Larsson",
    "Olsson",
    "Persson",
    "Svensson",
    "Gustafsson",
    "Pettersson",
    "Jonsson",
    "Lindberg",
    "Sjöberg",
    "Lindqvist",
    "Berglund",
    "Nordström",
    "Öberg",
    "Åström",
    "Hägglund",
]

DEMO_EFFECTIVE_FROM = date(2015, 1, 1)  # the demo organisation has looked like this since 2015

DEPARTMENTS = [
    (
        "vof",
        "Välfärdsförvaltningen",
        [
            "Solbackens särskilda boende",
            "Hemtjänst Centrum",
            "Hemtjänst Norr",
            "Björkgårdens boende",
        ],
    ),
    ("bou", "Barn- och utbildningsförvaltningen", ["Förskolan Ekorren", "Nolaskolan"]),
    ("ksf", "Kommunstyrelseförvaltningen", ["Ekonomienheten"]),
]


def fake_personnummer(rng: random.Random, birth: date, *, woman: bool) -> str:
    """A personnummer with a valid check digit; the serial's third digit is even for women."""
    serial = rng.randrange(0, 100) * 10 + rng.choice([0, 2, 4, 6, 8] if woman else [1, 3, 5, 7, 9])
    nine = f"{birth:%y%m%d}{serial:03d}"
    return f"{birth:%Y%m%d}{serial:03d}{luhn_check_digit(nine)}"


def small_directory(seed: int = 7, employees_per_workplace: int = 9) -> DirectoryImport:
    """~70 people in 3 departments and 7 workplaces, mostly women as in the municipality."""
    rng = random.Random(seed)
    departments, workplaces, employees = [], [], []
    used: set[str] = set()

    def person(workplace_id: str, *, manager: bool = False) -> EmployeeRecord:
        woman = rng.random() < 0.8
        birth = date(rng.randint(1962, 2002), rng.randint(1, 12), rng.randint(1, 28))
        pnr = fake_personnummer(rng, birth, woman=woman)
        while pnr in used:
            pnr = fake_personnummer(rng, birth, woman=woman)
        used.add(pnr)
        first = rng.choice(WOMEN if woman else MEN)
        last = rng.choice(SURNAMES)
        login = f"{first}.{last}".lower().translate(str.maketrans("åäöé", "aaoe"))
        return EmployeeRecord(
            personnummer=pnr,
            name=f"{first} {last}",
            workplace_id=workplace_id,
            email=f"{login}{len(used)}@demo.halsosupport.se",
            phone=f"+4670{rng.randrange(1_000_000, 9_999_999)}",
            employment_degree_percent=100 if manager else rng.choice([100, 100, 100, 75, 50]),
            gender="F" if woman else "M",
            birth_year=birth.year,
            employed_from=date(2015, 1, 1),
        )

    for department_id, department_name, workplace_names in DEPARTMENTS:
        hr = person(f"{department_id}-hr", manager=True)
        workplaces.append(
            WorkplaceRecord(
                f"{department_id}-hr",
                f"Personalenhet {department_name}",
                department_id,
                manager=hr.personnummer,
            )
        )
        employees.append(hr)
        departments.append(DepartmentRecord(department_id, department_name, hr.personnummer))
        for index, workplace_name in enumerate(workplace_names, start=1):
            workplace_id = f"{department_id}-{index:02d}"
            manager, deputy = person(workplace_id, manager=True), person(workplace_id)
            employees += [manager, deputy]
            employees += [person(workplace_id) for _ in range(employees_per_workplace)]
            workplaces.append(
                WorkplaceRecord(
                    workplace_id,
                    workplace_name,
                    department_id,
                    manager=manager.personnummer,
                    deputy_manager=deputy.personnummer,
                )
            )
    # Every unit has a deputy, the HR units too: when the head of HR is ill herself, her
    # sick report needs someone to go to. Drawn last so everybody else stays who they were.
    for index, record in enumerate(workplaces):
        if record.deputy_manager is None:
            deputy = person(record.workplace_id)
            employees.append(deputy)
            workplaces[index] = replace(record, deputy_manager=deputy.personnummer)
    return DirectoryImport(departments=departments, workplaces=workplaces, employees=employees)
