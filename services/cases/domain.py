"""The rules of a support case, pure: which triggers open one and who owns it, the status
machine, the documentation's shape (the omtankesamtal dialogue guide, SKR's note headings and
individual plan), reminders, consent and the monthly figures.

Sources: the omtankesamtal dialogue guide (the form), SKR's method support (note headings,
"mål och delmål" that are dated, consent for at most a year and revocable, "Avböjt stöd", the
monthly evaluation: offered, declined, accepted, closed, ongoing as shares of offered, average
weeks per case). No I/O here: handlers load, call these and save.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from schemas.cases import (
    CaseStatus,
    ConversationKind,
    Outcome,
    OwnerRole,
    Party,
    ReminderItem,
)
from schemas.triggers import RecipientRole, TriggerFired

S = CaseStatus

# --- opening a case ----------------------------------------------------------------------------

# Roles that hold or follow up a conversation. A trigger meant only for the nurse, the employee
# or payroll (call-backs, certificate reminders, the FK report, karens) is a task, not support.
SUPPORT_ROLES = frozenset(
    {RecipientRole.MANAGER, RecipientRole.HR_SPECIALIST, RecipientRole.REHAB_COORDINATOR}
)
DEFAULT_DUE_DAYS = 14  # when the rule names no due date: the policy's usual two weeks


class CaseRefused(Exception):
    """A step the case does not allow; `message` is Swedish and English, for the API, which
    answers with `status`."""

    status = 409

    def __init__(self, sv: str, en: str) -> None:
        super().__init__(f"{sv} / {en}")
        self.message = f"{sv} / {en}"


class InvalidTransition(CaseRefused):
    """The status machine does not allow this step now."""


class NoConsent(CaseRefused):
    """Sharing with an outside party the employee has not consented to."""


class InvalidInput(CaseRefused):
    """Well-formed, but not what the rules allow (a consent longer than a year)."""

    status = 422


class NotOnCase(CaseRefused):
    """The caller is not on the case, or may not take this step on it."""

    status = 403


class UnknownCase(CaseRefused):
    status = 404


def opens_case(trigger: TriggerFired, *, ignored_rules: Iterable[str] = ()) -> bool:
    """Does this trigger ask someone for support? (Tasks for the line, payroll or the employee
    alone do not open cases; nor do the rules configured away.)"""
    if trigger.rule_id in set(ignored_rules):
        return False
    return bool(SUPPORT_ROLES & set(trigger.recipient_roles))


def owner_role_of(trigger: TriggerFired) -> OwnerRole:
    """The rehab coordinator when the policy names them first (trepartssamtal); otherwise the
    manager: the omtankesamtal, HR's follow-ups (HR calls the manager, who holds the talk) and
    the employer's rehabilitation duties are the manager's."""
    roles = list(trigger.recipient_roles)
    if roles and roles[0] is RecipientRole.REHAB_COORDINATOR:
        return OwnerRole.REHAB_COORDINATOR
    return OwnerRole.MANAGER


def conversation_kind_of(owner: OwnerRole) -> ConversationKind:
    """The rehab coordinator holds a trepartssamtal; a manager an omtankesamtal."""
    if owner is OwnerRole.REHAB_COORDINATOR:
        return ConversationKind.TREPARTSSAMTAL
    return ConversationKind.OMTANKESAMTAL


def due_on_of(trigger: TriggerFired) -> date:
    """The rule's due date, or two weeks after the window's end when it names none."""
    return trigger.due_on or trigger.window_end + timedelta(days=DEFAULT_DUE_DAYS)


# --- the status machine ------------------------------------------------------------------------

ACTIVE = frozenset({S.OPEN, S.BOOKED, S.HELD, S.PLAN_RUNNING})
ENDED = frozenset({S.CLOSED, S.DECLINED, S.WITHDRAWN})
# Documented: what a withdrawn trigger may no longer take away.
DOCUMENTED = frozenset({S.HELD, S.PLAN_RUNNING, S.CLOSED})


# The pseudonyms' prefixes: documentation stripped by an erasure, or by the retention purge.
ERASED, PURGED = "erased-", "purged-"


def ended_on(
    status: S, *, closed_on: date | None, declined_on: date | None, last_change: date
) -> date | None:
    """The day a case ended, None while it runs (retention counts from it). A withdrawn case
    has no date of its own: it ended with its last change."""
    if status not in ENDED:
        return None
    return closed_on or declined_on or last_change


TRANSITIONS: dict[CaseStatus, frozenset[CaseStatus]] = {
    S.OPEN: frozenset({S.BOOKED, S.HELD, S.DECLINED, S.WITHDRAWN}),
    S.BOOKED: frozenset({S.BOOKED, S.HELD, S.DECLINED, S.WITHDRAWN}),
    S.HELD: frozenset({S.HELD, S.PLAN_RUNNING, S.CLOSED, S.DECLINED}),
    S.PLAN_RUNNING: frozenset({S.PLAN_RUNNING, S.HELD, S.CLOSED}),
    S.CLOSED: frozenset(),
    S.DECLINED: frozenset(),
    S.WITHDRAWN: frozenset(),
}

STATUS_SV = {
    S.OPEN: "öppet",
    S.BOOKED: "samtal bokat",
    S.HELD: "samtal hållet",
    S.PLAN_RUNNING: "handlingsplan pågår",
    S.CLOSED: "avslutat",
    S.DECLINED: "stöd avböjt",
    S.WITHDRAWN: "återkallat",
}


def check_transition(current: CaseStatus, to: CaseStatus) -> None:
    """Raise InvalidTransition unless `current` may move to `to`."""
    if to not in TRANSITIONS[current]:
        raise InvalidTransition(
            f"ärendet är {STATUS_SV[current]} och kan inte bli {STATUS_SV[to]}",
            f"the case is {current.value} and cannot become {to.value}",
        )


def after_conversation(current: CaseStatus) -> CaseStatus:
    """A documented conversation moves a case to held, unless a plan already runs."""
    return S.PLAN_RUNNING if current is S.PLAN_RUNNING else S.HELD


def on_trigger_withdrawn(current: CaseStatus) -> CaseStatus | None:
    """Nothing documented yet: the case is withdrawn. Documented (or ended): it stays, since
    a conversation held and a plan agreed stand on their own; None means no change."""
    return S.WITHDRAWN if current in (S.OPEN, S.BOOKED) else None


# --- documentation -----------------------------------------------------------------------------


def _no_nul(text: str) -> str:
    """PostgreSQL cannot store a NUL character: refused as bad input, not a 500."""
    if "\x00" in text:
        raise ValueError("must not contain NUL characters")
    return text


def _assume_utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# Dates within reason: a form's dates are near today, and date arithmetic stays in range.
Day = Annotated[date, Field(ge=date(2000, 1, 1), le=date(2199, 12, 31))]
Moment = Annotated[datetime, AfterValidator(_assume_utc)]
Short = Annotated[str, AfterValidator(_no_nul), Field(max_length=200)]
Prose = Annotated[str, AfterValidator(_no_nul), Field(max_length=4000)]


class _Form(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class WorkFactors(_Form):
    """Arbetets faktorer."""

    demands_and_resources: Prose = ""  # balans – krav och resurser
    conflicts_and_cooperation: Prose = ""  # konflikter, samarbete
    social_support_and_wellbeing: Prose = ""  # socialt stöd, trivsel
    needs_at_work: Prose = ""  # behov på arbetet


class MedicalFactors(_Form):
    """Medicinska faktorer."""

    history: Prose = ""  # sjukdomshistoria
    treatment: Prose = ""  # behandling/mediciner
    needs: Prose = ""
    limitations: Prose = ""


class PrivateFactors(_Form):
    """Privata faktorer."""

    private_load: Prose = ""
    relations_and_network: Prose = ""
    home_and_exposure: Prose = ""  # hemma, utsatthet
    dependency: Prose = ""  # alkohol, spel, beroende


class ConversationForm(_Form):
    """An omtankesamtal or trepartssamtal as the dialogue guide lays it out."""

    held_on: Day
    attended: list[Short] = Field(min_length=1, max_length=20)  # närvarande
    how_are_you: Prose = ""  # hur har du det?
    work: WorkFactors = WorkFactors()
    medical: MedicalFactors = MedicalFactors()
    private: PrivateFactors = PrivateFactors()
    what_hinders: Prose = ""
    what_enables: Prose = ""
    what_needs_to_happen: Prose = ""
    manager_does_next: Prose = ""  # vad ska chef göra till nästa gång
    employee_does_next: Prose = ""  # vad ska medarbetare göra till nästa gång
    measures: Prose = ""  # insatser/åtgärder
    plan: Prose = ""
    follow_up_on: Day  # uppföljning datum

    @model_validator(mode="after")
    def _follow_up_after_the_talk(self) -> "ConversationForm":
        if self.follow_up_on < self.held_on:
            raise ValueError("follow_up_on must not be before held_on")
        return self


def may_document(kind: ConversationKind, owner: OwnerRole) -> bool:
    """The manager documents the omtankesamtal; the rehab coordinator the trepartssamtal."""
    return conversation_kind_of(owner) is kind


class NoteHeading(StrEnum):
    """SKR's note headings: the same heading for the same step, no free variations."""

    CONSENT_TO_START = "consent_to_start"
    ROUTINE_TALK = "routine_talk"
    INDIVIDUAL_PLAN = "individual_plan"
    MANAGER_CHECK_IN = "manager_check_in"
    COACHING_TALK = "coaching_talk"
    COORDINATION = "coordination"
    HANDOVER_AT_CLOSING = "handover_at_closing"
    OTHER = "other"


