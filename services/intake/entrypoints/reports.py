"""Routes for reports and spells: sick, well, correct, retract, follow-up call."""

from typing import Annotated

from fastapi import APIRouter, Header, status
from fastapi.responses import JSONResponse

from halsosupport import audit
from halsosupport.audit import Caller
from schemas.envelope import Channel, Source
from services.intake import domain, handlers
from services.intake.adapters.sql_repo import SqlUnitOfWork
from services.intake.bootstrap import IntakeRuntime
from services.intake.command_runner import Idempotency, run_command
from services.intake.entrypoints.deps import Nurse, Runtime
from services.intake.entrypoints.schemas_http import (
    CorrectionIn,
    FollowupIn,
    RegisteredOut,
    RetractionIn,
    SickReportIn,
    WellReportIn,
)

router = APIRouter(prefix="/v1")

IdempotencyKey = Annotated[
    str | None,
    Header(description="retrying with the same key returns the first answer and nothing twice"),
]
CREATED = {status.HTTP_201_CREATED: {"model": RegisteredOut}}


def _registered(result: handlers.Registered) -> dict[str, str]:
    return {"spell_id": result.spell_id, "event_id": str(result.event_id)}


def _audited(
    uow: SqlUnitOfWork, rt: IntakeRuntime, caller: audit.Access, action: str, spell_id: str
) -> None:
    """Record the change in the audit log, in the transaction that makes it."""
    spell = uow.spell(spell_id)
    employee_id = spell.employee_id if spell is not None else None
    audit.append(uow.session, caller, action=action, employee_ids=[employee_id], at=rt.clock.now())


def _recorded(
    uow: SqlUnitOfWork,
    rt: IntakeRuntime,
    caller: audit.Access,
    action: str,
    result: handlers.Registered,
) -> dict[str, str]:
    _audited(uow, rt, caller, action, result.spell_id)
    return _registered(result)


def _answer(outcome: tuple[int, dict[str, object]]) -> JSONResponse:
    status_code, body = outcome
    return JSONResponse(status_code=status_code, content=body)


@router.post("/reports/sick", status_code=status.HTTP_201_CREATED, responses=CREATED)
def report_sick(
    body: SickReportIn,
    rt: Runtime,
    nurse: Nurse,
    caller: Caller,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    today = domain.local_date(rt.clock.now())
    report = domain.SickReport(
        absence_type=body.absence_type,
        sick_from=body.sick_from or today,
        degree_percent=body.degree_percent,
        reason_category=body.reason_category,
        reason_visibility=body.reason_visibility,
        work_related=body.work_related,
        expected_return=body.expected_return,
        followup_on=body.followup_on,
        note=body.note,
    )
    who, source = body.ref(today), Source(channel=Channel.NURSE, registered_by=nurse.subject)
    return _answer(
        run_command(
            rt,
            lambda uow: _recorded(
                uow,
                rt,
                caller,
                "register sick report",
                handlers.register_sick(
                    uow=uow,
                    clock=rt.clock,
                    settings=rt.settings,
                    who=who,
                    report=report,
                    source=source,
                ),
            ),
            idempotency=Idempotency.of(nurse.subject, idempotency_key, "sick", body.model_dump()),
        )
    )


@router.post("/reports/well", status_code=status.HTTP_201_CREATED, responses=CREATED)
def report_well(
    body: WellReportIn,
    rt: Runtime,
    nurse: Nurse,
    caller: Caller,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    today = domain.local_date(rt.clock.now())
    who, source = body.ref(today), Source(channel=Channel.NURSE, registered_by=nurse.subject)
    well_from = body.well_from or today
    return _answer(
        run_command(
            rt,
            lambda uow: _recorded(
                uow,
                rt,
                caller,
                "register well report",
                handlers.register_well(
                    uow=uow, clock=rt.clock, who=who, well_from=well_from, source=source
                ),
            ),
            idempotency=Idempotency.of(nurse.subject, idempotency_key, "well", body.model_dump()),
        )
    )


@router.post("/spells/{spell_id}/correct", status_code=status.HTTP_201_CREATED, responses=CREATED)
def correct(
    spell_id: str,
    body: CorrectionIn,
    rt: Runtime,
    nurse: Nurse,
    caller: Caller,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    source = Source(channel=Channel.NURSE, registered_by=nurse.subject)
    return _answer(
        run_command(
            rt,
            lambda uow: _recorded(
                uow,
                rt,
                caller,
                "correct spell",
                handlers.correct_spell(
                    uow=uow,
                    clock=rt.clock,
                    settings=rt.settings,
                    spell_id=spell_id,
                    changes=body.changes(),
                    why=body.why,
                    source=source,
                ),
            ),
            idempotency=Idempotency.of(
                nurse.subject, idempotency_key, f"correct/{spell_id}", body.model_dump()
            ),
        )
    )


@router.post("/spells/{spell_id}/retract", status_code=status.HTTP_201_CREATED, responses=CREATED)
def retract(
    spell_id: str,
    body: RetractionIn,
    rt: Runtime,
    nurse: Nurse,
    caller: Caller,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    source = Source(channel=Channel.NURSE, registered_by=nurse.subject)
    return _answer(
        run_command(
            rt,
            lambda uow: _recorded(
                uow,
                rt,
                caller,
                "retract spell",
                handlers.retract_spell(
                    uow=uow, clock=rt.clock, spell_id=spell_id, why=body.why, source=source
                ),
            ),
            idempotency=Idempotency.of(
                nurse.subject, idempotency_key, f"retract/{spell_id}", body.model_dump()
            ),
        )
    )


@router.post("/spells/{spell_id}/followup")
def followup(
    spell_id: str, body: FollowupIn, rt: Runtime, nurse: Nurse, caller: Caller
) -> JSONResponse:
    def command(uow):  # type: ignore[no-untyped-def]
        spell = handlers.record_followup(
            uow=uow, clock=rt.clock, spell_id=spell_id, outcome=body.outcome, by=nurse.subject
        )
        _audited(uow, rt, caller, "record call-back", spell.spell_id)
        return {"spell_id": spell.spell_id, "outcome": spell.followup_outcome}

    return _answer(run_command(rt, command, status_code=status.HTTP_200_OK))
