"""Routes for finding people: the directory, one employee's spells, today's call-backs."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status
from pydantic import BaseModel, Field

from halsosupport import audit
from halsosupport.audit import Caller
from schemas.reasons import CONFIDENTIAL_SV, WITHHELD_SV, reason_label
from services.intake import domain, erasure, queries
from services.intake.access import sees_the_line_details
from services.intake.adapters.sql_repo import SqlUnitOfWork
from services.intake.entrypoints.deps import (
    Admin,
    DirectoryReader,
    EmployeeReader,
    Nurse,
    Runtime,
)
from services.intake.entrypoints.schemas_http import (
    EmployeeOut,
    EmployeesPage,
    FollowupOut,
    OpenSpellOut,
    ReasonCategoryOut,
    SpellOut,
)

router = APIRouter(prefix="/v1")


@router.get("/employees")
def employees(
    rt: Runtime,
    _reader: DirectoryReader,
    caller: Caller,
    query: Annotated[
        str | None, Query(max_length=100, description="name, personnummer or phone number")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> EmployeesPage:
    today = domain.local_date(rt.clock.now())
    with SqlUnitOfWork(rt.engine) as uow:
        page = queries.find_employees(uow, query, limit=limit, offset=offset, today=today)
        shown = [e.employee_id for e, _ in page.rows]
        audit.append(
            uow.session, caller, action="search employees", employee_ids=shown, at=rt.clock.now()
        )
        uow.commit()
    items = [
        EmployeeOut(
            employee_id=e.employee_id,
            name=e.name,
            personnummer_masked=f"{e.personnummer[:8]}-****",
            phone=e.phone,
            workplace_id=w.workplace_id,
            workplace_name=w.name,
            department_id=w.department_id,
            employed_to=e.employed_to,
            open_spell=None
            if (s := page.open_spells.get(e.employee_id)) is None
            else OpenSpellOut(
                spell_id=s.spell_id,
                absence_type=s.absence_type,
                sick_from=s.sick_from,
                expected_return=s.expected_return,
            ),
        )
        for e, w in page.rows
    ]
    return EmployeesPage(items=items, total=page.total, limit=limit, offset=offset)


@router.get("/employees/{employee_id}/spells")
def employee_spells(
    employee_id: str, rt: Runtime, reader: EmployeeReader, caller: Caller
) -> list[SpellOut]:
    """The nurse sees everything; a manager (own workplaces) or HR (own departments) sees a
    reason only when the employee shared it, and never the line's notes. Every read is
    audited."""
    with SqlUnitOfWork(rt.engine) as uow:
        if uow.employee(employee_id) is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"unknown employee {employee_id!r}")
        spells = uow.spells_of(employee_id)
        audit.append(
            uow.session,
            caller,
            action="read spells",
            employee_ids=[employee_id],
            at=rt.clock.now(),
        )
        uow.commit()
    found = [SpellOut.model_validate(s, from_attributes=True) for s in reversed(spells)]
    return found if sees_the_line_details(reader) else [s.off_the_line() for s in found]


class ErasureIn(BaseModel):
    employee_id: str = Field(min_length=1, max_length=64)


@router.post("/erasures", status_code=status.HTTP_202_ACCEPTED)
def erase_employee(body: ErasureIn, rt: Runtime, _admin: Admin, caller: Caller) -> ErasureIn:
    """Erase one employee from every service (the right to erasure): intake deletes them at
    once, the other services when `EmployeeErased` reaches them. Audited."""
    with SqlUnitOfWork(rt.engine) as uow:
        try:
            erasure.erase_employee(
                uow=uow, clock=rt.clock, employee_id=body.employee_id, caller=caller
            )
        except erasure.UnknownEmployee:
            raise HTTPException(status.HTTP_404_NOT_FOUND, "unknown employee") from None
        uow.commit()
    rt.relay.wake()
    return body


@router.get("/followups")
def followups(
    rt: Runtime,
    _nurse: Nurse,
    caller: Caller,
    on: Annotated[date | None, Query(alias="date", description="default: today")] = None,
) -> list[FollowupOut]:
    day = on or domain.local_date(rt.clock.now())
    with SqlUnitOfWork(rt.engine) as uow:
        rows = uow.followups_on(day)
        shown = list(dict.fromkeys(e.employee_id for _, e, _ in rows))
        audit.append(
            uow.session, caller, action="read call-backs", employee_ids=shown, at=rt.clock.now()
        )
        uow.commit()
    return [
        FollowupOut(
            spell_id=s.spell_id,
            employee_id=e.employee_id,
            name=e.name,
            phone=e.phone,
            workplace_name=w.name,
            absence_type=s.absence_type,
            sick_from=s.sick_from,
            well_from=s.well_from,
            outcome=s.followup_outcome,
            done_at=s.followup_at,
        )
        for s, e, w in rows
    ]


@router.get("/reason-categories")
def reason_categories(rt: Runtime, _nurse: Nurse) -> list[ReasonCategoryOut]:
    """The configured categories, then the two ways of withholding the reason."""
    return [
        ReasonCategoryOut(code=c, label=reason_label(c)) for c in rt.settings.reason_categories
    ] + [
        ReasonCategoryOut(code="withheld", label=WITHHELD_SV),
        ReasonCategoryOut(code="confidential", label=CONFIDENTIAL_SV),
    ]