HEADING_SV = {
    NoteHeading.CONSENT_TO_START: "Ok från medarbetare att påbörja stöd",
    NoteHeading.ROUTINE_TALK: "Rutinsamtal",
    NoteHeading.INDIVIDUAL_PLAN: "Individuell plan",
    NoteHeading.MANAGER_CHECK_IN: "Avstämningsmöte med chef kring individuell plan",
    NoteHeading.COACHING_TALK: "Coachande samtal",
    NoteHeading.COORDINATION: "Samordnande stöd (Flerpartssamtal mm)",
    NoteHeading.HANDOVER_AT_CLOSING: "Överlämning vid avslut av stöd",
    NoteHeading.OTHER: "Övrig anteckning",
}


class NextSteps(_Form):
    """Nästa steg, per party."""

    employee: Prose = ""
    manager: Prose = ""
    responsible: Prose = ""  # ansvarig för aktiviteterna
    others: Prose = ""


class NextMeeting(_Form):
    at: Moment
    place: Short = ""
    convener: Short = ""  # sammankallande


class Note(_Form):
    """One note: kind and length, purpose, participants, summary, next steps, next meeting."""

    heading: NoteHeading
    activity: Short = Field(min_length=1)  # typ, e.g. "flerpartssamtal"
    minutes: int = Field(ge=0, le=24 * 60)  # omfattning
    purpose: Prose = ""
    participants: list[Short] = Field(default_factory=list, max_length=20)
    summary: Prose = ""
    next_steps: NextSteps = NextSteps()
    next_meeting: NextMeeting | None = None


