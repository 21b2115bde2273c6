"""The cases service with the real broker and both databases: a trigger on the topic opens one
case (redelivered or replayed: still one), the people on the case document it step by step
through the API, everyone else is refused, reads are audited, the answers name the employee as
the directory does (until an erasure), consent gates sharing and what was shared is listed, and
the case events reach halsosupport.cases.v1 once each, without the documentation's text."""

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from halsosupport.audit import AuditEntry
from halsosupport.auth import Role, issue_token
from schemas.cases import CaseStatus
from schemas.directory import (
    ContactRole,
    ContactUpserted,
    DepartmentUpserted,
    EmployeeErased,
    EmployeeUpserted,
    WorkplaceUpserted,
)
from schemas.envelope import Channel, OrgRef, Source
from schemas.topics import CASES
from schemas.triggers import RecipientRole, TriggerFired, TriggerWithdrawn
from services.cases import handlers, reminders
from services.cases.adapters.tables import Person, Workplace
from services.cases.bootstrap import bootstrap
from services.cases.entrypoints.api import create_app
from services.cases.settings import CasesSettings
from tests.support import (
    FixedClock,
    events_on,
    eventually,
    omtankesamtal_fired,
    publish,
    random_id,
    read_topic,
)

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SECRET = "hemlig-anteckning-om-hälsan"  # free text that must never leave the database


@dataclass
class Running:
    client: TestClient
    settings: CasesSettings
    clock: FixedClock
    employee: str
    manager: str
    department: str
    workplace: str
    hr_specialist: str
    rehab: str

    def token(self, role: Role, subject: str, departments: list[str] | None = None) -> dict:
        token = issue_token(self.settings, subject=subject, role=role, departments=departments)
        return {"Authorization": f"Bearer {token}"}

    @property
    def as_manager(self) -> dict:
        return self.token(Role.MANAGER, self.manager)

    def trigger(self, rule_id: str = "omtankesamtal", **changes) -> TriggerFired:
        roles = {
            "omtankesamtal": [RecipientRole.MANAGER],
            "trepartssamtal": [RecipientRole.REHAB_COORDINATOR, RecipientRole.MANAGER],
        }[rule_id]
        org = OrgRef(
            workplace_id=self.workplace, department_id=self.department, manager_id=self.manager
        )
        fields = {
            "rule_id": rule_id,
            "window_start": date(2025, 3, 2),
            "window_end": date(2026, 3, 2),
            "due_on": date(2026, 3, 16),
            "recipient_roles": roles,
        }
        return omtankesamtal_fired(self.employee, org, NOW, **{**fields, **changes})

    def cases(self, headers: dict | None = None) -> list[dict]:
        answer = self.client.get("/v1/cases", headers=headers or self.as_manager)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def open_case(self, rule_id: str = "omtankesamtal") -> tuple[TriggerFired, dict]:
        fired = self.trigger(rule_id)
        publish(self.settings.kafka_bootstrap_servers, fired)
        headers = self.as_manager
        if rule_id == "trepartssamtal":
            headers = self.token(Role.REHAB, self.rehab)
        case = eventually(
            lambda: next(
                (c for c in self.cases(headers) if c["trigger_id"] == fired.trigger_id), None
            )
        )
        return fired, case

    def name_employee(self, name: str) -> None:
        """The directory (re)names the employee."""
        publish(
            self.settings.kafka_bootstrap_servers,
            EmployeeUpserted(
                event_id=uuid.uuid4(),
                occurred_at=NOW,
                source=Source(channel=Channel.IMPORT),
                employee_id=self.employee,
                org=OrgRef(
                    workplace_id=self.workplace,
                    department_id=self.department,
                    manager_id=self.manager,
                ),
                name=name,
            ),
        )

    def erase_employee(self) -> None:
        publish(
            self.settings.kafka_bootstrap_servers,
            EmployeeErased(
                event_id=uuid.uuid4(),
                occurred_at=NOW,
                source=Source(channel=Channel.IMPORT),
                employee_id=self.employee,
            ),
        )

    def names_kept(self) -> list[Person]:
        """What the cases database holds of the employee's name."""
        with self.client.app.state.runtime.uow() as uow:
            return list(uow.session.exec(select(Person).where(Person.employee_id == self.employee)))

    def on_topic(self) -> list:
        return events_on(self.settings.kafka_bootstrap_servers, CASES, self.employee)

    def audited(self, action: str) -> list[AuditEntry]:
        with Session(self.client.app.state.runtime.engine) as session:
            query = select(AuditEntry).where(AuditEntry.action == action)
            return list(session.exec(query.order_by(AuditEntry.seq)))


