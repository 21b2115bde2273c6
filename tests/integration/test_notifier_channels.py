"""The notifier's people and channels against the real broker, database, SMTP server and the
Twilio stand-in: the scheduler's notice, a manager away, SMS reminders and STOP, delivery
reports, digests, failures on the notifications topic, and the crisis team's morning mail."""

import uuid
from datetime import date

import pytest
from twilio.request_validator import RequestValidator

from halsosupport.auth import Role, issue_token
from schemas import decode
from schemas.directory import EmployeeUpserted, WorkplaceUpserted
from schemas.envelope import Channel, Source
from schemas.notifications import NotificationFailed
from schemas.topics import NOTIFICATIONS
from schemas.triggers import Occasion, RecipientRole, TriggerFired
from services.notifier import handlers, preview
from services.notifier.adapters.tables import Person, Workplace
from tests.integration.conftest import TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN
from tests.integration.test_notifier_flow import (
    NOW,
    FlakySmtpHandler,
    mails_to,
    sick,
    start,
)
from tests.support import FixedClock, eventually, publish, random_id, read_topic

AT = {"occurred_at": NOW, "source": Source(channel=Channel.IMPORT)}


def workplace_of(running, workplace_id: str) -> Workplace:
    with running.client.app.state.runtime.uow() as uow:
        return uow.session.get(Workplace, workplace_id) or Workplace(
            workplace_id="?", name="?", department_id="?"
        )


def person(running, person_id: str) -> Person:
    with running.client.app.state.runtime.uow() as uow:
        return uow.person(person_id) or Person(person_id="?", name="?")


def fired(org, rule_id: str, *roles: RecipientRole, **kw) -> TriggerFired:
    return TriggerFired(
        event_id=uuid.uuid4(), occurred_at=NOW, source=Source(channel=Channel.SYSTEM),
        employee_id=org.employee, org=org.ref(), trigger_id=random_id("t"), rule_id=rule_id,
        policy_version="halsosupport-2.0@2", occasion_count=1, window_start=date(2026, 11, 16),
        window_end=date(2026, 11, 21), spell_ids=["s1"],
        occasions=[Occasion(spell_id="s1", sick_from=date(2026, 11, 16))],
        due_on=date(2026, 11, 23), recipient_roles=list(roles), day_number=6, **kw,
    )  # fmt: skip


def stopped(running):
    running[1].client.__exit__(None, None, None)
    running[0].stop()


def with_sms(twilio_standin) -> dict:
    return {
        "twilio_account_sid": TWILIO_ACCOUNT_SID,
        "twilio_auth_token": TWILIO_AUTH_TOKEN,
        "twilio_from_number": "+46700000000",
        "twilio_api_base_url": twilio_standin.base_url,
        "notifier_public_base_url": "https://notifier.example.se",
    }


@pytest.fixture
def mailer_only(database, kafka_bootstrap, tmp_path):
    """A notifier with a real capture SMTP server and no SMS account."""
    running = start(database, kafka_bootstrap, tmp_path)
    yield running[1]
    stopped(running)


def test_the_scheduler_hears_who_is_away_and_until_when_never_why(mailer_only, kafka_bootstrap):
    notifier = mailer_only
    org, scheduler = notifier.org, random_id("sch")
    publish(
        kafka_bootstrap,
        EmployeeUpserted(event_id=uuid.uuid4(), employee_id=scheduler, org=org.ref(),
                         name="Sara Schema", email=f"sara.{scheduler}@example.org", **AT),
        WorkplaceUpserted(event_id=uuid.uuid4(), workplace_id=org.workplace, name="Solbacken",
                          department_id="d1", manager_id=org.manager, scheduler_id=scheduler, **AT),
    )  # fmt: skip
    eventually(lambda: workplace_of(notifier, org.workplace).scheduler_id == scheduler)
    publish(kafka_bootstrap, sick(org))
    (notice,) = eventually(lambda: mails_to(notifier, scheduler))
    text = notice.get_body(preferencelist=("plain",)).get_content()
    assert "Anna Andersson" in text and "2026-11-24" in text
    assert "Sekretess" not in text and "100 %" not in text
    assert eventually(lambda: mails_to(notifier, org.manager))


def test_a_manager_away_sick_hands_the_mail_to_the_deputy(mailer_only, kafka_bootstrap):
    notifier = mailer_only
    org = notifier.org
    manager_sick = sick(org).model_copy(
        update={"employee_id": org.manager, "event_id": uuid.uuid4(), "spell_id": "m-spell"}
    )
    publish(kafka_bootstrap, manager_sick)
    (told_of_manager,) = eventually(lambda: mails_to(notifier, org.deputy))
    assert "Maja Chef" in told_of_manager["Subject"]
    eventually(lambda: person(notifier, org.manager).away_spell_id == "m-spell")
    publish(kafka_bootstrap, sick(org))
    eventually(lambda: len(mails_to(notifier, org.deputy)) == 2)
    assert mails_to(notifier, org.manager) == []


