"""Reading and validating the HR system's export, without I/O.

Input: CSV files (`departments`, `workplaces`, `employees`, `contacts`; UTF-8 or Windows-1252,
`;` or `,`) or one JSON document with the same four lists. Swedish column names are accepted
beside the English ones. Every problem is collected — file, line, field, why — and a file with
any problem is rejected as a whole, so nothing is ever half-imported.
"""

import csv
import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import PurePath
from typing import Any

import phonenumbers

from schemas.directory import ContactRole
from services.intake import personnummer
from services.intake.directory import (
    ContactRecord,
    DepartmentRecord,
    DirectoryImport,
    EmployeeRecord,
    WorkplaceRecord,
)

KINDS = ("departments", "workplaces", "employees", "contacts")
FILE_NAMES = {
    "departments": "departments", "forvaltningar": "departments", "förvaltningar": "departments",
    "workplaces": "workplaces", "enheter": "workplaces", "arbetsplatser": "workplaces",
    "employees": "employees", "medarbetare": "employees", "anstallda": "employees",
    "anställda": "employees",
    "contacts": "contacts", "kontakter": "contacts",
}  # fmt: skip
ALIASES = {
    "departments": {
        "department_id": ["id", "forvaltning_id", "förvaltning_id"],
        "name": ["namn"],
        "hr_specialist": ["personalspecialist", "hr"],
    },
    "workplaces": {
        "workplace_id": ["id", "enhet_id", "enhet", "arbetsplats_id"],
        "name": ["namn"],
        "department_id": ["department", "forvaltning", "förvaltning", "forvaltning_id"],
        "manager": ["chef", "narmaste_chef", "närmaste_chef"],
        "deputy_manager": ["ersattare", "ersättare", "stf_chef"],
        "scheduler": ["resursplanerare"],
    },
    "employees": {
        "personnummer": ["pnr", "personal_number", "samordningsnummer"],
        "name": ["namn"],
        "email": ["e_post", "epost", "mail"],
        "phone": ["telefon", "mobil", "mobile"],
        "workplace_id": ["workplace", "enhet", "enhet_id", "arbetsplats"],
        "employment_degree_percent": [
            "employment_degree", "sysselsattningsgrad", "sysselsättningsgrad",
        ],
        "gender": ["kon", "kön"],
        "birth_year": ["fodelsear", "födelseår"],
        "employed_from": ["anstalld_fran", "anställd_från", "start"],
        "employed_to": ["anstalld_till", "anställd_till", "slut"],
    },
    "contacts": {
        "contact_id": ["id", "kontakt_id"],
        "role": ["roll"],
        "scope": ["omfattning", "department_id"],
        "name": ["namn"],
        "email": ["e_post", "epost", "mail"],
        "phone": ["telefon"],
    },
}  # fmt: skip
REQUIRED = {
    "departments": ("department_id", "name"),
    "workplaces": ("workplace_id", "name", "department_id", "manager"),
    "employees": ("personnummer", "name", "workplace_id"),
    "contacts": ("contact_id", "role", "name"),
}
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
GENDERS = {"f": "F", "k": "F", "kvinna": "F", "woman": "F", "m": "M", "man": "M",
           "x": "X", "annat": "X", "other": "X"}  # fmt: skip


@dataclass(frozen=True)
class Problem:
    """One reason the file cannot be imported."""

    file: str
    line: int | None
    field: str | None
    why: str

    def __str__(self) -> str:
        where = self.file + (f" line {self.line}" if self.line is not None else "")
        return f"{where}{', ' + self.field if self.field else ''}: {self.why}"


