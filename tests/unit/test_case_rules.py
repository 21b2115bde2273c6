"""The rules of a support case (services/cases/domain.py): which triggers open a case and who
owns it, the status machine, the forms, the plan, reminders, consent and the monthly figures."""

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from halsosupport.auth import Principal, Role
from schemas.cases import CaseStatus, ConversationKind, Outcome, OwnerRole, Party, ReminderItem
from schemas.envelope import Channel, OrgRef, Source
from schemas.triggers import RecipientRole, TriggerFired
from services.cases import domain
from services.cases.access import CasePeople, may_access, rehab_on_case
from services.cases.domain import (
    ActionPlan,
    CaseFacts,
    ConversationForm,
    Dated,
    InvalidInput,
    InvalidTransition,
    NoConsent,
    NoteHeading,
    ReminderKind,
)

S = CaseStatus
R = RecipientRole


def trigger(rule_id: str, roles: list[RecipientRole], due_on: date | None = None) -> TriggerFired:
    return TriggerFired(
        event_id=uuid.uuid4(),
        occurred_at=datetime(2026, 3, 2, 8, tzinfo=UTC),
        source=Source(channel=Channel.SYSTEM, registered_by="triggers"),
        employee_id="e-1",
        org=OrgRef(workplace_id="w", department_id="d", manager_id="m"),
        trigger_id=f"t-{rule_id}",
        rule_id=rule_id,
        policy_version="2.0",
        occasion_count=4,
        window_start=date(2025, 3, 2),
        window_end=date(2026, 3, 2),
        spell_ids=[],
        occasions=[],
        due_on=due_on,
        recipient_roles=roles,
    )


# --- opening -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule_id", "roles", "opens", "owner"),
    [
        ("omtankesamtal", [R.MANAGER], True, OwnerRole.MANAGER),
        ("hr_contact", [R.HR_SPECIALIST], True, OwnerRole.MANAGER),
        ("trepartssamtal", [R.REHAB_COORDINATOR, R.MANAGER], True, OwnerRole.REHAB_COORDINATOR),
        ("return_plan_due", [R.MANAGER, R.REHAB_COORDINATOR], True, OwnerRole.MANAGER),
        ("nurse_followup", [R.NURSE], False, None),
        ("certificate_reminder", [R.EMPLOYEE], False, None),
        ("karens_limit", [R.PAYROLL], False, None),
        ("well_report_missing_manager", [R.MANAGER], False, None),
    ],
)
def test_which_triggers_open_a_case_and_who_owns_it(rule_id, roles, opens, owner):
    fired = trigger(rule_id, roles)
    ignored = ["well_report_missing_manager"]
    assert domain.opens_case(fired, ignored_rules=ignored) is opens
    if opens:
        assert domain.owner_role_of(fired) is owner


def test_the_owner_decides_which_talk_is_documented():
    assert domain.conversation_kind_of(OwnerRole.MANAGER) is ConversationKind.OMTANKESAMTAL
    assert domain.conversation_kind_of(OwnerRole.REHAB_COORDINATOR) is (
        ConversationKind.TREPARTSSAMTAL
    )
    assert domain.may_document(ConversationKind.OMTANKESAMTAL, OwnerRole.MANAGER)
    assert not domain.may_document(ConversationKind.OMTANKESAMTAL, OwnerRole.REHAB_COORDINATOR)
    assert domain.may_document(ConversationKind.TREPARTSSAMTAL, OwnerRole.REHAB_COORDINATOR)


def test_due_date_from_the_trigger_or_two_weeks_after_the_window():
    assert domain.due_on_of(trigger("omtankesamtal", [R.MANAGER], date(2026, 3, 16))) == date(
        2026, 3, 16
    )
    assert domain.due_on_of(trigger("omtankesamtal", [R.MANAGER])) == date(2026, 3, 16)


# --- the status machine ------------------------------------------------------------------------

HAPPY_PATH = [S.OPEN, S.BOOKED, S.HELD, S.PLAN_RUNNING, S.CLOSED]


def test_the_happy_path_is_allowed_step_by_step():
    for current, to in zip(HAPPY_PATH, HAPPY_PATH[1:], strict=False):
        domain.check_transition(current, to)


@given(st.sampled_from(list(S)), st.sampled_from(list(S)))
def test_every_transition_is_allowed_exactly_when_the_table_says(current, to):
    allowed = to in domain.TRANSITIONS[current]
    if allowed:
        domain.check_transition(current, to)
    else:
        with pytest.raises(InvalidTransition) as refused:
            domain.check_transition(current, to)
        assert " / " in refused.value.message  # Swedish and English
        assert refused.value.status == 409