def test_an_sms_reminder_goes_through_twilio_and_stop_is_honoured(
    database, kafka_bootstrap, tmp_path, twilio_standin
):
    running = start(database, kafka_bootstrap, tmp_path, **with_sms(twilio_standin))
    _controller, notifier = running
    org = notifier.org
    try:
        publish(
            kafka_bootstrap,
            EmployeeUpserted(event_id=uuid.uuid4(), employee_id=org.employee, org=org.ref(),
                             name="Anna Andersson", phone="+46701234567", **AT),
        )  # fmt: skip
        publish(kafka_bootstrap, fired(org, "certificate_reminder", RecipientRole.EMPLOYEE))
        (sms,) = eventually(lambda: twilio_standin.messages)
        assert sms.to == "+46701234567" and sms.from_ == "+46700000000"
        assert "+46101234567" in sms.body and len(sms.body) < 320
        assert sms.status_callback == "https://notifier.example.se/v1/twilio/status"
        (message,) = eventually(lambda: [m for m in notifier.messages() if m.provider_id])
        assert message.provider_id == sms.sid and message.status == "sent"

        # Twilio reports delivery, signed as Twilio signs it.
        params = {"MessageSid": sms.sid, "MessageStatus": "delivered"}
        url = "https://notifier.example.se/v1/twilio/status"
        signature = RequestValidator(TWILIO_AUTH_TOKEN).compute_signature(url, params)
        answer = notifier.client.post(
            "/v1/twilio/status", data=params, headers={"X-Twilio-Signature": signature}
        )
        assert answer.status_code == 204
        assert [m.delivery_status for m in notifier.messages()] == ["delivered"]

        # STOP: the next reminder is recorded but never sent.
        publish(
            kafka_bootstrap,
            EmployeeUpserted(event_id=uuid.uuid4(), employee_id=org.employee, org=org.ref(),
                             name="Anna Andersson", phone="+46701234567", sms_opt_out=True, **AT),
        )  # fmt: skip
        publish(kafka_bootstrap, fired(org, "well_report_missing", RecipientRole.EMPLOYEE))
        eventually(lambda: [m for m in notifier.messages() if m.status == "skipped"])
        assert len(twilio_standin.messages) == 1
    finally:
        stopped(running)


def test_a_permanent_failure_is_listed_and_published_without_personal_data(
    database, kafka_bootstrap, tmp_path
):
    running = start(
        database,
        kafka_bootstrap,
        tmp_path,
        handler_factory=lambda d: FlakySmtpHandler(d, failures=99, code="550 5.1.1 no such user"),
    )
    _controller, notifier = running
    try:
        publish(kafka_bootstrap, sick(notifier.org))
        (failed,) = eventually(lambda: [m for m in notifier.messages() if m.status == "failed"])

        def published() -> list[NotificationFailed]:
            events = [decode(v) for _, v in read_topic(kafka_bootstrap, NOTIFICATIONS)]
            return [
                e
                for e in events
                if e.message_id == failed.id and e.employee_id == failed.employee_id
            ]

        (event,) = eventually(published)
        assert event.template == "sick_reported" and event.recipient_role == "manager"
        assert "example.org" not in event.model_dump_json()
        admin = issue_token(notifier.settings, subject="admin-1", role=Role.ADMIN)
        listed = notifier.client.get(
            "/v1/messages/failed", headers={"Authorization": f"Bearer {admin}"}
        ).json()
        assert [m["message_id"] for m in listed] == [failed.id]
        nurse = issue_token(notifier.settings, subject="n", role=Role.NURSE)
        forbidden = notifier.client.get(
            "/v1/messages/failed", headers={"Authorization": f"Bearer {nurse}"}
        )
        assert forbidden.status_code == 403
        assert notifier.client.get("/healthz").json()["failed"] == 1
    finally:
        stopped(running)


def test_a_manager_who_chose_the_digest_gets_one_morning_mail(database, kafka_bootstrap, tmp_path):
    clock = FixedClock(NOW)  # 08:00 in Stockholm
    running = start(database, kafka_bootstrap, tmp_path, clock=clock)
    _controller, notifier = running
    org = notifier.org
    try:
        token = issue_token(notifier.settings, subject=org.manager, role=Role.MANAGER)
        chosen = notifier.client.put(
            "/v1/preferences/me",
            json={"delivery": "digest"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert chosen.json() == {"delivery": "digest", "language": "sv"}
        publish(kafka_bootstrap, fired(org, "omtankesamtal", RecipientRole.MANAGER))
        publish(kafka_bootstrap, fired(org, "rehab_investigation", RecipientRole.MANAGER))
        publish(kafka_bootstrap, sick(org))  # urgent: at once
        eventually(lambda: len(notifier.messages()) == 3)
        (at_once,) = eventually(lambda: mails_to(notifier, org.manager))
        assert "Anna Andersson" in at_once["Subject"]
        clock.advance(hours=23)  # the next morning, past 07:00
        eventually(lambda: len(mails_to(notifier, org.manager)) == 2)
        digest = mails_to(notifier, org.manager)[-1]
        text = digest.get_body(preferencelist=("plain",)).get_content()
        assert "mtankesamtal" in text and "ehab" in text
    finally:
        stopped(running)


def test_the_crisis_team_gets_the_days_figures_once(database, kafka_bootstrap, tmp_path):
    clock = FixedClock(NOW)  # 08:00 in Stockholm: after the 07:30 mail time
    running = start(
        database, kafka_bootstrap, tmp_path, clock=clock,
        crisis_team_emails=["kris@kommun.example"],
    )  # fmt: skip
    _controller, notifier = running
    try:
        rt = notifier.client.app.state.runtime
        figures = preview.crisis_daily()["figures"]
        calls = []

        def fetch():
            calls.append(1)
            return figures

        assert handlers.record_crisis_mail(rt.uow, rt.clock, rt.settings, fetch) == 1
        assert handlers.record_crisis_mail(rt.uow, rt.clock, rt.settings, fetch) == 0
        (mail,) = eventually(lambda: mails_to(notifier, "kris@kommun.example"))
        assert (
            "2026-11-22" in mail["Subject"] + mail.get_body(preferencelist=("plain",)).get_content()
        )
        assert len(calls) == 1
        clock.advance(days=1)
        assert handlers.record_crisis_mail(rt.uow, rt.clock, rt.settings, fetch) == 1
    finally:
        stopped(running)
