"""The intake API through HTTP, with its database and the real broker: reports are stored with
their outbox row and published in order; bad input gets a 4xx that says what is wrong."""

from datetime import UTC, date, datetime

import pytest

from halsosupport.auth import Role
from halsosupport.embedded_broker import EmbeddedBroker
from halsosupport.processes import free_port
from schemas.reports import SickReported, WellReported
from schemas.topics import DIRECTORY, REPORTS
from tests.integration.conftest import start_intake
from tests.integration.org import ANNA, seed_directory, tiny_directory
from tests.support import events_on, eventually, read_topic

NOW = datetime(2026, 11, 22, 8, 30, tzinfo=UTC)


def test_a_sick_report_is_stored_and_published_keyed_by_the_pseudonymous_id(
    intake, kafka_bootstrap
):
    response = intake.sick(
        "Anna Andersson",
        reason_category="injury",
        reason_visibility="withheld",
        expected_return="2026-11-25",
        note="Råd: vila och drick mycket",
    )
    assert response.status_code == 201, response.text
    body = response.json()
    anna = intake.employees["Anna Andersson"]
    (event,) = eventually(lambda: events_on(kafka_bootstrap, REPORTS, anna))
    assert isinstance(event, SickReported)
    assert (event.spell_id, str(event.event_id)) == (body["spell_id"], body["event_id"])
    assert event.sick_from == date(2026, 11, 22) and event.expected_return == date(2026, 11, 25)
    assert event.reason_category is None  # withheld: it never leaves intake
    assert event.source.registered_by == "nurse-7"
    assert (
        event.org.workplace_id == "w-care" and event.org.manager_id == intake.employees["Maja Chef"]
    )
    raw = [v for k, v in read_topic(kafka_bootstrap, REPORTS) if k == anna.encode()][0].decode()
    assert "Anna" not in raw and ANNA not in raw and "vila" not in raw and "injury" not in raw


def test_a_shared_reason_travels_and_the_nurse_can_report_by_personnummer(intake, kafka_bootstrap):
    readable = f"{ANNA[2:8]}-{ANNA[8:]}"  # the 10-digit form with a dash
    response = intake.client.post(
        "/v1/reports/sick",
        json={
            "personnummer": readable,
            "absence_type": "vab",
            "reason_category": "respiratory_infection",
            "reason_visibility": "shared",
            "degree_percent": 50,
        },
        headers=intake.headers,
    )
    assert response.status_code == 201, response.text
    (event,) = eventually(
        lambda: events_on(kafka_bootstrap, REPORTS, intake.employees["Anna Andersson"])
    )
    assert (event.absence_type, event.reason_category, event.degree_percent) == (
        "vab",
        "respiratory_infection",
        50,
    )


def test_well_closes_the_spell_and_follows_the_sick_report_in_order(intake, kafka_bootstrap):
    sick = intake.sick("Bertil Berg", sick_from="2026-11-20").json()
    well = intake.well("Bertil Berg", well_from="2026-11-23")
    assert well.status_code == 201 and well.json()["spell_id"] == sick["spell_id"]
    bertil = intake.employees["Bertil Berg"]
    events = eventually(
        lambda: (found := events_on(kafka_bootstrap, REPORTS, bertil))[1:] and found
    )
    assert [type(e) for e in events] == [SickReported, WellReported]
    assert events[1].well_from == date(2026, 11, 23)


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        ({"employee_id": "no-such-person"}, 404, "unknown employee 'no-such-person'"),
        ({"personnummer": "19121212-1213"}, 422, "personnummer: wrong check digit"),
        ({"personnummer": "19121212-1212"}, 404, "no employee with that personnummer"),
        ({"employee_id": "x", "personnummer": "19121212-1212"}, 422, "exactly one of"),
        (
            {"employee_id": "x", "sick_from": "2026-13-01"},
            422,
            "sick_from: Input should be a valid date",
        ),
        (
            {"employee_id": "x", "absence_type": "cold"},
            422,
            "absence_type: Input should be 'sick' or 'vab'",
        ),
    ],
)
def test_bad_input_gets_a_4xx_that_says_what_is_wrong(intake, body, status, says):
    response = intake.client.post("/v1/reports/sick", json=body, headers=intake.headers)
    assert response.status_code == status
    assert says in response.json()["detail"]