@pytest.mark.parametrize("ended", [S.CLOSED, S.DECLINED, S.WITHDRAWN])
def test_an_ended_case_moves_nowhere(ended):
    assert domain.TRANSITIONS[ended] == frozenset()


def test_closing_needs_a_conversation_held_and_an_outcome():
    assert domain.check_close(S.HELD, Outcome.ADAPTED_WORK) is S.CLOSED
    assert domain.check_close(S.PLAN_RUNNING, Outcome.REFERRED_ON) is S.CLOSED
    with pytest.raises(InvalidInput, match="outcome"):
        domain.check_close(S.HELD, None)
    for early in (S.OPEN, S.BOOKED):
        with pytest.raises(InvalidTransition, match="ärendet är"):
            domain.check_close(early, Outcome.BACK_IN_ORDINARY_WORK)


def test_declining_ends_an_offered_case_but_not_a_running_plan():
    for offered in (S.OPEN, S.BOOKED, S.HELD):
        assert domain.check_decline(offered) is S.DECLINED
    with pytest.raises(InvalidTransition):
        domain.check_decline(S.PLAN_RUNNING)


def test_a_withdrawn_trigger_withdraws_only_an_undocumented_case():
    assert domain.on_trigger_withdrawn(S.OPEN) is S.WITHDRAWN
    assert domain.on_trigger_withdrawn(S.BOOKED) is S.WITHDRAWN
    for kept in (S.HELD, S.PLAN_RUNNING, S.CLOSED, S.DECLINED, S.WITHDRAWN):
        assert domain.on_trigger_withdrawn(kept) is None


def test_a_conversation_keeps_a_running_plan_running():
    assert domain.after_conversation(S.BOOKED) is S.HELD
    assert domain.after_conversation(S.PLAN_RUNNING) is S.PLAN_RUNNING


# --- forms and notes ---------------------------------------------------------------------------


def test_the_conversation_form_follows_the_dialogue_guide():
    form = ConversationForm(
        held_on=date(2026, 3, 10),
        attended=["medarbetare", "chef"],
        work={"demands_and_resources": "hög arbetsbelastning"},
        medical={"limitations": "tål inte lyft"},
        private={"private_load": "flytt"},
        what_hinders="schemat",
        what_enables="anpassade pass",
        manager_does_next="ser över schemat",
        employee_does_next="bokar FHV",
        measures="hälsosamtal FHV",
        plan="följs upp om en månad",
        follow_up_on=date(2026, 4, 10),
    )
    assert form.work.demands_and_resources == "hög arbetsbelastning"
    with pytest.raises(ValidationError, match="attended"):
        ConversationForm(held_on=date(2026, 3, 10), attended=[], follow_up_on=date(2026, 4, 1))
    with pytest.raises(ValidationError, match="follow_up_on"):
        ConversationForm(
            held_on=date(2026, 3, 10), attended=["chef"], follow_up_on=date(2026, 3, 1)
        )
    with pytest.raises(ValidationError, match="Extra inputs"):
        ConversationForm(
            held_on=date(2026, 3, 10), attended=["c"], follow_up_on=date(2026, 4, 1), mood="ok"
        )


def test_note_headings_are_a_closed_list_with_skr_labels():
    assert len(domain.HEADING_SV) == len(NoteHeading) == 8
    assert domain.HEADING_SV[NoteHeading.ROUTINE_TALK] == "Rutinsamtal"
    note = {"heading": "routine_talk", "activity": "samtal", "minutes": 60}
    assert domain.Note(**note).heading is NoteHeading.ROUTINE_TALK
    with pytest.raises(ValidationError):
        domain.Note(**{**note, "heading": "Kartläggning medarbetare"})
    assert domain.accepts_support(NoteHeading.CONSENT_TO_START)
    assert not domain.accepts_support(NoteHeading.OTHER)


# --- the action plan ---------------------------------------------------------------------------


def plan(**changes) -> dict:
    fields = {
        "start_on": "2026-03-10",
        "end_on": "2026-05-05",
        "goal": {"text": "tillbaka på 100 % inom 8 veckor", "due_on": "2026-05-05"},
        "sub_goals": [{"text": "tillbaka på 50 % inom 4 veckor", "due_on": "2026-04-07"}],
        "activities": [
            {"id": "a1", "description": "anpassat schema", "owner_id": "m", "due_on": "2026-03-20"}
        ],
        "follow_ups": [{"id": "f1", "on": "2026-04-07"}],
    }
    return {**fields, **changes}


