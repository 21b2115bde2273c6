"""HR's exemptions from trigger rules through the intake API, with its database and the real
broker: the terms travel on the reports topic keyed by the employee, why they were granted (often
a diagnosis) stays in intake, and a decision repeated publishes nothing."""

import pytest
from structlog.testing import capture_logs

from halsosupport.auth import Role
from halsosupport.embedded_broker import EmbeddedBroker
from halsosupport.processes import free_port
from schemas import decode
from schemas.reports import ExemptionLifted, ExemptionSet
from schemas.topics import DIRECTORY, REPORTS, TRIGGERS
from services.intake.adapters.outbox_relay import replay
from services.intake.bootstrap import build_engine
from tests.support import events_on, eventually, read_topic

WHY = "Reumatoid artrit, särskilt högriskskydd beviljat av FK"
RULE = "omtankesamtal"


def url(intake, name: str = "Anna Andersson", rule: str = RULE) -> str:
    return f"/v1/employees/{intake.employees[name]}/exemptions/{rule}"


def put(intake, *, role: Role = Role.HR, headers: dict | None = None, **body):
    return intake.client.put(
        url(intake), json={"why": WHY, **body}, headers={**intake.token(role), **(headers or {})}
    )


def lift(intake, *, role: Role = Role.HR, **body):
    return intake.client.request(
        "DELETE",
        url(intake),
        json={"why": "Högriskskyddet upphör", **body},
        headers=intake.token(role),
    )


def drained(intake) -> None:
    eventually(lambda: intake.client.get("/healthz").json()["outbox"]["unpublished"] == 0)


def test_hr_sets_an_exemption_that_travels_keyed_by_the_employee_without_why(
    intake, kafka_bootstrap
):
    with capture_logs() as logs:
        response = put(intake, threshold=6, valid_until="2027-06-30")
    assert response.status_code == 201, response.text
    assert response.json()["changed"] is True
    anna = intake.employees["Anna Andersson"]
    (event,) = eventually(lambda: events_on(kafka_bootstrap, REPORTS, anna))
    assert isinstance(event, ExemptionSet)
    assert str(event.event_id) == response.json()["event_id"]
    assert (event.rule_id, event.suppressed, event.threshold) == (RULE, False, 6)
    assert str(event.valid_until) == "2027-06-30"
    assert event.decided_by == event.source.registered_by == "t"  # the token's subject
    assert event.org.workplace_id == "w-care"
    for topic in (REPORTS, TRIGGERS, DIRECTORY):
        assert not [v for _, v in read_topic(kafka_bootstrap, topic) if v and b"artrit" in v]
    (logged,) = [entry for entry in logs if entry["event"] == "exemption_set"]
    assert (logged["employee_id"], logged["rule_id"]) == (anna, RULE)
    assert not [entry for entry in logs if "artrit" in repr(entry)]


def test_only_hr_and_admins_decide_and_see_exemptions(intake):
    nurse = put(intake, suppressed=True, role=Role.NURSE)
    assert nurse.status_code == 403 and "allowed: admin, hr" in nurse.json()["detail"]
    assert lift(intake, role=Role.NURSE).status_code == 403
    listing = url(intake).rsplit("/", 1)[0]
    assert intake.client.get(listing, headers=intake.headers).status_code == 403
    assert intake.client.get(listing, headers=intake.token(Role.MANAGER)).status_code == 403
    assert put(intake, suppressed=True, role=Role.ADMIN).status_code == 201
    assert intake.client.get(listing, headers=intake.token(Role.HR)).status_code == 200


def test_the_same_exemption_again_changes_nothing_and_publishes_nothing(intake, kafka_bootstrap):
    first = put(intake, suppressed=True)
    again = put(intake, suppressed=True, why="Samma beslut, skickat två gånger")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == {"event_id": first.json()["event_id"], "changed": False}
    raised = put(intake, suppressed=True, threshold=8)
    assert raised.status_code == 201
    drained(intake)
    anna = intake.employees["Anna Andersson"]
    events = events_on(kafka_bootstrap, REPORTS, anna)
    assert [str(e.event_id) for e in events] == [
        first.json()["event_id"],
        raised.json()["event_id"],
    ]


def test_a_retried_request_with_the_same_idempotency_key_gets_the_first_answer(intake):
    key = {"Idempotency-Key": "hr-beslut-17"}
    first = put(intake, threshold=5, headers=key)
    retried = put(intake, threshold=5, headers=key)
    assert first.status_code == retried.status_code == 201 and first.json() == retried.json()
    reused = put(intake, threshold=7, headers=key)
    assert reused.status_code == 422 and "Idempotency-Key" in reused.json()["detail"]


def test_lifting_publishes_exemption_lifted_and_the_history_keeps_who_when_and_why(
    intake, kafka_bootstrap
):
    set_ = put(intake, suppressed=True, valid_until="2027-01-31")
    lifted = lift(intake)
    assert lifted.status_code == 201, lifted.text
    anna = intake.employees["Anna Andersson"]
    events = eventually(lambda: (found := events_on(kafka_bootstrap, REPORTS, anna))[1:] and found)
    assert [type(e) for e in events] == [ExemptionSet, ExemptionLifted]
    assert (events[1].rule_id, events[1].decided_by) == (RULE, "t")
    assert str(events[1].event_id) == lifted.json()["event_id"]
    again = lift(intake)
    assert (
        again.status_code == 404 and "no exemption from 'omtankesamtal'" in again.json()["detail"]
    )
    seen = intake.client.get(url(intake).rsplit("/", 1)[0], headers=intake.token(Role.HR)).json()
    assert seen["exemptions"] == []
    newest, oldest = seen["history"]
    assert (newest["kind"], newest["why"], newest["by"]) == ("lifted", "Högriskskyddet upphör", "t")
    assert newest["before"] == {"suppressed": True, "threshold": None, "valid_until": "2027-01-31"}
    assert newest["after"] is None and newest["event_id"] == lifted.json()["event_id"]
    assert (oldest["kind"], oldest["why"], oldest["before"]) == ("set", WHY, None)
    assert oldest["event_id"] == set_.json()["event_id"]


