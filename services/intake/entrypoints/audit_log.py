"""GET /v1/audit: who read or changed one employee's data in intake (admins only)."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from halsosupport import audit
from halsosupport.audit import Caller
from services.intake.adapters.sql_repo import SqlUnitOfWork
from services.intake.entrypoints.deps import Admin, Runtime

router = APIRouter(prefix="/v1")


class AuditEntryOut(BaseModel):
    seq: int
    at: datetime
    subject: str
    role: str
    action: str
    employee_id: str | None
    route: str
    client: str | None


class AuditPage(BaseModel):
    items: list[AuditEntryOut]
    next_before: int | None  # pass as `before` for the next, older page


@router.get("/audit")
def audit_entries(
    rt: Runtime,
    _admin: Admin,
    caller: Caller,
    employee_id: Annotated[str, Query(min_length=1, max_length=64)],
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    before: Annotated[int | None, Query(ge=1, description="a seq: only older entries")] = None,
) -> AuditPage:
    """Intake's entries for one employee, newest first. Reading them is itself recorded."""
    with SqlUnitOfWork(rt.engine) as uow:
        rows = audit.entries_of(uow.session, employee_id, limit=limit, before=before)
        audit.append(
            uow.session,
            caller,
            action="read audit log",
            employee_ids=[employee_id],
            at=rt.clock.now(),
        )
        uow.commit()
    items = [AuditEntryOut.model_validate(r, from_attributes=True) for r in rows]
    return AuditPage(items=items, next_before=items[-1].seq if len(items) == limit else None)
