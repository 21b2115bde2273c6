"""Importing the HR export through the API, with the real database and broker: stable ids,
only changes published, moves with an effective date, departures that keep history."""

import json
from datetime import date
from pathlib import Path

from halsosupport.auth import Role
from schemas.directory import ContactUpserted, EmployeeUpserted, WorkplaceUpserted
from schemas.topics import DIRECTORY, REPORTS
from tests.support import events_on, eventually, read_topic

EXAMPLE = Path(__file__).parents[2] / "examples" / "directory"


def export(**changes: str) -> dict[str, bytes]:
    """The example export, with text replaced per file: {"employees": "old=>new"}."""
    files = {p.name: p.read_text(encoding="utf-8") for p in EXAMPLE.glob("*.csv")}
    for kind, change in changes.items():
        old, new = change.split("=>")
        assert old in files[f"{kind}.csv"]
        files[f"{kind}.csv"] = files[f"{kind}.csv"].replace(old, new)
    return {name: text.encode() for name, text in files.items()}


def upload(intake, files: dict[str, bytes], **params):
    return intake.client.post(
        "/v1/directory/import",
        params=params,
        files=[("files", (name, data, "text/csv")) for name, data in files.items()],
        headers=intake.token(Role.ADMIN),
    )


def employee_ids(intake) -> dict[str, str]:
    page = intake.client.get("/v1/employees?limit=100", headers=intake.headers).json()
    return {e["name"]: e["employee_id"] for e in page["items"]}


def test_an_import_publishes_the_directory_once_and_a_reimport_publishes_nothing(
    empty_intake, kafka_bootstrap
):
    first = upload(empty_intake, export(), effective_from="2026-11-01")
    assert first.status_code == 200, first.text
    counts = first.json()
    assert (counts["employees_added"], counts["workplaces_changed"], counts["departments_changed"],
            counts["contacts_changed"], counts["events_published"]) == (8, 3, 2, 2, 15)  # fmt: skip
    again = upload(empty_intake, export(), effective_from="2026-11-01").json()
    assert again["events_published"] == 0
    ids = employee_ids(empty_intake)
    eva = ids["Eva Nordström"]
    (record,) = eventually(lambda: events_on(kafka_bootstrap, DIRECTORY, eva))
    assert isinstance(record, EmployeeUpserted)
    assert (record.phone, record.org.workplace_id, record.employment_degree_percent) == (
        "+46733334455",
        "solbacken",
        75,
    )
    raw = [v.decode() for k, v in read_topic(kafka_bootstrap, DIRECTORY) if k == eva.encode()][0]
    assert "19900621" not in raw  # no personnummer leaves intake
    contacts = [
        json.loads(v) for k, v in read_topic(kafka_bootstrap, DIRECTORY) if k == b"contact:rehab-1"
    ]
    assert contacts and contacts[-1]["role"] == "rehab_coordinator"


def test_a_bad_export_changes_nothing_and_lists_every_problem(empty_intake):
    upload(empty_intake, export())
    before = employee_ids(empty_intake)
    bad = upload(empty_intake, export(employees="Eva Nordström;=>;", workplaces=";vof;=>;nope;"))
    assert bad.status_code == 422
    body = bad.json()
    assert body["detail"].endswith("nothing was imported")
    assert {"file": "employees.csv", "line": 4, "field": "name", "why": "is empty"} in body[
        "problems"
    ]
    assert any(p["field"] == "department_id" and "nope" in p["why"] for p in body["problems"])
    assert employee_ids(empty_intake) == before


