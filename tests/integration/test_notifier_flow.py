"""The notifier with the real broker, its database and a real SMTP server: each event becomes one
mail to the right person, redeliveries send nothing twice, failures are retried or recorded,
and a poison message is dead-lettered while the flow goes on."""

import email
import email.policy
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient

from halsosupport.devmail import MaildirHandler
from halsosupport.processes import free_port
from schemas import encode
from schemas.directory import DepartmentUpserted, EmployeeUpserted, WorkplaceUpserted
from schemas.envelope import Channel, OrgRef, Source
from schemas.reports import ReasonVisibility, SickReported
from schemas.topics import DEADLETTER, REPORTS, TRIGGERS
from schemas.triggers import Occasion, RecipientRole, TriggerFired
from services.notifier.adapters.tables import Message, Workplace
from services.notifier.bootstrap import bootstrap
from services.notifier.entrypoints.api import create_app
from services.notifier.settings import NotifierSettings
from tests.support import FixedClock, eventually, publish, random_id, read_topic

NOW = datetime(2026, 11, 22, 7, 0, tzinfo=UTC)
SOURCE = Source(channel=Channel.NURSE, registered_by="nurse-1")


class FlakySmtpHandler(MaildirHandler):
    """Answers `code` for the first `failures` messages, then accepts."""

    def __init__(self, directory: Path, failures: int, code: str) -> None:
        super().__init__(directory)
        self.failures, self.code, self.seen = failures, code, 0

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.seen += 1
        if self.seen <= self.failures:
            return self.code
        return await super().handle_DATA(server, session, envelope)


@dataclass
class Org:
    employee: str
    manager: str
    deputy: str
    workplace: str

    def ref(self, manager: str | None = "default") -> OrgRef:
        return OrgRef(
            workplace_id=self.workplace,
            department_id="d1",
            manager_id=self.manager if manager == "default" else manager,
        )


@dataclass
class Running:
    client: TestClient
    mail_dir: Path
    settings: NotifierSettings
    org: Org

    def mails(self) -> list[email.message.EmailMessage]:
        return [
            email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
            for p in sorted(self.mail_dir.glob("*.eml"))
        ]

    def messages(self, employee: str | None = None) -> list[Message]:
        """The messages about this test's employee (the group also replays earlier tests')."""
        from sqlmodel import Session, select

        rt = self.client.app.state.runtime
        with Session(rt.engine) as session:
            query = select(Message).where(Message.employee_id == (employee or self.org.employee))
            return list(session.exec(query))


def directory_events(org: Org) -> list:
    at = {"occurred_at": NOW, "source": Source(channel=Channel.IMPORT)}
    people = [
        (org.employee, "Anna Andersson", "anna"),
        (org.manager, "Maja Chef", "maja"),
        (org.deputy, "Dan Deputy", "dan"),
    ]
    return [
        DepartmentUpserted(event_id=uuid.uuid4(), department_id="d1", name="Välfärd", **at),
        WorkplaceUpserted(
            event_id=uuid.uuid4(),
            workplace_id=org.workplace,
            name="Solbacken",
            department_id="d1",
            manager_id=org.manager,
            deputy_manager_id=org.deputy,
            **at,
        ),
        *[
            EmployeeUpserted(
                event_id=uuid.uuid4(),
                employee_id=pid,
                org=org.ref(),
                name=name,
                email=f"{login}.{pid}@example.org",
                **at,
            )
            for pid, name, login in people
        ],
    ]


def sick(
    org: Org, manager: str | None = "default", visibility=ReasonVisibility.CONFIDENTIAL
) -> SickReported:
    return SickReported(
        event_id=uuid.uuid4(),
        occurred_at=NOW,
        source=SOURCE,
        employee_id=org.employee,
        org=org.ref(manager),
        spell_id=random_id("s"),
        absence_type="sick",
        sick_from=date(2026, 11, 22),
        degree_percent=100,
        reason_visibility=visibility,
        expected_return=date(2026, 11, 24),
    )


