"""The steps of a case, one function each, as the API calls them: every read and write of the
documentation checks that the caller is on the case and is written to the audit log in the
same transaction."""

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import uuid4

from halsosupport import audit
from halsosupport.auth import Principal, Role
from halsosupport.localtime import local_date
from schemas.cases import (
    CaseClosed,
    CaseStatus,
    ConsentRecorded,
    ConsentRevoked,
    ConversationKind,
    DeclineReason,
    Outcome,
    OwnerRole,
    Party,
    SupportDeclined,
)
from services.cases import domain
from services.cases.access import may_access
from services.cases.adapters.sql_repo import SqlUnitOfWork
from services.cases.adapters.tables import Case, CaseNote, ConsentRow, Conversation, Sharing
from services.cases.handlers import emit, envelope, move


@dataclass(frozen=True)
class Actor:
    """Who takes a step: the verified caller and the request, for access and the audit log."""

    principal: Principal
    access: audit.Access
    now: datetime

    @property
    def today(self) -> date:
        return local_date(self.now)


def check_on_case(
    uow: SqlUnitOfWork, principal: Principal, case_id: str, *, for_update: bool = False
) -> Case:
    """The case if the caller is on it: 404 for no case, 403 for someone else's."""
    case = uow.case(case_id, for_update=for_update)
    if case is None:
        raise domain.UnknownCase("ärendet finns inte", "no such case")
    if not may_access(principal, uow.people_on(case)):
        raise domain.NotOnCase(
            "du är inte med i ärendet", "you are not on this case (manager, HR or rehab)"
        )
    return case


def case_for(uow: SqlUnitOfWork, actor: Actor, case_id: str, *, action: str) -> Case:
    """The case, locked for the step, if the caller is on it; the access audited."""
    case = check_on_case(uow, actor.principal, case_id, for_update=True)
    audit.append(
        uow.session, actor.access, action=action, employee_ids=[case.employee_id], at=actor.now
    )
    return case


def _accept(case: Case, on: date) -> None:
    """The employee accepted support: the first conversation held or consent-to-start note."""
    if case.accepted_on is None:
        case.accepted_on = on


def employee_name(uow: SqlUnitOfWork, case: Case) -> str | None:
    """The name of the employee a case is about, for a caller already on the case; None while
    the directory has named no one (or the case was stripped to a pseudonym)."""
    return uow.names_of([case.employee_id]).get(case.employee_id)


def list_cases(uow: SqlUnitOfWork, actor: Actor) -> list[tuple[Case, str | None]]:
    """The cases the caller is on, each with the employee's name; the listing (employee ids,
    statuses) is audited."""
    principal = actor.principal
    cases = [
        c
        for c in uow.candidate_cases(subject=principal.subject, departments=principal.departments)
        if may_access(principal, uow.people_on(c))
    ]
    audit.append(
        uow.session,
        actor.access,
        action="cases.list",
        employee_ids=sorted({c.employee_id for c in cases}),
        at=actor.now,
    )
    names = uow.names_of(c.employee_id for c in cases)
    uow.commit()
    return [(c, names.get(c.employee_id)) for c in cases]


def read_case(uow: SqlUnitOfWork, actor: Actor, case_id: str) -> dict[str, Any]:
    """The case with the employee's name, its documentation and what the caller may document
    on it; the read is audited."""
    case = case_for(uow, actor, case_id, action="case.read")
    found = {
        "case": case,
        "employee_name": employee_name(uow, case),
        "conversations": uow.conversations(case_id),
        "notes": uow.notes(case_id),
        "consents": uow.consents(case_id),
        "sharings": uow.sharings(case_id),
        "may_document": kinds_to_document(actor.principal, case),
    }
    uow.commit()
    return found


def book(uow: SqlUnitOfWork, actor: Actor, case_id: str, *, at: datetime) -> Case:
    case = case_for(uow, actor, case_id, action="case.book")
    move(uow, case, CaseStatus.BOOKED, now=actor.now, by=actor.principal.subject)
    case.booked_at = at
    uow.add(case)
    uow.commit()
    return case


def _author_role(principal: Principal) -> OwnerRole | None:
    return {Role.MANAGER: OwnerRole.MANAGER, Role.REHAB: OwnerRole.REHAB_COORDINATOR}.get(
        principal.role
    )


