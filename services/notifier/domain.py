"""Who is told what, without I/O. The rendering data never holds a reason unless the employee
shared it: a withheld reason is replaced by the words of the sources before it is stored."""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from halsosupport.localtime import STOCKHOLM, local_date
from schemas.cases import ActionDue, ActionOverdue
from schemas.reasons import CONFIDENTIAL_SV, WITHHELD_SV, reason_label
from schemas.reports import AbsenceType, ReasonVisibility, SickReported, WellReported
from schemas.triggers import RecipientRole, TriggerFired, TriggerWithdrawn

EMAIL = "email"
SMS = "sms"
PERSON, CONTACT, ADDRESS = "person", "contact", "address"

ABSENCE_LABELS = {AbsenceType.SICK: "Sjukdom", AbsenceType.VAB: "Vård av barn (VAB)"}
WITHHELD_TEXT = {
    ReasonVisibility.WITHHELD: WITHHELD_SV,
    ReasonVisibility.CONFIDENTIAL: CONFIDENTIAL_SV,
}
# Rules that reach the employee by SMS; other rules have nothing to say to the employee.
SMS_TEMPLATES = {
    "certificate_reminder": "sms_certificate_reminder",
    "well_report_missing": "sms_well_report_missing",
}
CONTACT_ROLES = {
    RecipientRole.REHAB_COORDINATOR,
    RecipientRole.PAYROLL,
    RecipientRole.OCCUPATIONAL_HEALTH,
}


@dataclass(frozen=True)
class Recipient:
    kind: str  # person | contact | address
    recipient_id: str | None  # None: the manager, found when sending (the directory is late)
    role: str


@dataclass(frozen=True)
class Routing:
    """The people who can act for a workplace, from the directory (ids, not addresses)."""

    manager_id: str | None = None
    deputy_manager_id: str | None = None
    hr_specialist_id: str | None = None
    scheduler_id: str | None = None
    department_id: str | None = None
    # role -> contact ids for the department (or the whole organisation)
    contacts: dict[str, tuple[str, ...]] = field(default_factory=dict)
    away: frozenset[str] = frozenset()  # people away sick themselves

    def nearest_manager(self, employee_id: str | None = None) -> str | None:
        """The manager; when missing or away (or the employee themself), the deputy; then the
        department's HR specialist."""
        for candidate in (self.manager_id, self.deputy_manager_id, self.hr_specialist_id):
            if candidate and candidate not in self.away and candidate != employee_id:
                return candidate
        return None

    def recipients(self, role: RecipientRole, employee_id: str) -> list[Recipient]:
        """Who holds `role` for this employee; nobody for the nurse (her list is the console)."""
        if role is RecipientRole.MANAGER:
            # Nobody known yet: recorded all the same, and addressed once the directory knows.
            return [Recipient(PERSON, self.nearest_manager(employee_id), role.value)]
        elif role is RecipientRole.DEPUTY_MANAGER:
            ids = [self.deputy_manager_id]
        elif role is RecipientRole.HR_SPECIALIST:
            ids = [self.hr_specialist_id]
        elif role is RecipientRole.SCHEDULER:
            ids = [self.scheduler_id]
        elif role is RecipientRole.EMPLOYEE:
            ids = [employee_id]
        elif role in CONTACT_ROLES:
            return [Recipient(CONTACT, c, role.value) for c in self.contacts.get(role.value, ())]
        else:
            ids = []
        return [Recipient(PERSON, i, role.value) for i in ids if i]


@dataclass(frozen=True)
class PlannedMessage:
    """A message to be written to the outbox table before anything is sent."""

    dedupe_key: str
    source_event_id: str
    employee_id: str
    workplace_id: str
    recipient: Recipient
    channel: str
    template: str
    context: dict[str, Any]
    trigger_id: str | None = None


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
    event: Any,
    recipient: Recipient,
    template: str,
    context: dict[str, Any],
    *,
    channel: str = EMAIL,
    trigger_id: str | None = None,
) -> PlannedMessage:
    return PlannedMessage(
        dedupe_key=f"{event.event_id}:{recipient.kind}:{recipient.recipient_id}:{channel}",
        source_event_id=str(event.event_id),
        employee_id=event.employee_id,
        workplace_id=event.org.workplace_id,
        recipient=recipient,
        channel=channel,
        template=template,
        context={**context, "recipient_role": recipient.role},
        trigger_id=trigger_id,
    )