def test_rule_violations_are_4xx_with_the_reason(intake):
    assert "in the future" in intake.sick("Anna Andersson", sick_from="2026-11-23").json()["detail"]
    first = intake.sick("Anna Andersson").json()
    again = intake.sick("Anna Andersson")
    assert again.status_code == 409 and again.json()["spell_id"] == first["spell_id"]
    no_open = intake.well("Bertil Berg")
    assert no_open.status_code == 409 and "no open spell" in no_open.json()["detail"]


def test_reports_need_a_nurse_token(intake):
    body = {"employee_id": intake.employees["Anna Andersson"]}
    missing = intake.client.post("/v1/reports/sick", json=body)
    assert missing.status_code == 401 and "halsosupport token --role" in missing.json()["detail"]
    bad = intake.client.post(
        "/v1/reports/sick", json=body, headers={"Authorization": "Bearer nonsense"}
    )
    assert bad.status_code == 401
    crisis = intake.client.post("/v1/reports/sick", json=body, headers=intake.token(Role.CRISIS))
    assert crisis.status_code == 403 and "allowed: nurse" in crisis.json()["detail"]
    assert intake.client.get("/v1/employees", headers=intake.token(Role.MANAGER)).status_code == 403


def test_the_directory_is_paged(intake):
    first = intake.client.get("/v1/employees?limit=2&offset=0", headers=intake.headers).json()
    rest = intake.client.get("/v1/employees?limit=10&offset=2", headers=intake.headers).json()
    assert first["total"] == rest["total"] == 5
    assert len(first["items"]) == 2 and len(rest["items"]) == 3
    names = [e["name"] for e in first["items"] + rest["items"]]
    assert names == sorted(names)
    assert intake.client.get("/v1/employees?limit=0", headers=intake.headers).status_code == 422


def test_reimporting_the_same_directory_publishes_nothing_and_a_change_publishes_one_event(
    intake, kafka_bootstrap
):
    from services.intake.bootstrap import build_engine

    engine = build_engine(intake.settings)
    same = seed_directory(engine)
    changed = seed_directory(engine, tiny_directory(phone="+46709999999"))
    engine.dispose()
    assert same.events_published == 0 and changed.events_published == 1
    anna = intake.employees["Anna Andersson"]
    upserts = eventually(
        lambda: [
            e for e in events_on(kafka_bootstrap, DIRECTORY, anna) if e.phone == "+46709999999"
        ]
    )
    assert len(upserts) == 1


def test_healthz_shows_the_outbox_draining(intake):
    intake.sick("Anna Andersson")
    status = eventually(
        lambda: (s := intake.client.get("/healthz").json()["outbox"])["unpublished"] == 0 and s
    )
    assert status["published_since_start"] >= 1 and status["last_error"] is None


def test_reports_taken_while_the_broker_is_away_are_published_when_it_returns(database, tmp_path):
    port = free_port()
    with start_intake(database, f"127.0.0.1:{port}") as intake:
        response = intake.sick("Anna Andersson")
        assert response.status_code == 201  # the call is taken; the event waits in the outbox
        waiting = eventually(
            lambda: (s := intake.client.get("/healthz").json()["outbox"])["last_error"] and s
        )
        assert waiting["unpublished"] >= 1
        broker = EmbeddedBroker(port=port).start()
        try:
            anna = intake.employees["Anna Andersson"]
            (event,) = eventually(
                lambda: events_on(broker.bootstrap_servers, REPORTS, anna), timeout_s=40
            )
            assert str(event.event_id) == response.json()["event_id"]
            assert eventually(
                lambda: intake.client.get("/healthz").json()["outbox"]["unpublished"] == 0 or None,
                timeout_s=20,
            )
        finally:
            broker.stop()