def kinds_to_document(principal: Principal, case: Case) -> list[ConversationKind]:
    """The conversation the caller may document on this case (HR none), so a page offers only
    that form rather than letting the caller learn it from a refusal."""
    author = _author_role(principal)
    if author is None:
        return []
    return [
        kind
        for kind in ConversationKind
        if domain.may_document(kind, author) and kind.value == case.conversation_kind
    ]


def document_conversation(
    uow: SqlUnitOfWork,
    actor: Actor,
    case_id: str,
    *,
    kind: ConversationKind,
    form: domain.ConversationForm,
) -> Case:
    """The manager documents an omtankesamtal, the rehab coordinator a trepartssamtal."""
    case = case_for(uow, actor, case_id, action="case.document")
    author = _author_role(actor.principal)
    if author is None or not domain.may_document(kind, author):
        raise domain.NotOnCase(
            f"{kind.value} dokumenteras av "
            + ("chefen" if kind is ConversationKind.OMTANKESAMTAL else "rehabsamordnaren"),
            f"the {kind.value} is documented by the "
            + ("manager" if kind is ConversationKind.OMTANKESAMTAL else "rehab coordinator"),
        )
    if kind.value != case.conversation_kind:
        raise domain.InvalidTransition(
            f"ärendet gäller ett {case.conversation_kind}",
            f"the case is for a {case.conversation_kind}",
        )
    to = domain.after_conversation(CaseStatus(case.status))
    move(uow, case, to, now=actor.now, by=actor.principal.subject)
    if case.owner_id is None and author.value == case.owner_role:
        case.owner_id = actor.principal.subject  # the first coordinator to act takes the case
    _accept(case, form.held_on)
    uow.add(case)
    uow.add(
        Conversation(
            case_id=case_id,
            kind=kind.value,
            held_on=form.held_on,
            author_id=actor.principal.subject,
            author_role=actor.principal.role.value,
            form=form.model_dump(mode="json"),
            recorded_at=actor.now,
        )
    )
    uow.commit()
    return case


def add_note(uow: SqlUnitOfWork, actor: Actor, case_id: str, *, note: domain.Note) -> CaseNote:
    case = case_for(uow, actor, case_id, action="case.note")
    if case.status in (CaseStatus.WITHDRAWN, CaseStatus.DECLINED):
        raise domain.InvalidTransition(
            "ärendet är avslutat utan stöd", f"the case is {case.status}: no notes"
        )
    if domain.accepts_support(note.heading):
        _accept(case, actor.today)
        uow.add(case)
    row = CaseNote(
        case_id=case_id,
        heading=note.heading.value,
        author_id=actor.principal.subject,
        author_role=actor.principal.role.value,
        note=note.model_dump(mode="json"),
        recorded_at=actor.now,
    )
    uow.add(row)
    uow.commit()
    return row


def set_plan(uow: SqlUnitOfWork, actor: Actor, case_id: str, *, plan: domain.ActionPlan) -> Case:
    """A plan agreed after a conversation; updating it keeps it running."""
    case = case_for(uow, actor, case_id, action="case.plan")
    move(uow, case, CaseStatus.PLAN_RUNNING, now=actor.now, by=actor.principal.subject)
    case.action_plan = plan.model_dump(mode="json")
    uow.add(case)
    uow.commit()
    return case


def record_consent(
    uow: SqlUnitOfWork,
    actor: Actor,
    case_id: str,
    *,
    party: Party,
    party_name: str | None,
    given_on: date,
    valid_until: date | None,
) -> ConsentRow:
    case = case_for(uow, actor, case_id, action="case.consent")
    consent = domain.new_consent(party, given_on=given_on, valid_until=valid_until)
    row = ConsentRow(
        consent_id=str(uuid4()),
        case_id=case_id,
        employee_id=case.employee_id,
        party=party.value,
        party_name=party_name,
        given_on=consent.given_on,
        valid_until=consent.valid_until,
        recorded_by=actor.principal.subject,
    )
    uow.add(row)
    emit(
        uow,
        ConsentRecorded(
            **envelope(case, now=actor.now, by=actor.principal.subject),
            consent_id=row.consent_id,
            party=party,
            given_on=row.given_on,
            valid_until=row.valid_until,
        ),
        now=actor.now,
    )
    uow.commit()
    return row