def accepts_support(heading: NoteHeading) -> bool:
    """A consent-to-start note records that the employee accepted the support offered."""
    return heading is NoteHeading.CONSENT_TO_START


# --- the action plan ---------------------------------------------------------------------------


class Goal(_Form):
    """A goal is specific and dated (S.M.A.R.T.A.), e.g. "back at 50 % in 8 weeks"."""

    text: Prose = Field(min_length=3, max_length=500)
    due_on: Day


class Activity(_Form):
    id: Short = Field(min_length=1, max_length=64)
    description: Prose = Field(min_length=1, max_length=1000)
    owner_id: Short = Field(min_length=1, max_length=64)
    due_on: Day
    done_on: Day | None = None


class FollowUp(_Form):
    id: Short = Field(min_length=1, max_length=64)
    on: Day
    purpose: Prose = Field(default="", max_length=500)
    held: bool = False


class ActionPlan(_Form):
    """Handlingsplan: a main goal, sub-goals, activities with owner and date, follow-ups."""

    start_on: Day
    end_on: Day  # beräknat slutdatum
    goal: Goal
    sub_goals: list[Goal] = Field(default_factory=list, max_length=20)
    activities: list[Activity] = Field(min_length=1, max_length=50)
    follow_ups: list[FollowUp] = Field(min_length=1, max_length=50)

    @model_validator(mode="after")
    def _dates_within_the_plan(self) -> "ActionPlan":
        if self.end_on < self.start_on:
            raise ValueError("end_on must not be before start_on")
        dated = [("goal", self.goal.due_on)]
        dated += [("sub_goals", g.due_on) for g in self.sub_goals]
        dated += [("activities", a.due_on) for a in self.activities]
        dated += [("follow_ups", f.on) for f in self.follow_ups]
        early = sorted({name for name, day in dated if day < self.start_on})
        if early:
            raise ValueError(f"dates before start_on in: {', '.join(early)}")
        ids = [a.id for a in self.activities] + [f.id for f in self.follow_ups]
        if len(ids) != len(set(ids)):
            raise ValueError("activity and follow-up ids must be unique within the plan")
        return self