def start(
    database, kafka_bootstrap, tmp_path, handler_factory=MaildirHandler, clock=None, **settings
):
    mail_dir = tmp_path / "mail"
    port = free_port()
    controller = Controller(handler_factory(mail_dir), hostname="127.0.0.1", port=port)
    controller.start()
    config = NotifierSettings(
        database_url=database.url,
        database_schema_prefix=database.schema_prefix,
        kafka_bootstrap_servers=kafka_bootstrap,
        kafka_rebalance_timeout_s=1,
        kafka_auto_offset_reset="latest",  # earlier tests' events are not this test's business
        notifier_group_id=random_id("notifier-test"),
        smtp_port=port,
        **{"send_backoff_base_s": 0.05, "send_backoff_cap_s": 0.2, **settings},
    )
    org = Org(random_id("e"), random_id("m"), random_id("dep"), random_id("w"))
    client = TestClient(create_app(config, bootstrap(config, clock=clock) if clock else None))
    client.__enter__()
    # Joining takes longer with more topics (cases) and a busy machine: up to a minute.
    eventually(
        lambda: client.get("/healthz").json()["consumer"]["assigned_partitions"], timeout_s=60
    )
    publish(kafka_bootstrap, *directory_events(org))

    def directory_known() -> bool:
        with client.app.state.runtime.uow() as uow:
            return all(uow.person(p) for p in (org.employee, org.manager, org.deputy))

    # The directory and the reports are separate topics: a report handled first would wait for
    # the directory (test_a_report_ahead_of_its_directory_waits_without_spending_attempts);
    # knowing it first keeps the other tests to their point.
    eventually(directory_known)
    return controller, Running(client, mail_dir, config, org)


@pytest.fixture
def notifier(database, kafka_bootstrap, tmp_path) -> Iterator[Running]:
    controller, running = start(database, kafka_bootstrap, tmp_path)
    yield running
    running.client.__exit__(None, None, None)
    controller.stop()


def mails_to(running: Running, who: str) -> list:
    return [m for m in running.mails() if who in str(m["To"])]


def test_a_sick_report_mails_the_nearest_manager_once_even_when_redelivered(
    notifier, kafka_bootstrap
):
    event = sick(notifier.org)
    publish(kafka_bootstrap, event)
    (mail,) = eventually(lambda: mails_to(notifier, notifier.org.manager))
    body = mail.get_body(preferencelist=("plain",)).get_content()
    assert "Anna Andersson" in mail["Subject"] and "Anna Andersson" in body
    assert "Orsak:               Sekretess" in body and "Beräknad åter:       2026-11-24" in body
    publish(kafka_bootstrap, event, event)  # redelivered twice
    marker = sick(notifier.org)  # a later event proves the redeliveries were consumed
    publish(kafka_bootstrap, marker)
    eventually(lambda: len(mails_to(notifier, notifier.org.manager)) == 2)
    assert len([m for m in notifier.messages() if m.source_event_id == str(event.event_id)]) == 1


def test_without_a_manager_on_the_event_the_directory_deputy_is_told(notifier, kafka_bootstrap):
    org = notifier.org
    publish(
        kafka_bootstrap,
        WorkplaceUpserted(
            event_id=uuid.uuid4(),
            occurred_at=NOW,
            source=SOURCE,
            workplace_id=org.workplace,
            name="Solbacken",
            department_id="d1",
            manager_id=None,
            deputy_manager_id=org.deputy,
        ),
    )

    def directory_applied() -> bool:
        with notifier.client.app.state.runtime.uow() as uow:
            workplace = uow.session.get(Workplace, org.workplace)
            return workplace is not None and workplace.manager_id is None

    eventually(directory_applied)  # the directory and the reports are separate topics
    publish(kafka_bootstrap, sick(org, manager=None))
    (mail,) = eventually(lambda: mails_to(notifier, org.deputy))
    assert "Anna Andersson" in mail.get_body(preferencelist=("plain",)).get_content()


