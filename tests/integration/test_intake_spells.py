"""Finding callers, correcting and retracting spells, call-backs, and Idempotency-Key: through
HTTP with the real database and broker."""

from datetime import date

from schemas.reports import SickReported, SpellCorrected, SpellRetracted
from schemas.topics import REPORTS
from tests.integration.org import ANNA
from tests.support import events_on, eventually


def test_the_nurse_finds_a_caller_by_name_personnummer_or_phone(intake):
    def found(query: str) -> list[str]:
        page = intake.client.get("/v1/employees", params={"query": query}, headers=intake.headers)
        assert page.status_code == 200, page.text
        return [e["name"] for e in page.json()["items"]]

    assert found("anna") == ["Anna Andersson"]
    assert found("andersson ANNA") == ["Anna Andersson"]
    assert found(f"{ANNA[2:8]}-{ANNA[8:]}") == ["Anna Andersson"]  # 10 digits with dash
    assert found(ANNA) == ["Anna Andersson"]
    assert found("070-123 45 67") == ["Anna Andersson"]
    assert found("nobody") == []
    item = intake.client.get("/v1/employees?query=anna", headers=intake.headers).json()["items"][0]
    assert item["personnummer_masked"] == f"{ANNA[:8]}-****"
    assert item["open_spell"] is None
    intake.sick("Anna Andersson")
    item = intake.client.get("/v1/employees?query=anna", headers=intake.headers).json()["items"][0]
    assert item["open_spell"]["sick_from"] == "2026-11-22"


def test_a_correction_extends_a_spell_instead_of_opening_a_new_occasion(intake, kafka_bootstrap):
    spell_id = intake.sick("Anna Andersson", sick_from="2026-11-20").json()["spell_id"]
    intake.well("Anna Andersson", well_from="2026-11-21")
    fixed = intake.client.post(
        f"/v1/spells/{spell_id}/correct",
        json={"why": "still ill, called again", "well_from": None, "expected_return": "2026-11-27"},
        headers=intake.headers,
    )
    assert fixed.status_code == 201, fixed.text
    anna = intake.employees["Anna Andersson"]
    corrected = eventually(
        lambda: [
            e for e in events_on(kafka_bootstrap, REPORTS, anna) if isinstance(e, SpellCorrected)
        ]
    )
    assert corrected[0].well_from is None and corrected[0].expected_return == date(2026, 11, 27)
    assert corrected[0].why == "still ill, called again"
    spells = intake.client.get(f"/v1/employees/{anna}/spells", headers=intake.headers).json()
    assert [(s["sick_from"], s["well_from"]) for s in spells] == [("2026-11-20", None)]
    again = intake.sick("Anna Andersson")
    assert again.status_code == 409 and again.json()["spell_id"] == spell_id


def test_a_correction_may_not_overlap_another_spell_or_change_nothing(intake):
    first = intake.sick("Bertil Berg", sick_from="2026-11-16").json()["spell_id"]
    intake.well("Bertil Berg", well_from="2026-11-18")
    intake.sick("Bertil Berg", sick_from="2026-11-20")
    overlap = intake.client.post(
        f"/v1/spells/{first}/correct",
        json={"why": "wrong date", "well_from": "2026-11-21"},
        headers=intake.headers,
    )
    assert overlap.status_code == 409 and "overlap" in overlap.json()["detail"]
    nothing = intake.client.post(
        f"/v1/spells/{first}/correct",
        json={"why": "no change", "well_from": "2026-11-18"},
        headers=intake.headers,
    )
    assert nothing.status_code == 422 and "changes nothing" in nothing.json()["detail"]
    missing_why = intake.client.post(
        f"/v1/spells/{first}/correct", json={"degree_percent": 50}, headers=intake.headers
    )
    assert missing_why.status_code == 422 and "why" in missing_why.json()["detail"]
    unknown = intake.client.post(
        "/v1/spells/nope/correct",
        json={"why": "x" * 5, "degree_percent": 50},
        headers=intake.headers,
    )
    assert unknown.status_code == 404


def test_a_retracted_spell_counts_nowhere_and_frees_the_employee(intake, kafka_bootstrap):
    spell_id = intake.sick(
        "Anna Andersson", reason_category="injury", reason_visibility="shared"
    ).json()["spell_id"]
    retracted = intake.client.post(
        f"/v1/spells/{spell_id}/retract", json={"why": "wrong person"}, headers=intake.headers
    )
    assert retracted.status_code == 201
    anna = intake.employees["Anna Andersson"]
    events = eventually(lambda: (found := events_on(kafka_bootstrap, REPORTS, anna))[1:] and found)
    assert [type(e) for e in events] == [SickReported, SpellRetracted]
    assert intake.sick("Anna Andersson").status_code == 201  # no open spell any more
    twice = intake.client.post(
        f"/v1/spells/{spell_id}/retract", json={"why": "again"}, headers=intake.headers
    )
    assert twice.status_code == 409


def test_call_backs_of_the_day_list_and_take_an_outcome(intake):
    spell_id = intake.sick("Anna Andersson", sick_from="2026-11-20").json()[
        "spell_id"
    ]  # day 3: 22nd
    intake.sick("Bertil Berg", followup_on="2026-11-25")
    today = intake.client.get("/v1/followups", headers=intake.headers).json()
    assert [(f["name"], f["outcome"]) for f in today] == [("Anna Andersson", None)]
    assert today[0]["phone"] == "+46701234567"
    done = intake.client.post(
        f"/v1/spells/{spell_id}/followup",
        json={"outcome": "Bättre, åter måndag"},
        headers=intake.headers,
    )
    assert done.status_code == 200
    today = intake.client.get("/v1/followups?date=2026-11-22", headers=intake.headers).json()
    assert today[0]["outcome"] == "Bättre, åter måndag" and today[0]["done_at"].endswith("Z")
    later = intake.client.get("/v1/followups?date=2026-11-25", headers=intake.headers).json()
    assert [f["name"] for f in later] == ["Bertil Berg"]


def test_the_same_idempotency_key_returns_the_same_answer_and_one_event(intake, kafka_bootstrap):
    body = {"employee_id": intake.employees["Anna Andersson"]}
    headers = {**intake.headers, "Idempotency-Key": "call-4711"}
    first = intake.client.post("/v1/reports/sick", json=body, headers=headers)
    second = intake.client.post("/v1/reports/sick", json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    reused = intake.client.post(
        "/v1/reports/sick", json={**body, "degree_percent": 50}, headers=headers
    )
    assert reused.status_code == 422 and "Idempotency-Key" in reused.json()["detail"]
    eventually(lambda: events_on(kafka_bootstrap, REPORTS, body["employee_id"]))
    assert len(events_on(kafka_bootstrap, REPORTS, body["employee_id"])) == 1


def test_reason_categories_include_the_two_ways_of_withholding(intake):
    codes = intake.client.get("/v1/reason-categories", headers=intake.headers).json()
    labels = {c["code"]: c["label"] for c in codes}
    assert labels["withheld"] == "Vill ej ange" and labels["confidential"] == "Sekretess"
    assert labels["gastrointestinal"] == "Mag- och tarmbesvär"