def test_a_move_takes_effect_on_its_date_so_earlier_absence_stays_in_the_old_unit(
    empty_intake, kafka_bootstrap
):
    upload(empty_intake, export(), effective_from="2026-01-01")
    moved = upload(
        empty_intake,
        export(employees="073-333 44 55;solbacken=>073-333 44 55;ekorren"),
        effective_from="2026-11-20",
    ).json()
    assert (moved["employees_changed"], moved["employees_moved"]) == (1, 1)
    ids = employee_ids(empty_intake)
    empty_intake.employees = ids
    assert empty_intake.sick("Eva Nordström", sick_from="2026-11-18").status_code == 201
    empty_intake.well("Eva Nordström", well_from="2026-11-19")
    assert empty_intake.sick("Eva Nordström", sick_from="2026-11-21").status_code == 201
    reports = eventually(
        lambda: (
            (
                found := [
                    e
                    for e in events_on(kafka_bootstrap, REPORTS, ids["Eva Nordström"])
                    if e.event_type == "SickReported"
                ]
            )[1:]
            and found
        )
    )
    assert [(r.sick_from, r.org.workplace_id) for r in reports] == [
        (date(2026, 11, 18), "solbacken"),
        (date(2026, 11, 21), "ekorren"),
    ]
    (latest, *_) = reversed(list(events_on(kafka_bootstrap, DIRECTORY, ids["Eva Nordström"])))
    assert [(p.workplace_id, p.valid_from, p.valid_to) for p in latest.placements] == [
        ("solbacken", date(2018, 3, 1), date(2026, 11, 20)),
        ("ekorren", date(2026, 11, 20), None),
    ]


def test_a_workplace_moved_to_another_department_keeps_its_id_and_history(
    empty_intake, kafka_bootstrap
):
    upload(empty_intake, export(), effective_from="2026-01-01")
    moved = upload(
        empty_intake,
        export(workplaces="ekorren;Förskolan Ekorren;bou=>ekorren;Förskolan Ekorren;vof"),
        effective_from="2026-09-01",
    ).json()
    assert moved["workplaces_changed"] == 1
    latest = eventually(
        lambda: [
            e
            for e in events_on(kafka_bootstrap, DIRECTORY, "workplace:ekorren")
            if isinstance(e, WorkplaceUpserted) and e.department_id == "vof"
        ]
    )[-1]
    assert [(p.department_id, p.valid_to) for p in latest.department_history] == [
        ("bou", date(2026, 9, 1)),
        ("vof", None),
    ]


def test_who_is_missing_has_left_and_keeps_their_history(empty_intake):
    upload(empty_intake, export(), effective_from="2026-01-01")
    empty_intake.employees = employee_ids(empty_intake)
    spell = empty_intake.sick("Lars Persson", sick_from="2026-11-16").json()["spell_id"]
    empty_intake.well("Lars Persson", well_from="2026-11-18")
    lars_line = next(
        line for line in export()["employees.csv"].decode().splitlines() if "Lars" in line
    )
    result = upload(
        empty_intake, export(employees=f"{lars_line}\n=>"), effective_from="2026-11-21"
    ).json()
    assert result["employees_left"] == 1
    refused = empty_intake.sick("Lars Persson")
    assert refused.status_code == 404 and "left on 2026-11-20" in refused.json()["detail"]
    spells = empty_intake.client.get(
        f"/v1/employees/{empty_intake.employees['Lars Persson']}/spells",
        headers=empty_intake.headers,
    ).json()
    assert [s["spell_id"] for s in spells] == [spell]
    returning = upload(empty_intake, export(), effective_from="2026-11-25").json()
    assert returning["employees_changed"] == 1  # back again under the same id
    assert employee_ids(empty_intake)["Lars Persson"] == empty_intake.employees["Lars Persson"]


def test_a_dry_run_counts_but_changes_nothing_and_only_admins_import(empty_intake):
    dry = upload(empty_intake, export(), dry_run="true").json()
    assert dry["dry_run"] is True and dry["employees_added"] == 8 and dry["events_published"] == 0
    assert employee_ids(empty_intake) == {}
    nurse = empty_intake.client.post(
        "/v1/directory/import", json={"employees": []}, headers=empty_intake.headers
    )
    assert nurse.status_code == 403
    text = empty_intake.client.post(
        "/v1/directory/import",
        content=b"x",
        headers={**empty_intake.token(Role.ADMIN), "content-type": "text/plain"},
    )
    assert text.status_code == 415
    assert isinstance(ContactUpserted, type)