def _manager_and_scheduler(
    event: SickReported | WellReported,
    routing: Routing,
    manager_template: str,
    manager_context: dict[str, Any],
    scheduler_template: str,
    scheduler_context: dict[str, Any],
) -> list[PlannedMessage]:
    planned = [
        _planned(event, r, manager_template, manager_context)
        for r in routing.recipients(RecipientRole.MANAGER, event.employee_id)
    ]
    told = {p.recipient.recipient_id for p in planned}
    planned += [
        _planned(event, r, scheduler_template, scheduler_context)
        for r in routing.recipients(RecipientRole.SCHEDULER, event.employee_id)
        if r.recipient_id not in told and r.recipient_id != event.employee_id
    ]
    return planned


def plan_sick_reported(event: SickReported, routing: Routing) -> list[PlannedMessage]:
    """The nearest manager hears at once: dates, type, degree and the reason only if shared.
    The scheduler hears who is away and until when, never why."""
    manager = {
        "reported_on": local_date(event.occurred_at).isoformat(),
        "sick_from": event.sick_from.isoformat(),
        "absence": ABSENCE_LABELS[event.absence_type],
        "absence_type": event.absence_type.value,
        "degree_percent": event.degree_percent,
        "reason": reason_text(event.reason_visibility, event.reason_category),
        "work_related": event.work_related,
        "expected_return": _iso(event.expected_return),
    }
    scheduler = {
        "away_from": event.sick_from.isoformat(),
        "expected_return": manager["expected_return"],
    }
    return _manager_and_scheduler(
        event, routing, "sick_reported", manager, "scheduler_away", scheduler
    )


def plan_well_reported(
    event: WellReported, routing: Routing, sick_from: date | None = None
) -> list[PlannedMessage]:
    manager = {"well_from": event.well_from.isoformat(), "sick_from": _iso(sick_from)}
    scheduler = {"back_from": event.well_from.isoformat()}
    return _manager_and_scheduler(
        event, routing, "well_reported", manager, "scheduler_back", scheduler
    )


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
        "sick_from": event.occasions[-1].sick_from.isoformat() if event.occasions else None,
        "day_number": event.day_number,
        "explanation": event.explanation,
    }
    planned: list[PlannedMessage] = []
    seen: set[tuple[str, str | None, str]] = set()
    for role in event.recipient_roles:
        for recipient in routing.recipients(role, event.employee_id):
            channel = SMS if role is RecipientRole.EMPLOYEE else EMAIL
            if channel == SMS and event.rule_id not in SMS_TEMPLATES:
                continue
            key = (recipient.kind, recipient.recipient_id, channel)
            if key in seen:  # one person holding two of the rule's roles hears once
                continue
            seen.add(key)
            template = SMS_TEMPLATES[event.rule_id] if channel == SMS else "trigger"
            planned.append(
                _planned(
                    event,
                    recipient,
                    template,
                    context,
                    channel=channel,
                    trigger_id=event.trigger_id,
                )
            )
    return planned


def plan_trigger_withdrawn(event: TriggerWithdrawn, told: list[Recipient]) -> list[PlannedMessage]:
    """The same people who were told of the trigger by mail hear that it no longer stands."""
    context = {"rule_id": event.rule_id, "why": event.why}
    return [
        _planned(event, r, "trigger_withdrawn", context, trigger_id=event.trigger_id) for r in told
    ]


CASE_OWNER = "case_owner"


def plan_case_reminder(event: ActionDue | ActionOverdue, owner: Recipient) -> list[PlannedMessage]:
    """The owner of a case's dated item hears before the date and once it passed: which kind
    of item, which case, which date. The event carries nothing of the documentation, nor does
    the message."""
    template = "case_action_due" if isinstance(event, ActionDue) else "case_action_overdue"
    context = {
        "case_id": event.case_id,
        "item_kind": event.item_kind.value,
        "due_on": event.due_on.isoformat(),
    }
    return [_planned(event, owner, template, context)]


def is_urgent(template: str, rule_id: str | None, urgent: list[str]) -> bool:
    """Urgent messages skip the digest: named by template, or by rule id for triggers."""
    return template in urgent or (rule_id is not None and rule_id in urgent)


