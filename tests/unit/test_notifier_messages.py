"""What people are told: routing, content, and no withheld reason anywhere."""

import itertools
import uuid
from datetime import UTC, date, datetime

import pytest

from schemas.envelope import Channel, OrgRef, Source
from schemas.reasons import REASON_LABELS_SV
from schemas.reports import AbsenceType, ReasonVisibility, SickReported, WellReported
from schemas.triggers import Occasion, RecipientRole, TriggerFired, TriggerWithdrawn
from services.intake.settings import DEFAULT_REASON_CATEGORIES
from services.notifier import domain
from services.notifier.rendering import Renderer

ORG = OrgRef(workplace_id="w1", department_id="d1", manager_id="m1")
SOURCE = Source(channel=Channel.NURSE, registered_by="n1")
AT = datetime(2026, 11, 22, 7, 30, tzinfo=UTC)
NAMES = {
    "employee_name": "Anna Andersson",
    "recipient_name": "Lena Chef",
    "employee_url": "http://127.0.0.1:8000/console#employee=e1",
}


def sick(visibility=ReasonVisibility.SHARED, reason="gastrointestinal", **kw) -> SickReported:
    return SickReported(
        event_id=uuid.uuid4(),
        occurred_at=AT,
        source=SOURCE,
        employee_id="e1",
        org=ORG,
        spell_id="s1",
        absence_type=kw.get("absence_type", AbsenceType.SICK),
        sick_from=date(2026, 11, 22),
        degree_percent=50,
        reason_category=reason if visibility is ReasonVisibility.SHARED else None,
        reason_visibility=visibility,
        work_related=True,
        expected_return=date(2026, 11, 25),
    )


def render(planned: domain.PlannedMessage) -> str:
    rendered = Renderer().render(planned.template, {**planned.context, **NAMES})
    return rendered.subject + "\n" + rendered.text


def test_the_manager_gets_name_dates_type_degree_reason_and_expected_return():
    (message,) = domain.plan_sick_reported(sick(), domain.Routing(manager_id="m1"))
    text = render(message)
    assert message.recipient.recipient_id == "m1"
    for expected in [
        "Anna Andersson",
        "2026-11-22",
        "Sjukdom",
        "50 %",
        "Mag- och tarmbesvär",
        "Arbetsrelaterad:     Ja",
        "2026-11-25",
        "ersätter inte din egen kontakt med medarbetaren",
    ]:
        assert expected in text


@pytest.mark.parametrize(
    ("visibility", "words"),
    [(ReasonVisibility.WITHHELD, "Vill ej ange"), (ReasonVisibility.CONFIDENTIAL, "Sekretess")],
)
def test_a_withheld_reason_is_replaced_by_the_words_of_the_sources(visibility, words):
    (message,) = domain.plan_sick_reported(sick(visibility), domain.Routing(manager_id="m1"))
    assert f"Orsak:               {words}" in render(message)


def test_no_withheld_reason_appears_in_any_message_of_any_template():
    """Even if a producer wrongly put the reason on the wire, no stored context or rendered text
    may carry it (the event model refuses it too)."""
    labels = set(REASON_LABELS_SV.values()) | set(DEFAULT_REASON_CATEGORIES)
    for visibility in (ReasonVisibility.WITHHELD, ReasonVisibility.CONFIDENTIAL):
        event = sick(visibility).model_copy(update={"reason_category": "mental_ill_health"})
        for message in domain.plan_sick_reported(event, domain.Routing(manager_id="m1")):
            text = render(message) + repr(message.context)
            assert not [label for label in labels if label in text]


def test_vab_is_named_as_such():
    (message,) = domain.plan_sick_reported(sick(absence_type=AbsenceType.VAB), domain.Routing("m1"))
    assert "Vård av barn (VAB)" in render(message)


@pytest.mark.parametrize(
    ("routing", "recipient"),
    [
        (domain.Routing("m1", "dep", "hr"), "m1"),
        (domain.Routing(None, "dep", "hr"), "dep"),
        (domain.Routing(None, None, "hr"), "hr"),
        (domain.Routing(None, None, None), None),
    ],
)
def test_without_a_manager_the_deputy_then_hr_is_told(routing, recipient):
    assert domain.plan_sick_reported(sick(), routing)[0].recipient.recipient_id == recipient


def test_the_omtankesamtal_mail_lists_dates_due_date_and_the_dialogue_guide_but_no_reason():
    fired = TriggerFired(
        event_id=uuid.uuid4(),
        occurred_at=AT,
        source=SOURCE,
        employee_id="e1",
        org=ORG,
        trigger_id="t1",
        rule_id="omtankesamtal",
        policy_version="halsosupport-2.0@1",
        occasion_count=4,
        window_start=date(2025, 11, 23),
        window_end=date(2026, 11, 22),
        spell_ids=["a", "b", "c", "d"],
        occasions=[
            Occasion(spell_id=s, sick_from=date(2026, m, 1), well_from=date(2026, m, 2))
            for s, m in zip("abcd", [2, 5, 8, 11], strict=True)
        ],
        due_on=date(2026, 12, 6),
        recipient_roles=[RecipientRole.MANAGER],
    )
    (message,) = domain.plan_trigger_fired(fired, domain.Routing("m1"))
    text = render(message)
    for expected in [
        "Omtankesamtal",
        "4 sjukfrånvarotillfällen",
        "2026-12-06",
        "från 2026-08-01",
        "Arbetets faktorer",
        "Medicinska faktorer",
        "Privata faktorer",
        "Vad hindrar? Vad möjliggör?",
    ]:
        assert expected in text


def test_every_template_renders_with_the_data_its_planner_provides():
    """StrictUndefined makes a missing field an error; render every planner's output."""
    well = WellReported(
        event_id=uuid.uuid4(),
        occurred_at=AT,
        source=SOURCE,
        employee_id="e1",
        org=ORG,
        spell_id="s1",
        well_from=date(2026, 11, 25),
    )
    withdrawn = TriggerWithdrawn(
        event_id=uuid.uuid4(),
        occurred_at=AT,
        source=SOURCE,
        employee_id="e1",
        org=ORG,
        trigger_id="t1",
        rule_id="omtankesamtal",
        why="a spell was retracted",
    )
    planned = list(
        itertools.chain(
            domain.plan_sick_reported(sick(), domain.Routing("m1")),
            domain.plan_well_reported(well, domain.Routing("m1")),
            domain.plan_trigger_withdrawn(withdrawn, [domain.Recipient("person", "m1", "manager")]),
        )
    )
    used = {p.template for p in planned}
    assert "åter i arbete från 2026-11-25" in render(planned[1])
    assert "gäller inte längre" in render(planned[2])
    assert used <= set(Renderer().templates())


def test_the_dedupe_key_is_event_recipient_and_channel():
    event = sick()
    (message,) = domain.plan_sick_reported(event, domain.Routing("m1"))
    assert message.dedupe_key == f"{event.event_id}:person:m1:email"
