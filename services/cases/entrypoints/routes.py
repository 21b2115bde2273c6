"""One endpoint per step of a case. Routes only translate: commands.py checks who is on the
case, asks the domain and audits."""

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, status
from pydantic import BaseModel, ConfigDict, Field

from halsosupport.audit import Access, Caller
from halsosupport.auth import Principal, Role
from halsosupport.web import require_role
from schemas.cases import ConversationKind, DeclineReason, Outcome, Party
from services.cases import commands, domain
from services.cases.access import CASE_ROLES
from services.cases.adapters.sql_repo import SqlUnitOfWork
from services.cases.adapters.tables import Case, CaseNote, ConsentRow, Conversation, Sharing
from services.cases.bootstrap import CasesRuntime
from services.cases.domain import HEADING_SV, STATUS_SV, Day, Moment, Prose, Short

router = APIRouter(prefix="/v1")
CaseRole = Annotated[Principal, Depends(require_role(*CASE_ROLES))]
Figures = Annotated[Principal, Depends(require_role(*CASE_ROLES, Role.ADMIN))]


def _runtime(request: Request) -> CasesRuntime:
    runtime: CasesRuntime = request.app.state.runtime
    return runtime


Runtime = Annotated[CasesRuntime, Depends(_runtime)]


def _on_case(case_id: str, rt: Runtime, principal: CaseRole) -> Principal:
    """Refuse someone else's case before the body is looked at (the step checks it again,
    with the case locked, and audits)."""
    with rt.uow() as uow:
        commands.check_on_case(uow, principal, case_id)
    return principal


OnCase = Annotated[Principal, Depends(_on_case)]


def actor(rt: CasesRuntime, principal: Principal, caller: Access) -> commands.Actor:
    return commands.Actor(principal=principal, access=caller, now=rt.clock.now())


# --- bodies ------------------------------------------------------------------------------------


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BookingIn(_Body):
    at: Moment


class ConversationIn(domain.ConversationForm):
    kind: ConversationKind


class ConsentIn(_Body):
    party: Party
    party_name: Short | None = None
    given_on: Day
    valid_until: Day | None = None


class RevokeIn(_Body):
    on: Day | None = None


class SharingIn(_Body):
    party: Party
    what: Prose = Field(min_length=1, max_length=2000)
    shared_on: Day | None = None  # today when left out


class DeclineIn(_Body):
    reason: DeclineReason
    comment: Prose = Field(default="", max_length=2000)


class CloseIn(_Body):
    outcome: Outcome


# --- answers -----------------------------------------------------------------------------------


class CaseOut(BaseModel):
    case_id: str
    trigger_id: str
    employee_id: str
    employee_name: str | None  # the directory's; None until it names the employee
    workplace_id: str
    department_id: str
    rule_id: str
    conversation_kind: str
    owner_role: str
    owner_id: str | None
    manager_id: str | None
    status: str
    status_sv: str
    opened_on: date
    due_on: date
    booked_at: Moment | None
    accepted_on: date | None
    declined_on: date | None
    decline_reason: str | None
    closed_on: date | None
    outcome: str | None
    trigger_withdrawn: bool

    @classmethod
    def of(cls, case: Case, employee_name: str | None) -> "CaseOut":
        fields = case.model_dump()
        return cls(
            **fields, employee_name=employee_name, status_sv=STATUS_SV[domain.S(case.status)]
        )


class CaseDetailOut(CaseOut):
    decline_comment: str | None
    action_plan: dict[str, Any] | None
    conversations: list[dict[str, Any]]
    notes: list[dict[str, Any]]
    consents: list[dict[str, Any]]
    sharings: list[dict[str, Any]]
    may_document: list[ConversationKind]  # the conversations the caller may document


def _conversation(row: Conversation) -> dict[str, Any]:
    return row.model_dump(mode="json", exclude={"case_id"})


def _note(row: CaseNote) -> dict[str, Any]:
    found = row.model_dump(mode="json", exclude={"case_id"})
    return {**found, "heading_sv": HEADING_SV[domain.NoteHeading(row.heading)]}


def _consent(row: ConsentRow) -> dict[str, Any]:
    return row.model_dump(mode="json", exclude={"case_id", "employee_id"})


def _sharing(row: Sharing) -> dict[str, Any]:
    return row.model_dump(mode="json", exclude={"case_id"})


def _answer(uow: SqlUnitOfWork, case: Case) -> CaseOut:
    """A step's answer: the case as it now stands, with the employee's name."""
    return CaseOut.of(case, commands.employee_name(uow, case))


# --- routes ------------------------------------------------------------------------------------


@router.get("/cases")
def my_cases(rt: Runtime, principal: CaseRole, caller: Caller) -> list[CaseOut]:
    """The cases you are on: status, due date, owner. No documentation."""
    with rt.uow() as uow:
        found = commands.list_cases(uow, actor(rt, principal, caller))
    return [CaseOut.of(case, name) for case, name in found]


@router.get("/cases/figures")
def figures(rt: Runtime, principal: Figures, caller: Caller) -> dict[str, Any]:
    """SKR's monthly evaluation since start and for the last month, over your cases."""
    with rt.uow() as uow:
        found = commands.figures(uow, actor(rt, principal, caller))
    return {period: f.as_dict() for period, f in found.items()}


