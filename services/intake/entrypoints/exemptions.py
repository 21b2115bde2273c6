"""Routes for HR's exemptions from trigger rules. HR and admins only: `why` is often a diagnosis,
so it is returned here and nowhere else, and never logged."""

from datetime import date
from typing import Annotated, Any

import structlog
from fastapi import APIRouter, HTTPException, Query, status
from fastapi.responses import JSONResponse

from halsosupport import audit
from halsosupport.audit import Caller
from services.intake import domain, exemption_handlers
from services.intake.adapters.sql_repo import SqlUnitOfWork
from services.intake.adapters.tables import Exemption, ExemptionChange
from services.intake.bootstrap import IntakeRuntime
from services.intake.command_runner import Idempotency, run_command
from services.intake.entrypoints.deps import ExemptionDecider, Runtime
from services.intake.entrypoints.reports import IdempotencyKey
from services.intake.entrypoints.schemas_http import (
    DecisionOut,
    ExemptionChangeOut,
    ExemptionIn,
    ExemptionOut,
    ExemptionsOut,
    LiftIn,
)

log = structlog.get_logger("intake.exemptions")

router = APIRouter(prefix="/v1/employees/{employee_id}/exemptions")

DECIDED: dict[int | str, dict[str, Any]] = {
    status.HTTP_201_CREATED: {"model": DecisionOut},
    status.HTTP_200_OK: {"model": DecisionOut, "description": "already in force: nothing sent"},
}


def _decided(result: exemption_handlers.Decided) -> dict[str, Any]:
    return {"event_id": str(result.event_id), "changed": result.changed}


def _recorded(
    uow: SqlUnitOfWork, rt: IntakeRuntime, caller: audit.Access, action: str, employee_id: str
) -> None:
    """Record the access in the audit log; last in the transaction, so the log's lock is held
    only until the commit."""
    audit.append(uow.session, caller, action=action, employee_ids=[employee_id], at=rt.clock.now())


def _created_or_unchanged(body: dict[str, Any]) -> int:
    return status.HTTP_201_CREATED if body["changed"] else status.HTTP_200_OK


@router.put("/{rule_id}", status_code=status.HTTP_201_CREATED, responses=DECIDED)
def set_exemption(
    employee_id: str,
    rule_id: str,
    body: ExemptionIn,
    rt: Runtime,
    hr: ExemptionDecider,
    caller: Caller,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Suppress the rule for the employee, or raise its threshold; 200 when already so."""

    def command(uow: SqlUnitOfWork) -> dict[str, Any]:
        decided = _decided(
            exemption_handlers.set_exemption(
                uow=uow,
                clock=rt.clock,
                employee_id=employee_id,
                rule_id=rule_id,
                suppressed=body.suppressed,
                threshold=body.threshold,
                valid_until=body.valid_until,
                why=body.why,
                decided_by=hr.subject,
            )
        )
        _recorded(uow, rt, caller, "set exemption", employee_id)
        return decided

    status_code, answer = run_command(
        rt,
        command,
        idempotency=Idempotency.of(
            hr.subject, idempotency_key, f"exemption/{employee_id}/{rule_id}", body.model_dump()
        ),
        status_code=_created_or_unchanged,
    )
    log.info("exemption_set", employee_id=employee_id, rule_id=rule_id, status=status_code)
    return JSONResponse(status_code=status_code, content=answer)


@router.delete("/{rule_id}", status_code=status.HTTP_201_CREATED, responses=DECIDED)
def lift_exemption(
    employee_id: str,
    rule_id: str,
    rt: Runtime,
    hr: ExemptionDecider,
    caller: Caller,
    body: LiftIn | None = None,
    why: Annotated[
        str | None, Query(description="prefer the body: a query string may reach proxy logs")
    ] = None,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """End the exemption; its history stays. `why` in the body or, failing that, the query."""
    reason = body.why if body is not None else why
    if reason is None:
        raise domain.InvalidExemption('why is required: give it in the body as {"why": ...}')

    def command(uow: SqlUnitOfWork) -> dict[str, Any]:
        decided = _decided(
            exemption_handlers.lift_exemption(
                uow=uow,
                clock=rt.clock,
                employee_id=employee_id,
                rule_id=rule_id,
                why=reason,
                decided_by=hr.subject,
            )
        )
        _recorded(uow, rt, caller, "lift exemption", employee_id)
        return decided

    status_code, answer = run_command(
        rt,
        command,
        idempotency=Idempotency.of(
            hr.subject, idempotency_key, f"lift/{employee_id}/{rule_id}", {"why": reason}
        ),
    )
    log.info("exemption_lifted", employee_id=employee_id, rule_id=rule_id, status=status_code)
    return JSONResponse(status_code=status_code, content=answer)


@router.get("")
def exemptions(
    employee_id: str, rt: Runtime, _hr: ExemptionDecider, caller: Caller
) -> ExemptionsOut:
    """The exemptions in force (or run out, not yet lifted) and every decision, newest first."""
    today = domain.local_date(rt.clock.now())
    with SqlUnitOfWork(rt.engine) as uow:
        if uow.employee(employee_id) is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"unknown employee {employee_id!r}")
        current = uow.exemptions_of(employee_id)
        history = uow.exemption_history(employee_id)
        _recorded(uow, rt, caller, "read exemptions", employee_id)
        uow.commit()
    return ExemptionsOut(
        employee_id=employee_id,
        exemptions=[_exemption_out(e, today=today) for e in current],
        history=[_change_out(c) for c in reversed(history)],
    )


def _exemption_out(exemption: Exemption, *, today: date) -> ExemptionOut:
    in_force = exemption.valid_until is None or exemption.valid_until >= today
    return ExemptionOut.model_validate({**exemption.model_dump(), "in_force": in_force})


def _change_out(change: ExemptionChange) -> ExemptionChangeOut:
    return ExemptionChangeOut.model_validate(change.model_dump())