def revoke_consent(
    uow: SqlUnitOfWork, actor: Actor, case_id: str, consent_id: str, *, on: date | None
) -> ConsentRow:
    case = case_for(uow, actor, case_id, action="case.consent")
    row = uow.consent(consent_id)
    if row is None or row.case_id != case_id:
        raise domain.UnknownCase("samtycket finns inte i ärendet", "no such consent on this case")
    if row.revoked_on is None:
        row.revoked_on = on or actor.today
        uow.add(row)
        emit(
            uow,
            ConsentRevoked(
                **envelope(case, now=actor.now, by=actor.principal.subject),
                consent_id=consent_id,
                party=Party(row.party),
                revoked_on=row.revoked_on,
            ),
            now=actor.now,
        )
    uow.commit()
    return row


def share(
    uow: SqlUnitOfWork,
    actor: Actor,
    case_id: str,
    *,
    party: Party,
    what: str,
    shared_on: date | None = None,
) -> Sharing:
    """Record information shared with an outside party (today, or the day it was shared):
    refused without a consent valid that day."""
    case_for(uow, actor, case_id, action="case.share")
    on = shared_on or actor.today
    domain.check_shared_on(on, today=actor.today)
    rows = uow.consents(case_id)
    consents = [
        (r, domain.Consent(Party(r.party), r.given_on, r.valid_until, r.revoked_on)) for r in rows
    ]
    domain.check_may_share([c for _, c in consents], party, on)
    consent_id = next(
        r.consent_id for r, c in consents if c.party is party and domain.consent_valid(c, on)
    )
    row = Sharing(
        case_id=case_id,
        party=party.value,
        consent_id=consent_id,
        shared_on=on,
        what=what,
        recorded_by=actor.principal.subject,
    )
    uow.add(row)
    uow.commit()
    return row


def decline(
    uow: SqlUnitOfWork, actor: Actor, case_id: str, *, reason: DeclineReason, comment: str
) -> Case:
    case = case_for(uow, actor, case_id, action="case.decline")
    move(uow, case, CaseStatus.DECLINED, now=actor.now, by=actor.principal.subject)
    case.declined_on, case.decline_reason, case.decline_comment = actor.today, reason, comment
    uow.add(case)
    emit(
        uow,
        SupportDeclined(
            **envelope(case, now=actor.now, by=actor.principal.subject),
            reason_category=reason,
            declined_on=actor.today,
        ),
        now=actor.now,
    )
    uow.commit()
    return case


def close(uow: SqlUnitOfWork, actor: Actor, case_id: str, *, outcome: Outcome) -> Case:
    case = case_for(uow, actor, case_id, action="case.close")
    domain.check_close(CaseStatus(case.status), outcome)
    move(uow, case, CaseStatus.CLOSED, now=actor.now, by=actor.principal.subject)
    case.closed_on, case.outcome = actor.today, outcome.value
    uow.add(case)
    emit(
        uow,
        CaseClosed(
            **envelope(case, now=actor.now, by=actor.principal.subject),
            outcome=outcome,
            closed_on=actor.today,
            accepted_on=case.accepted_on,
        ),
        now=actor.now,
    )
    uow.commit()
    return case


def figures(uow: SqlUnitOfWork, actor: Actor) -> dict[str, domain.Figures]:
    """SKR's monthly evaluation over the cases the caller is on (all of them for an admin)."""
    if actor.principal.role is Role.ADMIN:
        cases = uow.all_cases()
    else:
        principal = actor.principal
        candidates = uow.candidate_cases(
            subject=principal.subject, departments=principal.departments
        )
        cases = [c for c in candidates if may_access(principal, uow.people_on(c))]
    facts = [
        domain.CaseFacts(
            opened_on=c.opened_on,
            accepted_on=c.accepted_on,
            declined_on=c.declined_on,
            closed_on=c.closed_on,
            withdrawn=c.status == CaseStatus.WITHDRAWN,
        )
        for c in cases
    ]
    return domain.monthly_figures(facts, actor.today)