def test_a_plan_has_dated_goals_activities_with_owners_and_follow_ups():
    parsed = ActionPlan(**plan())
    assert parsed.sub_goals[0].due_on == date(2026, 4, 7)
    with pytest.raises(ValidationError, match="due_on"):
        ActionPlan(**plan(goal={"text": "må bättre"}))
    with pytest.raises(ValidationError, match="owner_id"):
        ActionPlan(**plan(activities=[{"id": "a", "description": "x", "due_on": "2026-03-20"}]))
    with pytest.raises(ValidationError, match="before start_on"):
        ActionPlan(**plan(follow_ups=[{"id": "f1", "on": "2026-03-01"}]))
    with pytest.raises(ValidationError, match="unique"):
        ActionPlan(**plan(follow_ups=[{"id": "a1", "on": "2026-04-01"}]))


# --- reminders ---------------------------------------------------------------------------------


def item(due: date, *, done: bool = False, item_id: str = "a1") -> Dated:
    return Dated(ReminderItem.ACTIVITY, item_id, "m", due, done)


def test_a_reminder_before_the_date_and_one_when_it_passed():
    due = date(2026, 3, 20)
    remind = domain.reminders_due
    assert remind([item(due)], today=date(2026, 3, 16), lead_days=3, already=set()) == []
    (before,) = remind([item(due)], today=date(2026, 3, 17), lead_days=3, already=set())
    assert before.kind is ReminderKind.DUE
    (after,) = remind([item(due)], today=date(2026, 3, 21), lead_days=3, already=set())
    assert after.kind is ReminderKind.OVERDUE
    assert remind([item(due, done=True)], today=date(2026, 3, 21), lead_days=3, already=set()) == []


@given(
    due_offset=st.integers(min_value=0, max_value=30),
    lead_days=st.integers(min_value=0, max_value=7),
    days=st.lists(st.integers(min_value=0, max_value=45), min_size=1, max_size=30),
)
def test_each_reminder_goes_exactly_once_whichever_days_are_looked_at(due_offset, lead_days, days):
    start = date(2026, 3, 1)
    due = start + timedelta(days=due_offset)
    sent: list[ReminderKind] = []
    already: set = set()
    for offset in sorted(set(days)):
        today = start + timedelta(days=offset)
        for reminder in domain.reminders_due(
            [item(due)], today=today, lead_days=lead_days, already=already
        ):
            sent.append(reminder.kind)
            already.add((reminder.item.kind.value, reminder.item.item_id, reminder.kind))
    looked = [start + timedelta(days=d) for d in set(days)]
    assert sent.count(ReminderKind.DUE) <= 1 and sent.count(ReminderKind.OVERDUE) <= 1
    assert (ReminderKind.OVERDUE in sent) == any(d > due for d in looked)
    in_window = any(due - timedelta(days=lead_days) <= d <= due for d in looked)
    assert (ReminderKind.DUE in sent) == in_window


def test_dated_items_follow_the_status():
    parsed = ActionPlan(**plan())
    talk = domain.dated_items(
        case_id="c", status=S.BOOKED, owner_id="m", due_on=date(2026, 3, 16), plan=None
    )
    assert [(i.kind, i.item_id) for i in talk] == [(ReminderItem.CONVERSATION, "c")]
    running = domain.dated_items(
        case_id="c", status=S.PLAN_RUNNING, owner_id="m", due_on=date(2026, 3, 16), plan=parsed
    )
    assert [(i.kind, i.item_id) for i in running] == [
        (ReminderItem.ACTIVITY, "a1"),
        (ReminderItem.FOLLOW_UP, "f1"),
    ]
    assert (
        domain.dated_items(
            case_id="c", status=S.CLOSED, owner_id="m", due_on=date(2026, 3, 16), plan=parsed
        )
        == []
    )


# --- consent -----------------------------------------------------------------------------------