def next_digest_at(now: datetime, at: str) -> datetime:
    """The next morning digest time (local, e.g. "07:00") after `now`, as an aware datetime."""
    hour, minute = (int(part) for part in at.split(":"))
    local_now = now.astimezone(STOCKHOLM)
    candidate = datetime.combine(local_now.date(), time(hour, minute), tzinfo=STOCKHOLM)
    if candidate <= local_now:
        candidate = datetime.combine(
            local_now.date() + timedelta(days=1), time(hour, minute), tzinfo=STOCKHOLM
        )
    return candidate.astimezone(UTC)  # stored and compared in UTC (SQLite compares text)


def crisis_mail_due(now: datetime, at: str) -> date | None:
    """The day whose crisis mail is due now (at or after the configured local time)."""
    hour, minute = (int(part) for part in at.split(":"))
    local_now = now.astimezone(STOCKHOLM)
    return local_now.date() if local_now.time() >= time(hour, minute) else None


# --- when to try again ------------------------------------------------------------------------


@dataclass(frozen=True)
class RetryPolicy:
    """How long a message may take: tries at its provider for `send_for` after it was due, the
    wait between them doubling from `base_s` up to `cap_s`; and how long it may wait for the
    directory. Bounded by time, not by a count of tries: a mail server away for an hour is
    away for an hour however often it is asked (mail servers themselves keep trying for days)."""

    send_for: timedelta
    base_s: float
    cap_s: float
    directory_wait: timedelta


@dataclass(frozen=True)
class Deferral:
    """What becomes of a message that could not go now: tried again at `next_attempt_at`, or
    failed (None) with `error` as the reason."""

    attempts: int
    next_attempt_at: datetime | None
    error: str

    @property
    def failed(self) -> bool:
        return self.next_attempt_at is None


def after_send_error(
    *,
    attempts: int,
    error: str,
    due_since: datetime,
    now: datetime,
    policy: RetryPolicy,
    jitter: float,
) -> Deferral:
    """A provider that answered "later" (or not at all) is asked again, the wait doubling from
    `base_s` up to `cap_s`; an error once `policy.send_for` has passed since the message was due
    fails it. The last try is at that bound, not past it. `jitter` (0.5 to 1) spreads the
    retries of many messages."""
    spent = attempts + 1
    deadline = due_since + policy.send_for
    if now >= deadline:
        return Deferral(spent, None, error)
    delay = min(policy.cap_s, policy.base_s * 2 ** min(spent - 1, 32))
    return Deferral(spent, min(now + timedelta(seconds=delay * jitter), deadline), error)


def while_directory_lags(
    *,
    attempts: int,
    missing: str,
    due_since: datetime,
    now: datetime,
    policy: RetryPolicy,
    jitter: float,
) -> Deferral:
    """A recipient or employee the directory does not know yet (its event has not arrived, or
    the workplace has no manager yet) is waited for without spending an attempt: lag on the
    directory topic says nothing about the provider, and must not use up the attempts kept
    for a provider outage. The message stays pending, its error saying what it waits for; it is
    looked at again after about as long as it has waited (from `base_s` up to `cap_s`). Once
    `policy.directory_wait` has passed since it was due, it fails, naming what was missing."""
    deadline = due_since + policy.directory_wait
    if now >= deadline:
        waited_for = _span(policy.directory_wait)
        return Deferral(attempts, None, f"not in the directory after {waited_for}: {missing}")
    waited = (now - due_since).total_seconds()
    delay = timedelta(seconds=min(policy.cap_s, max(policy.base_s, waited)) * jitter)
    return Deferral(
        attempts, min(now + delay, deadline), f"waiting for the directory: {missing} not known yet"
    )


def _span(length: timedelta) -> str:
    seconds = length.total_seconds()
    if seconds >= 3600:
        return f"{seconds / 3600:g} h"
    return f"{seconds / 60:g} min" if seconds >= 60 else f"{seconds:g} s"


def due_since(created_at: datetime, digest: bool, digest_time: str) -> datetime:
    """When a message first became due: when it was recorded, or for one that waits for its
    recipient's morning digest, that digest's time."""
    return next_digest_at(created_at, digest_time) if digest else created_at