@pytest.fixture
def cases(database, kafka_bootstrap) -> Iterator[Running]:
    settings = CasesSettings(
        database_url=database.url,
        database_schema_prefix=database.schema_prefix,
        kafka_bootstrap_servers=kafka_bootstrap,
        kafka_rebalance_timeout_s=1,
        kafka_auto_offset_reset="latest",  # earlier tests' events are not this test's business
        cases_group_id=random_id("cases-test"),
        cases_reminder_interval_s=3600,
    )
    clock = FixedClock(NOW)
    client = TestClient(create_app(settings, bootstrap(settings, clock=clock)))
    client.__enter__()
    running = Running(
        client=client,
        settings=settings,
        clock=clock,
        employee=random_id("e"),
        manager=random_id("m"),
        department=random_id("d"),
        workplace=random_id("w"),
        hr_specialist=random_id("hr"),
        rehab=random_id("rc"),
    )
    eventually(lambda: client.get("/healthz").json()["consumer"]["assigned_partitions"])
    at = {"occurred_at": NOW, "source": Source(channel=Channel.IMPORT)}
    publish(
        kafka_bootstrap,
        DepartmentUpserted(
            event_id=uuid.uuid4(),
            department_id=running.department,
            name="Välfärd",
            hr_specialist_id=running.hr_specialist,
            **at,
        ),
        WorkplaceUpserted(
            event_id=uuid.uuid4(),
            workplace_id=running.workplace,
            name="Solbacken",
            department_id=running.department,
            manager_id=running.manager,
            **at,
        ),
        ContactUpserted(
            event_id=uuid.uuid4(),
            contact_id=running.rehab,
            role=ContactRole.REHAB_COORDINATOR,
            scope=running.department,
            name="Rehab Samordnare",
            **at,
        ),
    )

    def directory_known() -> bool:
        with client.app.state.runtime.uow() as uow:
            return uow.session.get(Workplace, running.workplace) is not None

    eventually(directory_known)
    yield running
    client.__exit__(None, None, None)


FORM = {
    "kind": "omtankesamtal",
    "held_on": "2026-03-09",
    "attended": ["medarbetaren", "chefen"],
    "how_are_you": SECRET,
    "work": {"demands_and_resources": "för många pass i rad"},
    "medical": {"limitations": SECRET},
    "what_hinders": "schemat",
    "what_enables": "anpassade pass",
    "manager_does_next": "ser över schemat",
    "employee_does_next": "bokar hälsosamtal",
    "measures": "hälsosamtal på FHV",
    "plan": "handlingsplan tas fram",
    "follow_up_on": "2026-04-06",
}
PLAN = {
    "start_on": "2026-03-10",
    "end_on": "2026-05-05",
    "goal": {"text": "tillbaka på 100 % inom 8 veckor", "due_on": "2026-05-05"},
    "sub_goals": [{"text": "tillbaka på 50 % inom 4 veckor", "due_on": "2026-04-07"}],
    "activities": [
        {"id": "a1", "description": SECRET, "owner_id": "OWNER", "due_on": "2026-03-20"}
    ],
    "follow_ups": [{"id": "f1", "on": "2026-04-07", "purpose": "stämma av delmålet"}],
}


def types_of(events: list, case_id: str) -> list[str]:
    return [e.event_type for e in events if getattr(e, "case_id", None) == case_id]