def test_the_omtankesamtal_trigger_mails_the_manager(notifier, kafka_bootstrap):
    org = notifier.org
    fired = TriggerFired(
        event_id=uuid.uuid4(),
        occurred_at=NOW,
        source=Source(channel=Channel.SYSTEM),
        employee_id=org.employee,
        org=org.ref(),
        trigger_id=random_id("t"),
        rule_id="omtankesamtal",
        policy_version="halsosupport-2.0@1",
        occasion_count=4,
        window_start=date(2025, 11, 23),
        window_end=date(2026, 11, 22),
        spell_ids=["a", "b", "c", "d"],
        occasions=[
            Occasion(spell_id=s, sick_from=date(2026, m, 3))
            for s, m in zip("abcd", [1, 4, 7, 11], strict=True)
        ],
        due_on=date(2026, 12, 6),
        recipient_roles=[RecipientRole.MANAGER],
    )
    publish(kafka_bootstrap, fired)
    (mail,) = eventually(lambda: mails_to(notifier, org.manager))
    assert (
        "Omtankesamtal" in mail["Subject"]
        and "2026-12-06" in mail.get_body(preferencelist=("plain",)).get_content()
    )


def test_a_poison_message_is_dead_lettered_and_the_flow_goes_on(notifier, kafka_bootstrap):
    """Bytes that are no event, and a valid event on a topic that does not carry it (a sick
    report on the triggers topic would otherwise mail the manager twice)."""
    marker = random_id("poison")
    poison = [f"{{not json {marker}", json.dumps({"event_type": "SickReported", "note": marker})]
    misplaced = encode(sick(notifier.org))
    publish(
        kafka_bootstrap,
        raw=[(REPORTS, p.encode()) for p in poison] + [(TRIGGERS, misplaced)],
    )
    publish(kafka_bootstrap, sick(notifier.org))
    group = notifier.settings.notifier_group_id

    def dead_letters_of_this_test():
        found = [json.loads(v) for _, v in read_topic(kafka_bootstrap, DEADLETTER)]
        mine = [
            d
            for d in found
            if d["consumer_group"] == group
            and (marker in d["value"] or d["value"] == misplaced.decode())
        ]
        return mine if len(mine) == 3 else None

    dead = eventually(dead_letters_of_this_test)
    assert {d["value"] for d in dead} == {*poison, misplaced.decode()}
    assert all("invalid event" in d["error"] for d in dead)
    assert sorted(d["topic"] for d in dead) == [REPORTS, REPORTS, TRIGGERS]
    assert "SickReported does not belong here" in next(
        d["error"] for d in dead if d["topic"] == TRIGGERS
    )
    # the dead letters are out, so the misplaced report was handled: one mail, the real one's
    assert len(eventually(lambda: mails_to(notifier, notifier.org.manager))) == 1


def test_a_mail_server_that_defers_is_retried_until_it_accepts(database, kafka_bootstrap, tmp_path):
    controller, running = start(
        database,
        kafka_bootstrap,
        tmp_path,
        handler_factory=lambda d: FlakySmtpHandler(d, failures=2, code="451 4.3.0 try again later"),
    )
    try:
        publish(kafka_bootstrap, sick(running.org))
        (message,) = eventually(lambda: [m for m in running.messages() if m.status == "sent"])
        assert message.attempts == 3 and message.sent_at is not None
        assert len(mails_to(running, running.org.manager)) == 1
    finally:
        running.client.__exit__(None, None, None)
        controller.stop()


