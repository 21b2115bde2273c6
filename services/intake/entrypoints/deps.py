"""FastAPI dependencies of the intake API, as Annotated aliases.

Every route declares who may call it with one of these; the access matrix test
(`tests/integration/test_access_matrix.py`) checks each route against each role."""

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status

from halsosupport.auth import Principal, Role
from halsosupport.web import require_role
from services.intake import access, queries
from services.intake.access import EmployeePlace
from services.intake.adapters.sql_repo import SqlUnitOfWork
from services.intake.bootstrap import IntakeRuntime


def get_runtime(request: Request) -> IntakeRuntime:
    runtime: IntakeRuntime = request.app.state.runtime
    return runtime


Runtime = Annotated[IntakeRuntime, Depends(get_runtime)]
Nurse = Annotated[Principal, Depends(require_role(Role.NURSE))]
DirectoryReader = Annotated[Principal, Depends(require_role(Role.NURSE, Role.ADMIN))]


def employee_access(
    rule: Callable[[Principal, EmployeePlace], bool], *roles: Role
) -> Callable[..., Principal]:
    """A dependency for routes on `/employees/{employee_id}/…`: the role must be one of `roles`
    and `rule` must admit the caller to this employee.

    403 when it does not. A caller who may not read every employee gets the same 403 for an
    unknown id, so the answer never tells them whether someone works here; nurses and admins
    get the route's own 404."""
    gate = require_role(*roles)

    def dependency(
        employee_id: str, rt: Runtime, principal: Annotated[Principal, Depends(gate)]
    ) -> Principal:
        with SqlUnitOfWork(rt.engine) as uow:
            place = queries.employee_place(uow, employee_id)
        if place is None and access.reads_every_employee(principal):
            return principal
        if place is None or not rule(principal, place):
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                detail=f"a {principal.role.value} may not see this employee: managers see the "
                "staff of the workplaces they manage, HR the departments in their token",
            )
        return principal

    return dependency


EmployeeReader = Annotated[
    Principal,
    Depends(employee_access(access.can_read_employee, Role.NURSE, Role.MANAGER, Role.HR)),
]
ExemptionDecider = Annotated[
    Principal, Depends(employee_access(access.can_decide_exemption, Role.HR, Role.ADMIN))
]
Admin = Annotated[Principal, Depends(require_role(Role.ADMIN))]