def test_a_trigger_opens_one_case_however_often_it_arrives(cases, kafka_bootstrap):
    fired, case = cases.open_case()
    assert (case["status"], case["status_sv"]) == ("open", "öppet")
    assert (case["owner_role"], case["owner_id"]) == ("manager", cases.manager)
    assert (case["due_on"], case["conversation_kind"]) == ("2026-03-16", "omtankesamtal")
    replayed = fired.model_copy(update={"event_id": uuid.uuid4()})  # the same trigger_id
    publish(kafka_bootstrap, fired, fired, replayed)
    _, later = cases.open_case()  # a later trigger proves the redeliveries were consumed
    assert sorted(c["trigger_id"] for c in cases.cases()) == sorted(
        [fired.trigger_id, later["trigger_id"]]
    )
    opened = eventually(lambda: types_of(cases.on_topic(), later["case_id"]))
    assert opened == ["CaseOpened"]
    assert types_of(cases.on_topic(), case["case_id"]) == ["CaseOpened"]
    (event,) = [
        e
        for e in cases.on_topic()
        if e.event_type == "CaseOpened" and e.trigger_id == fired.trigger_id
    ]
    assert (event.org.department_id, event.due_on) == (cases.department, date(2026, 3, 16))


def test_the_manager_documents_the_omtankesamtal_and_the_case_moves_on(cases):
    _, case = cases.open_case()
    url = f"/v1/cases/{case['case_id']}"
    booked = cases.client.post(
        f"{url}/booking", json={"at": "2026-03-09T10:00:00+01:00"}, headers=cases.as_manager
    )
    assert booked.status_code == 200 and booked.json()["status"] == "booked", booked.text
    held = cases.client.post(f"{url}/conversations", json=FORM, headers=cases.as_manager)
    assert held.status_code == 201 and held.json()["status"] == "held", held.text
    assert held.json()["accepted_on"] == "2026-03-09"
    plan = {**PLAN, "activities": [{**PLAN["activities"][0], "owner_id": cases.manager}]}
    running = cases.client.put(f"{url}/plan", json=plan, headers=cases.as_manager)
    assert running.status_code == 200 and running.json()["status"] == "plan_running"
    note = {
        "heading": "handover_at_closing",
        "activity": "överlämningssamtal",
        "minutes": 30,
        "purpose": "avslut",
        "participants": ["medarbetaren", "chefen"],
        "summary": SECRET,
        "next_steps": {"manager": "följer upp om en månad"},
    }
    noted = cases.client.post(f"{url}/notes", json=note, headers=cases.as_manager)
    assert noted.status_code == 201
    assert noted.json()["heading_sv"] == "Överlämning vid avslut av stöd"
    closed = cases.client.post(
        f"{url}/close", json={"outcome": "adapted_work"}, headers=cases.as_manager
    )
    assert closed.status_code == 200 and closed.json()["status"] == "closed"

    detail = cases.client.get(url, headers=cases.as_manager).json()
    assert detail["conversations"][0]["form"]["medical"]["limitations"] == SECRET
    assert detail["action_plan"]["sub_goals"][0]["text"] == "tillbaka på 50 % inom 4 veckor"
    assert [n["heading"] for n in detail["notes"]] == ["handover_at_closing"]

    wanted = ["CaseOpened", "CaseStatusChanged", "CaseStatusChanged", "CaseStatusChanged"]
    wanted += ["CaseStatusChanged", "CaseClosed"]
    assert eventually(lambda: types_of(cases.on_topic(), case["case_id"]) == wanted or None)
    moves = [
        (e.from_status, e.to_status)
        for e in cases.on_topic()
        if e.event_type == "CaseStatusChanged" and e.case_id == case["case_id"]
    ]
    assert moves == [
        (CaseStatus.OPEN, CaseStatus.BOOKED),
        (CaseStatus.BOOKED, CaseStatus.HELD),
        (CaseStatus.HELD, CaseStatus.PLAN_RUNNING),
        (CaseStatus.PLAN_RUNNING, CaseStatus.CLOSED),
    ]
    raw = b"".join(v or b"" for _, v in read_topic(cases.settings.kafka_bootstrap_servers, CASES))
    assert SECRET.encode() not in raw and "för många pass".encode() not in raw