@router.get("/note-headings", dependencies=[Depends(require_role(*CASE_ROLES))])
def note_headings() -> dict[str, str]:
    """SKR's standard headings: the only ones a note may have."""
    return {heading.value: label for heading, label in HEADING_SV.items()}


@router.get("/cases/{case_id}")
def get_case(case_id: str, rt: Runtime, principal: OnCase, caller: Caller) -> CaseDetailOut:
    """The case with its documentation, what was shared and which conversations the caller may
    document (the read is audited)."""
    with rt.uow() as uow:
        found = commands.read_case(uow, actor(rt, principal, caller), case_id)
    case: Case = found["case"]
    return CaseDetailOut(
        **CaseOut.of(case, found["employee_name"]).model_dump(),
        decline_comment=case.decline_comment,
        action_plan=case.action_plan,
        conversations=[_conversation(c) for c in found["conversations"]],
        notes=[_note(n) for n in found["notes"]],
        consents=[_consent(c) for c in found["consents"]],
        sharings=[_sharing(s) for s in found["sharings"]],
        may_document=found["may_document"],
    )


@router.post("/cases/{case_id}/booking")
def book(case_id: str, body: BookingIn, rt: Runtime, principal: OnCase, caller: Caller) -> CaseOut:
    """The conversation is booked (again)."""
    with rt.uow() as uow:
        case = commands.book(uow, actor(rt, principal, caller), case_id, at=body.at)
        answer = _answer(uow, case)
    rt.relay.wake()
    return answer


@router.post("/cases/{case_id}/conversations", status_code=status.HTTP_201_CREATED)
def document(
    case_id: str, body: ConversationIn, rt: Runtime, principal: OnCase, caller: Caller
) -> CaseOut:
    """Document an omtankesamtal (the manager) or trepartssamtal (the rehab coordinator)."""
    form = domain.ConversationForm(**body.model_dump(exclude={"kind"}))
    with rt.uow() as uow:
        case = commands.document_conversation(
            uow, actor(rt, principal, caller), case_id, kind=body.kind, form=form
        )
        answer = _answer(uow, case)
    rt.relay.wake()
    return answer


@router.post("/cases/{case_id}/notes", status_code=status.HTTP_201_CREATED)
def add_note(
    case_id: str, body: domain.Note, rt: Runtime, principal: OnCase, caller: Caller
) -> dict[str, Any]:
    """A note under one of the standard headings."""
    with rt.uow() as uow:
        return _note(commands.add_note(uow, actor(rt, principal, caller), case_id, note=body))


@router.put("/cases/{case_id}/plan")
def set_plan(
    case_id: str, body: domain.ActionPlan, rt: Runtime, principal: OnCase, caller: Caller
) -> CaseOut:
    """Set or update the action plan (handlingsplan); the plan then runs."""
    with rt.uow() as uow:
        case = commands.set_plan(uow, actor(rt, principal, caller), case_id, plan=body)
        answer = _answer(uow, case)
    rt.relay.wake()
    return answer


@router.post("/cases/{case_id}/consents", status_code=status.HTTP_201_CREATED)
def record_consent(
    case_id: str, body: ConsentIn, rt: Runtime, principal: OnCase, caller: Caller
) -> dict[str, Any]:
    """The employee's consent to sharing with one outside party (at most a year)."""
    with rt.uow() as uow:
        row = commands.record_consent(
            uow, actor(rt, principal, caller), case_id, **body.model_dump()
        )
    rt.relay.wake()
    return _consent(row)


@router.post("/cases/{case_id}/consents/{consent_id}/revoke")
def revoke_consent(
    case_id: str, consent_id: str, body: RevokeIn, rt: Runtime, principal: OnCase, caller: Caller
) -> dict[str, Any]:
    """The employee takes a consent back; sharing stops from that day."""
    with rt.uow() as uow:
        row = commands.revoke_consent(
            uow, actor(rt, principal, caller), case_id, consent_id, on=body.on
        )
    rt.relay.wake()
    return _consent(row)


@router.post("/cases/{case_id}/sharings", status_code=status.HTTP_201_CREATED)
def share(
    case_id: str, body: SharingIn, rt: Runtime, principal: OnCase, caller: Caller
) -> dict[str, Any]:
    """Record what was shared with an outside party (today unless `shared_on` says when);
    refused (409) without a consent valid that day."""
    with rt.uow() as uow:
        row = commands.share(uow, actor(rt, principal, caller), case_id, **body.model_dump())
    return row.model_dump(mode="json")


@router.post("/cases/{case_id}/decline")
def decline(
    case_id: str, body: DeclineIn, rt: Runtime, principal: OnCase, caller: Caller
) -> CaseOut:
    """The employee declined the support offered; the reason is kept."""
    with rt.uow() as uow:
        case = commands.decline(
            uow, actor(rt, principal, caller), case_id, reason=body.reason, comment=body.comment
        )
        answer = _answer(uow, case)
    rt.relay.wake()
    return answer


@router.post("/cases/{case_id}/close")
def close(case_id: str, body: CloseIn, rt: Runtime, principal: OnCase, caller: Caller) -> CaseOut:
    """Close with an outcome: back in ordinary work, adapted work, referred on."""
    with rt.uow() as uow:
        case = commands.close(uow, actor(rt, principal, caller), case_id, outcome=body.outcome)
        answer = _answer(uow, case)
    rt.relay.wake()
    return answer