# --- reminders ---------------------------------------------------------------------------------


class ReminderKind(StrEnum):
    DUE = "due"
    OVERDUE = "overdue"


@dataclass(frozen=True)
class Dated:
    """Something with a date and an owner, done or not."""

    kind: ReminderItem
    item_id: str
    owner_id: str
    due_on: date
    done: bool


@dataclass(frozen=True)
class Reminder:
    kind: ReminderKind
    item: Dated


def dated_items(
    *, case_id: str, status: CaseStatus, owner_id: str | None, due_on: date, plan: ActionPlan | None
) -> list[Dated]:
    """What a case asks to be done by a date: the conversation until it is held, and the plan's
    activities and follow-up meetings while the plan runs."""
    items = []
    if status in (S.OPEN, S.BOOKED) and owner_id:
        items.append(Dated(ReminderItem.CONVERSATION, case_id, owner_id, due_on, done=False))
    if plan is not None and status is S.PLAN_RUNNING:
        for activity in plan.activities:
            done = activity.done_on is not None
            items.append(
                Dated(ReminderItem.ACTIVITY, activity.id, activity.owner_id, activity.due_on, done)
            )
        if owner_id:
            for meeting in plan.follow_ups:
                items.append(
                    Dated(ReminderItem.FOLLOW_UP, meeting.id, owner_id, meeting.on, meeting.held)
                )
    return items


def reminders_due(
    items: Iterable[Dated],
    *,
    today: date,
    lead_days: int,
    already: set[tuple[str, str, ReminderKind]],
) -> list[Reminder]:
    """Reminders to send today: `lead_days` before each date (or later, if that day was
    missed, while the date has not passed) and once the date has passed; each (item kind, item,
    reminder kind) once ever, whatever the days in between. Done items need none."""
    found = []
    for item in items:
        if item.done:
            continue
        if today > item.due_on:
            kind = ReminderKind.OVERDUE
        elif today >= item.due_on - timedelta(days=lead_days):
            kind = ReminderKind.DUE
        else:
            continue
        if (item.kind.value, item.item_id, kind) not in already:
            found.append(Reminder(kind, item))
    return found


# --- consent -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Consent:
    party: Party
    given_on: date
    valid_until: date
    revoked_on: date | None = None


def latest_valid_until(given_on: date) -> date:
    """The last day a consent given on `given_on` can be valid ("dock max ett år"): one year
    on, less a day."""
    if given_on.year >= date.max.year:
        raise InvalidInput("datumet är orimligt", "the date is out of range")
    try:
        return given_on.replace(year=given_on.year + 1) - timedelta(days=1)
    except ValueError:  # 29 February
        return date(given_on.year + 1, 2, 28)


def new_consent(party: Party, *, given_on: date, valid_until: date | None = None) -> Consent:
    """A consent valid from `given_on` up to `valid_until` (at most a year; a year by default)."""
    limit = latest_valid_until(given_on)
    until = valid_until or limit
    if until < given_on:
        raise InvalidInput(
            "samtycket kan inte upphöra innan det ges", "valid_until must not precede given_on"
        )
    if until > limit:
        raise InvalidInput(
            f"ett samtycke gäller högst ett år, till och med {limit.isoformat()}",
            f"a consent is valid for at most a year, until {limit.isoformat()}",
        )
    return Consent(party, given_on, until)


def revoke(consent: Consent, *, on: date) -> Consent:
    """Revoked from `on`: sharing stops that day. Revoking twice keeps the first day."""
    if consent.revoked_on is not None:
        return consent
    return Consent(consent.party, consent.given_on, consent.valid_until, on)


def consent_valid(consent: Consent, on_day: date) -> bool:
    if consent.revoked_on is not None and on_day >= consent.revoked_on:
        return False
    return consent.given_on <= on_day <= consent.valid_until


def may_share_with(consents: Iterable[Consent], party: Party, on_day: date) -> bool:
    """Is there a consent for `party` valid on `on_day`? Without one, nothing is shared."""
    return any(c.party is party and consent_valid(c, on_day) for c in consents)


PARTY_SV = {
    Party.HEALTHCARE: "hälso- och sjukvården",
    Party.FORSAKRINGSKASSAN: "Försäkringskassan",
    Party.EMPLOYMENT_SERVICE: "Arbetsförmedlingen",
    Party.SOCIAL_SERVICES: "socialtjänsten",
    Party.OTHER: "annan part",
}