def test_only_the_people_on_the_case_read_it_and_every_read_is_audited(cases):
    _, case = cases.open_case()
    url = f"/v1/cases/{case['case_id']}"
    readers = {
        "the manager": cases.as_manager,
        "HR of the department": cases.token(Role.HR, "hr-x", [cases.department]),
        "the department's HR specialist": cases.token(Role.HR, cases.hr_specialist),
    }
    for who, headers in readers.items():
        assert cases.client.get(url, headers=headers).status_code == 200, who
    refused = {
        "HR of another department": cases.token(Role.HR, "hr-y", ["d-elsewhere"]),
        "another manager": cases.token(Role.MANAGER, "m-other"),
        "another rehab coordinator": cases.token(Role.REHAB, "rc-other"),
        # the omtankesamtal is the manager's and the employee's: the trigger names no rehab
        "the department's rehab coordinator": cases.token(Role.REHAB, cases.rehab),
        "a nurse": cases.token(Role.NURSE, "nurse-1"),
        "an admin": cases.token(Role.ADMIN, "admin-1"),
    }
    for who, headers in refused.items():
        answer = cases.client.get(url, headers=headers)
        assert answer.status_code == 403, who
        document = cases.client.post(f"{url}/conversations", json=FORM, headers=headers)
        assert document.status_code == 403, who
    assert cases.cases(refused["HR of another department"]) == []
    reads = cases.audited("case.read")
    assert [(r.subject, r.employee_id) for r in reads] == [
        (cases.manager, cases.employee),
        ("hr-x", cases.employee),
        (cases.hr_specialist, cases.employee),
    ]
    assert reads[0].route == "/v1/cases/{case_id}"


def test_the_answers_name_the_employee_as_the_directory_does(cases):
    _, case = cases.open_case()
    url = f"/v1/cases/{case['case_id']}"
    assert (case["employee_id"], case["employee_name"]) == (cases.employee, None)  # not yet

    def listed_name() -> str | None:
        return next(c["employee_name"] for c in cases.cases() if c["case_id"] == case["case_id"])

    cases.name_employee("Anna Andersson")
    assert eventually(lambda: listed_name() == "Anna Andersson" or None)
    detail = cases.client.get(url, headers=cases.as_manager).json()
    assert (detail["employee_id"], detail["employee_name"]) == (cases.employee, "Anna Andersson")
    hr = cases.token(Role.HR, cases.hr_specialist)
    assert cases.client.get(url, headers=hr).json()["employee_name"] == "Anna Andersson"
    booked = cases.client.post(
        f"{url}/booking", json={"at": "2026-03-09T10:00:00+01:00"}, headers=cases.as_manager
    )
    assert booked.json()["employee_name"] == "Anna Andersson", booked.text
    cases.name_employee("Anna Berg")  # a later EmployeeUpserted renames
    assert eventually(lambda: listed_name() == "Anna Berg" or None)
    assert cases.client.get(url, headers=cases.as_manager).json()["employee_name"] == "Anna Berg"
    elsewhere = cases.token(Role.MANAGER, "m-other")
    refused = cases.client.get(url, headers=elsewhere)
    assert refused.status_code == 403 and "Anna" not in refused.text
    assert cases.cases(elsewhere) == []


def test_the_case_says_who_may_document_its_conversations(cases):
    _, case = cases.open_case()
    url = f"/v1/cases/{case['case_id']}"
    callers = {
        "the manager": (cases.as_manager, ["omtankesamtal"]),
        "the department's HR specialist": (cases.token(Role.HR, cases.hr_specialist), []),
        "HR of the department": (cases.token(Role.HR, "hr-x", [cases.department]), []),
    }
    _, tripartite = cases.open_case("trepartssamtal")
    on_tripartite = {
        "the rehab coordinator": (cases.token(Role.REHAB, cases.rehab), ["trepartssamtal"]),
        "the manager": (cases.as_manager, []),  # attends; the coordinator documents
    }
    for case_url, who_may in (
        (url, callers),
        (f"/v1/cases/{tripartite['case_id']}", on_tripartite),
    ):
        for who, (headers, kinds) in who_may.items():
            detail = cases.client.get(case_url, headers=headers).json()
            assert detail["may_document"] == kinds, who
            for kind in ("omtankesamtal", "trepartssamtal"):  # the API agrees with the answer
                talk = cases.client.post(
                    f"{case_url}/conversations", json={**FORM, "kind": kind}, headers=headers
                )
                assert (talk.status_code == 201) == (kind in kinds), (who, kind, talk.text)


