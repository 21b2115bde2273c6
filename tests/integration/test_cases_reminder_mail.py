"""The notifier reads halsosupport.cases.v1: a reminder for a case's dated item becomes one mail
to its owner (redelivered: still one), saying what kind of item, whose case and by when."""

import uuid
from datetime import date

from schemas.cases import ActionDue, ActionOverdue, ReminderItem
from schemas.envelope import Channel, Source
from tests.integration.test_notifier_flow import NOW, mails_to, notifier  # noqa: F401
from tests.support import eventually, publish


def reminder(running, model=ActionDue, **changes):
    fields = {
        "event_id": uuid.uuid4(),
        "occurred_at": NOW,
        "source": Source(channel=Channel.SYSTEM, registered_by="cases"),
        "employee_id": running.org.employee,
        "org": running.org.ref(),
        "case_id": "case-1",
        "owner_id": running.org.manager,
        "item_kind": ReminderItem.ACTIVITY,
        "item_id": "a1",
        "due_on": date(2026, 11, 25),
    }
    return model(**{**fields, **changes})


def test_a_case_reminder_mails_its_owner_once(notifier, kafka_bootstrap):  # noqa: F811
    due = reminder(notifier)
    publish(kafka_bootstrap, due, due)  # redelivered
    (mail,) = eventually(lambda: mails_to(notifier, notifier.org.manager))
    body = mail.get_body(preferencelist=("plain",)).get_content()
    assert mail["Subject"] == (
        "Påminnelse: en aktivitet i handlingsplanen för Anna Andersson senast 2026-11-25"
    )
    assert "Ärende: case-1" in body
    publish(kafka_bootstrap, reminder(notifier, ActionOverdue, item_kind=ReminderItem.FOLLOW_UP))
    eventually(lambda: len(mails_to(notifier, notifier.org.manager)) == 2)
    subjects = sorted(str(m["Subject"]) for m in mails_to(notifier, notifier.org.manager))
    assert subjects[0].startswith("Datum passerat: ett uppföljningsmöte för Anna Andersson")
    assert len([m for m in notifier.messages() if m.source_event_id == str(due.event_id)]) == 1