def check_may_share(consents: Iterable[Consent], party: Party, on_day: date) -> None:
    if not may_share_with(consents, party, on_day):
        raise NoConsent(
            f"medarbetaren har inget giltigt samtycke till delning med {PARTY_SV[party]} "
            f"den {on_day.isoformat()}",
            f"the employee has no valid consent to sharing with {party.value} "
            f"on {on_day.isoformat()}",
        )


def check_shared_on(shared_on: date, *, today: date) -> None:
    """A sharing is recorded once it happened: the day may be past, not ahead."""
    if shared_on > today:
        raise InvalidInput(
            "en delning kan inte registreras i förväg", "shared_on must not be after today"
        )


# --- declining ---------------------------------------------------------------------------------


def check_decline(status: CaseStatus) -> CaseStatus:
    """Declining ends an offered case; the handler keeps the reason (SKR's "Avböjt stöd")."""
    check_transition(status, S.DECLINED)
    return S.DECLINED


def check_close(status: CaseStatus, outcome: Outcome | None) -> CaseStatus:
    """Closing needs an outcome and a conversation held."""
    if outcome is None:
        raise InvalidInput("ange utfall för att avsluta", "closing needs an outcome")
    check_transition(status, S.CLOSED)
    return S.CLOSED


# --- monthly figures ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseFacts:
    """The dates the figures need of one case."""

    opened_on: date
    accepted_on: date | None = None
    declined_on: date | None = None
    closed_on: date | None = None
    withdrawn: bool = False


@dataclass(frozen=True)
class Figures:
    """SKR's monthly evaluation for one period: counts, shares of offered, weeks per case."""

    period_start: date
    period_end: date
    offered: int
    declined: int
    accepted: int
    closed: int
    ongoing: int
    average_weeks: float | None

    def share(self, count: int) -> float | None:
        return None if self.offered == 0 else round(100 * count / self.offered, 1)

    def as_dict(self) -> dict[str, object]:
        counts = {
            "offered": self.offered,
            "declined": self.declined,
            "accepted": self.accepted,
            "closed": self.closed,
            "ongoing": self.ongoing,
        }
        return {
            "period_start": self.period_start.isoformat(),
            "period_end": self.period_end.isoformat(),
            **counts,
            "share_of_offered_percent": {k: self.share(v) for k, v in counts.items()},
            "average_weeks_per_case": self.average_weeks,
        }


def _in(day: date | None, start: date, end: date) -> bool:
    return day is not None and start <= day <= end


def figures(cases: Iterable[CaseFacts], start: date, end: date) -> Figures:
    """Offered, declined, accepted and closed within [start, end]; ongoing at `end` (accepted,
    not closed); average weeks from acceptance to closing of the cases closed within. Cases
    withdrawn with their trigger were never offered in earnest and are not counted."""
    counted = [c for c in cases if not c.withdrawn]
    closed = [c for c in counted if _in(c.closed_on, start, end)]
    weeks = [
        (c.closed_on - (c.accepted_on or c.opened_on)).days / 7
        for c in closed
        if c.closed_on is not None
    ]
    return Figures(
        period_start=start,
        period_end=end,
        offered=sum(_in(c.opened_on, start, end) for c in counted),
        declined=sum(_in(c.declined_on, start, end) for c in counted),
        accepted=sum(_in(c.accepted_on, start, end) for c in counted),
        closed=len(closed),
        ongoing=sum(
            c.accepted_on is not None
            and c.accepted_on <= end
            and (c.closed_on is None or c.closed_on > end)
            for c in counted
        ),
        average_weeks=round(sum(weeks) / len(weeks), 1) if weeks else None,
    )


def last_month(today: date) -> tuple[date, date]:
    """The calendar month before `today`'s: the period since the last monthly meeting."""
    end = today.replace(day=1) - timedelta(days=1)
    return end.replace(day=1), end


def monthly_figures(cases: Iterable[CaseFacts], today: date) -> dict[str, Figures]:
    """Since start (the first case opened, through today) and for the last calendar month."""
    facts = list(cases)
    start = min((c.opened_on for c in facts), default=today)
    month_start, month_end = last_month(today)
    return {
        "since_start": figures(facts, start, today),
        "last_month": figures(facts, month_start, month_end),
    }