def test_mail_deferred_by_a_server_that_is_back_goes_out_with_the_next_mail_it_takes(
    database, kafka_bootstrap, tmp_path
):
    """After an outage the waiting mail should not sit out minutes of backoff once the server
    takes mail again: the first mail it accepts brings the others forward."""
    controller, running = start(
        database,
        kafka_bootstrap,
        tmp_path,
        handler_factory=lambda d: FlakySmtpHandler(d, failures=2, code="421 4.3.2 try later"),
        send_backoff_base_s=120,  # without bringing forward, the deferred two wait 60 s or more
        send_backoff_cap_s=600,
    )
    try:
        publish(kafka_bootstrap, sick(running.org), sick(running.org))
        eventually(lambda: len([m for m in running.messages() if m.attempts == 1]) == 2)
        publish(kafka_bootstrap, sick(running.org))  # the server takes this one
        sent = eventually(
            lambda: [m for m in running.messages() if m.status == "sent"][2:], timeout_s=20
        )
        assert sent
        assert len(mails_to(running, running.org.manager)) == 3
    finally:
        running.client.__exit__(None, None, None)
        controller.stop()


def test_a_mail_server_that_refuses_for_good_marks_the_message_failed(
    database, kafka_bootstrap, tmp_path
):
    controller, running = start(
        database,
        kafka_bootstrap,
        tmp_path,
        handler_factory=lambda d: FlakySmtpHandler(d, failures=99, code="550 5.1.1 no such user"),
    )
    try:
        publish(kafka_bootstrap, sick(running.org))
        (failed,) = eventually(lambda: [m for m in running.messages() if m.status == "failed"])
        assert failed.attempts == 1 and "550" in failed.last_error
        assert running.mails() == []
        assert running.client.get("/healthz").json()["messages"]["failed"] == 1
    finally:
        running.client.__exit__(None, None, None)
        controller.stop()


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # SQLite drops the zone


def test_a_report_ahead_of_its_directory_waits_without_spending_attempts(
    database, kafka_bootstrap, tmp_path
):
    """Lag on the directory topic is not a provider error: the message waits, looked at again
    and again without spending its attempts, goes once the directory arrives, and fails only
    after the bounded wait, saying who was missing."""
    clock = FixedClock(NOW)
    controller, running = start(
        database, kafka_bootstrap, tmp_path, clock=clock, send_retry_for_s=60, directory_wait_s=3600
    )
    late = Org(random_id("e"), random_id("m"), random_id("dep"), random_id("w"))
    never = Org(random_id("e"), random_id("m"), random_id("dep"), random_id("w"))

    def waiting() -> list[Message] | None:
        """Both messages, once each has been looked at since the clock last moved."""
        found = running.messages(late.employee) + running.messages(never.employee)
        looked = [m for m in found if _aware(m.next_attempt_at) > clock.now()]
        return found if len(looked) == 2 else None

    def known(org: Org) -> bool:
        with running.client.app.state.runtime.uow() as uow:
            return all(uow.person(p) for p in (org.employee, org.manager))

    try:
        publish(kafka_bootstrap, sick(late), sick(never))
        for look in range(4):  # looks for longer than a provider error would be retried
            if look:
                clock.advance(minutes=1)  # the fixed clock moves only here: one look per move
            for message in eventually(waiting):
                assert message.status == "pending" and message.attempts == 0
                assert message.last_error == (
                    "waiting for the directory: the recipient (manager) not known yet"
                )

        publish(kafka_bootstrap, *directory_events(late))
        eventually(lambda: known(late))
        clock.advance(minutes=1)
        (mail,) = eventually(lambda: mails_to(running, late.manager))
        assert "Anna Andersson" in mail["Subject"]
        (sent,) = running.messages(late.employee)
        assert sent.status == "sent" and sent.attempts == 1

        clock.advance(hours=1)
        (failed,) = eventually(
            lambda: [m for m in running.messages(never.employee) if m.status == "failed"]
        )
        assert failed.attempts == 0
        assert failed.last_error == "not in the directory after 1 h: the recipient (manager)"
        assert not mails_to(running, never.manager)
    finally:
        running.client.__exit__(None, None, None)
        controller.stop()