def test_lifting_takes_why_from_the_query_too(intake):
    put(intake, threshold=6)
    nowhere = intake.client.request("DELETE", url(intake), headers=intake.token(Role.HR))
    assert nowhere.status_code == 422 and "why is required" in nowhere.json()["detail"]
    by_query = intake.client.delete(
        f"{url(intake)}?why=Beslut+upph%C3%A4vt", headers=intake.token(Role.HR)
    )
    assert by_query.status_code == 201, by_query.text


def test_get_shows_the_exemptions_in_force_with_who_when_and_why(intake):
    put(intake, threshold=6)
    intake.client.put(
        url(intake, rule="rehab_dag_14"),
        json={"suppressed": True, "why": "Pågående rehabilitering hos FHV"},
        headers=intake.token(Role.HR),
    )
    listing = url(intake).rsplit("/", 1)[0]
    seen = intake.client.get(listing, headers=intake.token(Role.HR)).json()
    assert [e["rule_id"] for e in seen["exemptions"]] == [RULE, "rehab_dag_14"]
    omtanke = seen["exemptions"][0]
    assert (omtanke["threshold"], omtanke["suppressed"], omtanke["why"]) == (6, False, WHY)
    assert omtanke["decided_by"] == "t" and omtanke["in_force"] is True
    assert omtanke["decided_at"].startswith("2026-11-22")
    assert [h["rule_id"] for h in seen["history"]] == ["rehab_dag_14", RULE]
    unknown = intake.client.get("/v1/employees/nobody/exemptions", headers=intake.token(Role.HR))
    assert unknown.status_code == 403  # HR is not told whether someone works here
    unknown = intake.client.get("/v1/employees/nobody/exemptions", headers=intake.token(Role.ADMIN))
    assert unknown.status_code == 404


@pytest.mark.parametrize(
    ("rule", "body", "status", "says"),
    [
        (RULE, {}, 422, "give suppressed: true or a threshold"),
        (RULE, {"suppressed": False, "threshold": None}, 422, "give suppressed: true or a"),
        (RULE, {"threshold": 0}, 422, "threshold must be 1 or more, got 0"),
        (RULE, {"threshold": "many"}, 422, "threshold: Input should be a valid integer"),
        (RULE, {"suppressed": True, "valid_until": "2026-11-21"}, 422, "is in the past"),
        (RULE, {"suppressed": True, "why": "  "}, 422, "why is required"),
        (RULE, {"suppressed": True, "why": "x" * 501}, 422, "why is 501 characters; at most 500"),
        (RULE, {"suppressed": True, "reason": "x"}, 422, "reason: Extra inputs"),
        ("Omtanke-Samtal", {"suppressed": True}, 422, "rule_id 'Omtanke-Samtal' must be"),
        ("9dagar", {"suppressed": True}, 422, "start with a letter"),
    ],
)
def test_bad_exemptions_get_a_4xx_that_says_what_is_wrong(intake, rule, body, status, says):
    response = intake.client.put(
        url(intake, rule=rule), json={"why": WHY, **body}, headers=intake.token(Role.HR)
    )
    assert response.status_code == status, response.text
    assert says in response.json()["detail"]
    assert "artrit" not in response.text


def test_why_is_required_and_the_employee_must_exist(intake):
    missing = intake.client.put(
        url(intake), json={"suppressed": True}, headers=intake.token(Role.HR)
    )
    assert missing.status_code == 422 and "why: Field required" in missing.json()["detail"]
    unknown = intake.client.put(
        "/v1/employees/nobody/exemptions/omtankesamtal",
        json={"suppressed": True, "why": WHY},
        headers=intake.token(Role.ADMIN),
    )
    assert unknown.status_code == 404 and "unknown employee 'nobody'" in unknown.json()["detail"]


def test_replay_republishes_exemptions_in_order_with_the_reports(intake):
    intake.sick("Anna Andersson", sick_from="2026-11-18")
    put(intake, suppressed=True)
    intake.well("Anna Andersson", well_from="2026-11-20")
    lift(intake)
    drained(intake)
    anna = intake.employees["Anna Andersson"]
    fresh = EmbeddedBroker(port=free_port()).start()  # the broker that lost everything
    engine = build_engine(intake.settings)
    try:
        replay(engine, fresh.bootstrap_servers, topics={REPORTS})
        replayed = [
            decode(v) for k, v in read_topic(fresh.bootstrap_servers, REPORTS) if k == anna.encode()
        ]
    finally:
        engine.dispose()
        fresh.stop()
    assert [e.event_type for e in replayed] == [
        "SickReported",
        "ExemptionSet",
        "WellReported",
        "ExemptionLifted",
    ]
