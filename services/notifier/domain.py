"""Who is told what, without I/O. The rendering data never holds a reason unless the employee
shared it: a withheld reason is replaced by the words of the sources before it is stored."""

from dataclasses import dataclass
from datetime import date
from typing import Any

from halsosupport.localtime import local_date
from schemas.reasons import CONFIDENTIAL_SV, WITHHELD_SV, reason_label
from schemas.reports import AbsenceType, ReasonVisibility, SickReported, WellReported
from schemas.triggers import TriggerFired, TriggerWithdrawn

EMAIL = "email"

ABSENCE_LABELS = {AbsenceType.SICK: "Sjukdom", AbsenceType.VAB: "Vård av barn (VAB)"}
WITHHELD_TEXT = {
    ReasonVisibility.WITHHELD: WITHHELD_SV,
    ReasonVisibility.CONFIDENTIAL: CONFIDENTIAL_SV,
}
RULE_TEMPLATES = {"omtankesamtal": "trigger_omtankesamtal"}


@dataclass(frozen=True)
class Routing:
    """The people who can act for a workplace, from the directory (ids, not addresses)."""

    manager_id: str | None = None
    deputy_manager_id: str | None = None
    hr_specialist_id: str | None = None

    def nearest_manager(self) -> str | None:
        """The manager; when missing, the deputy; then the department's HR specialist."""
        return self.manager_id or self.deputy_manager_id or self.hr_specialist_id


@dataclass(frozen=True)
class PlannedMessage:
    """A message to be written to the outbox table before anything is sent."""

    dedupe_key: str
    source_event_id: str
    employee_id: str
    workplace_id: str
    recipient_id: str | None
    channel: str
    template: str
    context: dict[str, Any]


def reason_text(visibility: ReasonVisibility, category: str | None) -> str:
    """What the manager may read about the reason."""
    if visibility is not ReasonVisibility.SHARED:
        return WITHHELD_TEXT[visibility]
    if category is None:
        return "Ej angiven"
    return reason_label(category)


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def _planned(
    event: Any, recipient_id: str | None, template: str, context: dict[str, Any]
) -> PlannedMessage:
    return PlannedMessage(
        dedupe_key=f"{event.event_id}:{recipient_id}:{EMAIL}",
        source_event_id=str(event.event_id),
        employee_id=event.employee_id,
        workplace_id=event.org.workplace_id,
        recipient_id=recipient_id,
        channel=EMAIL,
        template=template,
        context=context,
    )


def plan_sick_reported(event: SickReported, routing: Routing) -> list[PlannedMessage]:
    """The nearest manager hears at once: dates, type, degree and the reason only if shared."""
    context = {
        "reported_on": local_date(event.occurred_at).isoformat(),
        "sick_from": event.sick_from.isoformat(),
        "absence": ABSENCE_LABELS[event.absence_type],
        "degree_percent": event.degree_percent,
        "reason": reason_text(event.reason_visibility, event.reason_category),
        "work_related": event.work_related,
        "expected_return": _iso(event.expected_return),
    }
    return [_planned(event, routing.nearest_manager(), "sick_reported", context)]


def plan_well_reported(event: WellReported, routing: Routing) -> list[PlannedMessage]:
    context = {"well_from": event.well_from.isoformat()}
    return [_planned(event, routing.nearest_manager(), "well_reported", context)]


def plan_trigger_fired(event: TriggerFired, routing: Routing) -> list[PlannedMessage]:
    """The rule's recipients: what it asks of them, by when, and the dates it counted."""
    context = {
        "rule_id": event.rule_id,
        "occasion_count": event.occasion_count,
        "window_start": event.window_start.isoformat(),
        "window_end": event.window_end.isoformat(),
        "due_on": _iso(event.due_on),
        "occasions": [
            {"sick_from": o.sick_from.isoformat(), "well_from": _iso(o.well_from)}
            for o in event.occasions
        ],
        "policy_version": event.policy_version,
    }
    template = RULE_TEMPLATES.get(event.rule_id, "trigger_generic")
    recipients = {routing.nearest_manager()} if "manager" in event.recipient_roles else set()
    if "hr_specialist" in event.recipient_roles:
        recipients.add(routing.hr_specialist_id)
    return [_planned(event, r, template, context) for r in sorted(recipients, key=str)]


def plan_trigger_withdrawn(event: TriggerWithdrawn, routing: Routing) -> list[PlannedMessage]:
    context = {"rule_id": event.rule_id, "why": event.why}
    return [_planned(event, routing.nearest_manager(), "trigger_withdrawn", context)]