class DirectoryRejected(Exception):
    """The export has problems; nothing was imported. `problems` lists every one."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problem(s); nothing was imported")
        self.problems = problems


@dataclass(frozen=True)
class Row:
    file: str
    line: int
    values: dict[str, str]


RawDirectory = dict[str, list[Row]]


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM), else Windows-1252, as Swedish HR systems export."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252")


def _normalise_header(kind: str, header: str) -> str:
    key = header.strip().lower().replace(" ", "_").replace("-", "_")
    for canonical, aliases in ALIASES[kind].items():
        if key == canonical or key in aliases:
            return canonical
    return key


def read_files(files: dict[str, bytes]) -> RawDirectory:
    """Read CSV files named after their kind, or one JSON document; raise DirectoryRejected."""
    problems: list[Problem] = []
    raw: RawDirectory = {}
    for name, data in files.items():
        path = PurePath(name)
        if path.suffix.lower() == ".json":
            _read_json(name, data, raw, problems)
            continue
        kind = FILE_NAMES.get(path.stem.lower())
        if kind is None or path.suffix.lower() not in (".csv", ".txt"):
            known = ", ".join(sorted({f"{k}.csv" for k in KINDS}))
            problems.append(
                Problem(
                    name, None, None, f"unknown file; expected one of {known} or a .json document"
                )
            )
            continue
        raw.setdefault(kind, []).extend(_read_csv(name, kind, decode_text(data), problems))
    if problems:
        raise DirectoryRejected(problems)
    return raw


def _read_csv(name: str, kind: str, text: str, problems: list[Problem]) -> list[Row]:
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") >= first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = [_normalise_header(kind, h) for h in next(reader)]
    except StopIteration:
        problems.append(Problem(name, 1, None, "the file is empty"))
        return []
    for column in REQUIRED[kind]:
        if column not in header:
            problems.append(Problem(name, 1, column, "column missing"))
    rows = []
    for cells in reader:
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            problems.append(
                Problem(
                    name,
                    reader.line_num,
                    None,
                    f"{len(cells)} fields, the header has {len(header)}",
                )
            )
            continue
        rows.append(
            Row(name, reader.line_num, {h: c.strip() for h, c in zip(header, cells, strict=True)})
        )
    return rows


def _read_json(name: str, data: bytes, raw: RawDirectory, problems: list[Problem]) -> None:
    try:
        document = json.loads(decode_text(data))
    except json.JSONDecodeError as error:
        problems.append(Problem(name, error.lineno, None, f"not valid JSON: {error.msg}"))
        return
    if not isinstance(document, dict):
        problems.append(
            Problem(name, None, None, f"expected an object with the lists {', '.join(KINDS)}")
        )
        return
    for kind in KINDS:
        entries = document.get(kind, [])
        if not isinstance(entries, list):
            problems.append(Problem(name, None, kind, "expected a list"))
            continue
        for index, entry in enumerate(entries, start=1):
            if not isinstance(entry, dict):
                problems.append(Problem(f"{name} {kind}", index, None, "expected an object"))
                continue
            values = {
                _normalise_header(kind, k): ("" if v is None else str(v)).strip()
                for k, v in entry.items()
            }
            raw.setdefault(kind, []).append(Row(f"{name} {kind}", index, values))


class _Checker:
    """Collects problems while turning rows into records."""

    def __init__(self, today: date) -> None:
        self.today = today
        self.problems: list[Problem] = []

    def problem(self, row: Row, field: str | None, why: str) -> None:
        self.problems.append(Problem(row.file, row.line, field, why))

    def text(self, row: Row, field: str, *, required: bool = False) -> str | None:
        value = row.values.get(field) or None
        if value is None and required:
            self.problem(row, field, "is empty")
        return value

    def person(self, row: Row, field: str, *, required: bool = False) -> str | None:
        value = self.text(row, field, required=required)
        if value is None:
            return None
        try:
            return personnummer.parse(value, today=self.today).canonical
        except personnummer.InvalidPersonnummer as error:
            self.problem(row, field, str(error))
            return None

    def parsed(self, row: Row, field: str, convert: Callable[[str], Any], why: str) -> Any:
        value = self.text(row, field)
        if value is None:
            return None
        try:
            return convert(value)
        except ValueError:
            self.problem(row, field, why.format(value=value))
            return None


def _date(value: str) -> date:
    return date.fromisoformat(value if "-" in value else f"{value[:4]}-{value[4:6]}-{value[6:]}")


def _degree(value: str) -> int:
    number = round(float(value.rstrip("%").strip().replace(",", ".")))
    if not 0 <= number <= 100:
        raise ValueError(value)
    return number


def _phone(value: str) -> str:
    try:
        parsed = phonenumbers.parse(value, "SE")
    except phonenumbers.NumberParseException as error:
        raise ValueError(value) from error
    if not phonenumbers.is_valid_number(parsed):
        raise ValueError(value)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def _email(value: str) -> str:
    if not EMAIL.match(value):
        raise ValueError(value)
    return value


def _gender(value: str) -> str:
    key = value.strip().lower()
    if key not in GENDERS:
        raise ValueError(value)
    return GENDERS[key]


def validate(raw: RawDirectory, *, today: date) -> DirectoryImport:
    """Every record checked and cross-checked; DirectoryRejected lists all problems."""
    check = _Checker(today)
    workplace_ids = {r.values.get("workplace_id") for r in raw.get("workplaces", [])} - {None, ""}
    employees = _employees(check, raw.get("employees", []), workplace_ids)
    people = {e.personnummer for e in employees}
    departments = _departments(check, raw.get("departments", []), people)
    department_ids = {d.department_id for d in departments}
    workplaces = _workplaces(check, raw.get("workplaces", []), people, department_ids)
    contacts = _contacts(check, raw.get("contacts", []), department_ids)
    if not raw.get("employees") and not check.problems:
        check.problems.append(
            Problem("employees", None, None, "no employees: refusing to mark everyone as departed")
        )
    if check.problems:
        raise DirectoryRejected(check.problems)
    return DirectoryImport(
        departments=departments, workplaces=workplaces, employees=employees, contacts=contacts
    )


def _unique(check: _Checker, row: Row, field: str, value: str | None, seen: dict[str, int]) -> bool:
    if value is None:
        return False
    if value in seen:
        check.problem(row, field, f"duplicate of line {seen[value]}")
        return False
    seen[value] = row.line
    return True


def _employees(check: _Checker, rows: list[Row], workplace_ids: set[str]) -> list[EmployeeRecord]:
    records, seen = [], {}
    for row in rows:
        pnr = check.person(row, "personnummer", required=True)
        name = check.text(row, "name", required=True)
        workplace = check.text(row, "workplace_id", required=True)
        if workplace is not None and workplace not in workplace_ids:
            check.problem(row, "workplace_id", f"unknown workplace {workplace!r}")
        email = check.parsed(row, "email", _email, "{value!r} is not an e-mail address")
        phone = check.parsed(row, "phone", _phone, "{value!r} is not a valid phone number")
        degree = check.parsed(row, "employment_degree_percent", _degree, "{value!r} is not 0–100")
        gender = check.parsed(row, "gender", _gender, "{value!r}: use F, M or X (K for kvinna)")
        birth_year = check.parsed(row, "birth_year", int, "{value!r} is not a year")
        employed_from = check.parsed(
            row, "employed_from", _date, "{value!r} is not a date (YYYY-MM-DD)"
        )
        employed_to = check.parsed(
            row, "employed_to", _date, "{value!r} is not a date (YYYY-MM-DD)"
        )
        if employed_from and employed_to and employed_to < employed_from:
            check.problem(row, "employed_to", "is before employed_from")
        born = None if pnr is None else int(pnr[:4])
        if birth_year is not None and born is not None and birth_year != born:
            check.problem(
                row, "birth_year", f"{birth_year} does not match the personnummer ({born})"
            )
        if not _unique(check, row, "personnummer", pnr, seen) or name is None or workplace is None:
            continue
        assert pnr is not None
        records.append(
            EmployeeRecord(
                personnummer=pnr, name=name, workplace_id=workplace, email=email, phone=phone,
                employment_degree_percent=100 if degree is None else degree, gender=gender,
                birth_year=born, employed_from=employed_from, employed_to=employed_to,
            )
        )  # fmt: skip
    return records


def _role_holder(
    check: _Checker, row: Row, field: str, people: set[str], *, required: bool = False
) -> str | None:
    pnr = check.person(row, field, required=required)
    if pnr is not None and pnr not in people:
        check.problem(row, field, "is not among the employees in this import")
        return None
    return pnr


def _departments(check: _Checker, rows: list[Row], people: set[str]) -> list[DepartmentRecord]:
    records, seen = [], {}
    for row in rows:
        department_id = check.text(row, "department_id", required=True)
        name = check.text(row, "name", required=True)
        hr = _role_holder(check, row, "hr_specialist", people)
        if _unique(check, row, "department_id", department_id, seen) and name:
            assert department_id is not None
            records.append(DepartmentRecord(department_id, name, hr))
    return records


def _workplaces(
    check: _Checker, rows: list[Row], people: set[str], departments: set[str]
) -> list[WorkplaceRecord]:
    records, seen = [], {}
    for row in rows:
        workplace_id = check.text(row, "workplace_id", required=True)
        name = check.text(row, "name", required=True)
        department_id = check.text(row, "department_id", required=True)
        if department_id is not None and department_id not in departments:
            check.problem(row, "department_id", f"unknown department {department_id!r}")
        if not row.values.get("manager"):
            check.problem(row, "manager", "a workplace needs a nearest manager")
        manager = _role_holder(check, row, "manager", people)
        deputy = _role_holder(check, row, "deputy_manager", people)
        scheduler = _role_holder(check, row, "scheduler", people)
        if _unique(check, row, "workplace_id", workplace_id, seen) and name and department_id:
            assert workplace_id is not None
            records.append(
                WorkplaceRecord(workplace_id, name, department_id, manager, deputy, scheduler)
            )
    return records


def _contacts(check: _Checker, rows: list[Row], departments: set[str]) -> list[ContactRecord]:
    records, seen = [], {}
    roles = {role.value for role in ContactRole}
    for row in rows:
        contact_id = check.text(row, "contact_id", required=True)
        role = check.text(row, "role", required=True)
        name = check.text(row, "name", required=True)
        scope = check.text(row, "scope") or "*"
        email = check.parsed(row, "email", _email, "{value!r} is not an e-mail address")
        phone = check.parsed(row, "phone", _phone, "{value!r} is not a valid phone number")
        if role is not None and role not in roles:
            check.problem(
                row, "role", f"unknown role {role!r}; use one of {', '.join(sorted(roles))}"
            )
        if scope != "*" and scope not in departments:
            check.problem(row, "scope", f"unknown department {scope!r} (or * for everyone)")
        if not row.values.get("email") and not row.values.get("phone"):
            check.problem(row, None, "give an email or a phone number")
        if _unique(check, row, "contact_id", contact_id, seen) and role in roles and name:
            assert contact_id is not None and role is not None
            records.append(ContactRecord(contact_id, role, name, scope, email, phone))
    return records


def parse_directory(files: dict[str, bytes], *, today: date) -> DirectoryImport:
    """Read and validate an export; DirectoryRejected lists every problem."""
    return validate(read_files(files), today=today)
