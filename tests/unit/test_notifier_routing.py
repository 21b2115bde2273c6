"""Who hears of what: roles from the directory, fallbacks when a manager is away or is the one
who is sick, the scheduler's short notice, SMS to employees, digests and the crisis mail time."""

import uuid
from datetime import UTC, date, datetime

import pytest

from schemas.envelope import Channel, OrgRef, Source
from schemas.reports import ReasonVisibility, SickReported, WellReported
from schemas.triggers import Occasion, RecipientRole, TriggerFired, TriggerWithdrawn
from services.notifier import domain
from services.notifier.domain import Recipient, Routing

ORG = OrgRef(workplace_id="w1", department_id="d1", manager_id="m1")
SOURCE = Source(channel=Channel.NURSE, registered_by="n1")
AT = datetime(2026, 11, 22, 7, 30, tzinfo=UTC)
FULL = Routing(
    manager_id="m1",
    deputy_manager_id="dep1",
    hr_specialist_id="hr1",
    scheduler_id="sch1",
    department_id="d1",
    contacts={"rehab_coordinator": ("rc1",), "payroll": ("pay1", "pay2")},
)


def sick(employee_id: str = "e1") -> SickReported:
    return SickReported(
        event_id=uuid.uuid4(), occurred_at=AT, source=SOURCE, employee_id=employee_id, org=ORG,
        spell_id="s1", absence_type="sick", sick_from=date(2026, 11, 22), degree_percent=100,
        reason_visibility=ReasonVisibility.WITHHELD, expected_return=date(2026, 11, 25),
    )  # fmt: skip


def fired(rule_id: str, *roles: RecipientRole) -> TriggerFired:
    return TriggerFired(
        event_id=uuid.uuid4(), occurred_at=AT, source=SOURCE, employee_id="e1", org=ORG,
        trigger_id="t1", rule_id=rule_id, policy_version="p@1", occasion_count=1,
        window_start=date(2026, 11, 1), window_end=date(2026, 11, 22), spell_ids=["s1"],
        occasions=[Occasion(spell_id="s1", sick_from=date(2026, 11, 1))],
        recipient_roles=list(roles),
    )  # fmt: skip


def who(planned: list[domain.PlannedMessage]) -> list[tuple[str, str, str]]:
    return [(p.recipient.recipient_id, p.template, p.channel) for p in planned]


def test_a_sick_report_goes_to_the_manager_and_a_short_notice_to_the_scheduler():
    planned = domain.plan_sick_reported(sick(), FULL)
    assert who(planned) == [("m1", "sick_reported", "email"), ("sch1", "scheduler_away", "email")]
    notice = planned[1].context
    assert set(notice) == {"away_from", "expected_return", "recipient_role"}  # never why


@pytest.mark.parametrize(
    ("routing", "told"),
    [
        (Routing(manager_id="m1", deputy_manager_id="dep1", away=frozenset({"m1"})), "dep1"),
        (Routing(manager_id="m1", hr_specialist_id="hr1", away=frozenset({"m1"})), "hr1"),
        (Routing(deputy_manager_id="dep1", hr_specialist_id="hr1"), "dep1"),
        (Routing(hr_specialist_id="hr1"), "hr1"),
    ],
)
def test_a_manager_away_or_missing_hands_over_to_the_deputy_then_hr(routing, told):
    (message,) = domain.plan_sick_reported(sick(), routing)
    assert message.recipient.recipient_id == told


def test_a_manager_reporting_sick_is_not_told_of_themself():
    (message, _scheduler) = domain.plan_sick_reported(sick(employee_id="m1"), FULL)
    assert message.recipient.recipient_id == "dep1"


def test_well_reports_reach_manager_and_scheduler():
    well = WellReported(
        event_id=uuid.uuid4(), occurred_at=AT, source=SOURCE, employee_id="e1", org=ORG,
        spell_id="s1", well_from=date(2026, 11, 25),
    )  # fmt: skip
    assert who(domain.plan_well_reported(well, FULL)) == [
        ("m1", "well_reported", "email"),
        ("sch1", "scheduler_back", "email"),
    ]