def test_steps_out_of_turn_are_refused_in_swedish_and_english(cases):
    _, case = cases.open_case()
    url = f"/v1/cases/{case['case_id']}"
    closing = cases.client.post(
        f"{url}/close", json={"outcome": "back_in_ordinary_work"}, headers=cases.as_manager
    )
    assert closing.status_code == 409
    assert "ärendet är öppet" in closing.json()["detail"]
    assert "the case is open" in closing.json()["detail"]
    wrong_talk = cases.client.post(
        f"{url}/conversations", json={**FORM, "kind": "trepartssamtal"}, headers=cases.as_manager
    )
    assert wrong_talk.status_code == 403 and "rehab coordinator" in wrong_talk.json()["detail"]
    free_heading = cases.client.post(
        f"{url}/notes",
        json={"heading": "Samtal medarbetare", "activity": "samtal", "minutes": 30},
        headers=cases.as_manager,
    )
    assert free_heading.status_code == 422
    undated = cases.client.post(
        f"{url}/conversations", json={**FORM, "follow_up_on": None}, headers=cases.as_manager
    )
    assert undated.status_code == 422
    assert cases.client.get("/v1/cases/no-such-case", headers=cases.as_manager).status_code == 404


def test_the_rehab_coordinator_documents_the_trepartssamtal(cases):
    _, case = cases.open_case("trepartssamtal")
    assert (case["owner_role"], case["owner_id"]) == ("rehab_coordinator", cases.rehab)
    talk = {**FORM, "kind": "trepartssamtal", "attended": ["medarbetaren", "chefen", "rehab"]}
    rehab = cases.token(Role.REHAB, cases.rehab)
    held = cases.client.post(f"/v1/cases/{case['case_id']}/conversations", json=talk, headers=rehab)
    assert held.status_code == 201 and held.json()["status"] == "held"


def test_sharing_with_an_outside_party_needs_a_valid_consent(cases):
    _, case = cases.open_case()
    url = f"/v1/cases/{case['case_id']}"
    share = {"party": "healthcare", "what": "arbetsförmåga och anpassningar"}
    refused = cases.client.post(f"{url}/sharings", json=share, headers=cases.as_manager)
    assert refused.status_code == 409 and "samtycke" in refused.json()["detail"]
    too_long = {"party": "healthcare", "given_on": "2026-03-02", "valid_until": "2027-03-02"}
    assert (
        cases.client.post(f"{url}/consents", json=too_long, headers=cases.as_manager).status_code
        == 422
    )
    given = cases.client.post(
        f"{url}/consents",
        json={"party": "healthcare", "given_on": "2026-03-02"},
        headers=cases.as_manager,
    )
    assert given.status_code == 201 and given.json()["valid_until"] == "2027-03-01"
    shared = cases.client.post(f"{url}/sharings", json=share, headers=cases.as_manager)
    assert shared.status_code == 201 and shared.json()["shared_on"] == "2026-03-02"
    before_consent = {**share, "shared_on": "2026-03-01"}
    early = cases.client.post(f"{url}/sharings", json=before_consent, headers=cases.as_manager)
    assert early.status_code == 409
    assert "samtycke till delning med hälso- och sjukvården den 2026-03-01" in early.text
    ahead = cases.client.post(
        f"{url}/sharings", json={**share, "shared_on": "2026-03-03"}, headers=cases.as_manager
    )
    assert ahead.status_code == 422 and "i förväg" in ahead.json()["detail"]
    listed = cases.client.get(url, headers=cases.token(Role.HR, cases.hr_specialist)).json()
    assert [
        (s["party"], s["shared_on"], s["what"], s["recorded_by"]) for s in listed["sharings"]
    ] == [("healthcare", "2026-03-02", "arbetsförmåga och anpassningar", cases.manager)]
    assert listed["sharings"][0]["consent_id"] == given.json()["consent_id"]
    other_party = {**share, "party": "forsakringskassan"}
    assert (
        cases.client.post(f"{url}/sharings", json=other_party, headers=cases.as_manager).status_code
        == 409
    )
    consent_id = given.json()["consent_id"]
    revoked = cases.client.post(
        f"{url}/consents/{consent_id}/revoke", json={}, headers=cases.as_manager
    )
    assert revoked.status_code == 200 and revoked.json()["revoked_on"] == "2026-03-02"
    assert (
        cases.client.post(f"{url}/sharings", json=share, headers=cases.as_manager).status_code
        == 409
    )
    expected = ["CaseOpened", "ConsentRecorded", "ConsentRevoked"]
    assert eventually(lambda: types_of(cases.on_topic(), case["case_id"]) == expected or None)