def test_consent_is_valid_at_most_a_year_and_revocable():
    given_on = date(2026, 3, 10)
    consent = domain.new_consent(Party.HEALTHCARE, given_on=given_on)
    assert consent.valid_until == date(2027, 3, 9)
    assert domain.may_share_with([consent], Party.HEALTHCARE, date(2027, 3, 9))
    assert not domain.may_share_with([consent], Party.HEALTHCARE, date(2027, 3, 10))
    assert not domain.may_share_with([consent], Party.HEALTHCARE, date(2026, 3, 9))
    assert not domain.may_share_with([consent], Party.FORSAKRINGSKASSAN, date(2026, 4, 1))
    revoked = domain.revoke(consent, on=date(2026, 4, 1))
    assert domain.may_share_with([revoked], Party.HEALTHCARE, date(2026, 3, 31))
    assert not domain.may_share_with([revoked], Party.HEALTHCARE, date(2026, 4, 1))
    assert domain.revoke(revoked, on=date(2026, 5, 1)).revoked_on == date(2026, 4, 1)
    with pytest.raises(NoConsent, match="samtycke"):
        domain.check_may_share([revoked], Party.HEALTHCARE, date(2026, 4, 2))
    with pytest.raises(InvalidInput, match="at most a year"):
        domain.new_consent(Party.HEALTHCARE, given_on=given_on, valid_until=date(2027, 3, 10))
    with pytest.raises(InvalidInput):
        domain.new_consent(Party.HEALTHCARE, given_on=given_on, valid_until=date(2026, 3, 9))


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31)))
def test_a_consent_never_outlives_a_year(given_on):
    until = domain.latest_valid_until(given_on)
    assert given_on < until
    assert (until - given_on).days <= 365


# --- monthly figures ---------------------------------------------------------------------------


def test_monthly_figures_since_start_and_last_month():
    cases = [
        CaseFacts(opened_on=date(2026, 1, 5), accepted_on=date(2026, 1, 12)),  # ongoing
        CaseFacts(
            opened_on=date(2026, 1, 8), accepted_on=date(2026, 1, 15), closed_on=date(2026, 2, 26)
        ),
        CaseFacts(opened_on=date(2026, 2, 2), declined_on=date(2026, 2, 3)),
        CaseFacts(opened_on=date(2026, 2, 9)),  # offered, no answer yet
        CaseFacts(opened_on=date(2026, 2, 10), withdrawn=True),  # not counted
    ]
    found = domain.monthly_figures(cases, today=date(2026, 3, 4))
    since = found["since_start"]
    assert (since.offered, since.declined, since.accepted, since.closed, since.ongoing) == (
        4,
        1,
        2,
        1,
        1,
    )
    assert since.period_start == date(2026, 1, 5)
    assert since.average_weeks == 6.0
    assert since.as_dict()["share_of_offered_percent"] == {
        "offered": 100.0,
        "declined": 25.0,
        "accepted": 50.0,
        "closed": 25.0,
        "ongoing": 25.0,
    }
    month = found["last_month"]
    assert (month.period_start, month.period_end) == (date(2026, 2, 1), date(2026, 2, 28))
    assert (month.offered, month.declined, month.accepted, month.closed, month.ongoing) == (
        2,
        1,
        0,
        1,
        1,
    )


def test_figures_without_cases_have_no_shares():
    empty = domain.figures([], date(2026, 1, 1), date(2026, 1, 31))
    assert empty.offered == 0 and empty.share(0) is None and empty.average_weeks is None


# --- access ------------------------------------------------------------------------------------

PEOPLE = CasePeople(
    department_id="d",
    managers=frozenset({"m"}),
    hr_specialist_id="hr-d",
    rehab_coordinators=frozenset({"rc"}),
)


@pytest.mark.parametrize(
    ("principal", "allowed"),
    [
        (Principal("m", Role.MANAGER), True),
        (Principal("other-manager", Role.MANAGER), False),
        (Principal("hr-x", Role.HR, departments=frozenset({"d"})), True),
        (Principal("hr-d", Role.HR), True),  # the directory's HR specialist
        (Principal("hr-y", Role.HR, departments=frozenset({"elsewhere"})), False),
        (Principal("rc", Role.REHAB), True),
        (Principal("rc-2", Role.REHAB), False),
        (Principal("m", Role.NURSE), False),
        (Principal("m", Role.ADMIN), False),
        (Principal("m", Role.CRISIS), False),
    ],
)
def test_only_the_people_on_the_case_may_access_it(principal, allowed):
    assert may_access(principal, PEOPLE) is allowed


@pytest.mark.parametrize(
    ("owner_role", "owner_id", "rehab_named", "expected"),
    [
        ("rehab_coordinator", "rc-1", True, {"rc-1"}),  # taken: its owner alone
        ("rehab_coordinator", None, True, {"rc-1", "rc-2"}),  # not yet: whoever may take it
        ("manager", "m", True, {"rc-1", "rc-2"}),  # the trigger named rehab too
        ("manager", "m", False, set()),  # an omtankesamtal: no rehab coordinator on it
    ],
)
def test_the_rehab_coordinator_on_the_case(owner_role, owner_id, rehab_named, expected):
    found = rehab_on_case(
        owner_role=owner_role,
        owner_id=owner_id,
        rehab_named=rehab_named,
        in_scope=["rc-1", "rc-2"],
    )
    assert found == expected