def test_each_trigger_reaches_the_roles_it_names_from_the_directory():
    trepart = domain.plan_trigger_fired(
        fired("trepartssamtal", RecipientRole.REHAB_COORDINATOR, RecipientRole.MANAGER), FULL
    )
    assert who(trepart) == [("rc1", "trigger", "email"), ("m1", "trigger", "email")]
    assert trepart[0].recipient.kind == domain.CONTACT and trepart[0].trigger_id == "t1"
    payroll = domain.plan_trigger_fired(fired("fk_report_due", RecipientRole.PAYROLL), FULL)
    assert [p.recipient.recipient_id for p in payroll] == ["pay1", "pay2"]
    both = domain.plan_trigger_fired(
        fired("rehab_investigation", RecipientRole.MANAGER, RecipientRole.HR_SPECIALIST), FULL
    )
    assert [(p.recipient.recipient_id, p.context["recipient_role"]) for p in both] == [
        ("m1", "manager"),
        ("hr1", "hr_specialist"),
    ]
    assert domain.plan_trigger_fired(fired("nurse_followup", RecipientRole.NURSE), FULL) == []


def test_employees_get_sms_for_their_reminders_only():
    reminder = domain.plan_trigger_fired(
        fired("certificate_reminder", RecipientRole.EMPLOYEE), FULL
    )
    assert who(reminder) == [("e1", "sms_certificate_reminder", "sms")]
    assert domain.plan_trigger_fired(fired("karens_limit", RecipientRole.EMPLOYEE), FULL) == []


def test_a_withdrawal_reaches_the_people_told_of_the_trigger():
    withdrawn = TriggerWithdrawn(
        event_id=uuid.uuid4(), occurred_at=AT, source=SOURCE, employee_id="e1", org=ORG,
        trigger_id="t1", rule_id="omtankesamtal", why="retracted",
    )  # fmt: skip
    told = [Recipient("person", "m1", "manager"), Recipient("contact", "rc1", "rehab_coordinator")]
    planned = domain.plan_trigger_withdrawn(withdrawn, told)
    assert who(planned) == [
        ("m1", "trigger_withdrawn", "email"),
        ("rc1", "trigger_withdrawn", "email"),
    ]


def test_digests_go_at_the_next_morning_and_urgent_messages_skip_them():
    evening = datetime(2026, 11, 22, 19, 0, tzinfo=UTC)  # 20:00 in Stockholm
    assert domain.next_digest_at(evening, "07:00") == datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
    early = datetime(2026, 11, 23, 5, 0, tzinfo=UTC)  # 06:00 in Stockholm
    assert domain.next_digest_at(early, "07:00") == datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
    summer = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
    assert domain.next_digest_at(summer, "07:00") == datetime(2026, 7, 2, 5, 0, tzinfo=UTC)
    urgent = ["sick_reported", "fk_report_due"]
    assert domain.is_urgent("sick_reported", None, urgent)
    assert domain.is_urgent("trigger", "fk_report_due", urgent)
    assert not domain.is_urgent("trigger", "omtankesamtal", urgent)


def test_the_crisis_mail_is_due_from_its_local_time():
    assert domain.crisis_mail_due(datetime(2026, 11, 23, 6, 29, tzinfo=UTC), "07:30") is None
    assert domain.crisis_mail_due(datetime(2026, 11, 23, 6, 30, tzinfo=UTC), "07:30") == date(
        2026, 11, 23
    )


def test_a_case_reminder_goes_to_the_items_owner_with_ids_and_a_date_only():
    from schemas.cases import ActionDue, ActionOverdue, ReminderItem

    fields = {
        "event_id": uuid.uuid4(), "occurred_at": AT, "source": SOURCE, "employee_id": "e1",
        "org": ORG, "case_id": "c1", "owner_id": "rc1", "item_kind": ReminderItem.FOLLOW_UP,
        "item_id": "f1", "due_on": date(2026, 11, 30),
    }  # fmt: skip
    owner = Recipient(domain.CONTACT, "rc1", domain.CASE_OWNER)
    (due,) = domain.plan_case_reminder(ActionDue(**fields), owner)
    (overdue,) = domain.plan_case_reminder(ActionOverdue(**fields), owner)
    assert (due.template, overdue.template) == ("case_action_due", "case_action_overdue")
    assert due.recipient == owner and due.channel == domain.EMAIL
    assert due.context == {
        "case_id": "c1",
        "item_kind": "follow_up",
        "due_on": "2026-11-30",
        "recipient_role": "case_owner",
    }