def test_declined_support_and_a_withdrawn_trigger_end_a_case_and_show_in_the_figures(
    cases, kafka_bootstrap
):
    _, declined = cases.open_case()
    answer = cases.client.post(
        f"/v1/cases/{declined['case_id']}/decline",
        json={"reason": "support_elsewhere", "comment": SECRET},
        headers=cases.as_manager,
    )
    assert answer.status_code == 200 and answer.json()["status"] == "declined"
    withdrawn_trigger, withdrawn = cases.open_case()
    publish(
        kafka_bootstrap,
        TriggerWithdrawn(
            event_id=uuid.uuid4(),
            occurred_at=NOW,
            source=Source(channel=Channel.SYSTEM, registered_by="triggers"),
            employee_id=cases.employee,
            org=withdrawn_trigger.org,
            trigger_id=withdrawn_trigger.trigger_id,
            rule_id=withdrawn_trigger.rule_id,
            why="spell retracted",
        ),
    )

    def status_of(case_id: str) -> str:
        return next(c["status"] for c in cases.cases() if c["case_id"] == case_id)

    eventually(lambda: status_of(withdrawn["case_id"]) == "withdrawn")
    figures = cases.client.get("/v1/cases/figures", headers=cases.as_manager).json()
    since = figures["since_start"]
    assert (since["offered"], since["declined"], since["accepted"]) == (1, 1, 0)
    assert since["share_of_offered_percent"]["declined"] == 100.0
    assert eventually(
        lambda: "SupportDeclined" in types_of(cases.on_topic(), declined["case_id"]) or None
    )
    (event,) = [e for e in cases.on_topic() if e.event_type == "SupportDeclined"]
    assert event.reason_category == "support_elsewhere"


def test_reminders_go_to_the_owner_before_the_date_and_once_it_passed(cases):
    _, case = cases.open_case()  # the talk is due 2026-03-16
    runtime = cases.client.app.state.runtime

    def remind(day: datetime) -> int:
        with runtime.uow() as uow:
            return reminders.queue_reminders(uow, now=day, lead_days=3)

    assert remind(datetime(2026, 3, 12, 8, tzinfo=UTC)) == 0
    assert remind(datetime(2026, 3, 13, 8, tzinfo=UTC)) == 1
    assert remind(datetime(2026, 3, 14, 8, tzinfo=UTC)) == 0  # once
    assert remind(datetime(2026, 3, 17, 8, tzinfo=UTC)) == 1
    assert remind(datetime(2026, 3, 18, 8, tzinfo=UTC)) == 0
    runtime.relay.wake()
    expected = ["CaseOpened", "ActionDue", "ActionOverdue"]
    assert eventually(lambda: types_of(cases.on_topic(), case["case_id"]) == expected or None)
    due = next(e for e in cases.on_topic() if e.event_type == "ActionDue")
    assert (due.owner_id, due.item_kind, due.due_on) == (
        cases.manager,
        "conversation",
        date(2026, 3, 16),
    )


