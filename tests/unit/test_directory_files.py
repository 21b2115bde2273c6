"""Reading the HR export: encodings, delimiters, Swedish columns, JSON, and a report of every
problem (file, line, field, why) with nothing imported."""

import json
from datetime import date
from pathlib import Path

import pytest

from services.intake.directory_import import DirectoryRejected, parse_directory

TODAY = date(2026, 11, 22)
EXAMPLE = Path(__file__).parents[2] / "examples" / "directory"


def example_files() -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in EXAMPLE.glob("*.csv")}


def problems_of(files: dict[str, bytes]) -> list[str]:
    with pytest.raises(DirectoryRejected) as raised:
        parse_directory(files, today=TODAY)
    return [str(p) for p in raised.value.problems]


def test_the_example_export_reads_with_swedish_columns_and_normalised_values():
    directory = parse_directory(example_files(), today=TODAY)
    assert (len(directory.departments), len(directory.workplaces), len(directory.employees),
            len(directory.contacts)) == (2, 3, 8, 2)  # fmt: skip
    maria = directory.employees[0]
    assert (maria.name, maria.phone, maria.gender, maria.birth_year) == (
        "Maria Lindqvist",
        "+46701112233",
        "F",
        1972,
    )
    assert maria.personnummer == "197203141549" and maria.employed_from == date(2010, 8, 1)
    solbacken = directory.workplaces[0]
    assert solbacken.manager == maria.personnummer and solbacken.scheduler is not None


def test_windows_1252_with_commas_reads_the_same_as_utf8_with_semicolons():
    converted = {
        name: data.decode("utf-8").replace(";", ",").encode("cp1252")
        for name, data in example_files().items()
    }
    assert parse_directory(converted, today=TODAY) == parse_directory(example_files(), today=TODAY)


def test_one_json_document_with_english_keys_reads_the_same():
    from csv import DictReader
    from io import StringIO

    english = {"personnummer": "personnummer", "namn": "name", "e-post": "email",
               "telefon": "phone", "enhet": "workplace_id",
               "sysselsättningsgrad": "employment_degree_percent",
               "kön": "gender", "anställd_från": "employed_from", "id": None, "roll": "role",
               "omfattning": "scope", "förvaltning": "department_id", "chef": "manager",
               "ersättare": "deputy_manager", "resursplanerare": "scheduler",
               "personalspecialist": "hr_specialist"}  # fmt: skip
    ids = {"departments": "department_id", "workplaces": "workplace_id", "contacts": "contact_id"}
    document = {}
    for name, data in example_files().items():
        kind = name.removesuffix(".csv")
        rows = DictReader(StringIO(data.decode()), delimiter=";")
        document[kind] = [{(english[k] or ids[kind]): v for k, v in row.items()} for row in rows]
    parsed = parse_directory({"hr.json": json.dumps(document).encode()}, today=TODAY)
    assert parsed == parse_directory(example_files(), today=TODAY)


def test_a_bad_export_is_rejected_whole_with_every_problem_listed():
    files = example_files()
    employees = files["employees.csv"].decode().splitlines()
    employees[1] = employees[1].replace("1549;", "1548;")  # line 2: wrong check digit
    employees[2] = employees[2].replace("070-222 33 44", "12345")  # line 3: not a phone number
    employees[3] = employees[3].replace(";solbacken;", ";nowhere;")  # line 4: unknown workplace
    employees.append(employees[5])  # line 10: the same person twice
    employees.append("19900101-0017;Ny Person;ny@@x;;solbacken;150;Q;2026-13-01")  # line 11
    files["employees.csv"] = ("\n".join(employees) + "\n").encode()
    workplaces = files["workplaces.csv"].decode().splitlines()
    workplaces[2] = workplaces[2].replace(workplaces[2].split(";")[3], "")  # line 3: no manager
    files["workplaces.csv"] = ("\n".join(workplaces) + "\n").encode()
    files["contacts.csv"] = files["contacts.csv"].decode().replace("payroll", "janitor").encode()

    found = problems_of(files)
    expected = [
        "employees.csv line 2, personnummer: wrong check digit (Luhn)",
        "employees.csv line 3, phone: '12345' is not a valid phone number",
        "employees.csv line 4, workplace_id: unknown workplace 'nowhere'",
        "employees.csv line 10, personnummer: duplicate of line 6",
        "employees.csv line 11, email: 'ny@@x' is not an e-mail address",
        "employees.csv line 11, employment_degree_percent: '150' is not 0–100",
        "employees.csv line 11, gender: 'Q': use F, M or X (K for kvinna)",
        "employees.csv line 11, employed_from: '2026-13-01' is not a date (YYYY-MM-DD)",
        "workplaces.csv line 3, manager: a workplace needs a nearest manager",
        "contacts.csv line 3, role: unknown role 'janitor'; use one of occupational_health, "
        "payroll, rehab_coordinator",
    ]
    for problem in expected:
        assert problem in found, f"{problem!r} not reported; got {found}"
    # Maria's number is invalid, so she cannot be Solbacken's manager either
    assert "workplaces.csv line 2, manager: is not among the employees in this import" in found


def test_missing_columns_unknown_files_and_an_empty_staff_list_are_refused():
    assert problems_of({"employees.csv": b"namn;enhet\nAnna;x\n"}) == [
        "employees.csv line 1, personnummer: column missing"
    ]
    assert "salaries.csv: unknown file" in problems_of({"salaries.csv": b"a;b\n"})[0]
    assert problems_of({"employees.csv": b"personnummer;namn;enhet\n"}) == [
        "employees: no employees: refusing to mark everyone as departed"
    ]
    assert problems_of({"x.json": b"[1,"})[0].startswith("x.json line 1: not valid JSON")


def test_a_birth_year_that_contradicts_the_personnummer_is_reported():
    files = example_files()
    maria = files["employees.csv"].decode().splitlines()[1].split(";")
    files["employees.csv"] = (
        f"personnummer;namn;enhet;födelseår\n{maria[0]};{maria[1]};solbacken;1973\n"
    ).encode()
    files["workplaces.csv"] = f"id;namn;förvaltning;chef\nsolbacken;S;vof;{maria[0]}\n".encode()
    files["departments.csv"] = b"id;namn\nvof;V\n"
    del files["contacts.csv"]
    assert problems_of(files) == [
        "employees.csv line 2, birth_year: 1973 does not match the personnummer (1972)"
    ]
