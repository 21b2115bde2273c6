"""`halsosupport.cases.v1`: what happened to the support a trigger asked for (issue 9).

Pseudonymous ids, dates, statuses and categories only, keyed by the employee. The documentation
itself (conversation forms, notes, plans, free-text reasons) never leaves the cases database:
it is health data, readable by the people on the case alone.
"""

from datetime import date
from enum import StrEnum
from typing import ClassVar, Literal

from pydantic import Field

from schemas import topics
from schemas.envelope import EmployeeEvent


class CaseStatus(StrEnum):
    """Where a case stands. The first five are the issue's; the last two end a case that never
    became support (the employee said no, or the trigger's basis went)."""

    OPEN = "open"
    BOOKED = "booked"  # samtal bokat
    HELD = "held"  # samtal hållet och dokumenterat
    PLAN_RUNNING = "plan_running"  # handlingsplan pågår
    CLOSED = "closed"
    DECLINED = "declined"  # avböjt stöd
    WITHDRAWN = "withdrawn"  # the trigger was withdrawn before anything was documented


class ConversationKind(StrEnum):
    OMTANKESAMTAL = "omtankesamtal"
    TREPARTSSAMTAL = "trepartssamtal"


class OwnerRole(StrEnum):
    """Who holds the conversation: the manager, or the line's rehab coordinator."""

    MANAGER = "manager"
    REHAB_COORDINATOR = "rehab_coordinator"


class Outcome(StrEnum):
    """How support ended (SKR: överlämning vid avslut)."""

    BACK_IN_ORDINARY_WORK = "back_in_ordinary_work"
    ADAPTED_WORK = "adapted_work"
    REFERRED_ON = "referred_on"


class DeclineReason(StrEnum):
    """Why the employee declined the support offered (SKR's "Avböjt stöd" tab)."""

    NO_NEED = "no_need"
    SUPPORT_ELSEWHERE = "support_elsewhere"  # e.g. already in care or occupational health
    NO_TIME = "no_time"
    DOES_NOT_WANT = "does_not_want"
    OTHER = "other"


class Party(StrEnum):
    """Outside parties the employee may consent to sharing with (SKR's consent form)."""

    HEALTHCARE = "healthcare"  # hälso- och sjukvården
    FORSAKRINGSKASSAN = "forsakringskassan"
    EMPLOYMENT_SERVICE = "employment_service"  # Arbetsförmedlingen
    SOCIAL_SERVICES = "social_services"  # socialtjänsten
    OTHER = "other"


class ReminderItem(StrEnum):
    """What a reminder is about: the case's conversation, a plan activity or a follow-up."""

    CONVERSATION = "conversation"
    ACTIVITY = "activity"
    FOLLOW_UP = "follow_up"


class CaseEvent(EmployeeEvent):
    """Every case event names its case; org carries the units stats counts by."""

    case_id: str = Field(min_length=1, max_length=64)


class CaseOpened(CaseEvent):
    topic: ClassVar[str] = topics.CASES
    event_type: Literal["CaseOpened"] = "CaseOpened"

    trigger_id: str
    rule_id: str
    conversation_kind: ConversationKind
    owner_role: OwnerRole
    owner_id: str | None = None
    opened_on: date
    due_on: date


class CaseStatusChanged(CaseEvent):
    topic: ClassVar[str] = topics.CASES
    event_type: Literal["CaseStatusChanged"] = "CaseStatusChanged"

    from_status: CaseStatus
    to_status: CaseStatus
    on: date


class CaseClosed(CaseEvent):
    topic: ClassVar[str] = topics.CASES
    event_type: Literal["CaseClosed"] = "CaseClosed"

    outcome: Outcome
    closed_on: date
    accepted_on: date | None = None


class SupportDeclined(CaseEvent):
    topic: ClassVar[str] = topics.CASES
    event_type: Literal["SupportDeclined"] = "SupportDeclined"

    reason_category: DeclineReason
    declined_on: date


class _Reminder(CaseEvent):
    """For the notifier: whom to remind of which dated item. No text of the item itself."""

    owner_id: str
    item_kind: ReminderItem
    item_id: str
    due_on: date


class ActionDue(_Reminder):
    topic: ClassVar[str] = topics.CASES
    event_type: Literal["ActionDue"] = "ActionDue"


class ActionOverdue(_Reminder):
    topic: ClassVar[str] = topics.CASES
    event_type: Literal["ActionOverdue"] = "ActionOverdue"


class ConsentRecorded(CaseEvent):
    topic: ClassVar[str] = topics.CASES
    event_type: Literal["ConsentRecorded"] = "ConsentRecorded"

    consent_id: str
    party: Party
    given_on: date
    valid_until: date


class ConsentRevoked(CaseEvent):
    topic: ClassVar[str] = topics.CASES
    event_type: Literal["ConsentRevoked"] = "ConsentRevoked"

    consent_id: str
    party: Party
    revoked_on: date