def test_erasure_removes_the_documentation_and_keeps_the_figures(cases):
    _, case = cases.open_case()
    url = f"/v1/cases/{case['case_id']}"
    held = cases.client.post(f"{url}/conversations", json=FORM, headers=cases.as_manager)
    assert held.status_code == 201
    consent = {"party": "healthcare", "given_on": "2026-03-02"}
    assert cases.client.post(f"{url}/consents", json=consent, headers=cases.as_manager).is_success
    share = {"party": "healthcare", "what": SECRET}
    assert cases.client.post(f"{url}/sharings", json=share, headers=cases.as_manager).is_success
    cases.name_employee("Anna Andersson")
    eventually(lambda: cases.client.get(url, headers=cases.as_manager).json()["employee_name"])
    before = cases.client.get("/v1/cases/figures", headers=cases.as_manager).json()
    cases.erase_employee()

    def erased() -> dict | None:
        detail = cases.client.get(url, headers=cases.as_manager).json()
        return detail if detail["employee_id"] != cases.employee else None

    detail = eventually(erased)
    assert detail["employee_id"].startswith("erased-")
    assert (detail["conversations"], detail["consents"], detail["notes"]) == ([], [], [])
    assert (detail["sharings"], detail["employee_name"]) == ([], None)
    assert "Anna" not in str(cases.cases()) and SECRET not in str(detail)
    assert cases.names_kept() == []  # no name left behind in the cases database
    assert (detail["status"], detail["accepted_on"]) == ("held", "2026-03-09")
    after = cases.client.get("/v1/cases/figures", headers=cases.as_manager).json()
    assert after == before


def test_the_documentation_of_a_case_that_ended_goes_after_the_retention(cases):
    _, declined = cases.open_case()
    decline = {"reason": "support_elsewhere", "comment": SECRET}
    url = f"/v1/cases/{declined['case_id']}"
    assert cases.client.post(f"{url}/decline", json=decline, headers=cases.as_manager).is_success
    _, running = cases.open_case()
    running_url = f"/v1/cases/{running['case_id']}"
    held = cases.client.post(f"{running_url}/conversations", json=FORM, headers=cases.as_manager)
    assert held.status_code == 201
    before = cases.client.get("/v1/cases/figures", headers=cases.as_manager).json()
    runtime = cases.client.app.state.runtime
    keep = cases.settings.retention()

    def purge(days_after: int) -> dict[str, int]:
        return handlers.purge_once(runtime.uow, FixedClock(NOW + timedelta(days=days_after)), keep)

    assert purge(keep.case_documentation_days) == {"case_documentation": 0}
    assert purge(keep.case_documentation_days + 1) == {"case_documentation": 1}
    assert purge(keep.case_documentation_days + 1) == {"case_documentation": 0}  # once
    gone = cases.client.get(url, headers=cases.as_manager).json()
    assert gone["employee_id"].startswith("purged-") and SECRET not in str(gone)
    assert (gone["status"], gone["declined_on"]) == ("declined", NOW.date().isoformat())
    kept = cases.client.get(running_url, headers=cases.as_manager).json()
    assert kept["employee_id"] == cases.employee and SECRET in str(kept["conversations"])
    assert cases.client.get("/v1/cases/figures", headers=cases.as_manager).json() == before


def test_of_several_rehab_coordinators_the_first_to_act_takes_the_case(cases, kafka_bootstrap):
    other = random_id("rc")
    publish(
        kafka_bootstrap,
        ContactUpserted(
            event_id=uuid.uuid4(),
            occurred_at=NOW,
            source=Source(channel=Channel.IMPORT),
            contact_id=other,
            role=ContactRole.REHAB_COORDINATOR,
            scope=cases.department,
            name="Andra Samordnaren",
        ),
    )
    runtime = cases.client.app.state.runtime

    def both_known() -> bool:
        with runtime.uow() as uow:
            return uow.rehab_coordinator_for(cases.department) is None  # two: nobody yet

    eventually(both_known)
    _, case = cases.open_case("trepartssamtal")
    assert case["owner_id"] is None
    url = f"/v1/cases/{case['case_id']}"
    first, second = cases.token(Role.REHAB, cases.rehab), cases.token(Role.REHAB, other)
    assert cases.client.get(url, headers=second).status_code == 200
    talk = {**FORM, "kind": "trepartssamtal"}
    assert cases.client.post(f"{url}/conversations", json=talk, headers=first).status_code == 201
    assert cases.client.get(url, headers=first).json()["owner_id"] == cases.rehab
    assert cases.client.get(url, headers=second).status_code == 403
